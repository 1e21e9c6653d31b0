#!/usr/bin/env bash
# Issue 11, must show: on the volunteer swarm, `petals` routing beats
# `random` on p50 end-to-end latency over 10 seeds. Seeds 1 .. 10, the
# shipped scenario with 100 requests (workload.n_requests, as
# compare-routing.json) so the 20 runs take well under 90 s. Asserted:
# petals' p50 < random's on at least 9 of 10 seeds, and the mean of the ten
# p50s lower too. The numbers are printed for the record.
# Usage: petals_vs_random.sh SHARDSIM SOURCE_DIR SHARED_DIR
set -u
bin=$1 src=$2
cd "$src" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OPENBLAS_NUM_THREADS=1
wins=0 sum_p=0 sum_r=0 failed=0
p50() { # policy seed -> p50 end-to-end latency, s
  "$bin" run scenarios/volunteer-swarm.json --db "$tmp/$1.db" --seed "$2" -q \
    --set routing.policy="$1" --set workload.n_requests=100 || return 1
  sqlite3 "$tmp/$1.db" "select value from metrics where name = 'e2e_s_p50' and run_id =
    (select max(id) from runs)"
}
for seed in 1 2 3 4 5 6 7 8 9 10; do
  p=$(p50 petals "$seed") && r=$(p50 random "$seed") || { echo "FAIL: run seed $seed"; exit 1; }
  win=$(awk -v p="$p" -v r="$r" 'BEGIN { print (p < r) ? 1 : 0 }')
  wins=$((wins + win))
  sum_p=$(awk -v a="$sum_p" -v b="$p" 'BEGIN { printf "%.9f", a + b }')
  sum_r=$(awk -v a="$sum_r" -v b="$r" 'BEGIN { printf "%.9f", a + b }')
  echo "seed $seed: p50 petals $p s, random $r s$([ "$win" = 1 ] || echo '  (random wins)')"
done
mean_p=$(awk -v s="$sum_p" 'BEGIN { printf "%.3f", s / 10 }')
mean_r=$(awk -v s="$sum_r" 'BEGIN { printf "%.3f", s / 10 }')
echo "petals wins $wins of 10; mean p50 petals $mean_p s, random $mean_r s"
[ "$wins" -ge 9 ] || { echo "FAIL: petals won only $wins of 10 seeds"; failed=1; }
awk -v p="$sum_p" -v r="$sum_r" 'BEGIN { exit !(p < r) }' || { echo "FAIL: mean p50"; failed=1; }
[ "$failed" -eq 0 ]
