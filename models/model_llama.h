/* model_llama.h - the Llama-2 transformer (llama2.c's architecture) as a model_net.
 *
 * Any loader (llama2.c .bin in model_llama2c.h, GGUF, safetensors) fills a
 * model_llama_config and a model_llama_weights of borrowed float pointers in
 * llama2.c's layout, then calls model_llama_create, which COPIES the tensors
 * into one buffer owned by the net (repacked so that q|k|v and w1|w3 are one
 * matrix each, one BLAS call instead of three/two). The loader's buffers may
 * be freed as soon as model_llama_create returns.
 *
 * Blocks are transformer layers. embed = token embedding lookup, head = final
 * RMSNorm + classifier; both are client-side. The KV cache of a span lives
 * in that span's model_state: (end-first, seq_len, kv_dim) floats for K and
 * the same for V, allocated once at state creation. A span_forward at
 * position pos needs positions [0, pos) cached (pos beyond them: SS_EINVAL,
 * a hole) and leaves exactly [0, pos + n_items) cached: rewinding to an
 * earlier pos drops the later positions. model_state_bytes counts the
 * cached positions only.
 *
 * Numerics follow llama2.c's run.c: RMSNorm eps 1e-5, RoPE frequencies
 * 10000^(-(i mod head_size)/head_size) on pairs (i, i+1), keys rotated for
 * i < kv_dim only, softmax attention with 1/sqrt(head_size), SwiGLU FFN.
 * Matrix products use OpenBLAS (sgemv for one token, sgemm for a prefill
 * chunk), so logits match llama2.c within float rounding (~1e-5 here), not
 * bit for bit. Typical size: stories260K (dim 64, 5 layers) is 1 MB.
 */
#ifndef MODEL_LLAMA_H
#define MODEL_LLAMA_H

#include <stdbool.h>
#include <stddef.h>

#include "model_net.h"

/* Limits every loader enforces before computing sizes (W05). They are far
 * above any Llama-2/3 model (dim 8192, hidden 28672, vocab 128256, 80 layers)
 * and keep every size product below 2^63. */
#define MODEL_LLAMA_MAX_DIM (1 << 16)
#define MODEL_LLAMA_MAX_HIDDEN (1 << 20)
#define MODEL_LLAMA_MAX_LAYERS (1 << 12)
#define MODEL_LLAMA_MAX_HEADS (1 << 12)
#define MODEL_LLAMA_MAX_VOCAB (1 << 24)
#define MODEL_LLAMA_MAX_SEQ (1 << 20)

typedef struct model_llama_config {
    int dim;                /* residual stream width = n_heads * head_size */
    int hidden_dim;         /* FFN inner width */
    int n_layers;
    int n_heads;            /* query heads */
    int n_kv_heads;         /* key/value heads; divides n_heads (GQA) */
    int vocab_size;
    int seq_len;            /* maximum positions per session */
    bool shared_classifier; /* wcls is token_embedding_table */
} model_llama_config;

/* Borrowed tensors in llama2.c's layout; every matrix is row-major
 * (out_features, in_features), so y = W x is row i of W dotted with x. */
typedef struct model_llama_weights {
    const float *token_embedding_table; // (vocab_size, dim)
    const float *rms_att_weight;        // (n_layers, dim)
    const float *wq;                    // (n_layers, n_heads * head_size, dim)
    const float *wk;                    // (n_layers, n_kv_heads * head_size, dim)
    const float *wv;                    // (n_layers, n_kv_heads * head_size, dim)
    const float *wo;                    // (n_layers, dim, n_heads * head_size)
    const float *rms_ffn_weight;        // (n_layers, dim)
    const float *w1;                    // (n_layers, hidden_dim, dim)
    const float *w2;                    // (n_layers, dim, hidden_dim)
    const float *w3;                    // (n_layers, hidden_dim, dim)
    const float *rms_final_weight;      // (dim)
    const float *wcls;                  // (vocab_size, dim); == token_embedding_table when shared
} model_llama_weights;

/* Checks every dimension against the limits above and the GQA/RoPE rules:
 * all > 0, dim % n_heads == 0, head_size even, n_kv_heads <= n_heads and
 * dividing it. SS_ESCHEMA (inconsistent) or SS_ERANGE (over a limit); err
 * names the field: "n_kv_heads: expected a divisor of n_heads (8), got 3". */
ss_status model_llama_config_check(const model_llama_config *cfg, char *err, size_t errlen);

/* Weights per layer and in the whole model (embedding, classifier when not
 * shared, norms included). */
uint64_t model_llama_layer_params(const model_llama_config *cfg);
uint64_t model_llama_total_params(const model_llama_config *cfg);

/* Builds the net; copies the weights (see the file comment), so `w` is only
 * borrowed for the call. SS_EINVAL for a config that fails the check above
 * or a NULL tensor, SS_ENOMEM. *out is NULL on failure. */
ss_status model_llama_create(const model_llama_config *cfg, const model_llama_weights *w,
                             model_net **out);

/* The config a llama net was built from; NULL if `m` is not a llama net. */
const model_llama_config *model_llama_net_config(const model_net *m);

#endif
