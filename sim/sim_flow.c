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
static void start_pass(world *w, int64_t ri);
static void ev_start_pass(sim_engine *e, void *ctx, uint64_t req, uint64_t b);
static void ev_relayed(sim_engine *e, void *ctx, uint64_t req, uint64_t b);
static ss_status grow_reqs(world *w);
static ss_status append_route(world *w, const route_hop *hops, int n, uint32_t *off);
static ss_status open_session(world *w, int64_t ri, const route_hop *hops, int n_hops);
static void ev_route_retry(sim_engine *e, void *ctx, uint64_t req, uint64_t b);
static void route_new(world *w, int64_t ri);
static void ev_pass_done(sim_engine *e, void *ctx, uint64_t req, uint64_t b);

/* Analytic bytes on the wire for n_tok activation rows of width `width`. */
double sim_w_act_bytes(world *w, int64_t n_tok, uint32_t width)
{
    if (w->cfg.synthetic)
        return n_tok > 0 ? w->cfg.scn->model.activation_bytes : 0;
    if (n_tok <= 0)
        return 0;
    uint64_t bytes = 0;
    if (comp_wire_bytes_max(&w->cfg.act_codec, (size_t)n_tok, width, &bytes) != SS_OK)
        return 4.0 * (double)n_tok * width; /* unreachable for the codecs checked at start */
    return (double)bytes;
}

uint32_t sim_w_width_in(world *w, const route_hop *h)
{
    return w->cfg.synthetic ? 0 : w->cfg.model->blocks[h->first_block].act_in_elems;
}

static uint32_t width_out(world *w, const route_hop *h)
{
    return w->cfg.synthetic ? 0 : w->cfg.model->blocks[h->end_block - 1].act_out_elems;
}

/* Arrival time of a transfer of `bytes` of request ri from `src` to `dst`
 * (node indices, -1 = the request's client) starting now: it waits for the
 * sender's uplink and the receiver's downlink to be free (FIFO), serialises
 * at the slower of the two, then propagates for half the regions' round
 * trip plus each endpoint's last mile plus jitter. A client direction
 * without a client.*link_mbps limit is unlimited and never queues (a fresh
 * unlimited NIC per transfer, as before the client had one). */
int64_t sim_w_transfer_arrival(world *w, int64_t ri, int src, int dst, double bytes)
{
    const scn_scenario *s = w->cfg.scn;
    int ra = src < 0 ? s->workload.client_region : w->nodes.at[src].region;
    int rb = dst < 0 ? s->workload.client_region : w->nodes.at[dst].region;
    double one_way_s = 0.5 * s->rtt_s[ra * s->n_regions + rb];
    if (s->jitter_ms.kind != SCN_DIST_CONST || s->jitter_ms.a > 0) {
        gsl_rng *r = src >= 0 ? w->nodes.at[src].jitter_rng : w->nodes.client_jitter_rng;
        double j = scn_dist_draw(r, &s->jitter_ms);
        if (j > 0)
            one_way_s += j / 1e3;
    }
    int64_t one_way = sim_w_s_to_ns(one_way_s) + (src >= 0 ? w->nodes.at[src].last_mile_ns : 0) +
                      (dst >= 0 ? w->nodes.at[dst].last_mile_ns : 0) +
                      (src < 0 || dst < 0 ? w->cfg.client_last_mile_ns : 0);
    uint64_t b = bytes > 0 ? (uint64_t)bytes : 0;
    if (src >= 0)
        w->nodes.at[src].rec.bytes_out += b;
    if (dst >= 0)
        w->nodes.at[dst].rec.bytes_in += b;
    sim_nic_dir unlimited = {.bytes_per_s = 1e18};
    sim_nic *cn = ri >= 0 ? &w->reqs.at[ri].client_nic : NULL;
    sim_nic_dir *up = src >= 0                         ? &w->nodes.at[src].nic.up
                      : cn && w->cfg.client_up_bps > 0 ? &cn->up
                                                       : &unlimited;
    sim_nic_dir *down = dst >= 0                           ? &w->nodes.at[dst].nic.down
                        : cn && w->cfg.client_down_bps > 0 ? &cn->down
                                                           : &unlimited;
    int64_t start, finish, now = sim_engine_now(w->run.eng);
    if (sim_nic_reserve(up, down, now, b, one_way, &start, &finish) != SS_OK)
        return INT64_MAX / 4; /* beyond any horizon: rates are checked positive at build */
    return finish;
}

