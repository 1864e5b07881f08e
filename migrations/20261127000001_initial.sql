-- Dateline's initial schema: people, topics, articles with their history, and reader feedback.
-- Every timestamp is timestamptz; constraints are named so that errors map to clear field messages.

CREATE TABLE users (
    id            uuid PRIMARY KEY,
    email         text NOT NULL,
    name          text NOT NULL,
    role          text NOT NULL CONSTRAINT users_role_check CHECK (role IN ('admin', 'editor', 'contributor')),
    password_hash text NOT NULL,
    disabled_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE api_tokens (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL CONSTRAINT api_tokens_user_id_fkey REFERENCES users (id),
    name         text NOT NULL,
    -- SHA-256 of the secret; the secret itself is shown once and never stored.
    token_hash   bytea NOT NULL CONSTRAINT api_tokens_token_hash_key UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

CREATE TABLE topics (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL CONSTRAINT topics_slug_key UNIQUE
                CONSTRAINT topics_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 120),
    name        text NOT NULL CONSTRAINT topics_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 120),
    description text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE articles (
    id             uuid PRIMARY KEY,
    slug           text NOT NULL CONSTRAINT articles_slug_key UNIQUE
                   CONSTRAINT articles_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 120),
    title          text NOT NULL CONSTRAINT articles_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    dek            text NOT NULL DEFAULT '' CONSTRAINT articles_dek_check CHECK (length(dek) <= 400),
    body_markdown  text NOT NULL DEFAULT '' CONSTRAINT articles_body_markdown_check CHECK (octet_length(body_markdown) <= 200000),
    -- Sanitised rendering of body_markdown, produced at write time by domain::markdown.
    body_html      text NOT NULL DEFAULT '',
    status         text NOT NULL DEFAULT 'draft'
                   CONSTRAINT articles_status_check CHECK (status IN ('draft', 'in_review', 'scheduled', 'published', 'withdrawn')),
    published_at   timestamptz,
    -- The public "Last updated on" moment: moves only on an `update` or `correction` change.
    updated_at     timestamptz NOT NULL DEFAULT now(),
    archived       boolean NOT NULL DEFAULT false,
    archived_at    timestamptz,
    archive_reason text,
    superseded_by  uuid CONSTRAINT articles_superseded_by_fkey REFERENCES articles (id),
    study          jsonb,
    review         jsonb,
    version        integer NOT NULL DEFAULT 1 CONSTRAINT articles_version_check CHECK (version >= 1),
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     uuid CONSTRAINT articles_created_by_fkey REFERENCES users (id),
    updated_by     uuid CONSTRAINT articles_updated_by_fkey REFERENCES users (id),
    -- Any change at all, minor ones included (internal; caches and the admin UI use it).
    modified_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    deleted_by     uuid CONSTRAINT articles_deleted_by_fkey REFERENCES users (id),
    CONSTRAINT articles_published_at_check CHECK (status NOT IN ('published', 'scheduled', 'withdrawn') OR published_at IS NOT NULL),
    CONSTRAINT articles_archived_at_check CHECK (NOT archived OR archived_at IS NOT NULL),
    CONSTRAINT articles_superseded_by_self_check CHECK (superseded_by IS NULL OR superseded_by <> id)
);
-- Reader lists: published, not deleted, newest first.
CREATE INDEX articles_public_idx ON articles (published_at DESC, id DESC)
    WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX articles_archived_idx ON articles (published_at DESC)
    WHERE archived AND status = 'published' AND deleted_at IS NULL;
-- Editor lists and the scheduler.
CREATE INDEX articles_status_idx ON articles (status, modified_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX articles_created_by_idx ON articles (created_by);

CREATE TABLE article_topics (
    article_id uuid NOT NULL CONSTRAINT article_topics_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    topic_id   uuid NOT NULL CONSTRAINT article_topics_topic_id_fkey REFERENCES topics (id),
    position   smallint NOT NULL DEFAULT 0,
    CONSTRAINT article_topics_pkey PRIMARY KEY (article_id, topic_id)
);
CREATE INDEX article_topics_topic_id_idx ON article_topics (topic_id, article_id);

-- Every accepted change writes the whole article here, creation included (number 1).
CREATE TABLE article_revisions (
    id          uuid PRIMARY KEY,
    article_id  uuid NOT NULL CONSTRAINT article_revisions_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    number      integer NOT NULL,
    snapshot    jsonb NOT NULL,
    change_kind text NOT NULL DEFAULT 'minor'
                CONSTRAINT article_revisions_change_kind_check CHECK (change_kind IN ('minor', 'update', 'correction')),
    change_note text,
    created_by  uuid CONSTRAINT article_revisions_created_by_fkey REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT article_revisions_article_id_number_key UNIQUE (article_id, number)
);
-- Public "Updates and corrections" lists only revisions that carry a note.
CREATE INDEX article_revisions_notes_idx ON article_revisions (article_id, number)
    WHERE change_kind IN ('update', 'correction') AND change_note IS NOT NULL;

-- Previous slugs answer 301 to the article's current URL.
CREATE TABLE slug_history (
    slug       text NOT NULL CONSTRAINT slug_history_pkey PRIMARY KEY,
    article_id uuid NOT NULL CONSTRAINT slug_history_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX slug_history_article_id_idx ON slug_history (article_id);

CREATE TABLE feedback (
    id                uuid PRIMARY KEY,
    article_id        uuid NOT NULL CONSTRAINT feedback_article_id_fkey REFERENCES articles (id),
    -- The revision the reader saw when the widget was rendered.
    revision_number   integer NOT NULL,
    helpful           boolean,
    comment           text CONSTRAINT feedback_comment_check CHECK (char_length(comment) <= 2000),
    email             text CONSTRAINT feedback_email_check CHECK (char_length(email) <= 254),
    status            text NOT NULL DEFAULT 'new'
                      CONSTRAINT feedback_status_check CHECK (status IN ('new', 'read', 'resolved', 'spam')),
    -- Keyed hash of the client address (the key rotates daily); never the address itself.
    client_hash       bytea,
    user_agent_family text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT feedback_content_check CHECK (helpful IS NOT NULL OR comment IS NOT NULL)
);
CREATE INDEX feedback_article_id_idx ON feedback (article_id, created_at DESC);
CREATE INDEX feedback_status_idx ON feedback (status, created_at DESC);

-- Admin sessions, in the layout of tower-sessions-sqlx-store's PostgresStore.
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS session_expiry_date_idx ON tower_sessions.session (expiry_date);
