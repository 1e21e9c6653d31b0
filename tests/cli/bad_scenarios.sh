#!/usr/bin/env bash
# Every file in tests/bad/scenarios/ through `shardsim run` into a database
# that already holds one run: each must exit with a data/input error code,
# print exactly "shardsim run: <expected line>", and leave the stored run
# and the database intact (no partial run, nothing lost).
# Usage: bad_scenarios.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/results.db
"$bin" run scenarios/default.json --db "$db" --set workload.n_requests=20 -q || { echo "FAIL: seed run"; exit 1; }
before=$(sqlite3 "$db" "select count(*), group_concat(run_key) from runs; select count(*) from requests")
passed=0 failed=0
for f in tests/bad/scenarios/*.json; do
  want="shardsim run: $(cat "${f%.json}.expected")"
  got=$("$bin" run "$f" --db "$db" -q 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne 65 ] && [ "$rc" -ne 66 ] && [ "$rc" -ne 74 ]; then
    echo "FAIL: $f: exit $rc (want 65, 66 or 74)"; failed=$((failed + 1)); continue
  fi
  if [ "$got" != "$want" ]; then
    printf 'FAIL: %s\n  want: %s\n  got:  %s\n' "$f" "$want" "$got"; failed=$((failed + 1)); continue
  fi
  passed=$((passed + 1))
done
after=$(sqlite3 "$db" "select count(*), group_concat(run_key) from runs; select count(*) from requests")
if [ "$before" != "$after" ]; then echo "FAIL: database changed: [$before] -> [$after]"; failed=$((failed + 1)); fi
[ "$(sqlite3 "$db" 'pragma integrity_check')" = ok ] || { echo "FAIL: integrity_check"; failed=$((failed + 1)); }
echo "bad_scenarios: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
