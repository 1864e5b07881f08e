//! Test helpers, in one place: an in-process app driven with `oneshot` and builders for test
//! data (here), the admin UI driven as a browser would ([`admin`]), and a real server on a
//! socket ([`server`]).

pub mod admin;
pub mod images;
pub mod server;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use dateline::app::build_app;
use dateline::config::Config;
use dateline::db;
use dateline::domain::article::{ArticleStatus, ChangeKind, Study};
use dateline::domain::markdown;
use dateline::state::AppState;
use http_body_util::BodyExt;
use sqlx::PgPool;
use time::OffsetDateTime;
use time::macros::datetime;
use tower::ServiceExt;
use uuid::Uuid;

pub const BASE_URL: &str = "https://news.example.org";

/// The real router over a test database.
#[derive(Clone)]
pub struct TestApp {
    router: dateline::app::App,
}

/// A buffered answer.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub bytes: axum::body::Bytes,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts that the fragments occur in the body in this order.
    pub fn assert_in_order(&self, fragments: &[&str]) {
        let mut from = 0;
        for fragment in fragments {
            match self.text[from..].find(fragment) {
                Some(at) => from += at + fragment.len(),
                None => panic!(
                    "{fragment:?} not found after byte {from} (fragments: {fragments:?})\n{}",
                    self.text
                ),
            }
        }
    }
}

impl TestApp {
    pub fn new(pool: PgPool) -> Self {
        Self::with_config(pool, Config::for_tests(BASE_URL))
    }

    pub fn with_config(pool: PgPool, config: Config) -> Self {
        let router = build_app(AppState::new(config, pool));
        Self { router }
    }

    pub async fn request(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        TestResponse {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    /// `GET` with extra request headers.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> TestResponse {
        let mut builder = Request::get(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.request(builder.body(Body::empty()).expect("request"))
            .await
    }
}

/// Builds and inserts an article the way the service layer would: row, topics, revisions.
pub struct ArticleBuilder {
    title: String,
    slug: Option<String>,
    dek: String,
    body: String,
    status: ArticleStatus,
    published_at: OffsetDateTime,
    updated_at: Option<OffsetDateTime>,
    archived: Option<(OffsetDateTime, Option<String>)>,
    superseded_by: Option<Uuid>,
    topics: Vec<String>,
    study: Option<Study>,
    changes: Vec<(ChangeKind, String, OffsetDateTime)>,
}

impl ArticleBuilder {
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            slug: None,
            dek: format!("Summary of {title}"),
            body: format!("Body of {title}."),
            status: ArticleStatus::Published,
            published_at: datetime!(2024-03-01 12:00 UTC),
            updated_at: None,
            archived: None,
            superseded_by: None,
            topics: Vec::new(),
            study: None,
            changes: Vec::new(),
        }
    }

    pub fn slug(mut self, slug: &str) -> Self {
        self.slug = Some(slug.to_owned());
        self
    }
    pub fn dek(mut self, dek: &str) -> Self {
        self.dek = dek.to_owned();
        self
    }
    pub fn body(mut self, body: &str) -> Self {
        self.body = body.to_owned();
        self
    }
    pub fn status(mut self, status: ArticleStatus) -> Self {
        self.status = status;
        self
    }
    pub fn published_at(mut self, at: OffsetDateTime) -> Self {
        self.published_at = at;
        self
    }
    pub fn updated_at(mut self, at: OffsetDateTime) -> Self {
        self.updated_at = Some(at);
        self
    }
    pub fn archived(mut self, at: OffsetDateTime, reason: Option<&str>) -> Self {
        self.archived = Some((at, reason.map(str::to_owned)));
        self
    }
    pub fn superseded_by(mut self, id: Uuid) -> Self {
        self.superseded_by = Some(id);
        self
    }
    pub fn topics(mut self, topics: &[&str]) -> Self {
        self.topics = topics.iter().map(|t| (*t).to_owned()).collect();
        self
    }
    pub fn study(mut self, study: Study) -> Self {
        self.study = Some(study);
        self
    }
    pub fn change(mut self, kind: ChangeKind, note: &str, at: OffsetDateTime) -> Self {
        self.changes.push((kind, note.to_owned(), at));
        self
    }

