/* sim_churn.h - node churn: fitted availability presets from the Failure
 * Trace Archive, churn-trace replay, and an alternating up/down renewal
 * process drawn from a named RNG stream.
 *
 * Presets (sim_churn_load) come from fta_fitted_availability_params.csv
 * (Javadi, Kondo, Iosup, Epema, JPDC 2013, as used by OpenDC): per data set,
 * exponential, Weibull, lognormal and gamma fits of up ("availability") and
 * down ("unavailability") interval lengths in hours. A preset's name is the
 * data set name lower-cased: microsoft99, overnet03, skype06, nd07cpu, pl05,
 * websites02, ldns04, g5k06, lanl05; "planetlab05" is an alias of pl05.
 * Conversion to scn_dist (seconds; 1 h = 3600 s), by family:
 *   exponential mean_h                   -> EXPONENTIAL(mean = 3600 mean_h)
 *   weibull shape_k, scale_lambda_h      -> WEIBULL(shape = k, scale = 3600 lambda)
 *   lognormal mu, sigma (of ln hours)    -> LOGNORMAL(median = 3600 e^mu, sigma)
 *   gamma shape_k, scale_theta_h         -> GAMMA(shape = k, scale = 3600 theta)
 * Default family: Weibull (SIM_CHURN_DEFAULT_FAMILY). The FTA study finds
 * the heavy-tailed families (Weibull, lognormal, gamma) fit availability
 * intervals far better than the exponential, with no single winner across
 * data sets; Weibull is the one OpenDC's and our examples quote and keeps
 * both the mean and a decreasing hazard. We did not re-rank the fits; pick
 * another family per scenario where it matters.
 *
 * Churn traces (sim_churn_trace_load): CSV with the exact header
 * `time_s,node,state`, state `up` or `down`, node a name from the caller's
 * list, time_s a non-negative finite number of seconds (converted to ns by
 * rounding to the nearest). Events must be in non-decreasing time order;
 * ties keep file order. Every node starts up at time 0; its events must
 * alternate (down, up, down, ...), except that its first event may be `up`,
 * meaning it was down from time 0. A header-only file is a valid empty
 * trace (no churn). The CSV rules of sim_csv.h apply.
 */
#ifndef SIM_CHURN_H
#define SIM_CHURN_H

#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "scn_scenario.h"
#include "ss_status.h"

#define SIM_CHURN_NAME_MAX 32

typedef enum sim_churn_family {
    SIM_CHURN_EXPONENTIAL,
    SIM_CHURN_WEIBULL,
    SIM_CHURN_LOGNORMAL,
    SIM_CHURN_GAMMA,
    SIM_CHURN_N_FAMILIES
} sim_churn_family;

#define SIM_CHURN_DEFAULT_FAMILY SIM_CHURN_WEIBULL

typedef struct sim_churn_preset {
    char name[SIM_CHURN_NAME_MAX]; /* lower-case data set name */
    char system[128];              /* description, e.g. "Overnet P2P peers (2003)" */
    scn_dist up_s[SIM_CHURN_N_FAMILIES];   /* up-interval distributions, seconds */
    scn_dist down_s[SIM_CHURN_N_FAMILIES]; /* down-interval distributions, seconds */
    unsigned have_up, have_down;   /* bit f set: family f present */
} sim_churn_preset;

typedef struct sim_churn_table {
    size_t n;
    sim_churn_preset *presets; /* (n) sorted by name; owned */
} sim_churn_table;

/* Family by name ("exponential", "weibull", "lognormal", "gamma"). */
ss_status sim_churn_family_parse(const char *name, sim_churn_family *out);
const char *sim_churn_family_name(sim_churn_family f);

/* Parse the FTA parameter file into caller-owned *out (release with
 * sim_churn_fini; zeroed on error). Errors, "FILE: line L: ...": SS_EPARSE
 * (CSV, header, numbers, unknown phase/distribution or parameter names),
 * SS_ERANGE (parameters out of range), SS_ESCHEMA (duplicate fit), ENOMEM. */
ss_status sim_churn_load(const char *path, sim_churn_table *out, char *err, size_t errlen);
void sim_churn_fini(sim_churn_table *t);

/* Up and down distributions (seconds) of preset `name` in `family`.
 * SS_ENOTFOUND: unknown name (the message lists every known name, sorted)
 * or the preset lacks that family. */
ss_status sim_churn_find(const sim_churn_table *t, const char *name, sim_churn_family family,
                         scn_dist *up_s, scn_dist *down_s, char *err, size_t errlen);

/* ---- Churn traces ------------------------------------------------------- */

typedef struct sim_churn_event {
    int64_t t_ns;
    int32_t node; /* index into the caller's node list */
    int32_t up;   /* 1: comes up, 0: goes down */
} sim_churn_event;

typedef struct sim_churn_trace {
    size_t n;
    sim_churn_event *events; /* (n) in file order (time non-decreasing); owned */
} sim_churn_trace;

/* Load a churn trace whose nodes are named in `node_names` (n_nodes,
 * borrowed for the call; looked up by a linear scan, O(n_nodes) per event). Errors: SS_EPARSE (CSV/header/number/state),
 * SS_ERANGE (negative or too large time, decreasing time), SS_ESCHEMA
 * (unknown node, a node's state repeated), SS_ENOMEM. */
ss_status sim_churn_trace_load(const char *path, const char *const *node_names, size_t n_nodes,
                               sim_churn_trace *out, char *err, size_t errlen);
void sim_churn_trace_fini(sim_churn_trace *t);

/* ---- Renewal process ---------------------------------------------------- */

/* An alternating renewal process: up for a draw of up_s, down for a draw of
 * down_s, and so on. Durations are drawn in seconds from the stream
 * (seed, SIM_RNG_FAULT, node_id, SIM_RNG_UPTIME), rounded to ns and at
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
