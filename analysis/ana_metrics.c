/* ana_metrics.c - latency distributions, throughput and utilisation.
 *
 * Everything is a fixed-order reduction over the arrays as the simulator
 * produced them (sorted copies for quantiles), so the values are bit-for-bit
 * reproducible and can go into the determinism digest.
 */
#include "ana_metrics.h"

#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>

#include "ss_alloc.h"

static double ns_to_s(int64_t ns) { return (double)ns / 1e9; }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ana_quantile_sorted(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return NAN;
    return gsl_stats_quantile_from_sorted_data(sorted, 1, n, q);
}

double ana_utilisation(int64_t busy_ns, int64_t end_ns)
{
    return end_ns > 0 ? (double)busy_ns / (double)end_ns : NAN;
}

/* Sorts x in place. The mean is a plain left-to-right sum over the sorted
 * samples: fixed order, so reproducible. */
static void fill_dist(ana_dist *d, double *x, size_t n)
{
    d->n = (int64_t)n;
    if (n == 0) {
        d->mean = d->p50 = d->p90 = d->p99 = NAN;
        return;
    }
    qsort(x, n, sizeof *x, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    d->mean = sum / (double)n;
    d->p50 = ana_quantile_sorted(x, n, 0.50);
    d->p90 = ana_quantile_sorted(x, n, 0.90);
    d->p99 = ana_quantile_sorted(x, n, 0.99);
}

ss_status ana_metrics_compute(const sim_results *r, ana_metrics *m, char *err, size_t errlen)
{
    double *e2e = NULL, *ttft = NULL, *tpot = NULL;
    ss_status s = SS_OK;
    if (!r || !m || r->n_requests < 0 || r->n_nodes < 0 ||
        (r->n_requests > 0 && !r->requests) || (r->n_nodes > 0 && !r->nodes))
        return ss_err(err, errlen, SS_EINVAL, "metrics: inconsistent results (NULL array or negative count)");
    *m = (ana_metrics){0};
    size_t n = (size_t)r->n_requests;
    e2e = ss_malloc_array(n, sizeof *e2e);
    ttft = ss_malloc_array(n, sizeof *ttft);
    tpot = ss_malloc_array(n, sizeof *tpot);
    if (!e2e || !ttft || !tpot) {
        s = ss_err(err, errlen, SS_ENOMEM, "metrics: out of memory for %zu requests", n);
        goto done;
    }
    size_t n_e2e = 0, n_ttft = 0, n_tpot = 0, n_sys = 0;
    double sys_sum = 0;
    int64_t n_slo = 0;
    int64_t n_retried = 0, n_routed = 0, hops_sum = 0;
    for (size_t i = 0; i < n; i++) {
        const sim_request_rec *q = &r->requests[i];
        m->tokens_done += q->tokens_done;
        m->retries_total += q->retries;
        m->dead_sends_total += q->dead_sends;
        m->n_truncated += q->truncated != 0;
        m->n_sent_to_dead += q->dead_sends > 0;
        m->tokens_recomputed_total += q->tokens_recomputed;
        m->recovery_s_total += ns_to_s(q->recovery_ns);
        n_retried += q->retries > 0;
        n_routed += q->hops > 0;
        hops_sum += q->hops;
        switch (q->status) {
        case SIM_REQUEST_OK:
            m->n_ok++;
            /* A request that asked for 0 tokens finishes without a first token. */
            int no_token = q->tokens_done == 0 && q->first_token_ns < 0;
            if (q->finish_ns < q->arrival_ns ||
                (!no_token && (q->first_token_ns < q->arrival_ns || q->first_token_ns > q->finish_ns))) {
                s = ss_err(err, errlen, SS_EINVAL,
                           "metrics: request %llu is ok but its times are out of order (arrival %lld, first token %lld, finish %lld ns)",
                           (unsigned long long)q->id, (long long)q->arrival_ns,
                           (long long)q->first_token_ns, (long long)q->finish_ns);
                goto done;
            }
            e2e[n_e2e++] = ns_to_s(q->finish_ns - q->arrival_ns);
            if (!no_token)
                ttft[n_ttft++] = ns_to_s(q->first_token_ns - q->arrival_ns);
            if (q->tokens_done > 1)
                tpot[n_tpot++] = ns_to_s(q->finish_ns - q->first_token_ns) / (double)(q->tokens_done - 1);
            sys_sum += ns_to_s(q->finish_ns - q->arrival_ns);
            n_sys++;
            if (q->retries > 0)
                m->n_recovered++;
            /* a request without a first token or a second token has no
             * TTFT or TPOT to miss */
            if ((r->slo_ttft_s <= 0 || no_token ||
                 ns_to_s(q->first_token_ns - q->arrival_ns) <= r->slo_ttft_s) &&
                (r->slo_tpot_s <= 0 || q->tokens_done <= 1 ||
                 ns_to_s(q->finish_ns - q->first_token_ns) / (double)(q->tokens_done - 1) <=
                     r->slo_tpot_s))
                n_slo++;
            break;
        case SIM_REQUEST_INCOMPLETE:
            m->n_incomplete++;
            sys_sum += ns_to_s(r->end_ns - q->arrival_ns);
            n_sys++;
            break;
        case SIM_REQUEST_FAILED:
            m->n_failed++;
            break;
        default:
            s = ss_err(err, errlen, SS_EINVAL, "metrics: request %llu has unknown status %d",
                       (unsigned long long)q->id, (int)q->status);
            goto done;
        }
    }
    m->n_requests = (int64_t)n;
    fill_dist(&m->e2e_s, e2e, n_e2e);
    fill_dist(&m->ttft_s, ttft, n_ttft);
    fill_dist(&m->tpot_s, tpot, n_tpot);
    m->time_in_system_mean_s = n_sys ? sys_sum / (double)n_sys : NAN;
    m->recovery_s_mean = n_retried ? m->recovery_s_total / (double)n_retried : NAN;
    m->route_len_mean = n_routed ? (double)hops_sum / (double)n_routed : NAN;
    m->rebalance_moves = r->n_rebalance_moves;
    m->rejoin_moves = r->n_rejoin_moves;
    m->span_download_s = ns_to_s(r->download_ns);
    double end_s = ns_to_s(r->end_ns);
    m->throughput_tokens_per_s = r->end_ns > 0 ? (double)m->tokens_done / end_s : NAN;
    m->throughput_requests_per_s = r->end_ns > 0 ? (double)m->n_ok / end_s : NAN;
    m->utilisation_mean = m->utilisation_max = NAN;
    if (r->n_nodes > 0 && r->end_ns > 0) {
        double sum = 0, mx = -INFINITY;
        for (int i = 0; i < r->n_nodes; i++) {
            double u = ana_utilisation(r->nodes[i].busy_ns, r->end_ns);
            sum += u;
            mx = u > mx ? u : mx;
        }
        m->utilisation_mean = sum / r->n_nodes;
        m->utilisation_max = mx;
    }
    m->availability_mean = NAN;
    if (r->n_nodes > 0 && r->end_ns > 0) {
        double sum = 0;
        for (int i = 0; i < r->n_nodes; i++)
            sum += 1.0 - (double)r->nodes[i].down_ns / (double)r->end_ns;
        m->availability_mean = sum / r->n_nodes;
    }
    for (int i = 0; i < r->n_nodes; i++)
        m->bytes_sent_total += (double)r->nodes[i].bytes_out;
    int has_slo = r->slo_ttft_s > 0 || r->slo_tpot_s > 0;
    m->slo_attainment = has_slo && n ? (double)n_slo / (double)n : NAN;
    m->goodput_requests_per_s = has_slo && r->end_ns > 0 ? (double)n_slo / end_s : NAN;
done:
    ss_free(e2e);
    ss_free(ttft);
    ss_free(tpot);
    return s;
}

#define ANA_METRIC_LIST(X)                                          \
    X(n_requests, (double)m->n_requests)                            \
    X(n_ok, (double)m->n_ok)                                        \
    X(n_failed, (double)m->n_failed)                                \
    X(n_incomplete, (double)m->n_incomplete)                        \
    X(tokens_done, (double)m->tokens_done)                          \
    X(e2e_s_n, (double)m->e2e_s.n)                                  \
    X(e2e_s_mean, m->e2e_s.mean)                                    \
    X(e2e_s_p50, m->e2e_s.p50)                                      \
    X(e2e_s_p90, m->e2e_s.p90)                                      \
    X(e2e_s_p99, m->e2e_s.p99)                                      \
    X(ttft_s_n, (double)m->ttft_s.n)                                \
    X(ttft_s_mean, m->ttft_s.mean)                                  \
    X(ttft_s_p50, m->ttft_s.p50)                                    \
    X(ttft_s_p90, m->ttft_s.p90)                                    \
    X(ttft_s_p99, m->ttft_s.p99)                                    \
    X(tpot_s_n, (double)m->tpot_s.n)                                \
    X(tpot_s_mean, m->tpot_s.mean)                                  \
    X(tpot_s_p50, m->tpot_s.p50)                                    \
    X(tpot_s_p90, m->tpot_s.p90)                                    \
    X(tpot_s_p99, m->tpot_s.p99)                                    \
    X(throughput_tokens_per_s, m->throughput_tokens_per_s)          \
    X(throughput_requests_per_s, m->throughput_requests_per_s)      \
    X(utilisation_mean, m->utilisation_mean)                        \
    X(utilisation_max, m->utilisation_max)                          \
    X(time_in_system_mean_s, m->time_in_system_mean_s)             \
    X(n_recovered, (double)m->n_recovered)                          \
    X(availability_mean, m->availability_mean)                      \
    X(bytes_sent_total, m->bytes_sent_total)                        \
    X(slo_attainment, m->slo_attainment)                            \
    X(goodput_requests_per_s, m->goodput_requests_per_s)          \
    X(retries_total, (double)m->retries_total)                      \
    X(dead_sends_total, (double)m->dead_sends_total)                \
    X(n_sent_to_dead, (double)m->n_sent_to_dead)                    \
    X(tokens_recomputed_total, (double)m->tokens_recomputed_total)  \
    X(recovery_s_total, m->recovery_s_total)                        \
    X(recovery_s_mean, m->recovery_s_mean)                          \
    X(route_len_mean, m->route_len_mean)                            \
    X(rebalance_moves, (double)m->rebalance_moves)                  \
    X(rejoin_moves, (double)m->rejoin_moves)                        \
    X(span_download_s, m->span_download_s)                          \
    X(n_truncated, (double)m->n_truncated)

static const char *const metric_names[] = {
#define ANA_METRIC_NAME_(name, expr) #name,
    ANA_METRIC_LIST(ANA_METRIC_NAME_)
#undef ANA_METRIC_NAME_
};

size_t ana_metrics_count(void) { return sizeof metric_names / sizeof metric_names[0]; }

const char *ana_metrics_name(size_t i)
{
    return i < ana_metrics_count() ? metric_names[i] : NULL;
}

double ana_metrics_value(const ana_metrics *m, size_t i)
{
    size_t k = 0;
#define ANA_METRIC_VALUE_(name, expr) \
    if (i == k++)                     \
        return expr;
    ANA_METRIC_LIST(ANA_METRIC_VALUE_)
#undef ANA_METRIC_VALUE_
    return NAN;
}
