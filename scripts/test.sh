#!/usr/bin/env bash
# The README's test command: installs (idempotently) what the tests use, then
# runs every test, the lint gates and the conformance suites with their floors.
set -euo pipefail
cd "$(dirname "$0")/.."

# A persistent target dir keeps CI well inside its time budget.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
export CARGO_TERM_COLOR=never

step() { printf '\n== %s\n' "$*"; }

# Logs of this run only (several runs may share the machine).
LOGS=$(mktemp -d)

step "test tools (Python venv with boto3, the aws CLI, pytest)"
VENV="${BATON_VENV:-$PWD/.venv}"
REQ=tests/e2e/requirements.txt
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
# Reinstall only when the requirements changed.
if ! cmp -s "$REQ" "$VENV/.baton-requirements" 2>/dev/null; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
  cp "$REQ" "$VENV/.baton-requirements"
fi
export PATH="$VENV/bin:$PATH"
# Local Lambda functions (Python runtimes) run on this interpreter in tests.
export BATON_PYTHON="$VENV/bin/python"

step "format"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "unit and integration tests"
cargo test --workspace --quiet 2>&1 | tee "$LOGS/cargo-test.log"
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { p += $4; f += $6; i += $8 } END { printf "cargo tests: %d passed, %d failed, %d skipped\n", p, f, i }' "$LOGS/cargo-test.log"

step "end-to-end: real clients (boto3, aws CLI) against baton serve: Step Functions, Lambda, DynamoDB, SNS (SMTP, HTTP signatures), auth, crash tests"
cargo build --release --quiet -p baton
# The README's commands go through `cargo run`: it must pick the baton binary.
cargo run --release --quiet -- validate examples/lottery/lottery.asl.json > /dev/null
python -m pytest -q tests/e2e --ignore=tests/e2e/test_lottery.py

step "end-to-end: the seed's lottery tutorial (examples/lottery/run-with-aws-cli.sh and baton demo, clean data dirs)"
python -m pytest -q tests/e2e/test_lottery.py

step "console in a real browser: Playwright (playwright-core) driving Debian's Chromium against baton serve"
# Chromium from Debian, installed only when missing; npm packages only when
# the lock file changed since the last install.
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium > /dev/null
fi
if ! cmp -s tests/console/package-lock.json tests/console/node_modules/.baton-lock 2>/dev/null; then
  (cd tests/console && npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.baton-lock)
fi
(cd tests/console && CONSOLE_ARTIFACTS="$CARGO_TARGET_DIR/console-artifacts" npm test --silent)

step "JSONata reference suite"
cargo run --release --quiet -p baton-jsonata --bin jsonata-suite -- --floor "$(cat crates/jsonata/suite-floor.txt)"

step "ASL conformance through a running baton serve on PostgreSQL (the API path and the shared-database store)"
# The in-process run below uses the in-memory store, the end-to-end tests
# SQLite; this one stores every execution in PostgreSQL (BATON_TEST_POSTGRES,
# by default the machine's local server), in a schema of its own.
PG_URL="${BATON_TEST_POSTGRES:-host=127.0.0.1 user=postgres dbname=test}"
PG_SCHEMA="baton_conformance_$$"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$CARGO_TARGET_DIR/release/baton" serve --database "$PG_URL" --database-schema "$PG_SCHEMA" \
  --data-dir "$LOGS/conformance-data" --port "$PORT" --time-scale 1000 --account 111111111111 \
  > "$LOGS/conformance-serve.log" 2>&1 &
SERVE_PID=$!
trap 'kill $SERVE_PID 2>/dev/null || true; psql "$PG_URL" -qc "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" > /dev/null 2>&1 || true' EXIT
for _ in $(seq 100); do grep -q ready "$LOGS/conformance-serve.log" && break; sleep 0.1; done
grep ready "$LOGS/conformance-serve.log" || { cat "$LOGS/conformance-serve.log"; exit 1; }
cargo run --release --quiet -p conformance --bin baton-conformance -- --endpoint "http://127.0.0.1:$PORT" --floor-file conformance/floor.txt
kill $SERVE_PID 2>/dev/null || true

step "ASL conformance (AWS-recorded executions)"
cargo run --release --quiet -p conformance --bin baton-conformance -- --floor-file conformance/floor.txt
