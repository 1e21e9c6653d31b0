/* check_trust.c - adversaries and defences (issue 15): the scenario
 * schema's errors, which nodes are byzantine, and what consensus and spot
 * checks detect, against probabilities derived by hand below.
 *
 * The world: a synthetic 1-block model served by three replicas n-0..n-2
 * of one span, one closed-loop user, 1-token prompts: every pass is one
 * step (one span execution). With every node corrupting independently
 * with probability p per step and consensus over all k = 3 replicas:
 * - kind "noise": corrupted outputs never agree with anything, so the
 *   replicas disagree iff at least one corrupts: P = 1 - (1-p)^3;
 * - kind "sign": corrupted outputs agree with each other, so they disagree
 *   unless all three are honest or all three corrupt: P = 1 - (1-p)^3 - p^3,
 *   and a bad output wins the vote iff at least two corrupt:
 *   3 p^2 (1-p) + p^3.
 * Counts are checked against the 99 % binomial interval n P +- 2.5758
 * sqrt(n P (1-P)) (normal approximation; n is in the thousands).
 */
#include <check.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scn_scenario.h"
#include "sim_run.h"
#include "test_util.h"

#define Z99 2.5758293035489

static ss_status load_fmt(scn_scenario *s, char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ss_status st = test_scn_vload(s, err, errlen, fmt, ap);
    va_end(ap);
    return st;
}

/* The three-replica world with `extra` (",\"adversaries\": ..." etc.)
 * appended to the top-level object; `users` requests of `out` tokens. */
#define WORLD                                                                                  \
    "{\"version\": 1, \"seed\": %d, \"horizon_s\": 1e8,\n"                                     \
    " \"model\": {\"synthetic\": {\"n_blocks\": 1, \"service_time_s\": 0.01,"                  \
    " \"activation_bytes\": 0}},\n"                                                            \
    " \"network\": {\"regions\": [\"a\"], \"rtt_ms\": [[0]]},\n"                               \
    " \"nodes\": [{\"name\": \"n\", \"count\": 3, \"region\": \"a\", \"device\":"              \
    " {\"peak_tflops\": 1, \"mem_bw_gbps\": 1, \"memory_gb\": 1}}],\n"                         \
    " \"placement\": {\"policy\": \"uniform\", \"spans\": 1},\n"                               \
    " \"routing\": {\"policy\": \"round-robin\", \"view\": \"truth\"},\n"                     \
    " \"workload\": {\"arrivals\": {\"closed\": {\"users\": 1, \"think_time_s\": 0}},"         \
    " \"n_requests\": %d, \"prompt_tokens\": 1, \"output_tokens\": 10,"                        \
    " \"client_region\": \"a\"}%s}\n"

static void run_world(sim_results *r, int seed, int n_req, const char *extra)
{
    scn_scenario s;
    char err[1024];
    ck_assert_msg(load_fmt(&s, err, sizeof err, WORLD, seed, n_req, extra) == SS_OK, "%s", err);
    sim_run_opts o = {.assets_dir = SS_SHARED_DIR "/assets"};
    ss_status st = sim_run(&s, &o, r, err, sizeof err);
    ck_assert_msg(st == SS_OK, "%s", err);
    scn_scenario_fini(&s);
}

static void assert_binomial(const char *what, int64_t hits, int64_t n, double p)
{
    double mean = (double)n * p, half = Z99 * sqrt((double)n * p * (1 - p));
    ck_assert_msg(fabs((double)hits - mean) <= half,
                  "%s: %lld of %lld, expected %.1f +- %.1f (p = %.4f)", what, (long long)hits,
                  (long long)n, mean, half, p);
}

