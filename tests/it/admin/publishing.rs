//! The editor's publishing buttons: the form saved first, confirmations that say what
//! happened, withdrawal with a reason, and each role offered only what it may do.

use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::admin::{
    act, create_story, editor, editor_form, follow, get, id_in, message, post_fields, sign_in,
};

#[sqlx::test]
async fn publishing_from_the_editor_saves_the_form_first_and_says_what_happened(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    editor(&pool, "bo@example.org").await;
    let app = TestApp::new(pool.clone());
    let ada = sign_in(&app, "ada@example.org").await;
    let bo = sign_in(&app, "bo@example.org").await;
    let path = create_story(
        &app,
        &ada,
        &[("title", "Draft headline"), ("body_markdown", "Old.")],
    )
    .await;
    let id = id_in(&path);

    // Typed, autosaved, never saved: "Publish now" publishes the form's text, not the saved one.
    let page = get(&app, &path, &ada).await;
    let typed = [
        ("title", "Trastuzumab keeps one in eleven in remission"),
        ("body_markdown", "New."),
    ];
    post_fields(
        &app,
        &format!("{path}/autosave"),
        &ada,
        &editor_form(&page.text, &typed),
    )
    .await;
    let mut form = editor_form(&page.text, &typed);
    form.push(("action".into(), "publish".into()));
    let published = post_fields(&app, &format!("{path}/action"), &ada, &form).await;
    let after = follow(&app, &ada, &published).await;
    assert_eq!(message(&after), "Saved and published.");
    let public = app.get("/research-news/draft-headline").await;
    assert_eq!(public.status, 200);
    assert!(
        public
            .text
            .contains("Trastuzumab keeps one in eleven in remission")
    );
    assert!(public.text.contains("<p>New.</p>"));
    // The autosave was of that text: nothing is offered back, and no conflict screen follows.
    assert!(!after.contains("autosave-notice"));
    let restored = get(&app, &format!("{path}?restore=autosave"), &ada).await;
    assert_eq!(restored.status, 200);
    assert!(!restored.text.contains("theirs-heading"));

    // Unchanged text: only the step is taken, and the message says just that.
    let page = get(&app, &path, &ada).await;
    let archived = act(
        &app,
        &path,
        &ada,
        &[("action", "archive"), ("reason", "Newer data.")],
    )
    .await;
    assert_eq!(message(&follow(&app, &ada, &archived).await), "Archived.");
    let page_after = get(&app, &path, &ada).await;
    let unarchived = post_fields(
        &app,
        &format!("{path}/action"),
        &ada,
        &editor_form(&page_after.text, &[("action", "unarchive")]),
    )
    .await;
    assert_eq!(
        message(&follow(&app, &ada, &unarchived).await),
        "Unarchived."
    );

    // A form loaded before someone else's save: refused, with both versions shown, nothing lost.
    let bo_page = get(&app, &path, &bo).await;
    let bo_saved = post_fields(
        &app,
        &path,
        &bo,
        &editor_form(&bo_page.text, &[("dek", "Bo's summary.")]),
    )
    .await;
    assert_eq!(bo_saved.status, 303);
    let stale = editor_form(
        &page.text,
        &[("action", "archive"), ("dek", "Ada's summary.")],
    );
    let refused = post_fields(&app, &format!("{path}/action"), &ada, &stale).await;
    assert_eq!(refused.status, 409);
    assert!(message(&refused.text).starts_with("Not archived: someone else saved this story"));
    assert!(
        refused.text.contains(">Ada&#39;s summary.</textarea>"),
        "the form keeps Ada's text"
    );
    let archived: bool = sqlx::query_scalar("SELECT archived FROM articles WHERE id = $1")
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!archived, "nothing was archived");

    // A bad field in the form: refused beside the field, nothing published.
    let second = create_story(&app, &ada, &[("title", "Second story")]).await;
    let bad = act(&app, &second, &ada, &[("action", "publish"), ("title", "")]).await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        message(&bad.text),
        "Not published: correct the fields marked below."
    );
    assert!(bad.text.contains("id=\"title-error\""));

    // Schedule says when; a past moment backdates, and says so.
    let scheduled = act(
        &app,
        &second,
        &ada,
        &[("action", "schedule"), ("publish_at", "2031-03-02T08:15")],
    )
    .await;
    assert_eq!(
        message(&follow(&app, &ada, &scheduled).await),
        "Scheduled for March 2, 2031, 8:15 AM."
    );
    let third = create_story(&app, &ada, &[("title", "Third story")]).await;
    let page = get(&app, &third, &ada).await;
    assert!(
        page.text.contains("A past time backdates it"),
        "the backdating is labelled"
    );
    let backdated = act(
        &app,
        &third,
        &ada,
        &[("action", "schedule"), ("publish_at", "2011-09-26T09:05")],
    )
    .await;
    assert_eq!(
        message(&follow(&app, &ada, &backdated).await),
        "Published, dated September 26, 2011, 9:05 AM."
    );
    let public = app.get("/research-news/third-story").await;
    assert!(
        public.text.contains("Sep 26, 2011"),
        "the backdated dateline"
    );
}

