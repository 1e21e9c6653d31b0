/* sim_place.c - scenario nodes -> route_view, then the placement policy;
 * the chain of the first request for time-free evaluation. */
#include "sim_place.h"

#include "model_cost.h"
#include "route_petals_blocks.h"
#include "route_reputation.h"
#include "sim_world.h"
#include "ss_alloc.h"

/* What placement may know of each node before it has a span: Petals'
 * forward_rps (one block, 1024-token pass, cost model) and network_rps
 * (its line rates over 16-bit activations). Synthetic models: unknown. */
model_device sim_node_device(const scn_node *sn)
{
    return (model_device){.peak_flops = sn->peak_flops,
                          .mem_bw_bytes_per_s = sn->mem_bw_bytes_per_s,
                          .compute_eff = sn->compute_eff, .bw_eff = sn->bw_eff,
                          .format_compute_eff = sn->format_compute_eff,
                          .format_bw_eff = sn->format_bw_eff,
                          .overhead_s = sn->overhead_s,
                          .block_overhead_s = sn->block_overhead_s,
                          .attn_s_per_head_pos = sn->attn_s_per_head_pos};
}

static void node_rates(const scn_scenario *s, const model_desc *m, route_node_view *v)
{
    if (m->n_blocks < 1 || m->blocks[0].act_in_elems == 0 || m->blocks[0].n_params == 0)
        return;
    for (int i = 0; i < s->n_nodes; i++) {
        const scn_node *sn = &s->nodes[i];
        model_device dev = sim_node_device(sn);
        double t = model_cost_span_s(&dev, m, 0, 1, 1024, 0);
        v[i].forward_rps = t > 0 ? 1024 / t : 0;
        v[i].network_rps = route_petals_network_rps(sn->downlink_bytes_per_s * 8,
                                                    sn->uplink_bytes_per_s * 8,
                                                    (int64_t)m->blocks[0].act_in_elems);
    }
}

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
            .up = 1, .reputation = ROUTE_REPUTATION_INITIAL,
            .relayed = s->groups && sn->group >= 0 && sn->group < s->n_groups &&
                       s->groups[sn->group].relay};
    }
    *view = (route_view){s->n_nodes, v, m, s->n_regions, s->rtt_s, s->workload.client_region, 0};
    node_rates(s, m, v);
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

ss_status sim_routing_open(const scn_scenario *s, const route_view *view,
                           const route_routing_ops **ops_out, double **settings_out,
                           void **state_out, char *err, size_t errlen)
{
    *ops_out = NULL;
    *settings_out = NULL;
    *state_out = NULL;
    char e2[512];
    const route_routing_ops *ops;
    ss_status st = route_routing_find(s->routing[0] ? s->routing : "fixed", &ops, e2, sizeof e2);
    if (st != SS_OK)
        return ss_err(err, errlen, st, "%s: routing.policy: %s", s->source_path, e2);
    route_setting given[64];
    if (s->n_routing_settings > (int)(sizeof given / sizeof given[0]))
        return ss_err(err, errlen, SS_ESCHEMA, "%s: routing.settings: more than %d settings",
                      s->source_path, (int)(sizeof given / sizeof given[0]));
    for (int i = 0; i < s->n_routing_settings; i++)
        given[i] = (route_setting){s->routing_settings[i].key, s->routing_settings[i].value};
    double *values = ss_malloc_array((size_t)(ops->n_settings ? ops->n_settings : 1),
                                     sizeof *values);
    if (!values)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", s->source_path);
    if ((st = route_settings_resolve(ops, given, s->n_routing_settings, values, e2, sizeof e2)) !=
        SS_OK) {
        ss_free(values);
        return ss_err(err, errlen, st, "%s: %s", s->source_path, e2);
    }
    void *state = NULL;
    route_init in = {.view = view, .settings = values, .seed = s->seed};
    if (ops->init && (st = ops->init(&in, &state, e2, sizeof e2)) != SS_OK) {
        ss_free(values);
        return ss_err(err, errlen, st, "%s: routing: %s", s->source_path, e2);
    }
    *ops_out = ops;
    *settings_out = values;
    *state_out = state;
    return SS_OK;
}

ss_status sim_act_codec(const scn_scenario *s, comp_codec *out, char *err, size_t errlen)
{
    char e2[512];
    ss_status st = comp_codec_parse(s->act_codec[0] ? s->act_codec : "fp16", out, e2, sizeof e2);
    if (st != SS_OK)
        return ss_err(err, errlen, st, "%s: compression.activations: %s", s->source_path, e2);
    return SS_OK;
}

ss_status sim_first_chain(const scn_scenario *s, const model_desc *d, route_hop **hops_out,
                          int *n_out, char *err, size_t errlen)
{
    *hops_out = NULL;
    *n_out = 0;
    char e2[512];
    route_view view;
    route_node_view *nodes = NULL;
    /* the nodes this seed draws (devices, memory): placement depends on them */
    sim_world_scn ws;
    ss_status st = sim_world_materialize(s, NULL, &ws, err, errlen);
    if (st != SS_OK)
        return st;
    st = sim_place(&ws.s, d, &view, &nodes, err, errlen);
    sim_world_fini(&ws);
    if (st != SS_OK)
        return st;
    const route_routing_ops *routing = NULL;
    void *rstate = NULL;
    double *settings = NULL;
    int n = 0;
    route_hop *hops = ss_malloc_array((size_t)d->n_blocks, sizeof *hops);
    route_request req = {.id = 0, .client_region = s->workload.client_region};
    if (!hops)
        st = SS_ENOMEM;
    else if ((st = sim_routing_open(s, &view, &routing, &settings, &rstate, err, errlen)) != SS_OK)
        ;
    else if ((st = routing->route(rstate, &view, &req, hops, d->n_blocks, &n, e2, sizeof e2)) !=
             SS_OK)
        ss_err(err, errlen, st, "%s: routing: %s", s->source_path, e2);
    if (routing && routing->fini)
        routing->fini(rstate);
    ss_free(settings);
    ss_free(nodes);
    if (st != SS_OK) {
        ss_free(hops);
        return st;
    }
    *hops_out = hops;
    *n_out = n;
    return SS_OK;
}
