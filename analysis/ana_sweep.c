/* ana_sweep.c - the sweeps and sweep_points tables (ana_sweep.h). */
#include "ana_sweep.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ana_db_int.h"
#include "ana_sha256.h"
#include "ana_store.h"

ss_status ana_sweep_register(ana_db *db, const char *name, const char *spec_json,
                             const char *axes_json, int64_t *sweep_id, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    ss_status s;
    if (!db || !name || !*name || !spec_json || !axes_json || !sweep_id)
        return ss_err(err, errlen, SS_EINVAL, "register sweep: NULL or empty argument");
    *sweep_id = 0;
    if ((s = ana_db_begin_write(db, "register sweep", err, errlen)) != SS_OK)
        return s;
    if ((s = ana_db_prepare(db, "SELECT id, spec_json FROM sweeps WHERE name = ?", &st, err,
                            errlen)) != SS_OK)
        goto fail;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *stored = (const char *)sqlite3_column_text(st, 1);
        if (stored && strcmp(stored, spec_json) == 0) {
            *sweep_id = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
            return ana_db_commit(db, "register sweep", err, errlen);
        }
        s = ss_err(err, errlen, SS_EEXIST,
                   "%s: sweep \"%s\" is already stored with other axes or another base: %.300s",
                   db->name, name, stored ? stored : "?");
        goto fail;
    }
    if (rc != SQLITE_DONE) {
        s = ana_db_fail(db, rc, "register sweep: look up name", err, errlen);
        goto fail;
    }
    sqlite3_finalize(st);
    if ((s = ana_db_prepare(db,
                            "INSERT INTO sweeps(name, spec_json, axes_json, created_at_wall)"
                            " VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                            &st, err, errlen)) != SS_OK)
        goto fail;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, spec_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, axes_json, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(st)) != SQLITE_DONE) {
        s = ana_db_fail(db, rc, "register sweep: insert", err, errlen);
        goto fail;
    }
    *sweep_id = sqlite3_last_insert_rowid(db->h);
    sqlite3_finalize(st);
    if ((s = ana_db_commit(db, "register sweep", err, errlen)) != SS_OK)
        *sweep_id = 0;
    return s;
fail:
    sqlite3_finalize(st);
    ana_db_rollback(db);
    *sweep_id = 0;
    return s;
}

ss_status ana_sweep_point_store(ana_db *db, int64_t sweep_id, int64_t combo, uint64_t seed,
                                const char *axes_json, int64_t run_id, const char *error,
                                char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    char seed_text[24];
    ss_status s;
    if (!db || !axes_json || (!error && run_id <= 0))
        return ss_err(err, errlen, SS_EINVAL, "store sweep point: NULL argument or no run");
    snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
    if ((s = ana_db_begin_write(db, "store sweep point", err, errlen)) != SS_OK)
        return s;
    if ((s = ana_db_prepare(db,
                            "INSERT OR REPLACE INTO sweep_points(sweep_id, combo, seed, axes_json,"
                            " status, run_id, error) VALUES (?,?,?,?,?,?,?)",
                            &st, err, errlen)) != SS_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, sweep_id);
    sqlite3_bind_int64(st, 2, combo);
    sqlite3_bind_text(st, 3, seed_text, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, axes_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, error ? "failed" : "ok", -1, SQLITE_STATIC);
    if (!error)
        sqlite3_bind_int64(st, 6, run_id);
    else
        sqlite3_bind_text(st, 7, error, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_DONE) {
        s = ana_db_fail(db, rc, "store sweep point", err, errlen);
        goto fail;
    }
    return ana_db_commit(db, "store sweep point", err, errlen);
fail:
    sqlite3_finalize(st);
    ana_db_rollback(db);
    return s;
}

static void put_text(ana_sha256 *c, const unsigned char *t, int len)
{
    char num[32];
    if (!t) {
        ana_sha256_update(c, "N|", 2);
        return;
    }
    snprintf(num, sizeof num, "T%d:", len);
    ana_sha256_update(c, num, strlen(num));
    ana_sha256_update(c, t, (size_t)len);
    ana_sha256_update(c, "|", 1);
}

ss_status ana_sweep_digest(ana_db *db, const char *name, char hex[65], char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    ana_sha256 c;
    ss_status s;
    if ((s = ana_db_prepare(db, "SELECT name, spec_json, axes_json, id FROM sweeps WHERE name = ?",
                            &st, err, errlen)) != SS_OK)
        return s;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        if (rc == SQLITE_DONE)
            return ss_err(err, errlen, SS_ENOTFOUND, "%s: no sweep named \"%s\"", db->name, name);
        return ana_db_fail(db, rc, "sweep digest", err, errlen);
    }
    ana_sha256_init(&c);
    ana_sha256_update(&c, "sweep\n", 6);
    for (int i = 0; i < 3; i++)
        put_text(&c, sqlite3_column_text(st, i), sqlite3_column_bytes(st, i));
    int64_t id = sqlite3_column_int64(st, 3);
    sqlite3_finalize(st);
    if ((s = ana_db_prepare(db,
                            "SELECT combo, seed, axes_json, status, error, run_id FROM sweep_points"
                            " WHERE sweep_id = ? ORDER BY combo, length(seed), seed",
                            &st, err, errlen)) != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char num[40], run_hex[65] = "N";
        snprintf(num, sizeof num, "\nI%" PRId64 "|", (int64_t)sqlite3_column_int64(st, 0));
        ana_sha256_update(&c, num, strlen(num));
        for (int i = 1; i < 5; i++)
            put_text(&c, sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : sqlite3_column_text(st, i),
                     sqlite3_column_bytes(st, i));
        if (sqlite3_column_type(st, 5) != SQLITE_NULL &&
            (s = ana_run_digest(db, sqlite3_column_int64(st, 5), run_hex, err, errlen)) != SS_OK) {
            sqlite3_finalize(st);
            return s;
        }
        ana_sha256_update(&c, run_hex, strlen(run_hex));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return ana_db_fail(db, rc, "sweep digest: read points", err, errlen);
    uint8_t d[32];
    ana_sha256_final(&c, d);
    ana_sha256_to_hex(d, hex);
    return SS_OK;
}
