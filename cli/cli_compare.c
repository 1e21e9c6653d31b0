/* cli_compare.c - `shardsim compare`: a scenario's compare block ->
 * exp_compare_run (every variant on seeds 1..N through the sweep executor)
 * -> one table per metric with paired 95 % intervals, --json for scripts. */
#include <stddef.h>
#include <string.h>

#include "cli.h"
#include "exp_compare.h"
#include "scn_compare.h"

typedef struct compare_args {
    long seeds, jobs;
    const char *db, *presets, *json;
    int quiet;
} compare_args;

static const cli_opt compare_opts[] = {
    CLI_OPTION("--seeds", NULL, CLI_INT, offsetof(compare_args, seeds), "N",
     "run every variant on seeds 1..N (default 10)", .lo = 1, .hi = 100000),
    CLI_OPTION("--jobs", "-j", CLI_INT, offsetof(compare_args, jobs), "N",
     "worker processes (default: the number of online cores)", .lo = 1, .hi = 1024),
    CLI_OPTION("--db", NULL, CLI_PATH, offsetof(compare_args, db), "FILE",
     "results database (default ./shardsim.db; created if missing)", .expect = "a file name"),
    CLI_OPTION("--json", NULL, CLI_PATH, offsetof(compare_args, json), "FILE",
     "also write the comparison as JSON to FILE (written whole)", .expect = "a file name"),
    CLI_OPTION("--presets", NULL, CLI_PATH, offsetof(compare_args, presets), "DIR",
     "folder of model presets (default: models/presets of the\nshardsim home)",
     .expect = "a folder"),
    CLI_OPTION("--quiet", "-q", CLI_FLAG, offsetof(compare_args, quiet), NULL,
     "no progress and no summary line on stderr"),
};

static const cli_cmd compare_cmd = {
    .name = "compare",
    .synopsis = "SCENARIO [OPTIONS]",
    .description =
        "Run every variant of SCENARIO's \"compare\" block (named sets of JSON-path\n"
        "overrides, scenarios/README.md) on the same seeds 1..N through the sweep\n"
        "executor (stored runs are reused: rerunning simulates nothing new), then print\n"
        "one table per metric (p50/p99 of e2e, TTFT and TPOT, throughput, goodput,\n"
        "failed requests, retries): each variant's mean over the seeds and its paired\n"
        "difference against the first variant with a 95 % confidence interval (paired\n"
        "t), \"ns\" where the interval contains 0 (not significant). The output depends\n"
        "only on the stored results: the same seeds give identical output.\n",
    .opts = compare_opts,
    .n_opts = sizeof compare_opts / sizeof compare_opts[0],
    .noun = "scenario",
    .min_pos = 1,
    .max_pos = 1,
    .epilogue = "Exit status: 0 every run stored; 1..63 that many runs failed or were not done;\n"
                "130 interrupted (SIGINT: the running points finish, nothing partial is\n"
                "stored); otherwise as `shardsim --help` says (65: no or a bad compare block,\n"
                "or a variant that does not load).\n",
};

static int report(const compare_args *a, const scn_compare *c, const exp_compare_result *r)
{
    char err[1024];
    ss_status st = exp_compare_print(c, r, stdout);
    if (st == SS_OK && fflush(stdout) != 0)
        st = SS_EIO;
    if (st != SS_OK) {
        fprintf(stderr, "shardsim compare: cannot write the tables to stdout\n");
        return CLI_EX_IOERR;
    }
    if (a->json && (st = exp_compare_write_json(c, r, a->json, err, sizeof err)) != SS_OK) {
        fprintf(stderr, "shardsim compare: %s\n", err);
        return st == SS_ENOMEM ? CLI_EX_SOFTWARE : CLI_EX_CANTCREAT;
    }
    const exp_sweep_summary *s = &r->summary;
    if (!a->quiet)
        fprintf(stderr, "compare: sweep %s: %zu runs: %zu new, %zu already stored, %zu failed, "
                        "%zu not done (%d worker%s) in %s\n", r->sweep_name, s->n_points, s->n_new,
                s->n_stored, s->n_failed, s->n_lost, s->jobs, s->jobs == 1 ? "" : "s", a->db);
    size_t bad = s->n_failed + s->n_lost;
    return bad > 63 ? 63 : (int)bad;
}

static int run_compare(const compare_args *a, scn_compare *c)
{
    char err[1024], what[96];
    exp_progress prog;
    exp_run_opts ro = {.presets_dir = a->presets};
    exp_compare_opts o = {.sweep = {.jobs = (int)a->jobs, .run = &ro, .log = stderr}};
    snprintf(what, sizeof what, "compare %.80s", c->scenario_name);
    exp_progress_init(&prog, stderr, -1, what);
    if (!a->quiet)
        o.sweep.progress = &prog;
    exp_compare_result r;
    ss_status st = exp_compare_run(c, a->db, &o, &r, err, sizeof err);
    exp_progress_end(&prog);
    int rc;
    if (st != SS_OK) {
        fprintf(stderr, "shardsim compare: %s\n", err);
        rc = cli_exit_for_input(st);
        if (st == SS_EDB || st == SS_EBUSY || st == SS_EREADONLY || st == SS_EVERSION)
            rc = cli_exit_for_db(st);
    } else if (r.summary.interrupted) {
        fprintf(stderr, "shardsim compare: interrupted; the runs stored so far are kept, "
                        "rerun to complete the comparison\n");
        rc = 130;
    } else {
        rc = report(a, c, &r);
    }
    exp_compare_result_fini(&r);
    return rc;
}

int cli_compare(int argc, char **argv)
{
    compare_args a = {.db = "shardsim.db", .seeds = 10};
    cli_parsed p;
    scn_compare c;
    char err[1024];
    int rc = cli_parse(&compare_cmd, argc, argv, &a, &p);
    if (rc < 0) {
        ss_status st = scn_compare_load(p.pos[0], (size_t)a.seeds, &c, err, sizeof err);
        if (st != SS_OK) {
            fprintf(stderr, "shardsim compare: %s\n", err);
            rc = cli_exit_for_input(st);
        } else {
            rc = run_compare(&a, &c);
            scn_compare_fini(&c);
        }
    }
    cli_parsed_fini(&p);
    return rc;
}
