/* scn_scenario.h - a scenario as plain data: what one run simulates.
 *
 * scn_load() turns a JSON scenario file (plus --set overrides) into an
 * scn_scenario that holds no pointers into JSON: every string is copied,
 * every number is range-checked and converted to its internal unit. The
 * cJSON tree never leaves the loader. Internal units: seconds as double at
 * this edge (the simulator converts to int64 ns), bytes, bytes/s, FLOP/s.
 * Field-by-field documentation with JSON names, units and defaults lives in
 * scenarios/README.md.
 */
#ifndef SCN_SCENARIO_H
#define SCN_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

#define SCN_NAME_MAX 64    /* names: 1..63 bytes of UTF-8, no control chars */
#define SCN_PATH_MAX 1024  /* resolved file paths */
/* Nodes after expanding groups: a bound against absurd files, not a memory
 * budget (a run needs about 1.5 KB per analytic node: scenarios/README.md). */
#define SCN_MAX_NODES 100000000
#define SCN_MAX_REGIONS 1024
#define SCN_VERSION 1      /* the only scenario version this build reads */

/* A random quantity. JSON: a plain number (constant) or an object with one
 * key naming the family:
 *   {"exponential": {"mean": m}}            a = mean
 *   {"uniform": {"min": lo, "max": hi}}     a = lo, b = hi
 *   {"lognormal": {"median": m, "sigma": s}} a = median, b = sigma
 *   {"weibull": {"shape": k, "scale": l}}   a = shape, b = scale
 *   {"gamma": {"shape": k, "scale": t}}     a = shape, b = scale
 * Units are those of the field that holds the distribution. */
typedef enum scn_dist_kind {
    SCN_DIST_CONST,
    SCN_DIST_EXPONENTIAL,
    SCN_DIST_UNIFORM,
    SCN_DIST_LOGNORMAL,
    SCN_DIST_WEIBULL,
    SCN_DIST_GAMMA,
} scn_dist_kind;

typedef struct scn_dist {
    scn_dist_kind kind;
    double a, b;
} scn_dist;

/* The mean of a distribution (inf when the shape gives none). */
double scn_dist_mean(const scn_dist *d);

/* Which model the run simulates. */
typedef enum scn_model_kind {
    SCN_MODEL_PRESET,    /* architecture preset: models/presets/<preset>.json */
    SCN_MODEL_SYNTHETIC, /* n_blocks stages whose compute time is drawn from service_time_s */
    SCN_MODEL_LLAMA2C,   /* real weights: llama2c checkpoint + tokenizer (real mode) */
    SCN_MODEL_CNN,       /* real weights: the MNIST CNN from a safetensors file (real mode) */
} scn_model_kind;

typedef struct scn_model {
    scn_model_kind kind;
    char preset[SCN_NAME_MAX];        /* PRESET: preset name, e.g. "llama-2-7b" */
    char weights[SCN_NAME_MAX];       /* weight format: "fp32", "fp16" (default), "int8", "nf4" */
    int n_blocks;                     /* SYNTHETIC: number of blocks (1..4096) */
    scn_dist service_time_s;          /* SYNTHETIC: compute time of one block pass, s */
    double activation_bytes;          /* SYNTHETIC: bytes sent per hop (>= 0, default 0) */
    char checkpoint_path[SCN_PATH_MAX]; /* LLAMA2C, CNN: resolved relative to the scenario file */
    char tokenizer_path[SCN_PATH_MAX];  /* LLAMA2C: resolved relative to the scenario file */
} scn_model;

/* One entry of "nodes" (a node or a population of `count` nodes) and the
 * random parts its nodes draw when the simulator builds the world: a device
 * mix, a region mix, bandwidth distributions, a failure process. Drawing
 * happens in sim/ (sim_world.h) from the named stream of each node, so the
 * scenario stays plain data and adding a group never changes another
 * node's draws. */
typedef enum scn_churn_kind {
    SCN_CHURN_NONE,
    SCN_CHURN_PRESET, /* "churn": "overnet03" (Failure Trace Archive fits, sim/dset_churn.h) */
    SCN_CHURN_DISTS,  /* "churn": {"up_s": DIST, "down_s": DIST} */
} scn_churn_kind;

