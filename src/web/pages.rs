//! What every HTML page shares: the layout data `base.html` reads, the error page, and rendering.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::error::AppError;

/// Data for `templates/base.html`: title, metadata and which main section is current.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The page's own title; the site name is appended.
    pub title: String,
    pub description: String,
    /// Absolute canonical URL, when the page has one.
    pub canonical: Option<String>,
    /// The current main section: `home`, `news`, `topics`, `archive`, `search` or empty.
    pub nav: &'static str,
    /// Keep out of search engines (previews, errors).
    pub noindex: bool,
    /// OpenGraph type: `website` or `article`.
    pub og_type: &'static str,
    /// Leave out the header's search box (the search page has its own).
    pub hide_search: bool,
    /// Feeds of this page besides the site's (a topic's): title and path.
    pub feeds: Vec<(String, String)>,
    /// The image of the page's social card (a story's lead image).
    pub image: Option<SocialImage>,
}

/// A social card's image: absolute URL, size and what it shows.
#[derive(Debug, Clone, Default)]
pub struct SocialImage {
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

impl Layout {
    pub fn new(title: impl Into<String>, nav: &'static str) -> Self {
        Self {
            title: title.into(),
            nav,
            og_type: "website",
            ..Self::default()
        }
    }

    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Announces a feed of this page's own (`<link rel="alternate">`).
    pub fn feed(mut self, title: impl Into<String>, path: impl Into<String>) -> Self {
        self.feeds.push((title.into(), path.into()));
        self
    }

    pub fn canonical(mut self, base_url: &str, path: &str) -> Self {
        self.canonical = Some(format!("{base_url}{path}"));
        self
    }
}

/// The site name, shown in titles and the header.
pub const SITE_NAME: &str = "Dateline";

/// Renders a template to an HTML response.
pub fn render(template: &impl Template) -> Result<Response, AppError> {
    Ok(Html(template.render()?).into_response())
}

/// The styled error page (404, 410, 400, 500, 503).
#[derive(Debug, Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub code: u16,
    pub heading: String,
    pub message: String,
}

impl ErrorPage {
    pub fn new(status: StatusCode, heading: &str, message: String) -> Self {
        let mut layout = Layout::new(heading, "");
        layout.noindex = true;
        Self {
            layout,
            code: status.as_u16(),
            heading: heading.to_owned(),
            message,
        }
    }
}

/// The admin's error page: the same error in the admin's own layout, pointing back to the
/// dashboard rather than the public site.
#[derive(Debug, Template)]
#[template(path = "admin/error.html")]
pub struct AdminErrorPage {
    pub layout: Layout,
    pub code: u16,
    pub heading: String,
    pub message: String,
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        match self.render() {
            Ok(html) => (status, Html(html)).into_response(),
            // The error page itself failed: a plain answer that still leaks nothing.
            Err(_) => (
                status,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                )],
                "Something went wrong.",
            )
                .into_response(),
        }
    }
}
