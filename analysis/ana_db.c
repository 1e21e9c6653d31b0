/* ana_db.c - open / validate / create / migrate the results database.
 *
 * Order of operations on open, chosen so that nothing is ever written to a
 * file we have not recognised (PITFALLS D09, D10):
 *   1. sqlite3_open_v2 (creates a 0-byte file only when the path is missing);
 *   2. our own header check of the file (magic, page size, length), because
 *      SQLite happily reads a 50-byte stub as an empty database and would
 *      then let us "create" a schema over it;
 *   3. read application_id, user_version and the object count, classify;
 *   4. only for a shardsim or empty file: WAL mode, then migrations inside
 *      one BEGIN IMMEDIATE transaction, re-classifying under the write lock
 *      because another process may have migrated meanwhile (D16).
 */
#include "ana_db_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss_alloc.h"

/* Forward migrations: entry i brings the schema from version i to i + 1.
 * Append only; never edit a released entry (existing files depend on it). */
static const struct {
    const char *description;
    const char *sql;
} migrations[] = {
    {"v1: runs, requests, nodes, metrics, accuracy",
     "CREATE TABLE schema_version ("
     " version INTEGER PRIMARY KEY,"
     " description TEXT NOT NULL);"
     "CREATE TABLE runs ("
     " id INTEGER PRIMARY KEY,"
     " run_key TEXT NOT NULL UNIQUE,"
     " scenario_name TEXT NOT NULL,"
     " scenario_json TEXT NOT NULL,"
     " scenario_sha256 TEXT NOT NULL,"
     " seed TEXT NOT NULL,"
     " version TEXT NOT NULL,"
     " status TEXT NOT NULL,"
     " blas_core TEXT,"
     " sim_end_s REAL NOT NULL,"
     " n_events INTEGER NOT NULL,"
     " n_requests INTEGER NOT NULL,"
     " requests_recorded INTEGER NOT NULL,"
     " wall_seconds REAL,"
     " created_at_wall TEXT NOT NULL);"
     "CREATE TABLE requests ("
     " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
     " id INTEGER NOT NULL,"
     " arrival_s REAL NOT NULL,"
     " first_token_s REAL,"
     " finish_s REAL,"
     " prompt_tokens INTEGER NOT NULL,"
     " output_tokens INTEGER NOT NULL,"
     " tokens_done INTEGER NOT NULL,"
     " retries INTEGER NOT NULL,"
     " status TEXT NOT NULL,"
     " route TEXT NOT NULL,"
     " PRIMARY KEY (run_id, id)) WITHOUT ROWID;"
     "CREATE TABLE nodes ("
     " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
     " id INTEGER NOT NULL,"
     " name TEXT NOT NULL,"
     " region TEXT NOT NULL,"
     " first_block INTEGER NOT NULL,"
     " end_block INTEGER NOT NULL,"
     " busy_s REAL NOT NULL,"
     " utilisation REAL,"
     " bytes_in INTEGER NOT NULL,"
     " bytes_out INTEGER NOT NULL,"
     " failures INTEGER NOT NULL,"
     " kv_peak_bytes INTEGER NOT NULL,"
     " n_tasks INTEGER NOT NULL,"
     " PRIMARY KEY (run_id, id)) WITHOUT ROWID;"
     "CREATE TABLE metrics ("
     " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
     " name TEXT NOT NULL,"
     " value REAL,"
     " PRIMARY KEY (run_id, name)) WITHOUT ROWID;"
     "CREATE TABLE accuracy ("
     " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
     " codec TEXT NOT NULL,"
     " metric TEXT NOT NULL,"
     " value REAL,"
     " PRIMARY KEY (run_id, codec, metric)) WITHOUT ROWID;"},
    {"v2: nodes.down_s (time each node spent failed)",
     "ALTER TABLE nodes ADD COLUMN down_s REAL NOT NULL DEFAULT 0;"},
    {"v3: runs.build_id (the build's identity, part of run_key), sweeps, sweep_points",
     "ALTER TABLE runs ADD COLUMN build_id TEXT;"
     "CREATE TABLE sweeps ("
     " id INTEGER PRIMARY KEY,"
     " name TEXT NOT NULL UNIQUE,"
     " spec_json TEXT NOT NULL,"
     " axes_json TEXT NOT NULL,"
     " created_at_wall TEXT NOT NULL);"
     "CREATE TABLE sweep_points ("
     " sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,"
     " combo INTEGER NOT NULL,"
     " seed TEXT NOT NULL,"
     " axes_json TEXT NOT NULL,"
     " status TEXT NOT NULL,"
     " run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,"
     " error TEXT,"
     " PRIMARY KEY (sweep_id, combo, seed)) WITHOUT ROWID;"
     "CREATE INDEX sweep_points_run ON sweep_points(run_id);"},
    {"v4: requests.dead_sends, hops, tokens_recomputed, recovery_s (recovery and routing)",
     "ALTER TABLE requests ADD COLUMN dead_sends INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE requests ADD COLUMN hops INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE requests ADD COLUMN tokens_recomputed INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE requests ADD COLUMN recovery_s REAL NOT NULL DEFAULT 0;"},
    {"v5: the event record: event_records, hop_events, node_events, route_decisions",
     "CREATE TABLE event_records ("
     " run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
     " level TEXT NOT NULL,"
     " n_hop_events INTEGER NOT NULL,"
     " n_node_events INTEGER NOT NULL,"
     " n_route_decisions INTEGER NOT NULL);"
     "CREATE TABLE hop_events ("
     " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
     " seq INTEGER NOT NULL,"
     " request_id INTEGER NOT NULL,"
     " pass INTEGER NOT NULL,"
     " hop INTEGER NOT NULL,"
     " node INTEGER NOT NULL,"
     " phase TEXT NOT NULL,"
     " t_start REAL NOT NULL,"
     " t_end REAL NOT NULL,"
     " bytes INTEGER NOT NULL,"
     " dst INTEGER,"
     " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
     "CREATE TABLE node_events ("
     " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
     " seq INTEGER NOT NULL,"
     " node INTEGER NOT NULL,"
     " t REAL NOT NULL,"
     " kind TEXT NOT NULL,"
     " request_id INTEGER,"
     " bytes INTEGER NOT NULL,"
     " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
     "CREATE TABLE route_decisions ("
     " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
     " seq INTEGER NOT NULL,"
     " request_id INTEGER NOT NULL,"
     " t REAL NOT NULL,"
     " kind TEXT NOT NULL,"
     " chosen TEXT NOT NULL,"
     " cost REAL,"
     " alternatives TEXT,"
     " unit TEXT,"
     " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"},
    {"v6: requests.truncated (asked for more than the model's context, served clamped)",
     "ALTER TABLE requests ADD COLUMN truncated INTEGER NOT NULL DEFAULT 0;"},
};
_Static_assert(sizeof migrations / sizeof migrations[0] == ANA_SCHEMA_VERSION,
               "one migration per schema version");

