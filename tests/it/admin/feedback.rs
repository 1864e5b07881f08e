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
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "cy@example.org").await;
    assert_eq!(get(&app, "/admin/feedback", &cookie).await.status, 403);
    assert_eq!(get(&app, "/admin/feedback.csv", &cookie).await.status, 403);
    let story = ArticleBuilder::new("Tea").insert(&pool).await;
    let entry = feedback_entry(&pool, story, true, "Nice").await;
    let page = format!("/admin/feedback/entries/{entry}");
    assert_eq!(get(&app, &page, &cookie).await.status, 403);
    let dashboard = get(&app, "/admin", &cookie).await;
    let csrf = csrf_in(&dashboard.text);
    let posted = post(
        &app,
        &format!("{page}/note"),
        &cookie,
        &[("csrf", &csrf), ("note", "mine now")],
        &[],
    )
    .await;
    assert_eq!(posted.status, 403);
    let note: String = sqlx::query_scalar("SELECT note FROM feedback")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(note, "", "a contributor's note is not saved");
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

async fn anonymous_entry(pool: &PgPool, article: uuid::Uuid, comment: &str) -> uuid::Uuid {
    let id = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO feedback (id, article_id, revision_number, comment, client_hash)
         VALUES ($1, $2, 1, $3, '\\x00')",
    )
    .bind(id)
    .bind(article)
    .bind(comment)
    .execute(pool)
    .await
    .unwrap();
    id
}

/// The `href`s of the elements `css` selects.
fn hrefs(html: &str, css: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse(css).unwrap())
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect()
}

#[sqlx::test]
async fn a_reader_who_left_an_email_gets_a_reply_link_naming_the_story(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let story = ArticleBuilder::new("Tea & blood pressure")
        .insert(&pool)
        .await;
    let with_email = feedback_entry(&pool, story, true, "Which tea?").await;
    anonymous_entry(&pool, story, "No address here").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;

    let inbox = get(&app, "/admin/feedback", &cookie).await;
    assert_eq!(inbox.status, 200);
    let reply = "mailto:reader@example.org?subject=Re%3A%20your%20feedback%20on%20%E2%80%9CTea%20%26%20blood%20pressure%E2%80%9D";
    assert_eq!(
        hrefs(&inbox.text, "a.feedback-reply"),
        [reply],
        "one link, for the entry with an address"
    );
    let entry = get(
        &app,
        &format!("/admin/feedback/entries/{with_email}"),
        &cookie,
    )
    .await;
    assert_eq!(entry.status, 200);
    assert_eq!(hrefs(&entry.text, "a.feedback-reply"), [reply]);
}

