//! Driving the admin UI as a browser would: an account, a signed-in session, its pages, and
//! the editor form posted whole, as a browser posts it.

use axum::body::Body;
use axum::http::Request;
use dateline::domain::policy::Role;
use sqlx::PgPool;
use uuid::Uuid;

use super::{TestApp, TestResponse};

pub const PASSWORD: &str = "correct horse battery staple 42";

/// An editor account with [`PASSWORD`].
pub async fn editor(pool: &PgPool, email: &str) {
    dateline::service::users::create_user(pool, email, "Ada Editor", Role::Editor, PASSWORD)
        .await
        .unwrap();
}

/// The session cookie (`name=value`) a response sets.
pub fn session_cookie(response: &TestResponse) -> Option<String> {
    response
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("dateline_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// The form token of a page.
pub fn csrf_in(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("input[name=csrf]").unwrap();
    doc.select(&selector)
        .next()
        .and_then(|input| input.value().attr("value"))
        .expect("a CSRF field")
        .to_owned()
}

/// A page, with the session cookie.
pub async fn get(app: &TestApp, path: &str, cookie: &str) -> TestResponse {
    app.request(
        Request::get(path)
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// A form posted with the session cookie (and extra headers).
pub async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut builder = Request::post(path)
        .header("cookie", cookie)
        .header("content-type", "application/x-www-form-urlencoded");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    let body = serde_urlencoded::to_string(form).unwrap();
    app.request(builder.body(Body::from(body)).unwrap()).await
}

/// Opens the sign-in page; returns its session cookie and form token.
pub async fn login_page(app: &TestApp) -> (String, String) {
    let page = app.get("/admin/login").await;
    assert_eq!(page.status, 200);
    (
        session_cookie(&page).expect("a session"),
        csrf_in(&page.text),
    )
}

/// Signs in; returns the new session cookie.
pub async fn sign_in(app: &TestApp, email: &str) -> String {
    let (cookie, csrf) = login_page(app).await;
    let response = post(
        app,
        "/admin/login",
        &cookie,
        &[
            ("email", email),
            ("password", PASSWORD),
            ("csrf", &csrf),
            ("next", "/admin"),
        ],
        &[],
    )
    .await;
    assert_eq!(response.status, 303, "{}", response.text);
    session_cookie(&response).expect("a fresh session cookie")
}

/// The editor form's fields as a list, from its page, with some replaced.
pub fn editor_form(html: &str, replace: &[(&str, &str)]) -> Vec<(String, String)> {
    let doc = scraper::Html::parse_document(html);
    let form = doc
        .select(&scraper::Selector::parse("form.editor-form").unwrap())
        .next()
        .expect("the editor form");
    let mut fields = Vec::new();
    for input in form.select(&scraper::Selector::parse("input, textarea").unwrap()) {
        let el = input.value();
        let Some(name) = el.attr("name") else {
            continue;
        };
        let kind = el.attr("type").unwrap_or("text");
        if (kind == "checkbox" || kind == "radio") && el.attr("checked").is_none() {
            continue;
        }
        let value = if el.name() == "textarea" {
            input.text().collect::<String>()
        } else {
            el.attr("value").unwrap_or("").to_owned()
        };
        fields.push((name.to_owned(), value));
    }
    // A select sends its selected option, or its first.
    for select in form.select(&scraper::Selector::parse("select").unwrap()) {
        let Some(name) = select.value().attr("name") else {
            continue;
        };
        let options: Vec<_> = select
            .select(&scraper::Selector::parse("option").unwrap())
            .collect();
        let chosen = options
            .iter()
            .find(|o| o.value().attr("selected").is_some())
            .or(options.first());
        if let Some(option) = chosen {
            let value = option
                .value()
                .attr("value")
                .map(str::to_owned)
                .unwrap_or_else(|| option.text().collect());
            fields.push((name.to_owned(), value));
        }
    }
    for (name, value) in replace {
        fields.retain(|(n, _)| n != name);
        fields.push(((*name).to_owned(), (*value).to_owned()));
    }
    fields
}

/// [`post`] of owned pairs.
pub async fn post_fields(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(String, String)],
) -> TestResponse {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    post(app, path, cookie, &pairs, &[]).await
}

/// Creates a story through the editor form, as a browser would; answers its editor path.
pub async fn create_story(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> String {
    let blank = get(app, "/admin/stories/new", cookie).await;
    let created = post_fields(
        app,
        "/admin/stories",
        cookie,
        &editor_form(&blank.text, fields),
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.text);
    created
        .header("location")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// The story id at the end of an editor path.
pub fn id_in(path: &str) -> Uuid {
    Uuid::parse_str(path.rsplit('/').next().unwrap()).unwrap()
}

/// A publishing button pressed: the whole editor form of `path`, with `form` put in.
pub async fn act(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> crate::helpers::TestResponse {
    // As a browser sends a publishing button: the whole editor form, with the button's value.
    let page = get(app, path, cookie).await;
    let fields = editor_form(&page.text, form);
    post_fields(app, &format!("{path}/action"), cookie, &fields).await
}

/// How many revisions a story has.
pub async fn revisions(pool: &PgPool, id: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM article_revisions WHERE article_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
}

/// The editor page's confirmation or error message.
pub fn message(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    doc.select(&scraper::Selector::parse("#editor-message").unwrap())
        .next()
        .map(|m| m.text().collect::<String>())
        .unwrap_or_default()
}

/// Follows an admin redirect and answers the page it leads to.
pub async fn follow(app: &TestApp, cookie: &str, answer: &crate::helpers::TestResponse) -> String {
    assert_eq!(answer.status, 303, "{}", answer.text);
    get(app, answer.header("location"), cookie).await.text
}
