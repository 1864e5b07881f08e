//! People on reader pages (CONTRACT §8): bylines and the review line on a story, JSON-LD,
//! `/people/{slug}`, and the reader-page details that came with them (related stories, feed
//! discovery, cards with topic and byline, study links, headline length in JSON-LD).

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, TestResponse, id_of, insert_topic, token_for};

/// The page's first JSON-LD object, parsed.
pub fn json_ld(page: &TestResponse) -> serde_json::Value {
    let open = r#"<script type="application/ld+json">"#;
    let start = page.text.find(open).expect("JSON-LD") + open.len();
    let end = start + page.text[start..].find("</script>").unwrap();
    serde_json::from_str(&page.text[start..end]).expect("JSON-LD parses")
}

async fn person(app: &TestApp, token: &str, body: serde_json::Value) {
    let created = app
        .api("POST", "/api/v1/people", Some(token), Some(body), &[])
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
}

/// A published story through the API; returns its JSON.
async fn publish(app: &TestApp, token: &str, body: serde_json::Value) -> serde_json::Value {
    let story = app.create_article(token, body).await;
    app.action(token, &id_of(&story), "publish", None).await
}

async fn newsroom(pool: &PgPool) -> (TestApp, String) {
    let token = token_for(pool, Role::Editor).await;
    insert_topic(pool, "breast-cancer", "Breast cancer", "").await;
    insert_topic(pool, "cancer-treatment", "Cancer treatment", "").await;
    insert_topic(pool, "nutrition", "Nutrition", "").await;
    let app = TestApp::new(pool.clone());
    person(
        &app,
        &token,
        json!({"name": "Lena Okafor", "credentials": "Health editor",
               "bio": "Edits our **research news**.",
               "same_as": ["https://orcid.org/0000-0002-1825-0097"]}),
    )
    .await;
    person(&app, &token, json!({"name": "Sam Whitfield"})).await;
    person(&app, &token, json!({"name": "Cy Moreau"})).await;
    person(
        &app,
        &token,
        json!({"name": "Dr. Ana Ribeiro", "credentials": "MD, medical oncologist"}),
    )
    .await;
    (app, token)
}

#[sqlx::test]
async fn a_story_shows_its_byline_and_review_line_between_dek_and_dateline(pool: PgPool) {
    let (app, token) = newsroom(&pool).await;
    publish(
        &app,
        &token,
        json!({
            "title": "Long remission after trastuzumab",
            "slug": "long-remission",
            "dek": "One in eleven women stayed in remission.",
            "authors": ["lena-okafor", "sam-whitfield", "cy-moreau"],
            "review": {"reviewer": "dr-ana-ribeiro", "last_reviewed": "2022-02-22"}
        }),
    )
    .await;
    let page = app.get("/research-news/long-remission").await;
    assert_eq!(page.status, 200);
    page.assert_in_order(&[
        "<h1 class=\"story-title\">Long remission after trastuzumab</h1>",
        "One in eleven women stayed in remission.",
        "<p class=\"story-byline\">By <a href=\"/people/lena-okafor\" rel=\"author\">Lena Okafor</a>, <a href=\"/people/sam-whitfield\" rel=\"author\">Sam Whitfield</a> and <a href=\"/people/cy-moreau\" rel=\"author\">Cy Moreau</a></p>",
        "<p class=\"story-review\">Medically reviewed by <a href=\"/people/dr-ana-ribeiro\">Dr. Ana Ribeiro</a>, MD, medical oncologist, on <time datetime=\"2022-02-22\">February 22, 2022</time></p>",
        "<p class=\"story-dateline\">",
    ]);

    let ld = json_ld(&page);
    assert_eq!(
        ld["author"],
        json!([
            {"@type": "Person", "name": "Lena Okafor", "url": "https://news.example.org/people/lena-okafor", "description": "Health editor"},
            {"@type": "Person", "name": "Sam Whitfield", "url": "https://news.example.org/people/sam-whitfield"},
            {"@type": "Person", "name": "Cy Moreau", "url": "https://news.example.org/people/cy-moreau"}
        ])
    );
    let medical = &ld["mainEntityOfPage"];
    assert_eq!(medical["@type"], "MedicalWebPage");
    assert_eq!(
        medical["reviewedBy"],
        json!({"@type": "Person", "name": "Dr. Ana Ribeiro",
               "url": "https://news.example.org/people/dr-ana-ribeiro",
               "description": "MD, medical oncologist"})
    );
    assert_eq!(medical["lastReviewed"], "2022-02-22");
}

