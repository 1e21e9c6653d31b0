/* ana_metrics.h - summary metrics of one run, computed from sim_results.
 *
 * Definitions (also in analysis/README.md; all times in seconds of
 * simulated time, converted from int64 ns as ns / 1e9):
 *   e2e   = finish - arrival                    over requests with status ok
 *   ttft  = first_token - arrival               over ok requests that produced a token
 *   tpot  = (finish - first_token) / (tokens_done - 1)
 *                                               over ok requests with tokens_done > 1
 *   time in system: ok requests until finish, incomplete ones until the run
 *     end (censored); failed requests are excluded (their exit time is not
 *     recorded).
 *   throughput: sum of tokens_done over all requests / end_s (tokens/s),
 *     n_ok / end_s (requests/s).
 *   utilisation of a node = busy / end; mean and max over nodes.
 * Quantiles: samples sorted ascending, then gsl_stats_quantile_from_sorted_data,
 * i.e. linear interpolation at rank (n - 1) * q (Hyndman & Fan type 7, the
 * default of R and numpy). An empty sample set, or end_ns <= 0 for rates,
 * gives NaN ("undefined"), stored as NULL.
 */
#ifndef ANA_METRICS_H
#define ANA_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "sim_results.h"
#include "ss_status.h"

typedef struct ana_dist {
    int64_t n;                   /* samples */
    double mean, p50, p90, p99;  /* seconds; NaN when n == 0 */
} ana_dist;

typedef struct ana_metrics {
    int64_t n_requests, n_ok, n_failed, n_incomplete;
    int64_t tokens_done;            /* sum over all requests */
    ana_dist e2e_s, ttft_s, tpot_s;
    double throughput_tokens_per_s; /* NaN if end_ns <= 0 */
    double throughput_requests_per_s;
    double utilisation_mean, utilisation_max; /* NaN if no nodes or end_ns <= 0 */
    double time_in_system_mean_s;   /* NaN if no ok or incomplete request */
    int64_t n_recovered;            /* ok requests that survived a node failure (retries > 0) */
    double availability_mean;       /* over nodes, 1 - down / end; NaN if no nodes or end <= 0 */
    double bytes_sent_total;        /* activation bytes sent by all nodes */
    double slo_attainment;          /* fraction of all requests ok and within the SLO; NaN: no SLO */
    double goodput_requests_per_s;  /* requests within the SLO per second; NaN: no SLO */
    /* Recovery and routing, over all requests (issue 11 item 6): */
    int64_t retries_total;          /* recovery attempts */
    int64_t dead_sends_total;       /* hops sent to a node found dead on contact */
    int64_t n_truncated;            /* requests served clamped to the model's context */
    int64_t n_sent_to_dead;         /* requests with at least one such hop */
    int64_t tokens_recomputed_total;/* positions replayed on new nodes */
    double recovery_s_total;        /* summed recovery time, seconds */
    double recovery_s_mean;         /* over requests with retries > 0; NaN: none */
    double route_len_mean;          /* hops of the first chain, over routed requests; NaN: none */
    /* Placement "petals" moving nodes (issue 11 item 3; 0 otherwise): */
    int64_t rebalance_moves;        /* moves after a balance check */
    int64_t rejoin_moves;           /* nodes back from churn on other blocks */
    double span_download_s;         /* weight downloads of new spans, summed, seconds */
} ana_metrics;

/* Compute every metric. Allocates scratch (3 arrays of n_requests doubles)
 * through ss_malloc and frees it before returning.
 * Status: SS_OK; SS_EINVAL (r inconsistent: NULL arrays with n > 0, ok
 * request without a finish time); SS_ENOMEM. */
ss_status ana_metrics_compute(const sim_results *r, ana_metrics *m, char *err, size_t errlen);

/* The metrics as (name, value) pairs, the rows of the `metrics` table, in a
 * fixed order: index 0 .. ana_metrics_count() - 1. */
size_t ana_metrics_count(void);
const char *ana_metrics_name(size_t i);
double ana_metrics_value(const ana_metrics *m, size_t i);

/* Utilisation busy / end of one node, NaN when end_ns <= 0. */
double ana_utilisation(int64_t busy_ns, int64_t end_ns);

/* Quantile q in [0, 1] of sorted[0..n), type 7; NaN when n == 0. */
double ana_quantile_sorted(const double *sorted, size_t n, double q);

#endif
