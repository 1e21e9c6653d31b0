#!/usr/bin/env bash
# `shardsim eval` end to end: figures printed and stored in `accuracy`, a
# repeated evaluation recognised, wrong task/model combinations and bad
# options refused with the documented exit codes.
# Usage: eval.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { local name=$1; shift; if "$@"; then passed=$((passed + 1)); else echo "FAIL: $name"; failed=$((failed + 1)); fi; }
db=$tmp/e.db
out=$("$bin" eval scenarios/mnist.json --task mnist --images 300 --db "$db" -q); rc=$?
check "mnist eval exits 0" test $rc -eq 0
check "mnist prints accuracy" grep -q "^accuracy " <<<"$out"
check "mnist accuracy stored" test "$(sqlite3 "$db" "select count(*) from accuracy where metric = 'accuracy' and value > 0.95")" = 1
check "300 images stored" test "$(sqlite3 "$db" "select value from accuracy where metric = 'n_images'")" = 300.0
"$bin" eval scenarios/mnist.json --task mnist --images 300 --db "$db" -q >"$tmp/again" 2>"$tmp/err"; rc=$?
check "repeat exits 0" test $rc -eq 0
check "repeat recognised" grep -q "already stored as run 1" "$tmp/err"
# read back, not recomputed: the same figures, hops and wire bytes included
check "repeat prints the stored figures" test "$(grep -v '^stored as run' <<<"$out")" = "$(cat "$tmp/again")"
check "repeat stores nothing" test "$(sqlite3 "$db" 'select count(*) from runs')" = 1
out=$("$bin" eval scenarios/stories260k.json --task tinystories-ppl --stories 3 --db "$db" -q); rc=$?
check "ppl eval exits 0" test $rc -eq 0
check "ppl printed" grep -q "^perplexity " <<<"$out"
check "two evaluation runs stored" test "$(sqlite3 "$db" 'select count(*) from runs')" = 2
"$bin" eval scenarios/stories260k.json --task mnist --db "$db" >/dev/null 2>&1; check "mnist on a language model exits 65" test $? -eq 65
"$bin" eval scenarios/default.json --task tinystories-ppl --db "$db" >/dev/null 2>&1; check "analytic model exits 65" test $? -eq 65
"$bin" eval scenarios/mnist.json --task bogus >/dev/null 2>&1; check "unknown task exits 64" test $? -eq 64
"$bin" eval scenarios/mnist.json >/dev/null 2>&1; check "missing --task exits 64" test $? -eq 64
"$bin" eval scenarios/mnist.json --task mnist --images 0 >/dev/null 2>&1; check "--images 0 exits 64" test $? -eq 64
"$bin" eval scenarios/mnist.json --task mnist --data "$tmp/none" --db "$db" >/dev/null 2>&1; check "missing data exits 66" test $? -eq 66
"$bin" eval --help | grep -q "Usage: shardsim eval"; check "eval --help" test $? -eq 0
echo "eval: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
