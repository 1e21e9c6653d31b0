#!/usr/bin/env bash
# The regression gate end to end: `check` passes against the baseline of the
# same run; fails (exit 1) on a baseline doctored in a latency, a throughput,
# an accuracy figure and in the digest, and on a run of the scenario with one
# field perturbed (--set), naming the first differing table, row and columns;
# a loosened tolerance passes; JUnit XML parses with one testcase per figure
# and the digest; bad input gives one-line errors with the documented exit
# codes and leaves no output, not even a temporary file.
# Usage: gate.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { local name=$1; shift; if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi; }
# doctor FILE OUT PYTHON-STATEMENT: b is the baseline; figs by name
doctor() {
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
fig = {m.get("name") or m["codec"] + "/" + m["metric"]: m for m in b["metrics"]}
exec(sys.argv[3])
json.dump(b, open(sys.argv[2], "w"), indent=1)
PY
}
db=$tmp/r.db
"$bin" run scenarios/default.json --db "$db" --set workload.n_requests=30 -q >/dev/null
"$bin" eval scenarios/stories260k.json --task tinystories-ppl --stories 1 --db "$db" -q >/dev/null
check "two runs stored" test "$(sqlite3 "$db" 'select count(*) from runs')" = 2
# figures gated for run 1: each of its metrics rows, plus the digest
n=$(( $(sqlite3 "$db" 'select count(*) from metrics where run_id = 1') + 1 ))

# --- the same run passes --------------------------------------------------
"$bin" baseline "$db" --run 1 --out "$tmp/b1.json"; check "baseline exits 0" test $? -eq 0
"$bin" baseline "$db" --out "$tmp/b2.json"; check "baseline of the latest exits 0" test $? -eq 0
check "baseline is JSON with the run key" test "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_key"])' "$tmp/b1.json")" = "$(sqlite3 "$db" 'select run_key from runs where id = 1')"
out=$("$bin" check "$db" --run 1 --baseline "$tmp/b1.json" --junit "$tmp/j.xml"); rc=$?
check "check of the same run exits 0" test $rc -eq 0
check "check prints PASS" grep -q "^PASS: 0 of $n checks failed" <<<"$out"
check "check prints the table header" grep -Eq "^metric +baseline +now +delta +tolerance +verdict" <<<"$out"
check "JUnit: $n testcases, 0 failures" test "$(python3 -c '
import sys, xml.etree.ElementTree as E
s = E.parse(sys.argv[1]).getroot().find("testsuite")
print(len(s.findall("testcase")), len(s.findall("testcase/failure")), s.get("failures"))' "$tmp/j.xml")" = "$n 0 0"
"$bin" check "$db" --run 2 --baseline "$tmp/b2.json" >/dev/null; check "accuracy run passes its own baseline" test $? -eq 0
check "accuracy figures gated" test "$(grep -c '"codec": "fp32"' "$tmp/b2.json")" = 5