/* Rows of the current pass and positions already cached before it. */
int sim_w_pass_rows(const world *w, int64_t ri)
{
    if (w->cfg.real)
        return real_session_pass_rows(w->sess.at[ri]);
    const req_state *q = &w->reqs.at[ri];
    return q->done == 0 ? q->prompt : 1;
}

int64_t sim_w_pass_ctx(const world *w, int64_t ri)
{
    if (w->cfg.real)
        return real_session_pass_pos(w->sess.at[ri]);
    const req_state *q = &w->reqs.at[ri];
    return q->done == 0 ? 0 : q->prompt + q->done - 1;
}

route_slot *sim_w_slot_of(world *w, int64_t ri, int hop)
{
    return &w->routes.slots[w->reqs.at[ri].route_off + (uint32_t)hop];
}

route_hop *sim_w_hop_of(world *w, int64_t ri, int hop)
{
    return &sim_w_slot_of(w, ri, hop)->hop;
}

int sim_w_node_of(world *w, int64_t ri, int hop)
{
    const route_hop *h = sim_w_hop_of(w, ri, hop);
    /* only a hop whose transfer was sent has a node, and sending binds it */
    assert(h->state == ROUTE_HOP_BOUND && "hop read before it was bound");
    return h->node;
}

void sim_w_finish_request(world *w, int64_t ri, sim_request_status status)
{
    req_state *q = &w->reqs.at[ri];
    for (uint32_t h = 0; h < q->route_len; h++)
        sim_w_release_kv(w, ri, (int)h);
    q->status = status;
    q->finished = 1;
    if (status == SIM_REQUEST_OK)
        q->finish_ns = sim_engine_now(w->run.eng);
    if (w->cfg.real) {
        real_session_destroy(w->sess.at[ri]);
        w->sess.at[ri] = NULL;
    }
    w->reqs.n_active--;
    if (q->user >= 0) { /* closed loop: this user thinks, then sends again */
        int64_t t = sim_workload_next(w->reqs.wl, sim_engine_now(w->run.eng));
        if (t >= 0) {
            w->reqs.pending_arrivals++;
            sim_w_schedule(w, t, sim_w_ev_arrival, (uint64_t)q->user + 1, 0);
        }
    }
    if (w->reqs.n_active == 0 && w->reqs.pending_arrivals == 0)
        sim_engine_stop(w->run.eng); /* nothing left but failures and recoveries */
}

static int node_idle(const node_state *n)
{
    return n->up && n->n_batch == 0 && sim_queue_empty(&n->compute_q) &&
           sim_queue_empty(&n->kv_q) && n->incoming == 0;
}

/* Late binding: bind the request's current hop to node ni and send it. */
static void bind_hop(world *w, int64_t ri, int ni)
{
    req_state *q = &w->reqs.at[ri];
    route_slot *slot = sim_w_slot_of(w, ri, q->hop);
    slot->hop.node = ni;
    slot->hop.state = ROUTE_HOP_BOUND;
    slot->epoch = w->nodes.at[ni].epoch;
    w->nodes.at[ni].incoming++;
    q->dispatched = 1;
    send_hop(w, ri);
}

/* The live replicas of hop h's span with no work, in id order, into
 * w->routes.idle; their count. The placeholder serves the span, so its
 * leader's group is the span's replicas. */
