-- Webhooks (CONTRACT §12): subscriptions, and an outbox written in the transaction of the change
-- it announces, so no event is lost when a server dies right after its commit.

-- A subscription: where to send which events, signed with `secret` (`whsec_<base64>`, shown
-- once, kept here since every delivery is signed with it). Deleting sets `deleted_at`.
CREATE TABLE webhooks (
    id          uuid PRIMARY KEY,
    url         text NOT NULL CONSTRAINT webhooks_url_check CHECK (length(url) BETWEEN 1 AND 2000),
    events      text[] NOT NULL CONSTRAINT webhooks_events_check CHECK (cardinality(events) > 0),
    secret      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid CONSTRAINT webhooks_created_by_fkey REFERENCES users (id) ON DELETE SET NULL,
    deleted_at  timestamptz
);
CREATE INDEX webhooks_active_idx ON webhooks (created_at) WHERE deleted_at IS NULL;

-- One row per event that happened: its id is the `webhook-id` of every delivery and retry.
-- `data` is the body's `data` (the delivery adds the story's absolute `url` from its `path`).
CREATE TABLE webhook_events (
    id          uuid PRIMARY KEY,
    type        text NOT NULL,
    -- Deliveries of one story's events to one webhook go in this order.
    story_id    uuid,
    data        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per event and subscribed webhook (fanned out in the same transaction).
CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    seq             bigserial NOT NULL,
    webhook_id      uuid NOT NULL CONSTRAINT webhook_deliveries_webhook_id_fkey REFERENCES webhooks (id),
    event_id        uuid NOT NULL CONSTRAINT webhook_deliveries_event_id_fkey REFERENCES webhook_events (id),
    story_id        uuid,
    -- pending, delivered, gave_up
    state           text NOT NULL DEFAULT 'pending'
                    CONSTRAINT webhook_deliveries_state_check CHECK (state IN ('pending', 'delivered', 'gave_up')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- While an instance sends an attempt; a crash leaves it to expire, and the attempt is retried.
    claimed_until   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (webhook_id, story_id, seq)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, seq DESC);

-- The delivery log: one row per attempt.
CREATE TABLE webhook_attempts (
    id            uuid PRIMARY KEY,
    delivery_id   uuid NOT NULL CONSTRAINT webhook_attempts_delivery_id_fkey REFERENCES webhook_deliveries (id),
    webhook_id    uuid NOT NULL CONSTRAINT webhook_attempts_webhook_id_fkey REFERENCES webhooks (id),
    attempt       integer NOT NULL,
    status_code   integer,
    error         text,
    duration_ms   integer NOT NULL,
    -- delivered, failed (retried at next_retry_at), gave_up
    outcome       text NOT NULL,
    attempted_at  timestamptz NOT NULL DEFAULT now(),
    next_retry_at timestamptz
);
CREATE INDEX webhook_attempts_webhook_idx ON webhook_attempts (webhook_id, attempted_at DESC);
