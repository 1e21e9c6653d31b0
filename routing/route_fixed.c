/* route_fixed.c - "fixed" routing: the same chain for every request.
 *
 * From block 0, take the lowest-numbered serving node whose span starts at
 * the current block, continue from the end of its span. Deterministic and
 * oblivious to load: the baseline for real routing policies.
 */
#include "route.h"

static ss_status fixed_choose(void *state, const route_view *v, uint64_t request_id,
                              route_hop *hops, int max_hops, int *n_hops, char *err,
                              size_t errlen)
{
    (void)state;
    (void)request_id;
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

const route_routing_ops route_routing_fixed = {
    .name = "fixed",
    .summary = "one chain for all requests: lowest-numbered node at each span start",
    .choose = fixed_choose,
};

/* "central-queue": the spans of "fixed", the nodes bound late by a central
 * dispatcher with one FIFO per span (an M/M/c queue per span). The nodes
 * "fixed" picks stay in the hops as placeholders: each serves its span. */
static ss_status central_choose(void *state, const route_view *v, uint64_t request_id,
                                route_hop *hops, int max_hops, int *n_hops, char *err,
                                size_t errlen)
{
    ss_status st = fixed_choose(state, v, request_id, hops, max_hops, n_hops, err, errlen);
    for (int i = 0; st == SS_OK && i < *n_hops; i++)
        hops[i].state = ROUTE_HOP_UNBOUND;
    return st;
}

const route_routing_ops route_routing_central = {
    .name = "central-queue",
    .summary = "spans as fixed; each session's first pass of a span goes to an idle replica or "
               "waits in one FIFO per span",
    .late_binding = 1,
    .choose = central_choose,
};
