//! Every kind of page, reader's and editor's, checked by the Nu HTML Checker (`vnu.jar`,
//! installed by the test command; path in `DATELINE_VNU`), the validator browsers' vendors use:
//! no error on any of them. Stories are written through the API, so their moments carry the
//! microseconds PostgreSQL stores.

use std::process::Command;

use dateline::domain::policy::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::admin::{editor, get, sign_in};
use crate::helpers::{TestApp, id_of, token_for};

/// The Nu HTML Checker's errors for each page, as `page: message (line)`.
pub(crate) fn vnu_errors(pages: &[(String, String)]) -> Vec<String> {
    let jar = std::env::var("DATELINE_VNU")
        .expect("DATELINE_VNU names vnu.jar (make test installs the npm package vnu-jar)");
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (n, (_, html)) in pages.iter().enumerate() {
        let file = dir.path().join(format!("page-{n:03}.html"));
        std::fs::write(&file, html).unwrap();
        files.push(file);
    }
    let output = Command::new("java")
        .args(["-jar", &jar, "--errors-only", "--format", "json"])
        .args(&files)
        .output()
        .expect("java runs vnu.jar");
    let report: serde_json::Value = serde_json::from_slice(&output.stderr)
        .unwrap_or_else(|_| panic!("vnu: {}", String::from_utf8_lossy(&output.stderr)));
    report["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let url = m["url"].as_str().unwrap_or_default();
            let n: usize = url
                .rsplit("page-")
                .next()
                .and_then(|s| s.trim_end_matches(".html").parse().ok())
                .unwrap_or(0);
            format!(
                "{}: {} (line {}: {})",
                pages[n].0,
                m["message"].as_str().unwrap_or_default(),
                m["lastLine"],
                m["extract"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[sqlx::test]
async fn every_page_is_valid_html(pool: PgPool) {
    let token = token_for(&pool, Role::Admin).await;
    editor(&pool, "ada@example.org").await;
    let app = TestApp::new(pool.clone());
    app.api(
        "POST",
        "/api/v1/topics",
        Some(&token),
        Some(json!({"name": "Breast cancer", "slug": "breast-cancer", "description": "Studies of breast cancer."})),
        &[],
    )
    .await;
    for person in [
        json!({"name": "Lena Okafor", "credentials": "Health editor", "bio": "Edits *research news*.\n\n- one\n- two", "same_as": ["https://orcid.org/0000-0002-1825-0097"]}),
        json!({"name": "Sam Whitfield"}),
        json!({"name": "Dr. Ana Ribeiro", "credentials": "MD, medical oncologist"}),
    ] {
        let made = app
            .api("POST", "/api/v1/people", Some(&token), Some(person), &[])
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
    }
    let image = app
        .upload_image(
            &token,
            &crate::helpers::images::png(1600, 900, None),
            "Bars of the results",
        )
        .await;
    let image_id = image["id"].as_str().unwrap().to_owned();
    let story = app
        .create_article(
            &token,
            json!({
                "lead_image": image_id,
                "authors": ["lena-okafor", "sam-whitfield"],
                "title": "Trastuzumab keeps one in eleven in remission",
                "dek": "A congress report on HER2-positive breast cancer.",
                "body_markdown": "## What was found\n\nAbout **1 in 11** stayed in remission.\n\n![A chart](IMAGE_URL)\n\n| arm | n |\n|---|---|\n| A | 60 |\n\n<textarea>left open".replace("IMAGE_URL", image["url"].as_str().unwrap()),
                "topics": ["breast-cancer"],
                "study": {"citation": "ECCO 2011", "doi": "10.5555/x", "trial_id": "NCT00567190", "sample_size": 120, "presented_at": "2011-09-25"},
                "review": {"reviewer": "dr-ana-ribeiro", "last_reviewed": "2026-11-01", "next_review_due": "2027-11-01"},
            }),
        )
        .await;
    let id = id_of(&story);
    app.action(&token, &id, "publish", None).await;
    app.api(
        "PATCH",
        &format!("/api/v1/articles/{id}"),
        Some(&token),
        Some(json!({"change_kind": "correction", "change_note": "The figure was 1 in 11."})),
        &[("if-match", "*")],
    )
    .await;
    let newer = id_of(
        &app.create_article(
            &token,
            json!({"title": "A newer study", "topics": ["breast-cancer"], "authors": ["sam-whitfield"],
                   "review": {"reviewed_by": "Dr. Jane Roe", "last_reviewed": "2026-11-01"}}),
        )
        .await,
    );
    app.action(&token, &newer, "publish", None).await;
    app.action(
        &token,
        &id,
        "archive",
        Some(json!({"reason": "Newer data.", "superseded_by": newer})),
    )
    .await;
    let gone = id_of(
        &app.create_article(&token, json!({"title": "Retracted"}))
            .await,
    );
    app.action(&token, &gone, "publish", None).await;
    app.action(
        &token,
        &gone,
        "withdraw",
        Some(json!({"reason": "Retracted."})),
    )
    .await;
    // The editors' desk: a story waiting for review, one sent back with a note, and steps of a
    // published story scheduled for later.
    let waiting = id_of(
        &app.create_article(&token, json!({"title": "Waiting"}))
            .await,
    );
    app.action(&token, &waiting, "submit", None).await;
    let sent_back = id_of(
        &app.create_article(&token, json!({"title": "Sent back"}))
            .await,
    );
    app.action(&token, &sent_back, "submit", None).await;
    app.action(
        &token,
        &sent_back,
        "unpublish",
        Some(json!({"note": "Cite the <trial>.\nThen resubmit."})),
    )
    .await;
    app.action(
        &token,
        &newer,
        "unpublish",
        Some(json!({"at": "2099-01-01T00:00:00Z"})),
    )
    .await;
    app.action(
        &token,
        &newer,
        "archive",
        Some(json!({"at": "2098-01-01T00:00:00Z", "reason": "A larger trial reports."})),
    )
    .await;

    let mut pages = Vec::new();
    for path in [
        "/",
        "/research-news",
        "/research-news/trastuzumab-keeps-one-in-eleven-in-remission",
        "/research-news/a-newer-study",
        "/research-news/retracted",
        "/topics",
        "/topics/breast-cancer",
        "/people/lena-okafor",
        "/people/dr-ana-ribeiro",
        "/archive",
        "/search?q=remission",
        "/search?q=nothing-matches-this",
        "/search?q=trastuzamab",
        "/search?q=herceptin&topic=breast-cancer&archived=true",
        "/corrections",
        "/no-such-page",
        "/api/docs",
        "/admin/login",
    ] {
        pages.push((path.to_owned(), app.get(path).await.text));
    }
    let entry = uuid::Uuid::now_v7();
    sqlx::query(
        "INSERT INTO feedback (id, article_id, revision_number, helpful, comment, email, client_hash, note)
         VALUES ($1, $2, 1, true, 'Which dose?', 'reader@example.org', '\\x00', 'Asked the authors.')",
    )
    .bind(entry)
    .bind(uuid::Uuid::parse_str(&id).unwrap())
    .execute(&pool)
    .await
    .unwrap();
    let cookie = sign_in(&app, "ada@example.org").await;
    for path in [
        format!("/admin/feedback/entries/{entry}"),
        format!("/admin/feedback?story={id}"),
        format!("/admin/stories/{id}/revisions?from=1&to=4"),
        "/admin".to_owned(),
        "/admin/stories/new".to_owned(),
        format!("/admin/stories/{id}"),
        format!("/admin/stories/{newer}"),
        format!("/admin/stories/{gone}"),
        format!("/admin/stories/{waiting}"),
        format!("/admin/stories/{sent_back}"),
        format!("/admin/stories/{id}/revisions"),
        format!("/admin/stories/{id}/revisions/1/restore"),
        "/admin/feedback".to_owned(),
        "/admin/topics".to_owned(),
        "/admin/topics/breast-cancer".to_owned(),
        "/admin/people".to_owned(),
        "/admin/media".to_owned(),
        format!("/admin/media/{image_id}"),
        "/admin/people/lena-okafor".to_owned(),
        "/admin/password".to_owned(),
        "/admin/search/synonyms".to_owned(),
        "/admin?q=trastuzamab".to_owned(),
    ] {
        let page = get(&app, &path, &cookie).await;
        assert_eq!(page.status, 200, "{path}");
        pages.push((path, page.text));
    }
    let shown = |path: &str, part: &str| {
        pages
            .iter()
            .any(|(p, html)| p == path && html.contains(part))
    };
    assert!(shown("/admin", "id=\"review-queue\""));
    assert!(shown(
        &format!("/admin/stories/{newer}"),
        "id=\"later-archive\""
    ));
    assert!(shown(
        &format!("/admin/stories/{sent_back}"),
        "id=\"review-note\""
    ));
    assert!(shown(
        &format!("/admin/stories/{waiting}"),
        "id=\"send_back_note\""
    ));
    let errors = vnu_errors(&pages);
    assert!(
        errors.is_empty(),
        "{} errors:\n{}",
        errors.len(),
        errors.join("\n")
    );
}
