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

/// How many of the newest stories make the "recent" part of a search (see [`search`]).
pub const RECENT_STORIES: i64 = 10_000;

/// Published stories matching `query`: the newest matches (at least [`RANK_WINDOW`], and enough
/// for the page asked for) ranked by `ts_rank_cd`, best first.
///
/// The newest matches are looked for among the stories published since `recent_since` first
/// (the GIN index and the recency index combined, so a common word reads only the recent
/// stories' rows, not every story that has it); only when those are too few are older stories
/// read as well. Any `recent_since` gives the same answer (`None`: every story at once); a good
/// one (the date of the [`RECENT_STORIES`]th newest story, from [`recent_since`]) makes it cheap.
pub async fn search(
    pool: &PgPool,
    query: &str,
    filter: &SearchFilter,
    limit: i64,
    offset: i64,
    recent_since: Option<OffsetDateTime>,
) -> sqlx::Result<Vec<SearchHit>> {
    sqlx::query_as!(
        SearchHit,
        r#"
        WITH recent AS MATERIALIZED (
            SELECT s.article_id, s.published_at, s.search_vector
            FROM article_search s
            WHERE s.search_vector @@ websearch_to_tsquery('english', $1)
              AND s.published_at >= coalesce($8::timestamptz, '-infinity')
              AND ($2::text IS NULL OR EXISTS (
                    SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                    WHERE at.article_id = s.article_id AND t.slug = $2))
              AND ($3::boolean IS NULL OR s.archived = $3)
            ORDER BY s.published_at DESC, s.article_id
            LIMIT $7
        ),
        older AS MATERIALIZED (
            SELECT s.article_id, s.published_at, s.search_vector
            FROM article_search s
            WHERE (SELECT count(*) FROM recent) < $7
              AND s.search_vector @@ websearch_to_tsquery('english', $1)
              -- Not through the recency index: for the older part it would bitmap nearly the
              -- whole table; the GIN index alone finds fewer rows.
              AND s.published_at + interval '0 seconds' < coalesce($8::timestamptz, '-infinity')
              AND ($2::text IS NULL OR EXISTS (
                    SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                    WHERE at.article_id = s.article_id AND t.slug = $2))
              AND ($3::boolean IS NULL OR s.archived = $3)
            ORDER BY s.published_at DESC, s.article_id
            LIMIT $7
        ),
        ranked AS (
            SELECT c.article_id, c.published_at,
                   ts_rank_cd(c.search_vector, websearch_to_tsquery('english', $1)) AS rank
            FROM (
                SELECT * FROM recent
                UNION ALL
                SELECT * FROM (SELECT * FROM older ORDER BY published_at DESC, article_id
                               LIMIT $7 - (SELECT count(*) FROM recent)) AS rest
            ) AS c
            ORDER BY rank DESC, c.published_at DESC, c.article_id
            LIMIT $4 OFFSET $5
        )
        SELECT a.id, a.slug, a.title, a.dek, a.published_at AS "published_at!", a.archived,
               ts_headline('english', a.dek || ' ' || left(a.body_markdown, 20000),
                           websearch_to_tsquery('english', $1), $6) AS "headline!"
        FROM ranked r JOIN articles a ON a.id = r.article_id
        ORDER BY r.rank DESC, r.published_at DESC, r.article_id
        "#,
        query,
        filter.topic,
        filter.archived,
        limit,
        offset,
        crate::domain::search::headline_options(),
        RANK_WINDOW.max(offset + limit),
        recent_since,
    )
    .fetch_all(pool)
    .await
}

/// When the [`RECENT_STORIES`]th newest listed story was published (`None` while there are
/// fewer): the `recent_since` of [`search`].
pub async fn recent_since(pool: &PgPool) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar!(
        r#"SELECT published_at FROM article_search ORDER BY published_at DESC OFFSET $1 LIMIT 1"#,
        RECENT_STORIES - 1,
    )
    .fetch_optional(pool)
    .await
}

/// [`recent_since`], looked up at most once a minute per instance: it only steers the work of
/// a search, never its answer, so a stale value costs nothing but a little speed.
#[derive(Debug, Default)]
pub struct RecentWindow {
    known: std::sync::Mutex<Option<(std::time::Instant, Option<OffsetDateTime>)>>,
}

impl RecentWindow {
    const REFRESH: std::time::Duration = std::time::Duration::from_secs(60);

    pub async fn since(&self, pool: &PgPool) -> Option<OffsetDateTime> {
        if let Some((at, since)) = *self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            && at.elapsed() < Self::REFRESH
        {
            return since;
        }
        // On an error, search everything at once this time.
        let since = recent_since(pool).await.ok()?;
        *self
            .known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((std::time::Instant::now(), since));
        since
    }
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
