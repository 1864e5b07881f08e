//! The editors' desk (issue 25): the review queue and what becomes of a submission, who else
//! has a story open (across instances), and unpublish or archive on a date from the editor.

use dateline::domain::policy::Role;
use sqlx::PgPool;
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::helpers::admin::{
    PASSWORD, act, create_story, csrf_in, follow, get, id_in, message, post, revisions, sign_in,
};

async fn account(pool: &PgPool, email: &str, name: &str, role: Role) {
    dateline::service::users::create_user(pool, email, name, role, PASSWORD)
        .await
        .unwrap();
}

/// The text of the first element matching `css`, or "" when none does.
fn text_at(html: &str, css: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse(css).unwrap())
        .next()
        .map(|el| el.text().collect::<String>())
        .unwrap_or_default()
}

async fn status_of(pool: &PgPool, id: Uuid) -> String {
    sqlx::query_scalar("SELECT status FROM articles WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_submitted_story_waits_for_the_editors_and_comes_back_to_its_author_with_the_note(
    pool: PgPool,
) {
    account(&pool, "cy@example.org", "Cy Park", Role::Contributor).await;
    account(&pool, "ana@example.org", "Ana Ortiz", Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let cy = sign_in(&app, "cy@example.org").await;
    let ana = sign_in(&app, "ana@example.org").await;
    let path = create_story(&app, &cy, &[("title", "Statins and sleep")]).await;
    let id = id_in(&path);

    // Nothing waits yet.
    let board = get(&app, "/admin", &ana).await.text;
    assert_eq!(text_at(&board, "#review-queue-count"), "0");
    assert!(board.contains("No story is waiting for review."));

    let submitted = act(&app, &path, &cy, &[("action", "submit")]).await;
    assert_eq!(
        message(&follow(&app, &cy, &submitted).await),
        "Submitted for review."
    );

    // The editor's dashboard: the story, who asked, when, linking to the story.
    let board = get(&app, "/admin", &ana).await.text;
    assert_eq!(text_at(&board, "#review-queue-count"), "1");
    let queue = text_at(&board, "#review-queue");
    assert!(queue.contains("Statins and sleep"), "{queue}");
    assert!(queue.contains("Cy Park asked on"), "{queue}");
    assert!(board.contains(&format!(
        "<a href=\"/admin/stories/{id}\">Statins and sleep</a>"
    )));
    // The contributor sees their own submission waiting, and no queue of others' work.
    let mine = get(&app, "/admin", &cy).await.text;
    assert!(!mine.contains("id=\"review-queue\""));
    assert!(text_at(&mine, "#my-reviews").contains("Waiting for review since"));

    // The editor's page says who asked, and offers "Send back to draft" instead of "Unpublish".
    let page = get(&app, &path, &ana).await.text;
    assert!(text_at(&page, "#review-status").starts_with("Submitted for review by Cy Park on"));
    assert!(page.contains("id=\"action-send-back\""));
    assert!(!page.contains("id=\"action-unpublish\""));

    let before = revisions(&pool, id).await;
    let note = "Please cite the trial <b>registry</b>.\nThen resubmit.";
    let sent = act(
        &app,
        &path,
        &ana,
        &[("action", "send_back"), ("send_back_note", note)],
    )
    .await;
    let after = follow(&app, &ana, &sent).await;
    assert_eq!(
        message(&after),
        "Sent back to draft: its author sees it, with your note, on their dashboard and here."
    );
    assert_eq!(status_of(&pool, id).await, "draft");
    assert_eq!(revisions(&pool, id).await, before + 1, "a revision");
    let noted: String = sqlx::query_scalar(
        "SELECT change_note FROM article_revisions WHERE article_id = $1 ORDER BY number DESC LIMIT 1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(noted, "Sent back to draft");

    // Off the queue; the author sees the decision and the note, escaped, on both pages.
    let board = get(&app, "/admin", &ana).await.text;
    assert_eq!(text_at(&board, "#review-queue-count"), "0");
    let mine = get(&app, "/admin", &cy).await.text;
    let desk = text_at(&mine, "#my-reviews");
    assert!(
        desk.contains("Sent back to draft by Ana Ortiz on"),
        "{desk}"
    );
    assert!(
        desk.contains("Please cite the trial <b>registry</b>."),
        "{desk}"
    );
    assert!(!mine.contains("<b>registry</b>"), "escaped");
    let page = get(&app, &path, &cy).await.text;
    assert!(
        text_at(&page, "#review-status").contains("Sent back to draft by Ana Ortiz on"),
        "{page}"
    );
    assert!(text_at(&page, "#review-note").contains("Then resubmit."));
    assert!(
        page.contains("id=\"action-submit\""),
        "a draft again: theirs to edit"
    );

    // Resubmitted and published: the author reads that too.
    act(&app, &path, &cy, &[("action", "submit")]).await;
    let published = act(&app, &path, &ana, &[("action", "publish")]).await;
    assert_eq!(message(&follow(&app, &ana, &published).await), "Published.");
    let desk = text_at(&get(&app, "/admin", &cy).await.text, "#my-reviews");
    assert!(desk.contains("Published by Ana Ortiz on"), "{desk}");
    assert!(
        !desk.contains("registry"),
        "the old note belonged to the old request"
    );

    // Accepted for a later hour: said as such, not as a publication date.
    let other = create_story(&app, &cy, &[("title", "Tea and memory")]).await;
    act(&app, &other, &cy, &[("action", "submit")]).await;
    act(
        &app,
        &other,
        &ana,
        &[("action", "schedule"), ("publish_at", "2099-05-01T09:00")],
    )
    .await;
    let desk = text_at(&get(&app, "/admin", &cy).await.text, "#my-reviews");
    assert!(
        desk.contains("Accepted by Ana Ortiz on") && desk.contains("and scheduled for publication"),
        "{desk}"
    );
    let page = get(&app, &other, &cy).await.text;
    assert!(text_at(&page, "#review-status").contains("and scheduled for publication"));
}

#[sqlx::test]
async fn only_editors_send_back_and_a_note_is_checked_and_only_for_sending_back(pool: PgPool) {
    account(&pool, "cy@example.org", "Cy Park", Role::Contributor).await;
    account(&pool, "ana@example.org", "Ana Ortiz", Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let cy = sign_in(&app, "cy@example.org").await;
    let ana = sign_in(&app, "ana@example.org").await;
    let path = create_story(&app, &cy, &[("title", "Coffee and the heart")]).await;
    let id = id_in(&path);
    act(&app, &path, &cy, &[("action", "submit")]).await;

    // A contributor may not send back (their page offers no such button).
    let page = get(&app, &path, &cy).await.text;
    assert!(!page.contains("action-send-back"));
    let refused = act(&app, &path, &cy, &[("action", "send_back")]).await;
    assert_eq!(refused.status, 403);
    assert_eq!(status_of(&pool, id).await, "in_review");

    // Too long: a 422 naming the field, the text kept.
    let long = "n".repeat(2001);
    let refused = act(
        &app,
        &path,
        &ana,
        &[("action", "send_back"), ("send_back_note", &long)],
    )
    .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .text
            .contains("Note for the author: must be at most 2000 characters."),
        "{}",
        refused.text
    );
    assert!(refused.text.contains(&long), "the note is kept in the form");
    assert_eq!(status_of(&pool, id).await, "in_review");

    // The API says the same, and a note is for a story in review only.
    let token = crate::helpers::token_for(&pool, Role::Editor).await;
    let answer = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/unpublish"),
            Some(&token),
            Some(serde_json::json!({"note": long})),
            &[],
        )
        .await;
    assert_eq!(answer.error_fields(), ["note"]);
    app.api(
        "POST",
        &format!("/api/v1/articles/{id}/publish"),
        Some(&token),
        None,
        &[],
    )
    .await;
    let answer = app
        .api(
            "POST",
            &format!("/api/v1/articles/{id}/unpublish"),
            Some(&token),
            Some(serde_json::json!({"note": "Why not"})),
            &[],
        )
        .await;
    let problem = answer.assert_problem(409);
    assert_eq!(
        problem["errors"][0]["message"],
        "is only for sending a story in review back to its author"
    );
    assert_eq!(status_of(&pool, id).await, "published");
}

/// Two instances on one database: each sees who has the story open on the other, by name,
/// from the page and from the heartbeat; someone silent for 45 seconds has left.
#[sqlx::test]
async fn two_instances_say_who_else_has_the_story_open(pool: PgPool) {
    account(&pool, "ana@example.org", "Ana Ortiz", Role::Editor).await;
    account(&pool, "bo@example.org", "Bo <Ito>", Role::Admin).await;
    account(&pool, "cy@example.org", "Cy Park", Role::Contributor).await;
    let first = TestApp::new(pool.clone());
    let second = TestApp::new(pool.clone());
    let ana = sign_in(&first, "ana@example.org").await;
    let bo = sign_in(&second, "bo@example.org").await;
    let cy = sign_in(&second, "cy@example.org").await;
    let path = create_story(&first, &ana, &[("title", "Aspirin after sixty")]).await;

    let page = get(&first, &path, &ana).await.text;
    assert_eq!(text_at(&page, "#presence"), "", "alone");
    assert!(page.contains("hidden>"), "the notice is hidden while alone");
    // Bo opens it on the second instance: told that Ana is here, escaped like any name.
    let page = get(&second, &path, &bo).await.text;
    assert_eq!(
        text_at(&page, "#presence"),
        "Ana Ortiz is also editing this story"
    );
    // Ana's heartbeat on the first instance names Bo.
    let csrf = csrf_in(&get(&first, &path, &ana).await.text);
    let beat = post(
        &first,
        &format!("{path}/presence"),
        &ana,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(beat.status, 200);
    assert_eq!(
        beat.json(),
        serde_json::json!({"others": ["Bo <Ito>"], "message": "Bo <Ito> is also editing this story"})
    );
    let page = get(&first, &path, &ana).await.text;
    assert_eq!(
        text_at(&page, "#presence"),
        "Bo <Ito> is also editing this story"
    );
    assert!(!page.contains("Bo <Ito>"), "escaped");

    // Without the form token: refused, nothing recorded.
    let forged = post(&second, &format!("{path}/presence"), &bo, &[], &[]).await;
    assert_eq!(forged.status, 403);
    // A contributor may not open someone else's story, so is neither counted nor told.
    let csrf_cy = csrf_in(&get(&second, "/admin", &cy).await.text);
    let refused = post(
        &second,
        &format!("{path}/presence"),
        &cy,
        &[("csrf", &csrf_cy)],
        &[],
    )
    .await;
    assert!(matches!(refused.status.as_u16(), 403 | 404));

    // Bo's last heartbeat was 46 seconds ago: he has left.
    sqlx::query(
        "UPDATE editor_presence SET seen_at = now() - interval '46 seconds'
         WHERE user_id = (SELECT id FROM users WHERE email = 'bo@example.org')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let beat = post(
        &first,
        &format!("{path}/presence"),
        &ana,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(
        beat.json(),
        serde_json::json!({"others": [], "message": null})
    );
}

#[sqlx::test]
async fn an_editor_schedules_the_unpublishing_and_archiving_of_a_published_story(pool: PgPool) {
    account(&pool, "ana@example.org", "Ana Ortiz", Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let ana = sign_in(&app, "ana@example.org").await;
    let path = create_story(&app, &ana, &[("title", "Vitamin D in winter")]).await;
    let id = id_in(&path);
    // Not offered before the story is published.
    assert!(!get(&app, &path, &ana).await.text.contains("id=\"later\""));
    act(&app, &path, &ana, &[("action", "publish")]).await;
    let page = get(&app, &path, &ana).await.text;
    assert!(page.contains("id=\"action-unpublish-later\""));
    assert!(page.contains("id=\"action-archive-later\""));

    // Bad moments: a 422 naming the field; nothing scheduled.
    let empty = act(
        &app,
        &path,
        &ana,
        &[("action", "unpublish_later"), ("later_at", "")],
    )
    .await;
    assert_eq!(empty.status, 422);
    assert!(
        empty
            .text
            .contains("On: must be a date and time to unpublish at.")
    );
    let past = act(
        &app,
        &path,
        &ana,
        &[
            ("action", "archive_later"),
            ("later_at", "2020-01-01T09:00"),
        ],
    )
    .await;
    assert_eq!(past.status, 422);
    assert!(
        past.text.contains("On: must be in the future."),
        "{}",
        past.text
    );

    let before = revisions(&pool, id).await;
    let unpublish = act(
        &app,
        &path,
        &ana,
        &[
            ("action", "unpublish_later"),
            ("later_at", "2099-03-01T09:00"),
        ],
    )
    .await;
    let page = follow(&app, &ana, &unpublish).await;
    assert!(
        message(&page).starts_with("Scheduled: unpublishes on March 1, 2099"),
        "{}",
        message(&page)
    );
    assert!(text_at(&page, "#later-unpublish").starts_with("Unpublishes on March 1, 2099"));
    let archive = act(
        &app,
        &path,
        &ana,
        &[
            ("action", "archive_later"),
            ("later_at", "2099-02-01T09:00"),
            ("reason", "Newer trial <results>"),
        ],
    )
    .await;
    let page = follow(&app, &ana, &archive).await;
    assert!(message(&page).starts_with("Scheduled: archived on February 1, 2099"));
    assert!(text_at(&page, "#later-archive").contains("with the reason “Newer trial <results>”"));
    assert!(!page.contains("Newer trial <results>"), "escaped");
    assert_eq!(revisions(&pool, id).await, before + 2, "each a revision");
    assert_eq!(
        status_of(&pool, id).await,
        "published",
        "nothing happened yet"
    );

    // The dashboard's "Scheduled next": soonest first, saying what happens.
    let board = get(&app, "/admin", &ana).await.text;
    let next = board.split("Scheduled next").nth(1).unwrap();
    let archived_at = next
        .find("archived on February 1, 2099")
        .expect("the archive");
    let unpublished_at = next
        .find("unpublishes March 1, 2099")
        .expect("the unpublish");
    assert!(archived_at < unpublished_at);

    // Canceled: gone from the editor and the dashboard.
    let canceled = act(&app, &path, &ana, &[("action", "cancel_unpublish")]).await;
    let page = follow(&app, &ana, &canceled).await;
    assert_eq!(message(&page), "The scheduled unpublishing is canceled.");
    assert!(!page.contains("id=\"later-unpublish\""));
    assert!(page.contains("id=\"later-archive\""));
    assert!(
        !get(&app, "/admin", &ana)
            .await
            .text
            .contains("unpublishes March 1, 2099")
    );
    let again = act(&app, &path, &ana, &[("action", "cancel_unpublish")]).await;
    assert_eq!(again.status, 409);
    assert!(message(&again.text).contains("no unpublishing of this story is scheduled"));

    // Its hour comes: the scheduler archives it once, with the reason, as a revision.
    sqlx::query(
        "UPDATE scheduled_jobs SET run_at = now() - interval '1 second' WHERE article_id = $1",
    )
    .bind(id)
    .execute(&pool)
    .await
    .unwrap();
    let before = revisions(&pool, id).await;
    assert_eq!(dateline::jobs::scheduler::run_due(&pool).await, 1);
    assert_eq!(dateline::jobs::scheduler::run_due(&pool).await, 0);
    assert_eq!(revisions(&pool, id).await, before + 1);
    let page = get(&app, &path, &ana).await.text;
    assert!(text_at(&page, "#archive-details").contains("Newer trial <results>"));
    assert!(
        !page.contains("id=\"action-archive-later\""),
        "archived once"
    );
    let archived: bool = sqlx::query_scalar("SELECT archived FROM articles WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(archived);
}
