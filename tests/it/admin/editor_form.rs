//! The editor form for the editors' desk (issue 25): headline and summary shown whole with
//! counters, the body's length, the search and social fields with their previews, errors
//! beside their fields with a summary that links to each, and a preview of what readers see.

use sqlx::PgPool;

use crate::helpers::TestApp;
use crate::helpers::admin::{
    create_story, csrf_in, editor, editor_form, get, post, post_fields, sign_in,
};

fn text_of(html: &str, css: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse(css).unwrap())
        .next()
        .unwrap_or_else(|| panic!("{css} in the page"))
        .text()
        .collect::<String>()
}

fn attr_of(html: &str, css: &str, attr: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse(css).unwrap())
        .next()
        .and_then(|el| el.value().attr(attr).map(str::to_owned))
}

#[sqlx::test]
async fn headline_and_summary_are_shown_whole_with_counters_and_the_body_with_its_length(
    pool: PgPool,
) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "ada@example.org").await;
    let headline = format!(
        "Trastuzumab {}and remission",
        "with chemotherapy ".repeat(9)
    );
    let body = "word ".repeat(461);
    let path = create_story(
        &app,
        &cookie,
        &[
            ("title", &headline),
            ("dek", "Eleven of 120 women é."),
            ("body_markdown", &body),
        ],
    )
    .await;
    let page = get(&app, &path, &cookie).await;
    assert_eq!(page.status, 200);
    // Multi-line fields holding the whole text, not a one-line box that hides most of it.
    assert_eq!(text_of(&page.text, "textarea#title"), headline.trim());
    assert_eq!(
        text_of(&page.text, "textarea#dek"),
        "Eleven of 120 women é."
    );
    let count = headline.trim().chars().count();
    assert_eq!(
        text_of(&page.text, "#title-count"),
        format!("{count} / 200 characters")
    );
    assert_eq!(
        text_of(&page.text, "#dek-count"),
        "22 / 400 characters",
        "characters, not bytes"
    );
    assert_eq!(
        attr_of(&page.text, "textarea#title", "aria-describedby").as_deref(),
        Some("title-count")
    );
    assert_eq!(
        text_of(&page.text, "#body-stats"),
        "461 words · about 3 minutes to read"
    );
    assert_eq!(text_of(&page.text, "#seo_title-count"), "0 / 70 characters");
    assert_eq!(
        text_of(&page.text, "#meta_description-count"),
        "0 / 160 characters"
    );
    // Save and the publishing steps sit in one bar.
    let doc = scraper::Html::parse_document(&page.text);
    let bar = doc
        .select(&scraper::Selector::parse("#editor-bar").unwrap())
        .next()
        .expect("the bar");
    let ids: Vec<_> = bar
        .select(&scraper::Selector::parse("button").unwrap())
        .filter_map(|b| b.value().attr("id"))
        .collect();
    assert_eq!(ids, ["save-button", "action-submit", "action-publish"]);
}

#[sqlx::test]
async fn seo_fields_are_saved_from_the_form_autosaved_and_previewed_as_a_result_and_a_card(
    pool: PgPool,
) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "ada@example.org").await;
    let path = create_story(
        &app,
        &cookie,
        &[
            ("title", "Beetroot juice and blood pressure"),
            ("dek", "A small trial."),
        ],
    )
    .await;
    // Empty: the previews use the headline and the dek.
    let page = get(&app, &path, &cookie).await;
    assert_eq!(
        text_of(&page.text, "#serp-title"),
        "Beetroot juice and blood pressure · Dateline"
    );
    assert_eq!(
        text_of(&page.text, "#serp-url"),
        "news.example.org › research-news › beetroot-juice-and-blood-pressure"
    );
    assert_eq!(text_of(&page.text, "#serp-description"), "A small trial.");
    assert_eq!(
        attr_of(&page.text, "textarea#seo_title", "placeholder").as_deref(),
        Some("Beetroot juice and blood pressure")
    );

    // 160 characters: allowed, and longer than a search result shows.
    let description = format!("Nitrate {}lowered.", "in beetroot juice ".repeat(8));
    assert_eq!(description.chars().count(), 160);
    let saved = post_fields(
        &app,
        &path,
        &cookie,
        &editor_form(
            &page.text,
            &[
                ("seo_title", "Beetroot <juice> & blood pressure"),
                ("meta_description", &description),
            ],
        ),
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let page = get(&app, &path, &cookie).await;
    assert_eq!(
        text_of(&page.text, "textarea#seo_title"),
        "Beetroot <juice> & blood pressure"
    );
    assert!(
        page.text
            .contains("Beetroot &#60;juice&#62; &#38; blood pressure")
    );
    assert_eq!(
        text_of(&page.text, "#serp-title"),
        "Beetroot <juice> & blood pressure · Dateline"
    );
    let shown = text_of(&page.text, "#serp-description");
    assert!(shown.ends_with('…'), "{shown}");
    assert!(shown.chars().count() <= 155, "{shown}");
    assert_eq!(text_of(&page.text, "#card-description"), description);
    assert_eq!(text_of(&page.text, "#card-site"), "NEWS.EXAMPLE.ORG");
    assert_eq!(
        text_of(&page.text, "#card-title"),
        "Beetroot <juice> & blood pressure"
    );

    // Autosave keeps the new fields too, and gives them back.
    let autosaved = post_fields(
        &app,
        &format!("{path}/autosave"),
        &cookie,
        &editor_form(&page.text, &[("seo_title", "Autosaved title")]),
    )
    .await;
    assert_eq!(autosaved.status, 200, "{}", autosaved.text);
    let offered = get(&app, &path, &cookie).await;
    assert!(
        offered.text.contains("id=\"autosave-notice\""),
        "an autosave differs"
    );
    let restored = get(&app, &format!("{path}?restore=autosave"), &cookie).await;
    assert_eq!(
        text_of(&restored.text, "textarea#seo_title"),
        "Autosaved title"
    );
}