static int idle_replicas(world *w, const route_hop *h)
{
    node_state *l = &w->nodes.at[w->nodes.at[h->node].span_leader];
    int n = 0;
    for (int k = l->span_pos; k < l->span_end; k++)
        if (node_idle(&w->nodes.at[w->nodes.by_span[k]]))
            w->routes.idle[n++] = w->nodes.by_span[k];
    return n;
}

/* Late binding: the node the policy's dispatch() picks among the idle
 * replicas of the hop's span, or -1 (wait). */
static int dispatch_pick(world *w, int64_t ri, const route_hop *h)
{
    int n = idle_replicas(w, h);
    route_request req = sim_w_route_req(w, ri);
    int k = w->routes.ops->dispatch(w->routes.state, w->nodes.pview, &req, h, w->routes.idle, n);
    if (w->obs && k >= 0 && k < n)
        sim_w_obs_route(w, ri, SIM_OBS_DISPATCH, &(route_hop){w->routes.idle[k], h->first_block,
                                                               h->end_block, ROUTE_HOP_BOUND}, 1);
    if (k >= n) {
        sim_w_stop_with(w, SS_EINVAL, "routing policy's dispatch chose no idle replica");
        return -1;
    }
    return k < 0 ? -1 : w->routes.idle[k];
}

/* Send the current pass's input to hop q->hop; an unbound hop first goes
 * where the policy's dispatch() says, or waits in its span's FIFO. */
static void start_hop(world *w, int64_t ri)
{
    req_state *q = &w->reqs.at[ri];
    const route_hop *h = sim_w_hop_of(w, ri, q->hop);
    if (h->state == ROUTE_HOP_UNBOUND) {
        int ni = dispatch_pick(w, ri, h);
        if (ni >= 0) {
            bind_hop(w, ri, ni);
            return;
        }
        node_state *l = &w->nodes.at[w->nodes.at[h->node].span_leader];
        sim_queue_push(&l->span_q, w->reqs.next, ri);
        return;
    }
    send_hop(w, ri);
}

/* A node became idle: offer its span's idle replicas to the oldest session
 * waiting for the span, as the policy's dispatch() decides. */
void sim_w_pull_span_queue(world *w, int ni)
{
    node_state *n = &w->nodes.at[ni];
    node_state *l = &w->nodes.at[n->span_leader];
    if (!w->routes.ops->dispatch || !node_idle(n) || sim_queue_empty(&l->span_q))
        return;
    int64_t ri = sim_queue_first(&l->span_q);
    int pick = dispatch_pick(w, ri, sim_w_hop_of(w, ri, w->reqs.at[ri].hop));
    if (pick < 0)
        return;
    sim_queue_pop(&l->span_q, w->reqs.next);
    bind_hop(w, ri, pick);
}

route_request sim_w_route_req(const world *w, int64_t ri)
{
    const req_state *q = &w->reqs.at[ri];
    return (route_request){.id = (uint64_t)ri, .client_region = w->cfg.scn->workload.client_region,
                           .prompt_tokens = q->prompt, .output_tokens = q->output,
                           .now_ns = sim_engine_now(w->run.eng)};
}

void sim_w_observe(world *w, int64_t ri, int hop, route_hop_outcome outcome)
{
    sim_w_rep_observe(w, sim_w_hop_of(w, ri, hop)->node, outcome); /* announced reputation */
    if (!w->routes.ops->observe)
        return;
    const route_hop *h = sim_w_hop_of(w, ri, hop);
    int64_t now = sim_engine_now(w->run.eng);
    route_feedback fb = {.node = h->node, .first_block = h->first_block,
                         .end_block = h->end_block, .outcome = outcome,
                         .latency_ns = now - w->reqs.at[ri].hop_sent_ns, .now_ns = now};
    w->routes.ops->observe(w->routes.state, w->nodes.pview, &fb);
    if (w->obs) sim_w_obs_bans(w, h->node);
}

