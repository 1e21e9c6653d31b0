/* ana_report_model.c - load one stored run into an ana_report_model (one
 * read transaction, so everything comes from one snapshot even while a
 * sweep writes). */
#include "ana_report_model.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ana_db_int.h"
#include "ana_report.h"
#include "ss_alloc.h"

typedef struct loader {
    ana_db *db;
    ana_report_model *m;
    char *err;
    size_t errlen;
} loader;

static char *dup_col(sqlite3_stmt *st, int col, int *bad)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    if (!t)
        return NULL;
    size_t n = strlen((const char *)t);
    char *s = ss_malloc(n + 1);
    if (!s) {
        *bad = 1;
        return NULL;
    }
    memcpy(s, t, n + 1);
    return s;
}

static double real_or_nan(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

/* Run every row of `sql` (run id bound to ?1) through `row`, growing *arr
 * of elements of size `sz`; *n = rows. */
typedef int (*row_fn)(loader *L, sqlite3_stmt *st, void *elem);

static ss_status load_rows(loader *L, const char *sql, size_t sz, void **arr, size_t *n, row_fn row,
                           const char *what)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    ss_status s = ana_db_prepare(L->db, sql, &st, L->err, L->errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, L->m->run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t c = cap ? cap * 2 : 64;
            void *p = ss_realloc(*arr, c * sz);
            if (!p) {
                sqlite3_finalize(st);
                return ss_err(L->err, L->errlen, SS_ENOMEM, "%s: report: out of memory for %s",
                              L->db->name, what);
            }
            *arr = p;
            cap = c;
        }
        void *e = (char *)*arr + *n * sz;
        memset(e, 0, sz);
        (*n)++;
        if (row(L, st, e) != 0) {
            sqlite3_finalize(st);
            return ss_err(L->err, L->errlen, SS_ENOMEM, "%s: report: out of memory for %s",
                          L->db->name, what);
        }
    }
    s = rc == SQLITE_DONE ? SS_OK : ana_db_fail(L->db, rc, what, L->err, L->errlen);
    sqlite3_finalize(st);
    return s;
}

static int metric_row(loader *L, sqlite3_stmt *st, void *elem)
{
    (void)L;
    ana_rm_metric *x = elem;
    int bad = 0;
    x->name = dup_col(st, 0, &bad);
    x->value = real_or_nan(st, 1);
    return bad || !x->name ? -1 : 0;
}

static int node_row(loader *L, sqlite3_stmt *st, void *elem)
{
    (void)L;
    ana_rm_node *x = elem;
    int bad = 0;
    x->id = sqlite3_column_int(st, 0);
    x->name = dup_col(st, 1, &bad);
    x->region = dup_col(st, 2, &bad);
    x->first_block = sqlite3_column_int(st, 3);
    x->end_block = sqlite3_column_int(st, 4);
    x->busy_s = sqlite3_column_double(st, 5);
    x->utilisation = real_or_nan(st, 6);
    x->bytes_in = sqlite3_column_int64(st, 7);
    x->bytes_out = sqlite3_column_int64(st, 8);
    x->failures = sqlite3_column_int(st, 9);
    x->kv_peak_bytes = sqlite3_column_int64(st, 10);
    x->n_tasks = sqlite3_column_int64(st, 11);
    x->down_s = sqlite3_column_double(st, 12);
    return bad ? -1 : 0;
}

static int request_row(loader *L, sqlite3_stmt *st, void *elem)
{
    (void)L;
    ana_rm_request *x = elem;
    int bad = 0;
    x->id = sqlite3_column_int64(st, 0);
    x->arrival_s = sqlite3_column_double(st, 1);
    x->first_token_s = real_or_nan(st, 2);
    x->finish_s = real_or_nan(st, 3);
    x->prompt_tokens = sqlite3_column_int(st, 4);
    x->output_tokens = sqlite3_column_int(st, 5);
    x->tokens_done = sqlite3_column_int(st, 6);
    x->retries = sqlite3_column_int(st, 7);
    x->status = dup_col(st, 8, &bad);
    return bad ? -1 : 0;
}

