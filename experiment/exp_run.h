/* exp_run.h - the experiment layer: one scenario run, stored exactly once.
 *
 * Every command that produces a stored run (run, eval, pareto; sweeps,
 * comparisons and tuning later) goes through exp_run, the one place where
 * the sequence run key -> find the stored run -> simulate (and measure) ->
 * store is written. It is idempotent: a run whose key is already in the
 * database is returned as stored, nothing is simulated, measured or written.
 * Runs are deterministic, so the stored run is exactly what a new one would
 * give (up to the wall-clock columns).
 *
 * exp_validate makes every check exp_run's simulation makes before its
 * first event (sim_check), with the same options mapped the same way
 * (exp_sim_opts), so exp_validate == SS_OK implies exp_run does not reject
 * the scenario before simulating. exp_simulate runs without a database
 * (`shardsim generate`).
 *
 * Folders: exp_dirs_resolve is the one place that reads SHARDSIM_HOME and
 * SHARDSIM_ASSETS. A NULL folder in exp_run_opts means the resolved default.
 *
 * Not thread-safe (sim_run and SQLite handles are per thread); wall time is
 * read here and only stored in runs.wall_seconds.
 */
#ifndef EXP_RUN_H
#define EXP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "ana_db.h"
#include "ana_store.h"
#include "scn_scenario.h"
#include "sim_results.h"
#include "sim_run.h"
#include "ss_status.h"

#define EXP_PATH_MAX 4096
/* Most accuracy rows one run stores (exp_measure_fn's capacity). */
#define EXP_ACCURACY_MAX 32

/* The folders a run reads bundled and shared files from. */
typedef struct exp_dirs {
    char home[EXP_PATH_MAX];    /* SHARDSIM_HOME, else the source tree built from */
    char presets[EXP_PATH_MAX]; /* <home>/models/presets: model architecture presets */
    char assets[EXP_PATH_MAX];  /* SHARDSIM_ASSETS, else <home>/../shared/assets: measured
                                   RTTs, churn data, traces, evaluation corpora */
} exp_dirs;

/* Fill *out from the environment. Status: SS_OK; SS_ERANGE (a path longer
 * than EXP_PATH_MAX - 1 bytes, named in err). */
ss_status exp_dirs_resolve(exp_dirs *out, char *err, size_t errlen);

/* Load `path` with `overrides` (scn_load) and, if seed is not NULL, replace
 * the scenario's seed with *seed. Status and *out as scn_load's. */
ss_status exp_load(const char *path, const scn_override *overrides, size_t n_overrides,
                   const uint64_t *seed, scn_scenario *out, char *err, size_t errlen);

/* Measurement hook of a run (eval, pareto): called by exp_run only when the
 * run is not stored yet, after the simulation (res: its results, or empty
 * results with the seed when opts.no_sim). Writes at most `cap` rows to
 * rows[0 .. *n_rows); the rows' strings must stay valid until exp_run
 * returns (static names, or storage in ctx). Returns SS_OK or the failure
 * (err filled); a failure stores nothing. */
typedef ss_status (*exp_measure_fn)(void *ctx, const scn_scenario *s, const sim_results *res,
                                    ana_accuracy_row *rows, size_t cap, size_t *n_rows,
                                    char *err, size_t errlen);

typedef struct exp_run_opts {
    const char *presets_dir;  /* NULL: exp_dirs presets */
    const char *assets_dir;   /* NULL: exp_dirs assets */
    const char *model_path;   /* real mode: replaces the scenario's weights file; NULL: keep */
    int analytic;             /* sim_run_opts.analytic: cost-model times even with real weights */
    int keep_routes;          /* 1: record routes even when the scenario records a summary
                                 only (requests are stored when its record level says so) */
    const sim_generate_spec *generate; /* exp_simulate only: one generation session */
    const char *key_json;     /* what the run key hashes and runs.scenario_json holds (the
                                 scenario plus what was measured); NULL: s->canonical_json */
    int no_sim;               /* 1: nothing simulated (an evaluation without time): the
                                 run stores empty results with the scenario's seed */
    exp_measure_fn measure;   /* NULL: no accuracy rows */
    void *measure_ctx;        /* borrowed for the call */
    const char *version;      /* NULL: this build's SS_VERSION */
} exp_run_opts;

/* Where exp_run stopped. */
typedef enum exp_stage {
    EXP_STAGE_NONE = 0,   /* success */
    EXP_STAGE_SETUP,      /* folders, the run key: internal (SS_ERANGE, SS_EINVAL) */
    EXP_STAGE_FIND,       /* looking the key up: a database status */
    EXP_STAGE_SIMULATE,   /* sim_run: a scenario/input status (as scn_load's and sim_run's) */
    EXP_STAGE_MEASURE,    /* the measure hook: its status */
    EXP_STAGE_STORE,      /* ana_store_run: a database status */
} exp_stage;

typedef struct exp_run_result {
    int64_t run_id;               /* the stored run (> 0) on SS_OK, else 0 */
    int stored_before;            /* 1: found stored; nothing simulated, measured or written */
    exp_stage stage;              /* EXP_STAGE_NONE on SS_OK, else where it failed */
    char key[ANA_RUN_KEY_MAX];    /* the run key (set from EXP_STAGE_FIND on) */
} exp_run_result;

/* Return the stored run of `s` with options `o` (NULL: defaults) in `db`,
 * running it first if it is not stored: compute the run key from
 * (key_json, s->seed, version); if stored, done (stored_before = 1);
 * else simulate (unless no_sim), call the measure hook, and store results
 * and accuracy rows in one transaction (ana_store_run; requests are stored
 * when s->record is SCN_RECORD_REQUESTS). A concurrent writer that stored
 * the same key first is reported as stored_before = 1 with its id.
 * Borrows s, o and db for the call; *out is always filled.
 * Status: SS_OK; otherwise out->stage says which family the status belongs
 * to, err holds one line (naming the scenario file or the database), and
 * nothing is written to the database. */
ss_status exp_run(const scn_scenario *s, const exp_run_opts *o, ana_db *db, exp_run_result *out,
                  char *err, size_t errlen);

/* Every check exp_run's simulation makes before its first event (sim_check:
 * model and weights files, registry names, presets, measured-RTT cities,
 * placement and node memory, workload traces, churn data, faults), with
 * the same option mapping, without simulating or touching a database.
 * SS_OK means exp_run(s, o, ...) will not reject s before simulating.
 * Errors as scn_load's and sim_run's: one line naming the file, the JSON
 * path and what was expected. */
ss_status exp_validate(const scn_scenario *s, const exp_run_opts *o, char *err, size_t errlen);

/* Simulate `s` with `o` (generate included) without a database. *out as
 * sim_run's (release with sim_results_fini). */
ss_status exp_simulate(const scn_scenario *s, const exp_run_opts *o, sim_results *out, char *err,
                       size_t errlen);

#endif
