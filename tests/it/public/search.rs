//! `GET /search`: ranked full-text search with highlighted snippets.

use dateline::domain::article::{ArticleStatus, Study};
use sqlx::PgPool;

use crate::helpers::{ArticleBuilder, TestApp, insert_topic};

fn titles(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(".story-card-title a").unwrap();
    doc.select(&selector)
        .map(|a| a.text().collect::<String>())
        .collect()
}

#[sqlx::test]
async fn a_title_match_ranks_above_a_body_match_and_stems_match(pool: PgPool) {
    ArticleBuilder::new("Diet and sleep")
        .body("Some patients reached remission after the diet.")
        .insert(&pool)
        .await;
    ArticleBuilder::new("Remission after trastuzumab")
        .body("Women were followed for years.")
        .insert(&pool)
        .await;
    ArticleBuilder::new("Unrelated")
        .body("Nothing about it.")
        .insert(&pool)
        .await;
    let page = TestApp::new(pool).get("/search?q=remissions").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        titles(&page.text),
        vec!["Remission after trastuzumab", "Diet and sleep"]
    );
    assert!(
        page.text.contains("<mark>remission</mark>"),
        "highlighted snippet"
    );
    assert!(page.text.contains("2 stories match"));
}

#[sqlx::test]
async fn drafts_and_deleted_stories_are_never_found(pool: PgPool) {
    ArticleBuilder::new("Secret embargoed trial")
        .status(ArticleStatus::Draft)
        .insert(&pool)
        .await;
    ArticleBuilder::new("Scheduled embargoed trial")
        .status(ArticleStatus::Scheduled)
        .insert(&pool)
        .await;
    ArticleBuilder::new("Withdrawn embargoed trial")
        .status(ArticleStatus::Withdrawn)
        .insert(&pool)
        .await;
    let deleted = ArticleBuilder::new("Deleted embargoed trial")
        .insert(&pool)
        .await;
    sqlx::query("UPDATE articles SET deleted_at = now() WHERE id = $1")
        .bind(deleted)
        .execute(&pool)
        .await
        .unwrap();
    let page = TestApp::new(pool).get("/search?q=embargoed").await;
    assert_eq!(page.status, 200);
    assert!(titles(&page.text).is_empty());
    assert!(page.text.contains("No stories match"));
}

#[sqlx::test]
async fn search_covers_dek_and_study_citation_and_filters_by_topic_and_archive(pool: PgPool) {
    insert_topic(&pool, "heart", "Heart", "").await;
    ArticleBuilder::new("Blood pressure targets")
        .study(Study {
            citation: Some("SPRINT Research Group, NEJM 2015".into()),
            ..Study::default()
        })
        .topics(&["heart"])
        .insert(&pool)
        .await;
    ArticleBuilder::new("Another story")
        .dek("What SPRINT means for you")
        .archived(time::macros::datetime!(2024-01-01 0:00 UTC), None)
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    assert_eq!(titles(&app.get("/search?q=sprint").await.text).len(), 2);
    assert_eq!(
        titles(&app.get("/search?q=sprint&topic=heart").await.text),
        vec!["Blood pressure targets"]
    );
    assert_eq!(
        titles(&app.get("/search?q=sprint&archived=true").await.text),
        vec!["Another story"]
    );
    assert_eq!(
        titles(&app.get("/search?q=%22sprint+means%22").await.text),
        vec!["Another story"],
        "phrase"
    );
    assert_eq!(
        titles(&app.get("/search?q=sprint+-pressure").await.text),
        vec!["Another story"],
        "exclusion"
    );
    assert_eq!(
        titles(&app.get("/search?q=nejm+or+means").await.text).len(),
        2,
        "or"
    );
}

