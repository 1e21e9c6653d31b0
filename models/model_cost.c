/* model_cost.c - the roofline of model_cost.h, term by term. */
#include "model_cost.h"

/* A factor left at 0 (a hand-built model_desc) means "no penalty". */
static double factor(double f) { return f > 0 ? f : 1.0; }

model_cost_terms model_cost_span_batch(const model_device *d, const model_desc *m, int first,
                                       int end, int64_t batch, int64_t n_new, int64_t ctx)
{
    model_cost_terms t = {0};
    const double b = (double)batch, n = (double)n_new, c = (double)ctx;
    /* positions attended by the n new tokens: ctx+1, ctx+2, ..., ctx+n */
    const double attended = n * c + n * (n + 1) / 2;
    double matmul_flops = 0; /* the context-independent part of t.flops */
    for (int i = first; i < end; i++) {
        const model_block_desc *k = &m->blocks[i];
        t.flops += b * (n * k->flops_per_item + k->attn_flops_per_ctx * attended);
        t.attn_flops += b * k->attn_flops_per_ctx * attended;
        matmul_flops += b * n * k->flops_per_item;
        t.head_pos += b * (double)k->n_attn_heads * attended;
        const double w = model_desc_block_weight_bytes(m, i);
        const double kv = b * (double)k->kv_elems_per_item * m->kv_bytes_per_elem * (c + n);
        const double act = b * 4.0 * n * ((double)k->act_in_elems + (double)k->act_out_elems);
        t.weight_bytes += w;
        t.kv_bytes += kv;
        t.act_bytes += act;
        t.bytes += w + kv + act; /* summed per block, as before the split (same bits) */
    }
    /* the device's own factors for the format; without them the published
     * defaults the description carries */
    const double fc = d->format_compute_eff > 0 ? d->format_compute_eff
                                                : factor(m->format_compute_eff);
    const double fb = d->format_bw_eff > 0 ? d->format_bw_eff : factor(m->format_bw_eff);
    /* a measured attention cost replaces attention's FLOPs in the compute
     * leg; without it the expression is the plain roofline, bit for bit */
    const int attn_term = d->attn_s_per_head_pos > 0;
    const double compute_flops = attn_term ? matmul_flops : t.flops;
    t.compute_s = compute_flops / (d->peak_flops * d->compute_eff * fc);
    t.memory_s = t.bytes / (d->mem_bw_bytes_per_s * d->bw_eff * fb);
    t.attn_s = attn_term ? t.head_pos * d->attn_s_per_head_pos : 0.0;
    /* per call, plus per block: a block's kernels are launched once per call
     * whatever the batch (COST_MODEL.md, "Overheads") */
    t.overhead_s = d->overhead_s + (double)(end - first) * d->block_overhead_s;
    double roof = t.compute_s > t.memory_s ? t.compute_s : t.memory_s;
    t.total_s = attn_term ? roof + t.attn_s + t.overhead_s : roof + t.overhead_s;
    return t;
}

model_cost_terms model_cost_span(const model_device *d, const model_desc *m, int first, int end,
                                 int64_t n_new, int64_t ctx)
{
    return model_cost_span_batch(d, m, first, end, 1, n_new, ctx);
}

double model_cost_span_s(const model_device *d, const model_desc *m, int first, int end,
                         int64_t n_new, int64_t ctx)
{
    return model_cost_span(d, m, first, end, n_new, ctx).total_s;
}

/* The roofline of one client call (model_cost.h). */
static model_cost_terms client_roof(const model_device *d, const model_desc *m, double flops,
                                    double weight_bytes, double act_bytes)
{
    model_cost_terms t = {0};
    const double fc = d->format_compute_eff > 0 ? d->format_compute_eff
                                                : factor(m->format_compute_eff);
    const double fb = d->format_bw_eff > 0 ? d->format_bw_eff : factor(m->format_bw_eff);
    t.flops = flops;
    t.weight_bytes = weight_bytes;
    t.act_bytes = act_bytes;
    t.bytes = weight_bytes + act_bytes;
    t.compute_s = flops / (d->peak_flops * d->compute_eff * fc);
    t.memory_s = t.bytes / (d->mem_bw_bytes_per_s * d->bw_eff * fb);
    t.overhead_s = d->overhead_s;
    t.total_s = (t.compute_s > t.memory_s ? t.compute_s : t.memory_s) + t.overhead_s;
    return t;
}

model_cost_terms model_cost_client_embed(const model_device *d, const model_desc *m,
                                         int64_t rows)
{
    if (m->n_blocks <= 0 || m->vocab == 0 || rows <= 0)
        return (model_cost_terms){0};
    const double r = (double)rows, dim = (double)m->blocks[0].act_in_elems;
    return client_roof(d, m, 0, r * dim * m->weight_bytes_per_param, 4.0 * r * dim);
}

model_cost_terms model_cost_client_head(const model_device *d, const model_desc *m, int64_t rows)
{
    if (m->n_blocks <= 0 || m->vocab == 0 || rows <= 0)
        return (model_cost_terms){0};
    const double r = (double)rows, v = (double)m->vocab,
                 dim = (double)m->blocks[m->n_blocks - 1].act_out_elems;
    return client_roof(d, m, 2.0 * r * v * dim, v * dim * m->weight_bytes_per_param,
                       4.0 * r * (dim + v));
}
