/* ana_report.c - the text renderer of the report model, and `report`'s
 * load-then-render. */
#include "ana_report.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "ana_report_model.h"

/* "%10.6g" or a right-aligned "-" for undefined values. */
static void print_num(FILE *out, double v)
{
    if (isnan(v))
        fprintf(out, " %10s", "-");
    else
        fprintf(out, " %10.6g", v);
}

/* "%.6g" or "-" for undefined values, into buf[32]. */
static const char *fmt_num(char buf[32], double v)
{
    if (isnan(v))
        return "-";
    snprintf(buf, 32, "%.6g", v);
    return buf;
}

static void print_dist(const ana_report_model *m, FILE *out, const char *label, const char *prefix)
{
    static const char *const stats[] = {"mean", "p50", "p90", "p99"};
    char name[64];
    fprintf(out, "  %-14s", label);
    for (size_t i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s_%s", prefix, stats[i]);
        print_num(out, ana_report_metric(m, name));
    }
    snprintf(name, sizeof name, "%s_n", prefix);
    double n = ana_report_metric(m, name);
    fprintf(out, "   (n=%.0f)\n", isnan(n) ? 0.0 : n);
}

static const char *or(const char *s, const char *dflt) { return s ? s : dflt; }

static void render_head(const ana_report_model *m, FILE *out)
{
    fprintf(out, "shardsim run %" PRId64 "\n", m->run_id);
    fprintf(out, "  scenario       %s\n", or(m->scenario_name, "?"));
    fprintf(out, "  seed           %s\n", or(m->seed, "?"));
    fprintf(out, "  status         %s\n", or(m->status, "?"));
    fprintf(out, "  version        %s\n", or(m->version, "?"));
    fprintf(out, "  build          %s\n", or(m->build_id, "-"));
    fprintf(out, "  blas core      %s\n", or(m->blas_core, "-"));
    fprintf(out, "  run key        %s\n", or(m->run_key, "?"));
    fprintf(out, "  simulated      %.9g s, %" PRId64 " events\n", m->sim_end_s, m->n_events);
    if (!isnan(m->wall_seconds))
        fprintf(out, "  wall clock     %.3f s\n", m->wall_seconds);
}

/* The recovery metrics (schema v4; "-" in older databases) and, when the
 * placement moved nodes, the rebalancing ones. */
static void print_recovery(const ana_report_model *m, FILE *out)
{
    char a[32], b[32], c[32];
    fprintf(out, "recovery         retries %s, recovery %s s (mean %s s per recovered "
            "request)\n", fmt_num(a, ana_report_metric(m, "retries_total")),
            fmt_num(b, ana_report_metric(m, "recovery_s_total")), fmt_num(c, ana_report_metric(m, "recovery_s_mean")));
    fprintf(out, "                 tokens recomputed %s, sends to dead nodes %s (%s requests)\n",
            fmt_num(a, ana_report_metric(m, "tokens_recomputed_total")),
            fmt_num(b, ana_report_metric(m, "dead_sends_total")), fmt_num(c, ana_report_metric(m, "n_sent_to_dead")));
    fprintf(out, "route length     mean %s hops\n", fmt_num(a, ana_report_metric(m, "route_len_mean")));
    double moves = ana_report_metric(m, "rebalance_moves"), rejoins = ana_report_metric(m, "rejoin_moves");
    if (moves > 0 || rejoins > 0)
        fprintf(out, "rebalancing      %s moves, %s rejoins on other blocks, weight downloads "
                "%s s\n", fmt_num(a, moves), fmt_num(b, rejoins),
                fmt_num(c, ana_report_metric(m, "span_download_s")));
}