#[sqlx::test]
async fn bad_fields_are_marked_beside_themselves_and_the_summary_links_to_each_in_form_order(
    pool: PgPool,
) {
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "ada@example.org").await;
    let path = create_story(&app, &cookie, &[("title", "A story")]).await;
    let page = get(&app, &path, &cookie).await;
    let long = "x".repeat(71);
    let refused = post_fields(
        &app,
        &path,
        &cookie,
        &editor_form(
            &page.text,
            &[
                ("study.doi", "not a doi"),
                ("seo_title", &long),
                ("meta_description", &"y".repeat(161)),
                ("title", ""),
            ],
        ),
    )
    .await;
    assert_eq!(refused.status, 422, "never a 500");
    let html = &refused.text;
    assert_eq!(
        text_of(html, "#seo_title-error"),
        "Search and social title: must be at most 70 characters."
    );
    assert_eq!(
        attr_of(html, "textarea#seo_title", "aria-invalid").as_deref(),
        Some("true")
    );
    assert_eq!(
        text_of(html, "textarea#seo_title"),
        long,
        "the text is kept"
    );
    assert_eq!(
        text_of(html, "#seo_title-count"),
        "1 character too many (71 / 70)"
    );
    assert!(html.contains("id=\"meta_description-error\""));
    // The summary: each line links to its field, in the order of the form.
    let doc = scraper::Html::parse_document(html);
    let links: Vec<String> = doc
        .select(&scraper::Selector::parse("#error-summary a").unwrap())
        .filter_map(|a| a.value().attr("href").map(str::to_owned))
        .collect();
    assert_eq!(
        links,
        ["#title", "#seo_title", "#meta_description", "#study_doi"]
    );
    for href in &links {
        let id = &href[1..];
        // The linked control exists, is marked, and its error is shown beside it.
        let marked = format!("#{id}[aria-invalid=\"true\"]");
        assert!(
            doc.select(&scraper::Selector::parse(&marked).unwrap())
                .next()
                .is_some(),
            "{id} is marked"
        );
        let described = attr_of(html, &format!("#{id}"), "aria-describedby").unwrap_or_default();
        assert!(
            described.contains(&format!("{id}-error")),
            "{id} is described by its error: {described}"
        );
    }
    assert!(text_of(html, "#error-summary").contains("Please correct the fields marked below:"));
}

