/* sim_run.c - the world of one run and the handlers of its events.
 *
 * Sizes: requests up to 1e8 over a run (state 48 bytes each, grown by
 * doubling as they arrive), nodes up to 1e6, hops per route up to the
 * model's blocks. Every queue is FIFO and every tie is broken by the
 * engine's sequence numbers, so the event order is a pure function of the
 * scenario and seed.
 */
#include "sim_run.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "comp.h"
#include "model_cost.h"
#include "model_desc.h"
#include "route.h"
#include "sim_engine.h"
#include "sim_rng.h"
#include "ss_alloc.h"

#define MAX_HOPS 4096

typedef struct req_state {
    int64_t arrival_ns, first_token_ns, finish_ns;
    int32_t prompt, output, done;
    int32_t hop;          /* hop of the current pass */
    uint32_t route_off;   /* hops: w->route_pool[route_off .. +route_len) */
    uint32_t route_len;
    int64_t next_in_queue; /* intrusive FIFO link at a node, -1: none */
} req_state;

typedef struct node_state {
    model_device dev;
    int region;
    double up_bps, down_bps; /* bytes/s */
    int64_t q_head, q_tail;  /* FIFO of request indices waiting to compute */
    int64_t running;         /* request computing now, -1: idle */
    gsl_rng *service_rng;    /* synthetic models: service-time draws */
    sim_node_rec rec;
} node_state;

typedef struct world {
    const scn_scenario *scn;
    sim_engine *eng;
    model_desc model;
    int synthetic;
    comp_codec act_codec;
    int n_nodes;
    node_state *nodes;
    route_node_view *view_nodes;
    route_view view;
    const route_routing_ops *routing;
    void *routing_state;
    gsl_rng *arrivals_rng, *prompt_rng, *output_rng;
    int64_t horizon_ns;
    int64_t n_arrived;
    req_state *reqs;
    int64_t cap_reqs;
    route_hop *route_pool;
    uint32_t n_route, cap_route;
    route_hop *scratch_hops;
    int keep_routes;
    ss_status failure; /* first error inside a handler; stops the run */
    char *err;
    size_t errlen;
} world;

static void ev_arrival(sim_engine *e, void *ctx, uint64_t a, uint64_t b);
static void ev_hop_arrive(sim_engine *e, void *ctx, uint64_t req, uint64_t b);
static void ev_compute_done(sim_engine *e, void *ctx, uint64_t node, uint64_t b);
static void ev_pass_done(sim_engine *e, void *ctx, uint64_t req, uint64_t b);

static void fail(world *w, ss_status st, const char *what)
{
    if (w->failure == SS_OK) {
        w->failure = st;
        ss_err(w->err, w->errlen, st, "simulation stopped: %s: %s", what, ss_strerror(st));
    }
    sim_engine_stop(w->eng);
}

static int64_t s_to_ns(double s)
{
    /* Costs are finite and far below 292 years; clamp defensively anyway. */
    if (!(s > 0))
        return 0;
    if (s > 9.2e9)
        return INT64_MAX / 4;
    return (int64_t)llround(s * 1e9);
}

static void schedule(world *w, int64_t at, sim_handler fn, uint64_t a, uint64_t b)
{
    ss_status st = sim_engine_schedule(w->eng, at, fn, w, a, b, NULL);
    if (st != SS_OK)
        fail(w, st, "scheduling an event");
}

/* ---- network -------------------------------------------------------------- */

/* Bytes on the wire for n_tok activation rows leaving blocks up to `block`. */
static double act_bytes(world *w, int32_t n_tok, int width_block)
{
    if (w->synthetic)
        return w->scn->model.activation_bytes;
    uint32_t width = w->model.blocks[width_block].act_out_elems;
    uint64_t bytes = 0;
    if (comp_wire_bytes_max(&w->act_codec, (size_t)n_tok, width, &bytes) != SS_OK)
        return 4.0 * n_tok * width; /* unreachable for the codecs checked at start */
    return (double)bytes;
}

/* Transfer time from `src` to `dst` (node indices, -1 = the client): half
 * the regions' round trip plus serialisation at the slower side. The client
 * is taken to have unlimited bandwidth. */
