/* check_sim.c - the simulator against queueing theory and hand computations.
 *
 * M/M/1 and M/D/1 runs use the scenarios in scenarios/validation/ with overrides. Sample
 * sizes are chosen from the autocorrelation of queue sojourn times: at
 * rho = 0.8 the standard error of the mean time in system with 1e6 requests
 * is about 1.5 %, too close to the 2 % budget, so those runs use 4e6
 * requests (about 0.75 %, a 2.7-sigma margin).
 */
#include <check.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_cost.h"
#include "model_desc.h"
#include "route.h"
#include "scn_scenario.h"
#include "sim_run.h"
#include "test_util.h"

static const sim_run_opts opts = {.presets_dir = SS_SRC("models/presets"), .keep_routes = 1,
                                  .assets_dir = SS_SHARED_DIR "/assets"};

static void load(const char *rel, const scn_override *ov, size_t n, scn_scenario *s)
{
    char err[1024];
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", SS_SOURCE_DIR, rel);
    ss_status st = scn_load(path, ov, n, s, err, sizeof err);
    ck_assert_msg(st == SS_OK, "%s", err);
}

static void run(const scn_scenario *s, sim_results *r)
{
    char err[1024];
    ss_status st = sim_run(s, &opts, r, err, sizeof err);
    ck_assert_msg(st == SS_OK, "%s", err);
}

/* Load the scenario printf(fmt, ...) through a temporary file (scn_load
 * reads files; the tests' scenarios name no relative paths). */
static void load_fmt(scn_scenario *s, const char *fmt, ...)
{
    char err[1024];
    va_list ap;
    va_start(ap, fmt);
    ss_status st = test_scn_vload(s, err, sizeof err, fmt, ap);
    va_end(ap);
    ck_assert_msg(st == SS_OK, "%s", err);
}

/* Mean time in system of the completed requests, seconds. */
static double mean_time_in_system(const sim_results *r)
{
    double sum = 0;
    int n = 0;
    for (int i = 0; i < r->n_requests; i++)
        if (r->requests[i].status == SIM_REQUEST_OK) {
            sum += (double)(r->requests[i].finish_ns - r->requests[i].arrival_ns) * 1e-9;
            n++;
        }
    ck_assert_int_eq(n, r->n_requests);
    return sum / n;
}

static double queue_run(const char *file, const char *rate, const char *n_req)
{
    scn_override ov[] = {{"workload.arrivals.poisson.rate_per_s", rate},
                         {"workload.n_requests", n_req}};
    scn_scenario s;
    sim_results r;
    load(file, ov, 2, &s);
    run(&s, &r);
    double t = mean_time_in_system(&r);
    sim_results_fini(&r);
    scn_scenario_fini(&s);
    return t;
}

START_TEST(test_mm1_mean_time_in_system_matches_theory_at_rho_0_5)
{
    double t = queue_run("scenarios/validation/mm1.json", "0.5", "1000000");
    double theory = 1.0 / (1.0 - 0.5); /* 1/(mu - lambda), mu = 1 */
    ck_assert_msg(fabs(t - theory) / theory < 0.02, "M/M/1 rho 0.5: %.5f vs %.5f", t, theory);
}
END_TEST

START_TEST(test_mm1_mean_time_in_system_matches_theory_at_rho_0_8)
{
    double t = queue_run("scenarios/validation/mm1.json", "0.8", "4000000");
    double theory = 1.0 / (1.0 - 0.8);
    ck_assert_msg(fabs(t - theory) / theory < 0.02, "M/M/1 rho 0.8: %.5f vs %.5f", t, theory);
}
END_TEST

START_TEST(test_md1_mean_wait_matches_pollaczek_khinchine)
{
    const char *rates[] = {"0.5", "0.8"};
    const char *counts[] = {"1000000", "4000000"};
    for (int i = 0; i < 2; i++) {
        double rho = i ? 0.8 : 0.5; /* service time 1 s */
        double wait = queue_run("scenarios/validation/md1.json", rates[i], counts[i]) - 1.0;
        double pk = rho / (2.0 * (1.0 - rho)); /* Wq = rho / (2 mu (1 - rho)) */
        ck_assert_msg(fabs(wait - pk) / pk < 0.02, "M/D/1 rho %.1f: Wq %.5f vs %.5f", rho, wait,
                      pk);
    }
}
END_TEST

