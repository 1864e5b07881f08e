//! Full-text search over published stories: the reader's words (`websearch_to_tsquery`, with
//! the synonym sets applied by `dateline_search_query`) against the GIN-indexed
//! `search_vector` (title A, dek B, body and citation C), ranked, with snippets; and the words
//! of published stories for spelling suggestions.

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

/// How many of the newest stories make the "recent" part of a search (see [`search`]).
pub const RECENT_STORIES: i64 = 10_000;

/// Published stories matching `query`: the newest matches (at least [`RANK_WINDOW`], and enough
/// for the page asked for) ranked by `ts_rank` (weights: title, dek, body), best first.
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
        WITH q AS MATERIALIZED (
            -- Once per search: the rules are read on every call.
            SELECT dateline_search_query($1) AS expanded,
                   websearch_to_tsquery('english', $1) AS typed
        ),
        recent AS MATERIALIZED (
            SELECT s.article_id, s.published_at, s.search_vector
            FROM article_search s
            WHERE s.search_vector @@ (SELECT expanded FROM q)
              AND s.published_at >= coalesce($7::timestamptz, '-infinity')
              AND ($2::text IS NULL OR EXISTS (
                    SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                    WHERE at.article_id = s.article_id AND t.slug = $2))
              AND ($3::boolean IS NULL OR s.archived = $3)
            ORDER BY s.published_at DESC, s.article_id
            LIMIT $6
        ),
        older AS MATERIALIZED (
            SELECT s.article_id, s.published_at, s.search_vector
            FROM article_search s
            WHERE (SELECT count(*) FROM recent) < $6
              AND s.search_vector @@ (SELECT expanded FROM q)
              -- Not through the recency index: for the older part it would bitmap nearly the
              -- whole table; the GIN index alone finds fewer rows.
              AND s.published_at + interval '0 seconds' < coalesce($7::timestamptz, '-infinity')
              AND ($2::text IS NULL OR EXISTS (
                    SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                    WHERE at.article_id = s.article_id AND t.slug = $2))
              AND ($3::boolean IS NULL OR s.archived = $3)
            ORDER BY s.published_at DESC, s.article_id
            LIMIT $6
        ),
        ranked AS (
            -- The words as typed count twice: a story with the reader's own word ranks above
            -- one with only a synonym of it. (Without synonyms the two queries are one: ranked
            -- once, in the same order.)
            SELECT c.article_id, c.published_at,
                   CASE WHEN q.expanded = q.typed
                        THEN ts_rank(c.search_vector, q.typed)
                        ELSE ts_rank(c.search_vector, q.expanded)
                             + ts_rank(c.search_vector, q.typed)
                   END AS rank
            FROM q, (
                SELECT * FROM recent
                UNION ALL
                SELECT * FROM (SELECT * FROM older ORDER BY published_at DESC, article_id
                               LIMIT $6 - (SELECT count(*) FROM recent)) AS rest
            ) AS c
            ORDER BY rank DESC, c.published_at DESC, c.article_id
            LIMIT $4 OFFSET $5
        )
        SELECT a.id, a.slug, a.title, a.dek, a.published_at AS "published_at!", a.archived,
               left(a.body_markdown, $8) AS "body!",
               length(a.body_markdown) > $8 AS "truncated!",
               q.expanded::text AS "query!"
        FROM q, ranked r JOIN articles a ON a.id = r.article_id
        ORDER BY r.rank DESC, r.published_at DESC, r.article_id
        "#,
        query,
        filter.topic,
        filter.archived,
        limit,
        offset,
        RANK_WINDOW.max(offset + limit),
        recent_since,
        SNIPPET_SOURCE_CHARS,
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
        WITH q AS MATERIALIZED (SELECT dateline_search_query($1) AS expanded)
        SELECT count(*) AS "count!" FROM (
            SELECT 1
            FROM article_search s
            WHERE s.search_vector @@ (SELECT expanded FROM q)
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

/// For each of `words` that no published story uses, the closest word that one does (by
/// trigram distance; the commoner word on a tie), if any is close enough (`pg_trgm`'s
/// similarity threshold, 0.3). Words some story uses are left out: they are never corrected.
pub async fn corrections(pool: &PgPool, words: &[String]) -> sqlx::Result<Vec<(String, String)>> {
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
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| row.correction.map(|c| (row.word, c)))
        .collect())
}
