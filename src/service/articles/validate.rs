//! The rules of a story's fields, applied to a change (every field error collected), and slugs
//! derived from titles.

use super::doc::{ArticleChanges, ChangeMeta};
use crate::db;
use crate::domain::article::{self, Article, ChangeKind, Review, Study, limits};
use crate::domain::markdown;
use crate::domain::slug::Slug;
use crate::domain::text;
use crate::error::{AppError, FieldError};

/// Validates `changes` onto `article`, collecting every field error.
pub(super) async fn apply_changes(
    db: &mut sqlx::PgConnection,
    article: &mut Article,
    changes: ArticleChanges,
) -> Result<(), AppError> {
    // Lengths count the text as sent (what the OpenAPI document's limits state); what is
    // stored is then cleaned of control characters and trimmed.
    let mut errors = Vec::new();
    let mut taken = Vec::new();
    if let Some(title) = changes.title {
        if !text::has_visible(&title) {
            errors.push(FieldError::new("title", "must not be empty"));
        } else if title.chars().count() > limits::TITLE_CHARS {
            errors.push(FieldError::new(
                "title",
                format!("must be at most {} characters", limits::TITLE_CHARS),
            ));
        } else {
            article.title = text::clean_line(&title).trim().to_owned();
        }
    }
    if let Some(dek) = changes.dek {
        if dek.chars().count() > limits::DEK_CHARS {
            errors.push(FieldError::new(
                "dek",
                format!("must be at most {} characters", limits::DEK_CHARS),
            ));
        } else {
            article.dek = text::clean_line(&dek).trim().to_owned();
        }
    }
    if let Some(body) = changes.body_markdown {
        if body.len() > limits::BODY_BYTES {
            errors.push(FieldError::new(
                "body_markdown",
                format!("must be at most {} bytes", limits::BODY_BYTES),
            ));
        } else {
            let body = text::clean_block(&body).into_owned();
            if body != article.body_markdown || article.body_html.is_empty() {
                article.body_html = render_body(db, &body).await?;
                article.body_markdown = body;
            }
        }
    }
    if let Some(raw) = changes.slug {
        match Slug::parse(&raw) {
            Ok(slug) => {
                if slug.as_str() != article.slug {
                    if db::articles::slug_free_for(db, slug.as_str(), Some(article.id)).await? {
                        article.slug = slug.to_string();
                    } else {
                        taken.push(FieldError::new("slug", "is already used by another story"));
                    }
                }
            }
            Err(err) => errors.push(FieldError::new("slug", err.to_string())),
        }
    }
    if let Some(new_topics) = changes.topics {
        if new_topics.len() > limits::TOPICS {
            errors.push(FieldError::new(
                "topics",
                format!("must list at most {} topics", limits::TOPICS),
            ));
        } else {
            let mut deduped: Vec<String> = Vec::new();
            for topic in new_topics {
                if !deduped.contains(&topic) {
                    deduped.push(topic);
                }
            }
            let unknown = db::topics::unknown_slugs(&mut *db, &deduped).await?;
            if unknown.is_empty() {
                article.topics = deduped;
            } else {
                errors.push(FieldError::new(
                    "topics",
                    format!("unknown topic: {}", unknown.join(", ")),
                ));
            }
        }
    }
    if let Some(new_authors) = changes.authors {
        if new_authors.len() > limits::AUTHORS {
            errors.push(FieldError::new(
                "authors",
                format!("must list at most {} people", limits::AUTHORS),
            ));
        } else {
            let mut deduped: Vec<String> = Vec::new();
            for person in new_authors {
                if !deduped.contains(&person) {
                    deduped.push(person);
                }
            }
            let unknown = db::people::unknown_slugs(&mut *db, &deduped).await?;
            if unknown.is_empty() {
                article.authors = deduped;
            } else {
                errors.push(FieldError::new(
                    "authors",
                    format!("unknown person: {}", unknown.join(", ")),
                ));
            }
        }
    }
    if let Some(study) = changes.study {
        if let Some(study) = &study {
            for (field, message) in article::study_errors(study) {
                errors.push(FieldError::new(field, message));
            }
        }
        article.study = study.map(Study::cleaned);
    }
    if let Some(review) = changes.review {
        if let Some(review) = &review {
            for (field, message) in article::review_errors(review) {
                errors.push(FieldError::new(field, message));
            }
            if let Some(reviewer) = &review.reviewer
                && !db::people::unknown_slugs(&mut *db, std::slice::from_ref(reviewer))
                    .await?
                    .is_empty()
            {
                errors.push(FieldError::new(
                    "review.reviewer",
                    format!("unknown person: {reviewer}"),
                ));
            }
        }
        article.review = review.map(Review::cleaned);
    }
    for (field, value, limit, slot) in [
        (
            "seo_title",
            changes.seo_title,
            limits::SEO_TITLE_CHARS,
            &mut article.seo_title,
        ),
        (
            "meta_description",
            changes.meta_description,
            limits::META_DESCRIPTION_CHARS,
            &mut article.meta_description,
        ),
    ] {
        // `None` leaves the field; `Some(None)` or empty once cleaned clears it (the page
        // then uses the headline or the dek).
        let Some(value) = value else { continue };
        match value {
            Some(v) if v.chars().count() > limit => errors.push(FieldError::new(
                field,
                format!("must be at most {limit} characters"),
            )),
            v => {
                *slot = v
                    .map(|v| text::clean_line(&v).trim().to_owned())
                    .filter(|v| !v.is_empty());
            }
        }
    }
    if let Some(lead_image) = changes.lead_image {
        match lead_image {
            Some(id) if !db::media::exists(&mut *db, id).await? => {
                errors.push(FieldError::new(
                    "lead_image",
                    "is not an image of the library (or it was deleted)",
                ));
            }
            _ => article.lead_image = lead_image,
        }
    }
    if !errors.is_empty() {
        errors.extend(taken);
        Err(AppError::Validation(errors))
    } else if !taken.is_empty() {
        Err(AppError::FieldConflict(taken))
    } else {
        Ok(())
    }
}

