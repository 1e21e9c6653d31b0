/* route_max_throughput.c - "max-throughput": Petals' client in throughput
 * mode (sequence_manager.py _make_sequence_with_max_throughput, commit
 * 22afba6): from the current block, choose one of the servers covering it
 * at random with probability proportional to its announced throughput,
 * take it to its span's end, repeat. Servers announcing no throughput
 * (synthetic models) count equally. Banned servers are left out while
 * others remain (route_chain_build); a failed range goes to one live server
 * covering all of it, drawn the same way. Stream (SS_RNG_ROUTING, 0,
 * SS_RNG_CHOICE).
 */
#include "route_int.h"

#include "ss_alloc.h"

typedef struct mt_state {
    route_common c;
} mt_state;

static ss_status mt_init(const route_init *in, void **state, char *err, size_t errlen)
{
    mt_state *s = ss_calloc(1, sizeof *s);
    if (!s)
        return ss_err(err, errlen, SS_ENOMEM, "out of memory");
    ss_status st = route_common_init(&s->c, in, err, errlen);
    if (st != SS_OK) {
        ss_free(s);
        return st;
    }
    *state = s;
    return SS_OK;
}

static void mt_fini(void *state)
{
    mt_state *s = state;
    if (!s)
        return;
    route_common_fini(&s->c);
    ss_free(s);
}

/* u in [0, total): the first candidate whose cumulative weight exceeds u
 * (candidates in index order, so the draw is reproducible). */
static int pick_weighted(void *ctx, const route_view *v, const route_request *req, int block,
                         int end, const int *cand, int n_cand)
{
    (void)req;
    (void)block;
    (void)end;
    mt_state *s = ctx;
    double total = 0;
    for (int k = 0; k < n_cand; k++)
        total += v->nodes[cand[k]].throughput_rps > 0 ? v->nodes[cand[k]].throughput_rps : 0;
    if (!(total > 0))
        return (int)gsl_rng_uniform_int(s->c.rng, (unsigned long)n_cand);
    double u = gsl_rng_uniform(s->c.rng) * total, acc = 0;
    for (int k = 0; k < n_cand; k++) {
        double t = v->nodes[cand[k]].throughput_rps;
        acc += t > 0 ? t : 0;
        if (u < acc)
            return k;
    }
    return n_cand - 1; /* u rounded up to total */
}

static ss_status mt_route(void *state, const route_view *v, const route_request *req,
                          route_hop *hops, int max_hops, int *n_hops, char *err, size_t errlen)
{
    mt_state *s = state;
    return route_chain_build(&s->c, v, req, 0, v->model->n_blocks, 0, pick_weighted, s, hops,
                             max_hops, n_hops, err, errlen);
}

static ss_status mt_reroute(void *state, const route_view *v, const route_request *req,
                            const route_hop *failed, route_hop *hops, int max_hops, int *n_hops,
                            char *err, size_t errlen)
{
    mt_state *s = state;
    return route_chain_reroute(&s->c, v, req, failed, pick_weighted, s, hops, max_hops, n_hops,
                               err, errlen);
}

static void mt_observe(void *state, const route_view *v, const route_feedback *fb)
{
    (void)v;
    route_bans_observe(&((mt_state *)state)->c.bans, fb);
}

const route_routing_ops route_routing_max_throughput = {
    .name = "max-throughput",
    .summary = "Petals' throughput mode: each hop's server drawn in proportion to its "
               "announced throughput",
    .init = mt_init,
    .route = mt_route,
    .reroute = mt_reroute,
    .observe = mt_observe,
    .fini = mt_fini,
};
