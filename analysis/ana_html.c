/* ana_html.c - `shardsim report DB --html FILE / --png DIR` (ana_html.h):
 * choose the focus run, the groups and the sweep, build every plot, draw
 * them with gnuplot, then write the page (and the PNG files) whole. */
#define _GNU_SOURCE /* uselocale */
#include "ana_html.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ana_file_int.h"
#include "ana_html_int.h"
#include "ana_metrics.h"
#include "ss_alloc.h"

#define N_PLOTS 10

static ss_status add_group_run(html_ctx *c, html_group *g, int64_t run)
{
    if (g->n_runs == g->cap_runs) {
        size_t cap = g->cap_runs ? 2 * g->cap_runs : 4;
        int64_t *nr = ss_realloc(g->runs, cap * sizeof *nr);
        if (!nr)
            return html_oom(c);
        g->runs = nr;
        g->cap_runs = cap;
    }
    g->runs[g->n_runs++] = run;
    return SS_OK;
}

/* A new group labelled `label`, or NULL when out of memory. */
static html_group *add_group(html_ctx *c, const char *label)
{
    html_group *ng = ss_realloc(c->groups, (c->n_groups + 1) * sizeof *ng);
    if (!ng)
        return NULL;
    c->groups = ng;
    html_group *g = &ng[c->n_groups];
    memset(g, 0, sizeof *g);
    if (!(g->label = ss_strdup(label)))
        return NULL;
    c->n_groups++;
    return g;
}

static void run_label(char *dst, size_t cap, sqlite3_stmt *st)
{
    const unsigned char *name = sqlite3_column_text(st, 1), *seed = sqlite3_column_text(st, 2);
    snprintf(dst, cap, "run %" PRId64 ": %s (seed %s)", (int64_t)sqlite3_column_int64(st, 0),
             name ? (const char *)name : "?", seed ? (const char *)seed : "?");
}

/* Groups: the sweep's combinations (--sweep), the focus run (--run), or the
 * latest HTML_MAX_RUNS runs with requests rows, oldest first. */
static ss_status find_groups(html_ctx *c, const ana_html_opts *o)
{
    const char *sql =
        o->sweep ? "SELECT combo, axes_json, run_id FROM sweep_points WHERE sweep_id = ?1 AND"
                   " status = 'ok' ORDER BY combo, length(seed), seed"
        : o->run_id ? "SELECT id, scenario_name, seed FROM runs WHERE id = ?1"
                    : "SELECT * FROM (SELECT id, scenario_name, seed FROM runs WHERE id IN"
                      " (SELECT DISTINCT run_id FROM requests) ORDER BY id DESC LIMIT 13)"
                      " ORDER BY id";
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(c->db, sql, &st, c->err, c->errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, o->sweep ? c->sweep_id : o->run_id);
    c->groups_from_sweep = o->sweep != NULL;
    int rc;
    int64_t last = -1;
    html_group *g = NULL;
    while (s == SS_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char label[300];
        if (o->sweep) {
            if (!g || sqlite3_column_int64(st, 0) != last) {
                const unsigned char *ax = sqlite3_column_text(st, 1);
                ana_plot_clean(label, sizeof label, ax ? (const char *)ax : "?");
                if (!(g = add_group(c, label)))
                    s = html_oom(c);
                last = sqlite3_column_int64(st, 0);
            }
            if (s == SS_OK)
                s = add_group_run(c, g, sqlite3_column_int64(st, 2));
        } else {
            run_label(label, sizeof label, st);
            if (!(g = add_group(c, label)))
                s = html_oom(c);
            else
                s = add_group_run(c, g, sqlite3_column_int64(st, 0));
        }
    }
    if (s == SS_OK && rc != SQLITE_DONE)
        s = ana_db_fail(c->db, rc, "html report: read runs", c->err, c->errlen);
    sqlite3_finalize(st);
    if (s == SS_OK && !o->sweep && !o->run_id && c->n_groups > HTML_MAX_RUNS) {
        /* 13 read: drop the oldest, say the list was capped */
        ss_free(c->groups[0].label);
        ss_free(c->groups[0].runs);
        memmove(c->groups, c->groups + 1, (c->n_groups - 1) * sizeof *c->groups);
        c->n_groups--;
        c->groups_capped = 1;
    }
    return s;
}

