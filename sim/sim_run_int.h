/* sim_run_int.h - inside sim/ only: the world of one run, shared by the
 * modules that make up sim_run: sim_run.c (building, tearing down, results),
 * sim_flow.c (requests through the network), sim_node.c (each node's compute
 * server: KV admission and continuous batching) and sim_faults.c (failures,
 * churn, stragglers, recovery). The world is split into parts by writer
 * (config, engine, nodes, requests, routes, faults, sessions); each part's
 * comment names the files that write it. Functions here are prefixed sim_w_. */
#ifndef SIM_RUN_INT_H
#define SIM_RUN_INT_H

#include "sim_run.h"
#include <assert.h>
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
#include "sim_obs.h"
#include "sim_place.h"
#include "sim_queue.h"
#include "scn_draw.h"
#include "ss_rng.h"
#include "real_session.h"
#include "sim_workload.h"
#include "sim_world.h"
#include "sim_trust.h"
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
    uint32_t epoch;    /* the hop node's epoch when bound: its cache for the request is that old */
    bool kv_held;      /* the node holds this request's KV reservation (sim_w_admit_kv) */
    double kv_bytes;   /* the reservation's size, while kv_held */
    int32_t replay_rows; /* positions this hop's node replays before its next pass: set when a
                          * reroute put the hop on a new node (its cache is rebuilt by a prefill
                          * of them), cleared when that pass is costed (sim_node.c) */
} route_slot;

typedef struct req_state {
    int64_t arrival_ns, first_token_ns, finish_ns;
    int32_t prompt, output, done; /* tokens; real mode: output = steps, done = passes */
    int32_t hop;            /* hop of the current pass */
    int32_t retries;        /* recoveries after node failures */
    uint32_t route_off;     /* hops: w->routes.slots[route_off .. +route_len) */
    uint32_t route_len;
    int32_t first_hops;     /* hops of the chain route() chose (a multi-hop reroute may
                             * lengthen the route since) */
    int32_t truncated;      /* 1: asked for more than the model's context, clamped */
    uint64_t wire_bytes;    /* real mode: encoded activation now in flight */
    sim_request_status status;
    int finished;
    sim_event_id kv_wait_ev; /* admission timeout while waiting for KV room */
    int dispatched;          /* late binding: assigned to a node, transfer in flight */
    int64_t hop_sent_ns;     /* when the current hop's input was sent (observe's latency) */
    int64_t user;            /* closed loop: the user who sent it, else -1 */
    int32_t fail_streak;     /* failures of the current hop since its last success: Petals'
                              * attempt_no, the backoff before the next attempt */
    int32_t dead_sends;      /* hops sent to a node found dead on contact */
    int64_t recomputed;      /* positions replayed to rebuild caches on new nodes */
    int64_t recovery_ns;     /* time from finding a hop failed to its input reaching a live
                              * node, summed over its recoveries */
    int64_t failed_at_ns;    /* when the current recovery began; -1: none under way */
    sim_nic client_nic;      /* its client's FIFO uplink and downlink (directions with a
                              * client.*link_mbps limit only; sim_client.c) */
    int64_t obs_mark_ns;     /* event record only (sim_obs.c): when its current wait began */
    int64_t obs_replay_ns;   /* event record only: replay share of its running batch */
    uint8_t trust_bad;       /* sim_trust.c: this pass delivered a bad output at some hop */
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
    int64_t *batch_spare;    /* the other buffer: compute_done iterates it while a new
                              * batch fills `batch` */
    int n_batch, cap_batch;
    sim_event_id running_ev; /* the batch's completion event (cancelled if the node fails) */
    int64_t running_end_ns;
    double kv_capacity;      /* bytes left for KV caches: memory - span weights */
    double kv_used;          /* bytes reserved by sessions admitted here (sim_w_admit_kv) */
    sim_queue kv_q;          /* requests waiting for KV room */
    int incoming;            /* late binding: sessions assigned here, still in transit */
    int span_leader;         /* lowest-id node serving the same span */
    int span_pos;            /* replicas of the span: w->nodes.by_span[span_pos .. span_end) */
    int span_end;
    sim_queue span_q;        /* leader only: the span's dispatch FIFO (late binding) */
    gsl_rng *service_rng;    /* synthetic models: service-time draws */
    sim_node_rec rec;
    /* Its announcements (sim_announce.c): */
    int64_t rec_at_ns;       /* announce time of the record routers hold (INT64_MIN: none) */
    route_node_view sent;    /* the record in flight: announced, not yet delivered */
    int64_t sent_at_ns;      /* its announce time; -1: none in flight */
    int64_t obs_batch_ns;    /* event record only (sim_obs.c): when its batch started */
    /* Rebalancing and rejoining (sim_rebal.c): */
    int moving;              /* 1: down, downloading its new span's weights */
    int ready;               /* 1: the download is done, the next node_up serves */
    sim_event_id ready_ev;   /* the download's end, while moving */
    gsl_rng *rebal_rng;      /* (SS_RNG_NODE, id, SS_RNG_REBALANCE): check waits */
    uint64_t shuffle_state;  /* Petals' server shuffle in should_choose_other_blocks */
} node_state;

