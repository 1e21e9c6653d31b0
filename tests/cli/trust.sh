#!/usr/bin/env bash
# Adversaries and defences in real mode (issue 15), stories260K with all
# five nodes serving the one span (placement.spans=1; fixed routing sends
# every pass to laptop-paris, consensus adds desktop-berlin and
# rtx3060-berlin, the next replicas in placement order):
# - corruption on, no defence: the generated text differs from llama2.c's
#   reference; a free-rider (stale outputs) changes it too;
# - consensus k = 3 with one corrupting node (honest majority): the text
#   equals the reference byte for byte; the same for the free-rider, and
#   `run` + `report` show it caught at every step it answered;
# - two nodes flipping signs (identical wrong tensors) out-vote the honest
#   one under k = 3: the text differs;
# - k larger than a span's replicas: validate and run exit 65 with the
#   JSON path, nothing stored.
# Usage: trust.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2 shared=$3
cd "$src" || exit 1
ref=$shared/assets/stories260K/reference_greedy_n256.txt
scn=scenarios/stories260k.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
gen() { "$bin" generate "$scn" -q --set placement.spans=1 "$@" >"$tmp/out" 2>"$tmp/err"; }
one='adversaries={"nodes":["laptop-paris"]}'
fr='adversaries={"nodes":["laptop-paris"],"behaviour":"freeride"}'
k3='defences={"consensus":{"k":3}}'

gen && cmp -s "$tmp/out" "$ref" && ok || fail "no adversary: reference text"
gen --set "$one" && ! cmp -s "$tmp/out" "$ref" && ok || fail "corrupting primary, no defence: text should differ"
gen --set 'adversaries={"fraction":1,"kind":"bias","noise":0.5}' && ! cmp -s "$tmp/out" "$ref" && ok ||
  fail "bias on every node: text should differ"
gen --set "$fr" && ! cmp -s "$tmp/out" "$ref" && ok || fail "free-rider, no defence: text should differ"
gen --set "$one" --set "$k3" && cmp -s "$tmp/out" "$ref" && ok || fail "k=3, honest majority: reference text"
gen --set "$fr" --set "$k3" && cmp -s "$tmp/out" "$ref" && ok || fail "k=3 against a free-rider: reference text"
gen --set 'adversaries={"nodes":["laptop-paris","desktop-berlin"],"kind":"sign"}' --set "$k3" &&
  ! cmp -s "$tmp/out" "$ref" && ok || fail "k=3, colluding majority: text should differ"

# the free-rider caught: every pass's step is verified and every one is a
# detected fault (the stale output never equals the fresh one); 20 requests
# of 1 + 64 passes each
"$bin" run "$scn" --db "$tmp/r.db" --set placement.spans=1 --set "$fr" --set "$k3" >"$tmp/rep" 2>&1 ||
  fail "run with a free-rider"
grep -q "^verification     1300 steps verified, 1300 faults detected (rate 1), overhead 2, corrupted tokens undetected 0" "$tmp/rep" &&
  ok || { fail "free-rider not caught"; grep -A1 '^trust' "$tmp/rep"; }
v=$(sqlite3 "$tmp/r.db" "SELECT value FROM metrics WHERE name = 'trust_faults_detected'")
[ "$v" = "1300.0" ] && ok || fail "metrics row trust_faults_detected = '$v'"

# k above a span's replicas: a synthetic two-node world, one span each
cat >"$tmp/k.json" <<'JSON'
{"version": 1, "model": {"synthetic": {"n_blocks": 2, "service_time_s": 0.01}},
 "network": {"regions": ["a"], "rtt_ms": [[1]]},
 "nodes": [{"name": "n", "count": 2, "region": "a",
            "device": {"peak_tflops": 1, "mem_bw_gbps": 1, "memory_gb": 1}}],
 "placement": {"policy": "uniform", "spans": 2},
 "workload": {"arrivals": {"poisson": {"rate_per_s": 1}}, "n_requests": 2,
              "prompt_tokens": 1, "output_tokens": 1, "client_region": "a"},
 "defences": {"consensus": {"k": 2}}}
