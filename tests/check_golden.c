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
            "14ec46fed7b606d976c0bbb202752650064a1955a1eab190f88057344f9cf397")
GOLDEN_TEST(test_volunteer_swarm_results_are_unchanged, "scenarios/volunteer-swarm.json",
            "33085cab4dfb7b75421c442074748aa6bcbf457794e221a2ccf6976eef553c19")
GOLDEN_TEST(test_stories260k_results_are_unchanged, "scenarios/stories260k.json",
            "3ffe64f3ac6f9306f96c3f03930ae2bce087e099d775b75867cf33c017a538b3")

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
