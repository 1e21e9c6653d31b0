/* ana_digest.c - determinism digest of one stored run (ana_store.h).
 *
 * Canonical stream hashed with SHA-256, per table in a fixed order:
 *   "table <name>\n", then "col <name>\n" for each included column, then
 *   one line per row: fields separated by '|', each written as
 *     NULL -> "N"        INTEGER -> "I<%lld>"     REAL -> "R<%.17g>"
 *     TEXT -> "T<byte length>:<bytes>"             BLOB -> "B<length>:<hex>"
 * Length prefixes make the encoding unambiguous whatever the text holds;
 * including column names makes a schema change visible. Tables are read
 * with SELECT * so a column added by a later migration is covered without
 * touching this file; only the listed wall-clock and id columns are skipped.
 * Numbers are printed under a per-thread C locale (uselocale), so a caller's
 * setlocale() cannot change the digest.
 */
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "ana_db_int.h"
#include "ana_digest_int.h"
#include "ana_sha256.h"
#include "ana_store.h"
#include "ss_alloc.h"

static const struct {
    const char *table;
    const char *sql; /* ?1 = run id */
} digest_tables[] = {
    {"runs", "SELECT * FROM runs WHERE id = ?1"},
    {"requests", "SELECT * FROM requests WHERE run_id = ?1 ORDER BY id"},
    {"nodes", "SELECT * FROM nodes WHERE run_id = ?1 ORDER BY id"},
    {"metrics", "SELECT * FROM metrics WHERE run_id = ?1 ORDER BY name"},
    {"accuracy", "SELECT * FROM accuracy WHERE run_id = ?1 ORDER BY codec, metric"},
};

/* Columns that identify the storage slot, measure the host or name the
 * build, not the run. */
static int excluded(const char *table, const char *col)
{
    if (strcmp(table, "runs") == 0)
        return strcmp(col, "id") == 0 || strcmp(col, "wall_seconds") == 0 ||
               strcmp(col, "created_at_wall") == 0 || strcmp(col, "build_id") == 0;
    return strcmp(col, "run_id") == 0;
}

/* Bytes of runs.run_key to hash: without its ":<build_id>" suffix, so the
 * key's build part is excluded like the build_id column (a run stored
 * without a build identity hashes exactly as before schema v3). */
static int key_len_without_build(sqlite3_stmt *st, int n_cols, const unsigned char *key, int len)
{
    for (int i = 0; i < n_cols; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (!name || strcmp(name, "build_id") != 0 || sqlite3_column_type(st, i) != SQLITE_TEXT)
            continue;
        const unsigned char *b = sqlite3_column_text(st, i);
        int bl = sqlite3_column_bytes(st, i);
        if (b && bl > 0 && len > bl && key[len - bl - 1] == ':' &&
            memcmp(key + len - bl, b, (size_t)bl) == 0)
            return len - bl - 1;
    }
    return len;
}

/* Where the canonical bytes go: always the run's stream `c`; with a
 * detail, also the table's stream, the current row's and the current
 * column's. */
typedef struct sinks {
    ana_sha256 *c;
    ana_sha256 *table;                       /* NULL without a detail */
    ana_sha256 row;
    ana_sha256 col[ANA_DIGEST_MAX_COLS];
    int col_i;                               /* column being written, -1 outside a row */
} sinks;

static void feed(sinks *k, const void *p, size_t n)
{
    ana_sha256_update(k->c, p, n);
    if (!k->table)
        return;
    ana_sha256_update(k->table, p, n);
    if (k->col_i >= 0) {
        ana_sha256_update(&k->row, p, n);
        ana_sha256_update(&k->col[k->col_i], p, n);
    }
}

static void put(sinks *k, const char *s) { feed(k, s, strlen(s)); }

static uint64_t hash64(ana_sha256 *h)
{
    uint8_t d[32];
    ana_sha256_final(h, d);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | d[i];
    return v;
}

