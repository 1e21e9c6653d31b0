/* sim_trust.c - adversaries and the defences against them (issue 15), in
 * the simulator: which nodes are byzantine, what they do at each step, and
 * what consensus and spot checks catch.
 *
 * Model (scenarios/README.md, "adversaries" / "defences"):
 * - Byzantine nodes: adversaries.nodes, or round(fraction x n) nodes chosen
 *   without replacement from the stream (SS_RNG_TRUST, 0, SS_RNG_CHOICE).
 * - Per step (one span execution of one pass), a byzantine "corrupt" or
 *   "freeride" node misbehaves with probability p; "drop" nodes with
 *   probability p accept the hop and never answer: the client times out
 *   after SIM_TRUST_DROP_TIMEOUT_S and recovers (ban + reroute, sim_faults).
 *   All per-step draws come from (SS_RNG_TRUST, 1, SS_RNG_CHOICE), in a
 *   fixed order, and only when the scenario has the section, so scenarios
 *   without it draw nothing new and keep their results.
 * - Outputs are compared as classes: an honest output is class 0; "noise"
 *   corruption gives every replica its own class (independent noise never
 *   agrees); "sign" and "bias" corruption and "freeride" (the same stale
 *   output) give one shared class 1, so such replicas agree with each other:
 *   they collude without trying.
 * - Consensus (k, fraction): a verified step runs on the primary and the
 *   next k-1 live replicas of its span (placement order, wrapping); any
 *   disagreement is a detected fault; the class held by more than k/2
 *   replicas is delivered; without such a majority the step is re-executed
 *   on the trusted node (below) and its honest output delivered (a span
 *   without an honest replica keeps the primary's output). Every
 *   replica outside the delivered class is reported to the routing policy
 *   as a failed hop (observe), so reputation and bans apply.
 * - Spot check (q): a sampled fraction q of steps is re-executed on the
 *   trusted node of the span: its lowest-id honest replica (the simulator
 *   knows the truth; a real deployment would run its own node there). A bad
 *   delivered output is then detected, reported and replaced.
 * - A pass whose delivered output was bad at any hop yields a corrupted
 *   token (counted at the token).
 * Costs: replica and check executions are counted (extra_executions); their
 * compute and transfer time is not yet charged to the replicas' nodes.
 */
#include "sim_trust.h"

#include <gsl/gsl_randist.h>

#include "sim_run_int.h"

/* Petals' client gives up on a forward/inference request after
 * ClientConfig.request_timeout = 3 * 60 s (petals/client/config.py). */
#define SIM_TRUST_DROP_TIMEOUT_S 180.0

static const scn_trust *tr(const world *w) { return &w->cfg.scn->trust; }

static int trust_wanted(const scn_trust *t)
{
    return t->has_adversaries || t->consensus_k > 0 || t->spot_q > 0;
}

static ss_status check_k(world *w, char *err, size_t errlen)
{
    int k = tr(w)->consensus_k;
    for (int i = 0; k > 0 && i < w->nodes.n; i++) {
        const node_state *n = &w->nodes.at[i];
        if (n->span_leader != i || n->rec.first_block < 0)
            continue;
        if (n->span_end - n->span_pos < k)
            return ss_err(err, errlen, SS_ESCHEMA,
                          "%s: defences.consensus.k: expected at most the replicas of every "
                          "span (%d of blocks [%d, %d)), got %d",
                          w->cfg.scn->source_path, n->span_end - n->span_pos, n->rec.first_block,
                          n->rec.end_block, k);
    }
    return SS_OK;
}

