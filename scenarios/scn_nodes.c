/* scn_nodes.c - "nodes": node groups -> scn_scenario.groups, .devices and
 * the expanded .nodes.
 *
 * A group fixes or randomises each node property: the device (inline
 * object, one preset name, or a mix of presets), the region (a name or a
 * mix), bandwidths (a number or a DIST), churn (a preset or DISTs), the
 * last-mile delay and the relay flag. Every device form becomes the same
 * numbers through scn_hw_device_parse / scn_hw_device_resolve
 * (scn_hardware.h). Random parts stay in scn_group for the
 * simulator to draw; nodes carry fixed values, or placeholders (the first
 * region of a mix, the mean bandwidth, zeroed device fields) until drawn.
 * Presets are read once per name (a scenario uses a dozen at most); the
 * ones in device mixes become scn_scenario.devices, sorted by name.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"
#include "ss_alloc.h"

typedef struct group {
    scn_node proto; /* name is the group name */
    int64_t count;
} group;

void scn_device_to_node(const scn_device *d, scn_node *n)
{
    n->peak_flops = d->peak_flops;
    n->mem_bw_bytes_per_s = d->mem_bw_bytes_per_s;
    n->memory_bytes = d->memory_bytes;
    n->compute_eff = d->compute_eff;
    n->bw_eff = d->bw_eff;
    n->format_compute_eff = d->format_compute_eff;
    n->format_bw_eff = d->format_bw_eff;
    n->overhead_s = d->overhead_s;
    n->block_overhead_s = d->block_overhead_s;
    n->attn_s_per_head_pos = d->attn_s_per_head_pos;
}

/* Index into L->hw of preset `name` (read on first use). */
static ss_status hw_get(scn_loader *L, const char *name, const char *path, int *idx)
{
    for (int i = 0; i < L->n_hw; i++)
        if (strcmp(L->hw[i].hw.preset, name) == 0) {
            *idx = i;
            return SS_OK;
        }
    if (L->hw_dir_state == 0)
        L->hw_dir_state =
            scn_hardware_dir(L->dir, L->hw_dir, sizeof L->hw_dir) == SS_OK ? 1 : -1;
    if (L->hw_dir_state < 0)
        return ss_json_errf(&L->cx, SS_ENOENT, path,
                            "device preset \"%s\": no hardware directory (looked in %s)", name,
                            L->hw_dir);
    scn_hw_entry *grown = ss_realloc(L->hw, (size_t)(L->n_hw + 1) * sizeof *grown);
    if (!grown)
        return scn_oom(L);
    L->hw = grown;
    char msg[1536];
    scn_hw_entry *e = &L->hw[L->n_hw];
    memset(e, 0, sizeof *e);
    ss_status rc = scn_hardware_load(L->hw_dir, name, &e->hw, msg, sizeof msg);
    if (rc == SS_ENOMEM)
        return scn_oom(L);
    if (rc != SS_OK)
        return ss_json_errf(&L->cx,
                            rc == SS_ENOTFOUND || rc == SS_EINVAL ? SS_ESCHEMA : rc, path, "%s",
                            msg);
    *idx = L->n_hw++;
    return SS_OK;
}

static int has_inline_key(const cJSON *dev, const char *const *dkeys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ss_json_find(dev, dkeys[i]))
            return 1;
    return 0;
}

/* "device": an inline object, a preset name, a preset with overrides
 * ({"preset": NAME, KEY: value, ...}), or a mix of presets. All but the mix
 * become one scn_hw_device and go through scn_hw_device_resolve: one path.
 * Fills the node's device fields (zeroed for a mix) and the default link
 * rates in bytes/s (*up, *down). */
