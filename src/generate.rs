//! `dateline generate --stories N`: a large, realistic data set for benchmarks, written in
//! batches of 1,000 with progress on standard error. Stories are assembled from a vocabulary of
//! conditions, treatments, study designs and findings, so that search has real words to rank.

use std::io::Write;
use std::time::Instant;

use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::domain::markdown;

const CONDITIONS: &[&str] = &[
    "type 2 diabetes",
    "breast cancer",
    "heart failure",
    "high blood pressure",
    "depression",
    "asthma",
    "migraine",
    "osteoporosis",
    "psoriasis",
    "Parkinson's disease",
    "chronic kidney disease",
    "atrial fibrillation",
    "colorectal cancer",
    "lung cancer",
    "HIV",
    "influenza",
    "long COVID",
    "rheumatoid arthritis",
    "obesity",
    "Alzheimer's disease",
    "prostate cancer",
    "stroke",
    "anxiety",
    "sleep apnoea",
    "hepatitis C",
    "melanoma",
];
const TREATMENTS: &[&str] = &[
    "a low-calorie diet",
    "daily aspirin",
    "a new antibody drug",
    "cognitive behavioural therapy",
    "metformin",
    "a once-weekly injection",
    "regular walking",
    "vitamin D supplements",
    "a Mediterranean diet",
    "statins",
    "a twice-yearly injection",
    "immunotherapy",
    "a digital coaching app",
    "strength training",
    "a mRNA vaccine",
    "trastuzumab",
    "mindfulness training",
    "a salt substitute",
    "an implanted device",
    "targeted radiotherapy",
];
const DESIGNS: &[(&str, &str)] = &[
    ("Randomised controlled trial", "a randomised trial"),
    (
        "Prospective cohort",
        "a cohort study that followed people for years",
    ),
    ("Meta-analysis", "a pooled analysis of earlier trials"),
    ("Retrospective cohort", "a review of hospital records"),
    ("Case-control study", "a case-control study"),
];
const JOURNALS: &[&str] = &[
    "The Lancet",
    "New England Journal of Medicine",
    "JAMA",
    "BMJ",
    "Nature Medicine",
    "Annals of Internal Medicine",
    "Diabetes Care",
    "Journal of Clinical Oncology",
    "European Heart Journal",
    "American Society of Clinical Oncology annual meeting",
];
const VERBS: &[&str] = &[
    "lowered",
    "cut",
    "reduced",
    "delayed",
    "did not change",
    "modestly improved",
    "halved",
];
const OUTCOMES: &[&str] = &[
    "the risk of hospital admission",
    "symptoms",
    "the chance of relapse",
    "deaths from any cause",
    "blood sugar levels",
    "the number of flare-ups",
    "remission rates",
    "pain scores",
    "progression",
];

/// A small deterministic generator (xorshift), so data sets are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Story {
    id: Uuid,
    slug: String,
    title: String,
    dek: String,
    body: String,
    html: String,
    published_at: OffsetDateTime,
    archived: bool,
    study: serde_json::Value,
}