#[sqlx::test]
async fn a_reviewer_without_a_page_is_named_in_plain_text_and_one_author_alone(pool: PgPool) {
    let (app, token) = newsroom(&pool).await;
    publish(
        &app,
        &token,
        json!({
            "title": "A story", "slug": "a-story", "authors": ["sam-whitfield"],
            "review": {"reviewed_by": "Dr. Jo Park, cardiologist", "last_reviewed": "2025-01-05"}
        }),
    )
    .await;
    publish(
        &app,
        &token,
        json!({"title": "Unsigned", "slug": "unsigned"}),
    )
    .await;
    let page = app.get("/research-news/a-story").await;
    assert!(page.text.contains(
        "<p class=\"story-byline\">By <a href=\"/people/sam-whitfield\" rel=\"author\">Sam Whitfield</a></p>"
    ));
    assert!(page.text.contains(
        "<p class=\"story-review\">Medically reviewed by Dr. Jo Park, cardiologist, on <time datetime=\"2025-01-05\">January 5, 2025</time></p>"
    ), "{}", page.text);
    assert_eq!(
        json_ld(&page)["mainEntityOfPage"]["reviewedBy"],
        json!({"@type": "Person", "name": "Dr. Jo Park, cardiologist"})
    );
    let unsigned = app.get("/research-news/unsigned").await;
    assert!(!unsigned.text.contains("story-byline"));
    assert!(!unsigned.text.contains("story-review"));
    assert!(json_ld(&unsigned).get("author").is_none());
}

#[sqlx::test]
async fn a_person_page_lists_what_they_wrote_and_reviewed_newest_first(pool: PgPool) {
    let (app, token) = newsroom(&pool).await;
    let older = publish(
        &app,
        &token,
        json!({"title": "Older story", "authors": ["lena-okafor"], "topics": ["nutrition"]}),
    )
    .await;
    publish(
        &app,
        &token,
        json!({"title": "Reviewed story", "authors": ["sam-whitfield"],
               "review": {"reviewer": "lena-okafor"}}),
    )
    .await;
    // Drafts are not listed.
    app.create_article(
        &token,
        json!({"title": "Draft story", "authors": ["lena-okafor"]}),
    )
    .await;
    // Backdate the older one so the order is certain.
    app.action(&token, &id_of(&older), "unpublish", None).await;
    app.action(
        &token,
        &id_of(&older),
        "publish",
        Some(json!({"at": "2020-01-01T12:00:00Z"})),
    )
    .await;

    let page = app.get("/people/lena-okafor").await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.assert_in_order(&[
        "<h1 class=\"page-title\">Lena Okafor</h1>",
        "<p class=\"person-credentials\">Health editor</p>",
        "Edits our <strong>research news</strong>.",
        "href=\"https://orcid.org/0000-0002-1825-0097\"",
        "Reviewed story",
        "Medical reviewer",
        "Older story",
        "Author",
    ]);
    assert!(!page.text.contains("Draft story"));
    let ld = json_ld(&page);
    assert_eq!(ld["@type"], "ProfilePage");
    assert_eq!(ld["mainEntity"]["@type"], "Person");
    assert_eq!(ld["mainEntity"]["name"], "Lena Okafor");
    assert_eq!(
        ld["mainEntity"]["sameAs"],
        json!(["https://orcid.org/0000-0002-1825-0097"])
    );
    assert_eq!(
        page.text
            .matches(
                "<link rel=\"canonical\" href=\"https://news.example.org/people/lena-okafor\">"
            )
            .count(),
        1
    );
    assert_eq!(app.get("/people/nobody").await.status, 404);
    assert_eq!(app.get("/people/lena-okafor?page=2").await.status, 404);
    assert_eq!(app.get("/people/lena-okafor?page=x").await.status, 400);

    let sitemap = app.get("/sitemap.xml").await;
    assert!(
        sitemap
            .text
            .contains("<loc>https://news.example.org/people/lena-okafor</loc>"),
        "{}",
        sitemap.text
    );
}

