/* exp_tune.h - tune a routing policy's numeric settings with a biased
 * random-key genetic algorithm (BRKGA).
 *
 * BRKGA (J. F. Goncalves and M. G. C. Resende, "Biased random-key genetic
 * algorithms for combinatorial optimization", Journal of Heuristics 17(5),
 * 487-525, 2011): an individual is a vector of random keys in [0, 1), one
 * per setting, decoded to the setting's range (routing/'s settings spec of
 * the scenario's routing policy, route_setting_spec) linearly:
 * value = min + key (max - min). Each generation the population is sorted
 * by fitness; the best `elite` fraction is copied unchanged, a `mutants`
 * fraction is drawn anew, and the rest are children of one elite and one
 * non-elite parent chosen uniformly, each key taken from the elite parent
 * with probability `rho` (biased crossover). Defaults are the paper's
 * recommended values: elite 0.20, mutants 0.15, rho 0.70; its population
 * 100 x 100 generations is available as options (pop, generations).
 * The first individual of the first population is the scenario's own
 * settings (defaults filled in), so the best found is never worse on the
 * tuning seeds than what it starts from.
 *
 * An individual's fitness is the mean of metric `objective` (a `metrics`
 * table name, analysis/ana_metrics.h) over the tuning seeds 1..n_seeds,
 * each a run through exp_run (stored, idempotent: a rerun or a repeated
 * individual costs one look-up); a failed run or an undefined metric makes
 * the individual worst. The best settings and the scenario's own are then
 * compared on the held-out seeds n_seeds+1 .. n_seeds+n_holdout, never
 * tuned on. Every draw comes from the named stream
 * (seed, SS_RNG_TUNE, 0, SS_RNG_CHOICE): same scenario, options and seed
 * => same result.
 */
#ifndef EXP_TUNE_H
#define EXP_TUNE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exp_run.h"
#include "scn_scenario.h"
#include "ss_status.h"

#define EXP_TUNE_MAX_PARAMS 16
#define EXP_TUNE_KEY_MAX 64

/* One tuned setting: routing.settings.<key> in [lo, hi]. */
typedef struct exp_tune_param {
    char key[EXP_TUNE_KEY_MAX];
    double lo, hi;
} exp_tune_param;

typedef struct exp_tune_opts {
    const char *objective;      /* a metric name (required) */
    int maximize;               /* 1: larger is better (throughput); 0: smaller (latency) */
    int generations;            /* generations evaluated, >= 1 (the budget) */
    int pop;                    /* population size, >= 2 */
    double elite, mutants, rho; /* fractions of pop, and the crossover bias; 0: defaults */
    int n_seeds, n_holdout;     /* tuning seeds 1..n_seeds; held-out seeds after them */
    uint64_t seed;              /* the GA's own stream */
    const exp_run_opts *run;    /* every run's options; NULL: defaults */
    FILE *log;                  /* one line per generation; NULL: none */
} exp_tune_opts;

/* BRKGA defaults (Goncalves & Resende 2011). */
#define EXP_TUNE_ELITE 0.20
#define EXP_TUNE_MUTANTS 0.15
#define EXP_TUNE_RHO 0.70

typedef struct exp_tune_result {
    char policy[64];
    int n_params;
    exp_tune_param params[EXP_TUNE_MAX_PARAMS];
    double def[EXP_TUNE_MAX_PARAMS];    /* the scenario's own settings */
    double best[EXP_TUNE_MAX_PARAMS];   /* the best found */
    double def_train, best_train;       /* objective means over the tuning seeds */
    double def_holdout, best_holdout;   /* ... over the held-out seeds */
    int n_elite, n_mutants;             /* per generation */
    size_t n_evaluations;               /* individuals evaluated (each n_seeds runs) */
    int improved;                       /* 1: best beats the scenario's own on held-out seeds */
} exp_tune_result;

/* Tune the routing settings of the scenario at `path` (with overrides).
 * Status: SS_OK; SS_ESCHEMA (objective is not a metric; the policy has no
 * settings; err: one line naming the file); scenario load errors (as
 * scn_load's); SS_EINVAL (bad options); database statuses. */
ss_status exp_tune_run(const char *path, const scn_override *ov, size_t n_ov, const exp_tune_opts *o,
                       ana_db *db, exp_tune_result *out, char *err, size_t errlen);

/* The pure pieces, for tests. decode: values[i] = lo + keys[i] (hi - lo).
 * encode: its inverse, clamped to [0, 1]. crossover: child[i] = u[i] < rho
 * ? elite[i] : other[i] (u: n uniform draws). plan: the elite and mutant
 * counts of a population (elite >= 1, elite + mutants < pop). */
void exp_tune_decode(const exp_tune_param *p, int n, const double *keys, double *values);
void exp_tune_encode(const exp_tune_param *p, int n, const double *values, double *keys);
void exp_tune_crossover(const double *elite, const double *other, int n, double rho,
                        const double *u, double *child);
void exp_tune_plan(int pop, double elite, double mutants, int *n_elite, int *n_mutants);

#endif
