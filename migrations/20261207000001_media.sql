-- Images (CONTRACT §9). Every file is a blob addressed by the SHA-256 of its bytes: an upload
-- sent twice is stored once, and renditions made from the same original are the same blobs.
-- Blobs are images already compressed, so PostgreSQL is asked not to compress them again.
CREATE TABLE media_blobs (
    hash       text PRIMARY KEY CONSTRAINT media_blobs_hash_check CHECK (hash ~ '^[0-9a-f]{64}$'),
    -- NULL when the bytes are kept elsewhere (an object store: `crate::media::store`).
    bytes      bytea,
    size       integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE media_blobs ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- One uploaded image: its original (never served: it may carry metadata) and what editors say
-- of it.
CREATE TABLE media (
    id            uuid PRIMARY KEY,
    original_hash text NOT NULL CONSTRAINT media_original_hash_fkey REFERENCES media_blobs (hash),
    content_type  text NOT NULL CONSTRAINT media_content_type_check
                  CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp', 'image/gif')),
    width         integer NOT NULL CONSTRAINT media_width_check CHECK (width > 0),
    height        integer NOT NULL CONSTRAINT media_height_check CHECK (height > 0),
    alt           text NOT NULL DEFAULT '' CONSTRAINT media_alt_check CHECK (length(alt) <= 250),
    decorative    boolean NOT NULL DEFAULT false,
    caption       text NOT NULL DEFAULT '' CONSTRAINT media_caption_check CHECK (length(caption) <= 1000),
    credit        text NOT NULL DEFAULT '' CONSTRAINT media_credit_check CHECK (length(credit) <= 200),
    filename      text NOT NULL DEFAULT '',
    version       integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    created_by    uuid CONSTRAINT media_created_by_fkey REFERENCES users (id),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz,
    CONSTRAINT media_alt_or_decorative_check CHECK (decorative OR btrim(alt) <> '')
);
CREATE INDEX media_created_idx ON media (created_at DESC, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX media_original_hash_idx ON media (original_hash);

-- The files served: each width in the original's format and in WebP.
CREATE TABLE media_renditions (
    media_id     uuid NOT NULL CONSTRAINT media_renditions_media_id_fkey REFERENCES media (id) ON DELETE CASCADE,
    width        integer NOT NULL,
    height       integer NOT NULL,
    content_type text NOT NULL,
    blob_hash    text NOT NULL CONSTRAINT media_renditions_blob_hash_fkey REFERENCES media_blobs (hash),
    CONSTRAINT media_renditions_pkey PRIMARY KEY (media_id, width, content_type)
);
CREATE INDEX media_renditions_blob_hash_idx ON media_renditions (blob_hash);

-- A story's lead image; a person's photo.
ALTER TABLE articles
    ADD COLUMN lead_image uuid CONSTRAINT articles_lead_image_fkey REFERENCES media (id);
CREATE INDEX articles_lead_image_idx ON articles (lead_image) WHERE lead_image IS NOT NULL;
ALTER TABLE people
    ADD CONSTRAINT people_photo_fkey FOREIGN KEY (photo) REFERENCES media (id);

-- The images a story's body shows, as written at its last save: where each image is used.
CREATE TABLE article_body_media (
    article_id uuid NOT NULL CONSTRAINT article_body_media_article_id_fkey REFERENCES articles (id) ON DELETE CASCADE,
    media_id   uuid NOT NULL CONSTRAINT article_body_media_media_id_fkey REFERENCES media (id),
    CONSTRAINT article_body_media_pkey PRIMARY KEY (article_id, media_id)
);
CREATE INDEX article_body_media_media_id_idx ON article_body_media (media_id);
