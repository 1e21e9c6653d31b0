#!/usr/bin/env bash
# layering.sh [ROOT] - check the folder map of tests/layers.def against the
# tree: every #include "..." goes only to the folder itself or a declared
# dependency, every folder's CMake link list equals its declared dependencies,
# every declared dependency is used, every source folder is mapped, and the
# map is a DAG (a folder lists only folders above it in the file).
# Prints one line per violation; exit 0 when the tree obeys the map, 1 when
# not, 2 when the map itself cannot be read.
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
map=$root/tests/layers.def
[ -r "$map" ] || { echo "layering: $map: cannot read the folder map" >&2; exit 2; }

declare -A lib deps seen hdr used
order=()
bad=0
complain() { echo "layering: $*"; bad=1; }

# --- the map --------------------------------------------------------------
lineno=0
while read -r folder library rest; do
    lineno=$((lineno + 1))
    case $folder in '' | '#'*) continue ;; esac
    if [ -z "$library" ] || [ -z "$rest" ]; then
        echo "layering: $map:$lineno: expected FOLDER LIBRARY DEPENDENCIES..." >&2
        exit 2
    fi
    [ -d "$root/$folder" ] || complain "$map:$lineno: folder $folder/ does not exist"
    [ "$rest" = "-" ] && rest=""
    for d in $rest; do
        [ -n "${seen[${d%/h}]:-}" ] ||
            complain "$map:$lineno: $folder depends on $d, which is not listed above it (the map must be a DAG in dependency order)"
    done
    lib[$folder]=$library
    deps[$folder]=" $rest "
    seen[$folder]=1
    order+=("$folder")
done <"$map"

# --- every folder with C sources is mapped (tests/ and build trees aside) --
for d in "$root"/*/; do
    f=${d%/}
    f=${f##*/}
    case $f in tests | build*) continue ;; esac
    if compgen -G "$d*.c" >/dev/null || compgen -G "$d*.h" >/dev/null; then
        [ -n "${seen[$f]:-}" ] || complain "$f/ holds C sources but is not in $map"
    fi
done

# --- which folder owns each header -----------------------------------------
for f in "${order[@]}"; do
    for h in "$root/$f"/*.h; do
        [ -e "$h" ] || continue
        b=${h##*/}
        if [ -n "${hdr[$b]:-}" ]; then
            complain "header $b exists in both ${hdr[$b]}/ and $f/ (includes would be ambiguous)"
        fi
        hdr[$b]=$f
    done
done

# --- includes ----------------------------------------------------------------
for f in "${order[@]}"; do
    for src in "$root/$f"/*.c "$root/$f"/*.h; do
        [ -e "$src" ] || continue
        while IFS=: read -r ln inc; do
            [[ $inc =~ \"([^\"]*)\" ]] && name=${BASH_REMATCH[1]}
            owner=${hdr[${name##*/}]:-}
            if [ -z "$owner" ]; then
                complain "$f/${src##*/}:$ln: includes \"$name\", a header of no mapped folder"
            elif [ "$owner" != "$f" ]; then
                if [[ "${deps[$f]}" == *" $owner "* || "${deps[$f]}" == *" $owner/h "* ]]; then
                    used[$f:$owner]=1
                else
                    complain "$f/${src##*/}:$ln: includes \"$name\" of $owner/, which $f/ may not use (tests/layers.def: $f ->${deps[$f]:- nothing})"
                fi
            fi
        done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$src")
    done
done

# --- declared dependencies are used, and linked exactly --------------------
for f in "${order[@]}"; do
    want=""
    for d in ${deps[$f]}; do
        [ -n "${used[$f:${d%/h}]:-}" ] || complain "$f/ declares a dependency on ${d%/h}/ but includes none of its headers"
        [ "${d%/h}" = "$d" ] && want="$want ${lib[$d]}" # a headers-only edge links nothing
    done
    cm=$root/$f/CMakeLists.txt
    if [ ! -r "$cm" ]; then
        complain "$f/CMakeLists.txt is missing"
        continue
    fi
    # the arguments of the folder's ss_folder_library(LIB ...) or
    # target_link_libraries(LIB ...) call, over any number of lines
    args=$(tr '\n' ' ' <"$cm" | grep -oE "(ss_folder_library|target_link_libraries)\([[:space:]]*${lib[$f]}[[:space:]][^)]*\)" | head -1)
    if [ -z "$args" ]; then
        complain "$f/CMakeLists.txt: no ss_folder_library(${lib[$f]} ...) or target_link_libraries(${lib[$f]} ...)"
        continue
    fi
    have=$(grep -oE '\bss_[a-z]+\b' <<<"$args" | grep -vxE "${lib[$f]}|ss_gsl|ss_folder_library" | sort -u | tr '\n' ' ')
    want=$(tr ' ' '\n' <<<"$want" | grep -v '^$' | sort -u | tr '\n' ' ')
    [ "$have" = "$want" ] ||
        complain "$f/CMakeLists.txt links [ ${have}] but tests/layers.def declares [ ${want}]"
done

[ $bad = 0 ] && echo "layering: ok (${#order[@]} folders)"
exit $bad
