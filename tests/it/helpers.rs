//! Test helpers: an in-process app driven with `oneshot`, and builders for test data.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use dateline::app::{AppState, build_router};
use dateline::config::Config;
use dateline::db;
use dateline::domain::article::{ArticleStatus, ChangeKind, Study};
use dateline::domain::markdown;
use http_body_util::BodyExt;
use sqlx::PgPool;
use time::OffsetDateTime;
use time::macros::datetime;
use tower::ServiceExt;
use uuid::Uuid;

pub const BASE_URL: &str = "https://news.example.org";

/// The real router over a test database.
pub struct TestApp {
    router: axum::Router,
}

/// A buffered answer.
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
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
        let router = build_router(AppState::new(config, pool));
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
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Request::get(path).body(Body::empty()).expect("request"))
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
