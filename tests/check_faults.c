/* check_faults.c - fail the Nth allocation, for every N, through the whole
 * path a stored run takes: scn_load -> ana_db_open -> exp_run (key, find,
 * sim_run with the world, the model and in real mode the weights, the
 * tokenizer and every forward pass, then ana_store_run) into a real SQLite
 * file (PITFALLS.md D07).
 *
 * SQLite's own allocations go through the same hook: the suite installs
 * SQLITE_CONFIG_MALLOC methods over ss_malloc (a 16-byte size prefix gives
 * xSize), so one counter numbers ours, cJSON's (ss_json routes it) and
 * SQLite's. OpenBLAS and libc-internal allocations are not hooked.
 *
 * For each scenario a clean run first counts its allocations A; then for
 * N = 0, stride, 2 stride, ... < A (stride 1, except the volunteer swarm:
 * 7 unless SS_FAULTS_STRIDE says otherwise) the (N+1)th allocation and every one
 * after it fails. Each such run must return SS_ENOMEM with a one-line
 * message and leave the database without a run (and passing quick_check);
 * SQLite absorbs a few failures by itself (a run that then succeeds must be
 * whole, and is counted). N = A must succeed. Leaks show under LSan in the
 * ASan build (`make asan`). Each loop prints its size, e.g.
 *   faults: default: N in 0..657 every 1: 658 failed cleanly, 0 absorbed by SQLite
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ana_db.h"
#include "exp_run.h"
#include "ss_alloc.h"
#include "test_util.h"

/* ---- SQLite through ss_malloc ----------------------------------------- */

#define SQ_PREFIX 16 /* keeps SQLite's 8-byte alignment; holds the size */

static sqlite3_mem_methods sq_orig;

static void *sq_malloc(int n)
{
    if (n <= 0)
        return NULL;
    unsigned char *p = ss_malloc((size_t)n + SQ_PREFIX);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    return p + SQ_PREFIX;
}

static void sq_free(void *p)
{
    if (p)
        ss_free((unsigned char *)p - SQ_PREFIX);
}

static int sq_size(void *p)
{
    int n = 0;
    if (p)
        memcpy(&n, (unsigned char *)p - SQ_PREFIX, sizeof n);
    return n;
}

static void *sq_realloc(void *p, int n)
{
    if (!p)
        return sq_malloc(n);
    if (n <= 0)
        return NULL;
    unsigned char *q = ss_realloc((unsigned char *)p - SQ_PREFIX, (size_t)n + SQ_PREFIX);
    if (!q)
        return NULL; /* the old block stays valid, as SQLite expects */
    memcpy(q, &n, sizeof n);
    return q + SQ_PREFIX;
}

static int sq_roundup(int n) { return (n + 7) & ~7; }
static int sq_init(void *ctx) { return SQLITE_OK; }
static void sq_shutdown(void *ctx) {}

static void sq_route_through_ss_malloc(void)
{
    ck_assert_int_eq(sqlite3_shutdown(), SQLITE_OK);
    ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sq_orig), SQLITE_OK);
    static const sqlite3_mem_methods m = {sq_malloc,  sq_free, sq_realloc, sq_size,
                                          sq_roundup, sq_init, sq_shutdown, NULL};
    ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
    ck_assert_int_eq(sqlite3_initialize(), SQLITE_OK);
}

static void sq_restore(void)
{
    ck_assert_int_eq(sqlite3_shutdown(), SQLITE_OK);
    ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &sq_orig), SQLITE_OK);
    ck_assert_int_eq(sqlite3_initialize(), SQLITE_OK);
}

/* ---- fixture ------------------------------------------------------------ */

static char dir[64], db_path[96];

static void setup(void)
{
    /* tmpfs when there is one: the loop opens the database thousands of times. */
    snprintf(dir, sizeof dir, "%s/shardsim-faultsXXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/r.db", dir);
    sq_route_through_ss_malloc();
}

static void teardown(void)
{
    sq_restore();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A fresh database with its schema, made without injection. */
static void fresh_db(void)
{
    char cmd[512], err[512];
    snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-wal' '%s-shm' '%s-journal'", db_path, db_path,
             db_path, db_path);
    ck_assert_int_eq(system(cmd), 0);
    ana_db *db = NULL;
    ck_assert_msg(ana_db_open(db_path, NULL, &db, err, sizeof err) == SS_OK, "%s", err);
    ana_db_close(db);
}

