/* ana_export.c - CSV export of one stored run (ana_export.h). */
#include "ana_export.h"

#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ana_db_int.h"
#include "ana_report.h"

static const struct {
    const char *table;
    const char *sql; /* ?1 = run id */
    int since;       /* schema version that added the table */
} csv_tables[] = {
    {"runs", "SELECT * FROM runs WHERE id = ?1", 1},
    {"requests", "SELECT * FROM requests WHERE run_id = ?1 ORDER BY id", 1},
    {"nodes", "SELECT * FROM nodes WHERE run_id = ?1 ORDER BY id", 1},
    {"metrics", "SELECT * FROM metrics WHERE run_id = ?1 ORDER BY name", 1},
    {"accuracy", "SELECT * FROM accuracy WHERE run_id = ?1 ORDER BY codec, metric", 1},
    {"event_records", "SELECT * FROM event_records WHERE run_id = ?1", 5},
    {"hop_events", "SELECT * FROM hop_events WHERE run_id = ?1 ORDER BY seq", 5},
    {"node_events", "SELECT * FROM node_events WHERE run_id = ?1 ORDER BY seq", 5},
    {"route_decisions", "SELECT * FROM route_decisions WHERE run_id = ?1 ORDER BY seq", 5},
};

static void csv_text(FILE *f, const char *s, size_t n)
{
    int quote = n == 0 || strpbrk(s, ",\"\r\n") != NULL;
    if (!quote) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

static void csv_field(FILE *f, sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_NULL:
        break;
    case SQLITE_INTEGER:
        fprintf(f, "%" PRId64, (int64_t)sqlite3_column_int64(st, i));
        break;
    case SQLITE_FLOAT:
        fprintf(f, "%.17g", sqlite3_column_double(st, i));
        break;
    default: { /* TEXT; a BLOB (no column holds one) as its bytes */
        const char *t = (const char *)sqlite3_column_text(st, i);
        csv_text(f, t ? t : "", t ? (size_t)sqlite3_column_bytes(st, i) : 0);
    }
    }
}

static ss_status write_table(ana_db *db, int64_t run_id, const char *path, const char *sql,
                             char *err, size_t errlen)
{
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(db, sql, &st, err, errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, run_id);
    FILE *f = fopen(path, "w");
    if (!f) {
        sqlite3_finalize(st);
        return ss_err(err, errlen, SS_EIO, "%s: cannot create: %s", path, strerror(errno));
    }
    int n = sqlite3_column_count(st), rc;
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        if (i)
            fputc(',', f);
        csv_text(f, name ? name : "", name ? strlen(name) : 0);
    }
    fputs("\r\n", f);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++) {
            if (i)
                fputc(',', f);
            csv_field(f, st, i);
        }
        fputs("\r\n", f);
    }
    if (rc != SQLITE_DONE)
        s = ana_db_fail(db, rc, "export: read rows", err, errlen);
    int bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0;
    bad |= fclose(f) != 0;
    if (s == SS_OK && bad)
        s = ss_err(err, errlen, SS_EIO, "%s: cannot write: %s", path, strerror(errno));
    sqlite3_finalize(st);
    return s;
}

/* The run's id (resolving ANA_RUN_LATEST). */
static ss_status find_run(ana_db *db, int64_t run_id, int64_t *id, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    ss_status s = ana_db_prepare(db, run_id == ANA_RUN_LATEST
                                         ? "SELECT id FROM runs ORDER BY id DESC LIMIT 1"
                                         : "SELECT id FROM runs WHERE id = ?1",
                                 &st, err, errlen);
    if (s != SS_OK)
        return s;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        s = ana_db_fail(db, rc, "export: read run", err, errlen);
    else if (run_id == ANA_RUN_LATEST)
        s = ss_err(err, errlen, SS_ENOTFOUND, "%s: the database holds no runs", db->name);
    else
        s = ss_err(err, errlen, SS_ENOTFOUND, "%s: no run with id %" PRId64, db->name, run_id);
    sqlite3_finalize(st);
    return s;
}

static void remove_tmp(const char *tmp)
{
    char p[4200];
    for (size_t t = 0; t < sizeof csv_tables / sizeof csv_tables[0]; t++) {
        snprintf(p, sizeof p, "%s/%s.csv", tmp, csv_tables[t].table);
        unlink(p);
    }
    rmdir(tmp);
}

/* Every table into the temporary folder tmp, from one read snapshot. */
static ss_status write_all(ana_db *db, int64_t id, const char *tmp, char *err, size_t errlen)
{
    int rc = sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return ana_db_fail(db, rc, "export: begin read", err, errlen);
    ss_status s = SS_OK;
    char p[4200];
    for (size_t t = 0; t < sizeof csv_tables / sizeof csv_tables[0] && s == SS_OK; t++) {
        if (ana_db_schema_version(db) < csv_tables[t].since)
            continue; /* an older file opened read-only: the table does not exist */
        snprintf(p, sizeof p, "%s/%s.csv", tmp, csv_tables[t].table);
        s = write_table(db, id, p, csv_tables[t].sql, err, errlen);
    }
    ana_db_rollback(db);
    return s;
}

ss_status ana_export_csv(const char *db_path, int64_t run_id, const char *dir,
                         ana_export_stage *stage, char *err, size_t errlen)
{
    ana_export_stage dummy;
    if (!stage)
        stage = &dummy;
    *stage = ANA_EXPORT_STAGE_NONE;
    if (!db_path || !dir || !*dir || run_id < 0)
        return ss_err(err, errlen, SS_EINVAL, "export: NULL path or negative run id");
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!c_loc)
        return ss_err(err, errlen, SS_ENOMEM, "export: cannot create the C locale");
    locale_t old = uselocale(c_loc);
    ana_db *db = NULL;
    int64_t id = 0;
    char tmp[4096] = "";
    const ana_db_cfg cfg = {.readonly = 1};
    *stage = ANA_EXPORT_STAGE_DB;
    ss_status s = ana_db_open(db_path, &cfg, &db, err, errlen);
    if (s == SS_OK)
        s = find_run(db, run_id, &id, err, errlen);
    if (s != SS_OK)
        goto done;
    *stage = ANA_EXPORT_STAGE_OUTPUT;
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof tmp || !mkdtemp(tmp)) {
        s = ss_err(err, errlen, SS_EIO, "%s: cannot create: %s", dir,
                   n < 0 || (size_t)n >= sizeof tmp ? "name too long" : strerror(errno));
        tmp[0] = '\0';
        goto done;
    }
    chmod(tmp, 0755); /* mkdtemp makes it 0700 */
    if ((s = write_all(db, id, tmp, err, errlen)) != SS_OK)
        goto done;
    if (rename(tmp, dir) != 0) {
        s = ss_err(err, errlen, SS_EIO, "%s: cannot create: %s", dir,
                   errno == ENOTEMPTY || errno == EEXIST ? "exists and is not empty"
                                                         : strerror(errno));
        goto done;
    }
    tmp[0] = '\0';
    *stage = ANA_EXPORT_STAGE_NONE;
done:
    if (tmp[0])
        remove_tmp(tmp);
    ana_db_close(db);
    uselocale(old);
    freelocale(c_loc);
    return s;
}