static ss_status load_device(scn_loader *L, const cJSON *dev, const char *dpath, scn_node *n,
                             scn_group *sg, double *up, double *down)
{
    static const char *const dkeys[] = {"peak_tflops",       "mem_bw_gbps", "memory_gb",
                                        "compute_eff",       "bw_eff",      "format_eff",
                                        "overhead_ms",       "block_overhead_ms",
                                        "attn_ns_per_head_pos", "preset"};
    static const char *const extra[] = {"preset"};
    const size_t n_dkeys = sizeof dkeys / sizeof dkeys[0];
    char got[96];
    ss_status rc;
    scn_hw_device hd;
    scn_device d = {0};
    if (!dev)
        return ss_json_errf(&L->cx, SS_ESCHEMA, dpath,
                            "missing required key (expected a device object, a preset name or a "
                            "mix of presets)");
    if (cJSON_IsString(dev) || (cJSON_IsObject(dev) && ss_json_find(dev, "preset"))) {
        /* a preset, alone or with overrides: its numbers, then the object's */
        const cJSON *nv = cJSON_IsString(dev) ? dev : ss_json_find(dev, "preset");
        char name[SCN_NAME_MAX], npath[512];
        int k;
        snprintf(npath, sizeof npath, "%s", dpath);
        if (nv != dev)
            ss_json_path_key(npath, sizeof npath, dpath, "preset");
        if (nv != dev && !cJSON_IsString(nv)) {
            ss_json_describe(nv, got, sizeof got);
            return ss_json_errf(&L->cx, SS_ESCHEMA, npath, "expected a preset name, got %s", got);
        }
        if ((rc = ss_json_string(&L->cx, nv, npath, 0, name, sizeof name)) ||
            (rc = hw_get(L, name, npath, &k)))
            return rc;
        const scn_hardware *hw = &L->hw[k].hw;
        hd = hw->dev;
        if (nv != dev &&
            (rc = scn_hw_device_parse(&L->cx, dev, dpath, SCN_HW_OVERRIDE, extra, 1, &hd)))
            return rc;
        *up = hw->uplink_bytes_per_s;
        *down = hw->downlink_bytes_per_s;
    } else if (!cJSON_IsObject(dev)) {
        ss_json_describe(dev, got, sizeof got);
        return ss_json_errf(&L->cx, SS_ESCHEMA, dpath,
                            "expected a device object, a preset name or a mix of presets, got %s",
                            got);
    } else if (has_inline_key(dev, dkeys, n_dkeys) || cJSON_GetArraySize(dev) == 0) {
        if (cJSON_GetArraySize(dev) == 0)
            return ss_json_errf(&L->cx, SS_ESCHEMA, dpath,
                                "expected a device object (peak_tflops, mem_bw_gbps, memory_gb, "
                                "...) or a non-empty mix of presets, got an empty object");
        scn_hw_device_defaults(&hd);
        if ((rc = scn_hw_device_parse(&L->cx, dev, dpath, SCN_HW_INLINE, NULL, 0, &hd)))
            return rc;
        *up = *down = SCN_DEFAULT_MBPS * 1e6 / 8;
    } else {
        /* A mix: weights first (their rules), then every preset. */
        int m;
        if ((rc = scn_mix_parse(&L->cx, dev, dpath, "device presets", &sg->device_w, &m)))
            return rc;
        sg->device = ss_malloc_array((size_t)m, sizeof *sg->device);
        if (!sg->device)
            return scn_oom(L);
        sg->n_devices = m;
        *up = *down = 0;
        int i = 0;
        for (const cJSON *e = dev->child; e; e = e->next, i++) {
            char sub[512];
            ss_json_path_key(sub, sizeof sub, dpath, e->string);
            if ((rc = hw_get(L, e->string, sub, &sg->device[i])))
                return rc;
            scn_hw_entry *h = &L->hw[sg->device[i]];
            h->in_mix = 1;
            *up += sg->device_w[i] * h->hw.uplink_bytes_per_s;
            *down += sg->device_w[i] * h->hw.downlink_bytes_per_s;
        }
        /* drawn per node by the simulator (scn_device_to_node) */
        scn_device_to_node(&d, n);
        return SS_OK;
    }
    scn_hw_device_resolve(&hd, L->s->model.weights, &d);
    scn_device_to_node(&d, n);
    return SS_OK;
}

