/* ana_gate_check.c - `check`: a stored run against a baseline file
 * (ana_gate.h). The baseline is parsed strictly (unknown keys, unknown
 * metric names and malformed hashes are errors naming their JSON path),
 * then every baseline figure is compared with the run's, then the digest;
 * on a digest mismatch the breakdown names the first differing table, its
 * first differing row (by primary key) and the columns whose values differ.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ana_db_int.h"
#include "ana_digest_int.h"
#include "ana_file_int.h"
#include "ana_gate.h"
#include "ana_gate_int.h"
#include "ss_alloc.h"
#include "ss_json.h"

typedef struct baseline {
    char run_key[600], scenario[256], seed[32];
    ana_run_figs figs;       /* the figures (run_id unused) */
    ana_digest_detail dd;    /* table names point at the current run's */
} baseline;

static ss_status parse_hex(const ss_json_ctx *cx, const cJSON *v, const char *path, size_t len,
                           char *dst)
{
    char buf[72];
    ss_status s = ss_json_string(cx, v, path, 0, buf, sizeof buf);
    if (s != SS_OK)
        return s;
    int ok = strlen(buf) == len;
    for (size_t i = 0; ok && i < len; i++)
        ok = isxdigit((unsigned char)buf[i]) && !isupper((unsigned char)buf[i]);
    if (!ok)
        return ss_json_errf(cx, SS_ESCHEMA, path, "expected %zu lower-case hex digits, got \"%s\"",
                            len, buf);
    memcpy(dst, buf, len + 1);
    return SS_OK;
}

static ss_status parse_hash64(const ss_json_ctx *cx, const cJSON *v, const char *path,
                              uint64_t *out)
{
    char hex[17];
    ss_status s = parse_hex(cx, v, path, 16, hex);
    if (s == SS_OK)
        *out = strtoull(hex, NULL, 16);
    return s;
}

static ss_status parse_figure(const ss_json_ctx *cx, const cJSON *o, const char *path,
                              ana_figure *f)
{
    static const char *const keys[] = {"name", "codec", "metric", "kind", "value", "abs_tol",
                                       "rel_tol"};
    static const ss_json_num_rule tol = {.min = 0, .max = INFINITY, .what = "a tolerance >= 0"};
    ss_status s = ss_json_check_keys(cx, o, path, keys, sizeof keys / sizeof keys[0]);
    if (s != SS_OK)
        return s;
    if (ss_json_find(o, "name")) {
        if ((s = ss_json_get_string(cx, o, path, "name", 1, f->name, sizeof f->name)) != SS_OK)
            return s;
        if (!ana_gate_known_metric(f->name)) {
            char p[256];
            ss_json_path_key(p, sizeof p, path, "name");
            return ss_json_errf(cx, SS_ESCHEMA, p, "unknown metric \"%s\" (the metrics table's "
                                "names are listed in analysis/README.md)", f->name);
        }
        f->kind = ana_gate_metric_kind(f->name);
    } else {
        if ((s = ss_json_get_string(cx, o, path, "codec", 1, f->codec, sizeof f->codec)) != SS_OK ||
            (s = ss_json_get_string(cx, o, path, "metric", 1, f->metric, sizeof f->metric)) != SS_OK)
            return s;
        f->kind = "accuracy";
        f->rel_tol = ANA_GATE_ACCURACY_REL_TOL;
    }
    char kind[32] = "";
    if ((s = ss_json_get_string(cx, o, path, "kind", 0, kind, sizeof kind)) != SS_OK)
        return s;
    if (kind[0] && strcmp(kind, f->kind) != 0) {
        char p[256];
        ss_json_path_key(p, sizeof p, path, "kind");
        return ss_json_errf(cx, SS_ESCHEMA, p, "expected \"%s\", got \"%s\"", f->kind, kind);
    }
    const cJSON *v = ss_json_find(o, "value");
    char p[256];
    ss_json_path_key(p, sizeof p, path, "value");
    if (!v)
        return ss_json_errf(cx, SS_ESCHEMA, p, "missing required key (expected a number or null)");
    static const ss_json_num_rule any = {.min = -INFINITY, .max = INFINITY, .what = "a number"};
    f->value = NAN;
    if (!cJSON_IsNull(v) && (s = ss_json_number(cx, v, p, &any, &f->value)) != SS_OK)
        return s;
    if ((s = ss_json_get_number(cx, o, path, "abs_tol", 0, &tol, &f->abs_tol)) != SS_OK)
        return s;
    return ss_json_get_number(cx, o, path, "rel_tol", 0, &tol, &f->rel_tol);
}