/* Erlang C: probability of waiting in M/M/c with offered load a = lambda/mu,
 * then Wq = C / (c mu - lambda). Computed here from the textbook formula. */
static double erlang_c_wq(int c, double lambda, double mu)
{
    double a = lambda / mu, rho = a / c, term = 1, sum = 0;
    for (int k = 0; k < c; k++) {
        sum += term; /* a^k / k! */
        term *= a / (k + 1);
    }
    double last = term / (1 - rho); /* a^c / c! / (1 - rho) */
    return last / (sum + last) / (c * mu - lambda);
}

START_TEST(test_mmc_with_a_central_queue_matches_erlang_c)
{
    /* three identical exponential servers behind one FIFO, rho = 0.8 */
    scn_override ov[] = {{"nodes[0].count", "3"},
                         {"routing.policy", "\"central-queue\""},
                         {"workload.arrivals.poisson.rate_per_s", "2.4"},
                         {"workload.n_requests", "4000000"}};
    scn_scenario s;
    sim_results r;
    load("scenarios/validation/mm1.json", ov, 4, &s);
    ck_assert_int_eq(s.n_nodes, 3);
    run(&s, &r);
    double wq = mean_time_in_system(&r) - 1.0, theory = erlang_c_wq(3, 2.4, 1.0);
    ck_assert_double_eq_tol(theory, 1.078652, 1e-6); /* C(3, 2.4) = 0.647191 */
    ck_assert_msg(fabs(wq - theory) / theory < 0.02, "M/M/3: Wq %.5f vs %.5f", wq, theory);
    /* all the work was done, and the servers were busy rho = 0.8 of the time
     * on average (the dispatcher prefers low ids, so not evenly) */
    double busy = 0;
    uint64_t tasks = 0;
    for (int i = 0; i < 3; i++) {
        busy += (double)r.nodes[i].busy_ns;
        tasks += r.nodes[i].n_tasks;
    }
    ck_assert_uint_eq(tasks, 4000000u);
    ck_assert_double_eq_tol(busy / (3.0 * (double)r.end_ns), 0.8, 0.01);
    sim_results_fini(&r);
    scn_scenario_fini(&s);
}
END_TEST

/* Two nodes, one block each, constant 0.5 s service, 1 MB per hop over
 * 80 Mbit/s links, client with node 0 in region a (RTT 2 ms), node 1 in
 * region b (RTT 100 ms from a). By hand, one pass:
 *   client->n0 0.001 + 0.1, compute 0.5, n0->n1 0.05 + 0.1, compute 0.5,
 *   n1->client 0.05 + 0.1  = 1.401 s;  2 output tokens = 2 passes = 2.802 s. */
START_TEST(test_two_hop_request_timing_matches_hand_computation)
{
    scn_scenario s;
    load_fmt(&s, "%s", "{\"version\": 1, \"seed\": 3, \"horizon_s\": 100,\n"
          " \"model\": {\"synthetic\": {\"n_blocks\": 2, \"service_time_s\": 0.5,"
          " \"activation_bytes\": 1000000}},\n"
          " \"network\": {\"regions\": [\"a\", \"b\"], \"rtt_ms\": [[2, 100], [100, 2]]},\n"
          " \"nodes\": [\n"
          "  {\"name\": \"n0\", \"region\": \"a\", \"device\": {\"peak_tflops\": 1, \"mem_bw_gbps\": 1,"
          " \"memory_gb\": 1}, \"uplink_mbps\": 80, \"downlink_mbps\": 80},\n"
          "  {\"name\": \"n1\", \"region\": \"b\", \"device\": {\"peak_tflops\": 1, \"mem_bw_gbps\": 1,"
          " \"memory_gb\": 1}, \"uplink_mbps\": 80, \"downlink_mbps\": 80}],\n"
          " \"placement\": {\"policy\": \"uniform\", \"spans\": 2},\n"
          " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1}}, \"n_requests\": 1,\n"
          "   \"prompt_tokens\": 1, \"output_tokens\": 2, \"client_region\": \"a\"}}\n");
    sim_results r;
    run(&s, &r);
    ck_assert_int_eq(r.n_requests, 1);
    const sim_request_rec *q = &r.requests[0];
    ck_assert_int_eq(q->status, SIM_REQUEST_OK);
    ck_assert_int_eq(q->first_token_ns - q->arrival_ns, 1401000000LL);
    ck_assert_int_eq(q->finish_ns - q->arrival_ns, 2802000000LL);
    ck_assert_int_eq(r.nodes[0].busy_ns, 1000000000LL);
    ck_assert_uint_eq(r.nodes[0].bytes_in, 2000000);
    ck_assert_uint_eq(r.nodes[1].bytes_out, 2000000);
    ck_assert_int_eq(q->route_len, 2);
    ck_assert_int_eq(r.route[q->route_off].node, 0);
    ck_assert_int_eq(r.route[q->route_off + 1].node, 1);
    ck_assert(r.route[q->route_off].bound && r.route[q->route_off + 1].bound);
    sim_results_fini(&r);
    scn_scenario_fini(&s);
}
END_TEST

