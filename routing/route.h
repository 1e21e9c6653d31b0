/* route.h - placement (which node serves which blocks) and routing (which
 * chain of nodes a request takes), as pluggable policies chosen by name.
 *
 * Policies see a read-only view of the world (route_view), never the engine
 * or the results store, so they are unit-tested on hand-made views
 * (tests/check_route.c). A placement fills each node's span [first_block,
 * end_block); a route is a chain of hops whose spans tile [0, n_blocks) in
 * order.
 *
 * A routing policy is the client's router: it decides, the simulator carries
 * the decisions out. Per run: init() gets the placed view, its validated
 * routing.settings and the run's seed (its streams are (SS_RNG_ROUTING, id,
 * purpose) of it). Per request: route() a new chain; dispatch() binds a late
 * hop to one of the idle replicas the simulator lists; observe() hears each
 * hop's outcome; reroute() answers a failed hop's block range with one hop
 * or a chain tiling it (the simulator then puts it in the failed hop's
 * place, replays the session's inputs on every new node and retries with
 * Petals' backoff 0, 1, 2, 4 ... <= 60 s while the policy finds no node).
 * Calls come from one thread, in simulated-time order; the view is valid
 * for the call only. In a run the view of route/reroute/dispatch/observe is
 * built from the nodes' announced records (sim/sim_announce.c, routing.view
 * "announced": up = a record is held, rates and free_kv_tokens as of its
 * announcement), or is the simulator's truth (routing.view "truth"); init()
 * gets the placed truth. dispatch()'s idle list is always live replicas
 * (they pull work).
 */
#ifndef ROUTE_H
#define ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "model_desc.h"
#include "ss_status.h"

typedef struct route_node_view {
    int id;
    int region;
    double memory_bytes;
    double peak_flops;
    double mem_bw_bytes_per_s;
    double uplink_bytes_per_s, downlink_bytes_per_s;
    int first_block, end_block; /* served span; first_block < 0: none */
    int up;                     /* 1 if the node is serving */
    int joining;                /* 1: loading the weights of its span, not serving yet (Petals'
                                 * ServerState.JOINING): block choice counts it, routing not */
    /* Known before placement (sim/ fills them from the cost model; 0 for
     * synthetic models): */
    double forward_rps;         /* tokens/s of one block in a 1024-token forward pass (Petals'
                                 * throughput.py measure_compute_rps) */
    double network_rps;         /* route_petals_network_rps of its line rates, tokens/s */
    /* What the node's record says, filled by sim/ from the cost model and
     * its state after placement (0 / not known for synthetic models). */
    double inference_rps;       /* single-token decode steps/s of one block of its span
                                 * (Petals' inference_rps); 0: unknown */
    double throughput_rps;      /* Petals' server throughput, tokens/s
                                 * (route_petals_server_throughput); 0: unknown */
    int relayed;                /* 1: reachable only through a relay */
    int kv_known;               /* 1: free_kv_tokens is kept up to date */
    int64_t free_kv_tokens;     /* KV room left, in Petals' cache_tokens_left units: one key or
                                 * value vector of one block (a session of T tokens over s
                                 * blocks needs 2 T s) */
    int64_t queue_len;          /* sessions computing or waiting at the node (its batch, its
                                 * compute queue, its KV-room queue) */
    double reputation;          /* the node's network-wide reputation: Nesa's rule
                                 * (route_reputation.h) over every hop outcome on it, all
                                 * clients; 0: unknown */
} route_node_view;

typedef struct route_view {
    int n_nodes;
    route_node_view *nodes;     /* (n_nodes); placement writes the spans */
    const model_desc *model;
    int n_regions;
    const double *rtt_s;        /* (n_regions, n_regions) */
    int client_region;
    int announced;              /* 1: built from announced records (routing.view "announced"):
                                 * queue_len and reputation are as of each record's
                                 * announcement; 0: the truth (or a hand-made view) */
} route_view;

typedef struct route_placement_cfg {
    int n_spans;                /* uniform: number of spans (0: min(nodes, blocks)) */
    int n_cuts;                 /* manual: span boundaries, strictly increasing in (0, n_blocks) */
    const int *cuts;
} route_placement_cfg;

