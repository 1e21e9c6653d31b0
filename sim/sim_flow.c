/* sim_flow.c - a request through the network: arrival, routing, hops,
 * transfers over FIFO NICs, late binding, passes and tokens at the client. */
#include "sim_run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static uint32_t width_out(world *w, const route_hop *h);
static int node_idle(const node_state *n);
static void bind_hop(world *w, int64_t ri, int ni);
static void start_hop(world *w, int64_t ri);
static void send_hop(world *w, int64_t ri);
static ss_status grow_reqs(world *w);
static ss_status append_route(world *w, const route_hop *hops, int n, uint32_t *off);
static ss_status open_session(world *w, int64_t ri, const route_hop *hops, int n_hops);
static void ev_route_retry(sim_engine *e, void *ctx, uint64_t req, uint64_t b);
static void route_request(world *w, int64_t ri);
static void ev_pass_done(sim_engine *e, void *ctx, uint64_t req, uint64_t b);

/* Analytic bytes on the wire for n_tok activation rows of width `width`. */
double sim_w_act_bytes(world *w, int64_t n_tok, uint32_t width)
{
    if (w->synthetic)
        return n_tok > 0 ? w->scn->model.activation_bytes : 0;
    if (n_tok <= 0)
        return 0;
    uint64_t bytes = 0;
    if (comp_wire_bytes_max(&w->act_codec, (size_t)n_tok, width, &bytes) != SS_OK)
        return 4.0 * (double)n_tok * width; /* unreachable for the codecs checked at start */
    return (double)bytes;
}

uint32_t sim_w_width_in(world *w, const route_hop *h)
{
    return w->synthetic ? 0 : w->model->blocks[h->first_block].act_in_elems;
}

static uint32_t width_out(world *w, const route_hop *h)
{
    return w->synthetic ? 0 : w->model->blocks[h->end_block - 1].act_out_elems;
}

/* Arrival time of a transfer of `bytes` from `src` to `dst` (node
 * indices, -1 = the client) starting now: it waits for the sender's uplink
 * and the receiver's downlink to be free (FIFO), serialises at the slower
 * of the two, then propagates for half the regions' round trip plus each
 * endpoint's last mile plus jitter. The client has no NIC limit. */
int64_t sim_w_transfer_arrival(world *w, int src, int dst, double bytes)
{
    const scn_scenario *s = w->scn;
    int ra = src < 0 ? s->workload.client_region : w->nodes[src].region;
    int rb = dst < 0 ? s->workload.client_region : w->nodes[dst].region;
    double one_way_s = 0.5 * s->rtt_s[ra * s->n_regions + rb];
    if (s->jitter_ms.kind != SCN_DIST_CONST || s->jitter_ms.a > 0) {
        gsl_rng *r = src >= 0 ? w->nodes[src].jitter_rng : w->client_jitter_rng;
        double j = scn_dist_draw(r, &s->jitter_ms);
        if (j > 0)
            one_way_s += j / 1e3;
    }
    int64_t one_way = sim_w_s_to_ns(one_way_s) + (src >= 0 ? w->nodes[src].last_mile_ns : 0) +
                      (dst >= 0 ? w->nodes[dst].last_mile_ns : 0);
    uint64_t b = bytes > 0 ? (uint64_t)bytes : 0;
    if (src >= 0)
        w->nodes[src].rec.bytes_out += b;
    if (dst >= 0)
        w->nodes[dst].rec.bytes_in += b;
    sim_nic_dir unlimited = {.bytes_per_s = 1e18};
    sim_nic_dir *up = src >= 0 ? &w->nodes[src].nic.up : &unlimited;
    sim_nic_dir *down = dst >= 0 ? &w->nodes[dst].nic.down : &unlimited;
    int64_t start, finish, now = sim_engine_now(w->eng);
    if (sim_nic_reserve(up, down, now, b, one_way, &start, &finish) != SS_OK)
        return INT64_MAX / 4; /* beyond any horizon: rates are checked positive at build */
    return finish;
}

/* Rows of the current pass and positions already cached before it. */
int sim_w_pass_rows(const world *w, int64_t ri)
{
    if (w->real)
        return real_session_pass_rows(w->sess[ri]);
    const req_state *q = &w->reqs[ri];
    return q->done == 0 ? q->prompt : 1;
}