START_TEST(consensus_noise_binomial)
{
    sim_results r;
    run_world(&r, 11, 300, ",\"adversaries\": {\"fraction\": 1, \"p\": 0.2},"
                           "\"defences\": {\"consensus\": {\"k\": 3}}");
    const sim_trust_rec *t = &r.trust;
    ck_assert_int_eq(t->on, 1);
    ck_assert_int_eq(t->byzantine_nodes, 3);
    ck_assert_int_eq(t->hop_steps, 300 * 10); /* one step per token, prompt of 1 */
    ck_assert_int_eq(t->steps_verified, t->hop_steps);
    ck_assert_int_eq(t->extra_executions, 2 * t->hop_steps);
    double p = 0.2, expect = 1 - pow(1 - p, 3); /* 0.488 */
    assert_binomial("noise: detected", t->faults_detected, t->steps_verified, expect);
    assert_binomial("noise: primary faulty", t->faulty_steps, t->hop_steps, p);
    /* every execution, replicas included, costs its node the constant
     * service time 0.01 s: busy time and tasks add up to (steps + extra) */
    int64_t busy = 0, tasks = 0;
    for (int i = 0; i < r.n_nodes; i++) {
        busy += r.nodes[i].busy_ns;
        tasks += (int64_t)r.nodes[i].n_tasks;
    }
    ck_assert_int_eq(tasks, t->hop_steps + t->extra_executions);
    ck_assert_int_eq(busy, (t->hop_steps + t->extra_executions) * 10000000);
    /* Noisy outputs never form a majority: two honest replicas out-vote the
     * rest; otherwise there is no majority and, with no honest replica to
     * re-execute on, the primary's output stays: bad iff the primary and at
     * least one other corrupt: p (1 - (1-p)^2) = 0.072. */
    assert_binomial("noise: bad delivered", t->corrupted_tokens, t->hop_steps,
                    p * (1 - pow(1 - p, 2)));
    sim_results_fini(&r);
}
END_TEST

START_TEST(consensus_sign_collusion)
{
    sim_results r;
    run_world(&r, 12, 300, ",\"adversaries\": {\"fraction\": 1, \"p\": 0.2, \"kind\": \"sign\"},"
                           "\"defences\": {\"consensus\": {\"k\": 3}}");
    const sim_trust_rec *t = &r.trust;
    double p = 0.2;
    assert_binomial("sign: detected", t->faults_detected, t->steps_verified,
                    1 - pow(1 - p, 3) - pow(p, 3)); /* 0.48 */
    assert_binomial("sign: bad output delivered", t->corrupted_tokens, t->hop_steps,
                    3 * p * p * (1 - p) + pow(p, 3)); /* 0.104 */
    sim_results_fini(&r);
}
END_TEST

START_TEST(no_defence_delivers_every_fault)
{
    sim_results r;
    run_world(&r, 13, 300, ",\"adversaries\": {\"fraction\": 1, \"p\": 0.3}");
    const sim_trust_rec *t = &r.trust;
    ck_assert_int_eq(t->steps_verified, 0);
    ck_assert_int_eq(t->faults_detected, 0);
    ck_assert_int_eq(t->extra_executions, 0);
    ck_assert_int_eq(t->corrupted_tokens, t->faulty_steps);
    assert_binomial("no defence: faulty", t->faulty_steps, t->hop_steps, 0.3);
    sim_results_fini(&r);
}
END_TEST

START_TEST(spot_checks_catch_on_trusted_node)
{
    /* n-0 and n-1 corrupt every step; n-2 is honest and the trusted node.
     * Every faulty step is either caught by a spot check or delivered. */
    sim_results r;
    run_world(&r, 14, 300, ",\"adversaries\": {\"nodes\": [\"n-0\", \"n-1\"]},"
                           "\"defences\": {\"spot_check\": {\"q\": 0.25}}");
    const sim_trust_rec *t = &r.trust;
    ck_assert_int_eq(t->byzantine_nodes, 2);
    ck_assert_int_gt(t->faulty_steps, 0);
    ck_assert_int_eq(t->faults_detected + t->corrupted_tokens, t->faulty_steps);
    ck_assert_int_eq(t->extra_executions, t->steps_verified);
    assert_binomial("spot: checked", t->steps_verified, t->hop_steps, 0.25);
    assert_binomial("spot: caught", t->faults_detected, t->faulty_steps, 0.25);
    sim_results_fini(&r);
}
END_TEST