typedef struct route_placement_ops {
    const char *name;
    const char *summary;
    /* Assign spans in v->nodes. Errors explain which node or block failed. */
    ss_status (*place)(route_view *v, const route_placement_cfg *cfg, char *err, size_t errlen);
    /* Rebalancing (optional; NULL: the placement never moves a node). Should
     * node `node` (serving, v->nodes[node] its own true record) leave its
     * span? 1 with the span it takes instead in *first / *end, else 0; the
     * view is the swarm as the node sees it (announced records). Random
     * choices (Petals shuffles the servers) draw from *shuffle_state (the
     * caller's, advanced). SS errors are reported as 0 (stay). */
    int (*rebalance)(const route_view *v, int node, uint64_t *shuffle_state, int *first,
                     int *end);
    /* A node comes back after churn (optional; NULL: it keeps its old span):
     * the span node `node` takes now, chosen on the swarm of `v` without
     * itself, written to *first / *end (its length is that of its span in
     * v->nodes[node]). 1 when it has a span, 0 when it serves nothing. */
    int (*rejoin)(const route_view *v, int node, int *first, int *end);
} route_placement_ops;

/* Whether a hop's node is decided. BOUND is 0, so a zeroed or positionally
 * initialised hop is bound. */
typedef enum route_hop_state {
    ROUTE_HOP_BOUND,            /* `node` serves the hop */
    ROUTE_HOP_UNBOUND,          /* late binding: the policy's dispatch() picks the serving
                                 * replica of the span when the hop's first pass starts; until
                                 * then `node` is only a placeholder that serves the same span */
} route_hop_state;

typedef struct route_hop {
    int node;                   /* index into the view's nodes; a placeholder while unbound */
    int first_block, end_block; /* the span [first_block, end_block) */
    route_hop_state state;
} route_hop;

/* What a policy is told about the request it decides for. */
typedef struct route_request {
    uint64_t id;                /* the request's index in arrival order */
    int client_region;          /* index into the view's regions */
    int32_t prompt_tokens;      /* positions of the prompt (real mode: of the first pass) */
    int32_t output_tokens;      /* positions to generate (real mode: passes in all) */
    int64_t now_ns;             /* simulated time of the decision */
} route_request;

/* What a hop came to, reported to observe(). */
typedef enum route_hop_outcome {
    ROUTE_HOP_OK,               /* the node computed the hop's pass */
    ROUTE_HOP_TIMEOUT,          /* the node never admitted the session in time */
    ROUTE_HOP_FAILED,           /* the node was found dead, or had lost the session's cache */
} route_hop_outcome;

typedef struct route_feedback {
    int node;                   /* the hop's node */
    int first_block, end_block; /* the hop's span */
    route_hop_outcome outcome;
    int64_t latency_ns;         /* OK: from sending the hop's input to its computed output;
                                 * else from sending to finding out; >= 0 */
    int64_t now_ns;
} route_feedback;

/* One setting a policy knows (routing.settings.KEY): a number in
 * [min, max] with a default. */
typedef struct route_setting_spec {
    const char *key;
    double min, max, def;
    const char *summary;        /* meaning and unit, for documentation and errors */
} route_setting_spec;

/* A setting as the scenario gives it: plain data, key borrowed. */
typedef struct route_setting {
    const char *key;
    double value;
} route_setting;

/* What init() receives. */
typedef struct route_init {
    const route_view *view;     /* placed; borrowed for the call */
    const double *settings;     /* (ops->n_settings) values in spec order, validated, defaults
                                 * filled; borrowed for the call (copy what you keep) */
    uint64_t seed;              /* the run's master seed: the policy's streams are
                                 * ss_rng_create(seed, SS_RNG_ROUTING, id, purpose) with its
                                 * own stable (id, purpose) */
} route_init;

/* What a policy can say about a decision it just made (explain(), for the
 * event record at level "all"): its own cost of the chosen chain and of a
 * few alternatives it considered, in the policy's unit. */
