/* sim_obs.c - names of the observer's kinds, and the world-side helpers
 * behind the one-line hooks `if (w->obs) sim_w_obs_...(w, ...)` in the run
 * core: they turn the world's state at a hook into observer events. Only
 * called with an observer installed, so none of this runs when recording
 * is off. */
#include "sim_obs.h"

#include "sim_run_int.h"

static int64_t now_of(const world *w)
{
    return sim_engine_now(w->run.eng);
}

static void emit_hop(world *w, int64_t ri, int hop, int node, int dst, sim_obs_phase ph,
                     int64_t t0, int64_t t1, int64_t bytes)
{
    if (!w->obs->ops->hop)
        return;
    sim_obs_hop e = {.request = ri, .pass = w->reqs.at[ri].done, .hop = hop, .node = node,
                     .dst = dst, .phase = ph, .t_start = t0, .t_end = t1, .bytes = bytes};
    w->obs->ops->hop(w->obs->ctx, &e);
}

void sim_w_obs_node(world *w, int ni, sim_obs_node_kind kind, int64_t ri, double bytes)
{
    if (!w->obs->ops->node)
        return;
    sim_obs_node_ev e = {.node = ni, .t = now_of(w), .kind = kind, .request = ri,
                         .bytes = bytes > 0 ? (int64_t)bytes : 0};
    w->obs->ops->node(w->obs->ctx, &e);
}

ss_status sim_w_obs_start(world *w, sim_obs *obs)
{
    w->obs = obs;
    w->obs_ban = ss_calloc((size_t)(w->nodes.n ? w->nodes.n : 1), sizeof *w->obs_ban);
    return w->obs_ban ? SS_OK : SS_ENOMEM;
}

/* Bans still open at the end close when they expire, if that is within
 * the run. */
void sim_w_obs_end(world *w)
{
    for (int i = 0; w->obs_ban && i < w->nodes.n; i++)
        if (w->obs_ban[i] > 0 && w->obs_ban[i] <= now_of(w) && w->obs->ops->node) {
            sim_obs_node_ev e = {.node = i, .t = w->obs_ban[i], .kind = SIM_OBS_UNBAN,
                                 .request = -1};
            w->obs->ops->node(w->obs->ctx, &e);
        }
}

void sim_w_obs_fini(world *w)
{
    ss_free(w->obs_ban);
    w->obs_ban = NULL;
}

void sim_w_obs_transfer(world *w, int64_t ri, int hop, int src, int dst, double bytes, int64_t at)
{
    emit_hop(w, ri, hop, src, dst, SIM_OBS_TRANSFER, now_of(w), at,
             bytes > 0 ? (int64_t)bytes : 0);
}

/* The request's input reached its hop's live node: the mark of its waits. */
void sim_w_obs_arrived(world *w, int64_t ri)
{
    w->reqs.at[ri].obs_mark_ns = now_of(w);
}

/* Admitted (KV room held): a wait for room since arrival ends; queueing
 * for the node's batch starts. */
void sim_w_obs_admitted(world *w, int64_t ri)
{
    req_state *q = &w->reqs.at[ri];
    int64_t now = now_of(w);
    if (now > q->obs_mark_ns)
        emit_hop(w, ri, q->hop, sim_w_node_of(w, ri, q->hop), -1, SIM_OBS_KV_WAIT,
                 q->obs_mark_ns, now, 0);
    q->obs_mark_ns = now;
}

void sim_w_obs_kv_timeout(world *w, int64_t ri)
{
    req_state *q = &w->reqs.at[ri];
    emit_hop(w, ri, q->hop, sim_w_node_of(w, ri, q->hop), -1, SIM_OBS_KV_WAIT, q->obs_mark_ns,
             now_of(w), 0);
}

/* Node ni starts a batch now: its members' queueing ends. */
void sim_w_obs_batch_start(world *w, int ni)
{
    node_state *n = &w->nodes.at[ni];
    n->obs_batch_ns = now_of(w);
    for (int i = 0; i < n->n_batch; i++) {
        req_state *q = &w->reqs.at[n->batch[i]];
        emit_hop(w, n->batch[i], q->hop, ni, -1, SIM_OBS_QUEUE, q->obs_mark_ns, n->obs_batch_ns, 0);
    }
}

/* Node ni's batch (members done[0..m)) ends at `end` (its completion, or
 * the node's failure): one compute row per member over the whole batch,
 * and the replay share of members that rebuilt a cache, from its start. */
