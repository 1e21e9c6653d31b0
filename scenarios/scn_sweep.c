/* scn_sweep.c - sweep file -> scn_sweep (scn_sweep.h).
 *
 * The base document is kept as text (the file's bytes, or the inline object
 * printed unformatted) and every point is loaded from that text with its
 * axis values applied as --set overrides, so a point's canonical scenario
 * (and run key) is exactly what `shardsim run BASE --set path=value --seed S`
 * would give, and a base file edited during a sweep does not change it.
 */
#include "scn_sweep.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"
#include "ss_alloc.h"
#include "ss_json.h"

typedef struct sweep_loader {
    ss_json_ctx cx;
    scn_sweep *sw;
    cJSON *base_root;     /* owned when the base is a file, else NULL */
    const cJSON *base;    /* the base document (base_root or the inline object) */
} sweep_loader;

static ss_status oom(const sweep_loader *L) { return ss_json_errf(&L->cx, SS_ENOMEM, "", "out of memory"); }

/* ss_strdup of a cJSON-printed buffer (cJSON's allocator may differ in tests). */
static char *print_dup(const cJSON *v)
{
    char *p = cJSON_PrintUnformatted(v);
    if (!p)
        return NULL;
    char *c = ss_strdup(p);
    cJSON_free(p);
    return c;
}

static ss_status load_version(const sweep_loader *L, const cJSON *root)
{
    const cJSON *v = ss_json_find(root, "version");
    char got[96];
    if (!v)
        return ss_json_errf(&L->cx, SS_ESCHEMA, "version",
                            "missing required key (this build reads sweep version %d)",
                            SCN_SWEEP_VERSION);
    ss_json_describe(v, got, sizeof got);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
        return ss_json_errf(&L->cx, SS_ESCHEMA, "version", "expected the integer %d, got %s",
                            SCN_SWEEP_VERSION, got);
    if (v->valuedouble != SCN_SWEEP_VERSION)
        return ss_json_errf(&L->cx, SS_EVERSION, "version",
                            "unsupported sweep version %s (this build reads version %d)", got,
                            SCN_SWEEP_VERSION);
    return SS_OK;
}

/* "base": a path relative to the sweep file's directory, or an object. */
static ss_status load_base(sweep_loader *L, const cJSON *root, const char *dir)
{
    scn_sweep *sw = L->sw;
    const cJSON *b = ss_json_find(root, "base");
    char got[96];
    if (!b)
        return ss_json_errf(&L->cx, SS_ESCHEMA, "base",
                            "missing required key (expected a scenario file name or an inline "
                            "scenario object)");
    if (cJSON_IsObject(b)) {
        sw->base_inline = 1;
        snprintf(sw->base_label, sizeof sw->base_label, "%.1000s#base", sw->source_path);
        snprintf(sw->base_dir, sizeof sw->base_dir, "%s", dir);
        L->base = b;
        return (sw->base_json = print_dup(b)) ? SS_OK : oom(L);
    }
    if (!cJSON_IsString(b) || !b->valuestring[0]) {
        ss_json_describe(b, got, sizeof got);
        return ss_json_errf(&L->cx, SS_ESCHEMA, "base",
                            "expected a scenario file name or an inline scenario object, got %s",
                            got);
    }
    const char *p = b->valuestring;
    int n = p[0] == '/' ? snprintf(sw->base_label, sizeof sw->base_label, "%s", p)
                        : snprintf(sw->base_label, sizeof sw->base_label, "%s%s", dir, p);
    if (n < 0 || (size_t)n >= sizeof sw->base_label)
        return ss_json_errf(&L->cx, SS_ERANGE, "base", "expected a path of at most %d bytes",
                            SCN_PATH_MAX - 1);
    const char *slash = strrchr(sw->base_label, '/');
    if (slash)
        snprintf(sw->base_dir, sizeof sw->base_dir, "%.*s", (int)(slash - sw->base_label + 1),
                 sw->base_label);
    size_t len;
    char berr[768];
    ss_status rc = ss_json_read_file(sw->base_label, &sw->base_json, &len, berr, sizeof berr);
    if (rc == SS_OK)
        rc = ss_json_parse(sw->base_label, sw->base_json, len, &L->base_root, berr, sizeof berr);
    if (rc != SS_OK)
        return ss_json_errf(&L->cx, rc, "base", "%s", berr);
    L->base = L->base_root;
    return SS_OK;
}

