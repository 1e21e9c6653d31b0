/* sim_run.c - the world of one run and the handlers of its events.
 *
 * Sizes: requests up to 1e8 over a run (state 48 bytes each, grown by
 * doubling as they arrive), nodes up to 1e6, hops per route up to the
 * model's blocks. Every queue is FIFO and every tie is broken by the
 * engine's sequence numbers, so the event order is a pure function of the
 * scenario and seed.
 */
#include "sim_run.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "comp.h"
#include "model_cost.h"
#include "model_desc.h"
#include "route.h"
#include "sim_engine.h"
#include "sim_churn.h"
#include "sim_model.h"
#include "sim_nic.h"
#include "sim_place.h"
#include "sim_rng.h"
#include "sim_session.h"
#include "sim_workload.h"
#include "sim_world.h"
#include "ss_alloc.h"

#define MAX_HOPS 4096
/* Petals' client: when no live node serves a span, retry after 0, 1, 2, 4,
 * ... seconds, at most 60 s apart, and give up after this many attempts. */
#define MAX_RECOVERY_ATTEMPTS 10
#define MAX_RETRY_DELAY_S 60
/* A session waits at most this long for KV-cache room on a node (Petals'
 * servers queue an inference session up to 600 s), then fails. */
#define KV_WAIT_S 600

typedef struct req_state {
    int64_t arrival_ns, first_token_ns, finish_ns;
    int32_t prompt, output, done; /* tokens; real mode: output = steps, done = passes */
    int32_t hop;            /* hop of the current pass */
    int32_t retries;        /* recoveries after node failures */
    int32_t replay_rows;    /* positions to replay at the current hop before its pass */
    uint32_t route_off;     /* hops: w->route_pool[route_off .. +route_len) */
    uint32_t route_len;
    int64_t next_in_queue;  /* intrusive FIFO link at a node, -1: none */
    uint64_t wire_bytes;    /* real mode: encoded activation now in flight */
    sim_request_status status;
    int finished;
    sim_event_id kv_wait_ev; /* admission timeout while waiting for KV room */
    int dispatched;          /* late binding: assigned to a node, transfer in flight */
    int64_t user;            /* closed loop: the user who sent it, else -1 */
} req_state;

typedef struct node_state {
    model_device dev;
    int region;
    double up_bps, down_bps; /* bytes/s (relayed nodes: 0.2 of their line rate, as Petals counts) */
    sim_nic nic;             /* FIFO uplink and downlink: concurrent transfers queue */
    int64_t last_mile_ns;    /* one-way access delay added to every transfer of this node */
    gsl_rng *jitter_rng;     /* per-transfer jitter of transfers this node sends */
    double slowdown;         /* straggler factor on compute time, 1 normally */
    int up;
    int64_t down_since_ns;   /* when it went down, while !up */
    uint32_t epoch;          /* bumped at every failure: caches made before are gone */
    int64_t q_head, q_tail;  /* FIFO of request indices waiting to compute */
    int64_t *batch;          /* (n_batch) requests computing now, as one batch */
    int64_t *batch_spare;    /* the other buffer: compute_done iterates it while a new batch fills `batch` */
    int n_batch, cap_batch;
    sim_event_id running_ev; /* the batch's completion event (cancelled if the node fails) */
    int64_t running_end_ns;
    double kv_capacity;      /* bytes left for KV caches: memory - span weights */
    double kv_used;          /* bytes reserved by admitted sessions */
    int64_t kv_head, kv_tail; /* FIFO of requests waiting for KV room */
    int incoming;            /* late binding: sessions assigned here, still in transit */
    int span_leader;         /* lowest-id node serving the same span */
    int span_pos;            /* replicas of the span: w->by_span[span_pos .. span_end) */
    int span_end;
    int64_t sq_head, sq_tail; /* leader only: the span's dispatch FIFO */
    gsl_rng *service_rng;    /* synthetic models: service-time draws */
    sim_node_rec rec;
} node_state;

typedef struct world {
    const scn_scenario *scn;  /* = &wscn.s: the scenario with concrete nodes */
    sim_world_scn wscn;
    gsl_rng *client_jitter_rng;
    sim_engine *eng;
    sim_model sm;       /* description (+ network, tokenizer in real mode) */
    const model_desc *model;
    int synthetic;
    comp_codec act_codec;
    int n_nodes;
    node_state *nodes;
    route_node_view *view_nodes;
    int *by_span;           /* (n_nodes) node ids sorted by (first_block, end_block, id) */
    route_view view;
    const route_routing_ops *routing;
    void *routing_state;
    sim_workload *wl;
    sim_churn_proc *churn;  /* (n_nodes) failure processes; NULL when no node churns */
    int64_t horizon_ns;
    int64_t n_arrived;
    req_state *reqs;
    int64_t cap_reqs;
    route_hop *route_pool;
    uint32_t *route_epoch;  /* (cap_route) epoch of the hop node's cache for that request */
    double *route_kv;       /* (cap_route) KV bytes reserved there, < 0: not admitted */
    uint32_t n_route, cap_route;
    int64_t n_active;       /* arrived, not finished */
    int64_t pending_arrivals; /* arrival events scheduled, not yet run */
    /* real mode */
    int real;
    sim_session **sess;     /* (cap_reqs) per request, NULL once finished */
    const sim_generate_spec *generate;
    route_hop *scratch_hops;
    int keep_routes;
    ss_status failure; /* first error inside a handler; stops the run */
    char *err;
    size_t errlen;
} world;

static void ev_arrival(sim_engine *e, void *ctx, uint64_t a, uint64_t b);
static void ev_hop_arrive(sim_engine *e, void *ctx, uint64_t req, uint64_t b);
static void ev_compute_done(sim_engine *e, void *ctx, uint64_t node, uint64_t b);
static void ev_pass_done(sim_engine *e, void *ctx, uint64_t req, uint64_t b);
static void ev_node_down(sim_engine *e, void *ctx, uint64_t node, uint64_t b);
static void ev_node_up(sim_engine *e, void *ctx, uint64_t node, uint64_t b);
static void ev_retry(sim_engine *e, void *ctx, uint64_t req, uint64_t hop);

static void route_request(world *w, int64_t ri);

/* Petals' client backoff before attempt k + 1 (k = 0, 1, ...): 0, 1, 2, 4,
 * ... seconds, at most MAX_RETRY_DELAY_S. */
static double retry_delay_s(int k)
{
    if (k <= 0)
        return 0;
    return k > 7 ? MAX_RETRY_DELAY_S : fmin(MAX_RETRY_DELAY_S, ldexp(1, k - 1));
}

static void fail(world *w, ss_status st, const char *what)
{
    if (w->failure == SS_OK) {
        w->failure = st;
        ss_err(w->err, w->errlen, st, "simulation stopped: %s: %s", what, ss_strerror(st));
    }
    sim_engine_stop(w->eng);
}

