#!/usr/bin/env bash
# `shardsim sweep` end to end: --list, -j 1 and -j 2 store identical content
# (the sweep digest covers every point row and its run's digest), a sweep
# whose parent (or one worker) is killed with SIGKILL mid-way and rerun completes with no
# duplicate and no partial run and equals the uninterrupted sweep, a bad
# axis value fails only its points (exit status = their number), bad sweep
# files and a reused name are one-line errors with exit 65, the sweep
# report's 95 % CI equals an independent computation.
# Usage: sweep.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # name, condition...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
sweep() { # file name, json body after "name"
  printf '{"version": 1, "name": "%s", "base": "%s/scenarios/default.json", %s}\n' \
    "$2" "$src" "$3" >"$tmp/$1"
}
digest() { "$bin" report "$1" --sweep "$2" | sed -n 's/^digest //p'; }
q() { sqlite3 "$1" "$2"; }

# --- 2 axes x 5 seeds on a tiny workload: -j 1 == -j 2 ---------------------
sweep s.json tiny '"grid": {"workload.n_requests": [5, 8], "routing.policy": ["fixed", "central-queue"]}, "seeds": 5'
out=$("$bin" sweep --list "$tmp/s.json"); rc=$?
check "--list exits 0" test $rc -eq 0
check "--list prints 20 points" test "$(grep -vc '^#' <<<"$out")" = 20
check "--list order: point 6 is n_requests 5, central-queue, seed 2" \
  grep -qx $'6\t2\t5\t"central-queue"' <<<"$out"
