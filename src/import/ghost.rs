//! Ghost JSON exports (Labs → Export): `{"db": [{"meta": …, "data": {"posts", "tags", "users",
//! "posts_tags", "posts_authors", …}}]}`. Read in two streaming passes: the first keeps the
//! small tables (tags, users, the links) and counts the posts, skipping their bodies; the second
//! hands each post on as it is read ([`read_posts`]), so the posts are never all in memory.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read;

use serde::Deserialize;
use serde::de::{IgnoredAny, SeqAccess, Visitor};

use crate::domain::article::{ArticleStatus, limits};
use crate::domain::import as rules;
use crate::service::import::{ImportedPerson, ImportedStory, ImportedTopic};

/// A Ghost tag.
#[derive(Debug, Clone, Deserialize)]
pub struct GhostTag {
    pub id: String,
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub visibility: Option<String>,
}

/// A Ghost staff user (an author).
#[derive(Debug, Clone, Deserialize)]
pub struct GhostUser {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize)]
struct PostTag {
    post_id: String,
    tag_id: String,
}

#[derive(Debug, Clone, Deserialize)]
struct PostAuthor {
    post_id: String,
    author_id: String,
}

/// A Ghost post.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GhostPost {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub html: Option<String>,
    #[serde(default)]
    pub lexical: Option<String>,
    #[serde(default)]
    pub mobiledoc: Option<String>,
    #[serde(default)]
    pub custom_excerpt: Option<String>,
    #[serde(default)]
    pub status: String,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub published_at: Option<String>,
    /// Ghost before 1.22 kept one author on the post.
    #[serde(default)]
    pub author_id: Option<String>,
}

/// What the first pass keeps: everything but the posts, and how many posts there are.
#[derive(Debug, Default)]
pub struct GhostSite {
    pub posts: u64,
    pub tags: Vec<GhostTag>,
    pub users: Vec<GhostUser>,
    /// Post id → tag ids, in order.
    pub post_tags: HashMap<String, Vec<String>>,
    /// Post id → author ids, in order.
    pub post_authors: HashMap<String, Vec<String>>,
}

/// Counts a sequence without keeping its elements.
struct Count(u64);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Count;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Count, A::Error> {
                let mut n = 0;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(Count(n))
            }
        }
        d.deserialize_seq(V)
    }
}

#[derive(Deserialize)]
struct Export<D> {
    db: Vec<Db<D>>,
}

#[derive(Deserialize)]
struct Db<D> {
    data: D,
}

#[derive(Deserialize)]
struct SiteData {
    #[serde(default)]
    posts: Option<Count>,
    #[serde(default)]
    tags: Vec<GhostTag>,
    #[serde(default)]
    users: Vec<GhostUser>,
    #[serde(default)]
    posts_tags: Vec<PostTag>,
    #[serde(default)]
    posts_authors: Vec<PostAuthor>,
}

/// Why a file is not a Ghost export.
#[derive(Debug, thiserror::Error)]
pub enum GhostError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a Ghost export (JSON with db[0].data.posts): {0}")]
    NotGhost(String),
}

fn not_ghost(err: serde_json::Error) -> GhostError {
    if err.is_io() {
        GhostError::Io(err.into())
    } else {
        GhostError::NotGhost(err.to_string())
    }
}

/// The first pass: the whole file read and checked, the posts counted and skipped.
pub fn read_site(input: impl Read) -> Result<GhostSite, GhostError> {
    let export: Export<SiteData> =
        serde_json::from_reader(std::io::BufReader::new(input)).map_err(not_ghost)?;
    let mut site = GhostSite::default();
    let mut any = false;
    for db in export.db {
        let data = db.data;
        if let Some(count) = data.posts {
            any = true;
            site.posts += count.0;
        }
        site.tags.extend(data.tags);
        site.users.extend(data.users);
        for link in data.posts_tags {
            site.post_tags
                .entry(link.post_id)
                .or_default()
                .push(link.tag_id);
        }
        for link in data.posts_authors {
            site.post_authors
                .entry(link.post_id)
                .or_default()
                .push(link.author_id);
        }
    }
    if !any {
        return Err(GhostError::NotGhost("it has no posts table".into()));
    }
    Ok(site)
}

/// Where the second pass hands each post; answers whether to go on.
type Sink = Box<dyn FnMut(GhostPost) -> bool>;

thread_local! {
    static SINK: RefCell<Option<Sink>> = RefCell::new(None);
}

/// The posts list, each post handed to the thread's sink as soon as it is read.
struct Streamed;

impl<'de> Deserialize<'de> for Streamed {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Streamed;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of posts")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Streamed, A::Error> {
                while let Some(post) = seq.next_element::<GhostPost>()? {
                    let go_on =
                        SINK.with(|sink| sink.borrow_mut().as_mut().is_none_or(|f| f(post)));
                    if !go_on {
                        return Err(serde::de::Error::custom("the import stopped"));
                    }
                }
                Ok(Streamed)
            }
        }
        d.deserialize_seq(V)
    }
}

#[derive(Deserialize)]
struct PostsData {
    #[serde(default)]
    #[allow(dead_code)]
    posts: Option<Streamed>,
}

/// The second pass: each post given to `each` as it is read (`each` answers whether to go on).
/// Runs on the calling thread; the import runs it on a blocking thread.
pub fn read_posts(
    input: impl Read,
    each: impl FnMut(GhostPost) -> bool + 'static,
) -> Result<(), GhostError> {
    SINK.with(|sink| *sink.borrow_mut() = Some(Box::new(each)));
    let result: Result<Export<PostsData>, _> =
        serde_json::from_reader(std::io::BufReader::new(input));
    SINK.with(|sink| *sink.borrow_mut() = None);
    result.map(|_| ()).map_err(not_ghost)
}