static int64_t s_to_ns(double s)
{
    /* Costs are finite and far below 292 years; clamp defensively anyway. */
    if (!(s > 0))
        return 0;
    if (s > 9.2e9)
        return INT64_MAX / 4;
    return (int64_t)llround(s * 1e9);
}

static void schedule(world *w, int64_t at, sim_handler fn, uint64_t a, uint64_t b)
{
    ss_status st = sim_engine_schedule(w->eng, at, fn, w, a, b, NULL);
    if (st != SS_OK)
        fail(w, st, "scheduling an event");
}

/* ---- network -------------------------------------------------------------- */

/* Analytic bytes on the wire for n_tok activation rows of width `width`. */
static double act_bytes(world *w, int64_t n_tok, uint32_t width)
{
    if (w->synthetic)
        return n_tok > 0 ? w->scn->model.activation_bytes : 0;
    if (n_tok <= 0)
        return 0;
    uint64_t bytes = 0;
    if (comp_wire_bytes_max(&w->act_codec, (size_t)n_tok, width, &bytes) != SS_OK)
        return 4.0 * (double)n_tok * width; /* unreachable for the codecs checked at start */
    return (double)bytes;
}

static uint32_t width_in(world *w, const route_hop *h)
{
    return w->synthetic ? 0 : w->model->blocks[h->first_block].act_in_elems;
}

static uint32_t width_out(world *w, const route_hop *h)
{
    return w->synthetic ? 0 : w->model->blocks[h->end_block - 1].act_out_elems;
}

/* Arrival time of a transfer of `bytes` from `src` to `dst` (node
 * indices, -1 = the client) starting now: it waits for the sender's uplink
 * and the receiver's downlink to be free (FIFO), serialises at the slower
 * of the two, then propagates for half the regions' round trip plus each
 * endpoint's last mile plus jitter. The client has no NIC limit. */
static int64_t transfer_arrival(world *w, int src, int dst, double bytes)
{
    const scn_scenario *s = w->scn;
    int ra = src < 0 ? s->workload.client_region : w->nodes[src].region;
    int rb = dst < 0 ? s->workload.client_region : w->nodes[dst].region;
    double one_way_s = 0.5 * s->rtt_s[ra * s->n_regions + rb];
    if (s->jitter_ms.kind != SCN_DIST_CONST || s->jitter_ms.a > 0) {
        gsl_rng *r = src >= 0 ? w->nodes[src].jitter_rng : w->client_jitter_rng;
        double j = sim_rng_draw(r, &s->jitter_ms);
        if (j > 0)
            one_way_s += j / 1e3;
    }
    int64_t one_way = s_to_ns(one_way_s) + (src >= 0 ? w->nodes[src].last_mile_ns : 0) +
                      (dst >= 0 ? w->nodes[dst].last_mile_ns : 0);
    uint64_t b = bytes > 0 ? (uint64_t)bytes : 0;
    if (src >= 0)
        w->nodes[src].rec.bytes_out += b;
    if (dst >= 0)
        w->nodes[dst].rec.bytes_in += b;
    sim_nic_dir unlimited = {.bytes_per_s = 1e18};
    sim_nic_dir *up = src >= 0 ? &w->nodes[src].nic.up : &unlimited;
    sim_nic_dir *down = dst >= 0 ? &w->nodes[dst].nic.down : &unlimited;
    int64_t start, finish, now = sim_engine_now(w->eng);
    if (sim_nic_reserve(up, down, now, b, one_way, &start, &finish) != SS_OK)
        return INT64_MAX / 4; /* beyond any horizon: rates are checked positive at build */
    return finish;
}

/* ---- requests ------------------------------------------------------------- */

/* Rows of the current pass and positions already cached before it. */
static int pass_rows(const world *w, int64_t ri)
{
    if (w->real)
        return sim_session_pass_rows(w->sess[ri]);
    const req_state *q = &w->reqs[ri];
    return q->done == 0 ? q->prompt : 1;
}

static int64_t pass_ctx(const world *w, int64_t ri)
{
    if (w->real)
        return sim_session_pass_pos(w->sess[ri]);
    const req_state *q = &w->reqs[ri];
    return q->done == 0 ? 0 : q->prompt + q->done - 1;
}

static route_hop *hop_of(world *w, int64_t ri, int hop)
{
    return &w->route_pool[w->reqs[ri].route_off + (uint32_t)hop];
}

/* ---- KV-cache memory ------------------------------------------------------ */

/* KV bytes a session reserves on the node of hop `hop`: its whole length
 * (prompt + output positions) for every block of the span, reserved when it
 * first reaches the node, as Petals allocates a session's cache up front. */
static double kv_need(const world *w, int64_t ri, int hop)
{
    const req_state *q = &w->reqs[ri];
    const route_hop *h = &w->route_pool[q->route_off + (uint32_t)hop];
    double positions = w->real ? (double)q->output : (double)q->prompt + (double)q->output;
    double per_pos = 0;
    for (int b = h->first_block; b < h->end_block; b++)
        per_pos += (double)w->model->blocks[b].kv_elems_per_item * w->model->kv_bytes_per_elem;
    return per_pos * positions;
}

static void admitted(world *w, int64_t ri);
static void ev_kv_timeout(sim_engine *e, void *ctx, uint64_t req, uint64_t b);

/* Give back hop `hop`'s reservation (if its node still holds it) and let
 * waiting sessions in. */
static void release_kv(world *w, int64_t ri, int hop)
{
    req_state *q = &w->reqs[ri];
    uint32_t idx = q->route_off + (uint32_t)hop;
    double kv = w->route_kv[idx];
    w->route_kv[idx] = -1;
    if (kv < 0)
        return;
    node_state *n = &w->nodes[w->route_pool[idx].node];
    if (!n->up || w->route_epoch[idx] != n->epoch)
        return; /* the node failed since: its memory was cleared then */
    n->kv_used -= kv;
    /* admit waiting sessions in arrival order while the head fits */
    while (n->kv_head >= 0) {
        int64_t wi = n->kv_head;
        req_state *wq = &w->reqs[wi];
        double need = kv_need(w, wi, wq->hop);
        if (n->kv_used + need > n->kv_capacity)
            break;
        n->kv_head = wq->next_in_queue;
        if (n->kv_head < 0)
            n->kv_tail = -1;
        sim_engine_cancel(w->eng, wq->kv_wait_ev);
        n->kv_used += need;
        if ((uint64_t)n->kv_used > n->rec.kv_peak_bytes)
            n->rec.kv_peak_bytes = (uint64_t)n->kv_used;
        w->route_kv[wq->route_off + (uint32_t)wq->hop] = need;
        admitted(w, wi);
    }
}

/* Reserve KV room for the request's current hop at its node, or queue it.
 * Returns 1 if admitted now. */
