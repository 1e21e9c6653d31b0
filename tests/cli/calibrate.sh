#!/usr/bin/env bash
# `shardsim calibrate`: kernel name and reference check in the output, a
# device profile with exactly a scenario device's fields that a scenario
# accepts as is, usage and output errors with their exit codes.
# Usage: calibrate.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

out=$("$bin" calibrate --quick --rounds 1 --out "$tmp/dev.json") || fail "calibrate exit $?"
core=$(printf '%s\n' "$out" | sed -n 's/^blas_core: \([^ ]*\).*/\1/p')
[ -n "$core" ] || fail "no blas_core line"
case "$core" in Prescott|Katmai|Core2|Nehalem|Unknown) fail "generic kernel $core" ;; esac
printf '%s\n' "$out" | grep -q '^blas_verify: ok ' || fail "no passing blas_verify line"
printf '%s\n' "$out" | grep -q '^sgemm 128x128x128: [0-9.]* GFLOP/s$' || fail "no sgemm line"
keys=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(",".join(sorted(d)))' "$tmp/dev.json")
[ "$keys" = "attn_ns_per_head_pos,bw_eff,compute_eff,mem_bw_gbps,memory_gb,overhead_ms,peak_tflops" ] || fail "profile keys: $keys"
printf '%s\n' "$out" | grep -q '^forward_attention: [0-9.]* ns per head and position ' || fail "no forward_attention line"
# the probe's chunk at position 1024 attends 65,536 more positions per head than at 0:
# it must have measured a positive cost
python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["attn_ns_per_head_pos"] > 0 else 1)' \
  "$tmp/dev.json" || fail "attn_ns_per_head_pos not positive"
# paste the profile into a scenario as a node's device: it must validate and run
python3 - "$src/scenarios/default.json" "$tmp/dev.json" "$tmp/s.json" <<'PY' || fail "building the scenario"
import json, sys
s = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
s["nodes"][0]["device"] = d
json.dump(s, open(sys.argv[3], "w"))
PY
"$bin" validate "$tmp/s.json" >/dev/null 2>"$tmp/err" || fail "validate: $(cat "$tmp/err")"
"$bin" run "$tmp/s.json" --db "$tmp/r.db" --set workload.n_requests=5 -q >/dev/null 2>"$tmp/err" \
  || fail "run: $(cat "$tmp/err")"

"$bin" calibrate --threads x >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 64 ] || fail "--threads x: exit $rc"
grep -qx 'shardsim calibrate: --threads: expected an integer 0..1024, got "x"' "$tmp/err" || fail "--threads message: $(cat "$tmp/err")"
"$bin" calibrate --bogus >/dev/null 2>&1; rc=$?
[ $rc -eq 64 ] || fail "--bogus: exit $rc"
"$bin" calibrate --quick --rounds 1 --out "$tmp/no/such/dir/dev.json" >/dev/null 2>&1; rc=$?
[ $rc -eq 73 ] || fail "unwritable --out: exit $rc"
"$bin" calibrate --help | grep -q '^Usage: shardsim calibrate' || fail "--help"

# a forced kernel is the user's: reported as such, never replaced
# (Haswell kernels need AVX2 and FMA: only where the CPU has them)
if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
  out=$(OPENBLAS_CORETYPE=Haswell "$bin" calibrate --quick --rounds 1) || fail "forced Haswell: exit $?"
  printf '%s\n' "$out" | grep -q '^blas_core: Haswell (OPENBLAS_CORETYPE=Haswell)$' \
    || fail "forced kernel line: $(printf '%s\n' "$out" | head -1)"
fi

[ $failed -eq 0 ] && echo "calibrate: ok"
exit $((failed > 0))
