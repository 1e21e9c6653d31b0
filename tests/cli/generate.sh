#!/usr/bin/env bash
# `shardsim generate` through the simulated pipeline equals llama2.c's
# published greedy output (reference_greedy_n256.txt) byte for byte: for all
# 16 ways to cut stories260K's 5 layers into contiguous spans (1..5 spans),
# with every routing policy, and when a node serving a span fails mid-generation (failover to a replica;
# the same node restarting; a failure during the prompt's prefill).
# Usage: generate.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2 shared=$3
cd "$src" || exit 1
ref=$shared/assets/stories260K/reference_greedy_n256.txt
scn=scenarios/stories260k.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
same() { # name, extra args...
  local name=$1; shift
  if "$bin" generate "$scn" "$@" >"$tmp/out" 2>"$tmp/err" && cmp -s "$tmp/out" "$ref"; then
    passed=$((passed + 1))
  else
    echo "FAIL: $name"; head -c 300 "$tmp/err"; failed=$((failed + 1))
  fi
}
for mask in $(seq 0 15); do
  cuts=""
  for b in 1 2 3 4; do
    if [ $(( (mask >> (b - 1)) & 1 )) -eq 1 ]; then cuts="$cuts${cuts:+,}$b"; fi
  done
  same "split cuts [$cuts]" --set placement.policy=manual --set "placement.cuts=[$cuts]"
done
# spans [0,2) on nodes 0, 2, 4 and [2,5) on nodes 1, 3: node 1 dies at 2 s, node 3 takes over
# (routers see the truth here: with announced records "fixed", which keeps no
# ban list, would retry the dead node with backoff until its record expires)
same "failover to a replica" --set placement.policy=manual --set 'placement.cuts=[2]' \
  --set 'faults=[{"node":"desktop-berlin","down_at_s":2.0}]' --set routing.view=truth
grep -q "1 recovery attempts" "$tmp/err" || { echo "FAIL: failover not reported"; failed=$((failed + 1)); }
# 5 spans, no replicas: node 3 restarts, the session waits (backoff) and replays its inputs
same "restart of the only node of a span" --set 'faults=[{"node":"nuc-warsaw","down_at_s":2.0,"up_at_s":5}]'
# failure while the first pass is in flight
same "failure during the first pass" --set placement.policy=manual --set 'placement.cuts=[1,3]' \
  --set 'faults=[{"node":"laptop-paris","down_at_s":0.001}]'
# every routing policy, alone and with a failover mid-generation (the
# policy's reroute picks the replica; replay rebuilds the cache exactly)
for p in central-queue petals random round-robin swarm max-throughput nesa; do
  same "routing $p" --set routing.policy=$p
  same "routing $p, failover" --set routing.policy=$p --set placement.policy=manual \
    --set 'placement.cuts=[2]' --set 'faults=[{"node":"desktop-berlin","down_at_s":2.0}]'
  same "routing $p, restart" --set routing.policy=$p \
    --set 'faults=[{"node":"nuc-warsaw","down_at_s":2.0,"up_at_s":5}]'
done
# every placement policy, under fixed and petals routing
for pl in petals mtpp memory-greedy; do
  for p in fixed petals; do
    same "placement $pl, routing $p" --set placement.policy=$pl --set routing.policy=$p
  done
done
# a span with no node ever again: the session fails cleanly with a non-zero exit
"$bin" generate "$scn" --set 'faults=[{"node":"nuc-warsaw","down_at_s":1.0}]' >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 65 ] && grep -q "session failed" "$tmp/err"; then passed=$((passed + 1)); else echo "FAIL: lost span (rc $rc)"; failed=$((failed + 1)); fi
# bad model file: one line naming the file, exit 65 or 66
"$bin" generate "$scn" --model "$tmp/none.bin" >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc -eq 66 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q none.bin "$tmp/err"; then passed=$((passed + 1)); else echo "FAIL: missing model (rc $rc)"; cat "$tmp/err"; failed=$((failed + 1)); fi
head -c 1000 "$shared/assets/stories260K/stories260K.bin" >"$tmp/trunc.bin"
"$bin" generate "$scn" --model "$tmp/trunc.bin" >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc -eq 65 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then passed=$((passed + 1)); else echo "FAIL: truncated model (rc $rc)"; cat "$tmp/err"; failed=$((failed + 1)); fi
# the loader is chosen by content: the GGUF copy of stories260K (bit-identical
# weights) prints the same reference text, with the same (default) arguments
same "GGUF weights via --model" --model "$shared/assets/stories260K/stories260K.gguf"
# ... and a GGUF file whatever its extension
cp "$shared/assets/stories260K/stories260K.gguf" "$tmp/gguf_named.bin"
same "GGUF content named .bin" --model "$tmp/gguf_named.bin"
# eval takes it too (perplexity of 3 stories; the GGUF says context_length 2048)
"$bin" eval "$scn" --task tinystories-ppl --stories 3 --db "$tmp/e.db" -q \
  --model "$shared/assets/stories260K/stories260K.gguf" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 0 ] && grep -q "^perplexity " "$tmp/out"; then passed=$((passed + 1)); else echo "FAIL: eval --model gguf (rc $rc)"; cat "$tmp/err"; failed=$((failed + 1)); fi
# content no loader recognises: one line naming the file and what was expected, exit 65
printf 'not a model\n' >"$tmp/text.gguf"
"$bin" generate "$scn" --model "$tmp/text.gguf" >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc -eq 65 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "text.gguf: unrecognised model file.*expected GGUF" "$tmp/err"; then passed=$((passed + 1)); else echo "FAIL: unrecognised model (rc $rc)"; cat "$tmp/err"; failed=$((failed + 1)); fi
# a recognised file holding another kind of network (the MNIST CNN's safetensors): exit 65, one line
"$bin" generate "$scn" --model "$shared/assets/mnist/mnist_cnn.safetensors" >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc -eq 65 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "expected the llama network.*got a cnn network" "$tmp/err"; then passed=$((passed + 1)); else echo "FAIL: CNN weights for a llama scenario (rc $rc)"; cat "$tmp/err"; failed=$((failed + 1)); fi
echo "generate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
