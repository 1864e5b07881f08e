//! Search as readers and editors use it (CONTRACT §10): results for the words as typed (with the
//! synonym sets applied in the database), and, when they find nothing, for the closest
//! spellings of the words no published story uses; and the synonym sets themselves, changed by
//! editors and admins with a history and a change event.

use std::collections::HashMap;

use sqlx::{PgConnection, PgExecutor, PgPool};

use crate::db;
use crate::db::events;
use crate::db::search::{SearchFilter, SearchHit};
use crate::db::synonyms::SynonymSets;
use crate::domain::events::{ChangeEvent, Committed};
use crate::domain::policy::{Action, Actor};
use crate::domain::search::{spellable_words, with_corrections};
use crate::domain::synonyms;
use crate::error::{AppError, FieldError};

/// A page of results.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub hits: Vec<SearchHit>,
    /// Matches, counted up to [`db::search::COUNT_CAP`] + 1.
    pub total: i64,
    /// The words the results are for, when a spelling was corrected.
    pub corrected: Option<String>,
}

/// Which page, and whether misspellings may be corrected.
#[derive(Debug, Clone, Copy)]
pub struct PageOf {
    pub limit: i64,
    pub offset: i64,
    /// `false`: the words exactly as typed (the "search instead for" link).
    pub correct_spelling: bool,
}

/// Published stories matching `q` (cleaned, not empty). When none match and spelling may be
/// corrected, each word no published story uses is replaced by the closest one that a story
/// does use, and the corrected words are searched instead; a word that occurs is never
/// replaced. Every statement runs on `conn`.
pub async fn find(
    conn: &mut PgConnection,
    q: &str,
    filter: &SearchFilter,
    page: PageOf,
) -> Result<Found, AppError> {
    let found = db::search::search(&mut *conn, q, filter, page.limit, page.offset).await?;
    if found.total > 0 || !page.correct_spelling {
        return Ok(Found {
            hits: found.hits,
            total: found.total,
            corrected: None,
        });
    }
    let Some(corrected) = correction(&mut *conn, q).await? else {
        return Ok(Found::default());
    };
    let found = db::search::search(conn, &corrected, filter, page.limit, page.offset).await?;
    Ok(Found {
        corrected: (found.total > 0).then_some(corrected),
        hits: found.hits,
        total: found.total,
    })
}

/// `q` with each word that no published story uses replaced by the closest word one does;
/// `None` when no word could be corrected. Words that occur are never replaced.
pub async fn correction(db: impl PgExecutor<'_>, q: &str) -> Result<Option<String>, AppError> {
    let words = spellable_words(q);
    if words.is_empty() {
        return Ok(None);
    }
    let fixes: HashMap<String, String> = db::search::corrections(db, &words)
        .await?
        .into_iter()
        .collect();
    Ok((!fixes.is_empty()).then(|| with_corrections(q, &fixes)))
}

/// The synonym sets (anyone signed in may read them).
pub async fn synonyms(pool: &PgPool) -> Result<SynonymSets, AppError> {
    Ok(db::synonyms::get(pool).await?)
}

/// Replaces the synonym sets (editors and admins). `if_match`: the version the change was made
/// from (`412` with the current sets when someone changed them since). Every earlier version is
/// kept; the change takes effect for the next search on every instance, and cached results are
/// dropped.
pub async fn replace_synonyms(
    pool: &PgPool,
    actor: Actor,
    sets: &[Vec<String>],
    if_match: Option<i32>,
) -> Result<Committed<SynonymSets>, AppError> {
    super::require(actor, Action::ManageSynonyms)?;
    let clean = synonyms::check(sets).map_err(AppError::fields)?;
    let ignored = db::synonyms::ignored_terms(pool, &clean).await?;
    if !ignored.is_empty() {
        return Err(AppError::Validation(
            ignored
                .into_iter()
                .map(|(i, j)| {
                    FieldError::new(
                        format!("sets[{i}][{j}]"),
                        format!(
                            "“{}” is made of words so common that search ignores them",
                            clean[i][j]
                        ),
                    )
                })
                .collect(),
        ));
    }
    let mut tx = pool.begin().await?;
    let current = db::synonyms::lock(&mut tx).await?;
    if let Some(expected) = if_match
        && expected != current.version
    {
        let body = serde_json::to_value(&current).unwrap_or_default();
        return Err(AppError::PreconditionFailed(
            Box::new(body),
            current.version,
        ));
    }
    if current.sets == clean {
        return Ok(Committed::quiet(current));
    }
    db::synonyms::replace(&mut tx, &current, &clean, Some(actor.id)).await?;
    db::audit::record(
        &mut *tx,
        Some(actor.id),
        "synonyms.update",
        "search_synonyms",
        None,
        serde_json::json!({ "sets": clean.len(), "from_version": current.version }),
    )
    .await?;
    let event = ChangeEvent::Synonyms {
        action: "synonyms.update".to_owned(),
    };
    events::emit(&mut tx, &event).await?;
    let saved = db::synonyms::get(&mut *tx).await?;
    tx.commit().await?;
    Ok(Committed::new(saved, vec![event]))
}

/// Loads `sets` when there are none yet (the demo's starter set); `true` when it did.
pub async fn seed_synonyms(pool: &PgPool, sets: &[Vec<String>]) -> Result<bool, AppError> {
    if db::synonyms::any(pool).await? {
        return Ok(false);
    }
    let clean = synonyms::check(sets).map_err(|errors| {
        AppError::Internal(anyhow::anyhow!(
            "the starter synonym sets are invalid: {errors:?}"
        ))
    })?;
    let mut tx = pool.begin().await?;
    let current = db::synonyms::lock(&mut tx).await?;
    db::synonyms::replace(&mut tx, &current, &clean, None).await?;
    events::emit(
        &mut tx,
        &ChangeEvent::Synonyms {
            action: "synonyms.update".to_owned(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}
