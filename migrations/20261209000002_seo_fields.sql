-- SEO and social (issue 25): an optional title for search results and social cards, and an
-- optional meta description; the story page falls back to the headline and the dek when null.
-- The service checks the lengths (as sent) and stores them cleaned and trimmed, null when empty;
-- the constraints are a last guard.
ALTER TABLE articles
    ADD COLUMN seo_title text,
    ADD COLUMN meta_description text,
    ADD CONSTRAINT articles_seo_title_length CHECK (char_length(seo_title) BETWEEN 1 AND 70),
    ADD CONSTRAINT articles_meta_description_length
        CHECK (char_length(meta_description) BETWEEN 1 AND 160);
