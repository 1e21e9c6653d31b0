/* shardsim.c - entry point: dispatch to the sub-commands. Only main() exits. */
#include <cblas.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
#include "model_calibrate.h"
#include "ss_json.h"

static const char usage[] =
    "shardsim " SS_VERSION " - deterministic simulator of sharded, heterogeneous\n"
    "neural-network inference over volunteer networks.\n"
    "\n"
    "Usage: shardsim COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Commands:\n"
    "  run [SCENARIO]        simulate a scenario (default scenarios/default.json),\n"
    "                        store the run in a results database, print its report\n"
    "  validate FILE...      check scenario files without running them\n"
    "  report DB [--run ID]  print the report of a stored run (default: the latest)\n"
    "  generate SCENARIO     greedy text generation through the simulated pipeline\n"
    "                        of a real-weights scenario (llama2.c-identical output)\n"
    "  calibrate [--out FILE]  measure this host's sgemm/sgemv speed and memory\n"
    "                        bandwidth, write a device profile for scenarios\n"
    "  eval SCENARIO --task T  accuracy through the simulated pipeline (perplexity\n"
    "                        on TinyStories, MNIST accuracy), stored in the DB\n"
    "  pareto SCENARIO --codecs LIST  wire bytes x latency x accuracy per\n"
    "                        activation codec, Pareto front marked, stored in the DB\n"
    "  sweep SWEEP.json [-j N]  every point (axis values x seeds) of a sweep file,\n"
    "                        in N worker processes, stored once each; --list prints them\n"
    "  compare SCENARIO [--seeds N]  the variants of a scenario's compare block on\n"
    "                        the same seeds: per metric, paired differences, 95 % CIs\n"
    "  baseline DB --out FILE  the regression baseline of a stored run (metrics,\n"
    "                        accuracy, digest; JSON)\n"
    "  check DB --baseline FILE  a stored run against a baseline: exit 1 on a\n"
    "                        regression; --junit FILE for CI\n"
    "  export DB --csv DIR   every table of a stored run as CSV files;\n"
    "                        --chrome-trace FILE its event record for Perfetto\n"
    "  replay DB --run ID --request N  one request step by step from the event\n"
    "                        record (--explain: route costs; --step: wait for Enter)\n"
    "  merge OUT.db IN.db... merge results databases (runs kept once by run key)\n"
    "  tune SCENARIO --objective METRIC  tune the routing policy's settings (BRKGA),\n"
    "                        compared with the scenario's own on held-out seeds\n"
    "  help [COMMAND]        this text, or a command's own help\n"
    "\n"
    "Options:\n"
    "  -h, --help            help (also after a command: shardsim run --help)\n"
    "  --version             print the version\n"
    "\n"
    "Exit status: 0 ok, 64 usage error, 65 bad input data, 66 input file missing,\n"
    "69 not recorded (export --chrome-trace, replay of a run without an event\n"
    "record), 70 internal error, 73 cannot create or write the output, 74 I/O or\n"
    "database error, 75 database busy (try again), 130 interrupted (sweep, compare).\n"
    "\n"
    "Environment: SHARDSIM_HOME overrides the folder holding scenarios/ and\n"
    "models/presets/ (default: the source tree this binary was built from);\n"
    "SHARDSIM_ASSETS the shared data folder (default: $SHARDSIM_HOME/../shared/assets).\n"
    "Progress (run, sweep, compare; -q silences it) goes to stderr: one updating line\n"
    "on a terminal, else a line every SHARDSIM_PROGRESS_INTERVAL seconds (default 10).\n"
    "OPENBLAS_CORETYPE forces an OpenBLAS kernel (Haswell, SkylakeX, Zen...);\n"
    "unset, a generic fallback kernel (Prescott, Core2...) is replaced by the best\n"
    "one the CPU supports, checked against a naive multiply first.\n";

/* argv[0] is the command name, as main's argv[0] is the program's. */
static int dispatch(const char *cmd, int argc, char **argv)
{
    if (strcmp(cmd, "run") == 0)
        return cli_run(argc, argv);
    if (strcmp(cmd, "validate") == 0)
        return cli_validate(argc, argv);
    if (strcmp(cmd, "report") == 0)
        return cli_report(argc, argv);
    if (strcmp(cmd, "generate") == 0)
        return cli_generate(argc, argv);
    if (strcmp(cmd, "eval") == 0)
        return cli_eval(argc, argv);
    if (strcmp(cmd, "pareto") == 0)
        return cli_pareto(argc, argv);
    if (strcmp(cmd, "calibrate") == 0)
        return cli_calibrate(argc, argv);
    if (strcmp(cmd, "sweep") == 0)
        return cli_sweep(argc, argv);
    if (strcmp(cmd, "compare") == 0)
        return cli_compare(argc, argv);
    if (strcmp(cmd, "baseline") == 0)
        return cli_baseline(argc, argv);
    if (strcmp(cmd, "check") == 0)
        return cli_check(argc, argv);
    if (strcmp(cmd, "export") == 0)
        return cli_export(argc, argv);
    if (strcmp(cmd, "merge") == 0)
        return cli_merge(argc, argv);
    if (strcmp(cmd, "tune") == 0)
        return cli_tune(argc, argv);
    if (strcmp(cmd, "replay") == 0)
        return cli_replay(argc, argv);
    if (strcmp(cmd, "fit") == 0)
        return cli_fit(argc, argv);
    if (strcmp(cmd, "petals-table") == 0)
        return cli_petals_table(argc, argv);
    fprintf(stderr, "shardsim: unknown command \"%s\" (known: run, validate, report, generate, "
                    "eval, calibrate, pareto, sweep, compare, baseline, check, export, replay, merge, "
                    "tune, fit, petals-table, help)\n", cmd);
    return CLI_EX_USAGE;
}