/* "region": a name, or a mix {"eu": 0.4, "us": 0.6}. */
static ss_status load_region(scn_loader *L, const cJSON *v, const char *rpath, scn_node *n,
                             scn_group *sg)
{
    ss_status rc;
    if (!v) {
        if (L->rtt_named)
            return ss_json_errf(&L->cx, SS_ESCHEMA, rpath,
                                "missing required key (expected a city name or a mix of cities: "
                                "network.rtt needs one per node group)");
        n->region = 0;
        return SS_OK;
    }
    if (!cJSON_IsObject(v))
        return scn_region_ref(L, v, rpath, &n->region);
    int m;
    if ((rc = scn_mix_parse(&L->cx, v, rpath, "regions", &sg->region_w, &m)))
        return rc;
    sg->region = ss_malloc_array((size_t)m, sizeof *sg->region);
    if (!sg->region)
        return scn_oom(L);
    sg->n_regions = m;
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        char sub[512];
        ss_json_path_key(sub, sizeof sub, rpath, e->string);
        /* The key is the name: check it as a string value. */
        cJSON key = {0};
        key.type = cJSON_String;
        key.valuestring = e->string;
        if ((rc = scn_region_ref(L, &key, sub, &sg->region[i])))
            return rc;
    }
    n->region = sg->region[0];
    return SS_OK;
}

/* uplink_mbps / downlink_mbps: a number or a DIST (Mbit/s). Absent: the
 * device default `def_bps` (bytes/s; for a device mix each node's drawn
 * device, flagged in *from_device). The node holds the mean in bytes/s. */
static ss_status load_link(scn_loader *L, const cJSON *g, const char *path, const char *key,
                           double def_bps, int mix, scn_dist *d, int *from_device,
                           double *node_bps)
{
    const cJSON *v = ss_json_find(g, key);
    if (!v) {
        *d = (scn_dist){SCN_DIST_CONST, def_bps * 8 / 1e6, 0};
        *from_device = mix;
        *node_bps = def_bps;
        return SS_OK;
    }
    char sub[512];
    ss_json_path_key(sub, sizeof sub, path, key);
    ss_status rc = scn_pos_dist(&L->cx, v, sub, SCN_MAX_MBPS, d);
    if (rc == SS_OK)
        *node_bps = scn_dist_mean(d) * 1e6 / 8;
    return rc;
}

/* "churn": a preset name ("overnet03") with optional "churn_family", or
 * {"up_s": DIST, "down_s": DIST}. */