# --- doctored baselines fail, each kind -------------------------------------
doctor "$tmp/b1.json" "$tmp/lat.json" 'fig["e2e_s_p99"]["value"] *= 1.000001'
out=$("$bin" check "$db" --run 1 --baseline "$tmp/lat.json" --junit "$tmp/jl.xml"); rc=$?
check "doctored latency exits 1" test $rc -eq 1
check "doctored latency named" grep -Eq "^e2e_s_p99 .*REGRESSION$" <<<"$out"
check "only it fails" grep -q "^REGRESSION: 1 of $n checks failed" <<<"$out"
check "JUnit names the failure" test "$(python3 -c '
import sys, xml.etree.ElementTree as E
s = E.parse(sys.argv[1]).getroot().find("testsuite")
print([c.get("name") for c in s.findall("testcase") if c.find("failure") is not None])' "$tmp/jl.xml")" = "['e2e_s_p99']"
doctor "$tmp/b1.json" "$tmp/thr.json" 'fig["throughput_tokens_per_s"]["value"] += 1e-9'
out=$("$bin" check "$db" --run 1 --baseline "$tmp/thr.json"); rc=$?
check "doctored throughput exits 1" test $rc -eq 1
check "doctored throughput named" grep -Eq "^throughput_tokens_per_s .*REGRESSION$" <<<"$out"
doctor "$tmp/b2.json" "$tmp/acc.json" 'fig["fp32/perplexity"]["value"] *= 1 + 2e-6'
out=$("$bin" check "$db" --run 2 --baseline "$tmp/acc.json"); rc=$?
check "doctored accuracy exits 1" test $rc -eq 1
check "doctored accuracy named" grep -Eq "^accuracy\[fp32\]\.perplexity .*REGRESSION$" <<<"$out"
doctor "$tmp/b2.json" "$tmp/acc_ok.json" 'fig["fp32/perplexity"]["value"] *= 1 + 5e-7'
"$bin" check "$db" --run 2 --baseline "$tmp/acc_ok.json" >/dev/null
check "accuracy within the default 1e-6 relative passes" test $? -eq 0
doctor "$tmp/b1.json" "$tmp/dig.json" 'b["digest"] = "0" * 64'
out=$("$bin" check "$db" --run 1 --baseline "$tmp/dig.json"); rc=$?
check "doctored digest exits 1" test $rc -eq 1
check "doctored digest: only the digest fails" grep -q "^REGRESSION: 1 of $n checks failed" <<<"$out"
doctor "$tmp/b1.json" "$tmp/loose.json" 'fig["e2e_s_p99"]["value"] *= 1.01; fig["e2e_s_p99"]["rel_tol"] = 0.02'
"$bin" check "$db" --run 1 --baseline "$tmp/loose.json" >/dev/null; check "a loosened relative tolerance passes" test $? -eq 0
doctor "$tmp/b1.json" "$tmp/abs.json" 'fig["ttft_s_mean"]["value"] += 0.5; fig["ttft_s_mean"]["abs_tol"] = 0.4'
"$bin" check "$db" --run 1 --baseline "$tmp/abs.json" >/dev/null; check "a too small absolute tolerance fails" test $? -eq 1
out=$("$bin" check "$db" --run 2 --baseline "$tmp/b1.json"); rc=$?
check "another run against the baseline exits 1" test $rc -eq 1
check "a metric missing now is a regression" grep -Eq "^e2e_s_p99 .*REGRESSION" <<<"$out"

# --- a perturbed scenario field fails, located ---------------------------------
"$bin" run scenarios/default.json --db "$db" --set workload.n_requests=30 --set nodes[0].count=3 -q >/dev/null
out=$("$bin" check "$db" --run 3 --baseline "$tmp/b1.json"); rc=$?
check "perturbed scenario exits 1" test $rc -eq 1
check "perturbed: latency regresses" grep -Eq "^e2e_s_mean .*REGRESSION$" <<<"$out"
check "perturbed: digest located in runs, row 1" grep -q "first difference: table runs, row 1 (id=3); columns that differ: run_key, scenario_json, scenario_sha256" <<<"$out"
# two databases, one scenario: the digest alone differs in a deeper table
"$bin" run scenarios/default.json --db "$tmp/s.db" --set workload.n_requests=30 -q >/dev/null
"$bin" baseline "$tmp/s.db" --out "$tmp/s.json"
sqlite3 "$tmp/s.db" "update requests set retries = 9 where id = 7"
out=$("$bin" check "$tmp/s.db" --baseline "$tmp/s.json"); rc=$?
check "a changed request row exits 1" test $rc -eq 1
check "row and column located" grep -q "first difference: table requests, row 8 (id=7); columns that differ: retries" <<<"$out"

