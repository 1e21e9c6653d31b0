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
 * Rebalancing is not done yet (the placement is fixed for the run).
 * O(nodes * blocks * span^2).
 */
#include "route.h"

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

const route_placement_ops route_placement_petals = {
    .name = "petals",
    .summary = "Petals: blocks per node from memory, each joining node takes the weakest "
               "window of per-block throughput",
    .place = petals_place,
};
