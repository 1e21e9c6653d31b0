/* exp_run.c - key -> find -> simulate -> measure -> store, in one place.
 *
 * The find before simulating is an optimisation (a stored run costs one
 * indexed SELECT instead of a simulation); the authority is ana_store_run,
 * which checks the key again inside its write transaction and answers
 * SS_EEXIST when another process stored it meanwhile.
 */
#include "exp_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

#include "ana_record.h"
#include "ss_alloc.h"

#ifndef SS_VERSION
#error "SS_VERSION must be defined by the build"
#endif

static int set_path(char *dst, const char *what, char *err, size_t errlen, const char *fmt,
                    const char *a, const char *b)
{
    int n = snprintf(dst, EXP_PATH_MAX, fmt, a, b);
    if (n < 0 || n >= EXP_PATH_MAX) {
        ss_err(err, errlen, SS_ERANGE, "%s: expected a path of at most %d bytes, got %d", what,
               EXP_PATH_MAX - 1, n);
        return 0;
    }
    return 1;
}

ss_status exp_dirs_resolve(exp_dirs *out, char *err, size_t errlen)
{
    const char *home = getenv("SHARDSIM_HOME"), *assets = getenv("SHARDSIM_ASSETS");
    if (!home || !*home)
        home = SS_SOURCE_DIR;
    if (!set_path(out->home, "SHARDSIM_HOME", err, errlen, "%s%s", home, "") ||
        !set_path(out->presets, "SHARDSIM_HOME", err, errlen, "%s%s", home, "/models/presets"))
        return SS_ERANGE;
    if (assets && *assets)
        return set_path(out->assets, "SHARDSIM_ASSETS", err, errlen, "%s%s", assets, "")
                   ? SS_OK : SS_ERANGE;
    return set_path(out->assets, "SHARDSIM_HOME", err, errlen, "%s%s", home, "/../shared/assets")
               ? SS_OK : SS_ERANGE;
}

ss_status exp_load(const char *path, const scn_override *overrides, size_t n_overrides,
                   const uint64_t *seed, scn_scenario *out, char *err, size_t errlen)
{
    ss_status st = scn_load(path, overrides, n_overrides, out, err, errlen);
    if (st == SS_OK && seed)
        out->seed = *seed;
    return st;
}

/* The one mapping from experiment options to simulation options: exp_run,
 * exp_validate and exp_simulate all use it, so a validated scenario is
 * simulated with exactly the options it was checked with. */
static ss_status sim_opts(const scn_scenario *s, const exp_run_opts *o, exp_dirs *dirs,
                          sim_run_opts *out, char *err, size_t errlen)
{
    ss_status st = exp_dirs_resolve(dirs, err, errlen);
    if (st != SS_OK)
        return st;
    *out = (sim_run_opts){
        .presets_dir = o->presets_dir ? o->presets_dir : dirs->presets,
        .assets_dir = o->assets_dir ? o->assets_dir : dirs->assets,
        .model_path = o->model_path,
        .keep_routes = o->keep_routes || s->record >= SCN_RECORD_REQUESTS,
        .analytic = o->analytic,
        .generate = o->generate,
        .progress = o->progress,
        .progress_ctx = o->progress_ctx,
    };
    return SS_OK;
}

ss_status exp_validate(const scn_scenario *s, const exp_run_opts *o, char *err, size_t errlen)
{
    static const exp_run_opts defaults;
    exp_dirs dirs;
    sim_run_opts so;
    ss_status st = sim_opts(s, o ? o : &defaults, &dirs, &so, err, errlen);
    return st == SS_OK ? sim_check(s, &so, err, errlen) : st;
}

/* Simulate with the event recorder `rec` observing (NULL: none). */
static ss_status simulate(const scn_scenario *s, const exp_run_opts *o, ana_record *rec,
                          sim_results *out, char *err, size_t errlen)
{
    static const exp_run_opts defaults;
    exp_dirs dirs;
    sim_run_opts so;
    memset(out, 0, sizeof *out);
    ss_status st = sim_opts(s, o ? o : &defaults, &dirs, &so, err, errlen);
    so.obs = rec ? ana_record_obs(rec) : NULL;
    return st == SS_OK ? sim_run(s, &so, out, err, errlen) : st;
}

