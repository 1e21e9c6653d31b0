/* sim_run_int.h - inside sim/ only: the world of one run, shared by the
 * modules that make up sim_run: sim_run.c (building, tearing down, results),
 * sim_flow.c (requests through the network), sim_node.c (each node's compute
 * server: KV admission and continuous batching) and sim_faults.c (failures,
 * churn, stragglers, recovery). Functions here are prefixed sim_w_. */
#ifndef SIM_RUN_INT_H
#define SIM_RUN_INT_H

#include "sim_run.h"
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include "comp.h"
#include "model_cost.h"
#include "model_desc.h"
#include "route.h"
#include "sim_engine.h"
#include "dset_churn.h"
#include "sim_churn.h"
#include "real_model.h"
#include "sim_nic.h"
#include "sim_place.h"
#include "sim_queue.h"
#include "scn_draw.h"
#include "ss_rng.h"
#include "real_session.h"
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

/* One hop of one request's route, with what the simulator tracks about it.
 * Routes are stored back to back: request r's hops are route slots
 * [route_off, route_off + route_len). */
typedef struct route_slot {
    route_hop hop;
    uint32_t epoch;    /* the hop node's epoch when bound: its cache for this request dates from then */
    bool kv_held;      /* the node holds this request's KV reservation (sim_w_admit_kv) */
    double kv_bytes;   /* the reservation's size, while kv_held */
} route_slot;

typedef struct req_state {
    int64_t arrival_ns, first_token_ns, finish_ns;
    int32_t prompt, output, done; /* tokens; real mode: output = steps, done = passes */
    int32_t hop;            /* hop of the current pass */
    int32_t retries;        /* recoveries after node failures */
    int32_t replay_rows;    /* positions to replay at the current hop before its pass */
    uint32_t route_off;     /* hops: w->route_slots[route_off .. +route_len) */
    uint32_t route_len;
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
    sim_queue compute_q;     /* requests holding KV room here, waiting to compute */
    int64_t *batch;          /* (n_batch) requests computing now, as one batch */
    int64_t *batch_spare;    /* the other buffer: compute_done iterates it while a new batch fills `batch` */
    int n_batch, cap_batch;
    sim_event_id running_ev; /* the batch's completion event (cancelled if the node fails) */
    int64_t running_end_ns;
    double kv_capacity;      /* bytes left for KV caches: memory - span weights */
    double kv_used;          /* bytes reserved by sim_w_admitted sessions */
    sim_queue kv_q;          /* requests waiting for KV room */
    int incoming;            /* late binding: sessions assigned here, still in transit */
    int span_leader;         /* lowest-id node serving the same span */
    int span_pos;            /* replicas of the span: w->by_span[span_pos .. span_end) */
    int span_end;
    sim_queue span_q;        /* leader only: the span's dispatch FIFO (late binding) */
    gsl_rng *service_rng;    /* synthetic models: service-time draws */
    sim_node_rec rec;
} node_state;

typedef struct world {
    const scn_scenario *scn;  /* = &wscn.s: the scenario with concrete nodes */
    sim_world_scn wscn;
    gsl_rng *client_jitter_rng;
    sim_engine *eng;
    real_model sm;       /* description (+ network, tokenizer in real mode) */
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
    int64_t *queue_next;    /* (cap_reqs) sim_queue links: a request is in one queue at a time */
    int64_t cap_reqs;
    route_slot *route_slots; /* (cap_route) every request's hops, in arrival order */
    uint32_t n_route, cap_route;
    int64_t n_active;       /* arrived, not finished */
    int64_t pending_arrivals; /* arrival events scheduled, not yet run */
    /* real mode */
    int real;
    real_session **sess;     /* (cap_reqs) per request, NULL once finished */
    const sim_generate_spec *generate;
    route_hop *scratch_hops;
    int keep_routes;
    ss_status failure; /* first error inside a handler; stops the run */
    char *err;
    size_t errlen;
} world;

double sim_w_retry_delay_s(int k);
void sim_w_fail(world *w, ss_status st, const char *what);
int64_t sim_w_s_to_ns(double s);
void sim_w_schedule(world *w, int64_t at, sim_handler fn, uint64_t a, uint64_t b);
double sim_w_act_bytes(world *w, int64_t n_tok, uint32_t width);
uint32_t sim_w_width_in(world *w, const route_hop *h);
int64_t sim_w_transfer_arrival(world *w, int src, int dst, double bytes);
int sim_w_pass_rows(const world *w, int64_t ri);
int64_t sim_w_pass_ctx(const world *w, int64_t ri);
route_slot *sim_w_slot_of(world *w, int64_t ri, int hop);
route_hop *sim_w_hop_of(world *w, int64_t ri, int hop);
void sim_w_release_kv(world *w, int64_t ri, int hop);
int sim_w_admit_kv(world *w, int64_t ri);
void sim_w_finish_request(world *w, int64_t ri, sim_request_status status);
void sim_w_pull_span_queue(world *w, int ni);
void sim_w_recover(world *w, int64_t ri, int hop);
void sim_w_schedule_next_arrival(world *w, int64_t now);
void sim_w_stop_with(world *w, ss_status st, const char *msg);
void sim_w_ev_arrival(sim_engine *e, void *ctx, uint64_t a, uint64_t b);
void sim_w_ev_hop_arrive(sim_engine *e, void *ctx, uint64_t req, uint64_t b);
void sim_w_admitted(world *w, int64_t ri);
int sim_w_continue_after_compute(world *w, int ni, int64_t ri);
void sim_w_ev_node_down(sim_engine *e, void *ctx, uint64_t node, uint64_t b);
void sim_w_ev_node_up(sim_engine *e, void *ctx, uint64_t node, uint64_t b);
void sim_w_ev_churn(sim_engine *e, void *ctx, uint64_t node, uint64_t up);
void sim_w_ev_straggle(sim_engine *e, void *ctx, uint64_t node, uint64_t b);

#endif
