#!/usr/bin/env bash
# `shardsim report DB --html FILE / --png DIR` end to end: a database with a
# run, a sweep (3 seeds per point), language-model and MNIST pareto runs and
# hand-made per-hop records; the HTML rendered by headless Chromium (every
# plot in the DOM with a title, an SVG and labelled axes; the screenshot not
# blank, kept as build/report_html_screenshot.png); the plotted numbers
# against independent computations (CDF = sorted latencies from SQL, sweep
# means and CIs, heat map and KV memory by hand); self-contained; PNG files;
# deterministic; bad input as one-line errors with their exit codes and
# nothing written.
# Usage: report_html.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
here=$(cd "$(dirname "$0")" && pwd)
artifact=$(dirname "$bin")/report_html_screenshot.png
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # name, command...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
py() { python3 "$here/report_html_check.py" "$@"; }
one_line() { test "$(wc -l <"$1")" -eq 1 && grep -q '^shardsim report: ' "$1"; }
for tool in gnuplot chromium python3 sqlite3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool not installed (scripts/deps.sh test)"; exit 1; }
done
cd "$src" || exit 1
db=$tmp/r.db

# --- a database with every kind of result ---------------------------------
"$bin" run scenarios/default.json --db "$db" -q; check "run stored" test $? -eq 0
printf '{"version": 1, "name": "tiny", "base": "%s/scenarios/default.json", "grid": {"workload.n_requests": [5, 12], "routing.policy": ["fixed", "central-queue"]}, "seeds": 3}\n' \
  "$src" >"$tmp/s.json"
"$bin" sweep "$tmp/s.json" --db "$db" -j 2 -q; check "sweep stored" test $? -eq 0
"$bin" pareto scenarios/stories260k.json --steps 8 --stories 0 -q --db "$db" \
  --codecs fp32,fp16,int4 >/dev/null; check "LM pareto stored" test $? -eq 0
"$bin" pareto scenarios/mnist.json --images 100 --batch 100 -q --db "$db" \
  --codecs fp32,lowrank:1,int4 >/dev/null; check "MNIST pareto stored" test $? -eq 0
# per-hop records of run 1 by hand, in the tables record.level "hops" stores
# (schema v5; created here when this build's schema has no such tables):
# node 0 computes [0, 10] and [5, 20] (overlapping: busy [0, 20]), node 1 [30, 40]
sqlite3 "$db" "
  CREATE TABLE IF NOT EXISTS hop_events(run_id, seq, request_id, pass, hop, node, phase, t_start, t_end, bytes, dst);
  CREATE TABLE IF NOT EXISTS node_events(run_id, seq, node, t, kind, request_id, bytes);
  INSERT INTO hop_events(run_id, seq, request_id, pass, hop, node, phase, t_start, t_end, bytes, dst) VALUES
    (1, 0, 0, 0, 0, 0, 'compute', 0, 10, 0, NULL), (1, 1, 1, 0, 0, 0, 'compute', 5, 20, 0, NULL),
    (1, 2, 0, 0, 1, 1, 'compute', 30, 40, 0, NULL), (1, 3, 0, 0, 1, 1, 'transfer', 40, 45, 4096, -1);
  INSERT INTO node_events(run_id, seq, node, t, kind, request_id, bytes) VALUES
    (1, 0, 0, 1, 'kv_reserve', 0, 1048576), (1, 1, 1, 2, 'kv_reserve', 1, 2097152),
    (1, 2, 0, 5, 'kv_release', 0, 1048576), (1, 3, 1, 7, 'down', NULL, 0);"
end=$(sqlite3 "$db" "SELECT sim_end_s FROM runs WHERE id = 1")

# --- the HTML -------------------------------------------------------------
ids="latency-cdf ttft-cdf tpot-cdf throughput inflight node-util kv-memory pareto pareto-cnn sweep"
"$bin" report "$db" --run 1 --html "$tmp/r.html" 2>"$tmp/err"; rc=$?
check "--html exits 0" test $rc -eq 0
check "--html: silent" test ! -s "$tmp/err"
check "no temporary file left" test "$(ls "$tmp" | grep -c 'r\.html.')" -eq 0
check "self-contained: no external script, style, font, image or link" \
  bash -c "! grep -Eiq '<script[^>]+src=|<link |@import|@font-face|url\\((\"|'\\'')?(https?:|//)|(src|href)=\"(https?:)?//' '$tmp/r.html'"
check "no address but the SVG/XLink namespaces" \
  bash -c "test -z \"\$(grep -Eo 'https?://[^\"'\\'' ]+' '$tmp/r.html' | sort -u | grep -Ev '^http://www.w3.org/(2000/svg|1999/xlink)$')\""
for id in $ids; do
  check "figure plot-$id in the file" grep -q "<figure id=\"plot-$id\" class=\"plot\">" "$tmp/r.html"
done

# --- headless Chromium ----------------------------------------------------
# as root Chromium needs --no-sandbox; a private profile keeps runs independent
chrome=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --disable-extensions
        --no-first-run --user-data-dir="$tmp/chrome")
"${chrome[@]}" --dump-dom "file://$tmp/r.html" >"$tmp/dom.html" 2>/dev/null
check "Chromium dumps the DOM" test -s "$tmp/dom.html"
# shellcheck disable=SC2086
check "every plot rendered: title, SVG, axis labels with units" py dom "$tmp/dom.html" $ids
# the whole page at half scale (500 x 3600 pixels): enough to see every plot,
# and the pure-Python PNG decoder stays fast
"${chrome[@]}" --screenshot="$tmp/shot.png" --window-size=1000,7200 --force-device-scale-factor=0.5 \
  "file://$tmp/r.html" >/dev/null 2>&1
