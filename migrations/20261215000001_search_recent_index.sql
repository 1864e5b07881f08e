-- The newest stories (about 10,000: `db::search::RECENT_STORIES`) get a GIN index of their own,
-- and the older ones another, in place of one index over all.
--
-- A search ranks the newest matches of its words and counts every match up to 1,001. With one
-- index, each search decoded the posting lists of its words over every story (for a common
-- word, tens of thousands of entries) and intersected them with a range of the recency index.
-- Now the recent part reads only the short lists of the recent index, and the older part, read
-- only when the recent one has too few matches, reads only the older stories' lists.
--
-- `recent` is true when `published_at >= search_recent_window.since`: the trigger below sets it
-- on every write of a row, and `dateline_move_search_window` (an upkeep task, hourly) moves the
-- window and sets every row on the right side of it, in one transaction. The trigger reads the
-- window without a lock (a lock there could deadlock an editor's save with a move), so a story
-- written back-dated into the stretch a move passes, while it runs, may keep the old side until
-- the next move. Recent and older rows together are always every row, so what a search finds and
-- counts never depends on the window; at worst, until the next move, such a story is placed in
-- the ranking window as if it were on the side it kept.
CREATE TABLE search_recent_window (
    id    boolean PRIMARY KEY DEFAULT true CHECK (id),
    since timestamptz NOT NULL DEFAULT '-infinity'
);
INSERT INTO search_recent_window DEFAULT VALUES;

-- '-infinity': every row is recent until the window first moves.
ALTER TABLE article_search ADD COLUMN recent boolean NOT NULL DEFAULT true;

CREATE FUNCTION article_search_recent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.recent := NEW.published_at >= (SELECT since FROM search_recent_window);
    RETURN NEW;
END
$$;

CREATE TRIGGER article_search_recent BEFORE INSERT OR UPDATE ON article_search
    FOR EACH ROW EXECUTE FUNCTION article_search_recent();

-- Moves the window to start at the `keep`th newest story ('-infinity' while there are fewer)
-- and puts every row on its side of it (also any a concurrent write left on the wrong one);
-- returns where it starts.
CREATE FUNCTION dateline_move_search_window(keep bigint) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    now_since timestamptz;
BEGIN
    PERFORM 1 FROM search_recent_window FOR UPDATE;
    SELECT coalesce(
        (SELECT published_at FROM article_search
         ORDER BY published_at DESC OFFSET greatest(keep, 1) - 1 LIMIT 1),
        '-infinity') INTO now_since;
    UPDATE search_recent_window SET since = now_since;
    -- The trigger sets `recent` from the window just moved.
    UPDATE article_search SET recent = false WHERE published_at < now_since AND recent;
    UPDATE article_search SET recent = true WHERE published_at >= now_since AND NOT recent;
    RETURN now_since;
END
$$;

DROP INDEX article_search_vector_idx;
-- Where a database that already has stories starts (`db::search::RECENT_STORIES`), before the
-- new indexes are built, so the rows it flips cost no index upkeep.
SELECT dateline_move_search_window(10000);
CREATE INDEX article_search_recent_vector_idx ON article_search USING gin (search_vector)
    WHERE recent;
CREATE INDEX article_search_older_vector_idx ON article_search USING gin (search_vector)
    WHERE NOT recent;

-- A search as readers make it (`db::search::search`, which documents it): how many published
-- stories match (up to `count_cap` + 1) and a page of the newest `rank_window` matches ranked.
-- A function so that its plan is made once per connection and kept (`plan_cache_mode`): planned
-- afresh on every call, as the same statement sent by the server was, planning took 0.45 ms of
-- a 2 ms search, and the kept plan serves every query as well (measured over 100,000 stories:
-- 735-750 searches a second with pgbench against 858-863 through the function; 469-480 against
-- 501-526 through the server at 64 connections).
CREATE FUNCTION dateline_search(
    words text, topic_slug text, only_archived boolean, page_size bigint, skip bigint,
    rank_window bigint, count_cap bigint, snippet_chars integer)
RETURNS TABLE (total bigint, id uuid, slug text, title text, dek text,
               published_at timestamptz, archived boolean, body text, truncated boolean,
               query text)
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH q AS MATERIALIZED (
        -- Once per search: the rules are read on every call.
        SELECT dateline_search_query(words) AS expanded,
               websearch_to_tsquery('english', words) AS typed
    ),
    recent AS MATERIALIZED (
        -- Every recent match, as a narrow row: their number, and the newest of them.
        SELECT s.ctid AS row, s.published_at, s.article_id
        FROM article_search s
        WHERE s.recent
          AND s.search_vector @@ (SELECT expanded FROM q)
          AND (topic_slug IS NULL OR EXISTS (
                SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                WHERE at.article_id = s.article_id AND t.slug = topic_slug))
          AND (only_archived IS NULL OR s.archived = only_archived)
    ),
    n AS MATERIALIZED (SELECT count(*) AS recent FROM recent),
    older AS MATERIALIZED (
        -- Every older match, when the recent ones do not fill the window.
        SELECT s.ctid AS row, s.published_at, s.article_id
        FROM article_search s
        WHERE (SELECT n.recent FROM n) < rank_window
          AND NOT s.recent
          AND s.search_vector @@ (SELECT expanded FROM q)
          AND (topic_slug IS NULL OR EXISTS (
                SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                WHERE at.article_id = s.article_id AND t.slug = topic_slug))
          AND (only_archived IS NULL OR s.archived = only_archived)
    ),
    counted AS MATERIALIZED (
        SELECT least(count_cap + 1, (SELECT n.recent FROM n) + CASE
            WHEN (SELECT n.recent FROM n) < rank_window THEN (SELECT count(*) FROM older)
            WHEN (SELECT n.recent FROM n) <= count_cap THEN (
                -- The window is full of recent matches: older ones are only counted.
                SELECT count(*) FROM (
                    SELECT 1 FROM article_search s
                    WHERE NOT s.recent
                      AND s.search_vector @@ (SELECT expanded FROM q)
                      AND (topic_slug IS NULL OR EXISTS (
                            SELECT 1 FROM article_topics at JOIN topics t ON t.id = at.topic_id
                            WHERE at.article_id = s.article_id AND t.slug = topic_slug))
                      AND (only_archived IS NULL OR s.archived = only_archived)
                    LIMIT count_cap + 1 - (SELECT n.recent FROM n)
                ) AS o)
            ELSE 0
        END) AS matches
    ),
    candidates AS (
        SELECT c.row FROM (SELECT * FROM recent UNION ALL SELECT * FROM older) AS c
        ORDER BY c.published_at DESC, c.article_id
        LIMIT rank_window
    ),
    ranked AS (
        -- Only the window's vectors are read, by row address. The words as typed count
        -- twice: a story with the reader's own word ranks above one with only a synonym of
        -- it (without synonyms the two queries are one: ranked once, in the same order).
        SELECT s.article_id, s.published_at,
               CASE WHEN q.expanded = q.typed
                    THEN ts_rank(s.search_vector, q.typed)
                    ELSE ts_rank(s.search_vector, q.expanded) + ts_rank(s.search_vector, q.typed)
               END AS rank
        FROM q, article_search s
        WHERE s.ctid = ANY (ARRAY(SELECT c.row FROM candidates c))
        ORDER BY rank DESC, s.published_at DESC, s.article_id
        LIMIT page_size OFFSET skip
    )
    SELECT counted.matches, hit.id, hit.slug, hit.title, hit.dek, hit.published_at,
           hit.archived, hit.body, hit.truncated, hit.query
    FROM counted LEFT JOIN LATERAL (
        SELECT a.id, a.slug, a.title, a.dek, a.published_at, a.archived,
               left(a.body_markdown, snippet_chars) AS body,
               length(a.body_markdown) > snippet_chars AS truncated,
               q.expanded::text AS query, r.rank, r.article_id
        FROM q, ranked r JOIN articles a ON a.id = r.article_id
    ) AS hit ON true
    ORDER BY hit.rank DESC, hit.published_at DESC, hit.article_id;
END
$$;
