/* check_ana.c - results database, metrics, report and digest (analysis/).
 *
 * Every test uses real SQLite files in its own mkdtemp directory under /tmp
 * and hand-made sim_results whose metrics were computed by hand (see
 * fixture_fill). Check forks per test, so per-process state (the allocation
 * hook, SQLite's config) cannot leak between tests.
 */
#include <check.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ana_db.h"
#include "ana_metrics.h"
#include "ana_report.h"
#include "ana_sha256.h"
#include "ana_store.h"
#include "ss_alloc.h"

/* ---------- fixtures ---------- */

static char tmpdir[64];

static void tmp_setup(void)
{
    strcpy(tmpdir, "/tmp/ss_ana_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            rm_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void tmp_teardown(void) { rm_tree(tmpdir); }

static const char *tpath(const char *name)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

#define S_NS(x) ((int64_t)((x) * 1e9 + 0.5))

/* Six requests, two nodes, run end 10 s. Hand computation:
 *   ok:   r0 e2e 3.0 ttft 1.0 tpot (3-1)/4 = 0.5
 *         r1 e2e 1.5 ttft 0.5 tpot 1/2 = 0.5
 *         r2 e2e 2.0 ttft 2.0 (1 token: no tpot)
 *         r3 e2e 6.0 ttft 2.0 tpot 4/4 = 1.0
 *   r4 failed after 2 tokens, r5 incomplete (arrived 8 s, censored at 10 s).
 *   e2e {1.5,2,3,6}: mean 3.125, p50 2.5, p90 3+0.7*3 = 5.1, p99 3+0.97*3 = 5.91
 *   ttft {0.5,1,2,2}: mean 1.375, p50 1.5, p90 2, p99 2
 *   tpot {0.5,0.5,1}: mean 2/3, p50 0.5, p90 0.5+0.8*0.5 = 0.9, p99 0.99
 *   tokens 5+3+1+5+2+0 = 16 -> 1.6 tokens/s; 4 ok -> 0.4 requests/s
 *   time in system (ok + incomplete): (12.5 + 2) / 5 = 2.9
 *   utilisation 5/10 and 2/10: mean 0.35, max 0.5
 *   recovery: retries 1 + 3 = 4 (2 requests retried); dead sends r1 1 + r4 2
 *   = 3 (2 requests); recomputed 11 + 30 = 41 positions; recovery 0.5 +
 *   1.5 = 2 s, mean over the 2 retried requests 1 s; hops 3+2+2+3+1 = 11
 *   over 5 routed requests (r5 never routed): route length mean 2.2 */
typedef struct fixture {
    sim_request_rec req[6];
    sim_node_rec node[2];
    sim_route_rec route[7];
    sim_results r;
} fixture;

static void fixture_fill(fixture *f)
{
    memset(f, 0, sizeof *f);
    static const sim_route_rec route[7] = {{3, 1}, {7, 1}, {12, 1}, {3, 1},
                                           {12, 1}, {7, 1}, {12, 1}};
    memcpy(f->route, route, sizeof route);
    /* id, arrival, first, finish, prompt, out, done, retries, status, off, len,
     * dead sends, hops, recomputed, recovery, truncated */
    const sim_request_rec req[6] = {
        {0, S_NS(0), S_NS(1), S_NS(3), 10, 5, 5, 0, SIM_REQUEST_OK, 0, 3, 0, 3, 0, 0, 0},
        {1, S_NS(1), S_NS(1.5), S_NS(2.5), 11, 3, 3, 1, SIM_REQUEST_OK, 3, 2, 1, 2, 11, S_NS(0.5), 0},
        {2, S_NS(2), S_NS(4), S_NS(4), 12, 1, 1, 0, SIM_REQUEST_OK, 5, 2, 0, 2, 0, 0, 1},
        {3, S_NS(3), S_NS(5), S_NS(9), 13, 5, 5, 0, SIM_REQUEST_OK, 0, 3, 0, 3, 0, 0, 0},
        {4, S_NS(4), S_NS(6), -1, 14, 10, 2, 3, SIM_REQUEST_FAILED, 0, 1, 2, 1, 30, S_NS(1.5), 0},
        {5, S_NS(8), -1, -1, 15, 4, 0, 0, SIM_REQUEST_INCOMPLETE, 0, 0, 0, 0, 0, 0, 0},
    };
    memcpy(f->req, req, sizeof req);
    /* Nodes deliberately out of id order: the report and digest sort them. */
    f->node[0] = (sim_node_rec){.id = 7, .first_block = 16, .end_block = 32,
                                .busy_ns = S_NS(2), .bytes_in = 4096, .bytes_out = 8192,
                                .failures = 1, .down_ns = S_NS(1), .kv_peak_bytes = 1u << 20,
                                .n_tasks = 9};
    strcpy(f->node[0].name, "beta");
    strcpy(f->node[0].region, "eu-west");
    f->node[1] = (sim_node_rec){.id = 3, .first_block = 0, .end_block = 16,
                                .busy_ns = S_NS(5), .bytes_in = 1000, .bytes_out = 3000000000000ull,
                                .failures = 0, .kv_peak_bytes = 123456789, .n_tasks = 11};
    strcpy(f->node[1].name, "alpha");
    strcpy(f->node[1].region, "us-east");
    f->r = (sim_results){.seed = UINT64_MAX, .end_ns = S_NS(10), .n_events = 12345,
                         .n_requests = 6, .requests = f->req, .n_nodes = 2, .nodes = f->node,
                         .n_route = 7, .route = f->route};
}

static const ana_run_info info_default = {
    .scenario_name = "tiny",
    .scenario_json = "{\"name\":\"tiny\",\"seed\":1}",
    .version = "0.1.0",
    .status = "ok",
    .blas_core = "Haswell",
    .wall_seconds = 0.25,
    .created_at_wall = "2024-01-01T00:00:00Z",
};

static ana_db *open_db(const char *path)
{
    ana_db *db = NULL;
    char err[512] = "";
    ss_status s = ana_db_open(path, NULL, &db, err, sizeof err);
    ck_assert_msg(s == SS_OK, "open %s: %s", path, err);
    return db;
}

static int64_t store(ana_db *db, const ana_run_info *info, const sim_results *r)
{
    int64_t id = -1;
    char err[512] = "";
    ss_status s = ana_store_run(db, info, r, 1, &id, err, sizeof err);
    ck_assert_msg(s == SS_OK, "store: %s", err);
    ck_assert_int_gt(id, 0);
    return id;
}

/* Plain SQLite access for checking, independent of analysis/. */
static sqlite3 *raw_open(const char *path)
{
    sqlite3 *h = NULL;
    ck_assert_int_eq(sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(h, 2000);
    return h;
}

static int64_t q_int(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
    ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s: no row", sql);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static double q_double(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
    ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s: no row", sql);
    double v = sqlite3_column_type(st, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

static const char *q_text(sqlite3 *h, const char *sql)
{
    static char buf[4][1024];
    static int k;
    k = (k + 1) % 4;
    sqlite3_stmt *st;
    ck_assert_msg(sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
    ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s: no row", sql);
    const unsigned char *t = sqlite3_column_text(st, 0);
    snprintf(buf[k], sizeof buf[k], "%s", t ? (const char *)t : "(null)");
    sqlite3_finalize(st);
    return buf[k];
}

static void raw_exec(sqlite3 *h, const char *sql)
{
    ck_assert_msg(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void assert_file_unchanged(const char *path, const void *want, size_t n)
{
    size_t got_n;
    char *got = read_file(path, &got_n);
    ck_assert_uint_eq(got_n, n);
    ck_assert_msg(memcmp(got, want, n) == 0, "%s was modified", path);
    free(got);
}

/* ---------- SHA-256 ---------- */

START_TEST(test_sha256_matches_fips_180_vectors)
{
    char hex[65];
    ana_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ana_sha256_hex("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    ana_sha256_hex(m448, strlen(m448), hex);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

START_TEST(test_sha256_of_a_million_a_streamed_in_odd_pieces)
{
    /* FIPS 180 long vector, fed in 1..97-byte pieces to cross every block
     * boundary case of the buffering. */
    static char a[1000000];
    memset(a, 'a', sizeof a);
    ana_sha256 c;
    uint8_t d[32];
    char hex[65];
    ana_sha256_init(&c);
    size_t off = 0, piece = 1;
    while (off < sizeof a) {
        size_t n = piece < sizeof a - off ? piece : sizeof a - off;
        ana_sha256_update(&c, a + off, n);
        off += n;
        piece = piece % 97 + 1;
    }
    ana_sha256_final(&c, d);
    ana_sha256_to_hex(d, hex);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    /* 55, 56, 63, 64 bytes: the padding edge cases, against the one-shot path. */
    for (size_t n = 55; n <= 65; n++) {
        char h1[65], h2[65];
        ana_sha256_hex(a, n, h1);
        ana_sha256_init(&c);
        ana_sha256_update(&c, a, n / 2);
        ana_sha256_update(&c, a + n / 2, n - n / 2);
        ana_sha256_final(&c, d);
        ana_sha256_to_hex(d, h2);
        ck_assert_str_eq(h1, h2);
    }
    ana_sha256_hex(a, 64, hex);
    ck_assert_str_eq(hex, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}
END_TEST

/* ---------- metrics ---------- */

#define TOL 1e-12

START_TEST(test_quantile_interpolates_linearly_at_rank_n_minus_1_times_q)
{
    const double x[4] = {1, 2, 3, 4};
    ck_assert_double_eq_tol(ana_quantile_sorted(x, 4, 0.0), 1.0, TOL);
    ck_assert_double_eq_tol(ana_quantile_sorted(x, 4, 0.5), 2.5, TOL);
    ck_assert_double_eq_tol(ana_quantile_sorted(x, 4, 0.9), 3.7, TOL);
    ck_assert_double_eq_tol(ana_quantile_sorted(x, 4, 1.0), 4.0, TOL);
    ck_assert_double_eq_tol(ana_quantile_sorted(x, 1, 0.99), 1.0, TOL);
    ck_assert(isnan(ana_quantile_sorted(x, 0, 0.5)));
}
END_TEST

START_TEST(test_metrics_match_hand_computation)
{
    fixture f;
    fixture_fill(&f);
    ana_metrics m;
    char err[256] = "";
    ck_assert_int_eq(ana_metrics_compute(&f.r, &m, err, sizeof err), SS_OK);
    ck_assert_int_eq(m.n_requests, 6);
    ck_assert_int_eq(m.n_ok, 4);
    ck_assert_int_eq(m.n_failed, 1);
    ck_assert_int_eq(m.n_incomplete, 1);
    ck_assert_int_eq(m.tokens_done, 16);
    ck_assert_int_eq(m.e2e_s.n, 4);
    ck_assert_double_eq_tol(m.e2e_s.mean, 3.125, TOL);
    ck_assert_double_eq_tol(m.e2e_s.p50, 2.5, TOL);
    ck_assert_double_eq_tol(m.e2e_s.p90, 5.1, TOL);
    ck_assert_double_eq_tol(m.e2e_s.p99, 5.91, TOL);
    ck_assert_int_eq(m.ttft_s.n, 4);
    ck_assert_double_eq_tol(m.ttft_s.mean, 1.375, TOL);
    ck_assert_double_eq_tol(m.ttft_s.p50, 1.5, TOL);
    ck_assert_double_eq_tol(m.ttft_s.p90, 2.0, TOL);
    ck_assert_double_eq_tol(m.ttft_s.p99, 2.0, TOL);
    ck_assert_int_eq(m.tpot_s.n, 3);
    ck_assert_double_eq_tol(m.tpot_s.mean, 2.0 / 3.0, TOL);
    ck_assert_double_eq_tol(m.tpot_s.p50, 0.5, TOL);
    ck_assert_double_eq_tol(m.tpot_s.p90, 0.9, TOL);
    ck_assert_double_eq_tol(m.tpot_s.p99, 0.99, TOL);
    ck_assert_double_eq_tol(m.throughput_tokens_per_s, 1.6, TOL);
    ck_assert_double_eq_tol(m.throughput_requests_per_s, 0.4, TOL);
    ck_assert_double_eq_tol(m.utilisation_mean, 0.35, TOL);
    ck_assert_double_eq_tol(m.utilisation_max, 0.5, TOL);
    ck_assert_double_eq_tol(m.time_in_system_mean_s, 2.9, TOL);
    /* request 1 survived a failure; node beta was down 1 of 10 s */
    ck_assert_int_eq(m.n_recovered, 1);
    ck_assert_int_eq(m.retries_total, 4);
    ck_assert_int_eq(m.dead_sends_total, 3);
    ck_assert_int_eq(m.n_truncated, 1); /* request 2 */
    ck_assert_int_eq(m.n_sent_to_dead, 2);
    ck_assert_int_eq(m.tokens_recomputed_total, 41);
    ck_assert_double_eq_tol(m.recovery_s_total, 2.0, 1e-12);
    ck_assert_double_eq_tol(m.recovery_s_mean, 1.0, 1e-12);
    ck_assert_double_eq_tol(m.route_len_mean, 2.2, 1e-12);
    ck_assert_double_eq_tol(m.availability_mean, (0.9 + 1.0) / 2, TOL);
    ck_assert_double_eq_tol(m.bytes_sent_total, 8192.0 + 3e12, TOL);
    ck_assert(isnan(m.slo_attainment) && isnan(m.goodput_requests_per_s)); /* no SLO */
    /* SLO TTFT <= 1.5 s, TPOT <= 0.6 s: requests 0 (1 s, 0.5 s/token) and 1
     * (0.5 s, 0.5 s/token) meet it; 2 and 3 wait 2 s for their first token */
    f.r.slo_ttft_s = 1.5;
    f.r.slo_tpot_s = 0.6;
    ck_assert_int_eq(ana_metrics_compute(&f.r, &m, err, sizeof err), SS_OK);
    ck_assert_double_eq_tol(m.slo_attainment, 2.0 / 6.0, TOL);
    ck_assert_double_eq_tol(m.goodput_requests_per_s, 0.2, TOL);
    /* The name table and the struct agree. */
    ck_assert_uint_eq(ana_metrics_count(), 41);
    /* moves and downloads are copied from the results: 2 + 1, 90.5 s */
    ck_assert_int_eq(m.rebalance_moves, 0);
    f.r.n_rebalance_moves = 2;
    f.r.n_rejoin_moves = 1;
    f.r.download_ns = 90500000000LL;
    ck_assert_int_eq(ana_metrics_compute(&f.r, &m, err, sizeof err), SS_OK);
    ck_assert_int_eq(m.rebalance_moves, 2);
    ck_assert_int_eq(m.rejoin_moves, 1);
    ck_assert_double_eq_tol(m.span_download_s, 90.5, 1e-12);
    ck_assert_str_eq(ana_metrics_name(7), "e2e_s_p50");
    ck_assert_double_eq_tol(ana_metrics_value(&m, 7), 2.5, TOL);
    ck_assert_ptr_null(ana_metrics_name(ana_metrics_count()));
}
END_TEST

START_TEST(test_metrics_of_an_empty_run_are_undefined_not_zero)
{
    sim_results r = {0};
    ana_metrics m;
    ck_assert_int_eq(ana_metrics_compute(&r, &m, NULL, 0), SS_OK);
    ck_assert_int_eq(m.n_requests, 0);
    ck_assert(isnan(m.e2e_s.p50));
    ck_assert(isnan(m.tpot_s.mean));
    ck_assert(isnan(m.throughput_tokens_per_s));
    ck_assert(isnan(m.utilisation_max));
    ck_assert(isnan(m.time_in_system_mean_s));
}
END_TEST

START_TEST(test_metrics_reject_an_ok_request_whose_times_are_out_of_order)
{
    fixture f;
    fixture_fill(&f);
    f.req[2].finish_ns = S_NS(1); /* before its arrival at 2 s */
    ana_metrics m;
    char err[256] = "";
    ck_assert_int_eq(ana_metrics_compute(&f.r, &m, err, sizeof err), SS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "request 2"));
}
END_TEST

/* ---------- schema ---------- */

START_TEST(test_new_database_has_the_current_schema_application_id_and_wal)
{
    ana_db *db = open_db(tpath("r.db"));
    ck_assert_int_eq(ana_db_schema_version(db), ANA_SCHEMA_VERSION);
    ana_db_close(db);
    sqlite3 *h = raw_open(tpath("r.db"));
    ck_assert_int_eq(q_int(h, "PRAGMA application_id"), ANA_APPLICATION_ID);
    ck_assert_int_eq(q_int(h, "PRAGMA user_version"), ANA_SCHEMA_VERSION);
    ck_assert_int_eq(q_int(h, "SELECT max(version) FROM schema_version"), ANA_SCHEMA_VERSION);
    ck_assert_str_eq(q_text(h, "PRAGMA journal_mode"), "wal");
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name IN"
                              " ('runs','requests','nodes','metrics','accuracy','schema_version')"), 6);
    sqlite3_close(h);
    /* Reopening an up-to-date file changes nothing. */
    db = open_db(tpath("r.db"));
    ana_db_close(db);
    h = raw_open(tpath("r.db"));
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM schema_version"), ANA_SCHEMA_VERSION);
    sqlite3_close(h);
}
END_TEST

/* Schema v6's additions, undone: what a v5 file looks like. */
#define UNDO_V6                                                                             \
    "ALTER TABLE requests DROP COLUMN truncated; DELETE FROM schema_version WHERE version = 6;"

/* Schema v5's and v6's additions, undone: what a v4 file looks like. */
#define UNDO_V5                                                                             \
    UNDO_V6 " DROP TABLE route_decisions; DROP TABLE node_events; DROP TABLE hop_events;"            \
    " DROP TABLE event_records; DELETE FROM schema_version WHERE version = 5;"

/* Schema v4's and v5's additions, undone: what a v3 file looks like. */
#define UNDO_V4                                                                             \
    UNDO_V5 " ALTER TABLE requests DROP COLUMN dead_sends; ALTER TABLE requests DROP COLUMN hops;"   \
    " ALTER TABLE requests DROP COLUMN tokens_recomputed;"                                  \
    " ALTER TABLE requests DROP COLUMN recovery_s; DELETE FROM schema_version WHERE version = 4;"

/* Schema v3's and v4's additions, undone: what a v2 file looks like. */
static const char undo_v3[] =
    UNDO_V4 " DROP INDEX sweep_points_run; DROP TABLE sweep_points; DROP TABLE sweeps;"
    " ALTER TABLE runs DROP COLUMN build_id; DELETE FROM schema_version WHERE version = 3;";

/* A file written by schema v3 (no recovery columns in requests) migrates to
 * v4 in place: its request rows read 0 in the new columns, new runs store
 * them. */
START_TEST(test_open_migrates_a_v3_database_with_recovery_columns_zero)
{
    ana_db *db = open_db(tpath("v3.db"));
    fixture f;
    fixture_fill(&f);
    store(db, &info_default, &f.r);
    ana_db_close(db);
    sqlite3 *h = raw_open(tpath("v3.db"));
    raw_exec(h, "BEGIN; " UNDO_V4 " PRAGMA user_version = 3; COMMIT;");
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM pragma_table_info('requests') WHERE name ="
                              " 'dead_sends'"), 0);
    sqlite3_close(h);
    db = open_db(tpath("v3.db"));
    ck_assert_int_eq(ana_db_schema_version(db), ANA_SCHEMA_VERSION);
    ana_db_close(db);
    h = raw_open(tpath("v3.db"));
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM requests"), 6);
    ck_assert_int_eq(q_int(h, "SELECT sum(dead_sends) + sum(hops) + sum(tokens_recomputed) +"
                              " sum(recovery_s) FROM requests"), 0);
    ck_assert_str_eq(q_text(h, "SELECT description FROM schema_version WHERE version = 4"),
                     "v4: requests.dead_sends, hops, tokens_recomputed, recovery_s (recovery "
                     "and routing)");
    sqlite3_close(h);
}
END_TEST

/* A file written by schema v1 (no nodes.down_s) migrates to the current
 * schema in place: its runs survive, old node rows read down_s = 0, new
 * runs store it. */
START_TEST(test_open_migrates_a_v1_database_keeping_its_runs)
{
    ana_db *db = open_db(tpath("v1.db"));
    fixture f;
    fixture_fill(&f);
    store(db, &info_default, &f.r);
    ana_db_close(db);
    sqlite3 *h = raw_open(tpath("v1.db"));
    char sql[1024];
    snprintf(sql, sizeof sql, "BEGIN; %s ALTER TABLE nodes DROP COLUMN down_s; DELETE FROM"
                              " schema_version WHERE version = 2; PRAGMA user_version = 1; COMMIT;",
             undo_v3);
    raw_exec(h, sql);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM pragma_table_info('nodes') WHERE name ="
                              " 'down_s'"), 0);
    sqlite3_close(h);
    db = open_db(tpath("v1.db"));
    ck_assert_int_eq(ana_db_schema_version(db), ANA_SCHEMA_VERSION);
    ana_db_close(db);
    h = raw_open(tpath("v1.db"));
    ck_assert_int_eq(q_int(h, "PRAGMA user_version"), ANA_SCHEMA_VERSION);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM nodes WHERE down_s = 0"),
                     q_int(h, "SELECT count(*) FROM nodes"));
    ck_assert_str_eq(q_text(h, "SELECT description FROM schema_version WHERE version = 2"),
                     "v2: nodes.down_s (time each node spent failed)");
    sqlite3_close(h);
}
END_TEST

/* A v2 file (no build identity, no sweep tables) migrates to v3 in one
 * transaction: its runs keep their rows, keys and digests, read build_id
 * NULL, and are still found by their (build-less) keys. */
START_TEST(test_open_migrates_a_v2_database_keeping_its_runs_and_digests)
{
    ana_db *db = open_db(tpath("v2.db"));
    fixture f;
    fixture_fill(&f);
    /* a v2 file has no recovery columns: its rows read 0 there after migrating */
    for (int i = 0; i < f.r.n_requests; i++) {
        f.r.requests[i].dead_sends = f.r.requests[i].hops = 0;
        f.r.requests[i].tokens_recomputed = f.r.requests[i].recovery_ns = 0;
        f.r.requests[i].truncated = 0; /* nor the v6 column */
    }
    int64_t id = store(db, &info_default, &f.r);
    char before[65], after[65], err[512] = "", key[ANA_RUN_KEY_MAX];
    ck_assert_int_eq(ana_run_digest(db, id, before, err, sizeof err), SS_OK);
    ana_db_close(db);
    sqlite3 *h = raw_open(tpath("v2.db"));
    char sql[1024];
    snprintf(sql, sizeof sql, "BEGIN; %s PRAGMA user_version = 2; COMMIT;", undo_v3);
    raw_exec(h, sql);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM pragma_table_info('runs') WHERE name ="
                              " 'build_id'"), 0);
    sqlite3_close(h);
    db = open_db(tpath("v2.db"));
    ck_assert_int_eq(ana_db_schema_version(db), ANA_SCHEMA_VERSION);
    ck_assert_int_eq(ana_run_digest(db, id, after, err, sizeof err), SS_OK);
    ck_assert_str_eq(before, after);
    ck_assert_int_eq(ana_run_key(info_default.scenario_json, f.r.seed, "0.1.0", key, sizeof key),
                     SS_OK);
    int64_t found = 0;
    ck_assert_int_eq(ana_run_find(db, key, &found, err, sizeof err), SS_OK);
    ck_assert_int_eq(found, id);
    ana_db_close(db);
    h = raw_open(tpath("v2.db"));
    ck_assert_int_eq(q_int(h, "PRAGMA user_version"), ANA_SCHEMA_VERSION);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM runs WHERE build_id IS NULL"), 1);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM sweeps"), 0);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM sweep_points"), 0);
    ck_assert_str_eq(q_text(h, "SELECT description FROM schema_version WHERE version = 3"),
                     "v3: runs.build_id (the build's identity, part of run_key), sweeps, "
                     "sweep_points");
    sqlite3_close(h);
}
END_TEST

