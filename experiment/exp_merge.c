/* exp_merge.c - results databases merged by run key (exp_merge.h).
 *
 * Inputs are attached to the output's connection (ATTACH is refused inside
 * a transaction, so all are attached first, then one BEGIN IMMEDIATE) and
 * rows are copied with INSERT ... SELECT over the column lists the output's
 * own schema names, so a table that gains a column needs no change here.
 */
#include "exp_merge.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ana_store.h"
#include "ss_alloc.h"

/* The per-run tables, each keyed by run_id (analysis/README.md). */
static const char *const run_tables[] = {"requests", "nodes", "metrics", "accuracy"};
#define N_RUN_TABLES (sizeof run_tables / sizeof run_tables[0])
static const char *const no_id[] = {"id", NULL};
static const char *const no_run_id[] = {"run_id", NULL};
/* What two stores of one run may differ in (ana_run_digest leaves the same
 * out): the row id and the wall clock. */
static const char *const no_wall[] = {"id", "wall_seconds", "created_at_wall", NULL};

static ss_status sql_fail(sqlite3 *h, int rc, const char *what, char *err, size_t errlen)
{
    ss_status st = SS_EDB;
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        st = SS_EBUSY;
        break;
    case SQLITE_NOMEM:
        st = SS_ENOMEM;
        break;
    case SQLITE_FULL:
        st = SS_EFULL;
        break;
    case SQLITE_READONLY:
        st = SS_EREADONLY;
        break;
    case SQLITE_IOERR:
        st = SS_EIO;
        break;
    }
    return ss_err(err, errlen, st, "%s: %s: %s", sqlite3_db_filename(h, "main"), what,
                  sqlite3_errmsg(h));
}

static int skipped(const char *name, const char *const *skip)
{
    for (; skip && *skip; skip++)
        if (strcmp(name, *skip) == 0)
            return 1;
    return 0;
}

/* Comma-separated column names of schema.table (without those in the
 * NULL-terminated list `skip`) into buf.
 * Returns the number of columns, or -1 (err filled). */
static int columns(sqlite3 *h, const char *schema, const char *table, const char *const *skip,
                   char *buf,
                   size_t len, char *err, size_t errlen)
{
    char sql[200];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof sql, "PRAGMA \"%s\".table_info(\"%s\")", schema, table);
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL), n = 0;
    size_t used = 0;
    buf[0] = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 1);
        rc = SQLITE_OK;
        if (!name || skipped(name, skip))
            continue;
        int k = snprintf(buf + used, len - used, "%s\"%s\"", n ? "," : "", name);
        if (k < 0 || (size_t)k >= len - used) {
            sqlite3_finalize(st);
            ss_err(err, errlen, SS_ERANGE, "%s.%s: too many columns", schema, table);
            return -1;
        }
        used += (size_t)k, n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        sql_fail(h, rc, "read the table's columns", err, errlen);
        return -1;
    }
    return n;
}

/* The input's tables have exactly the output's columns. */
static ss_status same_schema(sqlite3 *h, const char *schema, const char *label, char *err,
                             size_t errlen)
{
    static const char *const all[] = {"runs",    "requests", "nodes",  "metrics",
                                      "accuracy", "sweeps",  "sweep_points"};
    char a[2048], b[2048];
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (columns(h, "main", all[i], NULL, a, sizeof a, err, errlen) < 0 ||
            columns(h, schema, all[i], NULL, b, sizeof b, err, errlen) < 0)
            return SS_EDB;
        if (strcmp(a, b) != 0)
            return ss_err(err, errlen, SS_ESCHEMA,
                          "%s: table %s has columns (%s), the output has (%s): not the same schema",
                          label, all[i], b, a);
    }
    return SS_OK;
}

static ss_status exec1(sqlite3 *h, const char *sql, int64_t a, int64_t b, const char *what,
                       char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, a);
        sqlite3_bind_int64(st, 2, b);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SS_OK : sql_fail(h, rc, what, err, errlen);
}

