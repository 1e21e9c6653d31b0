/* model_cost.c - the roofline of model_cost.h, term by term. */
#include "model_cost.h"

model_cost_terms model_cost_span(const model_device *d, const model_desc *m, int first, int end,
                                 int64_t n_new, int64_t ctx)
{
    model_cost_terms t = {0};
    const double n = (double)n_new, c = (double)ctx;
    /* positions attended by the n new tokens: ctx+1, ctx+2, ..., ctx+n */
    const double attended = n * c + n * (n + 1) / 2;
    for (int i = first; i < end; i++) {
        const model_block_desc *b = &m->blocks[i];
        t.flops += n * b->flops_per_item + b->attn_flops_per_ctx * attended;
        t.bytes += model_desc_block_weight_bytes(m, i) +
                   (double)b->kv_elems_per_item * m->kv_bytes_per_elem * (c + n) +
                   4.0 * n * ((double)b->act_in_elems + (double)b->act_out_elems);
    }
    t.compute_s = t.flops / (d->peak_flops * d->compute_eff);
    t.memory_s = t.bytes / (d->mem_bw_bytes_per_s * d->bw_eff);
    t.total_s = (t.compute_s > t.memory_s ? t.compute_s : t.memory_s) + d->overhead_s;
    return t;
}

double model_cost_span_s(const model_device *d, const model_desc *m, int first, int end,
                         int64_t n_new, int64_t ctx)
{
    return model_cost_span(d, m, first, end, n_new, ctx).total_s;
}