/* The focus run: --run ID, else the latest run with requests rows. */
static ss_status find_focus(html_ctx *c, const ana_html_opts *o)
{
    const char *sql = o->run_id ? "SELECT id, scenario_name, seed, sim_end_s FROM runs WHERE id = ?1"
                                : "SELECT id, scenario_name, seed, sim_end_s FROM runs WHERE id IN"
                                  " (SELECT DISTINCT run_id FROM requests) ORDER BY id DESC LIMIT 1";
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(c->db, sql, &st, c->err, c->errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, o->run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        c->focus = sqlite3_column_int64(st, 0);
        c->focus_end = sqlite3_column_double(st, 3);
        char label[300];
        run_label(label, sizeof label, st);
        ana_plot_clean(c->focus_label, sizeof c->focus_label, label);
    } else if (rc == SQLITE_DONE && o->run_id) {
        s = ss_err(c->err, c->errlen, SS_ENOTFOUND, "%s: report: no run with id %" PRId64,
                   c->db->name, o->run_id);
    } else if (rc != SQLITE_DONE) {
        s = ana_db_fail(c->db, rc, "html report: read runs", c->err, c->errlen);
    }
    sqlite3_finalize(st);
    if (s != SS_OK || c->focus)
        return s;
    double n = 0, *v = NULL;
    size_t k = 0, cap = 0;
    s = html_collect(c, "SELECT count(*) FROM runs WHERE ?1 = ?1", 0, &v, &k, &cap);
    if (s == SS_OK && k == 1)
        n = v[0];
    ss_free(v);
    if (s == SS_OK && n == 0)
        s = ss_err(c->err, c->errlen, SS_ENOTFOUND, "%s: report: the database holds no runs",
                   c->db->name);
    return s;
}

/* The sweep: --sweep NAME, else the latest one (if any). */
static ss_status find_sweep(html_ctx *c, const ana_html_opts *o)
{
    if (!html_table_exists(c, "sweeps"))
        return o->sweep ? ss_err(c->err, c->errlen, SS_ENOTFOUND, "%s: report: no sweep named '%s'",
                                 c->db->name, o->sweep)
                        : SS_OK;
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(c->db,
                                 o->sweep ? "SELECT id, name FROM sweeps WHERE name = ?1"
                                          : "SELECT id, name FROM sweeps ORDER BY id DESC LIMIT 1",
                                 &st, c->err, c->errlen);
    if (s != SS_OK)
        return s;
    if (o->sweep)
        sqlite3_bind_text(st, 1, o->sweep, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        c->sweep_id = sqlite3_column_int64(st, 0);
        const unsigned char *name = sqlite3_column_text(st, 1);
        ana_plot_clean(c->sweep_name, sizeof c->sweep_name, name ? (const char *)name : "?");
    } else if (rc == SQLITE_DONE && o->sweep) {
        s = ss_err(c->err, c->errlen, SS_ENOTFOUND, "%s: report: no sweep named '%s'", c->db->name,
                   o->sweep);
    } else if (rc != SQLITE_DONE) {
        s = ana_db_fail(c->db, rc, "html report: read sweeps", c->err, c->errlen);
    }
    sqlite3_finalize(st);
    return s;
}

static ss_status build_plots(html_ctx *c, const ana_html_opts *o, ana_plot *p)
{
    ss_status s = find_sweep(c, o);
    if (s == SS_OK)
        s = find_focus(c, o);
    if (s == SS_OK)
        s = find_groups(c, o);
    if (s == SS_OK)
        s = html_dist_plots(c, &p[0], &p[1], &p[2]);
    if (s == SS_OK)
        s = html_time_plots(c, &p[3], &p[4]);
    if (s == SS_OK)
        s = html_event_plots(c, &p[5], &p[6]);
    if (s == SS_OK)
        s = html_pareto_plots(c, &p[7], &p[8]);
    if (s == SS_OK)
        s = html_sweep_plot(c, &p[9]);
    return s;
}

/* ---- output ------------------------------------------------------------ */

