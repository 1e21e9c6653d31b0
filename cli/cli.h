/* cli.h - shared pieces of the shardsim command-line tool.
 *
 * Exit codes (sysexits.h values, documented in `shardsim --help` and the README):
 *   0 ok; 64 usage error; 65 bad input data (scenario, weights, trace);
 *   66 an input file is missing; 70 internal error; 73 cannot create or write
 *   the output (read-only database, bad path); 74 I/O or database error;
 *   75 database busy (retry later).
 */
#ifndef CLI_H
#define CLI_H

#include <stdint.h>
#include <stdio.h>

#include "scn_scenario.h"
#include "ss_status.h"

enum {
    CLI_EX_OK = 0,
    CLI_EX_USAGE = 64,
    CLI_EX_DATAERR = 65,
    CLI_EX_NOINPUT = 66,
    CLI_EX_SOFTWARE = 70,
    CLI_EX_CANTCREAT = 73,
    CLI_EX_IOERR = 74,
    CLI_EX_TEMPFAIL = 75,
};

/* Exit code for a failed load of an input file. */
int cli_exit_for_input(ss_status st);
/* Exit code for a failed database operation. */
int cli_exit_for_db(ss_status st);

/* Directory of bundled files (scenarios/, models/presets/): the source tree
 * this binary was built from, unless SHARDSIM_HOME is set. */
const char *cli_home(void);
/* The shared data folder (measured RTTs, churn fits, traces, eval data):
 * SHARDSIM_ASSETS, else <home>/../shared/assets. */
const char *cli_assets(void);

int cli_run(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_generate(int argc, char **argv);
int cli_eval(int argc, char **argv);
int cli_pareto(int argc, char **argv);
int cli_calibrate(int argc, char **argv);

/* Set (by main, when it re-executes itself with an OPENBLAS_CORETYPE chosen
 * from the CPU's features) to the kernel OpenBLAS had picked; empty after a
 * chosen kernel failed the naive-reference check and was given up. */
#define CLI_BLAS_FALLBACK_ENV "SHARDSIM_BLAS_FALLBACK"

/* 1 if argv[i] is -h or --help. */
int cli_is_help(const char *arg);

/* Option `name` as "--name VALUE" or "--name=VALUE" at argv[*i]: returns 1
 * and sets *val (NULL when the value is missing), advancing *i past a
 * separate value; 0 if argv[*i] is another option. */
int cli_take(int argc, char **argv, int *i, const char *name, const char **val);
/* "--set PATH=VALUE" of command `cmd`: splits v in place (argv strings are
 * ours to modify) and appends to ov; on a malformed value prints the one-line
 * error and returns 0. */
int cli_add_override(const char *cmd, const char *v, scn_override *ov, size_t *n);
/* A whole decimal token 0..2^64-1 (no sign, no spaces): 1 and *out, else 0. */
int cli_parse_u64(const char *s, uint64_t *out);

#endif
