/* exp_compare.h - paired comparison of a scenario's variants
 * (scenarios/scn_compare.h) on the same seeds, through the sweep executor.
 *
 * Every variant runs on seeds 1..N as one zip sweep (exp_sweep_run: N
 * workers, each run stored once, found stored on a rerun); the sweep is
 * named "compare-<scenario>-<12 hex of its identity>", so an edited block
 * is a new sweep, never a refused one. Then, per metric, each variant's
 * mean over its seeds and its paired difference against the first variant:
 * d_s = x_variant(s) - x_first(s) over the seeds where both have a value,
 * mean(d) +- t(0.975, n-1) sd(d)/sqrt(n) (Student's t quantile,
 * gsl_cdf_tdist_Pinv). Pairing removes the seed-to-seed variation both
 * variants share (the same world, churn and arrivals per seed).
 *
 * Output is a function of the stored results only (no counts of what this
 * call ran, no wall clock), so the same seeds give byte-identical output
 * whether the runs were simulated now or found stored.
 */
#ifndef EXP_COMPARE_H
#define EXP_COMPARE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exp_sweep.h"
#include "scn_compare.h"
#include "ss_status.h"

/* The metrics a comparison reports, in output order. */
#define EXP_COMPARE_N_METRICS 14 /* the last 4: trust metrics, shown only when stored */
const char *exp_compare_metric(size_t i);

/* A paired difference b - a and its 95 % confidence interval. */
typedef struct exp_paired {
    size_t n;          /* pairs with both values finite */
    double mean;       /* mean difference; NaN when n == 0 */
    double sd;         /* sample standard deviation of the differences; NaN when n < 2 */
    double half;       /* t(0.975, n-1) * sd / sqrt(n); NaN when n < 2 */
    double lo, hi;     /* mean -+ half */
    int significant;   /* 1: the interval excludes 0; 0: it contains 0; -1: no interval */
} exp_paired;

/* The paired difference b[i] - a[i] over the i < n where both are finite
 * (NaN marks a missing value). Pure: no state, no I/O. */
void exp_paired_ci(const double *a, const double *b, size_t n, exp_paired *out);

typedef struct exp_compare_opts {
    exp_sweep_opts sweep;          /* jobs, run options, log, progress (the seeds: c's) */
} exp_compare_opts;

/* The comparison's values: value[(m * n_variants + v) * n_seeds + s] is
 * metric m of variant v on seed s + 1 (NaN: failed point or undefined). */
typedef struct exp_compare_result {
    char sweep_name[SCN_NAME_MAX];
    exp_sweep_summary summary;
    size_t n_variants, n_seeds;
    double *value;
} exp_compare_result;

/* Check every variant's scenario (loaded with the first seed and checked as
 * exp_validate does), run the sweep into db_path, and read the metrics.
 * The sweep name is set in c->sweep.name. Status: SS_OK (failed points are
 * counted in out->summary and leave NaN values); a variant that does not
 * load or validate: its scn_load / exp_validate status, err "<file>:
 * compare.variants[i] (\"name\"): <what>"; exp_sweep_run's statuses.
 * Release *out with exp_compare_result_fini. */
ss_status exp_compare_run(scn_compare *c, const char *db_path, const exp_compare_opts *o,
                          exp_compare_result *out, char *err, size_t errlen);
void exp_compare_result_fini(exp_compare_result *r);

/* The tables (tab-separated) to `out`: a header line, then per metric a
 * line "# <metric>", a column line and one row per variant: name, n, mean,
 * and for the others diff, ci_low, ci_high and "ns" when the interval
 * contains 0 ("-" for what is undefined: fewer than 2 pairs, no interval).
 * Numbers as %.6g. Status: SS_OK; SS_EIO (writing failed). */
ss_status exp_compare_print(const scn_compare *c, const exp_compare_result *r, FILE *out);

/* The same as JSON to `path`, written whole (a temporary file renamed over
 * it). Status: SS_OK; SS_EIO (err names the file); SS_ENOMEM. */
ss_status exp_compare_write_json(const scn_compare *c, const exp_compare_result *r,
                                 const char *path, char *err, size_t errlen);

#endif
