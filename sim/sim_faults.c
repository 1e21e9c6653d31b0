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

/* Hop `hop` of request ri needs a node (its own failed or lost the
 * session's cache): ask the policy's reroute() for the failed range; with
 * none live now, retry with Petals' backoff; else move the hop, rebuild the
 * session's cache there by replaying its stored inputs, and resend the
 * current input from the client. Carried out for a one-hop answer (the
 * failed range on one node); a longer chain stops the run (not yet
 * supported: the route would have to be spliced). */
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
    if (st == SS_OK && (n != 1 || to->first_block != h->first_block ||
                        to->end_block != h->end_block || to->node < 0 ||
                        to->node >= w->nodes.n)) {
        st = SS_EUNSUPPORTED;
        snprintf(rerr, sizeof rerr, "routing policy \"%s\" rerouted blocks [%d, %d) into %d "
                 "hops: only a one-hop reroute of the failed range is carried out",
                 w->routes.ops->name, h->first_block, h->end_block, n);
    }
    if (st != SS_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "rerouting request %lld: %s", (long long)ri, rerr);
        sim_w_stop_with(w, st, msg);
        return;
    }
    int pick = to->node;
    sim_w_release_kv(w, ri, hop);
    h->node = pick;
    sim_w_slot_of(w, ri, hop)->epoch = w->nodes.at[pick].epoch;
    int replay = (int)sim_w_pass_ctx(w, ri);
    if (w->cfg.real) {
        char e2[256];
        st = real_session_replace_hop(w->sess.at[ri], hop, &replay, e2, sizeof e2);
        if (st != SS_OK) {
            char msg[400];
            snprintf(msg, sizeof msg, "request %lld: %s", (long long)ri, e2);
            sim_w_stop_with(w, st, msg);
            return;
        }
    }
    q->replay_rows = replay;
    q->recomputed += replay;
    double pass = w->cfg.real ? (double)q->wire_bytes
                              : sim_w_act_bytes(w, sim_w_pass_rows(w, ri), sim_w_width_in(w, h));
    double bytes = sim_w_act_bytes(w, replay, sim_w_width_in(w, h)) + pass;
    q->hop_sent_ns = sim_engine_now(w->run.eng);
    sim_w_schedule(w, sim_w_transfer_arrival(w, -1, pick, bytes), sim_w_ev_hop_arrive,
                   (uint64_t)ri, 0);
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
