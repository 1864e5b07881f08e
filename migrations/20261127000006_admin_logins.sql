-- Failed admin logins, for throttling per account and per client. The client is a keyed hash
-- of its address (the feedback day key), never the address itself. Rows older than a day are
-- deleted as new failures come in.
CREATE TABLE login_failures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL,
    client_hash bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_idx ON login_failures (lower(email), created_at DESC);
CREATE INDEX login_failures_client_idx ON login_failures (client_hash, created_at DESC);

-- Sessions of a user end when the user is disabled or changes password: sessions record
-- the user's session epoch, and a session from an older epoch is refused.
ALTER TABLE users ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;
