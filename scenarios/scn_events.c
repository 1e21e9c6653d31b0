/* scn_events.c - scheduled events on nodes: "faults" (outages of one node,
 * or of every node of a region) and "stragglers" (slowdown episodes).
 *
 * Node names are looked up by binary search in the sorted name list built
 * by scn_load_nodes (O(log n) each). Episodes of one node must not overlap;
 * checked by sorting (node, start), so n log n for up to SCN_MAX_FAULTS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scn_int.h"
#include "ss_alloc.h"

static int name_cmp(const void *a, const void *b)
{
    return strcmp(((const scn_name_ref *)a)->name, ((const scn_name_ref *)b)->name);
}

ss_status scn_node_ref(scn_loader *L, const cJSON *v, const char *path, int *out)
{
    const scn_scenario *s = L->s;
    char name[SCN_NAME_MAX], got[96];
    ss_status rc = ss_json_string(&L->cx, v, path, 0, name, sizeof name);
    if (rc != SS_OK)
        return rc;
    size_t nn = (size_t)s->n_nodes;
    scn_name_ref key = {name, 0, 0};
    const scn_name_ref *hit = bsearch(&key, L->names, nn, sizeof *L->names, name_cmp);
    if (hit) {
        *out = (int)hit->node;
        return SS_OK;
    }
    ss_json_describe(v, got, sizeof got);
    /* Suggestions cost an edit distance per name: only for small worlds,
     * where a typo is the likely cause. */
    if (nn <= 1024) {
        const char **cands = ss_malloc_array(nn, sizeof *cands);
        if (!cands)
            return scn_oom(L);
        for (size_t k = 0; k < nn; k++)
            cands[k] = s->nodes[k].name;
        const char *near = ss_json_closest(name, cands, nn);
        if (near)
            rc = ss_json_errf(&L->cx, SS_ESCHEMA, path, "unknown node %s (did you mean \"%s\"?)",
                              got, near);
        ss_free(cands);
        if (near)
            return rc;
    }
    return ss_json_errf(&L->cx, SS_ESCHEMA, path,
                        "unknown node %s (names are after count expansion, e.g. \"%s\")", got,
                        s->nodes[0].name);
}

/* An episode on one node, [from, to) (to < 0: open-ended), from JSON
 * entry `index` of array `what`. */
typedef struct episode {
    int node;
    double from, to;
    double slowdown;
    size_t index;
} episode;