/// An archive or withdrawal reason: one line, at most [`limits::ARCHIVE_REASON_CHARS`] as sent;
/// empty once cleaned is none.
pub(super) fn clean_reason(
    reason: Option<String>,
    field: &str,
) -> Result<Option<String>, AppError> {
    if reason
        .as_ref()
        .is_some_and(|r| r.chars().count() > limits::ARCHIVE_REASON_CHARS)
    {
        return Err(AppError::field(
            field,
            format!(
                "must be at most {} characters",
                limits::ARCHIVE_REASON_CHARS
            ),
        ));
    }
    Ok(reason
        .map(|r| text::clean_line(&r).trim().to_owned())
        .filter(|r| !r.is_empty()))
}

/// The change note as sent: at most [`limits::CHANGE_NOTE_CHARS`], and with a correction a
/// visible character (which cleaning keeps).
pub(super) fn check_meta(meta: &ChangeMeta) -> Result<(), AppError> {
    let note = meta.note.as_deref().unwrap_or_default();
    if note.chars().count() > limits::CHANGE_NOTE_CHARS {
        return Err(AppError::field(
            "change_note",
            format!("must be at most {} characters", limits::CHANGE_NOTE_CHARS),
        ));
    }
    if meta.kind == ChangeKind::Correction && !text::has_visible(note) {
        return Err(AppError::field(
            "change_note",
            "is required for a correction: say what was wrong",
        ));
    }
    Ok(())
}

/// A new slug derived from the title, with `-2`, `-3` … when taken.
pub(super) async fn derive_slug(
    db: &mut sqlx::PgConnection,
    title: &str,
) -> Result<String, AppError> {
    let base =
        Slug::from_title(title).unwrap_or_else(|| Slug::parse("story").expect("static slug"));
    if db::articles::slug_free_for(db, base.as_str(), None).await? {
        return Ok(base.to_string());
    }
    for n in 2..1000 {
        let candidate = base.with_suffix(n);
        if db::articles::slug_free_for(db, candidate.as_str(), None).await? {
            return Ok(candidate.to_string());
        }
    }
    Err(AppError::field(
        "slug",
        "could not derive a free slug from the title; give one",
    ))
}

