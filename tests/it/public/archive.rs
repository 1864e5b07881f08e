//! `GET /archive`.

use axum::http::StatusCode;
use sqlx::PgPool;
use time::macros::datetime;

use crate::helpers::{ArticleBuilder, TestApp};

#[sqlx::test]
async fn archive_groups_archived_stories_by_year_newest_first(pool: PgPool) {
    ArticleBuilder::new("From 2011")
        .published_at(datetime!(2011-09-26 13:00 UTC))
        .archived(datetime!(2022-02-23 02:53 UTC), None)
        .insert(&pool)
        .await;
    ArticleBuilder::new("From 2015")
        .published_at(datetime!(2015-05-01 13:00 UTC))
        .archived(datetime!(2020-01-01 00:00 UTC), None)
        .insert(&pool)
        .await;
    // New Year's Eve in New York is already 2013 in UTC: it belongs to 2012.
    ArticleBuilder::new("New Year's Eve")
        .published_at(datetime!(2013-01-01 03:00 UTC))
        .archived(datetime!(2020-01-01 00:00 UTC), None)
        .insert(&pool)
        .await;
    ArticleBuilder::new("Still current").insert(&pool).await;

    let page = TestApp::new(pool).get("/archive").await;

    assert_eq!(page.status, StatusCode::OK);
    page.assert_in_order(&[
        "2015</h2>",
        "From 2015",
        "2012</h2>",
        "New Year",
        "2011</h2>",
        "From 2011",
    ]);
    assert!(!page.text.contains("Still current"));
}
