#!/usr/bin/env bash
# `shardsim tune`: a small BRKGA budget over the nesa routing weights on
# compare-routing.json (40 requests) either improves e2e_s_mean over the
# scenario's own settings on the held-out seeds or says it did not, and the
# printed figures agree with the stored runs (recomputed here with sqlite3
# from the runs of the held-out seeds); the same GA seed twice gives the
# same output (into the same database, and into a fresh one); another GA
# seed searches differently; bad objective / policy without settings: one
# line, exit 65.
# Usage: tune.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # name, condition...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
scn=$src/scenarios/compare-routing.json
tune() { "$bin" tune "$scn" --set routing.policy=nesa --set workload.n_requests=40 \
  --objective e2e_s_mean --budget 3 --pop 6 --seeds 2 --holdout 3 "$@"; }

tune --db "$tmp/a.db" >"$tmp/a1" 2>"$tmp/err"; rc=$?
check "tune exits 0 ($(head -c 300 "$tmp/err"))" test $rc -eq 0
check "one line per generation" test "$(grep -c '^generation [123]: best e2e_s_mean' "$tmp/a1")" = 3
check "4 nesa settings reported" test "$(grep -cE '^(compute|latency|transfer|reputation)\s' "$tmp/a1")" = 4
check "held-out seeds 3..5, not the tuning seeds" grep -q "tuning seeds 1..2, held-out seeds 3..5" "$tmp/a1"
# improved, or says it did not; either way consistent with its figures
line=$(grep '^held-out seeds' "$tmp/a1")
def=$(awk -F'\t' '{sub("scenario ", "", $3); print $3}' <<<"$line")
best=$(awk -F'\t' '{sub("best ", "", $4); print $4}' <<<"$line")
if grep -q '^improved on the held-out seeds' "$tmp/a1"; then verdict=1; else verdict=0; fi
check "the verdict matches the held-out figures ($best vs $def)" \
  test "$(python3 -c "print(int($best < $def))")" = $verdict
check "says improved or did not" grep -qE '^(improved|did not improve) on the held-out seeds' "$tmp/a1"
# the held-out figure of the scenario's own settings, recomputed from the stored runs
want=$(sqlite3 "$tmp/a.db" "select printf('%.6g', avg(m.value)) from runs r join metrics m on
  m.run_id = r.id and m.name = 'e2e_s_mean' where r.seed in ('3', '4', '5') and
  json_extract(r.scenario_json, '\$.routing.settings.compute') = 1.0 and
  json_extract(r.scenario_json, '\$.routing.settings.reputation') = 0.5")
check "scenario's held-out mean equals the stored runs' mean ($def vs $want)" test "$def" = "$want"
bc=$(awk -F'\t' '$1 == "compute" {print $5}' "$tmp/a1")
check "best settings within the spec's range" test "$(python3 -c "print(int(0 <= $bc <= 1000))")" = 1

tune --db "$tmp/a.db" >"$tmp/a2"; rc=$?
check "same seed again (stored runs): same output" test $rc -eq 0 && cmp -s "$tmp/a1" "$tmp/a2"
check "same seed again: nothing new stored" test "$(sqlite3 "$tmp/a.db" 'select count(*) from runs')" = \
  "$(sqlite3 "$tmp/a.db" 'select count(distinct run_key) from runs')"
tune --db "$tmp/b.db" >"$tmp/b1"
check "same seed, fresh database: same output" cmp -s "$tmp/a1" "$tmp/b1"
tune --db "$tmp/b.db" --seed 7 >"$tmp/c1"
check "another GA seed: another search" test "$(grep '^generation 1' "$tmp/c1")" != "$(grep '^generation 1' "$tmp/a1")"

"$bin" tune "$scn" --objective e2e_latency --db "$tmp/x.db" --set routing.policy=nesa 2>"$tmp/err"; rc=$?
check "objective not a metric: exit 65, one line naming file and option" test $rc -eq 65 -a \
  "$(wc -l <"$tmp/err")" = 1 -a "$(grep -c "$scn: --objective: expected a metric name.*got \"e2e_latency\"" "$tmp/err")" = 1
check "objective not a metric: nothing stored" test "$(sqlite3 "$tmp/x.db" 'select count(*) from runs' 2>/dev/null || echo 0)" = 0
"$bin" tune "$scn" --objective e2e_s_mean --db "$tmp/x.db" --set routing.policy=fixed 2>"$tmp/err"; rc=$?
check "policy without settings: exit 65, one line" test $rc -eq 65 -a "$(wc -l <"$tmp/err")" = 1 -a \
  "$(grep -c 'routing.policy: "fixed" has 0 numeric settings' "$tmp/err")" = 1
"$bin" tune "$scn" --db "$tmp/x.db" 2>/dev/null; rc=$?
check "missing --objective: usage error" test $rc -eq 64

echo "tune.sh: $passed passed, $failed failed"
test $failed -eq 0
