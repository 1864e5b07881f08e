-- The archive policy (CONTRACT §11): one row. When enabled, once a day (once across instances,
-- claimed in maintenance_runs) every published story not changed for `older_than_days` days
-- (in `topics`, or any topic when empty) is archived by the system with `reason`.
CREATE TABLE archive_policy (
    id              boolean PRIMARY KEY DEFAULT true CONSTRAINT archive_policy_one_row CHECK (id),
    enabled         boolean NOT NULL DEFAULT false,
    older_than_days integer NOT NULL DEFAULT 730
                    CONSTRAINT archive_policy_days_check CHECK (older_than_days BETWEEN 1 AND 36500),
    topics          text[] NOT NULL DEFAULT '{}',
    reason          text NOT NULL
                    DEFAULT 'We archive older stories so that readers can still see the studies that led to today''s care.'
                    CONSTRAINT archive_policy_reason_check CHECK (length(btrim(reason)) BETWEEN 1 AND 300),
    version         integer NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      uuid CONSTRAINT archive_policy_updated_by_fkey REFERENCES users (id),
    -- The last time the policy ran, and how many stories it archived then.
    last_run_at     timestamptz,
    last_run_count  integer
);
INSERT INTO archive_policy DEFAULT VALUES;
