/* check_tune.c - the BRKGA pieces of exp_tune on hand examples: the decoder
 * (random key -> setting in its range) and its inverse, the biased
 * crossover (a key from the elite parent when its draw is below rho), the
 * population plan of Goncalves & Resende's defaults, and the refusal of an
 * objective that is not a metric before anything runs. */
#include <check.h>
#include <string.h>

#include "exp_tune.h"
#include "test_util.h"

START_TEST(test_keys_decode_linearly_into_each_settings_range_and_encode_back)
{
    const exp_tune_param p[3] = {{"compute", 0, 1000}, {"x", -2, 2}, {"alpha", 1e-6, 1}};
    const double keys[3] = {0.25, 0.5, 0};
    double v[3], k[3];
    exp_tune_decode(p, 3, keys, v);
    /* 0 + 0.25 * 1000; -2 + 0.5 * 4; the lower end */
    ck_assert_double_eq(v[0], 250);
    ck_assert_double_eq(v[1], 0);
    ck_assert_double_eq(v[2], 1e-6);
    const double vals[3] = {1, 1, 2}; /* nesa's default weight; 1 in [-2, 2]; above the range */
    exp_tune_encode(p, 3, vals, k);
    ck_assert_double_eq_tol(k[0], 0.001, 1e-15); /* (1 - 0) / 1000 */
    ck_assert_double_eq(k[1], 0.75);             /* (1 + 2) / 4 */
    ck_assert_double_eq(k[2], 1);                /* clamped */
    exp_tune_decode(p, 3, k, v);
    ck_assert_double_eq_tol(v[0], 1, 1e-12);
    ck_assert_double_eq(v[1], 1);
    ck_assert_double_eq(v[2], 1);                /* the range's top, not 2 */
}
END_TEST

START_TEST(test_biased_crossover_takes_the_elite_key_when_the_draw_is_below_rho)
{
    const double elite[4] = {0.1, 0.2, 0.3, 0.4}, other[4] = {0.9, 0.8, 0.7, 0.6};
    const double u[4] = {0.0, 0.7, 0.6999, 0.95};
    double child[4];
    exp_tune_crossover(elite, other, 4, 0.7, u, child);
    /* 0.0 < 0.7: elite; 0.7 is not < 0.7: other; 0.6999: elite; 0.95: other */
    ck_assert_double_eq(child[0], 0.1);
    ck_assert_double_eq(child[1], 0.8);
    ck_assert_double_eq(child[2], 0.3);
    ck_assert_double_eq(child[3], 0.6);
}
END_TEST

START_TEST(test_the_population_plan_follows_the_papers_fractions)
{
    int e, m;
    exp_tune_plan(100, EXP_TUNE_ELITE, EXP_TUNE_MUTANTS, &e, &m); /* the paper's 100 */
    ck_assert_int_eq(e, 20);
    ck_assert_int_eq(m, 15);
    exp_tune_plan(6, EXP_TUNE_ELITE, EXP_TUNE_MUTANTS, &e, &m); /* round(1.2), round(0.9) */
    ck_assert_int_eq(e, 1);
    ck_assert_int_eq(m, 1);
    exp_tune_plan(2, EXP_TUNE_ELITE, EXP_TUNE_MUTANTS, &e, &m); /* one elite, one child */
    ck_assert_int_eq(e, 1);
    ck_assert_int_eq(m, 0);
    exp_tune_plan(10, 0.5, 0.5, &e, &m); /* a child is always left */
    ck_assert_int_eq(e, 5);
    ck_assert_int_eq(m, 4);
}
END_TEST

START_TEST(test_an_objective_that_is_not_a_metric_is_refused_naming_file_and_option)
{
    exp_tune_opts o = {.objective = "e2e_latency", .generations = 1, .pop = 2, .n_seeds = 1,
                       .n_holdout = 1};
    exp_tune_result r;
    char err[512];
    ss_status st = exp_tune_run("scn.json", NULL, 0, &o, NULL, &r, err, sizeof err);
    ck_assert_int_eq(st, SS_ESCHEMA);
    ck_assert_msg(strstr(err, "scn.json: --objective: expected a metric name") &&
                  strstr(err, "got \"e2e_latency\"") && !strchr(err, '\n'), "%s", err);
}
END_TEST

Suite *tune_suite(void)
{
    Suite *s = suite_create("tune");
    TCase *tc = tcase_create("brkga");
    tcase_add_test(tc, test_keys_decode_linearly_into_each_settings_range_and_encode_back);
    tcase_add_test(tc, test_biased_crossover_takes_the_elite_key_when_the_draw_is_below_rho);
    tcase_add_test(tc, test_the_population_plan_follows_the_papers_fractions);
    tcase_add_test(tc, test_an_objective_that_is_not_a_metric_is_refused_naming_file_and_option);
    suite_add_tcase(s, tc);
    return s;
}
