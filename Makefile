# Dateline's commands. `make run` and `make test` are the two a new user needs.
.DEFAULT_GOAL := help
SHELL := /bin/bash

.PHONY: help run test db db-stop sqlx-prepare lint fmt bench-pages bench-feedback bench-search bench-media bench fault-test schemathesis audit

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run: ## Run Dateline with the demo stories on http://127.0.0.1:3000 (starts a local PostgreSQL unless DATABASE_URL is set)
	@scripts/ensure-postgres.sh
	cargo run --release --locked -- serve --demo

test: ## Run the whole test suite (formatting, lints, unit and integration tests on a real PostgreSQL)
	@scripts/test.sh

db: ## Start (or reuse) the project-local PostgreSQL and print its URL
	@scripts/ensure-postgres.sh
	@cargo run --quiet --locked -- local-db

db-stop: ## Stop the project-local PostgreSQL (with the binary `make run` or `make test` built; nothing is compiled)
	@scripts/db-stop.sh

sqlx-prepare: ## Regenerate the committed .sqlx/ query cache after changing a query or a migration
	@scripts/sqlx-prepare.sh

bench-feedback: ## Accepted feedback posts per second against pgbench inserts (writes docs/BENCHMARKS.md)
	@scripts/bench-feedback.sh

bench-search: ## Search latency p50/p95/p99 over 100,000 generated stories (writes docs/BENCHMARKS.md)
	@scripts/bench-search.sh

bench-pages: ## Story pages, 304s, search and feedback against nginx on 10,000 stories (BENCH_STORIES=100000 for more)
	@scripts/bench.sh

bench-media: ## Image renditions (time, peak memory) and a cached rendition against nginx (writes docs/BENCHMARKS.md)
	@scripts/bench-media.sh

bench: bench-pages bench-feedback bench-search bench-media ## Every benchmark (writes docs/BENCHMARKS.md)

fault-test: ## Crash PostgreSQL three times under load; check nothing acknowledged is lost (writes docs/FAULTS.md)
	@scripts/fault-test.sh

schemathesis: ## Schemathesis against the OpenAPI document, 300 examples per operation (over 5,000 requests; writes docs/SCHEMATHESIS.md)
	@SCHEMATHESIS_REPORT=1 scripts/schemathesis.sh 300

audit: ## cargo deny: licenses, bans and sources (offline; installs cargo-deny when missing)
	@scripts/audit.sh

lint: ## Formatting and clippy, as CI checks them
	cargo fmt --all -- --check
	cargo clippy --all-targets --locked -- -D warnings

fmt: ## Format the code
	cargo fmt --all
