/* route_fixed.c - "fixed" routing: the same chain for every request, and
 * "central-queue": its spans, the nodes bound late by a central dispatcher.
 *
 * From block 0, take the lowest-numbered serving node whose span starts at
 * the current block, continue from the end of its span. Deterministic and
 * oblivious to load: the baseline for real routing policies. Both reroute a
 * failed hop to the lowest-numbered live node serving exactly its span (the
 * failed node itself if it is back), the rule the simulator applied before
 * rerouting moved into the policies, so their results stay as they were.
 */
#include "route.h"

#include "route_int.h"

static ss_status fixed_route(void *state, const route_view *v, const route_request *req,
                             route_hop *hops, int max_hops, int *n_hops, char *err,
                             size_t errlen)
{
    (void)state;
    (void)req;
    int b = 0, n = 0;
    while (b < v->model->n_blocks) {
        int pick = -1;
        for (int i = 0; i < v->n_nodes && pick < 0; i++)
            if (v->nodes[i].up && v->nodes[i].first_block == b)
                pick = i;
        if (pick < 0)
            return ss_err(err, errlen, SS_ENOTFOUND, "no serving node starts at block %d", b);
        if (n == max_hops)
            return ss_err(err, errlen, SS_EFULL, "route longer than %d hops", max_hops);
        hops[n++] = (route_hop){.node = pick, .first_block = b,
                                .end_block = v->nodes[pick].end_block,
                                .state = ROUTE_HOP_BOUND};
        b = v->nodes[pick].end_block;
    }
    *n_hops = n;
    return SS_OK;
}

ss_status route_reroute_same_span(const route_view *v, const route_hop *failed, route_hop *hops,
                                  int max_hops, int *n_hops, char *err, size_t errlen)
{
    int pick = v->nodes[failed->node].up ? failed->node : -1;
    for (int i = 0; i < v->n_nodes && pick < 0; i++)
        if (v->nodes[i].up && v->nodes[i].first_block == failed->first_block &&
            v->nodes[i].end_block == failed->end_block)
            pick = i;
    if (pick < 0)
        return ss_err(err, errlen, SS_ENOTFOUND, "no live node serves blocks [%d, %d)",
                      failed->first_block, failed->end_block);
    if (max_hops < 1)
        return ss_err(err, errlen, SS_EFULL, "route longer than %d hops", max_hops);
    hops[0] = (route_hop){.node = pick, .first_block = failed->first_block,
                          .end_block = failed->end_block, .state = ROUTE_HOP_BOUND};
    *n_hops = 1;
    return SS_OK;
}

static ss_status fixed_reroute(void *state, const route_view *v, const route_request *req,
                               const route_hop *failed, route_hop *hops, int max_hops,
                               int *n_hops, char *err, size_t errlen)
{
    (void)state;
    (void)req;
    return route_reroute_same_span(v, failed, hops, max_hops, n_hops, err, errlen);
}

const route_routing_ops route_routing_fixed = {
    .name = "fixed",
    .summary = "one chain for all requests: lowest-numbered node at each span start",
    .route = fixed_route,
    .reroute = fixed_reroute,
};

/* "central-queue": the spans of "fixed", the nodes bound late by a central
 * dispatcher with one FIFO per span (an M/M/c queue per span). The nodes
 * "fixed" picks stay in the hops as placeholders: each serves its span. */
static ss_status central_route(void *state, const route_view *v, const route_request *req,
                               route_hop *hops, int max_hops, int *n_hops, char *err,
                               size_t errlen)
{
    ss_status st = fixed_route(state, v, req, hops, max_hops, n_hops, err, errlen);
    for (int i = 0; st == SS_OK && i < *n_hops; i++)
        hops[i].state = ROUTE_HOP_UNBOUND;
    return st;
}

/* The lowest-numbered idle replica; with none idle the session waits in
 * the span's FIFO. */
static int central_dispatch(void *state, const route_view *v, const route_request *req,
                            const route_hop *hop, const int *idle, int n_idle)
{
    (void)state;
    (void)v;
    (void)req;
    (void)hop;
    (void)idle;
    return n_idle > 0 ? 0 : -1;
}

const route_routing_ops route_routing_central = {
    .name = "central-queue",
    .summary = "spans as fixed; each session's first pass of a span goes to the lowest-numbered "
               "idle replica or waits in one FIFO per span",
    .route = central_route,
    .reroute = fixed_reroute,
    .dispatch = central_dispatch,
};
