/* ana_html_data.c - the report's plots from the `requests` rows: latency,
 * TTFT and TPOT distributions per group, throughput and requests in flight
 * over time for the focus run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ana_html_int.h"
#include "ss_alloc.h"

ss_status html_oom(html_ctx *c)
{
    return ss_err(c->err, c->errlen, SS_ENOMEM, "%s: html report: out of memory", c->db->name);
}

ss_status html_collect(html_ctx *c, const char *sql, int64_t run, double **v, size_t *n,
                       size_t *cap)
{
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(c->db, sql, &st, c->err, c->errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, run);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
            continue;
        if (*n == *cap) {
            size_t nc = *cap ? 2 * *cap : 256;
            double *nv = ss_realloc(*v, nc * sizeof *nv);
            if (!nv) {
                sqlite3_finalize(st);
                return html_oom(c);
            }
            *v = nv;
            *cap = nc;
        }
        (*v)[(*n)++] = sqlite3_column_double(st, 0);
    }
    s = rc == SQLITE_DONE ? SS_OK : ana_db_fail(c->db, rc, "html report: read", c->err, c->errlen);
    sqlite3_finalize(st);
    return s;
}

int html_table_exists(html_ctx *c, const char *table)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->db->h, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One empirical CDF per group: the group's values sorted, point i at
 * (v[i], (i + 1) / n), drawn as steps. */
static ss_status cdf_plot(html_ctx *c, ana_plot *p, const char *sql)
{
    double *v = NULL;
    size_t cap = 0, total = 0;
    ss_status s = SS_OK;
    for (size_t g = 0; g < c->n_groups && s == SS_OK; g++) {
        size_t n = 0;
        for (size_t r = 0; r < c->groups[g].n_runs && s == SS_OK; r++)
            s = html_collect(c, sql, c->groups[g].runs[r], &v, &n, &cap);
        if (s != SS_OK || n == 0)
            continue;
        qsort(v, n, sizeof *v, cmp_double);
        ana_series *se = ana_plot_series(p, c->groups[g].label, ANA_PLOT_STEPS);
        if (!se)
            s = html_oom(c);
        for (size_t i = 0; i < n && s == SS_OK; i++)
            if (ana_series_add(se, v[i], (double)(i + 1) / (double)n, 0, NULL) != SS_OK)
                s = html_oom(c);
        total += n;
    }
    ss_free(v);
    if (s == SS_OK && total == 0 &&
        ana_plot_set(&p->placeholder, "No samples: the runs have no requests rows with these "
                                      "times (store them with record.level \"requests\" or more).") !=
            SS_OK)
        s = html_oom(c);
    return s;
}

ss_status html_dist_plots(html_ctx *c, ana_plot *e2e, ana_plot *ttft, ana_plot *tpot)
{
    const char *per = c->groups_from_sweep ? "per sweep combination (seeds pooled)"
                      : c->groups_capped   ? "per run (the latest 12 runs with request rows)"
                                           : "per run";
    char cap[256];
    if (ana_plot_init(e2e, "latency-cdf", "End-to-end latency CDF", "end-to-end latency (s)",
                      "fraction of ok requests") ||
        ana_plot_init(ttft, "ttft-cdf", "Time to first token (TTFT) CDF", "TTFT (s)",
                      "fraction of ok requests") ||
        ana_plot_init(tpot, "tpot-cdf", "Time per output token (TPOT) CDF", "TPOT (s/token)",
                      "fraction of ok requests"))
        return html_oom(c);
    snprintf(cap, sizeof cap, "finish - arrival over requests with status ok, %s.", per);
    if (ana_plot_set(&e2e->caption, cap))
        return html_oom(c);
    snprintf(cap, sizeof cap, "first token - arrival over ok requests, %s.", per);
    if (ana_plot_set(&ttft->caption, cap))
        return html_oom(c);
    snprintf(cap, sizeof cap,
             "(finish - first token) / (tokens done - 1) over ok requests with more than one "
             "token, %s.", per);
    if (ana_plot_set(&tpot->caption, cap))
        return html_oom(c);
    ss_status s = cdf_plot(c, e2e,
                           "SELECT finish_s - arrival_s FROM requests WHERE run_id = ?1 AND "
                           "status = 'ok' AND finish_s IS NOT NULL");
    if (s == SS_OK)
        s = cdf_plot(c, ttft,
                     "SELECT first_token_s - arrival_s FROM requests WHERE run_id = ?1 AND "
                     "status = 'ok' AND first_token_s IS NOT NULL");
    if (s == SS_OK)
        s = cdf_plot(c, tpot,
                     "SELECT (finish_s - first_token_s) / (tokens_done - 1) FROM requests WHERE "
                     "run_id = ?1 AND status = 'ok' AND tokens_done > 1 AND first_token_s IS NOT "
                     "NULL AND finish_s IS NOT NULL");
    return s;
}