static void render_metrics(const ana_report_model *m, FILE *out)
{
    char a[32], b[32];
#define M(name) ana_report_metric(m, name)
    fprintf(out, "requests         %.0f ok / %.0f total (%.0f failed, %.0f incomplete)%s\n",
            M("n_ok"), M("n_requests"), M("n_failed"), M("n_incomplete"),
            m->requests_recorded ? "" : "; per-request rows not recorded");
    double trunc = M("n_truncated");
    if (trunc > 0)
        fprintf(out, "truncated        %.0f asked for more than the model's context: served "
                     "clamped to it (requests.truncated)\n", trunc);
    fprintf(out, "latency (s)     %11s%11s%11s%11s\n", "mean", "p50", "p90", "p99");
    print_dist(m, out, "end-to-end", "e2e_s");
    print_dist(m, out, "TTFT", "ttft_s");
    print_dist(m, out, "TPOT", "tpot_s");
    fprintf(out, "throughput       %s output tokens/s, %s requests/s\n",
            fmt_num(a, M("throughput_tokens_per_s")), fmt_num(b, M("throughput_requests_per_s")));
    fprintf(out, "utilisation      mean %s, max %s\n", fmt_num(a, M("utilisation_mean")),
            fmt_num(b, M("utilisation_max")));
    fprintf(out, "time in system   mean %s s\n", fmt_num(a, M("time_in_system_mean_s")));
    fprintf(out, "availability     mean %s, sessions recovered %s\n",
            fmt_num(a, M("availability_mean")), fmt_num(b, M("n_recovered")));
    print_recovery(m, out);
    double slo = M("slo_attainment");
    if (!isnan(slo))
        fprintf(out, "SLO              %s of requests met it, goodput %s requests/s\n",
                fmt_num(a, slo), fmt_num(b, M("goodput_requests_per_s")));
    if (!isnan(M("trust_steps_verified"))) {
        char c[32];
        fprintf(out, "trust            %.0f byzantine nodes, %.0f of %.0f steps faulty, %.0f dropped\n",
                M("trust_byzantine_nodes"), M("trust_faulty_steps"), M("trust_hop_steps"),
                M("trust_drops"));
        fprintf(out, "verification     %.0f steps verified, %.0f faults detected (rate %s), "
                "overhead %s, corrupted tokens undetected %s\n",
                M("trust_steps_verified"), M("trust_faults_detected"),
                fmt_num(a, M("trust_detection_rate")), fmt_num(b, M("trust_verification_overhead")),
                fmt_num(c, M("trust_corrupted_tokens")));
    }
#undef M
}

ss_status ana_report_render_text(const ana_report_model *m, FILE *out, char *err, size_t errlen)
{
    render_head(m, out);
    render_metrics(m, out);
    fprintf(out, "nodes\n  %6s %-20s %-12s %-11s %10s %14s %14s %8s\n", "id", "name", "region",
            "blocks", "util", "bytes_in", "bytes_out", "failures");
    for (size_t i = 0; i < m->n_nodes; i++) {
        const ana_rm_node *d = &m->nodes[i];
        char span[32];
        snprintf(span, sizeof span, "[%d,%d)", d->first_block, d->end_block);
        fprintf(out, "  %6d %-20s %-12s %-11s", d->id, or(d->name, ""), or(d->region, ""), span);
        print_num(out, d->utilisation);
        fprintf(out, " %14" PRId64 " %14" PRId64 " %8d\n", d->bytes_in, d->bytes_out, d->failures);
    }
    if (fflush(out) != 0 || ferror(out))
        return ss_err(err, errlen, SS_EIO, "report: writing the report failed");
    return SS_OK;
}

ss_status ana_report_print(const char *db_path, int64_t run_id, FILE *out,
                           char *err, size_t errlen)
{
    if (!db_path || !out || run_id < 0)
        return ss_err(err, errlen, SS_EINVAL, "report: NULL path or output, or negative run id");
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!c_loc)
        return ss_err(err, errlen, SS_ENOMEM, "%s: report: cannot create the C locale", db_path);
    locale_t old = uselocale(c_loc);
    ana_report_model *m = NULL;
    ss_status s = ana_report_load(db_path, run_id, 0, &m, err, errlen);
    if (s == SS_OK && (s = ana_report_render_text(m, out, err, errlen)) == SS_EIO)
        ss_err(err, errlen, SS_EIO, "%s: report: writing the report failed", db_path);
    ana_report_model_free(m);
    uselocale(old);
    freelocale(c_loc);
    return s;
}