START_TEST(test_open_migrates_an_empty_but_valid_database)
{
    /* 0-byte file, and a valid SQLite file with no tables left. */
    write_file(tpath("zero.db"), "", 0);
    sqlite3 *h = raw_open(tpath("zero.db"));
    sqlite3_close(h);
    ana_db *db = open_db(tpath("zero.db"));
    ck_assert_int_eq(ana_db_schema_version(db), ANA_SCHEMA_VERSION);
    ana_db_close(db);

    ck_assert_int_eq(sqlite3_open(tpath("v0.db"), &h), SQLITE_OK);
    raw_exec(h, "CREATE TABLE t(x); DROP TABLE t;");
    sqlite3_close(h);
    db = open_db(tpath("v0.db"));
    ck_assert_int_eq(ana_db_schema_version(db), ANA_SCHEMA_VERSION);
    fixture f;
    fixture_fill(&f);
    store(db, &info_default, &f.r);
    ana_db_close(db);
}
END_TEST

/* One version past this build's schema, as a literal for PRAGMA text. */
#define ANA_SCHEMA_VERSION_NEXT 7
_Static_assert(ANA_SCHEMA_VERSION_NEXT == ANA_SCHEMA_VERSION + 1, "update with the schema");
#define SS_STR_(x) #x
#define SS_STR(x) SS_STR_(x)

