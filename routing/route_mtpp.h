/* route_mtpp.h - MTPP chain partition: cut a chain of layers into
 * contiguous spans over an ordered chain of heterogeneous nodes, minimising
 * the slowest stage (the pipeline's bottleneck), by dynamic programming.
 *
 * This is the chain case of Nesa's SliceGraph / MTPP sharding (Nesa, arXiv
 * 2407.19775; docs.nesa.ai "Dynamic Sharding of Arbitrary Neural Networks",
 * after Archer et al.'s MTPP): there each operation v has a running time
 * work(v), a parameter size sizeparam(v) and an output size sizeout(v); a
 * block's cost adds compute, the I/O of the tensors it consumes over the
 * bandwidth, and the time to stream the parameters that do not fit in fast
 * memory. On a chain of layers with a chain of nodes (Bokhari's
 * chain-to-chain assignment) the quotient graph is acyclic by construction.
 *
 * Formulation. Layers l = 0 .. L-1 with work W_l (FLOPs), parameters P_l
 * (bytes) and output O_l (bytes); the input to layer 0 is O_{-1} = in_bytes
 * (from the client). Nodes j = 0 .. k-1, in the given order, with speed F_j
 * (FLOP/s), inbound bandwidth N_j (bytes/s: the link from the previous used
 * node, or from the client), fast memory M_j (bytes) and an overflow stream
 * rate S_j (bytes/s). A partition gives node j the span [a_j, e_j) with
 * a_0 = 0, a_{j+1} = e_j, e_{k-1} = L. A used node (a_j < e_j) costs
 *
 *   c_j = sum_{l in span} W_l / F_j  +  O_{a_j - 1} / N_j
 *         + max(0, sum_{l in span} P_l - M_j) / S_j      (seconds per pass)
 *
 * where the overflow term is allowed only with allow_overflow (otherwise a
 * span whose parameters exceed M_j is infeasible). Minimise max_j c_j over
 * used nodes. Without allow_skip every node must be used (L >= k); with it
 * any non-empty ordered subset of the nodes may be used (choosing which
 * nodes, never their order: DESIGN.md section 4 fixes the chain). Sending
 * the last output back to the client is not modelled (a deliberate
 * simplification). Ties: among optimal partitions, the lexicographically
 * smallest vector (e_0, ..., e_{k-1}) (a skipped node has e_j = a_j, so
 * skipping an early node is preferred to using it).
 *
 * Span sums are prefix-sum differences: exact for integer-valued inputs
 * below 2^53, otherwise within a few ulps of a direct sum.
 */
#ifndef ROUTE_MTPP_H
#define ROUTE_MTPP_H

#include <stddef.h>

#include "ss_status.h"

typedef struct route_mtpp_layer {
    double work_flops;  /* W_l >= 0 */
    double param_bytes; /* P_l >= 0 */
    double out_bytes;   /* O_l >= 0: the activation the next layer consumes */
} route_mtpp_layer;

typedef struct route_mtpp_node {
    double flops_per_s;        /* F_j > 0 */
    double in_bytes_per_s;     /* N_j > 0 */
    double mem_bytes;          /* M_j >= 0, +INFINITY for no limit */
    double stream_bytes_per_s; /* S_j > 0, read only with allow_overflow */
} route_mtpp_node;

typedef struct route_mtpp_problem {
    int n_layers;                   /* L >= 1 */
    const route_mtpp_layer *layers; /* (L), borrowed */
    double in_bytes;                /* O_{-1} >= 0 */
    int n_nodes;                    /* k >= 1 */
    const route_mtpp_node *nodes;   /* (k), borrowed, in chain order */
    int allow_skip;                 /* 1: nodes may get no layer */
    int allow_overflow;             /* 1: weights beyond M_j stream at S_j */
} route_mtpp_problem;

/* Scratch bytes for route_mtpp_solve: (k + 3) * (L + 1) doubles. 0 if the sizes are negative or overflow. O(1). */
size_t route_mtpp_scratch_bytes(int n_layers, int n_nodes);

/* Solve the problem above. scratch: caller-owned, at least
 * route_mtpp_scratch_bytes(L, k) bytes, aligned for double; no allocation.
 * On SS_OK: span_end[j] = e_j for j in [0, k) (node j serves
 * [span_end[j-1], span_end[j]), span_end[-1] = 0; equal ends mean a
 * skipped node) and *bottleneck_s = the optimal max stage cost in seconds.
 * SS_ENOTFOUND when no partition is feasible (L < k without allow_skip, or
 * memory without allow_overflow); SS_EINVAL for malformed input or a small
 * scratch (err names the field). Time O(k L^2), two passes: a backward DP
 * h[j][i] = best bottleneck of layers [i, L) on nodes j..k-1, then a forward
 * pass taking at each node the smallest end that keeps every stage within
 * the optimum. */
ss_status route_mtpp_solve(const route_mtpp_problem *p, void *scratch, size_t scratch_bytes,
                           int *span_end, double *bottleneck_s, char *err, size_t errlen);

#endif