static ss_status parse_table(const ss_json_ctx *cx, const cJSON *o, const char *path,
                             const char *expect_name, ana_digest_table *dt)
{
    static const char *const keys[] = {"name", "digest", "columns", "rows"};
    char name[64], p[256], q[256];
    const cJSON *cols, *rows;
    size_t n_cols, n_rows;
    ss_status s = ss_json_check_keys(cx, o, path, keys, 4);
    if (s == SS_OK)
        s = ss_json_get_string(cx, o, path, "name", 1, name, sizeof name);
    if (s == SS_OK && strcmp(name, expect_name) != 0) {
        ss_json_path_key(p, sizeof p, path, "name");
        return ss_json_errf(cx, SS_ESCHEMA, p, "expected \"%s\", got \"%s\"", expect_name, name);
    }
    dt->name = expect_name;
    ss_json_path_key(p, sizeof p, path, "digest");
    if (s == SS_OK)
        s = parse_hex(cx, ss_json_find(o, "digest"), p, 64, dt->hex);
    if (s == SS_OK)
        s = ss_json_get_array(cx, o, path, "columns", 1, 0, ANA_DIGEST_MAX_COLS, &cols, &n_cols);
    if (s == SS_OK)
        s = ss_json_get_array(cx, o, path, "rows", 1, 0, SIZE_MAX / 8, &rows, &n_rows);
    if (s != SS_OK)
        return s;
    static const char *const ckeys[] = {"name", "hash"};
    ss_json_path_key(p, sizeof p, path, "columns");
    for (size_t i = 0; i < n_cols && s == SS_OK; i++) {
        const cJSON *c = cJSON_GetArrayItem(cols, (int)i);
        ss_json_path_index(q, sizeof q, p, i);
        if ((s = ss_json_check_keys(cx, c, q, ckeys, 2)) == SS_OK &&
            (s = ss_json_get_string(cx, c, q, "name", 1, dt->col_name[i], sizeof dt->col_name[0])) ==
                SS_OK) {
            char r[300];
            ss_json_path_key(r, sizeof r, q, "hash");
            s = parse_hash64(cx, ss_json_find(c, "hash"), r, &dt->col_hash[i]);
        }
    }
    dt->n_cols = (int)n_cols;
    if (s != SS_OK || n_rows == 0)
        return s;
    if (!(dt->row_hash = ss_malloc_array(n_rows, sizeof *dt->row_hash)))
        return ss_json_errf(cx, SS_ENOMEM, "", "out of memory");
    dt->n_rows = n_rows;
    ss_json_path_key(p, sizeof p, path, "rows");
    size_t i = 0;
    for (const cJSON *r = rows->child; r && s == SS_OK; r = r->next, i++) {
        ss_json_path_index(q, sizeof q, p, i);
        s = parse_hash64(cx, r, q, &dt->row_hash[i]);
    }
    return s;
}