/* Bytes of hop `hop`'s input this pass: the pass's rows, plus the
 * positions its node replays (a new node after a reroute gets the stored
 * inputs, or the previous new hop's outputs of them, with the pass). */
static double hop_in_bytes(world *w, int64_t ri, int hop)
{
    const route_slot *slot = sim_w_slot_of(w, ri, hop);
    uint32_t width = sim_w_width_in(w, &slot->hop);
    double replay = sim_w_act_bytes(w, slot->replay_rows, width);
    if (w->cfg.real)
        return (double)w->reqs.at[ri].wire_bytes + replay;
    return sim_w_act_bytes(w, sim_w_pass_rows(w, ri), width) + replay;
}

void sim_w_send_hop(world *w, int64_t ri, int from_client)
{
    req_state *q = &w->reqs.at[ri];
    q->hop_sent_ns = sim_engine_now(w->run.eng);
    int src = from_client || w->cfg.relayed || q->hop == 0 ? -1 : sim_w_node_of(w, ri, q->hop - 1);
    int dst = sim_w_node_of(w, ri, q->hop);
    double bytes = hop_in_bytes(w, ri, q->hop);
    int64_t at = sim_w_transfer_arrival(w, ri, src, dst, bytes);
    if (w->obs) sim_w_obs_transfer(w, ri, q->hop, src, dst, bytes, at);
    sim_w_schedule(w, at, sim_w_ev_hop_arrive, (uint64_t)ri, 0);
}

static void send_hop(world *w, int64_t ri) { sim_w_send_hop(w, ri, 0); }

static ss_status grow_reqs(world *w)
{
    if (w->reqs.n_arrived < w->reqs.cap)
        return SS_OK;
    int64_t cap = w->reqs.cap ? w->reqs.cap * 2 : 1024;
    if (w->cfg.scn->workload.n_requests > 0 && cap > w->cfg.scn->workload.n_requests)
        cap = w->cfg.scn->workload.n_requests;
    if (cap <= w->reqs.n_arrived)
        cap = w->reqs.n_arrived + 1;
    req_state *r = ss_realloc(w->reqs.at, (size_t)cap * sizeof *r);
    if (!r)
        return SS_ENOMEM;
    w->reqs.at = r;
    int64_t *next = ss_realloc(w->reqs.next, (size_t)cap * sizeof *next);
    if (!next)
        return SS_ENOMEM;
    w->reqs.next = next;
    if (w->cfg.real) {
        real_session **p = ss_realloc(w->sess.at, (size_t)cap * sizeof *p);
        if (!p)
            return SS_ENOMEM;
        w->sess.at = p;
    }
    w->reqs.cap = cap;
    return SS_OK;
}

ss_status sim_w_reserve_slots(world *w, int n)
{
    if ((uint64_t)w->routes.n + (uint64_t)n > UINT32_MAX)
        return SS_EFULL;
    if (w->routes.n + (uint32_t)n > w->routes.cap) {
        uint64_t cap = w->routes.cap ? (uint64_t)w->routes.cap * 2 : 1024;
        while (cap < (uint64_t)w->routes.n + (uint64_t)n)
            cap *= 2;
        if (cap > UINT32_MAX)
            cap = UINT32_MAX;
        route_slot *p = ss_realloc(w->routes.slots, (size_t)cap * sizeof *p);
        if (!p)
            return SS_ENOMEM;
        w->routes.slots = p;
        w->routes.cap = (uint32_t)cap;
    }
    return SS_OK;
}

static ss_status append_route(world *w, const route_hop *hops, int n, uint32_t *off)
{
    ss_status st = sim_w_reserve_slots(w, n);
    if (st != SS_OK)
        return st;
    for (int i = 0; i < n; i++)
        w->routes.slots[w->routes.n + (uint32_t)i] = (route_slot){
            .hop = hops[i],
            .epoch = hops[i].state == ROUTE_HOP_BOUND ? w->nodes.at[hops[i].node].epoch : 0};
    *off = w->routes.n;
    w->routes.n += (uint32_t)n;
    return SS_OK;
}

