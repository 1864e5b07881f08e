-- Reader feedback: abuse controls, private client keys, cheap aggregates and page views.

-- Secrets shared by every instance (form-token signing), created once.
CREATE TABLE app_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The key that hashes client addresses: a new random one every UTC day, deleted after two,
-- so that a stored hash cannot be linked back to an address later.
CREATE TABLE feedback_keys (
    day        date PRIMARY KEY,
    key        bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE feedback
    ADD COLUMN has_comment boolean GENERATED ALWAYS AS (comment IS NOT NULL AND comment <> '') STORED,
    ADD COLUMN spam_reason text;

-- Rate limits and duplicate detection look up one client's recent entries.
CREATE INDEX feedback_client_idx ON feedback (client_hash, created_at DESC);
-- Per-story aggregates read from the index alone.
CREATE INDEX feedback_stats_idx ON feedback (article_id) INCLUDE (helpful, has_comment)
    WHERE status <> 'spam';

-- Cookie-less page views per story per day, written in batches.
CREATE TABLE page_views (
    article_id uuid NOT NULL CONSTRAINT page_views_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    day        date NOT NULL,
    views      bigint NOT NULL DEFAULT 0,
    CONSTRAINT page_views_pkey PRIMARY KEY (article_id, day)
);
