/* ana_report.c - text report of one run, straight from the results tables. */
#include "ana_report.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <string.h>

#include "ana_db_int.h"

typedef struct report {
    ana_db *db;
    sqlite3_stmt *metric; /* SELECT value FROM metrics WHERE run_id=? AND name=? */
    int64_t run_id;
    char *err;
    size_t errlen;
    ss_status status;     /* first failure while printing */
} report;

/* NaN when the metric is absent or NULL (undefined). */
static double metric(report *rp, const char *name)
{
    double v = NAN;
    sqlite3_bind_int64(rp->metric, 1, rp->run_id);
    sqlite3_bind_text(rp->metric, 2, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(rp->metric);
    if (rc == SQLITE_ROW && sqlite3_column_type(rp->metric, 0) != SQLITE_NULL)
        v = sqlite3_column_double(rp->metric, 0);
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE && rp->status == SS_OK)
        rp->status = ana_db_fail(rp->db, rc, "report: read metrics", rp->err, rp->errlen);
    sqlite3_reset(rp->metric);
    return v;
}

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

static void print_dist(report *rp, FILE *out, const char *label, const char *prefix)
{
    static const char *const stats[] = {"mean", "p50", "p90", "p99"};
    char name[64];
    fprintf(out, "  %-14s", label);
    for (size_t i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s_%s", prefix, stats[i]);
        print_num(out, metric(rp, name));
    }
    snprintf(name, sizeof name, "%s_n", prefix);
    double n = metric(rp, name);
    fprintf(out, "   (n=%.0f)\n", isnan(n) ? 0.0 : n);
}

static const char *text_or(sqlite3_stmt *st, int col, const char *dflt)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : dflt;
}

/* The recovery metrics (schema v4; "-" in older databases) and, when the
 * placement moved nodes, the rebalancing ones. */
static void print_recovery(report *rp, FILE *out)
{
    char a[32], b[32], c[32];
    fprintf(out, "recovery         retries %s, recovery %s s (mean %s s per recovered "
            "request)\n", fmt_num(a, metric(rp, "retries_total")),
            fmt_num(b, metric(rp, "recovery_s_total")), fmt_num(c, metric(rp, "recovery_s_mean")));
    fprintf(out, "                 tokens recomputed %s, sends to dead nodes %s (%s requests)\n",
            fmt_num(a, metric(rp, "tokens_recomputed_total")),
            fmt_num(b, metric(rp, "dead_sends_total")), fmt_num(c, metric(rp, "n_sent_to_dead")));
    fprintf(out, "route length     mean %s hops\n", fmt_num(a, metric(rp, "route_len_mean")));
    double moves = metric(rp, "rebalance_moves"), rejoins = metric(rp, "rejoin_moves");
    if (moves > 0 || rejoins > 0)
        fprintf(out, "rebalancing      %s moves, %s rejoins on other blocks, weight downloads "
                "%s s\n", fmt_num(a, moves), fmt_num(b, rejoins),
                fmt_num(c, metric(rp, "span_download_s")));
}

