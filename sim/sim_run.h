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
#include <stdio.h>

#include "scn_scenario.h"
#include "sim_engine.h"
#include "sim_obs.h"
#include "sim_results.h"
#include "ss_status.h"

/* `shardsim generate`: instead of the scenario's workload, one session at
 * time 0 that generates greedily from `prompt` for `steps` positions and
 * prints the text to `out` exactly as llama2.c's run does. Real mode only. */
typedef struct sim_generate_spec {
    const char *prompt; /* NULL or "": generate from BOS */
    int steps;          /* positions including the prompt; <= 0: the model's seq_len */
    FILE *out;          /* NULL: print nothing */
} sim_generate_spec;

typedef struct sim_run_opts {
    const char *presets_dir; /* folder with <preset>.json architecture presets */
    int keep_routes;         /* record each request's route (record level "requests") */
    const char *model_path;  /* real mode: replaces the scenario's checkpoint (NULL: keep) */
    const char *assets_dir;  /* shared data: measured RTTs, churn fits, request traces */
    const sim_generate_spec *generate; /* NULL: the scenario's workload */
    int analytic;            /* 1: no real tensors even with real weights: compute times from
                                the cost model, wire bytes from comp_wire_bytes_max (llm-int8:
                                every column an outlier); lets models that cannot serve
                                generation sessions (the MNIST CNN) be timed */
    sim_progress_fn progress; /* NULL: none; else called every SIM_PROGRESS_EVERY events
                                 (sim_engine_set_progress): observes, never changes a result */
    void *progress_ctx;
    sim_obs *obs;            /* the event record's observer (sim_obs.h); NULL: nothing recorded */
} sim_run_opts;

/* Run `s` with seed s->seed. On success *out holds the results (release with
 * sim_results_fini). On failure returns the status, writes one line to err
 * and leaves *out zeroed. */
ss_status sim_run(const scn_scenario *s, const sim_run_opts *opts, sim_results *out, char *err,
                  size_t errlen);

/* Every check sim_run makes before its first event, without simulating:
 * builds the world exactly as sim_run does (model or weights loaded and
 * checked, registry names, presets, measured-RTT cities, placement and
 * memory fit, workload and trace files, churn data, faults) and tears it
 * down. SS_OK here means sim_run will not reject `s` with these opts
 * before simulating. Errors as sim_run's. */
ss_status sim_check(const scn_scenario *s, const sim_run_opts *opts, char *err, size_t errlen);

#endif