static ss_status parse_root(const ss_json_ctx *cx, const cJSON *root, const ana_digest_detail *now,
                            baseline *b)
{
    static const char *const keys[] = {"format", "format_version", "run_key", "scenario_name",
                                       "seed", "metrics", "digest", "tables"};
    char fmt[64];
    int64_t ver;
    const cJSON *figs, *tables;
    size_t n_figs, n_tables;
    ss_status s = ss_json_check_keys(cx, root, "", keys, sizeof keys / sizeof keys[0]);
    if (s == SS_OK && (s = ss_json_get_string(cx, root, "", "format", 1, fmt, sizeof fmt)) == SS_OK &&
        strcmp(fmt, ANA_BASELINE_FORMAT) != 0)
        return ss_json_errf(cx, SS_ESCHEMA, "format", "expected \"%s\", got \"%s\"",
                            ANA_BASELINE_FORMAT, fmt);
    if (s == SS_OK &&
        (s = ss_json_get_int(cx, root, "", "format_version", 1, 1, INT32_MAX, &ver)) == SS_OK &&
        ver > ANA_BASELINE_VERSION)
        return ss_json_errf(cx, SS_EVERSION, "format_version",
                            "version %" PRId64 " is newer than this shardsim's (%d)", ver,
                            ANA_BASELINE_VERSION);
    if (s == SS_OK)
        s = ss_json_get_string(cx, root, "", "run_key", 1, b->run_key, sizeof b->run_key);
    if (s == SS_OK)
        s = ss_json_get_string(cx, root, "", "scenario_name", 1, b->scenario, sizeof b->scenario);
    if (s == SS_OK)
        s = ss_json_get_string(cx, root, "", "seed", 1, b->seed, sizeof b->seed);
    if (s == SS_OK)
        s = parse_hex(cx, ss_json_find(root, "digest"), "digest", 64, b->dd.hex);
    if (s == SS_OK)
        s = ss_json_get_array(cx, root, "", "metrics", 1, 0, 1 << 20, &figs, &n_figs);
    if (s == SS_OK)
        s = ss_json_get_array(cx, root, "", "tables", 1, ANA_DIGEST_N_TABLES, ANA_DIGEST_N_TABLES,
                              &tables, &n_tables);
    char p[64];
    size_t i = 0;
    for (const cJSON *o = s == SS_OK ? figs->child : NULL; o && s == SS_OK; o = o->next, i++) {
        ana_figure *f = ana_gate_fig_push(&b->figs);
        if (!f)
            return ss_json_errf(cx, SS_ENOMEM, "", "out of memory");
        ss_json_path_index(p, sizeof p, "metrics", i);
        s = parse_figure(cx, o, p, f);
    }
    i = 0;
    for (const cJSON *o = s == SS_OK ? tables->child : NULL; o && s == SS_OK; o = o->next, i++) {
        ss_json_path_index(p, sizeof p, "tables", i);
        s = parse_table(cx, o, p, now->table[i].name, &b->dd.table[i]);
    }
    return s;
}

static ss_status load_baseline(const char *path, const ana_digest_detail *now, baseline *b,
                               char *err, size_t errlen)
{
    cJSON *root = NULL;
    ss_status s = ss_json_load_file(path, &root, err, errlen);
    if (s != SS_OK)
        return s;
    const ss_json_ctx cx = {.file = path, .err = err, .errlen = errlen};
    s = parse_root(&cx, root, now, b);
    cJSON_Delete(root);
    return s;
}

/* ---- comparing ---------------------------------------------------------- */

typedef struct verdict {
    char label[400];
    double base, now, tol;
    int pass;
    const char *why; /* "missing", "undefined" or NULL */
} verdict;

static const ana_figure *find_fig(const ana_run_figs *rf, const ana_figure *want)
{
    for (size_t i = 0; i < rf->n; i++) {
        const ana_figure *f = &rf->fig[i];
        if (want->name[0] ? strcmp(f->name, want->name) == 0
                          : !f->name[0] && strcmp(f->codec, want->codec) == 0 &&
                                strcmp(f->metric, want->metric) == 0)
            return f;
    }
    return NULL;
}

static void compare_fig(const ana_figure *b, const ana_figure *now, verdict *v)
{
    ana_gate_fig_label(b, v->label, sizeof v->label);
    v->base = b->value;
    v->now = now ? now->value : NAN;
    v->tol = fmax(b->abs_tol, b->rel_tol * fabs(b->value));
    v->why = NULL;
    if (!now) {
        v->pass = 0;
        v->why = "missing";
    } else if (isnan(v->base) || isnan(v->now)) {
        v->pass = isnan(v->base) && isnan(v->now);
        v->why = v->pass ? NULL : "undefined";
    } else {
        v->pass = fabs(v->now - v->base) <= v->tol;
    }
}

static void print_num(FILE *out, double v)
{
    if (isnan(v))
        fprintf(out, " %14s", "-");
    else
        fprintf(out, " %14.9g", v);
}