START_TEST(test_open_refuses_a_newer_schema_version)
{
    ana_db_close(open_db(tpath("r.db")));
    sqlite3 *h = raw_open(tpath("r.db"));
    raw_exec(h, "PRAGMA user_version=" SS_STR(ANA_SCHEMA_VERSION_NEXT));
    sqlite3_close(h);
    ana_db *db = (ana_db *)1;
    char err[512] = "";
    ck_assert_int_eq(ana_db_open(tpath("r.db"), NULL, &db, err, sizeof err), SS_EVERSION);
    ck_assert_ptr_null(db);
    ck_assert_ptr_nonnull(strstr(err, "r.db"));
    ck_assert_ptr_nonnull(strstr(err, "version " SS_STR(ANA_SCHEMA_VERSION_NEXT)));
    h = raw_open(tpath("r.db"));
    ck_assert_int_eq(q_int(h, "PRAGMA user_version"), ANA_SCHEMA_VERSION_NEXT);
    sqlite3_close(h);
}
END_TEST

START_TEST(test_open_refuses_a_foreign_application_id_and_leaves_it_alone)
{
    sqlite3 *h;
    ck_assert_int_eq(sqlite3_open(tpath("other.db"), &h), SQLITE_OK);
    raw_exec(h, "PRAGMA application_id=1234; CREATE TABLE mine(x); INSERT INTO mine VALUES (1);");
    sqlite3_close(h);
    size_t n;
    char *before = read_file(tpath("other.db"), &n);
    ana_db *db;
    char err[512] = "";
    ck_assert_int_eq(ana_db_open(tpath("other.db"), NULL, &db, err, sizeof err), SS_ESCHEMA);
    ck_assert_ptr_nonnull(strstr(err, "not a shardsim results database"));
    assert_file_unchanged(tpath("other.db"), before, n);
    free(before);
    /* Same for application_id 0 with someone else's tables in it. */
    ck_assert_int_eq(sqlite3_open(tpath("plain.db"), &h), SQLITE_OK);
    raw_exec(h, "CREATE TABLE runs(x)");
    sqlite3_close(h);
    ck_assert_int_eq(ana_db_open(tpath("plain.db"), NULL, &db, err, sizeof err), SS_ESCHEMA);
}
END_TEST