static ss_status load_churn(scn_loader *L, const cJSON *g, const char *path, scn_group *sg)
{
    static const char *const families[] = {"weibull", "exponential", "lognormal", "gamma"};
    static const char *const ckeys[] = {"up_s", "down_s"};
    const cJSON *c = ss_json_find(g, "churn"), *fam = ss_json_find(g, "churn_family");
    char cpath[512], fpath[512], got[96];
    ss_json_path_key(cpath, sizeof cpath, path, "churn");
    ss_json_path_key(fpath, sizeof fpath, path, "churn_family");
    ss_status rc;
    snprintf(sg->churn_family, sizeof sg->churn_family, "%s", families[0]);
    if (fam && !cJSON_IsString(c))
        return ss_json_errf(&L->cx, SS_ESCHEMA, fpath,
                            "allowed only with a churn preset name (\"churn\": \"overnet03\")");
    if (!c) {
        sg->churn = SCN_CHURN_NONE;
        return SS_OK;
    }
    if (cJSON_IsString(c)) {
        int f = 0;
        if ((rc = scn_ident(&L->cx, c, cpath, sg->churn_preset)))
            return rc;
        for (const char *p = sg->churn_preset; *p; p++)
            if (*p >= 'A' && *p <= 'Z') {
                ss_json_describe(c, got, sizeof got);
                sg->churn_preset[0] = '\0';
                return ss_json_errf(&L->cx, SS_ESCHEMA, cpath,
                                    "expected a lower-case churn preset name (e.g. "
                                    "\"overnet03\"), got %s",
                                    got);
            }
        if (fam && (rc = scn_enum(&L->cx, fam, fpath, families, 4, &f)))
            return rc;
        snprintf(sg->churn_family, sizeof sg->churn_family, "%s", families[f]);
        sg->churn = SCN_CHURN_PRESET;
        return SS_OK;
    }
    if (!cJSON_IsObject(c)) {
        ss_json_describe(c, got, sizeof got);
        return ss_json_errf(&L->cx, SS_ESCHEMA, cpath,
                            "expected a churn preset name or {\"up_s\": DIST, \"down_s\": DIST}, "
                            "got %s",
                            got);
    }
    char up[512], down[512];
    ss_json_path_key(up, sizeof up, cpath, "up_s");
    ss_json_path_key(down, sizeof down, cpath, "down_s");
    if ((rc = ss_json_check_keys(&L->cx, c, cpath, ckeys, 2)))
        return rc;
    if (!ss_json_find(c, "up_s") || !ss_json_find(c, "down_s"))
        return ss_json_errf(&L->cx, SS_ESCHEMA, ss_json_find(c, "up_s") ? down : up,
                            "missing required key (expected a positive number or a distribution "
                            "object)");
    if ((rc = scn_pos_dist(&L->cx, ss_json_find(c, "up_s"), up, SCN_MAX_HORIZON_S, &sg->up_s)) ||
        (rc = scn_pos_dist(&L->cx, ss_json_find(c, "down_s"), down, SCN_MAX_HORIZON_S,
                           &sg->down_s)))
        return rc;
    sg->churn = SCN_CHURN_DISTS;
    return SS_OK;
}

static ss_status load_group(scn_loader *L, const cJSON *g, const char *path, group *out,
                            scn_group *sg)
{
    static const char *const keys[] = {"name",          "count",        "region",
                                       "device",        "uplink_mbps",  "downlink_mbps",
                                       "churn",         "churn_family", "last_mile_ms",
                                       "relay"};
    char got[96], dpath[512], rpath[512];
    if (!cJSON_IsObject(g)) {
        ss_json_describe(g, got, sizeof got);
        return ss_json_errf(&L->cx, SS_ESCHEMA, path, "expected a node group object, got %s", got);
    }
    scn_node *n = &out->proto;
    double up = 0, down = 0;
    int up_dev = 0, down_dev = 0;
    out->count = 1;
    ss_status rc;
    ss_json_path_key(rpath, sizeof rpath, path, "region");
    ss_json_path_key(dpath, sizeof dpath, path, "device");
    sg->last_mile_ms = L->s->last_mile_ms;
    if ((rc = ss_json_check_keys(&L->cx, g, path, keys, sizeof keys / sizeof keys[0])) ||
        (rc = ss_json_get_string(&L->cx, g, path, "name", SS_JSON_REQUIRED, n->name,
                                 sizeof n->name)) ||
        (rc = ss_json_get_int(&L->cx, g, path, "count", SS_JSON_OPTIONAL, 1, SCN_MAX_NODES,
                              &out->count)) ||
        (rc = load_region(L, ss_json_find(g, "region"), rpath, n, sg)) ||
        (rc = load_device(L, ss_json_find(g, "device"), dpath, n, sg, &up, &down)) ||
        (rc = load_link(L, g, path, "uplink_mbps", up, sg->n_devices > 0, &sg->uplink_mbps,
                        &up_dev, &n->uplink_bytes_per_s)) ||
        (rc = load_link(L, g, path, "downlink_mbps", down, sg->n_devices > 0,
                        &sg->downlink_mbps, &down_dev, &n->downlink_bytes_per_s)) ||
        (rc = load_churn(L, g, path, sg)) ||
        (rc = scn_number(L, g, path, "last_mile_ms", SS_JSON_OPTIONAL, 0, 0, SCN_MAX_RTT_MS,
                         &sg->last_mile_ms)) ||
        (rc = ss_json_get_bool(&L->cx, g, path, "relay", SS_JSON_OPTIONAL, &sg->relay)))
        return rc;
    sg->uplink_from_device = up_dev;
    sg->downlink_from_device = down_dev;
    return SS_OK;
}