/* Look up a run id by key in `schema`: 1 found, 0 not, -1 error. */
static int find_key(sqlite3 *h, const char *schema, const char *key, int64_t *id, char *err,
                    size_t errlen)
{
    char sql[160];
    sqlite3_stmt *st = NULL;
    snprintf(sql, sizeof sql, "SELECT id FROM \"%s\".runs WHERE run_key = ?1", schema);
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL), found = 0;
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *id = sqlite3_column_int64(st, 0), found = 1, rc = SQLITE_DONE;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        sql_fail(h, rc, "look a run key up", err, errlen);
        return -1;
    }
    return found;
}

/* Copy run src_id of `schema` into main; *new_id its id there. */
static ss_status copy_run(sqlite3 *h, const char *schema, int64_t src_id, int64_t *new_id,
                          char *err, size_t errlen)
{
    char cols[2048], sql[4600];
    if (columns(h, "main", "runs", no_id, cols, sizeof cols, err, errlen) < 0)
        return SS_EDB;
    snprintf(sql, sizeof sql, "INSERT INTO main.runs (%s) SELECT %s FROM \"%s\".runs WHERE id = ?1",
             cols, cols, schema);
    ss_status st = exec1(h, sql, src_id, 0, "copy a run", err, errlen);
    if (st != SS_OK)
        return st;
    *new_id = sqlite3_last_insert_rowid(h);
    for (size_t t = 0; t < N_RUN_TABLES; t++) {
        if (columns(h, "main", run_tables[t], no_run_id, cols, sizeof cols, err, errlen) < 0)
            return SS_EDB;
        snprintf(sql, sizeof sql,
                 "INSERT INTO main.%s (run_id,%s) SELECT ?2,%s FROM \"%s\".%s WHERE run_id = ?1",
                 run_tables[t], cols, cols, schema, run_tables[t]);
        if ((st = exec1(h, sql, src_id, *new_id, "copy a run's rows", err, errlen)) != SS_OK)
            return st;
    }
    return SS_OK;
}

/* 1 when run a of main and run b of `schema` have the same content (every
 * column but ids and wall-clock ones, every row of the per-run tables),
 * 0 when not, -1 on error. */
static int same_run(sqlite3 *h, const char *schema, int64_t a, int64_t b, char *err, size_t errlen)
{
    char cols[2048], sql[9000];
    for (size_t t = 0; t <= N_RUN_TABLES; t++) {
        const char *table = t == 0 ? "runs" : run_tables[t - 1];
        const char *idcol = t == 0 ? "id" : "run_id";
        if (columns(h, "main", table, t == 0 ? no_wall : no_run_id, cols, sizeof cols, err,
                    errlen) < 0)
            return -1;
        snprintf(sql, sizeof sql,
                 "SELECT (SELECT count(*) FROM (SELECT %s FROM main.%s WHERE %s = ?1 EXCEPT "
                 "SELECT %s FROM \"%s\".%s WHERE %s = ?2)) + (SELECT count(*) FROM (SELECT %s "
                 "FROM \"%s\".%s WHERE %s = ?2 EXCEPT SELECT %s FROM main.%s WHERE %s = ?1))",
                 cols, table, idcol, cols, schema, table, idcol, cols, schema, table, idcol, cols,
                 table, idcol);
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
        int64_t differ = 0;
        if (rc == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, a);
            sqlite3_bind_int64(st, 2, b);
            if ((rc = sqlite3_step(st)) == SQLITE_ROW)
                differ = sqlite3_column_int64(st, 0), rc = SQLITE_DONE;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            sql_fail(h, rc, "compare two runs", err, errlen);
            return -1;
        }
        if (differ)
            return 0;
    }
    return 1;
}

