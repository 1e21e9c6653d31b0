/* check_gate.c - the regression gate (analysis/ana_gate.h) on a hand-made
 * run: a baseline passes against the same run stored elsewhere; a changed
 * field is located to its table, row and column; the tolerance rule
 * |now - baseline| <= max(abs_tol, rel_tol * |baseline|) at its edges;
 * a baseline naming an unknown metric is refused with its JSON path. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ana_db.h"
#include "ana_gate.h"
#include "ana_metrics.h"
#include "ana_store.h"
#include "ss_alloc.h"
#include "sim_results.h"
#include "test_util.h"

static void setup(void) { test_tmp_make("gate"); }
static void teardown(void) { test_tmp_remove(); }
#define tpath test_tmp_path

#define S_NS(x) ((int64_t)((x) * 1e9 + 0.5))

/* Two ok requests (e2e 3 s and 3.25 s: e2e_s_mean 3.125), two nodes. */
typedef struct fixture {
    sim_request_rec req[2];
    sim_node_rec node[2];
    sim_route_rec route[2];
    sim_results r;
} fixture;

static void fixture_fill(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->route[0] = (sim_route_rec){3, 1};
    f->route[1] = (sim_route_rec){7, 1};
    f->req[0] = (sim_request_rec){.id = 0, .arrival_ns = S_NS(0), .first_token_ns = S_NS(1),
                                  .finish_ns = S_NS(3), .prompt_tokens = 10, .output_tokens = 5,
                                  .tokens_done = 5, .status = SIM_REQUEST_OK, .route_len = 2};
    f->req[1] = (sim_request_rec){.id = 1, .arrival_ns = S_NS(1), .first_token_ns = S_NS(2),
                                  .finish_ns = S_NS(4.25), .prompt_tokens = 10, .output_tokens = 5,
                                  .tokens_done = 5, .status = SIM_REQUEST_OK, .route_len = 2};
    f->node[0] = (sim_node_rec){.id = 7, .first_block = 8, .end_block = 16, .busy_ns = S_NS(2),
                                .bytes_in = 4096, .bytes_out = 8192, .n_tasks = 9};
    strcpy(f->node[0].name, "beta");
    strcpy(f->node[0].region, "eu");
    f->node[1] = (sim_node_rec){.id = 3, .first_block = 0, .end_block = 8, .busy_ns = S_NS(3),
                                .bytes_in = 100, .bytes_out = 4096, .n_tasks = 11};
    strcpy(f->node[1].name, "alpha");
    strcpy(f->node[1].region, "us");
    f->r = (sim_results){.seed = 1, .end_ns = S_NS(10), .n_events = 99, .n_requests = 2,
                         .requests = f->req, .n_nodes = 2, .nodes = f->node, .n_route = 2,
                         .route = f->route};
}

/* Store f in the database at path (after `extra` other runs); the run's id. */
static int64_t store_at(const char *path, const fixture *f, int extra, double wall_s)
{
    ana_db *db = NULL;
    char err[512] = "";
    ck_assert_msg(ana_db_open(path, NULL, &db, err, sizeof err) == SS_OK, "%s", err);
    int64_t id = 0;
    for (int i = 0; i <= extra; i++) {
        char json[64];
        snprintf(json, sizeof json, "{\"name\":\"g\",\"n\":%d}", extra - i);
        ana_run_info info = {.scenario_name = "g", .scenario_json = json, .version = "t",
                             .wall_seconds = wall_s};
        ck_assert_msg(ana_store_run(db, &info, &f->r, 1, &id, err, sizeof err) == SS_OK, "%s", err);
    }
    ana_db_close(db);
    return id;
}

/* Run check, return its printed table in a static buffer. */
static const char *run_check(const char *db, int64_t id, const char *base, ana_gate_result *res)
{
    static char text[16384];
    char err[512] = "";
    FILE *out = fmemopen(text, sizeof text, "w");
    ck_assert_ptr_nonnull(out);
    ana_gate_stage stage;
    ss_status s = ana_gate_check(db, id, base, NULL, out, res, &stage, err, sizeof err);
    fclose(out);
    ck_assert_msg(s == SS_OK, "%s", err);
    return text;
}

static void write_baseline(const char *db, int64_t id, const char *path)
{
    char err[512] = "";
    ck_assert_msg(ana_gate_baseline(db, id, path, NULL, err, sizeof err) == SS_OK, "%s", err);
}