static int hop_row(loader *L, sqlite3_stmt *st, void *elem)
{
    (void)L;
    ana_rm_hop *x = elem;
    x->request_id = sqlite3_column_int64(st, 0);
    x->pass = sqlite3_column_int(st, 1);
    x->hop = sqlite3_column_int(st, 2);
    x->node = sqlite3_column_int(st, 3);
    x->dst = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 4);
    const unsigned char *p = sqlite3_column_text(st, 5);
    snprintf(x->phase, sizeof x->phase, "%s", p ? (const char *)p : "?");
    x->t_start = sqlite3_column_double(st, 6);
    x->t_end = sqlite3_column_double(st, 7);
    x->bytes = sqlite3_column_int64(st, 8);
    return 0;
}

static int node_event_row(loader *L, sqlite3_stmt *st, void *elem)
{
    (void)L;
    ana_rm_node_event *x = elem;
    x->node = sqlite3_column_int(st, 0);
    x->t = sqlite3_column_double(st, 1);
    const unsigned char *p = sqlite3_column_text(st, 2);
    snprintf(x->kind, sizeof x->kind, "%s", p ? (const char *)p : "?");
    x->request_id = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3);
    x->bytes = sqlite3_column_int64(st, 4);
    return 0;
}

static ss_status load_run(loader *L, int64_t run_id)
{
    ana_report_model *m = L->m;
    sqlite3_stmt *st = NULL;
    const char *cols = "SELECT id, scenario_name, seed, status, version, blas_core, sim_end_s,"
                       " n_events, n_requests, requests_recorded, wall_seconds, run_key, build_id"
                       " FROM runs";
    char sql[512];
    snprintf(sql, sizeof sql, "%s %s", cols,
             run_id == ANA_RUN_LATEST ? "ORDER BY id DESC LIMIT 1" : "WHERE id = ?");
    ss_status s = ana_db_prepare(L->db, sql, &st, L->err, L->errlen);
    if (s != SS_OK)
        return s;
    if (run_id != ANA_RUN_LATEST)
        sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        s = run_id == ANA_RUN_LATEST
                ? ss_err(L->err, L->errlen, SS_ENOTFOUND, "%s: report: the database holds no runs",
                         L->db->name)
                : ss_err(L->err, L->errlen, SS_ENOTFOUND, "%s: report: no run with id %" PRId64,
                         L->db->name, run_id);
    else if (rc != SQLITE_ROW)
        s = ana_db_fail(L->db, rc, "report: read run", L->err, L->errlen);
    if (s != SS_OK) {
        sqlite3_finalize(st);
        return s;
    }
    int bad = 0;
    m->run_id = sqlite3_column_int64(st, 0);
    m->scenario_name = dup_col(st, 1, &bad);
    m->seed = dup_col(st, 2, &bad);
    m->status = dup_col(st, 3, &bad);
    m->version = dup_col(st, 4, &bad);
    m->blas_core = dup_col(st, 5, &bad);
    m->sim_end_s = sqlite3_column_double(st, 6);
    m->n_events = sqlite3_column_int64(st, 7);
    m->n_requests = sqlite3_column_int64(st, 8);
    m->requests_recorded = sqlite3_column_int(st, 9);
    m->wall_seconds = real_or_nan(st, 10);
    m->run_key = dup_col(st, 11, &bad);
    m->build_id = dup_col(st, 12, &bad);
    sqlite3_finalize(st);
    if (bad)
        return ss_err(L->err, L->errlen, SS_ENOMEM, "%s: report: out of memory", L->db->name);
    return SS_OK;
}

