//! `slug_history`: the previous addresses of stories, which answer `301` to the current one.

use sqlx::PgPool;
use uuid::Uuid;

/// The current slug of the public (published or withdrawn) article that used to live at
/// `old_slug`; a story readers cannot see does not give its new slug away.
pub async fn current_slug_for_previous(
    pool: &PgPool,
    old_slug: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        r#"
        SELECT a.slug
        FROM slug_history h JOIN articles a ON a.id = h.article_id
        WHERE h.slug = $1 AND a.deleted_at IS NULL
          AND a.status IN ('published', 'withdrawn')
        "#,
        old_slug
    )
    .fetch_optional(pool)
    .await
}

/// Records that the article used to live at `old_slug`.
pub async fn record_previous_slug(
    db: &mut sqlx::PgConnection,
    article_id: Uuid,
    old_slug: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO slug_history (slug, article_id) VALUES ($1, $2)
        ON CONFLICT ON CONSTRAINT slug_history_pkey DO UPDATE SET article_id = EXCLUDED.article_id
        "#,
        old_slug,
        article_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets `slug` as a previous slug of `article_id` (it is the current one again).
pub async fn forget_previous_slug(
    db: &mut sqlx::PgConnection,
    article_id: Uuid,
    slug: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM slug_history WHERE slug = $1 AND article_id = $2",
        slug,
        article_id
    )
    .execute(db)
    .await?;
    Ok(())
}
