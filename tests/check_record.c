/* check_record.c - the event record's observer (sim/sim_obs.h) against
 * hand computations: an M/D/1 queue's recorded waits follow Lindley's
 * recursion; per node the recorded compute intervals sum to its busy time
 * and the recorded transfers to its byte counters, exactly (integer ns and
 * bytes); installing an observer changes no result; the recorder
 * (analysis/ana_record.h) buffers what it was told. */
#include <check.h>
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ana_db.h"
#include "ana_record.h"
#include "ana_report.h"
#include "ana_report_model.h"
#include "ana_store.h"
#include "exp_run.h"
#include "scn_scenario.h"
#include "sim_obs.h"
#include "sim_run.h"
#include "ss_alloc.h"
#include "test_util.h"

typedef struct tape {
    sim_obs_hop *hops;
    size_t n_hops, cap_hops;
    sim_obs_node_ev *nodes;
    size_t n_nodes, cap_nodes;
    size_t n_routes, n_explained;
} tape;

static void on_hop(void *ctx, const sim_obs_hop *e)
{
    tape *t = ctx;
    if (t->n_hops == t->cap_hops) {
        t->cap_hops = t->cap_hops ? 2 * t->cap_hops : 1024;
        t->hops = realloc(t->hops, t->cap_hops * sizeof *t->hops);
        ck_assert_ptr_nonnull(t->hops);
    }
    t->hops[t->n_hops++] = *e;
}

static void on_node(void *ctx, const sim_obs_node_ev *e)
{
    tape *t = ctx;
    if (t->n_nodes == t->cap_nodes) {
        t->cap_nodes = t->cap_nodes ? 2 * t->cap_nodes : 1024;
        t->nodes = realloc(t->nodes, t->cap_nodes * sizeof *t->nodes);
        ck_assert_ptr_nonnull(t->nodes);
    }
    t->nodes[t->n_nodes++] = *e;
}

static void on_route(void *ctx, const sim_obs_route *e)
{
    tape *t = ctx;
    t->n_routes++;
    t->n_explained += e->explained;
    for (int k = 1; e->explained && k < e->n_alts; k++)
        ck_assert(e->alt_cost[k - 1] <= e->alt_cost[k]); /* cheapest first */
}

static const sim_obs_ops tape_ops = {.hop = on_hop, .node = on_node, .route = on_route,
                                     .want_routes = 1};

static void load(const char *rel, const scn_override *ov, size_t n, scn_scenario *s)
{
    char err[1024], path[4096];
    snprintf(path, sizeof path, "%s/%s", SS_SOURCE_DIR, rel);
    ss_status st = scn_load(path, ov, n, s, err, sizeof err);
    ck_assert_msg(st == SS_OK, "%s", err);
}

static void run(const scn_scenario *s, sim_obs *obs, sim_results *r)
{
    sim_run_opts o = {.presets_dir = SS_SRC("models/presets"), .keep_routes = 1,
                      .assets_dir = SS_SHARED_DIR "/assets", .obs = obs};
    char err[1024];
    ss_status st = sim_run(s, &o, r, err, sizeof err);
    ck_assert_msg(st == SS_OK, "%s", err);
}

static void tape_fini(tape *t)
{
    free(t->hops);
    free(t->nodes);
}

/* M/D/1 (service 1 s, no network time): request i arrives at a_i, waits
 * in the queue from a_i to s_i = max(a_i, s_{i-1} + 1 s) (Lindley), and
 * computes over [s_i, s_i + 1 s]; its token reaches the client at once. */
START_TEST(test_md1_waits_follow_lindley)
{
    scn_override ov[] = {{"workload.n_requests", "300"}};
    scn_scenario s;
    load("scenarios/validation/md1.json", ov, 1, &s);
    tape t = {0};
    sim_obs obs = {.ops = &tape_ops, .ctx = &t};
    sim_results r;
    run(&s, &obs, &r);
    ck_assert_int_eq(r.n_requests, 300);
    int64_t prev_end = INT64_MIN;
    for (int i = 0; i < r.n_requests; i++) {
        int64_t a = r.requests[i].arrival_ns;
        int64_t start = prev_end > a ? prev_end : a, end = start + 1000000000;
        int seen_q = 0, seen_c = 0;
        for (size_t k = 0; k < t.n_hops; k++) {
            const sim_obs_hop *h = &t.hops[k];
            if (h->request != i)
                continue;
            if (h->phase == SIM_OBS_QUEUE) {
                ck_assert_int_eq(h->t_start, a);
                ck_assert_int_eq(h->t_end, start);
                seen_q++;
            } else if (h->phase == SIM_OBS_COMPUTE) {
                ck_assert_int_eq(h->t_start, start);
                ck_assert_int_eq(h->t_end, end);
                ck_assert_int_eq(h->node, 0);
                seen_c++;
            } else {
                ck_assert_int_eq(h->phase, SIM_OBS_TRANSFER);
                ck_assert_int_eq(h->t_end, h->t_start); /* rtt 0, no bytes */
            }
        }
        ck_assert_int_eq(seen_q, 1);
        ck_assert_int_eq(seen_c, 1);
        ck_assert_int_eq(r.requests[i].finish_ns, end);
        prev_end = end;
    }
    ck_assert_int_eq(t.n_routes, 300); /* one route decision each; fixed cannot explain */
    ck_assert_int_eq(t.n_explained, 0);
    sim_results_fini(&r);
    tape_fini(&t);
    scn_scenario_fini(&s);
}
END_TEST