START_TEST(test_open_refuses_a_schema_version_table_that_disagrees_with_user_version)
{
    ana_db_close(open_db(tpath("r.db")));
    sqlite3 *h = raw_open(tpath("r.db"));
    raw_exec(h, "DELETE FROM schema_version");
    sqlite3_close(h);
    ana_db *db;
    char err[512] = "";
    ck_assert_int_eq(ana_db_open(tpath("r.db"), NULL, &db, err, sizeof err), SS_EDB);
    ck_assert_ptr_nonnull(strstr(err, "inconsistent"));
}
END_TEST

START_TEST(test_open_refuses_garbage_and_does_not_overwrite_it)
{
    char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (char)(i * 131 + 7);
    write_file(tpath("junk.db"), junk, sizeof junk);
    ana_db *db = (ana_db *)1;
    char err[512] = "";
    ck_assert_int_eq(ana_db_open(tpath("junk.db"), NULL, &db, err, sizeof err), SS_EDB);
    ck_assert_ptr_null(db);
    ck_assert_ptr_nonnull(strstr(err, "junk.db"));
    assert_file_unchanged(tpath("junk.db"), junk, sizeof junk);
    /* A text file too (SQLite would report SQLITE_NOTADB on first read). */
    const char *txt = "hello, I am not a database\n";
    write_file(tpath("t.db"), txt, strlen(txt));
    ck_assert_int_eq(ana_db_open(tpath("t.db"), NULL, &db, err, sizeof err), SS_EDB);
    assert_file_unchanged(tpath("t.db"), txt, strlen(txt));
}
END_TEST

START_TEST(test_open_refuses_truncated_databases_and_does_not_overwrite_them)
{
    ana_db *db = open_db(tpath("full.db"));
    fixture f;
    fixture_fill(&f);
    store(db, &info_default, &f.r);
    ana_db_close(db); /* checkpoints the WAL into the main file and removes it */
    size_t n;
    char *whole = read_file(tpath("full.db"), &n);
    ck_assert_uint_gt(n, 4096);
    const size_t cuts[] = {n / 2, n - 100, 50, 99, 100};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_file(tpath("cut.db"), whole, cuts[i]);
        char err[512] = "";
        ss_status s = ana_db_open(tpath("cut.db"), NULL, &db, err, sizeof err);
        ck_assert_msg(s == SS_EDB, "cut at %zu: got %s (%s)", cuts[i], ss_status_name(s), err);
        ck_assert_ptr_nonnull(strstr(err, "cut.db"));
        assert_file_unchanged(tpath("cut.db"), whole, cuts[i]);
    }
    free(whole);
}
END_TEST

START_TEST(test_open_reports_a_directory_and_a_missing_parent)
{
    ana_db *db;
    char err[512] = "";
    ck_assert_int_eq(ana_db_open(tmpdir, NULL, &db, err, sizeof err), SS_EIO);
    ck_assert_ptr_nonnull(strstr(err, "directory"));
    ck_assert_int_eq(ana_db_open(tpath("no/such/dir/r.db"), NULL, &db, err, sizeof err), SS_EIO);
    ck_assert_ptr_nonnull(strstr(err, "parent directory"));
    const ana_db_cfg ro = {.readonly = 1};
    ck_assert_int_eq(ana_db_open(tpath("missing.db"), &ro, &db, err, sizeof err), SS_ENOENT);
    ck_assert_int_eq(access(tpath("missing.db"), F_OK), -1);
}
END_TEST

START_TEST(test_read_only_open_of_an_empty_file_refuses_to_create_the_schema)
{
    write_file(tpath("empty.db"), "", 0);
    const ana_db_cfg ro = {.readonly = 1};
    ana_db *db;
    char err[512] = "";
    ck_assert_int_eq(ana_db_open(tpath("empty.db"), &ro, &db, err, sizeof err), SS_EREADONLY);
    struct stat sb;
    ck_assert_int_eq(stat(tpath("empty.db"), &sb), 0);
    ck_assert_int_eq(sb.st_size, 0);
}
END_TEST

/* ---------- store ---------- */

/* A hop never bound (late binding: the request ended before a replica took
 * it) is stored as "?", not as a made-up negative node id. */
START_TEST(test_store_writes_an_unbound_hop_as_a_question_mark)
{
    ana_db *db = open_db(tpath("r.db"));
    fixture f;
    fixture_fill(&f);
    f.route[2] = (sim_route_rec){.node = -1, .bound = 0};
    ck_assert_int_eq(store(db, &info_default, &f.r), 1);
    ana_db_close(db);
    sqlite3 *h = raw_open(tpath("r.db"));
    ck_assert_str_eq(q_text(h, "SELECT route FROM requests WHERE id=0"), "3>7>?");
    sqlite3_close(h);
}
END_TEST

