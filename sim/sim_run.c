/* sim_run.c - building and tearing down the world of one run, starting it
 * and collecting its results. The event handlers live in sim_flow.c
 * (requests), sim_node.c (compute servers) and sim_faults.c (failures);
 * sim_run_int.h holds the world they share.
 *
 * Sizes: requests up to 1e8 over a run (state 96 bytes each plus an 8-byte
 * queue link, grown by doubling as they arrive, and a 32-byte route slot per
 * hop), nodes up to 1e6, hops per route up to the model's blocks. Every
 * queue is FIFO and every tie is broken by the engine's sequence numbers, so
 * the event order is a pure function of the scenario and seed.
 */
#include "sim_run_int.h"

#include "route_petals_blocks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A node's sort key for group_spans: qsort's comparator gets no context, so
 * the key carries everything the comparison needs. */
typedef struct span_key {
    int first_block, end_block, id; /* from the node's view */
    int index;                      /* into w->nodes.at */
} span_key;

static int by_span_cmp(const void *a, const void *b);
static ss_status group_spans(world *w);
static ss_status start_churn_trace(world *w, char *err, size_t errlen);
static ss_status start_churn(world *w, const sim_run_opts *o, char *err, size_t errlen);
static ss_status build_world(world *w, const sim_run_opts *o, char *err, size_t errlen);
static void world_fini(world *w);
static ss_status collect(world *w, sim_results *out);
static void start_arrivals(world *w);

void sim_w_fail(world *w, ss_status st, const char *what)
{
    if (w->run.failure == SS_OK) {
        w->run.failure = st;
        if (st == SS_EFULL) /* name the limit and what drives it, not just "capacity" */
            ss_err(w->run.err, w->run.errlen, st,
                   "simulation stopped at %.6g s: %s: all %llu pending events of the engine are "
                   "in use, with %lld requests arrived: the load outruns the swarm "
                   "(workload.arrivals, workload.n_requests) or the swarm is too large "
                   "(nodes[].count); lower the load or shorten horizon_s",
                   (double)sim_engine_now(w->run.eng) / 1e9, what,
                   (unsigned long long)sim_engine_max_pending(), (long long)w->reqs.n_arrived);
        else
            ss_err(w->run.err, w->run.errlen, st, "simulation stopped: %s: %s", what,
                   ss_strerror(st));
    }
    sim_engine_stop(w->run.eng);
}

int64_t sim_w_s_to_ns(double s)
{
    /* Costs are finite and far below 292 years; clamp defensively anyway. */
    if (!(s > 0))
        return 0;
    if (s > 9.2e9)
        return INT64_MAX / 4;
    return (int64_t)llround(s * 1e9);
}

void sim_w_schedule(world *w, int64_t at, sim_handler fn, uint64_t a, uint64_t b)
{
    ss_status st = sim_engine_schedule(w->run.eng, at, fn, w, a, b, NULL);
    if (st != SS_OK)
        sim_w_fail(w, st, "scheduling an event");
}

void sim_w_stop_with(world *w, ss_status st, const char *msg)
{
    if (w->run.failure == SS_OK) {
        w->run.failure = st;
        ss_err(w->run.err, w->run.errlen, st, "%s", msg);
    }
    sim_engine_stop(w->run.eng);
}

/* (first_block, end_block, id), then the index: a total order, so qsort's
 * instability cannot show. */