/* Node names must be unique after expansion. Reports the duplicate that
 * appears first in expansion order (deterministic whatever qsort does). */
static int name_ref_cmp(const void *a, const void *b)
{
    const scn_name_ref *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->node > y->node) - (x->node < y->node);
}

static ss_status check_unique_names(scn_loader *L, const size_t *group_of)
{
    scn_scenario *s = L->s;
    size_t n = (size_t)s->n_nodes;
    scn_name_ref *refs = ss_malloc_array(n, sizeof *refs);
    if (!refs)
        return scn_oom(L);
    for (size_t i = 0; i < n; i++)
        refs[i] = (scn_name_ref){s->nodes[i].name, i, group_of[i]};
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
    if (best == SIZE_MAX) {
        L->names = refs; /* sorted: node references search it */
        return SS_OK;
    }
    ss_free(refs);
    char path[64];
    snprintf(path, sizeof path, "nodes[%zu].name", group_of[best]);
    return ss_json_errf(&L->cx, SS_ESCHEMA, path,
                        "duplicate node name \"%s\" (also produced by nodes[%zu])",
                        s->nodes[best].name, first_group);
}

static int hw_entry_cmp(const void *a, const void *b)
{
    const scn_hw_entry *x = *(const scn_hw_entry *const *)a, *y = *(const scn_hw_entry *const *)b;
    return strcmp(x->hw.preset, y->hw.preset);
}

/* The presets of device mixes, sorted by name, into s->devices; group
 * device indices rewritten from L->hw indices to s->devices indices. */
static ss_status build_devices(scn_loader *L)
{
    scn_scenario *s = L->s;
    int nd = 0;
    for (int i = 0; i < L->n_hw; i++)
        nd += L->hw[i].in_mix;
    if (nd == 0)
        return SS_OK;
    scn_hw_entry **order = ss_malloc_array((size_t)nd, sizeof *order);
    s->devices = ss_calloc((size_t)nd, sizeof *s->devices);
    if (!order || !s->devices) {
        ss_free(order);
        return scn_oom(L);
    }
    s->n_devices = nd;
    int k = 0;
    for (int i = 0; i < L->n_hw; i++)
        if (L->hw[i].in_mix)
            order[k++] = &L->hw[i];
    qsort(order, (size_t)nd, sizeof *order, hw_entry_cmp);
    for (int d = 0; d < nd; d++) {
        const scn_hardware *hw = &order[d]->hw;
        scn_device *dv = &s->devices[d];
        snprintf(dv->preset, sizeof dv->preset, "%s", hw->preset);
        scn_hw_device_resolve(&hw->dev, s->model.weights, dv);
        dv->uplink_bytes_per_s = hw->uplink_bytes_per_s;
        dv->downlink_bytes_per_s = hw->downlink_bytes_per_s;
        order[d]->dev = d;
    }
    ss_free(order);
    for (int g = 0; g < s->n_groups; g++)
        for (int j = 0; j < s->groups[g].n_devices; j++)
            s->groups[g].device[j] = L->hw[s->groups[g].device[j]].dev;
    return SS_OK;
}

