/* ana_store.c - one run -> one transaction.
 *
 * Everything that can be checked without the database (input validation,
 * metrics, the run key, scratch buffers) is done before BEGIN IMMEDIATE, so
 * the write lock is held only for the inserts: a few thousand rows per run,
 * milliseconds, which keeps concurrent sweep workers from queueing long.
 */
#include "ana_store.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ana_db_int.h"
#include "ana_record_int.h"
#include "ana_metrics.h"
#include "ana_trust.h"
#include "ana_sha256.h"
#include "ss_alloc.h"

/* Strict UTF-8 (no overlongs, no surrogates, <= U+10FFFF): PITFALLS J21,
 * every string stored in SQLite is valid UTF-8 so readers never choke. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

static int str_ok(const char *s) { return s && utf8_valid((const unsigned char *)s, strlen(s)); }

/* A fixed char[64] field must be NUL-terminated inside the array. */
static int field_ok(const char *f, size_t cap)
{
    const char *nul = memchr(f, '\0', cap);
    return nul && utf8_valid((const unsigned char *)f, (size_t)(nul - f));
}

ss_status ana_run_key_build(const char *scenario_json, uint64_t seed, const char *version,
                            const char *build_id, char *key, size_t keylen)
{
    char hex[65];
    if (!scenario_json || !version || !key)
        return SS_EINVAL;
    ana_sha256_hex(scenario_json, strlen(scenario_json), hex);
    int has_build = build_id && *build_id;
    int n = snprintf(key, keylen, "%s:%" PRIu64 ":%s%s%s", hex, seed, version,
                     has_build ? ":" : "", has_build ? build_id : "");
    return n < 0 || (size_t)n >= keylen ? SS_ERANGE : SS_OK;
}

ss_status ana_run_key(const char *scenario_json, uint64_t seed, const char *version,
                      char *key, size_t keylen)
{
    return ana_run_key_build(scenario_json, seed, version, NULL, key, keylen);
}

