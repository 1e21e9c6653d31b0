/* route_place_petals.c - "petals" placement: how Petals' servers choose
 * their blocks when they join (server.py, block_selection.py, commit
 * 22afba6; constants in route_petals_blocks.h).
 *
 * Each node, in scenario order, holds floor((memory - reserve) /
 * (block_bytes + kv_bytes_per_block)) blocks (at most the model's):
 *   block_bytes   = the heaviest block's weight bytes at the scenario's
 *                   weight format (the weight codec's exact bytes when
 *                   compression.weights is set: they set the format's
 *                   bytes per parameter);
 *   kv_bytes_per_block = K and V of one block for attn_cache_tokens tokens
 *                   (4096, or 16384 when the model groups its KV heads)
 *                   at the KV element size;
 *   reserve       = Petals' autograd reserve, 2 GiB / 14336 per hidden unit.
 * A node that cannot hold one block serves nothing. It then takes the start
 * whose window of per-block throughputs T (the sum over the nodes already
 * placed) is lexicographically smallest when sorted
 * (route_petals_choose_start), with its own throughput
 * min(forward_rps / ((n + 1) / 2), network_rps x (0.2 if relayed)).
 * O(nodes * blocks * span^2).
 *
 * Rebalancing (server.py Server.run): a serving node checks now and then
 * (the simulator draws the waits, U[0, 2 x 120 s)) whether the swarm it
 * sees would be better balanced if it moved (route_petals_should_move:
 * block_selection.py should_choose_other_blocks with balance_quality 0.75,
 * ROUTE_PETALS_BALANCE_QUALITY); if so it shuts its blocks down and
 * chooses again (Server._choose_blocks -> choose_best_blocks) on the swarm
 * without itself: its own record is then OFFLINE, which compute_spans
 * leaves out. A node that rejoins after churn chooses the same way.
 * Both see the swarm as the view gives it: the nodes with up set and a span,
 * in index order (Petals sums throughputs in peer-id order).
 */
#include "route.h"

#include <math.h>

#include "route_petals_blocks.h"
#include "ss_alloc.h"

static ss_status petals_place(route_view *v, const route_placement_cfg *cfg, char *err,
                              size_t errlen)
{
    (void)cfg;
    const model_desc *m = v->model;
    const int B = m->n_blocks;
    double block_bytes = 0;
    for (int b = 0; b < B; b++)
        if (model_desc_block_weight_bytes(m, b) > block_bytes)
            block_bytes = model_desc_block_weight_bytes(m, b);
    if (!(block_bytes > 0) || m->blocks[0].act_in_elems == 0)
        return ss_err(err, errlen, SS_EINVAL, "\"petals\" needs a model with block sizes "
                      "(a preset or weights), not a synthetic one");
    int64_t hidden = (int64_t)m->blocks[0].act_in_elems;
    uint64_t kv_elems = m->blocks[0].kv_elems_per_item; /* K and V: 2 * kv_dim */
    int grouped = kv_elems > 0 && kv_elems < 2 * (uint64_t)hidden;
    double kv_per_block = (double)kv_elems *
                          (grouped ? ROUTE_PETALS_CACHE_TOKENS_MULTIQUERY
                                   : ROUTE_PETALS_CACHE_TOKENS) * m->kv_bytes_per_elem;
    double reserve = route_petals_reserve_bytes(hidden, 1);
    route_petals_span *spans = ss_malloc_array((size_t)(v->n_nodes ? v->n_nodes : 1),
                                               sizeof *spans);
    size_t sb = route_petals_blocks_scratch_bytes(v->n_nodes, B);
    void *scratch = ss_malloc(sb ? sb : 1);
    ss_status st = spans && scratch ? SS_OK : SS_ENOMEM;
    if (st != SS_OK)
        ss_err(err, errlen, st, "out of memory");
    int n_spans = 0;
    for (int i = 0; st == SS_OK && i < v->n_nodes; i++) {
        route_node_view *x = &v->nodes[i];
        x->first_block = x->end_block = -1;
        int nb = 0;
        char e2[256];
        st = route_petals_num_blocks(x->memory_bytes, reserve, block_bytes, kv_per_block, B, &nb,
                                     e2, sizeof e2);
        if (st == SS_EFULL) { /* not even one block: this node serves nothing */
            st = SS_OK;
            continue;
        }
        int start = 0;
        if (st == SS_OK)
            st = route_petals_choose_start(B, spans, n_spans, nb, scratch, sb, &start, e2,
                                           sizeof e2);
        if (st != SS_OK) {
            ss_err(err, errlen, st, "node %d: %s", x->id, e2);
            break;
        }
        x->first_block = start;
        x->end_block = start + nb;
        double tp = route_petals_server_throughput(x->forward_rps, x->network_rps, nb, x->relayed);
        spans[n_spans++] = (route_petals_span){start, start + nb, tp > 0 ? tp : 0};
    }
    ss_free(spans);
    ss_free(scratch);
    if (st == SS_OK && n_spans == 0)
        st = ss_err(err, errlen, SS_EFULL, "no node can hold one block (%.3f GB of weights and "
                    "%.3f GB of KV cache, after a %.3f GB reserve)", block_bytes / 1e9,
                    kv_per_block / 1e9, reserve / 1e9);
    return st;
}

