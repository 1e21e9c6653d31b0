/* cli_merge.c - `shardsim merge OUT.db IN.db...` (experiment/exp_merge.h). */
#include <stddef.h>

#include "cli.h"
#include "exp_merge.h"

typedef struct merge_args {
    int quiet;
} merge_args;

static const cli_opt merge_opts[] = {
    CLI_OPTION("--quiet", "-q", CLI_FLAG, offsetof(merge_args, quiet), NULL,
     "do not print the summary line"),
};

static const cli_cmd merge_cmd = {
    .name = "merge",
    .synopsis = "OUT.db IN.db... [-q]",
    .description =
        "Merge results databases made on separate machines (or by separate sweeps)\n"
        "into OUT.db (created if missing). Runs are keyed by their run key: a run\n"
        "present in several inputs is kept once; sweeps and their points are merged\n"
        "(an \"ok\" point replaces a \"failed\" one). The same key with other content\n"
        "is an error naming it. All in one transaction: on any error OUT.db is left\n"
        "as it was. At most 9 inputs per call (merge in stages beyond).\n",
    .opts = merge_opts,
    .n_opts = sizeof merge_opts / sizeof merge_opts[0],
    .noun = "database",
    .min_pos = 2,
    .max_pos = 1 + EXP_MERGE_MAX_IN,
    .epilogue = "Exit status: 0 ok, 64 usage error, 65 conflicting content or another schema,\n"
                "66 an input is missing, 73 cannot create OUT.db, 74 not a shardsim database\n"
                "or I/O error, 75 database busy.\n",
};

int cli_merge(int argc, char **argv)
{
    merge_args a = {0};
    cli_parsed p;
    int rc = cli_parse(&merge_cmd, argc, argv, &a, &p);
    if (rc < 0) {
        char err[1024];
        exp_merge_summary s;
        ss_status st = exp_merge(p.pos[0], p.pos + 1, (size_t)p.n_pos - 1,
                                 &s, err, sizeof err);
        rc = st == SS_OK        ? CLI_EX_OK
             : st == SS_ESCHEMA ? CLI_EX_DATAERR
             : st == SS_ENOENT  ? CLI_EX_NOINPUT
             : st == SS_EINVAL  ? CLI_EX_USAGE
                                : cli_exit_for_db(st);
        if (st != SS_OK)
            fprintf(stderr, "shardsim merge: %s\n", err);
        else if (!a.quiet)
            printf("merge: %zu runs copied, %zu already there; %zu sweeps new, %zu sweep points "
                   "written into %s\n", s.n_runs_new, s.n_runs_same, s.n_sweeps_new,
                   s.n_points_new, p.pos[0]);
    }
    cli_parsed_fini(&p);
    return rc;
}
