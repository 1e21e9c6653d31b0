/* ana_sweep_report.c - `shardsim report DB --sweep NAME` (ana_sweep.h):
 * one row per axis combination, each metric's mean over its seeds with a
 * 95 % confidence interval from Student's t (GSL quantiles). */
#include "ana_sweep.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "ana_db_int.h"
#include "ana_metrics.h"
#include "ss_alloc.h"

#define N_SHOWN 6
static const char *const shown[N_SHOWN] = {"e2e_s_mean", "e2e_s_p99", "ttft_s_mean",
                                           "tpot_s_mean", "throughput_tokens_per_s", "n_failed"};

typedef struct combo_row {
    int64_t combo;
    char *axes;             /* the axis values, tab-separated */
    int n_ok, n_failed;
    double mean[N_SHOWN + 1], ci[N_SHOWN + 1]; /* NaN: undefined */
    int n[N_SHOWN + 1];
} combo_row;

static int sort_col; /* the column qsort compares (qsort has no context argument) */

static int cmp_rows(const void *a, const void *b)
{
    const combo_row *x = a, *y = b;
    double u = x->mean[sort_col], v = y->mean[sort_col];
    if (isnan(u) != isnan(v))
        return isnan(u) ? 1 : -1; /* undefined last */
    if (!isnan(u) && u != v)
        return u < v ? -1 : 1;
    return x->combo < y->combo ? -1 : x->combo > y->combo;
}

/* Mean and 95 % CI half-width of the ok runs' values of `metric` per row. */
static ss_status fill_metric(ana_db *db, int64_t sweep_id, const char *metric, combo_row *rows,
                             size_t n_rows, int col, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(db,
                                 "SELECT p.combo, m.value FROM sweep_points p JOIN metrics m"
                                 " ON m.run_id = p.run_id AND m.name = ?2"
                                 " WHERE p.sweep_id = ?1 AND p.status = 'ok' AND m.value IS NOT NULL"
                                 " ORDER BY p.combo, length(p.seed), p.seed",
                                 &st, err, errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, sweep_id);
    sqlite3_bind_text(st, 2, metric, -1, SQLITE_STATIC);
    double *sum = ss_calloc(n_rows * 2, sizeof *sum);
    if (!sum) {
        sqlite3_finalize(st);
        return ss_err(err, errlen, SS_ENOMEM, "%s: sweep report: out of memory", db->name);
    }
    int rc;
    size_t r = 0;
    /* two passes over the ordered rows would need the values kept; Welford's
     * update is exact enough here and keeps a fixed order */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t c = sqlite3_column_int64(st, 0);
        while (r < n_rows && rows[r].combo < c)
            r++;
        if (r == n_rows || rows[r].combo != c)
            continue;
        double x = sqlite3_column_double(st, 1), *mean = &sum[2 * r], *m2 = &sum[2 * r + 1];
        int k = ++rows[r].n[col];
        double d = x - *mean;
        *mean += d / k;
        *m2 += d * (x - *mean);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        ss_free(sum);
        return ana_db_fail(db, rc, "sweep report: read metrics", err, errlen);
    }
    for (r = 0; r < n_rows; r++) {
        int k = rows[r].n[col];
        rows[r].mean[col] = k ? sum[2 * r] : NAN;
        rows[r].ci[col] = k > 1 ? gsl_cdf_tdist_Pinv(0.975, k - 1) *
                                      sqrt(sum[2 * r + 1] / (k - 1)) / sqrt((double)k)
                                : NAN;
    }
    ss_free(sum);
    return SS_OK;
}

/* One row per combination with its axis values and ok / failed counts. */
static ss_status load_rows(ana_db *db, int64_t sweep_id, combo_row **out, size_t *n_out,
                           char *err, size_t errlen)
{
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(db,
                                 "SELECT combo, (SELECT group_concat(value, char(9)) FROM"
                                 " json_each(min(axes_json))), sum(status = 'ok'),"
                                 " sum(status = 'failed') FROM sweep_points WHERE sweep_id = ?"
                                 " GROUP BY combo ORDER BY combo",
                                 &st, err, errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, sweep_id);
    size_t cap = 0, n = 0;
    combo_row *rows = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            combo_row *g = ss_realloc(rows, cap * sizeof *rows);
            if (!g) {
                rc = SQLITE_NOMEM;
                break;
            }
            rows = g;
        }
        combo_row *w = &rows[n++];
        memset(w, 0, sizeof *w);
        w->combo = sqlite3_column_int64(st, 0);
        const char *a = (const char *)sqlite3_column_text(st, 1);
        w->axes = ss_strdup(a ? a : "");
        w->n_ok = sqlite3_column_int(st, 2);
        w->n_failed = sqlite3_column_int(st, 3);
        if (!w->axes) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_finalize(st);
    *out = rows;
    *n_out = n;
    if (rc != SQLITE_DONE)
        return ana_db_fail(db, rc, "sweep report: read points", err, errlen);
    return SS_OK;
}

