/* ana_db_int.h - shared inside analysis/ only: the connection struct and
 * the SQLite error / transaction helpers every module uses the same way. */
#ifndef ANA_DB_INT_H
#define ANA_DB_INT_H

#include <sqlite3.h>

#include "ana_db.h"

struct ana_db {
    sqlite3 *h;
    char *name;          /* display name for errors: the path as given */
    int busy_retries;    /* >= 0 */
    int readonly;        /* opened read-only (flag or URI mode=ro) */
    int schema_version;
};

/* Map an SQLite result code (primary or extended) to an ss_status. */
ss_status ana_db_status(int rc);

/* Fill err with "<db name>: <what>: <sqlite message> (<code name>)" and
 * return the mapped status. Uses the connection's current error message,
 * so call it right after the failing sqlite3_* call. */
ss_status ana_db_fail(ana_db *db, int rc, const char *what, char *err, size_t errlen);

/* BEGIN IMMEDIATE with the bounded retry on SQLITE_BUSY (PITFALLS D01/D02:
 * every write transaction takes the write lock up front). */
ss_status ana_db_begin_write(ana_db *db, const char *what, char *err, size_t errlen);

/* COMMIT; on failure the transaction is rolled back. */
ss_status ana_db_commit(ana_db *db, const char *what, char *err, size_t errlen);

/* Roll back if a transaction is open. Returns 0 when the connection is back
 * in autocommit mode, -1 if not (out of memory even for ROLLBACK); callers
 * already reporting a failure may ignore it: ana_db_begin_write refuses to
 * start on a connection still inside a transaction. */
int ana_db_rollback(ana_db *db);

/* Prepare one statement; on failure *st is NULL and err is filled. */
ss_status ana_db_prepare(ana_db *db, const char *sql, sqlite3_stmt **st,
                         char *err, size_t errlen);

#endif
