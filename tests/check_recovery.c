/* check_recovery.c - recovery under churn does not lose requests it could
 * serve: completion counts derived by hand from when the span is available.
 *
 * The swarm: one block served by four nodes (region a, RTT 0, no activation
 * bytes, so transfers take no time), constant 1 s service per pass, routing
 * "round-robin" on the truth view, one closed-loop user (think time 0) with
 * 1 prompt and 3 output tokens, so a request is 3 passes = 3 s of service
 * when nothing fails. Churn is given as scheduled outages so that the
 * availability of the span is known exactly.
 *
 * Availability argument: a request is servable whenever some replica is up.
 * Recovery retries a failed hop after 0, 1, 2, 4, ... s (Petals' backoff, at
 * most 60 s apart, 10 attempts), so any outage of the whole span shorter
 * than the sum of the first 9 delays (0+1+2+4+8+16+32+60+60 = 183 s) is
 * ridden out by the request caught in it.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "scn_scenario.h"
#include "sim_run.h"
#include "test_util.h"

static const sim_run_opts opts = {.presets_dir = SS_SRC("models/presets")};

static void run_faults(const char *faults, int n_requests, sim_results *r)
{
    char dir[] = "/tmp/shardsim-recXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/s.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f,
            "{\"version\": 1, \"seed\": 5, \"horizon_s\": 100000,\n"
            " \"model\": {\"synthetic\": {\"n_blocks\": 1, \"service_time_s\": 1,"
            " \"activation_bytes\": 0}},\n"
            " \"network\": {\"regions\": [\"a\"], \"rtt_ms\": [[0]]},\n"
            " \"nodes\": [{\"name\": \"n\", \"count\": 4, \"region\": \"a\", \"device\":"
            " {\"peak_tflops\": 1, \"mem_bw_gbps\": 1, \"memory_gb\": 1}}],\n"
            " \"placement\": {\"policy\": \"uniform\", \"spans\": 1},\n"
            " \"routing\": {\"policy\": \"round-robin\", \"view\": \"truth\"},\n"
            " \"faults\": %s,\n"
            " \"workload\": {\"arrivals\": {\"closed\": {\"users\": 1, \"think_time_s\": 0}},"
            " \"n_requests\": %d, \"prompt_tokens\": 1, \"output_tokens\": 3,"
            " \"client_region\": \"a\"}}\n",
            faults, n_requests);
    fclose(f);
    scn_scenario s;
    ck_assert_msg(scn_load(path, NULL, 0, &s, err, sizeof err) == SS_OK, "%s", err);
    remove(path);
    rmdir(dir);
    ck_assert_msg(sim_run(&s, &opts, r, err, sizeof err) == SS_OK, "%s", err);
    scn_scenario_fini(&s);
}

static int count_status(const sim_results *r, sim_request_status st)
{
    int n = 0;
    for (int i = 0; i < r->n_requests; i++)
        n += r->requests[i].status == st;
    return n;
}

/* Rolling churn: each node is down for a 20 s window, the windows of
 * different nodes never overlap (n-0 [5, 25), n-1 [30, 50), n-2 [55, 75),
 * n-3 [80, 100)), then n-0 and n-1 again. Three of four replicas are up at
 * every instant, so every one of the 40 requests (120 s of service, run one
 * after another) is servable: expected completions 40 of 40, and every
 * node that failed while serving costs its request a reroute, not the
 * request. */
START_TEST(test_rolling_churn_loses_no_request)
{
    sim_results r;
    run_faults("[{\"node\": \"n-0\", \"down_at_s\": 5, \"up_at_s\": 25},"
               " {\"node\": \"n-1\", \"down_at_s\": 30, \"up_at_s\": 50},"
               " {\"node\": \"n-2\", \"down_at_s\": 55, \"up_at_s\": 75},"
               " {\"node\": \"n-3\", \"down_at_s\": 80, \"up_at_s\": 100},"
               " {\"node\": \"n-0\", \"down_at_s\": 105, \"up_at_s\": 125},"
               " {\"node\": \"n-1\", \"down_at_s\": 130, \"up_at_s\": 150}]",
               40, &r);
    ck_assert_int_eq(r.n_requests, 40);
    ck_assert_int_eq(count_status(&r, SIM_REQUEST_OK), 40);
    sim_results_fini(&r);
}
END_TEST

/* Whole-span outage shorter than the retry budget: all four nodes down in
 * [10, 100) s (90 s < 183 s). The request in service at 10 s waits it out
 * (its retries land at 10, 10, 11, 13, 17, 25, 41, 73, 133 s: live nodes at
 * 133 s), the rest run after: expected completions 30 of 30. */
START_TEST(test_span_outage_within_retry_budget_loses_no_request)
{
    sim_results r;
    run_faults("[{\"node\": \"n-0\", \"down_at_s\": 10, \"up_at_s\": 100},"
               " {\"node\": \"n-1\", \"down_at_s\": 10, \"up_at_s\": 100},"
               " {\"node\": \"n-2\", \"down_at_s\": 10, \"up_at_s\": 100},"
               " {\"node\": \"n-3\", \"down_at_s\": 10, \"up_at_s\": 100}]",
               30, &r);
    ck_assert_int_eq(r.n_requests, 30);
    ck_assert_int_eq(count_status(&r, SIM_REQUEST_OK), 30);
    sim_results_fini(&r);
}
END_TEST

Suite *recovery_suite(void)
{
    Suite *s = suite_create("recovery");
    TCase *t = tcase_create("churn");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_rolling_churn_loses_no_request);
    tcase_add_test(t, test_span_outage_within_retry_budget_loses_no_request);
    suite_add_tcase(s, t);
    return s;
}