START_TEST(fraction_rounds_and_default_off)
{
    sim_results r;
    run_world(&r, 15, 5, ",\"adversaries\": {\"fraction\": 0.34}");
    ck_assert_int_eq(r.trust.byzantine_nodes, 1); /* round(0.34 x 3) */
    sim_results_fini(&r);
    run_world(&r, 15, 5, "");
    ck_assert_int_eq(r.trust.on, 0);
    ck_assert_int_eq(r.trust.hop_steps, 0);
    sim_results_fini(&r);
}
END_TEST

START_TEST(drop_times_out_and_recovers)
{
    /* n-1 never answers: each hop sent to it costs Petals' 180 s request
     * timeout, then the session recovers on another replica. */
    sim_results r;
    run_world(&r, 16, 6, ",\"adversaries\": {\"nodes\": [\"n-1\"], \"behaviour\": \"drop\"}");
    ck_assert_int_gt(r.trust.drops, 0);
    for (int i = 0; i < r.n_requests; i++)
        ck_assert_int_eq(r.requests[i].status, SIM_REQUEST_OK);
    ck_assert_int_ge(r.end_ns, r.trust.drops * 180 * (int64_t)1000000000);
    sim_results_fini(&r);
}
END_TEST

static void expect_error(const char *extra, const char *needle)
{
    scn_scenario s;
    char err[1024] = "";
    ss_status st = load_fmt(&s, err, sizeof err, WORLD, 1, 1, extra);
    if (st == SS_OK) {
        sim_run_opts o = {.assets_dir = SS_SHARED_DIR "/assets"};
        st = sim_check(&s, &o, err, sizeof err);
        scn_scenario_fini(&s);
    }
    ck_assert_msg(st == SS_ESCHEMA || st == SS_ERANGE, "%s: status %d (%s)", extra, st, err);
    ck_assert_msg(strstr(err, needle) != NULL, "%s: got \"%s\", wanted \"%s\"", extra, err, needle);
    ck_assert_ptr_null(strchr(err, '\n'));
}

START_TEST(bad_input)
{
    expect_error(",\"adversaries\": {\"fraction\": 1.5}", "adversaries.fraction");
    expect_error(",\"adversaries\": {\"fraction\": 0.1, \"behaviour\": \"lie\"}",
                 "adversaries.behaviour");
    expect_error(",\"adversaries\": {\"fraction\": 0.1, \"nodes\": [\"n-0\"]}", "adversaries");
    expect_error(",\"adversaries\": {\"nodes\": [\"n-7\"]}", "adversaries.nodes[0]");
    expect_error(",\"adversaries\": {\"nodes\": [\"n-0\", \"n-0\"]}", "adversaries.nodes[1]");
    expect_error(",\"adversaries\": {\"fraction\": 0.1, \"kind\": \"flip\"}", "adversaries.kind");
    expect_error(",\"adversaries\": {\"fraction\": 0.1, \"p\": -1}", "adversaries.p");
    expect_error(",\"defences\": {\"consensus\": {\"k\": 4}}", "defences.consensus.k");
    expect_error(",\"defences\": {\"consensus\": {\"k\": 1}}", "defences.consensus.k");
    expect_error(",\"defences\": {\"spot_check\": {\"q\": 2}}", "defences.spot_check.q");
    expect_error(",\"defences\": {\"tee\": true}", "defences");
    expect_error(",\"adversaries\": {\"fraction\": 0.1, \"behaviour\": \"overclaim\", "
                 "\"factor\": 1}", "adversaries.factor");
}
END_TEST

Suite *trust_suite(void)
{
    Suite *s = suite_create("trust");
    TCase *tc = tcase_create("trust");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, consensus_noise_binomial);
    tcase_add_test(tc, consensus_sign_collusion);
    tcase_add_test(tc, no_defence_delivers_every_fault);
    tcase_add_test(tc, spot_checks_catch_on_trusted_node);
    tcase_add_test(tc, fraction_rounds_and_default_off);
    tcase_add_test(tc, drop_times_out_and_recovers);
    tcase_add_test(tc, bad_input);
    suite_add_tcase(s, tc);
    return s;
}
