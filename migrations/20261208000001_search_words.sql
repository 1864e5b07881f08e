-- Search that finds what readers type (CONTRACT §10): synonym sets applied to the query, and
-- the words of published stories for spelling suggestions.

-- Trigram similarity (a trusted extension: the database's owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Synonym sets as editors wrote them, in their order; `terms` are lower case, whitespace folded.
CREATE TABLE search_synonym_sets (
    position integer PRIMARY KEY,
    terms    text[] NOT NULL CHECK (cardinality(terms) >= 2)
);

-- The sets as `ts_rewrite` rules: each term (as typed, and as a phrase when it has several
-- words) is rewritten to itself or any other term of its set. Written with the sets.
CREATE TABLE search_synonym_rules (
    target     tsquery NOT NULL,
    substitute tsquery NOT NULL
);

-- One row: the version of the sets (for If-Match), who changed them last and when.
CREATE TABLE search_synonyms_state (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version    integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid REFERENCES users (id) ON DELETE SET NULL
);
INSERT INTO search_synonyms_state DEFAULT VALUES;

-- Every earlier version of the sets, so a change can be looked at and undone.
CREATE TABLE search_synonym_history (
    version    integer PRIMARY KEY,
    sets       jsonb NOT NULL,
    changed_at timestamptz NOT NULL,
    changed_by uuid REFERENCES users (id) ON DELETE SET NULL
);

-- A reader's words as a query: `websearch_to_tsquery` with the synonym rules whose terms it
-- contains applied, each once (PL/pgSQL keeps the plan of the rule lookup for the session).
-- Call it once per statement (in a CTE).
CREATE FUNCTION dateline_search_query(words text) RETURNS tsquery
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    q tsquery := websearch_to_tsquery('english', words);
    rule record;
BEGIN
    FOR rule IN SELECT target, substitute FROM search_synonym_rules WHERE q @> target LOOP
        q := ts_rewrite(q, rule.target, rule.substitute);
    END LOOP;
    RETURN q;
END
$$;

-- The words of a text as spelling suggestions can use them: lower case, letters only, 3 to 40 of
-- them (not stemmed, so a suggestion reads as a word).
CREATE FUNCTION dateline_words_of(body text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(w ORDER BY w), '{}')
    FROM unnest(tsvector_to_array(to_tsvector('simple', coalesce(body, '')))) AS w
    WHERE w ~ '^[[:alpha:]]{3,40}$'
$$;

-- The words of each listed story, and how many listed stories use each word. Kept by statement
-- triggers on `articles`, so a batch of a thousand stories updates each word once.
CREATE TABLE article_words (
    article_id uuid PRIMARY KEY,
    words      text[] NOT NULL
);
CREATE TABLE search_words (
    word    text PRIMARY KEY,
    stories integer NOT NULL
);
-- Nearest words by trigram distance (`<->`), for the closest spelling.
CREATE INDEX search_words_trgm_idx ON search_words USING gist (word gist_trgm_ops);

-- The words of a story, or NULL when it is not listed (not published, or deleted).
CREATE FUNCTION dateline_listed_words(a articles) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN a.status = 'published' AND a.deleted_at IS NULL AND a.published_at IS NOT NULL
                THEN dateline_words_of(concat_ws(' ', a.title, a.dek, a.body_markdown,
                                                 a.study ->> 'citation'))
           END
$$;

CREATE FUNCTION article_words_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH listed AS MATERIALIZED (
        SELECT n.id, dateline_listed_words(n) AS words FROM new_rows n
    ),
    kept AS (
        INSERT INTO article_words (article_id, words)
        SELECT id, words FROM listed WHERE words IS NOT NULL
        ON CONFLICT (article_id) DO UPDATE SET words = EXCLUDED.words
    )
    INSERT INTO search_words (word, stories)
    SELECT w, count(*) FROM listed, unnest(listed.words) AS w GROUP BY w ORDER BY w
    ON CONFLICT (word) DO UPDATE SET stories = search_words.stories + EXCLUDED.stories;
    RETURN NULL;
END
$$;

CREATE FUNCTION article_words_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS MATERIALIZED (
        SELECT n.id, dateline_listed_words(n) AS words
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE (o.status, o.deleted_at, o.published_at, o.title, o.dek, o.body_markdown,
               o.study ->> 'citation')
              IS DISTINCT FROM
              (n.status, n.deleted_at, n.published_at, n.title, n.dek, n.body_markdown,
               n.study ->> 'citation')
    ),
    before AS MATERIALIZED (
        SELECT aw.words FROM article_words aw JOIN changed c ON c.id = aw.article_id
    ),
    delta AS (
        SELECT w, sum(d)::integer AS d FROM (
            SELECT unnest(words) AS w, 1 AS d FROM changed WHERE words IS NOT NULL
            UNION ALL
            SELECT unnest(words), -1 FROM before
        ) AS x
        GROUP BY w HAVING sum(d) <> 0
    ),
    dropped AS (
        DELETE FROM article_words aw USING changed c
        WHERE aw.article_id = c.id AND c.words IS NULL
    ),
    kept AS (
        INSERT INTO article_words (article_id, words)
        SELECT id, words FROM changed WHERE words IS NOT NULL
        ON CONFLICT (article_id) DO UPDATE SET words = EXCLUDED.words
    )
    INSERT INTO search_words (word, stories)
    SELECT w, d FROM delta ORDER BY w
    ON CONFLICT (word) DO UPDATE SET stories = search_words.stories + EXCLUDED.stories;
    RETURN NULL;
END
$$;

CREATE FUNCTION article_words_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (
        DELETE FROM article_words aw USING old_rows o WHERE aw.article_id = o.id
        RETURNING aw.words
    )
    INSERT INTO search_words (word, stories)
    SELECT w, -count(*) FROM gone, unnest(gone.words) AS w GROUP BY w ORDER BY w
    ON CONFLICT (word) DO UPDATE SET stories = search_words.stories + EXCLUDED.stories;
    RETURN NULL;
END
$$;

CREATE TRIGGER article_words_insert AFTER INSERT ON articles
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION article_words_insert();
CREATE TRIGGER article_words_update AFTER UPDATE ON articles
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION article_words_update();
CREATE TRIGGER article_words_delete AFTER DELETE ON articles
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION article_words_delete();

-- The stories there are already.
INSERT INTO article_words (article_id, words)
SELECT id, dateline_listed_words(a) FROM articles a WHERE dateline_listed_words(a) IS NOT NULL;
INSERT INTO search_words (word, stories)
SELECT w, count(*) FROM article_words, unnest(words) AS w GROUP BY w;

-- Shared request limits (`/search` per client address): hits per client and minute, summed
-- over every instance.
CREATE TABLE rate_limit_hits (
    scope   text NOT NULL,
    client  bytea NOT NULL,
    minute  timestamptz NOT NULL,
    hits    integer NOT NULL,
    PRIMARY KEY (scope, client, minute)
);
CREATE INDEX rate_limit_hits_minute_idx ON rate_limit_hits (minute);