typedef struct scn_group {
    int n_devices;            /* device mix: "device": {"rtx-3090": 0.3, ...}; 0: every node's
                               * device fields are fixed (inline object or one preset) */
    int *device;              /* (n_devices) indices into scn_scenario.devices */
    double *device_w;         /* (n_devices) weights, summing to 1 */
    int n_regions;            /* region mix: "region": {"eu": 0.4, ...}; 0: fixed region */
    int *region;              /* (n_regions) indices into regions */
    double *region_w;         /* (n_regions) weights, summing to 1 */
    scn_dist uplink_mbps;     /* drawn per node (SCN_DIST_CONST for a plain number), Mbit/s */
    scn_dist downlink_mbps;
    int uplink_from_device;   /* 1: no uplink_mbps given and a device mix: each node takes its
                               * drawn device's typical rate (scn_device.uplink_bytes_per_s);
                               * uplink_mbps then holds CONST(mix-weighted mean) */
    int downlink_from_device; /* likewise for downlink_mbps */
    scn_churn_kind churn;
    char churn_preset[SCN_NAME_MAX]; /* SCN_CHURN_PRESET: lower-case data-set name */
    char churn_family[SCN_NAME_MAX]; /* "weibull" (default), "exponential", "lognormal", "gamma" */
    scn_dist up_s, down_s;    /* SCN_CHURN_DISTS: up and down interval lengths, s */
    double last_mile_ms;      /* added to this group's nodes' one-way delay; default network.last_mile_ms */
    int relay;                /* behind NAT, traffic relayed: Petals counts 0.2 of its network rate */
} scn_group;

/* One device as the cost model sees it (model_cost.h), resolved for the
 * scenario's weight format; the same fields whatever the device's form (an
 * inline object, a preset name, a preset with overrides, a mix's draw): a
 * preset is named inline numbers. Units SI; JSON keys in scenarios/README.md. */
typedef struct scn_device {
    char preset[SCN_NAME_MAX]; /* preset name; "" for an inline device */
    double peak_flops;         /* FLOP/s; JSON peak_tflops x 1e12 (a preset: the faster peak) */
    double mem_bw_bytes_per_s; /* JSON mem_bw_gbps x 1e9 */
    double memory_bytes;       /* JSON memory_gb x 1e9 (a preset: memory_gib x 2^30) */
    double compute_eff;        /* 16-bit kernels' share of peak, (0,1], default 0.5 */
    double bw_eff;             /* 16-bit kernels' share of bandwidth, (0,1], default 0.7 */
    double format_compute_eff; /* the weight format's factor on compute_eff, JSON
                                * format_eff.<format>.compute, (0, 2]; 0: not given, the model's
                                * published default (models/COST_MODEL.md, "Weight formats") */
    double format_bw_eff;      /* likewise on bw_eff, JSON format_eff.<format>.bandwidth */
    double overhead_s;         /* per step (one call of a span), >= 0, JSON overhead_ms */
    double block_overhead_s;   /* per block of each step, >= 0, JSON block_overhead_ms, default 0 */
    double attn_s_per_head_pos; /* s per (query head x attended position), >= 0, JSON
                                * attn_ns_per_head_pos, default 0 (no separate term) */
    double uplink_bytes_per_s, downlink_bytes_per_s; /* a preset's typical network class */
} scn_device;

typedef struct scn_node {
    char name[SCN_NAME_MAX];  /* unique; "name" of a group with count > 1 becomes "name-0", "name-1", ... */
    int group;                /* index into scn_scenario.groups */
    int region;               /* index into scn_scenario.regions (a group with a region mix: drawn later) */
    /* the device (scn_device's fields, copied by scn_device_to_node) */
    double peak_flops;
    double mem_bw_bytes_per_s;
    double memory_bytes;
    double compute_eff;
    double bw_eff;
    double format_compute_eff;
    double format_bw_eff;
    double overhead_s;
    double block_overhead_s;
    double attn_s_per_head_pos;
    double uplink_bytes_per_s;   /* JSON uplink_mbps (1e6 bit/s) */
    double downlink_bytes_per_s; /* JSON downlink_mbps */
} scn_node;

