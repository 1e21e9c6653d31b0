/* route_uniform.c - "uniform" placement: the blocks cut into equal
 * contiguous spans, node i serving span i mod n_spans.
 *
 * The baseline every cleverer placement is compared with. Span s covers
 * [s*B/S, (s+1)*B/S) so sizes differ by at most one block. A node whose
 * memory cannot hold its span's weights is an error, not a silent overflow.
 */
#include "route.h"

#include <stdio.h>

static ss_status uniform_place(route_view *v, const route_placement_cfg *cfg, char *err,
                               size_t errlen)
{
    const int B = v->model->n_blocks;
    int S = cfg->n_spans;
    if (S <= 0)
        S = v->n_nodes < B ? v->n_nodes : B;
    if (S > B)
        return ss_err(err, errlen, SS_EINVAL, "placement.spans: expected at most %d (the model's "
                      "blocks), got %d", B, S);
    if (S > v->n_nodes)
        return ss_err(err, errlen, SS_EINVAL, "placement.spans: %d spans need at least %d nodes, "
                      "the scenario has %d", S, S, v->n_nodes);
    for (int i = 0; i < v->n_nodes; i++) {
        int s = i % S;
        route_node_view *n = &v->nodes[i];
        n->first_block = (int)((int64_t)s * B / S);
        n->end_block = (int)((int64_t)(s + 1) * B / S);
        double need = 0;
        for (int b = n->first_block; b < n->end_block; b++)
            need += model_desc_block_weight_bytes(v->model, b);
        if (need > n->memory_bytes)
            return ss_err(err, errlen, SS_EFULL,
                          "node %d: blocks [%d, %d) need %.3f GB of weights, the node has %.3f GB",
                          n->id, n->first_block, n->end_block, need / 1e9, n->memory_bytes / 1e9);
    }
    return SS_OK;
}

const route_placement_ops route_placement_uniform = {
    .name = "uniform",
    .summary = "equal contiguous spans, node i serves span i mod spans",
    .place = uniform_place,
};
