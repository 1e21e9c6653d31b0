#!/usr/bin/env bash
# The CLI end to end: run, rerun (recognised, not duplicated), report, --seed,
# --set, validate, help texts and exit codes for usage and database errors.
# Usage: run_report.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # name, condition...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
db=$tmp/r.db
out=$("$bin" run scenarios/default.json --db "$db" --set workload.n_requests=30); rc=$?
check "run exits 0" test $rc -eq 0
check "report shows p99" grep -q "p99" <<<"$out"
check "report shows 30 requests" grep -q "30 ok / 30 total" <<<"$out"
check "report shows the build identity" grep -Eq "^  build +(git:[0-9a-f]{40}|src:[0-9a-f]{64})" <<<"$out"
check "build identity stored" grep -Eq "^(git|src):" <<<"$(sqlite3 "$db" 'select build_id from runs')"
"$bin" run scenarios/default.json --db "$db" --set workload.n_requests=30 -q 2>"$tmp/err"; rc=$?
check "rerun exits 0" test $rc -eq 0
check "rerun recognised" grep -q "already stored as run 1" "$tmp/err"
check "one run stored" test "$(sqlite3 "$db" 'select count(*) from runs')" = 1
"$bin" run scenarios/default.json --db "$db" --set workload.n_requests=30 --seed 7 -q; rc=$?
check "other seed stored" test "$(sqlite3 "$db" 'select count(*) from runs')" = 2
check "seed 7 recorded" test "$(sqlite3 "$db" 'select seed from runs where id = 2')" = 7
check "30 request rows per run" test "$(sqlite3 "$db" 'select count(*) from requests where run_id = 2')" = 30
r1=$("$bin" report "$db" --run 1); rc=$?
check "report --run 1" test $rc -eq 0
check "report names the scenario" grep -q "default" <<<"$r1"
"$bin" report "$db" --run 99 >/dev/null 2>&1; check "report of a missing run fails" test $? -ne 0
"$bin" report "$tmp/nope.db" >/dev/null 2>&1; rc=$?
check "report of a missing db fails" test $rc -ne 0
check "missing db not created" test ! -e "$tmp/nope.db"
"$bin" run --seed -1 >/dev/null 2>&1; check "negative seed is a usage error" test $? -eq 64
"$bin" run --seed -1 2>&1 >/dev/null | grep -qx 'shardsim run: --seed: expected an integer 0..18446744073709551615, got "-1"'
check "negative seed message" test $? -eq 0
"$bin" run --bogus >/dev/null 2>&1; check "unknown option is a usage error" test $? -eq 64
"$bin" run --bogus 2>&1 >/dev/null | grep -qx 'shardsim run: unknown option "--bogus" (see shardsim run --help)'
check "unknown option message" test $? -eq 0
"$bin" run --set novalue >/dev/null 2>&1; check "--set without = is a usage error" test $? -eq 64
"$bin" run "$tmp/missing.json" --db "$db" >/dev/null 2>&1; check "missing scenario exits 66" test $? -eq 66
"$bin" run scenarios/default.json --db "$tmp/no/such/dir/x.db" -q >/dev/null 2>&1; rc=$?
check "db in a missing folder exits 73 or 74" test $rc -eq 73 -o $rc -eq 74
"$bin" run scenarios/default.json --db "$db" --set routing.policy='"nope"' -q 2>"$tmp/err"; rc=$?
check "unknown routing policy exits 65" test $rc -eq 65
check "unknown policy lists the known" grep -q 'known: fixed' "$tmp/err"
"$bin" validate scenarios/default.json scenarios/validation/mm1.json scenarios/validation/md1.json >/dev/null; check "validate ok" test $? -eq 0
"$bin" validate tests/bad/scenarios/j10_typo_sede.json 2>"$tmp/err" >/dev/null; rc=$?
check "validate bad exits 65" test $rc -eq 65
check "validate suggests seed" grep -q 'did you mean "seed"' "$tmp/err"
for c in run validate report; do
  "$bin" $c --help | grep -q "Usage: shardsim $c"; check "$c --help" test $? -eq 0
done
"$bin" --help | grep -q "Exit status"; check "--help lists exit codes" test $? -eq 0
"$bin" frobnicate >/dev/null 2>&1; check "unknown command exits 64" test $? -eq 64
echo "run_report: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