START_TEST(test_store_reads_back_exact_values)
{
    ana_db *db = open_db(tpath("r.db"));
    fixture f;
    fixture_fill(&f);
    int64_t id = store(db, &info_default, &f.r);
    ck_assert_int_eq(id, 1);
    ana_db_close(db);

    sqlite3 *h = raw_open(tpath("r.db"));
    char want_key[ANA_RUN_KEY_MAX], sha[65];
    ck_assert_int_eq(ana_run_key(info_default.scenario_json, UINT64_MAX, "0.1.0", want_key, sizeof want_key), SS_OK);
    ana_sha256_hex(info_default.scenario_json, strlen(info_default.scenario_json), sha);
    ck_assert_str_eq(q_text(h, "SELECT run_key FROM runs WHERE id=1"), want_key);
    ck_assert_ptr_nonnull(strstr(want_key, ":18446744073709551615:0.1.0"));
    ck_assert_str_eq(q_text(h, "SELECT scenario_sha256 FROM runs"), sha);
    ck_assert_str_eq(q_text(h, "SELECT seed FROM runs"), "18446744073709551615");
    ck_assert_str_eq(q_text(h, "SELECT typeof(seed) FROM runs"), "text");
    ck_assert_str_eq(q_text(h, "SELECT scenario_name || '|' || version || '|' || status || '|' || blas_core FROM runs"),
                     "tiny|0.1.0|ok|Haswell");
    ck_assert_str_eq(q_text(h, "SELECT scenario_json FROM runs"), info_default.scenario_json);
    ck_assert(q_double(h, "SELECT sim_end_s FROM runs") == 10.0);
    ck_assert_int_eq(q_int(h, "SELECT n_events FROM runs"), 12345);
    ck_assert_int_eq(q_int(h, "SELECT requests_recorded FROM runs"), 1);
    ck_assert(q_double(h, "SELECT wall_seconds FROM runs") == 0.25);
    ck_assert_str_eq(q_text(h, "SELECT created_at_wall FROM runs"), "2024-01-01T00:00:00Z");

    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM requests WHERE run_id=1"), 6);
    ck_assert(q_double(h, "SELECT arrival_s FROM requests WHERE id=1") == (double)S_NS(1) / 1e9);
    ck_assert(q_double(h, "SELECT first_token_s FROM requests WHERE id=1") == (double)S_NS(1.5) / 1e9);
    ck_assert(q_double(h, "SELECT finish_s FROM requests WHERE id=1") == 2.5);
    ck_assert_str_eq(q_text(h, "SELECT route FROM requests WHERE id=0"), "3>7>12");
    ck_assert_str_eq(q_text(h, "SELECT route FROM requests WHERE id=2"), "7>12");
    ck_assert_str_eq(q_text(h, "SELECT route FROM requests WHERE id=5"), "");
    ck_assert_str_eq(q_text(h, "SELECT status FROM requests WHERE id=4"), "failed");
    ck_assert_str_eq(q_text(h, "SELECT status FROM requests WHERE id=5"), "incomplete");
    ck_assert_int_eq(q_int(h, "SELECT finish_s IS NULL AND first_token_s IS NULL FROM requests WHERE id=5"), 1);
    ck_assert_int_eq(q_int(h, "SELECT prompt_tokens*1000000 + output_tokens*10000 + tokens_done*100 + retries"
                              " FROM requests WHERE id=4"), 14100203);

    ck_assert_str_eq(q_text(h, "SELECT group_concat(name, ',') FROM (SELECT name FROM nodes ORDER BY id)"),
                     "alpha,beta");
    ck_assert_int_eq(q_int(h, "SELECT bytes_out FROM nodes WHERE id=3"), 3000000000000ll);
    ck_assert_int_eq(q_int(h, "SELECT kv_peak_bytes FROM nodes WHERE id=3"), 123456789);
    ck_assert(q_double(h, "SELECT utilisation FROM nodes WHERE id=3") == 0.5);
    ck_assert(q_double(h, "SELECT busy_s FROM nodes WHERE id=7") == 2.0);
    ck_assert_str_eq(q_text(h, "SELECT region || ' ' || first_block || '-' || end_block || ' ' || failures"
                               " || ' ' || n_tasks || ' ' || bytes_in FROM nodes WHERE id=7"),
                     "eu-west 16-32 1 9 4096");

    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM metrics WHERE run_id=1"), (int64_t)ana_metrics_count());
    ck_assert_int_eq(q_int(h, "SELECT value FROM metrics WHERE name='n_ok'"), 4);
    ck_assert_double_eq_tol(q_double(h, "SELECT value FROM metrics WHERE name='e2e_s_p90'"), 5.1, TOL);
    ck_assert_double_eq_tol(q_double(h, "SELECT value FROM metrics WHERE name='tpot_s_p99'"), 0.99, TOL);
    ck_assert_str_eq(q_text(h, "PRAGMA integrity_check"), "ok");
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    sqlite3_close(h);
}
END_TEST

START_TEST(test_store_without_request_recording_writes_no_request_rows)
{
    ana_db *db = open_db(tpath("r.db"));
    fixture f;
    fixture_fill(&f);
    int64_t id;
    ck_assert_int_eq(ana_store_run(db, &info_default, &f.r, 0, &id, NULL, 0), SS_OK);
    ana_db_close(db);
    sqlite3 *h = raw_open(tpath("r.db"));
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM requests"), 0);
    ck_assert_int_eq(q_int(h, "SELECT requests_recorded FROM runs"), 0);
    ck_assert_int_eq(q_int(h, "SELECT n_requests FROM runs"), 6);
    ck_assert_int_eq(q_int(h, "SELECT value FROM metrics WHERE name='n_requests'"), 6);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM nodes"), 2);
    sqlite3_close(h);
}
END_TEST

START_TEST(test_store_stores_undefined_metrics_of_an_empty_run_as_null)
{
    ana_db *db = open_db(tpath("r.db"));
    sim_results r = {.seed = 5};
    store(db, &info_default, &r);
    ana_db_close(db);
    sqlite3 *h = raw_open(tpath("r.db"));
    ck_assert_int_eq(q_int(h, "SELECT value IS NULL FROM metrics WHERE name='e2e_s_p50'"), 1);
    ck_assert_int_eq(q_int(h, "SELECT value FROM metrics WHERE name='n_requests'"), 0);
    sqlite3_close(h);
}
END_TEST

START_TEST(test_store_rejects_inconsistent_results_and_writes_nothing)
{
    ana_db *db = open_db(tpath("r.db"));
    fixture f;
    fixture_fill(&f);
    char err[512] = "";
    int64_t id = 99;
    f.req[3].route_off = 6; /* 6 + 3 > 7 route nodes */
    ck_assert_int_eq(ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(id, 0);
    ck_assert_ptr_nonnull(strstr(err, "requests[3]"));
    fixture_fill(&f);
    memset(f.node[1].name, 'x', sizeof f.node[1].name); /* no NUL */
    ck_assert_int_eq(ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err), SS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "nodes[1]"));
    fixture_fill(&f);
    strcpy(f.node[0].region, "\xc3\x28"); /* invalid UTF-8 */
    ck_assert_int_eq(ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err), SS_EINVAL);
    fixture_fill(&f);
    f.node[0].bytes_in = (uint64_t)INT64_MAX + 1;
    ck_assert_int_eq(ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err), SS_ERANGE);
    fixture_fill(&f);
    ana_run_info bad = info_default;
    bad.wall_seconds = NAN;
    ck_assert_int_eq(ana_store_run(db, &bad, &f.r, 1, &id, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(q_int(ana_db_sqlite(db), "SELECT count(*) FROM runs"), 0);
    ana_db_close(db);
}
END_TEST

START_TEST(test_storing_the_same_run_key_twice_keeps_one_copy)
{
    ana_db *db = open_db(tpath("r.db"));
    fixture f;
    fixture_fill(&f);
    int64_t first = store(db, &info_default, &f.r);
    /* A rerun after a crash: same scenario, seed and version, different wall time. */
    ana_run_info again = info_default;
    again.wall_seconds = 9.0;
    int64_t id = 0;
    char err[512] = "";
    ck_assert_int_eq(ana_store_run(db, &again, &f.r, 1, &id, err, sizeof err), SS_EEXIST);
    ck_assert_int_eq(id, first);
    ck_assert_ptr_nonnull(strstr(err, "already stored as run 1"));
    sqlite3 *h = ana_db_sqlite(db);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM runs"), 1);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM requests"), 6);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM nodes"), 2);
    ck_assert(q_double(h, "SELECT wall_seconds FROM runs") == 0.25);
    char key[ANA_RUN_KEY_MAX];
    ck_assert_int_eq(ana_run_key(info_default.scenario_json, f.r.seed, "0.1.0", key, sizeof key), SS_OK);
    int64_t found = 0;
    ck_assert_int_eq(ana_run_find(db, key, &found, err, sizeof err), SS_OK);
    ck_assert_int_eq(found, first);
    /* Another seed is another run. */
    f.r.seed = 2;
    ck_assert_int_eq(store(db, &info_default, &f.r), 2);
    ck_assert_int_eq(ana_run_find(db, "nope", &found, err, sizeof err), SS_ENOTFOUND);
    /* The answer is out of band: the status says "exists", not a message. */
    ck_assert_str_eq(ss_status_name(SS_EEXIST), "EEXIST");
    ck_assert_int_eq(ana_store_run(db, &again, &f.r, 1, &id, NULL, 0), SS_EEXIST);
    ck_assert_int_eq(id, 2);
    /* Any other failure leaves *run_id at 0, never a stale id. */
    ana_run_info bad = info_default;
    bad.version = NULL;
    ck_assert_int_eq(ana_store_run(db, &bad, &f.r, 1, &id, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(id, 0);
    ana_db_close(db);
}
END_TEST

START_TEST(test_store_gives_up_with_busy_while_another_writer_holds_the_lock)
{
    /* D01: a second connection holds BEGIN IMMEDIATE; the store must wait a
     * bounded time (50 ms x 3 attempts here), report SS_EBUSY, write nothing. */
    ana_db_close(open_db(tpath("r.db")));
    sqlite3 *other = raw_open(tpath("r.db"));
    raw_exec(other, "BEGIN IMMEDIATE");
    const ana_db_cfg cfg = {.busy_timeout_ms = 50, .busy_retries = 2};
    ana_db *db;
    char err[512] = "";
    ck_assert_int_eq(ana_db_open(tpath("r.db"), &cfg, &db, err, sizeof err), SS_OK);
    fixture f;
    fixture_fill(&f);
    int64_t id = 5;
    ck_assert_int_eq(ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err), SS_EBUSY);
    ck_assert_int_eq(id, 0);
    ck_assert_ptr_nonnull(strstr(err, "r.db"));
    ck_assert_ptr_nonnull(strstr(err, "3 waits"));
    raw_exec(other, "COMMIT");
    ck_assert_int_eq(q_int(other, "SELECT count(*) FROM runs"), 0);
    ck_assert_int_eq(q_int(other, "SELECT count(*) FROM requests"), 0);
    /* Lock released: the same call now succeeds. */
    ck_assert_int_eq(ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err), SS_OK);
    ck_assert_int_eq(q_int(other, "SELECT count(*) FROM runs"), 1);
    sqlite3_close(other);
    ana_db_close(db);
}
END_TEST

