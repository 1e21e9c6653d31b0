/* model_cost.h - how long a device takes to run a span of blocks (roofline).
 *
 *   t = max(FLOPs / (peak_flops * compute_eff),
 *           bytes  / (mem_bw * bw_eff)) + overhead_s
 *
 * for one call that processes n_new tokens of one session whose cache holds
 * ctx earlier positions, over blocks [first, end):
 *   FLOPs = sum over blocks of  n_new * flops_per_item
 *                             + attn_flops_per_ctx * (n_new*ctx + n_new*(n_new+1)/2)
 *   bytes = sum over blocks of  weight bytes (every weight read once per call)
 *                             + kv_elems_per_item * kv_bytes * (ctx + n_new)  (cache read + new rows)
 *                             + 4 * n_new * (act_in_elems + act_out_elems)     (fp32 activations)
 * Prefill is one call with n_new = prompt length and ctx = 0; each decode
 * step is a call with n_new = 1. The model is deliberately simple and every
 * term is named here; models/COST_MODEL.md works an example.
 */
#ifndef MODEL_COST_H
#define MODEL_COST_H

#include "model_desc.h"

typedef struct model_device {
    double peak_flops;         /* FLOP/s at the weight format's compute type */
    double mem_bw_bytes_per_s; /* memory bandwidth */
    double compute_eff;        /* fraction of peak reached, (0, 1] */
    double bw_eff;             /* fraction of bandwidth reached, (0, 1] */
    double overhead_s;         /* fixed cost per call (kernel launches, Python) */
} model_device;

typedef struct model_cost_terms {
    double flops;
    double bytes;
    double compute_s; /* FLOPs / effective FLOP/s */
    double memory_s;  /* bytes / effective bandwidth */
    double total_s;   /* max(compute_s, memory_s) + overhead */
} model_cost_terms;

/* Terms of one call; blocks [first, end) must be a valid span. */
model_cost_terms model_cost_span(const model_device *d, const model_desc *m, int first, int end,
                                 int64_t n_new, int64_t ctx);

/* Just the time, in seconds. */
double model_cost_span_s(const model_device *d, const model_desc *m, int first, int end,
                         int64_t n_new, int64_t ctx);

#endif
