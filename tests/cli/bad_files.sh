#!/usr/bin/env bash
# The bad-file corpus (tests/bad/files/gen.py: checkpoints, tokenizers, GGUF,
# safetensors, traces, churn traces, results databases, sweep files,
# baselines; each cut or edited from a real file) through the CLI: each case
# exits with its documented status (no crash: < 128), prints exactly one
# line on stderr containing the expected text (file, where, what was
# expected), changes none of its input files, and stores nothing.
# Usage: bad_files.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2 shared=$3
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$src/tests/bad/files/gen.py" "$tmp" "$shared" "$bin" >/dev/null || { echo "FAIL: gen.py"; exit 1; }
passed=0 failed=0 n=0
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }
while IFS=$'\t' read -r name code cmd want; do
  n=$((n + 1))
  d=$tmp/$name
  before=$(cd "$d" && sha256sum -- * | sort)
  c=${cmd//\{bin\}/\"$bin\"}
  c=${c//\{db\}/out.db}
  (cd "$d" && timeout 120 bash -c "$c" >/dev/null 2>err.txt); rc=$?
  # SQLite's WAL side files (-wal, -shm) appear when a WAL database is
  # opened; the database file itself must not change
  after=$(cd "$d" && sha256sum -- $(ls | grep -v -e '^err.txt$' -e '^out.db' -e '-wal$' -e '-shm$') | sort)
  if [ "$rc" -ne "$code" ]; then fail "$name: exit $rc, want $code: $(head -c 300 "$d/err.txt")"; continue; fi
  if [ "$(wc -l <"$d/err.txt")" -ne 1 ]; then fail "$name: stderr has $(wc -l <"$d/err.txt") lines, want 1"; continue; fi
  if ! grep -qF -- "$want" "$d/err.txt"; then fail "$name: stderr lacks '$want': $(cat "$d/err.txt")"; continue; fi
  if [ "$before" != "$after" ]; then fail "$name: an input file changed"; continue; fi
  if [ -e "$d/out.db" ] && [ "$(sqlite3 "$d/out.db" 'select count(*) from runs' 2>/dev/null || echo 0)" != 0 ]; then
    fail "$name: a run was stored"; continue
  fi
  passed=$((passed + 1))
done <"$tmp/cases.tsv"
echo "bad_files: $n cases, $passed passed, $failed failed"
[ "$n" -ge 60 ] || { echo "FAIL: only $n cases (want >= 60)"; exit 1; }
[ "$failed" -eq 0 ]
