//! `dateline export FILE` and `dateline import dateline FILE`: a portable copy of a site in one
//! file (docs/EXPORT_FORMAT.md). A gzip'd tar: `manifest.json` first (format name and version,
//! the schema it was taken from, how many records of each kind), then one folder of JSON Lines
//! files per kind in [`crate::db::archive::KINDS`] order, and `blobs/<sha256>` for the bytes of
//! every image file. The file is written and read as a stream: the database is paged through
//! and blobs go one at a time, so memory stays flat whatever the size of the site.

mod export;
mod import;

pub use export::export;
pub use import::import;

use serde::{Deserialize, Serialize};

/// What the first entry of the file says.
pub const FORMAT: &str = "dateline-export";
/// Bumped on any change an older reader would misread.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's entry name.
pub const MANIFEST: &str = "manifest.json";
/// Rows per JSON Lines file (fewer when they reach [`CHUNK_BYTES`]).
const CHUNK_ROWS: usize = 1000;
/// Bytes per JSON Lines file before a new one is started.
const CHUNK_BYTES: usize = 4 << 20;
/// No entry of a well-formed file is larger (an image is at most 20 MiB).
const MAX_ENTRY_BYTES: u64 = 64 << 20;

/// `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The last database migration of the site the copy was taken from.
    pub schema_version: i64,
    pub dateline_version: String,
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: time::OffsetDateTime,
    /// How many records of each kind follow, in the order they follow.
    pub counts: Vec<KindCount>,
    /// How many `blobs/` entries follow.
    pub blobs: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct KindCount {
    pub kind: String,
    pub records: i64,
}

impl Manifest {
    fn count(&self, kind: &str) -> i64 {
        self.counts
            .iter()
            .find(|c| c.kind == kind)
            .map_or(0, |c| c.records)
    }

    /// The one-line summary both commands end with.
    fn summary(&self) -> String {
        format!(
            "{} stories ({} revisions), {} topics, {} people, {} images ({} files), \
             {} synonym sets, the archive policy, {} previous slugs, {} users (without credentials)",
            self.count("articles"),
            self.count("article_revisions"),
            self.count("topics"),
            self.count("people"),
            self.count("media"),
            self.blobs,
            self.count("search_synonym_sets"),
            self.count("slug_history"),
            self.count("users"),
        )
    }
}

/// A progress bar on standard error (drawn only when it is a terminal).
fn progress(total: u64, what: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} records {msg} ({elapsed})",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(what.to_owned());
    bar
}