int64_t sim_w_pass_ctx(const world *w, int64_t ri)
{
    if (w->real)
        return real_session_pass_pos(w->sess[ri]);
    const req_state *q = &w->reqs[ri];
    return q->done == 0 ? 0 : q->prompt + q->done - 1;
}

route_slot *sim_w_slot_of(world *w, int64_t ri, int hop)
{
    return &w->route_slots[w->reqs[ri].route_off + (uint32_t)hop];
}

route_hop *sim_w_hop_of(world *w, int64_t ri, int hop)
{
    return &sim_w_slot_of(w, ri, hop)->hop;
}

void sim_w_finish_request(world *w, int64_t ri, sim_request_status status)
{
    req_state *q = &w->reqs[ri];
    for (uint32_t h = 0; h < q->route_len; h++)
        sim_w_release_kv(w, ri, (int)h);
    q->status = status;
    q->finished = 1;
    if (status == SIM_REQUEST_OK)
        q->finish_ns = sim_engine_now(w->eng);
    if (w->real) {
        real_session_destroy(w->sess[ri]);
        w->sess[ri] = NULL;
    }
    w->n_active--;
    if (q->user >= 0) { /* closed loop: this user thinks, then sends again */
        int64_t t = sim_workload_next(w->wl, sim_engine_now(w->eng));
        if (t >= 0) {
            w->pending_arrivals++;
            sim_w_schedule(w, t, sim_w_ev_arrival, (uint64_t)q->user + 1, 0);
        }
    }
    if (w->n_active == 0 && w->pending_arrivals == 0)
        sim_engine_stop(w->eng); /* nothing left but failures and recoveries */
}

static int node_idle(const node_state *n)
{
    return n->up && n->n_batch == 0 && sim_queue_empty(&n->compute_q) && sim_queue_empty(&n->kv_q) &&
           n->incoming == 0;
}

/* Late binding: bind the request's current hop to node ni and send it. */
static void bind_hop(world *w, int64_t ri, int ni)
{
    req_state *q = &w->reqs[ri];
    route_slot *slot = sim_w_slot_of(w, ri, q->hop);
    slot->hop.node = ni;
    slot->epoch = w->nodes[ni].epoch;
    w->nodes[ni].incoming++;
    q->dispatched = 1;
    send_hop(w, ri);
}

/* Send the current pass's input to hop q->hop; with late binding an unbound
 * hop first goes to an idle replica, or waits in its span's FIFO. */
static void start_hop(world *w, int64_t ri)
{
    req_state *q = &w->reqs[ri];
    const route_hop *h = sim_w_hop_of(w, ri, q->hop);
    if (h->node < 0) {
        /* an unbound hop holds -1 - (its span's leader): the replicas are
         * the leader's group, scanned in id order */
        node_state *l = &w->nodes[-1 - h->node];
        for (int k = l->span_pos; k < l->span_end; k++)
            if (node_idle(&w->nodes[w->by_span[k]])) {
                bind_hop(w, ri, w->by_span[k]);
                return;
            }
        sim_queue_push(&l->span_q, w->queue_next, ri);
        return;
    }
    send_hop(w, ri);
}

/* A node became idle: take the oldest session waiting for its span. */
void sim_w_pull_span_queue(world *w, int ni)
{
    node_state *n = &w->nodes[ni];
    node_state *l = &w->nodes[n->span_leader];
    if (!w->routing->late_binding || !node_idle(n) || sim_queue_empty(&l->span_q))
        return;
    bind_hop(w, sim_queue_pop(&l->span_q, w->queue_next), ni);
}

static void send_hop(world *w, int64_t ri)
{
    req_state *q = &w->reqs[ri];
    const route_hop *h = sim_w_hop_of(w, ri, q->hop);
    int src = q->hop == 0 ? -1 : sim_w_hop_of(w, ri, q->hop - 1)->node;
    double bytes = w->real ? (double)q->wire_bytes : sim_w_act_bytes(w, sim_w_pass_rows(w, ri), sim_w_width_in(w, h));
    sim_w_schedule(w, sim_w_transfer_arrival(w, src, h->node, bytes), sim_w_ev_hop_arrive, (uint64_t)ri, 0);
}

