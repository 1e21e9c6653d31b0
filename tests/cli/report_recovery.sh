#!/usr/bin/env bash
# `shardsim report` prints the recovery metrics (issue 11 item 6) of a run
# whose numbers are counted by hand: check_sim's stale-view scenario (two
# nodes, round-robin, one request at a time, 1 s each; n-0 dies at 1.5 s and
# its record stays routable until it expires). By the hand count there
# (check_sim.c, test_a_dead_node_is_routed_to_until_its_record_expires):
# requests 2, 17 and 48 are sent to the dead node once each and recover at
# once: retries 3, recovery 0 s (mean 0 over 3 requests), nothing replayed,
# 3 sends to dead nodes by 3 requests, every chain 1 hop. Nothing moves
# (placement uniform), so no rebalancing line.
# Usage: report_recovery.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # name, condition...
  local name=$1; shift
  if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi
}
cat >"$tmp/s.json" <<'JSON'
{"version": 1, "seed": 2, "horizon_s": 1000,
 "model": {"synthetic": {"n_blocks": 1, "service_time_s": 1, "activation_bytes": 0}},
 "network": {"regions": ["a"], "rtt_ms": [[0]]},
 "nodes": [{"name": "n", "count": 2, "region": "a", "device":
   {"peak_tflops": 1, "mem_bw_gbps": 1, "memory_gb": 1}}],
 "placement": {"policy": "uniform", "spans": 1},
 "routing": {"policy": "round-robin", "view": "announced"},
 "faults": [{"node": "n-0", "down_at_s": 1.5}],
 "workload": {"arrivals": {"closed": {"users": 1, "think_time_s": 0}},
   "n_requests": 120, "prompt_tokens": 1, "output_tokens": 1, "client_region": "a"}}
JSON
out=$("$bin" run "$tmp/s.json" --db "$tmp/r.db"); rc=$?
check "run exits 0" test $rc -eq 0
check "120 requests ok" grep -q "120 ok / 120 total" <<<"$out"
check "retries and recovery time" \
  grep -qx "recovery         retries 3, recovery 0 s (mean 0 s per recovered request)" <<<"$out"
check "recomputed tokens and dead sends" \
  grep -qx "                 tokens recomputed 0, sends to dead nodes 3 (3 requests)" <<<"$out"
check "route length" grep -qx "route length     mean 1 hops" <<<"$out"
check "no rebalancing line without moves" test "$(grep -c '^rebalancing' <<<"$out")" = 0
rep=$("$bin" report "$tmp/r.db"); rc=$?
check "report exits 0" test $rc -eq 0
check "report prints the same recovery lines" \
  test "$(grep -A2 '^recovery' <<<"$rep")" = "$(grep -A2 '^recovery' <<<"$out")"
echo "report_recovery: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