/* One field in its canonical form. */
static ss_status put_field(ana_db *db, sinks *k, sqlite3_stmt *st, int n_cols, int i,
                           const char *table, const char *name, char *err, size_t errlen)
{
    char num[64];
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        put(k, "N");
        break;
    case SQLITE_INTEGER:
        snprintf(num, sizeof num, "I%" PRId64, (int64_t)sqlite3_column_int64(st, i));
        put(k, num);
        break;
    case SQLITE_FLOAT:
        snprintf(num, sizeof num, "R%.17g", sqlite3_column_double(st, i));
        put(k, num);
        break;
    case SQLITE_TEXT: {
        const unsigned char *t = sqlite3_column_text(st, i);
        int len = sqlite3_column_bytes(st, i);
        if (!t)
            return ss_err(err, errlen, SS_ENOMEM, "%s: digest: out of memory", db->name);
        if (strcmp(table, "runs") == 0 && strcmp(name, "run_key") == 0)
            len = key_len_without_build(st, n_cols, t, len);
        snprintf(num, sizeof num, "T%d:", len);
        put(k, num);
        feed(k, t, (size_t)len);
        break;
    }
    default: { /* BLOB: no v1 column holds one; hex keeps it canonical */
        const unsigned char *b = sqlite3_column_blob(st, i);
        int len = sqlite3_column_bytes(st, i);
        snprintf(num, sizeof num, "B%d:", len);
        put(k, num);
        for (int j = 0; b && j < len; j++) {
            snprintf(num, sizeof num, "%02x", b[j]);
            put(k, num);
        }
        break;
    }
    }
    return SS_OK;
}

/* Append one row hash to the detail's table, growing its array. */
static ss_status push_row(ana_db *db, ana_digest_table *dt, uint64_t h, char *err, size_t errlen)
{
    if ((dt->n_rows & (dt->n_rows - 1)) == 0) { /* 0, 1, 2, 4, ...: double */
        size_t cap = dt->n_rows ? 2 * dt->n_rows : 1;
        uint64_t *p = ss_realloc(dt->row_hash, cap * sizeof *p);
        if (!p)
            return ss_err(err, errlen, SS_ENOMEM, "%s: digest: out of memory", db->name);
        dt->row_hash = p;
    }
    dt->row_hash[dt->n_rows++] = h;
    return SS_OK;
}

/* The column header of one table; with a detail, records the included
 * columns' names. */
static ss_status put_header(ana_db *db, sinks *k, sqlite3_stmt *st, const char *table,
                            ana_digest_table *dt, char *err, size_t errlen)
{
    int n_cols = sqlite3_column_count(st);
    put(k, "table ");
    put(k, table);
    put(k, "\n");
    for (int i = 0; i < n_cols; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (!name)
            return ss_err(err, errlen, SS_ENOMEM, "%s: digest: out of memory", db->name);
        if (excluded(table, name))
            continue;
        put(k, "col ");
        put(k, name);
        put(k, "\n");
        if (dt) {
            if (dt->n_cols == ANA_DIGEST_MAX_COLS)
                return ss_err(err, errlen, SS_ERANGE, "%s: digest: table %s has over %d columns",
                              db->name, table, ANA_DIGEST_MAX_COLS);
            snprintf(dt->col_name[dt->n_cols], sizeof dt->col_name[0], "%s", name);
            ana_sha256_init(&k->col[dt->n_cols++]);
        }
    }
    return SS_OK;
}

static ss_status hash_table(ana_db *db, ana_sha256 *c, const char *table, const char *sql,
                            int64_t run_id, int64_t *n_rows, ana_digest_table *dt,
                            char *err, size_t errlen)
{
    sqlite3_stmt *st;
    ana_sha256 tctx;
    sinks k = {.c = c, .table = dt ? &tctx : NULL, .col_i = -1};
    ss_status s = ana_db_prepare(db, sql, &st, err, errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, run_id);
    int n_cols = sqlite3_column_count(st);
    if (dt) {
        ana_sha256_init(&tctx);
        dt->name = table;
    }
    if ((s = put_header(db, &k, st, table, dt, err, errlen)) != SS_OK)
        goto done;
    int rc;
    *n_rows = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int first = 1, ci = 0;
        if (dt)
            ana_sha256_init(&k.row);
        for (int i = 0; i < n_cols; i++) {
            const char *name = sqlite3_column_name(st, i);
            if (!name || excluded(table, name))
                continue;
            if (!first)
                put(&k, "|");
            first = 0;
            k.col_i = dt ? ci++ : -1;
            if ((s = put_field(db, &k, st, n_cols, i, table, name, err, errlen)) != SS_OK)
                goto done;
            if (dt) /* a column's fields end with a newline, so "ab","c" != "a","bc" */
                ana_sha256_update(&k.col[k.col_i], "\n", 1);
        }
        k.col_i = -1;
        put(&k, "\n");
        if (dt && (s = push_row(db, dt, hash64(&k.row), err, errlen)) != SS_OK)
            goto done;
        (*n_rows)++;
    }
    if (rc != SQLITE_DONE)
        s = ana_db_fail(db, rc, "digest: read rows", err, errlen);
    else if (dt) {
        uint8_t d[32];
        ana_sha256_final(&tctx, d);
        ana_sha256_to_hex(d, dt->hex);
        for (int i = 0; i < dt->n_cols; i++)
            dt->col_hash[i] = hash64(&k.col[i]);
    }
