/* sim_faults.c - nodes failing and coming back (scheduled outages, churn
 * processes and traces), straggler episodes, and the sessions' recovery with
 * Petals' backoff and replay. */
#include "sim_run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void ev_retry(sim_engine *e, void *ctx, uint64_t req, uint64_t hop);
static void node_down(world *w, int ni);
static void node_up(world *w, int ni);

/* Petals' client backoff before attempt k + 1 (k = 0, 1, ...): 0, 1, 2, 4,
 * ... seconds, at most MAX_RETRY_DELAY_S. */
double sim_w_retry_delay_s(int k)
{
    if (k <= 0)
        return 0;
    return k > 7 ? MAX_RETRY_DELAY_S : fmin(MAX_RETRY_DELAY_S, ldexp(1, k - 1));
}

/* Does the policy's answer tile the failed hop's range with bound hops on
 * existing nodes? A policy bug otherwise: the run stops with the reason. */
static ss_status check_chain(const world *w, const route_hop *failed, const route_hop *to, int n,
                             char *err, size_t errlen)
{
    int b = failed->first_block;
    for (int k = 0; k < n; k++) {
        if (to[k].first_block != b || to[k].end_block <= b || to[k].node < 0 ||
            to[k].node >= w->nodes.n || to[k].state != ROUTE_HOP_BOUND)
            return ss_err(err, errlen, SS_EINVAL,
                          "routing policy \"%s\" rerouted blocks [%d, %d) into a chain whose "
                          "hop %d (node %d, blocks [%d, %d)) does not continue it",
                          w->routes.ops->name, failed->first_block, failed->end_block, k,
                          to[k].node, to[k].first_block, to[k].end_block);
        b = to[k].end_block;
    }
    if (n < 1 || b != failed->end_block)
        return ss_err(err, errlen, SS_EINVAL,
                      "routing policy \"%s\" rerouted blocks [%d, %d) into %d hops ending at "
                      "block %d",
                      w->routes.ops->name, failed->first_block, failed->end_block, n, b);
    return SS_OK;
}

/* The request's route becomes prefix + to[0 .. n) + suffix, stored as a
 * new run of slots (the old one stays behind, unreferenced): the prefix and
 * suffix keep their nodes, epochs and KV reservations; each new hop is
 * bound to its node's current epoch, holds no KV yet (it reserves on
 * arrival) and replays `replay` positions before its next pass. */
static ss_status splice_route(world *w, int64_t ri, int hop, const route_hop *to, int n,
                              int replay)
{
    req_state *q = &w->reqs.at[ri];
    uint32_t len = q->route_len - 1 + (uint32_t)n;
    ss_status st = sim_w_reserve_slots(w, (int)len);
    if (st != SS_OK)
        return st;
    route_slot *dst = &w->routes.slots[w->routes.n];
    const route_slot *src = &w->routes.slots[q->route_off];
    memcpy(dst, src, (size_t)hop * sizeof *dst);
    for (int k = 0; k < n; k++)
        dst[hop + k] = (route_slot){.hop = to[k], .epoch = w->nodes.at[to[k].node].epoch,
                                    .replay_rows = replay};
    memcpy(dst + hop + n, src + hop + 1, (size_t)(q->route_len - (uint32_t)hop - 1) * sizeof *dst);
    q->route_off = w->routes.n;
    q->route_len = len;
    w->routes.n += len;
    return SS_OK;
}

/* Hop `hop` of request ri needs a node (its own failed or lost the
 * session's cache): ask the policy's reroute() for the failed range; with
 * none live now, retry with Petals' backoff; else put the answer in the
 * hop's place (one hop: the slot is moved in place; a longer chain is
 * spliced into the route), rebuild the session's cache on every new node
 * by replaying its stored inputs (each costed as a prefill of the
 * positions before the current pass, sim_node.c), and resend the current
 * input, with the stored inputs, from the client to the first new hop. */
