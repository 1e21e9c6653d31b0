/* exp_compare.c - variants on the same seeds, paired differences with
 * t intervals (exp_compare.h). */
#include "exp_compare.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <gsl/gsl_cdf.h>
#include <sqlite3.h>

#include "ana_db.h"
#include "ana_sha256.h"
#include "ss_alloc.h"

static const char *const metrics[EXP_COMPARE_N_METRICS] = {
    "e2e_s_p50",  "e2e_s_p99", "ttft_s_p50",
    "ttft_s_p99", "tpot_s_p50", "tpot_s_p99",
    "throughput_tokens_per_s", "goodput_requests_per_s", "n_failed", "retries_total",
    /* stored only by runs with "adversaries" or "defences" (analysis/ana_trust) */
    "trust_detection_rate", "trust_faults_detected", "trust_corrupted_tokens",
    "trust_verification_overhead",
};
#define N_ALWAYS 10 /* metrics shown even without values */

const char *exp_compare_metric(size_t i) { return i < EXP_COMPARE_N_METRICS ? metrics[i] : NULL; }

void exp_paired_ci(const double *a, const double *b, size_t n, exp_paired *out)
{
    double sum = 0, ss = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(a[i]) && isfinite(b[i]))
            sum += b[i] - a[i], k++;
    *out = (exp_paired){.n = k, .mean = NAN, .sd = NAN, .half = NAN, .lo = NAN, .hi = NAN,
                        .significant = -1};
    if (k == 0)
        return;
    out->mean = sum / (double)k;
    if (k < 2)
        return;
    for (size_t i = 0; i < n; i++)
        if (isfinite(a[i]) && isfinite(b[i])) {
            double d = b[i] - a[i] - out->mean;
            ss += d * d;
        }
    out->sd = sqrt(ss / (double)(k - 1));
    out->half = gsl_cdf_tdist_Pinv(0.975, (double)(k - 1)) * out->sd / sqrt((double)k);
    out->lo = out->mean - out->half;
    out->hi = out->mean + out->half;
    out->significant = out->lo > 0 || out->hi < 0;
}

/* Each variant loads (first seed) and passes exp_validate: a bad value is
 * one error before anything runs, not N failed points. */
static ss_status check_variants(const scn_compare *c, const exp_run_opts *ro, char *err,
                                size_t errlen)
{
    char e[1024];
    for (size_t v = 0; v < c->n_variants; v++) {
        scn_scenario s;
        ss_status st = scn_sweep_load_point(&c->sweep, v, c->sweep.seeds[0], &s, e, sizeof e);
        if (st == SS_OK) {
            st = exp_validate(&s, ro, e, sizeof e);
            scn_scenario_fini(&s);
        }
        if (st != SS_OK)
            return ss_err(err, errlen, st, "%s: compare.variants[%zu] (\"%s\"): %s",
                          c->sweep.source_path, v, c->names[v], e);
    }
    return SS_OK;
}

/* "compare-<scenario>-<12 hex>": the hash covers the axes and the whole
 * file, so another block (or an edited scenario) is another sweep. */
static void name_sweep(scn_compare *c)
{
    size_t a = strlen(c->sweep.spec_json), b = strlen(c->sweep.base_json);
    char *buf = ss_malloc(a + b + 1), hex[65] = "000000000000";
    if (buf) {
        memcpy(buf, c->sweep.spec_json, a);
        memcpy(buf + a, c->sweep.base_json, b + 1);
        ana_sha256_hex(buf, a + b, hex);
        ss_free(buf);
    }
    snprintf(c->sweep.name, sizeof c->sweep.name, "compare-%.40s-%.12s", c->scenario_name, hex);
}