/* Recovery through the routing policy, by hand. One block served by n0, n1
 * and n2 (region a, RTT 0, no activation bytes: transfers take no time),
 * constant 1 s service, one closed-loop user (its request arrives at 0)
 * with 1 prompt and 3 output tokens: 3 passes. "round-robin" sends it to
 * n0 (counter 0). n1 and n2 go down at 0.5 s; n0 at 1.5 s, during pass 2
 * ([1, 2) s), and comes back at 5 s. The policy hears the failure (n0
 * banned until 16.5 s) and reroutes block [0, 1); no node is live, so the
 * simulator retries after 0, 1, 2, 4 s: at 1.5, 1.5, 2.5, 4.5 (all
 * SS_ENOTFOUND) and 8.5 s, when n0 is the only live node: banned, but
 * the only one left, so chosen (retries = 5). Pass 2 runs [8.5, 9.5),
 * pass 3 [9.5, 10.5): finish 10.5 s; first token at 1 s; n0 busy
 * 1 + 0.5 (lost) + 1 + 1 = 3.5 s.
 * Variant: n1 back at 3 s. The retry at 4.5 s finds n1 (retries 4): passes
 * [4.5, 5.5) and [5.5, 6.5) on n1, finish 6.5 s. The routers see the truth
 * here ("view": "truth"): the recovery mechanics alone; stale records are
 * test_a_dead_node_is_routed_to_until_its_record_expires. */
static void recovery_run(const char *faults, sim_results *r)
{
    scn_scenario s;
    load_fmt(&s, "{\"version\": 1, \"seed\": 3, \"horizon_s\": 100,\n"
               " \"model\": {\"synthetic\": {\"n_blocks\": 1, \"service_time_s\": 1,"
               " \"activation_bytes\": 0}},\n"
               " \"network\": {\"regions\": [\"a\"], \"rtt_ms\": [[0]]},\n"
               " \"nodes\": [{\"name\": \"n\", \"count\": 3, \"region\": \"a\", \"device\":"
               " {\"peak_tflops\": 1, \"mem_bw_gbps\": 1, \"memory_gb\": 1}}],\n"
               " \"placement\": {\"policy\": \"uniform\", \"spans\": 1},\n"
               " \"routing\": {\"policy\": \"round-robin\", \"view\": \"truth\"},\n"
               " \"faults\": %s,\n"
               " \"workload\": {\"arrivals\": {\"closed\": {\"users\": 1, \"think_time_s\": 0}},"
               " \"n_requests\": 1, \"prompt_tokens\": 1, \"output_tokens\": 3,"
               " \"client_region\": \"a\"}}\n",
            faults);
    run(&s, r);
    scn_scenario_fini(&s);
}