static int admit_kv(world *w, int64_t ri)
{
    req_state *q = &w->reqs[ri];
    uint32_t idx = q->route_off + (uint32_t)q->hop;
    if (w->route_kv[idx] >= 0)
        return 1;
    node_state *n = &w->nodes[w->route_pool[idx].node];
    double need = kv_need(w, ri, q->hop);
    if (n->kv_head < 0 && n->kv_used + need <= n->kv_capacity) {
        n->kv_used += need;
        if ((uint64_t)n->kv_used > n->rec.kv_peak_bytes)
            n->rec.kv_peak_bytes = (uint64_t)n->kv_used;
        w->route_kv[idx] = need;
        return 1;
    }
    q->next_in_queue = -1;
    if (n->kv_tail < 0)
        n->kv_head = ri;
    else
        w->reqs[n->kv_tail].next_in_queue = ri;
    n->kv_tail = ri;
    ss_status st = sim_engine_schedule(w->eng, sim_engine_now(w->eng) + KV_WAIT_S * SIM_NS_PER_S,
                                       ev_kv_timeout, w, (uint64_t)ri, 0, &q->kv_wait_ev);
    if (st != SS_OK)
        fail(w, st, "scheduling an event");
    return 0;
}

static void finish_request(world *w, int64_t ri, sim_request_status status)
{
    req_state *q = &w->reqs[ri];
    for (uint32_t h = 0; h < q->route_len; h++)
        release_kv(w, ri, (int)h);
    q->status = status;
    q->finished = 1;
    if (status == SIM_REQUEST_OK)
        q->finish_ns = sim_engine_now(w->eng);
    if (w->real) {
        sim_session_destroy(w->sess[ri]);
        w->sess[ri] = NULL;
    }
    w->n_active--;
    if (q->user >= 0) { /* closed loop: this user thinks, then sends again */
        int64_t t = sim_workload_next(w->wl, sim_engine_now(w->eng));
        if (t >= 0) {
            w->pending_arrivals++;
            schedule(w, t, ev_arrival, (uint64_t)q->user + 1, 0);
        }
    }
    if (w->n_active == 0 && w->pending_arrivals == 0)
        sim_engine_stop(w->eng); /* nothing left but failures and recoveries */
}

static int node_idle(const node_state *n)
{
    return n->up && n->n_batch == 0 && n->q_head < 0 && n->kv_head < 0 && n->incoming == 0;
}

static void send_hop(world *w, int64_t ri);

/* Late binding: bind the request's current hop to node ni and send it. */
static void bind_hop(world *w, int64_t ri, int ni)
{
    req_state *q = &w->reqs[ri];
    uint32_t idx = q->route_off + (uint32_t)q->hop;
    w->route_pool[idx].node = ni;
    w->route_epoch[idx] = w->nodes[ni].epoch;
    w->nodes[ni].incoming++;
    q->dispatched = 1;
    send_hop(w, ri);
}

/* Send the current pass's input to hop q->hop; with late binding an unbound
 * hop first goes to an idle replica, or waits in its span's FIFO. */
static void start_hop(world *w, int64_t ri)
{
    req_state *q = &w->reqs[ri];
    const route_hop *h = hop_of(w, ri, q->hop);
    if (h->node < 0) {
        /* an unbound hop holds -1 - (its span's leader): the replicas are
         * the leader's group, scanned in id order */
        node_state *l = &w->nodes[-1 - h->node];
        for (int k = l->span_pos; k < l->span_end; k++)
            if (node_idle(&w->nodes[w->by_span[k]])) {
                bind_hop(w, ri, w->by_span[k]);
                return;
            }
        q->next_in_queue = -1;
        if (l->sq_tail < 0)
            l->sq_head = ri;
        else
            w->reqs[l->sq_tail].next_in_queue = ri;
        l->sq_tail = ri;
        return;
    }
    send_hop(w, ri);
}

/* A node became idle: take the oldest session waiting for its span. */
static void pull_span_queue(world *w, int ni)
{
    node_state *n = &w->nodes[ni];
    node_state *l = &w->nodes[n->span_leader];
    if (!w->routing->late_binding || !node_idle(n) || l->sq_head < 0)
        return;
    int64_t ri = l->sq_head;
    l->sq_head = w->reqs[ri].next_in_queue;
    if (l->sq_head < 0)
        l->sq_tail = -1;
    bind_hop(w, ri, ni);
}

static void send_hop(world *w, int64_t ri)
{
    req_state *q = &w->reqs[ri];
    const route_hop *h = hop_of(w, ri, q->hop);
    int src = q->hop == 0 ? -1 : hop_of(w, ri, q->hop - 1)->node;
    double bytes = w->real ? (double)q->wire_bytes : act_bytes(w, pass_rows(w, ri), width_in(w, h));
    schedule(w, transfer_arrival(w, src, h->node, bytes), ev_hop_arrive, (uint64_t)ri, 0);
}

/* The node of hop `hop` failed (or lost this session's cache): move the hop
 * to the lowest-numbered live node serving the same span (the original one
 * if it is back), rebuild the session's cache there by replaying its stored
 * inputs, and resend the current input from the client. */
static void recover(world *w, int64_t ri, int hop)
{
    req_state *q = &w->reqs[ri];
    route_hop *h = hop_of(w, ri, hop);
    int pick = -1;
    if (w->nodes[h->node].up)
        pick = h->node;
    for (int i = 0; i < w->n_nodes && pick < 0; i++)
        if (w->nodes[i].up && w->view_nodes[i].first_block == h->first_block &&
            w->view_nodes[i].end_block == h->end_block)
            pick = i;
    q->retries++;
    if (pick < 0) {
        if (q->retries >= MAX_RECOVERY_ATTEMPTS) {
            finish_request(w, ri, SIM_REQUEST_FAILED);
            return;
        }
        schedule(w, sim_engine_now(w->eng) + s_to_ns(retry_delay_s(q->retries - 1)), ev_retry,
                 (uint64_t)ri, (uint64_t)hop);
        return;
    }
    release_kv(w, ri, hop);
    h->node = pick;
    w->route_epoch[q->route_off + (uint32_t)hop] = w->nodes[pick].epoch;
    int replay = (int)pass_ctx(w, ri);
    if (w->real) {
        char e2[256];
        ss_status st = sim_session_replace_hop(w->sess[ri], hop, &replay, e2, sizeof e2);
        if (st != SS_OK) {
            if (w->failure == SS_OK) {
                w->failure = st;
                ss_err(w->err, w->errlen, st, "request %lld: %s", (long long)ri, e2);
            }
            sim_engine_stop(w->eng);
            return;
        }
    }
    q->replay_rows = replay;
    double bytes = act_bytes(w, replay, width_in(w, h)) +
                   (w->real ? (double)q->wire_bytes : act_bytes(w, pass_rows(w, ri), width_in(w, h)));
    schedule(w, transfer_arrival(w, -1, pick, bytes), ev_hop_arrive, (uint64_t)ri, 0);
}

static void ev_retry(sim_engine *e, void *ctx, uint64_t req, uint64_t hop)
{
    (void)e;
    recover(ctx, (int64_t)req, (int)hop);
}

