-- pgbench: one single-row insert into the same table, as the baseline for accepted posts.
-- ARTICLE_ID is replaced with the benchmark story's id by scripts/bench-feedback.sh.
\set n random(1, 1000000000)
INSERT INTO feedback (id, article_id, revision_number, helpful, comment, client_hash, user_agent_family)
VALUES (gen_random_uuid(), 'ARTICLE_ID', 1, true, 'pgbench ' || :n, decode(md5(:n::text), 'hex'), 'Chrome');