ss_status ana_db_status(int rc)
{
    /* The one extended code whose primary code (IOERR) would mislead. */
    if (rc == SQLITE_IOERR_NOMEM)
        return SS_ENOMEM;
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return SS_OK;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return SS_EBUSY;
    case SQLITE_READONLY:
        return SS_EREADONLY;
    case SQLITE_NOMEM:
        return SS_ENOMEM;
    case SQLITE_FULL:
        return SS_EFULL;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
        return SS_EIO;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
        return SS_ERANGE;
    default:
        return SS_EDB;
    }
}

ss_status ana_db_fail(ana_db *db, int rc, const char *what, char *err, size_t errlen)
{
    const char *msg = db && db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc);
    return ss_err(err, errlen, ana_db_status(rc), "%s: %s: %s (%s)",
                  db && db->name ? db->name : "(results db)", what, msg,
                  sqlite3_errstr(rc));
}

ss_status ana_db_prepare(ana_db *db, const char *sql, sqlite3_stmt **st,
                         char *err, size_t errlen)
{
    int rc = sqlite3_prepare_v2(db->h, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        *st = NULL;
        return ana_db_fail(db, rc, "prepare", err, errlen);
    }
    return SS_OK;
}

ss_status ana_db_begin_write(ana_db *db, const char *what, char *err, size_t errlen)
{
    int rc = SQLITE_OK;
    /* A transaction left open by a failed rollback must never be extended
     * and committed with a later run's rows. */
    if (ana_db_rollback(db) != 0)
        return ss_err(err, errlen, SS_ENOMEM, "%s: %s: cannot end a previous failed transaction",
                      db->name, what);
    /* The busy handler already waits busy_timeout_ms per attempt; the loop
     * bounds how many such waits a writer accepts before giving up. */
    for (int attempt = 0; attempt <= db->busy_retries; attempt++) {
        rc = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if ((rc & 0xff) != SQLITE_BUSY)
            break;
    }
    if (rc == SQLITE_OK)
        return SS_OK;
    if ((rc & 0xff) == SQLITE_BUSY) {
        ss_err(err, errlen, SS_EBUSY,
               "%s: %s: database is locked by another writer (gave up after %d waits)",
               db->name, what, db->busy_retries + 1);
        return SS_EBUSY;
    }
    return ana_db_fail(db, rc, what, err, errlen);
}