JSON
want="$tmp/k.json: defences.consensus.k: expected at most the replicas of every span (1 of blocks [0, 1)), got 2"
for cmd in validate run; do
  "$bin" $cmd "$tmp/k.json" --db "$tmp/k.db" >/dev/null 2>"$tmp/err"
  rc=$?
  if [ "$cmd" = validate ]; then "$bin" validate "$tmp/k.json" >/dev/null 2>"$tmp/err"; rc=$?; fi
  [ $rc -eq 65 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -qF "$want" "$tmp/err" && ok ||
    { fail "$cmd: k above replicas (rc $rc)"; cat "$tmp/err"; }
done
n=$(sqlite3 "$tmp/k.db" "SELECT count(*) FROM runs" 2>/dev/null || echo 0)
[ "$n" = 0 ] && ok || fail "a rejected scenario stored $n runs"

# scenarios/adversarial.json: the comparison over defences runs and prints
# the trust tables (shown only when runs stored them); consensus delivers no
# corrupted token (k = 2: any disagreement has no majority and goes to the
# trusted node; k = 3: at most one noisy output disagrees with the rest or
# there is no majority), no defence delivers some
"$bin" compare scenarios/adversarial.json --seeds 2 --db "$tmp/c.db" >"$tmp/cmp" 2>"$tmp/err" ||
  { fail "compare adversarial.json"; cat "$tmp/err"; }
for m in trust_detection_rate trust_faults_detected trust_corrupted_tokens trust_verification_overhead; do
  grep -q "^# $m\$" "$tmp/cmp" && ok || fail "compare: no table $m"
done
awk '/^# trust_corrupted_tokens$/ {t = 1; next} /^# / {t = 0}
     t && $1 == "none" {n = $3} t && $1 ~ /^consensus/ && $3 != 0 {bad = 1}
     END {exit !(n > 0 && !bad)}' "$tmp/cmp" && ok || fail "compare: corrupted tokens per defence"
"$bin" compare scenarios/compare-routing.json --seeds 1 --db "$tmp/c2.db" >"$tmp/cmp2" 2>/dev/null
grep -q "^# trust" "$tmp/cmp2" && fail "trust tables in a comparison without adversaries" || ok

# overclaim: rtx3090-fra (Frankfurt, blocks [0, 8)) announces 20x its
# speeds; under petals routing on announced records it takes span [0, 8)
# from a100-0 (Washington), which honest records give every request; under
# routing.view "truth" nothing changes
tasks() { sqlite3 "$1" "SELECT n_tasks FROM nodes WHERE name = '$2'"; }
oc='adversaries={"nodes":["rtx3090-fra"],"behaviour":"overclaim","factor":20}'
petals() { "$bin" run scenarios/default.json --db "$tmp/$1.db" --set routing.policy=petals \
  --set workload.n_requests=60 "${@:2}" >/dev/null 2>&1 || fail "run $1"; }
petals oc0; petals oc1 --set "$oc"; petals oc2 --set "$oc" --set routing.view=truth
[ "$(tasks "$tmp/oc0.db" rtx3090-fra)" = 0 ] && [ "$(tasks "$tmp/oc1.db" rtx3090-fra)" -gt 0 ] &&
  [ "$(tasks "$tmp/oc1.db" a100-0)" -lt "$(tasks "$tmp/oc0.db" a100-0)" ] && ok ||
  fail "overclaim: rtx3090-fra $(tasks "$tmp/oc0.db" rtx3090-fra) -> $(tasks "$tmp/oc1.db" rtx3090-fra) tasks"
[ "$(tasks "$tmp/oc2.db" rtx3090-fra)" = 0 ] && ok || fail "overclaim fooled the truth view"

echo "trust: $passed passed, $failed failed"
[ $failed -eq 0 ]