/* The device's cost fields into n (name, group, region and links kept). */
void scn_device_to_node(const scn_device *d, scn_node *n);

/* "client": the machine of each request's user (scenarios/README.md,
 * "client"). Each request has its own client (closed loop: one per user,
 * whose requests follow each other; open loop: one per request) with its
 * own FIFO uplink and downlink. Every member is optional; without them the
 * client is what it always was: no NIC limit, no last mile, no compute. */
typedef struct scn_client {
    double uplink_bytes_per_s;   /* JSON uplink_mbps x 1e6 / 8; 0: no limit */
    double downlink_bytes_per_s; /* JSON downlink_mbps x 1e6 / 8; 0: no limit */
    double last_mile_ms;         /* JSON last_mile_ms: one-way delay added to every transfer to
                                  * or from the client, >= 0, default 0 */
    int has_device;              /* JSON device given: the client embeds the pass's tokens
                                  * and applies the LM head on it (model_cost_client_*) */
    scn_node device;             /* its cost fields (scn_device_to_node), name "client" */
} scn_client;

typedef enum scn_arrival_kind {
    SCN_ARRIVAL_POISSON, /* {"poisson": {"rate_per_s": r}} */
    SCN_ARRIVAL_GAMMA,   /* {"gamma": {"rate_per_s": r, "cv": c}}: gamma gaps, mean 1/r, CV c (bursty for c > 1) */
    SCN_ARRIVAL_CLOSED,  /* {"closed": {"users": n, "think_time_s": DIST}}: n users, each sends its
                          * next request a think time after the previous one finished */
    SCN_ARRIVAL_TRACE,   /* {"trace": {"file": PATH | "preset": "azure-conv-2023" | "azure-code-2023",
                          * "time_scale": s}}: arrival times and token counts replayed from the
                          * Azure LLM trace CSV (TIMESTAMP, ContextTokens, GeneratedTokens) */
} scn_arrival_kind;

typedef struct scn_workload {
    scn_arrival_kind arrival;
    double rate_per_s;        /* POISSON, GAMMA: > 0 */
    double cv;                /* GAMMA: coefficient of variation of the gaps, > 0 */
    int64_t users;            /* CLOSED: 1..1e6 */
    scn_dist think_time_s;    /* CLOSED */
    char trace_path[SCN_PATH_MAX]; /* TRACE: resolved file; "" with a preset */
    char trace_preset[SCN_NAME_MAX]; /* TRACE: "azure-conv-2023", "azure-code-2023" (in the shared assets) */
    double time_scale;        /* TRACE: arrival offsets multiplied by this, > 0, default 1 */
    int64_t n_requests;       /* 1..1e8; arrivals stop after this many or at horizon_s */
    scn_dist prompt_tokens;   /* tokens; drawn, rounded to nearest, clamped to >= 1 */
    scn_dist output_tokens;   /* tokens; drawn, rounded to nearest, clamped to >= 1 */
    int client_region;        /* index into regions; JSON client_region (name), default region 0 */
} scn_workload;

/* A scheduled outage of one node. JSON: "faults": [{"node": "gpu-1",
 * "down_at_s": 2.5, "up_at_s": 60}] (up_at_s optional: never back). A node
 * that goes down loses its queued and running work and every KV cache it
 * held; sessions recover on another node serving the same span. */
typedef struct scn_fault {
    int node;         /* index into nodes */
    double down_at_s; /* >= 0 */
    double up_at_s;   /* > down_at_s, or < 0: stays down */
} scn_fault;

/* A straggler episode: the node computes `slowdown` times slower during
 * [from_s, to_s). JSON "stragglers": [{"node": NAME, "from_s", "to_s",
 * "slowdown"}]; regional outages are faults: {"region": NAME, "down_at_s",
 * "up_at_s"} in "faults" expands to one fault per node of that region. */
typedef struct scn_straggler {
    int node;
    double from_s, to_s;  /* 0 <= from < to */
    double slowdown;      /* >= 1 */
} scn_straggler;