static ss_status grow_reqs(world *w)
{
    if (w->n_arrived < w->cap_reqs)
        return SS_OK;
    int64_t cap = w->cap_reqs ? w->cap_reqs * 2 : 1024;
    if (w->scn->workload.n_requests > 0 && cap > w->scn->workload.n_requests)
        cap = w->scn->workload.n_requests;
    if (cap <= w->n_arrived)
        cap = w->n_arrived + 1;
    req_state *r = ss_realloc(w->reqs, (size_t)cap * sizeof *r);
    if (!r)
        return SS_ENOMEM;
    w->reqs = r;
    if (w->real) {
        sim_session **p = ss_realloc(w->sess, (size_t)cap * sizeof *p);
        if (!p)
            return SS_ENOMEM;
        w->sess = p;
    }
    w->cap_reqs = cap;
    return SS_OK;
}

static ss_status append_route(world *w, const route_hop *hops, int n, uint32_t *off)
{
    if ((uint64_t)w->n_route + (uint64_t)n > UINT32_MAX)
        return SS_EFULL;
    if (w->n_route + (uint32_t)n > w->cap_route) {
        uint64_t cap = w->cap_route ? (uint64_t)w->cap_route * 2 : 1024;
        while (cap < (uint64_t)w->n_route + (uint64_t)n)
            cap *= 2;
        if (cap > UINT32_MAX)
            cap = UINT32_MAX;
        route_hop *p = ss_realloc(w->route_pool, (size_t)cap * sizeof *p);
        if (!p)
            return SS_ENOMEM;
        w->route_pool = p;
        uint32_t *e = ss_realloc(w->route_epoch, (size_t)cap * sizeof *e);
        if (!e)
            return SS_ENOMEM;
        w->route_epoch = e;
        double *k = ss_realloc(w->route_kv, (size_t)cap * sizeof *k);
        if (!k)
            return SS_ENOMEM;
        w->route_kv = k;
        w->cap_route = (uint32_t)cap;
    }
    memcpy(w->route_pool + w->n_route, hops, (size_t)n * sizeof *hops);
    for (int i = 0; i < n; i++) {
        w->route_epoch[w->n_route + (uint32_t)i] = hops[i].node >= 0 ? w->nodes[hops[i].node].epoch : 0;
        w->route_kv[w->n_route + (uint32_t)i] = -1;
    }
    *off = w->n_route;
    w->n_route += (uint32_t)n;
    return SS_OK;
}

/* Open loop: the next arrival after the one now (sim_workload.h). */
static void schedule_next_arrival(world *w, int64_t now)
{
    if (w->generate || sim_workload_users(w->wl) > 0)
        return;
    int64_t t = sim_workload_next(w->wl, now);
    if (t >= 0) {
        w->pending_arrivals++;
        schedule(w, t, ev_arrival, 0, 0);
    }
}

static void stop_with(world *w, ss_status st, const char *msg)
{
    if (w->failure == SS_OK) {
        w->failure = st;
        ss_err(w->err, w->errlen, st, "%s", msg);
    }
    sim_engine_stop(w->eng);
}

/* Real mode: the request's session, and the first pass's input. */
static ss_status open_session(world *w, int64_t ri, const route_hop *hops, int n_hops)
{
    req_state *q = &w->reqs[ri];
    const char *prompt = w->generate ? w->generate->prompt : NULL;
    int steps = w->generate ? w->generate->steps : q->prompt + q->output;
    sim_session_cfg cfg = {.net = w->sm.net, .tok = w->sm.tok, .codec = w->act_codec, .prompt = prompt,
                           .steps = steps, .out = w->generate ? w->generate->out : NULL,
                           .n_hops = n_hops, .hops = hops};
    char e2[512];
    ss_status st = sim_session_create(&cfg, &w->sess[ri], e2, sizeof e2);
    if (st == SS_OK)
        st = sim_session_begin_pass(w->sess[ri], &q->wire_bytes, e2, sizeof e2);
    if (st != SS_OK) {
        char msg[700];
        snprintf(msg, sizeof msg, "request %lld: %s", (long long)ri, e2);
        stop_with(w, st, msg);
        return st;
    }
    q->prompt = sim_session_pass_rows(w->sess[ri]);
    q->output = steps;
    return SS_OK;
}

/* a: 0 for an open-loop arrival, user + 1 in a closed loop */
static void ev_arrival(sim_engine *e, void *ctx, uint64_t a, uint64_t b)
{
    world *w = ctx;
    (void)b;
    w->pending_arrivals--;
    ss_status st = grow_reqs(w);
    if (st != SS_OK) {
        fail(w, st, "growing the request table");
        return;
    }
    int64_t ri = w->n_arrived++;
    w->n_active++;
    req_state *q = &w->reqs[ri];
    memset(q, 0, sizeof *q);
    q->arrival_ns = sim_engine_now(e);
    q->first_token_ns = q->finish_ns = -1;
    q->next_in_queue = -1;
    q->status = SIM_REQUEST_INCOMPLETE;
    q->user = (int64_t)a - 1;
    if (w->real)
        w->sess[ri] = NULL;
    sim_workload_tokens(w->wl, &q->prompt, &q->output);
    schedule_next_arrival(w, sim_engine_now(e));
    route_request(w, ri);
}

static void ev_route_retry(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    (void)e;
    (void)b;
    route_request(ctx, (int64_t)req);
}

/* Choose the request's chain and send its first pass; with no live chain
 * now, retry with Petals' backoff (as recover does) and fail after
 * MAX_RECOVERY_ATTEMPTS. */
static void route_request(world *w, int64_t ri)
{
    req_state *q = &w->reqs[ri];
    int n_hops = 0;
    char rerr[256];
    ss_status st = w->routing->choose(w->routing_state, &w->view, (uint64_t)ri, w->scratch_hops,
                                      MAX_HOPS, &n_hops, rerr, sizeof rerr);
    if (st == SS_ENOTFOUND) {
        if (++q->retries >= MAX_RECOVERY_ATTEMPTS) {
            finish_request(w, ri, SIM_REQUEST_FAILED);
            return;
        }
        schedule(w, sim_engine_now(w->eng) + s_to_ns(retry_delay_s(q->retries - 1)),
                 ev_route_retry, (uint64_t)ri, 0);
        return;
    }
    if (st != SS_OK) {
        char msg[400];
        snprintf(msg, sizeof msg, "routing request %lld: %s", (long long)ri, rerr);
        stop_with(w, st, msg);
        return;
    }
    if (w->routing->late_binding)
        for (int h = 0; h < n_hops; h++)
            w->scratch_hops[h].node = -1 - w->nodes[w->scratch_hops[h].node].span_leader;
    if ((st = append_route(w, w->scratch_hops, n_hops, &q->route_off)) != SS_OK) {
        fail(w, st, "storing a route");
        return;
    }
    q->route_len = (uint32_t)n_hops;
    if (w->real && open_session(w, ri, w->scratch_hops, n_hops) != SS_OK)
        return;
    start_hop(w, ri);
}

