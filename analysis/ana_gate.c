/* ana_gate.c - baseline files and the regression check (ana_gate.h).
 *
 * A run's gated figures are every row of its `metrics` table (kind latency,
 * throughput or other by name) and of its `accuracy` table (kind
 * accuracy): tens of rows, held in one array. The digest detail
 * (ana_digest_int.h) costs 8 bytes per stored row; the baseline writes it
 * as 16 hex digits per row.
 */
#include "ana_gate.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ana_db_int.h"
#include "ana_digest_int.h"
#include "ana_file_int.h"
#include "ana_gate_int.h"
#include "ana_metrics.h"
#include "ana_report.h"
#include "ss_alloc.h"

const char *ana_gate_metric_kind(const char *name)
{
    static const char *const lat[] = {"e2e_s_", "ttft_s_", "tpot_s_", "time_in_system"};
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++)
        if (strncmp(name, lat[i], strlen(lat[i])) == 0)
            return strcmp(name + strlen(name) - 2, "_n") == 0 ? "other" : "latency";
    if (strncmp(name, "throughput_", 11) == 0 || strncmp(name, "goodput_", 8) == 0)
        return "throughput";
    return "other";
}

int ana_gate_known_metric(const char *name)
{
    for (size_t i = 0; i < ana_metrics_count(); i++)
        if (strcmp(ana_metrics_name(i), name) == 0)
            return 1;
    return 0;
}

void ana_gate_fig_label(const ana_figure *f, char *buf, size_t n)
{
    if (f->name[0])
        snprintf(buf, n, "%s", f->name);
    else
        snprintf(buf, n, "accuracy[%s].%s", f->codec, f->metric);
}

ana_figure *ana_gate_fig_push(ana_run_figs *rf)
{
    if (rf->n == rf->cap) {
        size_t cap = rf->cap ? 2 * rf->cap : 64;
        ana_figure *p = ss_realloc(rf->fig, cap * sizeof *p);
        if (!p)
            return NULL;
        rf->fig = p;
        rf->cap = cap;
    }
    ana_figure *f = &rf->fig[rf->n++];
    memset(f, 0, sizeof *f);
    return f;
}

static void copy_text(char *dst, size_t n, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

/* The run row (resolving ANA_RUN_LATEST) and its figures. */
static ss_status read_run(ana_db *db, int64_t run_id, ana_run_figs *rf, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    const char *sql = run_id == ANA_RUN_LATEST
                          ? "SELECT id, run_key, scenario_name, seed FROM runs ORDER BY id DESC LIMIT 1"
                          : "SELECT id, run_key, scenario_name, seed FROM runs WHERE id = ?1";
    ss_status s = ana_db_prepare(db, sql, &st, err, errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return ana_db_fail(db, rc, "gate: read run", err, errlen);
        if (run_id == ANA_RUN_LATEST)
            return ss_err(err, errlen, SS_ENOTFOUND, "%s: the database holds no runs", db->name);
        return ss_err(err, errlen, SS_ENOTFOUND, "%s: no run with id %" PRId64, db->name, run_id);
    }
    rf->run_id = sqlite3_column_int64(st, 0);
    copy_text(rf->run_key, sizeof rf->run_key, st, 1);
    copy_text(rf->scenario, sizeof rf->scenario, st, 2);
    copy_text(rf->seed, sizeof rf->seed, st, 3);
    sqlite3_finalize(st);
    static const char *const fig_sql[2] = {
        "SELECT name, NULL, value FROM metrics WHERE run_id = ?1 ORDER BY name",
        "SELECT codec, metric, value FROM accuracy WHERE run_id = ?1 ORDER BY codec, metric",
    };
    for (int t = 0; t < 2 && s == SS_OK; t++) {
        if ((s = ana_db_prepare(db, fig_sql[t], &st, err, errlen)) != SS_OK)
            return s;
        sqlite3_bind_int64(st, 1, rf->run_id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ana_figure *f = ana_gate_fig_push(rf);
            if (!f) {
                s = ss_err(err, errlen, SS_ENOMEM, "%s: gate: out of memory", db->name);
                break;
            }
            if (t == 0) {
                copy_text(f->name, sizeof f->name, st, 0);
                f->kind = ana_gate_metric_kind(f->name);
            } else {
                copy_text(f->codec, sizeof f->codec, st, 0);
                copy_text(f->metric, sizeof f->metric, st, 1);
                f->kind = "accuracy";
                f->rel_tol = ANA_GATE_ACCURACY_REL_TOL;
            }
            f->value = sqlite3_column_type(st, 2) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 2);
        }
        if (s == SS_OK && rc != SQLITE_DONE)
            s = ana_db_fail(db, rc, "gate: read figures", err, errlen);
        sqlite3_finalize(st);
    }
    return s;
}

/* Open read-only, in one read transaction: the run, its figures and the
 * digest detail from one snapshot. */
