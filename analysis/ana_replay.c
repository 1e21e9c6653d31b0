/* ana_replay.c - `shardsim replay`: one request's recorded events merged
 * into one timeline (ana_replay.h). */
#include "ana_replay.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ana_db_int.h"
#include "ana_report.h"
#include "ss_alloc.h"

typedef struct item {
    double t;
    int rank;         /* order of events at the same time */
    size_t seq;       /* then the order they were read */
    char text[480];
} item;

typedef struct replay {
    ana_db *db;
    int64_t run, req;
    const ana_replay_opts *o;
    char **names;     /* (n_nodes) */
    int n_nodes;
    unsigned char *touched; /* (n_nodes) the request used the node */
    item *it;
    size_t n, cap;
    double t0, t1;    /* its arrival and end */
    char *err;
    size_t errlen;
    int level_all;
} replay;

enum { R_NODE = 0, R_FOUND = 1, R_BAN = 2, R_ROUTE = 3, R_KV = 4, R_HOP = 5, R_END = 6 };

static item *add(replay *r, double t, int rank)
{
    if (r->n == r->cap) {
        size_t c = r->cap ? r->cap * 2 : 64;
        item *p = ss_realloc(r->it, c * sizeof *p);
        if (!p)
            return NULL;
        r->it = p;
        r->cap = c;
    }
    item *x = &r->it[r->n];
    x->t = t;
    x->rank = rank;
    x->seq = r->n++;
    x->text[0] = '\0';
    return x;
}

static const char *node_name(replay *r, int node, char buf[96])
{
    if (node < 0)
        return "client";
    snprintf(buf, 96, "node %d (%s)", node,
             node < r->n_nodes && r->names[node] ? r->names[node] : "?");
    return buf;
}

static ss_status nomem(replay *r)
{
    return ss_err(r->err, r->errlen, SS_ENOMEM, "%s: replay: out of memory", r->db->name);
}

static ss_status prepare(replay *r, const char *sql, sqlite3_stmt **st)
{
    ss_status s = ana_db_prepare(r->db, sql, st, r->err, r->errlen);
    if (s == SS_OK) {
        sqlite3_bind_int64(*st, 1, r->run);
        if (sqlite3_bind_parameter_count(*st) >= 2)
            sqlite3_bind_int64(*st, 2, r->req);
    }
    return s;
}

static ss_status finish(replay *r, sqlite3_stmt *st, int rc, const char *what)
{
    ss_status s = rc == SQLITE_DONE ? SS_OK : ana_db_fail(r->db, rc, what, r->err, r->errlen);
    sqlite3_finalize(st);
    return s;
}

/* The run exists and was recorded at "hops" or "all". */
static ss_status check_run(replay *r)
{
    sqlite3_stmt *st;
    ss_status s = prepare(r, "SELECT r.id, e.level FROM runs r LEFT JOIN event_records e"
                             " ON e.run_id = r.id WHERE r.id = ?1", &st);
    if (s != SS_OK)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        s = ss_err(r->err, r->errlen, SS_ENOTFOUND, "%s: no run with id %" PRId64, r->db->name,
                   r->run);
    else if (rc != SQLITE_ROW)
        s = ana_db_fail(r->db, rc, "replay: read run", r->err, r->errlen);
    else if (sqlite3_column_type(st, 1) == SQLITE_NULL)
        s = ss_err(r->err, r->errlen, SS_EUNSUPPORTED, "%s: run %" PRId64 " has no event record:"
                   " run it with record.level \"hops\" or \"all\"", r->db->name, r->run);
    else
        r->level_all = strcmp((const char *)sqlite3_column_text(st, 1), "all") == 0;
    sqlite3_finalize(st);
    return s;
}