static void print_table(FILE *out, const char *axes_header, combo_row *rows, size_t n,
                        const char *extra)
{
    fprintf(out, "%s\tok/failed", axes_header);
    for (int c = 0; c < N_SHOWN; c++)
        fprintf(out, "\t%s (mean +- 95%% CI)", shown[c]);
    if (extra)
        fprintf(out, "\t%s (mean +- 95%% CI)", extra);
    fprintf(out, "\n");
    for (size_t r = 0; r < n; r++) {
        fprintf(out, "%s\t%d/%d", rows[r].axes, rows[r].n_ok, rows[r].n_failed);
        for (int c = 0; c < N_SHOWN + (extra != NULL); c++) {
            if (isnan(rows[r].mean[c]))
                fprintf(out, "\t-");
            else if (isnan(rows[r].ci[c]))
                fprintf(out, "\t%.6g", rows[r].mean[c]);
            else
                fprintf(out, "\t%.6g +- %.3g", rows[r].mean[c], rows[r].ci[c]);
        }
        fprintf(out, "\n");
    }
}

static int is_metric(const char *name)
{
    for (size_t i = 0; i < ana_metrics_count(); i++)
        if (strcmp(ana_metrics_name(i), name) == 0)
            return 1;
    return 0;
}

static ss_status report_sweep(ana_db *db, const char *name, const char *sort_by, FILE *out,
                              char *err, size_t errlen)
{
    sqlite3_stmt *st;
    combo_row *rows = NULL;
    size_t n = 0;
    char hex[65];
    ss_status s = ana_db_prepare(db, "SELECT id, (SELECT group_concat(value, char(9)) FROM"
                                     " json_each(axes_json)) FROM sweeps WHERE name = ?",
                                 &st, err, errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? ss_err(err, errlen, SS_ENOTFOUND, "%s: no sweep named \"%s\"",
                                          db->name, name)
                                 : ana_db_fail(db, rc, "sweep report", err, errlen);
    }
    int64_t id = sqlite3_column_int64(st, 0);
    const char *h = (const char *)sqlite3_column_text(st, 1);
    char *header = ss_strdup(h && *h ? h : "(no axes)");
    sqlite3_finalize(st);
    if (!header)
        return ss_err(err, errlen, SS_ENOMEM, "%s: sweep report: out of memory", db->name);
    sort_col = 0;
    int extra = sort_by != NULL; /* a sort metric not among the shown ones gets a column */
    for (int c = 0; sort_by && c < N_SHOWN; c++)
        if (strcmp(shown[c], sort_by) == 0)
            extra = 0, sort_col = c;
    if (extra)
        sort_col = N_SHOWN;
    if ((s = load_rows(db, id, &rows, &n, err, errlen)) != SS_OK)
        goto done;
    for (int c = 0; c < N_SHOWN + extra && s == SS_OK; c++)
        s = fill_metric(db, id, c < N_SHOWN ? shown[c] : sort_by, rows, n, c, err, errlen);
    if (s != SS_OK || (s = ana_sweep_digest(db, name, hex, err, errlen)) != SS_OK)
        goto done;
    if (sort_by)
        qsort(rows, n, sizeof *rows, cmp_rows);
    fprintf(out, "sweep %s: %zu combination%s%s%s\n", name, n, n == 1 ? "" : "s",
            sort_by ? ", sorted by " : "", sort_by ? sort_by : "");
    print_table(out, header, rows, n, extra ? sort_by : NULL);
    fprintf(out, "digest %s\n", hex);
done:
    for (size_t r = 0; r < n; r++)
        ss_free(rows[r].axes);
    ss_free(rows);
    ss_free(header);
    return s;
}

ss_status ana_sweep_report(const char *db_path, const char *name, const char *sort_by, FILE *out,
                           char *err, size_t errlen)
{
    ana_db *db = NULL;
    if (!db_path || !name || !out)
        return ss_err(err, errlen, SS_EINVAL, "sweep report: NULL argument");
    if (sort_by && !is_metric(sort_by))
        return ss_err(err, errlen, SS_EINVAL,
                      "sweep report: --sort %s is not a metric (e.g. e2e_s_mean, e2e_s_p99, "
                      "ttft_s_mean, throughput_tokens_per_s; analysis/README.md lists them)",
                      sort_by);
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!c_loc)
        return ss_err(err, errlen, SS_ENOMEM, "%s: sweep report: cannot create the C locale",
                      db_path);
    locale_t old = uselocale(c_loc);
    const ana_db_cfg cfg = {.readonly = 1};
    ss_status s = ana_db_open(db_path, &cfg, &db, err, errlen);
    if (s == SS_OK) {
        int rc = sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL); /* one snapshot */
        s = rc == SQLITE_OK ? report_sweep(db, name, sort_by, out, err, errlen)
                            : ana_db_fail(db, rc, "sweep report: begin read", err, errlen);
        ana_db_rollback(db);
    }
    if (s == SS_OK && (fflush(out) != 0 || ferror(out)))
        s = ss_err(err, errlen, SS_EIO, "%s: sweep report: writing failed", db_path);
    ana_db_close(db);
    uselocale(old);
    freelocale(c_loc);
    return s;
}
