-- A private note editors keep on a feedback entry (never shown to readers), and who last
-- changed it and when.
ALTER TABLE feedback
    ADD COLUMN note text NOT NULL DEFAULT ''
        CONSTRAINT feedback_note_check CHECK (char_length(note) <= 2000),
    ADD COLUMN note_updated_at timestamptz,
    ADD COLUMN note_updated_by uuid CONSTRAINT feedback_note_updated_by_fkey
        REFERENCES users (id) ON DELETE SET NULL;