/* A JSON string safe inside <script>: '<' and control bytes escaped. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *u = (const unsigned char *)(s ? s : ""); *u; u++) {
        if (*u == '"' || *u == '\\')
            fprintf(f, "\\%c", *u);
        else if (*u < 0x20 || *u == '<' || *u == '>' || *u == '&')
            fprintf(f, "\\u%04x", *u);
        else
            fputc(*u, f);
    }
    fputc('"', f);
}

static void json_nums(FILE *f, const char *key, const double *v, size_t n)
{
    fprintf(f, ",\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (isfinite(v[i]))
            fprintf(f, "%s%.17g", i ? "," : "", v[i]);
        else
            fprintf(f, "%snull", i ? "," : "");
    }
    fputc(']', f);
}

/* The numbers gnuplot was given, as JSON (read by tests and by scripts). */
static void write_data_json(FILE *f, const ana_plot *p)
{
    fprintf(f, "<script type=\"application/json\" class=\"plot-data\" id=\"data-%s\">", p->id);
    fprintf(f, "{\"id\":\"%s\",\"series\":[", p->id);
    for (size_t i = 0; i < p->n_series; i++) {
        const ana_series *s = p->series[i];
        fputs(i ? ",{\"label\":" : "{\"label\":", f);
        if (s->label)
            json_str(f, s->label);
        else
            fputs("null", f);
        json_nums(f, "x", s->x, s->n);
        json_nums(f, "y", s->y, s->n);
        if (s->style == ANA_PLOT_BAND || s->style == ANA_PLOT_IMAGE)
            json_nums(f, "z", s->z, s->n);
        fputc('}', f);
    }
    fputs("]}</script>\n", f);
}

/* gnuplot's SVG without its XML prolog, every id (and reference to one)
 * prefixed with the plot's id: several inline SVGs share one id space. */
static void write_svg(FILE *f, const char *svg, const char *id)
{
    static const char *const keys[] = {"id=\"", "id='", "href='#", "href=\"#", "url(#"};
    const char *p = strstr(svg, "<svg");
    p = p ? p : svg;
    while (*p) {
        size_t k = 0, len = 0;
        for (; k < sizeof keys / sizeof keys[0]; k++)
            if (strncmp(p, keys[k], len = strlen(keys[k])) == 0)
                break;
        if (k < sizeof keys / sizeof keys[0] && (k >= 2 || p[-1] == ' ' || p[-1] == '\t')) {
            fwrite(p, 1, len, f);
            fprintf(f, "%s-", id);
            p += len;
        } else {
            fputc(*p++, f);
        }
    }
}

static const char css[] =
    "body{font-family:sans-serif;margin:1.5em auto;max-width:900px;color:#222;background:#fff}"
    "h1{font-size:1.5em}figure{margin:2em 0;padding:0.5em;border:1px solid #ccc}"
    "figcaption{font-weight:bold;margin-bottom:0.4em}p.caption{font-size:0.9em;color:#444}"
    "p.placeholder{padding:2em;background:#f4f4f4;color:#444;text-align:center}"
    "svg{width:100%;height:auto}svg image{image-rendering:pixelated}";

static ss_status write_html(html_ctx *c, const char *path, const ana_plot *p, char **svg)
{
    ana_file af;
    ss_status s = ana_file_open(&af, path, c->err, c->errlen);
    if (s != SS_OK)
        return s;
    FILE *f = af.f;
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<title>shardsim report: ");
    ana_file_xml_text(f, c->db->name);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>shardsim report</h1>\n<p>"
               "Database <code>", css);
    ana_file_xml_text(f, c->db->name);
    fputs("</code>; focus run: ", f);
    ana_file_xml_text(f, c->focus ? c->focus_label : "none");
    if (c->sweep_id) {
        fputs("; sweep: ", f);
        ana_file_xml_text(f, c->sweep_name);
    }
    fputs(". All times are simulated seconds.</p>\n<ul>\n", f);
    for (int i = 0; i < N_PLOTS; i++) {
        fprintf(f, "<li><a href=\"#plot-%s\">", p[i].id);
        ana_file_xml_text(f, p[i].title);
        fputs("</a></li>\n", f);
    }
    fputs("</ul>\n", f);
    for (int i = 0; i < N_PLOTS; i++) {
        fprintf(f, "<figure id=\"plot-%s\" class=\"plot%s\">\n<figcaption>", p[i].id,
                svg[i] ? "" : " placeholder");
        ana_file_xml_text(f, p[i].title);
        fputs("</figcaption>\n", f);
        if (svg[i]) {
            write_svg(f, svg[i], p[i].id);
            write_data_json(f, &p[i]);
        } else {
            fputs("<p class=\"placeholder\">", f);
            ana_file_xml_text(f, p[i].placeholder);
            fputs("</p>\n", f);
        }
        if (p[i].caption) {
            fputs("<p class=\"caption\">", f);
            ana_file_xml_text(f, p[i].caption);
            fputs("</p>\n", f);
        }
        fputs("</figure>\n", f);
    }
    fputs("</body>\n</html>\n", f);
    return ana_file_commit(&af, c->err, c->errlen);
}

