#!/usr/bin/env bash
# Issue 11 items 5 and 6 in real mode: `shardsim generate` prints llama2.c's
# greedy reference text (reference_greedy_n256.txt) byte for byte with every
# routing policy, both communication patterns (routing.pattern) and a node
# failure mid-generation, with and without a client endpoint (its NIC, last
# mile and device only change times, never the text).
#
# Two failure worlds on stories260K (5 blocks; codec fp32, so cutting a span
# in two does not change a bit):
#  - "split": petals placement with memories chosen so that laptop-paris
#    holds [0, 2), desktop-berlin [2, 5), rtx3060-berlin [0, 1), nuc-warsaw
#    and rtx3090-warsaw [1, 2) (checked below with `run` and sqlite3). When
#    laptop-paris dies, no node covers [0, 2): the reroute is a 2-hop chain
#    whose new caches are rebuilt by replaying the stored inputs through
#    both new nodes. Policies that did not route through laptop-paris
#    (random and max-throughput choose rtx3060-berlin here) get a second
#    case where rtx3060-berlin dies instead.
#  - "replica" (fixed and central-queue reroute within a span only): spans
#    [0, 2) and [2, 5) with replicas; desktop-berlin dies, a replica takes
#    over.
# Usage: generate_policies.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2 shared=$3
cd "$src" || exit 1
ref=$shared/assets/stories260K/reference_greedy_n256.txt
scn=scenarios/stories260k.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
fail() { echo "FAIL: $*"; head -c 300 "$tmp/err"; failed=$((failed + 1)); }
same() { # name, extra args...: the reference text; sets $recov (recovery attempts)
  local name=$1; shift
  recov=0
  if "$bin" generate "$scn" "$@" >"$tmp/out" 2>"$tmp/err" && cmp -s "$tmp/out" "$ref"; then
    passed=$((passed + 1))
    recov=$(sed -n 's/.*, \([0-9]*\) recovery attempts.*/\1/p' "$tmp/err" | tail -1)
  else
    fail "$name"
  fi
}
split=(--set placement.policy=petals --set routing.view=truth
       --set 'nodes[0].device.memory_gb=0.0143' --set 'nodes[1].device.memory_gb=0.0167'
       --set 'nodes[2].device.memory_gb=0.012' --set 'nodes[3].device.memory_gb=0.012'
       --set 'nodes[4].device.memory_gb=0.012')
replica=(--set placement.policy=manual --set 'placement.cuts=[2]' --set routing.view=truth
         --set 'faults=[{"node":"desktop-berlin","down_at_s":0.2}]')
client='{"uplink_mbps":20,"downlink_mbps":100,"last_mile_ms":8,"device":"cpu-8core"}'

# the split world's placement, as the header says
"$bin" run "$scn" --db "$tmp/p.db" -q "${split[@]}" --set workload.n_requests=1 2>"$tmp/err" ||
  fail "split placement run"
spans=$(sqlite3 "$tmp/p.db" "select group_concat(first_block || '-' || end_block, ' ')
                             from (select * from nodes order by id)")
if [ "$spans" = "0-2 2-5 0-1 1-2 1-2" ]; then passed=$((passed + 1)); else
  echo "FAIL: split placement is '$spans'"; failed=$((failed + 1)); fi

for pat in server-to-server client-relayed; do
  for p in fixed central-queue; do
    same "$p, $pat, replica failover" "${replica[@]}" --set routing.policy=$p \
      --set routing.pattern=$pat
    [ "$recov" -ge 1 ] || fail "$p, $pat: no recovery"
  done
  for p in petals random round-robin swarm max-throughput nesa; do
    same "$p, $pat" --set routing.policy=$p --set routing.pattern=$pat
    same "$p, $pat, client endpoint" --set routing.policy=$p --set routing.pattern=$pat \
      --set "client=$client"
    same "$p, $pat, 2-hop reroute" "${split[@]}" --set routing.policy=$p \
      --set routing.pattern=$pat --set 'faults=[{"node":"laptop-paris","down_at_s":0.2}]'
    r1=$recov
    same "$p, $pat, rtx3060 dies" "${split[@]}" --set routing.policy=$p \
      --set routing.pattern=$pat --set 'faults=[{"node":"rtx3060-berlin","down_at_s":0.2}]'
    [ $((r1 + recov)) -ge 1 ] || fail "$p, $pat: neither failure hit the route"
  done
done
echo "generate_policies: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