/* Unlink request `ri` (whose predecessor in the FIFO is `prev`, -1 at the head). */
static void queue_unlink(world *w, node_state *n, int64_t prev, int64_t ri)
{
    int64_t next = w->reqs[ri].next_in_queue;
    if (prev < 0)
        n->q_head = next;
    else
        w->reqs[prev].next_in_queue = next;
    if (n->q_tail == ri)
        n->q_tail = prev;
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
    int64_t max = w->synthetic ? 0 : w->scn->max_batch_tokens;
    if (max <= 0) {
        int64_t ri = n->q_head;
        queue_unlink(w, n, -1, ri);
        return batch_push(n, ri);
    }
    if (w->scn->prefill_first)
        for (int64_t prev = -1, ri = n->q_head; ri >= 0; prev = ri, ri = w->reqs[ri].next_in_queue)
            if (pass_rows(w, ri) > 1) {
                queue_unlink(w, n, prev, ri);
                return batch_push(n, ri);
            }
    int64_t tokens = 0, prev = -1;
    for (int64_t ri = n->q_head; ri >= 0 && tokens < max;) {
        int64_t next = w->reqs[ri].next_in_queue;
        if (pass_rows(w, ri) == 1) {
            queue_unlink(w, n, prev, ri);
            ss_status st = batch_push(n, ri);
            if (st != SS_OK)
                return st;
            tokens++;
        } else {
            prev = ri;
        }
        ri = next;
    }
    if (n->n_batch == 0) { /* only prefills wait */
        int64_t ri = n->q_head;
        queue_unlink(w, n, -1, ri);
        return batch_push(n, ri);
    }
    return SS_OK;
}

/* Seconds the batch takes on node n (before straggler slowdown). */
static double batch_cost_s(world *w, node_state *n)
{
    const route_hop *h = hop_of(w, n->batch[0], w->reqs[n->batch[0]].hop);
    double s = 0;
    if (w->synthetic)
        return sim_rng_draw(n->service_rng, &w->scn->model.service_time_s);
    if (n->n_batch == 1) {
        s = model_cost_span_s(&n->dev, w->model, h->first_block, h->end_block,
                              pass_rows(w, n->batch[0]), pass_ctx(w, n->batch[0]));
    } else {
        /* b decode steps: the weights stream once for the whole batch; the
         * attention and KV terms are linear in context, so the batch at the
         * mean context costs what the sum over its members does (up to
         * rounding the mean) */
        double ctx = 0;
        for (int i = 0; i < n->n_batch; i++)
            ctx += (double)pass_ctx(w, n->batch[i]);
        s = model_cost_span_batch(&n->dev, w->model, h->first_block, h->end_block, n->n_batch, 1,
                                  (int64_t)llround(ctx / n->n_batch)).total_s;
    }
    /* after a failure, a new node first rebuilds a session's cache: a
     * prefill of every earlier position (Petals' replay) */
    for (int i = 0; i < n->n_batch; i++) {
        req_state *q = &w->reqs[n->batch[i]];
        if (q->replay_rows > 0)
            s += model_cost_span_s(&n->dev, w->model, h->first_block, h->end_block,
                                   q->replay_rows, 0);
        q->replay_rows = 0;
    }
    return s;
}

/* The node is free and work waits: run the next batch. */
static void start_batch(world *w, int ni)
{
    node_state *n = &w->nodes[ni];
    if (n->n_batch > 0 || n->q_head < 0 || !n->up)
        return;
    ss_status st = take_batch(w, n);
    if (st != SS_OK) {
        fail(w, st, "forming a batch");
        return;
    }
    int64_t d = s_to_ns(batch_cost_s(w, n) * n->slowdown);
    n->running_end_ns = sim_engine_now(w->eng) + d;
    n->rec.busy_ns += d;
    n->rec.n_tasks += (uint64_t)n->n_batch;
    st = sim_engine_schedule(w->eng, n->running_end_ns, ev_compute_done, w, (uint64_t)ni, 0,
                             &n->running_ev);
    if (st != SS_OK)
        fail(w, st, "scheduling an event");
}

static void ev_hop_arrive(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    world *w = ctx;
    (void)e;
    (void)b;
    int64_t ri = (int64_t)req;
    req_state *q = &w->reqs[ri];
    int ni = hop_of(w, ri, q->hop)->node;
    node_state *n = &w->nodes[ni];
    if (q->dispatched) {
        q->dispatched = 0;
        n->incoming--;
    }
    /* A dead node, or one that died and came back without this session's
     * cache, is found out on contact. */
    if (!n->up || w->route_epoch[q->route_off + (uint32_t)q->hop] != n->epoch) {
        recover(w, ri, q->hop);
        return;
    }
    if (admit_kv(w, ri))
        admitted(w, ri);
}

/* The request holds KV room at its current hop's node: compute or queue. */
static void admitted(world *w, int64_t ri)
{
    req_state *q = &w->reqs[ri];
    int ni = hop_of(w, ri, q->hop)->node;
    node_state *n = &w->nodes[ni];
    q->next_in_queue = -1;
    if (n->q_tail < 0)
        n->q_head = ri;
    else
        w->reqs[n->q_tail].next_in_queue = ri;
    n->q_tail = ri;
    start_batch(w, ni);
}

/* Waited KV_WAIT_S without room: leave the node's waiting line and fail. */
static void ev_kv_timeout(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    world *w = ctx;
    (void)e;
    (void)b;
    int64_t ri = (int64_t)req;
    req_state *q = &w->reqs[ri];
    node_state *n = &w->nodes[hop_of(w, ri, q->hop)->node];
    int64_t prev = -1;
    for (int64_t i = n->kv_head; i >= 0; prev = i, i = w->reqs[i].next_in_queue) {
        if (i != ri)
            continue;
        if (prev < 0)
            n->kv_head = q->next_in_queue;
        else
            w->reqs[prev].next_in_queue = q->next_in_queue;
        if (n->kv_tail == ri)
            n->kv_tail = prev;
        break;
    }
    finish_request(w, ri, SIM_REQUEST_FAILED);
}

/* One batch member's pass moves on from hop q->hop at node ni. */
static int continue_after_compute(world *w, int ni, int64_t ri)
{
    req_state *q = &w->reqs[ri];
    if (w->real) {
        /* the real forward pass of this span, on this node's cache */
        char e2[512];
        ss_status st = sim_session_compute(w->sess[ri], q->hop, &q->wire_bytes, e2, sizeof e2);
        if (st != SS_OK) {
            char msg[700];
            snprintf(msg, sizeof msg, "request %lld, node %s: %s", (long long)ri,
                     w->nodes[ni].rec.name, e2);
            stop_with(w, st, msg);
            return -1;
        }
    }
    if ((uint32_t)q->hop + 1 < q->route_len) {
        q->hop++;
        start_hop(w, ri);
    } else {
        const route_hop *h = hop_of(w, ri, q->hop);
        double bytes = w->real ? (double)q->wire_bytes : act_bytes(w, pass_rows(w, ri), width_out(w, h));
        schedule(w, transfer_arrival(w, ni, -1, bytes), ev_pass_done, (uint64_t)ri, 0);
    }
    return 0;
}