static ss_status choose_byzantine(world *w, uint8_t *byz)
{
    const scn_trust *t = tr(w);
    int n = w->nodes.n;
    if (t->fraction < 0) {
        for (int i = 0; i < t->n_adv_nodes; i++)
            byz[t->adv_nodes[i]] = 1;
        return SS_OK;
    }
    int m = (int)floor(t->fraction * n + 0.5);
    if (m <= 0 || n == 0)
        return SS_OK;
    int *all = ss_malloc_array((size_t)n, sizeof *all), *pick = ss_malloc_array((size_t)m, sizeof *pick);
    gsl_rng *r = NULL;
    ss_status st = (!all || !pick) ? SS_ENOMEM
                                   : ss_rng_create(w->cfg.scn->seed, SS_RNG_TRUST, 0, SS_RNG_CHOICE, &r);
    if (st == SS_OK) {
        for (int i = 0; i < n; i++)
            all[i] = i;
        gsl_ran_choose(r, pick, (size_t)m, all, (size_t)n, sizeof *all);
        for (int i = 0; i < m; i++)
            byz[pick[i]] = 1;
    }
    gsl_rng_free(r);
    ss_free(all);
    ss_free(pick);
    return st;
}

ss_status sim_trust_init(world *w, char *err, size_t errlen)
{
    world_trust *T = &w->trust;
    memset(T, 0, sizeof *T);
    if (!trust_wanted(tr(w)))
        return SS_OK;
    ss_status st;
    if ((st = check_k(w, err, errlen)) != SS_OK)
        return st;
    T->on = 1;
    T->rec.on = 1;
    T->byz = ss_calloc((size_t)(w->nodes.n ? w->nodes.n : 1), 1);
    if (!T->byz)
        return SS_ENOMEM;
    if ((st = choose_byzantine(w, T->byz)) != SS_OK ||
        (st = ss_rng_create(w->cfg.scn->seed, SS_RNG_TRUST, 1, SS_RNG_CHOICE, &T->rng)) != SS_OK)
        return st;
    for (int i = 0; i < w->nodes.n; i++)
        T->rec.byzantine_nodes += T->byz[i];
    return SS_OK;
}

void sim_trust_fini(world *w)
{
    ss_free(w->trust.byz);
    gsl_rng_free(w->trust.rng);
    w->trust.byz = NULL;
    w->trust.rng = NULL;
}

/* Whether node ni misbehaves at this step (one draw for a byzantine node). */
static int misbehaves(world *w, int ni, scn_behaviour b)
{
    const scn_trust *t = tr(w);
    if (!w->trust.byz[ni] || t->behaviour != b)
        return 0;
    return t->p >= 1 || gsl_rng_uniform(w->trust.rng) < t->p;
}

/* The output class of node ni at this step (file comment); `slot` makes
 * independent noise differ between replicas. */
static int output_class(world *w, int ni, int slot)
{
    const scn_trust *t = tr(w);
    int bad = misbehaves(w, ni, SCN_BEHAVE_CORRUPT) || misbehaves(w, ni, SCN_BEHAVE_FREERIDE);
    if (!bad)
        return 0;
    if (t->behaviour == SCN_BEHAVE_CORRUPT && t->kind == SCN_CORRUPT_NOISE)
        return 2 + slot;
    return 1;
}

static void report(world *w, int64_t ri, int ni)
{
    if (!w->routes.ops->observe)
        return;
    const node_state *n = &w->nodes.at[ni];
    int64_t now = sim_engine_now(w->run.eng);
    route_feedback fb = {.node = ni, .first_block = n->rec.first_block,
                         .end_block = n->rec.end_block, .outcome = ROUTE_HOP_FAILED,
                         .latency_ns = now - w->reqs.at[ri].hop_sent_ns, .now_ns = now};
    w->routes.ops->observe(w->routes.state, w->nodes.pview, &fb);
    if (w->obs) sim_w_obs_bans(w, ni);
}

/* The span's trusted node: its lowest-id honest replica, -1 if none. */
static int trusted_node(const world *w, int ni)
{
    const node_state *n = &w->nodes.at[ni];
    int best = -1;
    for (int j = n->span_pos; j < n->span_end; j++) {
        int c = w->nodes.by_span[j];
        if (!w->trust.byz[c] && (best < 0 || c < best))
            best = c;
    }
    return best;
}