/// Whether two states of a story hold the same content (what a form edits).
pub(super) fn same_content(a: &Article, b: &Article) -> bool {
    a.title == b.title
        && a.slug == b.slug
        && a.dek == b.dek
        && a.body_markdown == b.body_markdown
        && a.topics == b.topics
        && a.authors == b.authors
        && a.study == b.study
        && a.review == b.review
        && a.lead_image == b.lead_image
        && a.seo_title == b.seo_title
        && a.meta_description == b.meta_description
}

/// The hashes of the library's files a body shows (`/media/<hash>.<ext>`, as a path or on any
/// host).
pub(super) fn body_media_hashes(html: &markdown::SafeHtml) -> Vec<String> {
    let mut hashes: Vec<String> = markdown::images(html)
        .into_iter()
        .filter_map(|image| {
            let path = image
                .src
                .split_once("://")
                .and_then(|(_, rest)| rest.find('/').map(|at| rest[at..].to_owned()))
                .unwrap_or(image.src);
            crate::domain::media::hash_in_url(&path, "").map(str::to_owned)
        })
        .collect();
    hashes.sort();
    hashes.dedup();
    hashes
}

/// A body rendered for readers, its images of the library given their width and height.
pub async fn render_body(
    db: &mut sqlx::PgConnection,
    markdown_source: &str,
) -> Result<String, AppError> {
    let html = markdown::render(markdown_source);
    let hashes = body_media_hashes(&html);
    if hashes.is_empty() {
        return Ok(markdown::with_image_sizes(html, |_| None).into_string());
    }
    let known = db::media::by_rendition_hashes(&mut *db, &hashes).await?;
    let sized = markdown::with_image_sizes(html, |src| {
        let path = src
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
            .unwrap_or(src);
        let hash = crate::domain::media::hash_in_url(path, "")?;
        let image = known.iter().find(|k| k.hash == hash)?;
        Some((
            u32::try_from(image.width).ok()?,
            u32::try_from(image.height).ok()?,
        ))
    });
    Ok(sized.into_string())
}

/// Why a story cannot be shown to readers as it is: images of its body without alt text
/// (decorative images of the library excepted), or a lead image deleted from the library.
pub(super) async fn check_images(
    db: &mut sqlx::PgConnection,
    article: &Article,
) -> Result<(), AppError> {
    let html = markdown::SafeHtml::from_stored(article.body_html.clone());
    let images: Vec<(String, String)> = markdown::images(&html)
        .into_iter()
        .map(|i| (i.src, i.alt))
        .collect();
    let hashes = body_media_hashes(&html);
    let known = if hashes.is_empty() {
        Vec::new()
    } else {
        db::media::by_rendition_hashes(&mut *db, &hashes).await?
    };
    let decorative = |src: &str| {
        let path = src
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|at| &rest[at..]))
            .unwrap_or(src);
        crate::domain::media::hash_in_url(path, "")
            .is_some_and(|hash| known.iter().any(|k| k.hash == hash && k.decorative))
    };
    let missing = crate::domain::media::missing_alt(&images, decorative);
    let mut errors = Vec::new();
    if !missing.is_empty() {
        errors.push(FieldError::new(
            "body_markdown",
            format!(
                "{} without alt text ({}): describe each in the Markdown, ![what it shows](url), \
                 or mark the image decorative in the media library",
                if missing.len() == 1 {
                    "an image is"
                } else {
                    "images are"
                },
                missing.join(", ")
            ),
        ));
    }
    if let Some(id) = article.lead_image
        && !db::media::exists(&mut *db, id).await?
    {
        errors.push(FieldError::new(
            "lead_image",
            "was deleted from the media library: choose another, or none",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::FieldConflict(errors))
    }
}
