//! The feedback inbox: filters, triage in bulk, CSV, and who may open it.

use dateline::domain::policy::Role;
use sqlx::PgPool;

use crate::helpers::admin::{PASSWORD, csrf_in, editor, get, post, sign_in};
use crate::helpers::{ArticleBuilder, TestApp};

async fn feedback_entry(
    pool: &PgPool,
    article: uuid::Uuid,
    helpful: bool,
    comment: &str,
) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO feedback (id, article_id, revision_number, helpful, comment, email, client_hash, user_agent_family)
         VALUES ($1, $2, 1, $3, $4, 'reader@example.org', '\\x00', 'Firefox')",
    )
    .bind(id)
    .bind(article)
    .bind(helpful)
    .bind(comment)
    .execute(pool)
    .await
    .unwrap();
    id
}

#[sqlx::test]
async fn the_inbox_lists_filters_triages_in_bulk_and_exports_csv(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let story = ArticleBuilder::new("Tea and blood pressure")
        .insert(&pool)
        .await;
    let other = ArticleBuilder::new("Walking after meals")
        .insert(&pool)
        .await;
    let a = feedback_entry(&pool, story, true, "Clear and useful").await;
    let b = feedback_entry(&pool, story, false, "<script>alert(1)</script>").await;
    let c = feedback_entry(&pool, other, true, "=HYPERLINK(\"http://evil\")").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;

    let inbox = get(&app, "/admin/feedback?status=new", &cookie).await;
    assert_eq!(inbox.status, 200);
    assert!(inbox.text.contains("3 entries"));
    assert!(inbox.text.contains("alert(1)"), "the comment is shown");
    assert!(!inbox.text.contains("<script>alert(1)"), "as escaped text");
    let by_story = get(&app, &format!("/admin/feedback?story={story}"), &cookie).await;
    assert!(by_story.text.contains("2 entries"));
    assert!(by_story.text.contains("on “Tea and blood pressure”"));

    let csrf = csrf_in(&inbox.text);
    let (a_id, b_id) = (a.to_string(), b.to_string());
    let marked = post(
        &app,
        "/admin/feedback?status=new",
        &cookie,
        &[
            ("csrf", &csrf),
            ("id", &a_id),
            ("id", &b_id),
            ("status", "resolved"),
        ],
        &[],
    )
    .await;
    assert_eq!(marked.status, 303, "{}", marked.text);
    assert_eq!(
        marked.header("location"),
        "/admin/feedback?status=new&done=2"
    );
    let statuses: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, status FROM feedback ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        statuses,
        [
            (a, "resolved".into()),
            (b, "resolved".into()),
            (c, "new".into())
        ]
    );
    let forged = post(
        &app,
        "/admin/feedback",
        &cookie,
        &[("csrf", "nope"), ("id", &c.to_string()), ("status", "spam")],
        &[],
    )
    .await;
    assert_eq!(forged.status, 403);

    let csv = get(&app, "/admin/feedback.csv", &cookie).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.header("content-disposition").contains("attachment"));
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    let evil = rows.iter().find(|r| r[0] == c.to_string()).unwrap();
    assert_eq!(
        &evil[6], "'=HYPERLINK(\"http://evil\")",
        "formulas are defused"
    );

    let chart = get(&app, &format!("/admin/feedback/stories/{story}"), &cookie).await;
    assert_eq!(chart.status, 200);
    assert!(chart.text.contains("id=\"helpful-yes\">1<"));
    assert!(chart.text.contains("id=\"helpful-no\">1<"));
    assert!(chart.text.contains("<svg role=\"img\""));
}

#[sqlx::test]
async fn contributors_cannot_open_the_inbox(pool: PgPool) {
    dateline::service::users::create_user(
        &pool,
        "cy@example.org",
        "Cy",
        Role::Contributor,
        PASSWORD,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "cy@example.org").await;
    assert_eq!(get(&app, "/admin/feedback", &cookie).await.status, 403);
    assert_eq!(get(&app, "/admin/feedback.csv", &cookie).await.status, 403);
}

#[sqlx::test]
async fn every_triage_change_is_audited_whichever_door_it_comes_through(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let token = crate::helpers::token_for(&pool, Role::Editor).await;
    let story = ArticleBuilder::new("Tea and blood pressure")
        .insert(&pool)
        .await;
    let a = feedback_entry(&pool, story, true, "Useful").await;
    let b = feedback_entry(&pool, story, false, "Unclear").await;
    let c = feedback_entry(&pool, story, false, "Spam?").await;
    let app = TestApp::new(pool.clone());
    let audited = |pool: PgPool| async move {
        sqlx::query_as::<_, (String, uuid::Uuid)>(
            "SELECT action, target_id FROM audit_log WHERE action LIKE 'feedback.%' ORDER BY created_at, target_id",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    // The API: a status, then the reader's email deleted, each one entry.
    let answer = app
        .api(
            "PATCH",
            &format!("/api/v1/feedback/{a}"),
            Some(&token),
            Some(serde_json::json!({"status": "read", "email": null})),
            &[],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(
        audited(pool.clone()).await,
        [
            ("feedback.status".to_owned(), a),
            ("feedback.email_delete".to_owned(), a)
        ]
    );
    // The inbox: a bulk triage of two is two audit entries, one per entry changed.
    let cookie = sign_in(&app, "ada@example.org").await;
    let csrf = csrf_in(&get(&app, "/admin/feedback", &cookie).await.text);
    let (b_s, c_s) = (b.to_string(), c.to_string());
    let triaged = post(
        &app,
        "/admin/feedback",
        &cookie,
        &[
            ("csrf", &csrf),
            ("status", "spam"),
            ("id", &b_s),
            ("id", &c_s),
        ],
        &[],
    )
    .await;
    assert_eq!(triaged.status, 303, "{}", triaged.text);
    let entries = audited(pool.clone()).await;
    assert_eq!(entries.len(), 4, "{entries:?}");
    let mut spam: Vec<uuid::Uuid> = entries[2..].iter().map(|(_, id)| *id).collect();
    spam.sort();
    let mut expected = vec![b, c];
    expected.sort();
    assert_eq!(spam, expected);
    assert!(
        entries[2..]
            .iter()
            .all(|(action, _)| action == "feedback.status")
    );
}