#[sqlx::test]
async fn the_preview_shows_headline_summary_byline_body_and_study_box_escaped(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    let admin = dateline::service::users::create_user(
        &pool,
        "root@example.org",
        "Root Admin",
        dateline::domain::policy::Role::Admin,
        "correct horse battery staple 42",
    )
    .await
    .unwrap();
    let actor = dateline::domain::policy::Actor {
        id: admin,
        role: dateline::domain::policy::Role::Admin,
    };
    let person = dateline::service::people::create(
        &pool,
        actor,
        dateline::domain::person::PersonChanges {
            slug: Some("dr-ana-ribeiro".into()),
            name: Some("Ana Ribeiro".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .value;
    assert_eq!(person.slug, "dr-ana-ribeiro");
    let app = TestApp::new(pool);
    let cookie = sign_in(&app, "ada@example.org").await;
    let page = get(&app, "/admin/stories/new", &cookie).await;
    let csrf = csrf_in(&page.text);
    let preview = post(
        &app,
        "/admin/preview",
        &cookie,
        &[
            ("csrf", &csrf),
            ("title", "Beetroot <script>alert(1)</script>"),
            ("dek", "A small trial."),
            ("author", "dr-ana-ribeiro"),
            ("body_markdown", "Nitrate **lowered** it."),
            ("study.citation", "Hypertension 2015"),
            ("study.sample_size", "64"),
        ],
        &[],
    )
    .await;
    assert_eq!(preview.status, 200, "{}", preview.text);
    let html = &preview.text;
    assert!(!html.contains("<script"), "{html}");
    assert_eq!(
        text_of(html, ".story-title"),
        "Beetroot <script>alert(1)</script>"
    );
    assert_eq!(text_of(html, ".story-dek"), "A small trial.");
    assert_eq!(text_of(html, ".story-byline"), "By Ana Ribeiro");
    assert_eq!(
        attr_of(html, ".story-byline a", "href").as_deref(),
        Some("/people/dr-ana-ribeiro")
    );
    assert!(html.contains("<strong>lowered</strong>"));
    assert!(text_of(html, ".study-box").contains("Hypertension 2015"));
    // The editor page shows the same preview of the saved story.
    let path = create_story(
        &app,
        &cookie,
        &[("title", "Saved headline"), ("study.citation", "BMJ 2020")],
    )
    .await;
    let page = get(&app, &path, &cookie).await;
    assert_eq!(
        text_of(&page.text, "#editor-preview .story-title"),
        "Saved headline"
    );
    assert!(text_of(&page.text, "#editor-preview .study-box").contains("BMJ 2020"));
}

#[sqlx::test]
async fn a_conflict_keeps_my_seo_fields_in_the_form_and_shows_theirs_beside_it(pool: PgPool) {
    editor(&pool, "ada@example.org").await;
    editor(&pool, "bo@example.org").await;
    let app = TestApp::new(pool);
    let ada = sign_in(&app, "ada@example.org").await;
    let bo = sign_in(&app, "bo@example.org").await;
    let path = create_story(&app, &ada, &[("title", "A story")]).await;
    let ada_page = get(&app, &path, &ada).await;
    let bo_page = get(&app, &path, &bo).await;
    let bo_saved = post_fields(
        &app,
        &path,
        &bo,
        &editor_form(&bo_page.text, &[("seo_title", "Bo's title")]),
    )
    .await;
    assert_eq!(bo_saved.status, 303);
    let conflict = post_fields(
        &app,
        &path,
        &ada,
        &editor_form(&ada_page.text, &[("meta_description", "Ada's description")]),
    )
    .await;
    assert_eq!(conflict.status, 409);
    assert_eq!(text_of(&conflict.text, "#theirs-seo-title"), "Bo's title");
    assert_eq!(
        text_of(&conflict.text, "textarea#meta_description"),
        "Ada's description",
        "nothing of mine is lost"
    );
}

#[sqlx::test]
async fn the_lead_image_shows_in_the_preview_and_on_the_card_and_seo_changes_in_the_history(
    pool: PgPool,
) {
    editor(&pool, "ada@example.org").await;
    let token = crate::helpers::token_for(&pool, dateline::domain::policy::Role::Editor).await;
    let app = TestApp::new(pool);
    let image = app
        .upload_image(
            &token,
            &crate::helpers::images::png(1200, 630, None),
            "Beetroot on a table",
        )
        .await;
    let image_id = image["id"].as_str().unwrap().to_owned();
    let cookie = sign_in(&app, "ada@example.org").await;
    let path = create_story(
        &app,
        &cookie,
        &[("title", "Beetroot"), ("lead_image", &image_id)],
    )
    .await;
    let page = get(&app, &path, &cookie).await;
    assert_eq!(
        attr_of(&page.text, "#editor-preview .story-lead img", "alt").as_deref(),
        Some("Beetroot on a table")
    );
    let card = attr_of(&page.text, "#card-image", "src").expect("the card's image");
    assert!(card.starts_with("/media/"), "{card}");
    assert!(!page.text.contains("id=\"card-image-none\""));

    // A change of the search fields is named in the revision history's diff.
    let saved = post_fields(
        &app,
        &path,
        &cookie,
        &editor_form(&page.text, &[("seo_title", "Beetroot and blood pressure")]),
    )
    .await;
    assert_eq!(saved.status, 303);
    let history = get(&app, &format!("{path}/revisions"), &cookie).await;
    assert!(
        history.text.contains("Search and social title"),
        "{}",
        history.text
    );
    assert!(history.text.contains("Beetroot and blood pressure"));
}
