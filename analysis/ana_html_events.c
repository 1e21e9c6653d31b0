/* ana_html_events.c - the report's plots from the per-hop records
 * (record.level "hops" or "all"): per-node utilisation as a heat map from
 * hop_events' compute slices, KV-cache memory over time from node_events'
 * kv_reserve / kv_release. Without those tables or rows: placeholders. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ana_html_int.h"
#include "ss_alloc.h"

#define KV_TOP 6 /* nodes drawn one by one, by peak KV memory */

static const char need_hops[] =
    "This run has no per-hop records: store it with record.level \"hops\" (or \"all\") to see "
    "this plot.";

/* Node ids of the focus run in id order; index = heat-map row. */
static ss_status node_ids(html_ctx *c, int64_t **ids, size_t *n)
{
    double *v = NULL;
    size_t cap = 0;
    *n = 0;
    ss_status s = html_collect(c, "SELECT id FROM nodes WHERE run_id = ?1 ORDER BY id", c->focus,
                               &v, n, &cap);
    *ids = NULL;
    if (s == SS_OK && *n) {
        if (!(*ids = ss_malloc_array(*n, sizeof **ids)))
            s = html_oom(c);
        for (size_t i = 0; s == SS_OK && i < *n; i++)
            (*ids)[i] = (int64_t)v[i];
    }
    ss_free(v);
    return s;
}

static long index_of(const int64_t *ids, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && ids[lo] == id ? (long)lo : -1;
}

/* Add [a, b) to the node's busy time per bin. */
static void add_busy(double *row, double w, double a, double b)
{
    for (long k = (long)floor(a / w); k < HTML_BINS && k * w < b; k++) {
        if (k < 0)
            continue;
        double lo = fmax(a, k * w), hi = fmin(b, (k + 1) * w);
        if (hi > lo)
            row[k] += hi - lo;
    }
}

/* Busy fraction per (node, bin): the union of the node's compute slices
 * (overlapping slices of one batch counted once). */
static ss_status util_fill(html_ctx *c, sqlite3_stmt *st, const int64_t *ids, size_t n_ids,
                           double *busy, size_t *rows)
{
    double w = c->focus_end / HTML_BINS, a = 0, b = -1;
    long cur = -1;
    int rc;
    *rows = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long i = index_of(ids, n_ids, sqlite3_column_int64(st, 0));
        double t0 = sqlite3_column_double(st, 1), t1 = sqlite3_column_double(st, 2);
        (*rows)++;
        if (i < 0)
            continue;
        if (i != cur || t0 > b) { /* a new busy interval */
            if (cur >= 0 && b > a)
                add_busy(&busy[cur * HTML_BINS], w, a, b);
            cur = i, a = t0, b = t1;
        } else if (t1 > b) {
            b = t1;
        }
    }
    if (cur >= 0 && b > a)
        add_busy(&busy[cur * HTML_BINS], w, a, b);
    return rc == SQLITE_DONE ? SS_OK
                             : ana_db_fail(c->db, rc, "html report: read hop_events", c->err, c->errlen);
}

static ss_status util_plot(html_ctx *c, ana_plot *p)
{
    int64_t *ids = NULL;
    size_t n_ids = 0, rows = 0;
    sqlite3_stmt *st = NULL;
    double *busy = NULL;
    ss_status s = node_ids(c, &ids, &n_ids);
    if (s == SS_OK && n_ids && c->focus_end > 0) {
        s = ana_db_prepare(c->db,
                           "SELECT node, t_start, t_end FROM hop_events WHERE run_id = ?1 AND "
                           "phase = 'compute' AND t_end >= t_start ORDER BY node, t_start, t_end",
                           &st, c->err, c->errlen);
        if (s == SS_OK && !(busy = ss_calloc(n_ids * HTML_BINS, sizeof *busy)))
            s = html_oom(c);
        if (s == SS_OK) {
            sqlite3_bind_int64(st, 1, c->focus);
            s = util_fill(c, st, ids, n_ids, busy, &rows);
        }
    }
    double w = c->focus_end / HTML_BINS;
    if (s == SS_OK && rows > 0) {
        ana_series *se = ana_plot_series(p, NULL, ANA_PLOT_IMAGE);
        for (int k = 0; se && k < HTML_BINS; k++)
            for (size_t i = 0; se && i < n_ids; i++)
                if (ana_series_add(se, (k + 0.5) * w, (double)ids[i], busy[i * HTML_BINS + k] / w,
                                   NULL))
                    se = NULL;
        if (!se)
            s = html_oom(c);
    } else if (s == SS_OK && ana_plot_set(&p->placeholder, need_hops)) {
        s = html_oom(c);
    }
    sqlite3_finalize(st);
    ss_free(busy);
    ss_free(ids);
    return s;
}