/* Open loop: the next arrival after the one now (sim_workload.h). */
void sim_w_schedule_next_arrival(world *w, int64_t now)
{
    if (w->cfg.generate || sim_workload_users(w->reqs.wl) > 0)
        return;
    int64_t t = sim_workload_next(w->reqs.wl, now);
    if (t >= 0) {
        w->reqs.pending_arrivals++;
        sim_w_schedule(w, t, sim_w_ev_arrival, 0, 0);
    }
}

/* Real mode: the request's session, and the first pass's input. */
static ss_status open_session(world *w, int64_t ri, const route_hop *hops, int n_hops)
{
    req_state *q = &w->reqs.at[ri];
    const char *prompt = w->cfg.generate ? w->cfg.generate->prompt : NULL;
    int steps = w->cfg.generate ? w->cfg.generate->steps : q->prompt + q->output;
    real_session_cfg cfg = {.net = w->cfg.sm.net, .tok = w->cfg.sm.tok, .codec = w->cfg.act_codec,
                            .prompt = prompt,
                           .steps = steps, .out = w->cfg.generate ? w->cfg.generate->out : NULL,
                           .n_hops = n_hops, .hops = hops, .relayed = w->cfg.relayed};
    char e2[512];
    ss_status st = real_session_create(&cfg, &w->sess.at[ri], e2, sizeof e2);
    if (st == SS_OK)
        st = real_session_begin_pass(w->sess.at[ri], &q->wire_bytes, e2, sizeof e2);
    if (st != SS_OK) {
        char msg[700];
        snprintf(msg, sizeof msg, "request %lld: %s", (long long)ri, e2);
        sim_w_stop_with(w, st, msg);
        return st;
    }
    q->prompt = real_session_pass_rows(w->sess.at[ri]);
    q->output = steps;
    return SS_OK;
}

/* a: 0 for an open-loop arrival, user + 1 in a closed loop */
void sim_w_ev_arrival(sim_engine *e, void *ctx, uint64_t a, uint64_t b)
{
    world *w = ctx;
    (void)b;
    w->reqs.pending_arrivals--;
    ss_status st = grow_reqs(w);
    if (st != SS_OK) {
        sim_w_fail(w, st, "growing the request table");
        return;
    }
    int64_t ri = w->reqs.n_arrived++;
    w->reqs.n_active++;
    req_state *q = &w->reqs.at[ri];
    memset(q, 0, sizeof *q);
    q->arrival_ns = sim_engine_now(e);
    q->first_token_ns = q->finish_ns = -1;
    q->failed_at_ns = -1;
    sim_nic_init(&q->client_nic, w->cfg.client_up_bps, w->cfg.client_down_bps);
    w->reqs.next[ri] = -1;
    q->status = SIM_REQUEST_INCOMPLETE;
    q->user = (int64_t)a - 1;
    if (w->cfg.real)
        w->sess.at[ri] = NULL;
    q->truncated = sim_workload_tokens(w->reqs.wl, &q->prompt, &q->output);
    sim_w_schedule_next_arrival(w, sim_engine_now(e));
    route_new(w, ri);
}

static void ev_route_retry(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    (void)e;
    (void)b;
    route_new(ctx, (int64_t)req);
}

/* Choose the request's chain and send its first pass; with no live chain
 * now, retry with Petals' backoff (as sim_w_recover does) and fail the
 * request after MAX_RECOVERY_ATTEMPTS. */