static int64_t transfer_ns(world *w, int src, int dst, double bytes)
{
    int ra = src < 0 ? w->scn->workload.client_region : w->nodes[src].region;
    int rb = dst < 0 ? w->scn->workload.client_region : w->nodes[dst].region;
    double bw = INFINITY;
    if (src >= 0)
        bw = w->nodes[src].up_bps;
    if (dst >= 0 && w->nodes[dst].down_bps < bw)
        bw = w->nodes[dst].down_bps;
    double t = 0.5 * w->scn->rtt_s[ra * w->scn->n_regions + rb];
    if (bytes > 0)
        t += bytes / bw;
    if (src >= 0)
        w->nodes[src].rec.bytes_out += (uint64_t)bytes;
    if (dst >= 0)
        w->nodes[dst].rec.bytes_in += (uint64_t)bytes;
    return s_to_ns(t);
}

/* ---- requests ------------------------------------------------------------- */

static int32_t draw_tokens(gsl_rng *r, const scn_dist *d, int32_t max)
{
    double x = nearbyint(sim_rng_draw(r, d));
    if (!(x >= 1))
        x = 1;
    if (x > max)
        x = max;
    return (int32_t)x;
}

static int pass_tokens(const req_state *q) { return q->done == 0 ? q->prompt : 1; }
static int64_t pass_ctx(const req_state *q) { return q->done == 0 ? 0 : q->prompt + q->done - 1; }

static void start_hop(world *w, int64_t ri)
{
    req_state *q = &w->reqs[ri];
    const route_hop *h = &w->route_pool[q->route_off + (uint32_t)q->hop];
    int src = q->hop == 0 ? -1 : w->route_pool[q->route_off + (uint32_t)q->hop - 1].node;
    int width_block = h->first_block > 0 ? h->first_block - 1 : 0;
    double bytes = act_bytes(w, pass_tokens(q), width_block);
    int64_t t = sim_engine_now(w->eng) + transfer_ns(w, src, h->node, bytes);
    schedule(w, t, ev_hop_arrive, (uint64_t)ri, 0);
}

static ss_status grow_reqs(world *w)
{
    if (w->n_arrived < w->cap_reqs)
        return SS_OK;
    int64_t cap = w->cap_reqs ? w->cap_reqs * 2 : 1024;
    if (cap > w->scn->workload.n_requests)
        cap = w->scn->workload.n_requests;
    req_state *r = ss_realloc(w->reqs, (size_t)cap * sizeof *r);
    if (!r)
        return SS_ENOMEM;
    w->reqs = r;
    w->cap_reqs = cap;
    return SS_OK;
}

static ss_status append_route(world *w, const route_hop *hops, int n, uint32_t *off)
{
    if ((uint64_t)w->n_route + (uint64_t)n > UINT32_MAX)
        return SS_EFULL;
    if (w->n_route + (uint32_t)n > w->cap_route) {
        uint64_t cap = w->cap_route ? (uint64_t)w->cap_route * 2 : 1024;
        while (cap < (uint64_t)w->n_route + (uint64_t)n)
            cap *= 2;
        if (cap > UINT32_MAX)
            cap = UINT32_MAX;
        route_hop *p = ss_realloc(w->route_pool, (size_t)cap * sizeof *p);
        if (!p)
            return SS_ENOMEM;
        w->route_pool = p;
        w->cap_route = (uint32_t)cap;
    }
    memcpy(w->route_pool + w->n_route, hops, (size_t)n * sizeof *hops);
    *off = w->n_route;
    w->n_route += (uint32_t)n;
    return SS_OK;
}

/* Poisson arrivals: exponential gaps; none at or after the horizon. */
static void schedule_next_arrival(world *w)
{
    double gap = sim_rng_draw(w->arrivals_rng,
                              &(scn_dist){SCN_DIST_EXPONENTIAL, 1.0 / w->scn->workload.rate_per_s, 0});
    int64_t t = sim_engine_now(w->eng) + s_to_ns(gap);
    if (t < w->horizon_ns)
        schedule(w, t, ev_arrival, 0, 0);
}

