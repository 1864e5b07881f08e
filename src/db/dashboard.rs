//! Figures for the admin dashboard.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// Stories per status (deleted ones left out), in lifecycle order.
pub async fn status_counts(
    pool: &PgPool,
    created_by: Option<Uuid>,
) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"
        SELECT s.status AS "status!", count(a.id) AS "count!"
        FROM unnest(ARRAY['draft', 'in_review', 'scheduled', 'published', 'withdrawn'])
             WITH ORDINALITY AS s(status, n)
        LEFT JOIN articles a ON a.status = s.status AND a.deleted_at IS NULL
                            AND ($1::uuid IS NULL OR a.created_by = $1)
        GROUP BY s.status, s.n ORDER BY s.n
        "#,
        created_by
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.status, r.count)).collect())
}

/// What the dashboard's rows show besides the story: who it is credited to (its bylines' names
/// in order, or, without a byline, the name of the user who created it) and when anything in
/// it last changed (the order of the list).
#[derive(Debug, Clone)]
pub struct RowFacts {
    pub credit: String,
    pub modified_at: OffsetDateTime,
}

pub async fn row_facts(
    pool: &PgPool,
    ids: &[Uuid],
) -> sqlx::Result<std::collections::HashMap<Uuid, RowFacts>> {
    let rows = sqlx::query!(
        r#"
        SELECT a.id AS "id!", a.modified_at AS "modified_at!",
               coalesce(
                   (SELECT string_agg(p.name, ', ' ORDER BY aa.position)
                    FROM article_authors aa JOIN people p ON p.id = aa.person_id
                    WHERE aa.article_id = a.id),
                   (SELECT u.name FROM users u WHERE u.id = a.created_by),
                   ''
               ) AS "credit!"
        FROM articles a WHERE a.id = ANY($1)
        "#,
        ids
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                RowFacts {
                    credit: r.credit,
                    modified_at: r.modified_at,
                },
            )
        })
        .collect())
}

/// Something scheduled: a publication, or the unpublishing or archiving of a published story.
#[derive(Debug, Clone)]
pub struct Scheduled {
    pub id: Uuid,
    pub title: String,
    /// `publish`, `unpublish` or `archive`.
    pub action: String,
    pub at: OffsetDateTime,
}

/// What is scheduled next, soonest first: scheduled stories at their dateline, and the pending
/// unpublish and archive jobs of published ones.
pub async fn next_scheduled(pool: &PgPool, limit: i64) -> sqlx::Result<Vec<Scheduled>> {
    sqlx::query_as!(
        Scheduled,
        r#"
        SELECT id AS "id!", title AS "title!", action AS "action!", at AS "at!" FROM (
            SELECT id, title, 'publish' AS action, published_at AS at FROM articles
            WHERE status = 'scheduled' AND deleted_at IS NULL AND published_at IS NOT NULL
            UNION ALL
            SELECT a.id, a.title, j.action, j.run_at FROM scheduled_jobs j
            JOIN articles a ON a.id = j.article_id
            WHERE j.action IN ('unpublish', 'archive') AND j.done_at IS NULL
              AND j.canceled_at IS NULL AND a.deleted_at IS NULL AND a.status = 'published'
        ) next
        ORDER BY at, id LIMIT $1
        "#,
        limit
    )
    .fetch_all(pool)
    .await
}

/// A published story whose next medical review is due.
#[derive(Debug, Clone)]
pub struct ReviewDue {
    pub id: Uuid,
    pub title: String,
    /// `YYYY-MM-DD`.
    pub next_review_due: String,
}

/// Published stories whose next review is due by `today` (`YYYY-MM-DD`), most overdue first,
/// and how many there are.
pub async fn reviews_due(
    pool: &PgPool,
    today: &str,
    limit: i64,
) -> sqlx::Result<(Vec<ReviewDue>, i64)> {
    let rows = sqlx::query_as!(
        ReviewDue,
        r#"
        SELECT id, title, review ->> 'next_review_due' AS "next_review_due!"
        FROM articles
        WHERE status = 'published' AND deleted_at IS NULL
          AND (review ->> 'next_review_due') <= $1
        ORDER BY review ->> 'next_review_due', id
        LIMIT $2
        "#,
        today,
        limit
    )
    .fetch_all(pool)
    .await?;
    let count = sqlx::query_scalar!(
        r#"
        SELECT count(*) AS "count!" FROM articles
        WHERE status = 'published' AND deleted_at IS NULL
          AND (review ->> 'next_review_due') <= $1
        "#,
        today
    )
    .fetch_one(pool)
    .await?;
    Ok((rows, count))
}

/// People who created stories, for the author filter.
pub async fn authors(pool: &PgPool) -> sqlx::Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        "SELECT id, name FROM users WHERE id IN (SELECT DISTINCT created_by FROM articles
         WHERE created_by IS NOT NULL) ORDER BY name"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}
