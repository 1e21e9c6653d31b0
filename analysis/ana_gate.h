/* ana_gate.h - the regression gate: a baseline of one stored run (its
 * metrics, accuracy figures and digest) written as JSON, and a check of a
 * stored run against such a baseline.
 *
 * The baseline file (format in analysis/README.md, "Baseline files") holds,
 * per gated figure, its value and tolerance, and the run digest broken down
 * by table (a table digest, one 64-bit hash per row, one per column), so a
 * digest mismatch is located to the first differing table, row and the
 * columns that differ, without keeping the baseline run's rows.
 *
 * A figure passes when both values are undefined (NULL), or both are
 * defined and |now - baseline| <= max(abs_tol, rel_tol * |baseline|).
 * Defaults: metrics exact (runs are deterministic), accuracy figures
 * rel_tol 1e-6.
 *
 * Both functions open the database read-only and write their outputs to a
 * temporary file in the target's folder, renamed over the target only when
 * complete: a failure leaves no output and no half-written file.
 */
#ifndef ANA_GATE_H
#define ANA_GATE_H

#include <stdint.h>
#include <stdio.h>

#include "ss_status.h"

/* Which input or output a failure concerns, for the caller's exit code. */
typedef enum ana_gate_stage {
    ANA_GATE_STAGE_NONE,
    ANA_GATE_STAGE_DB,       /* the results database or the run in it */
    ANA_GATE_STAGE_BASELINE, /* reading the baseline file */
    ANA_GATE_STAGE_OUTPUT,   /* writing the baseline or JUnit file */
} ana_gate_stage;

/* Default relative tolerance of accuracy figures. */
#define ANA_GATE_ACCURACY_REL_TOL 1e-6

/* Write the baseline of run `run_id` (ANA_RUN_LATEST: the latest) of the
 * database at db_path to out_path. Status: SS_OK; SS_ENOTFOUND (no such
 * run); the ana_db_open errors (*stage DB); SS_EIO (cannot write out_path;
 * *stage OUTPUT); SS_ENOMEM. stage may be NULL. */
ss_status ana_gate_baseline(const char *db_path, int64_t run_id, const char *out_path,
                            ana_gate_stage *stage, char *err, size_t errlen);

typedef struct ana_gate_result {
    int n_checked;   /* figures compared, plus the digest */
    int n_failed;    /* of those, regressions */
} ana_gate_result;

/* Check run `run_id` (ANA_RUN_LATEST: the latest) against the baseline
 * file: print the table "metric baseline now delta tolerance verdict" and
 * the digest verdict (with the first differing table, row and columns) to
 * `out`; with junit_path, also a JUnit XML file (one testcase per figure
 * and one for the digest). res->n_failed > 0 is a regression; the status
 * is SS_OK either way.
 * Status: SS_OK; SS_ENOTFOUND (no such run); ana_db_open errors (*stage
 * DB); SS_ENOENT / SS_EIO / SS_EPARSE / SS_ESCHEMA (baseline missing,
 * unreadable, not JSON, or not a baseline: unknown keys, an unknown metric
 * name; *stage BASELINE); SS_EIO (writing out or the JUnit file; *stage
 * OUTPUT); SS_ENOMEM. */
ss_status ana_gate_check(const char *db_path, int64_t run_id, const char *baseline_path,
                         const char *junit_path, FILE *out, ana_gate_result *res,
                         ana_gate_stage *stage, char *err, size_t errlen);

#endif
