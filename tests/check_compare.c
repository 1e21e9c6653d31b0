/* check_compare.c - paired comparisons (exp_compare), the compare block
 * (scn_compare), progress lines (exp_progress), and the build identity in
 * a sweep.
 *
 * The paired interval is checked against numbers computed by hand with the
 * t quantiles of a printed table (t(0.975, 4) = 2.776, t(0.975, 2) = 4.303),
 * not against what the code prints.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ana_db.h"
#include "ana_store.h"
#include "exp_compare.h"
#include "exp_progress.h"
#include "exp_sweep.h"
#include "scn_compare.h"
#include "ss_alloc.h"
#include "test_util.h"

static void setup(void) { test_tmp_make("cmp"); }
static void teardown(void) { test_tmp_remove(); }
#define tpath test_tmp_path

/* The bundled default scenario with `extra` members spliced in at the top
 * (e.g. "\"compare\": {...},"), a small workload, written to `name`. */
static const char *write_scn(const char *name, const char *extra)
{
    FILE *f = fopen(SS_SRC("scenarios/default.json"), "r");
    ck_assert_ptr_nonnull(f);
    char *text = calloc(1, 1 << 16);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    fclose(f);
    ck_assert_uint_gt(n, 0);
    char *brace = strchr(text, '{');
    char *req = strstr(text, "\"n_requests\": 300");
    ck_assert_ptr_nonnull(req);
    memcpy(req, "\"n_requests\":  12", 17);
    const char *p = tpath(name);
    f = fopen(p, "w");
    fprintf(f, "{%s%s", extra, brace + 1);
    fclose(f);
    free(text);
    return p;
}

START_TEST(test_paired_ci_equals_the_hand_computation)
{
    /* d = b - a = 1, 2, 0, 2, 1: mean 1.2; squared deviations .04 .64 1.44
     * .64 .04 sum 2.8, sd = sqrt(2.8 / 4) = 0.83666; se = sd / sqrt(5) =
     * 0.374166; half = 2.776 * 0.374166 = 1.0387 (table t to 3 decimals:
     * tolerance 0.0005 * se); CI [0.1613, 2.2387], excludes 0. */
    const double a[] = {10, 12, 9, 11, 13}, b[] = {11, 14, 9, 13, 14};
    exp_paired p;
    exp_paired_ci(a, b, 5, &p);
    ck_assert_uint_eq(p.n, 5);
    ck_assert_double_eq_tol(p.mean, 1.2, 1e-12);
    ck_assert_double_eq_tol(p.sd, 0.836660, 1e-6);
    ck_assert_double_eq_tol(p.half, 1.0387, 0.0003);
    ck_assert_double_eq_tol(p.lo, 0.1613, 0.0003);
    ck_assert_double_eq_tol(p.hi, 2.2387, 0.0003);
    ck_assert_int_eq(p.significant, 1);

    /* d = 1, -1, 0.5 (a NaN pair skipped): mean 0.16667; squared deviations
     * 0.69444 1.36111 0.11111 sum 2.16667, sd = sqrt(2.16667 / 2) = 1.04083,
     * se = 0.60093, half = 4.303 * 0.60093 = 2.5858: contains 0. */
    const double c[] = {5, 5, NAN, 5}, d[] = {6, 4, 7, 5.5};
    exp_paired_ci(c, d, 4, &p);
    ck_assert_uint_eq(p.n, 3);
    ck_assert_double_eq_tol(p.mean, 1.0 / 6, 1e-12);
    ck_assert_double_eq_tol(p.sd, 1.040833, 1e-6);
    ck_assert_double_eq_tol(p.half, 2.5858, 0.0004);
    ck_assert_int_eq(p.significant, 0);

    /* One pair: a mean, no interval. None: nothing. */
    exp_paired_ci(c, d, 1, &p);
    ck_assert_uint_eq(p.n, 1);
    ck_assert_double_eq_tol(p.mean, 1.0, 1e-12);
    ck_assert(isnan(p.half));
    ck_assert_int_eq(p.significant, -1);
    exp_paired_ci(c + 2, d + 2, 1, &p);
    ck_assert_uint_eq(p.n, 0);
    ck_assert(isnan(p.mean));
}
END_TEST

/* Loading `extra` as a scenario fails with SS_ESCHEMA and one line holding
 * the file name and `want`. */