/* With failures and recoveries (tests/cli/data/record_failure.json: two
 * nodes fail, Petals' routing): compute intervals (one per batch member,
 * the same interval for a batch) sum per node to busy_ns; transfers sum to
 * bytes_out of the sender and bytes_in of the receiver; 'down' events
 * count the failures; and the results equal a run without an observer. */
START_TEST(test_failures_record_matches_node_counters)
{
    scn_scenario s;
    load("tests/cli/data/record_failure.json", NULL, 0, &s);
    tape t = {0};
    sim_obs obs = {.ops = &tape_ops, .ctx = &t};
    sim_results r, plain;
    run(&s, &obs, &r);
    run(&s, NULL, &plain);
    int n = r.n_nodes;
    int64_t *busy = calloc((size_t)n, sizeof *busy), *last = calloc((size_t)n, sizeof *last);
    uint64_t *out = calloc((size_t)n, sizeof *out), *in = calloc((size_t)n, sizeof *in);
    int *downs = calloc((size_t)n, sizeof *downs);
    for (int i = 0; i < n; i++)
        last[i] = -1;
    int replays = 0;
    for (size_t k = 0; k < t.n_hops; k++) {
        const sim_obs_hop *h = &t.hops[k];
        ck_assert(h->t_end >= h->t_start);
        if (h->phase == SIM_OBS_COMPUTE && h->t_start != last[h->node]) {
            busy[h->node] += h->t_end - h->t_start;
            last[h->node] = h->t_start;
        } else if (h->phase == SIM_OBS_TRANSFER) {
            if (h->node >= 0)
                out[h->node] += (uint64_t)h->bytes;
            if (h->dst >= 0)
                in[h->dst] += (uint64_t)h->bytes;
        }
        replays += h->phase == SIM_OBS_REPLAY;
    }
    for (size_t k = 0; k < t.n_nodes; k++)
        downs[t.nodes[k].node] += t.nodes[k].kind == SIM_OBS_DOWN;
    int failures = 0;
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(busy[i], r.nodes[i].busy_ns);
        ck_assert_uint_eq(out[i], r.nodes[i].bytes_out);
        ck_assert_uint_eq(in[i], r.nodes[i].bytes_in);
        ck_assert_int_eq(downs[i], r.nodes[i].failures);
        failures += r.nodes[i].failures;
    }
    ck_assert_int_eq(failures, 2);
    ck_assert_int_gt(replays, 0);
    ck_assert_int_gt(t.n_explained, 0); /* petals reports its path cost */
    /* the observer changed nothing */
    ck_assert_int_eq(r.n_requests, plain.n_requests);
    ck_assert_uint_eq(r.n_events, plain.n_events);
    ck_assert_int_eq(r.end_ns, plain.end_ns);
    for (int i = 0; i < r.n_requests; i++) {
        ck_assert_int_eq(r.requests[i].finish_ns, plain.requests[i].finish_ns);
        ck_assert_int_eq(r.requests[i].first_token_ns, plain.requests[i].first_token_ns);
        ck_assert_int_eq(r.requests[i].retries, plain.requests[i].retries);
        ck_assert_int_eq(r.requests[i].recovery_ns, plain.requests[i].recovery_ns);
    }
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(memcmp(&r.nodes[i], &plain.nodes[i], sizeof r.nodes[i]), 0);
    free(busy);
    free(last);
    free(out);
    free(in);
    free(downs);
    sim_results_fini(&r);
    sim_results_fini(&plain);
    tape_fini(&t);
    scn_scenario_fini(&s);
}
END_TEST

