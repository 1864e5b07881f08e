//! People in the admin UI: the list, adding and editing someone, deleting them, and picking
//! authors and the reviewer in the story editor; the dashboard's "Reviews due".

use dateline::domain::policy::Role;
use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::admin::{
    PASSWORD, create_story, csrf_in, editor, editor_form, get, id_in, post, post_fields, sign_in,
};

async fn add(app: &TestApp, cookie: &str, csrf: &str, fields: &[(&str, &str)]) -> String {
    let mut form = vec![("csrf", csrf)];
    form.extend_from_slice(fields);
    let made = post(app, "/admin/people", cookie, &form, &[]).await;
    assert_eq!(made.status, 303, "{}", made.text);
    made.header("location").to_owned()
}

#[sqlx::test]
async fn editors_add_edit_and_delete_people_and_say_what_they_did(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let page = get(&app, "/admin/people", &cookie).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<a href=\"/admin/people\">People</a>"));
    let csrf = csrf_in(&page.text);

    // Errors keep what was typed and name the field.
    let bad = post(
        &app,
        "/admin/people",
        &cookie,
        &[
            ("csrf", &csrf),
            ("name", ""),
            ("credentials", "MD"),
            ("same_as", "http://insecure.example.org"),
        ],
        &[],
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("value=\"MD\""));
    assert!(bad.text.contains("id=\"p-name-error\""));
    assert!(bad.text.contains("id=\"p-same-as-error\""));

    let location = add(
        &app,
        &cookie,
        &csrf,
        &[
            ("name", "Dr. Ana Ribeiro"),
            ("credentials", "MD, medical oncologist"),
            ("slug", ""),
            ("bio", "Treats breast cancer."),
            ("same_as", "https://orcid.org/0000-0002-1825-0097\r\n\r\n"),
        ],
    )
    .await;
    assert_eq!(location, "/admin/people/dr-ana-ribeiro?saved=added");
    let shown = get(&app, &location, &cookie).await;
    assert!(
        shown
            .text
            .contains("Added Dr. Ana Ribeiro. Their page is /people/dr-ana-ribeiro."),
        "{}",
        shown.text
    );
    assert!(app.get("/people/dr-ana-ribeiro").await.text.contains("Treats breast cancer."));

    // Someone else saved meanwhile: the form says so and keeps the text.
    let form_version = "1";
    let theirs = post(
        &app,
        "/admin/people/dr-ana-ribeiro",
        &cookie,
        &[
            ("csrf", &csrf),
            ("version", form_version),
            ("name", "Dr. Ana Ribeiro"),
            ("credentials", "MD, PhD, medical oncologist"),
            ("slug", "dr-ana-ribeiro"),
            ("bio", ""),
            ("same_as", ""),
        ],
        &[],
    )
    .await;
    assert_eq!(theirs.status, 303, "{}", theirs.text);
    let stale = post(
        &app,
        "/admin/people/dr-ana-ribeiro",
        &cookie,
        &[
            ("csrf", &csrf),
            ("version", form_version),
            ("name", "Ana Ribeiro"),
            ("credentials", "Oncologist"),
            ("slug", "dr-ana-ribeiro"),
            ("bio", "Mine"),
            ("same_as", ""),
        ],
        &[],
    )
    .await;
    assert_eq!(stale.status, 409);
    assert!(stale.text.contains("Someone else saved Dr. Ana Ribeiro"));
    assert!(stale.text.contains(">Mine</textarea>"));

    // Credited on a story: not deleted, and told why.
    create_story(
        &app,
        &cookie,
        &[("title", "Credited story"), ("author", "dr-ana-ribeiro")],
    )
    .await;
    let refused = post(
        &app,
        "/admin/people/dr-ana-ribeiro/delete",
        &cookie,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(refused.status, 409);
    assert!(
        refused
            .text
            .contains("Not deleted: Dr. Ana Ribeiro is credited on 1 story"),
        "{}",
        refused.text
    );

    add(&app, &cookie, &csrf, &[("name", "Kim Lee")]).await;
    let gone = post(
        &app,
        "/admin/people/kim-lee/delete",
        &cookie,
        &[("csrf", &csrf)],
        &[],
    )
    .await;
    assert_eq!(gone.status, 303, "{}", gone.text);
    assert_eq!(app.get("/people/kim-lee").await.status, 404);
    assert!(!get(&app, "/admin/people", &cookie).await.text.contains("Kim Lee"));
}