ss_status ana_db_commit(ana_db *db, const char *what, char *err, size_t errlen)
{
    int rc = sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return SS_OK;
    ss_status s = ana_db_fail(db, rc, what, err, errlen);
    ana_db_rollback(db);
    return s;
}

int ana_db_rollback(ana_db *db)
{
    if (!db || !db->h)
        return 0;
    /* ROLLBACK itself can fail for lack of memory to parse it (found by the
     * SQLite allocation-failure test); one more try usually succeeds. */
    for (int attempt = 0; attempt < 2 && !sqlite3_get_autocommit(db->h); attempt++)
        sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return sqlite3_get_autocommit(db->h) ? 0 : -1;
}

/* Read one integer from a single-row query. */
static ss_status query_int(ana_db *db, const char *sql, int64_t *v, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(db, sql, &st, err, errlen);
    if (s != SS_OK)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_OK)
        s = ana_db_fail(db, rc, sql, err, errlen);
    sqlite3_finalize(st);
    return s;
}

static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Refuse files SQLite would misread as empty or only fail on later
 * (PITFALLS D10). A 0-byte file is a new database. */
static ss_status check_file_header(ana_db *db, const char *fname, int readonly, char *err,
                                   size_t errlen)
{
    /* a reader only says what the file is; a writer also says it left it alone */
    const char *kept = readonly ? "" : "; refusing to overwrite it";
    struct stat sb;
    if (!fname || !*fname)
        return SS_OK; /* temporary or in-memory database: nothing on disk */
    if (stat(fname, &sb) != 0)
        return SS_OK; /* SQLite itself reports the open failure */
    if (!S_ISREG(sb.st_mode))
        return ss_err(err, errlen, SS_EIO, "%s: not a regular file", db->name);
    if (sb.st_size == 0)
        return SS_OK;
    unsigned char hdr[100];
    FILE *f = fopen(fname, "rb");
    if (!f)
        return ss_err(err, errlen, SS_EIO, "%s: cannot read header: %s", db->name, strerror(errno));
    size_t got = fread(hdr, 1, sizeof hdr, f);
    fclose(f);
    if (got < sizeof hdr)
        return ss_err(err, errlen, SS_EDB,
                      "%s: not a results database: %lld bytes, shorter than the 100-byte SQLite header%s",
                      db->name, (long long)sb.st_size, kept);
    if (memcmp(hdr, "SQLite format 3", 16) != 0)
        return ss_err(err, errlen, SS_EDB, "%s: not a results database: no SQLite header%s",
                      db->name, kept);
    unsigned page = be16(hdr + 16);
    unsigned long page_size = page == 1 ? 65536ul : page;
    if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)))
        return ss_err(err, errlen, SS_EDB, "%s: corrupt SQLite header: page size %lu",
                      db->name, page_size);
    /* A pending -wal can legitimately extend the database beyond the main
     * file (a checkpoint interrupted by a crash): SQLite recovers from it,
     * so the length checks apply only without one. */
    char wal[4096];
    int n = snprintf(wal, sizeof wal, "%s-wal", fname);
    struct stat wb;
    int has_wal = n > 0 && (size_t)n < sizeof wal && stat(wal, &wb) == 0 && wb.st_size > 0;
    if (has_wal)
        return SS_OK;
    if ((unsigned long long)sb.st_size % page_size != 0)
        return ss_err(err, errlen, SS_EDB,
                      "%s: truncated or damaged: %lld bytes is not a multiple of the %lu-byte page",
                      db->name, (long long)sb.st_size, page_size);
    /* The in-header page count is valid only when the change counter (offset
     * 24) equals version-valid-for (offset 92), per the file format spec. */
    uint32_t n_pages = be32(hdr + 28);
    if (n_pages && be32(hdr + 24) == be32(hdr + 92) &&
        (unsigned long long)n_pages * page_size > (unsigned long long)sb.st_size)
        return ss_err(err, errlen, SS_EDB,
                      "%s: truncated: header says %lu pages (%llu bytes), file has %lld bytes",
                      db->name, (unsigned long)n_pages,
                      (unsigned long long)n_pages * page_size, (long long)sb.st_size);
    return SS_OK;
}

