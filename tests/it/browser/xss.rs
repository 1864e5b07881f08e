//! The XSS corpus in a real browser. Over 300 payloads go in through story bodies, headlines,
//! summaries, study and review fields, archive reasons, topic names and descriptions, reader
//! comments and search queries; every page that shows them (the story, lists, topics, search,
//! the admin editor, the feedback inbox) is loaded in headless Chromium.
//!
//! The test server strips the Content-Security-Policy, so escaping and sanitising alone must
//! hold, and puts a hook first in every page: `alert`, `confirm`, `prompt` and `print` record
//! their calls. After each load the hook's record, and the DOM for any event-handler attribute,
//! `javascript:` URL or script we did not write, must be empty.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::header;
use axum::response::Response;
use dateline::app::build_router;
use dateline::config::Config;
use dateline::domain::article::{Review, Study};
use dateline::domain::lifecycle::Transition;
use dateline::domain::policy::{Actor, Role};
use dateline::service::articles::{self, ArticleChanges, TransitionOptions};
use dateline::state::AppState;
use fantoccini::Client;
use sqlx::PgPool;

use super::admin::{PASSWORD, sign_in};
use super::browser;
use crate::api::xss::PAYLOADS;

/// Extra payloads: polyglots and tricks aimed at attributes, JSON-LD and search highlighting.
const EXTRA: &[&str] = &[
    "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert() )//%0D%0A%0d%0a//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert()//>\\x3e",
    "</script><script>alert(1)</script>",
    "\"}]</script><script>alert(1)</script>",
    "<b>bold</b><mark onmouseover=alert(1)>hit</mark>",
    "<img src=x onerror=alert`1`>",
    "<img src=x onerror=\"window['al'+'ert'](1)\">",
    "<img src=x onerror=eval(atob('YWxlcnQoMSk='))>",
    "<svg/onload=alert(1)>",
    "<body/onpageshow=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<keygen autofocus onfocus=alert(1)>",
    "<video poster=javascript:alert(1)//></video>",
    "<isindex type=image src=1 onerror=alert(1)>",
    "<object data=\"data:text/html,<script>alert(1)</script>\"></object>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
    "<img src=\"x\"/onerror=\"alert(1)\">",
    "<div onpointerover=alert(1)>hover</div>",
    "<iframe src=javascript:alert(1)>",
    "<img src=1 onerror=confirm(1)>",
    "<img src=1 onerror=prompt(1)>",
    "<img src=1 onerror=print()>",
    "{{constructor.constructor('alert(1)')()}}",
    "${alert(1)}",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>",
    "<a href=\"\\x01javascript:alert(1)\">x</a>",
    "\"><svg onload=alert(1)>",
    "'\"--><script>alert(1)</script>",
    "<img src=x:x onerror=alert(1)//",
];

/// Where a payload may land: breaking out of text, attributes, comments and raw-text elements.
const PREFIXES: &[&str] = &[
    "",
    "\">",
    "'>",
    "--></textarea></title></style></noscript></script>",
];

pub fn corpus() -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for base in PAYLOADS.iter().chain(EXTRA) {
        for prefix in PREFIXES {
            let payload = format!("{prefix}{base}");
            if seen.insert(payload.clone()) {
                out.push(payload);
            }
        }
    }
    out
}

/// Records every call of a dialog function, before any other script of the page.
const HOOK: &str = "<script>window.__xss=[];(function(){function rec(k){return function(){window.__xss.push(k+':'+Array.prototype.join.call(arguments,','));};}window.alert=rec('alert');window.confirm=rec('confirm');window.prompt=rec('prompt');window.print=rec('print');})();</script>";

/// Strips the CSP and puts the hook first in every HTML page.
async fn unprotect(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    parts.headers.remove(header::CONTENT_SECURITY_POLICY);
    let html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html {
        return Response::from_parts(parts, body);
    }
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).replacen("<head>", &format!("<head>{HOOK}"), 1);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}

async fn serve_unprotected(pool: PgPool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = Config::for_tests(&base);
    let app = build_router(AppState::new(config, pool))
        // A page that does run script, to prove the hook and the DOM scan see it.
        .route(
            "/__xss-control",
            axum::routing::get(|| async {
                axum::response::Html(
                    "<!DOCTYPE html><html><head><title>control</title></head><body>\
                     <img src=x onerror=alert(1)><a href=\"javascript:alert(2)\">x</a></body></html>",
                )
            }),
        )
        .layer(axum::middleware::map_response(unprotect))
        // Uncompressed bodies, so the hook can be put in.
        .layer(axum::middleware::map_request(
            |mut request: axum::extract::Request| async move {
                request.headers_mut().insert(
                    header::ACCEPT_ENCODING,
                    header::HeaderValue::from_static("identity"),
                );
                request
            },
        ));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    base
}

