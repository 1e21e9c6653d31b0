/* model_cost.h - how long a device takes to run a span of blocks (roofline,
 * plus an optional attention term).
 *
 *   t = max(FLOPs / (peak_flops * compute_eff * format_compute_eff),
 *           bytes  / (mem_bw * bw_eff * format_bw_eff))
 *       + head_pos * attn_s_per_head_pos
 *       + overhead_s + (end - first) * block_overhead_s
 *
 * for one call that processes, for each of `batch` sessions, n_new new
 * tokens on top of ctx cached positions, over blocks [first, end):
 *   attended = n_new*ctx + n_new*(n_new+1)/2   (causal: token i sees ctx+i positions)
 *   FLOPs = sum over blocks of  batch * (n_new * flops_per_item
 *                                        + attn_flops_per_ctx * attended)
 *           (the attention part only while attn_s_per_head_pos is 0)
 *   head_pos = sum over blocks of batch * n_attn_heads * attended
 *   bytes = sum over blocks of  weight bytes            (read once per call, shared by the batch)
 *                             + batch * kv_elems_per_item * kv_bytes * (ctx + n_new)
 *                                                       (cache read + new rows)
 *                             + batch * 4 * n_new * (act_in_elems + act_out_elems)
 *                                                       (fp32 activations in and out)
 * Prefill is one call with n_new = prompt length and ctx = 0; each decode
 * step is a call with n_new = 1. format_*_eff are the device's factors for
 * the weight format (model_device); a device that leaves one at 0 gets the
 * description's (model_desc, the published defaults; 0 there is read as 1).
 * overhead_s is charged once per call (per step of a node), block_overhead_s
 * once per block of the call. With attn_s_per_head_pos = 0 attention is
 * only FLOPs and KV bytes inside the roofline (the model as it was); with a
 * measured cost it is its own term, added after the roofline, and its FLOPs
 * leave the compute leg (its KV bytes stay in the memory leg: the cache is
 * still read from memory). Every term, its unit and a worked example (one
 * Llama-2-70B block on an RTX 3090) are in models/COST_MODEL.md.
 * Pure arithmetic: no clock, no state.
 */
#ifndef MODEL_COST_H
#define MODEL_COST_H

#include "model_desc.h"

typedef struct model_device {
    double peak_flops;         /* FLOP/s at the weight format's compute type */
    double mem_bw_bytes_per_s; /* memory bandwidth, bytes/s */
    double compute_eff;        /* fraction of peak reached by 16-bit kernels, (0, 1] */
    double bw_eff;             /* fraction of bandwidth reached by 16-bit kernels, (0, 1] */
    /* the weight format's kernels relative to the 16-bit ones on this device:
     * multiply compute_eff and bw_eff (> 0; 0 = not given: the model
     * description's published default, model_desc.format_*_eff) */
    double format_compute_eff;
    double format_bw_eff;
    double overhead_s;         /* fixed cost per call (one step of a node), s: framework, RPC */
    double block_overhead_s;   /* fixed cost per block per call, s: the block's kernel launches */
    /* attention kernels, s per (query head x attended position): scores,
     * softmax and weighted sum of V, measured (model_calibrate.h). 0: no
     * separate term, attention is FLOPs and KV bytes in the roofline. */
    double attn_s_per_head_pos;
} model_device;

typedef struct model_cost_terms {
    double flops;        /* FLOP, all blocks, all sessions of the batch (with attention) */
    double attn_flops;   /* FLOP of q.k and a.v, part of flops */
    double head_pos;     /* query heads x attended positions, all blocks and sessions */
    double bytes;        /* bytes moved = weight_bytes + kv_bytes + act_bytes */
    double weight_bytes; /* bytes of weights read */
    double kv_bytes;     /* bytes of KV cache read and written */
    double act_bytes;    /* bytes of activations read and written */
    double compute_s;    /* FLOPs / effective FLOP/s, s (without attn_flops when attn_s > 0) */
    double memory_s;     /* bytes / effective bandwidth, s */
    double attn_s;       /* head_pos * attn_s_per_head_pos, s (0 without the field) */
    double overhead_s;   /* overhead_s + n_blocks * block_overhead_s, s */
    double total_s;      /* max(compute_s, memory_s) + attn_s + overhead_s, s */
} model_cost_terms;

/* Terms of one call of `batch` sessions (each n_new new tokens at context
 * ctx); blocks [first, end) must be a valid span; batch >= 1, n_new >= 1,
 * ctx >= 0. */
model_cost_terms model_cost_span_batch(const model_device *d, const model_desc *m, int first,
                                       int end, int64_t batch, int64_t n_new, int64_t ctx);

/* One session (batch 1). */
model_cost_terms model_cost_span(const model_device *d, const model_desc *m, int first, int end,
                                 int64_t n_new, int64_t ctx);

/* Just the time of model_cost_span, in seconds. */
double model_cost_span_s(const model_device *d, const model_desc *m, int first, int end,
                         int64_t n_new, int64_t ctx);

/* The client's compute (scenario "client.device"), with the same roofline
 * (no attention term, overhead_s once per call, no block overhead):
 * the embedding lookup of `rows` tokens, d = blocks[0].act_in_elems:
 *   FLOPs = 0
 *   bytes = rows * d * weight_bytes_per_param   (the table rows read)
 *         + 4 * rows * d                        (fp32 activations written)
 * and the LM head on `rows` positions, d = blocks[n-1].act_out_elems,
 * V = vocab (a V x d matmul per position; prefill needs only the last):
 *   FLOPs = 2 * rows * V * d
 *   bytes = V * d * weight_bytes_per_param      (the head matrix, read once)
 *         + 4 * rows * (d + V)                  (fp32 in, logits out)
 *   total_s = max(FLOPs / (peak * compute_eff * format_compute_eff),
 *                 bytes / (mem_bw * bw_eff * format_bw_eff)) + overhead_s
 * The final norm (d multiplies per position) is left out. rows >= 1; a
 * model without blocks or vocab costs 0. */
model_cost_terms model_cost_client_embed(const model_device *d, const model_desc *m,
                                         int64_t rows);
model_cost_terms model_cost_client_head(const model_device *d, const model_desc *m, int64_t rows);

#endif