# --- bad input: one line, documented codes, nothing written ---------------------
err1() { [ "$(wc -l <"$tmp/err")" -eq 1 ]; }
"$bin" baseline "$db" --run 99 --out "$tmp/x.json" 2>"$tmp/err"; check "unknown run id exits 66" test $? -eq 66
check "unknown run id: one line" err1
check "unknown run id: nothing written" test ! -e "$tmp/x.json"
"$bin" check "$db" --run 99 --baseline "$tmp/b1.json" 2>"$tmp/err"; check "check of an unknown run exits 66" test $? -eq 66
head -c 4096 /dev/urandom >"$tmp/garbage.db"
"$bin" baseline "$tmp/garbage.db" --out "$tmp/x.json" 2>"$tmp/err"; check "not a database exits 74" test $? -eq 74
check "not a database: one line" err1
sqlite3 "$tmp/foreign.db" "create table t(x); insert into t values(1)"
"$bin" baseline "$tmp/foreign.db" --out "$tmp/x.json" 2>"$tmp/err"; check "another application's database exits 74" test $? -eq 74
cp "$db" "$tmp/newer.db"; sqlite3 "$tmp/newer.db" "pragma user_version = 99; insert into schema_version values (99, 'future')"
"$bin" baseline "$tmp/newer.db" --out "$tmp/x.json" 2>"$tmp/err"; check "newer schema exits 65" test $? -eq 65
check "newer schema: one line" err1
"$bin" baseline "$tmp/none.db" --out "$tmp/x.json" 2>"$tmp/err"; check "missing database exits 66" test $? -eq 66
check "missing database not created" test ! -e "$tmp/none.db"
"$bin" baseline "$db" --out "$tmp/no/such/dir/b.json" 2>"$tmp/err"; check "unwritable output exits 73" test $? -eq 73
check "unwritable output: one line" err1
cp "$tmp/b1.json" "$tmp/keep.json"
"$bin" baseline "$db" --run 99 --out "$tmp/keep.json" 2>/dev/null
check "a failed baseline leaves the old file untouched" cmp -s "$tmp/b1.json" "$tmp/keep.json"
"$bin" check "$db" --run 1 --baseline "$tmp/b1.json" --junit "$tmp/no/dir/j.xml" >/dev/null 2>"$tmp/err"
check "unwritable JUnit exits 73" test $? -eq 73
doctor "$tmp/b1.json" "$tmp/unk.json" 'b["metrics"][0]["name"] = "e2e_s_p999"'
"$bin" check "$db" --run 1 --baseline "$tmp/unk.json" 2>"$tmp/err"; check "unknown metric exits 65" test $? -eq 65
check "unknown metric: one line naming it" grep -q 'metrics\[0\]\.name: unknown metric "e2e_s_p999"' "$tmp/err"
check "unknown metric: one line" err1
doctor "$tmp/b1.json" "$tmp/key.json" 'b["metrics"][0]["tolerance"] = 1'
"$bin" check "$db" --run 1 --baseline "$tmp/key.json" 2>"$tmp/err"; check "unknown key exits 65" test $? -eq 65
doctor "$tmp/b1.json" "$tmp/neg.json" 'fig["e2e_s_p99"]["abs_tol"] = -1'
"$bin" check "$db" --run 1 --baseline "$tmp/neg.json" 2>"$tmp/err"; check "negative tolerance exits 65" test $? -eq 65
doctor "$tmp/b1.json" "$tmp/ver.json" 'b["format_version"] = 2'
"$bin" check "$db" --run 1 --baseline "$tmp/ver.json" 2>"$tmp/err"; check "newer baseline format exits 65" test $? -eq 65
echo '{"format": "shardsim-baseline",' >"$tmp/trunc.json"
"$bin" check "$db" --run 1 --baseline "$tmp/trunc.json" 2>"$tmp/err"; check "truncated baseline exits 65" test $? -eq 65
check "truncated baseline: one line" err1
"$bin" check "$db" --baseline "$tmp/nope.json" 2>"$tmp/err"; check "missing baseline exits 66" test $? -eq 66
"$bin" baseline "$db" >/dev/null 2>&1; check "baseline without --out exits 64" test $? -eq 64
"$bin" check "$db" >/dev/null 2>&1; check "check without --baseline exits 64" test $? -eq 64
"$bin" check "$db" --run 0 --baseline "$tmp/b1.json" >/dev/null 2>&1; check "--run 0 exits 64" test $? -eq 64
check "no temporary file left" test -z "$(find "$tmp" -name '*.tmp.*')"
"$bin" check --help | grep -q "Usage: shardsim check"; check "check --help" test $? -eq 0
"$bin" baseline --help | grep -q "Usage: shardsim baseline"; check "baseline --help" test $? -eq 0
echo "gate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
