/* model_eval.h - accuracy metrics over real data with any model_net.
 *
 * MNIST classification accuracy and TinyStories perplexity. Neither knows
 * simulated time: the body of the network (all blocks between the client's
 * embed and head) is either run locally over a list of spans, or delegated
 * to a caller's callback, so the simulator can push the same activations
 * through its pipeline (compression, byzantine nodes, reroutes) and the
 * metric reflects every choice it made.
 *
 * Sums run in a fixed order in double precision, so a metric is a
 * deterministic function of the logits.
 */
#ifndef MODEL_EVAL_H
#define MODEL_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "model_data.h"
#include "model_net.h"
#include "model_tokenizer.h"

/* Runs blocks [0, n_blocks) for ONE fresh sequence (or a batch of stateless
 * items): in (n_items, act_in_elems of block 0) -> out (n_items,
 * act_out_elems of the last block), positions 0 .. n_items-1. A stateful
 * implementation must start from empty state on every call. */
typedef ss_status (*model_eval_body_fn)(void *ctx, const model_net *m, int n_items,
                                        const float *in, float *out);

/* How the body runs. All zero: locally, as one span. */
typedef struct model_eval_route {
    const int *span_ends;   /* (n_spans) strictly increasing block ends, the last == n_blocks;
                               span i is [span_ends[i-1] (0 for i = 0), span_ends[i]) */
    int n_spans;            /* 0: one span [0, n_blocks) */
    model_eval_body_fn body; /* non-NULL: called instead of the local spans */
    void *ctx;              /* passed to body */
} model_eval_route;

/* The local body: each span in turn with a freshly created state (destroyed
 * before returning). SS_EINVAL for a malformed span list. route may be NULL. */
ss_status model_eval_body_local(const model_net *m, const model_eval_route *route, int n_items,
                                const float *in, float *out);

typedef struct model_eval_mnist_result {
    int n_images;
    int n_correct;
    double accuracy;        /* n_correct / n_images */
} model_eval_mnist_result;

/* Classifies the first n_images images (0: all) in batches of `batch`
 * images: embed (raw 0..255 pixels as floats) -> body -> head -> argmax
 * (lowest index on ties). images: (N, 28, 28) ubyte IDX; labels: (N) IDX
 * with values < n_outputs. The model must take raw_in_elems ==
 * 28*28. SS_EINVAL/SS_ESCHEMA on mismatched inputs (err says which). */
ss_status model_eval_mnist(const model_net *m, const model_idx *images, const model_idx *labels,
                           int n_images, int batch, const model_eval_route *route,
                           model_eval_mnist_result *res, char *err, size_t errlen);

typedef struct model_eval_ppl_result {
    int n_stories;
    uint64_t n_tokens_scored; /* predicted tokens summed over stories */
    double mean_nll;          /* nats per scored token */
    double perplexity;        /* exp(mean_nll) */
} model_eval_ppl_result;

/* Perplexity over the first n_stories stories (0: all). Each story is
 * encoded as llama2.c does for a prompt (BOS, dummy-prefix space, no EOS),
 * truncated to seq_len tokens; tokens 0..n-2 are fed from position 0 with a
 * fresh state and token i+1 is scored against the log-softmax of the
 * logits at position i (so n-1 tokens are scored; stories that encode to
 * fewer than 2 tokens are skipped and not counted). The model must be a
 * token model with n_outputs == the tokenizer's vocabulary size. */
ss_status model_eval_perplexity(const model_net *m, const model_tokenizer *tok,
                                const model_stories *stories, int n_stories,
                                const model_eval_route *route, model_eval_ppl_result *res,
                                char *err, size_t errlen);

#endif
