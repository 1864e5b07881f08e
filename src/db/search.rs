//! Full-text search over published stories: `websearch_to_tsquery` against the generated,
//! GIN-indexed `search_vector` (title A, dek B, body and citation C), ranked, with snippets.

use sqlx::PgPool;
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
    /// `ts_headline` output with the marks of [`crate::domain::search`].
    pub headline: String,
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

/// Published stories matching `query`: the newest matches (at least [`RANK_WINDOW`], and enough
/// for the page asked for) ranked by `ts_rank_cd`, best first.
pub async fn search(
    pool: &PgPool,
    query: &str,
    filter: &SearchFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<SearchHit>> {
    // The newest matches come from the narrow `article_search` table (the planner walks its
    // recency index for common words and uses the GIN index for rare ones); only those are
    // ranked, so the cost of ranking does not grow with the number of matches.
    sqlx::query_as!(
        SearchHit,
        r#"
        WITH candidates AS MATERIALIZED (
            SELECT s.article_id, s.published_at, s.search_vector
            FROM article_search s
            WHERE s.search_vector @@ websearch_to_tsquery('english', $1)
              AND ($2::text IS NULL OR EXISTS (
                    SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                    WHERE at.article_id = s.article_id AND t.slug = $2))
              AND ($3::boolean IS NULL OR s.archived = $3)
            ORDER BY s.published_at DESC
            LIMIT $7
        )
        SELECT a.id, a.slug, a.title, a.dek, a.published_at AS "published_at!", a.archived,
               ts_headline('english', a.dek || ' ' || left(a.body_markdown, 20000),
                           websearch_to_tsquery('english', $1), $6) AS "headline!"
        FROM candidates c JOIN articles a ON a.id = c.article_id
        ORDER BY ts_rank_cd(c.search_vector, websearch_to_tsquery('english', $1)) DESC,
                 c.published_at DESC, c.article_id
        LIMIT $4 OFFSET $5
        "#,
        query,
        filter.topic,
        filter.archived,
        limit,
        offset,
        crate::domain::search::headline_options(),
        RANK_WINDOW.max(offset + limit),
    )
    .fetch_all(pool)
    .await
}

/// How many published stories match `query`, counted up to [`COUNT_CAP`] + 1.
pub async fn count(pool: &PgPool, query: &str, filter: &SearchFilter) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!" FROM (
            SELECT 1
            FROM article_search s
            WHERE s.search_vector @@ websearch_to_tsquery('english', $1)
              AND ($2::text IS NULL OR EXISTS (
                    SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                    WHERE at.article_id = s.article_id AND t.slug = $2))
              AND ($3::boolean IS NULL OR s.archived = $3)
            LIMIT $4
        ) AS matches
        "#,
        query,
        filter.topic,
        filter.archived,
        COUNT_CAP + 1,
    )
    .fetch_one(pool)
    .await
}
