/* real_weights.h - a codec applied to a model's weights at rest.
 *
 * Scenario field compression.weights (a codec spec, comp_codec_parse). Two
 * effects, both exact:
 *
 *  - Memory. A block's weight bytes are the exact encoded size of each of
 *    its weight matrices under the codec (comp.h's wire formulas: the
 *    stored form is the encoded buffer, header and scales included) plus 4
 *    bytes per remaining parameter (norm weights, biases: vectors stay
 *    fp32). The model description's bytes per parameter becomes
 *    (sum of block bytes) / (sum of block parameters), which the cost model
 *    reads and placement uses to decide which spans fit a node. For models
 *    whose blocks all have the same shapes (Llama) this is every block's
 *    exact size; for the MNIST CNN (blocks of very different shapes) it is
 *    the model-wide average.
 *  - Real mode. Every block weight matrix is encoded and decoded once, in
 *    place (model_net_map_weights), so every forward pass uses exactly the
 *    weights a node would reconstruct from its stored buffer. The client's
 *    own matrices (token embedding, classifier) stay fp32: they do not sit
 *    on a node. llm-int8 at rest is the codec's round trip on W itself
 *    (columns of W with any |w| >= threshold kept in fp16, the rest int8
 *    with row/column absmax scales); comp_llm_int8_matmul, which needs the
 *    run-time X, is not used. Low-rank at rest is per matrix:
 *    r = min(R, rows, cols).
 *
 * Analytic presets use the same formula on the block shapes of
 * model_arch_block_matrices (model_desc.h, the one table model_desc_from_arch
 * also counts parameters from: q, o: h x h; k, v: kv x h; up and, for gated
 * MLPs, gate: ff x h; down: h x ff; biases and norm vectors fp32). llm-int8's
 * size depends on the data; with no tensor at hand the preset path assumes
 * no outlier column (k = 0).
 */
#ifndef REAL_WEIGHTS_H
#define REAL_WEIGHTS_H

#include <stdint.h>

#include "comp.h"
#include "model_desc.h"
#include "model_net.h"
#include "ss_status.h"

typedef struct real_weights_stats {
    uint64_t n_matrices;     /* block-owned matrices encoded */
    uint64_t matrix_params;  /* their elements */
    uint64_t matrix_bytes;   /* their exact encoded bytes */
    uint64_t block_params;   /* all parameters of all blocks */
    double bytes_per_param;  /* (matrix_bytes + 4 * (block_params - matrix_params)) / block_params */
    double max_abs_err;      /* real mode: largest |w - decoded w| over all matrices */
} real_weights_stats;

/* Real mode: round-trip every block weight matrix of `net` through `c` in
 * place. block_bytes (n_blocks, may be NULL) receives each block's exact
 * bytes at rest. Non-finite weights or SVD failure: SS_ENUMERIC with the
 * matrix named in err. */
ss_status real_weights_apply(model_net *net, const comp_codec *c, uint64_t *block_bytes,
                            real_weights_stats *stats, char *err, size_t errlen);

/* Analytic: bytes at rest of one block of preset `a` under `c`
 * (llm-int8: k = 0 outlier columns). SS_EINVAL for an inconsistent `a`
 * (model_arch_block_matrices), or the codec's status for a size out of range. */
ss_status real_weights_arch_block_bytes(const model_arch *a, const comp_codec *c,
                                       uint64_t *bytes, char *err, size_t errlen);

/* Set desc->weight_bytes_per_param from per-block bytes (n_blocks of desc). */
void real_weights_set_desc(model_desc *desc, const uint64_t *block_bytes);

#endif
