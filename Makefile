# CreatorOS metrics pipeline. `make demo` and `make test` work on a fresh machine (Java 17, Node, Python 3,
# Rust); the local stack (DynamoDB Local + moto) is installed on first use under .local/.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
STACK := infra/scripts/stack.sh
STACK_ENV := .local/stack/stack.env
DEMO_ENV := .local/stack/demo.env
# cargo-nextest runs each test in its own process; plain cargo test is the fallback.
TEST_RUNNER := $(shell cargo nextest --version >/dev/null 2>&1 && echo "cargo nextest run --no-fail-fast" || echo "cargo test --no-fail-fast")

.PHONY: help test demo lint tools deny unit stack-up stack-down bench bench-insights bench-writes bench-rss bench-ingest bench-backlog bench-cost bench-worker-rss bench-init load fuzz

help:
	@echo "make demo        stack up, bootstrap, write a sample workspace, print what ElectroDB reads back"
	@echo "make test        stack up, lint, every test, stack down (fails if anything fails)"
	@echo "make unit        tests that need no servers"
	@echo "make lint        cargo fmt --check, clippy -D warnings and cargo deny check"
	@echo "make tools       build the pinned cargo-deny from crates.io into .local/tools; deny: cargo deny check"
	@echo "make stack-up    start DynamoDB Local + moto; stack-down stops them"
	@echo "make bench       parse throughput (CSV, xlsx, zip); bench-writes: write strategies; bench-rss: memory"
	@echo "make bench-ingest  ingest end to end against a naive loop and the BatchWriteItem ceiling"
	@echo "make bench-cost  DynamoDB units per row, derivation reads, upload->insight latency"
	@echo "make bench-backlog  500 uploads over 100 workspaces at once, before and after concurrency and deadlines"
	@echo "make bench-insights  false claims and power of each insight rule on generated workspaces"
	@echo "make bench-worker-rss  peak RSS of the ingest worker on 10 MB / 100 MB / 1 GB; bench-init: Lambda init"
	@echo "make fuzz        cargo-fuzz each parser for FUZZ_SECONDS (default 60); test replays the corpus"
	@echo "make load        500,000 rows in 50 concurrent uploads over 10 workspaces (restarts the stack)"

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --all-features -- -D warnings
	infra/scripts/tools.sh deny

# cargo-deny (advisories, licences, bans, sources: deny.toml) for the workspace and fuzz/, built from crates.io on
# first use; the script says where the advisory database came from, or that there was none (see its comments).
tools:
	infra/scripts/tools.sh install

deny:
	infra/scripts/tools.sh deny

unit:
	cargo test --workspace --lib --bins

# The stack comes down whatever the tests do; the exit status is the tests'. The fault and crash suites run whole
# pipelines against the servers under a time budget, so with nextest they run last, on a freshly restarted stack:
# DynamoDB Local slows down as it fills (an import of 720 rows took 3.7 s fresh and 31 s after the rest of the suite),
# and what the other tests wrote must not count against their budget.
RELIABILITY_SUITES := binary(reliability_faults) | binary(crash)
test:
	$(STACK) up >/dev/null
	status=0; \
	if cargo nextest --version >/dev/null 2>&1; then \
	  ( set -a; . $(STACK_ENV); set +a; \
	    $(MAKE) --no-print-directory lint && \
	    $(TEST_RUNNER) --workspace -E 'not ($(RELIABILITY_SUITES))' ) || status=$$?; \
	  $(STACK) down >/dev/null; $(STACK) up >/dev/null; \
	  ( set -a; . $(STACK_ENV); set +a; \
	    $(TEST_RUNNER) --workspace -E '$(RELIABILITY_SUITES)' ) || status=$$?; \
	else \
	  ( set -a; . $(STACK_ENV); set +a; \
	    $(MAKE) --no-print-directory lint && $(TEST_RUNNER) --workspace ) || status=$$?; \
	fi; \
	$(STACK) down; \
	exit $$status

demo:
	$(STACK) up >/dev/null
	set -a; . $(STACK_ENV); set +a; \
	cargo run -q -p creatoros-cli --bin creatoros -- bootstrap --env-out $(DEMO_ENV); \
	set -a; . $(DEMO_ENV); set +a; \
	cargo run -q -p creatoros-cli --bin creatoros -- demo
	@echo "(the local stack is still up for a look around: . $(STACK_ENV); make stack-down stops it)"

# Parse-path throughput against a raw csv read of the same bytes, and the insight rules by month size (criterion).
bench:
	cargo bench -p creatoros-benches --bench parse --bench ingest_items --bench derive

# The insight catalogue's false-claim rate and power on generated workspaces at the real spread (pure rules, no
# servers; SEEDS=n changes the workspaces per cell).
bench-insights:
	cargo bench -p creatoros-benches --bench insight_quality

# Metric write strategies against DynamoDB Local, one process, same data.
bench-writes:
	$(STACK) up >/dev/null
	set -a; . $(STACK_ENV); set +a; cargo run --release -q -p creatoros-benches --features stack --bin bench_writes

# Ingest end to end against a naive PutItem loop and the BatchWriteItem ceiling: BENCH_ROUNDS rounds of
# BENCH_ROWS rows, each on a freshly started stack, then min/median/max over the rounds.
BENCH_ROUNDS ?= 8
BENCH_ROWS ?= 10000
bench-ingest:
	cargo build --release -q -p creatoros-benches --features stack --bin bench_ingest
	rm -f .local/bench/ingest.jsonl
	for round in $$(seq 0 $$(( $(BENCH_ROUNDS) - 1 ))); do \
	  $(STACK) down >/dev/null; $(STACK) up >/dev/null; \
	  ( set -a; . $(STACK_ENV); set +a; target/release/bench_ingest --rows $(BENCH_ROWS) --round $$round \
	    --record .local/bench/ingest.jsonl ); \
	done
	target/release/bench_ingest --summary .local/bench/ingest.jsonl