ss_status ana_gate_load_run(const char *db_path, int64_t run_id, ana_db **db, ana_run_figs *rf,
                          ana_digest_detail *dd, char *err, size_t errlen)
{
    const ana_db_cfg cfg = {.readonly = 1};
    ss_status s = ana_db_open(db_path, &cfg, db, err, errlen);
    if (s != SS_OK)
        return s;
    if ((s = read_run(*db, run_id, rf, err, errlen)) != SS_OK)
        return s;
    return ana_digest_detail_compute(*db, rf->run_id, dd, err, errlen);
}

static void put_num(FILE *f, double v)
{
    if (isnan(v))
        fputs("null", f);
    else
        fprintf(f, "%.17g", v);
}

static void write_digest(FILE *f, const ana_digest_detail *dd)
{
    fprintf(f, "  \"digest\": \"%s\",\n  \"tables\": [\n", dd->hex);
    for (size_t t = 0; t < ANA_DIGEST_N_TABLES; t++) {
        const ana_digest_table *dt = &dd->table[t];
        fprintf(f, "    {\"name\": \"%s\", \"digest\": \"%s\",\n     \"columns\": [", dt->name,
                dt->hex);
        for (int c = 0; c < dt->n_cols; c++) {
            fprintf(f, "%s{\"name\": ", c ? ", " : "");
            ana_file_json_string(f, dt->col_name[c]);
            fprintf(f, ", \"hash\": \"%016" PRIx64 "\"}", dt->col_hash[c]);
        }
        fputs("],\n     \"rows\": [", f);
        for (size_t r = 0; r < dt->n_rows; r++)
            fprintf(f, "%s\"%016" PRIx64 "\"", r ? (r % 4 ? ", " : ",\n              ") : "",
                    dt->row_hash[r]);
        fprintf(f, "]}%s\n", t + 1 < ANA_DIGEST_N_TABLES ? "," : "");
    }
    fputs("  ]\n", f);
}

static void write_baseline(FILE *f, const ana_run_figs *rf, const ana_digest_detail *dd)
{
    fprintf(f, "{\n  \"format\": \"%s\",\n  \"format_version\": %d,\n  \"run_key\": ",
            ANA_BASELINE_FORMAT, ANA_BASELINE_VERSION);
    ana_file_json_string(f, rf->run_key);
    fputs(",\n  \"scenario_name\": ", f);
    ana_file_json_string(f, rf->scenario);
    fputs(",\n  \"seed\": ", f);
    ana_file_json_string(f, rf->seed);
    fputs(",\n  \"metrics\": [\n", f);
    for (size_t i = 0; i < rf->n; i++) {
        const ana_figure *g = &rf->fig[i];
        fputs("    {", f);
        if (g->name[0]) {
            fputs("\"name\": ", f);
            ana_file_json_string(f, g->name);
        } else {
            fputs("\"codec\": ", f);
            ana_file_json_string(f, g->codec);
            fputs(", \"metric\": ", f);
            ana_file_json_string(f, g->metric);
        }
        fprintf(f, ", \"kind\": \"%s\", \"value\": ", g->kind);
        put_num(f, g->value);
        fprintf(f, ", \"abs_tol\": %.17g, \"rel_tol\": %.17g}%s\n", g->abs_tol, g->rel_tol,
                i + 1 < rf->n ? "," : "");
    }
    fputs("  ],\n", f);
    write_digest(f, dd);
    fputs("}\n", f);
}

ss_status ana_gate_c_locale(locale_t *c_loc, locale_t *old, char *err, size_t errlen)
{
    *c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!*c_loc)
        return ss_err(err, errlen, SS_ENOMEM, "gate: cannot create the C locale");
    *old = uselocale(*c_loc);
    return SS_OK;
}

ss_status ana_gate_baseline(const char *db_path, int64_t run_id, const char *out_path,
                            ana_gate_stage *stage, char *err, size_t errlen)
{
    ana_gate_stage stage_dummy;
    if (!stage)
        stage = &stage_dummy;
    *stage = ANA_GATE_STAGE_NONE;
    if (!db_path || !out_path || run_id < 0)
        return ss_err(err, errlen, SS_EINVAL, "baseline: NULL path or negative run id");
    locale_t c_loc = (locale_t)0, old = (locale_t)0;
    ss_status s = ana_gate_c_locale(&c_loc, &old, err, errlen);
    if (s != SS_OK)
        return s;
    ana_db *db = NULL;
    ana_run_figs rf = {0};
    ana_digest_detail dd;
    memset(&dd, 0, sizeof dd);
    ana_file af = {0};
    *stage = ANA_GATE_STAGE_DB;
    if ((s = ana_gate_load_run(db_path, run_id, &db, &rf, &dd, err, errlen)) != SS_OK)
        goto done;
    *stage = ANA_GATE_STAGE_OUTPUT;
    if ((s = ana_file_open(&af, out_path, err, errlen)) != SS_OK)
        goto done;
    write_baseline(af.f, &rf, &dd);
    if ((s = ana_file_commit(&af, err, errlen)) == SS_OK)
        *stage = ANA_GATE_STAGE_NONE;
done:
    ana_file_abort(&af);
    ana_digest_detail_fini(&dd);
    ss_free(rf.fig);
    ana_db_close(db);
    uselocale(old);
    freelocale(c_loc);
    return s;
}