/* Every table the migrations up to `upto` create must be in the file: a
 * dropped or renamed table would otherwise surface as SQLite's raw "no such
 * table" at the first query that needs it. The expected set comes from
 * running the same migrations on an empty in-memory database, so it follows
 * every future migration without a hand-kept list. */
static ss_status check_tables(ana_db *db, int upto, char *err, size_t errlen)
{
    sqlite3 *mem = NULL;
    sqlite3_stmt *names = NULL;
    ss_status s = SS_OK;
    int rc = sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE, NULL);
    for (int v = 0; v < upto && rc == SQLITE_OK; v++)
        rc = sqlite3_exec(mem, migrations[v].sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(mem, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                     "ORDER BY name", -1, &names, NULL);
    if (rc != SQLITE_OK) {
        s = (rc & 0xff) == SQLITE_NOMEM
                ? ss_err(err, errlen, SS_ENOMEM, "%s: out of memory checking the schema", db->name)
                : ss_err(err, errlen, SS_EDB, "%s: cannot build schema v%d to compare: %s",
                         db->name, upto, mem ? sqlite3_errmsg(mem) : "no memory");
        goto done;
    }
    sqlite3_stmt *has = NULL;
    if ((s = ana_db_prepare(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name = ?", &has, err, errlen)) != SS_OK)
        goto done;
    while (s == SS_OK && (rc = sqlite3_step(names)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(names, 0);
        sqlite3_reset(has);
        sqlite3_bind_text(has, 1, name, -1, SQLITE_TRANSIENT);
        int hrc = sqlite3_step(has);
        if (hrc != SQLITE_ROW)
            s = ana_db_fail(db, hrc, "check the schema's tables", err, errlen);
        else if (sqlite3_column_int64(has, 0) == 0)
            s = ss_err(err, errlen, SS_EDB,
                       "%s: damaged results database: table \"%s\" of schema v%d is missing",
                       db->name, name, upto);
    }
    if (s == SS_OK && rc != SQLITE_DONE)
        s = (rc & 0xff) == SQLITE_NOMEM
                ? ss_err(err, errlen, SS_ENOMEM, "%s: out of memory checking the schema", db->name)
                : ss_err(err, errlen, SS_EDB, "%s: cannot list schema v%d's tables", db->name,
                         upto);
    sqlite3_finalize(has);
done:
    sqlite3_finalize(names);
    sqlite3_close(mem);
    return s;
}

/* What the file is: its schema version (0 = empty, ready to be created),
 * or an error for a foreign, newer or inconsistent file. */
static ss_status classify(ana_db *db, int *version, char *err, size_t errlen)
{
    int64_t app_id = 0, uv = 0, n_objects = 0; /* set by query_int on success; quiets -Wmaybe-uninitialized */
    ss_status s;
    if ((s = query_int(db, "PRAGMA application_id", &app_id, err, errlen)) != SS_OK ||
        (s = query_int(db, "PRAGMA user_version", &uv, err, errlen)) != SS_OK ||
        (s = query_int(db, "SELECT count(*) FROM sqlite_master", &n_objects, err, errlen)) != SS_OK)
        return s;
    if (app_id == 0 && uv == 0 && n_objects == 0) {
        *version = 0;
        return SS_OK;
    }
    if (app_id != ANA_APPLICATION_ID)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: not a shardsim results database (application_id 0x%08llx, expected 0x%08x, %lld schema objects); refusing to touch it",
                      db->name, (unsigned long long)(uint32_t)app_id, ANA_APPLICATION_ID,
                      (long long)n_objects);
    if (uv > ANA_SCHEMA_VERSION)
        return ss_err(err, errlen, SS_EVERSION,
                      "%s: schema version %lld is newer than this shardsim supports (up to %d); use a newer shardsim",
                      db->name, (long long)uv, ANA_SCHEMA_VERSION);
    if (uv < 0)
        return ss_err(err, errlen, SS_EDB, "%s: corrupt: negative schema version %lld",
                      db->name, (long long)uv);
    if (uv >= 1) {
        /* The table and the PRAGMA are written in the same transaction, so a
         * disagreement means someone edited the file by hand. */
        int64_t tv = -1;
        s = query_int(db, "SELECT coalesce(max(version), -1) FROM schema_version", &tv, err, errlen);
        /* Out of memory, locked or an I/O error says nothing about the
         * file: report it as such, not as a damaged database. */
        if (s == SS_ENOMEM || s == SS_EBUSY || s == SS_EIO)
            return s;
        if (s != SS_OK)
            return ss_err(err, errlen, SS_EDB,
                          "%s: inconsistent: user_version %lld but no readable schema_version table",
                          db->name, (long long)uv);
        if (tv != uv)
            return ss_err(err, errlen, SS_EDB,
                          "%s: inconsistent: user_version %lld but schema_version table says %lld",
                          db->name, (long long)uv, (long long)tv);        if ((s = check_tables(db, (int)uv, err, errlen)) != SS_OK)
            return s;
    }
    *version = (int)uv;
    return SS_OK;
}

static ss_status ensure_wal(ana_db *db, char *err, size_t errlen)
{
    int rc = SQLITE_OK, is_wal = 0;
    /* Switching to WAL needs an exclusive lock for a moment; several
     * processes creating the same file at once see SQLITE_BUSY (D16). */
    for (int attempt = 0; attempt <= db->busy_retries; attempt++) {
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode=WAL", -1, &st, NULL);
        if (rc != SQLITE_OK)
            break;
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const unsigned char *mode = sqlite3_column_text(st, 0);
            is_wal = mode && strcmp((const char *)mode, "wal") == 0;
            rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
        if ((rc & 0xff) != SQLITE_BUSY)
            break;
    }
    if (rc != SQLITE_OK)
        return ana_db_fail(db, rc, "set journal_mode=WAL", err, errlen);
    /* Defensive: the pragma reports the mode it kept, e.g. when the VFS
     * cannot do WAL; the concurrency guarantees rely on WAL. */
    if (!is_wal)
        return ss_err(err, errlen, SS_EDB, "%s: cannot switch to WAL journal mode", db->name);
    return SS_OK;
}

static ss_status migrate(ana_db *db, char *err, size_t errlen)
{
    ss_status s = ana_db_begin_write(db, "migrate schema", err, errlen);
    if (s != SS_OK)
        return s;
    int version;
    /* Re-read under the write lock: another process may have got here first. */
    if ((s = classify(db, &version, err, errlen)) != SS_OK)
        goto fail;
    for (int v = version; v < ANA_SCHEMA_VERSION; v++) {
        char sql[160];
        int rc = sqlite3_exec(db->h, migrations[v].sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            char what[64];
            snprintf(what, sizeof what, "migrate schema v%d -> v%d", v, v + 1);
            s = ana_db_fail(db, rc, what, err, errlen);
            goto fail;
        }
        sqlite3_stmt *st;
        if ((s = ana_db_prepare(db, "INSERT INTO schema_version(version, description) VALUES (?, ?)",
                                &st, err, errlen)) != SS_OK)
            goto fail;
        sqlite3_bind_int(st, 1, v + 1);
        sqlite3_bind_text(st, 2, migrations[v].description, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            s = ana_db_fail(db, rc, "record schema version", err, errlen);
            goto fail;
        }
        /* PRAGMA arguments cannot be bound; both values are our integers. */
        snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d",
                 ANA_APPLICATION_ID, v + 1);
        rc = sqlite3_exec(db->h, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            s = ana_db_fail(db, rc, "set schema version", err, errlen);
            goto fail;
        }
    }
    if ((s = ana_db_commit(db, "migrate schema", err, errlen)) != SS_OK)
        return s;
    db->schema_version = ANA_SCHEMA_VERSION;
    return SS_OK;
fail:
    ana_db_rollback(db);
    return s;
}

/* Explain SQLITE_CANTOPEN for a plain path: the SQLite message names no cause. */
static ss_status explain_cantopen(const char *path, int readonly, char *err, size_t errlen)
{
    struct stat sb;
    if (strncmp(path, "file:", 5) != 0) {
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            return ss_err(err, errlen, SS_EIO, "%s: cannot open results database: is a directory", path);
        if (stat(path, &sb) != 0 && errno == ENOENT) {
            if (readonly)
                return ss_err(err, errlen, SS_ENOENT, "%s: no such results database", path);
            return ss_err(err, errlen, SS_EIO,
                          "%s: cannot create results database: parent directory missing or not writable",
                          path);
        }
    }
    return ss_err(err, errlen, SS_EIO, "%s: cannot open results database", path);
}

ss_status ana_db_open(const char *path, const ana_db_cfg *cfg, ana_db **out,
                      char *err, size_t errlen)
{
    static const ana_db_cfg defaults = {0};
    ss_status s;
    *out = NULL;
    if (!path || !*path)
        return ss_err(err, errlen, SS_EINVAL, "results database: empty path");
    if (!cfg)
        cfg = &defaults;
    ana_db *db = ss_calloc(1, sizeof *db);
    if (!db)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory opening results database", path);
    db->name = ss_strdup(path);
    if (!db->name) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory opening results database", path);
        goto fail;
    }
    db->busy_retries = cfg->busy_retries == 0 ? ANA_DB_BUSY_RETRIES_DEFAULT
                       : cfg->busy_retries < 0 ? 0 : cfg->busy_retries;
    int flags = SQLITE_OPEN_URI | (cfg->readonly ? SQLITE_OPEN_READONLY
                                                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &db->h, flags, NULL);
    if (rc != SQLITE_OK) {
        if ((rc & 0xff) == SQLITE_CANTOPEN)
            s = explain_cantopen(path, cfg->readonly, err, errlen);
        else
            s = ana_db_fail(db, rc, "open", err, errlen);
        goto fail;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, cfg->busy_timeout_ms > 0 ? cfg->busy_timeout_ms
                                                         : ANA_DB_BUSY_TIMEOUT_MS_DEFAULT);
    db->readonly = sqlite3_db_readonly(db->h, "main") == 1;
    if ((s = check_file_header(db, sqlite3_db_filename(db->h, "main"), cfg->readonly, err, errlen)) != SS_OK)
        goto fail;
    int version;
    /* One read transaction: in autocommit mode each PRAGMA would see its own
     * snapshot, and a concurrent creator committing in between made a fresh
     * shardsim file look like "tables but no application_id" (found by the
     * concurrent-creation test). Deferred BEGIN: reads only, so no lock
     * upgrade can deadlock (D02). */
    if ((rc = sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK) {
        s = ana_db_fail(db, rc, "begin read", err, errlen);
        goto fail;
    }
    s = classify(db, &version, err, errlen);
    if (ana_db_rollback(db) != 0 && s == SS_OK)
        s = ss_err(err, errlen, SS_ENOMEM, "%s: cannot end the read transaction", db->name);
    if (s != SS_OK)
        goto fail;
    db->schema_version = version;
    /* foreign_keys is per connection and not stored in the file. */
    if ((rc = sqlite3_exec(db->h, "PRAGMA foreign_keys=ON", NULL, NULL, NULL)) != SQLITE_OK) {
        s = ana_db_fail(db, rc, "enable foreign keys", err, errlen);
        goto fail;
    }
    if (version < ANA_SCHEMA_VERSION) {
        if (db->readonly) {
            if (version == 0)
                s = ss_err(err, errlen, SS_EREADONLY,
                           "%s: empty file opened read-only: not a results database yet", db->name);
            else
                s = ss_err(err, errlen, SS_EREADONLY,
                           "%s: schema v%d needs migrating to v%d, but the database is read-only",
                           db->name, version, ANA_SCHEMA_VERSION);
            goto fail;
        }
        if ((s = ensure_wal(db, err, errlen)) != SS_OK || (s = migrate(db, err, errlen)) != SS_OK)
            goto fail;
    }
    *out = db;
    return SS_OK;
fail:
    ana_db_close(db);
    return s;
}

void ana_db_close(ana_db *db)
{
    if (!db)
        return;
    /* sqlite3_close_v2 defers the close if a statement leaked; ours are all
     * finalized, so this closes now and checkpoints the WAL. */
    sqlite3_close_v2(db->h);
    ss_free(db->name);
    ss_free(db);
}

sqlite3 *ana_db_sqlite(ana_db *db) { return db ? db->h : NULL; }

const char *ana_db_filename(const ana_db *db)
{
    return db && db->h ? sqlite3_db_filename(db->h, "main") : NULL;
}

int ana_db_schema_version(const ana_db *db) { return db ? db->schema_version : -1; }
