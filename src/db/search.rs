//! Full-text search over published stories: the reader's words (`websearch_to_tsquery`, with
//! the synonym sets applied by `dateline_search_query`) against the GIN-indexed
//! `search_vector` (title A, dek B, body and citation C), ranked, with snippets; and the words
//! of published stories for spelling suggestions.

use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// One ranked result.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub dek: String,
    pub published_at: OffsetDateTime,
    pub archived: bool,
    /// The start of the body (Markdown), for the snippet.
    pub body: String,
    /// The body goes on past `body`.
    pub truncated: bool,
    /// The query as searched (synonyms applied), in `tsquery` text form: its lexemes are the
    /// words the snippet marks.
    pub query: String,
}

/// Filters besides the words.
#[derive(Debug, Clone, Default)]
pub struct SearchFilter {
    pub topic: Option<String>,
    pub archived: Option<bool>,
}

/// How many of the newest matches are ranked: enough for the first pages, and a bound on the
/// work a very common word causes (ranking reads every candidate's vector).
pub const RANK_WINDOW: i64 = 200;
/// Counts stop here; the page says "more than 1,000".
pub const COUNT_CAP: i64 = 1_000;

/// How much of a story's body its snippet is chosen from, in characters (the whole of nearly
/// every story; a longer one's snippet comes from its start).
pub const SNIPPET_SOURCE_CHARS: i32 = 20_000;

/// How many of the newest stories are "recent": indexed apart from the older ones (see
/// [`search`] and [`move_recent_window`]).
pub const RECENT_STORIES: i64 = 10_000;

/// A page of results and how many stories match.
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    /// Matches, counted up to [`COUNT_CAP`] + 1.
    pub total: i64,
    pub hits: Vec<SearchHit>,
}

/// Published stories matching `query`, in one statement: how many (up to [`COUNT_CAP`] + 1),
/// and a page of the newest matches (at least [`RANK_WINDOW`], and enough for the page asked
/// for) ranked by `ts_rank` (weights: title, dek, body), best first.
///
/// The recent stories (`article_search.recent`, kept by [`move_recent_window`]) have a GIN
/// index of their own, the older ones another. Every recent match is listed (a narrow row: no
/// vector), which gives their number and the newest of them; older stories are read only when
/// the recent matches are fewer than the window (all of them, listed the same way) or than the
/// count's cap (counted only). The vectors of the window's stories alone are then read, by
/// row address, to rank them. Where the recent part starts never changes what is found or
/// counted, nor which matches are ranked (but for a story saved back-dated while the window
/// moves, until the next move: see the migration).
pub async fn search(
    db: impl PgExecutor<'_>,
    query: &str,
    filter: &SearchFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<SearchPage> {
    // The statement is `dateline_search` (migrations/20261215000001_search_recent_index.sql).
    let rows = sqlx::query!(
        r#"
        SELECT total AS "total!", id, slug, title, dek, published_at, archived, body,
               truncated, query
        FROM dateline_search($1, $2, $3, $4, $5, $6, $7, $8)
        "#,
        query,
        filter.topic,
        filter.archived,
        limit,
        offset,
        RANK_WINDOW.max(offset + limit),
        COUNT_CAP,
        SNIPPET_SOURCE_CHARS,
    )
    .fetch_all(db)
    .await?;
    let total = rows.first().map_or(0, |row| row.total);
    let hits = rows
        .into_iter()
        .filter_map(|row| {
            Some(SearchHit {
                id: row.id?,
                slug: row.slug?,
                title: row.title?,
                dek: row.dek?,
                published_at: row.published_at?,
                archived: row.archived?,
                body: row.body?,
                truncated: row.truncated?,
                query: row.query?,
            })
        })
        .collect();
    Ok(SearchPage { total, hits })
}

/// Moves the start of the recent stories to the `keep`th newest (none while there are fewer)
/// and flips the rows it passed, in one transaction; returns where it starts (`None`: every
/// story is recent). Run hourly by the upkeep task and after `dateline generate`; when it runs
/// changes only the work of a search.
pub async fn move_recent_window(pool: &PgPool, keep: i64) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar!(
        r#"SELECT nullif(dateline_move_search_window($1), '-infinity') AS since"#,
        keep
    )
    .fetch_one(pool)
    .await
}

/// For each of `words` that no published story uses, the closest word that one does (by
/// trigram distance; the commoner word on a tie), if any is close enough (`pg_trgm`'s
/// similarity threshold, 0.3). Words some story uses are left out: they are never corrected.
pub async fn corrections(
    db: impl PgExecutor<'_>,
    words: &[String],
) -> sqlx::Result<Vec<(String, String)>> {
    let rows = sqlx::query!(
        r#"
        SELECT w.word AS "word!",
               (SELECT s.word FROM search_words s
                WHERE s.stories > 0 AND s.word % w.word
                ORDER BY s.word <-> w.word, s.stories DESC, s.word
                LIMIT 1) AS correction
        FROM unnest($1::text[]) AS w(word)
        WHERE NOT EXISTS (SELECT 1 FROM search_words s WHERE s.word = w.word AND s.stories > 0)
        "#,
        words
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| row.correction.map(|c| (row.word, c)))
        .collect())
}
