/* route_int.h - inside routing/ only: helpers the policies share. */
#ifndef ROUTE_INT_H
#define ROUTE_INT_H

#include "route.h"

/* fixed's reroute rule: one hop on the failed node if it is up again, else
 * on the lowest-numbered live node serving exactly the failed span.
 * SS_ENOTFOUND when there is none. O(n_nodes). */
ss_status route_reroute_same_span(const route_view *v, const route_hop *failed, route_hop *hops,
                                  int max_hops, int *n_hops, char *err, size_t errlen);

#endif
