/* route_petals_blocks.h - Petals' placement: how many blocks a server holds,
 * which blocks a joining server takes, and whether a serving server should
 * move (swarm rebalancing).
 *
 * Sources (petals commit 22afba6, 2024-08-25):
 *   src/petals/server/server.py   Server._choose_num_blocks, Server.__init__
 *                                 (KV cache per block, balance defaults)
 *   src/petals/server/throughput.py  get_server_throughput, measure_network_rps
 *   src/petals/server/block_selection.py  compute_throughputs,
 *                                 _choose_best_start, choose_best_blocks,
 *                                 should_choose_other_blocks
 *
 * Throughput of a block b: T[b] = sum of the throughputs of the servers whose
 * span covers b, summed in server-index order (Petals sorts by peer id so the
 * float sum is reproducible; our index is that order). A joining server of
 * span length n takes the start i whose window T[i .. i+n), sorted
 * ascending, is lexicographically smallest, ties to the lowest i (Python's
 * min over (sorted(window), i) tuples). Typical sizes: tens of servers,
 * 24-80 blocks. Pure functions: no allocation, caller scratch where needed.
 */
#ifndef ROUTE_PETALS_BLOCKS_H
#define ROUTE_PETALS_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

/* throughput.py get_server_throughput(relay_penalty=0.2): a server reachable
 * only through a relay reports a fifth of its network throughput. */
#define ROUTE_PETALS_RELAY_PENALTY 0.2
/* server.py Server(balance_quality=0.75) and run_server.py --balance_quality
 * default 0.75: rebalance when the swarm is below 75% of what moving gives. */
#define ROUTE_PETALS_BALANCE_QUALITY 0.75
/* block_selection.py should_choose_other_blocks: eps = 1e-3. */
#define ROUTE_PETALS_BALANCE_EPS 1e-3
/* server.py Server.run: the next check waits U[0, 2 * period); the period is
 * 120 s in Server(mean_balance_check_period=120) (DESIGN's U[0, 240] s) but
 * 60 s in run_server.py's --mean_balance_check_period default. The waiting
 * belongs to the simulator; the constant is here for it. */
#define ROUTE_PETALS_MEAN_BALANCE_CHECK_PERIOD_S 120.0
/* server.py Server._choose_num_blocks: autograd reserve of 2 GiB per device
 * for BLOOM-176B (hidden 14336), proportional to hidden size otherwise. */
#define ROUTE_PETALS_AUTOGRAD_BYTES_AT_14336 (2.0 * 1024 * 1024 * 1024)
/* server.py Server.__init__: attn_cache_tokens default, 16384 for
 * multi-query attention models, 4096 otherwise. */
#define ROUTE_PETALS_CACHE_TOKENS 4096
#define ROUTE_PETALS_CACHE_TOKENS_MULTIQUERY 16384
/* throughput.py measure_network_rps: 16-bit activations per hidden unit. */
#define ROUTE_PETALS_BITS_PER_HIDDEN 16

/* Petals' autograd reserve in bytes: 2 GiB * n_devices / 14336 * hidden.
 * hidden >= 1 and n_devices >= 1 assumed. O(1). */
double route_petals_reserve_bytes(int64_t hidden_size, int n_devices);

/* Bytes of KV cache one block reserves (server.py Server.__init__):
 * (2 * hidden * cache_tokens) / kv_groups (integer division, as Petals'
 * //=) times bytes per element. kv_groups = heads / kv heads, >= 1. O(1). */
double route_petals_cache_bytes_per_block(int64_t hidden_size, int64_t kv_groups,
                                          int64_t cache_tokens, double bytes_per_elem);

/* Blocks a server holds (server.py _choose_num_blocks, DESIGN.md section 4):
 * floor((memory - reserve) / (block_bytes + kv_bytes_per_block)), at most
 * n_model_blocks. block_bytes comes from the caller (the weight codec's
 * exact bytes). Inputs in bytes, finite, memory/reserve/kv >= 0,
 * block_bytes > 0, n_model_blocks >= 1; else SS_EINVAL. Fewer than one
 * block: SS_EFULL (Petals asserts) with *out = 0. O(1). */
ss_status route_petals_num_blocks(double memory_bytes, double reserve_bytes, double block_bytes,
                                  double kv_bytes_per_block, int n_model_blocks, int *out,
                                  char *err, size_t errlen);

/* Network throughput in tokens/s (throughput.py measure_network_rps):
 * min(down, up) bits/s / (hidden * 16 bits). O(1). */
double route_petals_network_rps(double down_bits_per_s, double up_bits_per_s, int64_t hidden_size);

