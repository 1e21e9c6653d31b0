/* route_place_greedy.c - "memory-greedy" placement: the largest memories
 * first, each taking as many whole blocks as its memory holds weights for
 * (floor(memory / the heaviest block's bytes), at most the model's),
 * starting where the previous node stopped and wrapping to block 0 once the
 * last block is covered (so further nodes are replicas); a span is cut at
 * the last block. Ties in memory go to the lower index. Nodes that cannot
 * hold a block serve nothing. A baseline: no compute or network awareness,
 * no KV room kept. O(n log n + n).
 */
#include "route.h"

#include <math.h>
#include <stdlib.h>

#include "ss_alloc.h"

typedef struct mem_key {
    double memory_bytes;
    int index;
} mem_key;

/* memory descending, then index: a total order, so qsort's instability
 * cannot show */
static int by_memory_desc(const void *a, const void *b)
{
    const mem_key *x = a, *y = b;
    if (x->memory_bytes != y->memory_bytes)
        return x->memory_bytes > y->memory_bytes ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static ss_status greedy_place(route_view *v, const route_placement_cfg *cfg, char *err,
                              size_t errlen)
{
    (void)cfg;
    const int B = v->model->n_blocks;
    double block_bytes = 0;
    for (int b = 0; b < B; b++)
        if (model_desc_block_weight_bytes(v->model, b) > block_bytes)
            block_bytes = model_desc_block_weight_bytes(v->model, b);
    mem_key *order = ss_malloc_array((size_t)(v->n_nodes ? v->n_nodes : 1), sizeof *order);
    if (!order)
        return ss_err(err, errlen, SS_ENOMEM, "out of memory");
    for (int i = 0; i < v->n_nodes; i++)
        order[i] = (mem_key){v->nodes[i].memory_bytes, i};
    qsort(order, (size_t)v->n_nodes, sizeof *order, by_memory_desc);
    int b = 0, covered = 0;
    for (int k = 0; k < v->n_nodes; k++) {
        route_node_view *x = &v->nodes[order[k].index];
        x->first_block = x->end_block = -1;
        double fit = block_bytes > 0 ? floor(x->memory_bytes / block_bytes) : B;
        int nb = fit >= B ? B : (int)fit;
        if (nb < 1)
            continue;
        x->first_block = b;
        x->end_block = b + nb < B ? b + nb : B;
        b = x->end_block;
        if (b == B) {
            covered = 1;
            b = 0;
        }
    }
    ss_free(order);
    if (!covered)
        return ss_err(err, errlen, SS_EFULL, "the nodes' memory holds blocks [0, %d) only, the "
                      "model has %d", b, B);
    return SS_OK;
}

const route_placement_ops route_placement_memory_greedy = {
    .name = "memory-greedy",
    .summary = "largest memory first, each node as many blocks as its memory holds, in order, "
               "wrapping around for replicas",
    .place = greedy_place,
};
