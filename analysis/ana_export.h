/* ana_export.h - a stored run's tables as files for other tools.
 *
 * CSV (RFC 4180): one file per table of the run, `runs.csv` (its row),
 * `requests.csv`, `nodes.csv`, `metrics.csv`, `accuracy.csv` and (schema v5) `event_records.csv`,
 * `hop_events.csv`, `node_events.csv`, `route_decisions.csv`, every column
 * of the table as SELECT * gives it, with a header row, rows in primary-key
 * order. Fields: NULL empty; INTEGER decimal; REAL %.17g (reads back
 * exactly); TEXT as is, quoted ("...", inner quotes doubled) when it holds a
 * comma, quote, CR or LF, and an empty TEXT as "" (so it differs from NULL
 * on the wire; Python's csv module reads both as ''). Lines end with CRLF.
 * C locale whatever the caller's.
 *
 * Atomic: the files are written into a new temporary folder next to DIR,
 * which is renamed to DIR at the end (DIR must not exist or be empty), so
 * DIR appears complete or not at all.
 */
#ifndef ANA_EXPORT_H
#define ANA_EXPORT_H

#include <stdint.h>

#include "ss_status.h"

typedef enum ana_export_stage {
    ANA_EXPORT_STAGE_NONE,
    ANA_EXPORT_STAGE_DB,     /* the database or the run */
    ANA_EXPORT_STAGE_OUTPUT, /* creating or writing DIR */
} ana_export_stage;

/* Export run run_id (ANA_RUN_LATEST: the latest) of the database at
 * db_path, opened read-only, as CSV files into the folder dir.
 * Status: SS_OK; SS_ENOTFOUND (no such run); ana_db_open errors (*stage
 * DB); SS_EIO (dir exists and is not empty, its parent is missing or not
 * writable, a write failed; *stage OUTPUT); SS_ENOMEM. stage may be NULL. */
ss_status ana_export_csv(const char *db_path, int64_t run_id, const char *dir,
                         ana_export_stage *stage, char *err, size_t errlen);

#endif
