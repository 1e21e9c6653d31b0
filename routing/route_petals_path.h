/* route_petals_path.h - Petals' min-latency route: Dijkstra over
 * (server, block) vertices, as Petals' client builds the graph.
 *
 * Source: petals src/petals/client/routing/sequence_manager.py (commit
 * 22afba6, 2024-08-25): RemoteSequenceManager._build_inference_graph,
 * _rtt_to_delay, _has_cache_for, _make_sequence_with_min_latency, and the
 * ban filter of _update. The graph for the block range [start, end):
 *
 *   vertices  "start", "end", and (s, b) for server s, s.first <= b <= s.end
 *             ((s, b) = "before block b on s"; (s, s.end) = after its span)
 *   start  -> (s, start)     s covers block start:
 *                            delay(rtt(client, s)) + 0.018 [+ 10 if no KV room]
 *   (s, b) -> (s, b + 1)     max(s.first, start) <= b < min(s.end, end):
 *                            1 / inference_rps(s)  (300 rps if unknown)
 *   (s, s.end) -> (t, s.end) start < s.end < end, t covers block s.end:
 *                            delay(rtt(s, t)) + 0.018 [+ 10 if t lacks KV room]
 *   (s, end) -> "end"        s covers block end - 1: delay(rtt(client, s))
 *   delay(rtt) = min(rtt / 2, 5 s), or 0.15 s when the RTT is unknown
 *   KV room of t: tokens * 2 * (t.end - t.first) <= t's free KV tokens
 *                 (pessimistic: as if the chain used t's whole span);
 *                 always true when tokens == 0 or t's free tokens are unknown.
 *
 * So a chain enters a server at any block of its span but leaves it only at
 * its span's end (or at `end`). Costs are seconds of one decode step.
 * Banned servers (Petals' temporary ban list) are left out, except that a
 * block all of whose servers are banned keeps them all (Petals: "Remove
 * temporarily banned peers, unless there are no peers left"); such a server
 * then takes part with its whole span, as compute_spans rebuilds spans from
 * the servers' declared start/end blocks.
 *
 * Ties. Distances are the left-to-right double sums of edge weights along a
 * chain (the fold Dijkstra computes), compared exactly. Among chains of
 * equal cost, the result is the one whose vertex sequence, read backwards
 * from "end", is lexicographically smallest in (server index, block) among
 * the chains each of whose prefixes is itself shortest: equivalently each
 * vertex keeps, of all predecessors u with dist[u] + w(u, v) == dist[v], the
 * lowest (server, block). Petals leaves ties to dijkstar's dict order.
 *
 * Typical sizes: tens of servers, 32-80 blocks: a few thousand vertices.
 */
#ifndef ROUTE_PETALS_PATH_H
#define ROUTE_PETALS_PATH_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

/* Constants of Petals' graph, each with its source in sequence_manager.py. */
#define ROUTE_PETALS_OVERHEAD_S 0.018          /* _build_inference_graph overhead_delay: serialisation, measured */
#define ROUTE_PETALS_DEFAULT_INFERENCE_RPS 300 /* _build_inference_graph default_inference_rps: rps unknown */
#define ROUTE_PETALS_ALLOC_DELAY_S 10.0        /* _build_inference_graph alloc_delay: no KV room */
#define ROUTE_PETALS_DEFAULT_DELAY_S 0.15      /* _rtt_to_delay default_delay: RTT unknown */
#define ROUTE_PETALS_MAX_DELAY_S 5.0           /* _rtt_to_delay max_delay: unreachable, keep the edge */

/* The "from" of an RTT query that starts at the client. */
#define ROUTE_PETALS_CLIENT (-1)

typedef struct route_petals_server {
    int first_block, end_block; /* declared span [first, end), 0 <= first < end <= n_blocks */
    int rps_known;              /* 0: inference_rps unknown (Petals: None) */
    double inference_rps;       /* single-token decode steps/s per block, > 0, finite */
    int kv_known;               /* 0: free KV tokens unknown (Petals: cache_tokens_left None) */
    int64_t free_kv_tokens;     /* >= 0: KV-cache tokens left on the server */
    int banned;                 /* 1: on the client's temporary ban list */
} route_petals_server;

/* RTT in seconds from `from` (ROUTE_PETALS_CLIENT or a server index) to
 * server `to`. Petals uses the client's ping of `to` for both client edges
 * and `from`'s next_pings for server-to-server edges. Returns 1 and writes
 * *rtt_s (>= 0, +INFINITY for unreachable) if measured, 0 if unknown. */
typedef int (*route_petals_rtt_fn)(void *ctx, int from, int to, double *rtt_s);

typedef struct route_petals_path_in {
    int n_blocks;                       /* model blocks, >= 1 */
    int start_block, end_block;         /* the range to route, 0 <= start <= end <= n_blocks */
    int n_servers;                      /* >= 0 */
    const route_petals_server *servers; /* (n_servers), borrowed */
    route_petals_rtt_fn rtt;            /* NULL: every RTT unknown */
    void *rtt_ctx;
    int64_t cache_tokens;               /* KV tokens the session needs per block, >= 0; 0: no check */
} route_petals_path_in;

typedef struct route_petals_hop {
    int server;                 /* index into in->servers */
    int first_block, end_block; /* blocks this hop runs, [first, end) */
} route_petals_hop;

/* Bytes of scratch route_petals_path_find needs for this many servers and
 * blocks: about 28 bytes per (server, block) vertex plus 8 per server and
 * block (the last 4 of the 28: each block's list of covering servers). 0 when the sizes are negative or the count overflows. O(1). */
size_t route_petals_path_scratch_bytes(int n_servers, int n_blocks);

/* The min-latency chain over [in->start_block, in->end_block).
 *
 * scratch: caller-owned, at least route_petals_path_scratch_bytes(
 * in->n_servers, in->n_blocks) bytes, aligned for double (any malloc
 * result); borrowed, its contents are garbage afterwards. No allocation.
 * On SS_OK: hops[0 .. *n_hops) in chain order (consecutive hops tile the
 * range), *cost_s the chain's cost in seconds. An empty range gives 0 hops
 * and cost 0 (Petals returns []).
 * Errors (err says which server/block): SS_EINVAL for a malformed input
 * (span, rps, free tokens, range, RTT that is NaN or negative, scratch too
 * small); SS_ENOTFOUND when some block of the range has no server at all;
 * SS_EFULL when the chain has more than max_hops hops (*n_hops then holds
 * the count needed, hops holds the first max_hops).
 * Complexity: O(V log V + E + S*B) time for S servers, B blocks,
 * V <= S*(B+1) + 2 vertices and E <= S^2 server-to-server edges (each span
 * end to the servers covering its block, read from per-block lists); one
 * RTT callback per edge. */
ss_status route_petals_path_find(const route_petals_path_in *in, void *scratch, size_t scratch_bytes,
                                 route_petals_hop *hops, int max_hops, int *n_hops, double *cost_s,
                                 char *err, size_t errlen);

#endif
