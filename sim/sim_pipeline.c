/* sim_pipeline.c - encode -> [decode, span, encode]* -> decode over one chain. */
#include "sim_pipeline.h"

#include <string.h>

#include "sim_place.h"
#include "sim_world.h"
#include "ss_alloc.h"

struct sim_pipeline {
    const model_net *net;
    comp_codec codec;
    int n_hops;
    route_hop *hops;      /* (n_hops) */
    uint32_t max_width;
    float *a, *b;         /* (cap_rows, max_width) */
    int cap_rows;
    uint8_t *wire;
    size_t wire_cap;
    uint64_t bytes, calls;
    void (*on_call)(void *, uint64_t);
    void *on_call_ctx;
};

void sim_pipeline_destroy(sim_pipeline *p)
{
    if (!p)
        return;
    ss_free(p->hops);
    ss_free(p->a);
    ss_free(p->b);
    ss_free(p->wire);
    ss_free(p);
}

ss_status sim_pipeline_create(const scn_scenario *s, const sim_model *m, const comp_codec *codec,
                              sim_pipeline **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!m->net)
        return ss_err(err, errlen, SS_EINVAL, "%s: model: evaluation needs real weights",
                      s->source_path);
    char e2[512];
    sim_pipeline *p = ss_calloc(1, sizeof *p);
    if (!p)
        return SS_ENOMEM;
    p->net = m->net;
    ss_status st = SS_OK;
    if (codec)
        p->codec = *codec;
    else if ((st = comp_codec_parse(s->act_codec[0] ? s->act_codec : "fp16", &p->codec, e2,
                                    sizeof e2)) != SS_OK) {
        ss_err(err, errlen, st, "%s: compression.activations: %s", s->source_path, e2);
        goto fail;
    }
    route_view view;
    route_node_view *nodes = NULL;
    /* the nodes this seed draws (devices, memory): placement depends on them */
    sim_world_scn ws;
    if ((st = sim_world_materialize(s, NULL, &ws, err, errlen)) != SS_OK)
        goto fail;
    st = sim_place(&ws.s, &m->desc, &view, &nodes, err, errlen);
    sim_world_fini(&ws);
    if (st != SS_OK)
        goto fail;
    const route_routing_ops *routing;
    void *rstate = NULL;
    int n = 0;
    route_hop *hops = ss_malloc_array((size_t)m->desc.n_blocks, sizeof *hops);
    if (!hops)
        st = SS_ENOMEM;
    else if ((st = route_routing_find(s->routing[0] ? s->routing : "fixed", &routing, e2,
                                      sizeof e2)) != SS_OK)
        ss_err(err, errlen, st, "%s: routing.policy: %s", s->source_path, e2);
    else if (routing->init && (st = routing->init(&view, &rstate)) != SS_OK)
        ss_err(err, errlen, st, "%s: routing: initialisation failed", s->source_path);
    else if ((st = routing->choose(rstate, &view, 0, hops, m->desc.n_blocks, &n, e2,
                                   sizeof e2)) != SS_OK)
        ss_err(err, errlen, st, "%s: routing: %s", s->source_path, e2);
    if (rstate && routing->fini)
        routing->fini(rstate);
    ss_free(nodes);
    if (st != SS_OK) {
        ss_free(hops);
        goto fail;
    }
    p->hops = hops;
    p->n_hops = n;
    for (int i = 0; i < model_net_n_blocks(p->net); i++) {
        const model_block_desc *b = model_net_block(p->net, i);
        if (b->act_in_elems > p->max_width)
            p->max_width = b->act_in_elems;
        if (b->act_out_elems > p->max_width)
            p->max_width = b->act_out_elems;
    }
    *out = p;
    return SS_OK;
fail:
    sim_pipeline_destroy(p);
    return st;
}

int sim_pipeline_n_hops(const sim_pipeline *p) { return p->n_hops; }
const route_hop *sim_pipeline_hops(const sim_pipeline *p) { return p->hops; }
uint64_t sim_pipeline_wire_bytes(const sim_pipeline *p) { return p->bytes; }

void sim_pipeline_on_call(sim_pipeline *p, void (*fn)(void *ctx, uint64_t calls), void *ctx)
{
    p->on_call = fn;
    p->on_call_ctx = ctx;
}

static ss_status reserve(sim_pipeline *p, int rows)
{
    if (rows <= p->cap_rows)
        return SS_OK;
    size_t n = (size_t)rows * p->max_width;
    uint64_t wire = 0;
    if (comp_wire_bytes_max(&p->codec, (size_t)rows, p->max_width, &wire) != SS_OK)
        return SS_ERANGE;
    float *a = ss_realloc(p->a, n * sizeof *a);
    if (!a)
        return SS_ENOMEM;
    p->a = a;
    float *b = ss_realloc(p->b, n * sizeof *b);
    if (!b)
        return SS_ENOMEM;
    p->b = b;
    uint8_t *w = ss_realloc(p->wire, (size_t)wire);
    if (!w)
        return SS_ENOMEM;
    p->wire = w;
    p->wire_cap = (size_t)wire;
    p->cap_rows = rows;
    return SS_OK;
}

/* x (rows, width) -> wire -> x: one network crossing. */
static ss_status cross(sim_pipeline *p, float *x, int rows, uint32_t width)
{
    size_t n = 0;
    ss_status st = comp_encode(&p->codec, x, (size_t)rows, width, p->wire, p->wire_cap, &n, NULL,
                               0);
    if (st == SS_OK)
        st = comp_decode(&p->codec, p->wire, n, (size_t)rows, width, x, NULL, 0);
    p->bytes += n;
    return st;
}

ss_status sim_pipeline_body(void *ctx, const model_net *m, int n_items, const float *in,
                            float *out)
{
    sim_pipeline *p = ctx;
    ss_status st = reserve(p, n_items);
    if (st != SS_OK)
        return st;
    uint32_t w0 = model_net_block(m, p->hops[0].first_block)->act_in_elems;
    memcpy(p->a, in, (size_t)n_items * w0 * sizeof *in);
    float *x = p->a, *y = p->b;
    for (int h = 0; h < p->n_hops && st == SS_OK; h++) {
        const route_hop *hop = &p->hops[h];
        uint32_t win = model_net_block(m, hop->first_block)->act_in_elems;
        model_state *ms = NULL;
        if ((st = cross(p, x, n_items, win)) != SS_OK ||
            (st = model_state_create(m, hop->first_block, hop->end_block, &ms)) != SS_OK)
            break;
        st = model_net_span_forward(m, ms, hop->first_block, hop->end_block, 0, n_items, x, y);
        model_state_destroy(ms);
        float *t = x;
        x = y;
        y = t;
    }
    uint32_t wl = model_net_block(m, p->hops[p->n_hops - 1].end_block - 1)->act_out_elems;
    if (st == SS_OK && (st = cross(p, x, n_items, wl)) == SS_OK)
        memcpy(out, x, (size_t)n_items * wl * sizeof *out);
    p->calls++;
    if (p->on_call)
        p->on_call(p->on_call_ctx, p->calls);
    return st;
}