START_TEST(test_recovery_goes_through_the_policy_with_backoff_by_hand)
{
    const int64_t S = 1000000000LL;
    sim_results r;
    recovery_run("[{\"node\": \"n-1\", \"down_at_s\": 0.5}, {\"node\": \"n-2\", \"down_at_s\": 0.5},"
                 " {\"node\": \"n-0\", \"down_at_s\": 1.5, \"up_at_s\": 5}]", &r);
    ck_assert_int_eq(r.n_requests, 1);
    const sim_request_rec *q = &r.requests[0];
    ck_assert_int_eq(q->status, SIM_REQUEST_OK);
    ck_assert_int_eq(q->arrival_ns, 0);
    ck_assert_int_eq(q->first_token_ns, 1 * S);
    ck_assert_int_eq(q->finish_ns, 10 * S + S / 2);
    ck_assert_int_eq(q->retries, 5);
    ck_assert_int_eq(r.route[q->route_off].node, 0);
    ck_assert_int_eq(r.nodes[0].busy_ns, 3 * S + S / 2);
    ck_assert_int_eq(r.nodes[0].failures, 1);
    sim_results_fini(&r);

    recovery_run("[{\"node\": \"n-1\", \"down_at_s\": 0.5, \"up_at_s\": 3},"
                 " {\"node\": \"n-2\", \"down_at_s\": 0.5},"
                 " {\"node\": \"n-0\", \"down_at_s\": 1.5, \"up_at_s\": 5}]", &r);
    q = &r.requests[0];
    ck_assert_int_eq(q->status, SIM_REQUEST_OK);
    ck_assert_int_eq(q->finish_ns, 6 * S + S / 2);
    ck_assert_int_eq(q->retries, 4);
    ck_assert_int_eq(r.route[q->route_off].node, 1);
    ck_assert_int_eq(r.nodes[1].busy_ns, 2 * S);
    sim_results_fini(&r);

    /* Nobody comes back: attempts at 1.5 + 0, 0, 1, 3, 7, 15, 31, 63, 123
     * and 183 s (backoff 0, 1, 2, 4, ... capped at 60 s); the 10th fails the
     * request, at 184.5 s, and the run ends there. */
    recovery_run("[{\"node\": \"n-1\", \"down_at_s\": 0.5}, {\"node\": \"n-2\", \"down_at_s\": 0.5},"
                 " {\"node\": \"n-0\", \"down_at_s\": 1.5}]", &r);
    q = &r.requests[0];
    ck_assert_int_eq(q->status, SIM_REQUEST_FAILED);
    ck_assert_int_eq(q->retries, 10);
    ck_assert_int_eq(r.end_ns, 184 * S + S / 2);
    sim_results_fini(&r);
}
END_TEST

/* Stale view, by hand. One block on n-0 and n-1 (region a, RTT 0, no
 * activation bytes: transfers take no time), constant 1 s service,
 * "round-robin" (a counter c per start block; candidates are the nodes
 * with a record, banned ones left out while others remain), one
 * closed-loop user with 1 prompt and 1 output token, think time 0: request
 * k arrives when k - 1 finishes. n-0 dies at 1.5 s, for good.
 * Announcements: period 60, delay 30, expiry 120 (the defaults). n-0's
 * phase, seed 2: U[0, 60) from (SS_RNG_NODE, 0, SS_RNG_ANNOUNCE) =
 * 37.255736 s. At time 0 its record announced at 37.26 - 60 = -22.74 s is
 * still in flight (delivered at 7.26 s), so routers hold the one of -82.74
 * s; at 7.26 s the newer one replaces it and expires at -22.74 + 120 =
 * 97.255736 s. At 37.26 s n-0 is down and announces nothing. So n-0 is
 * routable until 97.26 s. Requests (arrival k s while nothing delays them):
 *  r0 c0 -> n-0 [0, 1); r1 c1 -> n-1 [1, 2);
 *  r2 at 2 s: c2 -> n-0, dead on contact (1): banned 15 s (until 17, k=1),
 *    reroute c3 -> n-1, [2, 3);  r3 .. r16: c4 .. c17, only n-1 unbanned;
 *  r17 at 17 s (ban over: banned while now < 17): c18 -> n-0, dead (2):
 *    banned 30 s (until 47, k=2), reroute c19 -> n-1, [17, 18);
 *    r18 .. r46: c20 .. c48 -> n-1;  r47 at 47 s: c49 -> n-1 (odd);
 *  r48 at 48 s: c50 -> n-0, dead (3): banned 60 s (until 108), reroute c51
 *    -> n-1, [48, 49);  from 97.26 s n-0 has no record, so r108 .. r119
 *    (ban over) go to n-1 too.
 * Three requests (r2, r17, r48) each sent once to the dead node; each
 * recovers at once (1 retry, recovery time 0, nothing to replay: the hop
 * failed before its first pass) and finishes 1 s after it arrived, as
 * every request does: request k finishes at k + 1 s. With "view": "truth"
 * the dead node is never chosen after 1.5 s. */