/* The spans of the view's serving or joining nodes (Petals' compute_spans
 * with min_state=JOINING) in index order into sp (capacity n_nodes),
 * without node `skip` (-1: none); *local_at = the position of node `local`
 * (-1: none), which counts whatever its flags. */
static int swarm_spans(const route_view *v, int skip, int local, route_petals_span *sp,
                       int *local_at)
{
    int n = 0;
    *local_at = -1;
    for (int i = 0; i < v->n_nodes; i++) {
        const route_node_view *x = &v->nodes[i];
        if (i == skip || !(x->up || x->joining || i == local) || x->first_block < 0 ||
            x->end_block <= x->first_block)
            continue;
        if (i == local)
            *local_at = n;
        double tp = x->throughput_rps;
        sp[n++] = (route_petals_span){x->first_block, x->end_block, tp > 0 && isfinite(tp) ? tp : 0};
    }
    return n;
}

/* choose_best_blocks for node `node` on the swarm without it. */
static int petals_rejoin(const route_view *v, int node, int *first, int *end)
{
    const route_node_view *me = &v->nodes[node];
    int len = me->end_block - me->first_block;
    const int B = v->model->n_blocks;
    if (me->first_block < 0 || len < 1 || len > B)
        return 0;
    route_petals_span *sp = ss_malloc_array((size_t)(v->n_nodes ? v->n_nodes : 1), sizeof *sp);
    size_t sb = route_petals_blocks_scratch_bytes(v->n_nodes, B);
    void *scratch = ss_malloc(sb ? sb : 1);
    int at, start = me->first_block, ok = 0;
    if (sp && scratch) {
        int n = swarm_spans(v, node, -1, sp, &at);
        ok = route_petals_choose_start(B, sp, n, len, scratch, sb, &start, NULL, 0) == SS_OK;
    }
    ss_free(sp);
    ss_free(scratch);
    *first = ok ? start : me->first_block; /* out of memory: stay where it was */
    *end = *first + len;
    return 1;
}

static int petals_rebalance(const route_view *v, int node, uint64_t *shuffle_state, int *first,
                            int *end)
{
    const route_node_view *me = &v->nodes[node];
    const int B = v->model->n_blocks;
    if (me->first_block < 0 || me->end_block <= me->first_block)
        return 0;
    route_petals_span *sp = ss_malloc_array((size_t)(v->n_nodes ? v->n_nodes : 1), sizeof *sp);
    size_t sb = route_petals_blocks_scratch_bytes(v->n_nodes, B);
    void *scratch = ss_malloc(sb ? sb : 1);
    route_petals_rebalance r = {0};
    int at = -1;
    if (sp && scratch) {
        int n = swarm_spans(v, -1, node, sp, &at);
        /* Petals' loop has no bound; 1000 rounds that all move a server
         * mean it cycles: stay (an error is a no). */
        if (route_petals_should_move(B, sp, n, at, ROUTE_PETALS_BALANCE_QUALITY, shuffle_state,
                                     1000, scratch, sb, &r, NULL, 0) != SS_OK)
            r.move = 0;
    }
    ss_free(sp);
    ss_free(scratch);
    if (!r.move)
        return 0;
    int f, e;
    if (!petals_rejoin(v, node, &f, &e) || f == me->first_block)
        return 0; /* Petals would reload the same blocks: nothing changes */
    *first = f;
    *end = e;
    return 1;
}

const route_placement_ops route_placement_petals = {
    .name = "petals",
    .summary = "Petals: blocks per node from memory, each joining node takes the weakest "
               "window of per-block throughput",
    .place = petals_place,
    .rebalance = petals_rebalance,
    .rejoin = petals_rejoin,
};