static void ev_compute_done(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    world *w = ctx;
    (void)e;
    (void)b;
    int ni = (int)node;
    node_state *n = &w->nodes[ni];
    /* iterate the finished batch from the spare buffer: members moving on
     * may start the node's next batch in `batch` */
    int64_t *done = n->batch;
    int m = n->n_batch;
    n->batch = n->batch_spare;
    n->batch_spare = done;
    n->n_batch = 0;
    for (int i = 0; i < m; i++)
        if (continue_after_compute(w, ni, done[i]) != 0)
            return;
    start_batch(w, ni);
    pull_span_queue(w, ni);
}

static void ev_pass_done(sim_engine *e, void *ctx, uint64_t req, uint64_t b)
{
    world *w = ctx;
    (void)b;
    int64_t ri = (int64_t)req;
    req_state *q = &w->reqs[ri];
    int64_t now = sim_engine_now(e);
    if (q->done == 0)
        q->first_token_ns = now;
    q->done++;
    int over;
    if (w->real) {
        char e2[512];
        ss_status st = sim_session_end_pass(w->sess[ri], e2, sizeof e2);
        if (st != SS_OK) {
            char msg[700];
            snprintf(msg, sizeof msg, "request %lld: %s", (long long)ri, e2);
            stop_with(w, st, msg);
            return;
        }
        over = sim_session_done(w->sess[ri]);
        if (!over && (st = sim_session_begin_pass(w->sess[ri], &q->wire_bytes, e2, sizeof e2)) !=
                         SS_OK) {
            stop_with(w, st, e2);
            return;
        }
    } else {
        over = q->done >= q->output;
    }
    if (over) {
        finish_request(w, ri, SIM_REQUEST_OK);
        return;
    }
    q->hop = 0;
    start_hop(w, ri);
}

/* ---- faults ----------------------------------------------------------------- */

static void node_down(world *w, int ni)
{
    sim_engine *e = w->eng;
    node_state *n = &w->nodes[ni];
    if (!n->up)
        return;
    n->up = 0;
    n->down_since_ns = sim_engine_now(e);
    w->view_nodes[ni].up = 0;
    n->epoch++;
    n->rec.failures++;
    /* Work in progress and waiting work are lost; their sessions recover. */
    int64_t *lost = n->batch;
    int n_lost = n->n_batch;
    if (n_lost > 0) {
        sim_engine_cancel(e, n->running_ev);
        n->rec.busy_ns -= n->running_end_ns - sim_engine_now(e);
        n->batch = n->batch_spare; /* recoveries may not touch `lost` */
        n->batch_spare = lost;
        n->n_batch = 0;
    }
    int64_t waiting = n->q_head, kv_waiting = n->kv_head;
    n->q_head = n->q_tail = n->kv_head = n->kv_tail = -1;
    n->kv_used = 0; /* every cache on the node is gone */
    for (int i = 0; i < n_lost; i++)
        recover(w, lost[i], w->reqs[lost[i]].hop);
    while (waiting >= 0) {
        int64_t next = w->reqs[waiting].next_in_queue;
        recover(w, waiting, w->reqs[waiting].hop);
        waiting = next;
    }
    while (kv_waiting >= 0) {
        int64_t next = w->reqs[kv_waiting].next_in_queue;
        sim_engine_cancel(e, w->reqs[kv_waiting].kv_wait_ev);
        recover(w, kv_waiting, w->reqs[kv_waiting].hop);
        kv_waiting = next;
    }
}

static void node_up(world *w, int ni)
{
    node_state *n = &w->nodes[ni];
    if (n->up)
        return;
    n->up = 1;
    n->rec.down_ns += sim_engine_now(w->eng) - n->down_since_ns;
    w->view_nodes[ni].up = 1;
    pull_span_queue(w, ni);
}

static void ev_node_down(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    (void)e;
    (void)b;
    node_down(ctx, (int)node);
}

static void ev_node_up(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    (void)e;
    (void)b;
    node_up(ctx, (int)node);
}

/* A churn transition of node `node`: apply it, draw the next one. */
static void ev_churn(sim_engine *e, void *ctx, uint64_t node, uint64_t up)
{
    world *w = ctx;
    (void)e;
    if (up)
        node_up(w, (int)node);
    else
        node_down(w, (int)node);
    int64_t t;
    int next_up;
    sim_churn_proc_next(&w->churn[node], &t, &next_up);
    if (t < INT64_MAX)
        schedule(w, t, ev_churn, node, (uint64_t)next_up);
}

/* A straggler episode starts (b = slowdown's bits) or ends (b = 0). */
static void ev_straggle(sim_engine *e, void *ctx, uint64_t node, uint64_t b)
{
    world *w = ctx;
    (void)e;
    double f = 1.0;
    if (b)
        memcpy(&f, &b, sizeof f);
    w->nodes[node].slowdown = f;
}

/* ---- building and tearing down ------------------------------------------- */

static const route_node_view *sort_view; /* qsort has no context argument */