/* OpenBLAS picks its kernel in a constructor, before main, from
 * OPENBLAS_CORETYPE or its own CPU table; Debian's 0.3.21 falls back to
 * generic kernels (Prescott) on CPUs newer than its table. So: when the user
 * set no OPENBLAS_CORETYPE and OpenBLAS picked a fallback, choose the best
 * kernel the CPU can run (model_blas_choose_core), and re-execute this
 * program with it; the new process checks the kernel against a naive
 * multiply and, if it is wrong, re-executes once more with the original
 * kernel. CLI_BLAS_FALLBACK_ENV carries the state and stops any loop.
 * Returns 0 to go on, or an exit code. */
static int blas_select(char **argv)
{
    const char *core = openblas_get_corename();
    const char *mark = getenv(CLI_BLAS_FALLBACK_ENV);
    if (mark) {
        if (!*mark)
            return 0; /* the chosen kernel was given up: run on the original */
        double e = 0;
        ss_status st = model_blas_verify(model_blas_gemm, 1e-4, &e);
        if (st == SS_OK)
            return 0;
        if (st == SS_ENOMEM)
            return CLI_EX_SOFTWARE;
        fprintf(stderr, "shardsim: OpenBLAS kernel %s fails the reference check (relative error "
                        "%.3g); using %s\n", core, e, mark);
        char orig[64];
        snprintf(orig, sizeof orig, "%s", mark);
        if (setenv("OPENBLAS_CORETYPE", orig, 1) == 0 &&
            setenv(CLI_BLAS_FALLBACK_ENV, "", 1) == 0)
            execv("/proc/self/exe", argv);
        perror("shardsim: re-executing");
        return CLI_EX_SOFTWARE; /* never compute with a kernel known to be wrong */
    }
    const char *forced = getenv("OPENBLAS_CORETYPE");
    if (forced && *forced)
        return 0; /* the user's choice */
    model_cpu_features f;
    model_cpu_features_detect(&f);
    const char *pick = model_blas_choose_core(core, &f);
    if (!pick)
        return 0;
    if (setenv("OPENBLAS_CORETYPE", pick, 1) == 0 && setenv(CLI_BLAS_FALLBACK_ENV, core, 1) == 0)
        execv("/proc/self/exe", argv);
    /* no re-exec (no /proc?): go on with OpenBLAS's own, slower but correct, kernel */
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv(CLI_BLAS_FALLBACK_ENV);
    return 0;
}

/* Real-mode forward passes are single-threaded (README), and an OpenBLAS
 * worker that is never given work still spins on sched_yield after it is
 * started, which doubled the CPU time of `generate`. OpenBLAS starts its
 * threads in a constructor, before main, from OPENBLAS_NUM_THREADS, so
 * set it and re-execute once, unless the user set it (their choice) or the
 * command is `calibrate`, which chooses its own thread count (--threads).
 * blas_select's re-execution, if any, carries the variable too.
 * Returns 0 to go on. */
static int blas_single_thread(int argc, char **argv)
{
    if (getenv("OPENBLAS_NUM_THREADS") || (argc > 1 && strcmp(argv[1], "calibrate") == 0))
        return 0;
    if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0)
        return 0;
    if (openblas_get_num_threads() > 1)
        execv("/proc/self/exe", argv);
    /* no re-exec (no /proc?): at least no work goes to the workers */
    openblas_set_num_threads(1);
    return 0;
}

int main(int argc, char **argv)
{
    int trc = blas_single_thread(argc, argv);
    if (trc)
        return trc;
    int brc = blas_select(argv);
    if (brc)
        return brc;
    /* Numbers are parsed and printed in the C locale whatever the user's. */
    setlocale(LC_ALL, "C");
    gsl_set_error_handler_off();
    ss_json_init();
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_EX_USAGE;
    }
    const char *cmd = argv[1];
    if (cli_is_help(cmd)) {
        fputs(usage, stdout);
        return CLI_EX_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        puts("shardsim " SS_VERSION);
        return CLI_EX_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        if (argc < 3) {
            fputs(usage, stdout);
            return CLI_EX_OK;
        }
        char help[] = "--help";
        char *hv[] = {argv[2], help, NULL};
        return dispatch(argv[2], 2, hv);
    }
    return dispatch(cmd, argc - 1, argv + 1);
}
