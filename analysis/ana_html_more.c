/* ana_html_more.c - the report's plots across runs: accuracy vs wire bytes
 * of the `pareto` runs (accuracy table), and a sweep metric vs its first
 * axis with 95 % confidence bands (sweeps / sweep_points / metrics). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "ana_html_int.h"
#include "ana_pareto.h"
#include "ss_alloc.h"

/* Points of one scenario: their (bytes, accuracy) and codecs. */
typedef struct pareto_pts {
    double *obj; /* (bytes, -accuracy) per point, both minimised */
    size_t n, cap;
} pareto_pts;

static ss_status flush_front(html_ctx *c, ana_plot *p, const char *scn, pareto_pts *pts,
                             int colour)
{
    if (pts->n == 0)
        return SS_OK;
    int *on = ss_calloc(pts->n, sizeof *on);
    char label[300];
    snprintf(label, sizeof label, "front: %s", scn);
    ana_series *se = on ? ana_plot_series(p, label, ANA_PLOT_LINES) : NULL;
    if (se) {
        se->colour = colour;
        ana_pareto_front(pts->obj, pts->n, 2, on);
    }
    /* rows come ordered by bytes, so the front is drawn left to right */
    for (size_t i = 0; se && i < pts->n; i++)
        if (on[i] && ana_series_add(se, pts->obj[2 * i], -pts->obj[2 * i + 1], 0, NULL))
            se = NULL;
    ss_free(on);
    pts->n = 0;
    return se ? SS_OK : html_oom(c);
}

/* One LABELS series of codec points per scenario name, and its front. */
static ss_status pareto_one(html_ctx *c, ana_plot *p, const char *bytes_metric,
                            const char *acc_metric)
{
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(
        c->db,
        "SELECT r.scenario_name, a.codec, a.value, b.value FROM accuracy a JOIN accuracy b"
        " ON b.run_id = a.run_id AND b.codec = a.codec AND b.metric = ?2"
        " JOIN runs r ON r.id = a.run_id WHERE a.metric = ?1 AND a.value IS NOT NULL"
        " AND b.value IS NOT NULL ORDER BY r.scenario_name, a.value, b.value DESC, a.codec, r.id",
        &st, c->err, c->errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_text(st, 1, bytes_metric, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, acc_metric, -1, SQLITE_STATIC);
    pareto_pts pts = {0};
    char scn[256] = "";
    int colour = 0;
    ana_series *se = NULL;
    int rc;
    while (s == SS_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *codec = (const char *)sqlite3_column_text(st, 1);
        double x = sqlite3_column_double(st, 2), y = sqlite3_column_double(st, 3);
        if (!se || strcmp(scn, name ? name : "") != 0) {
            if ((s = flush_front(c, p, scn, &pts, colour)) != SS_OK)
                break;
            snprintf(scn, sizeof scn, "%s", name ? name : "");
            if (!(se = ana_plot_series(p, scn, ANA_PLOT_LABELS))) {
                s = html_oom(c);
                break;
            }
            se->colour = ++colour;
        }
        if (pts.n == pts.cap) {
            pts.cap = pts.cap ? 2 * pts.cap : 16;
            double *no = ss_realloc(pts.obj, pts.cap * 2 * sizeof *no);
            if (!no) {
                s = html_oom(c);
                break;
            }
            pts.obj = no;
        }
        pts.obj[2 * pts.n] = x;
        pts.obj[2 * pts.n + 1] = -y;
        pts.n++;
        if (ana_series_add(se, x, y, 0, codec ? codec : "?"))
            s = html_oom(c);
    }
    if (s == SS_OK && rc != SQLITE_DONE)
        s = ana_db_fail(c->db, rc, "html report: read accuracy", c->err, c->errlen);
    if (s == SS_OK)
        s = flush_front(c, p, scn, &pts, colour);
    sqlite3_finalize(st);
    ss_free(pts.obj);
    return s;
}

ss_status html_pareto_plots(html_ctx *c, ana_plot *lm, ana_plot *cnn)
{
    if (ana_plot_init(lm, "pareto", "Accuracy vs wire bytes: language models (shardsim pareto)",
                      "wire bytes per decoded token (bytes/token)",
                      "greedy agreement with fp32 (fraction)") ||
        ana_plot_init(cnn, "pareto-cnn", "Accuracy vs wire bytes: MNIST CNN (shardsim pareto)",
                      "wire bytes per image (bytes/image)", "MNIST accuracy (fraction)") ||
        ana_plot_set(&lm->caption, "One point per codec (accuracy rows wire_bytes_per_token and "
                                   "greedy_agreement), per scenario; the line joins the codecs "
                                   "no other codec beats on both axes.") ||
        ana_plot_set(&cnn->caption, "One point per codec (accuracy rows wire_bytes_per_image and "
                                    "accuracy), per scenario; the line is the Pareto front."))
        return html_oom(c);
    ss_status s = pareto_one(c, lm, "wire_bytes_per_token", "greedy_agreement");
    if (s == SS_OK)
        s = pareto_one(c, cnn, "wire_bytes_per_image", "accuracy");
    if (s == SS_OK && lm->n_series == 0 &&
        ana_plot_set(&lm->placeholder, "No language-model pareto runs in this database: run "
                                       "`shardsim pareto` on a language-model scenario."))
        s = html_oom(c);
    if (s == SS_OK && cnn->n_series == 0 &&
        ana_plot_set(&cnn->placeholder, "No MNIST pareto runs in this database: run `shardsim "
                                        "pareto scenarios/mnist.json`."))
        s = html_oom(c);
    return s;
}

/* ---- sweep: metric vs the first axis ---------------------------------- */

typedef struct sweep_row {
    char *rest; /* the other axes' values (series label) */
    char *xcat; /* the first axis value as JSON text */
    double x;   /* numeric axis: the value; else the category index */
    double mean, m2;
    int n;
} sweep_row;

static ss_status sweep_read(html_ctx *c, sqlite3_stmt *st, sweep_row **rows, size_t *n_rows,
                            int *numeric)
{
    size_t cap = 0;
    int64_t last = -1;
    int rc;
    *numeric = 1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t combo = sqlite3_column_int64(st, 0);
        if (combo != last) {
            if (*n_rows == cap) {
                cap = cap ? 2 * cap : 16;
                sweep_row *nr = ss_realloc(*rows, cap * sizeof *nr);
                if (!nr)
                    return html_oom(c);
                *rows = nr;
            }
            sweep_row *r = &(*rows)[(*n_rows)++];
            memset(r, 0, sizeof *r);
            const char *rest = (const char *)sqlite3_column_text(st, 3);
            const char *xcat = (const char *)sqlite3_column_text(st, 1);
            r->rest = ss_strdup(rest ? rest : "{}");
            r->xcat = ss_strdup(xcat ? xcat : "null");
            if (!r->rest || !r->xcat)
                return html_oom(c);
            int ty = sqlite3_column_type(st, 1);
            if (ty != SQLITE_INTEGER && ty != SQLITE_FLOAT)
                *numeric = 0;
            r->x = sqlite3_column_double(st, 1);
            last = combo;
        }
        sweep_row *r = &(*rows)[*n_rows - 1];
        double v = sqlite3_column_double(st, 2), d = v - r->mean; /* Welford, fixed order */
        r->n++;
        r->mean += d / r->n;
        r->m2 += d * (v - r->mean);
    }
    return rc == SQLITE_DONE ? SS_OK
                             : ana_db_fail(c->db, rc, "html report: read sweep", c->err, c->errlen);
}