START_TEST(test_store_on_a_read_only_uri_is_refused)
{
    /* D03: root ignores chmod, so read-only comes from SQLite's mode=ro. */
    ana_db *db = open_db(tpath("r.db"));
    fixture f;
    fixture_fill(&f);
    store(db, &info_default, &f.r);
    ana_db_close(db);
    char uri[300];
    snprintf(uri, sizeof uri, "file:%s?mode=ro", tpath("r.db"));
    db = open_db(uri);
    f.r.seed = 77;
    int64_t id;
    char err[512] = "";
    ck_assert_int_eq(ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err), SS_EREADONLY);
    ck_assert_ptr_nonnull(strstr(err, "r.db"));
    /* Reading still works through the read-only handle. */
    char hex[65];
    ck_assert_int_eq(ana_run_digest(db, 1, hex, err, sizeof err), SS_OK);
    ck_assert_int_eq(q_int(ana_db_sqlite(db), "SELECT count(*) FROM runs"), 1);
    ana_db_close(db);
}
END_TEST

START_TEST(test_store_on_a_full_disk_leaves_no_partial_run_and_recovers)
{
    /* D05: max_page_count makes the file "full" a few pages past its size. */
    ana_db *db = open_db(tpath("r.db"));
    sqlite3 *h = ana_db_sqlite(db);
    enum { N = 3000 };
    static sim_request_rec req[N];
    fixture f;
    fixture_fill(&f);
    for (int i = 0; i < N; i++) {
        req[i] = f.req[i % 6];
        req[i].id = (uint64_t)i;
    }
    f.r.requests = req;
    f.r.n_requests = N;
    int64_t pages = q_int(h, "PRAGMA page_count");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count=%lld", (long long)pages + 3);
    q_int(h, sql);
    int64_t id = 1;
    char err[512] = "";
    ck_assert_int_eq(ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err), SS_EFULL);
    ck_assert_ptr_nonnull(strstr(err, "r.db"));
    ck_assert_int_eq(id, 0);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM runs"), 0);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM requests"), 0);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM metrics"), 0);
    q_int(h, "PRAGMA max_page_count=1000000");
    ck_assert_int_eq(ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err), SS_OK);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM requests"), N);
    ck_assert_str_eq(q_text(h, "PRAGMA integrity_check"), "ok");
    ana_db_close(db);
}
END_TEST

/* D07: fail the Nth ss_malloc for every N through open + store + digest +
 * report; each failure must be a clean SS_ENOMEM with nothing stored, and
 * ASan's leak check (run at the forked test's exit) sees no leak. */
START_TEST(test_every_failed_allocation_gives_a_clean_error_and_stores_nothing)
{
    fixture f;
    fixture_fill(&f);
    int succeeded = 0;
    for (long n = 0; n < 200 && !succeeded; n++) {
        char err[512] = "";
        ana_db *db = NULL;
        int64_t id = 0;
        char hex[65];
        ss_alloc_fail_after(n);
        ss_status s = ana_db_open(tpath("r.db"), NULL, &db, err, sizeof err);
        if (s == SS_OK)
            s = ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err);
        if (s == SS_OK)
            s = ana_run_digest(db, id, hex, err, sizeof err);
        ana_db_close(db);
        if (s == SS_OK) {
            FILE *out = fopen("/dev/null", "w");
            s = ana_report_print(tpath("r.db"), id, out, err, sizeof err);
            fclose(out);
        }
        ss_alloc_fail_after(-1);
        if (s == SS_OK) {
            succeeded = 1;
            break;
        }
        ck_assert_msg(s == SS_ENOMEM, "fail after %ld: %s (%s)", n, ss_status_name(s), err);
        ck_assert_msg(err[0] != '\0', "fail after %ld: empty error", n);
        /* Nothing stored, unless the failure came after the commit (digest
         * or report): then exactly one complete run. */
        if (access(tpath("r.db"), F_OK) == 0) {
            ana_db *chk = NULL;
            if (ana_db_open(tpath("r.db"), NULL, &chk, NULL, 0) == SS_OK) {
                sqlite3 *h = ana_db_sqlite(chk);
                int64_t runs = q_int(h, "SELECT count(*) FROM runs");
                ck_assert_int_le(runs, 1);
                ck_assert_int_eq(q_int(h, "SELECT count(*) FROM requests"), 6 * runs);
                ck_assert_int_eq(q_int(h, "SELECT count(*) FROM nodes"), 2 * runs);
                ana_db_close(chk);
            }
        }
        /* Start each round from scratch so every N exercises the store. */
        unlink(tpath("r.db"));
    }
    ck_assert_msg(succeeded, "never succeeded within 200 allocations");
}
END_TEST

/* D07, SQLite side: the Nth allocation SQLite itself makes fails (once),
 * for every N through open + store, with the schema already in place so the
 * failures land inside the store transaction. Every failure must be an
 * error naming the file, with no partial run and an intact file. */
static sqlite3_mem_methods sq_orig;
static long sq_countdown = -1;

static int sq_fail(void)
{
    if (sq_countdown < 0)
        return 0;
    if (sq_countdown-- == 0)
        return 1;
    return 0;
}

static void *sq_malloc(int n) { return sq_fail() ? NULL : sq_orig.xMalloc(n); }
static void *sq_realloc(void *p, int n) { return sq_fail() ? NULL : sq_orig.xRealloc(p, n); }

static void sq_install(void)
{
    ck_assert_int_eq(sqlite3_shutdown(), SQLITE_OK);
    ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sq_orig), SQLITE_OK);
    sqlite3_mem_methods m = sq_orig;
    m.xMalloc = sq_malloc;
    m.xRealloc = sq_realloc;
    ck_assert_int_eq(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
    ck_assert_int_eq(sqlite3_initialize(), SQLITE_OK);
}

