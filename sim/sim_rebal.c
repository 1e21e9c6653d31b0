/* sim_rebal.c - Petals' swarm rebalancing and span choice on rejoin,
 * carried out (the decisions are the placement policy's: routing/
 * route_place_petals.c).
 *
 * Petals' server (server.py Server.run, commit 22afba6) serves its blocks
 * and, after waiting U[0, 2 x mean_balance_check_period) with the period
 * 120 s (Server's default; DESIGN.md's U[0, 240] s), asks
 * should_choose_other_blocks; on yes it shuts its blocks down (its sessions
 * are lost: here they recover through the policy, as after a failure),
 * chooses its blocks again on the swarm without itself, loads them and
 * serves again. Loading costs the new span's weight bytes over the node's
 * downlink line rate (weights come from the model hub, not through a
 * relay); the node is down meanwhile: not routable, announced as joining
 * (Petals' JOINING: other servers' block choice counts it, clients do
 * not route to it) at once and at its turns, and announced again at once
 * when it serves (sim_announce.c sim_w_announce_now). A
 * node that comes back after churn chooses its span the same way; when it
 * lands on the span it had, its weights are still on disk and it serves at
 * once. Each node's waits come from its own stream (SS_RNG_NODE, id,
 * SS_RNG_REBALANCE), which also seeds its shuffle of the servers.
 *
 * Checks and download ends are engine events counted apart from n_events
 * (bookkeeping, as announcements); a node's checks stop once the run has
 * nothing left to do. Only placements with a rebalance rule take part, and
 * only under routing policies that bind at route(): late binding groups
 * replicas by span once, at the start (sim_run.c group_spans).
 */
#include "sim_run_int.h"

#include "route_petals_blocks.h"

static void ev_check(sim_engine *e, void *ctx, uint64_t node, uint64_t b);
static void ev_ready(sim_engine *e, void *ctx, uint64_t node, uint64_t b);

static int run_over(const world *w)
{
    return w->reqs.n_active == 0 && w->reqs.pending_arrivals == 0;
}

int sim_w_serves(const world *w, int ni, const route_hop *h)
{
    const route_node_view *v = &w->nodes.views[ni];
    return v->first_block <= h->first_block && h->end_block <= v->end_block;
}

/* The next balance check of node ni: U[0, 2 x 120 s) from now. */
static void schedule_check(world *w, int ni, int64_t now)
{
    double wait_s = gsl_rng_uniform(w->nodes.at[ni].rebal_rng) * 2 *
                    ROUTE_PETALS_MEAN_BALANCE_CHECK_PERIOD_S;
    sim_w_schedule(w, now + sim_w_s_to_ns(wait_s), ev_check, (uint64_t)ni, 0);
}

/* Node ni now holds [first, end): its memory left for KV caches and its
 * announced rates follow the span. */
static void set_span(world *w, int ni, int first, int end)
{
    node_state *n = &w->nodes.at[ni];
    route_node_view *v = &w->nodes.views[ni];
    v->first_block = n->rec.first_block = first;
    v->end_block = n->rec.end_block = end;
    double weights = 0;
    for (int b = first; b < end; b++)
        weights += model_desc_block_weight_bytes(w->cfg.model, b);
    n->kv_capacity = w->cfg.scn->nodes[ni].memory_bytes - weights;
    sim_w_node_rates(w, ni);
}

/* Node ni (down) takes [first, end) and downloads its weights; it serves
 * again when the download ends (ev_ready). */
static void load_span(world *w, int ni, int first, int end)
{
    node_state *n = &w->nodes.at[ni];
    set_span(w, ni, first, end);
    double bytes = 0;
    for (int b = first; b < end; b++)
        bytes += model_desc_block_weight_bytes(w->cfg.model, b);
    int64_t d = sim_w_s_to_ns(bytes / w->cfg.scn->nodes[ni].downlink_bytes_per_s);
    w->rebal.download_ns += d;
    n->moving = 1;
    w->nodes.views[ni].joining = 1;
    sim_w_announce_now(w, ni);
    ss_status st = sim_engine_schedule(w->run.eng, sim_engine_now(w->run.eng) + d, ev_ready, w,
                                       (uint64_t)ni, 0, &n->ready_ev);
    if (st != SS_OK)
        sim_w_fail(w, st, "scheduling a weight download");
}

/* Ask the placement on the swarm as servers see it: Petals' server reads
 * the DHT with latest=True, so a record counts from the moment it is
 * announced (the clients' propagation delay, announce_delay_s, is theirs):
 * each node's record in flight, else the one routers hold; under "truth"
 * the truth. Node ni's own entry is its truth (it knows itself). */
