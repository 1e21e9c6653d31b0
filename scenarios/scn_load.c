/* scn_load.c - JSON scenario file -> scn_scenario (schema v1).
 *
 * Steps: read + strict parse (ss_json), apply --set overrides to the tree,
 * print the canonical JSON, then validate section by section into plain
 * data. Within an object the key set is checked before any value, so a typo
 * reports "unknown key ... did you mean" rather than a missing key. Every
 * error is one line "file: json.path: expected X, got Y"; on error *out is
 * left zeroed. Every field, unit, default and range: scenarios/README.md.
 *
 * Node groups are in scn_nodes.c, faults and stragglers in scn_events.c.
 *
 * Sizes: a scenario is a few KB; SCN_MAX_NODES expanded nodes (~130 MB of
 * scn_node) is the worst case. Node-name uniqueness is checked by sorting
 * (n log n), region names by a linear scan per reference (at most 1024).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"
#include "ss_alloc.h"

ss_status scn_oom(const scn_loader *L)
{
    return ss_json_errf(&L->cx, SS_ENOMEM, "", "out of memory");
}

void scn_loader_fini(scn_loader *L)
{
    ss_free(L->hw);
    ss_free(L->names);
    L->hw = NULL;
    L->names = NULL;
    L->n_hw = 0;
}

ss_status scn_number(const scn_loader *L, const cJSON *obj, const char *path, const char *key,
                     int required, double min, int min_open, double max, double *out)
{
    ss_json_num_rule r = {min, max, min_open, 0, NULL};
    return ss_json_get_number(&L->cx, obj, path, key, required, &r, out);
}

static ss_status ident_member(const scn_loader *L, const cJSON *obj, const char *path,
                              const char *key, int required, char *dst)
{
    const cJSON *v = ss_json_find(obj, key);
    if (!v && !required)
        return SS_OK;
    char sub[512];
    ss_json_path_key(sub, sizeof sub, path, key);
    return scn_ident(&L->cx, v, sub, dst);
}

static ss_status codec_member(const scn_loader *L, const cJSON *obj, const char *key, char *dst)
{
    const cJSON *v = ss_json_find(obj, key);
    if (!v)
        return SS_OK;
    char sub[512];
    ss_json_path_key(sub, sizeof sub, "compression", key);
    return scn_codec_spec(&L->cx, v, sub, dst);
}

/* ---- version, name, seed, horizon --------------------------------------- */

static ss_status load_version(scn_loader *L, const cJSON *root)
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

/* Resolve a file path (member `key` of object `m` at `parent`) relative to
 * the scenario's directory. */
