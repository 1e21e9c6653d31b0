/* dset_churn.h - node churn data: fitted availability presets from the
 * Failure Trace Archive and churn traces to replay. The renewal process
 * that draws from a preset lives in sim/sim_churn.h.
 *
 * Presets (dset_churn_load) come from fta_fitted_availability_params.csv
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
 * Default family: Weibull (DSET_CHURN_DEFAULT_FAMILY). The FTA study finds
 * the heavy-tailed families (Weibull, lognormal, gamma) fit availability
 * intervals far better than the exponential, with no single winner across
 * data sets; Weibull is the one OpenDC's and our examples quote and keeps
 * both the mean and a decreasing hazard. We did not re-rank the fits; pick
 * another family per scenario where it matters.
 *
 * Churn traces (dset_churn_trace_load): CSV with the exact header
 * `time_s,node,state`, state `up` or `down`, node a name from the caller's
 * list, time_s a non-negative finite number of seconds (converted to ns by
 * rounding to the nearest). Events must be in non-decreasing time order;
 * ties keep file order. Every node starts up at time 0; its events must
 * alternate (down, up, down, ...), except that its first event may be `up`,
 * meaning it was down from time 0. A header-only file is a valid empty
 * trace (no churn). The CSV rules of dset_csv.h apply.
 */
#ifndef DSET_CHURN_H
#define DSET_CHURN_H

#include <stddef.h>
#include <stdint.h>

#include "scn_scenario.h"
#include "ss_status.h"

#define DSET_CHURN_NAME_MAX 32

typedef enum dset_churn_family {
    DSET_CHURN_EXPONENTIAL,
    DSET_CHURN_WEIBULL,
    DSET_CHURN_LOGNORMAL,
    DSET_CHURN_GAMMA,
    DSET_CHURN_N_FAMILIES
} dset_churn_family;

#define DSET_CHURN_DEFAULT_FAMILY DSET_CHURN_WEIBULL

typedef struct dset_churn_preset {
    char name[DSET_CHURN_NAME_MAX]; /* lower-case data set name */
    char system[128];              /* description, e.g. "Overnet P2P peers (2003)" */
    scn_dist up_s[DSET_CHURN_N_FAMILIES];   /* up-interval distributions, seconds */
    scn_dist down_s[DSET_CHURN_N_FAMILIES]; /* down-interval distributions, seconds */
    unsigned have_up, have_down;   /* bit f set: family f present */
} dset_churn_preset;

typedef struct dset_churn_table {
    size_t n;
    dset_churn_preset *presets; /* (n) sorted by name; owned */
} dset_churn_table;

/* Family by name ("exponential", "weibull", "lognormal", "gamma"). */
ss_status dset_churn_family_parse(const char *name, dset_churn_family *out);
const char *dset_churn_family_name(dset_churn_family f);

/* Parse the FTA parameter file into caller-owned *out (release with
 * dset_churn_fini; zeroed on error). Errors, "FILE: line L: ...": SS_EPARSE
 * (CSV, header, numbers, unknown phase/distribution or parameter names),
 * SS_ERANGE (parameters out of range), SS_ESCHEMA (duplicate fit), ENOMEM. */
ss_status dset_churn_load(const char *path, dset_churn_table *out, char *err, size_t errlen);
void dset_churn_fini(dset_churn_table *t);

/* Up and down distributions (seconds) of preset `name` in `family`.
 * SS_ENOTFOUND: unknown name (the message lists every known name, sorted)
 * or the preset lacks that family. */
ss_status dset_churn_find(const dset_churn_table *t, const char *name, dset_churn_family family,
                         scn_dist *up_s, scn_dist *down_s, char *err, size_t errlen);

/* ---- Churn traces ------------------------------------------------------- */

typedef struct dset_churn_event {
    int64_t t_ns;
    int32_t node; /* index into the caller's node list */
    int32_t up;   /* 1: comes up, 0: goes down */
} dset_churn_event;

typedef struct dset_churn_trace {
    size_t n;
    dset_churn_event *events; /* (n) in file order (time non-decreasing); owned */
} dset_churn_trace;

/* Load a churn trace whose nodes are named in `node_names` (n_nodes,
 * borrowed for the call; looked up by a linear scan, O(n_nodes) per event). Errors: SS_EPARSE (CSV/header/number/state),
 * SS_ERANGE (negative or too large time, decreasing time), SS_ESCHEMA
 * (unknown node, a node's state repeated), SS_ENOMEM. */
ss_status dset_churn_trace_load(const char *path, const char *const *node_names, size_t n_nodes,
                               dset_churn_trace *out, char *err, size_t errlen);
void dset_churn_trace_fini(dset_churn_trace *t);

#endif
