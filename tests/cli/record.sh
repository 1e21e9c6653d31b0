#!/usr/bin/env bash
# The event record (issue 14 items 1, 3, 5): record.level hops / all stores
# hop_events, node_events, route_decisions without changing any result;
# `export --chrome-trace` passes an independent Trace Event Format checker
# (tests/cli/trace_check.py) and each node's compute slices sum to its
# busy_s; `replay` of a request that met a failure shows the failure, the
# ban, the retry and the replay at the times of the records; a v4 database
# migrates; bad input gives the documented exit codes and no output.
# Usage: record.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { local name=$1; shift; if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi; }
expect_rc() { local want=$1; shift; "$@" >/dev/null 2>"$tmp/err"; local rc=$?; [ "$rc" -eq "$want" ] || { echo "rc $rc, want $want: $*"; cat "$tmp/err"; return 1; }; [ "$(wc -l <"$tmp/err")" -le 1 ]; }
db=$tmp/r.db
scn=tests/cli/data/record_failure.json
# runs 1 (all), 2 (hops), 3 (requests: today's default), 4 (off)
for l in all hops requests off; do
  "$bin" run "$scn" --db "$db" --set record.level=$l -q || echo "run at level $l failed"
done

q() { sqlite3 "$db" "$1"; }
check "event_records rows for the two recorded runs" \
  test "$(q "select run_id || ':' || level from event_records order by run_id" | tr '\n' ' ')" = "1:all 2:hops "
check "level hops stores hop and node events, no route decisions" \
  test "$(q "select (select count(*) from hop_events where run_id=2) > 0, (select count(*) from node_events where run_id=2) > 0, (select count(*) from route_decisions where run_id=2)")" = "1|1|0"
check "event_records counts equal the stored rows" \
  test "$(q "select count(*) from event_records e where n_hop_events = (select count(*) from hop_events h where h.run_id = e.run_id) and n_node_events = (select count(*) from node_events n where n.run_id = e.run_id) and n_route_decisions = (select count(*) from route_decisions d where d.run_id = e.run_id)")" = 2
