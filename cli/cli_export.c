/* cli_export.c - `shardsim export DB [--run ID] --csv DIR` (analysis/ana_export.h). */
#include <limits.h>
#include <stddef.h>

#include "ana_export.h"
#include "ana_report.h"
#include "cli.h"

typedef struct export_args {
    long run;
    const char *csv;
} export_args;

static const cli_opt export_opts[] = {
    CLI_OPTION("--run", NULL, CLI_INT, offsetof(export_args, run), "ID",
     "the run to export (default: the latest stored)", .lo = 1, .hi = LONG_MAX,
     .expect = "a positive integer"),
    CLI_OPTION("--csv", NULL, CLI_PATH, offsetof(export_args, csv), "DIR",
     "write every table of the run as DIR/<table>.csv (RFC 4180, header row,\n"
     "doubles as %.17g); DIR must not exist or be empty, and appears whole", .required = 1),
};

static const cli_cmd export_cmd = {
    .name = "export",
    .synopsis = "DB [--run ID] --csv DIR",
    .description =
        "Export a stored run for other tools: its rows of runs, requests, nodes,\n"
        "metrics and accuracy as CSV files (format: analysis/README.md). The\n"
        "database is opened read-only.\n",
    .opts = export_opts,
    .n_opts = sizeof export_opts / sizeof export_opts[0],
    .noun = "database",
    .min_pos = 1,
    .max_pos = 1,
    .epilogue = "Exit status: 0 ok, 64 usage error, 65 newer database schema, 66 no such\n"
                "run or database, 73 cannot create DIR (exists and is not empty, no parent),\n"
                "74 not a shardsim database or I/O error, 75 database busy.\n",
};

int cli_export(int argc, char **argv)
{
    export_args a = {.run = ANA_RUN_LATEST};
    cli_parsed p;
    int rc = cli_parse(&export_cmd, argc, argv, &a, &p);
    if (rc < 0) {
        char err[1024];
        ana_export_stage stage;
        ss_status st = ana_export_csv(p.pos[0], a.run, a.csv, &stage, err, sizeof err);
        rc = st == SS_OK                      ? CLI_EX_OK
             : stage == ANA_EXPORT_STAGE_OUTPUT ? CLI_EX_CANTCREAT
             : stage == ANA_EXPORT_STAGE_DB   ? (st == SS_ENOTFOUND || st == SS_ENOENT
                                                     ? CLI_EX_NOINPUT
                                                     : cli_exit_for_db(st))
             : st == SS_EINVAL                ? CLI_EX_USAGE
                                              : CLI_EX_SOFTWARE;
        if (st != SS_OK)
            fprintf(stderr, "shardsim export: %s\n", err);
    }
    cli_parsed_fini(&p);
    return rc;
}