static void route_new(world *w, int64_t ri)
{
    req_state *q = &w->reqs.at[ri];
    int n_hops = 0;
    char rerr[256];
    route_request req = sim_w_route_req(w, ri);
    ss_status st = w->routes.ops->route(w->routes.state, w->nodes.pview, &req, w->routes.scratch,
                                        MAX_HOPS, &n_hops, rerr, sizeof rerr);
    if (st == SS_ENOTFOUND) {
        if (++q->retries >= MAX_RECOVERY_ATTEMPTS) {
            sim_w_finish_request(w, ri, SIM_REQUEST_FAILED);
            return;
        }
        int64_t delay = sim_w_s_to_ns(sim_w_retry_delay_s(q->retries - 1));
        sim_w_schedule(w, sim_engine_now(w->run.eng) + delay, ev_route_retry, (uint64_t)ri, 0);
        return;
    }
    if (st != SS_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "routing request %lld: %s", (long long)ri, rerr);
        sim_w_stop_with(w, st, msg);
        return;
    }
    if ((st = append_route(w, w->routes.scratch, n_hops, &q->route_off)) != SS_OK) {
        sim_w_fail(w, st, "storing a route");
        return;
    }
    q->route_len = (uint32_t)n_hops;
    q->first_hops = n_hops;
    if (w->obs) sim_w_obs_route(w, ri, SIM_OBS_ROUTE, w->routes.scratch, n_hops);
    if (w->cfg.real && open_session(w, ri, w->routes.scratch, n_hops) != SS_OK)
        return;
    start_pass(w, ri);
}

/* The client embeds the pass's tokens on its device (client.device), then
 * sends the input to the first hop. Without a client device no event is
 * added: runs without one keep their event counts. */
static void start_pass(world *w, int64_t ri)
{
    int64_t embed = sim_w_client_embed_ns(w, ri);
    if (embed > 0) {
        sim_w_schedule(w, sim_engine_now(w->run.eng) + embed, ev_start_pass, (uint64_t)ri, 0);
        return;
    }
    start_hop(w, ri);
}

static void ev_start_pass(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    (void)e;
    (void)b;
    start_hop(ctx, (int64_t)req);
}

/* "client-relayed": the output of hop q->hop reached the client, which
 * sends it on to the next hop (in real mode decoded and encoded again: the
 * codec applies on each crossing). */
static void ev_relayed(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    world *w = ctx;
    (void)e;
    (void)b;
    int64_t ri = (int64_t)req;
    req_state *q = &w->reqs.at[ri];
    if (w->cfg.real) {
        char e2[512];
        ss_status st = real_session_relay(w->sess.at[ri], q->hop, &q->wire_bytes, e2, sizeof e2);
        if (st != SS_OK) {
            char msg[700];
            snprintf(msg, sizeof msg, "request %lld: %s", (long long)ri, e2);
            sim_w_stop_with(w, st, msg);
            return;
        }
    }
    q->hop++;
    start_hop(w, ri);
}

void sim_w_ev_hop_arrive(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    world *w = ctx;
    (void)e;
    (void)b;
    int64_t ri = (int64_t)req;
    req_state *q = &w->reqs.at[ri];
    int ni = sim_w_node_of(w, ri, q->hop);
    node_state *n = &w->nodes.at[ni];
    if (q->dispatched) {
        q->dispatched = 0;
        n->incoming--;
    }
    /* A dead node, or one that died and came back without this session's
     * cache (or moved to other blocks), is found out on contact. */
    if (!n->up || sim_w_slot_of(w, ri, q->hop)->epoch != n->epoch ||
        !sim_w_serves(w, ni, sim_w_hop_of(w, ri, q->hop))) {
        if (!n->up)
            q->dead_sends++;
        sim_w_recover(w, ri, q->hop);
        return;
    }
    /* network.transfer_failure_p (Petals' Table 1): the activation sent to
     * this server fails; the server drops the session (its cache here is
     * lost) and the client recovers as from a failed server. One draw per
     * arrival, and none without the field, so other runs keep their streams. */
    double p_fail = w->cfg.scn->transfer_failure_p;
    if (p_fail > 0 && gsl_rng_uniform(w->nodes.xfer_fail_rng) < p_fail) {
        sim_w_recover(w, ri, q->hop);
        return;
    }
    if (w->trust.on && sim_trust_drop(w, ri, ni))
        return;
    if (q->failed_at_ns >= 0) { /* the recovery is over: the input reached a live node */
        q->recovery_ns += sim_engine_now(e) - q->failed_at_ns;
        q->failed_at_ns = -1;
    }
    if (w->obs) sim_w_obs_arrived(w, ri);
    if (sim_w_admit_kv(w, ri))
        sim_w_admitted(w, ri);
}