fn story(rng: &mut Rng, n: u64, now: OffsetDateTime) -> Story {
    let condition = *rng.pick(CONDITIONS);
    let treatment = *rng.pick(TREATMENTS);
    let (design, design_text) = *rng.pick(DESIGNS);
    let journal = *rng.pick(JOURNALS);
    let verb = *rng.pick(VERBS);
    let outcome = *rng.pick(OUTCOMES);
    let people = 50 + rng.below(40_000);
    let percent = 5 + rng.below(60);
    let year = 2011 + rng.below(16);
    let title = format!(
        "{} {verb} {outcome} in people with {condition}",
        capitalise(treatment)
    );
    let dek = format!(
        "In {design_text} of {people} people, {treatment} {verb} {outcome} by about {percent}%, researchers report in {journal}."
    );
    let body = format!(
        "## What the study looked at\n\nResearchers ran {design_text} involving {people} adults living with {condition}. \
         Half received {treatment}; the others received usual care.\n\n\
         ## What they found\n\nOver the study period, {treatment} {verb} {outcome} by roughly {percent}% compared with usual care. \
         Side effects were mostly mild.\n\n\
         | group | people | outcome |\n|---|---|---|\n| {treatment} | {} | {percent}% fewer events |\n| usual care | {} | reference |\n\n\
         ## What it cannot tell us\n\n- The study ran for a limited time.\n- Participants may not represent everyone with {condition}.\n\
         - Findings from {journal} in {year} need confirming in other groups.\n",
        people / 2,
        people - people / 2
    );
    let html = markdown::render(&body).into_string();
    let published_at = now - Duration::minutes((n as i64) * 37 + rng.below(30) as i64);
    Story {
        id: Uuid::now_v7(),
        slug: format!(
            "{}-{n}",
            crate::domain::slug::Slug::from_title(&title)
                .map(|s| s.to_string())
                .unwrap_or_else(|| "story".into())
                .chars()
                .take(100)
                .collect::<String>()
                .trim_end_matches('-')
        ),
        dek,
        html,
        body,
        published_at,
        archived: rng.below(10) == 0,
        study: serde_json::json!({ "citation": format!("{journal}, {year}"), "study_type": design, "sample_size": people }),
        title,
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Inserts `count` published stories (about one in ten archived) spread over the topics, with a
/// first revision each.
pub async fn generate(pool: &PgPool, count: u64) -> anyhow::Result<()> {
    let topic_ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM topics ORDER BY slug")
        .fetch_all(pool)
        .await?;
    let started = Instant::now();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let now = OffsetDateTime::now_utc();
    let offset: i64 = sqlx::query_scalar("SELECT count(*) FROM articles")
        .fetch_one(pool)
        .await?;
    let mut done = 0u64;
    while done < count {
        let batch = (count - done).min(1_000);
        let stories: Vec<Story> = (0..batch)
            .map(|i| story(&mut rng, offset as u64 + done + i, now))
            .collect();
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO articles (id, slug, title, dek, body_markdown, body_html, status, published_at,
                                   updated_at, archived, archived_at, study, created_at, modified_at)
             SELECT id, slug, title, dek, body, html, 'published', published_at, published_at, archived,
                    CASE WHEN archived THEN published_at + interval '400 days' END, study, published_at, published_at
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                         $7::timestamptz[], $8::bool[], $9::jsonb[])
                  AS s(id, slug, title, dek, body, html, published_at, archived, study)",
        )
        .bind(stories.iter().map(|s| s.id).collect::<Vec<_>>())
        .bind(stories.iter().map(|s| s.slug.clone()).collect::<Vec<_>>())
        .bind(stories.iter().map(|s| s.title.clone()).collect::<Vec<_>>())
        .bind(stories.iter().map(|s| s.dek.clone()).collect::<Vec<_>>())
        .bind(stories.iter().map(|s| s.body.clone()).collect::<Vec<_>>())
        .bind(stories.iter().map(|s| s.html.clone()).collect::<Vec<_>>())
        .bind(stories.iter().map(|s| s.published_at).collect::<Vec<_>>())
        .bind(stories.iter().map(|s| s.archived).collect::<Vec<_>>())
        .bind(stories.iter().map(|s| s.study.clone()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO article_revisions (id, article_id, number, snapshot, created_at)
             SELECT gen_random_uuid(), a.id, 1, jsonb_build_object('title', a.title, 'slug', a.slug, 'status', 'published'), a.created_at
             FROM articles a WHERE a.id = ANY($1)",
        )
        .bind(stories.iter().map(|s| s.id).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        if !topic_ids.is_empty() {
            let topics: Vec<Uuid> = stories
                .iter()
                .map(|_| topic_ids[(rng.next() % topic_ids.len() as u64) as usize])
                .collect();
            sqlx::query(
                "INSERT INTO article_topics (article_id, topic_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])",
            )
            .bind(stories.iter().map(|s| s.id).collect::<Vec<_>>())
            .bind(topics)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        done += batch;
        let rate = done as f64 / started.elapsed().as_secs_f64().max(0.001);
        eprint!("\rgenerated {done:>7} / {count} stories ({rate:>6.0}/s)");
        std::io::stderr().flush().ok();
    }
    eprintln!("\ndone in {:.1} s", started.elapsed().as_secs_f64());
    // Indexed apart now rather than by the first hourly upkeep under load.
    crate::db::search::move_recent_window(pool, crate::db::search::RECENT_STORIES).await?;
    sqlx::query("VACUUM ANALYZE articles, article_search")
        .execute(pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_stories_are_valid_and_varied() {
        let mut rng = Rng(42);
        let now = OffsetDateTime::now_utc();
        let a = story(&mut rng, 1, now);
        let b = story(&mut rng, 2, now);
        assert_ne!(a.title, b.title);
        assert!(
            crate::domain::slug::Slug::parse(&a.slug).is_ok(),
            "{}",
            a.slug
        );
        assert!(a.title.chars().count() <= 200 && a.dek.chars().count() <= 400);
        assert!(a.html.contains("<table>"));
    }
}
