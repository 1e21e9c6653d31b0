/* sim_node.c - each node's compute server: KV-cache admission (whole-session
 * reservations, arrival order, bounded wait) and continuous batching. */
#include "sim_run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double kv_need(const world *w, int64_t ri, int hop);
static void ev_kv_timeout(sim_engine *e, void *ctx, uint64_t req, uint64_t b);
static ss_status batch_push(node_state *n, int64_t ri);
static ss_status take_batch(world *w, node_state *n);
static double batch_cost_s(world *w, node_state *n);
static void start_batch(world *w, int ni);
static void ev_compute_done(sim_engine *e, void *ctx, uint64_t node, uint64_t b);

/* KV bytes a session reserves on the node of hop `hop`: its whole length
 * (prompt + output positions) for every block of the span, reserved when it
 * first reaches the node, as Petals allocates a session's cache up front. */
static double kv_need(const world *w, int64_t ri, int hop)
{
    const req_state *q = &w->reqs.at[ri];
    const route_hop *h = &w->routes.slots[q->route_off + (uint32_t)hop].hop;
    double positions = w->cfg.real ? (double)q->output : (double)q->prompt + (double)q->output;
    double per_pos = 0;
    for (int b = h->first_block; b < h->end_block; b++)
        per_pos += (double)w->cfg.model->blocks[b].kv_elems_per_item *
                   w->cfg.model->kv_bytes_per_elem;
    return per_pos * positions;
}

void sim_w_view_kv(world *w, int ni)
{
    route_node_view *v = &w->nodes.views[ni];
    const node_state *n = &w->nodes.at[ni];
    if (w->cfg.synthetic || v->first_block < 0)
        return;
    /* one key or value vector of one block of the span (Petals' unit) */
    double unit = (double)w->cfg.model->blocks[v->first_block].kv_elems_per_item / 2 *
                  w->cfg.model->kv_bytes_per_elem;
    double free_bytes = n->kv_capacity - n->kv_used;
    v->kv_known = unit > 0;
    v->free_kv_tokens = unit > 0 && free_bytes > 0 ? (int64_t)(free_bytes / unit) : 0;
    sim_w_view_load(w, ni); /* queue_len follows too (sim_announce.c) */
}

/* Give back hop `hop`'s reservation (if its node still holds it) and let
 * waiting sessions in. */
void sim_w_release_kv(world *w, int64_t ri, int hop)
{
    route_slot *slot = sim_w_slot_of(w, ri, hop);
    if (!slot->kv_held)
        return;
    slot->kv_held = false;
    node_state *n = &w->nodes.at[sim_w_node_of(w, ri, hop)];
    if (!n->up || slot->epoch != n->epoch)
        return; /* the node failed since: its memory was cleared then */
    n->kv_used -= slot->kv_bytes;
    if (w->obs)
        sim_w_obs_node(w, sim_w_node_of(w, ri, hop), SIM_OBS_KV_RELEASE, ri, slot->kv_bytes);
    /* admit waiting sessions in arrival order while the head fits */
    while (!sim_queue_empty(&n->kv_q)) {
        int64_t wi = sim_queue_first(&n->kv_q);
        req_state *wq = &w->reqs.at[wi];
        double need = kv_need(w, wi, wq->hop);
        if (n->kv_used + need > n->kv_capacity)
            break;
        sim_queue_pop(&n->kv_q, w->reqs.next);
        sim_engine_cancel(w->run.eng, wq->kv_wait_ev);
        n->kv_used += need;
        if ((uint64_t)n->kv_used > n->rec.kv_peak_bytes)
            n->rec.kv_peak_bytes = (uint64_t)n->kv_used;
        route_slot *ws = sim_w_slot_of(w, wi, wq->hop);
        ws->kv_held = true;
        ws->kv_bytes = need;
        if (w->obs)
            sim_w_obs_node(w, sim_w_node_of(w, wi, wq->hop), SIM_OBS_KV_RESERVE, wi, need);
        sim_w_admitted(w, wi);
    }
    sim_w_view_kv(w, sim_w_node_of(w, ri, hop));
}

/* Reserve KV room for the request's current hop at its node, or queue it.
 * Returns 1 if admitted now (the caller then calls sim_w_admitted). */