#define ROUTE_EXPLAIN_MAX_ALTS 4
#define ROUTE_EXPLAIN_MAX_NODES 16
typedef struct route_alt {
    double cost;
    int n_nodes;                         /* hops' nodes, first ROUTE_EXPLAIN_MAX_NODES */
    int nodes[ROUTE_EXPLAIN_MAX_NODES];
    int avoided;                         /* the node this alternative leaves out; -1: none */
} route_alt;
typedef struct route_explain {
    const char *unit;                    /* e.g. "s" (Petals: seconds of one decode step) */
    double cost;                         /* the chosen chain's cost */
    int n_alts;                          /* <= ROUTE_EXPLAIN_MAX_ALTS, cheapest first */
    route_alt alts[ROUTE_EXPLAIN_MAX_ALTS];
} route_explain;

typedef struct route_routing_ops {
    const char *name;
    const char *summary;
    const route_setting_spec *settings; /* (n_settings) the keys of routing.settings it knows */
    int n_settings;
    /* Per-run state; *state may stay NULL. Optional. SS_ENOMEM or SS_EINVAL
     * (err says why). */
    ss_status (*init)(const route_init *in, void **state, char *err, size_t errlen);
    /* The chain for a new request: at most max_hops hops tiling [0, n_blocks)
     * written to hops, their count to *n_hops; each ROUTE_HOP_BOUND unless the
     * policy binds late (then dispatch is set). SS_ENOTFOUND when some block
     * has no live serving node (err names the block; the simulator retries
     * with backoff), SS_EFULL when more than max_hops hops are needed. */
    ss_status (*route)(void *state, const route_view *v, const route_request *req,
                       route_hop *hops, int max_hops, int *n_hops, char *err, size_t errlen);
    /* The node of `failed` (bound) failed or lost the session's cache: a new
     * chain for the failed range [failed->first_block, failed->end_block)
     * only, as route()'s hops (bound). The failed node itself may be chosen
     * again if it is up (it came back). SS_ENOTFOUND when no live node can
     * serve it now (the simulator retries with backoff). */
    ss_status (*reroute)(void *state, const route_view *v, const route_request *req,
                         const route_hop *failed, route_hop *hops, int max_hops, int *n_hops,
                         char *err, size_t errlen);
    /* Late binding (NULL: the policy binds at route()). `hop` is unbound;
     * idle[0 .. n_idle) are the live replicas of its span that have no work
     * (in the view's node order, ascending). Returns the index into idle of
     * the node to bind, or -1 to wait: the simulator then keeps the request
     * in the span's FIFO and asks again, oldest first, when a replica turns
     * idle. */
    int (*dispatch)(void *state, const route_view *v, const route_request *req,
                    const route_hop *hop, const int *idle, int n_idle);
    /* Feedback on a hop (optional). */
    void (*observe)(void *state, const route_view *v, const route_feedback *fb);
    void (*fini)(void *state);
    /* Optional (NULL: the policy cannot report costs). Called only when the
     * run records route decisions, right after route() (rerouting 0) or
     * reroute() (1) returned `chosen` for the same view and request: fill
     * *out. Must not change any state a later decision depends on (no RNG
     * draws), so recording never changes results. Returns 0, or -1 when it
     * has nothing to report. */
    int (*explain)(void *state, const route_view *v, const route_request *req,
                   const route_hop *chosen, int n_chosen, int rerouting, route_explain *out);
    /* Optional: until when node `node` is on the client's ban list (ns of
     * simulated time; <= now: not banned). Read only for the event record. */
    int64_t (*banned_until)(const void *state, int node);
} route_routing_ops;

/* routing.settings against ops' spec: every given key known, every value
 * in range, defaults for the rest, written to values (ops->n_settings).
 * Errors (SS_ESCHEMA), one line: "routing.settings.KEY: unknown setting of
 * routing policy \"NAME\" (known: ...)" or "routing.settings.KEY: expected
 * a number in [MIN, MAX], got V". O(given x spec). */
ss_status route_settings_resolve(const route_routing_ops *ops, const route_setting *given,
                                 int n_given, double *values, char *err, size_t errlen);

/* Every known routing policy, in registry order (for documentation and
 * tests): *n set to the count. */
const route_routing_ops *const *route_routing_all(int *n);

/* Look a policy up by name; on failure err lists the known names. */
ss_status route_placement_find(const char *name, const route_placement_ops **out, char *err,
                               size_t errlen);
ss_status route_routing_find(const char *name, const route_routing_ops **out, char *err,
                             size_t errlen);

#endif
