//! Static assets (CSS, JS, images) embedded in the binary and served under content-hashed names
//! (`/assets/css/site.3f9a1c2b7d.css`) with a year-long immutable cache.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::AppError;

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/"]
struct Embedded;

struct Asset {
    data: Cow<'static, [u8]>,
    content_type: HeaderValue,
}

struct Manifest {
    /// Logical path (`css/site.css`) → URL (`/assets/css/site.<hash>.css`).
    urls: HashMap<String, String>,
    /// Hashed path (`css/site.<hash>.css`) → the file.
    files: HashMap<String, Asset>,
}

static MANIFEST: LazyLock<Manifest> = LazyLock::new(|| {
    let mut urls = HashMap::new();
    let mut files = HashMap::new();
    for logical in Embedded::iter() {
        let Some(file) = Embedded::get(&logical) else {
            continue;
        };
        let hash = hex::encode(&Sha256::digest(&file.data)[..5]);
        let hashed = match logical.rsplit_once('.') {
            Some((stem, ext)) if !stem.ends_with('/') => format!("{stem}.{hash}.{ext}"),
            _ => format!("{logical}.{hash}"),
        };
        let mime = mime_guess::from_path(logical.as_ref()).first_or_octet_stream();
        let content_type = HeaderValue::from_str(mime.as_ref())
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        urls.insert(logical.to_string(), format!("/assets/{hashed}"));
        files.insert(
            hashed,
            Asset {
                data: file.data,
                content_type,
            },
        );
    }
    Manifest { urls, files }
});

/// The public URL of an asset by its path under `assets/`. An unknown path (a typo in a template)
/// yields a URL that answers 404, and is caught by the tests.
pub fn url(logical: &str) -> &'static str {
    MANIFEST
        .urls
        .get(logical)
        .map(String::as_str)
        .unwrap_or("/assets/missing")
}

/// `GET /assets/{*path}`: only content-hashed names are served, so they may be cached forever.
pub async fn serve_asset(Path(path): Path<String>) -> Result<Response, AppError> {
    let asset = MANIFEST.files.get(&path).ok_or(AppError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, asset.content_type.clone()),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.data.clone(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    #[test]
    fn stylesheet_has_a_hashed_url() {
        let url = super::url("css/site.css");
        assert!(url.starts_with("/assets/css/site."), "{url}");
        assert!(url.ends_with(".css"), "{url}");
        assert_eq!(url.len(), "/assets/css/site.".len() + 10 + ".css".len());
    }
}