static void ev_arrival(sim_engine *e, void *ctx, uint64_t a, uint64_t b)
{
    world *w = ctx;
    (void)a;
    (void)b;
    ss_status st = grow_reqs(w);
    if (st != SS_OK)
        {
        fail(w, st, "growing the request table");
        return;
    }
    int64_t ri = w->n_arrived++;
    req_state *q = &w->reqs[ri];
    memset(q, 0, sizeof *q);
    q->arrival_ns = sim_engine_now(e);
    q->first_token_ns = q->finish_ns = -1;
    q->next_in_queue = -1;
    /* A session may use at most seq_len positions (the KV-cache bound). */
    int32_t seq = w->model.seq_len > 1 ? w->model.seq_len : INT32_MAX;
    q->prompt = draw_tokens(w->prompt_rng, &w->scn->workload.prompt_tokens, seq - 1);
    q->output = draw_tokens(w->output_rng, &w->scn->workload.output_tokens,
                            seq == INT32_MAX ? INT32_MAX : seq - q->prompt);

    int n_hops = 0;
    char rerr[256];
    st = w->routing->choose(w->routing_state, &w->view, (uint64_t)ri, w->scratch_hops, MAX_HOPS,
                            &n_hops, rerr, sizeof rerr);
    if (st != SS_OK) {
        if (w->failure == SS_OK) {
            w->failure = st;
            ss_err(w->err, w->errlen, st, "routing request %lld: %s", (long long)ri, rerr);
        }
        sim_engine_stop(e);
        return;
    }
    if ((st = append_route(w, w->scratch_hops, n_hops, &q->route_off)) != SS_OK)
        {
        fail(w, st, "storing a route");
        return;
    }
    q->route_len = (uint32_t)n_hops;
    start_hop(w, ri);

    if (w->n_arrived < w->scn->workload.n_requests)
        schedule_next_arrival(w);
}

static void start_compute(world *w, int ni, int64_t ri)
{
    node_state *n = &w->nodes[ni];
    req_state *q = &w->reqs[ri];
    const route_hop *h = &w->route_pool[q->route_off + (uint32_t)q->hop];
    double s = w->synthetic
                   ? sim_rng_draw(n->service_rng, &w->scn->model.service_time_s)
                   : model_cost_span_s(&n->dev, &w->model, h->first_block, h->end_block,
                                       pass_tokens(q), pass_ctx(q));
    int64_t d = s_to_ns(s);
    n->running = ri;
    n->rec.busy_ns += d;
    n->rec.n_tasks++;
    schedule(w, sim_engine_now(w->eng) + d, ev_compute_done, (uint64_t)ni, 0);
}

static void ev_hop_arrive(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    world *w = ctx;
    (void)e;
    (void)b;
    int64_t ri = (int64_t)req;
    req_state *q = &w->reqs[ri];
    int ni = w->route_pool[q->route_off + (uint32_t)q->hop].node;
    node_state *n = &w->nodes[ni];
    if (n->running < 0) {
        start_compute(w, ni, ri);
        return;
    }
    q->next_in_queue = -1;
    if (n->q_tail < 0)
        n->q_head = ri;
    else
        w->reqs[n->q_tail].next_in_queue = ri;
    n->q_tail = ri;
}

static void ev_compute_done(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    world *w = ctx;
    (void)b;
    int ni = (int)node;
    node_state *n = &w->nodes[ni];
    int64_t ri = n->running;
    n->running = -1;
    req_state *q = &w->reqs[ri];
    if ((uint32_t)q->hop + 1 < q->route_len) {
        q->hop++;
        start_hop(w, ri);
    } else {
        const route_hop *h = &w->route_pool[q->route_off + (uint32_t)q->hop];
        double bytes = act_bytes(w, pass_tokens(q), h->end_block - 1);
        schedule(w, sim_engine_now(e) + transfer_ns(w, ni, -1, bytes), ev_pass_done,
                 (uint64_t)ri, 0);
    }
    if (n->q_head >= 0) {
        int64_t next = n->q_head;
        n->q_head = w->reqs[next].next_in_queue;
        if (n->q_head < 0)
            n->q_tail = -1;
        start_compute(w, ni, next);
    }
}

static void ev_pass_done(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    world *w = ctx;
    (void)b;
    req_state *q = &w->reqs[(int64_t)req];
    int64_t now = sim_engine_now(e);
    if (q->done == 0)
        q->first_token_ns = now;
    q->done++;
    if (q->done >= q->output) {
        q->finish_ns = now;
        return;
    }
    q->hop = 0;
    start_hop(w, (int64_t)req);
}

/* ---- building and tearing down ------------------------------------------- */

