/* ana_report.h - human-readable report of one stored run.
 *
 * Reads only the database (never sim_results), so any stored run can be
 * reported later, and opens it read-only (SQLITE_OPEN_READONLY): a report
 * can never modify or migrate a results file.
 */
#ifndef ANA_REPORT_H
#define ANA_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "ss_status.h"

/* Pass as run_id to report the run with the highest id (the latest stored).
 * Real run ids start at 1. */
#define ANA_RUN_LATEST 0

/* Print the report of run `run_id` (or ANA_RUN_LATEST) of the database at
 * db_path to `out`: scenario, seed, status, requests ok/total, end-to-end
 * latency / TTFT / TPOT (mean, p50, p90, p99), throughput, utilisation and
 * a per-node table ordered by node id. Numbers use the C locale whatever
 * the process locale is; undefined metrics print as "-".
 * Status: SS_OK; SS_ENOENT (no such file); SS_ENOTFOUND (no such run, or
 * no run at all for ANA_RUN_LATEST); SS_EIO (write to out failed, or the
 * file cannot be opened); the ana_db_open errors. */
ss_status ana_report_print(const char *db_path, int64_t run_id, FILE *out,
                           char *err, size_t errlen);

#endif
