/* check_sweep.c - sweep files (scn_sweep) and the sweep executor (exp_sweep).
 *
 * Files: points come in the documented order (grid row-major, last axis
 * fastest, seeds innermost; zip by index), an inline base gives the same
 * scenarios as the same base in a file, and every bad file is one line
 * naming the file, the JSON path and what was expected.
 * Executor: one and two workers store identical content (sweep digest =
 * every point's row and its run's digest); a rerun stores nothing new; a bad
 * axis value fails its points only, with the error recorded; a name reused
 * with other axes is refused before anything is written.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ana_db.h"
#include "ana_sweep.h"
#include "exp_sweep.h"
#include "scn_sweep.h"
#include "ss_alloc.h"
#include "test_util.h"

static void setup(void) { test_tmp_make("sweep"); }
static void teardown(void) { test_tmp_remove(); }
#define tpath test_tmp_path

/* Write a sweep file whose "base" is the bundled default scenario. */
static const char *write_sweep(const char *name, const char *rest)
{
    const char *p = tpath(name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"version\": 1, \"name\": \"t\", \"base\": \"%s\", %s}",
            SS_SRC("scenarios/default.json"), rest);
    fclose(f);
    return p;
}

START_TEST(test_grid_points_are_row_major_with_seeds_innermost)
{
    scn_sweep sw;
    char err[1024];
    const char *p = write_sweep("g.json", "\"grid\": {\"workload.n_requests\": [5, 8, 13],"
                                          " \"routing.policy\": [\"fixed\", \"central-queue\"]},"
                                          " \"seeds\": [7, 3]");
    ck_assert_msg(scn_sweep_load(p, &sw, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_uint_eq(sw.n_combos, 6);
    ck_assert_uint_eq(sw.n_points, 12);
    /* point 9 = combo 4 (n_requests 13, fixed), seed index 1 (3) */
    size_t combo;
    uint64_t seed;
    scn_sweep_point(&sw, 9, &combo, &seed);
    ck_assert_uint_eq(combo, 4);
    ck_assert_uint_eq(seed, 3);
    ck_assert_str_eq(scn_sweep_value(&sw, 4, 0), "13");
    ck_assert_str_eq(scn_sweep_value(&sw, 4, 1), "\"fixed\"");
    ck_assert_str_eq(scn_sweep_value(&sw, 1, 0), "5");
    ck_assert_str_eq(scn_sweep_value(&sw, 1, 1), "\"central-queue\"");
    char *axes;
    ck_assert_int_eq(scn_sweep_axes_json(&sw, 4, &axes), SS_OK);
    ck_assert_str_eq(axes, "{\"workload.n_requests\":13,\"routing.policy\":\"fixed\"}");
    ss_free(axes);
    ck_assert_str_eq(sw.paths_json, "[\"workload.n_requests\",\"routing.policy\"]");
    scn_scenario s;
    ck_assert_msg(scn_sweep_load_point(&sw, 4, 3, &s, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_uint_eq(s.seed, 3);
    ck_assert_ptr_nonnull(strstr(s.canonical_json, "\"n_requests\":13"));
    scn_scenario_fini(&s);
    scn_sweep_fini(&sw);

    p = write_sweep("z.json", "\"zip\": {\"workload.n_requests\": [5, 8],"
                              " \"routing.policy\": [\"fixed\", \"central-queue\"]}, \"seeds\": 3");
    ck_assert_msg(scn_sweep_load(p, &sw, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_uint_eq(sw.n_combos, 2);
    ck_assert_uint_eq(sw.n_points, 6);
    scn_sweep_point(&sw, 5, &combo, &seed);
    ck_assert_uint_eq(combo, 1);
    ck_assert_uint_eq(seed, 3); /* "seeds": 3 means 1, 2, 3 */
    ck_assert_str_eq(scn_sweep_value(&sw, 1, 0), "8");
    ck_assert_str_eq(scn_sweep_value(&sw, 1, 1), "\"central-queue\"");
    scn_sweep_fini(&sw);
}
END_TEST

START_TEST(test_an_inline_base_gives_the_same_scenarios_as_the_file)
{
    char *text = NULL, err[1024];
    FILE *f = fopen(SS_SRC("scenarios/default.json"), "r");
    ck_assert_ptr_nonnull(f);
    text = calloc(1, 1 << 16);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    fclose(f);
    ck_assert_uint_gt(n, 0);
    const char *p = tpath("inline.json");
    f = fopen(p, "w");
    fprintf(f, "{\"version\": 1, \"name\": \"t\", \"base\": %s, \"grid\": {\"workload.n_requests\":"
               " [5]}, \"seeds\": [2]}", text);
    fclose(f);
    free(text);
    const char *q = write_sweep("file.json", "\"grid\": {\"workload.n_requests\": [5]}, \"seeds\": [2]");
    scn_sweep a, b;
    scn_scenario sa, sb;
    ck_assert_msg(scn_sweep_load(p, &a, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_msg(scn_sweep_load(q, &b, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(a.base_inline, 1);
    ck_assert_msg(scn_sweep_load_point(&a, 0, 2, &sa, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_msg(scn_sweep_load_point(&b, 0, 2, &sb, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_str_eq(sa.canonical_json, sb.canonical_json);
    ck_assert_str_eq(sa.name, "default");
    scn_scenario_fini(&sa);
    scn_scenario_fini(&sb);
    scn_sweep_fini(&a);
    scn_sweep_fini(&b);
}
END_TEST

START_TEST(test_bad_sweep_files_are_one_line_naming_file_path_and_expectation)
{
    static const struct {
        const char *rest;
        ss_status st;
        const char *want;
    } cases[] = {
        {"\"grid\": {\"workload.n_requestz\": [1]}, \"seeds\": 1", SS_ESCHEMA,
         "grid[\"workload.n_requestz\"]: axis path \"workload.n_requestz\" does not exist in the base"},
        {"\"grid\": {\"workload.n_requests\": []}, \"seeds\": 1", SS_ESCHEMA,
         "grid[\"workload.n_requests\"]: empty axis: expected 1 to 10000 values, got none"},
        {"\"zip\": {\"workload.n_requests\": [1, 2], \"routing.policy\": [\"fixed\"]}, \"seeds\": 1",
         SS_ESCHEMA, "zip[\"routing.policy\"]: zip axes must have equal lengths: expected 2 values"},
        {"\"grid\": {\"nodes[99].count\": [1]}, \"seeds\": 1", SS_ESCHEMA, "does not exist"},
        {"\"grid\": {\"a..b\": [1]}, \"seeds\": 1", SS_ESCHEMA, "expected an axis path like"},
        {"\"grid\": {\"seed\": 1}, \"seeds\": 1", SS_ESCHEMA, "expected an array of axis values, got 1"},
        {"\"grid\": {}, \"seeds\": 1", SS_ESCHEMA, "grid: expected 1 to 16 axes, got 0"},
        {"\"grid\": {\"seed\": [1]}, \"zip\": {\"seed\": [1]}, \"seeds\": 1", SS_ESCHEMA,
         "zip: expected either \"grid\" or \"zip\", not both"},
        {"\"seeds\": [1, 2, 1]", SS_ESCHEMA, "seeds: expected distinct seeds, got 1 twice"},
        {"\"seeds\": 0", SS_ERANGE, "seeds:"},
        {"\"seeds\": \"x\"", SS_ESCHEMA, "seeds: expected a seed count N"},
        {"\"sedes\": 1", SS_ESCHEMA, "unknown key \"sedes\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scn_sweep sw;
        char err[1024] = "";
        const char *p = write_sweep("bad.json", cases[i].rest);
        ss_status st = scn_sweep_load(p, &sw, err, sizeof err);
        ck_assert_msg(st == cases[i].st, "case %zu: status %d, %s", i, (int)st, err);
        ck_assert_msg(strncmp(err, p, strlen(p)) == 0 && strstr(err, cases[i].want) &&
                          !strchr(err, '\n'),
                      "case %zu: %s", i, err);
        ck_assert_ptr_null(sw.axes);
    }
    scn_sweep sw;
    char err[1024] = "";
    const char *p = tpath("v2.json");
    FILE *f = fopen(p, "w");
    fputs("{\"version\": 2, \"name\": \"t\", \"base\": \"nope.json\", \"seeds\": 1}", f);
    fclose(f);
    ck_assert_int_eq(scn_sweep_load(p, &sw, err, sizeof err), SS_EVERSION);
    f = fopen(p, "w");
    fputs("{\"version\": 1e300, \"name\": \"t\", \"base\": \"nope.json\", \"seeds\": 1}", f);
    fclose(f);
    ck_assert_int_eq(scn_sweep_load(p, &sw, err, sizeof err), SS_EVERSION);
    f = fopen(p, "w");
    fputs("{\"version\": 1.5, \"name\": \"t\", \"base\": \"nope.json\", \"seeds\": 1}", f);
    fclose(f);
    ck_assert_int_eq(scn_sweep_load(p, &sw, err, sizeof err), SS_ESCHEMA);
    ck_assert_ptr_nonnull(strstr(err, "version: expected the integer 1, got 1.5"));
    f = fopen(p, "w");
    fputs("{\"version\": 1, \"name\": \"t\", \"base\": \"nope.json\", \"seeds\": 1}", f);
    fclose(f);
    ck_assert_int_eq(scn_sweep_load(p, &sw, err, sizeof err), SS_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "base: "));
    ck_assert_ptr_nonnull(strstr(err, "nope.json"));
}
END_TEST

static void run_sweep(const char *sweep, const char *db, int jobs, exp_sweep_summary *sum,
                      ss_status want)
{
    scn_sweep sw;
    char err[1024] = "";
    ck_assert_msg(scn_sweep_load(sweep, &sw, err, sizeof err) == SS_OK, "%s", err);
    exp_run_opts ro = {.assets_dir = SS_SHARED_DIR "/assets", .version = "test"};
    exp_sweep_opts o = {.jobs = jobs, .run = &ro, .log = NULL};
    ss_status st = exp_sweep_run(&sw, db, &o, sum, err, sizeof err);
    ck_assert_msg(st == want, "status %d: %s", (int)st, err);
    if (want == SS_ESCHEMA)
        ck_assert_msg(strstr(err, sweep) && strstr(err, "name: sweep \"t\" is already stored"),
                      "%s", err);
    scn_sweep_fini(&sw);
}

static int64_t q_int(const char *db, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static void digest(const char *db, char hex[65])
{
    ana_db *d = NULL;
    char err[512];
    ck_assert_msg(ana_db_open(db, NULL, &d, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_msg(ana_sweep_digest(d, "t", hex, err, sizeof err) == SS_OK, "%s", err);
    ana_db_close(d);
}

#define GRID_2X5 "\"grid\": {\"workload.n_requests\": [4, 7], \"routing.policy\": [\"fixed\", " \
                 "\"central-queue\"]}, \"seeds\": 5"

START_TEST(test_one_and_two_workers_store_identical_content_and_a_rerun_stores_nothing)
{
    const char *sweep = write_sweep("s.json", GRID_2X5);
    const char *db1 = tpath("j1.db"), *db2 = tpath("j2.db");
    exp_sweep_summary a, b, c;
    run_sweep(sweep, db1, 1, &a, SS_OK);
    run_sweep(sweep, db2, 2, &b, SS_OK);
    ck_assert_uint_eq(a.n_points, 20);
    ck_assert_uint_eq(a.n_new, 20);
    ck_assert_uint_eq(b.n_new, 20);
    ck_assert_int_eq(b.jobs, 2);
    ck_assert_int_eq(q_int(db1, "SELECT count(*) FROM runs"), 20);
    ck_assert_int_eq(q_int(db2, "SELECT count(*) FROM sweep_points WHERE status = 'ok'"), 20);
    char d1[65], d2[65], d3[65];
    digest(db1, d1);
    digest(db2, d2);
    ck_assert_str_eq(d1, d2);
    run_sweep(sweep, db2, 2, &c, SS_OK);
    ck_assert_uint_eq(c.n_new, 0);
    ck_assert_uint_eq(c.n_stored, 20);
    ck_assert_int_eq(q_int(db2, "SELECT count(*) FROM runs"), 20);
    digest(db2, d3);
    ck_assert_str_eq(d1, d3);
    /* the pivot by parameter is one query */
    ck_assert_int_eq(q_int(db1, "SELECT count(DISTINCT json_extract(p.axes_json,"
                                " '$.\"workload.n_requests\"')) FROM sweep_points p JOIN metrics m"
                                " ON m.run_id = p.run_id AND m.name = 'n_ok'"), 2);
}
END_TEST

START_TEST(test_a_bad_axis_value_fails_its_points_with_the_error_and_the_others_land)
{
    const char *sweep = write_sweep("s.json", "\"grid\": {\"workload.n_requests\": [4, -1]}, "
                                              "\"seeds\": 3");
    const char *db = tpath("r.db");
    exp_sweep_summary s;
    run_sweep(sweep, db, 2, &s, SS_OK);
    ck_assert_uint_eq(s.n_failed, 3);
    ck_assert_uint_eq(s.n_new, 3);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs"), 3);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM sweep_points WHERE status = 'failed' AND"
                               " run_id IS NULL AND error LIKE '%workload.n_requests%'"), 3);
}
END_TEST

START_TEST(test_a_name_reused_with_other_axes_is_refused_and_nothing_is_lost)
{
    const char *db = tpath("r.db");
    exp_sweep_summary s;
    run_sweep(write_sweep("a.json", "\"grid\": {\"workload.n_requests\": [4]}, \"seeds\": 2"), db,
              1, &s, SS_OK);
    char before[65], after[65];
    digest(db, before);
    run_sweep(write_sweep("b.json", "\"grid\": {\"workload.n_requests\": [5]}, \"seeds\": 2"), db,
              1, &s, SS_ESCHEMA);
    digest(db, after);
    ck_assert_str_eq(before, after);
    ck_assert_int_eq(q_int(db, "SELECT count(*) FROM runs"), 2);
    /* more seeds under the same axes are the same sweep, extended */
    run_sweep(write_sweep("c.json", "\"grid\": {\"workload.n_requests\": [4]}, \"seeds\": 3"), db,
              1, &s, SS_OK);
    ck_assert_uint_eq(s.n_new, 1);
    ck_assert_uint_eq(s.n_stored, 2);
}
END_TEST

Suite *sweep_suite(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_grid_points_are_row_major_with_seeds_innermost);
    tcase_add_test(tc, test_an_inline_base_gives_the_same_scenarios_as_the_file);
    tcase_add_test(tc, test_bad_sweep_files_are_one_line_naming_file_path_and_expectation);
    suite_add_tcase(s, tc);
    tc = tcase_create("executor");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_one_and_two_workers_store_identical_content_and_a_rerun_stores_nothing);
    tcase_add_test(tc, test_a_bad_axis_value_fails_its_points_with_the_error_and_the_others_land);
    tcase_add_test(tc, test_a_name_reused_with_other_axes_is_refused_and_nothing_is_lost);
    suite_add_tcase(s, tc);
    return s;
}