static int64_t q_int(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Runs stored, read by a connection of its own; -1 when quick_check fails. */
static int64_t stored_runs(void)
{
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    ck_assert_int_eq(sqlite3_prepare_v2(h, "PRAGMA quick_check", -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    int ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
    sqlite3_finalize(st);
    int64_t n = ok ? q_int(h, "SELECT count(*) FROM runs") : -1;
    if (n == 0) /* nothing half-stored either */
        n = q_int(h, "SELECT (SELECT count(*) FROM requests) + (SELECT count(*) FROM nodes) + "
                     "(SELECT count(*) FROM metrics) + (SELECT count(*) FROM accuracy)");
    sqlite3_close(h);
    return n;
}

static const exp_run_opts opts = {.assets_dir = SS_SHARED_DIR "/assets", .version = "test"};

/* One pass load -> open -> run -> store with the (fail_after+1)th allocation
 * and all later ones failing (fail_after < 0: no injection). */
static ss_status pass(const char *scn, const scn_override *ov, size_t n_ov, long fail_after,
                      exp_run_result *r, char *err, size_t errlen)
{
    scn_scenario s;
    ana_db *db = NULL;
    memset(r, 0, sizeof *r);
    err[0] = '\0';
    ss_alloc_fail_after(fail_after);
    ss_status st = scn_load(scn, ov, n_ov, &s, err, errlen);
    if (st == SS_OK) {
        st = ana_db_open(db_path, NULL, &db, err, errlen);
        if (st == SS_OK)
            st = exp_run(&s, &opts, db, r, err, errlen);
        ana_db_close(db);
        scn_scenario_fini(&s);
    }
    ss_alloc_fail_after(-1);
    return st;
}

/* The loop described at the top; returns the allocation count A. */
static long fault_loop(const char *label, const char *scn, const scn_override *ov, size_t n_ov,
                       long stride)
{
    char err[1024];
    exp_run_result r;
    fresh_db();
    uint64_t a0 = ss_alloc_count();
    ss_status st = pass(scn, ov, n_ov, -1, &r, err, sizeof err);
    ck_assert_msg(st == SS_OK, "%s: the clean run failed: %s", label, err);
    long total = (long)(ss_alloc_count() - a0);
    ck_assert_int_gt(total, 100); /* the hook is really on the path */
    fresh_db();

    long n_failed = 0, n_absorbed = 0;
    for (long n = 0; n < total; n += stride) {
        st = pass(scn, ov, n_ov, n, &r, err, sizeof err);
        if (st == SS_OK) {
            /* SQLite retried past the failure (or a cache was skipped): the
             * run must then be whole and stored once. */
            ck_assert_msg(stored_runs() == 1, "%s: fail after %ld: success but %lld runs",
                          label, n, (long long)stored_runs());
            n_absorbed++;
            fresh_db();
            continue;
        }
        ck_assert_msg(st == SS_ENOMEM, "%s: fail after %ld: %s, not ENOMEM (%s)", label, n,
                      ss_status_name(st), err);
        ck_assert_msg(err[0] && !strchr(err, '\n'), "%s: fail after %ld: no one-line message: %s",
                      label, n, err);
        ck_assert_int_eq(r.run_id, 0);
        ck_assert_msg(stored_runs() == 0, "%s: fail after %ld: the database holds %lld rows (%s)",
                      label, n, (long long)stored_runs(), err);
        n_failed++;
    }
    st = pass(scn, ov, n_ov, total, &r, err, sizeof err);
    ck_assert_msg(st == SS_OK && r.stored_before == 0, "%s: fail after %ld (all): %s", label,
                  total, err);
    ck_assert_int_eq(stored_runs(), 1);
    printf("faults: %s: N in 0..%ld every %ld: %ld failed cleanly, %ld absorbed by SQLite\n",
           label, total - 1, stride, n_failed, n_absorbed);
    fflush(stdout);
    return total;
}

START_TEST(test_every_failed_allocation_of_the_default_scenario_is_a_clean_enomem)
{
    const scn_override ov[] = {{"workload.n_requests", "3"}, {"record.level", "requests"}};
    fault_loop("default", SS_SRC("scenarios/default.json"), ov, 2, 1);
}
END_TEST

START_TEST(test_every_failed_allocation_of_the_volunteer_swarm_is_a_clean_enomem)
{
    /* ~2,450 allocations at ~20 ms a pass (228 nodes, the measured RTT
     * matrix and the Azure trace read each time): every 7th N keeps CI near
     * 7 s of CPU; SS_FAULTS_STRIDE=1 runs every N (about a minute). */
    const scn_override ov[] = {{"workload.n_requests", "2"}};
    const char *env = getenv("SS_FAULTS_STRIDE");
    long stride = env && atol(env) > 0 ? atol(env) : 7;
    fault_loop("volunteer-swarm", SS_SRC("scenarios/volunteer-swarm.json"), ov, 1, stride);
}
END_TEST

START_TEST(test_every_failed_allocation_of_stories260k_in_real_mode_is_a_clean_enomem)
{
    const scn_override ov[] = {{"workload.n_requests", "1"}, {"workload.output_tokens", "3"}};
    fault_loop("stories260k", SS_SRC("scenarios/stories260k.json"), ov, 2, 1);
}
END_TEST

static TCase *fault_tcase(const char *name, const TTest *test)
{
    TCase *tc = tcase_create(name);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test);
    return tc;
}

Suite *faults_suite(void)
{
    /* One case per scenario, so CK_RUN_CASE=swarm runs one loop alone. */
    Suite *s = suite_create("faults");
    suite_add_tcase(s, fault_tcase("default",
        test_every_failed_allocation_of_the_default_scenario_is_a_clean_enomem));
    suite_add_tcase(s, fault_tcase("swarm",
        test_every_failed_allocation_of_the_volunteer_swarm_is_a_clean_enomem));
    suite_add_tcase(s, fault_tcase("stories260k",
        test_every_failed_allocation_of_stories260k_in_real_mode_is_a_clean_enomem));
    return s;
}
