/* exp_profile.c - fitted device profiles: written by `shardsim fit`, applied
 * by `shardsim petals-table` (exp_fit.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "exp_fit.h"
#include "ss_json.h"

/* The preset of s's first node's device as written, or "" (inline). */
static void first_preset(const scn_scenario *s, char *out, size_t cap)
{
    out[0] = 0;
    cJSON *doc = s->canonical_json ? cJSON_Parse(s->canonical_json) : NULL;
    const cJSON *n = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "nodes"), 0);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(n, "device");
    if (cJSON_IsObject(d))
        d = cJSON_GetObjectItemCaseSensitive(d, "preset");
    if (cJSON_IsString(d))
        snprintf(out, cap, "%s", d->valuestring);
    cJSON_Delete(doc);
}

/* obj[key], an object, created when missing. */
static cJSON *child(cJSON *obj, const char *key)
{
    cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsObject(c)) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
        c = cJSON_AddObjectToObject(obj, key);
    }
    return c;
}

static void set_number(cJSON *obj, const char *key, double v)
{
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddNumberToObject(obj, key, v);
}

/* at.source: the fit's provenance, after that of earlier fits of the
 * same entry (a chained fit keeps both). */
static void add_source(cJSON *at, const char *source)
{
    const cJSON *old = cJSON_GetObjectItemCaseSensitive(at, "source");
    char buf[4096];
    if (cJSON_IsString(old) && strncmp(old->valuestring, "fitted", 6) == 0)
        snprintf(buf, sizeof buf, "%s; %s", old->valuestring, source);
    else
        snprintf(buf, sizeof buf, "%s", source);
    cJSON_DeleteItemFromObjectCaseSensitive(at, "source");
    cJSON_AddStringToObject(at, "source", buf);
}

static ss_status set_param(cJSON *doc, const scn_scenario *s, const exp_param *p, double v,
                           const char *source)
{
    static const char *const keys[] = {"bandwidth", "compute", "compute_eff", "bw_eff",
                                       "overhead_ms", "block_overhead_ms"};
    cJSON *at = doc;
    if (p->kind == EXP_PARAM_FMT_BW || p->kind == EXP_PARAM_FMT_COMPUTE) {
        at = child(child(doc, "format_eff"), s->model.weights);
        if (at && source)
            add_source(at, source);
    }
    if (!at)
        return SS_ENOMEM;
    set_number(at, keys[p->kind], v);
    return SS_OK;
}

static ss_status write_whole(const char *path, const char *text, char *err, size_t errlen)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        snprintf(err, errlen, "%s: cannot write the profile", path);
        return SS_EIO;
    }
    return SS_OK;
}

ss_status exp_profile_write(const char *out, const char *in, const scn_scenario *s,
                            const exp_param *p, double v, const char *source, char *err,
                            size_t errlen)
{
    cJSON *doc = NULL;
    ss_status st = SS_OK;
    if (in)
        st = ss_json_load_file(in, &doc, err, errlen);
    else {
        char preset[SCN_NAME_MAX];
        first_preset(s, preset, sizeof preset);
        doc = cJSON_CreateObject();
        if (doc && preset[0])
            cJSON_AddStringToObject(doc, "preset", preset);
    }
    if (st == SS_OK && !cJSON_IsObject(doc)) {
        snprintf(err, errlen, "%s: expected a device object", in ? in : out);
        st = doc ? SS_EPARSE : SS_ENOMEM;
    }
    if (st == SS_OK)
        st = set_param(doc, s, p, v, source);
    char *text = st == SS_OK ? cJSON_Print(doc) : NULL;
    if (st == SS_OK && !text)
        st = SS_ENOMEM;
    if (st == SS_OK)
        st = write_whole(out, text, err, errlen);
    cJSON_free(text);
    cJSON_Delete(doc);
    return st;
}

/* Apply doc[key] (a number in [lo, hi]) as parameter `name`. */
static ss_status apply_key(scn_scenario *s, const cJSON *obj, const char *key, const char *name,
                           const char *file, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return SS_OK;
    exp_param p;
    ss_status st = exp_param_parse(name, s, &p, err, errlen);
    if (st != SS_OK)
        return st;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < p.lo ||
        v->valuedouble > p.hi) {
        snprintf(err, errlen, "%s: %s: expected a number in [%g, %g]", file, name + 7, p.lo, p.hi);
        return SS_EPARSE;
    }
    exp_param_apply(s, &p, v->valuedouble);
    return SS_OK;
}

ss_status exp_profile_apply(scn_scenario *s, const char *profile, char *err, size_t errlen)
{
    cJSON *doc = NULL;
    ss_status st = ss_json_load_file(profile, &doc, err, errlen);
    if (st != SS_OK)
        return st;
    if (!cJSON_IsObject(doc)) {
        snprintf(err, errlen, "%s: expected a device object", profile);
        cJSON_Delete(doc);
        return SS_EPARSE;
    }
    static const char *const top[] = {"compute_eff", "bw_eff", "overhead_ms", "block_overhead_ms"};
    char name[96];
    for (size_t i = 0; st == SS_OK && i < sizeof top / sizeof top[0]; i++) {
        snprintf(name, sizeof name, "device.%s", top[i]);
        st = apply_key(s, doc, top[i], name, profile, err, errlen);
    }
    const cJSON *fe = cJSON_GetObjectItemCaseSensitive(doc, "format_eff");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(fe, s->model.weights);
    static const char *const fk[] = {"bandwidth", "compute"};
    for (size_t i = 0; st == SS_OK && f && i < 2; i++) {
        snprintf(name, sizeof name, "device.format_eff.%s.%s", s->model.weights, fk[i]);
        st = apply_key(s, f, fk[i], name, profile, err, errlen);
    }
    cJSON_Delete(doc);
    return st;
}
