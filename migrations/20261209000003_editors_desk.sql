-- The editors' desk (issue 25): review requests and their outcome, who has a story open in
-- the editor, and scheduled unpublish and archive beside scheduled publication.

-- One row per "Submit for review": who asked and when, then (once an editor publishes,
-- schedules or sends the story back) who decided, how, and the note for the author.
CREATE TABLE review_requests (
    id           uuid PRIMARY KEY,
    article_id   uuid NOT NULL CONSTRAINT review_requests_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    requested_by uuid CONSTRAINT review_requests_requested_by_fkey REFERENCES users (id),
    requested_at timestamptz NOT NULL DEFAULT now(),
    decision     text CONSTRAINT review_requests_decision_check
                     CHECK (decision IN ('published', 'scheduled', 'sent_back')),
    decided_by   uuid CONSTRAINT review_requests_decided_by_fkey REFERENCES users (id),
    decided_at   timestamptz,
    note         text CONSTRAINT review_requests_note_check CHECK (char_length(note) <= 2000),
    CONSTRAINT review_requests_decided_check CHECK ((decision IS NULL) = (decided_at IS NULL))
);
-- A story waits in the queue once at most.
CREATE UNIQUE INDEX review_requests_open_key ON review_requests (article_id) WHERE decided_at IS NULL;
CREATE INDEX review_requests_article_id_idx ON review_requests (article_id, requested_at DESC);

-- Stories already waiting: the request is their last "submit" in the audit log.
INSERT INTO review_requests (id, article_id, requested_by, requested_at)
SELECT gen_random_uuid(), a.id, s.actor_id, coalesce(s.created_at, a.created_at)
FROM articles a
LEFT JOIN LATERAL (
    SELECT l.actor_id, l.created_at FROM audit_log l
    WHERE l.target_id = a.id AND l.action = 'submit'
    ORDER BY l.created_at DESC LIMIT 1
) s ON true
WHERE a.status = 'in_review';

-- Who has a story open in the editor: a heartbeat every ~15 s; an entry older than 45 s is
-- someone who left.
CREATE TABLE editor_presence (
    article_id uuid NOT NULL CONSTRAINT editor_presence_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL CONSTRAINT editor_presence_user_id_fkey REFERENCES users (id) ON DELETE CASCADE,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT editor_presence_pkey PRIMARY KEY (article_id, user_id)
);
CREATE INDEX editor_presence_seen_at_idx ON editor_presence (seen_at);

-- Scheduled unpublish and archive, run by the same exactly-once scheduler; an archive keeps
-- the reason and the newer story its banner will show.
ALTER TABLE scheduled_jobs DROP CONSTRAINT scheduled_jobs_action_check;
ALTER TABLE scheduled_jobs ADD CONSTRAINT scheduled_jobs_action_check
    CHECK (action IN ('publish', 'unpublish', 'archive'));
ALTER TABLE scheduled_jobs
    ADD COLUMN reason text,
    ADD COLUMN superseded_by uuid CONSTRAINT scheduled_jobs_superseded_by_fkey REFERENCES articles (id) ON DELETE SET NULL;