/* Consensus over the primary (class *cls) and up to k-1 more live replicas;
 * returns the delivered class and reports the outvoted. */
static int consensus(world *w, int64_t ri, int ni, int cls, int *primary_bad_reported)
{
    enum { MAXK = 16 };
    const node_state *n = &w->nodes.at[ni];
    int k = tr(w)->consensus_k, span = n->span_end - n->span_pos, me = 0;
    int nodes[MAXK], cl[MAXK], m = 1;
    nodes[0] = ni;
    cl[0] = cls;
    for (int j = 0; j < span; j++)
        if (w->nodes.by_span[n->span_pos + j] == ni)
            me = j;
    for (int j = 1; j < span && m < k; j++) {
        int c = w->nodes.by_span[n->span_pos + (me + j) % span];
        if (!w->nodes.at[c].up)
            continue;
        nodes[m] = c;
        cl[m] = output_class(w, c, m);
        m++;
    }
    world_trust *T = &w->trust;
    T->rec.steps_verified++;
    T->rec.extra_executions += m - 1;
    int disagree = 0, any_bad = 0, winner = -1;
    for (int i = 0; i < m; i++) {
        disagree |= cl[i] != cl[0];
        any_bad |= cl[i] != 0;
        int votes = 0;
        for (int j = 0; j < m; j++)
            votes += cl[j] == cl[i];
        if (2 * votes > m)
            winner = cl[i];
    }
    T->rec.detectable_steps += any_bad;
    if (!disagree)
        return cl[0];
    T->rec.faults_detected++;
    if (winner < 0) { /* no majority: re-executed on the trusted node, if the span has one */
        winner = cl[0];
        if (trusted_node(w, ni) >= 0) {
            T->rec.extra_executions++;
            winner = 0;
        }
    }
    for (int i = 0; i < m; i++)
        if (cl[i] != winner) {
            if (i == 0)
                *primary_bad_reported = 1;
            else
                report(w, ri, nodes[i]);
        }
    return winner;
}

route_hop_outcome sim_trust_step(world *w, int ni, int64_t ri)
{
    world_trust *T = &w->trust;
    const scn_trust *t = tr(w);
    int reported = 0;
    int cls = output_class(w, ni, 0);
    T->rec.hop_steps++;
    T->rec.faulty_steps += cls != 0;
    if (t->consensus_k > 0 &&
        (t->consensus_fraction >= 1 || gsl_rng_uniform(T->rng) < t->consensus_fraction))
        cls = consensus(w, ri, ni, cls, &reported);
    if (t->spot_q > 0 && gsl_rng_uniform(T->rng) < t->spot_q) {
        int tn = trusted_node(w, ni);
        if (tn >= 0) {
            T->rec.steps_verified++;
            T->rec.extra_executions++;
            T->rec.detectable_steps += cls != 0;
            if (cls != 0) {
                T->rec.faults_detected++;
                reported = 1;
                cls = 0;
            }
        }
    }
    if (cls != 0)
        w->reqs.at[ri].trust_bad = 1;
    return reported ? ROUTE_HOP_FAILED : ROUTE_HOP_OK;
}

static void ev_drop_timeout(sim_engine *e, void *ctx, uint64_t req, uint64_t hop)
{
    (void)e;
    sim_w_recover(ctx, (int64_t)req, (int)hop);
}

int sim_trust_drop(world *w, int64_t ri, int ni)
{
    if (!misbehaves(w, ni, SCN_BEHAVE_DROP))
        return 0;
    w->trust.rec.drops++;
    sim_w_schedule(w, sim_engine_now(w->run.eng) + sim_w_s_to_ns(SIM_TRUST_DROP_TIMEOUT_S),
                   ev_drop_timeout, (uint64_t)ri, (uint64_t)w->reqs.at[ri].hop);
    return 1;
}

void sim_trust_token(world *w, int64_t ri)
{
    req_state *q = &w->reqs.at[ri];
    w->trust.rec.corrupted_tokens += q->trust_bad;
    q->trust_bad = 0;
}