/* The run's record level: event_records' (schema v5), else what was kept. */
static ss_status load_level(loader *L)
{
    ana_report_model *m = L->m;
    snprintf(m->record_level, sizeof m->record_level, "%s",
             m->requests_recorded ? "requests" : m->n_nodes ? "summary" : "off");
    if (ana_db_schema_version(L->db) < 5)
        return SS_OK;
    sqlite3_stmt *st = NULL;
    ss_status s = ana_db_prepare(L->db, "SELECT level FROM event_records WHERE run_id = ?", &st,
                                 L->err, L->errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, m->run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(m->record_level, sizeof m->record_level, "%s", sqlite3_column_text(st, 0));
    else if (rc != SQLITE_DONE)
        s = ana_db_fail(L->db, rc, "report: read event_records", L->err, L->errlen);
    sqlite3_finalize(st);
    return s;
}

static ss_status load_all(loader *L, int64_t run_id, unsigned what)
{
    ana_report_model *m = L->m;
    ss_status s = load_run(L, run_id);
    if (s == SS_OK)
        s = load_rows(L, "SELECT name, value FROM metrics WHERE run_id = ?1 ORDER BY name",
                      sizeof *m->metrics, (void **)&m->metrics, &m->n_metrics, metric_row,
                      "report: read metrics");
    if (s == SS_OK)
        s = load_rows(L, "SELECT id, name, region, first_block, end_block, busy_s, utilisation,"
                      " bytes_in, bytes_out, failures, kv_peak_bytes, n_tasks, down_s"
                      " FROM nodes WHERE run_id = ?1 ORDER BY id",
                      sizeof *m->nodes, (void **)&m->nodes, &m->n_nodes, node_row,
                      "report: read nodes");
    if (s == SS_OK && (what & ANA_RM_REQUESTS))
        s = load_rows(L, "SELECT id, arrival_s, first_token_s, finish_s, prompt_tokens,"
                      " output_tokens, tokens_done, retries, status FROM requests"
                      " WHERE run_id = ?1 ORDER BY id",
                      sizeof *m->requests, (void **)&m->requests, &m->n_requests_rows,
                      request_row, "report: read requests");
    if (s == SS_OK)
        s = load_level(L);
    int v5 = ana_db_schema_version(L->db) >= 5;
    if (s == SS_OK && v5 && (what & ANA_RM_HOPS))
        s = load_rows(L, "SELECT request_id, pass, hop, node, dst, phase, t_start, t_end, bytes"
                      " FROM hop_events WHERE run_id = ?1 ORDER BY t_start, request_id, pass, hop,"
                      " seq", sizeof *m->hops, (void **)&m->hops, &m->n_hops, hop_row,
                      "report: read hop_events");
    if (s == SS_OK && v5 && (what & ANA_RM_NODE_EVENTS))
        s = load_rows(L, "SELECT node, t, kind, request_id, bytes FROM node_events"
                      " WHERE run_id = ?1 ORDER BY t, node, seq",
                      sizeof *m->node_events, (void **)&m->node_events, &m->n_node_events,
                      node_event_row, "report: read node_events");
    return s;
}

ss_status ana_report_load(const char *db_path, int64_t run_id, unsigned what,
                          ana_report_model **out, char *err, size_t errlen)
{
    if (!db_path || !out || run_id < 0)
        return ss_err(err, errlen, SS_EINVAL, "report: NULL path or output, or negative run id");
    *out = NULL;
    ana_db *db = NULL;
    const ana_db_cfg cfg = {.readonly = 1};
    ss_status s = ana_db_open(db_path, &cfg, &db, err, errlen);
    if (s != SS_OK)
        return s;
    ana_report_model *m = ss_calloc(1, sizeof *m);
    if (!m) {
        ana_db_close(db);
        return ss_err(err, errlen, SS_ENOMEM, "%s: report: out of memory", db_path);
    }
    loader L = {.db = db, .m = m, .err = err, .errlen = errlen};
    int rc = sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL);
    s = rc == SQLITE_OK ? load_all(&L, run_id, what)
                        : ana_db_fail(db, rc, "report: begin read", err, errlen);
    ana_db_rollback(db);
    ana_db_close(db);
    if (s != SS_OK) {
        ana_report_model_free(m);
        return s;
    }
    *out = m;
    return SS_OK;
}

void ana_report_model_free(ana_report_model *m)
{
    if (!m)
        return;
    ss_free(m->scenario_name);
    ss_free(m->seed);
    ss_free(m->status);
    ss_free(m->version);
    ss_free(m->build_id);
    ss_free(m->blas_core);
    ss_free(m->run_key);
    for (size_t i = 0; i < m->n_metrics; i++)
        ss_free(m->metrics[i].name);
    ss_free(m->metrics);
    for (size_t i = 0; i < m->n_nodes; i++) {
        ss_free(m->nodes[i].name);
        ss_free(m->nodes[i].region);
    }
    ss_free(m->nodes);
    for (size_t i = 0; i < m->n_requests_rows; i++)
        ss_free(m->requests[i].status);
    ss_free(m->requests);
    ss_free(m->hops);
    ss_free(m->node_events);
    ss_free(m);
}

double ana_report_metric(const ana_report_model *m, const char *name)
{
    size_t lo = 0, hi = m->n_metrics;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->metrics[mid].name, name);
        if (c == 0)
            return m->metrics[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NAN;
}
