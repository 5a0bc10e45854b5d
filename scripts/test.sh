#!/usr/bin/env bash
# `npm test`: installs what the tests need (idempotently), type-checks and builds, brings
# up the local S3/STS environment, and runs every test with Node's test runner.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/install-test-deps.sh
rm -rf dist         # a clean build: no stale test files from deleted sources
npm run -s build   # type-checks the server and the console, emits dist/ and dist/console/
# The local S3 is stopped at the end if this run started it (one started by hand, or by an
# earlier run, is reused and left running): another checkout's `npm test` on this machine
# would otherwise find its ports taken.
if [ -f scripts/local-aws.sh ]; then
  if ! bash scripts/local-aws.sh status >/dev/null 2>&1; then
    trap 'bash scripts/local-aws.sh down >/dev/null 2>&1 || true' EXIT
  fi
  eval "$(bash scripts/local-aws.sh up)"
fi
# One test file at a time keeps the 2-core machine responsive; files are independent.
# Only *.test.js files are tests; support modules under dist/test are not.
if [ -n "${FERRY_TEST_FILES:-}" ]; then files=($FERRY_TEST_FILES); else mapfile -t files < <(find dist/test -name '*.test.js' | sort); fi
node --test --test-concurrency=1 "${files[@]}"
