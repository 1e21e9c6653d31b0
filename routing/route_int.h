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

#include <gsl/gsl_rng.h>

/* Petals' client ban list: sequence_manager.py keeps a hivemind Blacklist
 * (hivemind/dht/node.py) with base_time = ban_timeout = 15 s and
 * backoff_rate = 2. register_failure: a node not banned now is banned for
 * 15 s * 2^k from the failure, k its failures since its last success, then
 * k += 1; a failure while it is banned changes nothing (several sessions
 * failing on one dead node count once); register_success clears k. */
#define ROUTE_BAN_BASE_S 15.0
#define ROUTE_BAN_BACKOFF 2.0

typedef struct route_bans {
    int n;
    int *fails;          /* (n) consecutive failures */
    int64_t *until_ns;   /* (n) banned while now < until_ns */
} route_bans;

ss_status route_bans_init(route_bans *b, int n);
void route_bans_fini(route_bans *b);
/* OK clears the node's count; FAILED and TIMEOUT ban it as above. */
void route_bans_observe(route_bans *b, const route_feedback *fb);
int route_bans_banned(const route_bans *b, int node, int64_t now_ns);

/* Chooses one of cand[0 .. n_cand) (node indices, ascending) for the hop
 * that starts at `block` and runs to min(node's span end, end): returns the
 * index into cand. */
typedef int (*route_pick_fn)(void *ctx, const route_view *v, const route_request *req, int block,
                             int end, const int *cand, int n_cand);

/* The state the policies built on route_chain share. */
typedef struct route_common {
    route_bans bans;
    gsl_rng *rng;        /* stream (SS_RNG_ROUTING, 0, SS_RNG_CHOICE) */
    int *cand;           /* (n_nodes) scratch */
} route_common;

ss_status route_common_init(route_common *c, const route_init *in, char *err, size_t errlen);
void route_common_fini(route_common *c);

/* A chain over [first, end) built hop by hop: from block b the candidates
 * are the live nodes whose span covers b, banned ones left out unless none
 * is left (Petals' rule); `pick` chooses; the hop runs to the end of the
 * node's span (or `end`). one_hop: the candidates must cover the whole
 * range and the chain is one hop.
 * SS_ENOTFOUND naming the block when there is no candidate; SS_EFULL past
 * max_hops. O(hops * n_nodes). */
ss_status route_chain_build(route_common *c, const route_view *v, const route_request *req,
                            int first, int end, int one_hop, route_pick_fn pick, void *ctx,
                            route_hop *hops, int max_hops, int *n_hops, char *err, size_t errlen);
/* A reroute of `failed`'s range: one hop on a node covering all of it when
 * there is one (route_chain_build with one_hop), else a chain over the
 * range as route_chain_build builds it (the simulator splices it into the
 * session's route, sim/sim_faults.c). */
ss_status route_chain_reroute(route_common *c, const route_view *v, const route_request *req,
                              const route_hop *failed, route_pick_fn pick, void *ctx,
                              route_hop *hops, int max_hops, int *n_hops, char *err,
                              size_t errlen);