static ss_status read_values(const scn_compare *c, const char *db_path, exp_compare_result *r,
                             char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT p.combo, p.seed, m.value FROM sweep_points p JOIN sweeps w ON w.id = p.sweep_id"
        " JOIN metrics m ON m.run_id = p.run_id AND m.name = ?2"
        " WHERE w.name = ?1 AND p.status = 'ok'";
    ana_db_cfg cfg = {.readonly = 1};
    ana_db *db = NULL;
    sqlite3_stmt *q = NULL;
    ss_status st = ana_db_open(db_path, &cfg, &db, err, errlen);
    if (st != SS_OK)
        return st;
    if (sqlite3_prepare_v2(ana_db_sqlite(db), sql, -1, &q, NULL) != SQLITE_OK) {
        st = ss_err(err, errlen, SS_EDB, "%s: %s", db_path, sqlite3_errmsg(ana_db_sqlite(db)));
        goto out;
    }
    for (size_t m = 0; m < EXP_COMPARE_N_METRICS; m++) {
        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, c->sweep.name, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, metrics[m], -1, SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            int64_t v = sqlite3_column_int64(q, 0);
            unsigned long long s = strtoull((const char *)sqlite3_column_text(q, 1), NULL, 10);
            if (v < 0 || (size_t)v >= r->n_variants || s < 1 || s > r->n_seeds ||
                sqlite3_column_type(q, 2) == SQLITE_NULL)
                continue; /* another --seeds's extra seeds; undefined values stay NaN */
            r->value[(m * r->n_variants + (size_t)v) * r->n_seeds + (s - 1)] =
                sqlite3_column_double(q, 2);
        }
        if (rc != SQLITE_DONE) {
            st = ss_err(err, errlen, SS_EDB, "%s: %s", db_path, sqlite3_errmsg(ana_db_sqlite(db)));
            goto out;
        }
    }
out:
    sqlite3_finalize(q);
    ana_db_close(db);
    return st;
}

ss_status exp_compare_run(scn_compare *c, const char *db_path, const exp_compare_opts *o,
                          exp_compare_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    ss_status st = check_variants(c, o->sweep.run, err, errlen);
    if (st != SS_OK)
        return st;
    name_sweep(c);
    snprintf(out->sweep_name, sizeof out->sweep_name, "%s", c->sweep.name);
    out->n_variants = c->n_variants;
    out->n_seeds = c->sweep.n_seeds;
    size_t n = EXP_COMPARE_N_METRICS * out->n_variants * out->n_seeds;
    if (!(out->value = ss_malloc(n * sizeof *out->value)))
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", c->sweep.source_path);
    for (size_t i = 0; i < n; i++)
        out->value[i] = NAN;
    st = exp_sweep_run(&c->sweep, db_path, &o->sweep, &out->summary, err, errlen);
    if (st == SS_OK && !out->summary.interrupted)
        st = read_values(c, db_path, out, err, errlen);
    return st;
}

void exp_compare_result_fini(exp_compare_result *r)
{
    if (r) {
        ss_free(r->value);
        r->value = NULL;
    }
}

/* Mean of the finite values among x[0..n); *k their count. */
static double mean_of(const double *x, size_t n, size_t *k)
{
    double s = 0;
    *k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            s += x[i], ++*k;
    return *k ? s / (double)*k : NAN;
}

static void put_num(FILE *out, double x)
{
    if (isfinite(x))
        fprintf(out, "\t%.6g", x);
    else
        fputs("\t-", out);
}

static const double *series(const exp_compare_result *r, size_t m, size_t v)
{
    return r->value + (m * r->n_variants + v) * r->n_seeds;
}

/* A trust metric appears only when some run stored it, so comparisons of
 * scenarios without adversaries print what they always printed. */
static int shown(const exp_compare_result *r, size_t m)
{
    if (m < N_ALWAYS)
        return 1;
    for (size_t i = 0; i < r->n_variants * r->n_seeds; i++)
        if (!isnan(r->value[m * r->n_variants * r->n_seeds + i]))
            return 1;
    return 0;
}

