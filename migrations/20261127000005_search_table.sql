-- A narrow copy of the search data of listed stories (published, not deleted), kept by a trigger.
--
-- Searching `articles` directly had to read wide rows whose vectors were pushed out to TOAST:
-- three buffers per story examined, 30-50 ms for a common word over 100,000 stories. Here the
-- vector is kept inline (STORAGE MAIN), rows are ordered by `published_at`, and drafts never
-- appear, so finding the newest matches of a word reads a few hundred pages at most.
CREATE TABLE article_search (
    article_id    uuid PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    published_at  timestamptz NOT NULL,
    archived      boolean NOT NULL,
    search_vector tsvector NOT NULL
);
ALTER TABLE article_search ALTER COLUMN search_vector SET STORAGE MAIN;
CREATE INDEX article_search_vector_idx ON article_search USING gin (search_vector);
CREATE INDEX article_search_recent_idx ON article_search (published_at DESC, article_id);

CREATE FUNCTION article_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'published' AND NEW.deleted_at IS NULL AND NEW.published_at IS NOT NULL THEN
        INSERT INTO article_search (article_id, published_at, archived, search_vector)
        VALUES (NEW.id, NEW.published_at, NEW.archived, NEW.search_vector)
        ON CONFLICT (article_id) DO UPDATE
            SET published_at = EXCLUDED.published_at,
                archived = EXCLUDED.archived,
                search_vector = EXCLUDED.search_vector;
    ELSE
        DELETE FROM article_search WHERE article_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER article_search_insert AFTER INSERT ON articles
    FOR EACH ROW EXECUTE FUNCTION article_search_sync();
CREATE TRIGGER article_search_update AFTER UPDATE ON articles
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
          OR OLD.published_at IS DISTINCT FROM NEW.published_at
          OR OLD.archived IS DISTINCT FROM NEW.archived
          OR OLD.search_vector IS DISTINCT FROM NEW.search_vector)
    EXECUTE FUNCTION article_search_sync();

INSERT INTO article_search (article_id, published_at, archived, search_vector)
SELECT id, published_at, archived, search_vector
FROM articles
WHERE status = 'published' AND deleted_at IS NULL AND published_at IS NOT NULL
ORDER BY published_at;
