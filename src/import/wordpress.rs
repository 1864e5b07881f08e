//! WordPress exports (WXR 1.1 and 1.2), read as a stream: [`WxrReader`] yields the site, each
//! author, category and tag, then each item, holding only the element being read, so a large
//! export needs little memory. [`post_story`] maps an item as CONTRACT §11 says.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::events::Event;
use time::OffsetDateTime;

use crate::domain::import as rules;
use crate::service::import::{ImportedPerson, ImportedStory, ImportedTopic};

/// One thing of an export, in the order the file holds them.
#[derive(Debug, Clone)]
pub enum WxrEvent {
    /// The site's address (`wp:base_site_url`, else the channel's `link`).
    Site(String),
    Author(ImportedPerson),
    /// A category or tag (`wp:category`, `wp:tag`); `source_id` is `category:<slug>` or
    /// `post_tag:<slug>`, as items name them.
    Term(ImportedTopic),
    Item(Box<WxrItem>),
}

/// An `<item>` as the file holds it.
#[derive(Debug, Clone, Default)]
pub struct WxrItem {
    pub title: String,
    pub link: String,
    pub creator: String,
    pub content: String,
    pub excerpt: String,
    pub post_id: String,
    pub post_date: String,
    pub post_date_gmt: String,
    pub post_name: String,
    pub status: String,
    pub post_type: String,
    /// `(domain, nicename)` of each `<category>`.
    pub terms: Vec<(String, String)>,
    /// An attachment's address on the old site (`wp:attachment_url`).
    pub attachment_url: String,
    /// The post meta the import uses ([`KEPT_META`]), by key.
    pub meta: HashMap<String, String>,
}

/// Post meta read from items: an attachment's file under `uploads/` and its alt text, and a
/// post's featured image.
pub const KEPT_META: [&str; 3] = [
    "_wp_attached_file",
    "_wp_attachment_image_alt",
    "_thumbnail_id",
];

/// Why a file is not a WordPress export.
#[derive(Debug, thiserror::Error)]
pub enum WxrError {
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("not XML, or broken XML (at byte {position}): {message}")]
    Xml { position: u64, message: String },
    #[error("not a WordPress export (WXR): {0}")]
    NotWxr(String),
}

/// Reads a WXR file event by event.
pub struct WxrReader<R: BufRead> {
    reader: quick_xml::Reader<R>,
    buf: Vec<u8>,
    /// Element names from the root to the one being read.
    path: Vec<String>,
    started: bool,
    saw_channel: bool,
    version: Option<String>,
    site: Option<String>,
    site_sent: bool,
    record: Option<Record>,
    text: String,
}

enum Record {
    Author(HashMap<String, String>),
    Term(&'static str, HashMap<String, String>),
    /// The item, the `<category>` being read, and the `wp:postmeta` key being read.
    Item(Box<WxrItem>, Option<(String, String)>, Option<String>),
}

impl WxrReader<std::io::BufReader<std::fs::File>> {
    /// Opens a file.
    pub fn open(path: &std::path::Path) -> Result<Self, WxrError> {
        let file = std::fs::File::open(path)?;
        Ok(Self::new(std::io::BufReader::with_capacity(
            64 * 1024,
            file,
        )))
    }
}

impl<R: BufRead> WxrReader<R> {
    pub fn new(input: R) -> Self {
        let mut reader = quick_xml::Reader::from_reader(input);
        reader.config_mut().check_end_names = true;
        Self {
            reader,
            buf: Vec::with_capacity(8 * 1024),
            path: Vec::new(),
            started: false,
            saw_channel: false,
            version: None,
            site: None,
            site_sent: false,
            record: None,
            text: String::new(),
        }
    }

    /// The WXR version the file declares (once read past `wp:wxr_version`).
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    fn xml_error(&self, err: impl std::fmt::Display) -> WxrError {
        WxrError::Xml {
            position: self.reader.buffer_position(),
            message: err.to_string(),
        }
    }