# recording changes no result: metrics, requests and nodes rows equal across levels
for t in "metrics:name, value" "requests:id, arrival_s, first_token_s, finish_s, tokens_done, retries, status, route, recovery_s" "nodes:id, busy_s, bytes_in, bytes_out, failures, kv_peak_bytes, down_s"; do
  tab=${t%%:*} cols=${t#*:}
  check "$tab identical at levels all, hops and requests" \
    test "$(q "select count(distinct h) from (select run_id, group_concat(x, ';') as h from (select run_id, quote($(echo "$cols" | sed 's/, /) || quote(/g')) as x from $tab where run_id in (1,2,3) order by run_id, 1) group by run_id)")" = 1
done
check "level off stores runs and metrics only" \
  test "$(q "select (select count(*) from nodes where run_id=4), (select count(*) from requests where run_id=4), (select count(*) from metrics where run_id=4) > 0")" = "0|0|1"
# a hop's phases follow each other: transfer end <= kv_wait/queue/compute start of the same hop
check "phases tile each hop in time order" \
  test "$(q "select count(*) from hop_events a join hop_events b on a.run_id=b.run_id and a.request_id=b.request_id and a.pass=b.pass and a.hop=b.hop and b.seq=a.seq+0 where a.run_id=1 and a.t_end < a.t_start")" = 0
check "the truncated compute ends at the failure" \
  test "$(q "select count(*) from hop_events h join node_events n on n.run_id=h.run_id and n.node=h.node and n.kind='down' where h.run_id=1 and h.phase='compute' and h.t_start < n.t and h.t_end > n.t")" = 0

# the Chrome trace, checked independently
check "export --chrome-trace" "$bin" export "$db" --run 1 --chrome-trace "$tmp/t.json"
check "trace_check (fields of every event; compute slices sum to busy_s)" python3 tests/cli/trace_check.py "$tmp/t.json" "$db" 1
check "export --chrome-trace of a hops run" "$bin" export "$db" --run 2 --chrome-trace "$tmp/t2.json"
check "trace_check of the hops run" python3 tests/cli/trace_check.py "$tmp/t2.json" "$db" 2
# the checker can fail: a doctored trace (one compute slice longer) is refused
python3 - "$tmp/t.json" "$tmp/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for e in d["traceEvents"]:
    if e.get("cat") == "compute":
        e["dur"] += 1000.0
        break
json.dump(d, open(sys.argv[2], "w"))
PY
check "trace_check refuses a doctored compute slice" expect_rc 1 python3 tests/cli/trace_check.py "$tmp/bad.json" "$db" 1
check "export --csv writes the v5 tables" "$bin" export "$db" --run 1 --csv "$tmp/csv"
for t in event_records hop_events node_events route_decisions; do
  check "$t.csv rows = table rows" test "$(($(wc -l <"$tmp/csv/$t.csv") - 1))" = "$(q "select count(*) from $t where run_id=1")"
done

# replay of a request that met a failure
req=$(q "select request_id from hop_events where run_id=1 and phase='replay' order by seq limit 1")
"$bin" replay "$db" --run 1 --request "$req" --explain >"$tmp/replay.txt"
check "replay exits 0" test $? -eq 0
has() { grep -q -F -- "$1" "$tmp/replay.txt" || { echo "missing: $1"; return 1; }; }
down=$(q "select printf('%.9f', n.t) || '  FAILURE: node ' || n.node from node_events n where run_id=1 and kind='down' and node in (select node from hop_events where run_id=1 and request_id=$req) order by seq limit 1")
check "replay shows the failure at its node_events time" has "$down"
ban=$(q "select printf('%.9f', t) || '  ban: the client bans node ' || node from node_events where run_id=1 and kind='ban' and node in (select node from hop_events where run_id=1 and request_id=$req) order by seq limit 1")
check "replay shows the ban at its node_events time" has "$ban"
retry=$(q "select printf('%.9f', a.t_start) || '  retry: transfer pass ' || a.pass || ' hop ' || a.hop || ': client' from hop_events a where a.run_id=1 and a.request_id=$req and a.phase='transfer' and a.node=-1 and exists (select 1 from hop_events b where b.run_id=1 and b.request_id=$req and b.phase='transfer' and b.pass=a.pass and b.hop=a.hop and b.seq<a.seq) order by a.seq limit 1")
check "replay shows the retry at its hop_events time" has "$retry"
rep=$(q "select printf('%.9f', t_start) || '  replay pass ' || pass || ' hop ' || hop from hop_events where run_id=1 and request_id=$req and phase='replay' order by seq limit 1")
check "replay shows the replay at its hop_events time" has "$rep"
check "replay --explain shows the chosen chain's cost and the alternatives" has "; cost "
# every hop record of the request appears with its start time
python3 - "$db" "$req" "$tmp/replay.txt" <<'PY' || failed=$((failed + 1))
import sqlite3, sys
db, req, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(path).read().split("\n")
got = set()
for l in lines:
    p = l.split()
    if len(p) >= 4 and p[1] in ("transfer", "compute", "queue", "kv_wait", "replay"):
        got.add((p[0], p[1], p[3], p[5].rstrip(":")))
    elif len(p) >= 5 and p[1] == "retry:" and p[2] == "transfer":
        got.add((p[0], "transfer", p[4], p[6].rstrip(":")))
con = sqlite3.connect(db)
miss = [r for r in con.execute("select printf('%.9f', t_start), phase, pass, hop from hop_events"
                               " where run_id=1 and request_id=?", (req,))
        if (r[0], r[1], str(r[2]), str(r[3])) not in got]
if miss:
    print("FAIL: hop records missing from the replay:", miss[:5])
    sys.exit(1)
PY
passed=$((passed + 1))
"$bin" replay "$db" --run 2 --request "$req" --explain >"$tmp/r2.txt"
check "replay --explain of a hops run says there is nothing to explain" grep -q "no route decisions" "$tmp/r2.txt"

# bad input
check "unknown run: export 66" expect_rc 66 "$bin" export "$db" --run 99 --chrome-trace "$tmp/x.json"
check "unknown run: replay 66" expect_rc 66 "$bin" replay "$db" --run 99 --request 0
check "unknown request: replay 66" expect_rc 66 "$bin" replay "$db" --run 1 --request 100000
check "run without a record: export 69" expect_rc 69 "$bin" export "$db" --run 3 --chrome-trace "$tmp/x.json"
check "run without a record: replay 69" expect_rc 69 "$bin" replay "$db" --run 3 --request 0
check "missing --request: 64" expect_rc 64 "$bin" replay "$db" --run 1
check "export without an output: 64" expect_rc 64 "$bin" export "$db" --run 1
head -c 4096 /dev/urandom >"$tmp/junk.db"
check "not a shardsim database: 74" expect_rc 74 "$bin" replay "$tmp/junk.db" --run 1 --request 0
cp "$db" "$tmp/new.db"; sqlite3 "$tmp/new.db" "PRAGMA user_version = 99"
check "newer schema: 65" expect_rc 65 "$bin" export "$tmp/new.db" --run 1 --chrome-trace "$tmp/x.json"
mkdir "$tmp/ro"; chmod 555 "$tmp/ro"
if [ "$(id -u)" != 0 ]; then
  check "unwritable output: 73" expect_rc 73 "$bin" export "$db" --run 1 --chrome-trace "$tmp/ro/t.json"
fi
check "missing folder: 73" expect_rc 73 "$bin" export "$db" --run 1 --chrome-trace "$tmp/nope/t.json"
check "nothing written on failure" test ! -e "$tmp/x.json" -a -z "$(ls "$tmp/ro")"

# a schema v4 file (v5's tables undone) migrates in place and records
"$bin" run scenarios/default.json --db "$tmp/v4.db" --set workload.n_requests=5 -q
sqlite3 "$tmp/v4.db" "ALTER TABLE requests DROP COLUMN truncated; DELETE FROM schema_version WHERE version = 6; DROP TABLE route_decisions; DROP TABLE node_events; DROP TABLE hop_events; DROP TABLE event_records; DELETE FROM schema_version WHERE version = 5; PRAGMA user_version = 4;"
check "a v4 database migrates on write and records" "$bin" run scenarios/default.json --db "$tmp/v4.db" --set workload.n_requests=5 --set record.level=hops -q
check "migrated: schema v6, the old run kept, the new run's events stored" \
  test "$(sqlite3 "$tmp/v4.db" "select (select max(version) from schema_version), (select count(*) from runs), (select count(*) from hop_events where run_id=2) > 0")" = "6|2|1"
check "migrated: the old run reports" expect_rc 0 "$bin" report "$tmp/v4.db" --run 1
check "migrated: the old run has no event record (69)" expect_rc 69 "$bin" replay "$tmp/v4.db" --run 1 --request 0
check "migrated: the new run replays" expect_rc 0 "$bin" replay "$tmp/v4.db" --run 2 --request 0

echo "record.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
