//! Writing an export: the database read in one snapshot, on this task; the file written on a
//! thread of its own, fed through a short channel (so at most a few chunks are in memory).

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use futures_util::StreamExt;
use sqlx::PgPool;
use tokio::sync::mpsc;

use super::{CHUNK_BYTES, CHUNK_ROWS, FORMAT, FORMAT_VERSION, KindCount, MANIFEST, Manifest};
use crate::db::archive::{self, KINDS};

/// One entry of the tar: its path and bytes.
type Entry = (String, Vec<u8>);

/// Writes everything to `file`; prints a summary line on standard output.
pub async fn export(pool: &PgPool, file: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let out = File::create(file).with_context(|| format!("could not create {}", file.display()))?;
    let (sender, mut receiver) = mpsc::channel::<Entry>(4);
    let writer = std::thread::spawn(move || -> anyhow::Result<u64> {
        let gz = flate2::write::GzEncoder::new(BufWriter::new(out), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        while let Some((path, bytes)) = receiver.blocking_recv() {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_mtime(0);
            header.set_entry_type(tar::EntryType::Regular);
            tar.append_data(&mut header, &path, bytes.as_slice())?;
        }
        let gz = tar.into_inner()?;
        let mut buffered = gz.finish()?;
        std::io::Write::flush(&mut buffered)?;
        let file = buffered.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        Ok(file.metadata()?.len())
    });

    let read = read_all(pool, &sender).await;
    drop(sender);
    let written = writer
        .join()
        .map_err(|_| anyhow::anyhow!("the file writer panicked"))?;
    // A failed write closes the channel, so the reader's error is then only its echo.
    let bytes = written.with_context(|| format!("could not write {}", file.display()))?;
    let manifest = read?;
    println!(
        "exported {} to {} ({:.1} MB) in {:.1} s",
        manifest.summary(),
        file.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn read_all(pool: &PgPool, sender: &mpsc::Sender<Entry>) -> anyhow::Result<Manifest> {
    let closed = || anyhow::anyhow!("the file writer stopped");
    let mut conn = pool.acquire().await?;
    archive::begin_snapshot(&mut conn).await?;
    let (counts, blobs) = archive::counts(&mut conn).await?;
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        schema_version: archive::schema_version(&mut conn).await?,
        dateline_version: env!("CARGO_PKG_VERSION").to_owned(),
        exported_at: time::OffsetDateTime::now_utc(),
        counts: counts
            .into_iter()
            .map(|(kind, records)| KindCount { kind, records })
            .collect(),
        blobs,
    };
    let total = manifest.counts.iter().map(|c| c.records).sum::<i64>() + blobs;
    let bar = super::progress(total.max(0) as u64, "export");
    sender
        .send((MANIFEST.to_owned(), serde_json::to_vec_pretty(&manifest)?))
        .await
        .map_err(|_| closed())?;

    for kind in KINDS {
        bar.set_message(kind.name);
        let mut chunk = Vec::new();
        let mut rows_in_chunk = 0;
        let mut chunk_number = 0;
        let mut rows = archive::rows(&mut conn, kind);
        while let Some(row) = rows.next().await {
            chunk.extend_from_slice(row?.as_bytes());
            chunk.push(b'\n');
            rows_in_chunk += 1;
            bar.inc(1);
            if rows_in_chunk == CHUNK_ROWS || chunk.len() >= CHUNK_BYTES {
                chunk_number += 1;
                let path = format!("{}/{chunk_number:06}.jsonl", kind.name);
                sender
                    .send((path, std::mem::take(&mut chunk)))
                    .await
                    .map_err(|_| closed())?;
                rows_in_chunk = 0;
            }
        }
        drop(rows);
        if rows_in_chunk > 0 {
            chunk_number += 1;
            let path = format!("{}/{chunk_number:06}.jsonl", kind.name);
            sender.send((path, chunk)).await.map_err(|_| closed())?;
        }
        if kind.name == "media_blobs" {
            bar.set_message("blobs");
            for hash in archive::blob_hashes(&mut conn).await? {
                let bytes = archive::blob(&mut conn, &hash).await?;
                sender
                    .send((format!("blobs/{hash}"), bytes))
                    .await
                    .map_err(|_| closed())?;
                bar.inc(1);
            }
        }
    }
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    bar.finish_and_clear();
    Ok(manifest)
}
