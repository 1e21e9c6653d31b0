/* sim_place.h - the scenario's nodes as a routing view, with spans placed;
 * the first request's chain for evaluation without time. */
#ifndef SIM_PLACE_H
#define SIM_PLACE_H

#include <stddef.h>

#include "comp.h"
#include "model_cost.h"
#include "model_desc.h"
#include "route.h"
#include "scn_scenario.h"

/* Fill `view` for the scenario's nodes (all up) and apply its placement
 * policy. *nodes_out (n_nodes entries, ss_malloc'd, the caller's) is what
 * view->nodes points to. Errors name the scenario file and the policy. */
ss_status sim_place(const scn_scenario *s, const model_desc *m, route_view *view,
                    route_node_view **nodes_out, char *err, size_t errlen);

/* The scenario's routing policy, opened on a placed view: found by name,
 * routing.settings resolved against its spec (*settings_out, ss_malloc'd,
 * the caller's to ss_free; may be NULL when it takes none), init() run with
 * the scenario's seed (*state_out, for ops->fini). Errors name the file and
 * the JSON path (routing.policy, routing.settings.KEY). */
ss_status sim_routing_open(const scn_scenario *s, const route_view *view,
                           const route_routing_ops **ops_out, double **settings_out,
                           void **state_out, char *err, size_t errlen);

/* A concrete node's device for the cost model (the one conversion). */
model_device sim_node_device(const scn_node *sn);

/* The scenario's activation (wire) codec; fp16 when it names none. */
ss_status sim_act_codec(const scn_scenario *s, comp_codec *out, char *err, size_t errlen);

/* The chain the scenario's placement and routing give its first request,
 * on the nodes its seed draws: *hops_out (*n_out entries, ss_malloc'd, the
 * caller's to ss_free). Evaluation (real_pipeline, real_accuracy) runs the
 * data path along its spans without time; under a late-binding policy its
 * hops are ROUTE_HOP_UNBOUND (nodes are placeholders). */
ss_status sim_first_chain(const scn_scenario *s, const model_desc *d, route_hop **hops_out,
                          int *n_out, char *err, size_t errlen);

#endif