/* The world of one run, split by who writes what. "Written by" names every
 * file that changes a part after build_world (sim_run.c) has filled it. */

/* The scenario, model and mode of the run. Written by sim_run.c (build_world,
 * which calls sim_client.c's sim_w_client_init for the client fields) only;
 * read-only while events run. */
typedef struct world_config {
    const scn_scenario *scn;  /* = &wscn.s: the scenario with concrete nodes */
    sim_world_scn wscn;
    real_model sm;            /* description (+ network, tokenizer in real mode) */
    const model_desc *model;  /* = &sm.desc */
    int synthetic;            /* service times drawn from the scenario, not a cost model */
    int real;                 /* real mode: sessions compute actual activations */
    comp_codec act_codec;     /* activations on the wire */
    int64_t horizon_ns;       /* checked here; sim_workload stops arrivals there itself */
    const sim_generate_spec *generate; /* NULL unless sim_run_opts asked for one generation */
    int keep_routes;          /* copy every route into the results */
    /* The client endpoint (scenario "client", sim_client.c): a direction
     * with rate 0 has no NIC limit (transfers through it never queue) */
    double client_up_bps, client_down_bps;
    int64_t client_last_mile_ns; /* one way, added to every transfer to or from the client */
    int client_compute;       /* client.device given (and a model with blocks and a vocab) */
    model_device client_dev;
    int relayed;              /* routing.pattern "client-relayed" */
} world_config;

/* The engine and the run's first error. Written by sim_run.c (engine, and
 * failure through sim_w_fail / sim_w_stop_with, which handlers call). */
typedef struct world_engine {
    sim_engine *eng;
    ss_status failure;        /* first error inside a handler; stops the run */
    char *err;                /* the caller's error buffer, borrowed */
    size_t errlen;
} world_engine;

/* Nodes and the view routing sees of them. Written by sim_node.c (batches,
 * KV), sim_faults.c (up/down, epochs, slowdown, views' up flags) and
 * sim_flow.c (NIC reservations, byte counters, late-binding arrivals). */
typedef struct world_nodes {
    int n;
    node_state *at;           /* (n) */
    route_node_view *views;   /* (n) = view.nodes, owned here (sim_place) */
    int *by_span;             /* (n) node ids sorted by (first_block, end_block, id) */
    route_view view;          /* the truth */
    route_node_view *seen;    /* (n) routing.view "announced": the records routers hold
                               * (sim_announce.c), up = a record is held */
    route_view seen_view;     /* the view over `seen` */
    const route_view *pview;  /* what the policies get: &view ("truth") or &seen_view */
    int64_t period_ns, delay_ns, expiry_ns; /* routing.announce_*_s */
    uint64_t n_announce_events; /* announcement bookkeeping, left out of n_events */
    gsl_rng *client_jitter_rng; /* jitter of transfers the client sends */
    gsl_rng *xfer_fail_rng;     /* network.transfer_failure_p draws, one per arrival at a server */
} world_nodes;

/* Requests and their arrivals. Written by sim_flow.c (arrival to finish,
 * growth), sim_node.c (KV waits, replay done), sim_faults.c (retries,
 * replay) and sim_run.c (the first arrivals). */
