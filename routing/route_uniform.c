/* route_uniform.c - "uniform" and "manual" placement: the blocks cut into
 * contiguous spans, node i serving span i mod n_spans.
 *
 * Uniform is the baseline every cleverer placement is compared with: span s
 * covers [s*B/S, (s+1)*B/S) so sizes differ by at most one block. Manual
 * takes the cuts from the scenario (placement.cuts), so tests and studies can
 * pin any split. A node whose memory cannot hold its span's weights is an
 * error, not a silent overflow.
 */
#include "route.h"

#include <stdio.h>

/* Node i serves span i % S, span s = [bounds[s], bounds[s+1]). */
static ss_status assign(route_view *v, const int *bounds, int S, char *err, size_t errlen)
{
    if (S > v->n_nodes)
        return ss_err(err, errlen, SS_EINVAL, "%d spans need at least %d nodes, the scenario "
                      "has %d", S, S, v->n_nodes);
    for (int i = 0; i < v->n_nodes; i++) {
        int s = i % S;
        route_node_view *n = &v->nodes[i];
        n->first_block = bounds[s];
        n->end_block = bounds[s + 1];
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

static ss_status manual_place(route_view *v, const route_placement_cfg *cfg, char *err,
                              size_t errlen)
{
    const int B = v->model->n_blocks;
    int bounds[4097];
    if (cfg->n_cuts + 2 > (int)(sizeof bounds / sizeof bounds[0]))
        return ss_err(err, errlen, SS_EINVAL, "cuts: too many");
    bounds[0] = 0;
    for (int i = 0; i < cfg->n_cuts; i++) {
        if (cfg->cuts[i] <= bounds[i] || cfg->cuts[i] >= B)
            return ss_err(err, errlen, SS_EINVAL, "cuts[%d]: expected a block boundary in "
                          "(%d, %d), got %d", i, bounds[i], B, cfg->cuts[i]);
        bounds[i + 1] = cfg->cuts[i];
    }
    bounds[cfg->n_cuts + 1] = B;
    return assign(v, bounds, cfg->n_cuts + 1, err, errlen);
}

const route_placement_ops route_placement_manual = {
    .name = "manual",
    .summary = "spans cut at placement.cuts, node i serves span i mod spans",
    .place = manual_place,
};

static ss_status uniform_place(route_view *v, const route_placement_cfg *cfg, char *err,
                               size_t errlen)
{
    const int B = v->model->n_blocks;
    int S = cfg->n_spans;
    if (S <= 0)
        S = v->n_nodes < B ? v->n_nodes : B;
    if (S > B)
        return ss_err(err, errlen, SS_EINVAL, "spans: expected at most %d (the model's "
                      "blocks), got %d", B, S);
    int bounds[4097];
    if (S + 1 > (int)(sizeof bounds / sizeof bounds[0]))
        return ss_err(err, errlen, SS_EINVAL, "spans: too many");
    for (int i = 0; i <= S; i++)
        bounds[i] = (int)((int64_t)i * B / S);
    return assign(v, bounds, S, err, errlen);
}

const route_placement_ops route_placement_uniform = {
    .name = "uniform",
    .summary = "equal contiguous spans, node i serves span i mod spans",
    .place = uniform_place,
};
