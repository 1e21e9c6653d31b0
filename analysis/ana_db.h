/* ana_db.h - the results database: open, create, migrate, close.
 *
 * One SQLite file holds every run of a study (DESIGN.md section 6). Opening
 * validates before it writes anything: a file that is not SQLite, is
 * truncated, belongs to another application or has a newer schema is
 * refused and left untouched, never recreated. A fresh (empty) file is
 * created in WAL mode and migrated to ANA_SCHEMA_VERSION; an older shardsim
 * file is migrated forward inside one BEGIN IMMEDIATE transaction, so a
 * crash mid-migration leaves the old schema intact.
 *
 * Identification: PRAGMA application_id = ANA_APPLICATION_ID ("SSdb"),
 * PRAGMA user_version = schema version, mirrored by the schema_version table
 * (one row per applied migration) for readers that do not know PRAGMAs.
 * The columns are documented with units in analysis/README.md.
 *
 * One connection per process (and per fork: never use a handle inherited
 * across fork(), PITFALLS D13). Not thread-safe.
 */
#ifndef ANA_DB_H
#define ANA_DB_H

#include <sqlite3.h>

#include "ss_status.h"

#define ANA_SCHEMA_VERSION 6
#define ANA_APPLICATION_ID 0x53536462 /* "SSdb" */

/* Defaults when a cfg field is 0. */
#define ANA_DB_BUSY_TIMEOUT_MS_DEFAULT 5000
#define ANA_DB_BUSY_RETRIES_DEFAULT 3

typedef struct ana_db ana_db;

typedef struct ana_db_cfg {
    /* SQLite busy handler wait per attempt, ms; 0 = default 5000. */
    int busy_timeout_ms;
    /* Extra attempts after a wait ends in SQLITE_BUSY; 0 = default 3,
     * negative = none. Worst-case wait: (retries + 1) * busy_timeout_ms. */
    int busy_retries;
    /* Open with SQLITE_OPEN_READONLY: never creates, never migrates. */
    int readonly;
} ana_db_cfg;

/* Open (or create, unless read-only) the results database at `path`.
 * `path` may be an SQLite URI ("file:r.db?mode=ro"); anything starting with
 * "file:" is taken as one. cfg may be NULL (defaults, read-write).
 * Status: SS_OK; SS_ENOENT (read-only and missing); SS_EIO (cannot open:
 * a directory, a missing parent directory); SS_EDB (not a database,
 * truncated, corrupt, inconsistent version bookkeeping); SS_ESCHEMA (an
 * SQLite file of another application); SS_EVERSION (schema newer than this
 * binary); SS_EREADONLY (needs creating or migrating but read-only);
 * SS_EBUSY (locked past the bounded wait); SS_ENOMEM.
 * On error *out is NULL and err holds one line naming the file. */
ss_status ana_db_open(const char *path, const ana_db_cfg *cfg, ana_db **out,
                      char *err, size_t errlen);

/* Close; accepts NULL. Any open transaction is rolled back by SQLite. */
void ana_db_close(ana_db *db);

/* The underlying connection, borrowed for the life of db (tests and tools
 * that read with plain SQL). Do not close it. */
sqlite3 *ana_db_sqlite(ana_db *db);

/* The file name SQLite resolved (URI parameters stripped); valid while open. */
const char *ana_db_filename(const ana_db *db);

/* Schema version of the open database (ANA_SCHEMA_VERSION after a
 * read-write open). */
int ana_db_schema_version(const ana_db *db);

#endif