typedef struct world_requests {
    req_state *at;            /* (cap), [0, n_arrived) in use */
    int64_t *next;            /* (cap) sim_queue links: a request is in one queue at a time */
    int64_t cap;
    int64_t n_arrived;
    int64_t n_active;         /* arrived, not finished */
    int64_t pending_arrivals; /* arrival events scheduled, not yet run */
    sim_workload *wl;
} world_requests;

/* The routing policy and every request's route. Written by sim_flow.c
 * (new routes, late binding as the policy's dispatch() decides),
 * sim_node.c (KV reservations) and sim_faults.c (a hop moved where the
 * policy's reroute() says on recovery). */
typedef struct world_routes {
    const route_routing_ops *ops;
    void *state;              /* the policy's own, written by its callbacks */
    double *settings;         /* (ops->n_settings) routing.settings, resolved */
    int *idle;                /* (nodes.n) scratch: a span's idle replicas for dispatch() */
    route_slot *slots;        /* (cap), [0, n) in use: every route, in the order chosen */
    uint32_t n, cap;
    route_hop *scratch;       /* (MAX_HOPS) route()'s or reroute()'s output before it is stored */
} world_routes;

/* Failure processes. Written by sim_run.c (first transitions) and
 * sim_faults.c (each next one). */
typedef struct world_faults {
    sim_churn_proc *churn;    /* (nodes.n) failure processes; NULL when no node churns */
} world_faults;

/* Real mode: one session per request. Written by sim_flow.c (growth, open,
 * passes, close) and sim_faults.c (a hop replaced on recovery). */
typedef struct world_sessions {
    real_session **at;        /* (requests' cap) per request, NULL once finished */
} world_sessions;

/* Petals' rebalancing and span choice on rejoin. Written by sim_rebal.c
 * only (which also writes the moved node's span, KV capacity and rates). */
typedef struct world_rebal {
    const route_placement_ops *place; /* the placement, when it moves nodes; else NULL */
    route_node_view *dht;             /* (nodes.n) scratch: the records servers see */
    int64_t n_rebalance_moves;        /* nodes that moved after a balance check */
    int64_t n_rejoin_moves;           /* nodes that came back on another span */
    int64_t download_ns;              /* weight downloads of new spans, summed */
    uint64_t n_events;                /* checks and downloads: bookkeeping, not in n_events */
} world_rebal;
/* Adversaries and defences (sim_trust.c, the only writer). */
typedef struct world_trust {
    int on;                   /* the scenario has "adversaries" or "defences" */
    uint8_t *byz;             /* (nodes.n) 1: byzantine */
    gsl_rng *rng;             /* per-step draws (SS_RNG_TRUST, 1, SS_RNG_CHOICE) */
    sim_trust_rec rec;        /* the counters handed over in sim_results */
} world_trust;

typedef struct world {
    world_config cfg;
    world_engine run;
    world_nodes nodes;
    world_requests reqs;
    world_routes routes;
    world_faults faults;
    world_sessions sess;
    world_trust trust;
    sim_obs *obs;             /* the event record's observer; NULL: off (sim_obs.c) */
    int64_t *obs_ban;         /* (nodes.n) with obs: each node's ban end as last reported */
    world_rebal rebal;
} world;

double sim_w_retry_delay_s(int k);
void sim_w_fail(world *w, ss_status st, const char *what);
int64_t sim_w_s_to_ns(double s);
void sim_w_schedule(world *w, int64_t at, sim_handler fn, uint64_t a, uint64_t b);
double sim_w_act_bytes(world *w, int64_t n_tok, uint32_t width);
uint32_t sim_w_width_in(world *w, const route_hop *h);
/* Arrival time of a transfer of request ri (its client's NIC when src or
 * dst is -1, the client) starting now. */
int64_t sim_w_transfer_arrival(world *w, int64_t ri, int src, int dst, double bytes);
/* The client endpoint (sim_client.c): its settings from the scenario; the
 * time its device takes to embed the current pass's rows and to apply the
 * LM head to the pass's last position (0 without client.device). */
void sim_w_client_init(world *w);
int64_t sim_w_client_embed_ns(const world *w, int64_t ri);
int64_t sim_w_client_head_ns(const world *w);
/* Send the current pass's input (and the hop's replay rows) to bound hop
 * q->hop: from the client when from_client or under "client-relayed", else
 * from the previous hop's node. */
