//! `dateline demo`: the demo topics and stories in `stories.toml`, loaded idempotently
//! (a topic or story whose slug exists is left as it is).

use std::fmt;

use serde::Deserialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::db;
use crate::db::articles::NewArticle;
use crate::db::events;
use crate::domain::article::{Article, ArticleStatus, ChangeKind, Review, Study};
use crate::domain::events::ChangeEvent;
use crate::domain::markdown;

mod images;

const CONTENT: &str = include_str!("stories.toml");

/// The demo's images: the key stories name them by, how they are drawn, alt text (empty for a
/// decorative one), caption and credit.
type Drawn = (
    &'static str,
    fn() -> Vec<u8>,
    &'static str,
    &'static str,
    &'static str,
);

const IMAGES: [Drawn; 3] = [
    (
        "one-in-eleven",
        images::one_in_eleven,
        "A grid of 120 dots in which 11 are coloured: about one woman in eleven stayed in \
         remission for three years or more.",
        "Eleven of the 120 women in the study stayed in remission for at least three years.",
        "Chart: Dateline",
    ),
    (
        "two-targets",
        images::two_targets,
        "Two bars on a scale of blood pressure: a systolic target of 140 mm Hg beside a lower \
         one of 120 mm Hg.",
        "The two systolic targets the trial compared, in millimetres of mercury.",
        "Chart: Dateline",
    ),
    (
        "olive-pattern",
        images::olive_pattern,
        "",
        "",
        "Illustration: Dateline",
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoContent {
    topics: Vec<DemoTopic>,
    people: Vec<DemoPerson>,
    stories: Vec<DemoStory>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoPerson {
    slug: String,
    name: String,
    credentials: String,
    bio: String,
    #[serde(default)]
    same_as: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoTopic {
    slug: String,
    name: String,
    description: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoStory {
    slug: String,
    title: String,
    dek: String,
    topics: Vec<String>,
    #[serde(default)]
    authors: Vec<String>,
    /// A key of [`IMAGES`].
    lead_image: Option<String>,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    published_at: OffsetDateTime,
    #[serde(default, with = "crate::domain::dates::serde_rfc3339::option")]
    updated_at: Option<OffsetDateTime>,
    #[serde(default)]
    archived: bool,
    #[serde(default, with = "crate::domain::dates::serde_rfc3339::option")]
    archived_at: Option<OffsetDateTime>,
    archive_reason: Option<String>,
    superseded_by: Option<String>,
    body_markdown: String,
    study: Option<Study>,
    review: Option<Review>,
    #[serde(default)]
    changes: Vec<DemoChange>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoChange {
    kind: ChangeKind,
    #[serde(with = "crate::domain::dates::serde_rfc3339")]
    at: OffsetDateTime,
    note: String,
}

/// What a demo load did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DemoReport {
    pub topics_added: usize,
    pub people_added: usize,
    pub images_added: usize,
    /// Synonym sets loaded (only into a site without any).
    pub synonym_sets_added: usize,
    pub stories_added: usize,
    pub stories_present: usize,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "demo: {} topics added, {} people added, {} images added, {} synonym sets added, {} stories added, {} already present",
            self.topics_added,
            self.people_added,
            self.images_added,
            self.synonym_sets_added,
            self.stories_added,
            self.stories_present
        )
    }
}

fn parse() -> anyhow::Result<DemoContent> {
    Ok(toml::from_str(CONTENT)?)
}

/// The demo's images in the library (drawn and uploaded once; found again on later loads).
async fn load_images(
    pool: &PgPool,
    report: &mut DemoReport,
) -> anyhow::Result<Vec<(&'static str, crate::domain::media::Media)>> {
    let blobs = crate::media::store::PgBlobs::new(pool.clone());
    let mut out = Vec::new();
    for (key, draw, alt, caption, credit) in IMAGES {
        let bytes = draw();
        let hash = crate::media::store::hash(&bytes);
        let media = match db::media::find_by_original(pool, &hash).await? {
            Some(id) => db::media::find(pool, id).await?,
            None => None,
        };
        let media = match media {
            Some(media) => media,
            None => {
                let upload = crate::service::media::Upload {
                    bytes: bytes.into(),
                    filename: format!("{key}.png"),
                    text: crate::domain::media::MediaText {
                        alt: Some(alt.to_owned()),
                        decorative: Some(alt.is_empty()),
                        caption: Some(caption.to_owned()),
                        credit: Some(credit.to_owned()),
                    },
                };
                report.images_added += 1;
                crate::service::media::store(pool, &blobs, None, upload)
                    .await
                    .map_err(|err| anyhow::anyhow!("demo image {key}: {err}"))?
                    .value
            }
        };
        out.push((key, media));
    }
    Ok(out)
}

/// Loads the demo content in one transaction (its images first). Safe to run again and
/// concurrently.
pub async fn load(pool: &PgPool) -> anyhow::Result<DemoReport> {
    let content = parse()?;
    let mut report = DemoReport::default();
    let images = load_images(pool, &mut report).await?;
    let mut tx = pool.begin().await?;
    // Two loads at once (two instances starting with --demo) queue here instead of racing.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('dateline-demo'))")
        .execute(&mut *tx)
        .await?;

    let mut new_topics = Vec::new();
    for topic in &content.topics {
        if db::topics::insert_if_absent(&mut *tx, &topic.slug, &topic.name, &topic.description)
            .await?
        {
            report.topics_added += 1;
            new_topics.push(topic.slug.clone());
        }
    }
    // Running servers hear of what was added at commit, as of any editorial change, and drop
    // the pages that now miss it.
    if !new_topics.is_empty() {
        events::emit(&mut tx, &ChangeEvent::topic("demo", new_topics)).await?;
    }

    let mut new_people = Vec::new();
    for person in &content.people {
        let bio = person.bio.trim();
        let bio_html = markdown::render(bio).into_string();
        let row = db::people::PersonRow {
            slug: &person.slug,
            name: &person.name,
            credentials: &person.credentials,
            bio_markdown: bio,
            bio_html: &bio_html,
            photo: None,
            same_as: &person.same_as,
        };
        if db::people::insert(&mut *tx, &row, crate::service::now())
            .await?
            .is_some()
        {
            report.people_added += 1;
            new_people.push(person.slug.clone());
        }
    }
    if !new_people.is_empty() {
        events::emit(&mut tx, &ChangeEvent::person("demo", new_people)).await?;
    }

    let mut added = Vec::new();
    for story in &content.stories {
        if db::articles::id_by_slug(&mut tx, &story.slug)
            .await?
            .is_some()
        {
            report.stories_present += 1;
            continue;
        }
        let id = insert_story(&mut tx, story, &images).await?;
        added.push((id, story));
        report.stories_added += 1;
    }
    for (id, story) in added {
        if let Some(newer) = &story.superseded_by {
            let newer_id = db::articles::id_by_slug(&mut tx, newer).await?;
            db::articles::set_superseded_by(&mut tx, id, newer_id).await?;
        }
        let mut people = story.authors.clone();
        people.extend(story.review.as_ref().and_then(|r| r.reviewer.clone()));
        let event = ChangeEvent::story(id, "demo", vec![story.slug.clone()], story.topics.clone())
            .crediting(people);
        events::emit(&mut tx, &event).await?;
    }
    tx.commit().await?;
    let synonyms: DemoSynonyms = toml::from_str(SYNONYMS)?;
    if crate::service::search::seed_synonyms(pool, &synonyms.sets)
        .await
        .map_err(|err| anyhow::anyhow!("could not load the demo synonyms: {err:?}"))?
    {
        report.synonym_sets_added = synonyms.sets.len();
    }
    Ok(report)
}

/// The starter synonym sets.
const SYNONYMS: &str = include_str!("synonyms.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSynonyms {
    sets: Vec<Vec<String>>,
}

async fn insert_story(
    tx: &mut sqlx::PgConnection,
    story: &DemoStory,
    images: &[(&'static str, crate::domain::media::Media)],
) -> anyhow::Result<Uuid> {
    let id = Uuid::now_v7();
    let image = |key: &str| {
        images
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, media)| media)
            .ok_or_else(|| anyhow::anyhow!("no demo image {key}"))
    };
    // `{{image:key}}` in a body stands for that image, as the editor's picker writes it.
    let mut body_markdown = story.body_markdown.clone();
    for (key, media) in images {
        let placeholder = format!("{{{{image:{key}}}}}");
        if body_markdown.contains(&placeholder) {
            let own: Vec<_> = media.in_format(&media.content_type).collect();
            let url = own
                .iter()
                .rev()
                .find(|r| r.width <= 1200)
                .map_or(media.url.clone(), |r| r.url.clone());
            body_markdown =
                body_markdown.replace(&placeholder, &format!("![{}]({url})", media.alt_text()));
        }
    }
    let lead_image = story
        .lead_image
        .as_deref()
        .map(|key| image(key).map(|m| m.id))
        .transpose()?;
    let body_html = crate::service::articles::render_body(tx, &body_markdown).await?;
    let body_html = markdown::SafeHtml::from_stored(body_html);
    let updated_at = story.updated_at.unwrap_or(story.published_at);
    let version = 1 + i32::try_from(story.changes.len())?;
    db::articles::insert(
        tx,
        &NewArticle {
            id,
            slug: &story.slug,
            title: &story.title,
            dek: &story.dek,
            body_markdown: &body_markdown,
            body_html: body_html.as_str(),
            status: ArticleStatus::Published,
            published_at: Some(story.published_at),
            updated_at,
            archived: story.archived,
            archived_at: story
                .archived
                .then(|| story.archived_at.unwrap_or(updated_at)),
            archive_reason: story.archive_reason.as_deref(),
            study: story.study.as_ref(),
            review: story.review.as_ref(),
            lead_image,
            seo_title: None,
            meta_description: None,
            version,
            created_at: story.published_at,
            created_by: None,
        },
    )
    .await?;
    db::topics::set_for_article(tx, id, &story.topics).await?;
    db::people::set_authors(tx, id, &story.authors).await?;
    let body_ids: Vec<Uuid> = images
        .iter()
        .filter(|(_, media)| {
            media
                .renditions
                .iter()
                .any(|r| body_markdown.contains(&r.url))
        })
        .map(|(_, media)| media.id)
        .collect();
    db::media::set_body_media(tx, id, &body_ids).await?;

    // Revision 1 is the story as first published; each change adds one. Each stores the
    // whole story, as the service's revisions do.
    let mut doc = Article {
        id,
        slug: story.slug.clone(),
        title: story.title.clone(),
        dek: story.dek.clone(),
        body_markdown: body_markdown.clone(),
        body_html: body_html.into_string(),
        status: ArticleStatus::Published,
        published_at: Some(story.published_at),
        updated_at: story.published_at,
        archived: false,
        archived_at: None,
        archive_reason: None,
        superseded_by: None,
        withdrawn_at: None,
        withdraw_reason: None,
        topics: story.topics.clone(),
        authors: story.authors.clone(),
        study: story.study.clone(),
        review: story.review.clone(),
        lead_image,
        seo_title: None,
        meta_description: None,
        version: 1,
        created_at: story.published_at,
        created_by: None,
        updated_by: None,
    };
    let first = serde_json::to_value(&doc)?;
    db::revisions::insert(
        tx,
        &db::revisions::NewRevision {
            article_id: id,
            number: 1,
            snapshot: &first,
            change_kind: ChangeKind::Minor,
            change_note: None,
            created_by: None,
            created_at: story.published_at,
        },
    )
    .await?;
    for (number, change) in (2..).zip(&story.changes) {
        doc.version = number;
        doc.updated_at = change.at;
        if story.archived && story.archived_at.is_some_and(|at| at <= change.at) {
            doc.archived = true;
            doc.archived_at = story.archived_at;
            doc.archive_reason.clone_from(&story.archive_reason);
        }
        let snapshot = serde_json::to_value(&doc)?;
        let revision = db::revisions::NewRevision {
            article_id: id,
            number,
            snapshot: &snapshot,
            change_kind: change.kind,
            change_note: Some(&change.note),
            created_by: None,
            created_at: change.at,
        };
        db::revisions::insert(tx, &revision).await?;
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::slug::Slug;

    #[test]
    fn demo_content_meets_the_brief() {
        let content = parse().expect("stories.toml parses");
        assert!(content.topics.len() >= 5);
        assert!(content.stories.len() >= 12);
        assert!(content.stories.iter().filter(|s| s.archived).count() >= 3);
        let corrections = content
            .stories
            .iter()
            .filter(|s| s.changes.iter().any(|c| c.kind == ChangeKind::Correction))
            .count();
        assert_eq!(corrections, 1);
        let topic_slugs: Vec<&str> = content.topics.iter().map(|t| t.slug.as_str()).collect();
        for story in &content.stories {
            Slug::parse(&story.slug).expect("valid slug");
            assert!(story.title.chars().count() <= 200);
            assert!(story.dek.chars().count() <= 400);
            for topic in &story.topics {
                assert!(topic_slugs.contains(&topic.as_str()), "{topic}");
            }
            if let Some(newer) = &story.superseded_by {
                assert!(content.stories.iter().any(|s| &s.slug == newer), "{newer}");
            }
            // Every story has a byline of known people, and a named reviewer is a person.
            assert!(!story.authors.is_empty(), "{}", story.slug);
            let credited = story
                .authors
                .iter()
                .chain(story.review.as_ref().and_then(|r| r.reviewer.as_ref()));
            for slug in credited {
                assert!(content.people.iter().any(|p| &p.slug == slug), "{slug}");
            }
        }
        for person in &content.people {
            let changes = crate::domain::person::PersonChanges {
                slug: Some(person.slug.clone()),
                name: Some(person.name.clone()),
                credentials: Some(person.credentials.clone()),
                bio: Some(person.bio.clone()),
                photo: None,
                same_as: Some(person.same_as.clone()),
            };
            crate::domain::person::check(&changes).expect("a valid person");
        }
        // The archived seed story has its byline and its reviewer.
        let seed = &content.stories[0];
        assert!(seed.archived && !seed.authors.is_empty());
        assert!(seed.review.as_ref().is_some_and(|r| r.reviewer.is_some()));
    }
}
