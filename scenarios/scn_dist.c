/* scn_dist.c - distribution-valued fields and name rules.
 *
 * A DIST is a plain number (a constant) or a one-key object naming the
 * family, e.g. {"lognormal": {"median": 256, "sigma": 0.6}} (scn_scenario.h
 * lists the families and how they map onto scn_dist.a/.b).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scn_int.h"

static const char *const families[] = {"exponential", "uniform", "lognormal", "weibull", "gamma"};
#define N_FAMILIES (sizeof families / sizeof families[0])

/* Read a required parameter `key` of a family object at `path`. */
static ss_status param(const ss_json_ctx *cx, const cJSON *obj, const char *path, const char *key,
                       double min, int min_open, double max, double *out)
{
    ss_json_num_rule r = {min, max, min_open, 0, NULL};
    return ss_json_get_number(cx, obj, path, key, SS_JSON_REQUIRED, &r, out);
}

ss_status scn_dist_parse(const ss_json_ctx *cx, const cJSON *v, const char *path,
                         const scn_dist_rule *rule, scn_dist *out)
{
    char got[96];
    if (!v)
        return ss_json_errf(cx, SS_ESCHEMA, path,
                            "missing required key (expected a number or a distribution object)");
    if (cJSON_IsNumber(v)) {
        ss_json_num_rule r = {rule->const_min, rule->cap, 0, 0, NULL};
        double a;
        ss_status rc = ss_json_number(cx, v, path, &r, &a);
        if (rc != SS_OK)
            return rc;
        *out = (scn_dist){SCN_DIST_CONST, a, 0};
        return SS_OK;
    }
    if (!cJSON_IsObject(v)) {
        ss_json_describe(v, got, sizeof got);
        return ss_json_errf(cx, SS_ESCHEMA, path,
                            "expected a number or a distribution object such as "
                            "{\"exponential\": {\"mean\": 1}}, got %s",
                            got);
    }
    ss_status rc = ss_json_check_keys(cx, v, path, families, N_FAMILIES);
    if (rc != SS_OK)
        return rc;
    int n = cJSON_GetArraySize(v);
    if (n != 1)
        return ss_json_errf(cx, SS_ESCHEMA, path,
                            "expected exactly one distribution family (exponential, uniform, "
                            "lognormal, weibull or gamma), got %d",
                            n);
    const cJSON *fam = v->child;
    char sub[512];
    ss_json_path_key(sub, sizeof sub, path, fam->string);
    if (!cJSON_IsObject(fam)) {
        ss_json_describe(fam, got, sizeof got);
        return ss_json_errf(cx, SS_ESCHEMA, sub, "expected an object of parameters, got %s", got);
    }
    double a = 0, b = 0, cap = rule->cap;
    scn_dist_kind kind;
    if (strcmp(fam->string, "exponential") == 0) {
        static const char *const k[] = {"mean"};
        kind = SCN_DIST_EXPONENTIAL;
        if ((rc = ss_json_check_keys(cx, fam, sub, k, 1)) ||
            (rc = param(cx, fam, sub, "mean", 0, 1, cap, &a)))
            return rc;
    } else if (strcmp(fam->string, "uniform") == 0) {
        static const char *const k[] = {"min", "max"};
        kind = SCN_DIST_UNIFORM;
        if ((rc = ss_json_check_keys(cx, fam, sub, k, 2)) ||
            (rc = param(cx, fam, sub, "min", 0, 0, cap, &a)) ||
            (rc = param(cx, fam, sub, "max", 0, 0, cap, &b)))
            return rc;
        if (b < a) {
            char mp[512], lo[32];
            ss_json_path_key(mp, sizeof mp, sub, "max");
            snprintf(lo, sizeof lo, "%.17g", a);
            ss_json_describe(ss_json_find(fam, "max"), got, sizeof got);
            return ss_json_errf(cx, SS_ERANGE, mp, "expected a number >= min (%s), got %s", lo,
                                got);
        }
    } else if (strcmp(fam->string, "lognormal") == 0) {
        static const char *const k[] = {"median", "sigma"};
        kind = SCN_DIST_LOGNORMAL;
        /* sigma above 10 puts e^(10 * z) into the tail: a typo, not a model. */
        if ((rc = ss_json_check_keys(cx, fam, sub, k, 2)) ||
            (rc = param(cx, fam, sub, "median", 0, 1, cap, &a)) ||
            (rc = param(cx, fam, sub, "sigma", 0, 0, 10, &b)))
            return rc;
    } else {
        static const char *const k[] = {"shape", "scale"};
        kind = strcmp(fam->string, "weibull") == 0 ? SCN_DIST_WEIBULL : SCN_DIST_GAMMA;
        if ((rc = ss_json_check_keys(cx, fam, sub, k, 2)) ||
            (rc = param(cx, fam, sub, "shape", 0, 1, 1e6, &a)) ||
            (rc = param(cx, fam, sub, "scale", 0, 1, cap, &b)))
            return rc;
    }
    *out = (scn_dist){kind, a, b};
    return SS_OK;
}