# DynamoDB units and requests per 1,000 rows, derivations per import, an unchanged re-derivation, derivation reads
# by month size, and upload -> insight latency, on a freshly started stack.
# 500 uploads over 100 workspaces at once: time until every month is derived, stream timeouts and dropped
# records, the workers before and after bounded concurrency and deadlines, each on a freshly started stack.
bench-backlog:
	cargo build --release -q -p creatoros-benches --features stack --bin bench_backlog
	rm -f .local/bench/backlog.jsonl
	for config in before after; do \
	  $(STACK) down >/dev/null; $(STACK) up >/dev/null; \
	  ( set -a; . $(STACK_ENV); set +a; target/release/bench_backlog --only $$config \
	    --record .local/bench/backlog.jsonl $(BACKLOG_ARGS) ); \
	done
	target/release/bench_backlog --summary .local/bench/backlog.jsonl

bench-cost:
	$(STACK) down >/dev/null
	$(STACK) up >/dev/null
	set -a; . $(STACK_ENV); set +a; cargo run --release -q -p creatoros-benches --features stack --bin bench_cost -- --only costs
	$(STACK) down >/dev/null
	$(STACK) up >/dev/null
	set -a; . $(STACK_ENV); set +a; cargo run --release -q -p creatoros-benches --features stack --bin bench_cost -- --only latency

# Peak RSS of the ingest worker's invocation on RSS_SIZES MB exports with batch writes absorbed by a sink, then
# 2 MB into DynamoDB Local itself (the cross-check: DynamoDB Local takes ~2,500 rows/s when fresh and slows as it
# fills, so larger real runs take hours), on a freshly started stack.
RSS_SIZES ?= 10 100 1024
bench-worker-rss:
	cargo build --release -q -p creatoros-benches --features stack --bin bench_rss
	$(STACK) down >/dev/null
	$(STACK) up >/dev/null
	set -a; . $(STACK_ENV); set +a; \
	for mb in $(RSS_SIZES); do target/release/bench_rss --mb $$mb --sink; done; \
	target/release/bench_rss --mb 2

# Init time of each Lambda bootstrap as the Runtime API starts it (cargo-lambda from PyPI; x86-64 only here).
bench-init:
	test -x .local/lambda-venv/bin/cargo-lambda || \
	  (python3 -m venv .local/lambda-venv && .local/lambda-venv/bin/pip install -q cargo-lambda)
	PATH=$$PWD/.local/lambda-venv/bin:$$PATH cargo lambda build --release -p creatoros-ingest -p creatoros-insights-worker
	ls -l target/lambda/*/bootstrap
	cargo run --release -q -p creatoros-benches --features stack --bin bench_init -- \
	  target/lambda/creatoros-ingest/bootstrap target/lambda/creatoros-insights-worker/bootstrap --runs 20

# Peak memory streaming a generated 1 GB export through the parse path.
# Then the containers read whole: a 400,000-row .xlsx and a zip of a 200 MB CSV (about 30 MB), each
# generated first, then read in a process of its own.
bench-rss:
	cargo build --release -q -p creatoros-benches --bin parse_file
	/usr/bin/time -v target/release/parse_file .local/gen-1gb.csv --generate-mb 1024 2>&1 \
	  | grep -E "rows/s|Maximum resident|Elapsed"
	target/release/parse_file .local/gen-1m.xlsx --generate-xlsx-rows 400000 --generate-only
	/usr/bin/time -v target/release/parse_file .local/gen-1m.xlsx 2>&1 \
	  | grep -E "rows/s|Maximum resident|Elapsed"
	target/release/parse_file .local/gen-200mb.zip --generate-zip-mb 200 --generate-only
	/usr/bin/time -v target/release/parse_file .local/gen-200mb.zip 2>&1 \
	  | grep -E "rows/s|Maximum resident|Elapsed"

# 50 uploads x 10,000 rows over 10 workspaces through the local runners, on a freshly restarted stack.
load:
	$(STACK) down >/dev/null
	$(STACK) up >/dev/null
	set -a; . $(STACK_ENV); set +a; cargo run --release -q -p creatoros-benches --features stack --bin load -- $(LOAD_ARGS)

stack-up:
	$(STACK) up

stack-down:
	$(STACK) down

# Coverage-guided fuzzing of the parsers (cargo-fuzz, nightly; see fuzz/src/lib.rs), FUZZ_SECONDS per target, one
# process at a time, no sanitizer (safe Rust), debug assertions on. New corpus inputs go to fuzz/corpus/<target>/,
# crashes to fuzz/artifacts/<target>/; `make test` replays the committed corpus and fuzz/regressions/ on stable.
FUZZ_SECONDS ?= 60
# The readers' targets build on creatoros-formats alone; the pipeline's need the `pipeline` feature (the workers).
FUZZ_TARGETS := parse_export workbook zip_archive
FUZZ_PIPELINE_TARGETS := object_key ingest_message stream_record
fuzz:
	rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	cargo +nightly fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
	cd fuzz && for target in $(FUZZ_TARGETS); do \
	  cargo +nightly fuzz run $$target -s none -a -- -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -print_final_stats=1; \
	done; \
	for target in $(FUZZ_PIPELINE_TARGETS); do \
	  cargo +nightly fuzz run --features pipeline $$target -s none -a -- -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=4096 -timeout=10 -print_final_stats=1; \
	done