static int by_node_then_start(const void *a, const void *b)
{
    const episode *x = a, *y = b;
    if (x->node != y->node)
        return x->node < y->node ? -1 : 1;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int by_start_then_node(const void *a, const void *b)
{
    const episode *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

/* Sort by (node, start) and report the first overlap as `noun` of node X
 * in what[later] overlapping what[earlier]; then sort by (start, node). */
static ss_status check_overlaps(scn_loader *L, episode *e, size_t n, const char *what,
                                const char *noun)
{
    qsort(e, n, sizeof *e, by_node_then_start);
    for (size_t i = 1; i < n; i++) {
        const episode *a = &e[i - 1], *b = &e[i];
        if (a->node == b->node && (a->to < 0 || a->to > b->from)) {
            size_t later = a->index > b->index ? a->index : b->index;
            size_t earlier = a->index > b->index ? b->index : a->index;
            char path[64];
            snprintf(path, sizeof path, "%s[%zu]", what, later);
            return ss_json_errf(&L->cx, SS_ESCHEMA, path, "%s of node \"%s\" overlaps %s[%zu]",
                                noun, L->s->nodes[a->node].name, what, earlier);
        }
    }
    qsort(e, n, sizeof *e, by_start_then_node);
    return SS_OK;
}

/* A parsed "faults" entry before regional expansion. */
typedef struct fault_src {
    int region; /* >= 0: every node with this fixed region; -1: `node` */
    int node;
    double down, up;
} fault_src;

/* Number of nodes a regional outage of region `r` takes down; an error if
 * a group with a region mix may place nodes there. */
static ss_status region_nodes(scn_loader *L, int r, const char *path, size_t *count)
{
    const scn_scenario *s = L->s;
    for (int g = 0; g < s->n_groups; g++)
        for (int k = 0; k < s->groups[g].n_regions; k++)
            if (s->groups[g].region[k] == r)
                return ss_json_errf(&L->cx, SS_ESCHEMA, path,
                                    "region \"%s\" is in the region mix of nodes[%d] (a regional "
                                    "outage needs nodes with a fixed region)",
                                    s->regions[r], g);
    size_t c = 0;
    for (int i = 0; i < s->n_nodes; i++)
        c += s->nodes[i].region == r;
    *count = c;
    return SS_OK;
}

/* "faults": [{"node": NAME | "region": NAME, "down_at_s": t, "up_at_s": u}]
 * -> s->faults, sorted by (down_at_s, node). A regional entry becomes one
 * outage per node of the region. Outages of one node must not overlap. */
ss_status scn_load_faults(scn_loader *L, const cJSON *root)
{
    static const char *const keys[] = {"node", "region", "down_at_s", "up_at_s"};
    scn_scenario *s = L->s;
    const cJSON *arr;
    size_t nf;
    ss_status rc = ss_json_get_array(&L->cx, root, "", "faults", SS_JSON_OPTIONAL, 0,
                                     SCN_MAX_FAULTS, &arr, &nf);
    if (rc != SS_OK || nf == 0)
        return rc;
    fault_src *src = ss_malloc_array(nf, sizeof *src);
    episode *ep = NULL;
    if (!src)
        return scn_oom(L);
    size_t i = 0, total = 0;
    for (const cJSON *f = arr->child; f; f = f->next, i++) {
        char path[64], np[80], got[96];
        snprintf(path, sizeof path, "faults[%zu]", i);
        if (!cJSON_IsObject(f)) {
            ss_json_describe(f, got, sizeof got);
            rc = ss_json_errf(&L->cx, SS_ESCHEMA, path, "expected a fault object, got %s", got);
            goto done;
        }
        fault_src *x = &src[i];
        x->up = -1;
        x->region = -1;
        if ((rc = ss_json_check_keys(&L->cx, f, path, keys, 4)))
            goto done;
        const cJSON *node = ss_json_find(f, "node"), *reg = ss_json_find(f, "region");
        if ((node != NULL) == (reg != NULL)) {
            rc = ss_json_errf(&L->cx, SS_ESCHEMA, path,
                              "expected exactly one of \"node\" or \"region\", got %s",
                              node ? "both" : "neither");
            goto done;
        }
        if (node) {
            char name[SCN_NAME_MAX];
            snprintf(np, sizeof np, "%s.node", path);
            if ((rc = ss_json_string(&L->cx, node, np, 0, name, sizeof name)))
                goto done;
        }
        if ((rc = scn_number(L, f, path, "down_at_s", SS_JSON_REQUIRED, 0, 0, SCN_MAX_HORIZON_S,
                             &x->down)))
            goto done;
        const cJSON *up = ss_json_find(f, "up_at_s");
        if (up) {
            char up_path[80], what[96];
            snprintf(up_path, sizeof up_path, "%s.up_at_s", path);
            ss_json_num_rule r = {x->down, SCN_MAX_HORIZON_S, 1, 0, NULL};
            snprintf(what, sizeof what, "a time after down_at_s (%.17g) and at most 1e9 s",
                     x->down);
            r.what = what;
            if ((rc = ss_json_number(&L->cx, up, up_path, &r, &x->up)))
                goto done;
        }
        size_t c = 1;
        if (node) {
            if ((rc = scn_node_ref(L, node, np, &x->node)))
                goto done;
        } else {
            snprintf(np, sizeof np, "%s.region", path);
            if ((rc = scn_region_ref(L, reg, np, &x->region)) ||
                (rc = region_nodes(L, x->region, np, &c)))
                goto done;
        }
        total += c;
        if (total > SCN_MAX_FAULTS) {
            rc = ss_json_errf(&L->cx, SS_ERANGE, path,
                              "expected at most %d outages after expanding regions, got %zu up "
                              "to this entry",
                              SCN_MAX_FAULTS, total);
            goto done;
        }
    }
    if (total == 0)
        goto done;
    ep = ss_malloc_array(total, sizeof *ep);
    s->faults = ss_malloc_array(total, sizeof *s->faults);
    if (!ep || !s->faults) {
        rc = scn_oom(L);
        goto done;
    }
    size_t k = 0;
    for (i = 0; i < nf; i++) {
        const fault_src *x = &src[i];
        if (x->region < 0) {
            ep[k++] = (episode){x->node, x->down, x->up, 0, i};
            continue;
        }
        for (int n = 0; n < s->n_nodes; n++)
            if (s->nodes[n].region == x->region)
                ep[k++] = (episode){n, x->down, x->up, 0, i};
    }
    if ((rc = check_overlaps(L, ep, total, "faults", "outage")))
        goto done;
    for (k = 0; k < total; k++)
        s->faults[k] = (scn_fault){ep[k].node, ep[k].from, ep[k].to};
    s->n_faults = (int)total;
done:
    ss_free(src);
    ss_free(ep);
    return rc;
}

/* "stragglers": [{"node", "from_s", "to_s", "slowdown"}] -> s->stragglers,
 * sorted by (from_s, node). Episodes of one node must not overlap. */
ss_status scn_load_stragglers(scn_loader *L, const cJSON *root)
{
    static const char *const keys[] = {"node", "from_s", "to_s", "slowdown"};
    scn_scenario *s = L->s;
    const cJSON *arr;
    size_t n;
    ss_status rc = ss_json_get_array(&L->cx, root, "", "stragglers", SS_JSON_OPTIONAL, 0,
                                     SCN_MAX_FAULTS, &arr, &n);
    if (rc != SS_OK || n == 0)
        return rc;
    episode *ep = ss_malloc_array(n, sizeof *ep);
    s->stragglers = ss_malloc_array(n, sizeof *s->stragglers);
    if (!ep || !s->stragglers) {
        ss_free(ep);
        return scn_oom(L);
    }
    size_t i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        char path[64], np[80], tp[80], got[96], what[96];
        snprintf(path, sizeof path, "stragglers[%zu]", i);
        snprintf(np, sizeof np, "%s.node", path);
        snprintf(tp, sizeof tp, "%s.to_s", path);
        if (!cJSON_IsObject(e)) {
            ss_json_describe(e, got, sizeof got);
            rc = ss_json_errf(&L->cx, SS_ESCHEMA, path, "expected a straggler object, got %s",
                              got);
            goto done;
        }
        episode *x = &ep[i];
        x->index = i;
        if ((rc = ss_json_check_keys(&L->cx, e, path, keys, 4)) ||
            (rc = scn_node_ref(L, ss_json_find(e, "node"), np, &x->node)) ||
            (rc = scn_number(L, e, path, "from_s", SS_JSON_REQUIRED, 0, 0, SCN_MAX_HORIZON_S,
                             &x->from)))
            goto done;
        ss_json_num_rule r = {x->from, SCN_MAX_HORIZON_S, 1, 0, what};
        snprintf(what, sizeof what, "a time after from_s (%.17g) and at most 1e9 s", x->from);
        ss_json_num_rule sr = {1, 1e6, 0, 0, NULL};
        if ((rc = ss_json_get_number(&L->cx, e, path, "to_s", SS_JSON_REQUIRED, &r, &x->to)) ||
            (rc = ss_json_get_number(&L->cx, e, path, "slowdown", SS_JSON_REQUIRED, &sr,
                                     &x->slowdown)))
            goto done;
    }
    if ((rc = check_overlaps(L, ep, n, "stragglers", "slowdown episode")))
        goto done;
    for (i = 0; i < n; i++)
        s->stragglers[i] = (scn_straggler){ep[i].node, ep[i].from, ep[i].to, ep[i].slowdown};
    s->n_stragglers = (int)n;
done:
    ss_free(ep);
    return rc;
}
