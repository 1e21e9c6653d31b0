#!/usr/bin/env bash
# fuzz.sh SECONDS [NAME...] - build the libFuzzer harnesses of tests/fuzz with
# clang (-fsanitize=fuzzer,address,undefined, in build-fuzz/) and run each
# for SECONDS seconds, one after the other on one core (`make fuzz
# FUZZ_SECONDS=N [FUZZ_TARGETS="gguf trace"]`).
#
# Each harness's working corpus is build-fuzz/corpus/NAME, seeded on every
# run from tests/fuzz/corpus/NAME, tests/bad/fuzz/NAME (regressions) and the
# real assets (../shared/assets, or SHARDSIM_ASSETS). A crash leaves its
# input in build-fuzz/artifacts/NAME/ and fails the script; copy it into
# tests/bad/fuzz/NAME/ once fixed, so the replay test in `make test` keeps
# it fixed. The last line per harness gives its execution count.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-60}
shift || true
names=${*:-json scenario override validate sweep trace datasets llama2c tokenizer gguf safetensors loader}
assets=${SHARDSIM_ASSETS:-$root/../shared/assets}
out=$root/build-fuzz

bash "$root/scripts/deps.sh" fuzz
if [ ! -f "$out/CMakeCache.txt" ]; then
  CC=clang cmake -S "$root" -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSS_FUZZ=ON >/dev/null
fi
targets=""
for n in $names; do targets="$targets fuzz_$n"; done
# shellcheck disable=SC2086
cmake --build "$out" -j "${JOBS:-2}" --target $targets >"$out/build.log" 2>&1 ||
  { tail -30 "$out/build.log"; exit 1; }

seed() { # seed NAME: files and folders that start NAME's corpus
  local n=$1
  echo "$root/tests/fuzz/corpus/$n" "$root/tests/bad/fuzz/$n"
  case $n in
    json | scenario | validate)
      echo "$root"/scenarios/*.json "$root"/scenarios/*/*.json "$root"/tests/bad/scenarios/*.json ;;
    llama2c) echo "$assets/stories260K/stories260K.bin" ;;
    gguf) echo "$assets/stories260K/stories260K.gguf" ;;
    safetensors) echo "$assets/mnist/mnist_cnn.safetensors" ;;
  esac
}

# Inputs longer than this are cut: the weight formats' tiny seeds are under
# 5 KB and long inputs mutate slowly (the real assets are then seen truncated).
max_len() { case $1 in json | scenario | validate | trace | datasets) echo 65536 ;; *) echo 8192 ;; esac; }

# Seconds one input may take. validate builds whole worlds: a scenario at
# SCN_MAX_NODES (10^6 nodes) takes ~2 s in the Release build, >12 s under
# ASan and coverage; anything slower than this is a finding.
timeout_s() { case $1 in validate) echo 60 ;; *) echo 10 ;; esac; }

status=0
for n in $names; do
  corpus=$out/corpus/$n
  mkdir -p "$corpus" "$out/artifacts/$n"
  for s in $(seed "$n"); do
    if [ -d "$s" ]; then cp -n "$s"/* "$corpus"/ 2>/dev/null || true
    elif [ -f "$s" ]; then cp -n "$s" "$corpus"/; fi
  done
  log=$out/fuzz_$n.log
  set +e
  OPENBLAS_NUM_THREADS=1 "$out/tests/fuzz/fuzz_$n" -max_total_time="$secs" -timeout="$(timeout_s "$n")" \
    -rss_limit_mb=2048 -max_len="$(max_len "$n")" -print_final_stats=1 \
    -artifact_prefix="$out/artifacts/$n/" "$corpus" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $rc -ne 0 ]; then
    status=1
    echo "fuzz_$n: FAILED after ${execs:-?} executions (exit $rc); see $log and $out/artifacts/$n/"
    grep -m3 -E "ERROR|runtime error|invariant" "$log" || true
  else
    echo "fuzz_$n: ${execs:-?} executions in $secs s, no crash (corpus $(ls "$corpus" | wc -l) files)"
  fi
done
exit $status