ss_status exp_simulate(const scn_scenario *s, const exp_run_opts *o, sim_results *out, char *err,
                       size_t errlen)
{
    return simulate(s, o, NULL, out, err, errlen);
}

/* The recorder the scenario's record.level asks for (levels "hops" and
 * "all"), in *rec; NULL below that. */
static ss_status recorder_for(const scn_scenario *s, ana_record **rec, char *err, size_t errlen)
{
    *rec = NULL;
    if (s->record < SCN_RECORD_HOPS)
        return SS_OK;
    ss_status st = ana_record_new(s->record == SCN_RECORD_ALL ? ANA_RECORD_ALL : ANA_RECORD_HOPS,
                                  rec);
    return st == SS_OK ? st : ss_err(err, errlen, st, "%s: out of memory for the event record",
                                     s->source_path);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static ss_status fail(exp_run_result *out, exp_stage stage, ss_status st)
{
    out->stage = stage;
    out->run_id = 0;
    return st;
}

/* Simulate (or not), measure, store: the part done only for a new run. */
static ss_status run_new(const scn_scenario *s, const exp_run_opts *o, const char *json,
                         const char *version, const char *build, ana_db *db, exp_run_result *out, char *err,
                         size_t errlen)
{
    sim_results res;
    memset(&res, 0, sizeof res);
    res.seed = s->seed;
    double t0 = wall_now();
    ana_record *rec = NULL;
    ss_status st = recorder_for(s, &rec, err, errlen);
    if (st == SS_OK && !o->no_sim)
        st = simulate(s, o, rec, &res, err, errlen);
    if (st != SS_OK) {
        ana_record_free(rec);
        return fail(out, EXP_STAGE_SIMULATE, st);
    }
    ana_accuracy_row rows[EXP_ACCURACY_MAX];
    size_t n_rows = 0;
    if (o->measure &&
        (st = o->measure(o->measure_ctx, s, &res, rows, EXP_ACCURACY_MAX, &n_rows, err,
                         errlen)) != SS_OK) {
        sim_results_fini(&res);
        ana_record_free(rec);
        return fail(out, EXP_STAGE_MEASURE, st);
    }
    ana_run_info info = {
        .scenario_name = s->name,
        .scenario_json = json,
        .version = version,
        .build_id = build,
        .status = "ok",
        .blas_core = openblas_get_corename(),
        .wall_seconds = wall_now() - t0,
        .accuracy = n_rows ? rows : NULL,
        .n_accuracy = n_rows,
        .no_nodes = s->record == SCN_RECORD_OFF,
        .record = rec,
    };
    st = ana_store_run(db, &info, &res, s->record >= SCN_RECORD_REQUESTS, &out->run_id, err,
                       errlen);
    sim_results_fini(&res);
    ana_record_free(rec);
    if (st == SS_EEXIST) { /* another process stored the same run meanwhile: it is done */
        out->stored_before = 1;
        return SS_OK;
    }
    return st == SS_OK ? SS_OK : fail(out, EXP_STAGE_STORE, st);
}

ss_status exp_run(const scn_scenario *s, const exp_run_opts *o, ana_db *db, exp_run_result *out,
                  char *err, size_t errlen)
{
    static const exp_run_opts defaults;
    memset(out, 0, sizeof *out);
    if (!o)
        o = &defaults;
    if (!s || !db)
        return ss_err(err, errlen, fail(out, EXP_STAGE_SETUP, SS_EINVAL),
                      "experiment: NULL scenario or database");
    const char *json = o->key_json ? o->key_json : s->canonical_json;
    const char *version = o->version ? o->version : SS_VERSION;
    const char *build = o->build_id ? o->build_id : exp_build_id();
    ss_status st = ana_run_key_build(json, s->seed, version, build, out->key, sizeof out->key);
    if (st != SS_OK)
        return ss_err(err, errlen, fail(out, EXP_STAGE_SETUP, st),
                      "%s: cannot compute the run key: %s", s->source_path, ss_strerror(st));
    st = ana_run_find(db, out->key, &out->run_id, err, errlen);
    if (st == SS_OK) {
        out->stored_before = 1;
        return SS_OK;
    }
    if (st != SS_ENOTFOUND)
        return fail(out, EXP_STAGE_FIND, st);
    if (err && errlen)
        err[0] = 0;
    return run_new(s, o, json, version, build, db, out, err, errlen);
}