static ss_status load_nodes(replay *r)
{
    sqlite3_stmt *st;
    ss_status s = prepare(r, "SELECT id, name FROM nodes WHERE run_id = ?1 ORDER BY id", &st);
    if (s != SS_OK)
        return s;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int id = sqlite3_column_int(st, 0);
        if (id < 0 || id > 10000000)
            continue;
        if (id >= r->n_nodes) {
            char **p = ss_realloc(r->names, (size_t)(id + 1) * sizeof *p);
            unsigned char *q = p ? ss_realloc(r->touched, (size_t)(id + 1)) : NULL;
            if (p)
                r->names = p;
            if (!q) {
                sqlite3_finalize(st);
                return nomem(r);
            }
            r->touched = q;
            for (int k = r->n_nodes; k <= id; k++) {
                r->names[k] = NULL;
                r->touched[k] = 0;
            }
            r->n_nodes = id + 1;
        }
        const char *nm = (const char *)sqlite3_column_text(st, 1);
        r->names[id] = ss_malloc(strlen(nm ? nm : "") + 1);
        if (!r->names[id]) {
            sqlite3_finalize(st);
            return nomem(r);
        }
        strcpy(r->names[id], nm ? nm : "");
    }
    return finish(r, st, rc, "replay: read nodes");
}

/* Arrival, first token and end from the requests row. */
static ss_status load_request(replay *r)
{
    sqlite3_stmt *st;
    ss_status s = prepare(r, "SELECT arrival_s, first_token_s, finish_s, prompt_tokens,"
                             " output_tokens, tokens_done, retries, status, route FROM requests"
                             " WHERE run_id = ?1 AND id = ?2", &st);
    if (s != SS_OK)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        return ss_err(r->err, r->errlen, SS_ENOTFOUND, "%s: run %" PRId64 " has no request %"
                      PRId64, r->db->name, r->run, r->req);
    }
    if (rc != SQLITE_ROW)
        return finish(r, st, rc, "replay: read request");
    item *x = add(r, sqlite3_column_double(st, 0), R_NODE);
    if (!x) {
        sqlite3_finalize(st);
        return nomem(r);
    }
    r->t0 = x->t;
    snprintf(x->text, sizeof x->text, "arrival: request %" PRId64 ", %d prompt tokens, %d output"
             " tokens wanted", r->req, sqlite3_column_int(st, 3), sqlite3_column_int(st, 4));
    const char *status = (const char *)sqlite3_column_text(st, 7);
    int ended = sqlite3_column_type(st, 2) != SQLITE_NULL;
    r->t1 = ended ? sqlite3_column_double(st, 2) : INFINITY;
    if (ended && (x = add(r, r->t1, R_END)) != NULL)
        snprintf(x->text, sizeof x->text, "finish: %s, %d tokens, %d retries", status ? status : "?",
                 sqlite3_column_int(st, 5), sqlite3_column_int(st, 6));
    else if (!ended && (x = add(r, INFINITY, R_END)) != NULL)
        snprintf(x->text, sizeof x->text, "end of run: %s after %d tokens, %d retries",
                 status ? status : "?", sqlite3_column_int(st, 5), sqlite3_column_int(st, 6));
    sqlite3_finalize(st);
    return x ? SS_OK : nomem(r);
}

static void hop_text(replay *r, item *x, sqlite3_stmt *st, int *last_pass, int *last_hop)
{
    char a[96], b[96];
    int pass = sqlite3_column_int(st, 0), hop = sqlite3_column_int(st, 1);
    int node = sqlite3_column_int(st, 2);
    int dst = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 3);
    const char *ph = (const char *)sqlite3_column_text(st, 4);
    double t0 = sqlite3_column_double(st, 5), t1 = sqlite3_column_double(st, 6);
    int64_t bytes = sqlite3_column_int64(st, 7);
    if (node >= 0 && node < r->n_nodes)
        r->touched[node] = 1;
    if (strcmp(ph, "transfer") == 0) {
        if (dst >= 0 && dst < r->n_nodes)
            r->touched[dst] = 1;
        int again = pass == *last_pass && hop == *last_hop;
        *last_pass = pass;
        *last_hop = hop;
        snprintf(x->text, sizeof x->text, "%stransfer pass %d hop %d: %s -> %s, %" PRId64
                 " bytes, %.9f s (arrives %.9f)%s", again ? "retry: " : "", pass, hop,
                 node_name(r, node, a), node_name(r, dst, b), bytes, t1 - t0, t1,
                 again ? ", with the stored inputs to replay" : "");
        return;
    }
    snprintf(x->text, sizeof x->text, "%s pass %d hop %d on %s: %.9f s (until %.9f)%s", ph, pass,
             hop, node_name(r, node, a), t1 - t0, t1,
             strcmp(ph, "replay") == 0 ? ": rebuilding its KV cache from the stored inputs" : "");
}

