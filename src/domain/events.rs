//! Change events: the facts a committed change leaves behind about what readers can see. The
//! service layer returns them after its commit and `crate::db::events` announces them to every
//! instance; whoever reacts (the page cache, later webhooks and search) turns a fact into its
//! own terms. Nothing here knows who listens.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What changed, precisely enough for each listener to find what shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeEvent {
    /// A story was created, edited, moved through its lifecycle, deleted or restored.
    Story {
        id: Uuid,
        /// The action, e.g. `update`, `publish`, `archive`, `delete`.
        action: String,
        /// Every slug the story had before or has after the change.
        slugs: Vec<String>,
        /// Every topic the story was or is on.
        topics: Vec<String>,
        /// Every person the story credited or credits (authors and reviewer).
        #[serde(default)]
        people: Vec<String>,
    },
    /// A topic's slug, name or description changed (or it was added), under its slugs before
    /// and after.
    Topic { action: String, slugs: Vec<String> },
    /// A person was added, changed or deleted, under their slugs before and after.
    Person { action: String, slugs: Vec<String> },
    /// What an image says (alt text, caption, credit) changed, or it was deleted.
    Media { action: String, id: Uuid },
    /// The search synonym sets changed: every search may answer differently.
    Synonyms { action: String },
}

impl ChangeEvent {
    /// A change to a story.
    pub fn story(id: Uuid, action: &str, slugs: Vec<String>, topics: Vec<String>) -> Self {
        Self::Story {
            id,
            action: action.to_owned(),
            slugs,
            topics,
            people: Vec::new(),
        }
    }

    /// The same event, naming the people the story credited or credits.
    pub fn crediting(mut self, credited: Vec<String>) -> Self {
        if let Self::Story { people, .. } = &mut self {
            *people = credited;
        }
        self
    }

    /// A change to an image.
    pub fn media(action: &str, id: Uuid) -> Self {
        Self::Media {
            action: action.to_owned(),
            id,
        }
    }

    /// A change to a person, under their slugs before and after.
    pub fn person(action: &str, slugs: Vec<String>) -> Self {
        Self::Person {
            action: action.to_owned(),
            slugs,
        }
    }

    /// A change to a topic, under its slugs before and after.
    pub fn topic(action: &str, slugs: Vec<String>) -> Self {
        Self::Topic {
            action: action.to_owned(),
            slugs,
        }
    }

    /// The action that caused the change.
    pub fn action(&self) -> &str {
        match self {
            Self::Story { action, .. }
            | Self::Topic { action, .. }
            | Self::Person { action, .. }
            | Self::Media { action, .. }
            | Self::Synonyms { action } => action,
        }
    }
}

/// A service's result once committed: the value and the facts it leaves behind, for the
/// instance that made the change to react at once (others hear it from `crate::db::events`).
#[derive(Debug, Clone)]
#[must_use = "the change events of a commit are for the caller to react to"]
pub struct Committed<T> {
    pub value: T,
    pub events: Vec<ChangeEvent>,
}

impl<T> Committed<T> {
    pub fn new(value: T, events: Vec<ChangeEvent>) -> Self {
        Self { value, events }
    }

    /// A result that changed nothing readers see.
    pub fn quiet(value: T) -> Self {
        Self {
            value,
            events: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_travel_as_tagged_json() {
        let id = Uuid::nil();
        let story = ChangeEvent::story(id, "update", vec!["a".into()], vec!["heart".into()]);
        let json = serde_json::to_string(&story).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"story","id":"00000000-0000-0000-0000-000000000000","action":"update","slugs":["a"],"topics":["heart"],"people":[]}"#
        );
        assert_eq!(serde_json::from_str::<ChangeEvent>(&json).unwrap(), story);
        let topic = ChangeEvent::topic("topic.update", vec!["heart".into()]);
        assert_eq!(topic.action(), "topic.update");
    }
}