ss_status scn_ident(const ss_json_ctx *cx, const cJSON *v, const char *path, char *dst)
{
    ss_status rc = ss_json_string(cx, v, path, 0, dst, SCN_NAME_MAX);
    if (rc != SS_OK)
        return rc;
    for (const char *p = dst; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || ((c == '.' || c == '-') && p != dst);
        if (!ok) {
            char got[96];
            ss_json_describe(v, got, sizeof got);
            dst[0] = '\0';
            return ss_json_errf(cx, SS_ESCHEMA, path,
                                "expected a name of letters, digits, '_', '.' and '-' (not "
                                "starting with '.' or '-'), got %s",
                                got);
        }
    }
    return SS_OK;
}

ss_status scn_codec_spec(const ss_json_ctx *cx, const cJSON *v, const char *path, char *dst)
{
    ss_status rc = ss_json_string(cx, v, path, 0, dst, SCN_NAME_MAX);
    if (rc != SS_OK)
        return rc;
    int ok = 1;
    for (const char *p = dst; *p && ok; p++) {
        char c = *p;
        int start = p == dst || p[-1] == ':'; /* first byte of the name or of a parameter */
        if (c == ':')
            ok = !start && p[1] != '\0';
        else
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || ((c == '.' || c == '-') && p != dst);
    }
    if (!ok) {
        char got[96];
        ss_json_describe(v, got, sizeof got);
        dst[0] = '\0';
        return ss_json_errf(cx, SS_ESCHEMA, path,
                            "expected a codec spec NAME[:PARAM...] of letters, digits, '_', '.' "
                            "and '-' (e.g. \"nf4\", \"lowrank:8\"), got %s",
                            got);
    }
    return SS_OK;
}

ss_status scn_enum(const ss_json_ctx *cx, const cJSON *v, const char *path,
                   const char *const *names, size_t n, int *idx)
{
    char list[256], got[96];
    size_t o = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && o < sizeof list; i++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s\"%s\"", i ? ", " : "", names[i]);
    if (!v)
        return ss_json_errf(cx, SS_ESCHEMA, path, "missing required key (expected one of %s)",
                            list);
    ss_json_describe(v, got, sizeof got);
    if (cJSON_IsString(v) && v->valuestring) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(v->valuestring, names[i]) == 0) {
                *idx = (int)i;
                return SS_OK;
            }
        const char *near = ss_json_closest(v->valuestring, names, n);
        if (near)
            return ss_json_errf(cx, SS_ESCHEMA, path,
                                "expected one of %s, got %s (did you mean \"%s\"?)", list, got,
                                near);
    }
    return ss_json_errf(cx, SS_ESCHEMA, path, "expected one of %s, got %s", list, got);
}