/* One axis `key` = `arr` of the grid/zip object at `parent`. */
static ss_status load_axis(sweep_loader *L, const char *parent, const cJSON *arr,
                           scn_sweep_axis *ax)
{
    char path[512], got[96];
    int malformed;
    ss_json_path_key(path, sizeof path, parent, arr->string);
    if (!scn_override_lookup(L->base, arr->string, &malformed))
        return ss_json_errf(&L->cx, SS_ESCHEMA, path,
                            malformed ? "expected an axis path like a.b[0].c (scenario --set "
                                        "syntax), got \"%.200s\""
                                      : "axis path \"%.200s\" does not exist in the base scenario "
                                        "(write the key into the base first)",
                            arr->string);
    if (!cJSON_IsArray(arr)) {
        ss_json_describe(arr, got, sizeof got);
        return ss_json_errf(&L->cx, SS_ESCHEMA, path, "expected an array of axis values, got %s",
                            got);
    }
    int n = cJSON_GetArraySize(arr);
    if (n < 1)
        return ss_json_errf(&L->cx, SS_ESCHEMA, path,
                            "empty axis: expected 1 to %d values, got none", SCN_SWEEP_MAX_VALUES);
    if (n > SCN_SWEEP_MAX_VALUES)
        return ss_json_errf(&L->cx, SS_ERANGE, path, "expected at most %d values, got %d",
                            SCN_SWEEP_MAX_VALUES, n);
    if (!(ax->path = ss_strdup(arr->string)) ||
        !(ax->values = ss_calloc((size_t)n, sizeof *ax->values)))
        return oom(L);
    ax->n_values = (size_t)n;
    size_t i = 0;
    for (const cJSON *v = arr->child; v; v = v->next, i++)
        if (!(ax->values[i] = print_dup(v)))
            return oom(L);
    return SS_OK;
}

/* Append s to buf as a JSON string; returns the bytes written (buf may be NULL to measure). */
static size_t put_json_string(char *buf, const char *s)
{
    size_t n = 0;
    if (buf)
        buf[n] = '"';
    n++;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char tmp[8];
        size_t k;
        if (*p == '"' || *p == '\\')
            k = (size_t)snprintf(tmp, sizeof tmp, "\\%c", *p);
        else if (*p < 0x20)
            k = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", *p);
        else
            tmp[0] = (char)*p, k = 1;
        if (buf)
            memcpy(buf + n, tmp, k);
        n += k;
    }
    if (buf)
        buf[n] = '"';
    return n + 1;
}

