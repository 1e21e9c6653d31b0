/* cli_sweep.c - `shardsim sweep`: sweep file -> scn_sweep_load -> --list, or
 * exp_sweep_run (N worker processes, every point stored once and tagged). */
#include <stddef.h>
#include <string.h>

#include "cli.h"
#include "exp_mpi.h"
#include "exp_sweep.h"
#include "scn_sweep.h"

typedef struct sweep_args {
    long jobs;
    const char *db, *presets;
    int list, quiet;
} sweep_args;

static const cli_opt sweep_opts[] = {
    CLI_OPTION("--jobs", "-j", CLI_INT, offsetof(sweep_args, jobs), "N",
     "worker processes (default: the number of online cores)", .lo = 1, .hi = 1024),
    CLI_OPTION("--db", NULL, CLI_PATH, offsetof(sweep_args, db), "FILE",
     "results database (default ./shardsim.db; created if missing)", .expect = "a file name"),
    CLI_OPTION("--list", NULL, CLI_FLAG, offsetof(sweep_args, list), NULL,
     "print the points (index, seed, axis values) and run nothing"),
    CLI_OPTION("--presets", NULL, CLI_PATH, offsetof(sweep_args, presets), "DIR",
     "folder of model presets (default: models/presets of the\nshardsim home)",
     .expect = "a folder"),
    CLI_OPTION("--quiet", "-q", CLI_FLAG, offsetof(sweep_args, quiet), NULL,
     "no progress and no summary line"),
};

static const cli_cmd sweep_cmd = {
    .name = "sweep",
    .synopsis = "SWEEP.json [OPTIONS]",
    .description =
        "Run every point (axis values x seeds) of the sweep file SWEEP.json through the\n"
        "same path as `run`, in N worker processes: each point's run is stored once in\n"
        "one transaction and tagged in the sweeps / sweep_points tables. Rerunning\n"
        "runs only the missing points. A point that fails (e.g. a bad axis value) is\n"
        "recorded with its error, printed on stderr, and the sweep goes on. The file\n"
        "format is in scenarios/README.md (\"Sweep files\").\n"
        "Under `mpirun -np N` (a build with MPI) the points are spread over N - 1\n"
        "worker ranks on any number of machines; rank 0 hands them out and is the\n"
        "only database writer (-j is then ignored).\n",
    .opts = sweep_opts,
    .n_opts = sizeof sweep_opts / sizeof sweep_opts[0],
    .noun = "sweep file",
    .min_pos = 1,
    .max_pos = 1,
    .epilogue = "Exit status: 0 every point stored; 1..63 that many points failed or were not\n"
                "done (63: 63 or more); 130 interrupted (SIGINT: running points finish, a second\n"
                "SIGINT abandons them; nothing partial is stored); otherwise as `shardsim --help` says (65: a bad sweep\n"
                "file, or its name already stored with other axes).\n",
};

static void list_points(const scn_sweep *sw)
{
    printf("# sweep %s: %zu point%s = %zu combination%s (%s) x %zu seed%s; base %s\n", sw->name,
           sw->n_points, sw->n_points == 1 ? "" : "s", sw->n_combos, sw->n_combos == 1 ? "" : "s",
           sw->mode == SCN_SWEEP_ZIP ? "zip" : "grid", sw->n_seeds, sw->n_seeds == 1 ? "" : "s",
           sw->base_label);
    printf("# point\tseed");
    for (size_t a = 0; a < sw->n_axes; a++)
        printf("\t%s", sw->axes[a].path);
    printf("\n");
    for (size_t i = 0; i < sw->n_points; i++) {
        size_t combo;
        uint64_t seed;
        scn_sweep_point(sw, i, &combo, &seed);
        printf("%zu\t%llu", i, (unsigned long long)seed);
        for (size_t a = 0; a < sw->n_axes; a++)
            printf("\t%s", scn_sweep_value(sw, combo, a));
        printf("\n");
    }
}

static int run_sweep(const sweep_args *a, const scn_sweep *sw)
{
    char err[1024];
    exp_sweep_summary sum = {0};
    exp_run_opts ro = {.presets_dir = a->presets};
    exp_sweep_opts o = {.jobs = (int)a->jobs, .run = &ro, .log = stderr};
    exp_progress prog;
    char what[96];
    snprintf(what, sizeof what, "sweep %.80s", sw->name);
    exp_progress_init(&prog, stderr, -1, what);
    if (!a->quiet)
        o.progress = &prog;
    int mpi_worker = 0; /* under mpirun: ranks (exp_mpi.h); else forked workers */
    ss_status st = exp_mpi_sweep_run(sw, a->db, &o, &sum, &mpi_worker, err, sizeof err);
    exp_progress_end(&prog);
    if (st == SS_OK && mpi_worker)
        return CLI_EX_OK; /* rank 0 reports */
    if (st == SS_EUNSUPPORTED) {
        fprintf(stderr, "shardsim sweep: %s\n", err);
        return CLI_EX_USAGE;
    }
    if (st != SS_OK) {
        fprintf(stderr, "shardsim sweep: %s\n", err);
        return st == SS_ESCHEMA ? CLI_EX_DATAERR : cli_exit_for_db(st);
    }
    if (!a->quiet)
        printf("sweep %s: %zu points: %zu new, %zu already stored, %zu failed, %zu not done "
               "(%d %s%s) in %s\n", sw->name, sum.n_points, sum.n_new, sum.n_stored,
               sum.n_failed, sum.n_lost, sum.jobs, exp_mpi_world_size() > 1 ? "MPI worker rank"
               : "worker", sum.jobs == 1 ? "" : "s", a->db);
    if (sum.interrupted) {
        fprintf(stderr, "shardsim sweep: interrupted; the points stored so far are kept, rerun "
                        "to complete the sweep\n");
        return 130;
    }
    size_t bad = sum.n_failed + sum.n_lost;
    return bad > 63 ? 63 : (int)bad;
}

int cli_sweep(int argc, char **argv)
{
    sweep_args a = {.db = "shardsim.db"};
    cli_parsed p;
    scn_sweep sw;
    char err[1024];
    int rc = cli_parse(&sweep_cmd, argc, argv, &a, &p);
    if (rc < 0) {
        ss_status st = scn_sweep_load(p.pos[0], &sw, err, sizeof err);
        if (st != SS_OK) {
            fprintf(stderr, "shardsim sweep: %s\n", err);
            rc = cli_exit_for_input(st);
        } else {
            if (a.list) {
                list_points(&sw);
                rc = CLI_EX_OK;
            } else {
                rc = run_sweep(&a, &sw);
            }
            scn_sweep_fini(&sw);
        }
    }
    cli_parsed_fini(&p);
    return rc;
}
