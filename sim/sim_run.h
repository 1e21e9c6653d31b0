/* sim_run.h - simulate one scenario from start to drain.
 *
 * Builds the world (model description, placement, nodes, named RNG streams,
 * workload), runs the event loop and fills an sim_results. Nothing here
 * touches a database or the host clock: the same scenario and seed give the
 * same results on every machine.
 *
 * Request life (DESIGN.md section 1): arrival at the client -> route chosen ->
 * pass 0 (prefill of the prompt) hop by hop: transfer to the hop's node,
 * FIFO compute queue there, compute (cost model, or a drawn service time for
 * synthetic models), then on to the next hop; the last hop's output returns
 * to the client, which emits a token. Every further token is one decode pass
 * of one position through the same chain.
 */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include <stddef.h>

#include "scn_scenario.h"
#include "sim_results.h"
#include "ss_status.h"

typedef struct sim_run_opts {
    const char *presets_dir; /* folder with <preset>.json architecture presets */
    int keep_routes;         /* record each request's first-pass route (default level "requests") */
} sim_run_opts;

/* Run `s` with seed s->seed. On success *out holds the results (release with
 * sim_results_fini). On failure returns the status, writes one line to err
 * and leaves *out zeroed. */
ss_status sim_run(const scn_scenario *s, const sim_run_opts *opts, sim_results *out, char *err,
                  size_t errlen);

#endif
