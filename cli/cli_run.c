/* cli_run.c - `shardsim run`: scenario -> simulation -> results DB -> report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "ana_db.h"
#include "ana_report.h"
#include "ana_store.h"
#include "cli.h"
#include "scn_scenario.h"
#include "sim_run.h"
#include "ss_alloc.h"

static const char run_usage[] =
    "Usage: shardsim run [SCENARIO] [OPTIONS]\n"
    "\n"
    "Simulate SCENARIO (default: scenarios/default.json in the current folder, else\n"
    "the bundled one), store the run in the results database in one transaction and\n"
    "print its report. A run is identified by its scenario (after --set), seed and\n"
    "shardsim version: running the same again reports the stored run instead of\n"
    "storing a duplicate.\n"
    "\n"
    "Options:\n"
    "  --seed N             use seed N (0 .. 18446744073709551615) instead of the\n"
    "                       scenario's \"seed\"\n"
    "  --db FILE            results database (default ./shardsim.db; created if missing)\n"
    "  --set PATH=VALUE     override one scenario field before validation, e.g.\n"
    "                       --set workload.n_requests=50 --set nodes[0].count=3;\n"
    "                       VALUE is JSON, or a string when it is not valid JSON;\n"
    "                       repeatable\n"
    "  --presets DIR        folder of model presets (default: models/presets of the\n"
    "                       shardsim home)\n"
    "  -q, --quiet          do not print the report\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: see `shardsim --help`.\n";

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int cli_run(int argc, char **argv)
{
    const char *scenario = NULL, *db_path = "shardsim.db", *presets = NULL;
    uint64_t seed = 0;
    int have_seed = 0, quiet = 0;
    int rc = CLI_EX_OK;
    scn_override *ov = ss_calloc((size_t)argc, sizeof *ov);
    size_t n_ov = 0;
    if (!ov)
        return CLI_EX_SOFTWARE;

    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_is_help(argv[i])) {
            fputs(run_usage, stdout);
            goto out;
        } else if (cli_take(argc, argv, &i, "--seed", &v)) {
            if (!cli_parse_u64(v, &seed)) {
                fprintf(stderr, "shardsim run: --seed: expected an integer 0..18446744073709551615, "
                                "got \"%s\"\n", v ? v : "");
                rc = CLI_EX_USAGE;
                goto out;
            }
            have_seed = 1;
        } else if (cli_take(argc, argv, &i, "--db", &v)) {
            if (!v || !*v) {
                fprintf(stderr, "shardsim run: --db: expected a file name\n");
                rc = CLI_EX_USAGE;
                goto out;
            }
            db_path = v;
        } else if (cli_take(argc, argv, &i, "--presets", &v)) {
            if (!v || !*v) {
                fprintf(stderr, "shardsim run: --presets: expected a folder\n");
                rc = CLI_EX_USAGE;
                goto out;
            }
            presets = v;
        } else if (cli_take(argc, argv, &i, "--set", &v)) {
            if (!cli_add_override("run", v, ov, &n_ov)) {
                rc = CLI_EX_USAGE;
                goto out;
            }
        } else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "shardsim run: unknown option \"%s\" (see shardsim run --help)\n",
                    argv[i]);
            rc = CLI_EX_USAGE;
            goto out;
        } else if (!scenario) {
            scenario = argv[i];
        } else {
            fprintf(stderr, "shardsim run: one scenario at a time, got \"%s\" and \"%s\"\n",
                    scenario, argv[i]);
            rc = CLI_EX_USAGE;
            goto out;
        }
    }

    static char default_path[4096], presets_buf[4096];
    if (!scenario) {
        scenario = "scenarios/default.json";
        if (access(scenario, F_OK) != 0) {
            snprintf(default_path, sizeof default_path, "%s/scenarios/default.json", cli_home());
            scenario = default_path;
        }
    }
    if (!presets) {
        snprintf(presets_buf, sizeof presets_buf, "%s/models/presets", cli_home());
        presets = presets_buf;
    }

    char err[1024];
    scn_scenario scn;
    ss_status st = scn_load(scenario, ov, n_ov, &scn, err, sizeof err);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim run: %s\n", err);
        rc = cli_exit_for_input(st);
        goto out;
    }
    if (have_seed)
        scn.seed = seed;

    char key[256];
    ana_db *db = NULL;
    sim_results res;
    memset(&res, 0, sizeof res);
    int64_t run_id = -1;
    if ((st = ana_run_key(scn.canonical_json, scn.seed, SS_VERSION, key, sizeof key)) != SS_OK) {
        fprintf(stderr, "shardsim run: cannot compute the run key: %s\n", ss_strerror(st));
        rc = CLI_EX_SOFTWARE;
        goto done;
    }
    /* Open (and create or migrate) the database before simulating, so a bad
     * database fails in a second, not after the run. */
    if ((st = ana_db_open(db_path, NULL, &db, err, sizeof err)) != SS_OK) {
        fprintf(stderr, "shardsim run: %s\n", err);
        rc = cli_exit_for_db(st);
        goto done;
    }
    st = ana_run_find(db, key, &run_id, err, sizeof err);
    if (st == SS_OK) {
        fprintf(stderr, "shardsim run: this scenario, seed %llu and version %s are already "
                        "stored as run %lld in %s (runs are deterministic); reporting it\n",
                (unsigned long long)scn.seed, SS_VERSION, (long long)run_id, db_path);
        goto report;
    }
    if (st != SS_ENOTFOUND) {
        fprintf(stderr, "shardsim run: %s\n", err);
        rc = cli_exit_for_db(st);
        goto done;
    }

    double t0 = wall_now();
    sim_run_opts opts = {.presets_dir = presets, .keep_routes = scn.record == SCN_RECORD_REQUESTS,
                         .assets_dir = cli_assets()};
    if ((st = sim_run(&scn, &opts, &res, err, sizeof err)) != SS_OK) {
        fprintf(stderr, "shardsim run: %s\n", err);
        rc = st == SS_ENOMEM ? CLI_EX_SOFTWARE : CLI_EX_DATAERR;
        goto done;
    }
    ana_run_info info = {
        .scenario_name = scn.name,
        .scenario_json = scn.canonical_json,
        .version = SS_VERSION,
        .status = "ok",
        .blas_core = openblas_get_corename(),
        .wall_seconds = wall_now() - t0,
    };
    if ((st = ana_store_run(db, &info, &res, scn.record == SCN_RECORD_REQUESTS, &run_id, err,
                            sizeof err)) != SS_OK) {
        fprintf(stderr, "shardsim run: %s\n", err);
        rc = cli_exit_for_db(st);
        goto done;
    }
report:
    ana_db_close(db);
    db = NULL;
    if (!quiet && (st = ana_report_print(db_path, run_id, stdout, err, sizeof err)) != SS_OK) {
        fprintf(stderr, "shardsim run: %s\n", err);
        rc = cli_exit_for_db(st);
    }
done:
    ana_db_close(db);
    sim_results_fini(&res);
    scn_scenario_fini(&scn);
out:
    ss_free(ov);
    return rc;
}