/* Replace the first `from` in file path by `to`. */
static void edit(const char *path, const char *from, const char *to)
{
    static char buf[1 << 16], out[1 << 16];
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *at = strstr(buf, from);
    ck_assert_msg(at != NULL, "%s not in %s", from, path);
    snprintf(out, sizeof out, "%.*s%s%s", (int)(at - buf), buf, to, at + strlen(from));
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(out, f);
    fclose(f);
}

START_TEST(test_check_passes_against_the_same_run_stored_at_another_id_in_another_database)
{
    fixture f;
    fixture_fill(&f);
    int64_t a = store_at(tpath("a.db"), &f, 0, 1.0);
    int64_t b = store_at(tpath("b.db"), &f, 2, 9.0); /* id 3, other wall time */
    ck_assert_int_eq(b, a + 2);
    write_baseline(tpath("a.db"), a, tpath("a.json"));
    ana_gate_result res;
    const char *t = run_check(tpath("b.db"), b, tpath("a.json"), &res);
    /* the third stored run has the first's scenario text: same digest */
    ck_assert_msg(res.n_failed == 0, "%s", t);
    /* every metric + the digest */
    ck_assert_int_eq(res.n_checked, (int)ana_metrics_count() + 1);
    char want[64];
    snprintf(want, sizeof want, "PASS: 0 of %d checks failed", (int)ana_metrics_count() + 1);
    ck_assert_ptr_nonnull(strstr(t, want));
}
END_TEST

START_TEST(test_check_locates_a_changed_field_to_its_table_row_and_column)
{
    fixture f;
    fixture_fill(&f);
    int64_t a = store_at(tpath("a.db"), &f, 0, 1.0);
    write_baseline(tpath("a.db"), a, tpath("a.json"));
    f.node[0].bytes_in++; /* node id 7: row 2 in id order; no metric reads bytes_in */
    int64_t b = store_at(tpath("b.db"), &f, 0, 1.0);
    ana_gate_result res;
    const char *t = run_check(tpath("b.db"), b, tpath("a.json"), &res);
    ck_assert_int_eq(res.n_failed, 1);
    ck_assert_msg(strstr(t, "first difference: table nodes, row 2 (id=7); columns that differ: "
                            "bytes_in\n") != NULL, "%s", t);
}
END_TEST

START_TEST(test_tolerance_is_the_larger_of_absolute_and_relative)
{
    fixture f;
    fixture_fill(&f);
    int64_t a = store_at(tpath("a.db"), &f, 0, 1.0);
    char base[512], db[512];
    snprintf(base, sizeof base, "%s", tpath("a.json"));
    snprintf(db, sizeof db, "%s", tpath("a.db"));
    static const char exact[] = "\"name\": \"e2e_s_mean\", \"kind\": \"latency\", \"value\": "
                                "3.125, \"abs_tol\": 0, \"rel_tol\": 0";
    /* baseline 3.25, now 3.125: |delta| = 0.125, all exact binary fractions */
    static const struct {
        const char *to;
        int fails;
    } cases[] = {
        {"\"name\": \"e2e_s_mean\", \"value\": 3.25, \"abs_tol\": 0.125", 0},   /* = edge */
        {"\"name\": \"e2e_s_mean\", \"value\": 3.25, \"abs_tol\": 0.0625", 1},
        {"\"name\": \"e2e_s_mean\", \"value\": 3.25, \"rel_tol\": 0.03125", 1},   /* 0.1015625 */
        {"\"name\": \"e2e_s_mean\", \"value\": 3.25, \"rel_tol\": 0.0390625", 0}, /* 0.126953125 */
        {"\"name\": \"e2e_s_mean\", \"value\": 3.25, \"abs_tol\": 0.0625, \"rel_tol\": 0.0390625", 0},
        {"\"name\": \"e2e_s_mean\", \"value\": 3.25", 1},                      /* default: exact */
        {"\"name\": \"e2e_s_mean\", \"value\": null", 1},                      /* undefined then */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_baseline(db, a, base);
        edit(base, exact, cases[i].to);
        ana_gate_result res;
        const char *t = run_check(db, a, base, &res);
        ck_assert_msg(res.n_failed == cases[i].fails, "case %zu: %s", i, t);
    }
}
END_TEST

