#!/usr/bin/env bash
# `shardsim compare` end to end on a small scenario: every variant on the
# same seeds, the table's paired 95 % CI against an independent computation
# (Python, t(0.975, 3) from a t table) from the stored metrics, byte-identical
# output on a rerun and on a fresh database, --json written whole, -q and
# non-TTY progress, a variant's run is the run of `run --set`, bad blocks
# one line naming file and JSON path with exit 65 and nothing stored.
# Usage: compare.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # name, condition...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
q() { sqlite3 "$1" "$2"; }
scn() { # file, compare block JSON: the default scenario, 15 requests
  python3 - "$src/scenarios/default.json" "$tmp/$1" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["workload"]["n_requests"] = 15
s["record"] = {"level": "summary"}
s["compare"] = json.loads(sys.argv[3])
json.dump(s, open(sys.argv[2], "w"), indent=1)
PY
}

scn c.json '{"variants": [{"name": "fixed"},
  {"name": "cq", "set": {"routing.policy": "central-queue"}},
  {"name": "fast", "set": {"workload.arrivals.poisson.rate_per_s": 3}}]}'
"$bin" compare "$tmp/c.json" --seeds 4 -j 2 --db "$tmp/a.db" --json "$tmp/a.json" \
  >"$tmp/out1" 2>"$tmp/err1"; rc=$?
check "compare exits 0" test $rc -eq 0
check "12 runs stored (3 variants x 4 seeds)" test "$(q "$tmp/a.db" 'select count(*) from runs')" = 12
check "summary on stderr counts 12 new" grep -q "12 runs: 12 new, 0 already stored" "$tmp/err1"
check "one table per metric (10)" test "$(grep -c '^# ' "$tmp/out1")" = 11
check "the baseline row has no difference" grep -qP '^fixed\t4\t[0-9.e+-]+\t\t\t\t$' "$tmp/out1"

