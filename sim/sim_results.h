/* sim_results.h - what one simulated run produces, as plain data.
 *
 * The simulator fills an sim_results in memory; analysis/ stores it in one
 * SQLite transaction and computes the summary metrics from it. Keeping the
 * hand-over a data structure (not callbacks into a database) means a run
 * never holds a database lock while it simulates, and a failed run writes
 * nothing. Times are simulated int64 nanoseconds since the run's start.
 */
#ifndef SIM_RESULTS_H
#define SIM_RESULTS_H

#include <stdint.h>

#include "ss_status.h"

typedef enum sim_request_status {
    SIM_REQUEST_OK,          /* every output token delivered */
    SIM_REQUEST_INCOMPLETE,  /* still running when the run ended */
    SIM_REQUEST_FAILED,      /* gave up (no route, retries exhausted) */
} sim_request_status;

typedef struct sim_request_rec {
    uint64_t id;               /* 0.. in arrival order */
    int64_t arrival_ns;
    int64_t first_token_ns;    /* -1 if no token was produced */
    int64_t finish_ns;         /* -1 unless status == SIM_REQUEST_OK */
    int32_t prompt_tokens;
    int32_t output_tokens;     /* requested */
    int32_t tokens_done;       /* delivered */
    int32_t retries;           /* recovery attempts (reroutes, retries of a route) */
    sim_request_status status;
    uint32_t route_off;        /* the route as it ended (rerouted hops name their new nodes;
                                * a multi-hop reroute spliced in): route[route_off ..
                                * +route_len) */
    uint32_t route_len;
    int32_t dead_sends;        /* hops sent to a node found dead on contact (a stale record) */
    int32_t hops;              /* hops of its first pass's chain (0: never routed) */
    int64_t tokens_recomputed; /* positions replayed to rebuild KV caches on new nodes */
    int64_t recovery_ns;       /* from finding hops failed to their inputs reaching live
                                * nodes, summed over its recoveries (one unfinished at the
                                * end is not counted) */
    int32_t truncated;         /* 1: it asked for more positions than the model's context
                                * (prompt + output > seq_len): served clamped to it */
} sim_request_rec;

/* One hop of a recorded route. Under late binding (routing "central-queue")
 * a hop is bound to a replica only when dispatched; a request that ended
 * before that leaves the hop unbound, and `node` then names no server. */
typedef struct sim_route_rec {
    int32_t node;              /* the node that served the hop; meaningful when bound */
    int32_t bound;             /* 1: bound to `node`; 0: never bound */
} sim_route_rec;

typedef struct sim_node_rec {
    int32_t id;
    char name[64];
    char region[64];
    int32_t first_block, end_block;  /* span served: [first_block, end_block) */
    int64_t busy_ns;                 /* compute busy time */
    uint64_t bytes_in, bytes_out;    /* activation bytes received / sent */
    int32_t failures;
    int64_t down_ns;                 /* time spent down (failed), up to the run's end */
    uint64_t kv_peak_bytes;
    uint64_t n_tasks;                /* compute tasks executed */
} sim_node_rec;

/* Trust counters (sim/sim_trust.c); `on` = the scenario has "adversaries"
 * or "defences" (only then are they stored as metrics rows). */
typedef struct sim_trust_rec {
    int on;
    int64_t byzantine_nodes;     /* nodes chosen (or listed) as adversaries */
    int64_t hop_steps;           /* span executions of passes (the primary replica's) */
    int64_t faulty_steps;        /* of them, the primary misbehaved (corrupt / freeride) */
    int64_t drops;               /* hops a "drop" node never answered (client timed out) */
    int64_t steps_verified;      /* steps checked by consensus or a spot check */
    int64_t faults_detected;     /* verified steps where outputs disagreed */
    int64_t detectable_steps;    /* verified steps where some compared output was bad */
    int64_t extra_executions;    /* replica and spot-check executions of a span */
    int64_t corrupted_tokens;    /* tokens whose pass delivered a bad output undetected */
} sim_trust_rec;

typedef struct sim_results {
    uint64_t seed;
    /* The scenario's service-level objective, copied here so the metrics are
     * a function of the results alone: a request meets it when its TTFT and
     * TPOT are at most these (0: no objective on that quantity). */
    double slo_ttft_s, slo_tpot_s;
    int64_t end_ns;                  /* simulated time when the run ended */
    uint64_t n_events;               /* events executed */
    int n_requests;
    sim_request_rec *requests;       /* (n_requests) */
    int n_nodes;
    sim_node_rec *nodes;             /* (n_nodes) */
    uint32_t n_route;
    sim_route_rec *route;            /* (n_route) hops, see sim_request_rec */
    /* Placement "petals" (sim_rebal.c; 0 otherwise): */
    int64_t n_rebalance_moves;       /* nodes that moved to other blocks after a balance check */
    int64_t n_rejoin_moves;          /* nodes that came back from churn on other blocks */
    int64_t download_ns;             /* weight downloads of the new spans, summed */
    sim_trust_rec trust;
} sim_results;

/* Release the arrays; safe on a zeroed struct. */
void sim_results_fini(sim_results *r);

#endif
