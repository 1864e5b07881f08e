//! `page_views`: cookie-less view counts per story per day, written in batches.

use sqlx::PgPool;
use uuid::Uuid;

/// Adds a batch of counts in one statement.
pub async fn add(
    pool: &PgPool,
    article_ids: &[Uuid],
    days: &[time::Date],
    counts: &[i64],
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO page_views (article_id, day, views)
        SELECT b.article_id, b.day, b.views
        FROM unnest($1::uuid[], $2::date[], $3::bigint[]) AS b(article_id, day, views)
        WHERE EXISTS (SELECT 1 FROM articles a WHERE a.id = b.article_id)
        ON CONFLICT ON CONSTRAINT page_views_pkey
        DO UPDATE SET views = page_views.views + EXCLUDED.views
        "#,
        article_ids,
        days,
        counts
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// One day's count.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DayViews {
    pub day: time::Date,
    pub views: i64,
}

/// Daily views of a story since `since`, oldest first.
pub async fn by_day(
    pool: &PgPool,
    article_id: Uuid,
    since: time::Date,
) -> sqlx::Result<Vec<DayViews>> {
    sqlx::query_as!(
        DayViews,
        "SELECT day, views FROM page_views WHERE article_id = $1 AND day >= $2 ORDER BY day",
        article_id,
        since
    )
    .fetch_all(pool)
    .await
}

/// All views of a story.
pub async fn total(pool: &PgPool, article_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT coalesce(sum(views), 0)::bigint AS "total!" FROM page_views WHERE article_id = $1"#,
        article_id
    )
    .fetch_one(pool)
    .await
}