static void reroute_hop(world *w, int64_t ri, int hop)
{
    req_state *q = &w->reqs.at[ri];
    route_hop *h = sim_w_hop_of(w, ri, hop);
    route_request req = sim_w_route_req(w, ri);
    int n = 0;
    char rerr[256];
    ss_status st = w->routes.ops->reroute(w->routes.state, w->nodes.pview, &req, h,
                                          w->routes.scratch, MAX_HOPS, &n, rerr, sizeof rerr);
    q->retries++;
    if (st == SS_ENOTFOUND) {
        if (q->retries >= MAX_RECOVERY_ATTEMPTS) {
            sim_w_finish_request(w, ri, SIM_REQUEST_FAILED);
            return;
        }
        int64_t delay = sim_w_s_to_ns(sim_w_retry_delay_s(q->retries - 1));
        sim_w_schedule(w, sim_engine_now(w->run.eng) + delay, ev_retry, (uint64_t)ri,
                       (uint64_t)hop);
        return;
    }
    const route_hop *to = w->routes.scratch;
    if (st == SS_OK)
        st = check_chain(w, h, to, n, rerr, sizeof rerr);
    if (st != SS_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "rerouting request %lld: %s", (long long)ri, rerr);
        sim_w_stop_with(w, st, msg);
        return;
    }
    sim_w_release_kv(w, ri, hop);
    int replay = (int)sim_w_pass_ctx(w, ri);
    if (w->cfg.real) {
        char e2[256];
        st = n == 1 ? real_session_replace_hop(w->sess.at[ri], hop, &replay, e2, sizeof e2)
                    : real_session_splice(w->sess.at[ri], hop, to, n, &replay, e2, sizeof e2);
        if (st != SS_OK) {
            char msg[400];
            snprintf(msg, sizeof msg, "request %lld: %s", (long long)ri, e2);
            sim_w_stop_with(w, st, msg);
            return;
        }
    }
    if (n == 1) {
        route_slot *slot = sim_w_slot_of(w, ri, hop);
        slot->hop.node = to->node;
        slot->epoch = w->nodes.at[to->node].epoch;
        slot->replay_rows = replay;
    } else if ((st = splice_route(w, ri, hop, to, n, replay)) != SS_OK) {
        sim_w_fail(w, st, "storing a rerouted chain");
        return;
    }
    q->recomputed += (int64_t)replay * n;
    if (w->obs) sim_w_obs_route(w, ri, SIM_OBS_REROUTE, to, n);
    sim_w_send_hop(w, ri, 1);
}

/* The node of hop `hop` failed (or lost this session's cache): the policy
 * hears of it, then the hop is rerouted: at once after its first failure,
 * after Petals' backoff 1, 2, 4 ... <= 60 s after each further one in a row
 * (client/inference_session.py: sleep(get_retry_delay(attempt_no)) between
 * attempts; a success resets attempt_no). With the truth as the view a
 * rerouted hop rarely fails again; with announced records a dead node stays
 * routable until its record expires, and the backoff paces the attempts.
 * A hop that fails MAX_RECOVERY_ATTEMPTS times in a row fails its request. */
void sim_w_recover(world *w, int64_t ri, int hop)
{
    req_state *q = &w->reqs.at[ri];
    sim_w_observe(w, ri, hop, ROUTE_HOP_FAILED);
    if (q->failed_at_ns < 0)
        q->failed_at_ns = sim_engine_now(w->run.eng);
    int k = q->fail_streak++;
    if (k == 0) {
        reroute_hop(w, ri, hop);
        return;
    }
    if (q->fail_streak >= MAX_RECOVERY_ATTEMPTS) {
        sim_w_finish_request(w, ri, SIM_REQUEST_FAILED);
        return;
    }
    sim_w_schedule(w, sim_engine_now(w->run.eng) + sim_w_s_to_ns(sim_w_retry_delay_s(k)),
                   ev_retry, (uint64_t)ri, (uint64_t)hop);
}

