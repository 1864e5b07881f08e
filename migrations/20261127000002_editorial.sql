-- Editorial machinery: the audit log, scheduled jobs and preview links.

CREATE TABLE audit_log (
    id          uuid PRIMARY KEY,
    actor_id    uuid CONSTRAINT audit_log_actor_id_fkey REFERENCES users (id),
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   uuid,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_at_idx ON audit_log (created_at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, created_at DESC);

-- Work that must happen at a given time (scheduled publication). Claimed with
-- FOR UPDATE SKIP LOCKED so that several instances never run one job twice.
CREATE TABLE scheduled_jobs (
    id          uuid PRIMARY KEY,
    article_id  uuid NOT NULL CONSTRAINT scheduled_jobs_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    action      text NOT NULL CONSTRAINT scheduled_jobs_action_check CHECK (action IN ('publish')),
    run_at      timestamptz NOT NULL,
    created_by  uuid CONSTRAINT scheduled_jobs_created_by_fkey REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    done_at     timestamptz,
    canceled_at timestamptz,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text
);
CREATE INDEX scheduled_jobs_due_idx ON scheduled_jobs (run_at)
    WHERE done_at IS NULL AND canceled_at IS NULL;
CREATE INDEX scheduled_jobs_article_id_idx ON scheduled_jobs (article_id);

-- Read-only links to unpublished stories. Only a SHA-256 of the token is stored.
CREATE TABLE preview_links (
    id          uuid PRIMARY KEY,
    article_id  uuid NOT NULL CONSTRAINT preview_links_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    token_hash  bytea NOT NULL CONSTRAINT preview_links_token_hash_key UNIQUE,
    created_by  uuid CONSTRAINT preview_links_created_by_fkey REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX preview_links_article_id_idx ON preview_links (article_id);
