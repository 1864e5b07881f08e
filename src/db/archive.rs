//! The SQL of `dateline export` and `dateline import dateline`: which tables a portable copy
//! holds, in an order their foreign keys allow, each row read as JSON (`to_jsonb`) and written
//! back with `jsonb_populate_recordset`, so every column keeps its value and type (ids,
//! versions, timestamps to the microsecond) without a Rust struct per table to keep in step.
//! Table names come from [`KINDS`] only, never from the file.

use std::collections::HashMap;

use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

/// One kind of record in an export: a table, how its rows are read, and which of its columns
/// name a user (rewritten when the target already has that user under another id).
#[derive(Debug)]
pub struct Kind {
    /// The name in the file (`<name>/000001.jsonl`); also the table's name.
    pub name: &'static str,
    /// The rows as JSON objects, in a stable order.
    pub select: &'static str,
    /// Columns holding a `users.id`.
    pub user_columns: &'static [&'static str],
    /// Rows the migrations create (a one-row settings table) or that the copy replaces
    /// whole: deleted before the copy's rows go in.
    pub replace: bool,
}

/// What an export holds, in the order it is written and read back. Left out on purpose:
/// password hashes, API tokens, sessions, preview links and secrets (credentials); reader
/// feedback (what readers wrote, with their email addresses: see docs/EXPORT_FORMAT.md);
/// audit log, page views, autosaves, presence, rate limits and maintenance runs (operational
/// state, not content); `article_search`, `article_words` and `search_words` (rebuilt by their
/// triggers as the stories go in).
pub const KINDS: &[Kind] = &[
    Kind {
        name: "users",
        // Names, emails and roles only: every account arrives disabled, without a password.
        select: "SELECT jsonb_build_object('id', id, 'email', email, 'name', name, \
                 'role', role, 'created_at', created_at, 'updated_at', updated_at)::text \
                 FROM users ORDER BY id",
        user_columns: &[],
        replace: false,
    },
    Kind {
        name: "topics",
        select: "SELECT to_jsonb(t)::text FROM topics t ORDER BY id",
        user_columns: &[],
        replace: false,
    },
    Kind {
        name: "media_blobs",
        // The bytes travel as files of their own (`blobs/<hash>`).
        select: "SELECT (to_jsonb(t) - 'bytes')::text FROM media_blobs t ORDER BY hash",
        user_columns: &[],
        replace: false,
    },
    Kind {
        name: "media",
        select: "SELECT to_jsonb(t)::text FROM media t ORDER BY id",
        user_columns: &["created_by"],
        replace: false,
    },
    Kind {
        name: "media_renditions",
        select: "SELECT to_jsonb(t)::text FROM media_renditions t \
                 ORDER BY media_id, width, content_type",
        user_columns: &[],
        replace: false,
    },
    Kind {
        name: "people",
        select: "SELECT to_jsonb(t)::text FROM people t ORDER BY id",
        user_columns: &[],
        replace: false,
    },
    Kind {
        name: "articles",
        // `search_vector` is generated from the other columns.
        select: "SELECT (to_jsonb(t) - 'search_vector')::text FROM articles t ORDER BY id",
        user_columns: &["created_by", "updated_by", "deleted_by"],
        replace: false,
    },
    Kind {
        name: "article_topics",
        select: "SELECT to_jsonb(t)::text FROM article_topics t ORDER BY article_id, topic_id",
        user_columns: &[],
        replace: false,
    },
    Kind {
        name: "article_authors",
        select: "SELECT to_jsonb(t)::text FROM article_authors t ORDER BY article_id, person_id",
        user_columns: &[],
        replace: false,
    },
    Kind {
        name: "article_body_media",
        select: "SELECT to_jsonb(t)::text FROM article_body_media t ORDER BY article_id, media_id",
        user_columns: &[],
        replace: false,
    },
    Kind {
        name: "article_revisions",
        select: "SELECT to_jsonb(t)::text FROM article_revisions t ORDER BY article_id, number",
        user_columns: &["created_by"],
        replace: false,
    },
    Kind {
        // Old links of imported stories (`dateline import wordpress|ghost`): they keep answering
        // 301 after a restore.
        name: "import_redirects",
        select: "SELECT to_jsonb(t)::text FROM import_redirects t ORDER BY path",
        user_columns: &[],
        replace: false,
    },
    Kind {
        // What each imported item became, so that importing the same WordPress or Ghost file
        // into the restored site still changes nothing.
        name: "import_sources",
        select: "SELECT to_jsonb(t)::text FROM import_sources t ORDER BY source, kind, source_id",
        user_columns: &[],
        replace: false,
    },
    Kind {
        name: "slug_history",
        select: "SELECT to_jsonb(t)::text FROM slug_history t ORDER BY slug",
        user_columns: &[],
        replace: false,
    },
    Kind {
        name: "scheduled_jobs",
        select: "SELECT to_jsonb(t)::text FROM scheduled_jobs t ORDER BY id",
        user_columns: &["created_by"],
        replace: false,
    },
    Kind {
        name: "review_requests",
        select: "SELECT to_jsonb(t)::text FROM review_requests t ORDER BY id",
        user_columns: &["requested_by", "decided_by"],
        replace: false,
    },
    Kind {
        name: "search_synonym_sets",
        select: "SELECT to_jsonb(t)::text FROM search_synonym_sets t ORDER BY position",
        user_columns: &[],
        replace: true,
    },
    Kind {
        name: "search_synonym_rules",
        select: "SELECT to_jsonb(t)::text FROM search_synonym_rules t \
                 ORDER BY target::text, substitute::text",
        user_columns: &[],
        replace: true,
    },
    Kind {
        name: "search_synonyms_state",
        select: "SELECT to_jsonb(t)::text FROM search_synonyms_state t",
        user_columns: &["updated_by"],
        replace: true,
    },
    Kind {
        name: "search_synonym_history",
        select: "SELECT to_jsonb(t)::text FROM search_synonym_history t ORDER BY version",
        user_columns: &["changed_by"],
        replace: true,
    },
    Kind {
        name: "archive_policy",
        select: "SELECT to_jsonb(t)::text FROM archive_policy t",
        user_columns: &["updated_by"],
        replace: true,
    },
];

