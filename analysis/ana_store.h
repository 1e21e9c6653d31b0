/* ana_store.h - store one simulated run in the results database.
 *
 * A run is identified by its run_key "<sha256 of scenario JSON>:<seed>:<version>"
 * followed by ":<build_id>" when the run carries a build identity (UNIQUE in
 * `runs`), so a sweep re-executed after a crash recognises runs that were
 * committed but never acknowledged (PITFALLS D08, D15), and a run made by a
 * different build of the simulator is never served for this one.
 */
#ifndef ANA_STORE_H
#define ANA_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ana_db.h"
#include "sim_results.h"
#include "ss_status.h"

/* Longest run key: 64 hex + ':' + 20 digits + ':' + version [+ ':' + build_id]. */
#define ANA_RUN_KEY_MAX 512
/* Longest build identity (runs.build_id). */
#define ANA_BUILD_ID_MAX 200

/* What the recorder knows about a run besides sim_results. All strings are
 * borrowed for the call and must be valid UTF-8. */
/* One accuracy figure of a run (real mode): `metric` of `codec`, e.g.
 * ("fp16", "perplexity", 3.41). Names are ASCII, at most 150 bytes. */
typedef struct ana_accuracy_row {
    const char *codec;
    const char *metric;
    double value;                /* finite */
} ana_accuracy_row;

typedef struct ana_run_info {
    const char *scenario_name;   /* required */
    const char *scenario_json;   /* required: the exact scenario text run; hashed into the key */
    const char *version;         /* required: shardsim version, e.g. "0.1.0" (<= 150 bytes) */
    const char *build_id;        /* the build's identity ("git:<commit>[-dirty.<hash>]",
                                    "src:<sha256>"; < ANA_BUILD_ID_MAX bytes); part of the
                                    run key; excluded from the digest. NULL or "": none */
    const char *status;          /* "ok", "failed", "rejected", ...; NULL = "ok" */
    const char *blas_core;       /* OpenBLAS kernel name; NULL = none (analytic mode) */
    double wall_seconds;         /* host wall-clock seconds of the run, finite and >= 0;
                                    excluded from the digest */
    const char *created_at_wall; /* NULL = current UTC time, ISO 8601; excluded from the digest */
    const ana_accuracy_row *accuracy; /* (n_accuracy) rows for the `accuracy` table; may be NULL */
    size_t n_accuracy;
    int no_nodes;                /* 1: no `nodes` rows (record level "off") */
    const struct ana_record *record; /* the event record (ana_record.h); NULL: none */
} ana_run_info;

/* Format the run key into key[0..keylen). Status: SS_OK; SS_EINVAL (NULL
 * argument); SS_ERANGE (does not fit). ana_run_key is ana_run_key_build
 * without a build identity (build_id NULL or "" adds nothing). */
ss_status ana_run_key(const char *scenario_json, uint64_t seed, const char *version,
                      char *key, size_t keylen);
ss_status ana_run_key_build(const char *scenario_json, uint64_t seed, const char *version,
                            const char *build_id, char *key, size_t keylen);

/* Look a run up by key. Status: SS_OK (*run_id set); SS_ENOTFOUND (err names
 * the key); SS_EDB... */
ss_status ana_run_find(ana_db *db, const char *run_key, int64_t *run_id,
                       char *err, size_t errlen);

/* Store one run in ONE BEGIN IMMEDIATE transaction: the `runs` row, one
 * `requests` row per request if record_requests, one `nodes` row per node
 * and the `metrics` rows (ana_metrics.h). Any failure rolls everything
 * back: either the whole run is stored or nothing is.
 * On SS_OK *run_id is the new runs.id.
 * SS_EEXIST: a run with the same run_key is already stored (checked inside
 * the write transaction, so it is exact even with concurrent writers):
 * nothing is written, *run_id is that existing run's id and err says
 * "already stored as run N". Not a failure for an idempotent caller: the
 * run is done. For every other status but SS_OK *run_id is 0.
 * Other status: SS_EINVAL (bad info or inconsistent results: route out of
 * range, unterminated or non-UTF-8 names); SS_ERANGE (a uint64 counter
 * above INT64_MAX); SS_EBUSY (write lock not obtained within the bounded
 * wait, see ana_db_cfg); SS_EREADONLY; SS_EFULL (disk or max_page_count
 * full); SS_ENOMEM; SS_EIO; SS_EDB. */
ss_status ana_store_run(ana_db *db, const ana_run_info *info, const sim_results *r,
                        int record_requests, int64_t *run_id, char *err, size_t errlen);

/* Read back one figure of a stored run: the `metrics` row `name`
 * (ana_metrics.h names, e.g. "e2e_s_mean"), or the `accuracy` row
 * (codec, metric). A NULL value (NaN when stored) reads as NaN.
 * Status: SS_OK; SS_ENOTFOUND (no such row, err names it); SS_EDB... */
ss_status ana_run_metric(ana_db *db, int64_t run_id, const char *name, double *value,
                         char *err, size_t errlen);
ss_status ana_run_accuracy(ana_db *db, int64_t run_id, const char *codec, const char *metric,
                           double *value, char *err, size_t errlen);

/* Determinism digest of a stored run: SHA-256 (lower-case hex) over every
 * result table's rows for the run, in primary-key order, values printed
 * canonically (REAL as %.17g in the C locale, TEXT length-prefixed), with
 * column names; excluding runs.id, the run_id columns, the wall-clock
 * columns wall_seconds and created_at_wall, and the build: runs.build_id
 * and its ":<build_id>" suffix of runs.run_key (a build property, so equal
 * results from two builds have equal digests). Same seed => same digest.
 * Status: SS_OK; SS_ENOTFOUND (no such run); SS_EDB... */
ss_status ana_run_digest(ana_db *db, int64_t run_id, char hex[65], char *err, size_t errlen);

#endif
