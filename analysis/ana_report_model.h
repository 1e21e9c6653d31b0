/* ana_report_model.h - one stored run as plain data, for any renderer.
 *
 * Loading and rendering are separate: ana_report_load reads a run from the
 * database (opened read-only, one read transaction = one snapshot) into an
 * ana_report_model; renderers only read the model and never touch SQLite.
 * The text renderer is ana_report_render_text (ana_report.c); an HTML
 * renderer (ana_html*) plugs in the same way.
 *
 * Units: seconds of simulated time (double), bytes (int64). Undefined
 * values (NULL in the database) are NaN. Arrays are ordered as stated and
 * are empty (n == 0, pointer NULL) when the run's record level did not keep
 * them: requests need level >= "requests", hops and node events need
 * "hops", route decisions need "all".
 */
#ifndef ANA_REPORT_MODEL_H
#define ANA_REPORT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ss_status.h"

typedef struct ana_rm_metric {
    char *name;   /* e.g. "e2e_s_p99" (analysis/README.md, metrics) */
    double value; /* NaN when undefined */
} ana_rm_metric;

typedef struct ana_rm_node {          /* table nodes, ordered by id */
    int id;
    char *name, *region;
    int first_block, end_block;       /* span [first, end) */
    double busy_s, down_s;
    double utilisation;               /* NaN when undefined */
    int64_t bytes_in, bytes_out, kv_peak_bytes, n_tasks;
    int failures;
} ana_rm_node;

typedef struct ana_rm_request {       /* table requests, ordered by id */
    int64_t id;
    double arrival_s, first_token_s, finish_s; /* NaN when not reached */
    int prompt_tokens, output_tokens, tokens_done, retries;
    char *status;                     /* "ok", "failed", "incomplete" */
} ana_rm_request;

typedef struct ana_rm_hop {           /* table hop_events, by (t_start, request, pass, hop) */
    int64_t request_id;
    int pass, hop;
    int node;                         /* node index; -1 = the client */
    int dst;                          /* transfer: receiver (-1 = client); else -1 */
    char phase[12];                   /* queue compute encode transfer kv_wait replay */
    double t_start, t_end;
    int64_t bytes;
} ana_rm_hop;

typedef struct ana_rm_node_event {    /* table node_events, by (t, node) */
    int node;
    double t;
    char kind[12];                    /* down up kv_reserve kv_release ban unban */
    int64_t request_id;               /* -1 when not about a request */
    int64_t bytes;                    /* kv_*: bytes reserved / released; else 0 */
} ana_rm_node_event;

typedef struct ana_report_model {
    int64_t run_id;
    char *scenario_name, *seed, *status, *version, *build_id, *blas_core, *run_key;
    double sim_end_s;
    int64_t n_events, n_requests;
    int requests_recorded;            /* 0: no per-request rows were stored */
    double wall_seconds;              /* NaN when not recorded */
    char record_level[12];            /* off summary requests hops all ("requests" before v5) */
    ana_rm_metric *metrics;  size_t n_metrics;  /* ordered by name */
    ana_rm_node *nodes;      size_t n_nodes;
    ana_rm_request *requests; size_t n_requests_rows;
    ana_rm_hop *hops;        size_t n_hops;
    ana_rm_node_event *node_events; size_t n_node_events;
} ana_report_model;

/* What ana_report_load reads beyond the run, its metrics and nodes (those
 * are always loaded): bit flags. */
enum {
    ANA_RM_REQUESTS = 1 << 0,
    ANA_RM_HOPS = 1 << 1,        /* hop_events */
    ANA_RM_NODE_EVENTS = 1 << 2, /* node_events */
    ANA_RM_ALL = ANA_RM_REQUESTS | ANA_RM_HOPS | ANA_RM_NODE_EVENTS,
};

/* Load run `run_id` (ANA_RUN_LATEST from ana_report.h = the highest id) of
 * the database at db_path, read-only. `what` = ANA_RM_* flags. On success
 * *out is a new model, free with ana_report_model_free.
 * Status: SS_OK; SS_ENOENT; SS_ENOTFOUND (no such run / no run); SS_ENOMEM;
 * the ana_db_open errors (not a shardsim database, newer schema). */
ss_status ana_report_load(const char *db_path, int64_t run_id, unsigned what,
                          ana_report_model **out, char *err, size_t errlen);

void ana_report_model_free(ana_report_model *m);

/* The metric's value, NaN when absent or undefined (binary search). */
double ana_report_metric(const ana_report_model *m, const char *name);

/* The text report (what `shardsim report` prints), C locale numbers.
 * Status: SS_OK; SS_EIO (write failed). */
ss_status ana_report_render_text(const ana_report_model *m, FILE *out, char *err, size_t errlen);

#endif
