#!/usr/bin/env bash
# `shardsim pareto` end to end: one row per codec, fp32 exact against itself,
# a dominated codec left off the front, one stored run per codec with its
# accuracy rows, identical output on a rerun (and nothing stored twice),
# weights at rest, the MNIST CNN, and usage errors.
# Usage: pareto.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/p.db
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { # name, condition (evaluated)
  if eval "$2"; then ok; else bad "$1"; fi
}
field() { # file, codec, column number (1 = codec)
  awk -v c="$2" -v k="$3" '$1 == c { print $k }' "$1"
}

lm=(scenarios/stories260k.json --steps 16 --stories 5 -q --db "$db")
"$bin" pareto "${lm[@]}" --codecs fp32,fp16,int4,lowrank:8 >"$tmp/a" 2>"$tmp/err"
check "exit 0 (stories260k)" '[ $? -eq 0 ]'
check "four codec rows" '[ "$(grep -cE "^(fp32|fp16|int4|lowrank:8) " "$tmp/a")" -eq 4 ]'
# columns: codec wire e2e_mean e2e_p50 ttft agreement kl_mean kl_max ppl ppl_delta front
check "fp32 agreement 1" '[ "$(field "$tmp/a" fp32 6)" = 1 ]'
check "fp32 KL 0" '[ "$(field "$tmp/a" fp32 7)" = 0 ] && [ "$(field "$tmp/a" fp32 8)" = 0 ]'
check "fp32 ppl delta 0" '[ "$(field "$tmp/a" fp32 10)" = 0 ]'
check "fp32 wire bytes 6 x (16 + 4 x 64)" '[ "$(field "$tmp/a" fp32 2)" = 1632 ]'
check "fp16 wire bytes 6 x (16 + 2 x 64)" '[ "$(field "$tmp/a" fp16 2)" = 864 ]'
check "fp32 on the front" '[ "$(field "$tmp/a" fp32 11)" = "*" ]'
check "int4 on the front (fewest bytes)" '[ "$(field "$tmp/a" int4 11)" = "*" ]'
# lowrank:8 sends more bytes per decoded row than fp32 (rank 1 of a 1 x 64
# row: 16 + 4 x 65) and is no more accurate: dominated
check "lowrank:8 off the front" '[ -z "$(field "$tmp/a" lowrank:8 11)" ]'
check "int4 KL above fp16 KL" \
  'awk -v a="$(field "$tmp/a" int4 7)" -v b="$(field "$tmp/a" fp16 7)" "BEGIN { exit !(a > b && b > 0) }"'
check "four runs stored" '[ "$(sqlite3 "$db" "select count(*) from runs")" -eq 4 ]'
check "accuracy rows per codec" \
  '[ "$(sqlite3 "$db" "select count(distinct codec) from accuracy where metric = '"'"'kl_mean'"'"'")" -eq 4 ]'
check "stored agreement of fp32 is 1" \
  '[ "$(sqlite3 "$db" "select value from accuracy where codec = '"'"'fp32'"'"' and metric = '"'"'greedy_agreement'"'"'")" = 1.0 ]'
check "latency metrics stored" \
  '[ "$(sqlite3 "$db" "select count(*) from metrics where name like '"'"'%e2e%'"'"'")" -ge 4 ]'

"$bin" pareto "${lm[@]}" --codecs fp32,fp16,int4,lowrank:8 >"$tmp/b" 2>/dev/null
check "rerun: same table" 'cmp -s "$tmp/a" "$tmp/b"'
check "rerun: nothing stored twice" '[ "$(sqlite3 "$db" "select count(*) from runs")" -eq 4 ]'

# weights at rest: nf4 weights make even the fp32 wire differ from the reference
"$bin" pareto "${lm[@]}" --codecs fp32 --set compression.weights=nf4 >"$tmp/w" 2>"$tmp/err"
check "weights nf4: exit 0" '[ $? -eq 0 ]'
check "weights nf4: KL > 0 on a lossless wire" \
  'awk -v a="$(field "$tmp/w" fp32 7)" "BEGIN { exit !(a > 0) }"'

# MNIST CNN (timed with the cost model), 200 images in passes of 100
"$bin" pareto scenarios/mnist.json --images 200 --batch 100 -q --db "$db" \
  --codecs fp32,lowrank:1 >"$tmp/m" 2>"$tmp/err"
check "mnist: exit 0" '[ $? -eq 0 ]'
# columns: codec wire e2e_mean e2e_p50 accuracy acc_delta front
check "mnist: fp32 delta 0" '[ "$(field "$tmp/m" fp32 6)" = 0 ]'
check "mnist: rank 1 loses accuracy" \
  'awk -v a="$(field "$tmp/m" lowrank:1 6)" "BEGIN { exit !(a < -0.1) }"'

# usage errors
"$bin" pareto scenarios/stories260k.json --codecs fp8 --db "$db" >/dev/null 2>"$tmp/e"
rc=$?
check "unknown codec: exit 64" '[ $rc -eq 64 ]'
check "unknown codec: named" 'grep -q "unknown codec \"fp8\"" "$tmp/e"'
"$bin" pareto scenarios/stories260k.json --db "$db" >/dev/null 2>&1
check "no --codecs: exit 64" '[ $? -eq 64 ]'
"$bin" pareto scenarios/default.json --codecs fp16 --db "$db" >/dev/null 2>"$tmp/e"
check "analytic model: exit 65" '[ $? -eq 65 ]'
SHARDSIM_ASSETS=$tmp/no-assets "$bin" pareto scenarios/stories260k.json --codecs fp16 --stories 2 \
  --db "$db" >/dev/null 2>"$tmp/e"
check "SHARDSIM_ASSETS honoured: missing corpus exits 66" '[ $? -eq 66 ]'
check "SHARDSIM_ASSETS honoured: names the folder" 'grep -q "$tmp/no-assets/tinystories" "$tmp/e"'
check "database untouched by the errors" '[ "$(sqlite3 "$db" "select count(*) from runs")" -eq 7 ]'

echo "pareto: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