# the CI of cq's e2e_s_p99 against an independent computation from the DB
want=$(q "$tmp/a.db" "select p.combo, p.seed, m.value from sweep_points p join metrics m
  on m.run_id = p.run_id and m.name = 'e2e_s_p99' where p.combo in (0, 1) order by p.seed, p.combo" |
  python3 -c 'import sys, math, statistics as st
v = {}
for l in sys.stdin:
    c, s, x = l.strip().split("|"); v[(int(c), int(s))] = float(x)
d = [v[(1, s)] - v[(0, s)] for s in range(1, 5)]
m = st.mean(d); h = 3.182446305284263 * st.stdev(d) / math.sqrt(4)
print("%.6g\t%.6g\t%.6g" % (m, m - h, m + h))')
row=$(awk -F'\t' '/^# e2e_s_p99$/ {t = 1} t && $1 == "cq" {print $4 "\t" $5 "\t" $6; exit}' "$tmp/out1")
check "paired CI of cq vs fixed equals the independent computation ($row vs $want)" \
  test "$row" = "$want"
check "JSON: same interval" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
m = [x for x in j["metrics"] if x["metric"] == "e2e_s_p99"][0]["variants"][1]
lo, hi = [float(x) for x in sys.argv[2].split("\t")[1:]]
assert m["name"] == "cq" and m["n_pairs"] == 4
assert abs(m["ci_low"] - lo) <= 1e-5 * abs(lo) and abs(m["ci_high"] - hi) <= 1e-5 * abs(hi)
assert m["significant"] == (lo > 0 or hi < 0)' "$tmp/a.json" "$want"
check "no temporary file left" test "$(ls "$tmp" | grep -c tmp)" = 0

"$bin" compare "$tmp/c.json" --seeds 4 -j 1 --db "$tmp/a.db" >"$tmp/out2" 2>"$tmp/err2"; rc=$?
check "rerun exits 0" test $rc -eq 0
check "rerun simulates nothing" grep -q "12 runs: 0 new, 12 already stored" "$tmp/err2"
check "rerun: byte-identical output" cmp -s "$tmp/out1" "$tmp/out2"
"$bin" compare "$tmp/c.json" --seeds 4 -j 2 --db "$tmp/b.db" -q >"$tmp/out3" 2>"$tmp/err3"; rc=$?
check "fresh database: byte-identical output" cmp -s "$tmp/out1" "$tmp/out3"
check "-q: nothing on stderr" test ! -s "$tmp/err3"

# progress, not a TTY: plain lines, no carriage return
SHARDSIM_PROGRESS_INTERVAL=0 "$bin" compare "$tmp/c.json" --seeds 5 -j 2 --db "$tmp/p.db" \
  >/dev/null 2>"$tmp/err4"
check "non-TTY progress: plain lines of the documented form" \
  grep -Eq '^compare default: [0-9]+/15 done, [0-9]+ failed, [0-9]+ running, elapsed [0-9]+:[0-9]{2}:[0-9]{2}, ETA ' "$tmp/err4"
check "non-TTY progress: no carriage return" test "$(tr -cd '\r' <"$tmp/err4" | wc -c)" = 0
"$bin" compare "$tmp/c.json" --seeds 5 -j 2 --db "$tmp/p2.db" >/dev/null 2>"$tmp/err5"
check "default interval (10 s): no progress line for a short comparison" \
  test "$(grep -c 'done,' "$tmp/err5")" = 0

# on a terminal (script(1) gives a pty): one line rewritten in place, cleared at the end
if command -v script >/dev/null; then
  script -qfec "'$bin' compare '$tmp/c.json' --seeds 30 -j 2 --db '$tmp/t.db' >/dev/null" \
    /dev/null >"$tmp/tty"
  check "TTY progress: lines rewritten with a carriage return" \
    test "$(grep -c $'\r'"compare default: [0-9]*/90 done" <(tr '\033' '\n' <"$tmp/tty"))" -ge 1
  check "TTY progress: one newline in all (the summary's)" test "$(tr -cd '\n' <"$tmp/tty" | wc -c)" = 1
  check "TTY progress: cleared before the summary line" grep -q $'\r\033\[Kcompare: sweep' "$tmp/tty"
fi

# a single run's progress: simulated time reached and events/s, silenced by -q
SHARDSIM_PROGRESS_INTERVAL=0 "$bin" run "$src/scenarios/default.json" --db "$tmp/r.db" \
  >/dev/null 2>"$tmp/err6"
check "run progress: simulated time and events/s" grep -Eq \
  '^run default: simulated [0-9.]+ s, [0-9]+ events \([0-9.e+]+ events/s\), elapsed [0-9]+:[0-9]{2}:[0-9]{2}$' \
  "$tmp/err6"
SHARDSIM_PROGRESS_INTERVAL=0 "$bin" run "$src/scenarios/default.json" --db "$tmp/r2.db" -q \
  >/dev/null 2>"$tmp/err7"
check "run -q: no progress" test ! -s "$tmp/err7"

# a variant's run is the run of `run FILE --set ... --seed S`
out=$("$bin" run "$tmp/c.json" --set routing.policy=central-queue --seed 3 --db "$tmp/a.db" -q 2>&1)
check "run --set finds the variant's stored run" grep -q "already stored" <<<"$out"

# bad blocks: one line naming file and JSON path, exit 65, nothing stored
bad() { # name, block, expected text
  scn "$1.json" "$2"
  "$bin" compare "$tmp/$1.json" --db "$tmp/bad.db" >/dev/null 2>"$tmp/err"; local rc=$?
  check "$1: exit 65" test $rc -eq 65
  check "$1: one line naming file and path" \
    test "$(wc -l <"$tmp/err")" = 1 -a "$(grep -cF "$tmp/$1.json: $3" "$tmp/err")" = 1
  check "$1: nothing stored" test ! -e "$tmp/bad.db"
}
bad unknown '{"variants": [{"name": "a"}, {"name": "b", "set": {"routing.polcy": "x"}}]}' \
  'compare.variants[1].set["routing.polcy"]: path "routing.polcy" does not exist'
bad empty '{"variants": []}' 'compare.variants: no variants'
bad dup '{"variants": [{"name": "a"}, {"name": "a", "set": {"routing.policy": "fixed"}}]}' \
  'compare.variants[1]: duplicate variant name "a"'
bad value '{"variants": [{"name": "a"}, {"name": "b", "set": {"routing.policy": "no-such"}}]}' \
  'compare.variants[1] ("b"):'
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); del s["compare"]; json.dump(s,open(sys.argv[2],"w"))' \
  "$tmp/c.json" "$tmp/none.json"
"$bin" compare "$tmp/none.json" --db "$tmp/bad.db" 2>"$tmp/err"; rc=$?
check "no compare block: exit 65, named" test $rc -eq 65 -a \
  "$(grep -cF "$tmp/none.json: compare: expected a \"compare\" block" "$tmp/err")" = 1
"$bin" compare "$tmp/c.json" --seeds 0 --db "$tmp/bad.db" 2>/dev/null; rc=$?
check "--seeds 0: usage error" test $rc -eq 64

echo "compare.sh: $passed passed, $failed failed"
test $failed -eq 0
