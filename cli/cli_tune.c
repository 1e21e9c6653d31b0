/* cli_tune.c - `shardsim tune SCENARIO --objective METRIC`: BRKGA over the
 * routing policy's settings (experiment/exp_tune.h). */
#include <stddef.h>

#include "cli.h"
#include "exp_tune.h"

typedef struct tune_args {
    const char *objective, *db, *presets;
    long budget, pop, seeds, holdout;
    cli_u64 seed;
    int maximize, quiet;
} tune_args;

static const cli_opt tune_opts[] = {
    CLI_OPTION("--objective", NULL, CLI_STRING, offsetof(tune_args, objective), "METRIC",
     "the metric to optimise (a `metrics` table name, e.g.\ne2e_s_p99; analysis/README.md)",
     .required = 1),
    CLI_OPTION("--maximize", NULL, CLI_FLAG, offsetof(tune_args, maximize), NULL,
     "larger is better (throughput); default: smaller is better"),
    CLI_OPTION("--budget", NULL, CLI_INT, offsetof(tune_args, budget), "G",
     "generations (default 10; the BRKGA paper's: 100)", .lo = 1, .hi = 100000),
    CLI_OPTION("--pop", NULL, CLI_INT, offsetof(tune_args, pop), "P",
     "population size (default 20; the paper's: 100)", .lo = 2, .hi = 100000),
    CLI_OPTION("--seeds", NULL, CLI_INT, offsetof(tune_args, seeds), "N",
     "tuning seeds 1..N per individual (default 3)", .lo = 1, .hi = 100000),
    CLI_OPTION("--holdout", NULL, CLI_INT, offsetof(tune_args, holdout), "M",
     "held-out seeds N+1..N+M for the final comparison\n(default 5)", .lo = 1, .hi = 100000),
    CLI_OPTION("--seed", NULL, CLI_U64, offsetof(tune_args, seed), "S",
     "the genetic algorithm's own seed (default 1)"),
    CLI_OPTION("--db", NULL, CLI_PATH, offsetof(tune_args, db), "FILE",
     "results database (default ./shardsim.db; created if missing)", .expect = "a file name"),
    CLI_OPTION("--set", NULL, CLI_OVERRIDE, 0, "PATH=VALUE",
     "override one scenario field (as `run`); repeatable"),
    CLI_OPTION("--presets", NULL, CLI_PATH, offsetof(tune_args, presets), "DIR",
     "folder of model presets (default: models/presets of the\nshardsim home)",
     .expect = "a folder"),
    CLI_OPTION("--quiet", "-q", CLI_FLAG, offsetof(tune_args, quiet), NULL,
     "do not print one line per generation"),
};

static const cli_cmd tune_cmd = {
    .name = "tune",
    .synopsis = "SCENARIO --objective METRIC [OPTIONS]",
    .description =
        "Tune the numeric settings of SCENARIO's routing policy (routing.settings, e.g.\n"
        "the \"nesa\" weights; ranges from the policy's settings spec) with a biased\n"
        "random-key genetic algorithm (Goncalves & Resende 2011: elite 0.2, mutants\n"
        "0.15, crossover bias 0.7). An individual's fitness is METRIC's mean over the\n"
        "tuning seeds, each a run stored in the database (rerunning costs look-ups\n"
        "only). The best settings and the scenario's own are then compared on\n"
        "held-out seeds, never tuned on. Deterministic for a given --seed.\n",
    .opts = tune_opts,
    .n_opts = sizeof tune_opts / sizeof tune_opts[0],
    .noun = "scenario",
    .min_pos = 1,
    .max_pos = 1,
    .epilogue = "Exit status: 0 done (whether or not it improved), 64 usage error, 65 bad\n"
                "scenario, an objective that is not a metric or a policy without settings;\n"
                "otherwise as `shardsim --help` says.\n",
};

static void print_result(const tune_args *a, const char *path, const exp_tune_result *r)
{
    printf("tune %s: routing policy %s, objective %s (%s), population %ld x %ld generations "
           "(elite %d, mutants %d, crossover bias %.2f), tuning seeds 1..%ld, held-out seeds "
           "%ld..%ld, GA seed %llu, %zu individuals evaluated\n", path, r->policy, a->objective,
           a->maximize ? "maximise" : "minimise", a->pop, a->budget, r->n_elite, r->n_mutants,
           EXP_TUNE_RHO, a->seeds, a->seeds + 1, a->seeds + a->holdout,
           (unsigned long long)a->seed.v, r->n_evaluations);
    printf("setting\tmin\tmax\tscenario\tbest\n");
    for (int i = 0; i < r->n_params; i++)
        printf("%s\t%.6g\t%.6g\t%.6g\t%.6g\n", r->params[i].key, r->params[i].lo, r->params[i].hi,
               r->def[i], r->best[i]);
    printf("tuning seeds\t%s\tscenario %.6g\tbest %.6g\n", a->objective, r->def_train,
           r->best_train);
    printf("held-out seeds\t%s\tscenario %.6g\tbest %.6g\t(%+.2f %%)\n", a->objective,
           r->def_holdout, r->best_holdout,
           r->def_holdout != 0 ? 100 * (r->best_holdout - r->def_holdout) / r->def_holdout : 0);
    printf("%s\n", r->improved ? "improved on the held-out seeds"
                               : "did not improve on the held-out seeds (the scenario's own "
                                 "settings are as good or better)");
}

int cli_tune(int argc, char **argv)
{
    tune_args a = {.db = "shardsim.db", .budget = 10, .pop = 20, .seeds = 3, .holdout = 5,
                   .seed = {.v = 1}};
    cli_parsed p;
    int rc = cli_parse(&tune_cmd, argc, argv, &a, &p);
    ana_db *db = NULL;
    if (rc < 0 && !(rc = cli_open_db("tune", a.db, &db))) {
        char err[1024];
        exp_tune_result r;
        exp_run_opts ro = {.presets_dir = a.presets};
        exp_tune_opts o = {.objective = a.objective, .maximize = a.maximize,
                           .generations = (int)a.budget, .pop = (int)a.pop,
                           .n_seeds = (int)a.seeds, .n_holdout = (int)a.holdout,
                           .seed = a.seed.v, .run = &ro, .log = a.quiet ? NULL : stdout};
        ss_status st = exp_tune_run(p.pos[0], p.ov, p.n_ov, &o, db, &r, err, sizeof err);
        if (st == SS_OK) {
            print_result(&a, p.pos[0], &r);
        } else {
            fprintf(stderr, "shardsim tune: %s\n", err);
            rc = st == SS_EBUSY || st == SS_EDB || st == SS_EREADONLY || st == SS_EFULL
                     ? cli_exit_for_db(st) : cli_exit_for_input(st);
        }
    }
    ana_db_close(db);
    cli_parsed_fini(&p);
    return rc;
}
