-- Imports from other systems (CONTRACT §11). What each item of a source became, by the
-- source's own id, so that a second run of the same export creates nothing and a changed item
-- updates what it made (as a revision). `source` names the site (`wordpress:https://example.org`,
-- `ghost:…`), `kind` the item (`post`, `term`, `author`); `fingerprint` is a hash of the item as
-- last imported, so an unchanged item is recognised without rendering it again.
CREATE TABLE import_sources (
    source      text NOT NULL,
    kind        text NOT NULL CONSTRAINT import_sources_kind_check CHECK (kind IN ('post', 'term', 'author')),
    source_id   text NOT NULL,
    article_id  uuid CONSTRAINT import_sources_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    topic_id    uuid CONSTRAINT import_sources_topic_id_fkey REFERENCES topics (id) ON DELETE CASCADE,
    person_id   uuid CONSTRAINT import_sources_person_id_fkey REFERENCES people (id) ON DELETE CASCADE,
    fingerprint text NOT NULL DEFAULT '',
    imported_at timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT import_sources_pkey PRIMARY KEY (source, kind, source_id),
    CONSTRAINT import_sources_target_check CHECK (
        num_nonnulls(article_id, topic_id, person_id) = 1
    )
);
CREATE INDEX import_sources_article_id_idx ON import_sources (article_id);

-- Old links of imported stories: a post's permalink path (`/2019/05/a-study/`) and its
-- `/?p=<id>` answer 301 to the story's current URL.
CREATE TABLE import_redirects (
    path       text NOT NULL CONSTRAINT import_redirects_pkey PRIMARY KEY,
    article_id uuid NOT NULL CONSTRAINT import_redirects_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX import_redirects_article_id_idx ON import_redirects (article_id);