ss_status exp_merge_copy_run(ana_db *db, const char *schema, const char *run_key, int64_t *run_id,
                             int *copied, char *err, size_t errlen)
{
    sqlite3 *h = ana_db_sqlite(db);
    int64_t src_id = 0;
    *copied = 0;
    int f = find_key(h, "main", run_key, run_id, err, errlen);
    if (f != 0)
        return f < 0 ? SS_EDB : SS_OK;
    f = find_key(h, schema, run_key, &src_id, err, errlen);
    if (f <= 0)
        return f < 0 ? SS_EDB
                     : ss_err(err, errlen, SS_ENOTFOUND, "%s: no run with key %s", schema, run_key);
    ss_status st = same_schema(h, schema, schema, err, errlen);
    if (st == SS_OK && (st = copy_run(h, schema, src_id, run_id, err, errlen)) == SS_OK)
        *copied = 1;
    return st;
}

/* ---- exp_merge ---------------------------------------------------------- */

typedef struct merge_in {
    const char *path;
    char schema[16]; /* "in0" ... */
    ana_db *ro;      /* the input opened read-only: validated before the output is touched */
} merge_in;

/* Every run of one input: copied, or compared by digest with the output's. */
static ss_status merge_runs(ana_db *out, merge_in *in, exp_merge_summary *sum, char *err,
                            size_t errlen)
{
    sqlite3 *h = ana_db_sqlite(out);
    char sql[160];
    sqlite3_stmt *q = NULL;
    snprintf(sql, sizeof sql, "SELECT id, run_key FROM \"%s\".runs ORDER BY id", in->schema);
    int rc = sqlite3_prepare_v2(h, sql, -1, &q, NULL);
    ss_status st = SS_OK;
    while (st == SS_OK && rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t src_id = sqlite3_column_int64(q, 0), id = 0;
        const char *key = (const char *)sqlite3_column_text(q, 1);
        rc = SQLITE_OK;
        int f = find_key(h, "main", key, &id, err, errlen);
        if (f < 0) {
            st = SS_EDB;
        } else if (f == 0) {
            if ((st = copy_run(h, in->schema, src_id, &id, err, errlen)) == SS_OK)
                sum->n_runs_new++;
        } else {
            int same = same_run(h, in->schema, id, src_id, err, errlen);
            if (same < 0)
                st = SS_EDB;
            else if (!same)
                st = ss_err(err, errlen, SS_ESCHEMA, "%s: run %s: conflicting content (the "
                            "output's run %lld differs)", in->path, key, (long long)id);
            else
                sum->n_runs_same++;
        }
    }
    sqlite3_finalize(q);
    if (st == SS_OK && rc != SQLITE_DONE)
        st = sql_fail(h, rc, "read the input's runs", err, errlen);
    return st;
}

/* Text equality with NULL == NULL. */
static int same_text(const unsigned char *a, const unsigned char *b)
{
    return (!a && !b) || (a && b && strcmp((const char *)a, (const char *)b) == 0);
}

/* The output's sweep of the input's sweep row `q` (registered if missing;
 * another spec or axes under the same name is a conflict). */