static ss_status grow_reqs(world *w)
{
    if (w->n_arrived < w->cap_reqs)
        return SS_OK;
    int64_t cap = w->cap_reqs ? w->cap_reqs * 2 : 1024;
    if (w->scn->workload.n_requests > 0 && cap > w->scn->workload.n_requests)
        cap = w->scn->workload.n_requests;
    if (cap <= w->n_arrived)
        cap = w->n_arrived + 1;
    req_state *r = ss_realloc(w->reqs, (size_t)cap * sizeof *r);
    if (!r)
        return SS_ENOMEM;
    w->reqs = r;
    int64_t *next = ss_realloc(w->queue_next, (size_t)cap * sizeof *next);
    if (!next)
        return SS_ENOMEM;
    w->queue_next = next;
    if (w->real) {
        real_session **p = ss_realloc(w->sess, (size_t)cap * sizeof *p);
        if (!p)
            return SS_ENOMEM;
        w->sess = p;
    }
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
        route_slot *p = ss_realloc(w->route_slots, (size_t)cap * sizeof *p);
        if (!p)
            return SS_ENOMEM;
        w->route_slots = p;
        w->cap_route = (uint32_t)cap;
    }
    for (int i = 0; i < n; i++)
        w->route_slots[w->n_route + (uint32_t)i] = (route_slot){
            .hop = hops[i], .epoch = hops[i].node >= 0 ? w->nodes[hops[i].node].epoch : 0};
    *off = w->n_route;
    w->n_route += (uint32_t)n;
    return SS_OK;
}

/* Open loop: the next arrival after the one now (sim_workload.h). */
void sim_w_schedule_next_arrival(world *w, int64_t now)
{
    if (w->generate || sim_workload_users(w->wl) > 0)
        return;
    int64_t t = sim_workload_next(w->wl, now);
    if (t >= 0) {
        w->pending_arrivals++;
        sim_w_schedule(w, t, sim_w_ev_arrival, 0, 0);
    }
}

/* Real mode: the request's session, and the first pass's input. */
static ss_status open_session(world *w, int64_t ri, const route_hop *hops, int n_hops)
{
    req_state *q = &w->reqs[ri];
    const char *prompt = w->generate ? w->generate->prompt : NULL;
    int steps = w->generate ? w->generate->steps : q->prompt + q->output;
    real_session_cfg cfg = {.net = w->sm.net, .tok = w->sm.tok, .codec = w->act_codec, .prompt = prompt,
                           .steps = steps, .out = w->generate ? w->generate->out : NULL,
                           .n_hops = n_hops, .hops = hops};
    char e2[512];
    ss_status st = real_session_create(&cfg, &w->sess[ri], e2, sizeof e2);
    if (st == SS_OK)
        st = real_session_begin_pass(w->sess[ri], &q->wire_bytes, e2, sizeof e2);
    if (st != SS_OK) {
        char msg[700];
        snprintf(msg, sizeof msg, "request %lld: %s", (long long)ri, e2);
        sim_w_stop_with(w, st, msg);
        return st;
    }
    q->prompt = real_session_pass_rows(w->sess[ri]);
    q->output = steps;
    return SS_OK;
}

/* a: 0 for an open-loop arrival, user + 1 in a closed loop */
void sim_w_ev_arrival(sim_engine *e, void *ctx, uint64_t a, uint64_t b)
{
    world *w = ctx;
    (void)b;
    w->pending_arrivals--;
    ss_status st = grow_reqs(w);
    if (st != SS_OK) {
        sim_w_fail(w, st, "growing the request table");
        return;
    }
    int64_t ri = w->n_arrived++;
    w->n_active++;
    req_state *q = &w->reqs[ri];
    memset(q, 0, sizeof *q);
    q->arrival_ns = sim_engine_now(e);
    q->first_token_ns = q->finish_ns = -1;
    w->queue_next[ri] = -1;
    q->status = SIM_REQUEST_INCOMPLETE;
    q->user = (int64_t)a - 1;
    if (w->real)
        w->sess[ri] = NULL;
    sim_workload_tokens(w->wl, &q->prompt, &q->output);
    sim_w_schedule_next_arrival(w, sim_engine_now(e));
    route_request(w, ri);
}

static void ev_route_retry(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    (void)e;
    (void)b;
    route_request(ctx, (int64_t)req);
}

/* Choose the request's chain and send its first pass; with no live chain
 * now, retry with Petals' backoff (as sim_w_recover does) and sim_w_fail after
 * MAX_RECOVERY_ATTEMPTS. */
