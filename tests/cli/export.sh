#!/usr/bin/env bash
# `shardsim export --csv`: every table of a run as CSV, read back with
# Python's csv module and compared field by field with the rows Python's
# sqlite3 module reads (REAL exactly, through %.17g; NULL as an empty field;
# quoting of commas, quotes and newlines, e.g. in scenario_json); written
# whole or not at all; bad input with the documented exit codes.
# Usage: export.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { local name=$1; shift; if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi; }
db=$tmp/r.db
"$bin" run scenarios/default.json --db "$db" --set workload.n_requests=40 -q >/dev/null
"$bin" eval scenarios/stories260k.json --task tinystories-ppl --stories 1 --db "$db" -q >/dev/null
# a name with a comma, a quote and a newline; an empty text field
sqlite3 "$db" "update runs set scenario_name = 'a,\"b\"' || char(10) || 'c', status = '' where id = 1"
compare() { # DIR RUN: every table's CSV against sqlite3's rows
  python3 - "$db" "$1" "$2" <<'PY'
import csv, sqlite3, sys
db, d, run = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
q = {"runs": "SELECT * FROM runs WHERE id = ?",
     "requests": "SELECT * FROM requests WHERE run_id = ? ORDER BY id",
     "nodes": "SELECT * FROM nodes WHERE run_id = ? ORDER BY id",
     "metrics": "SELECT * FROM metrics WHERE run_id = ? ORDER BY name",
     "accuracy": "SELECT * FROM accuracy WHERE run_id = ? ORDER BY codec, metric"}
bad = 0
for t, sql in q.items():
    cur = con.execute(sql, (run,))
    cols = [c[0] for c in cur.description]
    rows = cur.fetchall()
    with open("%s/%s.csv" % (d, t), newline="") as f:
        got = list(csv.reader(f, strict=True))
    if got[0] != cols:
        print("header of", t, got[0]); bad += 1
    if len(got) - 1 != len(rows):
        print("rows of", t, len(got) - 1, len(rows)); bad += 1
    for r, g in zip(rows, got[1:]):
        for v, s, c in zip(r, g, cols):
            ok = (s == "" if v is None else s == str(v) if isinstance(v, (int, str))
                  else s == "%.17g" % v and float(s) == v)
            if not ok:
                print(t, c, repr(v), repr(s)); bad += 1
print("tables", len(q), "bad", bad)
sys.exit(1 if bad else 0)
PY
}
"$bin" export "$db" --run 1 --csv "$tmp/out1"; check "export run 1 exits 0" test $? -eq 0
check "nine CSV files (v5: the event record's, header only here)" test "$(ls "$tmp/out1" | tr '\n' ' ')" = "accuracy.csv event_records.csv hop_events.csv metrics.csv node_events.csv nodes.csv requests.csv route_decisions.csv runs.csv "
out=$(compare "$tmp/out1" 1); rc=$?
check "run 1 reads back equal to sqlite3's rows" test $rc -eq 0
[ $rc -eq 0 ] || echo "$out"
check "40 request rows and a header" test "$(python3 -c 'import csv,sys; print(len(list(csv.reader(open(sys.argv[1], newline="")))))' "$tmp/out1/requests.csv")" = 41
check "lines end with CRLF" test "$(head -1 "$tmp/out1/runs.csv" | od -c | grep -c '\\r  \\n')" = 1
check "an empty text is quoted, NULL is not" grep -q ',"",' "$tmp/out1/runs.csv"
"$bin" export "$db" --csv "$tmp/out2"; check "export of the latest exits 0" test $? -eq 0
compare "$tmp/out2" 2 >/dev/null; check "accuracy run reads back equal" test $? -eq 0
check "accuracy rows exported" test "$(wc -l <"$tmp/out2/accuracy.csv")" = 6
mkdir "$tmp/empty"
"$bin" export "$db" --run 1 --csv "$tmp/empty"; check "into an empty folder exits 0" test $? -eq 0
check "into an empty folder: files there" test -f "$tmp/empty/runs.csv"
mkdir "$tmp/full"; echo keep >"$tmp/full/x"
"$bin" export "$db" --run 1 --csv "$tmp/full" 2>"$tmp/err"; check "non-empty folder exits 73" test $? -eq 73
check "non-empty folder: one line" test "$(wc -l <"$tmp/err")" = 1
check "non-empty folder untouched" test "$(ls "$tmp/full")" = x
"$bin" export "$db" --run 99 --csv "$tmp/o99" 2>"$tmp/err"; check "unknown run exits 66" test $? -eq 66
check "unknown run: nothing created" test ! -e "$tmp/o99"
"$bin" export "$db" --run 1 --csv "$tmp/no/such/dir" 2>"$tmp/err"; check "missing parent exits 73" test $? -eq 73
head -c 4096 /dev/urandom >"$tmp/garbage.db"
"$bin" export "$tmp/garbage.db" --csv "$tmp/og" 2>"$tmp/err"; check "not a database exits 74" test $? -eq 74
cp "$db" "$tmp/newer.db"; sqlite3 "$tmp/newer.db" "pragma user_version = 99; insert into schema_version values (99, 'future')"
"$bin" export "$tmp/newer.db" --csv "$tmp/on" 2>"$tmp/err"; check "newer schema exits 65" test $? -eq 65
"$bin" export "$db" >/dev/null 2>&1; check "without --csv exits 64" test $? -eq 64
check "no temporary folder left" test -z "$(find "$tmp" -name '*.tmp.*')"
"$bin" export --help | grep -q "Usage: shardsim export"; check "export --help" test $? -eq 0
echo "export: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
