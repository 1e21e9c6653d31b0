/* exp_merge.h - merge results databases made on separate machines (or by
 * separate MPI ranks) into one.
 *
 * Runs are keyed by their run key (runs.run_key): a run of an input whose
 * key is not in the output is copied with its requests, nodes, metrics and
 * accuracy rows (run ids renumbered); a run whose key is already there is
 * kept once, if its content is the same (equal ana_run_digest: wall-clock
 * columns and the build aside), and is a conflict otherwise. Sweeps are
 * keyed by name (same spec_json and axes_json, else a conflict) and their
 * points by (combo, seed): equal rows are kept once, an "ok" row replaces
 * a "failed" one (as a rerun would), two different "ok" rows (other run)
 * are a conflict. A conflict is an error naming the run key or the sweep
 * and point. Every input must have this binary's schema version.
 *
 * The whole merge is one BEGIN IMMEDIATE transaction on the output: on any
 * error nothing is written (an output file the merge created is removed).
 */
#ifndef EXP_MERGE_H
#define EXP_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "ana_db.h"
#include "ss_status.h"

typedef struct exp_merge_summary {
    size_t n_runs_new;     /* runs copied into the output */
    size_t n_runs_same;    /* runs already in the output with the same content */
    size_t n_sweeps_new;   /* sweeps registered in the output */
    size_t n_points_new;   /* sweep_points rows written (new or replacing a failed one) */
} exp_merge_summary;

/* Merge ins[0 .. n_in) into out_path (created if missing). At most
 * EXP_MERGE_MAX_IN inputs (SQLite's attached-database limit; merge in
 * stages beyond that). Status: SS_OK; SS_ESCHEMA (a conflict, or an input
 * of another schema: err names the input and the run key or the sweep
 * point); SS_EINVAL (no input, too many, an input that is the output); the
 * ana_db_open errors of an input (opened read-only first, so a missing one
 * is SS_ENOENT) or of the output; database statuses. err: one line. */
#define EXP_MERGE_MAX_IN 9
ss_status exp_merge(const char *out_path, const char *const *ins, size_t n_in,
                    exp_merge_summary *sum, char *err, size_t errlen);

/* Copy the run with key `run_key` from the database attached to db's
 * connection as `schema` into db's main database unless a run with that
 * key is there already (kept as it is: runs are deterministic, so a run
 * stored meanwhile by another writer is the same run). No transaction of
 * its own: the caller holds one. *run_id: the run's id in main; *copied:
 * 1 when it was copied. Status: SS_OK; SS_ENOTFOUND (no such run in
 * `schema`); SS_ESCHEMA (tables differ); database statuses. */
ss_status exp_merge_copy_run(ana_db *db, const char *schema, const char *run_key, int64_t *run_id,
                             int *copied, char *err, size_t errlen);

#endif
