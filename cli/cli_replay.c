/* cli_replay.c - `shardsim replay DB --run ID --request N [--explain] [--step]`
 * (analysis/ana_replay.h). */
#include <limits.h>
#include <stddef.h>
#include <unistd.h>

#include "ana_replay.h"
#include "cli.h"

typedef struct replay_args {
    long run, request;
    int explain, step;
} replay_args;

static const cli_opt replay_opts[] = {
    CLI_OPTION("--run", NULL, CLI_INT, offsetof(replay_args, run), "ID", "the stored run",
     .lo = 1, .hi = LONG_MAX, .expect = "a positive integer", .required = 1),
    CLI_OPTION("--request", NULL, CLI_INT, offsetof(replay_args, request), "N",
     "the request (its id: 0, 1, ... in arrival order; required)", .lo = 0, .hi = LONG_MAX,
     .expect = "a non-negative integer"),
    CLI_OPTION("--explain", NULL, CLI_FLAG, offsetof(replay_args, explain), NULL,
     "show the router's cost of each chosen chain next to the alternatives\n"
     "it saw (runs recorded at record.level \"all\")"),
    CLI_OPTION("--step", NULL, CLI_FLAG, offsetof(replay_args, step), NULL,
     "wait for Enter after each event (only when input and output are a terminal)"),
};

static const cli_cmd replay_cmd = {
    .name = "replay",
    .synopsis = "DB --run ID --request N [--explain] [--step]",
    .description =
        "Follow one request of a stored run step by step in simulated time, from\n"
        "its event record: arrival, routing, each hop's transfer (bytes, time), KV\n"
        "wait, queueing, compute and replay on its node, failures and recoveries of\n"
        "the nodes it used, the client's bans, retries, tokens and its end. Needs a\n"
        "run recorded at record.level \"hops\" or \"all\". The database is opened\n"
        "read-only.\n",
    .opts = replay_opts,
    .n_opts = sizeof replay_opts / sizeof replay_opts[0],
    .noun = "database",
    .min_pos = 1,
    .max_pos = 1,
    .epilogue = "Exit status: 0 ok, 64 usage error, 65 newer database schema, 66 no such\n"
                "database, run or request, 69 the run has no event record, 74 not a\n"
                "shardsim database or I/O error, 75 database busy.\n",
};

int cli_replay(int argc, char **argv)
{
    replay_args a = {.request = -1};
    cli_parsed p;
    int rc = cli_parse(&replay_cmd, argc, argv, &a, &p);
    if (rc < 0 && a.request < 0) { /* 0 is a request id, so not the parser's .required */
        fprintf(stderr, "shardsim replay: --request N is required\n");
        rc = CLI_EX_USAGE;
    } else if (rc < 0) {
        char err[1024];
        ana_replay_opts o = {.explain = a.explain,
                             .step = a.step && isatty(0) && isatty(1) ? stdin : NULL};
        ss_status st = ana_replay_print(p.pos[0], a.run, a.request, &o, stdout, err, sizeof err);
        rc = st == SS_OK             ? CLI_EX_OK
             : st == SS_EUNSUPPORTED ? CLI_EX_UNAVAILABLE
             : st == SS_ENOTFOUND || st == SS_ENOENT ? CLI_EX_NOINPUT
             : st == SS_EINVAL       ? CLI_EX_USAGE
                                     : cli_exit_for_db(st);
        if (st != SS_OK)
            fprintf(stderr, "shardsim replay: %s\n", err);
    }
    cli_parsed_fini(&p);
    return rc;
}