static int ask(world *w, int ni, int rejoin, int *first, int *end)
{
    route_view v = w->nodes.view;
    v.nodes = w->rebal.dht;
    for (int j = 0; j < w->nodes.n; j++) {
        const node_state *n = &w->nodes.at[j];
        if (!w->nodes.seen || j == ni)
            v.nodes[j] = w->nodes.views[j];
        else if (n->sent_at_ns != -1) {
            v.nodes[j] = n->sent;
            v.nodes[j].up = !n->sent.joining;
        } else
            v.nodes[j] = w->nodes.seen[j];
    }
    v.nodes[ni].up = 1;
    return rejoin ? w->rebal.place->rejoin(&v, ni, first, end)
                  : w->rebal.place->rebalance(&v, ni, &w->nodes.at[ni].shuffle_state, first, end);
}

static void ev_check(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    world *w = ctx;
    (void)b;
    int ni = (int)node;
    node_state *n = &w->nodes.at[ni];
    w->rebal.n_events++;
    if (run_over(w))
        return;
    int first, end;
    if (n->up && !n->moving && ask(w, ni, 0, &first, &end)) {
        w->rebal.n_rebalance_moves++;
        sim_w_ev_node_down(e, w, node, 0); /* its blocks shut down: sessions recover */
        n->rec.failures--;                 /* a move, not a failure */
        load_span(w, ni, first, end);
    }
    schedule_check(w, ni, sim_engine_now(e));
}

static void ev_ready(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    world *w = ctx;
    (void)b;
    node_state *n = &w->nodes.at[node];
    w->rebal.n_events++;
    n->moving = 0;
    n->ready = 1;
    w->nodes.views[node].joining = 0;
    sim_w_ev_node_up(e, w, node, 0);
    n->ready = 0;
    sim_w_announce_now(w, (int)node); /* ONLINE */
}

void sim_w_rebal_on_down(world *w, int ni)
{
    node_state *n = &w->nodes.at[ni];
    if (!n->moving)
        return;
    /* down mid-download: the partial weights do not serve; it chooses and
     * loads again when it comes back */
    sim_engine_cancel(w->run.eng, n->ready_ev);
    n->moving = 0;
    n->ready = -1;
    w->nodes.views[ni].joining = 0; /* it crashed: its last record stays until it expires */
}

int sim_w_rebal_on_up(world *w, int ni)
{
    node_state *n = &w->nodes.at[ni];
    if (!w->rebal.place)
        return 0;
    if (n->ready == 1) /* its download is done */
        return 0;
    if (n->moving)     /* still downloading */
        return 1;
    int first, end;
    const route_node_view *v = &w->nodes.views[ni];
    if (!ask(w, ni, 1, &first, &end))
        return 0;
    if (first == v->first_block && end == v->end_block && n->ready == 0)
        return 0; /* back on its own span: the weights are on disk */
    n->ready = 0;
    if (first != v->first_block || end != v->end_block)
        w->rebal.n_rejoin_moves++;
    load_span(w, ni, first, end);
    return 1;
}

ss_status sim_w_rebal_start(world *w)
{
    const scn_scenario *s = w->cfg.scn;
    const route_placement_ops *place;
    if (w->cfg.synthetic || w->routes.ops->dispatch ||
        route_placement_find(s->placement[0] ? s->placement : "uniform", &place, NULL, 0) !=
            SS_OK ||
        !place->rebalance || !place->rejoin)
        return SS_OK;
    w->rebal.place = place;
    w->rebal.dht = ss_malloc_array((size_t)(w->nodes.n ? w->nodes.n : 1), sizeof *w->rebal.dht);
    if (!w->rebal.dht)
        return SS_ENOMEM;
    for (int i = 0; i < w->nodes.n; i++) {
        node_state *n = &w->nodes.at[i];
        if (w->nodes.views[i].first_block < 0)
            continue; /* serves nothing, ever */
        ss_status st = ss_rng_create(s->seed, SS_RNG_NODE, (uint64_t)i, SS_RNG_REBALANCE,
                                     &n->rebal_rng);
        if (st != SS_OK)
            return st;
        n->shuffle_state = (uint64_t)gsl_rng_get(n->rebal_rng) << 32 ^ gsl_rng_get(n->rebal_rng);
        schedule_check(w, i, 0);
    }
    return w->run.failure;
}

void sim_w_rebal_fini(world *w)
{
    ss_free(w->rebal.dht);
    w->rebal.dht = NULL;
    for (int i = 0; w->nodes.at && i < w->nodes.n; i++) {
        gsl_rng_free(w->nodes.at[i].rebal_rng);
        w->nodes.at[i].rebal_rng = NULL;
    }
}
