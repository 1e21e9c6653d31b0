/* real_pipeline.h - the data path of a scenario's route, without time.
 *
 * Evaluation (perplexity, MNIST accuracy, codec comparisons) needs what the
 * simulated pipeline computes, not when: the activations leave the client
 * encoded with the wire codec, every hop decodes them, runs its span on a
 * fresh cache and encodes its output, and the client decodes the last one.
 * This is exactly the data path of a real-mode run (real_session), driven as a
 * model_eval body over whole sequences or batches.
 */
#ifndef REAL_PIPELINE_H
#define REAL_PIPELINE_H

#include <stdint.h>

#include "comp.h"
#include "model_net.h"
#include "route.h"
#include "real_model.h"

typedef struct real_pipeline real_pipeline;

/* The chain a pipeline runs along: typically the route the scenario's
 * placement and routing give its first request (sim_first_chain). */
typedef struct real_chain {
    const char *source;         /* names the scenario in error messages */
    const route_hop *hops;      /* (n_hops), borrowed for the call */
    int n_hops;
} real_chain;

/* A pipeline along `chain` (hops copied) with the wire codec `codec`. `m`
 * must be real (m->net != NULL) and outlive the pipeline. */
ss_status real_pipeline_create(const real_chain *chain, const real_model *m,
                               const comp_codec *codec, real_pipeline **out, char *err,
                               size_t errlen);
void real_pipeline_destroy(real_pipeline *p);

int real_pipeline_n_hops(const real_pipeline *p);
const route_hop *real_pipeline_hops(const real_pipeline *p);
/* Exact encoded bytes sent over every hop so far (client -> ... -> client). */
uint64_t real_pipeline_wire_bytes(const real_pipeline *p);

/* Called after every body call with the number of calls so far (progress
 * display); NULL to disable. */
void real_pipeline_on_call(real_pipeline *p, void (*fn)(void *ctx, uint64_t calls), void *ctx);

/* A model_eval_body_fn: ctx is the real_pipeline. */
ss_status real_pipeline_body(void *ctx, const model_net *m, int n_items, const float *in,
                            float *out);

#endif
