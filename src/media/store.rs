//! Where the bytes of images are kept: one small interface, [`BlobStore`], addressed by the
//! SHA-256 of the bytes. Today the only implementation is PostgreSQL ([`PgBlobs`], the
//! `media_blobs` table), so every instance serves every image and a database backup is a backup
//! of the site. Moving originals to an object store is a second implementation of this trait
//! (the `media_blobs` row then keeps the hash and size with no bytes); nothing else changes.

use axum::body::Bytes;
use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

/// The SHA-256 of `bytes`, in lowercase hex: a blob's address.
pub fn hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Keeps and gives back blobs by hash. Writing a hash already kept is a no-op.
pub trait BlobStore: Send + Sync {
    fn put<'a>(&'a self, hash: &'a str, bytes: &'a [u8]) -> BoxFuture<'a, sqlx::Result<()>>;
    fn get<'a>(&'a self, hash: &'a str) -> BoxFuture<'a, sqlx::Result<Option<Bytes>>>;
}

/// Blobs in PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgBlobs {
    pool: PgPool,
}

impl PgBlobs {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl BlobStore for PgBlobs {
    fn put<'a>(&'a self, hash: &'a str, bytes: &'a [u8]) -> BoxFuture<'a, sqlx::Result<()>> {
        Box::pin(crate::db::media::put_blob(&self.pool, hash, bytes))
    }

    fn get<'a>(&'a self, hash: &'a str) -> BoxFuture<'a, sqlx::Result<Option<Bytes>>> {
        Box::pin(async move {
            Ok(crate::db::media::blob(&self.pool, hash)
                .await?
                .map(Bytes::from))
        })
    }
}