static void route_request(world *w, int64_t ri)
{
    req_state *q = &w->reqs[ri];
    int n_hops = 0;
    char rerr[256];
    ss_status st = w->routing->choose(w->routing_state, &w->view, (uint64_t)ri, w->scratch_hops,
                                      MAX_HOPS, &n_hops, rerr, sizeof rerr);
    if (st == SS_ENOTFOUND) {
        if (++q->retries >= MAX_RECOVERY_ATTEMPTS) {
            sim_w_finish_request(w, ri, SIM_REQUEST_FAILED);
            return;
        }
        sim_w_schedule(w, sim_engine_now(w->eng) + sim_w_s_to_ns(sim_w_retry_delay_s(q->retries - 1)),
                 ev_route_retry, (uint64_t)ri, 0);
        return;
    }
    if (st != SS_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "routing request %lld: %s", (long long)ri, rerr);
        sim_w_stop_with(w, st, msg);
        return;
    }
    if (w->routing->late_binding)
        for (int h = 0; h < n_hops; h++)
            w->scratch_hops[h].node = -1 - w->nodes[w->scratch_hops[h].node].span_leader;
    if ((st = append_route(w, w->scratch_hops, n_hops, &q->route_off)) != SS_OK) {
        sim_w_fail(w, st, "storing a route");
        return;
    }
    q->route_len = (uint32_t)n_hops;
    if (w->real && open_session(w, ri, w->scratch_hops, n_hops) != SS_OK)
        return;
    start_hop(w, ri);
}

void sim_w_ev_hop_arrive(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    world *w = ctx;
    (void)e;
    (void)b;
    int64_t ri = (int64_t)req;
    req_state *q = &w->reqs[ri];
    int ni = sim_w_hop_of(w, ri, q->hop)->node;
    node_state *n = &w->nodes[ni];
    if (q->dispatched) {
        q->dispatched = 0;
        n->incoming--;
    }
    /* A dead node, or one that died and came back without this session's
     * cache, is found out on contact. */
    if (!n->up || sim_w_slot_of(w, ri, q->hop)->epoch != n->epoch) {
        sim_w_recover(w, ri, q->hop);
        return;
    }
    if (sim_w_admit_kv(w, ri))
        sim_w_admitted(w, ri);
}

/* One batch member's pass moves on from hop q->hop at node ni. */
int sim_w_continue_after_compute(world *w, int ni, int64_t ri)
{
    req_state *q = &w->reqs[ri];
    if (w->real) {
        /* the real forward pass of this span, on this node's cache */
        char e2[512];
        ss_status st = real_session_compute(w->sess[ri], q->hop, &q->wire_bytes, e2, sizeof e2);
        if (st != SS_OK) {
            char msg[700];
            snprintf(msg, sizeof msg, "request %lld, node %s: %s", (long long)ri,
                     w->nodes[ni].rec.name, e2);
            sim_w_stop_with(w, st, msg);
            return -1;
        }
    }
    if ((uint32_t)q->hop + 1 < q->route_len) {
        q->hop++;
        start_hop(w, ri);
    } else {
        const route_hop *h = sim_w_hop_of(w, ri, q->hop);
        double bytes = w->real ? (double)q->wire_bytes : sim_w_act_bytes(w, sim_w_pass_rows(w, ri), width_out(w, h));
        sim_w_schedule(w, sim_w_transfer_arrival(w, ni, -1, bytes), ev_pass_done, (uint64_t)ri, 0);
    }
    return 0;
}

static void ev_pass_done(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    world *w = ctx;
    (void)b;
    int64_t ri = (int64_t)req;
    req_state *q = &w->reqs[ri];
    int64_t now = sim_engine_now(e);
    if (q->done == 0)
        q->first_token_ns = now;
    q->done++;
    int over;
    if (w->real) {
        char e2[512];
        ss_status st = real_session_end_pass(w->sess[ri], e2, sizeof e2);
        if (st != SS_OK) {
            char msg[700];
            snprintf(msg, sizeof msg, "request %lld: %s", (long long)ri, e2);
            sim_w_stop_with(w, st, msg);
            return;
        }
        over = real_session_done(w->sess[ri]);
        if (!over && (st = real_session_begin_pass(w->sess[ri], &q->wire_bytes, e2, sizeof e2)) !=
                         SS_OK) {
            sim_w_stop_with(w, st, e2);
            return;
        }
    } else {
        over = q->done >= q->output;
    }
    if (over) {
        sim_w_finish_request(w, ri, SIM_REQUEST_OK);
        return;
    }
    q->hop = 0;
    start_hop(w, ri);
}
