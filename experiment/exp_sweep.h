/* exp_sweep.h - run every point of a sweep (scenarios/scn_sweep.h) through
 * exp_run in N worker processes, each point stored once and tagged.
 *
 * The parent registers the sweep (ana_sweep_register: a name stored with
 * other axes or another base is refused before anything runs), closes its
 * connection, and forks N workers. Each worker sets BLAS single-threaded,
 * opens its own database connection (never one inherited across fork,
 * PITFALLS D13), and takes the next point index from a counter shared
 * through an anonymous shared mapping until none is left. A point is
 * loaded (scn_sweep_load_point), run through exp_run (stored in one
 * transaction, or found stored: nothing simulated), and then recorded in
 * sweep_points in a second transaction; a point that fails (a bad axis
 * value, a simulation or store error) is recorded with its error and the
 * worker goes on. Workers die with the parent (PR_SET_PDEATHSIG SIGKILL):
 * a killed sweep leaves only whole runs and whole point rows, and a rerun
 * does only what is missing (stored runs are found by their keys).
 *
 * SIGINT (Ctrl-C) stops cleanly: the parent asks the workers (which ignore
 * SIGINT themselves) to take no new point, they finish the one they run,
 * and exp_sweep_run returns with out->interrupted set; a second SIGINT
 * kills the workers (their open transactions roll back: no partial run).
 * While it waits, the parent shows progress (exp_progress) if asked to.
 *
 * Database content does not depend on N or on the order points finish:
 * run ids do, and they are outside every digest (ana_run_digest,
 * ana_sweep_digest).
 */
#ifndef EXP_SWEEP_H
#define EXP_SWEEP_H

#include <stddef.h>
#include <stdio.h>

#include "exp_progress.h"
#include "exp_run.h"
#include "scn_sweep.h"
#include "ss_status.h"

typedef struct exp_sweep_opts {
    int jobs;                 /* worker processes; <= 0: the number of online cores */
    const exp_run_opts *run;  /* options of every point's exp_run; NULL: defaults */
    FILE *log;                /* one line per failed point (written by the workers); NULL: none */
    exp_progress *progress;   /* points done / failed / running while waiting; NULL: none */
} exp_sweep_opts;

typedef struct exp_sweep_summary {
    size_t n_points;   /* points of the sweep file */
    size_t n_new;      /* simulated and stored by this call */
    size_t n_stored;   /* found stored (by an earlier call, or a concurrent one) */
    size_t n_failed;   /* recorded as failed */
    size_t n_lost;     /* not done: a worker died or could not record it */
    int jobs;          /* workers used */
    int interrupted;   /* 1: stopped by SIGINT (the points not taken are n_lost) */
} exp_sweep_summary;

/* Run sweep `sw` into the database at `db_path` (created if missing).
 * Status: SS_OK when every point was attempted (out->n_failed says how many
 * failed, out->n_lost how many were not done); SS_ESCHEMA (the sweep's
 * name is stored with other axes or another base: err names the sweep
 * file, nothing is written); database statuses as ana_db_open's for the
 * parent's registration; SS_ENOMEM / SS_EIO (mapping, fork). */
ss_status exp_sweep_run(const scn_sweep *sw, const char *db_path, const exp_sweep_opts *o,
                        exp_sweep_summary *out, char *err, size_t errlen);

#endif