static int by_span_cmp(const void *a, const void *b)
{
    const span_key *x = a, *y = b;
    if (x->first_block != y->first_block)
        return x->first_block < y->first_block ? -1 : 1;
    if (x->end_block != y->end_block)
        return x->end_block < y->end_block ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* What each node announces to routers, from the cost model: Petals'
 * inference_rps (single-token decode steps/s per block of its span), its
 * server throughput (throughput.py get_server_throughput: forward tokens/s
 * of one block in a 1024-token pass, the network rps of its line rates,
 * the relay penalty) and its free KV tokens. Synthetic models announce no
 * rates (0: unknown). */
/* What node i announces to routers, from the cost model: Petals'
 * inference_rps (single-token decode steps/s per block of its span), its
 * server throughput (throughput.py get_server_throughput: forward tokens/s
 * of one block in a 1024-token pass, the network rps of its line rates,
 * the relay penalty) and its free KV tokens. Synthetic models announce no
 * rates (0: unknown). Again after a move (sim_rebal.c). */
void sim_w_node_rates(world *w, int i)
{
    const scn_scenario *s = w->cfg.scn;
    route_node_view *v = &w->nodes.views[i];
    const scn_node *sn = &s->nodes[i];
    const scn_group *g = s->groups && sn->group >= 0 && sn->group < s->n_groups
                             ? &s->groups[sn->group] : NULL;
    v->relayed = g && g->relay;
    if (w->cfg.synthetic || v->first_block < 0)
        return;
    const model_device *dev = &w->nodes.at[i].dev;
    int nb = v->end_block - v->first_block;
    double decode_s = model_cost_span_s(dev, w->cfg.model, v->first_block, v->end_block, 1, 0);
    double fwd_s = model_cost_span_s(dev, w->cfg.model, v->first_block, v->first_block + 1,
                                     1024, 0);
    if (decode_s > 0 && fwd_s > 0) {
        v->inference_rps = nb / decode_s;
        double net = route_petals_network_rps(
            sn->downlink_bytes_per_s * 8, sn->uplink_bytes_per_s * 8,
            (int64_t)w->cfg.model->blocks[v->first_block].act_in_elems);
        v->throughput_rps = route_petals_server_throughput(1024 / fwd_s, net, nb, v->relayed);
    }
    sim_w_view_kv(w, i);
}

static void announce_rates(world *w)
{
    for (int i = 0; i < w->nodes.n; i++)
        sim_w_node_rates(w, i);
}

/* Group the nodes by span: each knows its replicas (a run of by_span) and
 * its span's leader (lowest id), which holds the span's dispatch FIFO.
 * O(n log n); the order is total, so the result is deterministic. */
static ss_status group_spans(world *w)
{
    w->nodes.by_span = ss_malloc_array((size_t)w->nodes.n, sizeof *w->nodes.by_span);
    span_key *keys = ss_malloc_array((size_t)(w->nodes.n ? w->nodes.n : 1), sizeof *keys);
    if (!w->nodes.by_span || !keys) {
        ss_free(keys);
        return SS_ENOMEM;
    }
    for (int i = 0; i < w->nodes.n; i++) {
        const route_node_view *v = &w->nodes.views[i];
        keys[i] = (span_key){v->first_block, v->end_block, v->id, i};
    }
    qsort(keys, (size_t)w->nodes.n, sizeof *keys, by_span_cmp);
    for (int i = 0; i < w->nodes.n; i++)
        w->nodes.by_span[i] = keys[i].index;
    ss_free(keys);
    for (int a = 0; a < w->nodes.n;) {
        const route_node_view *v = &w->nodes.views[w->nodes.by_span[a]];
        int b = a + 1;
        while (b < w->nodes.n &&
               w->nodes.views[w->nodes.by_span[b]].first_block == v->first_block &&
               w->nodes.views[w->nodes.by_span[b]].end_block == v->end_block)
            b++;
        for (int k = a; k < b; k++) {
            node_state *n = &w->nodes.at[w->nodes.by_span[k]];
            n->span_leader = w->nodes.by_span[a];
            n->span_pos = a;
            n->span_end = b;
        }
        a = b;
    }
    return SS_OK;
}

/* Replay the scenario's churn trace: every listed transition is scheduled
 * (a node may also fail by other causes; going down twice or up twice is
 * harmless, the second is ignored). */
static ss_status start_churn_trace(world *w, char *err, size_t errlen)
{
    const scn_scenario *s = w->cfg.scn;
    const char **names = ss_malloc_array((size_t)(s->n_nodes ? s->n_nodes : 1), sizeof *names);
    if (!names)
        return SS_ENOMEM;
    for (int i = 0; i < s->n_nodes; i++)
        names[i] = s->nodes[i].name;
    dset_churn_trace tr;
    char e2[768];
    ss_status st = dset_churn_trace_load(s->churn_trace_path, names, (size_t)s->n_nodes, &tr, e2,
                                        sizeof e2);
    ss_free(names);
    if (st != SS_OK)
        return ss_err(err, errlen, st, "%s: churn_trace: %s", s->source_path, e2);
    for (size_t k = 0; k < tr.n && st == SS_OK; k++)
        st = sim_engine_schedule(w->run.eng, tr.events[k].t_ns,
                                 tr.events[k].up ? sim_w_ev_node_up : sim_w_ev_node_down, w,
                                 (uint64_t)tr.events[k].node, 0, NULL);
    dset_churn_trace_fini(&tr);
    return st;
}

/* One alternating up/down process per node whose group churns, drawn from
 * the node's own stream; FTA presets come from the shared assets. */
static ss_status start_churn(world *w, const sim_run_opts *o, char *err, size_t errlen)
{
    const scn_scenario *s = w->cfg.scn;
    dset_churn_table table = {0};
    int loaded = 0;
    ss_status st = SS_OK;
    for (int i = 0; i < s->n_nodes && st == SS_OK; i++) {
        const scn_node *sn = &s->nodes[i];
        if (!s->groups || sn->group < 0 || sn->group >= s->n_groups)
            continue;
        const scn_group *g = &s->groups[sn->group];
        scn_dist up, down;
        char e2[768];
        if (g->churn == SCN_CHURN_NONE)
            continue;
        if (g->churn == SCN_CHURN_PRESET) {
            if (!loaded) {
                char path[4096];
                snprintf(path, sizeof path, "%s/churn/fta_fitted_availability_params.csv",
                         o->assets_dir ? o->assets_dir : ".");
                if ((st = dset_churn_load(path, &table, e2, sizeof e2)) != SS_OK) {
                    ss_err(err, errlen, st, "%s: churn: %s", s->source_path, e2);
                    break;
                }
                loaded = 1;
            }
            dset_churn_family fam;
            if ((st = dset_churn_family_parse(g->churn_family[0] ? g->churn_family : "weibull",
                                             &fam)) != SS_OK ||
                (st = dset_churn_find(&table, g->churn_preset, fam, &up, &down, e2,
                                     sizeof e2)) != SS_OK) {
                ss_err(err, errlen, st, "%s: node %s: churn: %s", s->source_path, sn->name,
                       st == SS_ENOTFOUND ? e2 : "unknown family");
                break;
            }
        } else {
            up = g->up_s;
            down = g->down_s;
        }
        if (!w->faults.churn &&
            !(w->faults.churn = ss_calloc((size_t)w->nodes.n, sizeof *w->faults.churn))) {
            st = SS_ENOMEM;
            break;
        }
        if ((st = sim_churn_proc_init(&w->faults.churn[i], &up, &down, s->seed, (uint64_t)i, 0)) !=
            SS_OK)
            break;
        int64_t t;
        int next_up;
        sim_churn_proc_next(&w->faults.churn[i], &t, &next_up);
        if (t < INT64_MAX &&
            (st = sim_engine_schedule(w->run.eng, t, sim_w_ev_churn, w, (uint64_t)i,
                                      (uint64_t)next_up, NULL)) != SS_OK)
            break;
    }
    if (loaded)
        dset_churn_fini(&table);
    if (st == SS_OK && s->churn_trace_path[0])
        st = start_churn_trace(w, err, errlen);
    return st;
}

static ss_status build_world(world *w, const sim_run_opts *o, char *err, size_t errlen)
{
    ss_status st = sim_world_materialize(w->cfg.scn, o->assets_dir, &w->cfg.wscn, err, errlen);
    if (st != SS_OK)
        return st;
    w->cfg.scn = &w->cfg.wscn.s;
    const scn_scenario *s = w->cfg.scn;
    if (!s->rtt_s)
        return ss_err(err, errlen, SS_EINVAL, "%s: network.rtt: measured RTTs need the shared "
                      "assets folder", s->source_path);
    st = real_model_load(s, o->presets_dir, o->model_path, &w->cfg.sm, err, errlen);
    if (st != SS_OK)
        return st;
    w->cfg.model = &w->cfg.sm.desc;
    w->cfg.synthetic = w->cfg.sm.synthetic;
    w->cfg.real = w->cfg.sm.net != NULL && !o->analytic;
    if (w->cfg.real && !w->cfg.sm.tok)
        return ss_err(err, errlen, SS_EUNSUPPORTED, "%s: model: this model is evaluated with "
                      "`shardsim eval`, it cannot serve generation requests", s->source_path);
    if ((st = sim_act_codec(s, &w->cfg.act_codec, err, errlen)) != SS_OK)
        return st;
    sim_w_client_init(w);

    w->nodes.n = s->n_nodes;
    w->nodes.at = ss_calloc((size_t)s->n_nodes, sizeof *w->nodes.at);
    w->routes.scratch = ss_malloc_array(MAX_HOPS, sizeof *w->routes.scratch);
    if (!w->nodes.at || !w->routes.scratch)
        return SS_ENOMEM;
    for (int i = 0; i < s->n_nodes; i++) {
        const scn_node *sn = &s->nodes[i];
        node_state *n = &w->nodes.at[i];
        n->dev = sim_node_device(sn);
        n->region = sn->region;
        const scn_group *g = s->groups && sn->group >= 0 && sn->group < s->n_groups
                                 ? &s->groups[sn->group] : NULL;
        double relay = g && g->relay ? 0.2 : 1.0; /* Petals: a relayed peer's rate x 0.2 */
        n->up_bps = sn->uplink_bytes_per_s * relay;
        n->down_bps = sn->downlink_bytes_per_s * relay;
        if (!(n->up_bps > 0) || !(n->down_bps > 0))
            return ss_err(err, errlen, SS_EINVAL, "%s: node %s: bandwidth must be positive",
                          s->source_path, sn->name);
        sim_nic_init(&n->nic, n->up_bps, n->down_bps);
        double lm = g ? g->last_mile_ms : s->last_mile_ms;
        n->last_mile_ns = sim_w_s_to_ns(lm / 1e3);
        n->slowdown = 1.0;
        if ((st = ss_rng_create(s->seed, SS_RNG_LINK, (uint64_t)i, SS_RNG_JITTER,
                                 &n->jitter_rng)) != SS_OK)
            return st;
        sim_queue_init(&n->compute_q);
        n->up = 1;
        n->rec.id = i;
        snprintf(n->rec.name, sizeof n->rec.name, "%s", sn->name);
        snprintf(n->rec.region, sizeof n->rec.region, "%s", s->regions[sn->region]);
        if (w->cfg.synthetic &&
            (st = ss_rng_create(s->seed, SS_RNG_NODE, (uint64_t)i, SS_RNG_SERVICE,
                                 &n->service_rng)) != SS_OK)
            return st;
    }
    if ((st = sim_place(s, w->cfg.model, &w->nodes.view, &w->nodes.views, err, errlen)) != SS_OK)
        return st;
    for (int i = 0; i < s->n_nodes; i++) {
        node_state *n = &w->nodes.at[i];
        n->rec.first_block = w->nodes.views[i].first_block;
        n->rec.end_block = w->nodes.views[i].end_block;
        sim_queue_init(&n->kv_q);
        double weights = 0;
        for (int b = n->rec.first_block; b >= 0 && b < n->rec.end_block; b++)
            weights += model_desc_block_weight_bytes(w->cfg.model, b);
        n->kv_capacity = s->nodes[i].memory_bytes - weights;
        sim_queue_init(&n->span_q);
    }
    if ((st = group_spans(w)) != SS_OK || (st = sim_trust_init(w, err, errlen)) != SS_OK)
        return st;
    announce_rates(w);
    w->routes.idle = ss_malloc_array((size_t)(s->n_nodes ? s->n_nodes : 1), sizeof *w->routes.idle);
    if (!w->routes.idle)
        return SS_ENOMEM;
    if ((st = sim_routing_open(s, &w->nodes.view, &w->routes.ops, &w->routes.settings,
                               &w->routes.state, err, errlen)) != SS_OK)
        return st;

    if ((st = ss_rng_create(s->seed, SS_RNG_LINK, UINT64_MAX, SS_RNG_JITTER,
                            &w->nodes.client_jitter_rng)) ||
        (st = ss_rng_create(s->seed, SS_RNG_FAULT, UINT64_MAX, SS_RNG_CHOICE,
                            &w->nodes.xfer_fail_rng)) ||
        (st = sim_workload_create(s, o->assets_dir, w->cfg.model->seq_len, &w->reqs.wl, err,
                                  errlen)))
        return st;
    if ((st = sim_time_from_s(s->horizon_s, &w->cfg.horizon_ns)) != SS_OK)
        return ss_err(err, errlen, st, "%s: horizon_s: too large", s->source_path);
    if (w->cfg.generate && !w->cfg.real)
        return ss_err(err, errlen, SS_EINVAL, "%s: model: generation needs real weights "
                      "(\"llama2c\"), not an analytic model", s->source_path);
    if ((st = sim_engine_create(&(sim_engine_cfg){.initial_capacity = 4096}, &w->run.eng)) != SS_OK ||
        (st = sim_w_announce_start(w)) != SS_OK || (st = sim_w_rebal_start(w)) != SS_OK)
        return st;
    for (int i = 0; i < s->n_faults; i++) {
        const scn_fault *f = &s->faults[i];
        int64_t down, up = -1;
        if (sim_time_from_s(f->down_at_s, &down) != SS_OK ||
            (f->up_at_s >= 0 && sim_time_from_s(f->up_at_s, &up) != SS_OK))
            return ss_err(err, errlen, SS_ERANGE, "%s: faults[%d]: time too large", s->source_path,
                          i);
        if ((st = sim_engine_schedule(w->run.eng, down, sim_w_ev_node_down, w, (uint64_t)f->node, 0,
                                      NULL)) ||
            (up >= 0 && (st = sim_engine_schedule(w->run.eng, up, sim_w_ev_node_up, w,
                                                  (uint64_t)f->node, 0, NULL))))
            return st;
    }
    for (int i = 0; i < s->n_stragglers; i++) {
        const scn_straggler *g = &s->stragglers[i];
        int64_t from, to;
        uint64_t bits;
        memcpy(&bits, &g->slowdown, sizeof bits);
        if (sim_time_from_s(g->from_s, &from) != SS_OK || sim_time_from_s(g->to_s, &to) != SS_OK)
            return ss_err(err, errlen, SS_ERANGE, "%s: stragglers[%d]: time too large",
                          s->source_path, i);
        if ((st = sim_engine_schedule(w->run.eng, from, sim_w_ev_straggle, w, (uint64_t)g->node,
                                      bits, NULL)) ||
            (st = sim_engine_schedule(w->run.eng, to, sim_w_ev_straggle, w, (uint64_t)g->node, 0,
                                      NULL)))
            return st;
    }
    return start_churn(w, o, err, errlen);
}

static void world_fini(world *w)
{
    if (w->routes.ops && w->routes.ops->fini)
        w->routes.ops->fini(w->routes.state);
    sim_w_rebal_fini(w); /* before the nodes it keeps streams in */
    for (int i = 0; w->nodes.at && i < w->nodes.n; i++) {
        gsl_rng_free(w->nodes.at[i].service_rng);
        gsl_rng_free(w->nodes.at[i].jitter_rng);
        ss_free(w->nodes.at[i].batch);
        ss_free(w->nodes.at[i].batch_spare);
    }
    gsl_rng_free(w->nodes.client_jitter_rng);
    gsl_rng_free(w->nodes.xfer_fail_rng);
    sim_trust_fini(w);
    sim_workload_destroy(w->reqs.wl);
    for (int i = 0; w->faults.churn && i < w->nodes.n; i++)
        sim_churn_proc_fini(&w->faults.churn[i]);
    ss_free(w->faults.churn);
    sim_engine_destroy(w->run.eng);
    for (int64_t i = 0; w->sess.at && i < w->reqs.n_arrived; i++)
        real_session_destroy(w->sess.at[i]);
    ss_free(w->sess.at);
    real_model_fini(&w->cfg.sm);
    ss_free(w->nodes.at);
    ss_free(w->nodes.views);
    sim_w_announce_fini(w);
    ss_free(w->nodes.by_span);
    ss_free(w->routes.scratch);
    ss_free(w->routes.settings);
    ss_free(w->routes.idle);
    ss_free(w->reqs.at);
    ss_free(w->reqs.next);
    ss_free(w->routes.slots);
    sim_w_obs_fini(w);
    sim_world_fini(&w->cfg.wscn);
}

static ss_status collect(world *w, sim_results *out)
{
    out->seed = w->cfg.scn->seed;
    out->slo_ttft_s = w->cfg.scn->slo_ttft_s;
    out->slo_tpot_s = w->cfg.scn->slo_tpot_s;
    out->end_ns = sim_engine_now(w->run.eng);
    out->n_events = sim_engine_n_run(w->run.eng) - w->nodes.n_announce_events - w->rebal.n_events;
    out->n_rebalance_moves = w->rebal.n_rebalance_moves;
    out->n_rejoin_moves = w->rebal.n_rejoin_moves;
    out->download_ns = w->rebal.download_ns;
    out->n_requests = (int)w->reqs.n_arrived;
    out->n_nodes = w->nodes.n;
    out->trust = w->trust.rec;
    out->requests =
        ss_calloc((size_t)(w->reqs.n_arrived ? w->reqs.n_arrived : 1), sizeof *out->requests);
    out->nodes = ss_calloc((size_t)w->nodes.n, sizeof *out->nodes);
    if (!out->requests || !out->nodes)
        return SS_ENOMEM;
    if (w->cfg.keep_routes && w->routes.n) {
        out->route = ss_malloc_array(w->routes.n, sizeof *out->route);
        if (!out->route)
            return SS_ENOMEM;
        for (uint32_t i = 0; i < w->routes.n; i++) {
            const route_hop *h = &w->routes.slots[i].hop;
            out->route[i] = h->state == ROUTE_HOP_BOUND ? (sim_route_rec){h->node, 1}
                                                        : (sim_route_rec){-1, 0};
        }
        out->n_route = w->routes.n;
    }
    for (int64_t i = 0; i < w->reqs.n_arrived; i++) {
        const req_state *q = &w->reqs.at[i];
        sim_request_rec *r = &out->requests[i];
        r->id = (uint64_t)i;
        r->arrival_ns = q->arrival_ns;
        r->first_token_ns = q->first_token_ns;
        r->finish_ns = q->finish_ns;
        r->prompt_tokens = q->prompt;
        r->output_tokens = q->output;
        r->tokens_done = q->done;
        r->retries = q->retries;
        r->dead_sends = q->dead_sends;
        r->hops = q->first_hops;
        r->tokens_recomputed = q->recomputed;
        r->truncated = q->truncated;
        r->recovery_ns = q->recovery_ns;
        r->status = q->status;
        if (out->route) {
            r->route_off = q->route_off;
            r->route_len = q->route_len;
        }
    }
    for (int i = 0; i < w->nodes.n; i++) {
        out->nodes[i] = w->nodes.at[i].rec;
        if (!w->nodes.at[i].up)
            out->nodes[i].down_ns += out->end_ns - w->nodes.at[i].down_since_ns;
    }
    return SS_OK;
}

/* The first arrivals: one open-loop arrival, or every closed-loop user's first. */
static void start_arrivals(world *w)
{
    int64_t users = sim_workload_users(w->reqs.wl);
    if (users == 0) {
        sim_w_schedule_next_arrival(w, -1);
        return;
    }
    for (int64_t u = 0; u < users; u++) {
        int64_t t = sim_workload_next(w->reqs.wl, 0);
        if (t < 0)
            break;
        w->reqs.pending_arrivals++;
        sim_w_schedule(w, t, sim_w_ev_arrival, (uint64_t)u + 1, 0);
    }
}

ss_status sim_run(const scn_scenario *s, const sim_run_opts *opts, sim_results *out, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    gsl_set_error_handler_off();
    world w = {.cfg = {.scn = s, .keep_routes = opts->keep_routes, .generate = opts->generate},
               .run = {.err = err, .errlen = errlen}};
    ss_status st = build_world(&w, opts, err, errlen);
    if (st == SS_OK && opts->obs)
        st = sim_w_obs_start(&w, opts->obs);
    if (st == SS_ENOMEM)
        ss_err(err, errlen, st, "%s: out of memory building the world", s->source_path);
    if (st == SS_OK && w.cfg.generate) { /* one generation: a single arrival at 0 */
        w.reqs.pending_arrivals = 1;
        st = sim_engine_schedule(w.run.eng, 0, sim_w_ev_arrival, &w, 0, 0, NULL);
    } else if (st == SS_OK) {
        start_arrivals(&w);
    }
    if (st == SS_OK) {
        if (opts->progress)
            sim_engine_set_progress(w.run.eng, opts->progress, opts->progress_ctx);
        sim_engine_run(w.run.eng, SIM_TIME_MAX);
        st = w.run.failure;
        if (st == SS_OK && w.obs && (sim_w_obs_end(&w), w.obs->failed))
            st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory recording events",
                        s->source_path);
    }
    if (st == SS_OK && (st = collect(&w, out)) != SS_OK)
        ss_err(err, errlen, st, "%s: out of memory collecting results", s->source_path);
    if (st != SS_OK)
        sim_results_fini(out);
    world_fini(&w);
    return st;
}

ss_status sim_check(const scn_scenario *s, const sim_run_opts *opts, char *err, size_t errlen)
{
    gsl_set_error_handler_off();
    world w = {.cfg = {.scn = s, .keep_routes = opts->keep_routes, .generate = opts->generate},
               .run = {.err = err, .errlen = errlen}};
    ss_status st = build_world(&w, opts, err, errlen);
    if (st == SS_ENOMEM)
        ss_err(err, errlen, st, "%s: out of memory building the world", s->source_path);
    world_fini(&w);
    return st;
}