int sim_w_admit_kv(world *w, int64_t ri)
{
    req_state *q = &w->reqs.at[ri];
    route_slot *slot = sim_w_slot_of(w, ri, q->hop);
    if (slot->kv_held)
        return 1;
    node_state *n = &w->nodes.at[sim_w_node_of(w, ri, q->hop)];
    double need = kv_need(w, ri, q->hop);
    if (sim_queue_empty(&n->kv_q) && n->kv_used + need <= n->kv_capacity) {
        n->kv_used += need;
        if ((uint64_t)n->kv_used > n->rec.kv_peak_bytes)
            n->rec.kv_peak_bytes = (uint64_t)n->kv_used;
        slot->kv_held = true;
        slot->kv_bytes = need;
        if (w->obs)
            sim_w_obs_node(w, sim_w_node_of(w, ri, q->hop), SIM_OBS_KV_RESERVE, ri, need);
        sim_w_view_kv(w, sim_w_node_of(w, ri, q->hop));
        return 1;
    }
    sim_queue_push(&n->kv_q, w->reqs.next, ri);
    int64_t deadline = sim_engine_now(w->run.eng) + KV_WAIT_S * SIM_NS_PER_S;
    ss_status st = sim_engine_schedule(w->run.eng, deadline, ev_kv_timeout, w, (uint64_t)ri, 0,
                                       &q->kv_wait_ev);
    if (st != SS_OK)
        sim_w_fail(w, st, "scheduling an event");
    return 0;
}

/* The request holds KV room at its current hop's node: compute or queue. */
void sim_w_admitted(world *w, int64_t ri)
{
    req_state *q = &w->reqs.at[ri];
    int ni = sim_w_node_of(w, ri, q->hop);
    node_state *n = &w->nodes.at[ni];
    if (w->obs)
        sim_w_obs_admitted(w, ri);
    sim_queue_push(&n->compute_q, w->reqs.next, ri);
    start_batch(w, ni);
}

/* Waited KV_WAIT_S without room: leave the node's waiting line and fail. */
static void ev_kv_timeout(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    world *w = ctx;
    (void)e;
    (void)b;
    int64_t ri = (int64_t)req;
    req_state *q = &w->reqs.at[ri];
    node_state *n = &w->nodes.at[sim_w_node_of(w, ri, q->hop)];
    sim_queue_remove(&n->kv_q, w->reqs.next, ri);
    if (w->obs)
        sim_w_obs_kv_timeout(w, ri);
    sim_w_observe(w, ri, q->hop, ROUTE_HOP_TIMEOUT);
    sim_w_finish_request(w, ri, SIM_REQUEST_FAILED);
}

static ss_status batch_push(node_state *n, int64_t ri)
{
    if (n->n_batch == n->cap_batch) {
        int cap = n->cap_batch ? n->cap_batch * 2 : 4;
        int64_t *a = ss_realloc(n->batch, (size_t)cap * sizeof *a);
        if (!a)
            return SS_ENOMEM;
        n->batch = a;
        int64_t *b = ss_realloc(n->batch_spare, (size_t)cap * sizeof *b);
        if (!b)
            return SS_ENOMEM;
        n->batch_spare = b;
        n->cap_batch = cap;
    }
    n->batch[n->n_batch++] = ri;
    return SS_OK;
}

/* Take the next batch from the node's FIFO (continuous batching, see
 * scn_scenario.h "batching"): without batching, or for synthetic models,
 * the head alone; otherwise one prefill alone (the first waiting one when
 * prefills go first, or when no decode waits), or the waiting decode steps
 * in FIFO order up to max_batch_tokens. */
static ss_status take_batch(world *w, node_state *n)
{
    int64_t max = w->cfg.synthetic ? 0 : w->cfg.scn->max_batch_tokens;
    int64_t *next_of = w->reqs.next;
    if (max <= 0)
        return batch_push(n, sim_queue_pop(&n->compute_q, next_of));
    if (w->cfg.scn->prefill_first)
        for (int64_t prev = -1, ri = sim_queue_first(&n->compute_q); ri >= 0;
             prev = ri, ri = next_of[ri])
            if (sim_w_pass_rows(w, ri) > 1) {
                sim_queue_unlink(&n->compute_q, next_of, prev, ri);
                return batch_push(n, ri);
            }
    int64_t tokens = 0, prev = -1;
    for (int64_t ri = sim_queue_first(&n->compute_q); ri >= 0 && tokens < max;) {
        int64_t next = next_of[ri];
        if (sim_w_pass_rows(w, ri) == 1) {
            sim_queue_unlink(&n->compute_q, next_of, prev, ri);
            ss_status st = batch_push(n, ri);
            if (st != SS_OK)
                return st;
            tokens++;
        } else {
            prev = ri;
        }
        ri = next;
    }
    if (n->n_batch == 0) /* only prefills wait */
        return batch_push(n, sim_queue_pop(&n->compute_q, next_of));
    return SS_OK;
}

