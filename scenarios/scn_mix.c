/* scn_mix.c - the small value types of node populations: weighted mixes
 * ({"rtx-3090": 0.3, ...}), positive random quantities (bandwidths, up and
 * down times), distribution means, and where device presets live.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scn_int.h"
#include "ss_alloc.h"

#ifndef SS_SOURCE_DIR
#define SS_SOURCE_DIR "."
#endif

ss_status scn_mix_parse(const ss_json_ctx *cx, const cJSON *v, const char *path, const char *what,
                        double **w, int *n)
{
    char got[96] = "an empty object";
    *w = NULL;
    *n = 0;
    int m = cJSON_GetArraySize(v);
    if (!cJSON_IsObject(v) || m == 0) {
        if (!cJSON_IsObject(v))
            ss_json_describe(v, got, sizeof got);
        return ss_json_errf(cx, SS_ESCHEMA, path,
                            "expected a non-empty mix of %s {\"NAME\": weight, ...}, got %s",
                            what, got);
    }
    if (m > SCN_MAX_MIX)
        return ss_json_errf(cx, SS_ERANGE, path, "expected a mix of at most %d %s, got %d",
                            SCN_MAX_MIX, what, m);
    double *x = ss_malloc_array((size_t)m, sizeof *x);
    if (!x)
        return ss_json_errf(cx, SS_ENOMEM, "", "out of memory");
    /* Weights are relative; 1e9 bounds the sum far from overflow. */
    ss_json_num_rule r = {0, 1e9, 1, 0, NULL};
    double sum = 0;
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        char sub[512];
        ss_json_path_key(sub, sizeof sub, path, e->string);
        ss_status rc = ss_json_number(cx, e, sub, &r, &x[i]);
        if (rc != SS_OK) {
            ss_free(x);
            return rc;
        }
        sum += x[i];
    }
    for (i = 0; i < m; i++)
        x[i] /= sum;
    *w = x;
    *n = m;
    return SS_OK;
}

ss_status scn_pos_dist(const ss_json_ctx *cx, const cJSON *v, const char *path, double cap,
                       scn_dist *out)
{
    if (!cJSON_IsObject(v)) {
        ss_json_num_rule r = {0, cap, 1, 0, NULL};
        double a;
        ss_status rc = ss_json_number(cx, v, path, &r, &a);
        if (rc == SS_OK)
            *out = (scn_dist){SCN_DIST_CONST, a, 0};
        return rc;
    }
    scn_dist_rule rule = {0, cap};
    scn_dist d;
    ss_status rc = scn_dist_parse(cx, v, path, &rule, &d);
    if (rc != SS_OK)
        return rc;
    if (d.kind == SCN_DIST_UNIFORM && !(d.a > 0)) {
        char sub[512], mp[512];
        ss_json_path_key(sub, sizeof sub, path, "uniform");
        ss_json_path_key(mp, sizeof mp, sub, "min");
        return ss_json_errf(cx, SS_ERANGE, mp,
                            "expected a positive number (draws of this quantity must be > 0), "
                            "got 0");
    }
    if (!isfinite(scn_dist_mean(&d)))
        return ss_json_errf(cx, SS_ERANGE, path,
                            "expected a distribution with a finite mean (shape too small)");
    *out = d;
    return SS_OK;
}

double scn_dist_mean(const scn_dist *d)
{
    switch (d->kind) {
    case SCN_DIST_CONST:
    case SCN_DIST_EXPONENTIAL:
        return d->a;
    case SCN_DIST_UNIFORM:
        return 0.5 * (d->a + d->b);
    case SCN_DIST_LOGNORMAL:
        return d->a * exp(0.5 * d->b * d->b);
    case SCN_DIST_WEIBULL:
        return d->b * tgamma(1 + 1 / d->a);
    case SCN_DIST_GAMMA:
        return d->a * d->b;
    }
    return 0;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

ss_status scn_hardware_dir(const char *scn_dir, char *dst, size_t n)
{
    const char *home = getenv("SHARDSIM_HOME");
    if (!home || !*home)
        home = SS_SOURCE_DIR;
    char cand[3][SCN_PATH_MAX + 64];
    snprintf(cand[0], sizeof cand[0], "%shardware", scn_dir);
    snprintf(cand[1], sizeof cand[1], "%s../hardware", scn_dir);
    snprintf(cand[2], sizeof cand[2], "%.*s/scenarios/hardware", SCN_PATH_MAX, home);
    for (int i = 0; i < 3; i++)
        if (strlen(cand[i]) < n && is_dir(cand[i])) {
            snprintf(dst, n, "%s", cand[i]);
            return SS_OK;
        }
    snprintf(dst, n, "%s, %s, %s", cand[0], cand[1], cand[2]);
    return SS_ENOTFOUND;
}
