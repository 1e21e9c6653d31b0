#!/usr/bin/env python3
"""Independent checker of a Chrome trace (Trace Event Format, the JSON
Object Format of the spec "Trace Event Format", Google, 2016):
  every event has ph (a known phase), pid and tid (integers), ts (a number
  >= 0, microseconds); every event but a flow's has a string name;
  X: dur >= 0; b/e (async): cat and id, every b closed by one e of the
  same (cat, id) at ts >= its b; s/f (flow): id, every s has one f with the
  same id at ts >= its s; f: bp "e"; i: s in g/p/t; C: args of numbers;
  M: process_name / thread_name with args.name.
Then the layout shardsim promises (analysis/README.md): compute slices on
one thread of a node never overlap, and per node their durations sum to
nodes.busy_s of the run in the database.
Usage: trace_check.py TRACE.json DB RUN_ID.  Exit 0 when every check holds."""
import json
import sqlite3
import sys
from collections import defaultdict

PHASES = set("BEXibensftPCMNODRcv(") | {"(", ")"}


def fail(msg):
    print("trace_check: " + msg)
    sys.exit(1)


def main():
    trace, db, run = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(trace) as f:
        doc = json.load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("traceEvents"), list):
        fail("top level is not {\"traceEvents\": [...]}")
    ev = doc["traceEvents"]
    opened = {}
    flows_s, flows_f = {}, {}
    compute = defaultdict(list)
    names = {}
    for k, e in enumerate(ev):
        where = "event %d (%s)" % (k, json.dumps(e)[:120])
        ph = e.get("ph")
        if ph not in PHASES:
            fail(where + ": ph missing or unknown")
        for key in ("pid", "tid"):
            if not isinstance(e.get(key), int):
                fail(where + ": %s is not an integer" % key)
        ts = e.get("ts")
        if not isinstance(ts, (int, float)) or ts < 0:
            fail(where + ": ts missing or negative")
        if ph not in "sf" and not isinstance(e.get("name"), str):
            fail(where + ": name missing")
        if ph == "X":
            d = e.get("dur")
            if not isinstance(d, (int, float)) or d < 0:
                fail(where + ": X without dur >= 0")
            if e.get("cat") == "compute":
                compute[(e["pid"], e["tid"])].append((ts, ts + d))
        elif ph in "be":
            if "id" not in e or "cat" not in e:
                fail(where + ": async event without cat and id")
            key = (e["cat"], e["id"])
            if ph == "b":
                if key in opened:
                    fail(where + ": async id opened twice")
                opened[key] = ts
            else:
                if key not in opened or opened[key] > ts:
                    fail(where + ": e without an earlier b")
                del opened[key]
        elif ph in "sf":
            if "id" not in e:
                fail(where + ": flow event without id")
            (flows_s if ph == "s" else flows_f)[e["id"]] = ts
            if ph == "f" and e.get("bp") != "e":
                fail(where + ": flow end without bp e")
        elif ph == "i":
            if e.get("s", "t") not in ("g", "p", "t"):
                fail(where + ": instant scope not g/p/t")
        elif ph == "C":
            a = e.get("args")
            if not isinstance(a, dict) or not all(isinstance(v, (int, float)) for v in a.values()):
                fail(where + ": counter without numeric args")
        elif ph == "M":
            if e["name"] in ("process_name", "thread_name"):
                if not isinstance(e.get("args", {}).get("name"), str):
                    fail(where + ": metadata without args.name")
                if e["name"] == "process_name":
                    names[e["pid"]] = e["args"]["name"]
    if opened:
        fail("async slices never closed: %s" % list(opened)[:5])
    if set(flows_s) != set(flows_f):
        fail("flows without both ends: %s" % list(set(flows_s) ^ set(flows_f))[:5])
    for i, t in flows_s.items():
        if flows_f[i] < t:
            fail("flow %s ends before it starts" % i)
    busy = defaultdict(float)
    for (pid, tid), sl in compute.items():
        sl.sort()
        for a, b in zip(sl, sl[1:]):
            if b[0] < a[1] - 1e-3:
                fail("compute slices overlap on pid %d tid %d at %.3f us" % (pid, tid, b[0]))
        busy[pid] += sum(b - a for a, b in sl)
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    n = 0
    for node, busy_s in con.execute("SELECT id, busy_s FROM nodes WHERE run_id = ?", (run,)):
        got = busy[node + 1] / 1e6
        tol = 1e-9 * max(1.0, busy_s) + 1e-9 * len(compute.get((node + 1, 1), []))  # ts, dur at 1 ns
        if abs(got - busy_s) > tol:
            fail("node %d: compute slices sum to %.9f s, nodes.busy_s is %.9f s" % (node, got, busy_s))
        if node + 1 not in names:
            fail("node %d has no process_name" % node)
        n += 1
    if n == 0:
        fail("run %d has no nodes" % run)
    print("trace_check: %d events ok; %d nodes' compute sums equal busy_s" % (len(ev), n))


main()