static int by_span_cmp(const void *a, const void *b)
{
    const route_node_view *x = &sort_view[*(const int *)a], *y = &sort_view[*(const int *)b];
    if (x->first_block != y->first_block)
        return x->first_block < y->first_block ? -1 : 1;
    if (x->end_block != y->end_block)
        return x->end_block < y->end_block ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Group the nodes by span: each knows its replicas (a run of by_span) and
 * its span's leader (lowest id), which holds the span's dispatch FIFO.
 * O(n log n); the order is total, so the result is deterministic. */
static ss_status group_spans(world *w)
{
    w->by_span = ss_malloc_array((size_t)w->n_nodes, sizeof *w->by_span);
    if (!w->by_span)
        return SS_ENOMEM;
    for (int i = 0; i < w->n_nodes; i++)
        w->by_span[i] = i;
    sort_view = w->view_nodes;
    qsort(w->by_span, (size_t)w->n_nodes, sizeof *w->by_span, by_span_cmp);
    sort_view = NULL;
    for (int a = 0; a < w->n_nodes;) {
        const route_node_view *v = &w->view_nodes[w->by_span[a]];
        int b = a + 1;
        while (b < w->n_nodes && w->view_nodes[w->by_span[b]].first_block == v->first_block &&
               w->view_nodes[w->by_span[b]].end_block == v->end_block)
            b++;
        for (int k = a; k < b; k++) {
            node_state *n = &w->nodes[w->by_span[k]];
            n->span_leader = w->by_span[a];
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
    const scn_scenario *s = w->scn;
    const char **names = ss_malloc_array((size_t)(s->n_nodes ? s->n_nodes : 1), sizeof *names);
    if (!names)
        return SS_ENOMEM;
    for (int i = 0; i < s->n_nodes; i++)
        names[i] = s->nodes[i].name;
    sim_churn_trace tr;
    char e2[768];
    ss_status st = sim_churn_trace_load(s->churn_trace_path, names, (size_t)s->n_nodes, &tr, e2,
                                        sizeof e2);
    ss_free(names);
    if (st != SS_OK)
        return ss_err(err, errlen, st, "%s: churn_trace: %s", s->source_path, e2);
    for (size_t k = 0; k < tr.n && st == SS_OK; k++)
        st = sim_engine_schedule(w->eng, tr.events[k].t_ns,
                                 tr.events[k].up ? ev_node_up : ev_node_down, w,
                                 (uint64_t)tr.events[k].node, 0, NULL);
    sim_churn_trace_fini(&tr);
    return st;
}

/* One alternating up/down process per node whose group churns, drawn from
 * the node's own stream; FTA presets come from the shared assets. */
static ss_status start_churn(world *w, const sim_run_opts *o, char *err, size_t errlen)
{
    const scn_scenario *s = w->scn;
    sim_churn_table table = {0};
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
                if ((st = sim_churn_load(path, &table, e2, sizeof e2)) != SS_OK) {
                    ss_err(err, errlen, st, "%s: churn: %s", s->source_path, e2);
                    break;
                }
                loaded = 1;
            }
            sim_churn_family fam;
            if ((st = sim_churn_family_parse(g->churn_family[0] ? g->churn_family : "weibull",
                                             &fam)) != SS_OK ||
                (st = sim_churn_find(&table, g->churn_preset, fam, &up, &down, e2,
                                     sizeof e2)) != SS_OK) {
                ss_err(err, errlen, st, "%s: node %s: churn: %s", s->source_path, sn->name,
                       st == SS_ENOTFOUND ? e2 : "unknown family");
                break;
            }
        } else {
            up = g->up_s;
            down = g->down_s;
        }
        if (!w->churn && !(w->churn = ss_calloc((size_t)w->n_nodes, sizeof *w->churn))) {
            st = SS_ENOMEM;
            break;
        }
        if ((st = sim_churn_proc_init(&w->churn[i], &up, &down, s->seed, (uint64_t)i, 0)) !=
            SS_OK)
            break;
        int64_t t;
        int next_up;
        sim_churn_proc_next(&w->churn[i], &t, &next_up);
        if (t < INT64_MAX &&
            (st = sim_engine_schedule(w->eng, t, ev_churn, w, (uint64_t)i, (uint64_t)next_up,
                                      NULL)) != SS_OK)
            break;
    }
    if (loaded)
        sim_churn_fini(&table);
    if (st == SS_OK && s->churn_trace_path[0])
        st = start_churn_trace(w, err, errlen);
    return st;
}

static ss_status build_world(world *w, const sim_run_opts *o, char *err, size_t errlen)
{
    ss_status st = sim_world_materialize(w->scn, o->assets_dir, &w->wscn, err, errlen);
    if (st != SS_OK)
        return st;
    w->scn = &w->wscn.s;
    const scn_scenario *s = w->scn;
    if (!s->rtt_s)
        return ss_err(err, errlen, SS_EINVAL, "%s: network.rtt: measured RTTs need the shared "
                      "assets folder", s->source_path);
    st = sim_model_load(s, o->presets_dir, o->model_path, &w->sm, err, errlen);
    if (st != SS_OK)
        return st;
    w->model = &w->sm.desc;
    w->synthetic = w->sm.synthetic;
    w->real = w->sm.net != NULL && !o->analytic;
    if (w->real && !w->sm.tok)
        return ss_err(err, errlen, SS_EUNSUPPORTED, "%s: model: this model is evaluated with "
                      "`shardsim eval`, it cannot serve generation requests", s->source_path);
    char e2[512];
    if ((st = comp_codec_parse(s->act_codec[0] ? s->act_codec : "fp16", &w->act_codec, e2,
                               sizeof e2)) != SS_OK)
        return ss_err(err, errlen, st, "%s: compression.activations: %s", s->source_path, e2);

    w->n_nodes = s->n_nodes;
    w->nodes = ss_calloc((size_t)s->n_nodes, sizeof *w->nodes);
    w->scratch_hops = ss_malloc_array(MAX_HOPS, sizeof *w->scratch_hops);
    if (!w->nodes || !w->scratch_hops)
        return SS_ENOMEM;
    for (int i = 0; i < s->n_nodes; i++) {
        const scn_node *sn = &s->nodes[i];
        node_state *n = &w->nodes[i];
        n->dev = (model_device){.peak_flops = sn->peak_flops,
                                .mem_bw_bytes_per_s = sn->mem_bw_bytes_per_s,
                                .compute_eff = sn->compute_eff, .bw_eff = sn->bw_eff,
                                .overhead_s = sn->overhead_s,
                                .attn_s_per_head_pos = sn->attn_s_per_head_pos,
                                .format_eff_included = sn->format_eff_included};
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
        n->last_mile_ns = s_to_ns(lm / 1e3);
        n->slowdown = 1.0;
        if ((st = sim_rng_create(s->seed, SIM_RNG_LINK, (uint64_t)i, SIM_RNG_JITTER,
                                 &n->jitter_rng)) != SS_OK)
            return st;
        n->q_head = n->q_tail = -1;
        n->up = 1;
        n->rec.id = i;
        snprintf(n->rec.name, sizeof n->rec.name, "%s", sn->name);
        snprintf(n->rec.region, sizeof n->rec.region, "%s", s->regions[sn->region]);
        if (w->synthetic &&
            (st = sim_rng_create(s->seed, SIM_RNG_NODE, (uint64_t)i, SIM_RNG_SERVICE,
                                 &n->service_rng)) != SS_OK)
            return st;
    }
    if ((st = sim_place(s, w->model, &w->view, &w->view_nodes, err, errlen)) != SS_OK)
        return st;
    for (int i = 0; i < s->n_nodes; i++) {
        node_state *n = &w->nodes[i];
        n->rec.first_block = w->view_nodes[i].first_block;
        n->rec.end_block = w->view_nodes[i].end_block;
        n->kv_head = n->kv_tail = -1;
        double weights = 0;
        for (int b = n->rec.first_block; b >= 0 && b < n->rec.end_block; b++)
            weights += model_desc_block_weight_bytes(w->model, b);
        n->kv_capacity = s->nodes[i].memory_bytes - weights;
        n->sq_head = n->sq_tail = -1;
    }
    if ((st = group_spans(w)) != SS_OK)
        return st;
    if ((st = route_routing_find(s->routing[0] ? s->routing : "fixed", &w->routing, e2,
                                 sizeof e2)) != SS_OK)
        return ss_err(err, errlen, st, "%s: routing.policy: %s", s->source_path, e2);
    if (w->routing->init && (st = w->routing->init(&w->view, &w->routing_state)) != SS_OK)
        return ss_err(err, errlen, st, "%s: routing: initialisation failed", s->source_path);

    if ((st = sim_rng_create(s->seed, SIM_RNG_LINK, UINT64_MAX, SIM_RNG_JITTER,
                             &w->client_jitter_rng)) ||
        (st = sim_workload_create(s, o->assets_dir, w->model->seq_len, &w->wl, err, errlen)))
        return st;
    if ((st = sim_time_from_s(s->horizon_s, &w->horizon_ns)) != SS_OK)
        return ss_err(err, errlen, st, "%s: horizon_s: too large", s->source_path);
    if (w->generate && !w->real)
        return ss_err(err, errlen, SS_EINVAL, "%s: model: generation needs real weights "
                      "(\"llama2c\"), not an analytic model", s->source_path);
    if ((st = sim_engine_create(&(sim_engine_cfg){.initial_capacity = 4096}, &w->eng)) != SS_OK)
        return st;
    for (int i = 0; i < s->n_faults; i++) {
        const scn_fault *f = &s->faults[i];
        int64_t down, up = -1;
        if (sim_time_from_s(f->down_at_s, &down) != SS_OK ||
            (f->up_at_s >= 0 && sim_time_from_s(f->up_at_s, &up) != SS_OK))
            return ss_err(err, errlen, SS_ERANGE, "%s: faults[%d]: time too large", s->source_path,
                          i);
        if ((st = sim_engine_schedule(w->eng, down, ev_node_down, w, (uint64_t)f->node, 0, NULL)) ||
            (up >= 0 &&
             (st = sim_engine_schedule(w->eng, up, ev_node_up, w, (uint64_t)f->node, 0, NULL))))
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
        if ((st = sim_engine_schedule(w->eng, from, ev_straggle, w, (uint64_t)g->node, bits,
                                      NULL)) ||
            (st = sim_engine_schedule(w->eng, to, ev_straggle, w, (uint64_t)g->node, 0, NULL)))
            return st;
    }
    return start_churn(w, o, err, errlen);
}

