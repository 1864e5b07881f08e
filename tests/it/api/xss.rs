//! An XSS corpus sent through the API never reaches a page as executable markup.

use dateline::domain::policy::Role;
use scraper::{Html, Selector};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, id_of, token_for};

/// Script tags, event handlers, `javascript:` and `data:` URLs, SVG and MathML, encoded
/// variants, and Markdown link and image tricks.
pub const PAYLOADS: &[&str] = &[
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script>/*</script><script>alert(1)//*/</script>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"x\" onerror=\"alert(1)\"/>",
    "<IMG SRC=javascript:alert('XSS')>",
    "<img src=`javascript:alert(1)`>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<body onload=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<math href=\"javascript:alert(1)\">x</math>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<form action=\"javascript:alert(1)\"><button>x</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>x</marquee>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<link rel=stylesheet href=\"javascript:alert(1)\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"javascript:alert(1)//\">",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">click</a>",
    "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
    "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"https://ok.example\" onclick=\"alert(1)\">x</a>",
    "<a href=\"https://ok.example\" onmouseover=alert(1)>x</a>",
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](data:text/html,<script>alert(1)</script>)",
    "[click](vbscript:msgbox(1))",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x\" onerror=\"alert(1)](https://img.example/x.png)",
    "[x](https://ok.example \"title\\\" onmouseover=\\\"alert(1)\")",
    "[a]: javascript:alert(1)\n\n[link][a]",
    "<javascript:alert(1)>",
    "`<script>alert(1)</script>` and ```\n<script>alert(1)</script>\n```",
    "<<script>alert(1)//<</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "\"><script>alert(1)</script>",
    "'><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<!--<img src=\"--><img src=x onerror=alert(1)//\">",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<template><script>alert(1)</script></template>",
    "<table><td background=\"javascript:alert(1)\">x</td></table>",
    "<x onclick=alert(1)>click</x>",
];

/// Fails when the page could run script: script elements other than JSON-LD, event-handler
/// attributes, dangerous URL schemes, or elements that embed active content.
pub fn assert_inert(html: &str, context: &str) {
    let doc = Html::parse_document(html);
    let all = Selector::parse("*").unwrap();
    for element in doc.select(&all) {
        let el = element.value();
        let name = el.name();
        if name == "script" {
            // Only our JSON-LD data block and our own hashed, empty script elements.
            let ours = el
                .attr("src")
                .is_some_and(|src| src.starts_with("/assets/js/"))
                && element.text().all(|t| t.trim().is_empty());
            let data = el.attr("type") == Some("application/ld+json") && el.attr("src").is_none();
            assert!(
                ours || data,
                "{context}: a <script> element {:?}",
                element.html()
            );
        }
        assert!(
            ![
                "iframe", "object", "embed", "svg", "math", "base", "style", "template", "frame",
                "applet"
            ]
            .contains(&name),
            "{context}: <{name}>"
        );
        if name == "meta" {
            assert!(
                el.attr("http-equiv").is_none(),
                "{context}: meta http-equiv"
            );
        }
        for (attr, value) in el.attrs() {
            assert!(
                !attr.to_ascii_lowercase().starts_with("on"),
                "{context}: <{name} {attr}>"
            );
            assert_ne!(attr, "style", "{context}: style attribute");
            if [
                "href",
                "src",
                "action",
                "formaction",
                "xlink:href",
                "background",
                "data",
                "srcdoc",
            ]
            .contains(&attr)
            {
                let normalized: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    assert!(
                        !normalized.starts_with(scheme),
                        "{context}: <{name} {attr}={value:?}>"
                    );
                }
            }
        }
    }
}

#[sqlx::test]
async fn no_payload_in_a_body_title_or_dek_reaches_a_page_as_executable_markup(pool: PgPool) {
    assert!(PAYLOADS.len() >= 50, "{} payloads", PAYLOADS.len());
    let token = token_for(&pool, Role::Editor).await;
    let app = TestApp::new(pool);
    for (n, payload) in PAYLOADS.iter().enumerate() {
        let title: String = payload.chars().take(200).collect();
        let article = app
            .create_article(
                &token,
                json!({
                    "title": title,
                    "slug": format!("xss-{n}"),
                    "dek": payload,
                    "body_markdown": format!("Before.\n\n{payload}\n\nAfter."),
                    "study": {"citation": payload},
                    "review": {"reviewed_by": payload},
                }),
            )
            .await;
        let id = id_of(&article);
        let published = app
            .api(
                "POST",
                &format!("/api/v1/articles/{id}/publish"),
                Some(&token),
                None,
                &[],
            )
            .await;
        // A payload with an image lacking alt text cannot be published: its page is read
        // through a preview link instead, which renders the very same page.
        let story_path = if published.status == 200 {
            app.action(&token, &id, "archive", Some(json!({"reason": payload})))
                .await;
            format!("/research-news/xss-{n}")
        } else {
            let problem = published.assert_problem(409);
            assert_eq!(problem["errors"][0]["field"], "body_markdown", "{problem}");
            let link = app
                .api(
                    "POST",
                    &format!("/api/v1/articles/{id}/preview-links"),
                    Some(&token),
                    Some(json!({})),
                    &[],
                )
                .await
                .json();
            let url = link["url"].as_str().unwrap();
            url[url.find("/preview/").unwrap()..].to_owned()
        };
        for path in [
            story_path,
            "/research-news".to_owned(),
            "/archive".to_owned(),
        ] {
            let page = app.get(&path).await;
            assert_eq!(page.status, 200, "{path}");
            assert_inert(&page.text, &format!("payload {n} {payload:?} on {path}"));
        }
        let stored = article["body_html"].as_str().unwrap();
        assert_inert(stored, &format!("payload {n} stored body_html"));
    }
}