static ss_status build_model(world *w, const sim_run_opts *o, char *err, size_t errlen)
{
    const scn_model *m = &w->scn->model;
    switch (m->kind) {
    case SCN_MODEL_SYNTHETIC:
        w->synthetic = 1;
        return model_desc_synthetic(m->n_blocks, &w->model);
    case SCN_MODEL_PRESET: {
        model_arch arch;
        char e2[512];
        ss_status st = model_arch_load(o->presets_dir, m->preset, &arch, e2, sizeof e2);
        if (st != SS_OK)
            return ss_err(err, errlen, st, "%s: model.preset: %s", w->scn->source_path, e2);
        st = model_desc_from_arch(&arch, m->weights[0] ? m->weights : "fp16", &w->model, e2,
                                  sizeof e2);
        if (st != SS_OK)
            return ss_err(err, errlen, st, "%s: model.weights: %s", w->scn->source_path, e2);
        return SS_OK;
    }
    case SCN_MODEL_LLAMA2C:
        break;
    }
    return ss_err(err, errlen, SS_EUNSUPPORTED,
                  "%s: model: real-weights models are run by `shardsim generate`/`eval`, not yet "
                  "by `run`", w->scn->source_path);
}

static ss_status build_world(world *w, const sim_run_opts *o, char *err, size_t errlen)
{
    const scn_scenario *s = w->scn;
    ss_status st = build_model(w, o, err, errlen);
    if (st != SS_OK)
        return st;
    char e2[512];
    if ((st = comp_codec_parse(s->act_codec[0] ? s->act_codec : "fp16", &w->act_codec, e2,
                               sizeof e2)) != SS_OK)
        return ss_err(err, errlen, st, "%s: compression.activations: %s", s->source_path, e2);

    w->n_nodes = s->n_nodes;
    w->nodes = ss_calloc((size_t)s->n_nodes, sizeof *w->nodes);
    w->view_nodes = ss_calloc((size_t)s->n_nodes, sizeof *w->view_nodes);
    w->scratch_hops = ss_malloc_array(MAX_HOPS, sizeof *w->scratch_hops);
    if (!w->nodes || !w->view_nodes || !w->scratch_hops)
        return SS_ENOMEM;
    for (int i = 0; i < s->n_nodes; i++) {
        const scn_node *sn = &s->nodes[i];
        node_state *n = &w->nodes[i];
        n->dev = (model_device){sn->peak_flops, sn->mem_bw_bytes_per_s, sn->compute_eff,
                                sn->bw_eff, sn->overhead_s};
        n->region = sn->region;
        n->up_bps = sn->uplink_bytes_per_s;
        n->down_bps = sn->downlink_bytes_per_s;
        n->q_head = n->q_tail = n->running = -1;
        n->rec.id = i;
        snprintf(n->rec.name, sizeof n->rec.name, "%s", sn->name);
        snprintf(n->rec.region, sizeof n->rec.region, "%s", s->regions[sn->region]);
        if (w->synthetic &&
            (st = sim_rng_create(s->seed, SIM_RNG_NODE, (uint64_t)i, SIM_RNG_SERVICE,
                                 &n->service_rng)) != SS_OK)
            return st;
        w->view_nodes[i] = (route_node_view){
            .id = i, .region = sn->region, .memory_bytes = sn->memory_bytes,
            .peak_flops = sn->peak_flops, .mem_bw_bytes_per_s = sn->mem_bw_bytes_per_s,
            .uplink_bytes_per_s = sn->uplink_bytes_per_s,
            .downlink_bytes_per_s = sn->downlink_bytes_per_s, .first_block = -1, .end_block = -1,
            .up = 1};
    }
    w->view = (route_view){s->n_nodes, w->view_nodes, &w->model, s->n_regions, s->rtt_s,
                           s->workload.client_region};

    const route_placement_ops *place;
    if ((st = route_placement_find(s->placement[0] ? s->placement : "uniform", &place, e2,
                                   sizeof e2)) != SS_OK)
        return ss_err(err, errlen, st, "%s: placement.policy: %s", s->source_path, e2);
    if ((st = place->place(&w->view, &(route_placement_cfg){.n_spans = s->n_spans}, e2,
                           sizeof e2)) != SS_OK)
        return ss_err(err, errlen, st, "%s: placement: %s", s->source_path, e2);
    for (int i = 0; i < s->n_nodes; i++) {
        w->nodes[i].rec.first_block = w->view_nodes[i].first_block;
        w->nodes[i].rec.end_block = w->view_nodes[i].end_block;
    }
    if ((st = route_routing_find(s->routing[0] ? s->routing : "fixed", &w->routing, e2,
                                 sizeof e2)) != SS_OK)
        return ss_err(err, errlen, st, "%s: routing.policy: %s", s->source_path, e2);
    if (w->routing->init && (st = w->routing->init(&w->view, &w->routing_state)) != SS_OK)
        return ss_err(err, errlen, st, "%s: routing: initialisation failed", s->source_path);

    if ((st = sim_rng_create(s->seed, SIM_RNG_WORKLOAD, 0, SIM_RNG_ARRIVALS, &w->arrivals_rng)) ||
        (st = sim_rng_create(s->seed, SIM_RNG_WORKLOAD, 0, SIM_RNG_PROMPT_LEN, &w->prompt_rng)) ||
        (st = sim_rng_create(s->seed, SIM_RNG_WORKLOAD, 0, SIM_RNG_OUTPUT_LEN, &w->output_rng)))
        return st;
    if ((st = sim_time_from_s(s->horizon_s, &w->horizon_ns)) != SS_OK)
        return ss_err(err, errlen, st, "%s: horizon_s: too large", s->source_path);
    return sim_engine_create(&(sim_engine_cfg){.initial_capacity = 4096}, &w->eng);
}

