/* check_exp.c - the experiment layer against real SQLite files.
 *
 * exp_run is idempotent: the first call simulates and stores, the second
 * finds the stored run (same id, no second row, same digest) without
 * simulating or measuring; a failure at any stage stores nothing; a run
 * stored by someone else between the find and the store is reported as
 * stored. exp_validate rejects what exp_run would reject, with the same
 * status and line.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ana_db.h"
#include "ana_pareto.h"
#include "ana_store.h"
#include "exp_pareto.h"
#include "exp_run.h"
#include "ss_alloc.h"
#include "test_util.h"

static void setup(void) { test_tmp_make("exp"); }
static void teardown(void) { test_tmp_remove(); }
#define tpath test_tmp_path

static ana_db *open_db(void)
{
    ana_db *db = NULL;
    char err[512];
    ck_assert_msg(ana_db_open(tpath("r.db"), NULL, &db, err, sizeof err) == SS_OK, "%s", err);
    return db;
}

static int64_t count(ana_db *db, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(ana_db_sqlite(db), sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* default.json, 20 requests, every request recorded; extra override optional. */
static void load(scn_scenario *s, const char *path, const char *value)
{
    scn_override ov[] = {{"workload.n_requests", "20"}, {"record.level", "requests"},
                         {path, value}};
    char err[1024];
    ck_assert_msg(scn_load(SS_SRC("scenarios/default.json"), ov, path ? 3 : 2, s, err,
                           sizeof err) == SS_OK, "%s", err);
}

/* No build identity: the keys of these tests are pinned as (json, seed, "test"). */
static const exp_run_opts base_opts = {.assets_dir = SS_SHARED_DIR "/assets", .version = "test",
                                       .build_id = ""};

typedef struct hook {
    int calls;
    ss_status answer;
    ana_db *other; /* non-NULL: store the same run there first (a concurrent writer) */
} hook;

static ss_status measure(void *ctx, const scn_scenario *s, const sim_results *res,
                         ana_accuracy_row *rows, size_t cap, size_t *n_rows, char *err,
                         size_t errlen)
{
    hook *h = ctx;
    h->calls++;
    if (h->other) {
        ana_run_info info = {.scenario_name = s->name, .scenario_json = s->canonical_json,
                             .version = "test"};
        int64_t id;
        ck_assert_int_eq(ana_store_run(h->other, &info, res, 0, &id, NULL, 0), SS_OK);
    }
    if (h->answer != SS_OK)
        return ss_err(err, errlen, h->answer, "%s: measure: refused", s->source_path);
    ck_assert_uint_ge(cap, 1);
    rows[0] = (ana_accuracy_row){"fp16", "calls", h->calls};
    *n_rows = 1;
    return SS_OK;
}