/* Completed requests per second in HTML_BINS bins over [0, end]. */
static ss_status throughput(html_ctx *c, ana_plot *p)
{
    double *v = NULL;
    size_t n = 0, cap = 0;
    ss_status s = html_collect(c,
                               "SELECT finish_s FROM requests WHERE run_id = ?1 AND status = 'ok' "
                               "AND finish_s IS NOT NULL",
                               c->focus, &v, &n, &cap);
    double end = c->focus_end, w = end / HTML_BINS, count[HTML_BINS] = {0};
    if (s == SS_OK && n > 0 && end > 0) {
        for (size_t i = 0; i < n; i++) {
            long b = (long)floor(v[i] / w);
            count[b < 0 ? 0 : b >= HTML_BINS ? HTML_BINS - 1 : b] += 1;
        }
        ana_series *se = ana_plot_series(p, "completed requests/s", ANA_PLOT_STEPS);
        for (int b = 0; se && b <= HTML_BINS; b++)
            if (ana_series_add(se, b * w, count[b < HTML_BINS ? b : HTML_BINS - 1] / w, 0, NULL))
                se = NULL;
        if (!se)
            s = html_oom(c);
    } else if (s == SS_OK &&
               ana_plot_set(&p->placeholder, "No completed requests in the focus run's "
                                             "requests rows.") != SS_OK) {
        s = html_oom(c);
    }
    ss_free(v);
    return s;
}

typedef struct step_ev {
    double t;
    int d; /* +1 or -1 */
} step_ev;

static int cmp_ev(const void *a, const void *b)
{
    const step_ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->d - y->d; /* leaving before arriving at the same instant */
}

/* A count over time from (enter, leave) pairs: sql gives enter, leave (NULL:
 * still there at the end). */
static ss_status count_series(html_ctx *c, ana_plot *p, const char *label, const char *sql)
{
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(c->db, sql, &st, c->err, c->errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, c->focus);
    step_ev *ev = NULL;
    size_t n = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n + 2 > cap) {
            cap = cap ? 2 * cap : 512;
            step_ev *ne = ss_realloc(ev, cap * sizeof *ne);
            if (!ne) {
                rc = SQLITE_NOMEM;
                break;
            }
            ev = ne;
        }
        ev[n++] = (step_ev){sqlite3_column_double(st, 0), +1};
        if (sqlite3_column_type(st, 1) != SQLITE_NULL)
            ev[n++] = (step_ev){sqlite3_column_double(st, 1), -1};
    }
    s = rc == SQLITE_DONE  ? SS_OK
        : rc == SQLITE_NOMEM ? html_oom(c)
                             : ana_db_fail(c->db, rc, "html report: read requests", c->err, c->errlen);
    sqlite3_finalize(st);
    if (s == SS_OK && n > 0) {
        qsort(ev, n, sizeof *ev, cmp_ev);
        ana_series *se = ana_plot_series(p, label, ANA_PLOT_STEPS);
        long k = 0;
        if (!se || ana_series_add(se, 0, 0, 0, NULL))
            se = NULL;
        for (size_t i = 0; se && i < n; i++) {
            k += ev[i].d;
            if (ana_series_add(se, ev[i].t, (double)k, 0, NULL))
                se = NULL;
        }
        if (se && ana_series_add(se, c->focus_end, (double)k, 0, NULL))
            se = NULL;
        if (!se)
            s = html_oom(c);
    }
    ss_free(ev);
    return s;
}

ss_status html_time_plots(html_ctx *c, ana_plot *thr, ana_plot *inflight)
{
    char title[400];
    snprintf(title, sizeof title, "Throughput over time, %s", c->focus_label);
    if (ana_plot_init(thr, "throughput", title, "simulated time (s)", "completed requests/s"))
        return html_oom(c);
    snprintf(title, sizeof title, "Requests in flight over time, %s", c->focus_label);
    if (ana_plot_init(inflight, "inflight", title, "simulated time (s)", "requests"))
        return html_oom(c);
    thr->ymin0 = inflight->ymin0 = 1;
    thr->xmax = inflight->xmax = c->focus_end;
    char cap[256];
    snprintf(cap, sizeof cap, "Requests with status ok finishing in each of %d bins of %.6g s.",
             HTML_BINS, c->focus_end / HTML_BINS);
    if (ana_plot_set(&thr->caption, cap) ||
        ana_plot_set(&inflight->caption,
                     "In flight: from arrival to finish (incomplete ones until the end); waiting: "
                     "from arrival to the first token (the queue). Failed requests are left out: "
                     "their exit time is not recorded."))
        return html_oom(c);
    if (c->focus == 0) {
        if (ana_plot_set(&thr->placeholder, "No run with requests rows in this database.") ||
            ana_plot_set(&inflight->placeholder, "No run with requests rows in this database."))
            return html_oom(c);
        return SS_OK;
    }
    ss_status s = throughput(c, thr);
    if (s == SS_OK)
        s = count_series(c, inflight, "in flight",
                         "SELECT arrival_s, finish_s FROM requests WHERE run_id = ?1 AND status <> "
                         "'failed' ORDER BY id");
    if (s == SS_OK)
        s = count_series(c, inflight, "waiting for the first token",
                         "SELECT arrival_s, first_token_s FROM requests WHERE run_id = ?1 AND "
                         "(status <> 'failed' OR first_token_s IS NOT NULL) ORDER BY id");
    if (s == SS_OK && inflight->n_series == 0 &&
        ana_plot_set(&inflight->placeholder, "The focus run has no requests rows."))
        s = html_oom(c);
    return s;
}