/* Categories in first-appearance order; each row's x becomes its index. */
static ss_status sweep_categories(html_ctx *c, ana_plot *p, sweep_row *rows, size_t n)
{
    if (!(p->xtics = ss_calloc(n, sizeof *p->xtics)))
        return html_oom(c);
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < p->n_xtics && strcmp(p->xtics[k], rows[i].xcat) != 0)
            k++;
        if (k == p->n_xtics && !(p->xtics[p->n_xtics++] = ss_strdup(rows[i].xcat)))
            return html_oom(c);
        rows[i].x = (double)k;
    }
    return SS_OK;
}

/* Per distinct `rest`: the band (mean +- t(0.975, n-1) s / sqrt(n)) and the mean line. */
static ss_status sweep_series(html_ctx *c, ana_plot *p, sweep_row *rows, size_t n)
{
    int colour = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < i && strcmp(rows[j].rest, rows[i].rest) != 0)
            j++;
        if (j < i)
            continue; /* drawn with its first row */
        char label[300];
        snprintf(label, sizeof label, "%s", strcmp(rows[i].rest, "{}") ? rows[i].rest : c->metric);
        ana_series *band = ana_plot_series(p, NULL, ANA_PLOT_BAND);
        ana_series *line = band ? ana_plot_series(p, label, ANA_PLOT_LINES) : NULL;
        if (!line)
            return html_oom(c);
        band->colour = line->colour = ++colour;
        for (size_t k = i; k < n; k++) {
            sweep_row *r = &rows[k];
            if (strcmp(r->rest, rows[i].rest) != 0)
                continue;
            double h = r->n > 1 ? gsl_cdf_tdist_Pinv(0.975, r->n - 1) * sqrt(r->m2 / (r->n - 1)) /
                                      sqrt((double)r->n)
                                : 0;
            if (ana_series_add(band, r->x, r->mean - h, r->mean + h, NULL) ||
                ana_series_add(line, r->x, r->mean, 0, NULL))
                return html_oom(c);
        }
    }
    return SS_OK;
}