static ss_status write_pngs(html_ctx *c, const char *dir, const ana_plot *p, char **png,
                            const size_t *len)
{
    struct stat sb;
    if (mkdir(dir, 0777) != 0 && (errno != EEXIST || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        return ss_err(c->err, c->errlen, SS_EIO, "%s: cannot create the PNG folder: %s", dir,
                      errno == EEXIST ? "not a folder" : strerror(errno));
    for (int i = 0; i < N_PLOTS; i++) {
        if (!png[i])
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/plot-%s.png", dir, p[i].id);
        ana_file af;
        ss_status s = ana_file_open(&af, path, c->err, c->errlen);
        if (s != SS_OK)
            return s;
        fwrite(png[i], 1, len[i], af.f);
        if ((s = ana_file_commit(&af, c->err, c->errlen)) != SS_OK)
            return s;
    }
    return SS_OK;
}

static ss_status render_all(html_ctx *c, const ana_html_opts *o, ana_plot *p)
{
    char *svg[N_PLOTS] = {0}, *png[N_PLOTS] = {0};
    size_t len[N_PLOTS] = {0}, svg_len;
    ss_status s = SS_OK;
    /* every plot drawn before any file is opened: a gnuplot failure (or no
     * memory) leaves no file behind */
    for (int i = 0; i < N_PLOTS && s == SS_OK; i++) {
        if (p[i].placeholder)
            continue;
        if (o->html)
            s = ana_plot_render(&p[i], ANA_PLOT_SVG, &svg[i], &svg_len, c->err, c->errlen);
        if (s == SS_OK && o->png_dir)
            s = ana_plot_render(&p[i], ANA_PLOT_PNG, &png[i], &len[i], c->err, c->errlen);
    }
    if (s == SS_OK && o->html)
        s = write_html(c, o->html, p, svg);
    if (s == SS_OK && o->png_dir)
        s = write_pngs(c, o->png_dir, p, png, len);
    for (int i = 0; i < N_PLOTS; i++) {
        ss_free(svg[i]);
        ss_free(png[i]);
    }
    return s;
}

static ss_status check_opts(const ana_html_opts *o, char *err, size_t errlen)
{
    if (!o || (!o->html && !o->png_dir) || o->run_id < 0)
        return ss_err(err, errlen, SS_EINVAL, "report: no --html FILE or --png DIR to write");
    if (!o->metric)
        return SS_OK;
    for (size_t i = 0; i < ana_metrics_count(); i++)
        if (strcmp(ana_metrics_name(i), o->metric) == 0)
            return SS_OK;
    return ss_err(err, errlen, SS_EINVAL, "report: --metric: '%s' is not a metric name (see "
                  "analysis/README.md)", o->metric);
}

ss_status ana_html_report(const char *db_path, const ana_html_opts *o, char *err, size_t errlen)
{
    ss_status s = check_opts(o, err, errlen);
    if (s != SS_OK || !db_path)
        return s != SS_OK ? s : ss_err(err, errlen, SS_EINVAL, "report: no database path");
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!c_loc)
        return ss_err(err, errlen, SS_ENOMEM, "%s: report: cannot create the C locale", db_path);
    locale_t old = uselocale(c_loc);
    const ana_db_cfg cfg = {.readonly = 1};
    html_ctx c = {.metric = o->metric ? o->metric : "e2e_s_p99", .err = err, .errlen = errlen};
    ana_plot p[N_PLOTS];
    memset(p, 0, sizeof p);
    if ((s = ana_db_open(db_path, &cfg, &c.db, err, errlen)) == SS_OK) {
        /* one read transaction: every plot from one snapshot */
        int rc = sqlite3_exec(c.db->h, "BEGIN", NULL, NULL, NULL);
        s = rc == SQLITE_OK ? build_plots(&c, o, p)
                            : ana_db_fail(c.db, rc, "html report: begin read", err, errlen);
        ana_db_rollback(c.db);
        if (s == SS_OK)
            s = render_all(&c, o, p);
    }
    for (int i = 0; i < N_PLOTS; i++)
        ana_plot_fini(&p[i]);
    for (size_t i = 0; i < c.n_groups; i++) {
        ss_free(c.groups[i].label);
        ss_free(c.groups[i].runs);
    }
    ss_free(c.groups);
    ana_db_close(c.db);
    uselocale(old);
    freelocale(c_loc);
    return s;
}