/// Starts the read of an export: one snapshot for every table, without the pool's statement
/// time-out (a large site takes longer than a request may).
pub async fn begin_snapshot(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *conn)
        .await?;
    no_time_limits(conn).await
}

/// Lifts the pool's time-outs for this transaction.
pub async fn no_time_limits(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("SET LOCAL statement_timeout = 0")
        .execute(&mut *conn)
        .await?;
    sqlx::query("SET LOCAL idle_in_transaction_session_timeout = 0")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// How many rows of each kind there are, and how many blobs have their bytes here.
pub async fn counts(conn: &mut PgConnection) -> sqlx::Result<(Vec<(String, i64)>, i64)> {
    let mut counts = Vec::new();
    for kind in KINDS {
        // Each kind's select reads every row of its table, so the table's count is its count.
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", kind.name))
            .fetch_one(&mut *conn)
            .await?;
        counts.push((kind.name.to_owned(), n));
    }
    let blobs: i64 = sqlx::query_scalar("SELECT count(*) FROM media_blobs WHERE bytes IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?;
    Ok((counts, blobs))
}

/// The rows of one kind, as JSON text, streamed (never all in memory).
pub fn rows<'c>(
    conn: &'c mut PgConnection,
    kind: &'static Kind,
) -> BoxStream<'c, sqlx::Result<String>> {
    sqlx::query_scalar::<_, String>(kind.select)
        .fetch(conn)
        .boxed()
}

/// The hashes of the blobs whose bytes are kept in the database.
pub async fn blob_hashes(conn: &mut PgConnection) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT hash FROM media_blobs WHERE bytes IS NOT NULL ORDER BY hash")
        .fetch_all(conn)
        .await
}

/// One blob's bytes.
pub async fn blob(conn: &mut PgConnection, hash: &str) -> sqlx::Result<Vec<u8>> {
    sqlx::query_scalar("SELECT bytes FROM media_blobs WHERE hash = $1")
        .bind(hash)
        .fetch_one(conn)
        .await
}

