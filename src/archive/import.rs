//! Reading an export back into an empty database, in one transaction: the file is read on a
//! thread of its own and handed over entry by entry; anything wrong (not this format, another
//! version, a damaged or truncated file, a database that already holds content) ends the
//! transaction before it commits, so nothing is written.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use sqlx::PgPool;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{FORMAT, FORMAT_VERSION, MANIFEST, MAX_ENTRY_BYTES, Manifest};
use crate::db::archive::{self, KINDS, Kind};

type Entry = Result<(String, Vec<u8>), String>;

/// Restores `file` into the (empty) database; prints a summary line on standard output.
pub async fn import(pool: &PgPool, file: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let input = File::open(file).with_context(|| format!("could not open {}", file.display()))?;
    let (sender, mut entries) = mpsc::channel::<Entry>(4);
    std::thread::spawn(move || read_entries(input, &sender));

    let manifest = read_manifest(&mut entries).await?;
    let mut tx = pool.begin().await?;
    archive::begin_import(&mut tx).await?;
    if archive::holds_content(&mut tx).await? {
        bail!(
            "the database already holds stories, topics, people or images; \
             `dateline import dateline` restores into an empty database only"
        );
    }
    let ours = archive::schema_version(&mut tx).await?;
    if manifest.schema_version > ours {
        bail!(
            "this export was made by a newer Dateline (database schema {}, ours is {}); \
             upgrade Dateline first",
            manifest.schema_version,
            ours
        );
    }
    archive::clear_replaced(&mut tx).await?;

    let total = manifest.counts.iter().map(|c| c.records).sum::<i64>() + manifest.blobs;
    let bar = super::progress(total.max(0) as u64, "import");
    let mut state = State::default();
    while let Some(entry) = entries.recv().await {
        let (path, bytes) = entry.map_err(|e| damaged(file, &e))?;
        if let Some(hash) = path.strip_prefix("blobs/") {
            state.blob(&mut tx, hash, &bytes).await?;
            bar.inc(1);
        } else if let Some((name, _)) = path.split_once('/') {
            let kind = state.enter(name, &path)?;
            let rows = state.rows(&mut tx, kind, &bytes).await?;
            bar.inc(rows);
        } else {
            bail!("{}: unexpected entry {path:?}", damaged(file, ""));
        }
    }
    bar.finish_and_clear();

    // Every record the manifest announced must have arrived: a file cut short between two
    // entries still reads as a tar.
    for expected in &manifest.counts {
        let found = state
            .counts
            .get(expected.kind.as_str())
            .copied()
            .unwrap_or(0);
        if found != expected.records {
            bail!(
                "{}: {} {} expected, {found} found",
                damaged(file, ""),
                expected.records,
                expected.kind
            );
        }
    }
    if state.blobs != manifest.blobs {
        bail!(
            "{}: {} image files expected, {} found",
            damaged(file, ""),
            manifest.blobs,
            state.blobs
        );
    }
    archive::link_superseded(&mut tx, &state.superseded).await?;
    tx.commit().await?;
    println!(
        "imported {} from {} in {:.1} s",
        manifest.summary(),
        file.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn damaged(file: &Path, detail: &str) -> anyhow::Error {
    if detail.is_empty() {
        anyhow::anyhow!("{} is damaged or truncated", file.display())
    } else {
        anyhow::anyhow!("{} is damaged or truncated: {detail}", file.display())
    }
}

/// The first entry: the manifest, of this format and version.
async fn read_manifest(entries: &mut mpsc::Receiver<Entry>) -> anyhow::Result<Manifest> {
    let not_ours = "not a Dateline export (a .tar.gz file written by `dateline export`)";
    let (path, bytes) = match entries.recv().await {
        Some(Ok(entry)) => entry,
        Some(Err(e)) => bail!("{not_ours}: {e}"),
        None => bail!("{not_ours}: the file is empty"),
    };
    if path != MANIFEST {
        bail!("{not_ours}: it does not start with {MANIFEST}");
    }
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).with_context(|| format!("{not_ours}: bad {MANIFEST}"))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        bail!("{not_ours}: {MANIFEST} does not name the format {FORMAT:?}");
    }
    let version = value.get("format_version").and_then(|v| v.as_u64());
    if version != Some(u64::from(FORMAT_VERSION)) {
        bail!(
            "this export is format version {}; this Dateline reads version {FORMAT_VERSION}",
            version.map_or_else(|| "(none)".to_owned(), |v| v.to_string())
        );
    }
    serde_json::from_value(value).with_context(|| format!("{not_ours}: bad {MANIFEST}"))
}