void sim_w_obs_batch_end(world *w, int ni, const int64_t *done, int m, int64_t end)
{
    node_state *n = &w->nodes.at[ni];
    for (int i = 0; i < m; i++) {
        req_state *q = &w->reqs.at[done[i]];
        emit_hop(w, done[i], q->hop, ni, -1, SIM_OBS_COMPUTE, n->obs_batch_ns, end, 0);
        if (q->obs_replay_ns > 0) {
            int64_t r_end = n->obs_batch_ns + q->obs_replay_ns;
            emit_hop(w, done[i], q->hop, ni, -1, SIM_OBS_REPLAY, n->obs_batch_ns,
                     r_end < end ? r_end : end, 0);
            q->obs_replay_ns = 0;
        }
    }
}

/* Node ni fails now: its batch is cut short, queued and KV-waiting
 * sessions stop waiting; then the 'down' event. */
void sim_w_obs_down(world *w, int ni)
{
    node_state *n = &w->nodes.at[ni];
    int64_t now = now_of(w);
    sim_w_obs_batch_end(w, ni, n->batch, n->n_batch, now);
    for (int64_t ri = sim_queue_first(&n->compute_q); ri >= 0; ri = w->reqs.next[ri])
        emit_hop(w, ri, w->reqs.at[ri].hop, ni, -1, SIM_OBS_QUEUE, w->reqs.at[ri].obs_mark_ns,
                 now, 0);
    for (int64_t ri = sim_queue_first(&n->kv_q); ri >= 0; ri = w->reqs.next[ri])
        emit_hop(w, ri, w->reqs.at[ri].hop, ni, -1, SIM_OBS_KV_WAIT, w->reqs.at[ri].obs_mark_ns,
                 now, 0);
    sim_w_obs_node(w, ni, SIM_OBS_DOWN, -1, 0);
}

/* After the policy heard about node ni: its ban list entry, as ban and
 * unban events (a ban cleared by a success ends now; one that expired
 * ends at its expiry). */
void sim_w_obs_bans(world *w, int ni)
{
    if (!w->routes.ops->banned_until || ni < 0 || ni >= w->nodes.n)
        return;
    int64_t until = w->routes.ops->banned_until(w->routes.state, ni), now = now_of(w);
    int64_t *cur = &w->obs_ban[ni];
    if (*cur > 0 && (*cur <= now || until != *cur)) {
        sim_obs_node_ev e = {.node = ni, .t = *cur <= now ? *cur : now, .kind = SIM_OBS_UNBAN,
                             .request = -1};
        if (w->obs->ops->node)
            w->obs->ops->node(w->obs->ctx, &e);
        *cur = 0;
    }
    if (until > now && until != *cur) {
        sim_w_obs_node(w, ni, SIM_OBS_BAN, -1, 0);
        *cur = until;
    }
}

/* A decision: the chosen hops and, at level "all", what the policy says
 * about it (explain() is called only when the observer wants routes). */
void sim_w_obs_route(world *w, int64_t ri, sim_obs_route_kind kind, const route_hop *hops, int n)
{
    if (!w->obs->ops->route || !w->obs->ops->want_routes)
        return;
    enum { MAXN = 64 };
    int nodes[MAXN], fb[MAXN], eb[MAXN];
    int k = n < MAXN ? n : MAXN;
    for (int i = 0; i < k; i++) {
        nodes[i] = hops[i].state == ROUTE_HOP_BOUND ? hops[i].node : -1;
        fb[i] = hops[i].first_block;
        eb[i] = hops[i].end_block;
    }
    route_explain x = {0};
    route_request req = sim_w_route_req(w, ri);
    int ok = kind != SIM_OBS_DISPATCH && w->routes.ops->explain &&
             w->routes.ops->explain(w->routes.state, w->nodes.pview, &req, hops, n,
                                    kind == SIM_OBS_REROUTE, &x) == 0;
    double ac[ROUTE_EXPLAIN_MAX_ALTS];
    int av[ROUTE_EXPLAIN_MAX_ALTS], an[ROUTE_EXPLAIN_MAX_ALTS];
    const int *ap[ROUTE_EXPLAIN_MAX_ALTS];
    for (int i = 0; ok && i < x.n_alts; i++) {
        ac[i] = x.alts[i].cost;
        av[i] = x.alts[i].avoided;
        an[i] = x.alts[i].n_nodes;
        ap[i] = x.alts[i].nodes;
    }
    sim_obs_route e = {.request = ri, .t = now_of(w), .kind = kind, .n_hops = k, .nodes = nodes,
                       .first_block = fb, .end_block = eb, .explained = ok,
                       .unit = ok ? x.unit : NULL, .cost = ok ? x.cost : 0,
                       .n_alts = ok ? x.n_alts : 0, .alt_cost = ac, .alt_avoided = av,
                       .alt_n_nodes = an, .alt_nodes = ap};
    w->obs->ops->route(w->obs->ctx, &e);
}
