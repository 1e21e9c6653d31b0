/* scn_trust.c - "adversaries" and "defences" (issue 15) -> scn_trust.
 *
 * "adversaries": {"fraction": f | "nodes": [NAME, ...], "behaviour":
 * "corrupt" | "freeride" | "drop" | "overclaim", "p": prob per step,
 * "noise": relative size, "kind": "noise" | "sign" | "bias", "factor":
 * overclaim's announced speed-up}
 * "defences": {"consensus": {"k": K, "fraction": f}, "spot_check": {"q": q}}
 *
 * Everything a scenario's nodes decide (which span has how many replicas)
 * is known only after placement: "k larger than a span's replicas" is
 * checked by sim/ (sim_trust_check), which reports the JSON path
 * defences.consensus.k. Fields, defaults and ranges: scenarios/README.md.
 */
#include <stdio.h>
#include <string.h>

#include "scn_int.h"
#include "ss_alloc.h"

static ss_status load_adv_nodes(scn_loader *L, const cJSON *arr, size_t n)
{
    scn_trust *t = &L->s->trust;
    t->adv_nodes = ss_malloc_array(n, sizeof *t->adv_nodes);
    if (!t->adv_nodes)
        return scn_oom(L);
    t->n_adv_nodes = (int)n;
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "adversaries.nodes[%zu]", i);
        ss_status rc = scn_node_ref(L, cJSON_GetArrayItem(arr, (int)i), path, &t->adv_nodes[i]);
        if (rc)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (t->adv_nodes[j] == t->adv_nodes[i])
                return ss_json_errf(&L->cx, SS_ESCHEMA, path,
                                    "expected each node once, got \"%s\" again (first at "
                                    "adversaries.nodes[%zu])",
                                    L->s->nodes[t->adv_nodes[i]].name, j);
    }
    return SS_OK;
}

static ss_status load_adversaries(scn_loader *L, const cJSON *root)
{
    static const char *const keys[] = {"fraction", "nodes", "behaviour", "p", "noise", "kind",
                                       "factor"};
    static const char *const behaviours[] = {"corrupt", "freeride", "drop", "overclaim"};
    static const char *const kinds[] = {"noise", "sign", "bias"};
    scn_trust *t = &L->s->trust;
    const cJSON *a, *arr = NULL;
    size_t n = 0;
    ss_status rc = ss_json_get_object(&L->cx, root, "", "adversaries", SS_JSON_OPTIONAL, &a);
    if (rc || !a)
        return rc;
    if ((rc = ss_json_check_keys(&L->cx, a, "adversaries", keys, sizeof keys / sizeof keys[0])))
        return rc;
    int has_f = ss_json_find(a, "fraction") != NULL, has_n = ss_json_find(a, "nodes") != NULL;
    if (has_f == has_n)
        return ss_json_errf(&L->cx, SS_ESCHEMA, "adversaries",
                            "expected exactly one of \"fraction\" and \"nodes\", got %s",
                            has_f ? "both" : "neither");
    t->has_adversaries = 1;
    t->fraction = -1;
    t->p = 1;
    t->noise = 0.1;
    t->factor = 2;
    int b = 0, k = 0;
    const cJSON *v;
    if ((has_f && (rc = scn_number(L, a, "adversaries", "fraction", SS_JSON_REQUIRED, 0, 0, 1,
                                   &t->fraction))) ||
        (has_n && (rc = ss_json_get_array(&L->cx, a, "adversaries", "nodes", SS_JSON_REQUIRED, 1,
                                          (size_t)L->s->n_nodes, &arr, &n))) ||
        (has_n && (rc = load_adv_nodes(L, arr, n))) ||
        ((v = ss_json_find(a, "behaviour")) &&
         (rc = scn_enum(&L->cx, v, "adversaries.behaviour", behaviours, 4, &b))) ||
        ((v = ss_json_find(a, "kind")) && (rc = scn_enum(&L->cx, v, "adversaries.kind", kinds, 3, &k))) ||
        (rc = scn_number(L, a, "adversaries", "p", SS_JSON_OPTIONAL, 0, 0, 1, &t->p)) ||
        (rc = scn_number(L, a, "adversaries", "noise", SS_JSON_OPTIONAL, 0, 1, 1e3, &t->noise)) ||
        (rc = scn_number(L, a, "adversaries", "factor", SS_JSON_OPTIONAL, 1, 1, 1e3, &t->factor)))
        return rc;
    t->behaviour = (scn_behaviour)b;
    t->kind = (scn_corrupt_kind)k;
    return SS_OK;
}

static ss_status load_defences(scn_loader *L, const cJSON *root)
{
    static const char *const keys[] = {"consensus", "spot_check"};
    static const char *const ck[] = {"k", "fraction"};
    static const char *const sk[] = {"q"};
    scn_trust *t = &L->s->trust;
    const cJSON *d, *c = NULL, *sc = NULL;
    ss_status rc = ss_json_get_object(&L->cx, root, "", "defences", SS_JSON_OPTIONAL, &d);
    if (rc || !d)
        return rc;
    int64_t k = 0;
    t->consensus_fraction = 1;
    if ((rc = ss_json_check_keys(&L->cx, d, "defences", keys, 2)) ||
        (rc = ss_json_get_object(&L->cx, d, "defences", "consensus", SS_JSON_OPTIONAL, &c)) ||
        (c && (rc = ss_json_check_keys(&L->cx, c, "defences.consensus", ck, 2))) ||
        (c && (rc = ss_json_get_int(&L->cx, c, "defences.consensus", "k", SS_JSON_REQUIRED, 2,
                                    SCN_MAX_CONSENSUS_K, &k))) ||
        (c && (rc = scn_number(L, c, "defences.consensus", "fraction", SS_JSON_OPTIONAL, 0, 1, 1,
                               &t->consensus_fraction))) ||
        (rc = ss_json_get_object(&L->cx, d, "defences", "spot_check", SS_JSON_OPTIONAL, &sc)) ||
        (sc && (rc = ss_json_check_keys(&L->cx, sc, "defences.spot_check", sk, 1))) ||
        (sc && (rc = scn_number(L, sc, "defences.spot_check", "q", SS_JSON_REQUIRED, 0, 0, 1,
                                &t->spot_q))))
        return rc;
    t->consensus_k = (int)k;
    return SS_OK;
}

ss_status scn_load_trust(scn_loader *L, const cJSON *root)
{
    ss_status rc = load_adversaries(L, root);
    return rc ? rc : load_defences(L, root);
}