START_TEST(test_every_failed_sqlite_allocation_in_a_store_leaves_no_partial_run)
{
    sq_install();
    ana_db_close(open_db(tpath("r.db")));
    fixture f;
    fixture_fill(&f);
    int succeeded = 0;
    long n;
    for (n = 0; n < 20000 && !succeeded; n++) {
        char err[512] = "";
        ana_db *db = NULL;
        int64_t id = 0;
        sq_countdown = n;
        ss_status s = ana_db_open(tpath("r.db"), NULL, &db, err, sizeof err);
        if (s == SS_OK)
            s = ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err);
        int fired = sq_countdown < 0;
        sq_countdown = -1;
        if (s != SS_OK && db) {
            /* Nothing visible to another connection, and the same handle
             * works again: no transaction was left open. */
            sqlite3 *h = raw_open(tpath("r.db"));
            ck_assert_msg(q_int(h, "SELECT count(*) FROM runs") == 0, "fail at %ld: a run was stored: %s", n, err);
            sqlite3_close(h);
            char err2[512] = "";
            ck_assert_msg(ana_store_run(db, &info_default, &f.r, 1, &id, err2, sizeof err2) == SS_OK,
                          "fail at %ld: the handle is unusable afterwards: %s", n, err2);
            h = raw_open(tpath("r.db"));
            raw_exec(h, "DELETE FROM runs; DELETE FROM requests; DELETE FROM nodes; DELETE FROM metrics;");
            sqlite3_close(h);
        }
        ana_db_close(db);
        if (s == SS_OK) {
            /* Succeeding is fine when SQLite absorbed the failure (it
             * retries some allocations); the run must then be whole. */
            if (!fired)
                succeeded = 1;
            sqlite3 *h = raw_open(tpath("r.db"));
            ck_assert_int_eq(q_int(h, "SELECT count(*) FROM requests"), 6);
            raw_exec(h, "DELETE FROM runs; DELETE FROM requests; DELETE FROM nodes; DELETE FROM metrics;");
            sqlite3_close(h);
            continue;
        }
        ck_assert_msg(err[0] != '\0', "fail at %ld: %s with an empty message", n, ss_status_name(s));
        ck_assert_msg(strstr(err, "r.db") != NULL, "fail at %ld: message does not name the file: %s", n, err);
        sqlite3 *h = raw_open(tpath("r.db"));
        ck_assert_msg(q_int(h, "SELECT count(*) FROM runs") == 0, "fail at %ld: a run was stored: %s", n, err);
        ck_assert_int_eq(q_int(h, "SELECT count(*) FROM requests"), 0);
        ck_assert_int_eq(q_int(h, "SELECT count(*) FROM metrics"), 0);
        ck_assert_str_eq(q_text(h, "PRAGMA quick_check"), "ok");
        sqlite3_close(h);
    }
    ck_assert_msg(succeeded, "never succeeded within %ld SQLite allocations", n);
    ck_assert_int_gt(n, 20); /* the loop really injected inside the store */
}
END_TEST

/* D07/D09 for migration: SQLite allocation failures while a fresh file is
 * being created must leave a file that a later open still accepts (empty
 * or fully migrated), never a half schema that is then refused. */
START_TEST(test_failed_sqlite_allocations_during_creation_never_leave_a_half_schema)
{
    sq_install();
    int succeeded = 0;
    for (long n = 0; n < 20000 && !succeeded; n++) {
        char err[512] = "";
        ana_db *db = NULL;
        unlink(tpath("r.db"));
        unlink(tpath("r.db-wal"));
        unlink(tpath("r.db-shm"));
        sq_countdown = n;
        ss_status s = ana_db_open(tpath("r.db"), NULL, &db, err, sizeof err);
        ana_db_close(db);
        int fired = sq_countdown < 0;
        sq_countdown = -1;
        if (s == SS_OK && !fired)
            succeeded = 1;
        if (s != SS_OK)
            ck_assert_msg(err[0] != '\0', "fail at %ld: empty message", n);
        if (access(tpath("r.db"), F_OK) == 0) {
            ss_status again = ana_db_open(tpath("r.db"), NULL, &db, err, sizeof err);
            ck_assert_msg(again == SS_OK, "fail at %ld left a file that cannot be opened: %s", n, err);
            ck_assert_int_eq(ana_db_schema_version(db), ANA_SCHEMA_VERSION);
            ana_db_close(db);
        }
    }
    ck_assert(succeeded);
}
END_TEST

/* ---------- digest ---------- */

