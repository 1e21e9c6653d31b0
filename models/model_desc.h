/* model_desc.h - what the simulator needs to know of a model: its blocks.
 *
 * A model_desc is plain data: per-block parameter counts, FLOPs, KV-cache
 * and activation sizes (model_block_desc), plus the weight format that sets
 * bytes per parameter. It comes from an architecture preset (a Hugging Face
 * config.json in models/presets/, analytic mode: no tensors) or from a
 * loaded model_net (real mode). Sizes are per token ("item").
 */
#ifndef MODEL_DESC_H
#define MODEL_DESC_H

#include <stdint.h>

#include "model_net.h"
#include "ss_status.h"

#define MODEL_NAME_MAX 64

/* Architecture fields of a Hugging Face config.json (Llama, BLOOM, Falcon),
 * normalised to Llama's names, plus the block layout they imply. */
typedef struct model_arch {
    char name[MODEL_NAME_MAX];       /* preset name, e.g. "llama-2-7b" */
    char model_type[MODEL_NAME_MAX]; /* "llama", "bloom" or "falcon" */
    int64_t hidden_size, intermediate_size, num_hidden_layers;
    int64_t num_attention_heads, num_key_value_heads, vocab_size, max_position_embeddings;
    int mlp_matrices;    /* 3: gated SwiGLU (Llama); 2: GELU up/down (BLOOM, Falcon) */
    int linear_bias;     /* 1: every linear layer has a bias (BLOOM) */
    int norms_per_block; /* normalisation layers per block */
    int norm_bias;       /* 1: LayerNorm (weight + bias); 0: RMSNorm (weight) */
} model_arch;

/* One weight matrix of a transformer block, row-major (rows, cols) =
 * (out_features, in_features): y = W x, as model_llama stores it and as
 * Hugging Face's nn.Linear keeps its weight. Names are GGUF's tensor names. */
typedef struct model_arch_matrix {
    /* "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down" */
    const char *name;
    uint64_t rows, cols;
} model_arch_matrix;

#define MODEL_ARCH_MAX_MATRICES 7

/* What one block of an architecture holds. The single source of the block
 * shapes: parameter and FLOP counts (model_desc_from_arch) and exact bytes
 * at rest under a codec (real_weights_arch_block_bytes) both read it. */
typedef struct model_arch_block {
    int n_matrices;
    model_arch_matrix matrices[MODEL_ARCH_MAX_MATRICES]; /* (n_matrices), see below */
    uint64_t matrix_params; /* sum of rows * cols */
    uint64_t bias_params;   /* biases of the linear layers (0 without linear_bias) */
    uint64_t norm_params;   /* norm weights, and their biases for LayerNorm */
    uint64_t kv_dim;        /* hidden_size * num_key_value_heads / num_attention_heads */
} model_arch_block;

/* The matrices of one block of `a`, in the order model_llama visits them
 * (model_net_map_weights): attn_q (h x h), attn_k and attn_v (kv x h),
 * attn_output (h x h), then for a gated MLP (mlp_matrices 3) ffn_gate and
 * ffn_up (ff x h), ffn_down (h x ff); for a plain MLP (2) ffn_up (ff x h)
 * and ffn_down (h x ff). Biases with linear_bias: q, k, v (h + 2 kv), o (h),
 * the MLP's input matrices ((mlp_matrices - 1) ff) and down (h). Norms:
 * norms_per_block x h, doubled for LayerNorm (norm_bias).
 * Fused projections (BLOOM's and Falcon's query_key_value) are listed as
 * their q, k, v parts. No defaults: mlp_matrices must be 2 or 3,
 * norms_per_block 1 or 2, every dimension in [1, 2^20] and the heads must
 * divide hidden_size and each other (as model_arch_load guarantees); else
 * SS_EINVAL with the field named in err. O(1), no allocation. */
ss_status model_arch_block_matrices(const model_arch *a, model_arch_block *out, char *err,
                                    size_t errlen);

typedef struct model_desc {
    char name[MODEL_NAME_MAX];
    int n_blocks;
    model_block_desc *blocks;      /* (n_blocks), owned */
    int seq_len;                   /* longest session, positions */
    uint32_t vocab;                /* output width of the head */
    double weight_bytes_per_param; /* from the weight format (fp16 2, int8 1.01, nf4 0.53...) */
    double kv_bytes_per_elem;      /* KV-cache element size, 2 (fp16) */
    /* Weight-format efficiency factors (models/COST_MODEL.md): multiply the
     * device's compute_eff and bw_eff. 1 for fp32/fp16/bf16; 0 means 1. */
    double format_compute_eff;
    double format_bw_eff;
} model_desc;

/* Bytes per parameter of a weight format name: "fp32" 4, "fp16"/"bf16" 2,
 * "int8" 1.01 (scales included), "nf4" 0.53 (4 bits + block absmax with
 * double quantisation, as bitsandbytes stores it). SS_ENOTFOUND otherwise. */
ss_status model_weight_format_bytes(const char *format, double *out);

/* Efficiency factors of a weight format (what its kernels reach relative to
 * the device's fp16/fp32 figures): compute multiplies compute_eff, bw
 * multiplies bw_eff. Sources and derivation in models/COST_MODEL.md.
 * SS_ENOTFOUND for an unknown format. */
ss_status model_weight_format_eff(const char *format, double *compute, double *bw);

/* Read `dir`/`name`.json (a Hugging Face config.json). Only the fields of
 * model_arch are read (others, which vary across transformers versions, are
 * ignored); each is checked for type, integrality and range, and the heads
 * must divide the hidden size and each other. Errors name the file and key. */
ss_status model_arch_load(const char *dir, const char *name, model_arch *out, char *err,
                          size_t errlen);

/* Per-block description of an architecture (formulas in
 * models/presets/README.md; shapes from model_arch_block_matrices):
 * parameters, FLOPs, KV elements per token. `format` is a weight format
 * name. SS_ENOTFOUND for an unknown format, SS_EINVAL for an inconsistent
 * `a` (see model_arch_block_matrices). */
ss_status model_desc_from_arch(const model_arch *a, const char *format, model_desc *out,
                               char *err, size_t errlen);

/* Copy the block descriptors of a loaded model. */
ss_status model_desc_from_net(const model_net *net, const char *name, const char *format,
                              model_desc *out, char *err, size_t errlen);

/* `n_blocks` empty blocks (synthetic models whose compute time is drawn, not derived). */
ss_status model_desc_synthetic(int n_blocks, model_desc *out);

/* Weight bytes of block i at the model's weight format. */
double model_desc_block_weight_bytes(const model_desc *m, int i);

void model_desc_fini(model_desc *m); /* zeroed or finied struct allowed */

#endif