static void stale_run(const char *view, const char *faults, int n_requests, sim_results *r)
{
    scn_scenario s;
    load_fmt(&s, "{\"version\": 1, \"seed\": 2, \"horizon_s\": 1000,\n"
               " \"model\": {\"synthetic\": {\"n_blocks\": 1, \"service_time_s\": 1,"
               " \"activation_bytes\": 0}},\n"
               " \"network\": {\"regions\": [\"a\"], \"rtt_ms\": [[0]]},\n"
               " \"nodes\": [{\"name\": \"n\", \"count\": 2, \"region\": \"a\", \"device\":"
               " {\"peak_tflops\": 1, \"mem_bw_gbps\": 1, \"memory_gb\": 1}}],\n"
               " \"placement\": {\"policy\": \"uniform\", \"spans\": 1},\n"
               " \"routing\": {\"policy\": \"round-robin\", \"view\": \"%s\"},\n"
               " \"faults\": %s,\n"
               " \"workload\": {\"arrivals\": {\"closed\": {\"users\": 1, \"think_time_s\": 0}},"
               " \"n_requests\": %d, \"prompt_tokens\": 1, \"output_tokens\": 1,"
               " \"client_region\": \"a\"}}\n",
            view, faults, n_requests);
    run(&s, r);
    scn_scenario_fini(&s);
}

START_TEST(test_a_dead_node_is_routed_to_until_its_record_expires)
{
    const int64_t S = 1000000000LL;
    sim_results r;
    stale_run("announced", "[{\"node\": \"n-0\", \"down_at_s\": 1.5}]", 120, &r);
    ck_assert_int_eq(r.n_requests, 120);
    int dead_total = 0;
    for (int k = 0; k < r.n_requests; k++) {
        const sim_request_rec *q = &r.requests[k];
        int hit = k == 2 || k == 17 || k == 48;
        ck_assert_int_eq(q->status, SIM_REQUEST_OK);
        ck_assert_int_eq(q->arrival_ns, k * S);
        ck_assert_int_eq(q->finish_ns, (k + 1) * S);
        ck_assert_int_eq(q->dead_sends, hit);
        ck_assert_int_eq(q->retries, hit);
        ck_assert_int_eq(q->recovery_ns, 0);
        ck_assert_int_eq(q->tokens_recomputed, 0);
        ck_assert_int_eq(q->hops, 1);
        /* the hop as it ended: a rerouted hop names its new node */
        ck_assert_int_eq(r.route[q->route_off].node, (k == 0 ? 0 : 1));
        dead_total += q->dead_sends;
    }
    ck_assert_int_eq(dead_total, 3);
    ck_assert_int_eq(r.nodes[0].failures, 1);
    sim_results_fini(&r);

    stale_run("truth", "[{\"node\": \"n-0\", \"down_at_s\": 1.5}]", 120, &r);
    for (int k = 0; k < r.n_requests; k++) {
        ck_assert_int_eq(r.requests[k].dead_sends, 0);
        ck_assert_int_eq(r.requests[k].retries, 0);
        ck_assert_int_eq(r.route[r.requests[k].route_off].node, (k == 0 ? 0 : 1));
    }
    sim_results_fini(&r);
}
END_TEST

/* A node that comes back is invisible until its next record is delivered.
 * As above, but n-0 is back at 100 s (its record expired at 97.26 s; at its
 * turn 97.26 s it was down): it announces at 157.26 s, delivered at 187.26
 * s. Requests r100 .. r187 (arrivals 100 .. 187 s) never go to it although
 * it is alive; from r188 round-robin alternates again, so exactly one of
 * r188 and r189 goes to n-0, and nothing more is sent to a dead node than
 * the three of the first test. */
START_TEST(test_a_node_that_comes_back_is_invisible_until_it_announces)
{
    sim_results r;
    stale_run("announced", "[{\"node\": \"n-0\", \"down_at_s\": 1.5, \"up_at_s\": 100}]", 200,
              &r);
    ck_assert_int_eq(r.n_requests, 200);
    int dead_total = 0;
    for (int k = 0; k < r.n_requests; k++) {
        ck_assert_int_eq(r.requests[k].status, SIM_REQUEST_OK);
        dead_total += r.requests[k].dead_sends;
        if (k >= 100 && k <= 187)
            ck_assert_int_eq(r.route[r.requests[k].route_off].node, 1);
    }
    ck_assert_int_eq(dead_total, 3);
    ck_assert_int_eq(r.route[r.requests[188].route_off].node +
                         r.route[r.requests[189].route_off].node, 1);
    sim_results_fini(&r);
}
END_TEST