static void ev_retry(sim_engine *e, void *ctx, uint64_t req, uint64_t hop)
{
    (void)e;
    reroute_hop(ctx, (int64_t)req, (int)hop);
}

static void node_down(world *w, int ni)
{
    sim_engine *e = w->run.eng;
    node_state *n = &w->nodes.at[ni];
    sim_w_rebal_on_down(w, ni); /* a weight download in progress stops */
    if (!n->up)
        return;
    n->up = 0;
    n->down_since_ns = sim_engine_now(e);
    w->nodes.views[ni].up = 0;
    n->epoch++;
    n->rec.failures++;
    /* Work in progress and waiting work are lost; their sessions recover
     * elsewhere (sim_w_recover). */
    if (w->obs) sim_w_obs_down(w, ni);
    int64_t *lost = n->batch;
    int n_lost = n->n_batch;
    if (n_lost > 0) {
        sim_engine_cancel(e, n->running_ev);
        n->rec.busy_ns -= n->running_end_ns - sim_engine_now(e);
        n->batch = n->batch_spare; /* recoveries may not touch `lost` */
        n->batch_spare = lost;
        n->n_batch = 0;
    }
    /* detach both lines first: recoveries may queue elsewhere, never here
     * (the node is down), and each member is popped before it recovers */
    sim_queue waiting = n->compute_q, kv_waiting = n->kv_q;
    sim_queue_init(&n->compute_q);
    sim_queue_init(&n->kv_q);
    n->kv_used = 0; /* every cache on the node is gone */
    sim_w_view_kv(w, ni);
    for (int i = 0; i < n_lost; i++)
        sim_w_recover(w, lost[i], w->reqs.at[lost[i]].hop);
    for (int64_t ri; (ri = sim_queue_pop(&waiting, w->reqs.next)) >= 0;)
        sim_w_recover(w, ri, w->reqs.at[ri].hop);
    for (int64_t ri; (ri = sim_queue_pop(&kv_waiting, w->reqs.next)) >= 0;) {
        sim_engine_cancel(e, w->reqs.at[ri].kv_wait_ev);
        sim_w_recover(w, ri, w->reqs.at[ri].hop);
    }
}

static void node_up(world *w, int ni)
{
    node_state *n = &w->nodes.at[ni];
    if (n->up || sim_w_rebal_on_up(w, ni)) /* placement petals: it may load a new span first */
        return;
    n->up = 1;
    n->rec.down_ns += sim_engine_now(w->run.eng) - n->down_since_ns;
    w->nodes.views[ni].up = 1;
    if (w->obs) sim_w_obs_node(w, ni, SIM_OBS_UP, -1, 0);
    sim_w_pull_span_queue(w, ni);
}

void sim_w_ev_node_down(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    (void)e;
    (void)b;
    node_down(ctx, (int)node);
}

void sim_w_ev_node_up(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    (void)e;
    (void)b;
    node_up(ctx, (int)node);
}

/* A churn transition of node `node`: apply it, draw the next one. */
void sim_w_ev_churn(sim_engine *e, void *ctx, uint64_t node, uint64_t up)
{
    world *w = ctx;
    (void)e;
    if (up)
        node_up(w, (int)node);
    else
        node_down(w, (int)node);
    int64_t t;
    int next_up;
    sim_churn_proc_next(&w->faults.churn[node], &t, &next_up);
    if (t < INT64_MAX)
        sim_w_schedule(w, t, sim_w_ev_churn, node, (uint64_t)next_up);
}

/* A straggler episode starts (b = slowdown's bits) or ends (b = 0). */
void sim_w_ev_straggle(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    world *w = ctx;
    (void)e;
    double f = 1.0;
    if (b)
        memcpy(&f, &b, sizeof f);
    w->nodes.at[node].slowdown = f;
}
