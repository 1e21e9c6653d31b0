/* sim_trust.h - inside sim/ only: adversaries and defences in a run
 * (sim_trust.c has the model). Every function is a no-op unless the
 * scenario has "adversaries" or "defences" (w->trust.on); callers test
 * w->trust.on first so runs without them draw nothing new. */
#ifndef SIM_TRUST_H
#define SIM_TRUST_H

#include "route.h"
#include "ss_status.h"
#include <stdint.h>

struct world;

/* After placement (spans known): choose the byzantine nodes; SS_ESCHEMA
 * "file: defences.consensus.k: ..." when a span has fewer replicas than k. */
ss_status sim_trust_init(struct world *w, char *err, size_t errlen);
void sim_trust_fini(struct world *w);
/* Hop of request ri reached node ni: 1 when the node drops it (a timeout
 * then starts recovery), 0 to go on. */
int sim_trust_drop(struct world *w, int64_t ri, int ni);
/* Node ni computed request ri's current hop: misbehaviour, consensus and
 * spot checks (in real mode also the span's real forward pass and the
 * encoding of the delivered output); *oc = the outcome to report for ni.
 * -1 after stopping the run on an error. */
int sim_trust_step(struct world *w, int ni, int64_t ri, route_hop_outcome *oc);
/* Node ni's record v, as routers will hold it: an overclaiming node's
 * speeds multiplied by adversaries.factor. */
void sim_trust_announce(struct world *w, int ni, route_node_view *v);
/* Request ri's pass produced a token: count it if its output was bad. */
void sim_trust_token(struct world *w, int64_t ri);

#endif
