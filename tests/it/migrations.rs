//! The embedded migrations.

use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn migrations_apply_to_an_empty_database_and_again_as_a_no_op(pool: PgPool) {
    dateline::db::MIGRATOR.run(&pool).await.expect("first run");
    dateline::db::MIGRATOR
        .run(&pool)
        .await
        .expect("second run is a no-op");

    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_schema || '.' || table_name FROM information_schema.tables
         WHERE table_schema IN ('public', 'tower_sessions') ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for table in [
        "public.api_tokens",
        "public.article_revisions",
        "public.article_topics",
        "public.articles",
        "public.feedback",
        "public.slug_history",
        "public.topics",
        "public.users",
        "tower_sessions.session",
    ] {
        assert!(
            tables.iter().any(|t| t == table),
            "{table} missing from {tables:?}"
        );
    }

    let timestamp_types: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT data_type FROM information_schema.columns
         WHERE table_schema = 'public' AND column_name LIKE '%\\_at' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(timestamp_types, vec!["timestamp with time zone".to_owned()]);
}

#[sqlx::test]
async fn named_constraints_guard_slugs_statuses_and_lengths(pool: PgPool) {
    let insert = |slug: &'static str, status: &'static str, title: String| {
        let pool = pool.clone();
        async move {
            sqlx::query(
                "INSERT INTO articles (id, slug, title, status, published_at) VALUES ($1, $2, $3, $4, now())",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(slug)
            .bind(title)
            .bind(status)
            .execute(&pool)
            .await
        }
    };
    let constraint = |result: Result<_, sqlx::Error>| match result {
        Err(sqlx::Error::Database(db)) => db.constraint().map(str::to_owned),
        other => panic!("expected a constraint violation, got {other:?}"),
    };
    insert("ok", "published", "Fine".into()).await.unwrap();
    assert_eq!(
        constraint(insert("ok", "published", "Dup".into()).await).as_deref(),
        Some("articles_slug_key")
    );
    assert_eq!(
        constraint(insert("Bad Slug", "draft", "x".into()).await).as_deref(),
        Some("articles_slug_check")
    );
    assert_eq!(
        constraint(insert("s2", "live", "x".into()).await).as_deref(),
        Some("articles_status_check")
    );
    assert_eq!(
        constraint(insert("s3", "draft", "x".repeat(201)).await).as_deref(),
        Some("articles_title_check")
    );
    assert_eq!(
        constraint(insert("s4", "draft", "   ".into()).await).as_deref(),
        Some("articles_title_check")
    );
}
