-- Full-text search over title (weight A), dek (B), body and study citation (C), kept by the
-- database itself and indexed with GIN.
ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(dek, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(body_markdown, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(study ->> 'citation', '')), 'C')
) STORED;
CREATE INDEX articles_search_idx ON articles USING gin (search_vector);