    /// The next event; `None` at the end of a well-formed export.
    pub fn next_event(&mut self) -> Result<Option<WxrEvent>, WxrError> {
        loop {
            self.buf.clear();
            let event = match self.reader.read_event_into(&mut self.buf) {
                Ok(event) => event.into_owned(),
                Err(err) => return Err(self.xml_error(err)),
            };
            match event {
                Event::Start(start) => {
                    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                    if !self.started {
                        self.started = true;
                        if name != "rss" {
                            return Err(WxrError::NotWxr(format!(
                                "the root element is <{name}>, not <rss>"
                            )));
                        }
                    }
                    let depth = self.path.len();
                    match (depth, name.as_str()) {
                        (1, "channel") => self.saw_channel = true,
                        (2, "wp:author") => self.record = Some(Record::Author(HashMap::new())),
                        (2, "wp:category") => {
                            self.record = Some(Record::Term("category", HashMap::new()));
                        }
                        (2, "wp:tag") => {
                            self.record = Some(Record::Term("post_tag", HashMap::new()))
                        }
                        (2, "item") => {
                            self.check_wxr()?;
                            self.record = Some(Record::Item(Box::default(), None, None));
                        }
                        (3, "category") => {
                            if let Some(Record::Item(_, term, _)) = &mut self.record {
                                let attr = |key: &str| {
                                    start
                                        .try_get_attribute(key)
                                        .ok()
                                        .flatten()
                                        .and_then(|a| {
                                            a.unescape_value().ok().map(|v| v.into_owned())
                                        })
                                        .unwrap_or_default()
                                };
                                *term = Some((attr("domain"), attr("nicename")));
                            }
                        }
                        _ => {}
                    }
                    self.path.push(name);
                    self.text.clear();
                }
                Event::Empty(start) => {
                    if !self.started {
                        return Err(WxrError::NotWxr("the file holds no <rss> element".into()));
                    }
                    let _ = start;
                }
                Event::Text(text) => {
                    let raw = text.decode().map_err(|e| self.xml_error(e))?;
                    let unescaped =
                        quick_xml::escape::unescape(&raw).map_err(|e| self.xml_error(e))?;
                    self.text.push_str(&unescaped);
                }
                Event::CData(data) => {
                    let raw = data.decode().map_err(|e| self.xml_error(e))?;
                    self.text.push_str(&raw);
                }
                Event::GeneralRef(reference) => {
                    if let Ok(Some(c)) = reference.resolve_char_ref() {
                        self.text.push(c);
                    } else {
                        let name = reference.decode().map_err(|e| self.xml_error(e))?;
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => self.text.push_str(s),
                            None => {
                                self.text.push('&');
                                self.text.push_str(&name);
                                self.text.push(';');
                            }
                        }
                    }
                }
                Event::End(_) => {
                    let name = self.path.pop().unwrap_or_default();
                    let depth = self.path.len();
                    let text = std::mem::take(&mut self.text);
                    if let Some(out) = self.end(depth, &name, text)? {
                        return Ok(Some(out));
                    }
                    if let Some(site) = self.site.clone()
                        && !self.site_sent
                        && depth == 2
                    {
                        self.site_sent = true;
                        return Ok(Some(WxrEvent::Site(site)));
                    }
                }
                Event::Eof => {
                    if !self.started {
                        return Err(WxrError::NotWxr("the file holds no XML elements".into()));
                    }
                    if !self.path.is_empty() {
                        return Err(self.xml_error("the file ends inside an element (cut short?)"));
                    }
                    self.check_wxr()?;
                    return Ok(None);
                }
                _ => {}
            }
        }
    }

    fn check_wxr(&self) -> Result<(), WxrError> {
        if !self.saw_channel {
            return Err(WxrError::NotWxr("no <channel> in <rss>".into()));
        }
        match self.version.as_deref() {
            Some("1.0" | "1.1" | "1.2") => Ok(()),
            Some(other) => Err(WxrError::NotWxr(format!(
                "WXR version {other} (1.1 and 1.2 are read)"
            ))),
            None => Err(WxrError::NotWxr(
                "no <wp:wxr_version> before the first item (an RSS feed rather than an export?)"
                    .into(),
            )),
        }
    }