START_TEST(test_adding_a_node_leaves_workload_draws_unchanged)
{
    scn_scenario a, b;
    sim_results ra, rb;
    load("scenarios/default.json", NULL, 0, &a);
    scn_override ov[] = {{"nodes[0].count", "3"}};
    load("scenarios/default.json", ov, 1, &b);
    ck_assert_int_eq(b.n_nodes, a.n_nodes + 1);
    run(&a, &ra);
    run(&b, &rb);
    ck_assert_int_eq(ra.n_requests, rb.n_requests);
    for (int i = 0; i < ra.n_requests; i++) {
        ck_assert_int_eq(ra.requests[i].arrival_ns, rb.requests[i].arrival_ns);
        ck_assert_int_eq(ra.requests[i].prompt_tokens, rb.requests[i].prompt_tokens);
        ck_assert_int_eq(ra.requests[i].output_tokens, rb.requests[i].output_tokens);
    }
    sim_results_fini(&ra);
    sim_results_fini(&rb);
    scn_scenario_fini(&a);
    scn_scenario_fini(&b);
}
END_TEST

START_TEST(test_same_seed_same_results_other_seed_other_results)
{
    scn_scenario s;
    sim_results r1, r2, r3;
    load("scenarios/default.json", NULL, 0, &s);
    run(&s, &r1);
    run(&s, &r2);
    s.seed++;
    run(&s, &r3);
    ck_assert_int_eq(r1.n_requests, r2.n_requests);
    ck_assert_int_eq(memcmp(r1.requests, r2.requests, (size_t)r1.n_requests * sizeof *r1.requests),
                     0);
    ck_assert_int_eq(memcmp(r1.nodes, r2.nodes, (size_t)r1.n_nodes * sizeof *r1.nodes), 0);
    ck_assert_uint_eq(r1.n_events, r2.n_events);
    int differ = r1.n_requests != r3.n_requests;
    for (int i = 0; !differ && i < r1.n_requests; i++)
        differ = r1.requests[i].finish_ns != r3.requests[i].finish_ns;
    ck_assert(differ);
    sim_results_fini(&r1);
    sim_results_fini(&r2);
    sim_results_fini(&r3);
    scn_scenario_fini(&s);
}
END_TEST

/* Llama-2-7B (h 4096, ff 11008, 32 heads = 32 KV heads), by hand:
 * 2*4096^2 + 2*4096*4096 + 3*4096*11008 + 2*4096 = 202,383,360 parameters
 * per block; 32 blocks. */
START_TEST(test_llama2_7b_preset_block_sizes_match_hand_count)
{
    model_arch a;
    model_desc d;
    char err[512];
    ck_assert_msg(model_arch_load(SS_SRC("models/presets"), "llama-2-7b", &a, err, sizeof err) ==
                      SS_OK, "%s", err);
    ck_assert_int_eq(model_desc_from_arch(&a, "fp16", &d, err, sizeof err), SS_OK);
    ck_assert_int_eq(d.n_blocks, 32);
    ck_assert_uint_eq(d.blocks[0].n_params, 202383360u);
    ck_assert_double_eq(d.blocks[0].flops_per_item, 2.0 * (202383360.0 - 8192.0));
    ck_assert_uint_eq(d.blocks[0].kv_elems_per_item, 2 * 4096);
    /* decode of 1 token at context 0 on a device with 1e12 B/s effective
     * bandwidth is memory-bound: weights 2 bytes each dominate */
    model_device dev = {.peak_flops = 1e15, .mem_bw_bytes_per_s = 1e12, .compute_eff = 1,
                        .bw_eff = 1, .overhead_s = 0};
    model_cost_terms t = model_cost_span(&dev, &d, 0, 1, 1, 0);
    double bytes = 202383360.0 * 2 + 8192.0 * 2 * 1 + 4.0 * 1 * (4096 + 4096);
    ck_assert_double_eq_tol(t.bytes, bytes, 1e-3);
    ck_assert_double_eq_tol(t.total_s, bytes / 1e12, 1e-15);
    model_desc_fini(&d);
    ck_assert_int_eq(model_arch_load(SS_SRC("models/presets"), "no-such-model", &a, err,
                                     sizeof err), SS_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "no-such-model"));
}
END_TEST

/* One Llama-2-7B node whose memory holds the weights plus the KV cache of
 * exactly 128 positions: 32 blocks x 2 x 4096 elements x 2 bytes = 524,288
 * bytes per position (hand count), so 67,108,864 bytes. Weights: 32 x
 * 202,383,360 params x 2 bytes = 12,952,535,040 bytes. */
