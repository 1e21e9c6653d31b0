/* route_random.c - "random" and "round-robin": the baselines a reviewer asks
 * for (DESIGN.md section 4). Both build the chain hop by hop over the live
 * nodes covering the next block (route_chain_build: banned nodes left out
 * while others remain, each hop to its node's span end) and reroute a failed
 * range to one live node covering it, chosen the same way, or when none
 * covers all of it to a chain over the range (route_chain_reroute).
 *
 * random: uniform among the candidates, from the policy's own stream
 * (SS_RNG_ROUTING, 0, SS_RNG_CHOICE). round-robin: a counter per start
 * block, candidate (counter mod count), the counter then advanced: with
 * aligned spans each span's replicas take turns.
 */
#include "route_int.h"

#include "ss_alloc.h"

typedef struct rr_state {
    route_common c;
    uint64_t *next;        /* (n_blocks) round-robin: the counter of each start block */
} rr_state;

static ss_status rr_init(const route_init *in, void **state, char *err, size_t errlen)
{
    rr_state *s = ss_calloc(1, sizeof *s);
    if (!s)
        return ss_err(err, errlen, SS_ENOMEM, "out of memory");
    ss_status st = route_common_init(&s->c, in, err, errlen);
    if (st == SS_OK &&
        !(s->next = ss_calloc((size_t)in->view->model->n_blocks + 1, sizeof *s->next)))
        st = ss_err(err, errlen, SS_ENOMEM, "out of memory");
    if (st != SS_OK) {
        route_common_fini(&s->c);
        ss_free(s);
        return st;
    }
    *state = s;
    return SS_OK;
}

static void rr_fini(void *state)
{
    rr_state *s = state;
    if (!s)
        return;
    route_common_fini(&s->c);
    ss_free(s->next);
    ss_free(s);
}

static void rr_observe(void *state, const route_view *v, const route_feedback *fb)
{
    (void)v;
    route_bans_observe(&((rr_state *)state)->c.bans, fb);
}

static int pick_random(void *ctx, const route_view *v, const route_request *req, int block,
                       int end, const int *cand, int n_cand)
{
    (void)v;
    (void)req;
    (void)block;
    (void)end;
    (void)cand;
    return (int)gsl_rng_uniform_int(((rr_state *)ctx)->c.rng, (unsigned long)n_cand);
}

static int pick_rr(void *ctx, const route_view *v, const route_request *req, int block, int end,
                   const int *cand, int n_cand)
{
    (void)v;
    (void)req;
    (void)end;
    (void)cand;
    rr_state *s = ctx;
    return (int)(s->next[block]++ % (uint64_t)n_cand);
}

static ss_status random_route(void *state, const route_view *v, const route_request *req,
                              route_hop *hops, int max_hops, int *n_hops, char *err, size_t errlen)
{
    rr_state *s = state;
    return route_chain_build(&s->c, v, req, 0, v->model->n_blocks, 0, pick_random, s, hops,
                             max_hops, n_hops, err, errlen);
}

static ss_status random_reroute(void *state, const route_view *v, const route_request *req,
                                const route_hop *failed, route_hop *hops, int max_hops,
                                int *n_hops, char *err, size_t errlen)
{
    rr_state *s = state;
    return route_chain_reroute(&s->c, v, req, failed, pick_random, s, hops, max_hops, n_hops,
                               err, errlen);
}

static ss_status rr_route(void *state, const route_view *v, const route_request *req,
                          route_hop *hops, int max_hops, int *n_hops, char *err, size_t errlen)
{
    rr_state *s = state;
    return route_chain_build(&s->c, v, req, 0, v->model->n_blocks, 0, pick_rr, s, hops, max_hops,
                             n_hops, err, errlen);
}

static ss_status rr_reroute(void *state, const route_view *v, const route_request *req,
                            const route_hop *failed, route_hop *hops, int max_hops, int *n_hops,
                            char *err, size_t errlen)
{
    rr_state *s = state;
    return route_chain_reroute(&s->c, v, req, failed, pick_rr, s, hops, max_hops, n_hops, err,
                               errlen);
}

const route_routing_ops route_routing_random = {
    .name = "random",
    .summary = "each hop on a live node covering the next block, uniformly at random",
    .init = rr_init,
    .route = random_route,
    .reroute = random_reroute,
    .observe = rr_observe,
    .fini = rr_fini,
};

const route_routing_ops route_routing_round_robin = {
    .name = "round-robin",
    .summary = "each hop on the next in turn of the live nodes covering the next block",
    .init = rr_init,
    .route = rr_route,
    .reroute = rr_reroute,
    .observe = rr_observe,
    .fini = rr_fini,
};
