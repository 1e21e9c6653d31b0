/* sim_workload.h - when requests arrive and how long they are.
 *
 * Open loop: Poisson (exponential gaps), gamma (bursty: gaps with a given
 * coefficient of variation) or a replayed Azure LLM trace (arrival offsets
 * and token counts from the file, optionally time-scaled). Closed loop: a
 * fixed number of users, each sending its next request a think time after
 * its previous one ended. Arrivals stop after workload.n_requests or at
 * horizon_s, whichever comes first. Every draw comes from the workload's
 * named streams (SS_RNG_WORKLOAD, 0, purpose).
 */
#ifndef SIM_WORKLOAD_H
#define SIM_WORKLOAD_H

#include <stdint.h>

#include "scn_scenario.h"
#include "ss_status.h"

typedef struct sim_workload sim_workload;

/* `assets_dir` resolves trace presets (traces/AzureLLMInferenceTrace_*.csv);
 * `seq_len` (> 1) bounds prompt + output, 0 for no bound. */
ss_status sim_workload_create(const scn_scenario *s, const char *assets_dir, int seq_len,
                              sim_workload **out, char *err, size_t errlen);
void sim_workload_destroy(sim_workload *w);

/* Closed loop: the number of users (0 for an open-loop workload). */
int64_t sim_workload_users(const sim_workload *w);

/* Open loop: absolute time of the next arrival after one at `now_ns` (the
 * first: call with -1), or -1 when arrivals are over (count, horizon, end
 * of the trace). Closed loop: time a user who became free at `now_ns` sends
 * its next request (now + think time; the first: now_ns = 0), or -1 when
 * arrivals are over. Each successful call reserves one request. */
int64_t sim_workload_next(sim_workload *w, int64_t now_ns);

/* Token counts of the request arriving now (the k-th reserved arrival gets
 * the k-th call): drawn, or the trace row's; clamped to >= 1 and to seq_len.
 * Returns 1 when the request asked for more than the model's context (the
 * prompt above seq_len - 1 positions, or prompt + output above seq_len), so
 * it is served truncated and recorded as such; else 0. */
int sim_workload_tokens(sim_workload *w, int32_t *prompt, int32_t *output);

#endif