/* Ordered: each level keeps what the ones before it keep. */
typedef enum scn_record_level {
    SCN_RECORD_OFF,      /* runs and metrics only */
    SCN_RECORD_SUMMARY,  /* plus nodes */
    SCN_RECORD_REQUESTS, /* plus one row per request (default) */
    SCN_RECORD_HOPS,     /* plus hop_events and node_events (the event record) */
    SCN_RECORD_ALL,      /* plus route_decisions with the policy's costs and alternatives */
} scn_record_level;

/* One member of a policy's settings object: a name and a finite number. */
typedef struct scn_setting {
    char key[SCN_NAME_MAX];
    double value;
} scn_setting;

/* Trust (scenarios/README.md, "adversaries" and "defences"; issue 15).
 * Absent sections leave has_adversaries = 0 and every defence off, so a
 * scenario without them behaves exactly as before. */
typedef enum scn_behaviour {
    SCN_BEHAVE_CORRUPT,  /* with probability p per step perturb the span's output */
    SCN_BEHAVE_FREERIDE, /* with probability p per step return its previous output */
    SCN_BEHAVE_DROP,     /* with probability p per step accept the work and never answer */
    SCN_BEHAVE_OVERCLAIM,/* compute honestly, announce `factor` x its real speed */
} scn_behaviour;

typedef enum scn_corrupt_kind {
    SCN_CORRUPT_NOISE, /* add Gaussian noise of relative size `noise` (x RMS of the tensor) */
    SCN_CORRUPT_SIGN,  /* flip the sign of every element */
    SCN_CORRUPT_BIAS,  /* add the constant noise x RMS to every element */
} scn_corrupt_kind;

typedef struct scn_trust {
    int has_adversaries;      /* "adversaries" given */
    double fraction;          /* adversaries.fraction in [0, 1]; -1 with "nodes" */
    int n_adv_nodes;          /* adversaries.nodes: names -> node indices */
    int *adv_nodes;           /* (n_adv_nodes) */
    scn_behaviour behaviour;  /* adversaries.behaviour, default "corrupt" */
    double p;                 /* adversaries.p in [0, 1], default 1 */
    double noise;             /* adversaries.noise: relative size > 0, <= 1e3, default 0.1 */
    scn_corrupt_kind kind;    /* adversaries.kind, default "noise" */
    double factor;            /* adversaries.factor (overclaim): (1, 1000], default 2 */
    int consensus_k;          /* defences.consensus.k in [2, 16]; 0: no consensus */
    double consensus_fraction;/* defences.consensus.fraction in (0, 1], default 1 */
    double spot_q;            /* defences.spot_check.q in [0, 1]; 0: no spot checks */
} scn_trust;

