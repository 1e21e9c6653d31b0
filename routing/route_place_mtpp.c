/* route_place_mtpp.c - "mtpp" placement: the chain case of Nesa's MTPP
 * sharding (route_mtpp.h): the model's blocks cut into contiguous spans
 * over the nodes taken as a chain in scenario order, minimising the
 * slowest stage, each node at most one span, nodes left out when that is
 * better (allow_skip), weights never beyond a node's memory (no overflow).
 *
 * Stage cost of node j with span [a, e), per token of a pass:
 *   sum over its blocks of 1 / forward_rps_j  (the cost model's time per
 *     token of one block in a 1024-token pass; with unknown rates,
 *     FLOPs per token / peak FLOP/s)
 *   + the activation entering block a (its width x 2 bytes, fp16) / the
 *     node's downlink bytes/s.
 * Memory M_j = the node's memory; P_l = the block's weight bytes.
 * Nodes that get no span serve nothing (no replicas: MTPP places one
 * pipeline). O(nodes * blocks^2).
 */
#include "route.h"

#include <math.h>

#include "route_mtpp.h"
#include "ss_alloc.h"

static ss_status mtpp_place(route_view *v, const route_placement_cfg *cfg, char *err,
                            size_t errlen)
{
    (void)cfg;
    const model_desc *m = v->model;
    const int L = m->n_blocks, k = v->n_nodes;
    if (k < 1)
        return ss_err(err, errlen, SS_EINVAL, "no nodes");
    int rates = 1;
    for (int j = 0; j < k; j++)
        rates = rates && v->nodes[j].forward_rps > 0;
    route_mtpp_layer *layers = ss_malloc_array((size_t)L, sizeof *layers);
    route_mtpp_node *nodes = ss_malloc_array((size_t)k, sizeof *nodes);
    int *ends = ss_malloc_array((size_t)k, sizeof *ends);
    size_t sb = route_mtpp_scratch_bytes(L, k);
    void *scratch = sb ? ss_malloc(sb) : NULL;
    ss_status st = layers && nodes && ends && scratch ? SS_OK : SS_ENOMEM;
    if (st != SS_OK) {
        ss_err(err, errlen, st, "out of memory for %d nodes x %d blocks", k, L);
        goto done;
    }
    for (int l = 0; l < L; l++)
        layers[l] = (route_mtpp_layer){
            .work_flops = rates ? 1.0 : m->blocks[l].flops_per_item,
            .param_bytes = model_desc_block_weight_bytes(m, l),
            .out_bytes = 2.0 * m->blocks[l].act_out_elems};
    for (int j = 0; j < k; j++) {
        const route_node_view *x = &v->nodes[j];
        nodes[j] = (route_mtpp_node){
            .flops_per_s = rates ? x->forward_rps : (x->peak_flops > 0 ? x->peak_flops : 1),
            .in_bytes_per_s = x->downlink_bytes_per_s > 0 ? x->downlink_bytes_per_s : 1,
            .mem_bytes = x->memory_bytes, .stream_bytes_per_s = 1};
    }
    route_mtpp_problem p = {.n_layers = L, .layers = layers,
                            .in_bytes = 2.0 * m->blocks[0].act_in_elems, .n_nodes = k,
                            .nodes = nodes, .allow_skip = 1, .allow_overflow = 0};
    double bottleneck;
    char e2[256];
    st = route_mtpp_solve(&p, scratch, sb, ends, &bottleneck, e2, sizeof e2);
    if (st != SS_OK) {
        ss_err(err, errlen, st, st == SS_ENOTFOUND ? "the nodes' memory cannot hold the model as "
               "one chain (%s)" : "%s", e2);
        goto done;
    }
    for (int j = 0, a = 0; j < k; j++) {
        route_node_view *x = &v->nodes[j];
        x->first_block = ends[j] > a ? a : -1;
        x->end_block = ends[j] > a ? ends[j] : -1;
        a = ends[j];
    }
done:
    ss_free(layers);
    ss_free(nodes);
    ss_free(ends);
    ss_free(scratch);
    return st;
}

const route_placement_ops route_placement_mtpp = {
    .name = "mtpp",
    .summary = "MTPP chain partition: contiguous spans over the nodes in order, minimising the "
               "slowest stage (compute + input transfer), within memory",
    .place = mtpp_place,
};
