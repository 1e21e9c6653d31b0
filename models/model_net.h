/* model_net.h - a model-agnostic sequential model, the unit a shard runs.
 *
 * A model is n_blocks blocks applied in order (transformer layers, CNN
 * layers), framed by two client-side steps as in Petals: `embed` turns raw
 * input (token ids, or pixels) into the activation entering block 0, and
 * `head` turns the activation leaving the last block into outputs (logits,
 * class scores). A shard serves a span [first, end) of blocks; per-session
 * state (the KV cache) lives in a model_state that covers exactly one span,
 * so a session's state sits on the node that serves the span.
 *
 * Activations are row-major float32 (n_items, width): one row per token for
 * a language model, one row per image for a CNN. Widths are per block
 * (model_block_desc.act_in_elems / act_out_elems).
 *
 * Thread-safety: a model_net is read-only after creation; a model_state is
 * used by one caller at a time. Nothing here knows simulated time.
 */
#ifndef MODEL_NET_H
#define MODEL_NET_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

typedef struct model_net model_net;
typedef struct model_state model_state;

/* Cost descriptors of one block, for the cost model and placement. */
typedef struct model_block_desc {
    uint64_t n_params;           /* weights in the block */
    double flops_per_item;       /* FLOPs per token/sample, context-independent part */
    double attn_flops_per_ctx;   /* extra FLOPs per token per cached position (0: none) */
    uint32_t n_attn_heads;       /* query heads attending over the cache (0: no attention) */
    uint64_t kv_elems_per_item;  /* state elements kept per token (K and V together; 0: stateless) */
    uint32_t act_in_elems;       /* activation width entering the block */
    uint32_t act_out_elems;      /* activation width leaving the block */
} model_block_desc;

int model_net_n_blocks(const model_net *m);
/* 0 <= i < n_blocks; pointer valid for the model's lifetime. */
const model_block_desc *model_net_block(const model_net *m, int i);
/* Width of `embed`'s raw input per item (0 for token input) and of `head`'s output. */
uint32_t model_net_raw_in_elems(const model_net *m);
uint32_t model_net_n_outputs(const model_net *m);
/* Maximum positions a session may reach (0: stateless model). */
int model_net_seq_len(const model_net *m);
/* "llama", "cnn", ... */
const char *model_net_kind(const model_net *m);

/* Client-side input: tokens (n_items ids, for token models) or raw (n_items,
 * raw_in_elems) -> out (n_items, block 0 act_in_elems). Token ids outside the
 * vocabulary give SS_ERANGE. */
ss_status model_net_embed(const model_net *m, int n_items, const int32_t *tokens,
                          const float *raw, float *out);

/* Blocks [first, end) on `in` (n_items, act_in_elems of `first`) -> `out`
 * (n_items, act_out_elems of end-1); in and out may not alias. `pos` is the
 * sequence position of row 0; rows are consecutive positions. `st` must have
 * been created for exactly [first, end) (NULL allowed for stateless models).
 * Positions beyond seq_len give SS_ERANGE. Prefill (n_items > 1) and
 * token-by-token calls give the same results within float rounding. */
ss_status model_net_span_forward(const model_net *m, model_state *st, int first, int end,
                                 int pos, int n_items, const float *in, float *out);

/* Client-side output: act (n_items, act_out_elems of the last block) -> out
 * (n_items, n_outputs). */
ss_status model_net_head(const model_net *m, int n_items, const float *act, float *out);

/* Per-session state for blocks [first, end); *out is NULL for stateless models. */
ss_status model_state_create(const model_net *m, int first, int end, model_state **out);
/* Forget every cached position (a failed node's replacement starts empty). */
void model_state_reset(model_state *st);
/* Bytes the state holds at its current fill (KV accounting). */
uint64_t model_state_bytes(const model_state *st);
void model_state_destroy(model_state *st);

/* ---- weights at rest ----
 * One weight matrix of a model as the model stores it: row-major (rows,
 * cols), `w` writable in place. `block` is the block that owns it (a node
 * serving that block holds it), or -1 for the client's embed/head matrices.
 * `name` is the kind's tensor name ("wq", "fc1.weight"), a static string. */
typedef ss_status (*model_weight_fn)(void *ctx, const char *name, int block, float *w,
                                     size_t rows, size_t cols);

/* Calls fn once per weight matrix of m, in a fixed order (blocks ascending,
 * each block's matrices in the kind's order, then the client-side ones),
 * letting it rewrite the values (a codec round trip: weights at rest). Only
 * matrices are visited; vectors (norm weights, biases, folded batch-norm)
 * are not. Stops at the first status other than SS_OK and returns it.
 * Matrices the model shares (llama's tied embedding/classifier) are visited
 * once. This is the one exception to "read-only after creation": do not
 * run it while another caller uses m. SS_EUNSUPPORTED for a kind without
 * weight access. */
ss_status model_net_map_weights(model_net *m, model_weight_fn fn, void *ctx);

void model_net_destroy(model_net *m);

#endif
