/* sim_obs.h - the one observer interface through which the simulator
 * reports what happens inside a run (the event record, issue 14).
 *
 * A struct of function pointers plus a context, installed through
 * sim_run_opts.obs. NULL (the default) = nothing is observed: every hook in
 * sim/ is `if (w->obs) ...`, so a run that records nothing pays one
 * predictable branch per hook and builds no event. Callbacks are called in
 * simulated-time order of the decisions, from the one simulating thread;
 * pointers inside an event are valid for the call only. An ops member may
 * be NULL (that kind is not wanted). Observers never influence the run:
 * they get copies, and the simulator draws nothing for them.
 *
 * Times are ns of simulated time. Node indices are the run's node order
 * (sim_results.nodes); -1 = the client.
 */
#ifndef SIM_OBS_H
#define SIM_OBS_H

#include <stdint.h>

typedef enum sim_obs_phase {
    SIM_OBS_QUEUE,     /* admitted (KV room held), waiting for the node's next batch */
    SIM_OBS_COMPUTE,   /* in a batch on the node (cut short when the node fails) */
    SIM_OBS_ENCODE,    /* activation encoding (not timed separately by the model yet) */
    SIM_OBS_TRANSFER,  /* input on the wire, from send to arrival (NIC FIFO wait included) */
    SIM_OBS_KV_WAIT,   /* arrived, waiting for KV-cache room on the node */
    SIM_OBS_REPLAY,    /* the part of a compute slice that rebuilds a cache after a failure */
    SIM_OBS_N_PHASES
} sim_obs_phase;

typedef enum sim_obs_node_kind {
    SIM_OBS_DOWN, SIM_OBS_UP, SIM_OBS_KV_RESERVE, SIM_OBS_KV_RELEASE, SIM_OBS_BAN, SIM_OBS_UNBAN,
    SIM_OBS_N_NODE_KINDS
} sim_obs_node_kind;

typedef enum sim_obs_route_kind { SIM_OBS_ROUTE, SIM_OBS_REROUTE, SIM_OBS_DISPATCH } sim_obs_route_kind;

/* One interval a request spent in one phase of one hop. */
typedef struct sim_obs_hop {
    int64_t request;
    int32_t pass;      /* 0 = prefill, k = the k-th token's pass */
    int32_t hop;       /* index in the chain; transfer to the client: route length */
    int32_t node;      /* where it happened; transfer: the sender */
    int32_t dst;       /* transfer: the receiver; else -1 */
    sim_obs_phase phase;
    int64_t t_start, t_end;
    int64_t bytes;     /* transfer: bytes on the wire (replayed inputs included); else 0 */
} sim_obs_hop;

typedef struct sim_obs_node_ev {
    int32_t node;
    int64_t t;
    sim_obs_node_kind kind;
    int64_t request;   /* kv_*: whose reservation; else -1 */
    int64_t bytes;     /* kv_*: its size; else 0 */
} sim_obs_node_ev;

/* A routing decision and, when the policy can say, its cost and the
 * alternatives it considered (routing/route.h route_explain). */
typedef struct sim_obs_route {
    int64_t request;
    int64_t t;
    sim_obs_route_kind kind;
    int n_hops;
    const int *nodes;        /* (n_hops) chosen nodes */
    const int *first_block;  /* (n_hops) */
    const int *end_block;    /* (n_hops) */
    int explained;           /* 0: the policy cannot report costs */
    const char *unit;
    double cost;
    int n_alts;
    const double *alt_cost;  /* (n_alts) */
    const int *alt_avoided;  /* (n_alts) the node left out; -1 none */
    const int *alt_n_nodes;  /* (n_alts) */
    const int *const *alt_nodes; /* (n_alts) arrays of alt_n_nodes[k] */
} sim_obs_route;

typedef struct sim_obs_ops {
    void (*hop)(void *ctx, const sim_obs_hop *e);
    void (*node)(void *ctx, const sim_obs_node_ev *e);
    void (*route)(void *ctx, const sim_obs_route *e);
    int want_routes;   /* 1: explain decisions (extra policy work); 0: route() is not called */
} sim_obs_ops;

typedef struct sim_obs {
    const sim_obs_ops *ops;
    void *ctx;
    /* Set by the observer after a callback failed (e.g. out of memory): the
     * run stops with this status. */
    int failed;
} sim_obs;

#endif
