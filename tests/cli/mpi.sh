#!/usr/bin/env bash
# `mpirun -np 3 shardsim sweep` (OpenMPI, experiment/exp_mpi.h): a 2-axis x
# 5-seed sweep stores identical content (the sweep digest: every point row
# and its run's digest, wall clock aside) with -j 1, -j 2 and 3 ranks; a
# rerun under mpirun simulates nothing; a bad axis value fails its points
# only (exit status = their number) under MPI as without; a run stored by
# the ranks equals the same run stored by `shardsim run`.
# Skipped (77) when the binary was built without MPI; fails when it was
# built with MPI but mpirun is missing (scripts/deps.sh installs it).
# Usage: mpi.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# In an ASan build: OpenMPI's own process-lifetime allocations are not ours
# (full stacks, so a leak is attributed to the library that made it).
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$src/tests/lsan_mpi.supp"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
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
mpi() { mpirun -np 3 --oversubscribe "$@"; }

if ! command -v mpirun >/dev/null; then
  echo "mpi.sh: mpirun not found (scripts/deps.sh installs openmpi-bin)"; exit 1
fi
sweep s.json tiny '"grid": {"workload.n_requests": [5, 8], "routing.policy": ["fixed", "central-queue"]}, "seeds": 5'
out=$(mpi "$bin" sweep "$tmp/s.json" --db "$tmp/mpi.db" 2>"$tmp/err"); rc=$?
if grep -q "built without MPI" "$tmp/err"; then
  echo "mpi.sh: shardsim built without MPI: skipped"; exit 77
fi
check "mpirun -np 3 exits 0 ($(head -c 300 "$tmp/err"))" test $rc -eq 0
check "rank 0 alone reports, with 2 worker ranks" test "$(grep -c '^sweep tiny' <<<"$out")" = 1 -a \
  "$(grep -c '20 new, 0 already stored, 0 failed, 0 not done (2 MPI worker ranks)' <<<"$out")" = 1
"$bin" sweep "$tmp/s.json" --db "$tmp/j1.db" -j 1 -q
"$bin" sweep "$tmp/s.json" --db "$tmp/j2.db" -j 2 -q
d1=$(digest "$tmp/j1.db" tiny) d2=$(digest "$tmp/j2.db" tiny) dm=$(digest "$tmp/mpi.db" tiny)
check "sweep digest is a sha256" grep -Eq '^[0-9a-f]{64}$' <<<"$d1"
check "-j 1, -j 2 and mpirun -np 3 give identical content" test "$d1" = "$d2" -a "$d1" = "$dm"
check "20 runs, 20 ok points" test "$(q "$tmp/mpi.db" 'select count(*) from runs')" = 20 -a \
  "$(q "$tmp/mpi.db" "select count(*) from sweep_points where status = 'ok'")" = 20
check "no scratch database left behind" test -z "$(ls "${TMPDIR:-/tmp}" | grep shardsim-rank)"

# One point's run as `shardsim run` stores it: same digest as the ranks'.
"$bin" run "$src/scenarios/default.json" --db "$tmp/one.db" --seed 3 \
  --set workload.n_requests=8 --set routing.policy=central-queue -q >/dev/null
id=$(q "$tmp/mpi.db" "select run_id from sweep_points where combo = 3 and seed = '3'")
"$bin" baseline "$tmp/one.db" --out "$tmp/one.json"
"$bin" baseline "$tmp/mpi.db" --run "$id" --out "$tmp/rank.json"
dr=$(grep -m1 '"digest"' "$tmp/one.json") dp=$(grep -m1 '"digest"' "$tmp/rank.json")
check "a rank's run equals the same run stored by shardsim run" test -n "$dr" -a "$dr" = "$dp"

out=$(mpi "$bin" sweep "$tmp/s.json" --db "$tmp/mpi.db" 2>&1); rc=$?
check "rerun under mpirun exits 0" test $rc -eq 0
check "rerun under mpirun simulates nothing" grep -q "0 new, 20 already stored" <<<"$out"
check "rerun keeps the content" test "$(digest "$tmp/mpi.db" tiny)" = "$d1" -a \
  "$(q "$tmp/mpi.db" 'select count(*) from runs')" = 20
# Half done by forked workers, the rest under MPI: still the same content.
sweep h.json tiny '"grid": {"workload.n_requests": [5, 8], "routing.policy": ["fixed", "central-queue"]}, "seeds": [1, 2]'
"$bin" sweep "$tmp/h.json" --db "$tmp/half.db" -j 2 -q
out=$(mpi "$bin" sweep "$tmp/s.json" --db "$tmp/half.db" 2>&1); rc=$?
check "resumed under mpirun: only the missing 12 run" test $rc -eq 0 -a \
  "$(grep -c "12 new, 8 already stored" <<<"$out")" = 1
check "resumed under mpirun equals the whole sweep" test "$(digest "$tmp/half.db" tiny)" = "$d1"

# A bad axis value fails its points only, as without MPI.
sweep b.json bad '"grid": {"workload.n_requests": [5, -1]}, "seeds": 2'
mpi "$bin" sweep "$tmp/b.json" --db "$tmp/b.db" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "bad value: 2 failure lines naming the path and value" \
  test "$(grep -c 'failed:.*workload.n_requests.*-1' "$tmp/err")" = 2
check "bad value: the others land, errors recorded" test \
  "$(q "$tmp/b.db" 'select count(*) from runs')" = 2 -a \
  "$(q "$tmp/b.db" "select count(*) from sweep_points where status = 'failed' and error like '%n_requests%'")" = 2
"$bin" sweep "$tmp/b.json" --db "$tmp/bj.db" -j 2 -q 2>/dev/null
check "bad value: same content as without MPI" test "$(digest "$tmp/b.db" bad)" = "$(digest "$tmp/bj.db" bad)"
check "bad value: mpirun reports the failure (rank 0's exit status 2: $rc)" test $rc -ne 0

echo "mpi.sh: $passed passed, $failed failed"
test $failed -eq 0
