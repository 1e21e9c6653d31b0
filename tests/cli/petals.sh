#!/usr/bin/env bash
# `shardsim fit` and `shardsim petals-table` (issue 12): the fit from the
# command line writes a profile that reproduces the published point, twice
# the same bytes; the chained forward fit keeps both factors; petals-table
# prints one row per setup of scenarios/petals/setups.json and stores them;
# bad arguments exit 64, a bad setups file 65 with its JSON path, an
# unreachable target 65, nothing written.
# Usage: petals.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { local name=$1; shift; if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi; }
sc=scenarios/petals/bloom-3xa100.json
fit_bw() { "$bin" fit $sc --target steps_per_s=1.71 --param device.format_eff.int8.bandwidth --out "$1"; }
check "fit prints the target reached" bash -c "$(declare -f fit_bw); bin=$bin sc=$sc; fit_bw $tmp/a.json | grep -Eq '^steps_per_s = 1\.71[0-9]* \(target 1\.71, [+-]0\.0[0-9]*%'"
fit_bw "$tmp/b.json" >/dev/null
check "fit is deterministic (same profile bytes)" cmp -s "$tmp/a.json" "$tmp/b.json"
check "the profile is a preset with overrides" python3 -c "
import json,sys; d=json.load(open('$tmp/a.json')); f=d['format_eff']['int8']
sys.exit(not (d['preset']=='a100-80gb' and 0.15 < f['bandwidth'] < 0.25 and f['source'].startswith('fitted')))"
"$bin" fit $sc --profile "$tmp/a.json" --target tokens_per_s=70.0 --param device.format_eff.int8.compute \
  --out "$tmp/c.json" >"$tmp/fwd.out"
check "the forward fit reaches 70 tokens/s" grep -q '^tokens_per_s = 70' "$tmp/fwd.out"
check "the chained profile keeps both factors" python3 -c "
import json,sys; f=json.load(open('$tmp/c.json'))['format_eff']['int8']; a=json.load(open('$tmp/a.json'))['format_eff']['int8']
sys.exit(not (f['bandwidth']==a['bandwidth'] and 0 < f['compute'] < 2))"
"$bin" petals-table --db "$tmp/r.db" >"$tmp/table.out"; rc=$?
check "petals-table exits 0" test $rc -eq 0
n=$(python3 -c "import json; print(len(json.load(open('scenarios/petals/setups.json'))['setups']))")
check "one row per setup (+ header)" test "$(wc -l <"$tmp/table.out")" -eq $((n + 1))
check "the fitted point's row shows 1.710 steps/s" grep -Eq '^bloom-3xa100-1g-5ms +3 +1 +128 +2048 +1\.710 ' "$tmp/table.out"
check "the rows are stored" test "$(sqlite3 "$tmp/r.db" 'select count(*) from petals_table')" -eq "$n"
"$bin" fit $sc --target steps=1 --param device.bw_eff >/dev/null 2>"$tmp/e1"; rc=$?
check "a bad --target is a usage error" test $rc -eq 64
"$bin" fit $sc --target steps_per_s=1 >/dev/null 2>&1; rc=$?
check "a missing --param is a usage error" test $rc -eq 64
"$bin" fit $sc --target steps_per_s=500 --param device.format_eff.int8.bandwidth --out "$tmp/x.json" \
  >/dev/null 2>"$tmp/e2"; rc=$?
check "an unreachable target exits 65" test $rc -eq 65
check "... with one line" test "$(wc -l <"$tmp/e2")" -eq 1
check "... and writes no profile" test ! -e "$tmp/x.json"
printf '{"version": 1, "setups": [{"name": "x", "table": "3", "base": "bloom-3xa100.json", "clientz": 2}]}' \
  >"$tmp/bad.json"
"$bin" petals-table --setups "$tmp/bad.json" >/dev/null 2>"$tmp/e3"; rc=$?
check "a bad setups file exits 65" test $rc -eq 65
check "... naming the JSON path" grep -q 'setups\[0\].clientz: unknown key "clientz" (did you mean "clients"?)' "$tmp/e3"
echo "petals.sh: $passed passed, $failed failed"
test $failed -eq 0
