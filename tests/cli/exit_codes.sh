#!/usr/bin/env bash
# One case per exit status of the README's table (README.md, "Exit status"),
# each through the real binary: 0, 1, 64, 65, 66, 73, 74, 75. (70, an internal
# error, has no input that provokes it: allocation failures are covered by the
# allocation loops of check_faults, check_json and check_churn.)
# Usage: exit_codes.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0 failed=0
expect() { # name, want, command...
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL: $name: exit $rc, want $want; stderr: $(head -c 300 "$tmp/err")"; failed=$((failed + 1)); return
  fi
  # every failure is one line on stderr
  if [ "$want" -ne 0 ] && [ "$want" -ne 1 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
    echo "FAIL: $name: stderr is $(wc -l <"$tmp/err") lines, want 1"; failed=$((failed + 1)); return
  fi
  passed=$((passed + 1))
}
small="--set workload.n_requests=5"
db=$tmp/r.db
expect "0: run" 0 "$bin" run scenarios/default.json --db "$db" $small -q
# 1: a regression against a doctored baseline
"$bin" baseline "$db" --out "$tmp/b.json" >/dev/null 2>&1
python3 - "$tmp/b.json" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
def doctor(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "value" and isinstance(v, (int, float)) and v:
                o[k] = v * 2
                return True
            if doctor(v):
                return True
    elif isinstance(o, list):
        return any(doctor(x) for x in o)
    return False
assert doctor(b)
json.dump(b, open(sys.argv[1], "w"))
PY
expect "1: check against a doctored baseline" 1 "$bin" check "$db" --baseline "$tmp/b.json"
expect "64: unknown option" 64 "$bin" run --bogus
expect "64: unknown command" 64 "$bin" frobnicate
# 65: bad input data
printf '{"version": 1' >"$tmp/trunc.json"
expect "65: truncated scenario" 65 "$bin" validate "$tmp/trunc.json"
python3 -c "
import json
s = json.load(open('scenarios/default.json'))
s['name'] = 'x' * (17 * 1024 * 1024)
json.dump(s, open('$tmp/big.json', 'w'))"
expect "65: a 17 MB scenario (over the 16 MiB cap)" 65 "$bin" validate "$tmp/big.json"
expect "65: a bad --set value" 65 "$bin" run scenarios/default.json --db "$tmp/x.db" --set workload.n_requests=-3 -q
check_absent() { [ ! -e "$1" ] || { echo "FAIL: $1 was created"; failed=$((failed + 1)); }; }
check_absent "$tmp/x.db"
# 66: an input file that is missing
expect "66: missing scenario" 66 "$bin" validate "$tmp/none.json"
mkdir -p "$tmp/t"
python3 -c "
import json
s = json.load(open('scenarios/default.json'))
w = s['workload']
for k in ('n_requests', 'prompt_tokens', 'output_tokens'): w.pop(k)
w['arrivals'] = {'trace': {'file': 'missing.csv'}}
json.dump(s, open('$tmp/t/s.json', 'w'))"
expect "66: missing trace file (validate)" 66 "$bin" validate "$tmp/t/s.json"
expect "66: missing trace file (run)" 66 "$bin" run "$tmp/t/s.json" --db "$tmp/t.db" -q
expect "66: report on a missing database" 66 "$bin" report "$tmp/nope.db"
check_absent "$tmp/nope.db"
expect "66: report of a run that does not exist" 66 "$bin" report "$db" --run 99
# 73: an output that cannot be created
expect "73: baseline into a missing folder" 73 "$bin" baseline "$db" --out "$tmp/no/such/b.json"
# 74: a database that is not one
echo "hello" >"$tmp/text.txt"
expect "74: report on a text file" 74 "$bin" report "$tmp/text.txt"
if grep -q "refusing to overwrite" "$tmp/err"; then
  echo "FAIL: report (a reader) says it refuses to overwrite"; failed=$((failed + 1))
fi
expect "74: run into a text file" 74 "$bin" run scenarios/default.json --db "$tmp/text.txt" $small -q
test "$(cat "$tmp/text.txt")" = hello || { echo "FAIL: text file changed"; failed=$((failed + 1)); }
# 74: a damaged schema (a dropped table) is named, and nothing is stored
cp "$db" "$tmp/dropped.db"; sqlite3 "$tmp/dropped.db" "drop table requests"
expect "74: report on a database with a dropped table" 74 "$bin" report "$tmp/dropped.db"
grep -q 'damaged results database: table "requests" of schema v[0-9]* is missing' "$tmp/err" ||
  { echo "FAIL: dropped table not named: $(cat "$tmp/err")"; failed=$((failed + 1)); }
expect "74: run into a database with a dropped table" 74 "$bin" run scenarios/default.json --db "$tmp/dropped.db" $small --seed 3 -q
test "$(sqlite3 "$tmp/dropped.db" 'select count(*) from runs')" = 1 ||
  { echo "FAIL: a run was stored into the damaged database"; failed=$((failed + 1)); }
# 75: the database stays locked by another writer past every retry
cp "$db" "$tmp/locked.db"
python3 -c "
import sqlite3, sys, time
c = sqlite3.connect('$tmp/locked.db', isolation_level=None)
c.execute('BEGIN EXCLUSIVE')
print('locked', flush=True)
time.sleep(120)" >"$tmp/lock.out" &
holder=$!
for _ in $(seq 100); do grep -q locked "$tmp/lock.out" 2>/dev/null && break; sleep 0.1; done
expect "75: database locked" 75 "$bin" run scenarios/default.json --db "$tmp/locked.db" $small --seed 9 -q
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null; holder=
test "$(sqlite3 "$tmp/locked.db" 'select count(*) from runs')" = 1 ||
  { echo "FAIL: the locked database lost or gained a run"; failed=$((failed + 1)); }
echo "exit_codes: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
