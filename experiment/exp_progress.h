/* exp_progress.h - progress lines for sweeps, comparisons and long runs.
 *
 * On a terminal: one line rewritten in place (at most 5 times a second).
 * Otherwise: one plain line every interval (10 s; the environment variable
 * SHARDSIM_PROGRESS_INTERVAL sets it in seconds, 0 = at every update, for
 * tests), never a carriage return. Lines go to the given stream (stderr).
 *
 *   sweep NAME: 12/40 done, 1 failed, 2 running, elapsed 0:01:05, ETA 0:02:31
 *   run NAME: simulated 1234.5 s, 4718592 events (2.1e+06 events/s), elapsed 0:00:02
 *
 * The wall clock is read here only: the simulation reports the simulated
 * time it reached through sim_engine's progress observer (exp_progress_sim_cb),
 * which never changes a result.
 */
#ifndef EXP_PROGRESS_H
#define EXP_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_engine.h"

#define EXP_PROGRESS_ENV "SHARDSIM_PROGRESS_INTERVAL"
#define EXP_PROGRESS_INTERVAL_S 10.0

typedef struct exp_progress {
    FILE *out;
    int tty;            /* 1: one line rewritten in place */
    double interval_s;  /* between lines (plain mode) */
    double start, last; /* monotonic clock, s */
    int shown;          /* 1: a TTY line is on screen */
    char what[96];      /* "sweep NAME", "run NAME" */
} exp_progress;

/* Start: now is the start of "elapsed". tty: 1 on a terminal, 0 plain, -1:
 * isatty(fileno(out)). */
void exp_progress_init(exp_progress *p, FILE *out, int tty, const char *what);

/* Points done (including failed) of total, failed, running now. Printed
 * when due (force: always, e.g. the last update). */
void exp_progress_points(exp_progress *p, size_t done, size_t total, size_t failed,
                         size_t running, int force);

/* sim_progress_fn: ctx is an exp_progress. */
void exp_progress_sim_cb(void *ctx, sim_time_ns now, uint64_t n_run);

/* End: clears a TTY line (the summary follows on its own line). */
void exp_progress_end(exp_progress *p);

#endif