#[sqlx::test]
async fn hostile_queries_never_fail(pool: PgPool) {
    ArticleBuilder::new("Remission <b>bold</b>")
        .body("A <script>alert(1)</script> remission body")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    let long = "remission ".repeat(1_100);
    let queries = [
        "",
        " ",
        "!!!",
        "&",
        "|",
        "!",
        "()",
        "(((",
        "-",
        "--",
        "\"",
        "\"\"\"",
        "or",
        "or or or",
        "-remission",
        "a:*",
        "remission:*",
        "' OR 1=1 --",
        "'; DROP TABLE articles; --",
        "\0",
        "remission\0",
        "\\",
        "\u{202E}",
        "\u{1F9EC}",
        "\u{FFFF}",
        "\u{E000}remission\u{E001}",
        "नि",
        "<script>alert(1)</script>",
        "%",
        "_",
        "remission&page=0",
        "\u{7F}\u{1}",
    ];
    for q in queries {
        let encoded: String = url::form_urlencoded::byte_serialize(q.as_bytes()).collect();
        let page = app.get(&format!("/search?q={encoded}")).await;
        assert!(page.status.as_u16() < 500, "{q:?}: {}", page.status);
    }
    let page = app
        .get(&format!("/search?q={}", long.replace(' ', "+")))
        .await;
    assert_eq!(page.status, 200);
    let page = app.get("/search?q=remission").await;
    assert!(
        !page.text.contains("<script>alert(1)"),
        "snippets are escaped"
    );
    assert!(!page.text.contains("<b>bold</b>"));
    crate::api::xss::assert_inert(&page.text, "search results");
    let reflected = app
        .get("/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    crate::api::xss::assert_inert(&reflected.text, "reflected query");
}

/// The search table is kept by the database: publishing adds a story, an edit re-indexes it,
/// archiving keeps it findable, unpublishing and deleting take it out.
#[sqlx::test]
async fn the_index_follows_every_editorial_change(pool: PgPool) {
    use dateline::domain::policy::Role;
    use serde_json::json;

    let token = crate::helpers::token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    let created = app
        .create_article(
            &token,
            json!({"title": "Glaucoma drops", "slug": "glaucoma", "body_markdown": "A trial of eye drops."}),
        )
        .await;
    let id = crate::helpers::id_of(&created);
    assert!(titles(&app.get("/search?q=glaucoma").await.text).is_empty());

    app.action(&token, &id, "publish", None).await;
    assert_eq!(
        titles(&app.get("/search?q=glaucoma").await.text),
        ["Glaucoma drops"]
    );

    let edited = app
        .api(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            Some(json!({"title": "Cataract surgery", "change_kind": "update",
                        "change_note": "New title."})),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text);
    assert!(titles(&app.get("/search?q=glaucoma").await.text).is_empty());
    assert_eq!(
        titles(&app.get("/search?q=cataract").await.text),
        ["Cataract surgery"]
    );

    app.action(
        &token,
        &id,
        "archive",
        Some(json!({"reason": "Superseded."})),
    )
    .await;
    assert_eq!(
        titles(&app.get("/search?q=cataract&archived=true").await.text).len(),
        1
    );

    app.action(&token, &id, "unpublish", None).await;
    assert!(titles(&app.get("/search?q=cataract").await.text).is_empty());

    app.action(&token, &id, "publish", None).await;
    assert_eq!(titles(&app.get("/search?q=cataract").await.text).len(), 1);
    let deleted = app
        .api(
            "DELETE",
            &format!("/api/v1/articles/{id}"),
            Some(&token),
            None,
            &[],
        )
        .await;
    assert!(deleted.status.is_success(), "{}", deleted.text);
    assert!(titles(&app.get("/search?q=cataract").await.text).is_empty());
}

/// Recent stories have their own index and older ones are read only when the recent matches
/// are too few; where "recent" starts must never change the answer (the page or the total,
/// with or without filters), only the work. The window is moved to every interesting place:
/// none recent, fewer recent matches than the rank window, more, and all; and a story
/// published back-dated afterwards lands on the right side of it.
#[sqlx::test]
async fn where_the_recent_part_starts_never_changes_the_results(pool: PgPool) {
    use dateline::db::search::{RANK_WINDOW, SearchFilter, move_recent_window, search};
    insert_topic(&pool, "oncology", "Oncology", "Cancer care.").await;
    let now = time::OffsetDateTime::now_utc();
    let stories = RANK_WINDOW + 100;
    for n in 0..stories {
        let at = now - time::Duration::hours(n);
        // Title matches rank above body matches: mixed through time.
        let title = if n % 7 == 0 {
            format!("Remission number {n}")
        } else {
            format!("Story number {n}")
        };
        let body = if n % 6 == 0 {
            "Nothing to see."
        } else {
            "Patients stayed in remission."
        };
        let mut story = ArticleBuilder::new(&title).body(body).published_at(at);
        if n % 4 == 0 {
            story = story.topics(&["oncology"]);
        }
        if n % 5 == 0 {
            story = story.archived(at, None);
        }
        story.insert(&pool).await;
    }
    let filters = [
        SearchFilter::default(),
        SearchFilter {
            topic: Some("oncology".to_owned()),
            archived: None,
        },
        SearchFilter {
            topic: None,
            archived: Some(false),
        },
    ];
    let pages = [
        (20, 0),
        (20, 20),
        (20, 180),
        (20, 200),
        (20, 240),
        (20, 260),
    ];
    async fn answers(
        pool: &PgPool,
        filters: &[SearchFilter],
        pages: &[(i64, i64)],
    ) -> Vec<(i64, Vec<uuid::Uuid>)> {
        let mut out = Vec::new();
        for filter in filters {
            for (limit, offset) in pages {
                let found = search(pool, "remission", filter, *limit, *offset)
                    .await
                    .unwrap();
                out.push((found.total, found.hits.into_iter().map(|h| h.id).collect()));
            }
        }
        out
    }
    let misplaced = |pool: &PgPool| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM article_search
                 WHERE recent <> (published_at >= (SELECT since FROM search_recent_window))",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let recent = |pool: &PgPool| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM article_search WHERE recent")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    // Until the window first moves, every story is recent.
    assert_eq!(recent(&pool).await, stories);
    let everything = answers(&pool, &filters, &pages).await;
    // Matches: 258 of 300 stories (every 6th says nothing, unless its title does: every 42nd),
    // so the totals are exact and the last page asked for is empty.
    assert_eq!(everything[0].0, 258);
    assert_eq!(everything[0].1.len(), 20);
    assert!(everything[5].1.is_empty(), "nothing beyond the 250th match");
    for keep in [1, 5, 100, 199, 240, 260, 299, stories, stories + 50] {
        let since = move_recent_window(&pool, keep).await.unwrap();
        assert_eq!(since.is_none(), keep > stories, "keep {keep}");
        assert_eq!(misplaced(&pool).await, 0, "keep {keep}");
        assert_eq!(recent(&pool).await, keep.min(stories), "keep {keep}");
        assert_eq!(
            answers(&pool, &filters, &pages).await,
            everything,
            "recent: the newest {keep}"
        );
    }
    // Moved back to the newest 100: a story published now is recent, one back-dated past the
    // window's start is not, and both are found where they belong.
    move_recent_window(&pool, 100).await.unwrap();
    ArticleBuilder::new("Remission today")
        .published_at(now + time::Duration::minutes(1))
        .insert(&pool)
        .await;
    ArticleBuilder::new("Remission long ago")
        .published_at(now - time::Duration::days(400))
        .insert(&pool)
        .await;
    assert_eq!(misplaced(&pool).await, 0);
    assert_eq!(recent(&pool).await, 101);
    let found = search(&pool, "remission", &SearchFilter::default(), 20, 0)
        .await
        .unwrap();
    assert_eq!(found.total, everything[0].0 + 2);
    // A row left on the wrong side (a save racing a move) is put right by the next move.
    sqlx::query("ALTER TABLE article_search DISABLE TRIGGER article_search_recent")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE article_search SET recent = NOT recent WHERE article_id IN (SELECT article_id FROM article_search ORDER BY published_at LIMIT 3)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE article_search ENABLE TRIGGER article_search_recent")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(misplaced(&pool).await, 3);
    move_recent_window(&pool, 100).await.unwrap();
    assert_eq!(misplaced(&pool).await, 0);
    move_recent_window(&pool, 10_000).await.unwrap();
    let all = search(&pool, "remission", &SearchFilter::default(), 20, 0)
        .await
        .unwrap();
    assert_eq!(
        (all.total, all.hits.iter().map(|h| h.id).collect::<Vec<_>>()),
        (found.total, found.hits.iter().map(|h| h.id).collect())
    );
}