/// What the import has seen so far.
#[derive(Default)]
struct State {
    /// Where in [`KINDS`] the file has got to: kinds come in that order.
    position: usize,
    /// Per kind: the columns its rows carry (read from its first row).
    columns: HashMap<&'static str, Vec<String>>,
    counts: HashMap<&'static str, i64>,
    blobs: i64,
    /// Users the target already had under another id: the copy's id → the target's.
    users: HashMap<Uuid, Uuid>,
    /// (story, the story superseding it), set once all stories are in.
    superseded: Vec<(Uuid, Uuid)>,
}

impl State {
    /// The kind of a `<kind>/<n>.jsonl` entry, which may not come before the kinds already read.
    fn enter(&mut self, name: &str, path: &str) -> anyhow::Result<&'static Kind> {
        let Some(index) = KINDS.iter().position(|k| k.name == name) else {
            bail!("unexpected entry {path:?} in the export");
        };
        if index < self.position || !path.ends_with(".jsonl") {
            bail!("entry {path:?} is out of place in the export");
        }
        self.position = index;
        Ok(&KINDS[index])
    }

    async fn rows(
        &mut self,
        conn: &mut sqlx::PgConnection,
        kind: &'static Kind,
        bytes: &[u8],
    ) -> anyhow::Result<u64> {
        let text = std::str::from_utf8(bytes)
            .with_context(|| format!("{} records are not UTF-8", kind.name))?;
        let mut rows = Vec::new();
        for line in text.lines().filter(|l| !l.is_empty()) {
            let mut row: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
                .with_context(|| format!("a {} record is not a JSON object", kind.name))?;
            for column in kind.user_columns {
                if let Some(value) = row.get_mut(*column) {
                    let mapped = value
                        .as_str()
                        .and_then(|id| id.parse::<Uuid>().ok())
                        .and_then(|id| self.users.get(&id));
                    if let Some(id) = mapped {
                        *value = serde_json::Value::String(id.to_string());
                    }
                }
            }
            let superseded = (
                row.get("id").and_then(|v| v.as_str()),
                row.get("superseded_by").and_then(|v| v.as_str()),
            );
            if let (true, Some(id), Some(newer)) =
                (kind.name == "articles", superseded.0, superseded.1)
            {
                self.superseded.push((id.parse()?, newer.parse()?));
            }
            rows.push(serde_json::Value::Object(row));
        }
        let Some(first) = rows.first() else {
            return Ok(0);
        };
        if !self.columns.contains_key(kind.name) {
            let carried: Vec<String> = archive::writable_columns(conn, kind.name)
                .await?
                .into_iter()
                // `superseded_by` is set at the end (it may name a story not yet in).
                .filter(|c| first.get(c).is_some() && c != "superseded_by")
                .collect();
            self.columns.insert(kind.name, carried);
        }
        let columns = &self.columns[kind.name];
        let n = rows.len() as i64;
        let json = serde_json::Value::Array(rows).to_string();
        archive::insert_rows(conn, kind, columns, &json)
            .await
            .with_context(|| format!("could not restore the {}", kind.name))?;
        if kind.name == "users" {
            self.users
                .extend(archive::existing_users(conn, &json).await?);
        }
        *self.counts.entry(kind.name).or_default() += n;
        Ok(n as u64)
    }

    async fn blob(
        &mut self,
        conn: &mut sqlx::PgConnection,
        hash: &str,
        bytes: &[u8],
    ) -> anyhow::Result<()> {
        if crate::media::store::hash(bytes) != hash {
            bail!("the image file blobs/{hash} does not match its hash (damaged)");
        }
        if archive::put_blob_bytes(conn, hash, bytes).await? != 1 {
            bail!("the image file blobs/{hash} has no record in media_blobs");
        }
        self.blobs += 1;
        Ok(())
    }
}

/// Reads the tar.gz on this thread, handing each entry over; stops at the first error, or
/// when the importer stops listening.
fn read_entries(input: File, sender: &mpsc::Sender<Entry>) {
    let gz = flate2::read::GzDecoder::new(BufReader::new(input));
    let mut tar = tar::Archive::new(gz);
    let entries = match tar.entries() {
        Ok(entries) => entries,
        Err(e) => {
            let _ = sender.blocking_send(Err(e.to_string()));
            return;
        }
    };
    for entry in entries {
        let result = entry.and_then(|entry| {
            let path = entry.path()?.to_string_lossy().into_owned();
            if entry.size() > MAX_ENTRY_BYTES {
                return Err(std::io::Error::other(format!("{path} is too large")));
            }
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            entry.take(MAX_ENTRY_BYTES).read_to_end(&mut bytes)?;
            Ok((path, bytes))
        });
        let failed = result.is_err();
        if sender
            .blocking_send(result.map_err(|e| e.to_string()))
            .is_err()
            || failed
        {
            return;
        }
    }
}
