/* ana_record.c - the event recorder: observer callbacks append rows to
 * growing arrays; ana_record_store (ana_record_int.h) inserts them with one
 * prepared statement per table inside the caller's transaction. */
#include "ana_record.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ana_db_int.h"
#include "ana_record_int.h"
#include "ss_alloc.h"

typedef struct route_row {
    int64_t request, t;
    sim_obs_route_kind kind;
    char *chosen, *alts;   /* JSON text, owned */
    int explained;
    double cost;
    const char *unit;      /* static string of the policy */
} route_row;

struct ana_record {
    ana_record_level level;
    sim_obs obs;
    sim_obs_hop *hops;
    size_t n_hops, cap_hops;
    sim_obs_node_ev *nodes;
    size_t n_nodes, cap_nodes;
    route_row *routes;
    size_t n_routes, cap_routes;
};

static const char *const phase_names[SIM_OBS_N_PHASES] = {
    "queue", "compute", "encode", "transfer", "kv_wait", "replay"};
static const char *const node_kind_names[SIM_OBS_N_NODE_KINDS] = {
    "down", "up", "kv_reserve", "kv_release", "ban", "unban"};
static const char *const route_kind_names[] = {"route", "reroute", "dispatch"};

/* Grow *p (elements of size sz) to hold one more; 0 or -1 (no memory). */
static int reserve(void **p, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 1024;
    void *q = ss_realloc(*p, c * sz);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

static void on_hop(void *ctx, const sim_obs_hop *e)
{
    ana_record *r = ctx;
    if (reserve((void **)&r->hops, &r->cap_hops, r->n_hops, sizeof *r->hops) != 0) {
        r->obs.failed = 1;
        return;
    }
    r->hops[r->n_hops++] = *e;
}

static void on_node(void *ctx, const sim_obs_node_ev *e)
{
    ana_record *r = ctx;
    if (reserve((void **)&r->nodes, &r->cap_nodes, r->n_nodes, sizeof *r->nodes) != 0) {
        r->obs.failed = 1;
        return;
    }
    r->nodes[r->n_nodes++] = *e;
}

/* A growing string: appends with snprintf semantics; NULL after a failure. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
    int bad;
} sbuf;

static void put(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(sbuf *b, const char *fmt, ...)
{
    if (b->bad)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->bad = 1;
            return;
        }
        if (b->s && b->n + (size_t)k < b->cap) {
            b->n += (size_t)k;
            return;
        }
        size_t c = b->cap ? b->cap * 2 : 128;
        while (c <= b->n + (size_t)k)
            c *= 2;
        char *q = ss_realloc(b->s, c);
        if (!q) {
            b->bad = 1;
            return;
        }
        b->s = q;
        b->cap = c;
    }
}

static void on_route(void *ctx, const sim_obs_route *e)
{
    ana_record *r = ctx;
    sbuf c = {0}, a = {0};
    put(&c, "[");
    for (int i = 0; i < e->n_hops; i++)
        put(&c, "%s{\"node\":%d,\"blocks\":[%d,%d]}", i ? "," : "", e->nodes[i],
            e->first_block[i], e->end_block[i]);
    put(&c, "]");
    if (e->explained) {
        put(&a, "[");
        for (int k = 0; k < e->n_alts; k++) {
            put(&a, "%s{\"cost\":%.17g,\"avoids\":%d,\"nodes\":[", k ? "," : "", e->alt_cost[k],
                e->alt_avoided[k]);
            for (int j = 0; j < e->alt_n_nodes[k]; j++)
                put(&a, "%s%d", j ? "," : "", e->alt_nodes[k][j]);
            put(&a, "]}");
        }
        put(&a, "]");
    }
    if (c.bad || a.bad ||
        reserve((void **)&r->routes, &r->cap_routes, r->n_routes, sizeof *r->routes) != 0) {
        ss_free(c.s);
        ss_free(a.s);
        r->obs.failed = 1;
        return;
    }
    r->routes[r->n_routes++] = (route_row){.request = e->request, .t = e->t, .kind = e->kind,
                                           .chosen = c.s, .alts = a.s, .explained = e->explained,
                                           .cost = e->cost, .unit = e->unit};
}

static const sim_obs_ops ops_hops = {.hop = on_hop, .node = on_node};
static const sim_obs_ops ops_all = {.hop = on_hop, .node = on_node, .route = on_route,
                                    .want_routes = 1};

ss_status ana_record_new(ana_record_level level, ana_record **out)
{
    ana_record *r = ss_calloc(1, sizeof *r);
    *out = r;
    if (!r)
        return SS_ENOMEM;
    r->level = level;
    r->obs = (sim_obs){.ops = level == ANA_RECORD_ALL ? &ops_all : &ops_hops, .ctx = r};
    return SS_OK;
}

void ana_record_free(ana_record *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_routes; i++) {
        ss_free(r->routes[i].chosen);
        ss_free(r->routes[i].alts);
    }
    ss_free(r->routes);
    ss_free(r->hops);
    ss_free(r->nodes);
    ss_free(r);
}

sim_obs *ana_record_obs(ana_record *r) { return &r->obs; }
size_t ana_record_n_hops(const ana_record *r) { return r->n_hops; }
size_t ana_record_n_node_events(const ana_record *r) { return r->n_nodes; }
size_t ana_record_n_routes(const ana_record *r) { return r->n_routes; }

const char *ana_record_level_name(const ana_record *r)
{
    return r->level == ANA_RECORD_ALL ? "all" : "hops";
}

static double secs(int64_t ns) { return (double)ns / 1e9; }

static ss_status step(ana_db *db, sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SS_OK : ana_db_fail(db, rc, what, err, errlen);
}

static ss_status store_hops(ana_db *db, int64_t id, const ana_record *r, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    ss_status s = ana_db_prepare(db, "INSERT INTO hop_events(run_id, seq, request_id, pass, hop,"
                                 " node, phase, t_start, t_end, bytes, dst)"
                                 " VALUES (?,?,?,?,?,?,?,?,?,?,?)", &st, err, errlen);
    for (size_t i = 0; s == SS_OK && i < r->n_hops; i++) {
        const sim_obs_hop *h = &r->hops[i];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_int64(st, 3, h->request);
        sqlite3_bind_int(st, 4, h->pass);
        sqlite3_bind_int(st, 5, h->hop);
        sqlite3_bind_int(st, 6, h->node);
        sqlite3_bind_text(st, 7, phase_names[h->phase], -1, SQLITE_STATIC);
        sqlite3_bind_double(st, 8, secs(h->t_start));
        sqlite3_bind_double(st, 9, secs(h->t_end));
        sqlite3_bind_int64(st, 10, h->bytes);
        if (h->phase == SIM_OBS_TRANSFER)
            sqlite3_bind_int(st, 11, h->dst);
        else
            sqlite3_bind_null(st, 11);
        s = step(db, st, "store run: insert hop_events row", err, errlen);
    }
    sqlite3_finalize(st);
    return s;
}

static ss_status store_nodes(ana_db *db, int64_t id, const ana_record *r, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    ss_status s = ana_db_prepare(db, "INSERT INTO node_events(run_id, seq, node, t, kind,"
                                 " request_id, bytes) VALUES (?,?,?,?,?,?,?)", &st, err, errlen);
    for (size_t i = 0; s == SS_OK && i < r->n_nodes; i++) {
        const sim_obs_node_ev *e = &r->nodes[i];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_int(st, 3, e->node);
        sqlite3_bind_double(st, 4, secs(e->t));
        sqlite3_bind_text(st, 5, node_kind_names[e->kind], -1, SQLITE_STATIC);
        if (e->request >= 0)
            sqlite3_bind_int64(st, 6, e->request);
        else
            sqlite3_bind_null(st, 6);
        sqlite3_bind_int64(st, 7, e->bytes);
        s = step(db, st, "store run: insert node_events row", err, errlen);
    }
    sqlite3_finalize(st);
    return s;
}

static ss_status store_routes(ana_db *db, int64_t id, const ana_record *r, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    ss_status s = ana_db_prepare(db, "INSERT INTO route_decisions(run_id, seq, request_id, t, kind,"
                                 " chosen, cost, alternatives, unit) VALUES (?,?,?,?,?,?,?,?,?)",
                                 &st, err, errlen);
    for (size_t i = 0; s == SS_OK && i < r->n_routes; i++) {
        const route_row *e = &r->routes[i];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        sqlite3_bind_int64(st, 3, e->request);
        sqlite3_bind_double(st, 4, secs(e->t));
        sqlite3_bind_text(st, 5, route_kind_names[e->kind], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, e->chosen, -1, SQLITE_STATIC);
        if (e->explained) {
            sqlite3_bind_double(st, 7, e->cost);
            sqlite3_bind_text(st, 8, e->alts, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 9, e->unit ? e->unit : "", -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_null(st, 7);
            sqlite3_bind_null(st, 8);
            sqlite3_bind_null(st, 9);
        }
        s = step(db, st, "store run: insert route_decisions row", err, errlen);
    }
    sqlite3_finalize(st);
    return s;
}

ss_status ana_record_store(ana_db *db, int64_t id, const ana_record *r, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    ss_status s = ana_db_prepare(db, "INSERT INTO event_records(run_id, level, n_hop_events,"
                                 " n_node_events, n_route_decisions) VALUES (?,?,?,?,?)",
                                 &st, err, errlen);
    if (s == SS_OK) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, ana_record_level_name(r), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)r->n_hops);
        sqlite3_bind_int64(st, 4, (int64_t)r->n_nodes);
        sqlite3_bind_int64(st, 5, (int64_t)r->n_routes);
        s = step(db, st, "store run: insert event_records row", err, errlen);
        sqlite3_finalize(st);
    }
    if (s == SS_OK)
        s = store_hops(db, id, r, err, errlen);
    if (s == SS_OK)
        s = store_nodes(db, id, r, err, errlen);
    if (s == SS_OK)
        s = store_routes(db, id, r, err, errlen);
    return s;
}