check "Chromium takes a screenshot" test -s "$tmp/shot.png"
check "screenshot not blank: >= 40 colours, >= 4 % ink" py png "$tmp/shot.png" 40 0.04
cp "$tmp/shot.png" "$artifact" 2>/dev/null || echo "note: cannot keep $artifact"

# --- the plotted numbers against independent computations -----------------
label=$(sqlite3 "$db" "SELECT 'run ' || id || ': ' || scenario_name || ' (seed ' || seed || ')' FROM runs WHERE id = 1")
check "CDF points = sorted latencies from SQL" py cdf "$tmp/r.html" "$db" 1 "$label"
check "sweep means and 95 % CIs = independent computation" py sweep "$tmp/r.html" "$db" tiny e2e_s_p99
check "heat map and KV memory = hand computation" py events "$tmp/r.html" "$end"
"$bin" report "$db" --run 1 --html "$tmp/r2.html"
check "deterministic: the same page twice" cmp -s "$tmp/r.html" "$tmp/r2.html"

# --- placeholders ---------------------------------------------------------
"$bin" run scenarios/default.json --db "$tmp/only.db" -q
"$bin" report "$tmp/only.db" --html "$tmp/o.html"; check "one run: exits 0" test $? -eq 0
check "no hop records: placeholder" \
  grep -q '<figure id="plot-node-util" class="plot placeholder">' "$tmp/o.html"
check "no hop records: placeholder naming record.level hops" \
  grep -q 'record.level &quot;hops&quot;\|record.level "hops"' "$tmp/o.html"
check "one run: sweep placeholder" grep -q '<figure id="plot-sweep" class="plot placeholder">' "$tmp/o.html"
check "one run: pareto placeholder" grep -q '<figure id="plot-pareto" class="plot placeholder">' "$tmp/o.html"

# --- PNG files --------------------------------------------------------------
"$bin" report "$db" --run 1 --png "$tmp/png" --sweep tiny --metric e2e_s_mean; rc=$?
check "--png exits 0" test $rc -eq 0
for id in $ids; do
  check "plot-$id.png written" test -s "$tmp/png/plot-$id.png"
done
check "PNG latency CDF not blank" py png "$tmp/png/plot-latency-cdf.png" 20 0.01
check "PNG heat map not blank" py png "$tmp/png/plot-node-util.png" 20 0.05

# --- bad input ----------------------------------------------------------------
"$bin" report "$tmp/missing.db" --html "$tmp/x.html" 2>"$tmp/err"; rc=$?
check "missing DB: exit 66" test $rc -eq 66
check "missing DB: one line" one_line "$tmp/err"
check "missing DB: not created, nothing written" test ! -e "$tmp/missing.db" -a ! -e "$tmp/x.html"
echo "just text" >"$tmp/text.db"
"$bin" report "$tmp/text.db" --html "$tmp/x.html" 2>"$tmp/err"; rc=$?
check "not SQLite: exit 74 ($rc)" test $rc -eq 74
check "not SQLite: one line" one_line "$tmp/err"
sqlite3 "$tmp/foreign.db" "CREATE TABLE t(x); INSERT INTO t VALUES (1);"
"$bin" report "$tmp/foreign.db" --html "$tmp/x.html" 2>"$tmp/err"; rc=$?
check "foreign SQLite DB: exit 74 ($rc)" test $rc -eq 74
check "foreign SQLite DB: one line" one_line "$tmp/err"
check "bad DBs: nothing written" test ! -e "$tmp/x.html"
"$bin" report "$db" --html "$tmp/nodir/x.html" 2>"$tmp/err"; rc=$?
check "unwritable output: exit 73" test $rc -eq 73
check "unwritable output: one line" one_line "$tmp/err"
echo old >"$tmp/keep.html"
chmod a-w "$tmp"
"$bin" report "$db" --html "$tmp/keep.html" 2>"$tmp/err2"; rc=$?
chmod u+w "$tmp"
if [ "$(id -u)" != 0 ]; then
  check "read-only folder: exit 73, old file kept" test $rc -eq 73 -a "$(cat "$tmp/keep.html")" = old
fi
"$bin" report "$db" --png "$tmp/r.html" 2>"$tmp/err"; rc=$?
check "--png onto a file: exit 73" test $rc -eq 73
"$bin" report "$db" --run 99 --html "$tmp/x.html" 2>"$tmp/err"; rc=$?
check "missing run: exit 66, one line" test $rc -eq 66
check "missing run: one line" one_line "$tmp/err"
"$bin" report "$db" --sweep nope --html "$tmp/x.html" 2>"$tmp/err"; rc=$?
check "missing sweep: exit 66" test $rc -eq 66
"$bin" report "$db" --metric nope --html "$tmp/x.html" 2>"$tmp/err"; rc=$?
check "unknown metric: exit 64, one line" test $rc -eq 64
check "unknown metric: one line" one_line "$tmp/err"
"$bin" report "$db" --metric e2e_s_p99 2>"$tmp/err"; rc=$?
check "--metric without --html: exit 64" test $rc -eq 64
SHARDSIM_GNUPLOT=$tmp/no-gnuplot "$bin" report "$db" --html "$tmp/x.html" 2>"$tmp/err"; rc=$?
check "gnuplot missing: exit 70" test $rc -eq 70
check "gnuplot missing: one line naming deps.sh" grep -q 'scripts/deps.sh' "$tmp/err"
check "gnuplot missing: nothing written" test ! -e "$tmp/x.html"
check "text report unchanged: missing DB exit 66" \
  bash -c "'$bin' report '$tmp/missing.db' 2>/dev/null; test \$? -eq 66"

echo "report_html: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