void sim_w_send_hop(world *w, int64_t ri, int from_client);
/* Room for n more route slots (SS_EFULL past UINT32_MAX, SS_ENOMEM). */
ss_status sim_w_reserve_slots(world *w, int n);
int sim_w_pass_rows(const world *w, int64_t ri);
int64_t sim_w_pass_ctx(const world *w, int64_t ri);
route_slot *sim_w_slot_of(world *w, int64_t ri, int hop);
route_hop *sim_w_hop_of(world *w, int64_t ri, int hop);
/* The node serving hop `hop` of request ri; the hop must be bound. */
int sim_w_node_of(world *w, int64_t ri, int hop);
void sim_w_release_kv(world *w, int64_t ri, int hop);
/* Refresh node ni's announced free KV tokens in the routing view. */
void sim_w_view_kv(world *w, int ni);
int sim_w_admit_kv(world *w, int64_t ri);
void sim_w_finish_request(world *w, int64_t ri, sim_request_status status);
void sim_w_pull_span_queue(world *w, int ni);
void sim_w_recover(world *w, int64_t ri, int hop);
/* The policy's request descriptor for request ri, now. */
route_request sim_w_route_req(const world *w, int64_t ri);
/* Tell the policy how hop `hop` of request ri went (latency from its send). */
void sim_w_observe(world *w, int64_t ri, int hop, route_hop_outcome outcome);
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
/* Announcements (sim_announce.c): with routing.view "announced", the
 * records routers hold at time 0 (the swarm was running before: each node's
 * latest record as of then) and each node's periodic announcements, phased
 * by a draw from its own stream (SS_RNG_NODE, id, SS_RNG_ANNOUNCE). Sets
 * w->nodes.pview either way. */
ss_status sim_w_announce_start(world *w);
void sim_w_announce_fini(world *w);
/* The event record (sim_obs.c): called only as `if (w->obs) sim_w_obs_...`. */
ss_status sim_w_obs_start(world *w, sim_obs *obs);
void sim_w_obs_end(world *w);
void sim_w_obs_fini(world *w);
void sim_w_obs_node(world *w, int ni, sim_obs_node_kind kind, int64_t ri, double bytes);
void sim_w_obs_transfer(world *w, int64_t ri, int hop, int src, int dst, double bytes, int64_t at);
void sim_w_obs_arrived(world *w, int64_t ri);
void sim_w_obs_admitted(world *w, int64_t ri);
void sim_w_obs_kv_timeout(world *w, int64_t ri);
void sim_w_obs_batch_start(world *w, int ni);
void sim_w_obs_batch_end(world *w, int ni, const int64_t *done, int m, int64_t end);
void sim_w_obs_down(world *w, int ni);
void sim_w_obs_bans(world *w, int ni);
void sim_w_obs_route(world *w, int64_t ri, sim_obs_route_kind kind, const route_hop *hops, int n);
/* Node ni's queue_len in the truth, counted now (sim_announce.c: at each
 * announcement and at each KV change, sim_w_view_kv). */
void sim_w_view_load(world *w, int ni);
/* A hop's outcome on node ni updates its network-wide reputation. */
void sim_w_rep_observe(world *w, int ni, route_hop_outcome outcome);
/* Node ni announces its record now, out of turn (no-op under "truth"). */
void sim_w_announce_now(world *w, int ni);
/* Node ni's announced rates (inference_rps, throughput_rps, free KV) from
 * the cost model for its current span (sim_run.c). */
void sim_w_node_rates(world *w, int ni);
/* Rebalancing (sim_rebal.c), on when the placement has a rebalance rule
 * (petals) and the routing policy binds at route() (no late binding, whose
 * span groups are fixed): each node's first check at U[0, 240) s. */
ss_status sim_w_rebal_start(world *w);
void sim_w_rebal_fini(world *w);
/* Hooks of node_down / node_up (sim_faults.c): a node going down stops its
 * download; a node coming back chooses its span again and stays down while
 * it downloads new weights (returns 1: node_up must not bring it up now). */
void sim_w_rebal_on_down(world *w, int ni);
int sim_w_rebal_on_up(world *w, int ni);
/* Node ni holds blocks [first, end) of hop h (a moved node does not). */
int sim_w_serves(const world *w, int ni, const route_hop *h);

#endif