START_TEST(test_a_baseline_naming_an_unknown_metric_is_refused_with_its_path)
{
    fixture f;
    fixture_fill(&f);
    int64_t a = store_at(tpath("a.db"), &f, 0, 1.0);
    write_baseline(tpath("a.db"), a, tpath("a.json"));
    edit(tpath("a.json"), "\"name\": \"e2e_s_mean\"", "\"name\": \"e2e_s_meen\"");
    char err[512] = "", text[64];
    FILE *out = fmemopen(text, sizeof text, "w");
    ana_gate_stage stage;
    ana_gate_result res;
    ss_status s = ana_gate_check(tpath("a.db"), a, tpath("a.json"), NULL, out, &res, &stage, err,
                                 sizeof err);
    fclose(out);
    ck_assert_int_eq(s, SS_ESCHEMA);
    ck_assert_int_eq(stage, ANA_GATE_STAGE_BASELINE);
    /* the baseline lists the metrics by name: e2e_s_mean's index is the
     * number of metric names before it */
    int idx = 0;
    for (size_t i = 0; i < ana_metrics_count(); i++)
        idx += strcmp(ana_metrics_name(i), "e2e_s_mean") < 0;
    char want[96];
    snprintf(want, sizeof want, "metrics[%d].name: unknown metric \"e2e_s_meen\"", idx);
    ck_assert_msg(strstr(err, want) != NULL, "%s", err);
    ck_assert_ptr_null(strchr(err, '\n'));
}
END_TEST

START_TEST(test_a_baseline_of_a_missing_run_writes_nothing)
{
    fixture f;
    fixture_fill(&f);
    store_at(tpath("a.db"), &f, 0, 1.0);
    char err[512] = "";
    ana_gate_stage stage;
    ck_assert_int_eq(ana_gate_baseline(tpath("a.db"), 5, tpath("x.json"), &stage, err, sizeof err),
                     SS_ENOTFOUND);
    ck_assert_int_eq(stage, ANA_GATE_STAGE_DB);
    ck_assert_int_ne(access(tpath("x.json"), F_OK), 0);
}
END_TEST

/* Fail the Nth allocation for every N through baseline + check (+ JUnit):
 * each failure is a clean SS_ENOMEM that leaves no output file, and ASan's
 * leak check (at the forked test's exit) sees no leak. */
START_TEST(test_every_failed_allocation_gives_a_clean_error_and_no_output)
{
    fixture f;
    fixture_fill(&f);
    int64_t a = store_at(tpath("a.db"), &f, 0, 1.0);
    char db[512], base[512], junit[512];
    snprintf(db, sizeof db, "%s", tpath("a.db"));
    snprintf(base, sizeof base, "%s", tpath("a.json"));
    snprintf(junit, sizeof junit, "%s", tpath("j.xml"));
    int succeeded = 0;
    for (long n = 0; n < 5000 && !succeeded; n++) {
        char err[512] = "", text[8192];
        unlink(base);
        unlink(junit);
        ss_alloc_fail_after(n);
        ss_status s = ana_gate_baseline(db, a, base, NULL, err, sizeof err);
        int base_failed = s != SS_OK;
        if (s == SS_OK) {
            FILE *out = fmemopen(text, sizeof text, "w");
            ana_gate_result res;
            s = ana_gate_check(db, a, base, junit, out, &res, NULL, err, sizeof err);
            fclose(out);
            ck_assert(s != SS_OK || res.n_failed == 0);
        }
        ss_alloc_fail_after(-1);
        if (s == SS_OK) {
            succeeded = 1;
            break;
        }
        ck_assert_msg(s == SS_ENOMEM, "fail after %ld: %s (%s)", n, ss_status_name(s), err);
        ck_assert_msg(err[0] != '\0', "fail after %ld: empty error", n);
        if (base_failed)
            ck_assert_int_ne(access(base, F_OK), 0);
        ck_assert_int_ne(access(junit, F_OK), 0);
    }
    ck_assert(succeeded);
}
END_TEST

Suite *gate_suite(void)
{
    Suite *s = suite_create("gate");
    TCase *tc = tcase_create("gate");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300); /* the fail-every-allocation loop, under ASan */
    tcase_add_test(tc, test_check_passes_against_the_same_run_stored_at_another_id_in_another_database);
    tcase_add_test(tc, test_check_locates_a_changed_field_to_its_table_row_and_column);
    tcase_add_test(tc, test_tolerance_is_the_larger_of_absolute_and_relative);
    tcase_add_test(tc, test_a_baseline_naming_an_unknown_metric_is_refused_with_its_path);
    tcase_add_test(tc, test_a_baseline_of_a_missing_run_writes_nothing);
    tcase_add_test(tc, test_every_failed_allocation_gives_a_clean_error_and_no_output);
    suite_add_tcase(s, tc);
    return s;
}