static void world_fini(world *w)
{
    if (w->routing && w->routing->fini)
        w->routing->fini(w->routing_state);
    for (int i = 0; w->nodes && i < w->n_nodes; i++)
        gsl_rng_free(w->nodes[i].service_rng);
    gsl_rng_free(w->arrivals_rng);
    gsl_rng_free(w->prompt_rng);
    gsl_rng_free(w->output_rng);
    sim_engine_destroy(w->eng);
    model_desc_fini(&w->model);
    ss_free(w->nodes);
    ss_free(w->view_nodes);
    ss_free(w->scratch_hops);
    ss_free(w->reqs);
    ss_free(w->route_pool);
}

static ss_status collect(world *w, sim_results *out)
{
    out->seed = w->scn->seed;
    out->end_ns = sim_engine_now(w->eng);
    out->n_events = sim_engine_n_run(w->eng);
    out->n_requests = (int)w->n_arrived;
    out->n_nodes = w->n_nodes;
    out->requests = ss_calloc((size_t)(w->n_arrived ? w->n_arrived : 1), sizeof *out->requests);
    out->nodes = ss_calloc((size_t)w->n_nodes, sizeof *out->nodes);
    if (!out->requests || !out->nodes)
        return SS_ENOMEM;
    if (w->keep_routes && w->n_route) {
        out->route_nodes = ss_malloc_array(w->n_route, sizeof *out->route_nodes);
        if (!out->route_nodes)
            return SS_ENOMEM;
        for (uint32_t i = 0; i < w->n_route; i++)
            out->route_nodes[i] = w->route_pool[i].node;
        out->n_route_nodes = w->n_route;
    }
    for (int64_t i = 0; i < w->n_arrived; i++) {
        const req_state *q = &w->reqs[i];
        sim_request_rec *r = &out->requests[i];
        r->id = (uint64_t)i;
        r->arrival_ns = q->arrival_ns;
        r->first_token_ns = q->first_token_ns;
        r->finish_ns = q->finish_ns;
        r->prompt_tokens = q->prompt;
        r->output_tokens = q->output;
        r->tokens_done = q->done;
        r->status = q->finish_ns >= 0 ? SIM_REQUEST_OK : SIM_REQUEST_INCOMPLETE;
        if (out->route_nodes) {
            r->route_off = q->route_off;
            r->route_len = q->route_len;
        }
    }
    for (int i = 0; i < w->n_nodes; i++)
        out->nodes[i] = w->nodes[i].rec;
    return SS_OK;
}

ss_status sim_run(const scn_scenario *s, const sim_run_opts *opts, sim_results *out, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    gsl_set_error_handler_off();
    world w = {.scn = s, .err = err, .errlen = errlen, .keep_routes = opts->keep_routes};
    ss_status st = build_world(&w, opts, err, errlen);
    if (st == SS_ENOMEM)
        ss_err(err, errlen, st, "%s: out of memory building the world", s->source_path);
    if (st == SS_OK && s->workload.n_requests > 0)
        schedule_next_arrival(&w);
    if (st == SS_OK) {
        sim_engine_run(w.eng, SIM_TIME_MAX);
        st = w.failure;
    }
    if (st == SS_OK && (st = collect(&w, out)) != SS_OK)
        ss_err(err, errlen, st, "%s: out of memory collecting results", s->source_path);
    if (st != SS_OK)
        sim_results_fini(out);
    world_fini(&w);
    return st;
}
