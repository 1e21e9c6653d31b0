/* sim_pipeline.h - the data path of a scenario's route, without time.
 *
 * Evaluation (perplexity, MNIST accuracy, codec comparisons) needs what the
 * simulated pipeline computes, not when: the activations leave the client
 * encoded with the wire codec, every hop decodes them, runs its span on a
 * fresh cache and encodes its output, and the client decodes the last one.
 * This is exactly the data path of a real-mode run (sim_session), driven as a
 * model_eval body over whole sequences or batches.
 */
#ifndef SIM_PIPELINE_H
#define SIM_PIPELINE_H

#include <stdint.h>

#include "comp.h"
#include "model_net.h"
#include "route.h"
#include "scn_scenario.h"
#include "sim_model.h"

typedef struct sim_pipeline sim_pipeline;

/* The chain the scenario's placement and routing give its first request;
 * `codec` NULL: the scenario's activation codec. `m` must be real
 * (m->net != NULL) and outlive the pipeline. */
ss_status sim_pipeline_create(const scn_scenario *s, const sim_model *m, const comp_codec *codec,
                              sim_pipeline **out, char *err, size_t errlen);
void sim_pipeline_destroy(sim_pipeline *p);

int sim_pipeline_n_hops(const sim_pipeline *p);
const route_hop *sim_pipeline_hops(const sim_pipeline *p);
/* Exact encoded bytes sent over every hop so far (client -> ... -> client). */
uint64_t sim_pipeline_wire_bytes(const sim_pipeline *p);

/* Called after every body call with the number of calls so far (progress
 * display); NULL to disable. */
void sim_pipeline_on_call(sim_pipeline *p, void (*fn)(void *ctx, uint64_t calls), void *ctx);

/* A model_eval_body_fn: ctx is the sim_pipeline. */
ss_status sim_pipeline_body(void *ctx, const model_net *m, int n_items, const float *in,
                            float *out);

#endif