static void digest_of(const char *name, const ana_run_info *info, const sim_results *r, char hex[65])
{
    ana_db *db = open_db(tpath(name));
    int64_t id = store(db, info, r);
    char err[512] = "";
    ck_assert_msg(ana_run_digest(db, id, hex, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_uint_eq(strlen(hex), 64);
    ana_db_close(db);
}

START_TEST(test_digest_is_equal_for_identical_stores_into_two_databases)
{
    fixture f;
    fixture_fill(&f);
    char a[65], b[65];
    digest_of("a.db", &info_default, &f.r, a);
    /* Into the second DB after an unrelated run, so the run ids differ. */
    ana_db *db = open_db(tpath("b.db"));
    fixture g;
    fixture_fill(&g);
    g.r.seed = 1;
    store(db, &info_default, &g.r);
    ana_db_close(db);
    digest_of("b.db", &info_default, &f.r, b);
    ck_assert_str_eq(a, b);
}
END_TEST

/* The build identity is part of the key (two builds store two runs) but
 * not of the digest: equal results from two builds digest equally, and a
 * run without a build identity digests as before schema v3. */
START_TEST(test_build_identity_separates_runs_but_not_digests)
{
    fixture f;
    fixture_fill(&f);
    char none[65], a[65], b[65], err[512] = "";
    ana_run_info ia = info_default, ib = info_default;
    ia.build_id = "git:aaaa", ib.build_id = "git:bbbb-dirty.0123456789ab";
    digest_of("n.db", &info_default, &f.r, none);
    ana_db *db = open_db(tpath("ab.db"));
    int64_t id_a = store(db, &ia, &f.r), id_b = store(db, &ib, &f.r);
    ck_assert_int_ne(id_a, id_b);
    ck_assert_int_eq(ana_run_digest(db, id_a, a, err, sizeof err), SS_OK);
    ck_assert_int_eq(ana_run_digest(db, id_b, b, err, sizeof err), SS_OK);
    ck_assert_str_eq(a, none);
    ck_assert_str_eq(b, none);
    char key[ANA_RUN_KEY_MAX];
    ck_assert_int_eq(ana_run_key_build(info_default.scenario_json, f.r.seed, "0.1.0", "git:aaaa",
                                       key, sizeof key), SS_OK);
    int64_t found = 0;
    ck_assert_int_eq(ana_run_find(db, key, &found, err, sizeof err), SS_OK);
    ck_assert_int_eq(found, id_a);
    ck_assert_str_eq(q_text(ana_db_sqlite(db), "SELECT build_id FROM runs WHERE build_id LIKE"
                                               " 'git:bbbb%'"), "git:bbbb-dirty.0123456789ab");
    ana_db_close(db);
}
END_TEST

START_TEST(test_digest_changes_when_any_stored_value_changes)
{
    fixture f;
    fixture_fill(&f);
    char base[65], other[65];
    digest_of("base.db", &info_default, &f.r, base);

    f.req[2].finish_ns += 1; /* one nanosecond */
    digest_of("ns.db", &info_default, &f.r, other);
    ck_assert_str_ne(base, other);

    fixture_fill(&f);
    f.r.seed = 42;
    digest_of("seed.db", &info_default, &f.r, other);
    ck_assert_str_ne(base, other);

    fixture_fill(&f);
    f.route[1].node = 8;
    digest_of("route.db", &info_default, &f.r, other);
    ck_assert_str_ne(base, other);

    fixture_fill(&f);
    f.node[0].bytes_out++;
    digest_of("bytes.db", &info_default, &f.r, other);
    ck_assert_str_ne(base, other);
}
END_TEST

START_TEST(test_digest_ignores_wall_clock_columns)
{
    fixture f;
    fixture_fill(&f);
    char a[65], b[65];
    digest_of("a.db", &info_default, &f.r, a);
    ana_run_info later = info_default;
    later.wall_seconds = 123.5;
    later.created_at_wall = NULL; /* "now" */
    digest_of("b.db", &later, &f.r, b);
    ck_assert_str_eq(a, b);
}
END_TEST

START_TEST(test_digest_covers_the_accuracy_table_and_rejects_a_missing_run)
{
    fixture f;
    fixture_fill(&f);
    ana_db *db = open_db(tpath("r.db"));
    int64_t id = store(db, &info_default, &f.r);
    char a[65], b[65], err[512] = "";
    ck_assert_int_eq(ana_run_digest(db, id, a, err, sizeof err), SS_OK);
    raw_exec(ana_db_sqlite(db), "INSERT INTO accuracy VALUES (1, 'int8', 'top1_agree', 0.75)");
    ck_assert_int_eq(ana_run_digest(db, id, b, err, sizeof err), SS_OK);
    ck_assert_str_ne(a, b);
    ck_assert_int_eq(ana_run_digest(db, 99, b, err, sizeof err), SS_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "99"));
    ana_db_close(db);
}
END_TEST

/* ---------- concurrency ---------- */

START_TEST(test_concurrent_processes_create_one_database_and_lose_no_run)
{
    /* D16 + D01: six processes open the same missing file at once, each
     * stores its own run; all must succeed, through WAL creation races. */
    enum { NPROC = 6 };
    pid_t pid[NPROC];
    for (int p = 0; p < NPROC; p++) {
        pid[p] = fork();
        ck_assert_int_ge(pid[p], 0);
        if (pid[p] == 0) {
            fixture f;
            fixture_fill(&f);
            f.r.seed = (uint64_t)p + 100;
            ana_db *db = NULL;
            int64_t id;
            char err[512];
            ss_status s = ana_db_open(tpath("r.db"), NULL, &db, err, sizeof err);
            if (s == SS_OK)
                s = ana_store_run(db, &info_default, &f.r, 1, &id, err, sizeof err);
            if (s != SS_OK)
                fprintf(stderr, "child %d: %s\n", p, err);
            ana_db_close(db);
            _exit(s == SS_OK ? 0 : 1);
        }
    }
    for (int p = 0; p < NPROC; p++) {
        int st;
        ck_assert_int_eq(waitpid(pid[p], &st, 0), pid[p]);
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d failed", p);
    }
    sqlite3 *h = raw_open(tpath("r.db"));
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM runs"), NPROC);
    ck_assert_int_eq(q_int(h, "SELECT count(DISTINCT seed) FROM runs"), NPROC);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM requests"), 6 * NPROC);
    ck_assert_int_eq(q_int(h, "SELECT count(*) FROM schema_version"), ANA_SCHEMA_VERSION);
    ck_assert_str_eq(q_text(h, "PRAGMA integrity_check"), "ok");
    sqlite3_close(h);
}
END_TEST

/* ---------- report ---------- */

static char *report_of(const char *path, int64_t run_id, ss_status want, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    ss_status s = ana_report_print(path, run_id, out, err, errlen);
    fclose(out);
    ck_assert_msg(s == want, "report: got %s, want %s: %s", ss_status_name(s), ss_status_name(want), err);
    return buf;
}

START_TEST(test_report_prints_the_run_and_its_nodes_in_id_order)
{
    ana_db *db = open_db(tpath("r.db"));
    fixture f;
    fixture_fill(&f);
    store(db, &info_default, &f.r);
    f.r.seed = 7;
    store(db, &info_default, &f.r);
    ana_db_close(db);
    char err[512] = "";
    char *txt = report_of(tpath("r.db"), 1, SS_OK, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(txt, "shardsim run 1\n"));
    ck_assert_ptr_nonnull(strstr(txt, "scenario       tiny\n"));
    ck_assert_ptr_nonnull(strstr(txt, "seed           18446744073709551615\n"));
    ck_assert_ptr_nonnull(strstr(txt, "requests         4 ok / 6 total (1 failed, 1 incomplete)"));
    ck_assert_ptr_nonnull(strstr(txt, "  end-to-end          3.125        2.5        5.1       5.91   (n=4)\n"));
    ck_assert_ptr_nonnull(strstr(txt, "  TTFT                1.375        1.5          2          2   (n=4)\n"));
    ck_assert_ptr_nonnull(strstr(txt, "  TPOT             0.666667        0.5        0.9       0.99   (n=3)\n"));
    ck_assert_ptr_nonnull(strstr(txt, "throughput       1.6 output tokens/s, 0.4 requests/s\n"));
    ck_assert_ptr_nonnull(strstr(txt, "utilisation      mean 0.35, max 0.5\n"));
    ck_assert_ptr_nonnull(strstr(txt, "time in system   mean 2.9 s\n"));
    const char *alpha = strstr(txt, "alpha"), *beta = strstr(txt, "beta");
    ck_assert_ptr_nonnull(alpha);
    ck_assert_ptr_nonnull(beta);
    ck_assert(alpha < beta); /* id 3 before id 7 though stored second */
    ck_assert_ptr_nonnull(strstr(txt, "[0,16)"));
    ck_assert_ptr_nonnull(strstr(txt, "3000000000000"));
    free(txt);
    txt = report_of(tpath("r.db"), ANA_RUN_LATEST, SS_OK, err, sizeof err);
    ck_assert_ptr_nonnull(strstr(txt, "shardsim run 2\n"));
    ck_assert_ptr_nonnull(strstr(txt, "seed           7\n"));
    free(txt);
}
END_TEST

START_TEST(test_report_names_a_missing_file_a_missing_run_and_an_empty_database)
{
    char err[512] = "";
    free(report_of(tpath("missing.db"), ANA_RUN_LATEST, SS_ENOENT, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "missing.db"));
    ck_assert_int_eq(access(tpath("missing.db"), F_OK), -1); /* not created */
    ana_db_close(open_db(tpath("r.db")));
    free(report_of(tpath("r.db"), ANA_RUN_LATEST, SS_ENOTFOUND, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "no runs"));
    free(report_of(tpath("r.db"), 3, SS_ENOTFOUND, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "no run with id 3"));
    char junk[100];
    memset(junk, 'g', sizeof junk);
    write_file(tpath("junk.db"), junk, sizeof junk);
    free(report_of(tpath("junk.db"), ANA_RUN_LATEST, SS_EDB, err, sizeof err));
}
END_TEST

Suite *ana_suite(void)
{
    Suite *s = suite_create("ana");
    TCase *tc = tcase_create("hash_metrics");
    tcase_add_test(tc, test_sha256_matches_fips_180_vectors);
    tcase_add_test(tc, test_sha256_of_a_million_a_streamed_in_odd_pieces);
    tcase_add_test(tc, test_quantile_interpolates_linearly_at_rank_n_minus_1_times_q);
    tcase_add_test(tc, test_metrics_match_hand_computation);
    tcase_add_test(tc, test_metrics_of_an_empty_run_are_undefined_not_zero);
    tcase_add_test(tc, test_metrics_reject_an_ok_request_whose_times_are_out_of_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("db");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_new_database_has_the_current_schema_application_id_and_wal);
    tcase_add_test(tc, test_open_migrates_an_empty_but_valid_database);
    tcase_add_test(tc, test_open_refuses_a_newer_schema_version);
    tcase_add_test(tc, test_open_migrates_a_v1_database_keeping_its_runs);
    tcase_add_test(tc, test_open_migrates_a_v2_database_keeping_its_runs_and_digests);
    tcase_add_test(tc, test_open_migrates_a_v3_database_with_recovery_columns_zero);
    tcase_add_test(tc, test_open_refuses_a_foreign_application_id_and_leaves_it_alone);
    tcase_add_test(tc, test_open_refuses_a_schema_version_table_that_disagrees_with_user_version);
    tcase_add_test(tc, test_open_refuses_garbage_and_does_not_overwrite_it);
    tcase_add_test(tc, test_open_refuses_truncated_databases_and_does_not_overwrite_them);
    tcase_add_test(tc, test_open_reports_a_directory_and_a_missing_parent);
    tcase_add_test(tc, test_read_only_open_of_an_empty_file_refuses_to_create_the_schema);
    tcase_add_test(tc, test_store_reads_back_exact_values);
    tcase_add_test(tc, test_store_writes_an_unbound_hop_as_a_question_mark);
    tcase_add_test(tc, test_store_without_request_recording_writes_no_request_rows);
    tcase_add_test(tc, test_store_stores_undefined_metrics_of_an_empty_run_as_null);
    tcase_add_test(tc, test_store_rejects_inconsistent_results_and_writes_nothing);
    tcase_add_test(tc, test_storing_the_same_run_key_twice_keeps_one_copy);
    tcase_add_test(tc, test_store_gives_up_with_busy_while_another_writer_holds_the_lock);
    tcase_add_test(tc, test_store_on_a_read_only_uri_is_refused);
    tcase_add_test(tc, test_store_on_a_full_disk_leaves_no_partial_run_and_recovers);
    tcase_add_test(tc, test_digest_is_equal_for_identical_stores_into_two_databases);
    tcase_add_test(tc, test_digest_changes_when_any_stored_value_changes);
    tcase_add_test(tc, test_digest_ignores_wall_clock_columns);
    tcase_add_test(tc, test_build_identity_separates_runs_but_not_digests);
    tcase_add_test(tc, test_digest_covers_the_accuracy_table_and_rejects_a_missing_run);
    tcase_add_test(tc, test_concurrent_processes_create_one_database_and_lose_no_run);
    tcase_add_test(tc, test_report_prints_the_run_and_its_nodes_in_id_order);
    tcase_add_test(tc, test_report_names_a_missing_file_a_missing_run_and_an_empty_database);
    suite_add_tcase(s, tc);

    /* Allocation-failure loops: hundreds of open/store rounds with fsyncs. */
    tc = tcase_create("oom");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_every_failed_allocation_gives_a_clean_error_and_stores_nothing);
    tcase_add_test(tc, test_every_failed_sqlite_allocation_in_a_store_leaves_no_partial_run);
    tcase_add_test(tc, test_failed_sqlite_allocations_during_creation_never_leave_a_half_schema);
    suite_add_tcase(s, tc);
    return s;
}