/* The recorder keeps what the simulator tells it, level by level. */
START_TEST(test_recorder_buffers_by_level)
{
    scn_scenario s;
    load("tests/cli/data/record_failure.json", NULL, 0, &s);
    tape t = {0};
    sim_obs obs = {.ops = &tape_ops, .ctx = &t};
    sim_results r;
    run(&s, &obs, &r);
    sim_results_fini(&r);
    for (int lvl = ANA_RECORD_HOPS; lvl <= ANA_RECORD_ALL; lvl++) {
        ana_record *rec = NULL;
        ck_assert_int_eq(ana_record_new((ana_record_level)lvl, &rec), SS_OK);
        run(&s, ana_record_obs(rec), &r);
        ck_assert_uint_eq(ana_record_n_hops(rec), t.n_hops);
        ck_assert_uint_eq(ana_record_n_node_events(rec), t.n_nodes);
        ck_assert_uint_eq(ana_record_n_routes(rec), lvl == ANA_RECORD_ALL ? t.n_routes : 0);
        ck_assert_str_eq(ana_record_level_name(rec), lvl == ANA_RECORD_ALL ? "all" : "hops");
        ana_record_free(rec);
        sim_results_fini(&r);
    }
    tape_fini(&t);
    scn_scenario_fini(&s);
}
END_TEST

/* A run stored at level "hops" through exp_run loads into the report model
 * with its events: as many as event_records counts, sorted by time, each
 * metric equal to what ana_run_metric reads; the store wrote the
 * recorder's rows in the run's transaction. */
START_TEST(test_stored_record_loads_into_the_model)
{
    char dir[] = "/tmp/shardsim-recordXXXXXX", db_path[600], err[1024];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/r.db", dir);
    scn_override ov[] = {{"record.level", "hops"}};
    scn_scenario s;
    ck_assert_int_eq(exp_load(SS_SRC("tests/cli/data/record_failure.json"), ov, 1, NULL, &s, err,
                              sizeof err), SS_OK);
    exp_run_opts o = {.presets_dir = SS_SRC("models/presets"),
                      .assets_dir = SS_SHARED_DIR "/assets"};
    ana_db *db = NULL;
    ck_assert_msg(ana_db_open(db_path, NULL, &db, err, sizeof err) == SS_OK, "%s", err);
    exp_run_result res;
    ck_assert_msg(exp_run(&s, &o, db, &res, err, sizeof err) == SS_OK, "%s", err);
    double e2e;
    ck_assert_int_eq(ana_run_metric(db, res.run_id, "e2e_s_p99", &e2e, err, sizeof err), SS_OK);
    ana_db_close(db);
    ana_report_model *m = NULL;
    ck_assert_msg(ana_report_load(db_path, res.run_id, ANA_RM_ALL, &m, err, sizeof err) == SS_OK,
                  "%s", err);
    ck_assert_str_eq(m->record_level, "hops");
    ck_assert_int_eq(m->n_nodes, 8);
    ck_assert_int_eq(m->n_requests_rows, 40);
    ck_assert_int_gt(m->n_hops, 0);
    ck_assert_int_gt(m->n_node_events, 0);
    for (size_t i = 1; i < m->n_hops; i++)
        ck_assert(m->hops[i - 1].t_start <= m->hops[i].t_start);
    ck_assert(ana_report_metric(m, "e2e_s_p99") == e2e);
    ck_assert(isnan(ana_report_metric(m, "no_such_metric")));
    /* the model's compute slices (one per batch) sum to each node's busy_s */
    for (size_t n = 0; n < m->n_nodes; n++) {
        double busy = 0, ls = -1, le = -1;
        for (size_t i = 0; i < m->n_hops; i++) {
            const ana_rm_hop *h = &m->hops[i];
            if (h->node != m->nodes[n].id || strcmp(h->phase, "compute") != 0 ||
                (h->t_start == ls && h->t_end == le))
                continue;
            busy += h->t_end - h->t_start;
            ls = h->t_start;
            le = h->t_end;
        }
        ck_assert_msg(fabs(busy - m->nodes[n].busy_s) < 1e-9 * (1 + m->n_hops), "node %zu", n);
    }
    ana_report_model_free(m);
    /* an unknown run: one line, nothing loaded */
    ck_assert_int_eq(ana_report_load(db_path, 99, 0, &m, err, sizeof err), SS_ENOTFOUND);
    ck_assert_ptr_null(m);
    scn_scenario_fini(&s);
    char p[700];
    const char *const sfx[] = {"", "-wal", "-shm"};
    for (int k = 0; k < 3; k++) {
        snprintf(p, sizeof p, "%s%s", db_path, sfx[k]);
        remove(p);
    }
    rmdir(dir);
}
END_TEST

Suite *record_suite(void)
{
    Suite *s = suite_create("record");
    TCase *tc = tcase_create("observer");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_md1_waits_follow_lindley);
    tcase_add_test(tc, test_failures_record_matches_node_counters);
    tcase_add_test(tc, test_recorder_buffers_by_level);
    tcase_add_test(tc, test_stored_record_loads_into_the_model);
    suite_add_tcase(s, tc);
    return s;
}