#[sqlx::test]
async fn contributors_see_people_but_are_offered_no_changes(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    dateline::service::users::create_user(
        &pool,
        "cal@example.org",
        "Cal Contributor",
        Role::Contributor,
        PASSWORD,
    )
    .await
    .unwrap();
    let app = TestApp::new(pool.clone());
    let ada = sign_in(&app, "ada@example.org").await;
    let csrf = csrf_in(&get(&app, "/admin/people", &ada).await.text);
    add(&app, &ada, &csrf, &[("name", "Kim Lee")]).await;

    let cal = sign_in(&app, "cal@example.org").await;
    let list = get(&app, "/admin/people", &cal).await;
    assert_eq!(list.status, 200);
    assert!(list.text.contains("Kim Lee"));
    assert!(!list.text.contains("id=\"person-form\""));
    let one = get(&app, "/admin/people/kim-lee", &cal).await;
    assert!(!one.text.contains("id=\"person-form\""));
    assert!(!one.text.contains("id=\"person-delete\""));
    let csrf = csrf_in(&list.text);
    for path in ["/admin/people", "/admin/people/kim-lee", "/admin/people/kim-lee/delete"] {
        let refused = post(&app, path, &cal, &[("csrf", &csrf), ("name", "X")], &[]).await;
        assert_eq!(refused.status, 403, "{path}");
    }
    // Contributors still credit people on their own drafts.
    let path = create_story(
        &app,
        &cal,
        &[("title", "Cal's draft"), ("author", "kim-lee")],
    )
    .await;
    let authors: Vec<String> = sqlx::query_scalar(
        "SELECT p.slug FROM article_authors aa JOIN people p ON p.id = aa.person_id WHERE aa.article_id = $1",
    )
    .bind(id_in(&path))
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(authors, ["kim-lee"]);
}

#[sqlx::test]
async fn the_editor_picks_authors_in_order_and_the_reviewer(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let csrf = csrf_in(&get(&app, "/admin/people", &cookie).await.text);
    for name in ["Lena Okafor", "Sam Whitfield", "Dr. Ana Ribeiro"] {
        add(&app, &cookie, &csrf, &[("name", name)]).await;
    }
    let blank = get(&app, "/admin/stories/new", &cookie).await;
    // Three byline slots to start with, each offering everyone.
    for n in 1..=3 {
        assert!(blank.text.contains(&format!("<select id=\"author-{n}\" name=\"author\"")));
    }
    assert!(!blank.text.contains("id=\"author-4\""));
    let mut fields = editor_form(&blank.text, &[("title", "Picked")]);
    fields.retain(|(name, _)| name != "author" && name != "review.reviewer");
    for (name, value) in [
        ("author", "sam-whitfield"),
        ("author", ""),
        ("author", "lena-okafor"),
        ("review.reviewer", "dr-ana-ribeiro"),
        ("review.last_reviewed", "2026-11-30"),
        ("review.next_review_due", "2020-01-01"),
    ] {
        fields.retain(|(n, _)| !(n == name && name.starts_with("review.")));
        fields.push((name.to_owned(), value.to_owned()));
    }
    let made = post_fields(&app, "/admin/stories", &cookie, &fields).await;
    // A next review before the last one is refused, with the form kept.
    assert_eq!(made.status, 422, "{}", made.text);
    assert!(made.text.contains("<option value=\"dr-ana-ribeiro\" selected>"));
    fields.retain(|(n, _)| n != "review.next_review_due");
    fields.push(("review.next_review_due".into(), "2027-05-30".into()));
    let made = post_fields(&app, "/admin/stories", &cookie, &fields).await;
    assert_eq!(made.status, 303, "{}", made.text);
    let path = made.header("location").split('?').next().unwrap().to_owned();
    let page = get(&app, &path, &cookie).await;
    // The slots hold the byline in order, and one more is offered.
    let doc = scraper::Html::parse_document(&page.text);
    let chosen: Vec<String> = (1..=4)
        .map(|n| {
            let selector = scraper::Selector::parse(&format!("#author-{n} option[selected]")).unwrap();
            doc.select(&selector)
                .next()
                .and_then(|o| o.value().attr("value"))
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(chosen, ["sam-whitfield", "lena-okafor", "", ""]);
    assert!(page.text.contains("<option value=\"dr-ana-ribeiro\" selected>"));
    // The review's dates, in words, with where the next one stands.
    assert!(
        page.text.contains("Last reviewed on November 30, 2026; next review due on May 30, 2027 (in "),
        "{}",
        page.text
    );
    let authors: Vec<String> = sqlx::query_scalar(
        "SELECT p.slug FROM article_authors aa JOIN people p ON p.id = aa.person_id WHERE aa.article_id = $1 ORDER BY aa.position",
    )
    .bind(id_in(&path))
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(authors, ["sam-whitfield", "lena-okafor"]);
}

#[sqlx::test]
async fn the_dashboard_queues_reviews_that_are_due(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    let cookie = sign_in(&app, "ada@example.org").await;
    let path = create_story(
        &app,
        &cookie,
        &[
            ("title", "Overdue for review"),
            ("review.reviewed_by", "Dr. X"),
            ("review.next_review_due", "2021-03-04"),
        ],
    )
    .await;
    create_story(
        &app,
        &cookie,
        &[("title", "Draft overdue"), ("review.next_review_due", "2021-03-04")],
    )
    .await;
    let published = crate::helpers::admin::act(&app, &path, &cookie, &[("action", "publish")]).await;
    assert_eq!(published.status, 303, "{}", published.text);
    let dashboard = get(&app, "/admin", &cookie).await;
    dashboard.assert_in_order(&[
        "<h2 id=\"reviews-due-heading\">Reviews due <span class=\"count\">1</span></h2>",
        &format!("<a href=\"{path}#review\">Overdue for review</a> <span class=\"when\">due March 4, 2021</span>"),
    ]);
    assert!(!dashboard.text[..dashboard.text.find("stories-heading").unwrap()].contains("Draft overdue"));
    let editor = get(&app, &path, &cookie).await;
    assert!(editor.text.contains("next review due on March 4, 2021 (overdue by "));
}
