/* route_registry.c - the policies this build knows, looked up by name. */
#include "route.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

extern const route_placement_ops route_placement_uniform;
extern const route_placement_ops route_placement_manual;
extern const route_placement_ops route_placement_petals;
extern const route_placement_ops route_placement_mtpp;
extern const route_placement_ops route_placement_memory_greedy;
extern const route_routing_ops route_routing_fixed;
extern const route_routing_ops route_routing_central;
extern const route_routing_ops route_routing_petals;
extern const route_routing_ops route_routing_random;
extern const route_routing_ops route_routing_round_robin;
extern const route_routing_ops route_routing_swarm;
extern const route_routing_ops route_routing_max_throughput;
extern const route_routing_ops route_routing_nesa;

static const route_placement_ops *const placements[] = {
    &route_placement_uniform, &route_placement_manual, &route_placement_petals,
    &route_placement_mtpp, &route_placement_memory_greedy};
static const route_routing_ops *const routings[] = {
    &route_routing_fixed,  &route_routing_central, &route_routing_petals,
    &route_routing_random, &route_routing_round_robin, &route_routing_swarm,
    &route_routing_max_throughput, &route_routing_nesa};

const route_routing_ops *const *route_routing_all(int *n)
{
    *n = (int)(sizeof routings / sizeof routings[0]);
    return routings;
}

#define LIST_KNOWN(arr, buf)                                                         \
    do {                                                                             \
        size_t off_ = 0;                                                             \
        buf[0] = 0;                                                                  \
        for (size_t i_ = 0; i_ < sizeof arr / sizeof arr[0]; i_++)                  \
            off_ += (size_t)snprintf(buf + off_, off_ < sizeof buf ? sizeof buf - off_ : 0, \
                                     "%s%s", i_ ? ", " : "", arr[i_]->name);        \
    } while (0)

ss_status route_placement_find(const char *name, const route_placement_ops **out, char *err,
                               size_t errlen)
{
    for (size_t i = 0; i < sizeof placements / sizeof placements[0]; i++)
        if (strcmp(placements[i]->name, name) == 0) {
            *out = placements[i];
            return SS_OK;
        }
    char known[256];
    LIST_KNOWN(placements, known);
    *out = NULL;
    return ss_err(err, errlen, SS_ENOTFOUND, "unknown placement policy \"%s\" (known: %s)", name,
                  known);
}

ss_status route_routing_find(const char *name, const route_routing_ops **out, char *err,
                             size_t errlen)
{
    for (size_t i = 0; i < sizeof routings / sizeof routings[0]; i++)
        if (strcmp(routings[i]->name, name) == 0) {
            *out = routings[i];
            return SS_OK;
        }
    char known[256];
    LIST_KNOWN(routings, known);
    *out = NULL;
    return ss_err(err, errlen, SS_ENOTFOUND, "unknown routing policy \"%s\" (known: %s)", name,
                  known);
}

ss_status route_settings_resolve(const route_routing_ops *ops, const route_setting *given,
                                 int n_given, double *values, char *err, size_t errlen)
{
    for (int k = 0; k < ops->n_settings; k++)
        values[k] = ops->settings[k].def;
    for (int i = 0; i < n_given; i++) {
        int k = 0;
        while (k < ops->n_settings && strcmp(ops->settings[k].key, given[i].key) != 0)
            k++;
        if (k == ops->n_settings) {
            char known[512];
            size_t off = 0;
            known[0] = 0;
            for (int j = 0; j < ops->n_settings && off < sizeof known; j++)
                off += (size_t)snprintf(known + off, sizeof known - off, "%s%s", j ? ", " : "",
                                        ops->settings[j].key);
            return ss_err(err, errlen, SS_ESCHEMA,
                          "routing.settings.%s: unknown setting of routing policy \"%s\" (%s%s)",
                          given[i].key, ops->name, ops->n_settings ? "known: " : "it takes none",
                          known);
        }
        const route_setting_spec *sp = &ops->settings[k];
        double x = given[i].value;
        if (!(x >= sp->min && x <= sp->max))
            return ss_err(err, errlen, SS_ESCHEMA,
                          "routing.settings.%s: expected a number in [%g, %g], got %g",
                          given[i].key, sp->min, sp->max, x);
        values[k] = x;
    }
    return SS_OK;
}