/* A server's reported throughput in tokens/s (throughput.py
 * get_server_throughput): min(forward_rps / ((n_blocks + 1) / 2),
 * network_rps * (relayed ? 0.2 : 1)). forward_rps is tokens/s of one block
 * in a 1024-token forward pass; (n+1)/2 is the mean number of its blocks a
 * request uses when it enters at a uniform block. n_blocks >= 1. O(1). */
double route_petals_server_throughput(double forward_rps, double network_rps, int n_blocks,
                                      int relayed);

/* One server as block selection sees it. */
typedef struct route_petals_span {
    int first_block, end_block; /* [first, end), 0 <= first < end <= n_blocks */
    double throughput;          /* tokens/s, >= 0, finite */
} route_petals_span;

/* Scratch bytes for the functions below, with n_servers spans over
 * n_blocks blocks: 3 doubles per block and 2 ints per server. O(1). */
size_t route_petals_blocks_scratch_bytes(int n_servers, int n_blocks);

/* T[b] for b in [0, n_blocks) into T (caller-owned, n_blocks doubles).
 * SS_EINVAL for a malformed span (err names it). O(n_blocks + sum of
 * spans). */
ss_status route_petals_block_throughputs(int n_blocks, const route_petals_span *spans, int n_spans,
                                         double *T, char *err, size_t errlen);

/* block_selection.py choose_best_blocks: the start of the best span of
 * span_len blocks for a server joining the swarm `spans` (the others; pass
 * the joining server itself only if the swarm already lists it). scratch as
 * route_petals_blocks_scratch_bytes(n_spans, n_blocks). SS_EINVAL when
 * span_len is not in [1, n_blocks] or a span is malformed.
 * O(n_blocks * span_len^2) (insertion sort of each window). */
ss_status route_petals_choose_start(int n_blocks, const route_petals_span *spans, int n_spans,
                                    int span_len, void *scratch, size_t scratch_bytes, int *start,
                                    char *err, size_t errlen);

/* Why should_choose_other_blocks answered as it did (in its order). */
typedef enum route_petals_verdict {
    ROUTE_PETALS_MOVE_FORCED = 0,     /* balance_quality > 1: always move */
    ROUTE_PETALS_STAY_DISJOINT = 1,   /* leaving would uncover a block */
    ROUTE_PETALS_STAY_BEST_PLACE = 2, /* the best start is the current one */
    ROUTE_PETALS_STAY_NO_GAIN = 3,    /* simulated min T fell, or is < eps */
    ROUTE_PETALS_STAY_BALANCED = 4,   /* quality >= balance_quality - eps */
    ROUTE_PETALS_MOVE = 5,            /* quality < balance_quality - eps */
} route_petals_verdict;

typedef struct route_petals_rebalance {
    int move;                      /* 1: the local server should choose other blocks */
    route_petals_verdict verdict;
    double initial_min;            /* min T now (NaN if forced) */
    double new_min;                /* min T after the simulated moves (NaN if not reached) */
    double quality;                /* initial_min / new_min (NaN if not reached) */
    int new_start;                 /* the local server's best start (-1 if not reached) */
    int rounds;                    /* rounds of the simulation loop run */
} route_petals_rebalance;

/* block_selection.py should_choose_other_blocks for server `local`, exactly:
 * T = throughputs; initial = min T; T[local] -= tp * (1 + eps); stay if
 * initial > eps and min T <= 0 (disjoint); best = choose_start(T, len);
 * stay if best == local's start; T[local] += tp * eps; move local to best,
 * T[local] += tp; then repeat rounds until none moves: for each server in a
 * shuffled order, T[s] -= tp * (1 + eps), s's best start, T[s] += tp * eps,
 * move s there, T[s] += tp. new = min T; stay if new < initial or
 * new < eps; move iff initial / new < balance_quality - eps. The moves are a
 * simulation on scratch copies: spans is not modified.
 * Determinism: Petals shuffles with np.random.shuffle; we shuffle by
 * Fisher-Yates (from the last position down, j uniform in [0, i] by
 * rejection) driven by SplitMix64 on *shuffle_state (caller-owned, advanced);
 * NULL keeps index order every round. Petals' loop has no bound; ours stops
 * with SS_ERANGE after max_rounds (>= 1) rounds that all moved a server.
 * Errors: SS_EINVAL for malformed input (err says which). O(rounds * S *
 * B * len^2) for S servers, B blocks. */
ss_status route_petals_should_move(int n_blocks, const route_petals_span *spans, int n_spans,
                                   int local, double balance_quality, uint64_t *shuffle_state,
                                   int max_rounds, void *scratch, size_t scratch_bytes,
                                   route_petals_rebalance *out, char *err, size_t errlen);

#endif