static void bad_block(const char *extra, const char *want)
{
    char err[1024] = "";
    scn_scenario s;
    const char *p = write_scn("bad.json", extra);
    ck_assert_int_eq(scn_load(p, NULL, 0, &s, err, sizeof err), SS_ESCHEMA);
    ck_assert_msg(strstr(err, p) && strstr(err, want) && !strchr(err, '\n'), "%s", err);
    scn_compare c;
    ck_assert_int_eq(scn_compare_load(p, 3, &c, err, sizeof err), SS_ESCHEMA);
    ck_assert_msg(strstr(err, want), "%s", err);
}

START_TEST(test_bad_compare_blocks_are_one_line_naming_file_and_path)
{
    bad_block("\"compare\": {\"variants\": [{\"name\": \"a\"}, {\"name\": \"b\", \"set\":"
              " {\"routing.polcy\": \"fixed\"}}]},",
              "compare.variants[1].set[\"routing.polcy\"]: path \"routing.polcy\" does not exist");
    bad_block("\"compare\": {\"variants\": []},", "compare.variants");
    bad_block("\"compare\": {\"variants\": [{\"name\": \"a\"}, {\"name\": \"a\"}]},",
              "compare.variants[1]: duplicate variant name \"a\"");
    bad_block("\"compare\": {\"variants\": [{\"set\": {}}]},", "compare.variants[0].name");
    bad_block("\"compare\": {\"variant\": []},", "compare");
    bad_block("\"compare\": [1],", "compare: expected an object");
    /* no block at all: compare refuses, run accepts */
    char err[1024];
    scn_compare c;
    const char *p = write_scn("none.json", "");
    ck_assert_int_eq(scn_compare_load(p, 3, &c, err, sizeof err), SS_ESCHEMA);
    ck_assert_msg(strstr(err, p) && strstr(err, "compare: expected a \"compare\" block"), "%s",
                  err);
}
END_TEST

