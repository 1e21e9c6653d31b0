#!/usr/bin/env bash
# `shardsim merge`: two halves of a sweep (seeds 1-2 and 3-5, made as two
# sweep files of the same name and axes) merged equal the whole sweep (the
# sweep digest covers every point row and its run's digest), a run present
# in several inputs is kept once, merging again changes nothing, a run with
# the same key and other content is an error naming the key that leaves OUT
# untouched (and creates no OUT), bad inputs are one-line errors.
# Usage: merge.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # name, condition...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
sweep() { # file, seeds
  printf '{"version": 1, "name": "half", "base": "%s/scenarios/default.json", "grid": {"workload.n_requests": [5, 8], "routing.policy": ["fixed", "central-queue"]}, "seeds": %s}\n' \
    "$src" "$2" >"$tmp/$1"
}
digest() { "$bin" report "$1" --sweep half | sed -n 's/^digest //p'; }
q() { sqlite3 "$1" "$2"; }

sweep whole.json 5; sweep a.json '[1, 2]'; sweep b.json '[3, 4, 5]'
"$bin" sweep "$tmp/whole.json" --db "$tmp/whole.db" -j 2 -q
"$bin" sweep "$tmp/a.json" --db "$tmp/a.db" -j 2 -q
"$bin" sweep "$tmp/b.json" --db "$tmp/b.db" -j 2 -q
check "halves: 8 + 12 runs" test "$(q "$tmp/a.db" 'select count(*) from runs')" = 8 -a \
  "$(q "$tmp/b.db" 'select count(*) from runs')" = 12
check "a half differs from the whole" test "$(digest "$tmp/a.db")" != "$(digest "$tmp/whole.db")"
out=$("$bin" merge "$tmp/m.db" "$tmp/a.db" "$tmp/b.db"); rc=$?
check "merge exits 0" test $rc -eq 0
check "merge summary" grep -q "20 runs copied, 0 already there; 1 sweeps new, 20 sweep points" <<<"$out"
check "merge of two halves equals the whole sweep" test "$(digest "$tmp/m.db")" = "$(digest "$tmp/whole.db")"
run_digests() { # db: every run's digest, in run key order
  for i in $(q "$1" 'select id from runs order by run_key'); do
    "$bin" baseline "$1" --run $i --out "$tmp/bl.json" && grep -m1 '"digest"' "$tmp/bl.json"
  done
}
rd=$(run_digests "$tmp/m.db")
check "every run's digest equals the whole's" test "$(grep -c digest <<<"$rd")" = 20 -a \
  "$rd" = "$(run_digests "$tmp/whole.db")"
out=$("$bin" merge "$tmp/m.db" "$tmp/a.db" "$tmp/b.db" "$tmp/whole.db"); rc=$?
check "merging again exits 0" test $rc -eq 0
check "merging again copies nothing" grep -q "0 runs copied, 40 already there; 0 sweeps new, 0 sweep points" <<<"$out"
check "a run present in several inputs is kept once" test "$(q "$tmp/m.db" 'select count(*) from runs')" = 20
check "still the whole sweep" test "$(digest "$tmp/m.db")" = "$(digest "$tmp/whole.db")"
"$bin" merge "$tmp/m2.db" "$tmp/a.db" "$tmp/a.db" "$tmp/b.db" -q; rc=$?
check "the same input twice: kept once" test $rc -eq 0 -a "$(q "$tmp/m2.db" 'select count(*) from runs')" = 20

# --- conflicting content for one key: an error naming it, OUT untouched ----
cp "$tmp/b.db" "$tmp/bad.db"
q "$tmp/bad.db" "update metrics set value = value + 1 where run_id = 3 and name = 'e2e_s_mean'"
key=$(q "$tmp/bad.db" 'select run_key from runs where id = 3')
cp "$tmp/a.db" "$tmp/out.db"; before=$(sha256sum <"$tmp/out.db")
"$bin" merge "$tmp/out.db" "$tmp/b.db" "$tmp/bad.db" 2>"$tmp/err"; rc=$?
check "conflict: exit 65" test $rc -eq 65
check "conflict: one line naming the key" test "$(wc -l <"$tmp/err")" = 1 -a \
  "$(grep -cF "bad.db: run $key: conflicting content" "$tmp/err")" = 1
check "conflict: OUT untouched" test "$(sha256sum <"$tmp/out.db")" = "$before" -a \
  "$(q "$tmp/out.db" 'select count(*) from runs')" = 8
"$bin" merge "$tmp/new.db" "$tmp/b.db" "$tmp/bad.db" 2>/dev/null; rc=$?
check "conflict: no OUT created" test $rc -eq 65 -a ! -e "$tmp/new.db"
cp "$tmp/b.db" "$tmp/badsweep.db"
q "$tmp/badsweep.db" "update sweep_points set error = 'x', status = 'failed', run_id = NULL where combo = 0 and seed = '3'"
"$bin" merge "$tmp/m3.db" "$tmp/badsweep.db" "$tmp/b.db" -q; rc=$?
check "an ok point replaces a failed one" test $rc -eq 0 -a \
  "$(q "$tmp/m3.db" "select count(*) from sweep_points where status = 'ok'")" = 12
q "$tmp/badsweep.db" "update sweep_points set status = 'ok', error = NULL, run_id = 5 where combo = 0 and seed = '3'"
"$bin" merge "$tmp/m4.db" "$tmp/b.db" "$tmp/badsweep.db" 2>"$tmp/err"; rc=$?
check "two ok points naming other runs: exit 65 naming the point" test $rc -eq 65 -a \
  "$(grep -c 'sweep "half" point (combo 0, seed 3): conflicting content' "$tmp/err")" = 1

# --- bad inputs --------------------------------------------------------------
"$bin" merge "$tmp/x.db" "$tmp/missing.db" 2>"$tmp/err"; rc=$?
check "missing input: exit 66, one line" test $rc -eq 66 -a "$(wc -l <"$tmp/err")" = 1 -a ! -e "$tmp/x.db"
echo "not a database, long enough to have a header of one hundred bytes, which SQLite would read first......" >"$tmp/junk.db"
"$bin" merge "$tmp/x.db" "$tmp/junk.db" 2>"$tmp/err"; rc=$?
check "not a database: exit 74, named" test $rc -eq 74 -a "$(grep -c junk.db "$tmp/err")" = 1
"$bin" merge "$tmp/a.db" "$tmp/a.db" 2>"$tmp/err"; rc=$?
check "input is the output: exit 64" test $rc -eq 64
"$bin" merge "$tmp/x.db" 2>/dev/null; rc=$?
check "no input: usage error" test $rc -eq 64

echo "merge.sh: $passed passed, $failed failed"
test $failed -eq 0
