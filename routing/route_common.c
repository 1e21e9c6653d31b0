/* route_common.c - what the load-aware and randomised policies share: the
 * client's ban list (Petals' backoff), the policy's random stream, and a
 * chain builder over a pluggable per-hop choice. */
#include "route_int.h"

#include <math.h>

#include "ss_alloc.h"
#include "ss_rng.h"

ss_status route_bans_init(route_bans *b, int n)
{
    b->n = n;
    b->fails = ss_calloc((size_t)(n ? n : 1), sizeof *b->fails);
    b->until_ns = ss_calloc((size_t)(n ? n : 1), sizeof *b->until_ns);
    if (!b->fails || !b->until_ns) {
        route_bans_fini(b);
        return SS_ENOMEM;
    }
    return SS_OK;
}

void route_bans_fini(route_bans *b)
{
    ss_free(b->fails);
    ss_free(b->until_ns);
    b->fails = NULL;
    b->until_ns = NULL;
}

void route_bans_observe(route_bans *b, const route_feedback *fb)
{
    if (fb->node < 0 || fb->node >= b->n)
        return;
    if (fb->outcome == ROUTE_HOP_OK) {
        b->fails[fb->node] = 0;
        b->until_ns[fb->node] = 0;
        return;
    }
    if (route_bans_banned(b, fb->node, fb->now_ns))
        return; /* hivemind: "if peer not in self.banned_peers" */
    /* 15 s * 2^k; k capped so the ban stays far below INT64_MAX ns
     * (2^30 * 15 s is 500 years, beyond any horizon) */
    int k = b->fails[fb->node] < 30 ? b->fails[fb->node] : 30;
    double ban_s = ROUTE_BAN_BASE_S * ldexp(1.0, k);
    b->until_ns[fb->node] = fb->now_ns + (int64_t)llround(ban_s * 1e9);
    b->fails[fb->node]++;
}

int route_bans_banned(const route_bans *b, int node, int64_t now_ns)
{
    return now_ns < b->until_ns[node];
}

ss_status route_common_init(route_common *c, const route_init *in, char *err, size_t errlen)
{
    *c = (route_common){0};
    int n = in->view->n_nodes;
    ss_status st = route_bans_init(&c->bans, n);
    if (st == SS_OK && !(c->cand = ss_malloc_array((size_t)(n ? n : 1), sizeof *c->cand)))
        st = SS_ENOMEM;
    if (st == SS_OK)
        st = ss_rng_create(in->seed, SS_RNG_ROUTING, 0, SS_RNG_CHOICE, &c->rng);
    if (st != SS_OK) {
        route_common_fini(c);
        return ss_err(err, errlen, st, "initialising the policy's state");
    }
    return SS_OK;
}

void route_common_fini(route_common *c)
{
    route_bans_fini(&c->bans);
    ss_free(c->cand);
    if (c->rng)
        gsl_rng_free(c->rng);
    c->cand = NULL;
    c->rng = NULL;
}

static int collect(route_common *c, const route_view *v, int64_t now, int b, int need_end,
                   int skip_banned)
{
    int n = 0;
    for (int i = 0; i < v->n_nodes; i++) {
        const route_node_view *x = &v->nodes[i];
        if (!x->up || x->first_block < 0 || x->first_block > b || x->end_block < need_end)
            continue;
        if (skip_banned && route_bans_banned(&c->bans, i, now))
            continue;
        c->cand[n++] = i;
    }
    return n;
}

/* Live nodes covering [b, need_end) into c->cand, in index order; banned
 * ones only when every one is banned. */
static int candidates(route_common *c, const route_view *v, int64_t now, int b, int need_end)
{
    int n = collect(c, v, now, b, need_end, 1);
    return n > 0 ? n : collect(c, v, now, b, need_end, 0);
}

ss_status route_chain_build(route_common *c, const route_view *v, const route_request *req,
                            int first, int end, int one_hop, route_pick_fn pick, void *ctx,
                            route_hop *hops, int max_hops, int *n_hops, char *err, size_t errlen)
{
    int b = first, n = 0;
    while (b < end) {
        int nc = candidates(c, v, req->now_ns, b, one_hop ? end : b + 1);
        if (nc == 0)
            return one_hop ? ss_err(err, errlen, SS_ENOTFOUND,
                                    "no live node serves blocks [%d, %d)", first, end)
                           : ss_err(err, errlen, SS_ENOTFOUND, "no live node serves block %d", b);
        int k = pick(ctx, v, req, b, end, c->cand, nc);
        if (k < 0 || k >= nc)
            k = 0; /* defensive: a chooser out of range takes the first */
        int node = c->cand[k];
        if (n == max_hops)
            return ss_err(err, errlen, SS_EFULL, "route longer than %d hops", max_hops);
        int e = v->nodes[node].end_block < end ? v->nodes[node].end_block : end;
        hops[n++] = (route_hop){.node = node, .first_block = b, .end_block = e,
                                .state = ROUTE_HOP_BOUND};
        b = e;
    }
    *n_hops = n;
    return SS_OK;
}

ss_status route_chain_reroute(route_common *c, const route_view *v, const route_request *req,
                              const route_hop *failed, route_pick_fn pick, void *ctx,
                              route_hop *hops, int max_hops, int *n_hops, char *err,
                              size_t errlen)
{
    ss_status st = route_chain_build(c, v, req, failed->first_block, failed->end_block, 1, pick,
                                     ctx, hops, max_hops, n_hops, err, errlen);
    if (st != SS_ENOTFOUND)
        return st;
    return route_chain_build(c, v, req, failed->first_block, failed->end_block, 0, pick, ctx,
                             hops, max_hops, n_hops, err, errlen);
}
