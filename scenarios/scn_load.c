/* scn_load.c - JSON scenario file -> scn_scenario (schema v1).
 *
 * Steps: read + strict parse (ss_json), apply --set overrides to the tree,
 * print the canonical JSON, then validate section by section into plain
 * data. Within an object the key set is checked before any value, so a typo
 * reports "unknown key ... did you mean" rather than a missing key. Every
 * error is one line "file: json.path: expected X, got Y"; on error *out is
 * left zeroed. Every field, unit, default and range: scenarios/README.md.
 *
 * Sizes: a scenario is a few KB; SCN_MAX_NODES expanded nodes (~130 MB of
 * scn_node) is the worst case. Node-name uniqueness is checked by sorting
 * (n log n), region names pairwise (at most 1024).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"
#include "ss_alloc.h"

/* Caps that are not in scn_scenario.h (they are schema, not layout). */
#define SCN_MAX_BLOCKS 4096
#define SCN_MAX_REQUESTS 100000000
#define SCN_MAX_HORIZON_S 1e9   /* 1e18 ns: far from int64 overflow (9.2e18) */
#define SCN_MAX_SECONDS 1e6     /* cap of any per-request time parameter */
#define SCN_MAX_TOKENS 1048576  /* cap of token-count parameters */
#define SCN_MAX_RTT_MS 1e6
#define SCN_MAX_RATE_PER_S 1e9
#define SCN_DEFAULT_SEED 1
#define SCN_DEFAULT_MBPS 1000.0

typedef struct loader {
    ss_json_ctx cx;
    scn_scenario *s;
    char dir[SCN_PATH_MAX]; /* scenario directory with trailing '/', or "" */
} loader;

static ss_status oom(const loader *L) { return ss_json_errf(&L->cx, SS_ENOMEM, "", "out of memory"); }

static ss_status number(const loader *L, const cJSON *obj, const char *path, const char *key,
                        int required, double min, int min_open, double max, double *out)
{
    ss_json_num_rule r = {min, max, min_open, 0, NULL};
    return ss_json_get_number(&L->cx, obj, path, key, required, &r, out);
}

static ss_status ident_member(const loader *L, const cJSON *obj, const char *path,
                              const char *key, int required, char *dst)
{
    const cJSON *v = ss_json_find(obj, key);
    if (!v && !required)
        return SS_OK;
    char sub[512];
    ss_json_path_key(sub, sizeof sub, path, key);
    return scn_ident(&L->cx, v, sub, dst);
}

static ss_status codec_member(const loader *L, const cJSON *obj, const char *key, char *dst)
{
    const cJSON *v = ss_json_find(obj, key);
    if (!v)
        return SS_OK;
    char sub[512];
    ss_json_path_key(sub, sizeof sub, "compression", key);
    return scn_codec_spec(&L->cx, v, sub, dst);
}

/* ---- version, name, seed, horizon --------------------------------------- */

static ss_status load_version(loader *L, const cJSON *root)
{
    const cJSON *v = ss_json_find(root, "version");
    char got[96];
    if (!v)
        return ss_json_errf(&L->cx, SS_ESCHEMA, "version",
                            "missing required key (this build reads scenario version %d)",
                            SCN_VERSION);
    ss_json_describe(v, got, sizeof got);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
        return ss_json_errf(&L->cx, SS_ESCHEMA, "version", "expected the integer %d, got %s",
                            SCN_VERSION, got);
    if (v->valuedouble != SCN_VERSION)
        return ss_json_errf(&L->cx, SS_EVERSION, "version",
                            "unsupported scenario version %s (this build reads version %d)", got,
                            SCN_VERSION);
    L->s->version = SCN_VERSION;
    return SS_OK;
}

/* Default name: the file name without directory and ".json", cut to fit a
 * name on a UTF-8 boundary, control bytes replaced. */