static ss_status load_hops(replay *r)
{
    sqlite3_stmt *st;
    ss_status s = prepare(r, "SELECT pass, hop, node, dst, phase, t_start, t_end, bytes"
                             " FROM hop_events WHERE run_id = ?1 AND request_id = ?2 ORDER BY seq",
                          &st);
    if (s != SS_OK)
        return s;
    int rc, lp = -1, lh = -1, prev_node = -1, prev_transfer = 0;
    double prev_end = 0;
    char a[96];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int transfer = strcmp((const char *)sqlite3_column_text(st, 4), "transfer") == 0;
        int again = transfer && sqlite3_column_int(st, 0) == lp && sqlite3_column_int(st, 1) == lh;
        item *x = again ? add(r, prev_end, R_FOUND) : NULL;
        if (x) /* what the retry answers: the hop's node failed it */
            snprintf(x->text, sizeof x->text, prev_transfer
                     ? "failure found: the input reached %s, which is down or lost the session's"
                       " cache"
                     : "failure: the work on %s is lost", node_name(r, prev_node, a));
        if ((again && !x) || !(x = add(r, sqlite3_column_double(st, 5), R_HOP))) {
            sqlite3_finalize(st);
            return nomem(r);
        }
        hop_text(r, x, st, &lp, &lh);
        prev_transfer = transfer;
        prev_end = sqlite3_column_double(st, 6);
        prev_node = transfer && sqlite3_column_type(st, 3) != SQLITE_NULL
                        ? sqlite3_column_int(st, 3) : sqlite3_column_int(st, 2);
        if (transfer && sqlite3_column_int(st, 3) < 0) { /* back at the client: a token */
            double t1 = sqlite3_column_double(st, 6);
            if (!(x = add(r, t1, R_HOP))) {
                sqlite3_finalize(st);
                return nomem(r);
            }
            snprintf(x->text, sizeof x->text, "token: pass %d's output reaches the client",
                     sqlite3_column_int(st, 0));
        }
    }
    return finish(r, st, rc, "replay: read hop_events");
}

/* Its KV reservations, and down / up / ban / unban of the nodes it used
 * within its lifetime. */
static ss_status load_node_events(replay *r)
{
    sqlite3_stmt *st;
    ss_status s = prepare(r, "SELECT node, t, kind, request_id, bytes FROM node_events"
                             " WHERE run_id = ?1 AND (request_id = ?2 OR request_id IS NULL)"
                             " ORDER BY seq", &st);
    if (s != SS_OK)
        return s;
    int rc;
    char a[96];
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int node = sqlite3_column_int(st, 0);
        double t = sqlite3_column_double(st, 1);
        const char *k = (const char *)sqlite3_column_text(st, 2);
        int mine = sqlite3_column_type(st, 3) != SQLITE_NULL;
        if (!mine && (node < 0 || node >= r->n_nodes || !r->touched[node] || t < r->t0 ||
                      t > r->t1))
            continue;
        int ban = strcmp(k, "ban") == 0 || strcmp(k, "unban") == 0;
        item *x = add(r, t, mine ? R_KV : ban ? R_BAN : R_NODE);
        if (!x) {
            sqlite3_finalize(st);
            return nomem(r);
        }
        const char *what = strcmp(k, "down") == 0 ? "FAILURE: %s goes down"
                           : strcmp(k, "up") == 0 ? "recovery: %s is back up"
                           : strcmp(k, "ban") == 0 ? "ban: the client bans %s"
                           : strcmp(k, "unban") == 0 ? "unban: %s leaves the client's ban list"
                           : NULL;
        if (what)
            snprintf(x->text, sizeof x->text, what, node_name(r, node, a));
        else
            snprintf(x->text, sizeof x->text, "%s on %s: %" PRId64 " bytes", k,
                     node_name(r, node, a), (int64_t)sqlite3_column_int64(st, 4));
    }
    return finish(r, st, rc, "replay: read node_events");
}

