/* scn_hardware.c - the device keys and device presets (schema in
 * scn_hardware.h, scenarios/README.md and scenarios/hardware/README.md).
 * A dozen preset files of ~2 KB each. */
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

void scn_hw_device_defaults(scn_hw_device *dev)
{
    memset(dev, 0, sizeof *dev);
    dev->compute_eff = 0.5;
    dev->bw_eff = 0.7;
}

void scn_hw_device_resolve(const scn_hw_device *dev, const char *weights, scn_device *out)
{
    scn_hw_format f = SCN_HW_FP16;
    if (scn_hw_format_parse(weights, &f) != SS_OK)
        f = SCN_HW_FP16; /* fp32, bf16: 16-bit (or FP32) kernels, the reference */
    out->peak_flops = dev->peak_flops;
    out->mem_bw_bytes_per_s = dev->mem_bw_bytes_per_s;
    out->memory_bytes = dev->memory_bytes;
    out->compute_eff = dev->compute_eff;
    out->bw_eff = dev->bw_eff;
    out->format_compute_eff = dev->format[f].compute;
    out->format_bw_eff = dev->format[f].bandwidth;
    out->overhead_s = dev->overhead_s;
    out->block_overhead_s = dev->block_overhead_s;
    out->attn_s_per_head_pos = dev->attn_s_per_head_pos;
}

/* Upper bounds: generous around any device of the next decade. */
#define MAX_TFLOPS 1e6
#define MAX_GBPS 1e6
#define MAX_GB 1e6
#define MAX_OVERHEAD_MS 1e6
#define MAX_FORMAT_FACTOR 2.0 /* a format's kernels may beat 16-bit ones' fraction (NF4 on Ada) */

static ss_status opt_num(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                         const char *key, int required, double lo, int lo_open, double hi,
                         double *out)
{
    ss_json_num_rule r = {lo, hi, lo_open, 0, NULL};
    return ss_json_get_number(cx, obj, path, key, required, &r, out);
}

/* "format_eff": {"int8": {"compute": c, "bandwidth": b, "source": text}, "nf4": ...} */
static ss_status parse_format_eff(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                                  int required, scn_hw_device *dev)
{
    static const char *const fmts[] = {"int8", "nf4"};
    static const char *const keys[] = {"compute", "bandwidth", "source"};
    const cJSON *fe = NULL;
    char fpath[512];
    ss_json_path_key(fpath, sizeof fpath, path, "format_eff");
    ss_status st;
    if ((st = ss_json_get_object(cx, obj, path, "format_eff", required, &fe)) || !fe ||
        (st = ss_json_check_keys(cx, fe, fpath, fmts, 2)))
        return st;
    for (int i = 0; i < 2; i++) {
        scn_hw_format f = i == 0 ? SCN_HW_INT8 : SCN_HW_NF4;
        const cJSON *e = NULL;
        char epath[600], text[1024];
        ss_json_path_key(epath, sizeof epath, fpath, fmts[i]);
        if ((st = ss_json_get_object(cx, fe, fpath, fmts[i], required, &e)))
            return st;
        if (!e)
            continue; /* optional and absent: the format keeps its factors */
        if ((st = ss_json_check_keys(cx, e, epath, keys, 3)) ||
            (st = opt_num(cx, e, epath, "compute", required, 0, 1, MAX_FORMAT_FACTOR,
                          &dev->format[f].compute)) ||
            (st = opt_num(cx, e, epath, "bandwidth", required, 0, 1, MAX_FORMAT_FACTOR,
                          &dev->format[f].bandwidth)) ||
            (st = ss_json_get_string(cx, e, epath, "source", required, text, sizeof text)))
            return st;
    }
    return SS_OK;
}

