/* sim_churn.h - a node's churn as an alternating up/down renewal process,
 * drawn from the node's own named RNG stream. The distributions come from
 * the scenario or from a fitted data set (datasets/dset_churn.h).
 */
#ifndef SIM_CHURN_H
#define SIM_CHURN_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "scn_scenario.h"
#include "ss_status.h"

/* An alternating renewal process: up for a draw of up_s, down for a draw of
 * down_s, and so on. Durations are drawn in seconds from the stream
 * (seed, SS_RNG_FAULT, node_id, SS_RNG_UPTIME), rounded to ns and at
 * least 1 ns (so time strictly advances). The node is up at start_ns. */
typedef struct sim_churn_proc {
    scn_dist up_s, down_s;
    gsl_rng *rng;    /* owned */
    int up;          /* state since `at_ns` */
    int64_t at_ns;   /* time of the last transition (or start) */
} sim_churn_proc;

ss_status sim_churn_proc_init(sim_churn_proc *p, const scn_dist *up_s, const scn_dist *down_s,
                              uint64_t seed, uint64_t node_id, int64_t start_ns);
/* Advance to the next transition: *t_ns its time, *up the new state. Once
 * time would pass INT64_MAX the process stays in its state forever and
 * returns *t_ns = INT64_MAX. */
void sim_churn_proc_next(sim_churn_proc *p, int64_t *t_ns, int *up);
void sim_churn_proc_fini(sim_churn_proc *p);

#endif
