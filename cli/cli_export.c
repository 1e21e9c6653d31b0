/* cli_export.c - `shardsim export DB [--run ID] [--csv DIR] [--chrome-trace FILE]`
 * (analysis/ana_export.h, analysis/ana_trace.h). */
#include <limits.h>
#include <stddef.h>

#include "ana_export.h"
#include "ana_report.h"
#include "ana_trace.h"
#include "cli.h"

typedef struct export_args {
    long run;
    const char *csv, *trace;
} export_args;

static const cli_opt export_opts[] = {
    CLI_OPTION("--run", NULL, CLI_INT, offsetof(export_args, run), "ID",
     "the run to export (default: the latest stored)", .lo = 1, .hi = LONG_MAX,
     .expect = "a positive integer"),
    CLI_OPTION("--csv", NULL, CLI_PATH, offsetof(export_args, csv), "DIR",
     "write every table of the run as DIR/<table>.csv (RFC 4180, header row,\n"
     "doubles as %.17g); DIR must not exist or be empty, and appears whole"),
    CLI_OPTION("--chrome-trace", NULL, CLI_PATH, offsetof(export_args, trace), "FILE",
     "write the run's event record as Trace Event Format JSON (Perfetto,\n"
     "chrome://tracing); needs a run recorded at record.level \"hops\" or\n"
     "\"all\"; FILE appears whole"),
};

static const cli_cmd export_cmd = {
    .name = "export",
    .synopsis = "DB [--run ID] (--csv DIR | --chrome-trace FILE)...",
    .description =
        "Export a stored run for other tools: every table of the run as CSV files,\n"
        "and/or its event record as a Chrome trace: a process per node and the\n"
        "client, compute slices, transfers as flows, failures as instant events,\n"
        "requests as async slices (formats: analysis/README.md). The database is\n"
        "opened read-only.\n",
    .opts = export_opts,
    .n_opts = sizeof export_opts / sizeof export_opts[0],
    .noun = "database",
    .min_pos = 1,
    .max_pos = 1,
    .epilogue = "Exit status: 0 ok, 64 usage error, 65 newer database schema, 66 no such\n"
                "run or database, 69 the run has no event record (level below \"hops\"),\n"
                "73 cannot create DIR or FILE (exists and is not empty, no parent, not\n"
                "writable), 74 not a shardsim database or I/O error, 75 database busy.\n",
};

/* Exit status of a failed export step: output stage, database stage. */
static int exit_for(ss_status st, int output_stage, int db_stage)
{
    return st == SS_OK             ? CLI_EX_OK
           : output_stage          ? CLI_EX_CANTCREAT
           : st == SS_EUNSUPPORTED ? CLI_EX_UNAVAILABLE
           : db_stage              ? (st == SS_ENOTFOUND || st == SS_ENOENT ? CLI_EX_NOINPUT
                                                                            : cli_exit_for_db(st))
           : st == SS_EINVAL       ? CLI_EX_USAGE
                                   : CLI_EX_SOFTWARE;
}

int cli_export(int argc, char **argv)
{
    export_args a = {.run = ANA_RUN_LATEST};
    cli_parsed p;
    int rc = cli_parse(&export_cmd, argc, argv, &a, &p);
    if (rc < 0 && !a.csv && !a.trace) {
        fprintf(stderr, "shardsim export: give --csv DIR or --chrome-trace FILE (or both)\n");
        rc = CLI_EX_USAGE;
    } else if (rc < 0) {
        char err[1024];
        ss_status st = SS_OK;
        rc = CLI_EX_OK;
        if (a.csv) {
            ana_export_stage stage;
            st = ana_export_csv(p.pos[0], a.run, a.csv, &stage, err, sizeof err);
            rc = exit_for(st, stage == ANA_EXPORT_STAGE_OUTPUT, stage == ANA_EXPORT_STAGE_DB);
        }
        if (st == SS_OK && a.trace) {
            ana_trace_stage stage;
            st = ana_trace_write(p.pos[0], a.run, a.trace, &stage, err, sizeof err);
            rc = exit_for(st, stage == ANA_TRACE_STAGE_OUTPUT, stage == ANA_TRACE_STAGE_DB);
        }
        if (st != SS_OK)
            fprintf(stderr, "shardsim export: %s\n", err);
    }
    cli_parsed_fini(&p);
    return rc;
}
