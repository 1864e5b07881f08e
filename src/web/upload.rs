//! Reading an image upload (`multipart/form-data`), for the API and the admin UI alike.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;

use crate::domain::media::MediaText;
use crate::error::{AppError, FieldError};
use crate::service::media::Upload;

/// Text parts are small: one over 64 KiB is refused.
const TEXT_PART_LIMIT: usize = 64 * 1024;

/// Reads a multipart upload: `file`, `alt`, `decorative`, `caption`, `credit`, and the text
/// parts named in `extra` (the admin form's `csrf`), given back by name. `415` unless
/// `multipart/form-data`, `400` when malformed, `413` over the image limit, `422` naming an
/// unknown part or a missing file.
pub async fn read_upload<S: Send + Sync>(
    request: Request,
    state: &S,
    extra: &[&str],
) -> Result<(Upload, HashMap<String, String>), AppError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !multipart {
        return Err(AppError::UnsupportedMediaType("multipart/form-data".into()));
    }
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|_| AppError::BadRequest("The multipart body could not be read.".into()))?;
    let mut file = None;
    let mut filename = String::new();
    let mut text = MediaText::default();
    let mut extras = HashMap::new();
    let mut errors = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let malformed = |_| AppError::BadRequest("The multipart body could not be read.".into());
    while let Some(field) = form.next_field().await.map_err(malformed)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            filename = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(malformed)?;
            if bytes.len() > crate::domain::media::limits::MAX_BYTES {
                return Err(AppError::PayloadTooLarge);
            }
            // A form sent with no file chosen has an empty part.
            file = Some(bytes).filter(|b| !b.is_empty());
            continue;
        }
        let known = matches!(name.as_str(), "alt" | "caption" | "credit" | "decorative")
            || extra.contains(&name.as_str());
        if !known {
            errors.push(if name.is_empty() {
                FieldError::new("body", "every part needs a name")
            } else {
                FieldError::new(&name, "is not a known field")
            });
            continue;
        }
        // A field sent twice says two things: which one was meant is not ours to guess.
        if seen.contains(&name) {
            errors.push(FieldError::new(&name, "is sent more than once"));
            continue;
        }
        seen.push(name.clone());
        let bytes = field.bytes().await.map_err(malformed)?;
        if bytes.len() > TEXT_PART_LIMIT {
            errors.push(FieldError::new(&name, "is too long"));
            continue;
        }
        let Ok(value) = String::from_utf8(bytes.to_vec()) else {
            errors.push(FieldError::new(&name, "must be UTF-8 text"));
            continue;
        };
        if value.contains('\0') {
            errors.push(FieldError::new(&name, "must not contain NUL characters"));
            continue;
        }
        match name.as_str() {
            "alt" => text.alt = Some(value),
            "caption" => text.caption = Some(value),
            "credit" => text.credit = Some(value),
            "decorative" => match value.trim() {
                // As the API document states it: a boolean, spelled out (the admin's checkbox
                // sends `true`; an unchecked one sends nothing).
                "true" => text.decorative = Some(true),
                "false" => text.decorative = Some(false),
                _ => errors.push(FieldError::new("decorative", "must be true or false")),
            },
            _ => {
                extras.insert(name, value);
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    Ok((
        Upload {
            bytes: file.unwrap_or_default(),
            filename,
            text,
        },
        extras,
    ))
}