START_TEST(test_first_call_runs_and_stores_second_call_finds_the_same_run)
{
    ana_db *db = open_db();
    scn_scenario s;
    load(&s, NULL, NULL);
    hook h = {0};
    exp_run_opts o = base_opts;
    o.measure = measure, o.measure_ctx = &h;
    exp_run_result r1, r2;
    char err[1024], d1[65], d2[65];
    ck_assert_msg(exp_run(&s, &o, db, &r1, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(r1.stored_before, 0);
    ck_assert_int_eq(r1.stage, EXP_STAGE_NONE);
    ck_assert_int_gt(r1.run_id, 0);
    ck_assert_int_eq(h.calls, 1);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM requests"), 20);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM accuracy WHERE metric = 'calls'"), 1);
    ck_assert_int_eq(ana_run_digest(db, r1.run_id, d1, err, sizeof err), SS_OK);

    ck_assert_msg(exp_run(&s, &o, db, &r2, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(r2.stored_before, 1);
    ck_assert_int_eq(r2.run_id, r1.run_id);
    ck_assert_str_eq(r2.key, r1.key);
    ck_assert_int_eq(h.calls, 1); /* found: neither simulated nor measured again */
    ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM requests"), 20);
    ck_assert_int_eq(ana_run_digest(db, r2.run_id, d2, err, sizeof err), SS_OK);
    ck_assert_str_eq(d1, d2);

    /* the same scenario with another seed is another run */
    s.seed++;
    ck_assert_msg(exp_run(&s, &o, db, &r2, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(r2.stored_before, 0);
    ck_assert_int_ne(r2.run_id, r1.run_id);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), 2);
    scn_scenario_fini(&s);
    ana_db_close(db);
}
END_TEST

/* A run stored by one build is not served to another: the identity is in
 * the key, so another identity simulates and stores a new run (the digest,
 * which leaves the build out, is equal). By default the key ends with this
 * build's identity and runs.build_id holds it. */
START_TEST(test_a_run_of_another_build_identity_is_not_served)
{
    ana_db *db = open_db();
    scn_scenario s;
    load(&s, NULL, NULL);
    exp_run_opts o = base_opts;
    exp_run_result r1, r2, r3;
    char err[1024], d1[65], d2[65];
    o.build_id = "git:1111111111111111111111111111111111111111";
    ck_assert_msg(exp_run(&s, &o, db, &r1, err, sizeof err) == SS_OK, "%s", err);
    o.build_id = "git:1111111111111111111111111111111111111111-dirty.abcdefabcdef";
    ck_assert_msg(exp_run(&s, &o, db, &r2, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(r2.stored_before, 0);
    ck_assert_int_ne(r2.run_id, r1.run_id);
    ck_assert_str_ne(r2.key, r1.key);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), 2);
    ck_assert_int_eq(ana_run_digest(db, r1.run_id, d1, err, sizeof err), SS_OK);
    ck_assert_int_eq(ana_run_digest(db, r2.run_id, d2, err, sizeof err), SS_OK);
    ck_assert_str_eq(d1, d2);
    o.build_id = NULL; /* this build */
    ck_assert_msg(exp_run(&s, &o, db, &r3, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(r3.stored_before, 0);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), 3);
    const char *id = exp_build_id();
    ck_assert(strncmp(id, "git:", 4) == 0 || strncmp(id, "src:", 4) == 0);
    size_t kl = strlen(r3.key), il = strlen(id);
    ck_assert(kl > il && strcmp(r3.key + kl - il, id) == 0 && r3.key[kl - il - 1] == ':');
    sqlite3_stmt *st;
    ck_assert_int_eq(sqlite3_prepare_v2(ana_db_sqlite(db), "SELECT build_id FROM runs WHERE id = ?",
                                        -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_int64(st, 1, r3.run_id);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), id);
    sqlite3_finalize(st);
    scn_scenario_fini(&s);
    ana_db_close(db);
}
END_TEST

START_TEST(test_the_run_is_the_same_in_a_fresh_database)
{
    /* Reopened files and a second file: the stored run is found across
     * connections, and a fresh file gets byte-identical tables. */
    scn_scenario s;
    load(&s, NULL, NULL);
    exp_run_result r1, r2, r3;
    char err[1024], d1[65], d3[65];
    ana_db *db = open_db();
    ck_assert_msg(exp_run(&s, &base_opts, db, &r1, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(ana_run_digest(db, r1.run_id, d1, err, sizeof err), SS_OK);
    ana_db_close(db);
    db = open_db();
    ck_assert_msg(exp_run(&s, &base_opts, db, &r2, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(r2.stored_before, 1);
    ck_assert_int_eq(r2.run_id, r1.run_id);
    ana_db_close(db);
    ana_db *other = NULL;
    ck_assert_int_eq(ana_db_open(tpath("other.db"), NULL, &other, err, sizeof err), SS_OK);
    ck_assert_msg(exp_run(&s, &base_opts, other, &r3, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(r3.stored_before, 0);
    ck_assert_int_eq(ana_run_digest(other, r3.run_id, d3, err, sizeof err), SS_OK);
    ck_assert_str_eq(d1, d3);
    ana_db_close(other);
    scn_scenario_fini(&s);
}
END_TEST

START_TEST(test_a_failing_simulation_stores_nothing)
{
    ana_db *db = open_db();
    scn_scenario s;
    load(&s, "routing.policy", "nope");
    exp_run_result r;
    char err[1024] = "", verr[1024] = "";
    ss_status st = exp_run(&s, &base_opts, db, &r, err, sizeof err);
    ck_assert_int_ne(st, SS_OK);
    ck_assert_int_eq(r.stage, EXP_STAGE_SIMULATE);
    ck_assert_int_eq(r.run_id, 0);
    ck_assert_ptr_nonnull(strstr(err, "routing.policy"));
    ck_assert_ptr_nonnull(strstr(err, "known: fixed"));
    ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), 0);
    /* validate gives the same verdict, word for word */
    ck_assert_int_eq(exp_validate(&s, &base_opts, verr, sizeof verr), st);
    ck_assert_str_eq(verr, err);
    scn_scenario_fini(&s);
    ana_db_close(db);
}
END_TEST

START_TEST(test_a_failing_measurement_stores_nothing_and_a_retry_stores_once)
{
    ana_db *db = open_db();
    scn_scenario s;
    load(&s, NULL, NULL);
    hook h = {.answer = SS_EINVAL};
    exp_run_opts o = base_opts;
    o.measure = measure, o.measure_ctx = &h;
    exp_run_result r;
    char err[1024];
    ck_assert_int_eq(exp_run(&s, &o, db, &r, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(r.stage, EXP_STAGE_MEASURE);
    ck_assert_int_eq(r.run_id, 0);
    ck_assert_ptr_nonnull(strstr(err, "measure: refused"));
    ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), 0);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM requests"), 0);
    h.answer = SS_OK;
    ck_assert_msg(exp_run(&s, &o, db, &r, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(r.stored_before, 0);
    ck_assert_int_eq(h.calls, 2);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), 1);
    scn_scenario_fini(&s);
    ana_db_close(db);
}
END_TEST

START_TEST(test_a_run_stored_meanwhile_by_another_writer_is_reported_as_stored)
{
    /* The hook runs after the find and before the store: a second connection
     * stores the same key there, as a concurrent worker would. */
    ana_db *db = open_db(), *other = open_db();
    scn_scenario s;
    load(&s, NULL, NULL);
    hook h = {.other = other};
    exp_run_opts o = base_opts;
    o.measure = measure, o.measure_ctx = &h;
    exp_run_result r;
    char err[1024];
    ck_assert_msg(exp_run(&s, &o, db, &r, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(r.stored_before, 1);
    ck_assert_int_eq(r.run_id, 1);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(count(db, "SELECT count(*) FROM accuracy"), 0); /* the other's copy */
    scn_scenario_fini(&s);
    ana_db_close(other);
    ana_db_close(db);
}
END_TEST

START_TEST(test_no_sim_stores_empty_results_with_the_seed_and_the_given_key)
{
    ana_db *db = open_db();
    scn_scenario s;
    load(&s, NULL, NULL);
    hook h = {0};
    exp_run_opts o = base_opts;
    o.no_sim = 1, o.key_json = "{\"what\":\"measured\"}", o.measure = measure, o.measure_ctx = &h;
    exp_run_result r;
    char err[1024], key[ANA_RUN_KEY_MAX];
    ck_assert_msg(exp_run(&s, &o, db, &r, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(ana_run_key(o.key_json, s.seed, "test", key, sizeof key), SS_OK);
    ck_assert_str_eq(r.key, key);
    ck_assert_int_eq(count(db, "SELECT n_requests FROM runs"), 0);
    ck_assert_int_eq(count(db, "SELECT seed FROM runs"), (int64_t)s.seed);
    double v = 0;
    ck_assert_int_eq(ana_run_accuracy(db, r.run_id, "fp16", "calls", &v, err, sizeof err), SS_OK);
    ck_assert(v == 1.0);
    ck_assert_int_eq(ana_run_accuracy(db, r.run_id, "fp16", "nope", &v, err, sizeof err),
                     SS_ENOTFOUND);
    scn_scenario_fini(&s);
    ana_db_close(db);
}
END_TEST

START_TEST(test_validate_says_ok_to_what_run_accepts_and_rejects_an_unknown_preset)
{
    scn_scenario s;
    char err[1024] = "";
    load(&s, NULL, NULL);
    ck_assert_msg(exp_validate(&s, &base_opts, err, sizeof err) == SS_OK, "%s", err);
    scn_scenario_fini(&s);
    load(&s, "model", "{\"preset\": \"no-such-model\"}");
    ss_status st = exp_validate(&s, &base_opts, err, sizeof err);
    ck_assert_msg(st != SS_OK, "an unknown model preset validated");
    ck_assert_ptr_nonnull(strstr(err, "no-such-model"));
    scn_scenario_fini(&s);
}
END_TEST

START_TEST(test_every_failed_allocation_gives_enomem_and_stores_nothing)
{
    /* Fail the Nth allocation for N = 0, 1, ... until the run succeeds:
     * every failure is SS_ENOMEM with a message and an empty database (the
     * store is the last step and all-or-nothing); leaks show under ASan. */
    ana_db *db = open_db();
    scn_scenario s;
    scn_override ov[] = {{"workload.n_requests", "3"}};
    char err[1024];
    ck_assert_msg(scn_load(SS_SRC("scenarios/default.json"), ov, 1, &s, err, sizeof err) == SS_OK,
                  "%s", err);
    int done = 0;
    long n;
    for (n = 0; n < 100000 && !done; n++) {
        exp_run_result r;
        err[0] = 0;
        ss_alloc_fail_after(n);
        ss_status st = exp_run(&s, &base_opts, db, &r, err, sizeof err);
        ss_alloc_fail_after(-1);
        if (st == SS_OK) {
            done = 1;
            ck_assert_int_eq(r.stored_before, 0);
            break;
        }
        ck_assert_msg(st == SS_ENOMEM, "fail after %ld: %s (%s)", n, ss_status_name(st), err);
        ck_assert_msg(err[0], "fail after %ld: no message", n);
        ck_assert_int_eq(r.run_id, 0);
        ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), 0);
    }
    ck_assert_msg(done, "never succeeded");
    ck_assert_int_gt(n, 10); /* the hook was hit: a run allocates */
    ck_assert_int_eq(count(db, "SELECT count(*) FROM runs"), 1);
    scn_scenario_fini(&s);
    ana_db_close(db);
}
END_TEST

START_TEST(test_dirs_come_from_shardsim_home_and_shardsim_assets)
{
    exp_dirs d;
    char err[256];
    setenv("SHARDSIM_HOME", "/h", 1);
    unsetenv("SHARDSIM_ASSETS");
    ck_assert_int_eq(exp_dirs_resolve(&d, err, sizeof err), SS_OK);
    ck_assert_str_eq(d.home, "/h");
    ck_assert_str_eq(d.presets, "/h/models/presets");
    ck_assert_str_eq(d.assets, "/h/../shared/assets");
    setenv("SHARDSIM_ASSETS", "/a", 1);
    ck_assert_int_eq(exp_dirs_resolve(&d, err, sizeof err), SS_OK);
    ck_assert_str_eq(d.assets, "/a");
    unsetenv("SHARDSIM_HOME");
    ck_assert_int_eq(exp_dirs_resolve(&d, err, sizeof err), SS_OK);
    ck_assert_str_eq(d.home, SS_SOURCE_DIR);
    static char longp[EXP_PATH_MAX + 8];
    memset(longp, 'x', sizeof longp - 1);
    setenv("SHARDSIM_ASSETS", longp, 1);
    ck_assert_int_eq(exp_dirs_resolve(&d, err, sizeof err), SS_ERANGE);
    ck_assert_ptr_nonnull(strstr(err, "SHARDSIM_ASSETS"));
}
END_TEST

/* The front uses every accuracy measure `pareto` prints. Hand table:
 *   fp32   400 B, 1.0 s, agreement 1, KL 0,       max 0,     ppl delta 0
 *   lr8    404 B, 1.0 s, agreement 1, KL 1.7e-13, max 1e-12, ppl delta 595
 *   fp16   200 B, 0.9 s, agreement 1, KL 1e-6,    max 1e-5,  ppl delta 0.01
 *   tied   400 B, 1.0 s, agreement 1, KL 0,       max 0,     ppl delta 3
 *   agr    400 B, 1.0 s, agreement 0.99, KL 0,    max 0,     ppl delta 0
 * fp32 beats lr8 everywhere; fp16 is the only one with fewer bytes; "tied"
 * ties fp32 on bytes, latency and KL and loses on perplexity alone, "agr"
 * loses on agreement alone: a front by KL only would keep both (nobody
 * beats them in bytes, latency and KL), the front by every measure drops
 * them. Without perplexity measured, "tied" ties fp32 everywhere: on. */
START_TEST(test_pareto_front_uses_every_printed_accuracy_measure)
{
    exp_pareto_row rows[5] = {
        {.bytes = 400, .e2e_mean = 1.0, .agreement = 1, .kl_mean = 0, .kl_max = 0,
         .perplexity_delta = 0},
        {.bytes = 404, .e2e_mean = 1.0, .agreement = 1, .kl_mean = 1.7e-13, .kl_max = 1e-12,
         .perplexity_delta = 595},
        {.bytes = 200, .e2e_mean = 0.9, .agreement = 1, .kl_mean = 1e-6, .kl_max = 1e-5,
         .perplexity_delta = 0.01},
        {.bytes = 400, .e2e_mean = 1.0, .agreement = 1, .kl_mean = 0, .kl_max = 0,
         .perplexity_delta = 3},
        {.bytes = 400, .e2e_mean = 1.0, .agreement = 0.99, .kl_mean = 0, .kl_max = 0,
         .perplexity_delta = 0},
    };
    double obj[5 * EXP_PARETO_MAX_OBJECTIVES];
    int front[5];
    for (int with_ppl = 1; with_ppl >= 0; with_ppl--) {
        int k = 0;
        for (int i = 0; i < 5; i++)
            k = exp_pareto_objectives(&rows[i], 1, with_ppl, obj + (size_t)i * 6);
        ck_assert_int_eq(k, with_ppl ? 6 : 5);
        for (int i = 1; i < 5; i++)
            memmove(obj + (size_t)i * k, obj + (size_t)i * 6, (size_t)k * sizeof *obj);
        ana_pareto_front(obj, 5, (size_t)k, front);
        ck_assert_int_eq(front[0], 1);
        ck_assert_int_eq(front[1], 0);
        ck_assert_int_eq(front[2], 1);
        ck_assert_int_eq(front[3], with_ppl ? 0 : 1);
        ck_assert_int_eq(front[4], 0);
    }
    /* the CNN: bytes, latency, accuracy drop */
    exp_pareto_row cnn = {.bytes = 7, .e2e_mean = 2, .accuracy_delta = -0.25};
    ck_assert_int_eq(exp_pareto_objectives(&cnn, 0, 0, obj), 3);
    ck_assert(obj[0] == 7 && obj[1] == 2 && obj[2] == 0.25);
}
END_TEST

Suite *exp_suite(void)
{
    Suite *s = suite_create("exp");
    TCase *tc = tcase_create("exp");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_first_call_runs_and_stores_second_call_finds_the_same_run);
    tcase_add_test(tc, test_the_run_is_the_same_in_a_fresh_database);
    tcase_add_test(tc, test_a_run_of_another_build_identity_is_not_served);
    tcase_add_test(tc, test_a_failing_simulation_stores_nothing);
    tcase_add_test(tc, test_a_failing_measurement_stores_nothing_and_a_retry_stores_once);
    tcase_add_test(tc, test_a_run_stored_meanwhile_by_another_writer_is_reported_as_stored);
    tcase_add_test(tc, test_no_sim_stores_empty_results_with_the_seed_and_the_given_key);
    tcase_add_test(tc, test_validate_says_ok_to_what_run_accepts_and_rejects_an_unknown_preset);
    tcase_add_test(tc, test_every_failed_allocation_gives_enomem_and_stores_nothing);
    tcase_add_test(tc, test_dirs_come_from_shardsim_home_and_shardsim_assets);
    tcase_add_test(tc, test_pareto_front_uses_every_printed_accuracy_measure);
    suite_add_tcase(s, tc);
    return s;
}
