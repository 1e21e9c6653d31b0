/* scn_hardware.c - device presets (schema in scn_hardware.h and
 * scenarios/hardware/README.md). A dozen files of ~1 KB each. */
#include "scn_hardware.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ss_alloc.h"
#include "ss_json.h"

static const char *const format_names[SCN_HW_N_FORMATS] = {"fp16", "int8", "nf4"};

ss_status scn_hw_format_parse(const char *name, scn_hw_format *out)
{
    for (int i = 0; i < SCN_HW_N_FORMATS; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *out = (scn_hw_format)i;
            return SS_OK;
        }
    return SS_ENOTFOUND;
}

void scn_hardware_effective(const scn_hardware *hw, scn_hw_format f, double *flops,
                            double *bytes_per_s)
{
    double peak = hw->peak_fp16_flops > hw->peak_fp32_flops ? hw->peak_fp16_flops
                                                            : hw->peak_fp32_flops;
    *flops = peak * hw->eff[f].compute;
    *bytes_per_s = hw->mem_bw_bytes_per_s * hw->eff[f].bandwidth;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int scn_hardware_list(const char *dir, char *dst, size_t dstsize)
{
    if (dstsize)
        dst[0] = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int failed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0 || e->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t nc = cap ? 2 * cap : 32;
            char **nn = ss_realloc(names, nc * sizeof *nn);
            if (!nn) {
                failed = 1;
                break;
            }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = ss_strdup(e->d_name))) {
            failed = 1;
            break;
        }
        names[n++][len - 5] = '\0';
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    size_t used = 0;
    for (size_t i = 0; i < n && dstsize; i++) {
        int w = snprintf(dst + used, dstsize - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= dstsize - used) {
            if (dstsize >= 4)
                memcpy(dst + dstsize - 4, "...", 4);
            break;
        }
        used += (size_t)w;
    }
    for (size_t i = 0; i < n; i++)
        ss_free(names[i]);
    ss_free(names);
    return failed ? -1 : (int)n;
}

static int valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= SCN_NAME_MAX || s[0] == '.' || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
              s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

static ss_status num(const ss_json_ctx *cx, const cJSON *obj, const char *path, const char *key,
                     double lo, int lo_open, double hi, double *out)
{
    ss_json_num_rule r = {lo, hi, lo_open, 0, NULL};
    return ss_json_get_number(cx, obj, path, key, SS_JSON_REQUIRED, &r, out);
}

