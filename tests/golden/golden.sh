#!/usr/bin/env bash
# The CI regression gate: each shipped scenario with a baseline here
# (tests/golden/<scenario>.json) is run into a fresh database and checked
# against it with `shardsim check`; the JUnit XML goes to OUT_DIR (an
# artifact for the CI). Any regression fails the test (exit 1).
#   golden.sh SHARDSIM SOURCE_DIR OUT_DIR            check (CTest `golden_gate`)
#   golden.sh SHARDSIM SOURCE_DIR OUT_DIR --update   rewrite the baselines after a
#                                                    change meant to change results
# OpenBLAS's kernel name is stored in runs.blas_core, which the digest covers;
# the generic Prescott kernel (every x86-64 CPU runs it) is forced so the
# baselines hold on any x86-64 host.
set -u
bin=$1 src=$2 out=$3 mode=${4:-check}
cd "$src" || exit 1
mkdir -p "$out" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_CORETYPE=Prescott OPENBLAS_NUM_THREADS=1
failed=0
for scenario in default stories260k; do
  base=tests/golden/$scenario.json
  if ! "$bin" run "scenarios/$scenario.json" --db "$tmp/$scenario.db" -q >/dev/null; then
    echo "FAIL: run scenarios/$scenario.json"; failed=$((failed + 1)); continue
  fi
  if [ "$mode" = --update ]; then
    "$bin" baseline "$tmp/$scenario.db" --out "$base" || failed=$((failed + 1))
    echo "wrote $base"
    continue
  fi
  "$bin" check "$tmp/$scenario.db" --baseline "$base" --junit "$out/$scenario.xml"
  rc=$?
  [ $rc -eq 0 ] || { echo "FAIL: $scenario against $base (exit $rc)"; failed=$((failed + 1)); }
done
echo "golden gate: $failed failed"
[ "$failed" -eq 0 ]