START_TEST(test_the_block_is_no_part_of_the_run_key_and_variants_are_overrides)
{
    char err[1024];
    scn_scenario plain, with;
    const char *pp = write_scn("plain.json", "");
    const char *pw = write_scn("with.json",
                               "\"compare\": {\"variants\": [{\"name\": \"base\"}, {\"name\": \"cq\","
                               " \"set\": {\"routing.policy\": \"central-queue\"}}, {\"name\": \"r\","
                               " \"set\": {\"workload.arrivals.poisson.rate_per_s\": 2}}]},");
    ck_assert_msg(scn_load(pp, NULL, 0, &plain, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_msg(scn_load(pw, NULL, 0, &with, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_str_eq(plain.canonical_json, with.canonical_json);
    scn_scenario_fini(&with);

    scn_compare c;
    ck_assert_msg(scn_compare_load(pw, 4, &c, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_uint_eq(c.n_variants, 3);
    ck_assert_str_eq(c.names[1], "cq");
    ck_assert_uint_eq(c.sweep.n_points, 12);
    ck_assert_uint_eq(c.sweep.n_axes, 2);
    ck_assert_str_eq(c.sweep.paths_json,
                     "[\"routing.policy\",\"workload.arrivals.poisson.rate_per_s\"]");
    /* variant 0 sets nothing: the scenario's own values */
    ck_assert_str_eq(scn_sweep_value(&c.sweep, 0, 0), "\"fixed\"");
    ck_assert_str_eq(scn_sweep_value(&c.sweep, 0, 1), "1");
    ck_assert_str_eq(scn_sweep_value(&c.sweep, 2, 1), "2");
    /* variant 1 on seed 3 == `run FILE --set routing.policy=central-queue --seed 3` */
    scn_scenario v, o;
    scn_override ov = {"routing.policy", "central-queue"};
    ck_assert_msg(scn_sweep_load_point(&c.sweep, 1, 3, &v, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_msg(scn_load(pp, &ov, 1, &o, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_str_eq(v.canonical_json, o.canonical_json);
    ck_assert_uint_eq(v.seed, 3);
    /* variant 0 is the plain scenario */
    scn_scenario_fini(&v);
    ck_assert_msg(scn_sweep_load_point(&c.sweep, 0, 1, &v, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_str_eq(v.canonical_json, plain.canonical_json);
    scn_scenario_fini(&v);
    scn_scenario_fini(&o);
    scn_scenario_fini(&plain);
    scn_compare_fini(&c);
}
END_TEST

/* The printed comparison of `path` on 3 seeds into `db`, as a string. */
static char *compare_text(const char *path, const char *db, exp_compare_result *keep)
{
    char err[1024], *buf = NULL;
    size_t len = 0;
    scn_compare c;
    ck_assert_msg(scn_compare_load(path, 3, &c, err, sizeof err) == SS_OK, "%s", err);
    exp_compare_opts o = {.sweep = {.jobs = 2}};
    exp_compare_result r;
    ck_assert_msg(exp_compare_run(&c, db, &o, &r, err, sizeof err) == SS_OK, "%s", err);
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(exp_compare_print(&c, &r, f), SS_OK);
    fclose(f);
    *keep = r;
    scn_compare_fini(&c);
    return buf;
}

START_TEST(test_the_same_seeds_give_identical_output_stored_or_simulated)
{
    const char *p = write_scn("c.json",
                              "\"compare\": {\"variants\": [{\"name\": \"fixed\"}, {\"name\": \"cq\","
                              " \"set\": {\"routing.policy\": \"central-queue\"}}]},");
    exp_compare_result r1, r2, r3;
    char *a = compare_text(p, tpath("a.db"), &r1);
    char *b = compare_text(p, tpath("a.db"), &r2); /* all stored */
    char *c = compare_text(p, tpath("b.db"), &r3); /* simulated anew */
    ck_assert_uint_eq(r1.summary.n_new, 6);
    ck_assert_uint_eq(r2.summary.n_new, 0);
    ck_assert_uint_eq(r2.summary.n_stored, 6);
    ck_assert_uint_eq(r3.summary.n_new, 6);
    ck_assert_str_eq(a, b);
    ck_assert_str_eq(a, c);
    ck_assert_ptr_nonnull(strstr(a, "\n# e2e_s_p99\nvariant\tn\tmean\tdiff\tci_low\tci_high\t\n"));
    /* the values behind the table: every seed of both variants, finite */
    for (size_t s = 0; s < 3; s++)
        ck_assert(isfinite(r1.value[s]) && isfinite(r1.value[3 + s]));
    exp_compare_result_fini(&r1);
    exp_compare_result_fini(&r2);
    exp_compare_result_fini(&r3);
    free(a), free(b), free(c);
}
END_TEST

START_TEST(test_a_bad_variant_value_is_refused_before_anything_runs)
{
    const char *p = write_scn("v.json",
                              "\"compare\": {\"variants\": [{\"name\": \"fixed\"}, {\"name\": \"no\","
                              " \"set\": {\"routing.policy\": \"no-such-policy\"}}]},");
    char err[1024];
    scn_compare c;
    ck_assert_msg(scn_compare_load(p, 2, &c, err, sizeof err) == SS_OK, "%s", err);
    exp_compare_opts o = {.sweep = {.jobs = 1}};
    exp_compare_result r;
    ck_assert_int_ne(exp_compare_run(&c, tpath("v.db"), &o, &r, err, sizeof err), SS_OK);
    ck_assert_msg(strstr(err, p) && strstr(err, "compare.variants[1] (\"no\")") &&
                  strstr(err, "no-such-policy"), "%s", err);
    ck_assert_int_ne(access(tpath("v.db"), F_OK), 0); /* nothing stored, not even created */
    exp_compare_result_fini(&r);
    scn_compare_fini(&c);
}
END_TEST

/* Issue 13 "a code change makes the stored run unmatched": a sweep stored
 * by another build identity is run anew by this one, not served. (exp_run
 * itself: check_exp's test_a_run_of_another_build_identity_is_not_served.) */
START_TEST(test_a_sweep_stored_by_another_build_is_rerun)
{
    const char *p = write_scn("i.json",
                              "\"compare\": {\"variants\": [{\"name\": \"fixed\"}]},");
    char err[1024];
    scn_compare c;
    ck_assert_msg(scn_compare_load(p, 2, &c, err, sizeof err) == SS_OK, "%s", err);
    exp_run_opts other = {.build_id = "git:0123456789012345678901234567890123456789"};
    exp_sweep_opts o = {.jobs = 1, .run = &other};
    exp_sweep_summary s;
    ck_assert_msg(exp_sweep_run(&c.sweep, tpath("i.db"), &o, &s, err, sizeof err) == SS_OK, "%s",
                  err);
    ck_assert_uint_eq(s.n_new, 2);
    ck_assert_msg(exp_sweep_run(&c.sweep, tpath("i.db"), &o, &s, err, sizeof err) == SS_OK, "%s",
                  err);
    ck_assert_uint_eq(s.n_stored, 2); /* same build: served */
    o.run = NULL;                     /* this build */
    ck_assert_msg(exp_sweep_run(&c.sweep, tpath("i.db"), &o, &s, err, sizeof err) == SS_OK, "%s",
                  err);
    ck_assert_uint_eq(s.n_new, 2);
    ck_assert_uint_eq(s.n_stored, 0);
    ana_db *db;
    ck_assert_int_eq(ana_db_open(tpath("i.db"), NULL, &db, err, sizeof err), SS_OK);
    sqlite3_stmt *q;
    sqlite3_prepare_v2(ana_db_sqlite(db), "SELECT count(*), count(DISTINCT build_id) FROM runs",
                       -1, &q, NULL);
    ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
    ck_assert_int_eq(sqlite3_column_int(q, 0), 4);
    ck_assert_int_eq(sqlite3_column_int(q, 1), 2);
    sqlite3_finalize(q);
    ana_db_close(db);
    scn_compare_fini(&c);
}
END_TEST

START_TEST(test_plain_progress_lines_have_the_documented_form)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    setenv(EXP_PROGRESS_ENV, "0", 1);
    exp_progress p;
    exp_progress_init(&p, f, -1, "sweep s"); /* a memory stream: not a TTY */
    ck_assert_int_eq(p.tty, 0);
    exp_progress_points(&p, 0, 10, 0, 2, 0);
    exp_progress_points(&p, 4, 10, 1, 2, 0);
    exp_progress_sim_cb(&p, 1500000000, 65536);
    exp_progress_end(&p);
    fclose(f);
    /* elapsed well under a second: 0:00:00; ETA unknown before the first point */
    ck_assert_msg(!strncmp(buf, "sweep s: 0/10 done, 0 failed, 2 running, elapsed 0:00:00, ETA ?\n"
                                "sweep s: 4/10 done, 1 failed, 2 running, elapsed 0:00:00, ETA 0:00:00\n"
                                "sweep s: simulated 1.5 s, 65536 events (", 163), "%s", buf);
    ck_assert_ptr_null(strchr(buf, '\r'));
    ck_assert_uint_eq(len, strlen(buf));
    free(buf);

    /* Default interval: nothing before 10 s have passed. */
    unsetenv(EXP_PROGRESS_ENV);
    buf = NULL;
    f = open_memstream(&buf, &len);
    exp_progress_init(&p, f, 0, "sweep s");
    ck_assert_double_eq(p.interval_s, 10.0);
    exp_progress_points(&p, 1, 10, 0, 1, 0);
    fclose(f);
    ck_assert_uint_eq(len, 0);
    free(buf);
}
END_TEST

static int n_calls;
static void count_calls(void *ctx, sim_time_ns now, uint64_t n_run)
{
    (void)ctx, (void)now;
    ck_assert_uint_eq(n_run % SIM_PROGRESS_EVERY, 0);
    n_calls++;
}

/* The progress observer sees the run and changes nothing in it. */
START_TEST(test_the_progress_observer_changes_no_result)
{
    char err[1024], h1[65], h2[65];
    scn_scenario s;
    ck_assert_msg(scn_load(SS_SRC("scenarios/default.json"), NULL, 0, &s, err, sizeof err) == SS_OK,
                  "%s", err);
    exp_run_opts with = {.progress = count_calls}, without = {0};
    const exp_run_opts *os[2] = {&with, &without};
    char *hx[2] = {h1, h2};
    for (int k = 0; k < 2; k++) {
        ana_db *db;
        exp_run_result r;
        ck_assert_int_eq(ana_db_open(tpath(k ? "p1.db" : "p0.db"), NULL, &db, err, sizeof err),
                         SS_OK);
        ck_assert_msg(exp_run(&s, os[k], db, &r, err, sizeof err) == SS_OK, "%s", err);
        ck_assert_int_eq(ana_run_digest(db, r.run_id, hx[k], err, sizeof err), SS_OK);
        ana_db_close(db);
    }
    ck_assert_int_gt(n_calls, 0);
    ck_assert_str_eq(h1, h2);
    scn_scenario_fini(&s);
}
END_TEST

Suite *compare_suite(void)
{
    Suite *s = suite_create("compare");
    TCase *tc = tcase_create("pure");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_paired_ci_equals_the_hand_computation);
    tcase_add_test(tc, test_bad_compare_blocks_are_one_line_naming_file_and_path);
    tcase_add_test(tc, test_the_block_is_no_part_of_the_run_key_and_variants_are_overrides);
    tcase_add_test(tc, test_plain_progress_lines_have_the_documented_form);
    suite_add_tcase(s, tc);
    tc = tcase_create("runs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_the_same_seeds_give_identical_output_stored_or_simulated);
    tcase_add_test(tc, test_a_bad_variant_value_is_refused_before_anything_runs);
    tcase_add_test(tc, test_a_sweep_stored_by_another_build_is_rerun);
    tcase_add_test(tc, test_the_progress_observer_changes_no_result);
    suite_add_tcase(s, tc);
    return s;
}
