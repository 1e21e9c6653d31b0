/* sim_place.h - the scenario's nodes as a routing view, with spans placed. */
#ifndef SIM_PLACE_H
#define SIM_PLACE_H

#include <stddef.h>

#include "model_desc.h"
#include "route.h"
#include "scn_scenario.h"

/* Fill `view` for the scenario's nodes (all up) and apply its placement
 * policy. *nodes_out (n_nodes entries, ss_malloc'd, the caller's) is what
 * view->nodes points to. Errors name the scenario file and the policy. */
ss_status sim_place(const scn_scenario *s, const model_desc *m, route_view *view,
                    route_node_view **nodes_out, char *err, size_t errlen);

#endif
