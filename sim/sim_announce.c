/* sim_announce.c - what routers see (routing.view "announced"): each node's
 * record, announced every period, held by routers from a propagation delay
 * later until it expires.
 *
 * The truth (w->nodes.views, written by the rest of sim/) is copied into a
 * record when the node announces; routers see only delivered records
 * (w->nodes.seen). Petals' server announces its blocks every update_period =
 * 60 s with expiration = max(2 x update_period, 3 s) (petals/server/server.py,
 * Server.__init__ and ModuleAnnouncerThread); a crashed server announces
 * nothing more, so its record stays routable until it expires, and a request
 * sent to it fails on contact (sim_flow.c) and recovers through the policy.
 * A node that is down when its turn comes announces nothing; one that comes
 * back is invisible until its next turn. A node loading a new span
 * (placement "petals", sim_rebal.c) announces at once when it starts
 * (joining: counted by block choice, not routable) and when it is done,
 * and announces joining records at its turns meanwhile. RTTs are not in the records: the
 * client measures them itself (the region matrix).
 *
 * Schedule: node i's announcements fall at phase_i + k * period, phase_i
 * drawn uniformly in [0, period) from its own stream (SS_RNG_NODE, i,
 * SS_RNG_ANNOUNCE), so adding a node shifts nobody's draws. The record
 * announced at a is delivered at a + delay and dropped at a + expiry unless
 * a newer one replaced it. The swarm was running before time 0: routers
 * start with each node's latest record delivered by then (the one announced
 * at phase_i - period, or the one before it while that is still in flight),
 * with the truth at time 0 as its content. delay < period (checked by
 * scenarios/), so at most one periodic record per node is in flight; one
 * announced out of turn supersedes the one in flight (which is dropped).
 *
 * Three events per node and period, all through the engine; they are counted
 * apart from n_events (bookkeeping, not the simulated system's events), and
 * a node's chain of announcements stops once the run has nothing left to do.
 */
#include "sim_run_int.h"

#include "route_reputation.h"

static void ev_announce(sim_engine *e, void *ctx, uint64_t node, uint64_t b);
static void ev_deliver(sim_engine *e, void *ctx, uint64_t node, uint64_t at);
static void ev_expire(sim_engine *e, void *ctx, uint64_t node, uint64_t at);

static int run_over(const world *w)
{
    return w->reqs.n_active == 0 && w->reqs.pending_arrivals == 0;
}

/* Times may be negative (records announced before the run): the engine
 * payload carries them as the bits of an int64_t. */
static uint64_t t_bits(int64_t t)
{
    uint64_t u;
    memcpy(&u, &t, sizeof u);
    return u;
}

static int64_t bits_t(uint64_t u)
{
    int64_t t;
    memcpy(&t, &u, sizeof t);
    return t;
}

/* Routers now hold node ni's record announced at `at`, with content v. */
static void hold(world *w, int ni, const route_node_view *v, int64_t at)
{
    w->nodes.seen[ni] = *v;
    w->nodes.seen[ni].up = !v->joining; /* a JOINING record counts for block choice only */
    if (w->trust.on)
        sim_trust_announce(w, ni, &w->nodes.seen[ni]);
    w->nodes.at[ni].rec_at_ns = at;
    int64_t gone = at + w->nodes.expiry_ns;
    sim_w_schedule(w, gone > 0 ? gone : 0, ev_expire, (uint64_t)ni, t_bits(at));
}

static void send_record(world *w, int ni, const route_node_view *v, int64_t at)
{
    node_state *n = &w->nodes.at[ni];
    n->sent = *v;
    n->sent_at_ns = at;
    sim_w_schedule(w, at + w->nodes.delay_ns, ev_deliver, (uint64_t)ni, t_bits(at));
}

static void ev_announce(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    world *w = ctx;
    (void)b;
    int ni = (int)node;
    int64_t now = sim_engine_now(e);
    w->nodes.n_announce_events++;
    if (run_over(w))
        return;
    if (w->nodes.at[ni].up || w->nodes.views[ni].joining) {
        sim_w_view_load(w, ni);
        send_record(w, ni, &w->nodes.views[ni], now);
    }
    sim_w_schedule(w, now + w->nodes.period_ns, ev_announce, node, 0);
}

static void ev_deliver(sim_engine *e, void *ctx, uint64_t node, uint64_t at)
{
    world *w = ctx;
    (void)e;
    int ni = (int)node;
    w->nodes.n_announce_events++;
    if (w->nodes.at[ni].sent_at_ns != bits_t(at))
        return; /* superseded in flight by a record announced out of turn: the newer one counts */
    w->nodes.at[ni].sent_at_ns = -1;
    hold(w, ni, &w->nodes.at[ni].sent, bits_t(at));
}