static ss_status load_axes(sweep_loader *L, const cJSON *root)
{
    scn_sweep *sw = L->sw;
    const cJSON *grid = ss_json_find(root, "grid"), *zip = ss_json_find(root, "zip");
    char got[96];
    if (grid && zip)
        return ss_json_errf(&L->cx, SS_ESCHEMA, "zip", "expected either \"grid\" or \"zip\", not both");
    const cJSON *axes = grid ? grid : zip;
    const char *key = grid ? "grid" : "zip";
    sw->mode = zip ? SCN_SWEEP_ZIP : SCN_SWEEP_GRID;
    sw->n_combos = 1;
    if (!axes)
        return SS_OK;
    if (!cJSON_IsObject(axes)) {
        ss_json_describe(axes, got, sizeof got);
        return ss_json_errf(&L->cx, SS_ESCHEMA, key,
                            "expected an object {\"json.path\": [values...]}, got %s", got);
    }
    int n = cJSON_GetArraySize(axes);
    if (n < 1 || n > SCN_SWEEP_MAX_AXES)
        return ss_json_errf(&L->cx, n < 1 ? SS_ESCHEMA : SS_ERANGE, key,
                            "expected 1 to %d axes, got %d", SCN_SWEEP_MAX_AXES, n);
    if (!(sw->axes = ss_calloc((size_t)n, sizeof *sw->axes)))
        return oom(L);
    for (const cJSON *a = axes->child; a; a = a->next) {
        ss_status rc = load_axis(L, key, a, &sw->axes[sw->n_axes]);
        sw->n_axes++; /* also when it failed: fini frees its parts */
        if (rc)
            return rc;
        const scn_sweep_axis *ax = &sw->axes[sw->n_axes - 1];
        if (zip && ax->n_values != sw->axes[0].n_values) {
            char path[512];
            ss_json_path_key(path, sizeof path, key, a->string);
            return ss_json_errf(&L->cx, SS_ESCHEMA, path,
                                "zip axes must have equal lengths: expected %zu values (as %s), "
                                "got %zu", sw->axes[0].n_values, sw->axes[0].path, ax->n_values);
        }
        if (zip)
            sw->n_combos = ax->n_values;
        else if (ax->n_values > SCN_SWEEP_MAX_POINTS / sw->n_combos)
            return ss_json_errf(&L->cx, SS_ERANGE, key, "expected at most %d points, got more",
                                SCN_SWEEP_MAX_POINTS);
        else
            sw->n_combos *= ax->n_values;
    }
    size_t plen = 3;
    for (size_t a = 0; a < sw->n_axes; a++)
        plen += put_json_string(NULL, sw->axes[a].path) + 1;
    if (!(sw->paths_json = ss_malloc(plen)))
        return oom(L);
    size_t k = 0;
    sw->paths_json[k++] = '[';
    for (size_t a = 0; a < sw->n_axes; a++) {
        if (a)
            sw->paths_json[k++] = ',';
        k += put_json_string(sw->paths_json + k, sw->axes[a].path);
    }
    sw->paths_json[k++] = ']';
    sw->paths_json[k] = '\0';
    char *printed = print_dup(axes);
    if (!printed)
        return oom(L);
    size_t len = strlen(printed) + 64;
    if ((sw->spec_json = ss_malloc(len)))
        snprintf(sw->spec_json, len, "{\"mode\":\"%s\",\"axes\":%s}", key, printed);
    ss_free(printed);
    return sw->spec_json ? SS_OK : oom(L);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static ss_status load_seeds(sweep_loader *L, const cJSON *root)
{
    scn_sweep *sw = L->sw;
    const cJSON *v = ss_json_find(root, "seeds");
    ss_status rc;
    int64_t n;
    if (v && cJSON_IsNumber(v)) {
        if ((rc = ss_json_int(&L->cx, v, "seeds", 1, SCN_SWEEP_MAX_SEEDS, &n)))
            return rc;
        if (!(sw->seeds = ss_calloc((size_t)n, sizeof *sw->seeds)))
            return oom(L);
        for (int64_t i = 0; i < n; i++)
            sw->seeds[i] = (uint64_t)i + 1;
        sw->n_seeds = (size_t)n;
        return SS_OK;
    }
    const cJSON *arr;
    size_t cnt;
    if (v && !cJSON_IsArray(v)) {
        char got[96];
        ss_json_describe(v, got, sizeof got);
        return ss_json_errf(&L->cx, SS_ESCHEMA, "seeds",
                            "expected a seed count N (seeds 1..N) or an array of seeds, got %s",
                            got);
    }
    if ((rc = ss_json_get_array(&L->cx, root, "", "seeds", SS_JSON_REQUIRED, 1, SCN_SWEEP_MAX_SEEDS,
                                &arr, &cnt)))
        return rc;
    if (!(sw->seeds = ss_calloc(cnt, sizeof *sw->seeds)))
        return oom(L);
    size_t i = 0;
    for (const cJSON *s = arr->child; s; s = s->next, i++) {
        char path[64];
        ss_json_path_index(path, sizeof path, "seeds", i);
        if ((rc = ss_json_int(&L->cx, s, path, 0, (int64_t)SS_JSON_MAX_SAFE_INT, &n)))
            return rc;
        sw->seeds[i] = (uint64_t)n;
    }
    sw->n_seeds = cnt;
    uint64_t *sorted = ss_malloc_array(cnt, sizeof *sorted);
    if (!sorted)
        return oom(L);
    memcpy(sorted, sw->seeds, cnt * sizeof *sorted);
    qsort(sorted, cnt, sizeof *sorted, cmp_u64);
    for (i = 1; i < cnt && sorted[i] != sorted[i - 1]; i++)
        ;
    uint64_t dup = i < cnt ? sorted[i] : 0;
    ss_free(sorted);
    if (i < cnt)
        return ss_json_errf(&L->cx, SS_ESCHEMA, "seeds", "expected distinct seeds, got %llu twice",
                            (unsigned long long)dup);
    return SS_OK;
}

static ss_status load_root(sweep_loader *L, const cJSON *root, const char *dir)
{
    static const char *const keys[] = {"version", "name", "base", "grid", "zip", "seeds"};
    scn_sweep *sw = L->sw;
    char got[96];
    ss_status rc;
    if (!cJSON_IsObject(root)) {
        ss_json_describe(root, got, sizeof got);
        return ss_json_errf(&L->cx, SS_ESCHEMA, "", "expected a sweep object at the top level, got %s",
                            got);
    }
    if ((rc = load_version(L, root)) ||
        (rc = ss_json_check_keys(&L->cx, root, "", keys, sizeof keys / sizeof keys[0])) ||
        (rc = ss_json_get_string(&L->cx, root, "", "name", SS_JSON_REQUIRED, sw->name,
                                 sizeof sw->name)) ||
        (rc = load_base(L, root, dir)) || (rc = load_axes(L, root)) || (rc = load_seeds(L, root)))
        return rc;
    if (sw->n_seeds > SCN_SWEEP_MAX_POINTS / sw->n_combos)
        return ss_json_errf(&L->cx, SS_ERANGE, "seeds",
                            "expected at most %d points, got %zu combinations x %zu seeds",
                            SCN_SWEEP_MAX_POINTS, sw->n_combos, sw->n_seeds);
    sw->n_points = sw->n_combos * sw->n_seeds;
    if (!sw->spec_json && !(sw->spec_json = ss_strdup("{\"mode\":\"grid\",\"axes\":{}}")))
        return oom(L);
    if (!sw->paths_json && !(sw->paths_json = ss_strdup("[]")))
        return oom(L);
    return SS_OK;
}

ss_status scn_sweep_load(const char *path, scn_sweep *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!path || !path[0] || strlen(path) >= SCN_PATH_MAX - 16)
        return ss_err(err, errlen, SS_EINVAL, "sweep file: expected a path of 1 to %d bytes",
                      SCN_PATH_MAX - 17);
    sweep_loader L = {.cx = {.file = path, .err = err, .errlen = errlen}, .sw = out};
    snprintf(out->source_path, sizeof out->source_path, "%s", path);
    char dir[SCN_PATH_MAX] = "";
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path + 1), path);
    cJSON *root = NULL;
    ss_status rc = ss_json_load_file(path, &root, err, errlen);
    if (rc == SS_OK)
        rc = load_root(&L, root, dir);
    cJSON_Delete(root);
    cJSON_Delete(L.base_root);
    if (rc != SS_OK) {
        scn_sweep_fini(out);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

void scn_sweep_fini(scn_sweep *sw)
{
    if (!sw)
        return;
    for (size_t a = 0; a < sw->n_axes && sw->axes; a++) {
        for (size_t i = 0; i < sw->axes[a].n_values && sw->axes[a].values; i++)
            ss_free(sw->axes[a].values[i]);
        ss_free(sw->axes[a].values);
        ss_free(sw->axes[a].path);
    }
    ss_free(sw->axes);
    ss_free(sw->seeds);
    ss_free(sw->base_json);
    ss_free(sw->spec_json);
    ss_free(sw->paths_json);
    sw->paths_json = NULL;
    sw->axes = NULL, sw->seeds = NULL, sw->base_json = NULL, sw->spec_json = NULL;
    sw->n_axes = sw->n_seeds = sw->n_combos = sw->n_points = 0;
}

void scn_sweep_point(const scn_sweep *sw, size_t i, size_t *combo, uint64_t *seed)
{
    *combo = i / sw->n_seeds;
    *seed = sw->seeds[i % sw->n_seeds];
}

const char *scn_sweep_value(const scn_sweep *sw, size_t combo, size_t axis)
{
    if (sw->mode == SCN_SWEEP_ZIP)
        return sw->axes[axis].values[combo];
    size_t stride = 1; /* row-major: the last axis varies fastest */
    for (size_t b = axis + 1; b < sw->n_axes; b++)
        stride *= sw->axes[b].n_values;
    return sw->axes[axis].values[(combo / stride) % sw->axes[axis].n_values];
}

ss_status scn_sweep_axes_json(const scn_sweep *sw, size_t combo, char **out)
{
    size_t len = 3;
    for (size_t a = 0; a < sw->n_axes; a++)
        len += put_json_string(NULL, sw->axes[a].path) + strlen(scn_sweep_value(sw, combo, a)) + 2;
    char *buf = ss_malloc(len);
    if (!(*out = buf))
        return SS_ENOMEM;
    size_t n = 0;
    buf[n++] = '{';
    for (size_t a = 0; a < sw->n_axes; a++) {
        if (a)
            buf[n++] = ',';
        n += put_json_string(buf + n, sw->axes[a].path);
        buf[n++] = ':';
        const char *v = scn_sweep_value(sw, combo, a);
        memcpy(buf + n, v, strlen(v));
        n += strlen(v);
    }
    buf[n++] = '}';
    buf[n] = '\0';
    return SS_OK;
}

ss_status scn_sweep_load_point(const scn_sweep *sw, size_t combo, uint64_t seed,
                               scn_scenario *out, char *err, size_t errlen)
{
    scn_override ov[SCN_SWEEP_MAX_AXES];
    for (size_t a = 0; a < sw->n_axes; a++)
        ov[a] = (scn_override){sw->axes[a].path, scn_sweep_value(sw, combo, a)};
    ss_status rc = scn_load_text(sw->base_label, sw->base_dir, sw->base_json,
                                 strlen(sw->base_json), ov, sw->n_axes, out, err, errlen);
    if (rc == SS_OK)
        out->seed = seed;
    return rc;
}