/* Seconds the batch takes on node n (before straggler slowdown). */
static double batch_cost_s(world *w, node_state *n)
{
    const route_hop *h = sim_w_hop_of(w, n->batch[0], w->reqs.at[n->batch[0]].hop);
    double s = 0;
    if (w->cfg.synthetic)
        return scn_dist_draw(n->service_rng, &w->cfg.scn->model.service_time_s);
    if (n->n_batch == 1) {
        s = model_cost_span_s(&n->dev, w->cfg.model, h->first_block, h->end_block,
                              sim_w_pass_rows(w, n->batch[0]), sim_w_pass_ctx(w, n->batch[0]));
    } else {
        /* b decode steps: the weights stream once for the whole batch; the
         * attention and KV terms are linear in context, so the batch at the
         * mean context costs what the sum over its members does (up to
         * rounding the mean) */
        double ctx = 0;
        for (int i = 0; i < n->n_batch; i++)
            ctx += (double)sim_w_pass_ctx(w, n->batch[i]);
        int64_t mean_ctx = (int64_t)llround(ctx / n->n_batch);
        s = model_cost_span_batch(&n->dev, w->cfg.model, h->first_block, h->end_block, n->n_batch,
                                  1, mean_ctx).total_s;
    }
    /* after a failure, a new node first rebuilds a session's cache: a
     * prefill of every earlier position (Petals' replay) */
    for (int i = 0; i < n->n_batch; i++) {
        req_state *q = &w->reqs.at[n->batch[i]];
        route_slot *slot = sim_w_slot_of(w, n->batch[i], q->hop);
        if (slot->replay_rows > 0) {
            double r = model_cost_span_s(&n->dev, w->cfg.model, slot->hop.first_block,
                                         slot->hop.end_block, slot->replay_rows, 0);
            s += r;
            if (w->obs)
                q->obs_replay_ns = sim_w_s_to_ns(r * n->slowdown);
        }
        slot->replay_rows = 0;
    }
    return s;
}

/* The node is free and work waits: run the next batch. */
static void start_batch(world *w, int ni)
{
    node_state *n = &w->nodes.at[ni];
    if (n->n_batch > 0 || sim_queue_empty(&n->compute_q) || !n->up)
        return;
    ss_status st = take_batch(w, n);
    if (st != SS_OK) {
        sim_w_fail(w, st, "forming a batch");
        return;
    }
    int64_t d = sim_w_s_to_ns(batch_cost_s(w, n) * n->slowdown);
    n->running_end_ns = sim_engine_now(w->run.eng) + d;
    n->rec.busy_ns += d;
    if (w->obs)
        sim_w_obs_batch_start(w, ni);
    n->rec.n_tasks += (uint64_t)n->n_batch;
    st = sim_engine_schedule(w->run.eng, n->running_end_ns, ev_compute_done, w, (uint64_t)ni, 0,
                             &n->running_ev);
    if (st != SS_OK)
        sim_w_fail(w, st, "scheduling an event");
}

static void ev_compute_done(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    world *w = ctx;
    (void)e;
    (void)b;
    int ni = (int)node;
    node_state *n = &w->nodes.at[ni];
    /* iterate the finished batch from the spare buffer: members moving on
     * may start the node's next batch in `batch` */
    int64_t *done = n->batch;
    int m = n->n_batch;
    n->batch = n->batch_spare;
    n->batch_spare = done;
    n->n_batch = 0;
    if (w->obs)
        sim_w_obs_batch_end(w, ni, done, m, sim_engine_now(e));
    for (int i = 0; i < m; i++)
        if (sim_w_continue_after_compute(w, ni, done[i]) != 0)
            return;
    start_batch(w, ni);
    sim_w_pull_span_queue(w, ni);
}