static void ev_expire(sim_engine *e, void *ctx, uint64_t node, uint64_t at)
{
    world *w = ctx;
    (void)e;
    w->nodes.n_announce_events++;
    if (w->nodes.at[node].rec_at_ns == bits_t(at)) { /* not replaced by a newer record */
        w->nodes.seen[node].up = 0;
        w->nodes.seen[node].joining = 0;
    }
}

ss_status sim_w_announce_start(world *w)
{
    const scn_scenario *s = w->cfg.scn;
    w->nodes.pview = &w->nodes.view;
    if (s->view_truth)
        return SS_OK;
    w->nodes.period_ns = sim_w_s_to_ns(s->announce_period_s);
    w->nodes.delay_ns = sim_w_s_to_ns(s->announce_delay_s);
    w->nodes.expiry_ns = sim_w_s_to_ns(s->announce_expiry_s);
    w->nodes.seen = ss_calloc((size_t)(w->nodes.n ? w->nodes.n : 1), sizeof *w->nodes.seen);
    if (!w->nodes.seen)
        return SS_ENOMEM;
    w->nodes.seen_view = w->nodes.view;
    w->nodes.seen_view.nodes = w->nodes.seen;
    w->nodes.seen_view.announced = 1;
    w->nodes.pview = &w->nodes.seen_view;
    const int64_t P = w->nodes.period_ns, D = w->nodes.delay_ns;
    for (int i = 0; i < w->nodes.n; i++) {
        node_state *n = &w->nodes.at[i];
        w->nodes.seen[i] = w->nodes.views[i];
        w->nodes.seen[i].up = 0;
        n->rec_at_ns = INT64_MIN;
        n->sent_at_ns = -1;
        gsl_rng *r;
        ss_status st = ss_rng_create(s->seed, SS_RNG_NODE, (uint64_t)i, SS_RNG_ANNOUNCE, &r);
        if (st != SS_OK)
            return st;
        int64_t phase = (int64_t)(gsl_rng_uniform(r) * (double)P); /* [0, P) */
        gsl_rng_free(r);
        int64_t prev = phase - P; /* the last announcement before time 0 */
        if (prev + D > 0) {       /* still in flight at 0: routers hold the one before */
            send_record(w, i, &w->nodes.views[i], prev);
            prev -= P;
        }
        if (prev + w->nodes.expiry_ns > 0)
            hold(w, i, &w->nodes.views[i], prev);
        sim_w_schedule(w, phase, ev_announce, (uint64_t)i, 0);
    }
    return w->run.failure;
}

/* Sessions computing or waiting at node ni, counted now (the queues are
 * short: a walk of their links). */
void sim_w_view_load(world *w, int ni)
{
    const node_state *n = &w->nodes.at[ni];
    int64_t k = n->n_batch;
    for (int64_t i = n->compute_q.head; i >= 0; i = w->reqs.next[i])
        k++;
    for (int64_t i = n->kv_q.head; i >= 0; i = w->reqs.next[i])
        k++;
    w->nodes.views[ni].queue_len = k;
}

/* A hop's outcome on node ni, whoever sent it: the node's network-wide
 * reputation follows Nesa's rule (x 1.01 on success, x 0.8 on a failure
 * or timeout, clipped to [0.1, 10]); records carry it. */
void sim_w_rep_observe(world *w, int ni, route_hop_outcome outcome)
{
    route_reputation_cfg cfg = route_reputation_cfg_default();
    route_node_view *v = &w->nodes.views[ni];
    v->reputation = route_reputation_update(&cfg, v->reputation,
                                            outcome == ROUTE_HOP_OK ? ROUTE_OUTCOME_SUCCESS
                                            : outcome == ROUTE_HOP_TIMEOUT ? ROUTE_OUTCOME_TIMEOUT
                                                                           : ROUTE_OUTCOME_FAILURE);
}

/* Out of turn (sim_rebal.c): a node that starts or finishes loading a new
 * span announces at once, as Petals' server does when its module container
 * starts (JOINING) and when it is ready (ONLINE). Its periodic turns stay. */
void sim_w_announce_now(world *w, int ni)
{
    if (w->nodes.seen)
        send_record(w, ni, &w->nodes.views[ni], sim_engine_now(w->run.eng));
}

void sim_w_announce_fini(world *w)
{
    ss_free(w->nodes.seen);
    w->nodes.seen = NULL;
}