#[sqlx::test]
async fn withdrawing_asks_for_a_reason_that_readers_see_and_unpublish_undoes_it(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let ada = sign_in(&app, "ada@example.org").await;
    let path = create_story(&app, &ada, &[("title", "A retracted trial")]).await;
    act(&app, &path, &ada, &[("action", "publish")]).await;
    let page = get(&app, &path, &ada).await;
    // Not one click: the button sits inside a disclosure that explains it and asks why.
    let doc = scraper::Html::parse_document(&page.text);
    let inside = scraper::Selector::parse("details#withdraw button[value=withdraw]").unwrap();
    assert!(
        doc.select(&inside).next().is_some(),
        "Withdraw is behind a confirmation"
    );
    assert!(page.text.contains("id=\"withdraw_reason\""));
    let withdrawn = act(
        &app,
        &path,
        &ada,
        &[
            ("action", "withdraw"),
            ("withdraw_reason", "The journal retracted the study."),
        ],
    )
    .await;
    let after = follow(&app, &ada, &withdrawn).await;
    assert!(message(&after).starts_with("Withdrawn"));
    assert!(
        after.contains("id=\"action-unpublish\""),
        "unpublish is offered from withdrawn"
    );
    assert!(!after.contains("id=\"action-publish\""));
    let gone = app.get("/research-news/a-retracted-trial").await;
    assert_eq!(gone.status, 410);
    gone.assert_in_order(&[
        "This story has been withdrawn",
        "<h1>A retracted trial</h1>",
        "withdrawn",
        "The journal retracted the study.",
    ]);
    assert!(gone.text.contains("noindex"));
    let unpublished = act(&app, &path, &ada, &[("action", "unpublish")]).await;
    assert!(message(&follow(&app, &ada, &unpublished).await).starts_with("Unpublished"));
    assert_eq!(
        app.get("/research-news/a-retracted-trial").await.status,
        404
    );
}

#[sqlx::test]
async fn each_role_is_offered_only_what_the_policy_lets_it_do(pool: PgPool) {
    use dateline::domain::policy::Role;
    dateline::service::users::create_user(
        &pool,
        "cy@example.org",
        "Cy Contributor",
        Role::Contributor,
        crate::helpers::admin::PASSWORD,
    )
    .await
    .unwrap();
    editor(&pool, "ada@example.org").await;
    dateline::service::users::create_user(
        &pool,
        "al@example.org",
        "Al Admin",
        Role::Admin,
        crate::helpers::admin::PASSWORD,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool.clone());
    let cy = sign_in(&app, "cy@example.org").await;
    let ada = sign_in(&app, "ada@example.org").await;
    let al = sign_in(&app, "al@example.org").await;
    let nav = |html: &str| -> Vec<String> {
        let doc = scraper::Html::parse_document(html);
        doc.select(&scraper::Selector::parse("nav.admin-nav a").unwrap())
            .map(|a| a.text().collect())
            .collect()
    };
    assert_eq!(
        nav(&get(&app, "/admin", &cy).await.text),
        [
            "Dashboard",
            "New story",
            "Media",
            "People",
            "Synonyms",
            "Password"
        ]
    );
    assert_eq!(
        nav(&get(&app, "/admin", &ada).await.text),
        [
            "Dashboard",
            "New story",
            "Feedback",
            "Topics",
            "Media",
            "People",
            "Synonyms",
            "Archive policy",
            "Password"
        ]
    );
    assert_eq!(
        nav(&get(&app, "/admin", &al).await.text),
        [
            "Dashboard",
            "New story",
            "Feedback",
            "Topics",
            "Media",
            "People",
            "Synonyms",
            "Archive policy",
            "Users",
            "Webhooks",
            "Audit log",
            "Deleted stories",
            "Password"
        ]
    );
    assert!(
        !get(&app, "/admin", &cy)
            .await
            .text
            .contains("Feedback waiting")
    );

    // A contributor's draft: save, submit, preview links, delete; no publishing steps.
    let path = create_story(&app, &cy, &[("title", "Cy's draft")]).await;
    let page = get(&app, &path, &cy).await;
    for offered in [
        "save-button",
        "action-submit",
        "create-preview-link",
        "delete-story",
    ] {
        assert!(
            page.text.contains(&format!("id=\"{offered}\"")),
            "{offered}"
        );
    }
    for hidden in [
        "action-publish",
        "action-schedule",
        "action-unpublish",
        "action-archive",
        "action-withdraw",
    ] {
        assert!(!page.text.contains(&format!("id=\"{hidden}\"")), "{hidden}");
    }
    let submitted = act(&app, &path, &cy, &[("action", "submit")]).await;
    let locked = follow(&app, &cy, &submitted).await;
    assert_eq!(message(&locked), "Submitted for review.");
    // Locked for review: it says so, and offers nothing the server would refuse.
    assert!(locked.contains("id=\"read-only\""));
    assert!(locked.contains("with the editors for review"));
    for hidden in [
        "save-button",
        "action-submit",
        "delete-story",
        "create-preview-link",
        "data-autosave-url",
    ] {
        assert!(!locked.contains(hidden), "{hidden}");
    }
    assert!(locked.contains("<fieldset class=\"editor-fields\" disabled>"));
    // The server refuses what is not offered, as before.
    let forced = post_fields(&app, &path, &cy, &editor_form(&page.text, &[])).await;
    assert_eq!(forced.status, 403);

    // The editor sees it with the steps an editor may take; back to draft is "Send back to
    // draft", with a note for the author (issue 25), not a bare "Unpublish".
    let page = get(&app, &path, &ada).await;
    for offered in [
        "save-button",
        "action-publish",
        "action-schedule",
        "action-send-back",
    ] {
        assert!(
            page.text.contains(&format!("id=\"{offered}\"")),
            "{offered}"
        );
    }
    assert!(
        !page.text.contains("id=\"action-submit\""),
        "already in review"
    );
}
