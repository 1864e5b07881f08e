//! Search synonym sets (CONTRACT §10), kept as editors wrote them and as the `ts_rewrite` rules
//! `dateline_search_query` applies to every search, both written in one transaction.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// The sets and their version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SynonymSets {
    /// Each set's terms, lower case; a search for any term finds stories with any other.
    pub sets: Vec<Vec<String>>,
    /// Goes up by one with every change; the ETag, for `If-Match`.
    pub version: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

pub async fn get(db: impl sqlx::PgExecutor<'_>) -> sqlx::Result<SynonymSets> {
    let row = sqlx::query!(
        r#"
        SELECT st.version, st.updated_at,
               coalesce((SELECT jsonb_agg(to_jsonb(s.terms) ORDER BY s.position)
                         FROM search_synonym_sets s), '[]'::jsonb) AS "sets!"
        FROM search_synonyms_state st
        "#
    )
    .fetch_one(db)
    .await?;
    Ok(SynonymSets {
        sets: serde_json::from_value(row.sets).unwrap_or_default(),
        version: row.version,
        updated_at: row.updated_at,
    })
}

/// Locks the sets for a change (in `tx`) and says what they are.
pub async fn lock(tx: &mut PgConnection) -> sqlx::Result<SynonymSets> {
    sqlx::query!("SELECT version FROM search_synonyms_state FOR UPDATE")
        .fetch_one(&mut *tx)
        .await?;
    get(&mut *tx).await
}

/// The `(set, term)` positions of terms that search ignores entirely (common words such as
/// "the"): they can never be matched, so they cannot be synonyms.
pub async fn ignored_terms(
    db: impl sqlx::PgExecutor<'_>,
    sets: &[Vec<String>],
) -> sqlx::Result<Vec<(usize, usize)>> {
    let (set_no, term_no, terms) = flatten(sets);
    let rows = sqlx::query!(
        r#"
        SELECT s AS "set!", t AS "term!"
        FROM unnest($1::int[], $2::int[], $3::text[]) AS x(s, t, term)
        WHERE numnode(plainto_tsquery('english', term)) = 0
        ORDER BY s, t
        "#,
        &set_no,
        &term_no,
        &terms
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                usize::try_from(r.set).unwrap_or_default(),
                usize::try_from(r.term).unwrap_or_default(),
            )
        })
        .collect())
}

fn flatten(sets: &[Vec<String>]) -> (Vec<i32>, Vec<i32>, Vec<String>) {
    let mut set_no = Vec::new();
    let mut term_no = Vec::new();
    let mut terms = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        for (j, term) in set.iter().enumerate() {
            set_no.push(i32::try_from(i).unwrap_or(i32::MAX));
            term_no.push(i32::try_from(j).unwrap_or(i32::MAX));
            terms.push(term.clone());
        }
    }
    (set_no, term_no, terms)
}

/// Replaces the sets (in `tx`, after [`lock`]): keeps the previous ones in the history, writes
/// the new ones and their rules, and moves the version on.
pub async fn replace(
    tx: &mut PgConnection,
    previous: &SynonymSets,
    sets: &[Vec<String>],
    by: Option<Uuid>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO search_synonym_history (version, sets, changed_at, changed_by)
        SELECT st.version, $1, st.updated_at, st.updated_by FROM search_synonyms_state st
        ON CONFLICT (version) DO NOTHING
        "#,
        serde_json::to_value(&previous.sets).unwrap_or_default()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM search_synonym_sets")
        .execute(&mut *tx)
        .await?;
    sqlx::query!("DELETE FROM search_synonym_rules")
        .execute(&mut *tx)
        .await?;
    let positions: Vec<i32> = (0..sets.len())
        .map(|i| i32::try_from(i).unwrap_or(i32::MAX))
        .collect();
    let term_lists: Vec<String> = sets
        .iter()
        .map(|set| serde_json::to_string(set).unwrap_or_default())
        .collect();
    sqlx::query!(
        r#"
        INSERT INTO search_synonym_sets (position, terms)
        SELECT p, ARRAY(SELECT jsonb_array_elements_text(t::jsonb))
        FROM unnest($1::int[], $2::text[]) AS x(p, t)
        "#,
        &positions,
        &term_lists
    )
    .execute(&mut *tx)
    .await?;
    // Each term, as typed (its words in any order) and, for a phrase, as the phrase, is
    // rewritten to itself or any other term of its set (the others as phrases).
    let (set_no, _, terms) = flatten(sets);
    sqlx::query!(
        r#"
        WITH t AS (
            SELECT s, term,
                   plainto_tsquery('english', term) AS typed,
                   phraseto_tsquery('english', term) AS phrase
            FROM unnest($1::int[], $2::text[]) AS x(s, term)
            WHERE numnode(plainto_tsquery('english', term)) > 0
        ),
        others AS (
            SELECT a.s, a.term, string_agg('(' || b.phrase::text || ')', ' | ' ORDER BY b.term) AS alt
            FROM t a JOIN t b ON b.s = a.s AND b.phrase <> a.phrase
            GROUP BY a.s, a.term
        )
        INSERT INTO search_synonym_rules (target, substitute)
        SELECT t.typed, ('(' || t.typed::text || ') | ' || o.alt)::tsquery
        FROM t JOIN others o USING (s, term)
        UNION ALL
        SELECT t.phrase, ('(' || t.phrase::text || ') | ' || o.alt)::tsquery
        FROM t JOIN others o USING (s, term)
        WHERE t.phrase <> t.typed
        "#,
        &set_no,
        &terms
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        r#"
        UPDATE search_synonyms_state
        SET version = version + 1, updated_at = now(), updated_by = $1
        "#,
        by
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Whether any set exists (the demo loads its starter set only into an empty list).
pub async fn any(pool: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM search_synonym_sets) AS "any!""#)
        .fetch_one(pool)
        .await
}
