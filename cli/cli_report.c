/* cli_report.c - `shardsim report DB [--run ID | --sweep NAME [--sort METRIC]]`. */
#include <limits.h>
#include <stddef.h>

#include "ana_report.h"
#include "ana_sweep.h"
#include "cli.h"

typedef struct report_args {
    long run;
    const char *sweep, *sort;
} report_args;

static const cli_opt report_opts[] = {
    CLI_OPTION("--run", NULL, CLI_INT, offsetof(report_args, run), "ID",
     "the run to report (default: the latest stored)", .lo = 1, .hi = LONG_MAX,
     .expect = "a positive integer"),
    CLI_OPTION("--sweep", NULL, CLI_STRING, offsetof(report_args, sweep), "NAME",
     "report sweep NAME instead: one row per axis combination, each\n"
     "metric's mean over the seeds +- its 95% confidence interval"),
    CLI_OPTION("--sort", NULL, CLI_STRING, offsetof(report_args, sort), "METRIC",
     "with --sweep: rows by ascending mean of METRIC (e.g. e2e_s_p99)"),
};

static const cli_cmd report_cmd = {
    .name = "report",
    .synopsis = "DB [--run ID | --sweep NAME [--sort METRIC]]",
    .description =
        "Print the report of one stored run: requests completed, end-to-end latency,\n"
        "time to first token and time per output token (mean, p50, p90, p99),\n"
        "throughput, and per-node utilisation and traffic. The database is opened\n"
        "read-only. With --sweep, the sweep's table instead (tab-separated; the last\n"
        "line is the sweep's determinism digest).\n",
    .opts = report_opts,
    .n_opts = sizeof report_opts / sizeof report_opts[0],
    .noun = "database",
    .min_pos = 1,
    .max_pos = 1,
};

int cli_report(int argc, char **argv)
{
    report_args a = {.run = ANA_RUN_LATEST};
    cli_parsed p;
    int rc = cli_parse(&report_cmd, argc, argv, &a, &p);
    if (rc < 0) {
        char err[1024];
        ss_status st;
        if (a.sort && !a.sweep) {
            fprintf(stderr, "shardsim report: --sort needs --sweep NAME\n");
            cli_parsed_fini(&p);
            return CLI_EX_USAGE;
        }
        st = a.sweep ? ana_sweep_report(p.pos[0], a.sweep, a.sort, stdout, err, sizeof err)
                     : ana_report_print(p.pos[0], a.run, stdout, err, sizeof err);
        rc = CLI_EX_OK;
        if (st != SS_OK) {
            fprintf(stderr, "shardsim report: %s\n", err);
            rc = st == SS_ENOTFOUND ? CLI_EX_NOINPUT
                 : st == SS_EINVAL  ? CLI_EX_USAGE
                                    : cli_exit_for_db(st);
        }
    }
    cli_parsed_fini(&p);
    return rc;
}