static ss_status file_path(scn_loader *L, const cJSON *m, const char *parent, const char *key,
                           char *dst)
{
    char rel[SCN_PATH_MAX], sub[512], got[96];
    ss_json_path_key(sub, sizeof sub, parent, key);
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

static ss_status load_model(scn_loader *L, const cJSON *root)
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
            (rc = file_path(L, o, "model", "llama2c", m->checkpoint_path)) ||
            (rc = file_path(L, o, "model", "tokenizer", m->tokenizer_path)))
            return rc;
    } else if (has_c) {
        static const char *const k[] = {"mnist_cnn", "weights"};
        m->kind = SCN_MODEL_CNN;
        w = 0; /* fp32: the file's own format */
        if ((rc = ss_json_check_keys(&L->cx, o, "model", k, 2)) ||
            (rc = file_path(L, o, "model", "mnist_cnn", m->checkpoint_path)))
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
            (rc = scn_number(L, syn, "model.synthetic", "activation_bytes", SS_JSON_OPTIONAL, 0, 0,
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

/* "network": a measured RTT data set ("rtt") or regions + an RTT matrix,
 * plus the last-mile delay and jitter. */
static ss_status load_network(scn_loader *L, const cJSON *root)
{
    static const char *const keys[] = {"regions",   "rtt_ms",   "rtt", "last_mile_ms",
                                       "jitter_ms", "transfer_failure_p"};
    static const ss_json_num_rule prob = {0, 1, 0, 1, "a probability in [0, 1)"};
    static const char *const sources[] = {"wondernetwork-2018"};
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
            return scn_oom(L);
        s->n_regions = 1;
        snprintf(s->regions[0], SCN_NAME_MAX, "local");
        return SS_OK;
    }
    scn_dist_rule jr = {0, SCN_MAX_RTT_MS};
    const cJSON *jit = ss_json_find(net, "jitter_ms"), *src = ss_json_find(net, "rtt");
    if ((rc = ss_json_check_keys(&L->cx, net, "network", keys, 6)) ||
        (rc = scn_number(L, net, "network", "last_mile_ms", SS_JSON_OPTIONAL, 0, 0,
                         SCN_MAX_RTT_MS, &s->last_mile_ms)) ||
        (rc = ss_json_get_number(&L->cx, net, "network", "transfer_failure_p", SS_JSON_OPTIONAL,
                                 &prob, &s->transfer_failure_p)) ||
        (jit && (rc = scn_dist_parse(&L->cx, jit, "network.jitter_ms", &jr, &s->jitter_ms))))
        return rc;
    if (src) {
        int k;
        if (ss_json_find(net, "regions") || ss_json_find(net, "rtt_ms"))
            return ss_json_errf(&L->cx, SS_ESCHEMA, "network.rtt",
                                "expected either \"rtt\" (a measured data set) or \"regions\" "
                                "with \"rtt_ms\", got both");
        if ((rc = scn_enum(&L->cx, src, "network.rtt", sources, 1, &k)))
            return rc;
        snprintf(s->rtt_source, sizeof s->rtt_source, "%s", sources[k]);
        /* Regions are the cities referenced, collected in order of first use. */
        s->regions = ss_calloc(SCN_MAX_REGIONS, sizeof *s->regions);
        if (!s->regions)
            return scn_oom(L);
        L->rtt_named = 1;
        return SS_OK;
    }
    if ((rc = ss_json_get_array(&L->cx, net, "network", "regions", SS_JSON_REQUIRED, 1,
                                SCN_MAX_REGIONS, &regs, &n)))
        return rc;
    s->regions = ss_calloc(n, sizeof *s->regions);
    s->rtt_s = ss_malloc_array(n * n, sizeof *s->rtt_s);
    if (!s->regions || !s->rtt_s)
        return scn_oom(L);
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

ss_status scn_region_ref(scn_loader *L, const cJSON *v, const char *path, int *out)
{
    char name[SCN_NAME_MAX], got[96];
    if (!v)
        return SS_OK;
    ss_status rc = ss_json_string(&L->cx, v, path, 0, name, sizeof name);
    if (rc != SS_OK)
        return rc;
    scn_scenario *s = L->s;
    for (int i = 0; i < s->n_regions; i++)
        if (strcmp(s->regions[i], name) == 0) {
            *out = i;
            return SS_OK;
        }
    if (L->rtt_named) {
        /* A city of the measured data set; sim/ checks that it exists. */
        if (s->n_regions == SCN_MAX_REGIONS)
            return ss_json_errf(&L->cx, SS_ERANGE, path,
                                "expected at most %d distinct regions in all, got more",
                                SCN_MAX_REGIONS);
        snprintf(s->regions[s->n_regions], SCN_NAME_MAX, "%s", name);
        *out = s->n_regions++;
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

/* ---- policies, workload, record ----------------------------------------- */

/* placement.cuts: span boundaries for the "manual" policy, e.g. [2, 3] cuts
 * 5 blocks into [0,2) [2,3) [3,5). Whether they fit the model is checked by
 * the placement, which knows the block count. */
static ss_status load_cuts(scn_loader *L, const cJSON *p)
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
        return scn_oom(L);
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

/* routing.settings: an object of finite numbers, keys kept in document
 * order; the policy checks which keys it knows and their ranges. */
static ss_status load_routing_settings(scn_loader *L, const cJSON *r)
{
    scn_scenario *s = L->s;
    const cJSON *o;
    ss_status rc = ss_json_get_object(&L->cx, r, "routing", "settings", SS_JSON_OPTIONAL, &o);
    if (rc || !o)
        return rc;
    int n = cJSON_GetArraySize(o);
    if (n == 0)
        return SS_OK;
    s->routing_settings = ss_calloc((size_t)n, sizeof *s->routing_settings);
    if (!s->routing_settings)
        return scn_oom(L);
    const ss_json_num_rule any = {.min = -1e300, .max = 1e300, .what = "a finite number"};
    int i = 0;
    for (const cJSON *m = o->child; m; m = m->next, i++) {
        char path[512];
        ss_json_path_key(path, sizeof path, "routing.settings", m->string);
        if (strlen(m->string) >= SCN_NAME_MAX)
            return ss_json_errf(&L->cx, SS_ESCHEMA, path, "expected a key of at most %d bytes",
                                SCN_NAME_MAX - 1);
        scn_setting *st = &s->routing_settings[i];
        if ((rc = ss_json_number(&L->cx, m, path, &any, &st->value)))
            return rc;
        snprintf(st->key, sizeof st->key, "%s", m->string);
        s->n_routing_settings = i + 1;
    }
    return SS_OK;
}

/* routing.view and the announcement timing (scenarios/README.md). Petals'
 * server announces every update_period = 60 s with expiration = max(2 x
 * update_period, 3 s) (petals/server/server.py, Server.__init__); its client
 * refreshes what it knows every 60 s (petals/client/config.py update_period),
 * so a record reaches it on average 30 s after it was announced: the
 * default delay. One record is in flight per node at a time, hence
 * delay < period; a record must be visible at all, hence expiry > delay. */
static ss_status load_routing_view(scn_loader *L, const cJSON *r)
{
    static const char *const views[] = {"announced", "truth"};
    scn_scenario *s = L->s;
    const cJSON *v = ss_json_find(r, "view");
    int k = 0;
    ss_status rc;
    if ((v && (rc = scn_enum(&L->cx, v, "routing.view", views, 2, &k))) ||
        (rc = scn_number(L, r, "routing", "announce_period_s", SS_JSON_OPTIONAL, 0, 1, 86400,
                         &s->announce_period_s)) ||
        (rc = scn_number(L, r, "routing", "announce_expiry_s", SS_JSON_OPTIONAL, 0, 1, 86400,
                         &s->announce_expiry_s)) ||
        (rc = scn_number(L, r, "routing", "announce_delay_s", SS_JSON_OPTIONAL, 0, 0, 86400,
                         &s->announce_delay_s)))
        return rc;
    s->view_truth = k == 1;
    if (s->announce_delay_s >= s->announce_period_s)
        return ss_json_errf(&L->cx, SS_ESCHEMA, "routing.announce_delay_s",
                            "expected less than routing.announce_period_s (%g), got %g",
                            s->announce_period_s, s->announce_delay_s);
    if (s->announce_expiry_s <= s->announce_delay_s)
        return ss_json_errf(&L->cx, SS_ESCHEMA, "routing.announce_expiry_s",
                            "expected more than routing.announce_delay_s (%g), got %g",
                            s->announce_delay_s, s->announce_expiry_s);
    return SS_OK;
}

static ss_status load_policies(scn_loader *L, const cJSON *root)
{
    static const char *const pk[] = {"policy", "spans", "cuts"};
    static const char *const rk[] = {"policy",           "settings",         "view",
                                     "announce_period_s", "announce_delay_s", "announce_expiry_s",
                                     "pattern"};
    static const char *const patterns[] = {"server-to-server", "client-relayed"};
    static const char *const ck[] = {"activations", "weights"};
    scn_scenario *s = L->s;
    const cJSON *p, *r, *c;
    int64_t spans = 0;
    ss_status rc;
    snprintf(s->placement, sizeof s->placement, "uniform");
    snprintf(s->routing, sizeof s->routing, "fixed");
    s->view_truth = 0;
    s->announce_period_s = 60;
    s->announce_delay_s = 30;
    s->announce_expiry_s = 120;
    snprintf(s->act_codec, sizeof s->act_codec, "fp16");
    if ((rc = ss_json_get_object(&L->cx, root, "", "placement", SS_JSON_OPTIONAL, &p)) ||
        (rc = ss_json_check_keys(&L->cx, p, "placement", pk, 3)) ||
        (p && (rc = ident_member(L, p, "placement", "policy", SS_JSON_OPTIONAL, s->placement))) ||
        (p && (rc = ss_json_get_int(&L->cx, p, "placement", "spans", SS_JSON_OPTIONAL, 0,
                                    SCN_MAX_NODES, &spans))) ||
        (rc = ss_json_get_object(&L->cx, root, "", "routing", SS_JSON_OPTIONAL, &r)) ||
        (rc = ss_json_check_keys(&L->cx, r, "routing", rk, 7)) ||
        (r && (rc = ident_member(L, r, "routing", "policy", SS_JSON_OPTIONAL, s->routing))) ||
        (r && ss_json_find(r, "pattern") &&
         (rc = scn_enum(&L->cx, ss_json_find(r, "pattern"), "routing.pattern", patterns, 2,
                        &s->client_relayed))) ||
        (r && (rc = load_routing_settings(L, r))) ||
        (r && (rc = load_routing_view(L, r))) ||
        (rc = ss_json_get_object(&L->cx, root, "", "compression", SS_JSON_OPTIONAL, &c)) ||
        (rc = ss_json_check_keys(&L->cx, c, "compression", ck, 2)) ||
        (c && (rc = codec_member(L, c, "activations", s->act_codec))) ||
        (c && (rc = codec_member(L, c, "weights", s->weight_codec))))
        return rc;
    s->n_spans = (int)spans;
    return p ? load_cuts(L, p) : SS_OK;
}

/* The arrival process: exactly one of poisson, gamma, closed, trace. */
static ss_status load_arrivals(scn_loader *L, const cJSON *arr)
{
    static const char *const akeys[] = {"poisson", "gamma", "closed", "trace"};
    static const char *const pkeys[] = {"rate_per_s"};
    static const char *const gkeys[] = {"rate_per_s", "cv"};
    static const char *const ckeys[] = {"users", "think_time_s"};
    static const char *const tkeys[] = {"file", "preset", "time_scale"};
    static const char *const presets[] = {"azure-conv-2023", "azure-code-2023"};
    scn_workload *w = &L->s->workload;
    const cJSON *o;
    ss_status rc;
    if ((rc = ss_json_check_keys(&L->cx, arr, "workload.arrivals", akeys, 4)))
        return rc;
    if (cJSON_GetArraySize(arr) != 1)
        return ss_json_errf(&L->cx, SS_ESCHEMA, "workload.arrivals",
                            "expected exactly one arrival process (poisson, gamma, closed or "
                            "trace), got %d",
                            cJSON_GetArraySize(arr));
    const char *kind = arr->child->string;
    char path[64];
    ss_json_path_key(path, sizeof path, "workload.arrivals", kind);
    if ((rc = ss_json_get_object(&L->cx, arr, "workload.arrivals", kind, SS_JSON_REQUIRED, &o)))
        return rc;
    if (strcmp(kind, "poisson") == 0) {
        w->arrival = SCN_ARRIVAL_POISSON;
        return (rc = ss_json_check_keys(&L->cx, o, path, pkeys, 1))
                   ? rc
                   : scn_number(L, o, path, "rate_per_s", SS_JSON_REQUIRED, 0, 1,
                                SCN_MAX_RATE_PER_S, &w->rate_per_s);
    }
    if (strcmp(kind, "gamma") == 0) {
        w->arrival = SCN_ARRIVAL_GAMMA;
        /* cv 1 is Poisson; a CV of 1000 is already a handful of huge bursts. */
        if ((rc = ss_json_check_keys(&L->cx, o, path, gkeys, 2)) ||
            (rc = scn_number(L, o, path, "rate_per_s", SS_JSON_REQUIRED, 0, 1,
                             SCN_MAX_RATE_PER_S, &w->rate_per_s)) ||
            (rc = scn_number(L, o, path, "cv", SS_JSON_REQUIRED, 0, 1, 1e3, &w->cv)))
            return rc;
        return SS_OK;
    }
    if (strcmp(kind, "closed") == 0) {
        char tp[96];
        scn_dist_rule tr = {0, SCN_MAX_SECONDS};
        w->arrival = SCN_ARRIVAL_CLOSED;
        ss_json_path_key(tp, sizeof tp, path, "think_time_s");
        if ((rc = ss_json_check_keys(&L->cx, o, path, ckeys, 2)) ||
            (rc = ss_json_get_int(&L->cx, o, path, "users", SS_JSON_REQUIRED, 1, 1000000,
                                  &w->users)) ||
            (rc = scn_dist_parse(&L->cx, ss_json_find(o, "think_time_s"), tp, &tr,
                                 &w->think_time_s)))
            return rc;
        return SS_OK;
    }
    w->arrival = SCN_ARRIVAL_TRACE;
    w->time_scale = 1;
    int has_f = ss_json_find(o, "file") != NULL, has_p = ss_json_find(o, "preset") != NULL;
    if ((rc = ss_json_check_keys(&L->cx, o, path, tkeys, 3)))
        return rc;
    if (has_f + has_p != 1)
        return ss_json_errf(&L->cx, SS_ESCHEMA, path,
                            "expected exactly one of \"file\" (a trace CSV) or \"preset\" (%s "
                            "or %s), got %s",
                            presets[0], presets[1], has_f ? "both" : "neither");
    int k;
    char pp[96];
    ss_json_path_key(pp, sizeof pp, path, "preset");
    if ((has_f && (rc = file_path(L, o, path, "file", w->trace_path))) ||
        (has_p && (rc = scn_enum(&L->cx, ss_json_find(o, "preset"), pp, presets, 2, &k))) ||
        (rc = scn_number(L, o, path, "time_scale", SS_JSON_OPTIONAL, 0, 1, 1e6, &w->time_scale)))
        return rc;
    if (has_p)
        snprintf(w->trace_preset, sizeof w->trace_preset, "%s", presets[k]);
    return SS_OK;
}

static ss_status load_workload(scn_loader *L, const cJSON *root)
{
    static const char *const keys[] = {"arrivals", "n_requests", "prompt_tokens", "output_tokens",
                                       "client_region"};
    scn_workload *w = &L->s->workload;
    const cJSON *o, *arr;
    ss_status rc;
    scn_dist_rule tok = {1, SCN_MAX_TOKENS};
    w->client_region = 0;
    if ((rc = ss_json_get_object(&L->cx, root, "", "workload", SS_JSON_REQUIRED, &o)) ||
        (rc = ss_json_check_keys(&L->cx, o, "workload", keys, 5)) ||
        (rc = ss_json_get_object(&L->cx, o, "workload", "arrivals", SS_JSON_REQUIRED, &arr)) ||
        (rc = load_arrivals(L, arr)))
        return rc;
    int trace = w->arrival == SCN_ARRIVAL_TRACE;
    /* A trace gives arrivals and token counts; n_requests then only caps. */
    w->n_requests = SCN_MAX_REQUESTS;
    if (trace)
        for (int i = 2; i <= 3; i++)
            if (ss_json_find(o, keys[i])) {
                char p[64];
                ss_json_path_key(p, sizeof p, "workload", keys[i]);
                return ss_json_errf(&L->cx, SS_ESCHEMA, p,
                                    "not allowed with a trace (token counts come from the trace)");
            }
    if ((rc = ss_json_get_int(&L->cx, o, "workload", "n_requests",
                              trace ? SS_JSON_OPTIONAL : SS_JSON_REQUIRED, 1, SCN_MAX_REQUESTS,
                              &w->n_requests)) ||
        (!trace && (rc = scn_dist_parse(&L->cx, ss_json_find(o, "prompt_tokens"),
                                        "workload.prompt_tokens", &tok, &w->prompt_tokens))) ||
        (!trace && (rc = scn_dist_parse(&L->cx, ss_json_find(o, "output_tokens"),
                                        "workload.output_tokens", &tok, &w->output_tokens))) ||
        (rc = scn_region_ref(L, ss_json_find(o, "client_region"), "workload.client_region",
                             &w->client_region)))
        return rc;
    return SS_OK;
}

/* "batching": {"max_tokens": N, "priority": "decode" | "prefill"}. */
static ss_status load_batching(scn_loader *L, const cJSON *root)
{
    static const char *const keys[] = {"max_tokens", "priority"};
    static const char *const prio[] = {"decode", "prefill"};
    const cJSON *o, *p;
    int k = 0;
    ss_status rc;
    if ((rc = ss_json_get_object(&L->cx, root, "", "batching", SS_JSON_OPTIONAL, &o)) || !o ||
        (rc = ss_json_check_keys(&L->cx, o, "batching", keys, 2)) ||
        (rc = ss_json_get_int(&L->cx, o, "batching", "max_tokens", SS_JSON_OPTIONAL, 0, 1000000,
                              &L->s->max_batch_tokens)))
        return rc;
    if ((p = ss_json_find(o, "priority")) &&
        (rc = scn_enum(&L->cx, p, "batching.priority", prio, 2, &k)))
        return rc;
    L->s->prefill_first = k == 1;
    return SS_OK;
}

static ss_status load_record(scn_loader *L, const cJSON *root)
{
    static const char *const keys[] = {"level"};
    static const char *const levels[] = {"off", "summary", "requests", "hops", "all"};
    const cJSON *o;
    int lvl = SCN_RECORD_REQUESTS;
    ss_status rc;
    if ((rc = ss_json_get_object(&L->cx, root, "", "record", SS_JSON_OPTIONAL, &o)) ||
        (rc = ss_json_check_keys(&L->cx, o, "record", keys, 1)))
        return rc;
    const cJSON *v = ss_json_find(o, "level");
    if (v && (rc = scn_enum(&L->cx, v, "record.level", levels, 5, &lvl)))
        return rc;
    L->s->record = (scn_record_level)lvl;
    return SS_OK;
}

/* "slo": {"ttft_s": t, "tpot_s": u}, both optional, > 0 when given. */
static ss_status load_slo(scn_loader *L, const cJSON *root)
{
    static const char *const keys[] = {"ttft_s", "tpot_s"};
    const cJSON *o;
    ss_status rc;
    if ((rc = ss_json_get_object(&L->cx, root, "", "slo", SS_JSON_OPTIONAL, &o)) || !o ||
        (rc = ss_json_check_keys(&L->cx, o, "slo", keys, 2)) ||
        (rc = scn_number(L, o, "slo", "ttft_s", SS_JSON_OPTIONAL, 0, 1, SCN_MAX_HORIZON_S,
                     &L->s->slo_ttft_s)) ||
        (rc = scn_number(L, o, "slo", "tpot_s", SS_JSON_OPTIONAL, 0, 1, SCN_MAX_HORIZON_S,
                     &L->s->slo_tpot_s)))
        return rc;
    return SS_OK;
}

/* ---- entry -------------------------------------------------------------- */

static ss_status validate(scn_loader *L, const cJSON *root)
{
    static const char *const keys[] = {"version", "name",      "seed",        "horizon_s",
                                       "model",   "network",   "nodes",       "placement",
                                       "routing", "compression", "workload",  "record",
                                       "faults",  "slo",       "stragglers",  "batching",
                                       "churn_trace", "client", "adversaries", "defences"};
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
        (rc = scn_number(L, root, "", "horizon_s", SS_JSON_OPTIONAL, 0, 1, SCN_MAX_HORIZON_S,
                     &s->horizon_s)) ||
        (rc = load_model(L, root)) || (rc = load_network(L, root)) ||
        (rc = scn_load_nodes(L, root)) || (rc = load_policies(L, root)) ||
        (rc = load_workload(L, root)) || (rc = scn_load_client(L, root)) ||
        (rc = load_record(L, root)) ||
        (rc = scn_load_faults(L, root)) || (rc = scn_load_stragglers(L, root)) ||
        (rc = load_slo(L, root)) || (rc = load_batching(L, root)) ||
        (rc = scn_load_trust(L, root)) ||
        (ss_json_find(root, "churn_trace") &&
         (rc = file_path(L, root, "", "churn_trace", s->churn_trace_path))))
        return rc;
    s->seed = (uint64_t)seed;
    return SS_OK;
}

/* The common part of scn_load and scn_load_text: `text` (NULL: read the
 * file `path`) parsed, overridden, printed canonically and validated.
 * `dir` (NULL: the directory of `path`) resolves relative file paths. */
static ss_status load_doc(const char *path, const char *dir, const char *text, size_t len,
                          const scn_override *overrides, size_t n_overrides, scn_scenario *out,
                          char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    scn_loader L = {.cx = {.file = path, .err = err, .errlen = errlen}, .s = out};
    if (!path || !path[0])
        return ss_err(err, errlen, SS_EINVAL, "scenario path is empty");
    if (strlen(path) >= SCN_PATH_MAX || (dir && strlen(dir) >= SCN_PATH_MAX))
        return ss_err(err, errlen, SS_EINVAL, "%.80s...: scenario path longer than %d bytes", path,
                      SCN_PATH_MAX - 1);
    snprintf(out->source_path, sizeof out->source_path, "%s", path);
    const char *slash = strrchr(path, '/');
    if (dir)
        snprintf(L.dir, sizeof L.dir, "%s", dir);
    else if (slash)
        snprintf(L.dir, sizeof L.dir, "%.*s", (int)(slash - path + 1), path);

    cJSON *root = NULL, *compare = NULL;
    char *printed = NULL;
    ss_status rc = text ? ss_json_parse(path, text, len, &root, err, errlen)
                        : ss_json_load_file(path, &root, err, errlen);
    if (rc != SS_OK)
        goto fail;
    for (size_t i = 0; i < n_overrides; i++)
        if ((rc = scn_override_apply(root, &overrides[i], &L.cx)))
            goto fail;
    /* The compare block names variants of the scenario, it is no part of
     * it: left out of the canonical JSON (and so of every run key). */
    compare = cJSON_DetachItemFromObjectCaseSensitive(root, "compare");
    printed = cJSON_PrintUnformatted(root);
    if (!printed) {
        rc = scn_oom(&L);
        goto fail;
    }
    /* Own copy: the printed buffer belongs to cJSON's allocator hooks. */
    out->canonical_json = ss_strdup(printed);
    cJSON_free(printed);
    if (!out->canonical_json) {
        rc = scn_oom(&L);
        goto fail;
    }
    if ((rc = validate(&L, root)) || (compare && (rc = scn_compare_check(&L.cx, compare, root))))
        goto fail;
    cJSON_Delete(compare);
    cJSON_Delete(root);
    scn_loader_fini(&L);
    return SS_OK;
fail:
    cJSON_Delete(compare);
    cJSON_Delete(root);
    scn_loader_fini(&L);
    scn_scenario_fini(out);
    memset(out, 0, sizeof *out);
    return rc;
}

ss_status scn_load(const char *path, const scn_override *overrides, size_t n_overrides,
                   scn_scenario *out, char *err, size_t errlen)
{
    return load_doc(path, NULL, NULL, 0, overrides, n_overrides, out, err, errlen);
}

ss_status scn_load_text(const char *label, const char *dir, const char *text, size_t len,
                        const scn_override *overrides, size_t n_overrides, scn_scenario *out,
                        char *err, size_t errlen)
{
    if (!text) {
        memset(out, 0, sizeof *out);
        return ss_err(err, errlen, SS_EINVAL, "scenario text is NULL");
    }
    return load_doc(label, dir ? dir : "", text, len, overrides, n_overrides, out, err, errlen);
}

void scn_scenario_fini(scn_scenario *s)
{
    if (!s)
        return;
    for (int g = 0; g < s->n_groups && s->groups; g++) {
        ss_free(s->groups[g].device);
        ss_free(s->groups[g].device_w);
        ss_free(s->groups[g].region);
        ss_free(s->groups[g].region_w);
    }
    ss_free(s->groups);
    ss_free(s->devices);
    ss_free(s->regions);
    ss_free(s->rtt_s);
    ss_free(s->nodes);
    ss_free(s->cuts);
    ss_free(s->routing_settings);
    ss_free(s->canonical_json);
    ss_free(s->faults);
    ss_free(s->stragglers);
    ss_free(s->trust.adv_nodes);
    memset(&s->trust, 0, sizeof s->trust);
    s->groups = NULL;
    s->n_groups = 0;
    s->devices = NULL;
    s->n_devices = 0;
    s->cuts = NULL;
    s->n_cuts = 0;
    s->routing_settings = NULL;
    s->n_routing_settings = 0;
    s->faults = NULL;
    s->n_faults = 0;
    s->stragglers = NULL;
    s->n_stragglers = 0;
    s->regions = NULL;
    s->rtt_s = NULL;
    s->nodes = NULL;
    s->canonical_json = NULL;
    s->n_regions = 0;
    s->n_nodes = 0;
}
