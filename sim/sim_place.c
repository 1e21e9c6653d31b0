/* sim_place.c - scenario nodes -> route_view, then the placement policy. */
#include "sim_place.h"

#include "ss_alloc.h"

ss_status sim_place(const scn_scenario *s, const model_desc *m, route_view *view,
                    route_node_view **nodes_out, char *err, size_t errlen)
{
    *nodes_out = NULL;
    route_node_view *v = ss_calloc((size_t)s->n_nodes, sizeof *v);
    if (!v)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory placing nodes", s->source_path);
    for (int i = 0; i < s->n_nodes; i++) {
        const scn_node *sn = &s->nodes[i];
        v[i] = (route_node_view){
            .id = i, .region = sn->region, .memory_bytes = sn->memory_bytes,
            .peak_flops = sn->peak_flops, .mem_bw_bytes_per_s = sn->mem_bw_bytes_per_s,
            .uplink_bytes_per_s = sn->uplink_bytes_per_s,
            .downlink_bytes_per_s = sn->downlink_bytes_per_s, .first_block = -1, .end_block = -1,
            .up = 1};
    }
    *view = (route_view){s->n_nodes, v, m, s->n_regions, s->rtt_s, s->workload.client_region};
    const route_placement_ops *place;
    char e2[512];
    ss_status st = route_placement_find(s->placement[0] ? s->placement : "uniform", &place, e2,
                                        sizeof e2);
    if (st != SS_OK) {
        ss_err(err, errlen, st, "%s: placement.policy: %s", s->source_path, e2);
        goto fail;
    }
    route_placement_cfg pcfg = {.n_spans = s->n_spans, .n_cuts = s->n_cuts, .cuts = s->cuts};
    if ((st = place->place(view, &pcfg, e2, sizeof e2)) != SS_OK) {
        ss_err(err, errlen, st, "%s: placement: %s", s->source_path, e2);
        goto fail;
    }
    *nodes_out = v;
    return SS_OK;
fail:
    ss_free(v);
    view->nodes = NULL;
    return st;
}