static ss_status print_run(report *rp, FILE *out)
{
    ana_db *db = rp->db;
    sqlite3_stmt *st = NULL;
    ss_status s;
    const char *sql = rp->run_id == ANA_RUN_LATEST
                          ? "SELECT id, scenario_name, seed, status, version, blas_core, sim_end_s,"
                            " n_events, n_requests, requests_recorded, wall_seconds, run_key, build_id"
                            " FROM runs ORDER BY id DESC LIMIT 1"
                          : "SELECT id, scenario_name, seed, status, version, blas_core, sim_end_s,"
                            " n_events, n_requests, requests_recorded, wall_seconds, run_key, build_id"
                            " FROM runs WHERE id = ?";
    if ((s = ana_db_prepare(db, sql, &st, rp->err, rp->errlen)) != SS_OK)
        return s;
    if (rp->run_id != ANA_RUN_LATEST)
        sqlite3_bind_int64(st, 1, rp->run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        if (rp->run_id == ANA_RUN_LATEST)
            return ss_err(rp->err, rp->errlen, SS_ENOTFOUND, "%s: report: the database holds no runs",
                          db->name);
        return ss_err(rp->err, rp->errlen, SS_ENOTFOUND, "%s: report: no run with id %" PRId64,
                      db->name, rp->run_id);
    }
    if (rc != SQLITE_ROW) {
        s = ana_db_fail(db, rc, "report: read run", rp->err, rp->errlen);
        sqlite3_finalize(st);
        return s;
    }
    rp->run_id = sqlite3_column_int64(st, 0);
    fprintf(out, "shardsim run %" PRId64 "\n", rp->run_id);
    fprintf(out, "  scenario       %s\n", text_or(st, 1, "?"));
    fprintf(out, "  seed           %s\n", text_or(st, 2, "?"));
    fprintf(out, "  status         %s\n", text_or(st, 3, "?"));
    fprintf(out, "  version        %s\n", text_or(st, 4, "?"));
    fprintf(out, "  build          %s\n", text_or(st, 12, "-"));
    fprintf(out, "  blas core      %s\n", text_or(st, 5, "-"));
    fprintf(out, "  run key        %s\n", text_or(st, 11, "?"));
    fprintf(out, "  simulated      %.9g s, %" PRId64 " events\n", sqlite3_column_double(st, 6),
            (int64_t)sqlite3_column_int64(st, 7));
    if (sqlite3_column_type(st, 10) != SQLITE_NULL)
        fprintf(out, "  wall clock     %.3f s\n", sqlite3_column_double(st, 10));
    int recorded = sqlite3_column_int(st, 9);
    sqlite3_finalize(st);

    fprintf(out, "requests         %.0f ok / %.0f total (%.0f failed, %.0f incomplete)%s\n",
            metric(rp, "n_ok"), metric(rp, "n_requests"), metric(rp, "n_failed"),
            metric(rp, "n_incomplete"), recorded ? "" : "; per-request rows not recorded");
    fprintf(out, "latency (s)     %11s%11s%11s%11s\n", "mean", "p50", "p90", "p99");
    print_dist(rp, out, "end-to-end", "e2e_s");
    print_dist(rp, out, "TTFT", "ttft_s");
    print_dist(rp, out, "TPOT", "tpot_s");
    char a[32], b[32];
    fprintf(out, "throughput       %s output tokens/s, %s requests/s\n",
            fmt_num(a, metric(rp, "throughput_tokens_per_s")),
            fmt_num(b, metric(rp, "throughput_requests_per_s")));
    fprintf(out, "utilisation      mean %s, max %s\n", fmt_num(a, metric(rp, "utilisation_mean")),
            fmt_num(b, metric(rp, "utilisation_max")));
    fprintf(out, "time in system   mean %s s\n", fmt_num(a, metric(rp, "time_in_system_mean_s")));
    fprintf(out, "availability     mean %s, sessions recovered %s\n",
            fmt_num(a, metric(rp, "availability_mean")), fmt_num(b, metric(rp, "n_recovered")));
    print_recovery(rp, out);
    double slo = metric(rp, "slo_attainment");
    if (!isnan(slo))
        fprintf(out, "SLO              %s of requests met it, goodput %s requests/s\n",
                fmt_num(a, slo), fmt_num(b, metric(rp, "goodput_requests_per_s")));
    if (rp->status != SS_OK)
        return rp->status;

    if ((s = ana_db_prepare(db,
                            "SELECT id, name, region, first_block, end_block, utilisation, bytes_in,"
                            " bytes_out, failures FROM nodes WHERE run_id = ? ORDER BY id",
                            &st, rp->err, rp->errlen)) != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, rp->run_id);
    fprintf(out, "nodes\n  %6s %-20s %-12s %-11s %10s %14s %14s %8s\n", "id", "name", "region",
            "blocks", "util", "bytes_in", "bytes_out", "failures");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char span[32];
        snprintf(span, sizeof span, "[%d,%d)", sqlite3_column_int(st, 3), sqlite3_column_int(st, 4));
        fprintf(out, "  %6d %-20s %-12s %-11s", sqlite3_column_int(st, 0), text_or(st, 1, ""),
                text_or(st, 2, ""), span);
        print_num(out, sqlite3_column_type(st, 5) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 5));
        fprintf(out, " %14" PRId64 " %14" PRId64 " %8d\n", (int64_t)sqlite3_column_int64(st, 6),
                (int64_t)sqlite3_column_int64(st, 7), sqlite3_column_int(st, 8));
    }
    s = rc == SQLITE_DONE ? SS_OK : ana_db_fail(db, rc, "report: read nodes", rp->err, rp->errlen);
    sqlite3_finalize(st);
    return s;
}

ss_status ana_report_print(const char *db_path, int64_t run_id, FILE *out,
                           char *err, size_t errlen)
{
    ana_db *db = NULL;
    ss_status s;
    if (!db_path || !out || run_id < 0)
        return ss_err(err, errlen, SS_EINVAL, "report: NULL path or output, or negative run id");
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!c_loc)
        return ss_err(err, errlen, SS_ENOMEM, "%s: report: cannot create the C locale", db_path);
    locale_t old = uselocale(c_loc);
    const ana_db_cfg cfg = {.readonly = 1};
    report rp = {.run_id = run_id, .err = err, .errlen = errlen, .status = SS_OK};
    if ((s = ana_db_open(db_path, &cfg, &db, err, errlen)) != SS_OK)
        goto done;
    rp.db = db;
    if ((s = ana_db_prepare(db, "SELECT value FROM metrics WHERE run_id = ? AND name = ?",
                            &rp.metric, err, errlen)) != SS_OK)
        goto done;
    /* One read transaction so the run, its metrics and nodes come from one
     * snapshot even while a sweep is writing. */
    int rc = sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        s = ana_db_fail(db, rc, "report: begin read", err, errlen);
        goto done;
    }
    s = print_run(&rp, out);
    ana_db_rollback(db);
    if (s == SS_OK && (fflush(out) != 0 || ferror(out)))
        s = ss_err(err, errlen, SS_EIO, "%s: report: writing the report failed", db_path);
done:
    sqlite3_finalize(rp.metric);
    ana_db_close(db);
    uselocale(old);
    freelocale(c_loc);
    return s;
}
