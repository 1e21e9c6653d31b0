/* cli_gate.c - the regression gate: `shardsim baseline DB [--run ID] --out
 * FILE` and `shardsim check DB [--run ID] --baseline FILE [--junit FILE]`
 * (analysis/ana_gate.h does the work). */
#include <limits.h>
#include <stddef.h>

#include "ana_gate.h"
#include "ana_report.h"
#include "cli.h"

/* `check` found a regression. */
#define CLI_EX_REGRESSION 1

typedef struct gate_args {
    long run;
    const char *out, *baseline, *junit;
} gate_args;

#define RUN_OPTION                                                                             \
    CLI_OPTION("--run", NULL, CLI_INT, offsetof(gate_args, run), "ID",                        \
               "the run (default: the latest stored)", .lo = 1, .hi = LONG_MAX,                \
               .expect = "a positive integer")

static const cli_opt baseline_opts[] = {
    RUN_OPTION,
    CLI_OPTION("--out", "-o", CLI_PATH, offsetof(gate_args, out), "FILE",
     "write the baseline here (JSON; replaced whole, never half-written)", .required = 1),
};

static const cli_opt check_opts[] = {
    RUN_OPTION,
    CLI_OPTION("--baseline", NULL, CLI_PATH, offsetof(gate_args, baseline), "FILE",
     "the baseline to check against (written by `shardsim baseline`)", .required = 1),
    CLI_OPTION("--junit", NULL, CLI_PATH, offsetof(gate_args, junit), "FILE",
     "also write the verdicts as JUnit XML (one testcase per metric and the digest)"),
};

static const char gate_exits[] =
    "Exit status: 0 pass, 1 regression (check), 64 usage error, 65 bad input (a\n"
    "newer database schema, a baseline that is not one or names an unknown\n"
    "metric), 66 no such run or baseline file, 73 cannot write the output,\n"
    "74 not a shardsim database or I/O error, 75 database busy.\n";

static const cli_cmd baseline_cmd = {
    .name = "baseline",
    .synopsis = "DB [--run ID] --out FILE",
    .description =
        "Write the regression baseline of a stored run: every metric and accuracy\n"
        "figure with its tolerance (metrics exact, accuracy 1e-6 relative; edit the\n"
        "file to loosen one), the run key, and the run's determinism digest broken\n"
        "down by table, row and column (format: analysis/README.md).\n",
    .opts = baseline_opts,
    .n_opts = sizeof baseline_opts / sizeof baseline_opts[0],
    .noun = "database",
    .min_pos = 1,
    .max_pos = 1,
    .epilogue = gate_exits,
};

static const cli_cmd check_cmd = {
    .name = "check",
    .synopsis = "DB [--run ID] --baseline FILE [--junit FILE]",
    .description =
        "Check a stored run against a baseline: one row per figure (metric,\n"
        "baseline, now, delta, tolerance, verdict), then the determinism digest; on\n"
        "a digest mismatch, the first differing table and row and the columns that\n"
        "differ.\n",
    .opts = check_opts,
    .n_opts = sizeof check_opts / sizeof check_opts[0],
    .noun = "database",
    .min_pos = 1,
    .max_pos = 1,
    .epilogue = gate_exits,
};

static int exit_for(ana_gate_stage stage, ss_status st)
{
    switch (stage) {
    case ANA_GATE_STAGE_DB:
        return st == SS_ENOTFOUND || st == SS_ENOENT ? CLI_EX_NOINPUT : cli_exit_for_db(st);
    case ANA_GATE_STAGE_BASELINE:
        return cli_exit_for_input(st);
    case ANA_GATE_STAGE_OUTPUT:
        return CLI_EX_CANTCREAT;
    default:
        return st == SS_OK ? CLI_EX_OK : st == SS_EINVAL ? CLI_EX_USAGE : CLI_EX_SOFTWARE;
    }
}

int cli_baseline(int argc, char **argv)
{
    gate_args a = {.run = ANA_RUN_LATEST};
    cli_parsed p;
    int rc = cli_parse(&baseline_cmd, argc, argv, &a, &p);
    if (rc < 0) {
        char err[1024];
        ana_gate_stage stage;
        ss_status st = ana_gate_baseline(p.pos[0], a.run, a.out, &stage, err, sizeof err);
        rc = exit_for(stage, st);
        if (st != SS_OK)
            fprintf(stderr, "shardsim baseline: %s\n", err);
    }
    cli_parsed_fini(&p);
    return rc;
}

int cli_check(int argc, char **argv)
{
    gate_args a = {.run = ANA_RUN_LATEST};
    cli_parsed p;
    int rc = cli_parse(&check_cmd, argc, argv, &a, &p);
    if (rc < 0) {
        char err[1024];
        ana_gate_stage stage;
        ana_gate_result res;
        ss_status st = ana_gate_check(p.pos[0], a.run, a.baseline, a.junit, stdout, &res, &stage,
                                      err, sizeof err);
        rc = exit_for(stage, st);
        if (st != SS_OK)
            fprintf(stderr, "shardsim check: %s\n", err);
        else if (res.n_failed > 0)
            rc = CLI_EX_REGRESSION;
    }
    cli_parsed_fini(&p);
    return rc;
}
