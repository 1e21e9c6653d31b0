/* route.h - placement (which node serves which blocks) and routing (which
 * chain of nodes a request takes), as pluggable policies chosen by name.
 *
 * Policies see a read-only view of the world (route_view), never the engine
 * or the results store, so they are unit-tested on hand-made views. A
 * placement fills each node's span [first_block, end_block); a route is a
 * chain of hops whose spans tile [0, n_blocks) in order.
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "model_desc.h"
#include "ss_status.h"

typedef struct route_node_view {
    int id;
    int region;
    double memory_bytes;
    double peak_flops;
    double mem_bw_bytes_per_s;
    double uplink_bytes_per_s, downlink_bytes_per_s;
    int first_block, end_block; /* served span; first_block < 0: none */
    int up;                     /* 1 if the node is serving */
} route_node_view;

typedef struct route_view {
    int n_nodes;
    route_node_view *nodes;     /* (n_nodes); placement writes the spans */
    const model_desc *model;
    int n_regions;
    const double *rtt_s;        /* (n_regions, n_regions) */
    int client_region;
} route_view;

typedef struct route_placement_cfg {
    int n_spans;                /* uniform: number of spans (0: min(nodes, blocks)) */
    int n_cuts;                 /* manual: span boundaries, strictly increasing in (0, n_blocks) */
    const int *cuts;
} route_placement_cfg;

typedef struct route_placement_ops {
    const char *name;
    const char *summary;
    /* Assign spans in v->nodes. Errors explain which node or block failed. */
    ss_status (*place)(route_view *v, const route_placement_cfg *cfg, char *err, size_t errlen);
} route_placement_ops;

/* Whether a hop's node is decided. BOUND is 0, so a zeroed or positionally
 * initialised hop is bound. */
typedef enum route_hop_state {
    ROUTE_HOP_BOUND,            /* `node` serves the hop */
    ROUTE_HOP_UNBOUND,          /* late binding: a dispatcher picks the serving replica of the
                                 * span when the hop's first pass starts; until then `node` is
                                 * only a placeholder that serves the same span */
} route_hop_state;

typedef struct route_hop {
    int node;                   /* index into the view's nodes; a placeholder while unbound */
    int first_block, end_block; /* the span [first_block, end_block) */
    route_hop_state state;
} route_hop;

typedef struct route_routing_ops {
    const char *name;
    const char *summary;
    /* 1: the chain's nodes are bound late by the simulator's dispatcher:
     * each hop's first pass goes to an idle live replica of its span (lowest
     * id), or waits in one FIFO per span until a replica frees up; later
     * passes of the session stay on that node. choose() still gives the
     * spans, every hop ROUTE_HOP_UNBOUND (its node a placeholder replica). */
    int late_binding;
    /* Optional per-run state; *state may stay NULL. */
    ss_status (*init)(const route_view *v, void **state);
    /* Choose the chain for one request: at most max_hops hops written to
     * hops, their count to *n_hops; each hop ROUTE_HOP_BOUND unless the
     * policy binds late. SS_ENOTFOUND when some block has no serving node
     * (err names the block). */
    ss_status (*choose)(void *state, const route_view *v, uint64_t request_id, route_hop *hops,
                        int max_hops, int *n_hops, char *err, size_t errlen);
    void (*fini)(void *state);
} route_routing_ops;

/* Look a policy up by name; on failure err lists the known names. */
ss_status route_placement_find(const char *name, const route_placement_ops **out, char *err,
                               size_t errlen);
ss_status route_routing_find(const char *name, const route_routing_ops **out, char *err,
                             size_t errlen);

#endif
