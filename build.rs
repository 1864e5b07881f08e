// Rebuilds when a migration changes: `sqlx::migrate!` embeds the files, and cargo does not
// otherwise know that they are inputs (sqlx's documented build script).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
