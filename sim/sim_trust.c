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
 * - "overclaim" nodes compute honestly but every record they announce
 *   (routing.view "announced") carries `factor` x their real speeds: peak
 *   FLOP/s, memory bandwidth and the rps figures (sim_trust_announce). The
 *   oracle view ("truth") is not fooled.
 * - Spot check (q): a sampled fraction q of steps is re-executed on the
 *   trusted node of the span: its lowest-id honest replica (the simulator
 *   knows the truth; a real deployment would run its own node there). A bad
 *   delivered output is then detected, reported and replaced.
 * - A pass whose delivered output was bad at any hop yields a corrupted
 *   token (counted at the token).
 * Costs: every replica and check execution is counted (extra_executions)
 * and charged to its node's busy time and byte counters (charge); the
 * request's latency does not wait for replicas (left).
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

/* The tampering node ni applies at this step (one draw if byzantine). */
static real_tamper tamper_of(world *w, int ni)
{
    const scn_trust *t = tr(w);
    real_tamper r = {REAL_TAMPER_NONE, t->noise, w->trust.rng};
    if (misbehaves(w, ni, SCN_BEHAVE_FREERIDE))
        r.kind = REAL_TAMPER_STALE;
    else if (misbehaves(w, ni, SCN_BEHAVE_CORRUPT))
        r.kind = t->kind == SCN_CORRUPT_NOISE  ? REAL_TAMPER_NOISE
                 : t->kind == SCN_CORRUPT_SIGN ? REAL_TAMPER_SIGN
                                               : REAL_TAMPER_BIAS;
    return r;
}

/* Analytic mode's classes (file comment), numbered as real mode's
 * (real_session_compute_set): 0 honest, else 1 + the first replica whose
 * output is the same. */