check "--list stores nothing" test ! -e "$tmp/j1.db"
"$bin" sweep "$tmp/s.json" --db "$tmp/j1.db" -j 1 -q; rc=$?
check "-j 1 exits 0" test $rc -eq 0
"$bin" sweep "$tmp/s.json" --db "$tmp/j2.db" -j 2 -q; rc=$?
check "-j 2 exits 0" test $rc -eq 0
d1=$(digest "$tmp/j1.db" tiny) d2=$(digest "$tmp/j2.db" tiny)
check "sweep digest is a sha256" grep -Eq '^[0-9a-f]{64}$' <<<"$d1"
check "-j 1 and -j 2 give identical content" test "$d1" = "$d2"
check "20 runs" test "$(q "$tmp/j2.db" 'select count(*) from runs')" = 20
check "20 ok points" test "$(q "$tmp/j2.db" "select count(*) from sweep_points where status = 'ok'")" = 20
out=$("$bin" sweep "$tmp/s.json" --db "$tmp/j2.db" -j 2); rc=$?
check "rerun exits 0" test $rc -eq 0
check "rerun simulates nothing" grep -q "0 new, 20 already stored" <<<"$out"
check "rerun adds no run" test "$(q "$tmp/j2.db" 'select count(*) from runs')" = 20
check "rerun keeps the digest" test "$(digest "$tmp/j2.db" tiny)" = "$d1"
pivot=$(q "$tmp/j1.db" "select json_extract(p.axes_json, '\$.\"workload.n_requests\"'), count(*)
  from sweep_points p join metrics m on m.run_id = p.run_id and m.name = 'e2e_s_p99'
  group by 1 order by 1")
check "pivot by parameter is one query" test "$pivot" = $'5|10\n8|10'

# --- the 95 % CI against an independent computation (t(0.975, 4)) -----------
want=$(q "$tmp/j1.db" "select m.value from sweep_points p join metrics m on m.run_id = p.run_id
  and m.name = 'e2e_s_mean' where p.combo = 0 order by p.seed" |
  python3 -c 'import sys, math, statistics as s
x = [float(l) for l in sys.stdin]
print("%.6g +- %.3g" % (s.mean(x), 2.7764451051977987 * s.stdev(x) / math.sqrt(len(x))))')
row=$("$bin" report "$tmp/j1.db" --sweep tiny | awk -F'\t' '$1 == "5" && $2 == "fixed" {print $4}')
check "CI of e2e_s_mean equals the t-interval computed independently ($row vs $want)" test "$row" = "$want"

# --- SIGKILL of the parent mid-sweep, then rerun ---------------------------
sweep k.json kill '"grid": {"workload.n_requests": [300, 400], "routing.policy": ["fixed", "central-queue"]}, "seeds": 5'
"$bin" sweep "$tmp/k.json" --db "$tmp/whole.db" -j 2 -q
"$bin" sweep "$tmp/k.json" --db "$tmp/k.db" -j 2 -q &
pid=$!
for _ in $(seq 1 400); do
  n=$(q "$tmp/k.db" 'select count(*) from runs' 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 3 ] && break
  sleep 0.02
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
sleep 0.3 # the workers die with the parent (PR_SET_PDEATHSIG)
n_killed=$(q "$tmp/k.db" 'select count(*) from runs')
check "killed mid-sweep ($n_killed of 20 runs stored)" test "$n_killed" -ge 1 -a "$n_killed" -lt 20
n_metrics=$(q "$tmp/whole.db" 'select count(*) from metrics where run_id = 1')
check "no partial run after the kill" test "$(q "$tmp/k.db" "select count(*) from runs r where
  (select count(*) from metrics m where m.run_id = r.id) != $n_metrics or
  (select count(*) from nodes d where d.run_id = r.id) = 0")" = 0
"$bin" sweep "$tmp/k.json" --db "$tmp/k.db" -j 2 -q; rc=$?
check "rerun after the kill exits 0" test $rc -eq 0
check "no duplicate run" test "$(q "$tmp/k.db" 'select count(*) from runs')" = 20
check "killed + rerun equals the uninterrupted sweep" \
  test "$(digest "$tmp/k.db" kill)" = "$(digest "$tmp/whole.db" kill)"

# --- SIGKILL of one worker mid-sweep: the others go on, its point is redone --
"$bin" sweep "$tmp/k.json" --db "$tmp/w.db" -j 2 -q &
pid=$!
for _ in $(seq 1 400); do
  n=$(q "$tmp/w.db" 'select count(*) from runs' 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 2 ] && break
  sleep 0.02
done
worker=$(ps -o pid= --ppid $pid | head -1)
check "a worker was running" test -n "$worker"
[ -n "$worker" ] && kill -9 $worker
wait $pid; rc=$?
# 1: the point the worker was running is reported not done (0 if it was
# killed between two points)
check "killed worker: exit status counts its lost point ($rc)" test $rc -le 1
"$bin" sweep "$tmp/k.json" --db "$tmp/w.db" -j 2 -q; rc=$?
check "rerun after a killed worker exits 0" test $rc -eq 0
check "killed worker + rerun equals the uninterrupted sweep" \
  test "$(digest "$tmp/w.db" kill)" = "$(digest "$tmp/whole.db" kill)" -a \
  "$(q "$tmp/w.db" 'select count(*) from runs')" = 20

# --- a bad axis value fails its points only --------------------------------
sweep b.json bad '"grid": {"workload.n_requests": [5, -1]}, "seeds": 2'
"$bin" sweep "$tmp/b.json" --db "$tmp/b.db" -j 2 >"$tmp/out" 2>"$tmp/err"; rc=$?
check "exit status = failed points (2)" test $rc -eq 2
check "the failure names the path and the value" grep -q "workload.n_requests.*-1" "$tmp/err"
check "two failure lines" test "$(grep -c 'failed:' "$tmp/err")" = 2
check "the others land" test "$(q "$tmp/b.db" 'select count(*) from runs')" = 2
check "the error is recorded" test "$(q "$tmp/b.db" "select count(*) from sweep_points where
  status = 'failed' and error like '%n_requests%'")" = 2

# --- bad files and a reused name: one line, exit 65, nothing lost -----------
sweep e.json tiny '"grid": {"workload.n_requests": []}, "seeds": 5'
"$bin" sweep "$tmp/e.json" --db "$tmp/j1.db" 2>"$tmp/err"; rc=$?
check "empty axis: exit 65" test $rc -eq 65
check "empty axis: one line naming file and path" \
  test "$(wc -l <"$tmp/err")" = 1 -a "$(grep -c "$tmp/e.json: grid\[\"workload.n_requests\"\]: empty axis" "$tmp/err")" = 1
sweep m.json tiny '"grid": {"workload.n_requestz": [5]}, "seeds": 5'
"$bin" sweep "$tmp/m.json" --db "$tmp/j1.db" 2>"$tmp/err"; rc=$?
check "missing axis path: exit 65" test $rc -eq 65
check "missing axis path: named" grep -q 'does not exist in the base scenario' "$tmp/err"
sweep z.json tiny '"zip": {"workload.n_requests": [5, 8], "routing.policy": ["fixed"]}, "seeds": 5'
"$bin" sweep "$tmp/z.json" --db "$tmp/j1.db" 2>"$tmp/err"; rc=$?
check "zip of unequal lengths: exit 65" test $rc -eq 65
check "zip of unequal lengths: named" grep -q 'zip axes must have equal lengths' "$tmp/err"
sweep r.json tiny '"grid": {"workload.n_requests": [5, 9], "routing.policy": ["fixed", "central-queue"]}, "seeds": 5'
"$bin" sweep "$tmp/r.json" --db "$tmp/j1.db" 2>"$tmp/err"; rc=$?
check "reused name with other axes: exit 65" test $rc -eq 65
check "reused name: one line naming the file" \
  test "$(wc -l <"$tmp/err")" = 1 -a "$(grep -c "$tmp/r.json: name: sweep \"tiny\" is already stored" "$tmp/err")" = 1
check "reused name: nothing lost or added" test "$(digest "$tmp/j1.db" tiny)" = "$d1" -a \
  "$(q "$tmp/j1.db" 'select count(*) from runs')" = 20

echo "sweep.sh: $passed passed, $failed failed"
test $failed -eq 0