    /// An element ended at `depth` (its parent's depth + 1 … counted from `rss` = 0).
    fn end(
        &mut self,
        depth: usize,
        name: &str,
        text: String,
    ) -> Result<Option<WxrEvent>, WxrError> {
        match (depth, name) {
            (2, "wp:wxr_version") => self.version = Some(text.trim().to_owned()),
            (2, "wp:base_site_url") => self.site = Some(text.trim().to_owned()),
            (2, "link") if self.site.is_none() => self.site = Some(text.trim().to_owned()),
            (2, "wp:author" | "wp:category" | "wp:tag" | "item") => {
                return Ok(self.record.take().and_then(finish));
            }
            (3, field) => match &mut self.record {
                Some(Record::Author(map) | Record::Term(_, map)) => {
                    map.insert(field.to_owned(), text);
                }
                Some(Record::Item(item, term, _)) => {
                    let value = text;
                    match field {
                        "title" => item.title = value,
                        "link" => item.link = value,
                        "dc:creator" => item.creator = value,
                        "content:encoded" => item.content = value,
                        "excerpt:encoded" => item.excerpt = value,
                        "wp:post_id" => item.post_id = value.trim().to_owned(),
                        "wp:post_date" => item.post_date = value,
                        "wp:post_date_gmt" => item.post_date_gmt = value,
                        "wp:post_name" => item.post_name = value.trim().to_owned(),
                        "wp:status" => item.status = value.trim().to_owned(),
                        "wp:post_type" => item.post_type = value.trim().to_owned(),
                        "wp:attachment_url" => item.attachment_url = value.trim().to_owned(),
                        "category" => {
                            if let Some((domain, nicename)) = term.take() {
                                item.terms.push((domain, nicename));
                            }
                        }
                        _ => {}
                    }
                }
                None => {}
            },
            (4, field) => {
                if let Some(Record::Item(item, _, key)) = &mut self.record {
                    match field {
                        "wp:meta_key" => {
                            let name = text.trim();
                            *key = KEPT_META.contains(&name).then(|| name.to_owned());
                        }
                        "wp:meta_value" => {
                            if let Some(name) = key.take() {
                                item.meta.insert(name, text.trim().to_owned());
                            }
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        Ok(None)
    }
}

fn decode(text: &str) -> String {
    super::content::decode_entities(text.trim())
        .trim()
        .to_owned()
}

fn finish(record: Record) -> Option<WxrEvent> {
    match record {
        Record::Author(map) => {
            let get = |k: &str| map.get(k).map(|v| decode(v)).unwrap_or_default();
            let login = get("wp:author_login");
            if login.is_empty() {
                return None;
            }
            let mut name = get("wp:author_display_name");
            if name.is_empty() {
                name = format!(
                    "{} {}",
                    get("wp:author_first_name"),
                    get("wp:author_last_name")
                )
                .trim()
                .to_owned();
            }
            if name.is_empty() {
                name = login.clone();
            }
            Some(WxrEvent::Author(ImportedPerson {
                source_id: login,
                name,
            }))
        }
        Record::Term(domain, map) => {
            let get = |k: &str| map.get(k).map(|v| decode(v)).unwrap_or_default();
            let (slug_key, name_key, description_key) = if domain == "category" {
                (
                    "wp:category_nicename",
                    "wp:cat_name",
                    "wp:category_description",
                )
            } else {
                ("wp:tag_slug", "wp:tag_name", "wp:tag_description")
            };
            let source_slug = get(slug_key);
            let name = get(name_key);
            let slug = rules::slug_from_source(&source_slug, &name)?;
            Some(WxrEvent::Term(ImportedTopic {
                source_id: format!("{domain}:{source_slug}"),
                slug,
                name,
                description: get(description_key),
            }))
        }
        Record::Item(item, _, _) => Some(WxrEvent::Item(item)),
    }
}

/// An attachment item and its file under the uploads folder (`--media-from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WxrAttachment {
    pub post_id: String,
    pub title: String,
    /// Its path under `uploads/` (`2019/05/chart.png`).
    pub file: String,
    pub alt: String,
    pub caption: String,
}

/// Image files an import reads (what the media library takes).
const IMAGE_EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "gif", "webp"];

/// An attachment item as an image to import: `None` for any other item, else the attachment
/// or why it is skipped. Its file is `_wp_attached_file`, else found from its address; its
/// alt text is WordPress's (`_wp_attachment_image_alt`), else its caption.
pub fn attachment(item: &WxrItem) -> Option<Result<WxrAttachment, String>> {
    if item.post_type != "attachment" {
        return None;
    }
    let file = item
        .meta
        .get("_wp_attached_file")
        .and_then(|f| rules::relative_upload(f))
        .or_else(|| rules::uploads_path(&item.attachment_url));
    let Some(file) = file else {
        return Some(Err(
            "names no file under uploads/ (no _wp_attached_file or attachment URL)".into(),
        ));
    };
    let extension = file
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    if !IMAGE_EXTENSIONS.contains(&extension.as_str()) {
        return Some(Err(format!(
            "{file} is not an image (JPEG, PNG, GIF or WebP): it keeps its old address"
        )));
    }
    let caption = super::content::plain_text(&item.excerpt);
    let mut alt = decode(item.meta.get("_wp_attachment_image_alt").map_or("", |a| a));
    if alt.is_empty() {
        alt.clone_from(&caption);
    }
    if alt.is_empty() {
        return Some(Err(format!(
            "{file} has no alt text (nor a caption) in WordPress: add it there, or upload the \
             image in Dateline with a description"
        )));
    }
    Some(Ok(WxrAttachment {
        post_id: item.post_id.clone(),
        title: decode(&item.title),
        file,
        alt,
        caption,
    }))
}

/// Images imported from the uploads folder: by their path under it (the address bodies
/// show them at, and their alt text), and by attachment ID (for featured images).
#[derive(Debug, Clone, Default)]
pub struct ImportedMedia {
    pub by_file: HashMap<String, (String, String)>,
    pub by_attachment: HashMap<String, uuid::Uuid>,
}

/// WordPress's default category, which says nothing about a story: not made a topic.
pub const DEFAULT_CATEGORY: &str = "uncategorized";

/// An item as a story, or the reason it is skipped. `topics` and `people` map the source's
/// term ids (`category:<slug>`) and logins to Dateline slugs, as imported before the items.
pub fn post_story(
    item: &WxrItem,
    topics: &HashMap<String, String>,
    people: &HashMap<String, String>,
    media: &ImportedMedia,
    now: OffsetDateTime,
) -> Result<ImportedStory, String> {
    let status = rules::wordpress_status(&item.post_type, &item.status)?;
    if item.post_id.is_empty() {
        return Err("has no wp:post_id".into());
    }
    let title = decode(&item.title);
    let title = title.as_str();
    if title.is_empty() {
        return Err("has no title".into());
    }
    let mut body_markdown = super::content::wordpress_to_markdown(&item.content);
    if !media.by_file.is_empty() {
        body_markdown = rules::link_uploads(
            &body_markdown,
            |path| media.by_file.get(path).cloned(),
            super::content::alt_from_file,
        );
    }
    let lead_image = item
        .meta
        .get("_thumbnail_id")
        .and_then(|id| media.by_attachment.get(id))
        .copied();
    let excerpt = super::content::plain_text(&item.excerpt);
    let dek = rules::dek(
        &excerpt,
        &super::content::markdown_paragraphs(&body_markdown),
    );
    let published_at = wp_date(&item.post_date_gmt).or_else(|| wp_date(&item.post_date));
    let published_at = match status {
        crate::domain::article::ArticleStatus::Published => Some(published_at.unwrap_or(now)),
        crate::domain::article::ArticleStatus::Scheduled => {
            Some(published_at.ok_or("is scheduled without a date")?)
        }
        // A draft's date in WordPress is when it was last saved, not a dateline.
        _ => None,
    };
    let mut story_topics: Vec<String> = Vec::new();
    for (domain, nicename) in &item.terms {
        let key = format!("{domain}:{nicename}");
        if let Some(slug) = topics.get(&key)
            && !story_topics.contains(slug)
            && story_topics.len() < crate::domain::article::limits::TOPICS
        {
            story_topics.push(slug.clone());
        }
    }
    let authors = people
        .get(item.creator.trim())
        .map(|slug| vec![slug.clone()])
        .unwrap_or_default();
    let slug = if item.post_name.is_empty() {
        String::new()
    } else {
        rules::slug_from_source(&item.post_name, title).unwrap_or_default()
    };
    let mut redirects = Vec::new();
    if let Some(path) = rules::permalink_path(&item.link) {
        redirects.push(path);
    }
    redirects.push(format!("/?p={}", item.post_id));
    Ok(ImportedStory {
        source_id: item.post_id.clone(),
        title: title.to_owned(),
        slug,
        dek,
        body_markdown,
        status,
        published_at,
        topics: story_topics,
        authors,
        redirects,
        lead_image,
    })
}

/// A WordPress date (`2019-05-14 09:30:00`, UTC for `post_date_gmt`); `None` for the
/// `0000-00-00 00:00:00` of drafts.
pub fn wp_date(raw: &str) -> Option<OffsetDateTime> {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::PrimitiveDateTime::parse(raw.trim(), format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/">
<channel>
<title>Old site</title><link>https://old.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:base_site_url>https://old.example</wp:base_site_url>
<wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[ana]]></wp:author_login><wp:author_display_name><![CDATA[Ana Ruiz]]></wp:author_display_name></wp:author>
<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename><![CDATA[sleep]]></wp:category_nicename><wp:category_parent><![CDATA[]]></wp:category_parent><wp:cat_name><![CDATA[Sleep &amp; rest]]></wp:cat_name></wp:category>
<item>
<title>Naps &amp; memory</title>
<link>https://old.example/2019/05/naps/</link>
<dc:creator><![CDATA[ana]]></dc:creator>
<content:encoded><![CDATA[A nap helps.

It does.]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>12</wp:post_id>
<wp:post_date_gmt><![CDATA[2019-05-14 09:30:00]]></wp:post_date_gmt>
<wp:post_name><![CDATA[naps]]></wp:post_name>
<wp:status><![CDATA[publish]]></wp:status>
<wp:post_type><![CDATA[post]]></wp:post_type>
<category domain="category" nicename="sleep"><![CDATA[Sleep]]></category>
<wp:postmeta><wp:meta_key><![CDATA[_edit_last]]></wp:meta_key><wp:meta_value><![CDATA[1]]></wp:meta_value></wp:postmeta>
</item>
</channel>
</rss>"#;

    fn events(xml: &str) -> Result<Vec<WxrEvent>, WxrError> {
        let mut reader = WxrReader::new(xml.as_bytes());
        let mut out = Vec::new();
        while let Some(event) = reader.next_event()? {
            out.push(event);
        }
        Ok(out)
    }

    #[test]
    fn an_export_streams_its_site_authors_terms_and_items() {
        let events = events(SMALL).unwrap();
        assert!(matches!(&events[0], WxrEvent::Site(s) if s == "https://old.example"));
        let WxrEvent::Author(author) = &events[1] else {
            panic!("{events:?}")
        };
        assert_eq!(
            (author.source_id.as_str(), author.name.as_str()),
            ("ana", "Ana Ruiz")
        );
        let WxrEvent::Term(term) = &events[2] else {
            panic!("{events:?}")
        };
        assert_eq!(
            (term.slug.as_str(), term.name.as_str()),
            ("sleep", "Sleep & rest")
        );
        let WxrEvent::Item(item) = &events[3] else {
            panic!("{events:?}")
        };
        assert_eq!(item.title, "Naps & memory");
        assert_eq!(
            item.terms,
            vec![("category".to_owned(), "sleep".to_owned())]
        );
        let topics = HashMap::from([("category:sleep".to_owned(), "sleep".to_owned())]);
        let people = HashMap::from([("ana".to_owned(), "ana-ruiz".to_owned())]);
        let media = ImportedMedia::default();
        let story = post_story(item, &topics, &people, &media, OffsetDateTime::now_utc()).unwrap();
        assert_eq!(story.body_markdown, "A nap helps.\n\nIt does.");
        assert_eq!(story.dek, "A nap helps.");
        assert_eq!(story.redirects, vec!["/2019/05/naps/", "/?p=12"]);
        assert_eq!(story.authors, vec!["ana-ruiz"]);
        assert_eq!(story.published_at.unwrap().unix_timestamp(), 1_557_826_200);
    }

    #[test]
    fn other_files_are_refused_with_a_reason() {
        assert!(matches!(events("just text"), Err(WxrError::NotWxr(_))));
        assert!(matches!(
            events("<html><body></body></html>"),
            Err(WxrError::NotWxr(_))
        ));
        let feed = "<rss version=\"2.0\"><channel><item><title>x</title></item></channel></rss>";
        assert!(matches!(events(feed), Err(WxrError::NotWxr(_))));
        let cut = &SMALL[..SMALL.len() - 30];
        assert!(
            matches!(events(cut), Err(WxrError::Xml { .. })),
            "{:?}",
            events(cut)
        );
    }
}
