/* cli.h - shared pieces of the shardsim command-line tool.
 *
 * A sub-command is argument handling only: one declarative option table
 * (cli_opt[]) drives both parsing and the --help text, and the work is one
 * call into the experiment layer (experiment/exp_*.h) or a library.
 *
 * Exit codes (sysexits.h values, documented in `shardsim --help` and the README):
 *   0 ok; 64 usage error; 65 bad input data (scenario, weights, trace);
 *   66 an input file is missing; 70 internal error; 73 cannot create or write
 *   the output (read-only database, bad path); 74 I/O or database error;
 *   75 database busy (retry later).
 */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ana_db.h"
#include "exp_run.h"
#include "scn_scenario.h"
#include "ss_status.h"

enum {
    CLI_EX_OK = 0,
    CLI_EX_USAGE = 64,
    CLI_EX_DATAERR = 65,
    CLI_EX_NOINPUT = 66,
    CLI_EX_UNAVAILABLE = 69, /* what was asked for was not recorded (sysexits EX_UNAVAILABLE) */
    CLI_EX_SOFTWARE = 70,
    CLI_EX_CANTCREAT = 73,
    CLI_EX_IOERR = 74,
    CLI_EX_TEMPFAIL = 75,
};

/* Exit code for a failed load of an input file. */
int cli_exit_for_input(ss_status st);
/* Exit code for a failed database operation. */
int cli_exit_for_db(ss_status st);
/* Exit code for a failed exp_run (or exp_eval, exp_pareto) by its stage:
 * database stages as cli_exit_for_db, inputs as cli_exit_for_input, setup 70. */
int cli_exit_for_stage(exp_stage stage, ss_status st);

int cli_run(int argc, char **argv);
int cli_validate(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_generate(int argc, char **argv);
int cli_eval(int argc, char **argv);
int cli_pareto(int argc, char **argv);
int cli_calibrate(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_baseline(int argc, char **argv);
int cli_check(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_merge(int argc, char **argv);
int cli_tune(int argc, char **argv);
int cli_replay(int argc, char **argv);
int cli_fit(int argc, char **argv);
int cli_petals_table(int argc, char **argv);

/* Set (by main, when it re-executes itself with an OPENBLAS_CORETYPE chosen
 * from the CPU's features) to the kernel OpenBLAS had picked; empty after a
 * chosen kernel failed the naive-reference check and was given up. */
#define CLI_BLAS_FALLBACK_ENV "SHARDSIM_BLAS_FALLBACK"

/* 1 if arg is -h or --help. */
int cli_is_help(const char *arg);

/* ---- declarative options ------------------------------------------------ */

typedef enum cli_kind {
    CLI_FLAG,     /* int: set to 1; no value */
    CLI_U64,      /* cli_u64: 0 .. 2^64-1, a whole decimal token */
    CLI_INT,      /* long in [lo, hi] */
    CLI_STRING,   /* const char *: any text, "" allowed */
    CLI_PATH,     /* const char *: a non-empty file or folder name */
    CLI_OVERRIDE, /* "--set PATH=VALUE", appended to cli_parsed.ov (repeatable) */
} cli_kind;

typedef struct cli_u64 {
    uint64_t v;
    int set; /* 1 when given */
} cli_u64;

/* One option: `--name VALUE` or `--name=VALUE` (flags: `--name` or `short`).
 * The value lands at `offset` in the command's argument struct, typed by
 * kind. help is the --help text (lines after the first are indented under
 * it); expect overrides the "expected ..." of the error (NULL: by kind). */
typedef struct cli_opt {
    const char *name;
    const char *short_name; /* "-q" or NULL */
    cli_kind kind;
    size_t offset;          /* offsetof(<args struct>, field); unused for CLI_OVERRIDE */
    const char *metavar;    /* "N", "FILE", "PATH=VALUE"; NULL for flags */
    const char *help;
    long lo, hi;            /* CLI_INT bounds */
    int required;           /* 1: missing => usage on stderr, exit 64 */
    const char *expect;
} cli_opt;

/* A table row: name, short name, kind, offset, metavar, help, then any of
 * .lo, .hi, .required, .expect as designated initializers. */
#define CLI_OPTION(name_, short_, kind_, offset_, metavar_, help_, ...)                        \
    {.name = (name_), .short_name = (short_), .kind = (kind_), .offset = (offset_),             \
     .metavar = (metavar_), .help = (help_), __VA_ARGS__}

/* A sub-command: its table, positionals and help paragraphs. */
typedef struct cli_cmd {
    const char *name;        /* "run" */
    const char *synopsis;    /* after "Usage: shardsim run ": "[SCENARIO] [OPTIONS]" */
    const char *description; /* paragraphs before "Options:" */
    const cli_opt *opts;
    size_t n_opts;
    const char *noun;        /* positional in errors: "scenario" */
    int min_pos, max_pos;    /* positional count; max_pos < 0: unlimited */
    const char *epilogue;    /* after the options (NULL: "Exit status: see `shardsim --help`.") */
} cli_cmd;

/* Positionals and overrides of one command line; release with cli_parsed_fini. */
typedef struct cli_parsed {
    const char **pos;  /* (n_pos) borrowed from argv */
    int n_pos;
    scn_override *ov;  /* (n_ov) pointing into argv (split in place at '=') */
    size_t n_ov;
} cli_parsed;

/* Parse argv[1..argc) of `cmd` into `args` (the struct the offsets refer to)
 * and *p. Returns -1 to go on, or the exit code to return now: 0 after
 * printing the help to stdout (-h, --help), 64 after a usage error (one
 * line, or the help on stderr when a required argument is missing), 70 when
 * out of memory. *p is always safe to cli_parsed_fini. */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, void *args, cli_parsed *p);
void cli_parsed_fini(cli_parsed *p);
/* The --help text generated from the table. */
void cli_usage(const cli_cmd *cmd, FILE *out);

/* ---- shared steps --------------------------------------------------------- */

/* Load a scenario (exp_load); on failure print "shardsim CMD: <err>" and
 * return the exit code, else 0. */
int cli_load(const char *cmd, const char *path, const cli_parsed *p, const cli_u64 *seed,
             scn_scenario *out);
/* Open (create, migrate) the results database; on failure print the error
 * and return the exit code, else 0. */
int cli_open_db(const char *cmd, const char *path, ana_db **out);
/* The folders of exp_dirs_resolve; on failure print and return 70, else 0. */
int cli_dirs(const char *cmd, exp_dirs *out);

#endif