static ss_status parse(const ss_json_ctx *cx, const cJSON *root, scn_hardware *out)
{
    static const char *const top[] = {"name",       "kind",      "peak_fp32_tflops",
                                      "peak_fp16_tflops", "mem_bw_gbps", "memory_gib",
                                      "network",    "efficiency", "source"};
    static const char *const net_keys[] = {"class", "uplink_mbps", "downlink_mbps"};
    static const char *const eff_keys[] = {"compute", "bandwidth"};
    static const char *const kinds[] = {"gpu", "cpu", "soc"};
    static const char *const classes[] = {"residential", "prosumer", "datacenter"};
    ss_status st;
    char got[96];
    if (!cJSON_IsObject(root)) {
        ss_json_describe(root, got, sizeof got);
        return ss_json_errf(cx, SS_ESCHEMA, "", "expected an object, got %s", got);
    }
    if ((st = ss_json_check_keys(cx, root, "", top, sizeof top / sizeof top[0])) ||
        (st = ss_json_get_string(cx, root, "", "name", SS_JSON_REQUIRED, out->name,
                                 sizeof out->name)) ||
        (st = ss_json_get_string(cx, root, "", "kind", SS_JSON_REQUIRED, out->kind,
                                 sizeof out->kind)))
        return st;
    int ok = 0;
    for (size_t i = 0; i < 3; i++)
        ok |= strcmp(out->kind, kinds[i]) == 0;
    if (!ok)
        return ss_json_errf(cx, SS_ESCHEMA, "kind", "expected \"gpu\", \"cpu\" or \"soc\", got \"%s\"",
                            out->kind);
    double f32, f16, bw, mem, up, down;
    /* Ranges: generous bounds around any device of the next decade. */
    if ((st = num(cx, root, "", "peak_fp32_tflops", 0, 1, 1e4, &f32)) ||
        (st = num(cx, root, "", "peak_fp16_tflops", 0, 1, 1e5, &f16)) ||
        (st = num(cx, root, "", "mem_bw_gbps", 0, 1, 1e5, &bw)) ||
        (st = num(cx, root, "", "memory_gib", 0, 1, 1e5, &mem)))
        return st;
    const cJSON *net = NULL, *eff = NULL;
    if ((st = ss_json_get_object(cx, root, "", "network", SS_JSON_REQUIRED, &net)) ||
        (st = ss_json_check_keys(cx, net, "network", net_keys, 3)) ||
        (st = ss_json_get_string(cx, net, "network", "class", SS_JSON_REQUIRED,
                                 out->network_class, sizeof out->network_class)))
        return st;
    ok = 0;
    for (size_t i = 0; i < 3; i++)
        ok |= strcmp(out->network_class, classes[i]) == 0;
    if (!ok)
        return ss_json_errf(cx, SS_ESCHEMA, "network.class",
                            "expected \"residential\", \"prosumer\" or \"datacenter\", got \"%s\"",
                            out->network_class);
    if ((st = num(cx, net, "network", "uplink_mbps", 0, 1, 1e6, &up)) ||
        (st = num(cx, net, "network", "downlink_mbps", 0, 1, 1e6, &down)) ||
        (st = ss_json_get_object(cx, root, "", "efficiency", SS_JSON_REQUIRED, &eff)) ||
        (st = ss_json_check_keys(cx, eff, "efficiency", format_names, SCN_HW_N_FORMATS)))
        return st;
    for (int f = 0; f < SCN_HW_N_FORMATS; f++) {
        char path[64];
        const cJSON *e = NULL;
        ss_json_path_key(path, sizeof path, "efficiency", format_names[f]);
        if ((st = ss_json_get_object(cx, eff, "efficiency", format_names[f], SS_JSON_REQUIRED,
                                     &e)) ||
            (st = ss_json_check_keys(cx, e, path, eff_keys, 2)) ||
            (st = num(cx, e, path, "compute", 0, 1, 1, &out->eff[f].compute)) ||
            (st = num(cx, e, path, "bandwidth", 0, 1, 1, &out->eff[f].bandwidth)))
            return st;
    }
    if ((st = ss_json_get_string(cx, root, "", "source", SS_JSON_REQUIRED, out->source,
                                 sizeof out->source)))
        return st;
    out->peak_fp32_flops = f32 * 1e12;
    out->peak_fp16_flops = f16 * 1e12;
    out->mem_bw_bytes_per_s = bw * 1e9;
    out->memory_bytes = mem * 1073741824.0;
    out->uplink_bytes_per_s = up * 1e6 / 8;
    out->downlink_bytes_per_s = down * 1e6 / 8;
    return SS_OK;
}

ss_status scn_hardware_load(const char *dir, const char *name, scn_hardware *out, char *err,
                            size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!valid_name(name))
        return ss_err(err, errlen, SS_EINVAL,
                      "device preset \"%.64s\": expected 1..%d characters of [a-z0-9._-], not "
                      "starting with '.' or '-'",
                      name, SCN_NAME_MAX - 1);
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s.json", dir, name) >= (int)sizeof path)
        return ss_err(err, errlen, SS_EINVAL, "%s: preset path too long", dir);
    cJSON *root = NULL;
    ss_status st = ss_json_load_file(path, &root, err, errlen);
    if (st == SS_ENOENT) {
        char known[1024];
        if (scn_hardware_list(dir, known, sizeof known) < 0)
            snprintf(known, sizeof known, "cannot list %s", dir);
        return ss_err(err, errlen, SS_ENOTFOUND, "unknown device preset \"%s\" (known: %s)", name,
                      known);
    }
    if (st != SS_OK)
        return st;
    ss_json_ctx cx = {path, err, errlen};
    st = parse(&cx, root, out);
    cJSON_Delete(root);
    if (st != SS_OK) {
        memset(out, 0, sizeof *out);
        return st;
    }
    snprintf(out->preset, sizeof out->preset, "%s", name);
    return SS_OK;
}