/// The latest migration applied: the schema an export was taken from.
pub async fn schema_version(conn: &mut PgConnection) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM _sqlx_migrations WHERE success")
        .fetch_one(conn)
        .await
}

/// Whether the database holds any content (stories, topics, people or images): an import
/// goes into an empty one only.
pub async fn holds_content(conn: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM articles) OR EXISTS (SELECT 1 FROM topics) \
         OR EXISTS (SELECT 1 FROM people) OR EXISTS (SELECT 1 FROM media)",
    )
    .fetch_one(conn)
    .await
}

/// Starts the import's one transaction and locks out a second import (or a demo load).
pub async fn begin_import(tx: &mut Transaction<'_, Postgres>) -> sqlx::Result<()> {
    no_time_limits(tx).await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('dateline-demo'))")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes the rows of the kinds the copy replaces whole.
pub async fn clear_replaced(conn: &mut PgConnection) -> sqlx::Result<()> {
    for kind in KINDS.iter().filter(|k| k.replace) {
        sqlx::query(&format!("DELETE FROM {}", kind.name))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The columns of a table that may be written (not generated).
pub async fn writable_columns(conn: &mut PgConnection, table: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' \
         ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(conn)
    .await
}

/// Inserts a batch of rows (a JSON array of objects) of one kind; `columns` are the ones the
/// rows carry (the table's defaults fill the rest).
pub async fn insert_rows(
    conn: &mut PgConnection,
    kind: &Kind,
    columns: &[String],
    rows_json: &str,
) -> sqlx::Result<u64> {
    let list = columns
        .iter()
        .map(|c| format!("\"{c}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = if kind.name == "users" {
        // No credentials: a password hash no password matches, and the account disabled. An
        // account the target already has (same id or email) is kept as it is.
        format!(
            "INSERT INTO users ({list}, password_hash, disabled_at) \
             SELECT {list}, '!imported-without-password', now() \
             FROM jsonb_populate_recordset(NULL::users, $1::jsonb) ON CONFLICT DO NOTHING"
        )
    } else {
        format!(
            "INSERT INTO {table} ({list}) SELECT {list} \
             FROM jsonb_populate_recordset(NULL::{table}, $1::jsonb)",
            table = kind.name
        )
    };
    Ok(sqlx::query(&sql)
        .bind(rows_json)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Users of the copy whose email the target already has under another id: their id there.
pub async fn existing_users(
    conn: &mut PgConnection,
    rows_json: &str,
) -> sqlx::Result<HashMap<Uuid, Uuid>> {
    let pairs: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT r.id, u.id FROM jsonb_populate_recordset(NULL::users, $1::jsonb) r \
         JOIN users u ON lower(u.email) = lower(r.email) WHERE u.id <> r.id",
    )
    .bind(rows_json)
    .fetch_all(conn)
    .await?;
    Ok(pairs.into_iter().collect())
}

/// Sets `superseded_by` once every story is in (a story may name one written after it).
pub async fn link_superseded(conn: &mut PgConnection, links: &[(Uuid, Uuid)]) -> sqlx::Result<()> {
    let (ids, newer): (Vec<Uuid>, Vec<Uuid>) = links.iter().copied().unzip();
    sqlx::query(
        "UPDATE articles a SET superseded_by = l.newer \
         FROM unnest($1::uuid[], $2::uuid[]) AS l(id, newer) WHERE a.id = l.id",
    )
    .bind(ids)
    .bind(newer)
    .execute(conn)
    .await?;
    Ok(())
}

/// Puts a blob's bytes back, after its row went in with the `media_blobs` kind.
pub async fn put_blob_bytes(
    conn: &mut PgConnection,
    hash: &str,
    bytes: &[u8],
) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("UPDATE media_blobs SET bytes = $2 WHERE hash = $1 AND bytes IS NULL")
            .bind(hash)
            .bind(bytes)
            .execute(conn)
            .await?
            .rows_affected(),
    )
}
