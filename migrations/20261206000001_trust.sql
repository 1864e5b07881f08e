-- Periodic upkeep that one instance does for all (deleting expired admin sessions …): each task
-- is claimed by moving its `last_run_at`, which only one instance's statement can do per period.
CREATE TABLE maintenance_runs (
    name        text PRIMARY KEY,
    last_run_at timestamptz NOT NULL
);

-- A withdrawn story's 410 page says when and why it was withdrawn.
ALTER TABLE articles
    ADD COLUMN withdrawn_at timestamptz,
    ADD COLUMN withdraw_reason text;