async fn put_synonyms(app: &TestApp, token: &str, sets: serde_json::Value) {
    let put = app
        .api(
            "PUT",
            "/api/v1/search/synonyms",
            Some(token),
            Some(serde_json::json!({ "sets": sets })),
            &[],
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
}

/// A brand name finds the story that uses only the generic name, once the set exists, and the
/// story with the reader's own word ranks first.
#[sqlx::test]
async fn a_synonym_finds_stories_the_words_alone_miss(pool: PgPool) {
    use dateline::domain::policy::Role;
    ArticleBuilder::new("Long remissions in breast cancer")
        .body("Women treated with trastuzumab and chemotherapy stayed in remission.")
        .insert(&pool)
        .await;
    ArticleBuilder::new("A second look at remissions")
        .body("Women treated with herceptin and chemotherapy stayed in remission.")
        .insert(&pool)
        .await;
    ArticleBuilder::new("Omega-3 and the heart")
        .body("Fewer myocardial infarctions were seen.")
        .insert(&pool)
        .await;
    let token = crate::helpers::token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    assert_eq!(
        titles(&app.get("/search?q=herceptin").await.text),
        ["A second look at remissions"],
        "without the set, only the brand name"
    );
    assert!(titles(&app.get("/search?q=heart+attacks").await.text).is_empty());
    put_synonyms(
        &app,
        &token,
        serde_json::json!([
            ["Herceptin", "trastuzumab"],
            ["heart attack", "myocardial infarction"]
        ]),
    )
    .await;
    let page = app.get("/search?q=herceptin").await;
    assert_eq!(
        titles(&page.text),
        [
            "A second look at remissions",
            "Long remissions in breast cancer"
        ],
        "the word as typed ranks first"
    );
    assert!(
        page.text.contains("<mark>trastuzumab</mark>"),
        "the synonym is marked"
    );
    assert_eq!(
        titles(&app.get("/search?q=trastuzumab").await.text),
        [
            "Long remissions in breast cancer",
            "A second look at remissions"
        ]
    );
    // Phrases: a lay term finds the medical one (stemmed: "attacks", "infarctions").
    assert_eq!(
        titles(&app.get("/search?q=heart+attacks").await.text),
        ["Omega-3 and the heart"]
    );
    // Words of a set alone do not trigger it: "heart" is not "heart attack".
    assert_eq!(
        titles(&app.get("/search?q=myocardial").await.text),
        ["Omega-3 and the heart"]
    );
    assert!(titles(&app.get("/search?q=attack").await.text).is_empty());
}

/// Synonyms live in the database and are applied by each search: a second instance sees a
/// change at once, with no restart and no message between instances.
#[sqlx::test]
async fn a_change_of_synonyms_is_seen_by_a_second_instance_at_once(pool: PgPool) {
    use dateline::domain::policy::Role;
    ArticleBuilder::new("Paracetamol in pregnancy")
        .body("A large study of paracetamol use.")
        .insert(&pool)
        .await;
    let token = crate::helpers::token_for(&pool, Role::Admin).await;
    let first = TestApp::new(pool.clone());
    let second = TestApp::new(pool);
    assert!(titles(&second.get("/search?q=acetaminophen").await.text).is_empty());
    put_synonyms(
        &first,
        &token,
        serde_json::json!([["acetaminophen", "paracetamol"]]),
    )
    .await;
    assert_eq!(
        titles(&second.get("/search?q=acetaminophen").await.text),
        ["Paracetamol in pregnancy"]
    );
}

/// No story uses the word as typed: the closest word that one does is searched instead, the
/// page says so and links to the words searched exactly.
#[sqlx::test]
async fn a_misspelling_finds_the_story_and_says_so(pool: PgPool) {
    ArticleBuilder::new("Three years in remission")
        .body("Women treated with trastuzumab stayed in remission.")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool);
    let page = app.get("/search?q=trastuzamab").await;
    assert_eq!(titles(&page.text), ["Three years in remission"]);
    assert!(
        page.text
            .contains("Showing results for <strong>trastuzumab</strong>"),
        "{}",
        page.text
    );
    let doc = scraper::Html::parse_document(&page.text);
    let link = doc
        .select(&scraper::Selector::parse(".search-correction a").unwrap())
        .next()
        .expect("a link to the words as typed");
    let href = link.value().attr("href").unwrap().to_owned();
    assert_eq!(href, "/search?q=trastuzamab&exact=1");
    let exact = app.get(&href).await;
    assert!(titles(&exact.text).is_empty());
    assert!(!exact.text.contains("Showing results for"));
    assert!(exact.text.contains("No stories match “trastuzamab”"));
    // Case and the rest of the query are kept; only the unknown word changes.
    let page = app.get("/search?q=%22Trastuzamab%22+women").await;
    assert_eq!(titles(&page.text), ["Three years in remission"]);
    assert!(
        page.text
            .contains("Showing results for <strong>&#34;trastuzumab&#34; women</strong>"),
        "{}",
        page.text
    );
}

