/* model_generate.h - greedy generation with llama2.c's exact printing.
 *
 * model_generate_greedy reproduces `run model.bin -z tok.bin -t 0 -n steps
 * -i prompt`: the prompt is encoded with BOS and fed position by position
 * (here: prefilled in one span_forward call), every position prints the
 * decoded piece of the token that follows (prompt pieces first, then the
 * argmax continuation), generation stops when BOS is produced or after
 * `steps` positions (prompt positions included), and a final "\n" is printed.
 *
 * The per-position logic is the model_gen stepper below, so the simulator
 * can drive the same session hop by hop: while !gen.done, run the token
 * gen.token at position gen.pos through embed, every span and head (only
 * when model_gen_needs_logits), then model_gen_advance. Print "\n" at the
 * end as model_generate_greedy does.
 */
#ifndef MODEL_GENERATE_H
#define MODEL_GENERATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model_net.h"
#include "model_tokenizer.h"

/* Index of the first maximum, as llama2.c's argmax (NaN never wins unless
 * logits[0] is NaN). n must be > 0. */
int model_logits_argmax(const float *logits, int n);

/* One greedy session (caller-owned storage: model_gen_init / model_gen_fini). */
typedef struct model_gen {
    int32_t *prompt;  /* (n_prompt) owned: BOS + the encoded prompt */
    int n_prompt;     /* >= 1 */
    int steps;        /* positions to run at most */
    int pos;          /* position of `token`, the next input */
    int32_t token;    /* next input token */
    bool done;        /* BOS produced or steps reached */
    const model_tokenizer *tok; /* borrowed */
} model_gen;

/* Encodes `prompt` (NULL = "") with BOS. steps <= 0 or > seq_len means
 * seq_len, as llama2.c's -n 0. SS_EINVAL for NULL arguments or seq_len <= 0,
 * SS_ENOMEM, or the encoder's status. */
ss_status model_gen_init(model_gen *g, const model_tokenizer *t, const char *prompt, int steps,
                         int seq_len);
void model_gen_fini(model_gen *g);

/* Whether the next advance chooses from logits (false while the prompt is
 * being forced, so a forward pass may skip the head). */
bool model_gen_needs_logits(const model_gen *g);

/* Consumes the step at g->pos: picks the next token (the next prompt token,
 * or argmax of `logits` (n_vocab)), stops on BOS, else prints its piece with
 * llama2.c's safe_printf to `out` (NULL: print nothing) and moves on.
 * SS_EINVAL if done already, or logits are needed but NULL. */
ss_status model_gen_advance(model_gen *g, const float *logits, int n_vocab, FILE *out);

/* The whole generation on one span [0, n_blocks) of `net`, printing to out. */
ss_status model_generate_greedy(const model_net *net, const model_tokenizer *t,
                                const char *prompt, int steps, FILE *out);

#endif
