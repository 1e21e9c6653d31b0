/* ana_sweep.h - sweeps in the results database: `sweeps` and `sweep_points`.
 *
 * A sweep is registered once by name with the identity of its axes
 * (spec_json); each point (combination index, seed) gets one sweep_points
 * row naming its stored run (or its error), written in its own
 * BEGIN IMMEDIATE transaction after the run's own transaction: a crash in
 * between leaves a stored run without its point row, which a rerun adds
 * (the run is found by its key, not simulated again).
 */
#ifndef ANA_SWEEP_H
#define ANA_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ana_db.h"
#include "ss_status.h"

/* Register sweep `name` or find it: if a sweep of that name is stored with
 * the same spec_json, *sweep_id is its id; if not stored, it is inserted
 * (axes_json: the axis paths as a JSON array). Strings: valid UTF-8.
 * Status: SS_OK; SS_EEXIST (stored with another spec_json: nothing written,
 * err says so and quotes the stored spec); SS_EINVAL; database statuses as
 * ana_store_run's. */
ss_status ana_sweep_register(ana_db *db, const char *name, const char *spec_json,
                             const char *axes_json, int64_t *sweep_id, char *err, size_t errlen);

/* Record point (combo, seed) of a sweep: status "ok" with run_id > 0 when
 * error is NULL, else "failed" with the error text (run_id ignored).
 * Replaces an earlier record of the same point. axes_json: the point's axis
 * values as a JSON object. Status as ana_sweep_register's (no SS_EEXIST). */
ss_status ana_sweep_point_store(ana_db *db, int64_t sweep_id, int64_t combo, uint64_t seed,
                                const char *axes_json, int64_t run_id, const char *error,
                                char *err, size_t errlen);

/* Determinism digest of a stored sweep: SHA-256 (hex) over its name,
 * spec_json and axes_json and, per point in (combo, seed) order, combo,
 * seed, axes_json, status, error and the ana_run_digest of its run (so
 * run ids, wall-clock columns and the build identity are left out).
 * Status: SS_OK; SS_ENOTFOUND (no such sweep); database statuses. */
ss_status ana_sweep_digest(ana_db *db, const char *name, char hex[65], char *err, size_t errlen);

/* Print sweep `name` of the database at db_path (opened read-only) to out:
 * one row per axis combination (axis values, ok/failed point counts), then
 * for e2e_s_mean, e2e_s_p99, ttft_s_mean, tpot_s_mean,
 * throughput_tokens_per_s, n_failed (and `sort_by` if it is another
 * metric) the mean over the combination's ok points (seeds) +- the
 * half-width of its 95 % confidence interval, mean +- t(0.975, n-1) s/sqrt(n)
 * (Student's t quantile from GSL; no interval with one seed, "-" with
 * none); rows in combination order, or by ascending mean of `sort_by`
 * (undefined last); tab-separated; last line "digest <ana_sweep_digest>".
 * Status: SS_OK; SS_EINVAL (sort_by is not a metric name); SS_ENOTFOUND
 * (no such sweep); SS_EIO (writing failed); the ana_db_open errors. */
ss_status ana_sweep_report(const char *db_path, const char *name, const char *sort_by, FILE *out,
                           char *err, size_t errlen);

#endif
