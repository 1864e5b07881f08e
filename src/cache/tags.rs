//! Surrogate keys: what a cached page shows, attached by each cacheable handler to its answer,
//! sent in `Surrogate-Key` for a CDN, and [`keys_for`] a change event, so that the cache (and a
//! CDN) drop exactly the pages a change can alter.

use axum::response::Response;
use uuid::Uuid;

use crate::domain::events::ChangeEvent;

/// What a cacheable page shows, as surrogate keys, and the story whose views a cached copy
/// should count. The keys, sent in `Surrogate-Key` so that a CDN can purge as precisely as
/// this cache evicts:
///
/// - `article-<id>`: the story's own page;
/// - `topic-<slug>`: every page showing the topic's name or description (its topic page and
///   feed, and the pages of the stories on it);
/// - `list-topic-<slug>`: the pages listing the topic's stories (its topic page and feed);
/// - `person-<slug>`: every page showing the person's name or credentials (their page, the
///   pages of the stories crediting them, the lists and feeds whose entries name them);
/// - `list-person-<slug>`: the page listing the person's stories (their page);
/// - `media-<id>`: every page showing the image (with its alt text, caption and credit);
/// - `list` (front page, all stories, archive, topic index, search results), `feed`, `sitemap`,
///   `corrections`, `robots`;
/// - `search`: the pages of search results (which also carry `list`, since any story change
///   can change them).
#[derive(Debug, Clone, Default)]
pub struct CacheTags {
    pub keys: Vec<String>,
    pub view_of: Option<Uuid>,
    /// A file that never changes at its address (an image rendition): kept as it is, never
    /// compressed, and cached by browsers for a year.
    pub immutable: bool,
}

impl CacheTags {
    pub fn new<I: IntoIterator<Item = String>>(keys: I) -> Self {
        Self {
            keys: keys.into_iter().collect(),
            view_of: None,
            immutable: false,
        }
    }

    /// A story page: its key and the keys of the topics and people it names and of the
    /// stories it links to; its views are counted on every cached answer.
    pub fn story<'a>(
        id: Uuid,
        topics: impl IntoIterator<Item = &'a str>,
        people: impl IntoIterator<Item = &'a str>,
        linked: impl IntoIterator<Item = Uuid>,
    ) -> Self {
        let mut keys = vec![article_key(id)];
        keys.extend(topics.into_iter().map(topic_key));
        keys.extend(people.into_iter().map(person_key));
        keys.extend(linked.into_iter().map(article_key));
        keys.dedup();
        Self {
            keys,
            view_of: Some(id),
            immutable: false,
        }
    }

    /// The same tags, plus the keys of the images the page shows.
    pub fn showing(mut self, images: impl IntoIterator<Item = Uuid>) -> Self {
        for key in images.into_iter().map(media_key) {
            if !self.keys.contains(&key) {
                self.keys.push(key);
            }
        }
        self
    }

    /// The same tags, plus the keys of the topics and people a list's entries name.
    pub fn naming<'a>(
        mut self,
        topics: impl IntoIterator<Item = &'a str>,
        people: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        for key in topics
            .into_iter()
            .map(topic_key)
            .chain(people.into_iter().map(person_key))
        {
            if !self.keys.contains(&key) {
                self.keys.push(key);
            }
        }
        self
    }

    /// Attaches the tags to a response, which makes it cacheable.
    pub fn attach(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}

/// The key of every page of search results.
pub const SEARCH_KEY: &str = "search";

pub fn article_key(id: Uuid) -> String {
    format!("article-{id}")
}

pub fn topic_key(slug: &str) -> String {
    format!("topic-{slug}")
}

pub fn media_key(id: Uuid) -> String {
    format!("media-{id}")
}

pub fn person_key(slug: &str) -> String {
    format!("person-{slug}")
}

/// The key of the page listing a person's stories.
pub fn person_list_key(slug: &str) -> String {
    format!("list-person-{slug}")
}

/// The key of the pages listing a topic's stories. No topic key can take this form: those
/// begin with `topic-`.
pub fn topic_list_key(slug: &str) -> String {
    format!("list-topic-{slug}")
}

impl CacheTags {
    /// The lists of stories: the front page, all stories, the archive, the topic index.
    pub fn list() -> Self {
        Self::new(["list".to_owned()])
    }

    /// A page of search results: any story change (and any change of synonyms) can change it.
    pub fn search() -> Self {
        Self::new(["list".to_owned(), SEARCH_KEY.to_owned()])
    }

    /// One topic's page: it shows the topic and lists its stories.
    pub fn topic_page(slug: &str) -> Self {
        Self::new([topic_key(slug), topic_list_key(slug)])
    }

    /// One topic's feed.
    pub fn topic_feed(slug: &str) -> Self {
        Self::new([topic_key(slug), topic_list_key(slug), "feed".to_owned()])
    }

    /// One person's page: it shows the person and lists their stories.
    pub fn person_page(slug: &str) -> Self {
        Self::new([person_key(slug), person_list_key(slug)])
    }

    /// A file served at a content-hashed address: it never changes there.
    pub fn immutable_file() -> Self {
        Self {
            keys: vec!["file".to_owned()],
            view_of: None,
            immutable: true,
        }
    }

    /// One fixed page known by its key: `feed`, `sitemap`, `robots`, `corrections`.
    pub fn page(key: &str) -> Self {
        Self::new([key.to_owned()])
    }
}

/// The keys of the pages a change can alter:
///
/// - a story: its own page (under any slug), the lists of the topics it was or is on, and every
///   list, feed, sitemap and the corrections page; other stories' pages and the pages of other
///   topics stay;
/// - a topic: every page showing its name (its topic page and feed, its stories' pages), the
///   lists (the topic index) and the sitemaps (its URL);
/// - a person: every page showing their name (their page, their stories' pages, lists and
///   feeds naming them) and the sitemap (their URL).
pub fn keys_for(event: &ChangeEvent) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    match event {
        ChangeEvent::Story {
            id, topics, people, ..
        } => {
            keys.extend([article_key(*id), "feed".into(), "corrections".into()]);
            keys.extend(topics.iter().map(|t| topic_list_key(t)));
            keys.extend(people.iter().map(|p| person_list_key(p)));
            keys.push("list".into());
        }
        ChangeEvent::Topic { slugs, .. } => {
            keys.extend(slugs.iter().map(|t| topic_key(t)));
            keys.push("list".into());
        }
        ChangeEvent::Person { slugs, .. } => keys.extend(slugs.iter().map(|p| person_key(p))),
        // An image's text shows only where it is shown: no list or sitemap changes.
        ChangeEvent::Media { id, .. } => return vec![media_key(*id)],
        // Synonyms change what searches find, and nothing else.
        ChangeEvent::Synonyms { .. } => return vec![SEARCH_KEY.to_owned()],
    }
    keys.push("sitemap".into());
    keys
}
