#!/usr/bin/env bash
# layering_selftest.sh SRC - the layering check must fail on each kind of
# violation: run tests/layering.sh on a scratch copy of SRC's mapped folders,
# first as is (must pass), then with one violation planted at a time (must
# fail, naming the culprit).
set -u
src=${1:?usage: layering_selftest.sh SRC}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

fresh() {
    rm -rf "$tmp/t"
    mkdir -p "$tmp/t/tests"
    cp "$src/tests/layers.def" "$src/tests/layering.sh" "$tmp/t/tests/"
    while read -r folder _; do
        case $folder in '' | '#'*) continue ;; esac
        mkdir -p "$tmp/t/$folder"
        cp "$src/$folder"/*.[ch] "$src/$folder/CMakeLists.txt" "$tmp/t/$folder/" 2>/dev/null
    done <"$src/tests/layers.def"
}
check() { # NAME EXPECTED-EXIT PATTERN
    out=$(bash "$tmp/t/tests/layering.sh" "$tmp/t" 2>&1)
    rc=$?
    if [ "$rc" != "$2" ] || ! grep -qE -- "$3" <<<"$out"; then
        echo "FAIL $1: exit $rc (want $2), output:"
        echo "$out" | sed 's/^/    /'
        fails=$((fails + 1))
    else
        echo "ok   $1"
    fi
}

fresh
check "the tree as it is obeys the map" 0 "^layering: ok"

fresh
echo '#include "sim_run.h"' >>"$tmp/t/compression/comp_codec.c"
check "an upward include (compression -> sim) fails" 1 'compression/comp_codec.c:[0-9]+: includes "sim_run.h" of sim/'

fresh
echo '#include "ana_store.h"' >>"$tmp/t/sim/sim_engine.h"
check "an upward include in a header (sim -> analysis) fails" 1 'sim/sim_engine.h:[0-9]+: includes "ana_store.h" of analysis/'

fresh
echo '#include "no_such_header.h"' >>"$tmp/t/models/model_desc.c"
check "an include of no mapped folder fails" 1 'models/model_desc.c:[0-9]+: includes "no_such_header.h", a header of no mapped folder'

fresh
sed -i 's/ss_folder_library(ss_model ss_base/ss_folder_library(ss_model ss_comp ss_base/' "$tmp/t/models/CMakeLists.txt"
check "a link beyond the declared dependencies fails" 1 'models/CMakeLists.txt links \[ ss_base ss_comp \]'

fresh
sed -i -E 's/^(routing +ss_route +)(.*)$/\1compression \2/' "$tmp/t/tests/layers.def"
check "a declared but unused dependency fails" 1 'routing/ declares a dependency on compression/'

fresh
sed -i -E 's/^(base +ss_base +)-$/\1sim/' "$tmp/t/tests/layers.def"
check "a cycle (base -> sim) fails" 1 'base depends on sim, which is not listed above it'

fresh
mkdir -p "$tmp/t/stray" && echo 'int x;' >"$tmp/t/stray/stray.c"
check "a source folder missing from the map fails" 1 'stray/ holds C sources but is not in'

[ $fails = 0 ] && echo "layering self-test: all cases behave" || echo "layering self-test: $fails case(s) failed"
exit $((fails > 0))
