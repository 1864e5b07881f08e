-- `dateline import wordpress --media-from DIR`: an attachment of the old site (kind
-- `attachment`, by its post ID) becomes an image of the library, so that a second run finds it.
-- Its fingerprint is `<sha256 of the file>:<sha256 of its alt text and caption>`.
ALTER TABLE import_sources
    ADD COLUMN media_id uuid CONSTRAINT import_sources_media_id_fkey REFERENCES media (id) ON DELETE CASCADE;
ALTER TABLE import_sources DROP CONSTRAINT import_sources_kind_check;
ALTER TABLE import_sources ADD CONSTRAINT import_sources_kind_check
    CHECK (kind IN ('post', 'term', 'author', 'attachment'));
ALTER TABLE import_sources DROP CONSTRAINT import_sources_target_check;
ALTER TABLE import_sources ADD CONSTRAINT import_sources_target_check
    CHECK (num_nonnulls(article_id, topic_id, person_id, media_id) = 1);
CREATE INDEX import_sources_media_id_idx ON import_sources (media_id) WHERE media_id IS NOT NULL;