    pub async fn insert(self, pool: &PgPool) -> Uuid {
        let id = Uuid::now_v7();
        let slug = self.slug.clone().unwrap_or_else(|| {
            dateline::domain::slug::Slug::from_title(&self.title)
                .unwrap()
                .to_string()
        });
        let html = markdown::render(&self.body);
        let mut tx = pool.begin().await.unwrap();
        db::articles::insert(
            &mut tx,
            &db::articles::NewArticle {
                id,
                slug: &slug,
                title: &self.title,
                dek: &self.dek,
                body_markdown: &self.body,
                body_html: html.as_str(),
                status: self.status,
                published_at: Some(self.published_at),
                updated_at: self.updated_at.unwrap_or(self.published_at),
                archived: self.archived.is_some(),
                archived_at: self.archived.as_ref().map(|(at, _)| *at),
                archive_reason: self.archived.as_ref().and_then(|(_, r)| r.as_deref()),
                study: self.study.as_ref(),
                review: None,
                lead_image: None,
                seo_title: None,
                meta_description: None,
                version: 1 + self.changes.len() as i32,
                created_at: self.published_at,
                created_by: None,
            },
        )
        .await
        .unwrap();
        if self.superseded_by.is_some() {
            db::articles::set_superseded_by(&mut tx, id, self.superseded_by)
                .await
                .unwrap();
        }
        db::topics::set_for_article(&mut tx, id, &self.topics)
            .await
            .unwrap();
        let snapshot = serde_json::json!({ "title": self.title });
        db::revisions::insert(
            &mut tx,
            &db::revisions::NewRevision {
                article_id: id,
                number: 1,
                snapshot: &snapshot,
                change_kind: ChangeKind::Minor,
                change_note: None,
                created_by: None,
                created_at: self.published_at,
            },
        )
        .await
        .unwrap();
        for (number, (kind, note, at)) in (2..).zip(&self.changes) {
            db::revisions::insert(
                &mut tx,
                &db::revisions::NewRevision {
                    article_id: id,
                    number,
                    snapshot: &snapshot,
                    change_kind: *kind,
                    change_note: Some(note),
                    created_by: None,
                    created_at: *at,
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        id
    }
}

/// Inserts a topic.
pub async fn insert_topic(pool: &PgPool, slug: &str, name: &str, description: &str) {
    assert!(
        db::topics::insert_if_absent(pool, slug, name, description)
            .await
            .unwrap()
    );
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.text))
    }

    /// Asserts an RFC 9457 problem with this status.
    pub fn assert_problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            "application/problem+json",
            "{}",
            self.text
        );
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert!(
            problem["title"].is_string()
                && problem["detail"].is_string()
                && problem["type"].is_string()
        );
        assert!(problem["errors"].is_array());
        problem
    }

    /// The field names of a 422 problem.
    pub fn error_fields(&self) -> Vec<String> {
        let problem = self.assert_problem(422);
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    }
}

/// Creates a user with `role` and returns an API token for them.
pub async fn token_for(pool: &PgPool, role: dateline::domain::policy::Role) -> String {
    let email = format!("{}-{}@example.org", role.as_str(), Uuid::now_v7().simple());
    dateline::service::users::create_user(
        pool,
        &email,
        "Test User",
        role,
        "plover-quartz-lantern-47",
    )
    .await
    .expect("user");
    dateline::service::users::create_token(pool, &email, "tests")
        .await
        .expect("token")
        .1
}

impl TestApp {
    /// An API call with an optional bearer token, JSON body and extra headers.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let body = match body {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                Body::from(serde_json::to_vec(&json).unwrap())
            }
            None => Body::empty(),
        };
        self.request(builder.body(body).unwrap()).await
    }

    /// `POST /api/v1/articles` that must succeed; returns the article.
    pub async fn create_article(&self, token: &str, body: serde_json::Value) -> serde_json::Value {
        let response = self
            .api("POST", "/api/v1/articles", Some(token), Some(body), &[])
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
        response.json()
    }

    /// A lifecycle action that must succeed; returns the article.
    pub async fn action(
        &self,
        token: &str,
        id: &str,
        action: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let response = self
            .api(
                "POST",
                &format!("/api/v1/articles/{id}/{action}"),
                Some(token),
                body,
                &[],
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{action}: {}",
            response.text
        );
        response.json()
    }
}

/// The id of a JSON article.
pub fn id_of(article: &serde_json::Value) -> String {
    article["id"].as_str().expect("id").to_owned()
}

impl TestApp {
    /// An app over a state the test keeps a handle on (page views, keys).
    pub fn from_state(state: AppState) -> Self {
        Self {
            router: build_app(state),
        }
    }
}

/// A `multipart/form-data` body: text fields, then the file (when given) as `file`.
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----dateline-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, content_type, bytes)) = file {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl TestApp {
    /// `POST /api/v1/media` with a file and text fields.
    pub async fn upload(
        &self,
        token: &str,
        file: Option<(&str, &str, &[u8])>,
        fields: &[(&str, &str)],
    ) -> TestResponse {
        let (content_type, body) = multipart(fields, file);
        self.request(
            Request::post("/api/v1/media")
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", content_type)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// An upload that must succeed; returns the image.
    pub async fn upload_image(&self, token: &str, bytes: &[u8], alt: &str) -> serde_json::Value {
        let response = self
            .upload(
                token,
                Some(("photo.png", "image/png", bytes)),
                &[("alt", alt)],
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
        response.json()
    }
}
