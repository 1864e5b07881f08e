-- Autosaved editor text: one row per story and editor, replaced by every autosave and removed
-- when that editor saves. Autosaves are not revisions, so typing never floods the history.
CREATE TABLE article_autosaves (
    article_id   uuid NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The story version the editor's form was based on: restoring an autosave over a newer
    -- version leads to the conflict screen, never to a silent overwrite.
    base_version integer NOT NULL,
    payload      jsonb NOT NULL,
    saved_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, user_id)
);
