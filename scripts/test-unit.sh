#!/usr/bin/env bash
# `npm run test:unit`: builds, then runs every test file that needs neither a Debian package
# (psql, psycopg, the JDBC driver, Chromium, Ceph) nor the local S3. A test file that needs
# one of those says so in a line of its own, `// test-needs: local-s3 psql …`, and only
# `npm test` (scripts/test.sh) runs it; test/architecture/test-needs.test.ts checks that
# the markers are there. Everything else, new files included, runs here.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run -s build   # type-checks the server and the console, emits dist/ and dist/console/
# Chosen from the sources, so a stale dist/ file of a deleted test never runs.
mapfile -t files < <(grep -rL --include='*.test.ts' '^// test-needs:' test | sort | sed -e 's|^|dist/|' -e 's|\.ts$|.js|')
if [ ${#files[@]} -eq 0 ]; then echo "test:unit: no test files found" >&2; exit 1; fi
# One file at a time, as in npm test: several start a server process of their own.
node --test --test-concurrency=1 "${files[@]}"
