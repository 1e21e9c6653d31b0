#!/usr/bin/env bash
# fn_length.sh MAX FILE|DIR... - fail when a function body in FILE (or in a
# DIR's *.c) is longer than MAX lines. The tree's style puts a function's opening and closing braces
# alone in column 0, so a body is the lines strictly between them.
set -u
max=${1:?usage: fn_length.sh MAX FILE|DIR...}
shift
files=()
for a in "$@"; do
    if [ -d "$a" ]; then files+=("$a"/*.c); else files+=("$a"); fi
done
awk -v max="$max" '
    /^\{/ { start = FNR; name = prev; next }
    /^\}/ && start { n = FNR - start - 1
                     if (n > max) { printf "%s:%d: %s: %d lines (at most %d)\n", FILENAME, start, name, n, max; bad = 1 }
                     start = 0 }
    { if ($0 ~ /^[A-Za-z_].*\(/) prev = $0 }
    END { exit bad }' "${files[@]}"