ss_status scn_load_nodes(scn_loader *L, const cJSON *root)
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
    s->groups = ss_calloc(ng, sizeof *s->groups);
    if (!groups || !s->groups) {
        ss_free(groups);
        return scn_oom(L);
    }
    s->n_groups = (int)ng;
    char path[64];
    int64_t total = 0;
    size_t gi = 0;
    for (const cJSON *g = arr->child; g; g = g->next, gi++) {
        snprintf(path, sizeof path, "nodes[%zu]", gi);
        if ((rc = load_group(L, g, path, &groups[gi], &s->groups[gi])))
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
    if ((rc = build_devices(L)))
        goto done;
    s->nodes = ss_malloc_array((size_t)total, sizeof *s->nodes);
    group_of = ss_malloc_array((size_t)total, sizeof *group_of);
    if (!s->nodes || !group_of) {
        rc = scn_oom(L);
        goto done;
    }
    s->n_nodes = (int)total;
    size_t k = 0;
    for (gi = 0; gi < ng; gi++)
        for (int64_t c = 0; c < groups[gi].count; c++, k++) {
            s->nodes[k] = groups[gi].proto;
            s->nodes[k].group = (int)gi;
            group_of[k] = gi;
            if (groups[gi].count > 1) {
                /* Fits: checked against the longest suffix above. */
                char buf[2 * SCN_NAME_MAX];
                snprintf(buf, sizeof buf, "%s-%lld", groups[gi].proto.name, (long long)c);
                memcpy(s->nodes[k].name, buf, SCN_NAME_MAX - 1);
                s->nodes[k].name[SCN_NAME_MAX - 1] = '\0';
            }
        }
    rc = check_unique_names(L, group_of);
done:
    ss_free(groups);
    ss_free(group_of);
    return rc;
}

/* "client": {"uplink_mbps", "downlink_mbps", "last_mile_ms", "device"}.
 * The device is one machine: an inline object, a preset name or a preset
 * with overrides, read by load_device exactly as a node's; a mix is
 * refused. A device preset's network class does not set the client's
 * links: an absent rate stays unlimited (today's client). */
ss_status scn_load_client(scn_loader *L, const cJSON *root)
{
    static const char *const keys[] = {"uplink_mbps", "downlink_mbps", "last_mile_ms", "device"};
    static const char *const dkeys[] = {"peak_tflops", "mem_bw_gbps",       "memory_gb",
                                        "compute_eff", "bw_eff",            "format_eff",
                                        "overhead_ms", "block_overhead_ms", "attn_ns_per_head_pos"};
    scn_client *c = &L->s->client;
    const cJSON *o;
    double up = 0, down = 0;
    ss_status rc;
    memset(c, 0, sizeof *c);
    if ((rc = ss_json_get_object(&L->cx, root, "", "client", SS_JSON_OPTIONAL, &o)) || !o)
        return rc;
    if ((rc = ss_json_check_keys(&L->cx, o, "client", keys, 4)) ||
        (rc = scn_number(L, o, "client", "uplink_mbps", SS_JSON_OPTIONAL, 0, 1, SCN_MAX_MBPS,
                         &up)) ||
        (rc = scn_number(L, o, "client", "downlink_mbps", SS_JSON_OPTIONAL, 0, 1, SCN_MAX_MBPS,
                         &down)) ||
        (rc = scn_number(L, o, "client", "last_mile_ms", SS_JSON_OPTIONAL, 0, 0, SCN_MAX_RTT_MS,
                         &c->last_mile_ms)))
        return rc;
    c->uplink_bytes_per_s = up * 1e6 / 8;
    c->downlink_bytes_per_s = down * 1e6 / 8;
    const cJSON *dev = ss_json_find(o, "device");
    if (!dev)
        return SS_OK;
    if (cJSON_IsObject(dev) && cJSON_GetArraySize(dev) > 0 && !ss_json_find(dev, "preset") &&
        !has_inline_key(dev, dkeys, sizeof dkeys / sizeof dkeys[0])) {
        char got[96];
        ss_json_describe(dev, got, sizeof got);
        return ss_json_errf(&L->cx, SS_ESCHEMA, "client.device",
                            "expected a device object or a preset name (a client is one "
                            "machine, not a mix), got %s",
                            got);
    }
    scn_group sg = {0};
    double lu, ld; /* a preset's link class: not the client's (see above) */
    snprintf(c->device.name, sizeof c->device.name, "client");
    if ((rc = load_device(L, dev, "client.device", &c->device, &sg, &lu, &ld)))
        return rc;
    c->has_device = 1;
    return SS_OK;
}