/* KV bytes over time: all nodes, then the KV_TOP nodes with the highest peak. */
static ss_status kv_plot(html_ctx *c, ana_plot *p)
{
    int64_t *ids = NULL;
    size_t n_ids = 0;
    sqlite3_stmt *st = NULL;
    double *cur = NULL, *peak = NULL;
    ss_status s = node_ids(c, &ids, &n_ids);
    if (s == SS_OK)
        s = ana_db_prepare(c->db,
                           "SELECT node, t, CASE kind WHEN 'kv_reserve' THEN bytes ELSE -bytes END "
                           "FROM node_events WHERE run_id = ?1 AND kind IN ('kv_reserve', "
                           "'kv_release') ORDER BY t, kind = 'kv_reserve', seq",
                           &st, c->err, c->errlen);
    if (s == SS_OK && (!(cur = ss_calloc(n_ids + 1, sizeof *cur)) ||
                       !(peak = ss_calloc(n_ids + 1, sizeof *peak))))
        s = html_oom(c);
    long top[KV_TOP];
    int n_top = 0;
    /* pass 0 finds each node's peak; pass 1 draws the total and the top nodes */
    for (int pass = 0; pass < 2 && s == SS_OK; pass++) {
        ana_series *tot = NULL, *one[KV_TOP] = {0};
        memset(cur, 0, (n_ids + 1) * sizeof *cur);
        if (pass == 1) {
            for (size_t i = 0; i < n_ids; i++) { /* the KV_TOP largest peaks, ties by id */
                int at;
                if (n_top < KV_TOP)
                    top[at = n_top++] = (long)i;
                else if (peak[i] > peak[top[KV_TOP - 1]])
                    top[at = KV_TOP - 1] = (long)i;
                else
                    continue;
                for (; at > 0 && peak[top[at - 1]] < peak[top[at]]; at--) {
                    long t = top[at];
                    top[at] = top[at - 1];
                    top[at - 1] = t;
                }
            }
            while (n_top > 0 && peak[top[n_top - 1]] <= 0)
                n_top--;
            if (n_top == 0)
                break;
            tot = ana_plot_series(p, "all nodes", ANA_PLOT_STEPS);
            for (int k = 0; tot && k < n_top; k++) {
                char label[64];
                snprintf(label, sizeof label, "node %lld", (long long)ids[top[k]]);
                if (!(one[k] = ana_plot_series(p, label, ANA_PLOT_STEPS)) ||
                    ana_series_add(one[k], 0, 0, 0, NULL))
                    tot = NULL;
            }
            if (!tot || ana_series_add(tot, 0, 0, 0, NULL)) {
                s = html_oom(c);
                break;
            }
        }
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, c->focus);
        int rc;
        while (s == SS_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            long i = index_of(ids, n_ids, sqlite3_column_int64(st, 0));
            double t = sqlite3_column_double(st, 1), d = sqlite3_column_double(st, 2) / 1048576.0;
            if (i < 0)
                continue;
            cur[i] += d;
            cur[n_ids] += d;
            if (pass == 0) {
                peak[i] = fmax(peak[i], cur[i]);
                continue;
            }
            if (ana_series_add(tot, t, cur[n_ids], 0, NULL))
                s = html_oom(c);
            for (int k = 0; k < n_top && s == SS_OK; k++)
                if (top[k] == i && ana_series_add(one[k], t, cur[i], 0, NULL))
                    s = html_oom(c);
        }
        if (s == SS_OK && rc != SQLITE_DONE)
            s = ana_db_fail(c->db, rc, "html report: read node_events", c->err, c->errlen);
        /* each line held until the run's end */
        if (s == SS_OK && pass == 1 && ana_series_add(tot, c->focus_end, cur[n_ids], 0, NULL))
            s = html_oom(c);
        for (int k = 0; s == SS_OK && pass == 1 && k < n_top; k++)
            if (ana_series_add(one[k], c->focus_end, cur[top[k]], 0, NULL))
                s = html_oom(c);
    }
    if (s == SS_OK && p->n_series == 0 && ana_plot_set(&p->placeholder, need_hops))
        s = html_oom(c);
    sqlite3_finalize(st);
    ss_free(cur);
    ss_free(peak);
    ss_free(ids);
    return s;
}

ss_status html_event_plots(html_ctx *c, ana_plot *util, ana_plot *kv)
{
    char title[400];
    snprintf(title, sizeof title, "Per-node utilisation over time, %s", c->focus_label);
    if (ana_plot_init(util, "node-util", title, "simulated time (s)", "node id") ||
        ana_plot_set(&util->zlabel, "busy fraction of the bin"))
        return html_oom(c);
    snprintf(title, sizeof title, "KV-cache memory over time, %s", c->focus_label);
    if (ana_plot_init(kv, "kv-memory", title, "simulated time (s)", "KV cache (MiB)"))
        return html_oom(c);
    kv->ymin0 = 1;
    kv->xmax = c->focus_end;
    char cap[256];
    snprintf(cap, sizeof cap,
             "Busy fraction per node in %d bins: the union of the node's compute slices "
             "(hop_events, phase compute) in each bin over the bin width.", HTML_BINS);
    if (ana_plot_set(&util->caption, cap) ||
        ana_plot_set(&kv->caption, "Reserved KV-cache bytes (node_events kv_reserve minus "
                                   "kv_release), all nodes and the nodes with the highest peaks."))
        return html_oom(c);
    int have_hops = c->focus && html_table_exists(c, "hop_events");
    int have_nodes = c->focus && html_table_exists(c, "node_events");
    ss_status s = SS_OK;
    if (have_hops)
        s = util_plot(c, util);
    else if (ana_plot_set(&util->placeholder, need_hops))
        return html_oom(c);
    if (s == SS_OK && have_nodes)
        s = kv_plot(c, kv);
    else if (s == SS_OK && ana_plot_set(&kv->placeholder, need_hops))
        return html_oom(c);
    return s;
}