#[sqlx::test]
async fn editors_keep_a_private_note_on_an_entry_saved_with_csrf_and_audited(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let story = ArticleBuilder::new("Tea and blood pressure")
        .insert(&pool)
        .await;
    let entry = feedback_entry(&pool, story, false, "The dose is wrong").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let page_path = format!("/admin/feedback/entries/{entry}");
    let note_path = format!("{page_path}/note");
    let note_of = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>("SELECT note FROM feedback")
            .fetch_one(&pool)
            .await
            .unwrap()
    };

    let inbox = get(&app, "/admin/feedback", &cookie).await;
    assert_eq!(
        hrefs(&inbox.text, "a.feedback-note-link"),
        [format!("{page_path}#note")]
    );
    let page = get(&app, &page_path, &cookie).await;
    assert_eq!(page.status, 200);
    let csrf = csrf_in(&page.text);

    let forged = post(
        &app,
        &note_path,
        &cookie,
        &[("csrf", "nope"), ("note", "forged")],
        &[],
    )
    .await;
    assert_eq!(forged.status, 403);
    assert_eq!(note_of(pool.clone()).await, "");

    let note = "Checked with Dr Lee <script>x</script>\r\nReply sent.";
    let saved = post(
        &app,
        &note_path,
        &cookie,
        &[("csrf", &csrf), ("note", note)],
        &[],
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    assert_eq!(
        saved.header("location"),
        format!("{page_path}?saved=1#note")
    );
    assert_eq!(
        note_of(pool.clone()).await,
        "Checked with Dr Lee <script>x</script>\nReply sent."
    );
    let page = get(&app, &format!("{page_path}?saved=1"), &cookie).await;
    assert!(page.text.contains("id=\"note-saved\""));
    assert!(page.text.contains("Reply sent.</textarea>"));
    let inbox = get(&app, "/admin/feedback", &cookie).await;
    assert!(inbox.text.contains("class=\"feedback-note\""));
    assert!(inbox.text.contains("Checked with Dr Lee"));
    assert!(!inbox.text.contains("<script>x"), "the note is escaped");

    // Saving the same note again changes nothing and is not audited twice.
    post(
        &app,
        &note_path,
        &cookie,
        &[("csrf", &csrf), ("note", note)],
        &[],
    )
    .await;
    let audited: Vec<(String, uuid::Uuid, serde_json::Value)> = sqlx::query_as(
        "SELECT action, target_id, detail FROM audit_log WHERE action = 'feedback.note'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].1, entry);
    assert_eq!(audited[0].2["chars"], 50);

    // Too long: refused beside the field, the text kept, the saved note untouched.
    let long = "n".repeat(2001);
    let refused = post(
        &app,
        &note_path,
        &cookie,
        &[("csrf", &csrf), ("note", &long)],
        &[],
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(refused.text.contains("id=\"note-error\""));
    assert!(refused.text.contains("2001 characters"));
    assert!(refused.text.contains(&format!(">{long}</textarea>")));
    assert!(note_of(pool.clone()).await.starts_with("Checked"));

    // A NUL is refused as every admin form refuses it (never a 500); other controls are
    // dropped; an empty note deletes it.
    let odd = post(
        &app,
        &note_path,
        &cookie,
        &[("csrf", &csrf), ("note", "a\u{0}b")],
        &[],
    )
    .await;
    assert_eq!(odd.status, 422);
    assert!(note_of(pool.clone()).await.starts_with("Checked"));
    let odd = post(
        &app,
        &note_path,
        &cookie,
        &[("csrf", &csrf), ("note", "a\u{7}b")],
        &[],
    )
    .await;
    assert_eq!(odd.status, 303);
    assert_eq!(note_of(pool.clone()).await, "ab");
    post(
        &app,
        &note_path,
        &cookie,
        &[("csrf", &csrf), ("note", "  ")],
        &[],
    )
    .await;
    assert_eq!(note_of(pool.clone()).await, "");

    // An unknown entry, or one that is not an id, is a 404 either way.
    let unknown = format!("/admin/feedback/entries/{}/note", uuid::Uuid::now_v7());
    let missing = post(
        &app,
        &unknown,
        &cookie,
        &[("csrf", &csrf), ("note", "x")],
        &[],
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        get(&app, "/admin/feedback/entries/not-an-id", &cookie)
            .await
            .status,
        404
    );
}

#[sqlx::test]
async fn the_story_picker_lists_stories_by_headline_and_refuses_an_unknown_one(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let walking = ArticleBuilder::new("Walking after meals")
        .insert(&pool)
        .await;
    let tea = ArticleBuilder::new("Tea and blood pressure")
        .insert(&pool)
        .await;
    let quiet = ArticleBuilder::new("A story nobody wrote about")
        .insert(&pool)
        .await;
    feedback_entry(&pool, tea, true, "One").await;
    feedback_entry(&pool, tea, true, "Two").await;
    feedback_entry(&pool, walking, false, "Three").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let options = |html: &str| -> Vec<(String, String, bool)> {
        let doc = scraper::Html::parse_document(html);
        doc.select(&scraper::Selector::parse("select#f-story option").unwrap())
            .map(|o| {
                (
                    o.value().attr("value").unwrap_or_default().to_owned(),
                    o.text().collect(),
                    o.value().attr("selected").is_some(),
                )
            })
            .collect()
    };

    let inbox = get(&app, "/admin/feedback", &cookie).await;
    assert_eq!(
        options(&inbox.text),
        [
            (String::new(), "All stories".to_owned(), false),
            (
                tea.to_string(),
                "Tea and blood pressure (2)".to_owned(),
                false
            ),
            (
                walking.to_string(),
                "Walking after meals (1)".to_owned(),
                false
            ),
        ]
    );
    let filtered = get(&app, &format!("/admin/feedback?story={walking}"), &cookie).await;
    assert_eq!(filtered.status, 200);
    assert!(filtered.text.contains("1 entry"));
    assert!(options(&filtered.text)[2].2, "the chosen story is selected");

    // Reached from a story's chart, a story without feedback is offered and chosen.
    let none = get(&app, &format!("/admin/feedback?story={quiet}"), &cookie).await;
    assert!(none.text.contains("0 entries"));
    assert_eq!(
        options(&none.text)[1],
        (
            quiet.to_string(),
            "A story nobody wrote about (0)".to_owned(),
            true
        )
    );

    for bad in ["not-a-story", &uuid::Uuid::now_v7().to_string()] {
        let refused = get(&app, &format!("/admin/feedback?story={bad}"), &cookie).await;
        assert_eq!(refused.status, 422, "{bad}");
        assert!(refused.text.contains("id=\"f-story-error\""), "{bad}");
        assert!(refused.text.contains("aria-invalid=\"true\""), "{bad}");
        let csv = get(&app, &format!("/admin/feedback.csv?story={bad}"), &cookie).await;
        assert_eq!(csv.status, 400, "{bad}");
    }
}

#[sqlx::test]
async fn the_csv_shows_times_in_the_site_time_zone_and_each_story_url(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let story = ArticleBuilder::new("Tea and blood pressure")
        .slug("tea-and-blood-pressure")
        .insert(&pool)
        .await;
    let summer = feedback_entry(&pool, story, true, "Summer").await;
    let winter = feedback_entry(&pool, story, false, "Winter").await;
    for (id, at) in [
        (summer, "2026-07-01 12:00:00+00"),
        (winter, "2026-01-15 12:00:00+00"),
    ] {
        sqlx::query("UPDATE feedback SET created_at = $2::timestamptz WHERE id = $1")
            .bind(id)
            .bind(at)
            .execute(&pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE feedback SET note = '=cmd' WHERE id = $1")
        .bind(winter)
        .execute(&pool)
        .await
        .unwrap();
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;

    let csv = get(&app, "/admin/feedback.csv", &cookie).await;
    assert_eq!(csv.status, 200);
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let row = |id: uuid::Uuid| rows.iter().find(|r| r[0] == id.to_string()).unwrap();
    assert_eq!(&row(summer)[col("created_at")], "2026-07-01T08:00:00-04:00");
    assert_eq!(&row(winter)[col("created_at")], "2026-01-15T07:00:00-05:00");
    assert_eq!(
        &row(summer)[col("story_url")],
        format!(
            "{}/research-news/tea-and-blood-pressure",
            crate::helpers::BASE_URL
        )
    );
    assert_eq!(&row(winter)[col("note")], "'=cmd", "notes are defused too");
}
