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
#include "ana_sha256.h"
#include "ana_store.h"

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

static void put(ana_sha256 *c, const char *s) { ana_sha256_update(c, s, strlen(s)); }

static ss_status hash_table(ana_db *db, ana_sha256 *c, const char *table, const char *sql,
                            int64_t run_id, int64_t *n_rows, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    char num[64];
    ss_status s = ana_db_prepare(db, sql, &st, err, errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, run_id);
    int n_cols = sqlite3_column_count(st);
    put(c, "table ");
    put(c, table);
    put(c, "\n");
    for (int i = 0; i < n_cols; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (!name) {
            sqlite3_finalize(st);
            return ss_err(err, errlen, SS_ENOMEM, "%s: digest: out of memory", db->name);
        }
        if (excluded(table, name))
            continue;
        put(c, "col ");
        put(c, name);
        put(c, "\n");
    }
    int rc;
    *n_rows = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int first = 1;
        for (int i = 0; i < n_cols; i++) {
            const char *name = sqlite3_column_name(st, i);
            if (!name || excluded(table, name))
                continue;
            if (!first)
                put(c, "|");
            first = 0;
            switch (sqlite3_column_type(st, i)) {
            case SQLITE_NULL:
                put(c, "N");
                break;
            case SQLITE_INTEGER:
                snprintf(num, sizeof num, "I%" PRId64, (int64_t)sqlite3_column_int64(st, i));
                put(c, num);
                break;
            case SQLITE_FLOAT:
                snprintf(num, sizeof num, "R%.17g", sqlite3_column_double(st, i));
                put(c, num);
                break;
            case SQLITE_TEXT: {
                const unsigned char *t = sqlite3_column_text(st, i);
                int len = sqlite3_column_bytes(st, i);
                if (!t) {
                    sqlite3_finalize(st);
                    return ss_err(err, errlen, SS_ENOMEM, "%s: digest: out of memory", db->name);
                }
                if (strcmp(table, "runs") == 0 && strcmp(name, "run_key") == 0)
                    len = key_len_without_build(st, n_cols, t, len);
                snprintf(num, sizeof num, "T%d:", len);
                put(c, num);
                ana_sha256_update(c, t, (size_t)len);
                break;
            }
            default: { /* BLOB: no v1 column holds one; hex keeps it canonical */
                const unsigned char *b = sqlite3_column_blob(st, i);
                int len = sqlite3_column_bytes(st, i);
                snprintf(num, sizeof num, "B%d:", len);
                put(c, num);
                for (int k = 0; b && k < len; k++) {
                    snprintf(num, sizeof num, "%02x", b[k]);
                    put(c, num);
                }
                break;
            }
            }
        }
        put(c, "\n");
        (*n_rows)++;
    }
    if (rc != SQLITE_DONE)
        s = ana_db_fail(db, rc, "digest: read rows", err, errlen);
    sqlite3_finalize(st);
    return s;
}

ss_status ana_run_digest(ana_db *db, int64_t run_id, char hex[65], char *err, size_t errlen)
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
                       err, errlen);
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