/// What ran or could run on the current page: hooked calls, event-handler attributes,
/// `javascript:` URLs and scripts that are not ours.
async fn executions(client: &Client) -> Vec<String> {
    let found = client
        .execute(
            "const out = (window.__xss || []).slice();
             if (!window.__xss) out.push('hook missing');
             for (const el of document.querySelectorAll('*')) {
               for (const a of el.attributes) {
                 const v = a.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
                 if (a.name.toLowerCase().startsWith('on')) out.push('handler ' + el.tagName + ' ' + a.name);
                 if (/^(href|src|action|formaction|xlink:href|data|poster|background)$/i.test(a.name) && /^(javascript|vbscript):/.test(v)) out.push('url ' + el.tagName + ' ' + a.name);
               }
             }
             for (const s of document.scripts) {
               const ours = (s.src && new URL(s.src).pathname.startsWith('/assets/js/'))
                 || s.type === 'application/ld+json'
                 || s.textContent.startsWith('window.__xss=[]');
               if (!ours) out.push('script ' + s.outerHTML.slice(0, 80));
             }
             for (const f of document.querySelectorAll('iframe, object, embed')) out.push('embedded ' + f.tagName);
             return out;",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

fn clip(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

#[sqlx::test]
async fn no_payload_of_the_corpus_runs_in_chromium_on_any_page(pool: PgPool) {
    let payloads = corpus();
    assert!(payloads.len() >= 300, "{} payloads", payloads.len());
    let admin = dateline::service::users::create_user(
        &pool,
        "root@example.org",
        "Root Admin",
        Role::Admin,
        PASSWORD,
    )
    .await
    .unwrap();
    let actor = Actor {
        id: admin,
        role: Role::Admin,
    };
    let mut ids = Vec::new();
    let mut previews: Vec<(usize, String)> = Vec::new();
    for (n, payload) in payloads.iter().enumerate() {
        let topic = dateline::service::topics::create(
            &pool,
            actor,
            Some(format!("xss-topic-{n}")),
            Some(&clip(payload, 100)),
            Some(payload),
        )
        .await
        .unwrap_or_else(|e| panic!("topic {n}: {e:?}"))
        .value;
        // A person named by the payload, credited as an author and as the reviewer.
        let person = dateline::service::people::create(
            &pool,
            actor,
            dateline::domain::person::PersonChanges {
                slug: Some(format!("xss-person-{n}")),
                name: Some(format!("P {}", clip(payload, 100))),
                credentials: Some(clip(payload, 200)),
                bio: Some(payload.chars().take(1_000).collect()),
                ..Default::default()
            },
        )
        .await
        .unwrap_or_else(|e| panic!("person {n}: {e:?}"))
        .value;
        let changes = ArticleChanges {
            title: Some(clip(payload, 200)),
            slug: Some(format!("xss-{n}")),
            dek: Some(clip(payload, 400)),
            body_markdown: Some(format!("Before the payload.\n\n{payload}\n\nAfter it.")),
            topics: Some(vec![topic.slug.clone()]),
            authors: Some(vec![person.slug.clone()]),
            lead_image: None,
            // Every other story keeps the headline and dek in the head; the rest put the
            // payload in the search and social fields too.
            seo_title: Some((n % 2 == 1).then(|| clip(payload, 70))),
            meta_description: Some((n % 2 == 1).then(|| clip(payload, 160))),
            study: Some(Some(Study {
                citation: Some(clip(payload, 500)),
                ..Study::default()
            })),
            review: Some(Some(Review {
                reviewed_by: Some(clip(payload, 200)),
                reviewer: (n % 2 == 0).then(|| person.slug.clone()),
                ..Review::default()
            })),
        };
        let doc = articles::create(&pool, actor, changes, Default::default())
            .await
            .unwrap_or_else(|e| panic!("story {n}: {e:?}"))
            .value;
        // Written before the app serves: nothing is cached yet, so the events need no reaction.
        let published = articles::transition(
            &pool,
            actor,
            doc.id,
            Transition::Publish { at: None },
            TransitionOptions::default(),
            None,
        )
        .await;
        if let Err(refused) = published {
            // An image without alt text cannot be published: the page is read through a
            // preview link, which renders the very same page.
            assert!(
                matches!(&refused, dateline::error::AppError::FieldConflict(e) if e[0].field == "body_markdown"),
                "story {n}: {refused:?}"
            );
            let link = dateline::service::previews::create(&pool, actor, doc.id, 24, "")
                .await
                .unwrap();
            previews.push((n, link.url));
        } else if n % 2 == 1 {
            let _ = articles::transition(
                &pool,
                actor,
                doc.id,
                Transition::Archive,
                TransitionOptions {
                    reason: Some(clip(payload, 500)),
                    superseded_by: None,
                    ..TransitionOptions::default()
                },
                None,
            )
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO feedback (id, article_id, revision_number, helpful, comment, email, client_hash)
             VALUES ($1, $2, 1, false, $3, 'reader@example.org', '\\x00')",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(doc.id)
        .bind(payload)
        .execute(&pool)
        .await
        .unwrap();
        ids.push(doc.id);
    }

    let base = serve_unprotected(pool.clone()).await;
    let browser = browser().await;
    let client = browser.client.clone();
    // Headlines and summaries on the lists, topic names and descriptions on the topics page,
    // everything of a story (headline in <title> and JSON-LD, body, study, review, archive
    // reason, topic links) on its page, and each payload as a search query.
    let mut pages = vec!["/".to_owned(), "/topics".to_owned(), "/archive".to_owned()];
    let per_list = 20;
    for page in 1..=payloads.len().div_ceil(per_list) {
        pages.push(format!("/research-news?page={page}"));
    }
    for (n, payload) in payloads.iter().enumerate() {
        match previews.iter().find(|(p, _)| *p == n) {
            Some((_, url)) => pages.push(url.clone()),
            None => pages.push(format!("/research-news/xss-{n}")),
        }
        pages.push(format!("/people/xss-person-{n}"));
        let query: String = url::form_urlencoded::byte_serialize(payload.as_bytes()).collect();
        pages.push(format!("/search?q={query}"));
    }
    // The hook works: the control page's script is seen running, its markup flagged.
    client.goto(&format!("{base}/__xss-control")).await.unwrap();
    let control = executions(&client).await;
    assert!(control.iter().any(|e| e == "alert:1"), "{control:?}");
    assert!(
        control.iter().any(|e| e.starts_with("handler IMG onerror")),
        "{control:?}"
    );
    assert!(
        control.iter().any(|e| e.starts_with("url A href")),
        "{control:?}"
    );
    let mut loaded = 0;
    let mut found = Vec::new();
    for path in &pages {
        client.goto(&format!("{base}{path}")).await.unwrap();
        loaded += 1;
        for what in executions(&client).await {
            found.push(format!("{path}: {what}"));
        }
    }

    // The admin side, where a junior writer's payload would meet an editor or an admin.
    sign_in(&client, &base, "root@example.org").await;
    // The admin side, where a junior writer's payload would meet an editor or an admin: the
    // dashboard's story list, topics, the inbox (every comment, 50 a page), the audit log, and
    // the editor (form fields and the rendered preview) of every tenth story and its history.
    let mut admin_pages = vec![
        "/admin".to_owned(),
        "/admin/topics".to_owned(),
        "/admin/people".to_owned(),
        "/admin/audit".to_owned(),
    ];
    for page in 1..=payloads.len().div_ceil(50) {
        admin_pages.push(format!("/admin/feedback?page={page}"));
    }
    for id in ids.iter().step_by(10) {
        admin_pages.push(format!("/admin/stories/{id}"));
        admin_pages.push(format!("/admin/stories/{id}/revisions"));
        admin_pages.push(format!("/admin/feedback/stories/{id}"));
    }
    for path in &admin_pages {
        client.goto(&format!("{base}{path}")).await.unwrap();
        loaded += 1;
        for what in executions(&client).await {
            found.push(format!("{path}: {what}"));
        }
    }
    println!(
        "{} payloads, {loaded} pages loaded in Chromium",
        payloads.len()
    );
    if !found.is_empty() {
        std::fs::write("target/xss-findings.txt", found.join("\n")).unwrap();
    }
    assert!(
        found.is_empty(),
        "{} executions or executable markup (all in target/xss-findings.txt):\n{}",
        found.len(),
        found
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    browser.close().await;
}