static void print_verdict(FILE *out, const verdict *v)
{
    fprintf(out, "%-34s", v->label);
    print_num(out, v->base);
    print_num(out, v->now);
    print_num(out, isnan(v->base) || isnan(v->now) ? NAN : v->now - v->base);
    print_num(out, v->tol);
    fprintf(out, "  %s%s%s\n", v->pass ? "ok" : "REGRESSION", v->why ? ": " : "",
            v->why ? v->why : "");
}

/* Where the current run first differs from the baseline, into buf. */
static void locate(ana_db *db, int64_t run_id, const ana_digest_detail *b,
                   const ana_digest_detail *now, char *buf, size_t n)
{
    for (size_t t = 0; t < ANA_DIGEST_N_TABLES; t++) {
        const ana_digest_table *bt = &b->table[t], *nt = &now->table[t];
        if (strcmp(bt->hex, nt->hex) == 0)
            continue;
        size_t r = 0;
        while (r < bt->n_rows && r < nt->n_rows && bt->row_hash[r] == nt->row_hash[r])
            r++;
        char row[256], cols[512] = "";
        size_t used = 0;
        if (r < nt->n_rows)
            ana_digest_row_name(db, run_id, t, r, row, sizeof row);
        else if (r < bt->n_rows)
            snprintf(row, sizeof row, "row %zu (missing now: %zu rows, baseline %zu)", r + 1,
                     nt->n_rows, bt->n_rows);
        else
            snprintf(row, sizeof row, "no row (the column set differs)");
        for (int c = 0; c < nt->n_cols || c < bt->n_cols; c++) {
            int same = c < nt->n_cols && c < bt->n_cols &&
                       strcmp(nt->col_name[c], bt->col_name[c]) == 0 &&
                       nt->col_hash[c] == bt->col_hash[c];
            if (!same && used < sizeof cols) {
                int k = snprintf(cols + used, sizeof cols - used, "%s%s", used ? ", " : "",
                                 c < nt->n_cols ? nt->col_name[c] : bt->col_name[c]);
                used += k > 0 ? (size_t)k : 0;
            }
        }
        snprintf(buf, n, "first difference: table %s, %s; columns that differ: %s", nt->name, row,
                 cols[0] ? cols : "(none: the header)");
        return;
    }
    snprintf(buf, n, "first difference: not located (every table digest matches)");
}

/* ---- output ------------------------------------------------------------- */

static void junit_case(FILE *f, const char *cls, const char *name, const char *failure)
{
    fprintf(f, "    <testcase classname=\"%s\" name=\"", cls);
    ana_file_xml_text(f, name);
    if (!failure) {
        fputs("\"/>\n", f);
        return;
    }
    fputs("\">\n      <failure message=\"", f);
    ana_file_xml_text(f, failure);
    fputs("\"/>\n    </testcase>\n", f);
}

static ss_status write_junit(const char *path, const verdict *v, size_t n, const char *digest_fail,
                             int n_failed, char *err, size_t errlen)
{
    ana_file af;
    ss_status s = ana_file_open(&af, path, err, errlen);
    if (s != SS_OK)
        return s;
    FILE *f = af.f;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
               "  <testsuite name=\"shardsim check\" tests=\"%zu\" failures=\"%d\" errors=\"0\">\n",
            n + 1, n_failed);
    char msg[512];
    for (size_t i = 0; i < n; i++) {
        const verdict *x = &v[i];
        snprintf(msg, sizeof msg, "baseline %.17g, now %.17g, tolerance %.17g%s%s", x->base, x->now,
                 x->tol, x->why ? ": " : "", x->why ? x->why : "");
        junit_case(f, "shardsim.metrics", x->label, x->pass ? NULL : msg);
    }
    junit_case(f, "shardsim.digest", "digest", digest_fail);
    fputs("  </testsuite>\n</testsuites>\n", f);
    return ana_file_commit(&af, err, errlen);
}

typedef struct check_ctx {
    ana_db *db;
    ana_run_figs now;
    ana_digest_detail dd;
    baseline b;
    verdict *v;
} check_ctx;

static void check_ctx_fini(check_ctx *c)
{
    ss_free(c->v);
    ss_free(c->now.fig);
    ss_free(c->b.figs.fig);
    ana_digest_detail_fini(&c->dd);
    ana_digest_detail_fini(&c->b.dd);
    ana_db_close(c->db);
}