static ss_status out_sweep(sqlite3 *h, sqlite3_stmt *q, const merge_in *in, int64_t *id,
                           exp_merge_summary *sum, char *err, size_t errlen)
{
    const char *name = (const char *)sqlite3_column_text(q, 1);
    sqlite3_stmt *f = NULL;
    int rc = sqlite3_prepare_v2(h, "SELECT id, spec_json, axes_json FROM main.sweeps WHERE name = ?1",
                                -1, &f, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(f, 1, name, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(f);
    }
    if (rc == SQLITE_ROW) {
        int same = same_text(sqlite3_column_text(f, 1), sqlite3_column_text(q, 2)) &&
                   same_text(sqlite3_column_text(f, 2), sqlite3_column_text(q, 3));
        *id = sqlite3_column_int64(f, 0);
        sqlite3_finalize(f);
        return same ? SS_OK
                    : ss_err(err, errlen, SS_ESCHEMA,
                             "%s: sweep \"%s\": conflicting content (other axes or base scenario)",
                             in->path, name);
    }
    sqlite3_finalize(f);
    if (rc != SQLITE_DONE)
        return sql_fail(h, rc, "look a sweep up", err, errlen);
    rc = sqlite3_prepare_v2(h, "INSERT INTO main.sweeps (name, spec_json, axes_json, created_at_wall)"
                               " VALUES (?1, ?2, ?3, ?4)", -1, &f, NULL);
    for (int c = 1; rc == SQLITE_OK && c <= 4; c++)
        sqlite3_bind_text(f, c, (const char *)sqlite3_column_text(q, c), -1, SQLITE_TRANSIENT);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(f);
    sqlite3_finalize(f);
    if (rc != SQLITE_DONE)
        return sql_fail(h, rc, "register a sweep", err, errlen);
    *id = sqlite3_last_insert_rowid(h);
    sum->n_sweeps_new++;
    return SS_OK;
}

/* 1: write the input's point p (columns combo, seed, axes, status, error,
 * run_key) over the output's; 0: keep the output's; -1: a conflict. */
static int point_decision(sqlite3 *h, int64_t sweep_id, sqlite3_stmt *p, int *rc_out)
{
    sqlite3_stmt *f = NULL;
    int rc = sqlite3_prepare_v2(h, "SELECT p.axes_json, p.status, p.error, r.run_key FROM "
                                   "main.sweep_points p LEFT JOIN main.runs r ON r.id = p.run_id "
                                   "WHERE p.sweep_id = ?1 AND p.combo = ?2 AND p.seed = ?3",
                                -1, &f, NULL), d = 1;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(f, 1, sweep_id);
        sqlite3_bind_int64(f, 2, sqlite3_column_int64(p, 0));
        sqlite3_bind_text(f, 3, (const char *)sqlite3_column_text(p, 1), -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(f);
    }
    if (rc == SQLITE_ROW) {
        int same = 1;
        for (int c = 0; c < 4; c++)
            same &= same_text(sqlite3_column_text(f, c), sqlite3_column_text(p, c + 2));
        int out_ok = same_text(sqlite3_column_text(f, 1), (const unsigned char *)"ok");
        int in_ok = same_text(sqlite3_column_text(p, 3), (const unsigned char *)"ok");
        d = same || (out_ok && !in_ok) ? 0 : (!out_ok && in_ok) ? 1 : -1;
        if (!same && !out_ok && !in_ok)
            d = 0; /* two failures of the same point: keep the first error */
        rc = SQLITE_DONE;
    }
    sqlite3_finalize(f);
    *rc_out = rc;
    return d;
}

static ss_status merge_points(sqlite3 *h, const merge_in *in, int64_t src_sweep, int64_t sweep_id,
                              const char *name, exp_merge_summary *sum, char *err, size_t errlen)
{
    char sql[400];
    sqlite3_stmt *p = NULL, *w = NULL;
    snprintf(sql, sizeof sql, "SELECT p.combo, p.seed, p.axes_json, p.status, p.error, r.run_key "
             "FROM %s.sweep_points p LEFT JOIN %s.runs r ON r.id = p.run_id WHERE p.sweep_id = ?1 "
             "ORDER BY p.combo, p.seed", in->schema, in->schema);
    int rc = sqlite3_prepare_v2(h, sql, -1, &p, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO main.sweep_points (sweep_id, combo, "
                                   "seed, axes_json, status, run_id, error) VALUES (?1, ?2, ?3, "
                                   "?4, ?5, (SELECT id FROM main.runs WHERE run_key = ?6), ?7)",
                                -1, &w, NULL);
    if (rc == SQLITE_OK)
        sqlite3_bind_int64(p, 1, src_sweep);
    ss_status st = SS_OK;
    while (st == SS_OK && rc == SQLITE_OK && (rc = sqlite3_step(p)) == SQLITE_ROW) {
        int d = point_decision(h, sweep_id, p, &rc);
        if (rc != SQLITE_DONE)
            break;
        rc = SQLITE_OK;
        if (d < 0) {
            st = ss_err(err, errlen, SS_ESCHEMA,
                        "%s: sweep \"%s\" point (combo %lld, seed %s): conflicting content",
                        in->path, name, (long long)sqlite3_column_int64(p, 0),
                        (const char *)sqlite3_column_text(p, 1));
        } else if (d > 0) {
            sqlite3_reset(w);
            sqlite3_bind_int64(w, 1, sweep_id);
            sqlite3_bind_int64(w, 2, sqlite3_column_int64(p, 0));
            sqlite3_bind_value(w, 3, sqlite3_column_value(p, 1));
            sqlite3_bind_value(w, 4, sqlite3_column_value(p, 2));
            sqlite3_bind_value(w, 5, sqlite3_column_value(p, 3));
            sqlite3_bind_value(w, 6, sqlite3_column_value(p, 5));
            sqlite3_bind_value(w, 7, sqlite3_column_value(p, 4));
            if ((rc = sqlite3_step(w)) != SQLITE_DONE)
                break;
            rc = SQLITE_OK;
            sum->n_points_new++;
        }
    }
    if (st == SS_OK && rc != SQLITE_DONE)
        st = sql_fail(h, rc, "merge sweep points", err, errlen);
    sqlite3_finalize(p);
    sqlite3_finalize(w);
    return st;
}

/* Every sweep of one input, after its runs (points name runs by key). */
static ss_status merge_sweeps(sqlite3 *h, const merge_in *in, exp_merge_summary *sum, char *err,
                              size_t errlen)
{
    char sql[160];
    sqlite3_stmt *q = NULL;
    snprintf(sql, sizeof sql, "SELECT id, name, spec_json, axes_json, created_at_wall "
             "FROM %s.sweeps ORDER BY id", in->schema);
    int rc = sqlite3_prepare_v2(h, sql, -1, &q, NULL);
    ss_status st = SS_OK;
    while (st == SS_OK && rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t id = 0;
        rc = SQLITE_OK;
        st = out_sweep(h, q, in, &id, sum, err, errlen);
        if (st == SS_OK)
            st = merge_points(h, in, sqlite3_column_int64(q, 0), id,
                              (const char *)sqlite3_column_text(q, 1), sum, err, errlen);
    }
    sqlite3_finalize(q);
    if (st == SS_OK && rc != SQLITE_DONE)
        st = sql_fail(h, rc, "read the input's sweeps", err, errlen);
    return st;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Inputs are attached read-only ("file:PATH?mode=ro"): BEGIN IMMEDIATE
 * then takes the write lock of the output alone. */
static ss_status attach(sqlite3 *h, merge_in *in, char *err, size_t errlen)
{
    size_t n = strlen(in->path);
    char *uri = ss_malloc(3 * n + 16), *u = uri;
    if (!uri)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", in->path);
    u += sprintf(u, "file:");
    for (const char *c = in->path; *c; c++) /* the URI's special characters escaped */
        u += strchr("%?#", *c) ? sprintf(u, "%%%02X", (unsigned char)*c) : sprintf(u, "%c", *c);
    sprintf(u, "?mode=ro");
    sqlite3_stmt *st = NULL;
    char sql[64];
    snprintf(sql, sizeof sql, "ATTACH DATABASE ?1 AS %s", in->schema);
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
    }
    sqlite3_finalize(st);
    ss_free(uri);
    if (rc != SQLITE_DONE)
        return sql_fail(h, rc, in->path, err, errlen);
    return same_schema(h, in->schema, in->path, err, errlen);
}

/* Open every input read-only (validated: a shardsim database of this
 * schema version), before the output is touched. */
static ss_status open_inputs(const char *out_path, merge_in *ins, size_t n, char *err,
                             size_t errlen)
{
    ana_db_cfg ro = {.readonly = 1};
    for (size_t i = 0; i < n; i++) {
        if (same_file(ins[i].path, out_path))
            return ss_err(err, errlen, SS_EINVAL, "%s: an input is the output", ins[i].path);
        ss_status st = ana_db_open(ins[i].path, &ro, &ins[i].ro, err, errlen);
        if (st == SS_EREADONLY)
            return ss_err(err, errlen, SS_ESCHEMA,
                          "%s: schema version older than %d: open it once with this shardsim "
                          "(e.g. `shardsim report`) to migrate it, then merge", ins[i].path,
                          ANA_SCHEMA_VERSION);
        if (st != SS_OK)
            return st;
    }
    return SS_OK;
}

static ss_status merge_all(ana_db *out, merge_in *ins, size_t n, exp_merge_summary *sum,
                           char *err, size_t errlen)
{
    sqlite3 *h = ana_db_sqlite(out);
    ss_status st = SS_OK;
    size_t attached = 0;
    for (; attached < n && st == SS_OK; attached++)
        st = attach(h, &ins[attached], err, errlen);
    int rc = st == SS_OK ? sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) : SQLITE_OK;
    if (st == SS_OK && rc != SQLITE_OK)
        st = sql_fail(h, rc, "begin the merge", err, errlen);
    else if (st == SS_OK) {
        for (size_t i = 0; i < n && st == SS_OK; i++) {
            st = merge_runs(out, &ins[i], sum, err, errlen);
            if (st == SS_OK)
                st = merge_sweeps(h, &ins[i], sum, err, errlen);
        }
        rc = sqlite3_exec(h, st == SS_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
        if (st == SS_OK && rc != SQLITE_OK) {
            st = sql_fail(h, rc, "commit the merge", err, errlen);
            sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    for (size_t i = 0; i < attached; i++) {
        char sql[48];
        snprintf(sql, sizeof sql, "DETACH DATABASE %s", ins[i].schema);
        sqlite3_exec(h, sql, NULL, NULL, NULL);
    }
    return st;
}

ss_status exp_merge(const char *out_path, const char *const *ins, size_t n_in,
                    exp_merge_summary *sum, char *err, size_t errlen)
{
    memset(sum, 0, sizeof *sum);
    if (n_in == 0 || n_in > EXP_MERGE_MAX_IN)
        return ss_err(err, errlen, SS_EINVAL,
                      "merge: expected 1 to %d input databases, got %zu (merge in stages)",
                      EXP_MERGE_MAX_IN, n_in);
    merge_in *in = ss_calloc(n_in, sizeof *in);
    if (!in)
        return ss_err(err, errlen, SS_ENOMEM, "merge: out of memory");
    for (size_t i = 0; i < n_in; i++) {
        in[i].path = ins[i];
        snprintf(in[i].schema, sizeof in[i].schema, "in%zu", i);
    }
    ana_db *out = NULL;
    struct stat sb;
    int existed = stat(out_path, &sb) == 0;
    ss_status st = open_inputs(out_path, in, n_in, err, errlen);
    if (st == SS_OK)
        st = ana_db_open(out_path, NULL, &out, err, errlen);
    if (st == SS_OK)
        st = merge_all(out, in, n_in, sum, err, errlen);
    ana_db_close(out);
    for (size_t i = 0; i < n_in; i++)
        ana_db_close(in[i].ro);
    ss_free(in);
    if (st != SS_OK && !existed && out) { /* leave no output the merge created */
        char side[4200];
        unlink(out_path);
        snprintf(side, sizeof side, "%s-wal", out_path), unlink(side);
        snprintf(side, sizeof side, "%s-shm", out_path), unlink(side);
    }
    return st;
}