done:
    sqlite3_finalize(st);
    return s;
}

static ss_status run_digest(ana_db *db, int64_t run_id, char hex[65], ana_digest_detail *dd,
                            char *err, size_t errlen)
{
    if (!db || !hex)
        return ss_err(err, errlen, SS_EINVAL, "digest: NULL database or output");
    hex[0] = '\0';
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!c_loc)
        return ss_err(err, errlen, SS_ENOMEM, "%s: digest: cannot create the C locale", db->name);
    locale_t old = uselocale(c_loc);
    /* One read transaction: the tables are hashed from one snapshot even if
     * a writer commits meanwhile (WAL readers see a fixed snapshot). */
    ss_status s = SS_OK;
    int rc = ana_db_rollback(db) == 0 ? sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) : SQLITE_NOMEM;
    if (rc != SQLITE_OK) {
        s = ana_db_fail(db, rc, "digest: begin read", err, errlen);
        goto done;
    }
    ana_sha256 c;
    ana_sha256_init(&c);
    for (size_t t = 0; t < sizeof digest_tables / sizeof digest_tables[0]; t++) {
        int64_t n_rows = 0;
        s = hash_table(db, &c, digest_tables[t].table, digest_tables[t].sql, run_id, &n_rows,
                       dd ? &dd->table[t] : NULL, err, errlen);
        if (s != SS_OK)
            break;
        if (t == 0 && n_rows == 0) {
            s = ss_err(err, errlen, SS_ENOTFOUND, "%s: digest: no run with id %" PRId64,
                       db->name, run_id);
            break;
        }
    }
    ana_db_rollback(db);
    if (s == SS_OK) {
        uint8_t d[32];
        ana_sha256_final(&c, d);
        ana_sha256_to_hex(d, hex);
    }
done:
    uselocale(old);
    freelocale(c_loc);
    return s;
}

ss_status ana_run_digest(ana_db *db, int64_t run_id, char hex[65], char *err, size_t errlen)
{
    return run_digest(db, run_id, hex, NULL, err, errlen);
}

ss_status ana_digest_detail_compute(ana_db *db, int64_t run_id, ana_digest_detail *out,
                                    char *err, size_t errlen)
{
    if (!out)
        return ss_err(err, errlen, SS_EINVAL, "digest: NULL output");
    memset(out, 0, sizeof *out);
    return run_digest(db, run_id, out->hex, out, err, errlen);
}

void ana_digest_detail_fini(ana_digest_detail *d)
{
    if (!d)
        return;
    for (size_t t = 0; t < ANA_DIGEST_N_TABLES; t++) {
        ss_free(d->table[t].row_hash);
        d->table[t].row_hash = NULL;
        d->table[t].n_rows = 0;
    }
}

/* Primary key columns of each digested table, for naming a row. */
static const char *const row_key_sql[ANA_DIGEST_N_TABLES] = {
    "SELECT 'id=' || id FROM runs WHERE id = ?1 LIMIT 1 OFFSET ?2",
    "SELECT 'id=' || id FROM requests WHERE run_id = ?1 ORDER BY id LIMIT 1 OFFSET ?2",
    "SELECT 'id=' || id FROM nodes WHERE run_id = ?1 ORDER BY id LIMIT 1 OFFSET ?2",
    "SELECT 'name=' || name FROM metrics WHERE run_id = ?1 ORDER BY name LIMIT 1 OFFSET ?2",
    "SELECT 'codec=' || codec || ', metric=' || metric FROM accuracy WHERE run_id = ?1"
    " ORDER BY codec, metric LIMIT 1 OFFSET ?2",
};

void ana_digest_row_name(ana_db *db, int64_t run_id, size_t t, size_t row, char *buf, size_t n)
{
    sqlite3_stmt *st = NULL;
    char e[16];
    snprintf(buf, n, "row %zu", row + 1);
    if (t >= ANA_DIGEST_N_TABLES || ana_db_prepare(db, row_key_sql[t], &st, e, sizeof e) != SS_OK)
        return;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, (int64_t)row);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, n, "row %zu (%s)", row + 1, (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}
