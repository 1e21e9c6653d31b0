/* cli_run.c - `shardsim run`: scenario -> exp_run (simulated once, stored) -> report. */
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "ana_report.h"
#include "cli.h"
#include "exp_progress.h"

typedef struct run_args {
    cli_u64 seed;
    const char *db, *presets;
    int quiet;
} run_args;

static const cli_opt run_opts[] = {
    CLI_OPTION("--seed", NULL, CLI_U64, offsetof(run_args, seed), "N",
     "use seed N (0 .. 18446744073709551615) instead of the\nscenario's \"seed\""),
    CLI_OPTION("--db", NULL, CLI_PATH, offsetof(run_args, db), "FILE",
     "results database (default ./shardsim.db; created if missing)", .expect = "a file name"),
    CLI_OPTION("--set", NULL, CLI_OVERRIDE, 0, "PATH=VALUE",
     "override one scenario field before validation, e.g.\n"
     "--set workload.n_requests=50 --set nodes[0].count=3;\n"
     "VALUE is JSON, or a string when it is not valid JSON;\nrepeatable"),
    CLI_OPTION("--presets", NULL, CLI_PATH, offsetof(run_args, presets), "DIR",
     "folder of model presets (default: models/presets of the\nshardsim home)",
     .expect = "a folder"),
    CLI_OPTION("--quiet", "-q", CLI_FLAG, offsetof(run_args, quiet), NULL,
     "do not print the report or progress"),
};

static const cli_cmd run_cmd = {
    .name = "run",
    .synopsis = "[SCENARIO] [OPTIONS]",
    .description =
        "Simulate SCENARIO (default: scenarios/default.json in the current folder, else\n"
        "the bundled one), store the run in the results database in one transaction and\n"
        "print its report. A run is identified by its scenario (after --set), seed,\n"
        "shardsim version and build identity (source commit, dirty flag): running the\n"
        "same again reports the stored run instead of storing a duplicate; a rebuilt,\n"
        "changed shardsim runs it anew.\n",
    .opts = run_opts,
    .n_opts = sizeof run_opts / sizeof run_opts[0],
    .noun = "scenario",
    .max_pos = 1,
};

/* scenarios/default.json here, else the bundled one. */
static const char *default_scenario(char *buf, size_t len)
{
    exp_dirs d;
    if (access("scenarios/default.json", F_OK) == 0 || exp_dirs_resolve(&d, NULL, 0) != SS_OK)
        return "scenarios/default.json";
    snprintf(buf, len, "%.4000s/scenarios/default.json", d.home);
    return buf;
}

static int run_stored(const run_args *a, const scn_scenario *s)
{
    ana_db *db = NULL;
    int rc = cli_open_db("run", a->db, &db);
    if (rc)
        return rc;
    char err[1024];
    exp_run_result r;
    exp_progress prog;
    char what[96];
    snprintf(what, sizeof what, "run %.80s", s->name);
    exp_progress_init(&prog, stderr, -1, what);
    exp_run_opts ro = {.presets_dir = a->presets, .progress = a->quiet ? NULL : exp_progress_sim_cb,
                       .progress_ctx = &prog};
    ss_status st = exp_run(s, &ro, db, &r, err, sizeof err);
    exp_progress_end(&prog);
    ana_db_close(db);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim run: %s\n", err);
        return cli_exit_for_stage(r.stage, st);
    }
    if (r.stored_before)
        fprintf(stderr, "shardsim run: this scenario, seed %llu, version %s and build %s are "
                        "already stored as run %lld in %s (runs are deterministic); reporting it\n",
                (unsigned long long)s->seed, SS_VERSION, exp_build_id(), (long long)r.run_id, a->db);
    if (!a->quiet && (st = ana_report_print(a->db, r.run_id, stdout, err, sizeof err)) != SS_OK) {
        fprintf(stderr, "shardsim run: %s\n", err);
        return cli_exit_for_db(st);
    }
    return CLI_EX_OK;
}

int cli_run(int argc, char **argv)
{
    run_args a = {.db = "shardsim.db"};
    cli_parsed p;
    scn_scenario s;
    char buf[4096];
    int rc = cli_parse(&run_cmd, argc, argv, &a, &p);
    if (rc < 0) {
        const char *path = p.n_pos ? p.pos[0] : default_scenario(buf, sizeof buf);
        if (!(rc = cli_load("run", path, &p, &a.seed, &s))) {
            rc = run_stored(&a, &s);
            scn_scenario_fini(&s);
        }
    }
    cli_parsed_fini(&p);
    return rc;
}
