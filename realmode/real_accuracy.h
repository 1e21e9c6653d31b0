/* real_accuracy.h - accuracy of a codec through the real pipeline, against fp32.
 *
 * Everything is computed through the scenario's route (real_pipeline: the
 * chain the placement and routing give its first request): the client
 * embeds, every crossing (client -> hop 0 -> ... -> client) encodes and
 * decodes the activation with the codec, every hop runs its span. The
 * reference is the same data path with the lossless fp32 codec on the
 * reference model (the caller loads it without compression.weights), so a
 * codec of fp32 on the reference model gives exactly the reference bits:
 * agreement 1, KL 0, deltas 0.
 *
 * Definitions.
 *  - Greedy token agreement over N steps (language models). The reference
 *    generates greedily from BOS for N positions: T[0] = BOS, T[p+1] =
 *    argmax of the reference logits at position p (a BOS produced on the
 *    way does not stop it; it is fed back like any token). The codec then
 *    runs teacher-forced on T: at every position p it is fed T[p] (not its
 *    own previous choice), one decode pass of one row per position with
 *    every hop keeping its KV cache, exactly as a real-mode session decodes.
 *    agreement = (1/N) * #{p : argmax codec logits at p == T[p+1]}. Teacher
 *    forcing keeps one early divergence from making every later position
 *    disagree.
 *  - KL: at the same N positions, KL(p_fp32 || p_codec) of the next-token
 *    distributions (softmax of the logits), in double precision with
 *    log-sum-exp: log p_i = l_i - LSE(l); KL = sum_i p_i (log p_i - log q_i)
 *    summed in index order; mean and max over positions, in nats.
 *  - Perplexity delta: model_eval_perplexity (model_eval.h) over the first
 *    n_stories stories with the codec pipeline, minus the reference's. Each
 *    story is ONE pass of all its tokens (a prefill), so a crossing carries
 *    an (n_tokens, width) tensor.
 *  - MNIST accuracy delta: model_eval_mnist over the first n_images test
 *    images in pipeline calls of `batch` images, codec minus reference.
 *  - Low-rank codecs on activations: the rank applies per tensor, i.e. per
 *    crossing; the tensor is (rows of the pass, width), so the effective
 *    rank is min(R, rows, width) (comp.h). A decode pass has one row: its
 *    rank is 1 and the round trip is exact up to float rounding, at
 *    16 + 4 * (1 + width) bytes, more than fp32's 16 + 4 * width. Only
 *    multi-row passes (prefill, MNIST batches) lose information.
 *  - Wire bytes: exact encoded bytes over all crossings, per decoded token
 *    (the N-step decode), per scored token (perplexity) and per image.
 */
#ifndef REAL_ACCURACY_H
#define REAL_ACCURACY_H

#include <stdint.h>

#include "comp.h"
#include "model_data.h"
#include "real_pipeline.h"
#include "real_model.h"
#include "ss_status.h"

typedef struct real_accuracy_cfg {
    int steps;                    /* LM: N positions (1 .. seq_len - 1); 0: skip agreement/KL */
    const model_stories *stories; /* LM: perplexity corpus; NULL: skip */
    int n_stories;                /* 0: all */
    const model_idx *images;      /* CNN: IDX test images; NULL: skip */
    const model_idx *labels;      /* CNN: IDX labels */
    int n_images;                 /* 0: all */
    int batch;                    /* CNN: images per pipeline call; <= 0: 1 */
} real_accuracy_cfg;

/* What the reference computed once: T, its logits, perplexity, accuracy. */
typedef struct real_accuracy_ref real_accuracy_ref;

typedef struct real_accuracy_result {
    /* greedy agreement and KL (cfg.steps > 0) */
    int n_positions;
    double agreement;                 /* in [0, 1] */
    double kl_mean, kl_max;           /* nats */
    double gen_wire_bytes_per_token;  /* decode passes, all crossings */
    /* perplexity (cfg.stories) */
    int n_stories;
    double perplexity, perplexity_ref, perplexity_delta; /* delta = codec - ref */
    double ppl_wire_bytes_per_token;
    /* MNIST (cfg.images) */
    int n_images;
    double mnist_accuracy, mnist_accuracy_ref, mnist_accuracy_delta; /* delta = codec - ref */
    double mnist_wire_bytes_per_image;
} real_accuracy_result;

/* The reference on `m` (real, the uncompressed model) with the lossless
 * fp32 codec along `c`. cfg is copied (the corpora it points
 * to are borrowed and must outlive the reference). */
ss_status real_accuracy_ref_create(const real_chain *c, const real_model *m,
                                  const real_accuracy_cfg *cfg, real_accuracy_ref **out, char *err,
                                  size_t errlen);
void real_accuracy_ref_destroy(real_accuracy_ref *r); /* NULL allowed */

/* The greedy reference sequence T (steps + 1 tokens) and its row count. */
const int32_t *real_accuracy_ref_tokens(const real_accuracy_ref *r, int *n_tokens);

/* Measure `codec` on `m` (same architecture as the reference's model; may
 * carry compressed weights) along `c`, against `ref`. Fields
 * for parts the reference's cfg skipped are left 0. */
ss_status real_accuracy_measure(const real_accuracy_ref *ref, const real_chain *c,
                               const real_model *m, const comp_codec *codec,
                               real_accuracy_result *out, char *err, size_t errlen);

/* KL(p || q) of softmax(lp) and softmax(lq), n logits each, in nats
 * (double, log-sum-exp, index order). 0 exactly when lp == lq. */
double real_accuracy_kl(const float *lp, const float *lq, int n);

#endif