/// Tags as topics (Ghost's internal `#tags` left out).
pub fn topic(tag: &GhostTag) -> Option<ImportedTopic> {
    if tag.name.starts_with('#') || tag.visibility.as_deref() == Some("internal") {
        return None;
    }
    Some(ImportedTopic {
        source_id: tag.id.clone(),
        slug: rules::slug_from_source(&tag.slug, &tag.name)?,
        name: tag.name.clone(),
        description: tag.description.clone().unwrap_or_default(),
    })
}

/// A user as a person.
pub fn person(user: &GhostUser) -> ImportedPerson {
    ImportedPerson {
        source_id: user.id.clone(),
        name: user.name.clone(),
    }
}

/// A post as a story, or why it is skipped. `topics` and `people` map Ghost's tag and user ids
/// to Dateline slugs.
pub fn post_story(
    post: &GhostPost,
    site: &GhostSite,
    topics: &HashMap<String, String>,
    people: &HashMap<String, String>,
    now: time::OffsetDateTime,
) -> Result<ImportedStory, String> {
    match post.kind.as_deref().unwrap_or("post") {
        "post" => {}
        "page" => return Err("a page (only posts are imported)".into()),
        other => return Err(format!("a {other} (only posts are imported)")),
    }
    let status = match post.status.as_str() {
        "published" => ArticleStatus::Published,
        "draft" => ArticleStatus::Draft,
        "scheduled" => ArticleStatus::Scheduled,
        "sent" => return Err("sent as a newsletter only (not on the site)".into()),
        other => return Err(format!("has an unknown status {other:?}")),
    };
    let title = post.title.as_deref().map(str::trim).unwrap_or_default();
    if title.is_empty() {
        return Err("has no title".into());
    }
    let body_markdown = match (&post.html, &post.lexical, &post.mobiledoc) {
        (Some(html), _, _) if !html.trim().is_empty() => super::content::html_to_markdown(html),
        (_, Some(lexical), _) => lexical_markdown(lexical),
        (_, _, Some(mobiledoc)) => mobiledoc_markdown(mobiledoc),
        _ => String::new(),
    };
    let excerpt = post.custom_excerpt.as_deref().unwrap_or_default();
    let dek = rules::dek(
        excerpt,
        &super::content::markdown_paragraphs(&body_markdown),
    );
    let at = post.published_at.as_deref().and_then(|s| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    });
    let published_at = match status {
        ArticleStatus::Published => Some(at.unwrap_or(now)),
        ArticleStatus::Scheduled => Some(at.ok_or("is scheduled without a date")?),
        _ => None,
    };
    let story_topics: Vec<String> = site
        .post_tags
        .get(&post.id)
        .into_iter()
        .flatten()
        .filter_map(|id| topics.get(id).cloned())
        .take(limits::TOPICS)
        .collect();
    let mut author_ids: Vec<String> = site.post_authors.get(&post.id).cloned().unwrap_or_default();
    if author_ids.is_empty() {
        author_ids.extend(post.author_id.clone());
    }
    let authors: Vec<String> = author_ids
        .iter()
        .filter_map(|id| people.get(id).cloned())
        .take(limits::AUTHORS)
        .collect();
    let slug = rules::slug_from_source(&post.slug, title).unwrap_or_default();
    let redirects = if post.slug.is_empty() {
        Vec::new()
    } else {
        vec![format!("/{}/", post.slug)]
    };
    Ok(ImportedStory {
        source_id: post.id.clone(),
        title: title.to_owned(),
        slug,
        dek,
        body_markdown,
        status,
        published_at,
        topics: story_topics,
        authors,
        redirects,
        lead_image: None,
    })
}

/// A Lexical document's text as Markdown paragraphs (headings as `##`), for posts without
/// `html`.
pub fn lexical_markdown(lexical: &str) -> String {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(lexical) else {
        return String::new();
    };
    fn text(node: &serde_json::Value, out: &mut String) {
        if let Some(t) = node.get("text").and_then(|t| t.as_str()) {
            out.push_str(t);
        }
        for child in node
            .get("children")
            .and_then(|c| c.as_array())
            .into_iter()
            .flatten()
        {
            text(child, out);
        }
    }
    let blocks = doc["root"]["children"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    blocks
        .iter()
        .filter_map(|block| {
            let mut line = String::new();
            text(block, &mut line);
            let line = line.trim().to_owned();
            if line.is_empty() {
                return None;
            }
            Some(match block["type"].as_str() {
                Some("heading") => format!("## {line}"),
                _ => line,
            })
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A Mobiledoc document's text as Markdown paragraphs (markdown cards as they are).
pub fn mobiledoc_markdown(mobiledoc: &str) -> String {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(mobiledoc) else {
        return String::new();
    };
    let cards = doc["cards"].as_array().cloned().unwrap_or_default();
    let sections = doc["sections"].as_array().cloned().unwrap_or_default();
    sections
        .iter()
        .filter_map(|section| match section[0].as_i64() {
            // [1, tag, markers]: text markers are [type, open, closed, text].
            Some(1) => {
                let line: String = section[2]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| m[3].as_str())
                    .collect();
                let line = line.trim().to_owned();
                (!line.is_empty()).then(|| match section[1].as_str() {
                    Some("h1" | "h2") => format!("## {line}"),
                    Some("h3") => format!("### {line}"),
                    _ => line,
                })
            }
            // [10, card index]
            Some(10) => {
                let card = &cards[usize::try_from(section[1].as_u64()?).ok()?];
                (card[0].as_str() == Some("markdown"))
                    .then(|| card[1]["markdown"].as_str().unwrap_or("").trim().to_owned())
                    .filter(|m| !m.is_empty())
            }
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}
