/* cli_report.c - `shardsim report DB [--run ID | --sweep NAME [--sort METRIC]]
 * [--html FILE] [--png DIR] [--metric METRIC]`. */
#include <limits.h>
#include <stddef.h>

#include "ana_html.h"
#include "ana_report.h"
#include "ana_sweep.h"
#include "cli.h"

typedef struct report_args {
    long run;
    const char *sweep, *sort;
    const char *html, *png, *metric;
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
    CLI_OPTION("--html", NULL, CLI_PATH, offsetof(report_args, html), "FILE",
     "write the report as one self-contained HTML file of plots (inline\n"
     "SVG drawn by gnuplot; nothing fetched from the network) instead"),
    CLI_OPTION("--png", NULL, CLI_PATH, offsetof(report_args, png), "DIR",
     "write the same plots as PNG files DIR/plot-ID.png (DIR is created)"),
    CLI_OPTION("--metric", NULL, CLI_STRING, offsetof(report_args, metric), "METRIC",
     "with --html/--png: the sweep plot's metric (default e2e_s_p99)"),
};

static const cli_cmd report_cmd = {
    .name = "report",
    .synopsis = "DB [--run ID | --sweep NAME [--sort METRIC]] [--html FILE] [--png DIR]",
    .description =
        "Print the report of one stored run: requests completed, end-to-end latency,\n"
        "time to first token and time per output token (mean, p50, p90, p99),\n"
        "throughput, and per-node utilisation and traffic. The database is opened\n"
        "read-only. With --sweep, the sweep's table instead (tab-separated; the last\n"
        "line is the sweep's determinism digest).\n"
        "\n"
        "With --html FILE and/or --png DIR, plots instead of text: latency, TTFT and TPOT\n"
        "CDFs per run (with --sweep: per axis combination), throughput and requests in\n"
        "flight over time, per-node utilisation and KV memory (runs stored with\n"
        "record.level \"hops\"), accuracy vs wire bytes of `pareto` runs, and a sweep\n"
        "metric vs its first axis with 95% confidence bands. The time plots show --run\n"
        "ID (default: the latest run with request rows). Needs gnuplot\n"
        "(scripts/deps.sh; $SHARDSIM_GNUPLOT names another binary). Files are written\n"
        "whole or not at all.\n",
    .opts = report_opts,
    .n_opts = sizeof report_opts / sizeof report_opts[0],
    .noun = "database",
    .min_pos = 1,
    .max_pos = 1,
};

/* --html / --png: exit status of ana_html_report. */
static int report_plots(const char *db, const report_args *a)
{
    char err[1024];
    const ana_html_opts o = {.run_id = a->run, .sweep = a->sweep, .metric = a->metric,
                             .html = a->html, .png_dir = a->png};
    ss_status st = ana_html_report(db, &o, err, sizeof err);
    if (st == SS_OK)
        return CLI_EX_OK;
    fprintf(stderr, "shardsim report: %s\n", err);
    switch (st) {
    case SS_ENOENT:
    case SS_ENOTFOUND:
        return CLI_EX_NOINPUT;
    case SS_EINVAL:
        return CLI_EX_USAGE;
    case SS_EIO:
        return CLI_EX_CANTCREAT; /* an output could not be written */
    case SS_EUNSUPPORTED:
        return CLI_EX_SOFTWARE;  /* gnuplot missing or failing */
    default:
        return cli_exit_for_db(st);
    }
}

static int report_text(const char *db, const report_args *a)
{
    char err[1024];
    ss_status st = a->sweep ? ana_sweep_report(db, a->sweep, a->sort, stdout, err, sizeof err)
                            : ana_report_print(db, a->run, stdout, err, sizeof err);
    if (st == SS_OK)
        return CLI_EX_OK;
    fprintf(stderr, "shardsim report: %s\n", err);
    return st == SS_ENOTFOUND || st == SS_ENOENT ? CLI_EX_NOINPUT
           : st == SS_EINVAL                     ? CLI_EX_USAGE
                                                 : cli_exit_for_db(st);
}

int cli_report(int argc, char **argv)
{
    report_args a = {.run = ANA_RUN_LATEST};
    cli_parsed p;
    int rc = cli_parse(&report_cmd, argc, argv, &a, &p);
    if (rc < 0) {
        if (a.sort && !a.sweep) {
            fprintf(stderr, "shardsim report: --sort needs --sweep NAME\n");
            rc = CLI_EX_USAGE;
        } else if (a.metric && !a.html && !a.png) {
            fprintf(stderr, "shardsim report: --metric needs --html FILE or --png DIR\n");
            rc = CLI_EX_USAGE;
        } else {
            rc = a.html || a.png ? report_plots(p.pos[0], &a) : report_text(p.pos[0], &a);
        }
    }
    cli_parsed_fini(&p);
    return rc;
}