static void kv_run(int output_tokens, int n_requests, sim_results *r)
{
    scn_scenario s;
    load_fmt(&s, "{\"version\": 1, \"seed\": 9, \"horizon_s\": 1000,\n"
               " \"model\": {\"preset\": \"llama-2-7b\", \"weights\": \"fp16\"},\n"
               " \"nodes\": [{\"name\": \"a100\", \"device\": {\"peak_tflops\": 312,"
               " \"mem_bw_gbps\": 2039, \"memory_gb\": 80}}],\n"
               " \"placement\": {\"policy\": \"uniform\", \"spans\": 1},\n"
               " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1000}},"
               " \"n_requests\": %d, \"prompt_tokens\": 100, \"output_tokens\": %d}}\n",
            n_requests, output_tokens);
    s.nodes[0].memory_bytes = 12952535040.0 + 67108864.0;
    run(&s, r);
    scn_scenario_fini(&s);
}

START_TEST(test_kv_admission_at_the_exact_boundary)
{
    sim_results r;
    /* 100 + 28 = 128 positions: fits exactly; the second session waits for
     * the first to finish and free its cache */
    kv_run(28, 2, &r);
    ck_assert_int_eq(r.n_requests, 2);
    ck_assert_int_eq(r.requests[0].status, SIM_REQUEST_OK);
    ck_assert_int_eq(r.requests[1].status, SIM_REQUEST_OK);
    ck_assert_int_ge(r.requests[1].first_token_ns, r.requests[0].finish_ns);
    ck_assert_uint_eq(r.nodes[0].kv_peak_bytes, 67108864u);
    sim_results_fini(&r);
    /* one position more: never fits, fails after waiting 600 s at the node,
     * which it reaches after the prompt's transfer: fp16 wire, 16 + 2 x 100 x
     * 4096 = 819,216 bytes at the default 1000 Mbit/s = 6,553,728 ns */
    kv_run(29, 1, &r);
    ck_assert_int_eq(r.requests[0].status, SIM_REQUEST_FAILED);
    ck_assert_int_eq(r.requests[0].tokens_done, 0);
    ck_assert_int_eq(r.end_ns - r.requests[0].arrival_ns, 600LL * 1000000000LL + 6553728LL);
    ck_assert_uint_eq(r.nodes[0].kv_peak_bytes, 0);
    sim_results_fini(&r);
}
END_TEST

/* The KV waiting queue admits its head only when it fits: the node of
 * kv_run (room for exactly 128 positions), three sessions arriving together
 * (a trace: ties keep file order), needing prompt + output positions:
 * A 50 + 10 = 60 and B 40 + 20 = 60 are admitted (120 used); C 59 + 10 = 69
 * waits. When A (fewer decode steps) finishes, the room is 128 - 60 = 68:
 * one position short for C, which must wait on until B finishes too. */
START_TEST(test_kv_queue_head_one_position_short_waits_for_the_next_release)
{
    char dir[] = "/tmp/shardsim-kvqXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512], tpath[512], err[1024];
    snprintf(tpath, sizeof tpath, "%s/t.csv", dir);
    FILE *f = fopen(tpath, "w");
    ck_assert_ptr_nonnull(f);
    fputs("TIMESTAMP,ContextTokens,GeneratedTokens\n"
          "2023-11-16 18:15:46.0000000,50,10\n"
          "2023-11-16 18:15:46.0000000,40,20\n"
          "2023-11-16 18:15:46.0000000,59,10\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/s.json", dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"version\": 1, \"seed\": 9, \"horizon_s\": 1000,\n"
          " \"model\": {\"preset\": \"llama-2-7b\", \"weights\": \"fp16\"},\n"
          " \"nodes\": [{\"name\": \"a100\", \"device\": {\"peak_tflops\": 312,"
          " \"mem_bw_gbps\": 2039, \"memory_gb\": 80}}],\n"
          " \"placement\": {\"policy\": \"uniform\", \"spans\": 1},\n"
          " \"workload\": {\"arrivals\": {\"trace\": {\"file\": \"t.csv\"}}}}\n", f);
    fclose(f);
    scn_scenario s;
    ck_assert_msg(scn_load(path, NULL, 0, &s, err, sizeof err) == SS_OK, "%s", err);
    s.nodes[0].memory_bytes = 12952535040.0 + 67108864.0;
    sim_results r;
    run(&s, &r);
    scn_scenario_fini(&s);
    remove(tpath);
    remove(path);
    rmdir(dir);
    ck_assert_int_eq(r.n_requests, 3);
    const sim_request_rec *a = &r.requests[0], *b = &r.requests[1], *c = &r.requests[2];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(r.requests[i].status, SIM_REQUEST_OK);
    ck_assert_int_lt(a->finish_ns, b->finish_ns);
    /* C's cache is reserved only after B's is freed: its first token after B's end */
    ck_assert_int_ge(c->first_token_ns, b->finish_ns);
    ck_assert_uint_eq(r.nodes[0].kv_peak_bytes, 120u * 524288u);
    sim_results_fini(&r);
}
END_TEST