ss_status exp_compare_print(const scn_compare *c, const exp_compare_result *r, FILE *out)
{
    fprintf(out, "# compare %s: %zu variants x %zu seeds (1..%zu), each against \"%s\" on the "
                 "same seeds: diff = mean paired difference, ci = its 95 %% t interval, "
                 "ns = not significant (the interval contains 0)\n",
            c->scenario_name, c->n_variants, r->n_seeds, r->n_seeds, c->names[0]);
    for (size_t m = 0; m < EXP_COMPARE_N_METRICS; m++) {
        if (!shown(r, m))
            continue;
        fprintf(out, "\n# %s\nvariant\tn\tmean\tdiff\tci_low\tci_high\t\n", metrics[m]);
        for (size_t v = 0; v < c->n_variants; v++) {
            size_t k;
            double mean = mean_of(series(r, m, v), r->n_seeds, &k);
            fprintf(out, "%s\t%zu", c->names[v], k);
            put_num(out, mean);
            if (v == 0) {
                fputs("\t\t\t\t\n", out);
                continue;
            }
            exp_paired p;
            exp_paired_ci(series(r, m, 0), series(r, m, v), r->n_seeds, &p);
            put_num(out, p.mean);
            put_num(out, p.lo);
            put_num(out, p.hi);
            fprintf(out, "\t%s\n", p.significant == 0 ? "ns" : ""); /* -1: no interval */
        }
    }
    return ferror(out) ? SS_EIO : SS_OK;
}

static cJSON *num_or_null(double x) { return isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull(); }

/* One metric's object: {"metric": name, "variants": [{...}, ...]}. */
static cJSON *metric_json(const scn_compare *c, const exp_compare_result *r, size_t m)
{
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "variants");
    cJSON_AddStringToObject(o, "metric", metrics[m]);
    for (size_t v = 0; arr && v < c->n_variants; v++) {
        cJSON *x = cJSON_CreateObject();
        size_t k;
        double mean = mean_of(series(r, m, v), r->n_seeds, &k);
        exp_paired p;
        exp_paired_ci(series(r, m, 0), series(r, m, v), r->n_seeds, &p);
        cJSON_AddItemToArray(arr, x);
        cJSON_AddStringToObject(x, "name", c->names[v]);
        cJSON_AddNumberToObject(x, "n", (double)k);
        cJSON_AddItemToObject(x, "mean", num_or_null(mean));
        if (v == 0)
            continue;
        cJSON_AddNumberToObject(x, "n_pairs", (double)p.n);
        cJSON_AddItemToObject(x, "diff", num_or_null(p.mean));
        cJSON_AddItemToObject(x, "ci_low", num_or_null(p.lo));
        cJSON_AddItemToObject(x, "ci_high", num_or_null(p.hi));
        cJSON_AddItemToObject(x, "significant", p.significant < 0 ? cJSON_CreateNull()
                                                 : cJSON_CreateBool(p.significant));
    }
    return o;
}

static cJSON *compare_json(const scn_compare *c, const exp_compare_result *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", c->scenario_name);
    cJSON_AddStringToObject(root, "sweep", r->sweep_name);
    cJSON_AddStringToObject(root, "baseline", c->names[0]);
    cJSON_AddNumberToObject(root, "n_seeds", (double)r->n_seeds);
    cJSON_AddNumberToObject(root, "confidence", 0.95);
    cJSON *vars = cJSON_AddArrayToObject(root, "variants");
    for (size_t v = 0; vars && v < c->n_variants; v++)
        cJSON_AddItemToArray(vars, cJSON_CreateString(c->names[v]));
    cJSON *ms = cJSON_AddArrayToObject(root, "metrics");
    for (size_t m = 0; ms && m < EXP_COMPARE_N_METRICS; m++)
        if (shown(r, m))
            cJSON_AddItemToArray(ms, metric_json(c, r, m));
    return root;
}

ss_status exp_compare_write_json(const scn_compare *c, const exp_compare_result *r,
                                 const char *path, char *err, size_t errlen)
{
    cJSON *root = compare_json(c, r);
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
    size_t len = strlen(path) + 32;
    char *tmp = ss_malloc(len);
    ss_status st = SS_OK;
    FILE *f = NULL;
    if (!tmp) {
        st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto out;
    }
    snprintf(tmp, len, "%s.tmp.%ld", path, (long)getpid());
    int bad = !(f = fopen(tmp, "w"));
    if (!bad) {
        bad = fprintf(f, "%s\n", text) < 0;
        bad |= fclose(f) != 0;
    }
    if (bad) {
        int e = errno;
        st = ss_err(err, errlen, SS_EIO, "%s: cannot write: %s", path, strerror(e));
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        st = ss_err(err, errlen, SS_EIO, "%s: cannot rename %s over it: %s", path, tmp,
                    strerror(errno));
        unlink(tmp);
    }
out:
    ss_free(tmp);
    cJSON_free(text);
    return st;
}
