/* check_golden.c - results pinned across refactors.
 *
 * The digest (ana_run_digest: every result table of a run, wall-clock columns
 * aside) of three shipped scenarios, each with every request recorded, was
 * computed before the tree was reorganised (issue 10: base/, datasets/,
 * realmode/, experiment/) and pinned here. A change that moves code without
 * meaning to change behaviour must keep all three; a change that means to
 * change results updates them in the same commit and says why.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static void golden_digest(const char *scenario, char hex[65])
{
    char dir[] = "/tmp/shardsim-goldenXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char db_path[512];
    snprintf(db_path, sizeof db_path, "%s/g.db", dir);
    test_store_digest(scenario, db_path, NULL, "golden", 0, hex);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

#define GOLDEN_TEST(fn, file, pinned)                                        \
    START_TEST(fn)                                                           \
    {                                                                        \
        char hex[65];                                                        \
        golden_digest(SS_SRC(file), hex);                                    \
        ck_assert_str_eq(hex, pinned);                                       \
    }                                                                        \
    END_TEST

GOLDEN_TEST(test_default_scenario_results_are_unchanged, "scenarios/default.json",
            "8e5f059cf47fe4b62533cf86bc0f0d09a5308c4e8f725191bc5fcddd907a558e")
GOLDEN_TEST(test_volunteer_swarm_results_are_unchanged, "scenarios/volunteer-swarm.json",
            "7baf9f6fc69d723da659e222036b35b28959da9646fbbba56eec7180c4edc10f")
GOLDEN_TEST(test_stories260k_results_are_unchanged, "scenarios/stories260k.json",
            "045d261a016ad864d76a2106fc367fe5129ef4fc4b2f976e51045463117afecc")

Suite *golden_suite(void)
{
    Suite *s = suite_create("golden");
    TCase *tc = tcase_create("digests");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_default_scenario_results_are_unchanged);
    tcase_add_test(tc, test_volunteer_swarm_results_are_unchanged);
    tcase_add_test(tc, test_stories260k_results_are_unchanged);
    suite_add_tcase(s, tc);
    return s;
}
