/* real_pipeline.c - encode -> [decode, span, encode]* -> decode over one chain. */
#include "real_pipeline.h"

#include <string.h>

#include "ss_alloc.h"

struct real_pipeline {
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

void real_pipeline_destroy(real_pipeline *p)
{
    if (!p)
        return;
    ss_free(p->hops);
    ss_free(p->a);
    ss_free(p->b);
    ss_free(p->wire);
    ss_free(p);
}

ss_status real_pipeline_create(const real_chain *chain, const real_model *m,
                               const comp_codec *codec, real_pipeline **out, char *err,
                               size_t errlen)
{
    *out = NULL;
    if (!m->net)
        return ss_err(err, errlen, SS_EINVAL, "%s: model: evaluation needs real weights",
                      chain->source);
    if (chain->n_hops < 1)
        return ss_err(err, errlen, SS_EINVAL, "%s: the route has no hops", chain->source);
    real_pipeline *p = ss_calloc(1, sizeof *p);
    if (!p)
        return SS_ENOMEM;
    p->net = m->net;
    p->codec = *codec;
    ss_status st = SS_OK;
    route_hop *hops = ss_malloc_array((size_t)chain->n_hops, sizeof *hops);
    if (!hops) {
        st = SS_ENOMEM;
        goto fail;
    }
    memcpy(hops, chain->hops, (size_t)chain->n_hops * sizeof *hops);
    int n = chain->n_hops;
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
    real_pipeline_destroy(p);
    return st;
}

int real_pipeline_n_hops(const real_pipeline *p) { return p->n_hops; }
const route_hop *real_pipeline_hops(const real_pipeline *p) { return p->hops; }
uint64_t real_pipeline_wire_bytes(const real_pipeline *p) { return p->bytes; }

void real_pipeline_on_call(real_pipeline *p, void (*fn)(void *ctx, uint64_t calls), void *ctx)
{
    p->on_call = fn;
    p->on_call_ctx = ctx;
}

static ss_status reserve(real_pipeline *p, int rows)
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
static ss_status cross(real_pipeline *p, float *x, int rows, uint32_t width)
{
    size_t n = 0;
    ss_status st = comp_encode(&p->codec, x, (size_t)rows, width, p->wire, p->wire_cap, &n, NULL,
                               0);
    if (st == SS_OK)
        st = comp_decode(&p->codec, p->wire, n, (size_t)rows, width, x, NULL, 0);
    p->bytes += n;
    return st;
}

ss_status real_pipeline_body(void *ctx, const model_net *m, int n_items, const float *in,
                            float *out)
{
    real_pipeline *p = ctx;
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