static ss_status load_routes(replay *r)
{
    sqlite3_stmt *st;
    ss_status s = prepare(r, "SELECT t, kind, chosen, cost, alternatives, unit FROM route_decisions"
                             " WHERE run_id = ?1 AND request_id = ?2 ORDER BY seq", &st);
    if (s != SS_OK)
        return s;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        item *x = add(r, sqlite3_column_double(st, 0), R_ROUTE);
        if (!x) {
            sqlite3_finalize(st);
            return nomem(r);
        }
        const char *kind = (const char *)sqlite3_column_text(st, 1);
        int n = snprintf(x->text, sizeof x->text, "%s%s: chain %s",
                         strcmp(kind, "reroute") == 0 ? "retry: " : "", kind,
                         (const char *)sqlite3_column_text(st, 2));
        if (r->o->explain && n > 0 && (size_t)n < sizeof x->text) {
            if (sqlite3_column_type(st, 3) == SQLITE_NULL)
                snprintf(x->text + n, sizeof x->text - (size_t)n,
                         "; the policy reports no costs");
            else
                snprintf(x->text + n, sizeof x->text - (size_t)n,
                         "; cost %.9g %s; alternatives %s", sqlite3_column_double(st, 3),
                         (const char *)sqlite3_column_text(st, 5),
                         (const char *)sqlite3_column_text(st, 4));
        }
    }
    return finish(r, st, rc, "replay: read route_decisions");
}

static int by_time(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static ss_status print_all(replay *r, FILE *out)
{
    qsort(r->it, r->n, sizeof *r->it, by_time);
    if (r->o->explain && !r->level_all)
        fprintf(out, "(run recorded at level \"hops\": no route decisions to explain)\n");
    for (size_t i = 0; i < r->n; i++) {
        if (isinf(r->it[i].t))
            fprintf(out, "%16s  %s\n", "end", r->it[i].text);
        else
            fprintf(out, "%16.9f  %s\n", r->it[i].t, r->it[i].text);
        if (r->o->step && i + 1 < r->n) {
            fflush(out);
            int c;
            while ((c = fgetc(r->o->step)) != EOF && c != '\n')
                ;
        }
    }
    if (fflush(out) != 0 || ferror(out))
        return ss_err(r->err, r->errlen, SS_EIO, "replay: writing failed");
    return SS_OK;
}

ss_status ana_replay_print(const char *db_path, int64_t run_id, int64_t request,
                           const ana_replay_opts *o, FILE *out, char *err, size_t errlen)
{
    static const ana_replay_opts none;
    if (!db_path || !out || run_id < 0 || request < 0)
        return ss_err(err, errlen, SS_EINVAL, "replay: NULL path or negative id");
    replay r = {.run = run_id, .req = request, .o = o ? o : &none, .err = err, .errlen = errlen};
    const ana_db_cfg cfg = {.readonly = 1};
    ss_status s = ana_db_open(db_path, &cfg, &r.db, err, errlen);
    if (s != SS_OK)
        return s;
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    locale_t old = c_loc ? uselocale(c_loc) : (locale_t)0;
    if (ana_db_schema_version(r.db) < 5)
        s = ss_err(err, errlen, SS_EUNSUPPORTED, "%s: schema v%d has no event record", db_path,
                   ana_db_schema_version(r.db));
    else if (sqlite3_exec(r.db->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        s = ana_db_fail(r.db, sqlite3_errcode(r.db->h), "replay: begin read", err, errlen);
    else {
        s = check_run(&r);
        if (s == SS_OK)
            s = load_nodes(&r);
        if (s == SS_OK)
            s = load_request(&r);
        if (s == SS_OK)
            s = load_hops(&r);
        if (s == SS_OK)
            s = load_node_events(&r);
        if (s == SS_OK)
            s = load_routes(&r);
        ana_db_rollback(r.db);
    }
    if (s == SS_OK)
        s = print_all(&r, out);
    for (int i = 0; i < r.n_nodes; i++)
        ss_free(r.names[i]);
    ss_free(r.names);
    ss_free(r.touched);
    ss_free(r.it);
    ana_db_close(r.db);
    if (c_loc) {
        uselocale(old);
        freelocale(c_loc);
    }
    return s;
}