static void world_fini(world *w)
{
    if (w->routing && w->routing->fini)
        w->routing->fini(w->routing_state);
    for (int i = 0; w->nodes && i < w->n_nodes; i++) {
        gsl_rng_free(w->nodes[i].service_rng);
        gsl_rng_free(w->nodes[i].jitter_rng);
        ss_free(w->nodes[i].batch);
        ss_free(w->nodes[i].batch_spare);
    }
    gsl_rng_free(w->client_jitter_rng);
    sim_workload_destroy(w->wl);
    for (int i = 0; w->churn && i < w->n_nodes; i++)
        sim_churn_proc_fini(&w->churn[i]);
    ss_free(w->churn);
    sim_engine_destroy(w->eng);
    for (int64_t i = 0; w->sess && i < w->n_arrived; i++)
        sim_session_destroy(w->sess[i]);
    ss_free(w->sess);
    sim_model_fini(&w->sm);
    ss_free(w->nodes);
    ss_free(w->view_nodes);
    ss_free(w->by_span);
    ss_free(w->scratch_hops);
    ss_free(w->reqs);
    ss_free(w->route_pool);
    ss_free(w->route_epoch);
    ss_free(w->route_kv);
    sim_world_fini(&w->wscn);
}

static ss_status collect(world *w, sim_results *out)
{
    out->seed = w->scn->seed;
    out->slo_ttft_s = w->scn->slo_ttft_s;
    out->slo_tpot_s = w->scn->slo_tpot_s;
    out->end_ns = sim_engine_now(w->eng);
    out->n_events = sim_engine_n_run(w->eng);
    out->n_requests = (int)w->n_arrived;
    out->n_nodes = w->n_nodes;
    out->requests = ss_calloc((size_t)(w->n_arrived ? w->n_arrived : 1), sizeof *out->requests);
    out->nodes = ss_calloc((size_t)w->n_nodes, sizeof *out->nodes);
    if (!out->requests || !out->nodes)
        return SS_ENOMEM;
    if (w->keep_routes && w->n_route) {
        out->route_nodes = ss_malloc_array(w->n_route, sizeof *out->route_nodes);
        if (!out->route_nodes)
            return SS_ENOMEM;
        for (uint32_t i = 0; i < w->n_route; i++)
            out->route_nodes[i] = w->route_pool[i].node;
        out->n_route_nodes = w->n_route;
    }
    for (int64_t i = 0; i < w->n_arrived; i++) {
        const req_state *q = &w->reqs[i];
        sim_request_rec *r = &out->requests[i];
        r->id = (uint64_t)i;
        r->arrival_ns = q->arrival_ns;
        r->first_token_ns = q->first_token_ns;
        r->finish_ns = q->finish_ns;
        r->prompt_tokens = q->prompt;
        r->output_tokens = q->output;
        r->tokens_done = q->done;
        r->retries = q->retries;
        r->status = q->status;
        if (out->route_nodes) {
            r->route_off = q->route_off;
            r->route_len = q->route_len;
        }
    }
    for (int i = 0; i < w->n_nodes; i++) {
        out->nodes[i] = w->nodes[i].rec;
        if (!w->nodes[i].up)
            out->nodes[i].down_ns += out->end_ns - w->nodes[i].down_since_ns;
    }
    return SS_OK;
}

/* The first arrivals: one open-loop arrival, or every closed-loop user's first. */
static void start_arrivals(world *w)
{
    int64_t users = sim_workload_users(w->wl);
    if (users == 0) {
        schedule_next_arrival(w, -1);
        return;
    }
    for (int64_t u = 0; u < users; u++) {
        int64_t t = sim_workload_next(w->wl, 0);
        if (t < 0)
            break;
        w->pending_arrivals++;
        schedule(w, t, ev_arrival, (uint64_t)u + 1, 0);
    }
}

ss_status sim_run(const scn_scenario *s, const sim_run_opts *opts, sim_results *out, char *err,
                  size_t errlen)
{
    memset(out, 0, sizeof *out);
    gsl_set_error_handler_off();
    world w = {.scn = s, .err = err, .errlen = errlen, .keep_routes = opts->keep_routes,
               .generate = opts->generate};
    ss_status st = build_world(&w, opts, err, errlen);
    if (st == SS_ENOMEM)
        ss_err(err, errlen, st, "%s: out of memory building the world", s->source_path);
    if (st == SS_OK && w.generate)
        st = sim_engine_schedule(w.eng, 0, ev_arrival, &w, 0, 0, NULL), w.pending_arrivals = 1;
    else if (st == SS_OK)
        start_arrivals(&w);
    if (st == SS_OK) {
        sim_engine_run(w.eng, SIM_TIME_MAX);
        st = w.failure;
    }
    if (st == SS_OK && (st = collect(&w, out)) != SS_OK)
        ss_err(err, errlen, st, "%s: out of memory collecting results", s->source_path);
    if (st != SS_OK)
        sim_results_fini(out);
    world_fini(&w);
    return st;
}
