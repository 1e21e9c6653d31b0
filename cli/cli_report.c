/* cli_report.c - `shardsim report DB [--run ID]`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ana_report.h"
#include "cli.h"

static const char report_usage[] =
    "Usage: shardsim report DB [--run ID]\n"
    "\n"
    "Print the report of one stored run: requests completed, end-to-end latency,\n"
    "time to first token and time per output token (mean, p50, p90, p99),\n"
    "throughput, and per-node utilisation and traffic. The database is opened\n"
    "read-only.\n"
    "\n"
    "Options:\n"
    "  --run ID     the run to report (default: the latest stored)\n"
    "  -h, --help   this text\n";

int cli_report(int argc, char **argv)
{
    const char *db = NULL;
    int64_t run = ANA_RUN_LATEST;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(report_usage, stdout);
            return CLI_EX_OK;
        }
        const char *v = NULL;
        if (strcmp(argv[i], "--run") == 0 && i + 1 < argc)
            v = argv[++i];
        else if (strncmp(argv[i], "--run=", 6) == 0)
            v = argv[i] + 6;
        else if (strcmp(argv[i], "--run") == 0) {
            fprintf(stderr, "shardsim report: --run: expected a run id\n");
            return CLI_EX_USAGE;
        }
        if (v) {
            char *end;
            errno = 0;
            long long id = strtoll(v, &end, 10);
            if (errno || end == v || *end || id < 1) {
                fprintf(stderr, "shardsim report: --run: expected a positive integer, got \"%s\"\n",
                        v);
                return CLI_EX_USAGE;
            }
            run = id;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "shardsim report: unknown option \"%s\"\n", argv[i]);
            return CLI_EX_USAGE;
        } else if (!db) {
            db = argv[i];
        } else {
            fprintf(stderr, "shardsim report: one database at a time\n");
            return CLI_EX_USAGE;
        }
    }
    if (!db) {
        fputs(report_usage, stderr);
        return CLI_EX_USAGE;
    }
    char err[1024];
    ss_status st = ana_report_print(db, run, stdout, err, sizeof err);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim report: %s\n", err);
        return st == SS_ENOTFOUND ? CLI_EX_NOINPUT : cli_exit_for_db(st);
    }
    return CLI_EX_OK;
}
