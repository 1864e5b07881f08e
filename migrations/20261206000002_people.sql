-- People credited on stories (CONTRACT §8): bylines and medical reviewers. Not sign-in users.
-- Deleting is soft: the row stays (old revisions name it), its slug is free for someone else.
CREATE TABLE people (
    id            uuid PRIMARY KEY,
    slug          text NOT NULL
                  CONSTRAINT people_slug_check CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 120),
    name          text NOT NULL CONSTRAINT people_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 120),
    credentials   text NOT NULL DEFAULT '' CONSTRAINT people_credentials_check CHECK (length(credentials) <= 200),
    bio_markdown  text NOT NULL DEFAULT '' CONSTRAINT people_bio_check CHECK (octet_length(bio_markdown) <= 5000),
    -- Sanitised rendering of bio_markdown, produced at write time by domain::markdown.
    bio_html      text NOT NULL DEFAULT '',
    -- A media id once images exist (§9); null until then.
    photo         uuid,
    same_as       text[] NOT NULL DEFAULT '{}' CONSTRAINT people_same_as_check CHECK (cardinality(same_as) <= 10),
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
CREATE UNIQUE INDEX people_slug_key ON people (slug) WHERE deleted_at IS NULL;
CREATE INDEX people_name_idx ON people (lower(name)) WHERE deleted_at IS NULL;

-- A story's authors, in byline order.
CREATE TABLE article_authors (
    article_id uuid NOT NULL CONSTRAINT article_authors_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    person_id  uuid NOT NULL CONSTRAINT article_authors_person_id_fkey REFERENCES people (id),
    position   smallint NOT NULL DEFAULT 0,
    CONSTRAINT article_authors_pkey PRIMARY KEY (article_id, person_id)
);
CREATE INDEX article_authors_person_id_idx ON article_authors (person_id, article_id);

-- The medical reviewer, when the review names a person (`review.reviewer`); `review` keeps the
-- rest (`reviewed_by` as free text, the dates).
ALTER TABLE articles
    ADD COLUMN reviewer_id uuid CONSTRAINT articles_reviewer_id_fkey REFERENCES people (id);
CREATE INDEX articles_reviewer_id_idx ON articles (reviewer_id) WHERE reviewer_id IS NOT NULL;

-- Review due: published stories by their next review date.
CREATE INDEX articles_next_review_due_idx ON articles (((review ->> 'next_review_due')))
    WHERE status = 'published' AND deleted_at IS NULL;