static void flag_classes(const real_tamper *tam, int m, int *cls)
{
    for (int i = 0; i < m; i++) {
        cls[i] = 0;
        if (tam[i].kind == REAL_TAMPER_NONE)
            continue;
        cls[i] = 1 + i;
        for (int j = 0; j < i && tam[i].kind != REAL_TAMPER_NOISE; j++)
            if (tam[j].kind == tam[i].kind) {
                cls[i] = 1 + j;
                break;
            }
    }
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

/* An extra execution of request ri's current hop on node c (a replica, or
 * the trusted node): c's own compute time for it (its device, the pass's
 * rows and context; synthetic models: a draw from c's service stream) is
 * added to c's busy time and tasks, and the hop's input and output to c's
 * byte counters. The request does not wait for it: replicas run beside the
 * serving node and the time to the slowest one is not charged (left). */
static void charge(world *w, int64_t ri, int c)
{
    node_state *n = &w->nodes.at[c];
    const route_hop *h = sim_w_hop_of(w, ri, w->reqs.at[ri].hop);
    int rows = sim_w_pass_rows(w, ri);
    double sec = w->cfg.synthetic
                     ? scn_dist_draw(n->service_rng, &w->cfg.scn->model.service_time_s)
                     : model_cost_span_s(&n->dev, w->cfg.model, h->first_block, h->end_block,
                                         rows, sim_w_pass_ctx(w, ri));
    n->rec.busy_ns += sim_w_s_to_ns(sec * n->slowdown);
    n->rec.n_tasks++;
    uint64_t b = (uint64_t)sim_w_act_bytes(w, rows, sim_w_width_in(w, h));
    n->rec.bytes_in += b;
    n->rec.bytes_out += b;
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

/* nodes[1 ..) = up to k-1 live replicas after nodes[0] in placement order;
 * returns the count including nodes[0]. */
static int replicas(const world *w, int *nodes, int k)
{
    const node_state *n = &w->nodes.at[nodes[0]];
    int span = n->span_end - n->span_pos, me = 0, m = 1;
    for (int j = 0; j < span; j++)
        if (w->nodes.by_span[n->span_pos + j] == nodes[0])
            me = j;
    for (int j = 1; j < span && m < k; j++) {
        int c = w->nodes.by_span[n->span_pos + (me + j) % span];
        if (w->nodes.at[c].up)
            nodes[m++] = c;
    }
    return m;
}

/* Consensus over cls[0 .. m): the replica whose output is delivered (-1:
 * the trusted node's honest re-execution); the outvoted are reported. */
static int vote(world *w, int64_t ri, const int *nodes, const int *cls, int m, int *primary_bad)
{
    world_trust *T = &w->trust;
    int disagree = 0, any_bad = 0, d = -2;
    for (int i = 0; i < m; i++) {
        disagree |= cls[i] != cls[0];
        any_bad |= cls[i] != 0;
        int votes = 0;
        for (int j = 0; j < m; j++)
            votes += cls[j] == cls[i];
        if (2 * votes > m && d == -2)
            d = i;
    }
    T->rec.steps_verified++;
    T->rec.extra_executions += m - 1;
    T->rec.detectable_steps += any_bad;
    for (int i = 1; i < m; i++)
        charge(w, ri, nodes[i]);
    if (!disagree)
        return 0;
    T->rec.faults_detected++;
    if (d == -2) { /* no majority: re-executed on the trusted node, if the span has one */
        d = 0;
        int tn = trusted_node(w, nodes[0]);
        if (tn >= 0) {
            T->rec.extra_executions++;
            charge(w, ri, tn);
            d = -1;
        }
    }
    int won = d < 0 ? 0 : cls[d];
    for (int i = 0; i < m; i++)
        if (cls[i] != won) {
            if (i == 0)
                *primary_bad = 1;
            else
                report(w, ri, nodes[i]);
        }
    return d;
}

/* A spot check of the delivered output (replica d, -1: honest). */
static int spot_check(world *w, int64_t ri, const int *nodes, const int *cls, int d,
                      int *primary_bad)
{
    world_trust *T = &w->trust;
    int tn = trusted_node(w, nodes[0]);
    if (tn < 0)
        return d;
    int dc = d < 0 ? 0 : cls[d];
    T->rec.steps_verified++;
    T->rec.extra_executions++;
    charge(w, ri, tn);
    T->rec.detectable_steps += dc != 0;
    if (dc == 0)
        return d;
    T->rec.faults_detected++;
    if (d == 0)
        *primary_bad = 1;
    else
        report(w, ri, nodes[d]);
    return -1;
}

int sim_trust_step(world *w, int ni, int64_t ri, route_hop_outcome *oc)
{
    enum { MAXK = 16 };
    world_trust *T = &w->trust;
    const scn_trust *t = tr(w);
    req_state *q = &w->reqs.at[ri];
    int nodes[MAXK] = {ni}, cls[MAXK], m = 1, d = 0, bad = 0;
    real_tamper tam[MAXK];
    int verify = t->consensus_k > 0 &&
                 (t->consensus_fraction >= 1 || gsl_rng_uniform(T->rng) < t->consensus_fraction);
    if (verify)
        m = replicas(w, nodes, t->consensus_k);
    for (int i = 0; i < m; i++)
        tam[i] = tamper_of(w, nodes[i]);
    if (w->cfg.real) {
        char e2[512];
        ss_status st = real_session_compute_set(w->sess.at[ri], q->hop, tam, m, cls, e2, sizeof e2);
        if (st != SS_OK) {
            sim_w_stop_with(w, st, e2);
            return -1;
        }
    } else {
        flag_classes(tam, m, cls);
    }
    T->rec.hop_steps++;
    T->rec.faulty_steps += cls[0] != 0;
    if (m > 1)
        d = vote(w, ri, nodes, cls, m, &bad);
    if (t->spot_q > 0 && gsl_rng_uniform(T->rng) < t->spot_q)
        d = spot_check(w, ri, nodes, cls, d, &bad);
    if (d >= 0 && cls[d] != 0)
        q->trust_bad = 1;
    if (w->cfg.real) {
        char e2[512];
        ss_status st = real_session_send(w->sess.at[ri], q->hop, d, &q->wire_bytes, e2, sizeof e2);
        if (st != SS_OK) {
            sim_w_stop_with(w, st, e2);
            return -1;
        }
    }
    *oc = bad ? ROUTE_HOP_FAILED : ROUTE_HOP_OK;
    return 0;
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

void sim_trust_announce(world *w, int ni, route_node_view *v)
{
    const scn_trust *t = tr(w);
    if (!w->trust.byz[ni] || t->behaviour != SCN_BEHAVE_OVERCLAIM)
        return;
    /* every speed a record carries, so each policy's estimate scales */
    v->peak_flops *= t->factor;
    v->mem_bw_bytes_per_s *= t->factor;
    v->forward_rps *= t->factor;
    v->inference_rps *= t->factor;
    v->throughput_rps *= t->factor;
}

void sim_trust_token(world *w, int64_t ri)
{
    req_state *q = &w->reqs.at[ri];
    w->trust.rec.corrupted_tokens += q->trust_bad;
    q->trust_bad = 0;
}