ss_status scn_hw_device_parse(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                              scn_hw_mode mode, const char *const *extra, size_t n_extra,
                              scn_hw_device *dev)
{
    static const char *const spec[] = {"peak_tflops", "mem_bw_gbps", "memory_gb"};
    static const char *const tuning[] = {"compute_eff",       "bw_eff",
                                         "format_eff",        "overhead_ms",
                                         "block_overhead_ms", "attn_ns_per_head_pos"};
    const char *keys[32];
    size_t n = 0;
    if (mode != SCN_HW_PRESET)
        for (size_t i = 0; i < 3; i++)
            keys[n++] = spec[i];
    for (size_t i = 0; i < 6; i++)
        keys[n++] = tuning[i];
    for (size_t i = 0; i < n_extra && n < 32; i++)
        keys[n++] = extra[i];
    const int spec_req = mode == SCN_HW_INLINE ? SS_JSON_REQUIRED : SS_JSON_OPTIONAL;
    const int tune_req = mode == SCN_HW_PRESET ? SS_JSON_REQUIRED : SS_JSON_OPTIONAL;
    double tflops = dev->peak_flops / 1e12, gbps = dev->mem_bw_bytes_per_s / 1e9,
           gb = dev->memory_bytes / 1e9, ovh_ms = dev->overhead_s * 1e3,
           blk_ms = dev->block_overhead_s * 1e3, attn_ns = dev->attn_s_per_head_pos * 1e9;
    ss_status st;
    if ((st = ss_json_check_keys(cx, obj, path, keys, n)))
        return st;
    if (mode != SCN_HW_PRESET) {
        const cJSON *t = ss_json_find(obj, "peak_tflops"), *b = ss_json_find(obj, "mem_bw_gbps"),
                    *m = ss_json_find(obj, "memory_gb");
        if ((st = opt_num(cx, obj, path, "peak_tflops", spec_req, 0, 1, MAX_TFLOPS, &tflops)) ||
            (st = opt_num(cx, obj, path, "mem_bw_gbps", spec_req, 0, 1, MAX_GBPS, &gbps)) ||
            (st = opt_num(cx, obj, path, "memory_gb", spec_req, 0, 1, MAX_GB, &gb)))
            return st;
        /* converted only when given: a preset's own figures keep their bits */
        if (t)
            dev->peak_flops = tflops * 1e12;
        if (b)
            dev->mem_bw_bytes_per_s = gbps * 1e9;
        if (m)
            dev->memory_bytes = gb * 1e9;
    }
    const cJSON *o = ss_json_find(obj, "overhead_ms"), *k = ss_json_find(obj, "block_overhead_ms"),
                *a = ss_json_find(obj, "attn_ns_per_head_pos");
    if ((st = opt_num(cx, obj, path, "compute_eff", tune_req, 0, 1, 1, &dev->compute_eff)) ||
        (st = opt_num(cx, obj, path, "bw_eff", tune_req, 0, 1, 1, &dev->bw_eff)) ||
        (st = parse_format_eff(cx, obj, path, tune_req, dev)) ||
        (st = opt_num(cx, obj, path, "overhead_ms", tune_req, 0, 0, MAX_OVERHEAD_MS, &ovh_ms)) ||
        (st = opt_num(cx, obj, path, "block_overhead_ms", tune_req, 0, 0, MAX_OVERHEAD_MS,
                      &blk_ms)) ||
        (st = opt_num(cx, obj, path, "attn_ns_per_head_pos", SS_JSON_OPTIONAL, 0, 0, 1e6,
                      &attn_ns)))
        return st;
    if (o)
        dev->overhead_s = ovh_ms / 1e3;
    if (k)
        dev->block_overhead_s = blk_ms / 1e3;
    if (a)
        dev->attn_s_per_head_pos = attn_ns / 1e9;
    return SS_OK;
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
    return opt_num(cx, obj, path, key, SS_JSON_REQUIRED, lo, lo_open, hi, out);
}

static ss_status parse(const ss_json_ctx *cx, const cJSON *root, scn_hardware *out)
{
    /* the preset's own keys; the device keys are scn_hw_device_parse's */
    static const char *const top[] = {"name",        "kind",       "peak_fp32_tflops",
                                      "peak_fp16_tflops", "mem_bw_gbps", "memory_gib",
                                      "network",     "source"};
    static const char *const net_keys[] = {"class", "uplink_mbps", "downlink_mbps"};
    static const char *const kinds[] = {"gpu", "cpu", "soc"};
    static const char *const classes[] = {"residential", "prosumer", "datacenter"};
    ss_status st;
    char got[96];
    if (!cJSON_IsObject(root)) {
        ss_json_describe(root, got, sizeof got);
        return ss_json_errf(cx, SS_ESCHEMA, "", "expected an object, got %s", got);
    }
    scn_hw_device_defaults(&out->dev);
    if ((st = scn_hw_device_parse(cx, root, "", SCN_HW_PRESET, top, sizeof top / sizeof top[0],
                                  &out->dev)) ||
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
    const cJSON *net = NULL;
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
        (st = ss_json_get_string(cx, root, "", "source", SS_JSON_REQUIRED, out->source,
                                 sizeof out->source)))
        return st;
    out->peak_fp32_flops = f32 * 1e12;
    out->peak_fp16_flops = f16 * 1e12;
    /* the named inline numbers: peak_tflops = the faster of the two peaks */
    out->dev.peak_flops = (f16 > f32 ? f16 : f32) * 1e12;
    out->dev.mem_bw_bytes_per_s = bw * 1e9;
    out->dev.memory_bytes = mem * 1073741824.0;
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
