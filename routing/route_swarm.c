/* route_swarm.c - "swarm": least loaded by virtual finish times, as SWARM
 * parallelism's scheduler keeps one (DESIGN.md section 4: "a heap of
 * virtual finish times, key += size / EMA throughput").
 *
 * Each node i has a virtual finish time F[i] (ns) and an estimated
 * throughput E[i] in blocks per second of one pass. A hop starting at
 * block b goes to the candidate (live, covering b; route_chain_build) with
 * the smallest max(F[i], now), ties to the lowest index; then
 * F[i] = max(F[i], now) + work / E[i] with work = the hop's blocks times the
 * request's passes (1 + output tokens: the prefill and each decode step).
 * E starts at the node's announced inference_rps (Petals' default 300 when
 * unknown) and follows each hop that succeeds: E <- a * sample + (1 - a) * E,
 * sample = blocks / latency, a = routing.settings.ema_alpha. A failed
 * range is rerouted to the least loaded live node covering all of it (a
 * chain over the range when none does: route_chain_reroute).
 * Under announced records (v->announced) the key also counts the sessions
 * the node announced queued: + queue_len x (its blocks from b) / E[i],
 * each one pass of the hop's work, as this client's own charges count.
 * A linear scan, not a heap: O(n_nodes) per hop, as cheap at swarm sizes.
 */
#include "route_int.h"

#include <math.h>

#include "route_petals_path.h"
#include "ss_alloc.h"

enum { SWARM_EMA_ALPHA };

static const route_setting_spec swarm_settings[] = {
    [SWARM_EMA_ALPHA] = {"ema_alpha", 1e-6, 1, 0.1,
                         "weight of the newest hop in the throughput estimate (EMA), our choice"},
};

typedef struct swarm_state {
    route_common c;
    double alpha;
    int64_t *finish_ns;    /* (n_nodes) virtual finish times */
    double *ema;           /* (n_nodes) blocks/s of one pass */
} swarm_state;

static void swarm_fini(void *state)
{
    swarm_state *s = state;
    if (!s)
        return;
    route_common_fini(&s->c);
    ss_free(s->finish_ns);
    ss_free(s->ema);
    ss_free(s);
}

static ss_status swarm_init(const route_init *in, void **state, char *err, size_t errlen)
{
    swarm_state *s = ss_calloc(1, sizeof *s);
    if (!s)
        return ss_err(err, errlen, SS_ENOMEM, "out of memory");
    int n = in->view->n_nodes ? in->view->n_nodes : 1;
    ss_status st = route_common_init(&s->c, in, err, errlen);
    s->finish_ns = ss_calloc((size_t)n, sizeof *s->finish_ns);
    s->ema = ss_calloc((size_t)n, sizeof *s->ema);
    if (st == SS_OK && (!s->finish_ns || !s->ema))
        st = ss_err(err, errlen, SS_ENOMEM, "out of memory");
    if (st != SS_OK) {
        swarm_fini(s);
        return st;
    }
    s->alpha = in->settings[SWARM_EMA_ALPHA];
    for (int i = 0; i < in->view->n_nodes; i++)
        s->ema[i] = in->view->nodes[i].inference_rps > 0 ? in->view->nodes[i].inference_rps
                                                         : ROUTE_PETALS_DEFAULT_INFERENCE_RPS;
    *state = s;
    return SS_OK;
}

static int pick_least_loaded(void *ctx, const route_view *v, const route_request *req, int block,
                             int end, const int *cand, int n_cand)
{
    (void)end;
    swarm_state *s = ctx;
    int best = 0;
    int64_t best_t = INT64_MAX;
    for (int k = 0; k < n_cand; k++) {
        int64_t t = s->finish_ns[cand[k]] > req->now_ns ? s->finish_ns[cand[k]] : req->now_ns;
        const route_node_view *x = &v->nodes[cand[k]];
        if (v->announced && x->queue_len > 0) /* other clients' sessions queued there */
            t += llround((double)x->queue_len * (x->end_block - block) / s->ema[cand[k]] * 1e9);
        if (t < best_t) {
            best_t = t;
            best = k;
        }
    }
    return best;
}

/* The chain is decided: charge each hop's work to its node. Done after the
 * whole chain is found, so a request that finds no chain charges nobody (a
 * chain never visits a node twice, so picking first changes nothing). */
static void charge(swarm_state *s, const route_request *req, const route_hop *hops, int n)
{
    for (int h = 0; h < n; h++) {
        int i = hops[h].node;
        int64_t t = s->finish_ns[i] > req->now_ns ? s->finish_ns[i] : req->now_ns;
        double work = (double)(hops[h].end_block - hops[h].first_block) *
                      (1.0 + (req->output_tokens > 0 ? req->output_tokens : 0));
        s->finish_ns[i] = t + (int64_t)llround(work / s->ema[i] * 1e9);
    }
}

static ss_status swarm_route(void *state, const route_view *v, const route_request *req,
                             route_hop *hops, int max_hops, int *n_hops, char *err, size_t errlen)
{
    swarm_state *s = state;
    ss_status st = route_chain_build(&s->c, v, req, 0, v->model->n_blocks, 0, pick_least_loaded,
                                     s, hops, max_hops, n_hops, err, errlen);
    if (st == SS_OK)
        charge(s, req, hops, *n_hops);
    return st;
}

static ss_status swarm_reroute(void *state, const route_view *v, const route_request *req,
                               const route_hop *failed, route_hop *hops, int max_hops,
                               int *n_hops, char *err, size_t errlen)
{
    swarm_state *s = state;
    ss_status st = route_chain_reroute(&s->c, v, req, failed, pick_least_loaded, s, hops,
                                       max_hops, n_hops, err, errlen);
    if (st == SS_OK)
        charge(s, req, hops, *n_hops);
    return st;
}

static void swarm_observe(void *state, const route_view *v, const route_feedback *fb)
{
    (void)v;
    swarm_state *s = state;
    route_bans_observe(&s->c.bans, fb);
    if (fb->outcome == ROUTE_HOP_OK && fb->latency_ns > 0 && fb->node >= 0 &&
        fb->node < s->c.bans.n) {
        double sample = (double)(fb->end_block - fb->first_block) / ((double)fb->latency_ns / 1e9);
        s->ema[fb->node] = s->alpha * sample + (1 - s->alpha) * s->ema[fb->node];
    }
}

const route_routing_ops route_routing_swarm = {
    .name = "swarm",
    .summary = "least loaded: each hop to the covering node with the earliest virtual finish "
               "time, key += work / EMA throughput",
    .settings = swarm_settings,
    .n_settings = 1,
    .init = swarm_init,
    .route = swarm_route,
    .reroute = swarm_reroute,
    .observe = swarm_observe,
    .fini = swarm_fini,
};