#[sqlx::test]
async fn changing_a_person_refreshes_the_cached_pages_that_name_them(pool: PgPool) {
    let (app, token) = newsroom(&pool).await;
    publish(
        &app,
        &token,
        json!({"title": "Cached story", "slug": "cached-story", "authors": ["sam-whitfield"],
               "topics": ["nutrition"]}),
    )
    .await;
    // Warm the cache: the story, the front page, the topic page, the person's page, the feed.
    let paths = [
        "/research-news/cached-story",
        "/",
        "/topics/nutrition",
        "/people/sam-whitfield",
        "/feed.xml",
    ];
    for path in paths {
        let first = app.get(path).await;
        assert!(
            first.text.contains("Sam Whitfield"),
            "{path}: {}",
            first.text
        );
        // Cached, under the person's key.
        let keys = first.header("surrogate-key").to_owned();
        assert!(
            keys.split(' ').any(|k| k == "person-sam-whitfield"),
            "{path}: {keys}"
        );
        assert_eq!(
            app.get(path).await.header("etag"),
            first.header("etag"),
            "{path}"
        );
    }
    let renamed = app
        .api(
            "PATCH",
            "/api/v1/people/sam-whitfield",
            Some(&token),
            Some(json!({"name": "Samuel Whitfield"})),
            &[],
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    for path in paths {
        let page = app.get(path).await;
        assert!(page.text.contains("Samuel Whitfield"), "{path} still stale");
    }
    // A story newly crediting someone refreshes their page.
    publish(
        &app,
        &token,
        json!({"title": "Second story", "authors": ["sam-whitfield"]}),
    )
    .await;
    assert!(
        app.get("/people/sam-whitfield")
            .await
            .text
            .contains("Second story")
    );
}

#[sqlx::test]
async fn a_story_links_related_stories_sharing_the_most_topics(pool: PgPool) {
    let (app, token) = newsroom(&pool).await;
    let main = json!({"title": "Main story", "slug": "main-story",
                      "topics": ["breast-cancer", "cancer-treatment"]});
    publish(&app, &token, main).await;
    publish(
        &app,
        &token,
        json!({"title": "Shares one", "topics": ["cancer-treatment"]}),
    )
    .await;
    let both = publish(
        &app,
        &token,
        json!({"title": "Shares both", "topics": ["breast-cancer", "cancer-treatment"]}),
    )
    .await;
    publish(
        &app,
        &token,
        json!({"title": "Shares none", "topics": ["nutrition"]}),
    )
    .await;
    app.create_article(
        &token,
        json!({"title": "Draft sharing", "topics": ["breast-cancer"]}),
    )
    .await;
    app.action(&token, &id_of(&both), "archive", None).await;
    let page = app.get("/research-news/main-story").await;
    page.assert_in_order(&[
        "<h2 id=\"topics-title\">Related topics</h2>",
        "<h2 id=\"related-title\">Related stories</h2>",
        ">Shares both</a> <span class=\"badge badge-archived\">Archived</span>",
        ">Shares one</a>",
        "Last updated on",
    ]);
    let related = &page.text[page.text.find("related-title").unwrap()..];
    let related = &related[..related.find("</nav>").unwrap()];
    assert!(!related.contains("Main story"));
    assert!(!related.contains("Shares none"));
    assert!(!related.contains("Draft sharing"));
}

#[sqlx::test]
async fn every_page_announces_its_feeds_and_links_the_corrections(pool: PgPool) {
    let (app, token) = newsroom(&pool).await;
    publish(
        &app,
        &token,
        json!({"title": "A story", "slug": "a-story", "topics": ["nutrition"]}),
    )
    .await;
    let site_feed = "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Dateline: research news\" href=\"/feed.xml\">";
    for path in [
        "/",
        "/research-news",
        "/research-news/a-story",
        "/topics",
        "/topics/nutrition",
        "/archive",
        "/search?q=story",
        "/people/lena-okafor",
        "/corrections",
        "/no-such-page",
    ] {
        let page = app.get(path).await;
        assert!(page.text.contains(site_feed), "{path}");
        assert!(
            page.text
                .contains("<a href=\"/corrections\">Corrections</a>"),
            "{path}"
        );
    }
    let topic = app.get("/topics/nutrition").await;
    assert!(topic.text.contains(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Dateline: Nutrition\" href=\"/topics/nutrition/feed.xml\">"
    ));
}

#[sqlx::test]
async fn story_cards_show_their_topic_and_byline(pool: PgPool) {
    let (app, token) = newsroom(&pool).await;
    publish(
        &app,
        &token,
        json!({"title": "Carded story", "topics": ["nutrition", "breast-cancer"],
               "authors": ["lena-okafor", "sam-whitfield"]}),
    )
    .await;
    for path in [
        "/",
        "/research-news",
        "/topics/breast-cancer",
        "/search?q=carded",
    ] {
        let page = app.get(path).await;
        page.assert_in_order(&[
            "<p class=\"story-card-topic\"><a href=\"/topics/nutrition\">Nutrition</a></p>",
            ">Carded story</a>",
            "<span class=\"story-card-byline\">By Lena Okafor and Sam Whitfield</span>",
        ]);
    }
}

#[sqlx::test]
async fn the_study_box_keeps_the_link_beside_the_doi_and_links_trial_registrations(pool: PgPool) {
    let (app, token) = newsroom(&pool).await;
    publish(
        &app,
        &token,
        json!({"title": "A trial", "slug": "a-trial",
               "study": {"doi": "10.5555/trial.1", "url": "https://example.org/trial",
                         "trial_id": "NCT01234567"}}),
    )
    .await;
    publish(
        &app,
        &token,
        json!({"title": "Another trial", "slug": "another-trial",
               "study": {"trial_id": "EudraCT 2010-012345-67"}}),
    )
    .await;
    let page = app.get("/research-news/a-trial").await;
    page.assert_in_order(&[
        "<a href=\"https://clinicaltrials.gov/study/NCT01234567\" rel=\"noopener nofollow\">NCT01234567</a>",
        "<a href=\"https://example.org/trial\" rel=\"noopener nofollow\">https://example.org/trial</a>",
    ]);
    assert!(
        page.text
            .contains("<a href=\"https://doi.org/10.5555/trial.1\"")
    );
    let other = app.get("/research-news/another-trial").await;
    assert!(
        other.text.contains("<dd>EudraCT 2010-012345-67</dd>"),
        "{}",
        other.text
    );
}

#[sqlx::test]
async fn json_ld_headlines_are_cut_to_110_characters_at_a_word(pool: PgPool) {
    let (app, token) = newsroom(&pool).await;
    let title = "Women with metastatic HER2-positive breast cancer treated with chemotherapy plus trastuzumab stayed in remission for three years or more";
    assert!(title.chars().count() > 110);
    publish(
        &app,
        &token,
        json!({"title": title, "slug": "long-headline"}),
    )
    .await;
    let page = app.get("/research-news/long-headline").await;
    // The page shows the whole headline; structured data takes at most 110 characters.
    assert!(
        page.text
            .contains(&format!("<h1 class=\"story-title\">{title}</h1>"))
    );
    let headline = json_ld(&page)["headline"].as_str().unwrap().to_owned();
    assert!(headline.chars().count() <= 110, "{headline}");
    assert!(title.starts_with(&headline), "{headline}");
    assert_eq!(&title[headline.len()..headline.len() + 1], " ");
}