static void default_name(const char *path, char *dst)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 5 && strcmp(b + n - 5, ".json") == 0)
        n -= 5;
    if (n > SCN_NAME_MAX - 1) {
        n = SCN_NAME_MAX - 1;
        while (n > 0 && ((unsigned char)b[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)b[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '_' : (char)c;
    }
    dst[n] = '\0';
    if (n == 0)
        snprintf(dst, SCN_NAME_MAX, "scenario");
}

/* ---- model -------------------------------------------------------------- */

/* Resolve a model file path relative to the scenario's directory. */
static ss_status model_path(loader *L, const cJSON *m, const char *key, char *dst)
{
    char rel[SCN_PATH_MAX], sub[512], got[96];
    ss_json_path_key(sub, sizeof sub, "model", key);
    ss_status rc = ss_json_string(&L->cx, ss_json_find(m, key), sub, 0, rel, sizeof rel);
    if (rc != SS_OK)
        return rc;
    ss_json_describe(ss_json_find(m, key), got, sizeof got);
    if (rel[0] == '/')
        return ss_json_errf(&L->cx, SS_ESCHEMA, sub,
                            "expected a path relative to the scenario file, got the absolute "
                            "path %s",
                            got);
    if (rel[0] == '~')
        return ss_json_errf(&L->cx, SS_ESCHEMA, sub,
                            "expected a path relative to the scenario file ('~' is not "
                            "expanded), got %s",
                            got);
    int n = snprintf(dst, SCN_PATH_MAX, "%s%s", L->dir, rel);
    if (n < 0 || n >= SCN_PATH_MAX)
        return ss_json_errf(&L->cx, SS_ERANGE, sub,
                            "expected a path of at most %d bytes once joined to the scenario "
                            "directory, got %d bytes",
                            SCN_PATH_MAX - 1, n);
    return SS_OK;
}

static ss_status load_model(loader *L, const cJSON *root)
{
    static const char *const keys[] = {"preset",    "weights",  "synthetic",
                                       "llama2c",   "tokenizer", "mnist_cnn"};
    static const char *const weights[] = {"fp32", "fp16", "int8", "nf4"};
    scn_model *m = &L->s->model;
    const cJSON *o;
    ss_status rc;
    if ((rc = ss_json_get_object(&L->cx, root, "", "model", SS_JSON_REQUIRED, &o)) ||
        (rc = ss_json_check_keys(&L->cx, o, "model", keys, 6)))
        return rc;
    int has_p = ss_json_find(o, "preset") != NULL, has_s = ss_json_find(o, "synthetic") != NULL,
        has_l = ss_json_find(o, "llama2c") != NULL, has_c = ss_json_find(o, "mnist_cnn") != NULL;
    if (has_p + has_s + has_l + has_c != 1)
        return ss_json_errf(&L->cx, SS_ESCHEMA, "model",
                            "expected exactly one of \"preset\", \"synthetic\", \"llama2c\" or "
                            "\"mnist_cnn\", got %d",
                            has_p + has_s + has_l + has_c);
    int w = 1; /* fp16 */
    if (has_p) {
        static const char *const k[] = {"preset", "weights"};
        m->kind = SCN_MODEL_PRESET;
        if ((rc = ss_json_check_keys(&L->cx, o, "model", k, 2)) ||
            (rc = ident_member(L, o, "model", "preset", SS_JSON_REQUIRED, m->preset)))
            return rc;
    } else if (has_l) {
        static const char *const k[] = {"llama2c", "tokenizer", "weights"};
        m->kind = SCN_MODEL_LLAMA2C;
        w = 0; /* fp32: the checkpoint's own format */
        if ((rc = ss_json_check_keys(&L->cx, o, "model", k, 3)) ||
            (rc = model_path(L, o, "llama2c", m->checkpoint_path)) ||
            (rc = model_path(L, o, "tokenizer", m->tokenizer_path)))
            return rc;
    } else if (has_c) {
        static const char *const k[] = {"mnist_cnn", "weights"};
        m->kind = SCN_MODEL_CNN;
        w = 0; /* fp32: the file's own format */
        if ((rc = ss_json_check_keys(&L->cx, o, "model", k, 2)) ||
            (rc = model_path(L, o, "mnist_cnn", m->checkpoint_path)))
            return rc;
    } else {
        static const char *const k[] = {"synthetic"};
        static const char *const sk[] = {"n_blocks", "service_time_s", "activation_bytes"};
        const cJSON *syn;
        int64_t nb = 1;
        m->kind = SCN_MODEL_SYNTHETIC;
        if ((rc = ss_json_check_keys(&L->cx, o, "model", k, 1)) ||
            (rc = ss_json_get_object(&L->cx, o, "model", "synthetic", SS_JSON_REQUIRED, &syn)) ||
            (rc = ss_json_check_keys(&L->cx, syn, "model.synthetic", sk, 3)) ||
            (rc = ss_json_get_int(&L->cx, syn, "model.synthetic", "n_blocks", SS_JSON_OPTIONAL, 1,
                                  SCN_MAX_BLOCKS, &nb)))
            return rc;
        m->n_blocks = (int)nb;
        scn_dist_rule dr = {0, SCN_MAX_SECONDS};
        m->activation_bytes = 0;
        if ((rc = scn_dist_parse(&L->cx, ss_json_find(syn, "service_time_s"),
                                 "model.synthetic.service_time_s", &dr, &m->service_time_s)) ||
            (rc = number(L, syn, "model.synthetic", "activation_bytes", SS_JSON_OPTIONAL, 0, 0,
                         SS_JSON_MAX_SAFE_INT, &m->activation_bytes)))
            return rc;
    }
    const cJSON *wv = ss_json_find(o, "weights");
    if (wv && (rc = scn_enum(&L->cx, wv, "model.weights", weights, 4, &w)))
        return rc;
    snprintf(m->weights, sizeof m->weights, "%s", weights[w]);
    return SS_OK;
}

/* ---- network ------------------------------------------------------------ */

static ss_status load_network(loader *L, const cJSON *root)
{
    static const char *const keys[] = {"regions", "rtt_ms"};
    scn_scenario *s = L->s;
    const cJSON *net, *regs, *rtt;
    size_t n, nr;
    ss_status rc;
    if ((rc = ss_json_get_object(&L->cx, root, "", "network", SS_JSON_OPTIONAL, &net)))
        return rc;
    if (!net) {
        /* One region, no latency: the simplest world (queueing checks). */
        s->regions = ss_calloc(1, sizeof *s->regions);
        s->rtt_s = ss_calloc(1, sizeof *s->rtt_s);
        if (!s->regions || !s->rtt_s)
            return oom(L);
        s->n_regions = 1;
        snprintf(s->regions[0], SCN_NAME_MAX, "local");
        return SS_OK;
    }
    if ((rc = ss_json_check_keys(&L->cx, net, "network", keys, 2)) ||
        (rc = ss_json_get_array(&L->cx, net, "network", "regions", SS_JSON_REQUIRED, 1,
                                SCN_MAX_REGIONS, &regs, &n)))
        return rc;
    s->regions = ss_calloc(n, sizeof *s->regions);
    s->rtt_s = ss_malloc_array(n * n, sizeof *s->rtt_s);
    if (!s->regions || !s->rtt_s)
        return oom(L);
    s->n_regions = (int)n;
    char path[512], got[96];
    size_t i = 0;
    for (const cJSON *r = regs->child; r; r = r->next, i++) {
        ss_json_path_index(path, sizeof path, "network.regions", i);
        if ((rc = ss_json_string(&L->cx, r, path, 0, s->regions[i], SCN_NAME_MAX)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(s->regions[j], s->regions[i]) == 0) {
                ss_json_describe(r, got, sizeof got);
                return ss_json_errf(&L->cx, SS_ESCHEMA, path,
                                    "duplicate region name %s (also network.regions[%zu])", got, j);
            }
    }
    if ((rc = ss_json_get_array(&L->cx, net, "network", "rtt_ms", SS_JSON_REQUIRED, n, n, &rtt,
                                &nr)))
        return rc;
    ss_json_num_rule rule = {0, SCN_MAX_RTT_MS, 0, 0, NULL};
    i = 0;
    for (const cJSON *row = rtt->child; row; row = row->next, i++) {
        ss_json_path_index(path, sizeof path, "network.rtt_ms", i);
        int len = cJSON_GetArraySize(row);
        if (!cJSON_IsArray(row) || (size_t)len != n) {
            if (cJSON_IsArray(row))
                snprintf(got, sizeof got, "%d", len);
            else
                ss_json_describe(row, got, sizeof got);
            return ss_json_errf(&L->cx, cJSON_IsArray(row) ? SS_ERANGE : SS_ESCHEMA, path,
                                "expected an array of %zu elements (one per region), got %s", n,
                                got);
        }
        size_t j = 0;
        for (const cJSON *c = row->child; c; c = c->next, j++) {
            char cp[512];
            double ms;
            ss_json_path_index(cp, sizeof cp, path, j);
            if ((rc = ss_json_number(&L->cx, c, cp, &rule, &ms)))
                return rc;
            s->rtt_s[i * n + j] = ms / 1e3;
        }
    }
    return SS_OK;
}

/* Region index of name value `v` at `path`; `v` NULL keeps *out. */
static ss_status region_ref(loader *L, const cJSON *v, const char *path, int *out)
{
    char name[SCN_NAME_MAX], got[96];
    if (!v)
        return SS_OK;
    ss_status rc = ss_json_string(&L->cx, v, path, 0, name, sizeof name);
    if (rc != SS_OK)
        return rc;
    const scn_scenario *s = L->s;
    for (int i = 0; i < s->n_regions; i++)
        if (strcmp(s->regions[i], name) == 0) {
            *out = i;
            return SS_OK;
        }
    char known[320];
    size_t o = 0;
    known[0] = '\0';
    for (int i = 0; i < s->n_regions && i < 16 && o < sizeof known; i++)
        o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", i ? ", " : "", s->regions[i]);
    if (s->n_regions > 16 && o < sizeof known)
        snprintf(known + o, sizeof known - o, ", ... (%d in all)", s->n_regions);
    ss_json_describe(v, got, sizeof got);
    /* Suggest only among the first 64 regions: enough for typos. */
    const char *cands[64];
    int nc = s->n_regions < 64 ? s->n_regions : 64;
    for (int i = 0; i < nc; i++)
        cands[i] = s->regions[i];
    const char *near = ss_json_closest(name, cands, (size_t)nc);
    if (near)
        return ss_json_errf(&L->cx, SS_ESCHEMA, path,
                            "unknown region %s (did you mean \"%s\"? known: %s)", got, near, known);
    return ss_json_errf(&L->cx, SS_ESCHEMA, path, "unknown region %s (known: %s)", got, known);
}

/* ---- nodes -------------------------------------------------------------- */

typedef struct group {
    scn_node proto; /* name is the group name */
    int64_t count;
} group;

static ss_status load_group(loader *L, const cJSON *g, const char *path, group *out)
{
    static const char *const keys[] = {"name",   "count",       "region",
                                       "device", "uplink_mbps", "downlink_mbps"};
    static const char *const dkeys[] = {"peak_tflops", "mem_bw_gbps", "memory_gb",
                                        "compute_eff", "bw_eff",      "overhead_ms"};
    char got[96], dpath[512];
    if (!cJSON_IsObject(g)) {
        ss_json_describe(g, got, sizeof got);
        return ss_json_errf(&L->cx, SS_ESCHEMA, path, "expected a node group object, got %s", got);
    }
    scn_node *n = &out->proto;
    const cJSON *dev;
    double tflops, gbps, gb, up = SCN_DEFAULT_MBPS, down = SCN_DEFAULT_MBPS, ovh_ms = 0;
    out->count = 1;
    n->compute_eff = 0.5;
    n->bw_eff = 0.7;
    n->region = 0;
    ss_status rc;
    char rpath[512];
    ss_json_path_key(rpath, sizeof rpath, path, "region");
    ss_json_path_key(dpath, sizeof dpath, path, "device");
    if ((rc = ss_json_check_keys(&L->cx, g, path, keys, 6)) ||
        (rc = ss_json_get_string(&L->cx, g, path, "name", SS_JSON_REQUIRED, n->name,
                                 sizeof n->name)) ||
        (rc = ss_json_get_int(&L->cx, g, path, "count", SS_JSON_OPTIONAL, 1, SCN_MAX_NODES,
                              &out->count)) ||
        (rc = region_ref(L, ss_json_find(g, "region"), rpath, &n->region)) ||
        (rc = ss_json_get_object(&L->cx, g, path, "device", SS_JSON_REQUIRED, &dev)) ||
        (rc = ss_json_check_keys(&L->cx, dev, dpath, dkeys, 6)) ||
        (rc = number(L, dev, dpath, "peak_tflops", SS_JSON_REQUIRED, 0, 1, 1e6, &tflops)) ||
        (rc = number(L, dev, dpath, "mem_bw_gbps", SS_JSON_REQUIRED, 0, 1, 1e6, &gbps)) ||
        (rc = number(L, dev, dpath, "memory_gb", SS_JSON_REQUIRED, 0, 1, 1e6, &gb)) ||
        (rc = number(L, dev, dpath, "compute_eff", SS_JSON_OPTIONAL, 0, 1, 1, &n->compute_eff)) ||
        (rc = number(L, dev, dpath, "bw_eff", SS_JSON_OPTIONAL, 0, 1, 1, &n->bw_eff)) ||
        (rc = number(L, dev, dpath, "overhead_ms", SS_JSON_OPTIONAL, 0, 0, 1e6, &ovh_ms)) ||
        (rc = number(L, g, path, "uplink_mbps", SS_JSON_OPTIONAL, 0, 1, 1e7, &up)) ||
        (rc = number(L, g, path, "downlink_mbps", SS_JSON_OPTIONAL, 0, 1, 1e7, &down)))
        return rc;
    n->peak_flops = tflops * 1e12;
    n->mem_bw_bytes_per_s = gbps * 1e9;
    n->memory_bytes = gb * 1e9;
    n->overhead_s = ovh_ms / 1e3;
    n->uplink_bytes_per_s = up * 1e6 / 8;
    n->downlink_bytes_per_s = down * 1e6 / 8;
    return SS_OK;
}

typedef struct name_ref {
    const char *name;
    size_t node;  /* index in expansion order */
    size_t group; /* nodes[group] produced it */
} name_ref;

static int name_ref_cmp(const void *a, const void *b)
{
    const name_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->node > y->node) - (x->node < y->node);
}

/* Node names must be unique after expansion. Reports the duplicate that
 * appears first in expansion order (deterministic whatever qsort does). */
static ss_status check_unique_names(loader *L, const size_t *group_of)
{
    scn_scenario *s = L->s;
    size_t n = (size_t)s->n_nodes;
    name_ref *refs = ss_malloc_array(n, sizeof *refs);
    if (!refs)
        return oom(L);
    for (size_t i = 0; i < n; i++)
        refs[i] = (name_ref){s->nodes[i].name, i, group_of[i]};
    qsort(refs, n, sizeof *refs, name_ref_cmp);
    size_t best = SIZE_MAX, first_group = 0;
    for (size_t i = 1; i < n; i++)
        if (strcmp(refs[i].name, refs[i - 1].name) == 0 && refs[i].node < best) {
            /* refs[i-1] is an earlier node with the same name. */
            best = refs[i].node;
            first_group = refs[i - 1].group;
            size_t k = i - 1;
            while (k > 0 && strcmp(refs[k - 1].name, refs[i].name) == 0)
                first_group = refs[--k].group;
        }
    ss_free(refs);
    if (best == SIZE_MAX)
        return SS_OK;
    char path[64];
    snprintf(path, sizeof path, "nodes[%zu].name", group_of[best]);
    return ss_json_errf(&L->cx, SS_ESCHEMA, path,
                        "duplicate node name \"%s\" (also produced by nodes[%zu])",
                        s->nodes[best].name, first_group);
}

static ss_status load_nodes(loader *L, const cJSON *root)
{
    scn_scenario *s = L->s;
    const cJSON *arr;
    size_t ng;
    ss_status rc = ss_json_get_array(&L->cx, root, "", "nodes", SS_JSON_REQUIRED, 1, SCN_MAX_NODES,
                                     &arr, &ng);
    if (rc != SS_OK)
        return rc;
    group *groups = ss_calloc(ng, sizeof *groups);
    size_t *group_of = NULL;
    if (!groups)
        return oom(L);
    char path[64];
    int64_t total = 0;
    size_t gi = 0;
    for (const cJSON *g = arr->child; g; g = g->next, gi++) {
        snprintf(path, sizeof path, "nodes[%zu]", gi);
        if ((rc = load_group(L, g, path, &groups[gi])))
            goto done;
        total += groups[gi].count;
        if (total > SCN_MAX_NODES) {
            char cp[80];
            snprintf(cp, sizeof cp, "%s.count", path);
            rc = ss_json_errf(&L->cx, SS_ERANGE, cp,
                              "expected at most %d nodes in all, got %lld with this group",
                              SCN_MAX_NODES, (long long)total);
            goto done;
        }
        /* The longest expanded name ends in "-<count-1>". */
        if (groups[gi].count > 1) {
            char probe[2 * SCN_NAME_MAX];
            int len = snprintf(probe, sizeof probe, "%s-%lld", groups[gi].proto.name,
                               (long long)(groups[gi].count - 1));
            if (len >= SCN_NAME_MAX) {
                char np[80];
                snprintf(np, sizeof np, "%s.name", path);
                rc = ss_json_errf(&L->cx, SS_ERANGE, np,
                                  "expected a name that fits %d bytes with its \"-%lld\" suffix "
                                  "(count %lld), got %zu bytes",
                                  SCN_NAME_MAX - 1, (long long)(groups[gi].count - 1),
                                  (long long)groups[gi].count, strlen(groups[gi].proto.name));
                goto done;
            }
        }
    }
    s->nodes = ss_malloc_array((size_t)total, sizeof *s->nodes);
    group_of = ss_malloc_array((size_t)total, sizeof *group_of);
    if (!s->nodes || !group_of) {
        rc = oom(L);
        goto done;
    }
    s->n_nodes = (int)total;
    size_t k = 0;
    for (gi = 0; gi < ng; gi++)
        for (int64_t c = 0; c < groups[gi].count; c++, k++) {
            s->nodes[k] = groups[gi].proto;
            group_of[k] = gi;
            if (groups[gi].count > 1)
                snprintf(s->nodes[k].name, SCN_NAME_MAX, "%s-%lld", groups[gi].proto.name,
                         (long long)c);
        }
    rc = check_unique_names(L, group_of);
done:
    ss_free(groups);
    ss_free(group_of);
    return rc;
}

/* ---- policies, workload, record ----------------------------------------- */

/* placement.cuts: span boundaries for the "manual" policy, e.g. [2, 3] cuts
 * 5 blocks into [0,2) [2,3) [3,5). Whether they fit the model is checked by
 * the placement, which knows the block count. */
static ss_status load_cuts(loader *L, const cJSON *p)
{
    scn_scenario *s = L->s;
    const cJSON *arr;
    size_t n;
    ss_status rc = ss_json_get_array(&L->cx, p, "placement", "cuts", SS_JSON_OPTIONAL, 0,
                                     SCN_MAX_BLOCKS, &arr, &n);
    if (rc || !arr || n == 0)
        return rc;
    s->cuts = ss_malloc_array(n, sizeof *s->cuts);
    if (!s->cuts)
        return oom(L);
    for (size_t i = 0; i < n; i++) {
        char path[64];
        ss_json_path_index(path, sizeof path, "placement.cuts", i);
        int64_t v;
        int64_t lo = i ? s->cuts[i - 1] + 1 : 1;
        if ((rc = ss_json_int(&L->cx, cJSON_GetArrayItem(arr, (int)i), path, lo, SCN_MAX_BLOCKS - 1,
                              &v)))
            return rc;
        s->cuts[i] = (int)v;
        s->n_cuts = (int)i + 1;
    }
    return SS_OK;
}

static ss_status load_policies(loader *L, const cJSON *root)
{
    static const char *const pk[] = {"policy", "spans", "cuts"};
    static const char *const rk[] = {"policy"};
    static const char *const ck[] = {"activations", "weights"};
    scn_scenario *s = L->s;
    const cJSON *p, *r, *c;
    int64_t spans = 0;
    ss_status rc;
    snprintf(s->placement, sizeof s->placement, "uniform");
    snprintf(s->routing, sizeof s->routing, "fixed");
    snprintf(s->act_codec, sizeof s->act_codec, "fp16");
    if ((rc = ss_json_get_object(&L->cx, root, "", "placement", SS_JSON_OPTIONAL, &p)) ||
        (rc = ss_json_check_keys(&L->cx, p, "placement", pk, 3)) ||
        (p && (rc = ident_member(L, p, "placement", "policy", SS_JSON_OPTIONAL, s->placement))) ||
        (p && (rc = ss_json_get_int(&L->cx, p, "placement", "spans", SS_JSON_OPTIONAL, 0,
                                    SCN_MAX_NODES, &spans))) ||
        (rc = ss_json_get_object(&L->cx, root, "", "routing", SS_JSON_OPTIONAL, &r)) ||
        (rc = ss_json_check_keys(&L->cx, r, "routing", rk, 1)) ||
        (r && (rc = ident_member(L, r, "routing", "policy", SS_JSON_OPTIONAL, s->routing))) ||
        (rc = ss_json_get_object(&L->cx, root, "", "compression", SS_JSON_OPTIONAL, &c)) ||
        (rc = ss_json_check_keys(&L->cx, c, "compression", ck, 2)) ||
        (c && (rc = codec_member(L, c, "activations", s->act_codec))) ||
        (c && (rc = codec_member(L, c, "weights", s->weight_codec))))
        return rc;
    s->n_spans = (int)spans;
    return p ? load_cuts(L, p) : SS_OK;
}

static ss_status load_workload(loader *L, const cJSON *root)
{
    static const char *const keys[] = {"arrivals", "n_requests", "prompt_tokens", "output_tokens",
                                       "client_region"};
    static const char *const akeys[] = {"poisson"};
    static const char *const pkeys[] = {"rate_per_s"};
    scn_workload *w = &L->s->workload;
    const cJSON *o, *arr, *poi;
    ss_status rc;
    scn_dist_rule tok = {1, SCN_MAX_TOKENS};
    w->client_region = 0;
    if ((rc = ss_json_get_object(&L->cx, root, "", "workload", SS_JSON_REQUIRED, &o)) ||
        (rc = ss_json_check_keys(&L->cx, o, "workload", keys, 5)) ||
        (rc = ss_json_get_object(&L->cx, o, "workload", "arrivals", SS_JSON_REQUIRED, &arr)) ||
        (rc = ss_json_check_keys(&L->cx, arr, "workload.arrivals", akeys, 1)) ||
        (rc = ss_json_get_object(&L->cx, arr, "workload.arrivals", "poisson", SS_JSON_REQUIRED,
                                 &poi)) ||
        (rc = ss_json_check_keys(&L->cx, poi, "workload.arrivals.poisson", pkeys, 1)) ||
        (rc = number(L, poi, "workload.arrivals.poisson", "rate_per_s", SS_JSON_REQUIRED, 0, 1,
                     SCN_MAX_RATE_PER_S, &w->rate_per_s)) ||
        (rc = ss_json_get_int(&L->cx, o, "workload", "n_requests", SS_JSON_REQUIRED, 1,
                              SCN_MAX_REQUESTS, &w->n_requests)) ||
        (rc = scn_dist_parse(&L->cx, ss_json_find(o, "prompt_tokens"), "workload.prompt_tokens",
                             &tok, &w->prompt_tokens)) ||
        (rc = scn_dist_parse(&L->cx, ss_json_find(o, "output_tokens"), "workload.output_tokens",
                             &tok, &w->output_tokens)) ||
        (rc = region_ref(L, ss_json_find(o, "client_region"), "workload.client_region",
                         &w->client_region)))
        return rc;
    w->arrival = SCN_ARRIVAL_POISSON;
    return SS_OK;
}

static ss_status load_record(loader *L, const cJSON *root)
{
    static const char *const keys[] = {"level"};
    static const char *const levels[] = {"summary", "requests"};
    const cJSON *o;
    int lvl = SCN_RECORD_REQUESTS;
    ss_status rc;
    if ((rc = ss_json_get_object(&L->cx, root, "", "record", SS_JSON_OPTIONAL, &o)) ||
        (rc = ss_json_check_keys(&L->cx, o, "record", keys, 1)))
        return rc;
    const cJSON *v = ss_json_find(o, "level");
    if (v && (rc = scn_enum(&L->cx, v, "record.level", levels, 2, &lvl)))
        return rc;
    L->s->record = (scn_record_level)lvl;
    return SS_OK;
}

/* ---- faults ------------------------------------------------------------- */

typedef struct fault_ref {
    scn_fault f;
    size_t index; /* position in the JSON array */
} fault_ref;

static int fault_by_node(const void *a, const void *b)
{
    const fault_ref *x = a, *y = b;
    if (x->f.node != y->f.node)
        return x->f.node < y->f.node ? -1 : 1;
    if (x->f.down_at_s != y->f.down_at_s)
        return x->f.down_at_s < y->f.down_at_s ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int fault_by_time(const void *a, const void *b)
{
    const scn_fault *x = a, *y = b;
    if (x->down_at_s != y->down_at_s)
        return x->down_at_s < y->down_at_s ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

static int node_name_cmp(const void *a, const void *b)
{
    return strcmp(((const name_ref *)a)->name, ((const name_ref *)b)->name);
}

/* "faults": [{"node": NAME, "down_at_s": t, "up_at_s": u}] -> s->faults,
 * sorted by (down_at_s, node). Outages of one node must not overlap. */
static ss_status load_faults(loader *L, const cJSON *root)
{
    static const char *const keys[] = {"node", "down_at_s", "up_at_s"};
    scn_scenario *s = L->s;
    const cJSON *arr;
    size_t nf;
    ss_status rc = ss_json_get_array(&L->cx, root, "", "faults", SS_JSON_OPTIONAL, 0,
                                     SCN_MAX_NODES, &arr, &nf);
    if (rc != SS_OK || nf == 0)
        return rc;
    /* Node names sorted once: each reference is a binary search. */
    size_t nn = (size_t)s->n_nodes;
    name_ref *names = ss_malloc_array(nn, sizeof *names);
    fault_ref *refs = ss_malloc_array(nf, sizeof *refs);
    s->faults = ss_malloc_array(nf, sizeof *s->faults);
    if (!names || !refs || !s->faults) {
        rc = oom(L);
        goto done;
    }
    for (size_t i = 0; i < nn; i++)
        names[i] = (name_ref){s->nodes[i].name, i, 0};
    qsort(names, nn, sizeof *names, node_name_cmp);
    size_t i = 0;
    for (const cJSON *f = arr->child; f; f = f->next, i++) {
        char path[64], np[80], got[96], name[SCN_NAME_MAX];
        snprintf(path, sizeof path, "faults[%zu]", i);
        snprintf(np, sizeof np, "%s.node", path);
        if (!cJSON_IsObject(f)) {
            ss_json_describe(f, got, sizeof got);
            rc = ss_json_errf(&L->cx, SS_ESCHEMA, path, "expected a fault object, got %s", got);
            goto done;
        }
        scn_fault *x = &refs[i].f;
        refs[i].index = i;
        x->up_at_s = -1;
        if ((rc = ss_json_check_keys(&L->cx, f, path, keys, 3)) ||
            (rc = ss_json_get_string(&L->cx, f, path, "node", SS_JSON_REQUIRED, name,
                                     sizeof name)) ||
            (rc = number(L, f, path, "down_at_s", SS_JSON_REQUIRED, 0, 0, SCN_MAX_HORIZON_S,
                         &x->down_at_s)))
            goto done;
        const cJSON *up = ss_json_find(f, "up_at_s");
        if (up) {
            char up_path[80];
            snprintf(up_path, sizeof up_path, "%s.up_at_s", path);
            ss_json_num_rule r = {x->down_at_s, SCN_MAX_HORIZON_S, 1, 0, NULL};
            char what[96];
            snprintf(what, sizeof what, "a time after down_at_s (%.17g) and at most 1e9 s",
                     x->down_at_s);
            r.what = what;
            if ((rc = ss_json_number(&L->cx, up, up_path, &r, &x->up_at_s)))
                goto done;
        }
        name_ref key = {name, 0, 0};
        const name_ref *hit = bsearch(&key, names, nn, sizeof *names, node_name_cmp);
        if (!hit) {
            ss_json_describe(ss_json_find(f, "node"), got, sizeof got);
            /* Suggestions cost an edit distance per name: only for small
             * worlds, where a typo is the likely cause. */
            const char *near = NULL;
            if (nn <= 1024) {
                const char **cands = ss_malloc_array(nn, sizeof *cands);
                if (!cands) {
                    rc = oom(L);
                    goto done;
                }
                for (size_t k = 0; k < nn; k++)
                    cands[k] = s->nodes[k].name;
                near = ss_json_closest(name, cands, nn);
                if (near)
                    rc = ss_json_errf(&L->cx, SS_ESCHEMA, np,
                                      "unknown node %s (did you mean \"%s\"?)", got, near);
                ss_free(cands);
            }
            if (!near)
                rc = ss_json_errf(&L->cx, SS_ESCHEMA, np,
                                  "unknown node %s (names are after count expansion, e.g. "
                                  "\"%s\")",
                                  got, s->nodes[0].name);
            goto done;
        }
        x->node = (int)hit->node;
    }
    qsort(refs, nf, sizeof *refs, fault_by_node);
    for (i = 1; i < nf; i++) {
        const fault_ref *a = &refs[i - 1], *b = &refs[i];
        if (a->f.node == b->f.node && (a->f.up_at_s < 0 || a->f.up_at_s > b->f.down_at_s)) {
            size_t later = a->index > b->index ? a->index : b->index;
            size_t earlier = a->index > b->index ? b->index : a->index;
            char path[64];
            snprintf(path, sizeof path, "faults[%zu]", later);
            rc = ss_json_errf(&L->cx, SS_ESCHEMA, path,
                              "outage of node \"%s\" overlaps faults[%zu]",
                              s->nodes[a->f.node].name, earlier);
            goto done;
        }
    }
    for (i = 0; i < nf; i++)
        s->faults[i] = refs[i].f;
    qsort(s->faults, nf, sizeof *s->faults, fault_by_time);
    s->n_faults = (int)nf;
done:
    ss_free(names);
    ss_free(refs);
    return rc;
}

/* "slo": {"ttft_s": t, "tpot_s": u}, both optional, > 0 when given. */
static ss_status load_slo(loader *L, const cJSON *root)
{
    static const char *const keys[] = {"ttft_s", "tpot_s"};
    const cJSON *o;
    ss_status rc;
    if ((rc = ss_json_get_object(&L->cx, root, "", "slo", SS_JSON_OPTIONAL, &o)) || !o ||
        (rc = ss_json_check_keys(&L->cx, o, "slo", keys, 2)) ||
        (rc = number(L, o, "slo", "ttft_s", SS_JSON_OPTIONAL, 0, 1, SCN_MAX_HORIZON_S,
                     &L->s->slo_ttft_s)) ||
        (rc = number(L, o, "slo", "tpot_s", SS_JSON_OPTIONAL, 0, 1, SCN_MAX_HORIZON_S,
                     &L->s->slo_tpot_s)))
        return rc;
    return SS_OK;
}

/* ---- entry -------------------------------------------------------------- */

static ss_status validate(loader *L, const cJSON *root)
{
    static const char *const keys[] = {"version", "name",      "seed",        "horizon_s",
                                       "model",   "network",   "nodes",       "placement",
                                       "routing", "compression", "workload",  "record",
                                       "faults",  "slo"};
    scn_scenario *s = L->s;
    char got[96];
    ss_status rc;
    if (!cJSON_IsObject(root)) {
        ss_json_describe(root, got, sizeof got);
        return ss_json_errf(&L->cx, SS_ESCHEMA, "",
                            "expected a scenario object at the top level, got %s", got);
    }
    /* Version first: a newer file's unknown keys are not the real problem. */
    if ((rc = load_version(L, root)) ||
        (rc = ss_json_check_keys(&L->cx, root, "", keys, sizeof keys / sizeof keys[0])))
        return rc;
    int64_t seed = SCN_DEFAULT_SEED;
    s->horizon_s = SCN_MAX_HORIZON_S;
    default_name(s->source_path, s->name);
    if ((rc = ss_json_get_string(&L->cx, root, "", "name", SS_JSON_OPTIONAL, s->name,
                                 sizeof s->name)) ||
        (rc = ss_json_get_int(&L->cx, root, "", "seed", SS_JSON_OPTIONAL, 0,
                              (int64_t)SS_JSON_MAX_SAFE_INT, &seed)) ||
        (rc = number(L, root, "", "horizon_s", SS_JSON_OPTIONAL, 0, 1, SCN_MAX_HORIZON_S,
                     &s->horizon_s)) ||
        (rc = load_model(L, root)) || (rc = load_network(L, root)) ||
        (rc = load_nodes(L, root)) || (rc = load_policies(L, root)) ||
        (rc = load_workload(L, root)) || (rc = load_record(L, root)) ||
        (rc = load_faults(L, root)) || (rc = load_slo(L, root)))
        return rc;
    s->seed = (uint64_t)seed;
    return SS_OK;
}

ss_status scn_load(const char *path, const scn_override *overrides, size_t n_overrides,
                   scn_scenario *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    loader L = {.cx = {.file = path, .err = err, .errlen = errlen}, .s = out};
    if (!path || !path[0])
        return ss_err(err, errlen, SS_EINVAL, "scenario path is empty");
    if (strlen(path) >= SCN_PATH_MAX)
        return ss_err(err, errlen, SS_EINVAL, "%.80s...: scenario path longer than %d bytes", path,
                      SCN_PATH_MAX - 1);
    snprintf(out->source_path, sizeof out->source_path, "%s", path);
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(L.dir, sizeof L.dir, "%.*s", (int)(slash - path + 1), path);

    cJSON *root = NULL;
    char *printed = NULL;
    ss_status rc = ss_json_load_file(path, &root, err, errlen);
    if (rc != SS_OK)
        goto fail;
    for (size_t i = 0; i < n_overrides; i++)
        if ((rc = scn_override_apply(root, &overrides[i], &L.cx)))
            goto fail;
    printed = cJSON_PrintUnformatted(root);
    if (!printed) {
        rc = oom(&L);
        goto fail;
    }
    /* Own copy: the printed buffer belongs to cJSON's allocator hooks. */
    out->canonical_json = ss_strdup(printed);
    cJSON_free(printed);
    if (!out->canonical_json) {
        rc = oom(&L);
        goto fail;
    }
    if ((rc = validate(&L, root)))
        goto fail;
    cJSON_Delete(root);
    return SS_OK;
fail:
    cJSON_Delete(root);
    scn_scenario_fini(out);
    memset(out, 0, sizeof *out);
    return rc;
}

void scn_scenario_fini(scn_scenario *s)
{
    if (!s)
        return;
    ss_free(s->regions);
    ss_free(s->rtt_s);
    ss_free(s->nodes);
    ss_free(s->cuts);
    s->cuts = NULL;
    s->n_cuts = 0;
    ss_free(s->canonical_json);
    ss_free(s->faults);
    s->faults = NULL;
    s->n_faults = 0;
    s->regions = NULL;
    s->rtt_s = NULL;
    s->nodes = NULL;
    s->canonical_json = NULL;
    s->n_regions = 0;
    s->n_nodes = 0;
}