/* Compare, print the table, write JUnit. */
static ss_status report(check_ctx *c, const char *junit_path, FILE *out, ana_gate_result *res,
                        ana_gate_stage *stage, char *err, size_t errlen)
{
    size_t n = c->b.figs.n;
    if (n && !(c->v = ss_malloc_array(n, sizeof *c->v)))
        return ss_err(err, errlen, SS_ENOMEM, "check: out of memory");
    fprintf(out, "run %" PRId64 " (%s, seed %s) against the baseline of %s\n", c->now.run_id,
            c->now.scenario, c->now.seed, c->b.run_key);
    fprintf(out, "%-34s %14s %14s %14s %14s  %s\n", "metric", "baseline", "now", "delta",
            "tolerance", "verdict");
    res->n_checked = (int)n + 1;
    res->n_failed = 0;
    for (size_t i = 0; i < n; i++) {
        compare_fig(&c->b.figs.fig[i], find_fig(&c->now, &c->b.figs.fig[i]), &c->v[i]);
        print_verdict(out, &c->v[i]);
        res->n_failed += !c->v[i].pass;
    }
    char where[1200] = "", dfail[1400];
    int digest_ok = strcmp(c->b.dd.hex, c->dd.hex) == 0;
    fprintf(out, "%-34s %.14s %.14s  %s\n", "digest", c->b.dd.hex, c->dd.hex,
            digest_ok ? "ok" : "REGRESSION");
    if (!digest_ok) {
        res->n_failed++;
        locate(c->db, c->now.run_id, &c->b.dd, &c->dd, where, sizeof where);
        fprintf(out, "  %s\n", where);
        snprintf(dfail, sizeof dfail, "digest %s, baseline %s; %s", c->dd.hex, c->b.dd.hex, where);
    }
    fprintf(out, "%s: %d of %d checks failed\n", res->n_failed ? "REGRESSION" : "PASS",
            res->n_failed, res->n_checked);
    if (fflush(out) != 0 || ferror(out)) {
        *stage = ANA_GATE_STAGE_OUTPUT;
        return ss_err(err, errlen, SS_EIO, "check: writing the table failed");
    }
    if (!junit_path)
        return SS_OK;
    *stage = ANA_GATE_STAGE_OUTPUT;
    return write_junit(junit_path, c->v, n, digest_ok ? NULL : dfail, res->n_failed, err, errlen);
}

ss_status ana_gate_check(const char *db_path, int64_t run_id, const char *baseline_path,
                         const char *junit_path, FILE *out, ana_gate_result *res,
                         ana_gate_stage *stage, char *err, size_t errlen)
{
    ana_gate_stage stage_dummy;
    ana_gate_result res_dummy;
    if (!stage)
        stage = &stage_dummy;
    if (!res)
        res = &res_dummy;
    *stage = ANA_GATE_STAGE_NONE;
    res->n_checked = res->n_failed = 0;
    if (!db_path || !baseline_path || !out || run_id < 0)
        return ss_err(err, errlen, SS_EINVAL, "check: NULL path or output, or negative run id");
    locale_t c_loc = (locale_t)0, old = (locale_t)0;
    ss_status s = ana_gate_c_locale(&c_loc, &old, err, errlen);
    if (s != SS_OK)
        return s;
    check_ctx c;
    memset(&c, 0, sizeof c);
    *stage = ANA_GATE_STAGE_DB;
    if ((s = ana_gate_load_run(db_path, run_id, &c.db, &c.now, &c.dd, err, errlen)) != SS_OK)
        goto done;
    *stage = ANA_GATE_STAGE_BASELINE;
    if ((s = load_baseline(baseline_path, &c.dd, &c.b, err, errlen)) != SS_OK)
        goto done;
    *stage = ANA_GATE_STAGE_NONE;
    if ((s = report(&c, junit_path, out, res, stage, err, errlen)) == SS_OK)
        *stage = ANA_GATE_STAGE_NONE;
done:
    check_ctx_fini(&c);
    uselocale(old);
    freelocale(c_loc);
    return s;
}