/* One batch member's pass moves on from hop q->hop at node ni. */
int sim_w_continue_after_compute(world *w, int ni, int64_t ri)
{
    req_state *q = &w->reqs.at[ri];
    q->fail_streak = 0;
    route_hop_outcome oc = ROUTE_HOP_OK;
    if (w->trust.on && sim_trust_step(w, ni, ri, &oc) < 0) /* in real mode it computes too */
        return -1;
    sim_w_observe(w, ri, q->hop, oc);
    if (w->cfg.real && !w->trust.on) {
        /* the real forward pass of this span, on this node's cache */
        char e2[512];
        ss_status st = real_session_compute(w->sess.at[ri], q->hop, &q->wire_bytes, e2, sizeof e2);
        if (st != SS_OK) {
            char msg[700];
            snprintf(msg, sizeof msg, "request %lld, node %s: %s", (long long)ri,
                     w->nodes.at[ni].rec.name, e2);
            sim_w_stop_with(w, st, msg);
            return -1;
        }
    }
    const route_hop *h = sim_w_hop_of(w, ri, q->hop);
    int last = (uint32_t)q->hop + 1 >= q->route_len;
    if (!last && !w->cfg.relayed) {
        q->hop++;
        start_hop(w, ri);
        return 0;
    }
    /* back to the client: the pass's output, plus the outputs of replayed
     * positions when the next hop is a new node that needs them */
    int replay_next = last ? 0 : sim_w_slot_of(w, ri, q->hop + 1)->replay_rows;
    double bytes = (w->cfg.real ? (double)q->wire_bytes
                                : sim_w_act_bytes(w, sim_w_pass_rows(w, ri), width_out(w, h))) +
                   sim_w_act_bytes(w, replay_next, width_out(w, h));
    int64_t at = sim_w_transfer_arrival(w, ri, ni, -1, bytes);
    if (w->obs) sim_w_obs_transfer(w, ri, q->hop + 1, ni, -1, bytes, at);
    if (last) /* the client's LM head on its device, then the token */
        sim_w_schedule(w, at + sim_w_client_head_ns(w), ev_pass_done, (uint64_t)ri, 0);
    else
        sim_w_schedule(w, at, ev_relayed, (uint64_t)ri, 0);
    return 0;
}

static void ev_pass_done(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    world *w = ctx;
    (void)b;
    int64_t ri = (int64_t)req;
    req_state *q = &w->reqs.at[ri];
    int64_t now = sim_engine_now(e);
    if (q->done == 0)
        q->first_token_ns = now;
    q->done++;
    if (w->trust.on)
        sim_trust_token(w, ri);
    int over;
    if (w->cfg.real) {
        char e2[512];
        ss_status st = real_session_end_pass(w->sess.at[ri], e2, sizeof e2);
        if (st != SS_OK) {
            char msg[700];
            snprintf(msg, sizeof msg, "request %lld: %s", (long long)ri, e2);
            sim_w_stop_with(w, st, msg);
            return;
        }
        over = real_session_done(w->sess.at[ri]);
        if (!over && (st = real_session_begin_pass(w->sess.at[ri], &q->wire_bytes, e2,
                                                   sizeof e2)) != SS_OK) {
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
    start_pass(w, ri);
}