/// A word some published story uses is never rewritten, even when a close word would find
/// something.
#[sqlx::test]
async fn a_word_that_occurs_is_never_corrected(pool: PgPool) {
    ArticleBuilder::new("A trial in mice")
        .body("Mice were given the drug.")
        .insert(&pool)
        .await;
    ArticleBuilder::new("Nice results for trastuzumab")
        .body("A nice outcome.")
        .insert(&pool)
        .await;
    let app = TestApp::new(pool.clone());
    // "mice" occurs; "trastuzamab" does not. Corrected: "mice trastuzumab", which finds
    // nothing; "nice trastuzumab" would have found the second story.
    let page = app.get("/search?q=mice+trastuzamab").await;
    assert!(titles(&page.text).is_empty(), "{:?}", titles(&page.text));
    assert!(!page.text.contains("Showing results for"));
    let fixes = dateline::db::search::corrections(
        &pool,
        &[
            "mice".to_owned(),
            "trastuzamab".to_owned(),
            "qqqqqqq".to_owned(),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        fixes,
        [("trastuzamab".to_owned(), "trastuzumab".to_owned())]
    );
}

/// The word list follows publishing: a story's words can be suggested while it is published,
/// and not after it is unpublished or deleted.
#[sqlx::test]
async fn suggestions_come_only_from_published_stories(pool: PgPool) {
    use dateline::domain::policy::Role;
    use serde_json::json;
    let token = crate::helpers::token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let created = app
        .create_article(
            &token,
            json!({"title": "Zolbetuximab in stomach cancer", "slug": "zolbetuximab",
                   "body_markdown": "A trial of zolbetuximab."}),
        )
        .await;
    let id = crate::helpers::id_of(&created);
    let words = |w: &'static str| vec![w.to_owned()];
    assert!(
        dateline::db::search::corrections(&pool, &words("zolbetuximob"))
            .await
            .unwrap()
            .is_empty(),
        "a draft's words"
    );
    app.action(&token, &id, "publish", None).await;
    assert_eq!(
        dateline::db::search::corrections(&pool, &words("zolbetuximob"))
            .await
            .unwrap(),
        [("zolbetuximob".to_owned(), "zolbetuximab".to_owned())]
    );
    let page = app.get("/search?q=zolbetuximob").await;
    assert_eq!(titles(&page.text), ["Zolbetuximab in stomach cancer"]);
    app.action(&token, &id, "unpublish", None).await;
    assert!(
        dateline::db::search::corrections(&pool, &words("zolbetuximob"))
            .await
            .unwrap()
            .is_empty(),
        "unpublished"
    );
    let page = app.get("/search?q=zolbetuximob").await;
    assert!(titles(&page.text).is_empty());
    assert!(!page.text.contains("Showing results for"));
    // The counts are exact: every listed story's words, once each.
    let wrong: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (
            SELECT w, count(*) AS n FROM article_words, unnest(words) w GROUP BY w
         ) x FULL JOIN search_words s ON s.word = x.w
         WHERE coalesce(x.n, 0) <> coalesce(s.stories, 0)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(wrong, 0);
}

/// Snippets: whole words, "…" where the text was cut, a heading never run into the paragraph
/// after it, the matches marked; Markdown links and tables read as text.
#[sqlx::test]
async fn snippets_are_cut_at_words_with_ellipses_and_headings_apart(pool: PgPool) {
    let filler =
        "Patients in the trial were followed closely by their doctors for many months. ".repeat(6);
    ArticleBuilder::new("A remission story")
        .dek("A short summary.")
        .body(&format!(
            "{filler}\n\n## Where things stood\n\nIn 2017 the [study](https://example.org/x) found that \
             remission lasted. {filler}\n\n| Group | Remission |\n|---|---|\n| A | 10% |"
        ))
        .insert(&pool)
        .await;
    let page = TestApp::new(pool).get("/search?q=remission").await;
    let doc = scraper::Html::parse_document(&page.text);
    let snippet: String = doc
        .select(&scraper::Selector::parse(".search-snippet").unwrap())
        .next()
        .expect("a snippet")
        .inner_html();
    assert!(snippet.contains("<mark>remission</mark>"), "{snippet}");
    assert!(!snippet.contains("stood In"), "{snippet}");
    assert!(!snippet.contains("https://"), "{snippet}");
    assert!(!snippet.contains("|---"), "{snippet}");
    assert!(
        snippet.starts_with("In 2017 the study found") || snippet.starts_with("… "),
        "{snippet}"
    );
    assert!(
        snippet.trim_end().ends_with('…') || snippet.trim_end().ends_with('.'),
        "{snippet}"
    );
}

/// `DATELINE_SEARCH_PER_MINUTE` per client address, counted over every instance: over it,
/// `429` with `Retry-After`.
#[sqlx::test]
async fn searches_are_limited_per_client_across_instances(pool: PgPool) {
    let mut config = dateline::config::Config::for_tests(crate::helpers::BASE_URL);
    config.search_per_minute = 4;
    let first = TestApp::with_config(pool.clone(), config.clone());
    let second = TestApp::with_config(pool.clone(), config);
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(1_100));
    // Near a minute's end the count would start again mid-test: wait for the next minute.
    let second_of_minute = time::OffsetDateTime::now_utc().second();
    if second_of_minute > 50 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(
            61 - second_of_minute,
        )))
        .await;
    }
    for _ in 0..3 {
        assert_eq!(first.get("/search?q=remission").await.status, 200);
    }
    // Each instance shares its count within a moment and reads the others' within a second.
    pause().await;
    assert_eq!(second.get("/search?q=remission").await.status, 200);
    let refused = second.get("/search?q=other").await;
    assert_eq!(refused.status, 429, "{}", refused.text);
    let retry: u64 = refused.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    pause().await;
    assert_eq!(
        first.get("/search?q=remission").await.status,
        429,
        "cached pages count too"
    );
    // Other pages are not limited.
    assert_eq!(first.get("/").await.status, 200);
}

/// The same search in other words (parameter order, spaces, page 1) is one cached page; a
/// story change drops it.
#[sqlx::test]
async fn the_same_search_is_served_from_the_cache_until_a_story_changes(pool: PgPool) {
    use dateline::domain::policy::Role;
    use serde_json::json;
    ArticleBuilder::new("Remission one").insert(&pool).await;
    let token = crate::helpers::token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool.clone());
    let first = app.get("/search?q=remission").await;
    assert!(first.text.contains("1 story matches"));
    // Written behind the cache's back: a cached page does not see it.
    ArticleBuilder::new("Remission two").insert(&pool).await;
    let again = app.get("/search?page=1&q=remission+&utm_source=x").await;
    assert!(
        again.text.contains("1 story matches"),
        "served from the cache"
    );
    assert_eq!(again.header("etag"), first.header("etag"));
    // Any story change through the service drops every search page.
    let created = app
        .create_article(
            &token,
            json!({"title": "Remission three", "body_markdown": "x"}),
        )
        .await;
    app.action(&token, &crate::helpers::id_of(&created), "publish", None)
        .await;
    assert!(
        app.get("/search?q=remission")
            .await
            .text
            .contains("3 stories match")
    );
}