/* Llama-2-7B's context is 4096 positions (seq_len): a session holds at
 * most 4095 prompt positions and prompt + output <= 4096. A request asking
 * for more is served clamped and recorded as truncated, never a silent ok:
 * 4000 + 96 fits exactly; 4000 + 97 is served as 4000 + 96; 5000 + 10 as
 * 4095 + 1. */
static void trunc_run(int prompt, int output, sim_results *r)
{
    scn_scenario s;
    load_fmt(&s, "{\"version\": 1, \"seed\": 9, \"horizon_s\": 100000,\n"
               " \"model\": {\"preset\": \"llama-2-7b\", \"weights\": \"fp16\"},\n"
               " \"nodes\": [{\"name\": \"a100\", \"device\": {\"peak_tflops\": 312,"
               " \"mem_bw_gbps\": 2039, \"memory_gb\": 80}}],\n"
               " \"placement\": {\"policy\": \"uniform\", \"spans\": 1},\n"
               " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1}},"
               " \"n_requests\": 1, \"prompt_tokens\": %d, \"output_tokens\": %d}}\n",
            prompt, output);
    run(&s, r);
    scn_scenario_fini(&s);
}

START_TEST(test_a_request_longer_than_the_context_is_recorded_truncated)
{
    static const int cases[3][5] = {/* asked prompt, output; served prompt, output; truncated */
                                    {4000, 96, 4000, 96, 0},
                                    {4000, 97, 4000, 96, 1},
                                    {5000, 10, 4095, 1, 1}};
    for (int i = 0; i < 3; i++) {
        sim_results r;
        trunc_run(cases[i][0], cases[i][1], &r);
        ck_assert_int_eq(r.requests[0].status, SIM_REQUEST_OK);
        ck_assert_int_eq(r.requests[0].prompt_tokens, cases[i][2]);
        ck_assert_int_eq(r.requests[0].output_tokens, cases[i][3]);
        ck_assert_int_eq(r.requests[0].truncated, cases[i][4]);
        sim_results_fini(&r);
    }
}
END_TEST

Suite *sim_suite(void)
{
    Suite *s = suite_create("sim");
    TCase *q = tcase_create("queueing");
    tcase_set_timeout(q, 300);
    tcase_add_test(q, test_mm1_mean_time_in_system_matches_theory_at_rho_0_5);
    tcase_add_test(q, test_mm1_mean_time_in_system_matches_theory_at_rho_0_8);
    tcase_add_test(q, test_md1_mean_wait_matches_pollaczek_khinchine);
    tcase_add_test(q, test_mmc_with_a_central_queue_matches_erlang_c);
    suite_add_tcase(s, q);
    TCase *w = tcase_create("world");
    tcase_set_timeout(w, 60);
    tcase_add_test(w, test_two_hop_request_timing_matches_hand_computation);
    tcase_add_test(w, test_recovery_goes_through_the_policy_with_backoff_by_hand);
    tcase_add_test(w, test_a_dead_node_is_routed_to_until_its_record_expires);
    tcase_add_test(w, test_a_node_that_comes_back_is_invisible_until_it_announces);
    tcase_add_test(w, test_adding_a_node_leaves_workload_draws_unchanged);
    tcase_add_test(w, test_same_seed_same_results_other_seed_other_results);
    tcase_add_test(w, test_llama2_7b_preset_block_sizes_match_hand_count);
    tcase_add_test(w, test_kv_admission_at_the_exact_boundary);
    tcase_add_test(w, test_a_request_longer_than_the_context_is_recorded_truncated);
    tcase_add_test(w, test_kv_queue_head_one_position_short_waits_for_the_next_release);
    suite_add_tcase(s, w);
    return s;
}
