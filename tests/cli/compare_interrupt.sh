#!/usr/bin/env bash
# Interrupted sweeps and comparisons: SIGINT stops cleanly (exit 130, the
# running points finish, every stored run has its whole point row, nothing
# partial), a second SIGINT abandons the running points (their transactions
# roll back); SIGKILL of the parent and of a worker of `compare` leave only
# whole runs. Rerun, each completes equal to the uninterrupted sweep: the
# sweep digest (every point row and its run's digest: every result table,
# wall-clock columns and run ids aside), no duplicate run.
# (SIGKILL of a plain sweep's parent and worker: tests/cli/sweep.sh.)
# Usage: compare_interrupt.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # name, condition...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
q() { sqlite3 "$1" "$2" 2>/dev/null; }
digest() { "$bin" report "$1" --sweep "$2" | sed -n 's/^digest //p'; }
wait_runs() { # db, n: until at least n runs are stored (at most 8 s)
  for _ in $(seq 1 400); do
    [ "$(q "$1" 'select count(*) from runs' || echo 0)" -ge "$2" ] 2>/dev/null && return 0
    sleep 0.02
  done
  return 1
}
whole() { # db: every run has all its metrics and nodes, and (SIGINT) its point row
  local n_metrics
  n_metrics=$(q "$tmp/whole.db" 'select count(*) from metrics where run_id = 1')
  test "$(q "$1" "select count(*) from runs r where
    (select count(*) from metrics m where m.run_id = r.id) != $n_metrics or
    (select count(*) from nodes d where d.run_id = r.id) = 0")" = 0
}
printf '{"version": 1, "name": "int", "base": "%s/scenarios/default.json",
  "grid": {"workload.n_requests": [300, 400], "routing.policy": ["fixed", "central-queue"]},
  "seeds": 5}\n' "$src" >"$tmp/s.json"
"$bin" sweep "$tmp/s.json" --db "$tmp/whole.db" -j 2 -q
check "the uninterrupted sweep stores 20 runs" test "$(q "$tmp/whole.db" 'select count(*) from runs')" = 20
want=$(digest "$tmp/whole.db" int)

# --- SIGINT: running points finish, exit 130, rerun completes ---------------
"$bin" sweep "$tmp/s.json" --db "$tmp/i.db" -j 2 -q 2>"$tmp/err" &
pid=$!
wait_runs "$tmp/i.db" 2
kill -INT $pid
wait $pid; rc=$?
check "SIGINT: exit 130 ($rc)" test $rc -eq 130
check "SIGINT: says so on stderr" grep -q "interrupted" "$tmp/err"
check "SIGINT: no worker left" test -z "$(ps -o pid= --ppid $pid)"
n=$(q "$tmp/i.db" 'select count(*) from runs')
check "SIGINT: stopped mid-way ($n of 20 runs)" test "$n" -ge 2 -a "$n" -lt 20
check "SIGINT: every stored run is whole" whole "$tmp/i.db"
check "SIGINT: every stored run has its point row (the points finished)" \
  test "$(q "$tmp/i.db" "select count(*) from sweep_points where status = 'ok'")" = "$n"
"$bin" sweep "$tmp/s.json" --db "$tmp/i.db" -j 2 -q; rc=$?
check "rerun after SIGINT exits 0" test $rc -eq 0
check "rerun after SIGINT: no duplicate" test "$(q "$tmp/i.db" 'select count(*) from runs')" = 20
check "SIGINT + rerun equals the uninterrupted sweep" test "$(digest "$tmp/i.db" int)" = "$want"

# --- two SIGINTs: the running points are abandoned, nothing partial --------
"$bin" sweep "$tmp/s.json" --db "$tmp/ii.db" -j 2 -q 2>/dev/null &
pid=$!
wait_runs "$tmp/ii.db" 1
kill -INT $pid; sleep 0.1; kill -INT $pid
wait $pid; rc=$?
check "two SIGINTs: exit 130 ($rc)" test $rc -eq 130
check "two SIGINTs: every stored run is whole" whole "$tmp/ii.db"
"$bin" sweep "$tmp/s.json" --db "$tmp/ii.db" -j 2 -q
check "two SIGINTs + rerun equals the uninterrupted sweep" \
  test "$(digest "$tmp/ii.db" int)" = "$want" -a "$(q "$tmp/ii.db" 'select count(*) from runs')" = 20

# --- compare: SIGINT, SIGKILL of the parent, SIGKILL of a worker -------------
python3 - "$src/scenarios/default.json" "$tmp/c.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["compare"] = {"variants": [{"name": "fixed"},
                             {"name": "cq", "set": {"routing.policy": "central-queue"}}]}
json.dump(s, open(sys.argv[2], "w"))
PY
"$bin" compare "$tmp/c.json" --seeds 6 --db "$tmp/cw.db" -j 2 -q >"$tmp/cw.out"
name=$(q "$tmp/cw.db" 'select name from sweeps')
cwant=$(digest "$tmp/cw.db" "$name")
for how in INT KILL worker; do
  db="$tmp/c-$how.db"
  "$bin" compare "$tmp/c.json" --seeds 6 --db "$db" -j 2 -q >/dev/null 2>&1 &
  pid=$!
  wait_runs "$db" 2
  case $how in
    INT) kill -INT $pid ;;
    KILL) kill -9 $pid ;;
    worker) w=$(ps -o pid= --ppid $pid | head -1); [ -n "$w" ] && kill -9 $w ;;
  esac
  wait $pid 2>/dev/null; rc=$?
  [ $how = INT ] && check "compare SIGINT: exit 130 ($rc)" test $rc -eq 130
  sleep 0.2 # after the parent's SIGKILL the workers die with it (PR_SET_PDEATHSIG)
  check "compare $how: every stored run is whole" whole "$db"
  "$bin" compare "$tmp/c.json" --seeds 6 --db "$db" -j 2 -q >"$tmp/c-$how.out"; rc=$?
  check "compare $how + rerun exits 0" test $rc -eq 0
  check "compare $how + rerun: no duplicate, equal to the uninterrupted one" \
    test "$(digest "$db" "$name")" = "$cwant" -a "$(q "$db" 'select count(*) from runs')" = 12
  check "compare $how + rerun: identical tables" cmp -s "$tmp/c-$how.out" "$tmp/cw.out"
done

echo "compare_interrupt.sh: $passed passed, $failed failed"
test $failed -eq 0