typedef struct scn_scenario {
    char source_path[SCN_PATH_MAX]; /* the file as given on the command line */
    char name[SCN_NAME_MAX];        /* JSON name, default: file name without .json */
    int version;                    /* == SCN_VERSION */
    uint64_t seed;                  /* JSON integer 0..2^53-1 (exact in a double); --seed accepts any uint64 */
    double horizon_s;               /* > 0, <= 1e9; no arrival at or after it */
    scn_model model;

    int n_regions;
    char (*regions)[SCN_NAME_MAX];  /* (n_regions) names */
    double *rtt_s;                  /* (n_regions, n_regions) row-major round-trip times; NULL when
                                     * rtt_source names a measured data set (filled by sim/) */
    char rtt_source[SCN_NAME_MAX];  /* network.rtt: "" (the rtt_ms matrix) or "wondernetwork-2018":
                                     * region names are then WonderNetwork city names */
    double last_mile_ms;            /* network.last_mile_ms: one-way delay added per node endpoint, >= 0 */
    scn_dist jitter_ms;             /* network.jitter: extra one-way delay per transfer, ms (CONST 0: none) */
    double transfer_failure_p;      /* network.transfer_failure_p: probability that an activation
                                     * sent to a server fails on arrival (the session's cache
                                     * there is lost, the client recovers), [0, 1), default 0 */

    int n_groups;
    scn_group *groups;              /* (n_groups) one per "nodes" entry */
    int n_devices;
    scn_device *devices;            /* (n_devices) presets referenced by groups' device mixes */
    int n_nodes;
    scn_node *nodes;                /* (n_nodes) after expanding counts */

    char placement[SCN_NAME_MAX];   /* placement policy name, default "uniform" */
    int n_spans;                    /* uniform placement: spans (0 = one per node, capped at n_blocks) */
    int n_cuts;                     /* manual placement: span boundaries, JSON placement.cuts */
    int *cuts;                      /* (n_cuts) strictly increasing, each in (0, n_blocks) */
    char routing[SCN_NAME_MAX];     /* routing policy name, default "fixed" */
    int n_routing_settings;         /* JSON routing.settings: {"KEY": number, ...} */
    scn_setting *routing_settings;  /* (n_routing_settings) in document order; which keys and
                                     * ranges a policy takes is checked by routing/ (sim_check) */
    /* What routers see (scenarios/README.md): "routing.view" "announced"
     * (default: each node's record, announced every announce_period_s,
     * reaching routers announce_delay_s later, gone announce_expiry_s after
     * it was announced) or "truth" (an oracle: the simulator's own state). */
    int view_truth;                 /* 1: routing.view "truth" */
    double announce_period_s;       /* (0, 86400], default 60 (Petals' server update_period) */
    double announce_delay_s;        /* [0, announce_period_s), default 30 */
    double announce_expiry_s;       /* (announce_delay_s, 86400], default 120 (Petals: 2 x period) */
    /* routing.pattern: "server-to-server" (0, default: each span pushes its
     * output to the next span's node) or "client-relayed" (1: every span's
     * output goes back to the client, which sends it to the next span, as
     * Petals' client does: petals/client/inference_session.py). */
    int client_relayed;
    char act_codec[SCN_NAME_MAX];   /* activation codec on the wire, default "fp16" */
    char weight_codec[SCN_NAME_MAX];/* JSON compression.weights: codec applied to every block
                                     * weight matrix at rest; "" (default): none, the nominal
                                     * model.weights format sets the bytes */

    scn_workload workload;
    scn_client client;              /* JSON "client" */
    scn_record_level record;

    int n_faults;
    scn_fault *faults;              /* (n_faults) sorted by down_at_s, then node */

    double slo_ttft_s, slo_tpot_s;  /* JSON slo.ttft_s / slo.tpot_s; 0: no objective */

    int n_stragglers;
    scn_straggler *stragglers;      /* (n_stragglers) sorted by from_s, then node */

    /* "batching": {"max_tokens": N, "priority": "decode" | "prefill"}: a node
     * runs the decode steps waiting for its span as one batch of at most N
     * tokens (continuous batching); a prefill runs alone, before waiting
     * decodes ("prefill") or after them ("decode"). max_tokens 0 (default):
     * one task at a time. */
    int64_t max_batch_tokens;
    int prefill_first;

    /* "churn_trace": a CSV (time_s, node, state up|down; sim/dset_churn.h)
     * replayed on top of any other failures; "" for none. */
    char churn_trace_path[SCN_PATH_MAX];

    scn_trust trust;                /* JSON "adversaries" and "defences" (scn_trust.c) */

    char *canonical_json;           /* the scenario after --set overrides, printed
                                     * unformatted: hashed into the run key */
} scn_scenario;

/* One --set override: a JSON path ("workload.arrivals.poisson.rate_per_s",
 * "nodes[0].count") and a value parsed as JSON, or taken as a string when it
 * is not valid JSON. */
typedef struct scn_override {
    const char *path;
    const char *value;
} scn_override;

/* Load and validate `path`, apply `overrides` (may be NULL when n == 0), and
 * fill *out (caller-owned storage; release with scn_scenario_fini). On error
 * returns SS_ENOENT/SS_EIO (file), SS_EPARSE (not JSON) or SS_ESCHEMA/SS_ERANGE
 * (schema), writes one line "file: json.path: expected X, got Y" to err, and
 * leaves *out zeroed. */
ss_status scn_load(const char *path, const scn_override *overrides, size_t n_overrides,
                   scn_scenario *out, char *err, size_t errlen);

/* Release what scn_load allocated; safe on a zeroed or already-finied struct. */
void scn_scenario_fini(scn_scenario *s);

#endif