ss_status ana_run_find(ana_db *db, const char *run_key, int64_t *run_id,
                       char *err, size_t errlen)
{
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(db, "SELECT id FROM runs WHERE run_key = ?", &st, err, errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_text(st, 1, run_key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *run_id = sqlite3_column_int64(st, 0);
    } else if (rc == SQLITE_DONE) {
        s = ss_err(err, errlen, SS_ENOTFOUND, "%s: no run with key %s", db->name, run_key);
    } else {
        s = ana_db_fail(db, rc, "find run", err, errlen);
    }
    sqlite3_finalize(st);
    return s;
}

/* One REAL of `sql` (run_id bound first, then up to two texts). */
static ss_status read_value(ana_db *db, const char *sql, int64_t run_id, const char *a,
                            const char *b, double *value, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(db, sql, &st, err, errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(st, 3, b, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_type(st, 0) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 0);
    else if (rc == SQLITE_DONE)
        s = ss_err(err, errlen, SS_ENOTFOUND, "%s: run %" PRId64 " has no %s%s%s", db->name,
                   run_id, a, b ? " " : "", b ? b : "");
    else
        s = ana_db_fail(db, rc, "read run value", err, errlen);
    sqlite3_finalize(st);
    return s;
}

ss_status ana_run_metric(ana_db *db, int64_t run_id, const char *name, double *value,
                         char *err, size_t errlen)
{
    if (!db || !name || !value)
        return ss_err(err, errlen, SS_EINVAL, "run metric: NULL argument");
    return read_value(db, "SELECT value FROM metrics WHERE run_id = ? AND name = ?", run_id,
                      name, NULL, value, err, errlen);
}

ss_status ana_run_accuracy(ana_db *db, int64_t run_id, const char *codec, const char *metric,
                           double *value, char *err, size_t errlen)
{
    if (!db || !codec || !metric || !value)
        return ss_err(err, errlen, SS_EINVAL, "run accuracy: NULL argument");
    return read_value(db, "SELECT value FROM accuracy WHERE run_id = ? AND codec = ? AND metric = ?",
                      run_id, codec, metric, value, err, errlen);
}

static const char *request_status_text(sim_request_status st)
{
    switch (st) {
    case SIM_REQUEST_OK:
        return "ok";
    case SIM_REQUEST_INCOMPLETE:
        return "incomplete";
    case SIM_REQUEST_FAILED:
        return "failed";
    }
    return NULL;
}

/* Checks that need no database; the message names the offending item. */
static ss_status validate(ana_db *db, const ana_run_info *info, const sim_results *r,
                          char *err, size_t errlen)
{
    const char *nm = db->name;
    if (!info || !r)
        return ss_err(err, errlen, SS_EINVAL, "%s: store run: NULL info or results", nm);
    if (!str_ok(info->scenario_name) || !str_ok(info->scenario_json) || !str_ok(info->version) ||
        !*info->version)
        return ss_err(err, errlen, SS_EINVAL,
                      "%s: store run: scenario_name, scenario_json and version must be non-NULL valid UTF-8",
                      nm);
    if ((info->status && (!*info->status || !str_ok(info->status))) ||
        (info->blas_core && !str_ok(info->blas_core)) ||
        (info->created_at_wall && !str_ok(info->created_at_wall)) ||
        (info->build_id && (!str_ok(info->build_id) || strlen(info->build_id) >= ANA_BUILD_ID_MAX)))
        return ss_err(err, errlen, SS_EINVAL, "%s: store run: status, blas_core, created_at_wall or build_id is not valid UTF-8 (or status is empty, or build_id too long)", nm);
    if (!isfinite(info->wall_seconds) || info->wall_seconds < 0)
        return ss_err(err, errlen, SS_EINVAL, "%s: store run: wall_seconds must be finite and >= 0, got %g",
                      nm, info->wall_seconds);
    if (info->n_accuracy && !info->accuracy)
        return ss_err(err, errlen, SS_EINVAL, "%s: store run: NULL accuracy rows", nm);
    for (size_t i = 0; i < info->n_accuracy; i++)
        if (!str_ok(info->accuracy[i].codec) || !str_ok(info->accuracy[i].metric) ||
            !isfinite(info->accuracy[i].value))
            return ss_err(err, errlen, SS_EINVAL,
                          "%s: store run: accuracy row %zu needs UTF-8 codec and metric names and a "
                          "finite value", nm, i);
    if (r->n_requests < 0 || r->n_nodes < 0 || (r->n_requests && !r->requests) ||
        (r->n_nodes && !r->nodes) || (r->n_route && !r->route))
        return ss_err(err, errlen, SS_EINVAL, "%s: store run: results have a NULL array or a negative count", nm);
    if (r->end_ns < 0)
        return ss_err(err, errlen, SS_EINVAL, "%s: store run: negative end time %" PRId64 " ns", nm, r->end_ns);
    if (r->n_events > INT64_MAX)
        return ss_err(err, errlen, SS_ERANGE, "%s: store run: n_events %" PRIu64 " exceeds SQLite's int64", nm, r->n_events);
    for (int i = 0; i < r->n_requests; i++) {
        const sim_request_rec *q = &r->requests[i];
        if (q->id > INT64_MAX)
            return ss_err(err, errlen, SS_ERANGE, "%s: store run: requests[%d].id %" PRIu64 " exceeds SQLite's int64",
                          nm, i, q->id);
        if ((uint64_t)q->route_off + q->route_len > r->n_route)
            return ss_err(err, errlen, SS_EINVAL,
                          "%s: store run: requests[%d] route [%" PRIu32 ", +%" PRIu32 ") outside route (%" PRIu32 " hops)",
                          nm, i, q->route_off, q->route_len, r->n_route);
        if (!request_status_text(q->status))
            return ss_err(err, errlen, SS_EINVAL, "%s: store run: requests[%d] has unknown status %d",
                          nm, i, (int)q->status);
    }
    for (int i = 0; i < r->n_nodes; i++) {
        const sim_node_rec *d = &r->nodes[i];
        if (!field_ok(d->name, sizeof d->name) || !field_ok(d->region, sizeof d->region))
            return ss_err(err, errlen, SS_EINVAL,
                          "%s: store run: nodes[%d] name or region is unterminated or not UTF-8", nm, i);
        if (d->bytes_in > INT64_MAX || d->bytes_out > INT64_MAX || d->kv_peak_bytes > INT64_MAX ||
            d->n_tasks > INT64_MAX)
            return ss_err(err, errlen, SS_ERANGE, "%s: store run: nodes[%d] has a counter above SQLite's int64",
                          nm, i);
    }
    return SS_OK;
}

/* NULL for the -1 "never happened" sentinel of sim_request_rec. */
static void bind_time(sqlite3_stmt *st, int col, int64_t ns)
{
    if (ns < 0)
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_double(st, col, (double)ns / 1e9);
}

/* NaN means "undefined" (no samples); SQLite would store it as NULL
 * anyway, this says so explicitly. */
static void bind_real(sqlite3_stmt *st, int col, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, col);
    else
        sqlite3_bind_double(st, col, v);
}

/* "3>7>12", a hop never bound as "?" ("3>?"); buf has room for
 * route_len * 12 + 1 bytes (int32 = 11 chars + '>'). */
static void format_route(char *buf, const sim_route_rec *hops, uint32_t len)
{
    char *p = buf;
    *p = '\0';
    for (uint32_t i = 0; i < len; i++) {
        if (i)
            *p++ = '>';
        if (hops[i].bound)
            p += sprintf(p, "%" PRId32, hops[i].node);
        else
            *p++ = '?', *p = '\0';
    }
}

static ss_status step_done(ana_db *db, sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return ana_db_fail(db, rc, what, err, errlen);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return SS_OK;
}

ss_status ana_store_run(ana_db *db, const ana_run_info *info, const sim_results *r,
                        int record_requests, int64_t *run_id, char *err, size_t errlen)
{
    ana_metrics m;
    char sha[65], key[ANA_RUN_KEY_MAX], seed[24];
    char *route = NULL;
    sqlite3_stmt *st_run = NULL, *st_req = NULL, *st_node = NULL, *st_met = NULL, *st_acc = NULL;
    ss_status s;
    int in_tx = 0;
    if (!db || !run_id)
        return ss_err(err, errlen, SS_EINVAL, "store run: NULL database or run_id");
    *run_id = 0;
    if ((s = validate(db, info, r, err, errlen)) != SS_OK)
        return s;
    if (db->readonly)
        return ss_err(err, errlen, SS_EREADONLY, "%s: store run: database is opened read-only", db->name);
    if ((s = ana_metrics_compute(r, &m, err, errlen)) != SS_OK)
        return s;
    ana_sha256_hex(info->scenario_json, strlen(info->scenario_json), sha);
    const char *build = info->build_id && *info->build_id ? info->build_id : NULL;
    if (ana_run_key_build(info->scenario_json, r->seed, info->version, build, key, sizeof key) !=
        SS_OK)
        return ss_err(err, errlen, SS_EINVAL, "%s: store run: version string too long for the run key", db->name);
    snprintf(seed, sizeof seed, "%" PRIu64, r->seed);

    uint32_t max_route = 0;
    for (int i = 0; record_requests && i < r->n_requests; i++)
        max_route = r->requests[i].route_len > max_route ? r->requests[i].route_len : max_route;
    route = ss_malloc_array((size_t)max_route * 12 + 1, 1);
    if (!route) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: store run: out of memory for routes", db->name);
        goto fail;
    }

    if ((s = ana_db_begin_write(db, "store run", err, errlen)) != SS_OK)
        goto fail;
    in_tx = 1;
    /* Inside the write lock, so no other writer can insert the key between
     * this check and our insert; the UNIQUE constraint is the backstop. */
    int64_t existing;
    s = ana_run_find(db, key, &existing, NULL, 0);
    if (s == SS_OK) {
        ana_db_rollback(db);
        ss_free(route);
        *run_id = existing;
        return ss_err(err, errlen, SS_EEXIST, "%s: store run: run_key %s already stored as run %" PRId64,
                      db->name, key, existing);
    }
    if (s != SS_ENOTFOUND) {
        s = ana_db_fail(db, sqlite3_errcode(db->h), "store run: look up run_key", err, errlen);
        goto fail;
    }

    if ((s = ana_db_prepare(db,
                            "INSERT INTO runs(run_key, scenario_name, scenario_json, scenario_sha256, seed,"
                            " version, status, blas_core, sim_end_s, n_events, n_requests, requests_recorded,"
                            " wall_seconds, created_at_wall, build_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,"
                            " coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')), ?)",
                            &st_run, err, errlen)) != SS_OK)
        goto fail;
    sqlite3_bind_text(st_run, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st_run, 2, info->scenario_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st_run, 3, info->scenario_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st_run, 4, sha, -1, SQLITE_STATIC);
    sqlite3_bind_text(st_run, 5, seed, -1, SQLITE_STATIC);
    sqlite3_bind_text(st_run, 6, info->version, -1, SQLITE_STATIC);
    sqlite3_bind_text(st_run, 7, info->status ? info->status : "ok", -1, SQLITE_STATIC);
    if (info->blas_core)
        sqlite3_bind_text(st_run, 8, info->blas_core, -1, SQLITE_STATIC);
    sqlite3_bind_double(st_run, 9, (double)r->end_ns / 1e9);
    sqlite3_bind_int64(st_run, 10, (int64_t)r->n_events);
    sqlite3_bind_int64(st_run, 11, r->n_requests);
    sqlite3_bind_int(st_run, 12, record_requests ? 1 : 0);
    sqlite3_bind_double(st_run, 13, info->wall_seconds);
    if (info->created_at_wall)
        sqlite3_bind_text(st_run, 14, info->created_at_wall, -1, SQLITE_STATIC);
    if (build)
        sqlite3_bind_text(st_run, 15, build, -1, SQLITE_STATIC);
    if ((s = step_done(db, st_run, "store run: insert runs row", err, errlen)) != SS_OK)
        goto fail;
    int64_t id = sqlite3_last_insert_rowid(db->h);

    if (record_requests && r->n_requests > 0) {
        if ((s = ana_db_prepare(db,
                                "INSERT INTO requests(run_id, id, arrival_s, first_token_s, finish_s,"
                                " prompt_tokens, output_tokens, tokens_done, retries, status, route,"
                                " dead_sends, hops, tokens_recomputed, recovery_s, truncated)"
                                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                &st_req, err, errlen)) != SS_OK)
            goto fail;
        for (int i = 0; i < r->n_requests; i++) {
            const sim_request_rec *q = &r->requests[i];
            format_route(route, r->route + q->route_off, q->route_len);
            sqlite3_bind_int64(st_req, 1, id);
            sqlite3_bind_int64(st_req, 2, (int64_t)q->id);
            bind_time(st_req, 3, q->arrival_ns);
            bind_time(st_req, 4, q->first_token_ns);
            bind_time(st_req, 5, q->finish_ns);
            sqlite3_bind_int(st_req, 6, q->prompt_tokens);
            sqlite3_bind_int(st_req, 7, q->output_tokens);
            sqlite3_bind_int(st_req, 8, q->tokens_done);
            sqlite3_bind_int(st_req, 9, q->retries);
            sqlite3_bind_text(st_req, 10, request_status_text(q->status), -1, SQLITE_STATIC);
            sqlite3_bind_text(st_req, 11, route, -1, SQLITE_STATIC);
            sqlite3_bind_int(st_req, 12, q->dead_sends);
            sqlite3_bind_int(st_req, 13, q->hops);
            sqlite3_bind_int64(st_req, 14, q->tokens_recomputed);
            sqlite3_bind_double(st_req, 15, (double)q->recovery_ns / 1e9);
            sqlite3_bind_int(st_req, 16, q->truncated != 0);
            if ((s = step_done(db, st_req, "store run: insert requests row", err, errlen)) != SS_OK)
                goto fail;
        }
    }

    if (r->n_nodes > 0 && !info->no_nodes) {
        if ((s = ana_db_prepare(db,
                                "INSERT INTO nodes(run_id, id, name, region, first_block, end_block, busy_s,"
                                " utilisation, bytes_in, bytes_out, failures, kv_peak_bytes, n_tasks, down_s)"
                                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                &st_node, err, errlen)) != SS_OK)
            goto fail;
        for (int i = 0; i < r->n_nodes; i++) {
            const sim_node_rec *d = &r->nodes[i];
            sqlite3_bind_int64(st_node, 1, id);
            sqlite3_bind_int(st_node, 2, d->id);
            sqlite3_bind_text(st_node, 3, d->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st_node, 4, d->region, -1, SQLITE_STATIC);
            sqlite3_bind_int(st_node, 5, d->first_block);
            sqlite3_bind_int(st_node, 6, d->end_block);
            sqlite3_bind_double(st_node, 7, (double)d->busy_ns / 1e9);
            bind_real(st_node, 8, ana_utilisation(d->busy_ns, r->end_ns));
            sqlite3_bind_int64(st_node, 9, (int64_t)d->bytes_in);
            sqlite3_bind_int64(st_node, 10, (int64_t)d->bytes_out);
            sqlite3_bind_int(st_node, 11, d->failures);
            sqlite3_bind_int64(st_node, 12, (int64_t)d->kv_peak_bytes);
            sqlite3_bind_int64(st_node, 13, (int64_t)d->n_tasks);
            sqlite3_bind_double(st_node, 14, (double)d->down_ns / 1e9);
            if ((s = step_done(db, st_node, "store run: insert nodes row", err, errlen)) != SS_OK)
                goto fail;
        }
    }

    if ((s = ana_db_prepare(db, "INSERT INTO metrics(run_id, name, value) VALUES (?,?,?)",
                            &st_met, err, errlen)) != SS_OK)
        goto fail;
    for (size_t i = 0; i < ana_metrics_count(); i++) {
        sqlite3_bind_int64(st_met, 1, id);
        sqlite3_bind_text(st_met, 2, ana_metrics_name(i), -1, SQLITE_STATIC);
        bind_real(st_met, 3, ana_metrics_value(&m, i));
        if ((s = step_done(db, st_met, "store run: insert metrics row", err, errlen)) != SS_OK)
            goto fail;
    }
    for (size_t i = 0; r->trust.on && i < ana_trust_count(); i++) {
        sqlite3_bind_int64(st_met, 1, id);
        sqlite3_bind_text(st_met, 2, ana_trust_name(i), -1, SQLITE_STATIC);
        bind_real(st_met, 3, ana_trust_value(&r->trust, i));
        if ((s = step_done(db, st_met, "store run: insert metrics row", err, errlen)) != SS_OK)
            goto fail;
    }

    if (info->n_accuracy &&
        (s = ana_db_prepare(db, "INSERT INTO accuracy(run_id, codec, metric, value) VALUES (?,?,?,?)",
                            &st_acc, err, errlen)) != SS_OK)
        goto fail;
    for (size_t i = 0; i < info->n_accuracy; i++) {
        sqlite3_bind_int64(st_acc, 1, id);
        sqlite3_bind_text(st_acc, 2, info->accuracy[i].codec, -1, SQLITE_STATIC);
        sqlite3_bind_text(st_acc, 3, info->accuracy[i].metric, -1, SQLITE_STATIC);
        bind_real(st_acc, 4, info->accuracy[i].value);
        if ((s = step_done(db, st_acc, "store run: insert accuracy row", err, errlen)) != SS_OK)
            goto fail;
    }

    if (info->record && (s = ana_record_store(db, id, info->record, err, errlen)) != SS_OK)
        goto fail;

    /* Finalize before COMMIT: a pending statement would not block it, but
     * this way no statement outlives the transaction it belongs to. */
    sqlite3_finalize(st_run);
    sqlite3_finalize(st_req);
    sqlite3_finalize(st_node);
    sqlite3_finalize(st_met);
    sqlite3_finalize(st_acc);
    st_run = st_req = st_node = st_met = st_acc = NULL;
    in_tx = 0;
    if ((s = ana_db_commit(db, "store run: commit", err, errlen)) != SS_OK)
        goto fail;
    ss_free(route);
    *run_id = id;
    return SS_OK;
fail:
    sqlite3_finalize(st_run);
    sqlite3_finalize(st_req);
    sqlite3_finalize(st_node);
    sqlite3_finalize(st_met);
    sqlite3_finalize(st_acc);
    if (in_tx)
        ana_db_rollback(db);
    ss_free(route);
    return s;
}