static int cmp_rows(const void *a, const void *b)
{
    const sweep_row *x = a, *y = b;
    return x->x < y->x ? -1 : x->x > y->x;
}

static ss_status sweep_fill(html_ctx *c, ana_plot *p)
{
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(
        c->db,
        "SELECT p.combo, json_extract(p.axes_json, '$.\"' || json_extract(s.axes_json, '$[0]') ||"
        " '\"'), m.value, json_remove(p.axes_json, '$.\"' || json_extract(s.axes_json, '$[0]') ||"
        " '\"'), json_extract(s.axes_json, '$[0]') FROM sweep_points p JOIN sweeps s ON"
        " s.id = p.sweep_id JOIN metrics m ON m.run_id = p.run_id AND m.name = ?2"
        " WHERE p.sweep_id = ?1 AND p.status = 'ok' AND m.value IS NOT NULL"
        " ORDER BY p.combo, length(p.seed), p.seed",
        &st, c->err, c->errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, c->sweep_id);
    sqlite3_bind_text(st, 2, c->metric, -1, SQLITE_STATIC);
    sweep_row *rows = NULL;
    size_t n = 0;
    int numeric;
    s = sweep_read(c, st, &rows, &n, &numeric);
    if (s == SS_OK && n > 0) {
        sqlite3_reset(st);
        char xl[300];
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 4)) {
            /* the axis is a scenario field: its unit is the field's (scenarios/README.md) */
            snprintf(xl, sizeof xl, "%s (scenario field, in its unit)",
                     (const char *)sqlite3_column_text(st, 4));
            if (ana_plot_set(&p->xlabel, xl))
                s = html_oom(c);
        }
        if (s == SS_OK && !numeric)
            s = sweep_categories(c, p, rows, n);
        if (s == SS_OK) {
            qsort(rows, n, sizeof *rows, cmp_rows); /* a line runs along x */
            s = sweep_series(c, p, rows, n);
        }
    } else if (s == SS_OK && ana_plot_set(&p->placeholder, "The sweep has no ok points with this "
                                                           "metric defined.")) {
        s = html_oom(c);
    }
    sqlite3_finalize(st);
    for (size_t i = 0; i < n; i++) {
        ss_free(rows[i].rest);
        ss_free(rows[i].xcat);
    }
    ss_free(rows);
    return s;
}

/* The unit of a metric, from the naming rules of analysis/README.md. */
static const char *metric_unit(const char *m)
{
    if (strstr(m, "per_s"))
        return "1/s";
    if (strncmp(m, "tpot_s", 6) == 0)
        return "s/token";
    if (strstr(m, "_s_") || (strlen(m) > 2 && strcmp(m + strlen(m) - 2, "_s") == 0))
        return "s";
    if (strstr(m, "utilisation") || strstr(m, "availability") || strstr(m, "slo"))
        return "fraction";
    if (strstr(m, "bytes"))
        return "bytes";
    if (strstr(m, "tokens"))
        return "tokens";
    return strstr(m, "len") ? "hops" : "count";
}

ss_status html_sweep_plot(html_ctx *c, ana_plot *sw)
{
    char title[400], ylabel[200];
    snprintf(ylabel, sizeof ylabel, "%s (%s)", c->metric, metric_unit(c->metric));
    snprintf(title, sizeof title, "Sweep %s: %s vs its first axis (mean, 95 %% CI)", c->sweep_name,
             c->metric);
    if (ana_plot_init(sw, "sweep", c->sweep_id ? title : "Sweep: metric vs axis (95 % CI)",
                      "first axis", ylabel) ||
        ana_plot_set(&sw->caption,
                     "Mean over the seeds of each axis combination; the band is the 95 % "
                     "confidence interval, mean +- t(0.975, n-1) s / sqrt(n) (none with one "
                     "seed); one line per value of the other axes."))
        return html_oom(c);
    if (c->sweep_id == 0)
        return ana_plot_set(&sw->placeholder, "No sweep in this database: run `shardsim sweep`.")
                   ? html_oom(c)
                   : SS_OK;
    return sweep_fill(c, sw);
}
