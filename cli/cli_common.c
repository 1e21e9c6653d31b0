/* cli_common.c - status to exit-code mapping and the steps every sub-command
 * shares (load a scenario, open the database), each printing its own error. */
#include "cli.h"

int cli_exit_for_input(ss_status st)
{
    switch (st) {
    case SS_OK:
        return CLI_EX_OK;
    case SS_ENOENT:
        return CLI_EX_NOINPUT;
    case SS_EIO:
        return CLI_EX_IOERR;
    case SS_ENOMEM:
        return CLI_EX_SOFTWARE;
    default:
        return CLI_EX_DATAERR;
    }
}

int cli_exit_for_db(ss_status st)
{
    switch (st) {
    case SS_OK:
        return CLI_EX_OK;
    case SS_EBUSY:
        return CLI_EX_TEMPFAIL;
    case SS_EREADONLY:
        return CLI_EX_CANTCREAT;
    case SS_ENOENT: /* only a reader's open: the database is the input */
        return CLI_EX_NOINPUT;
    case SS_EVERSION:
    case SS_EPARSE:
        return CLI_EX_DATAERR;
    case SS_ENOMEM:
        return CLI_EX_SOFTWARE;
    default:
        return CLI_EX_IOERR;
    }
}

int cli_exit_for_stage(exp_stage stage, ss_status st)
{
    switch (stage) {
    case EXP_STAGE_NONE:
        return st == SS_OK ? CLI_EX_OK : CLI_EX_SOFTWARE;
    case EXP_STAGE_FIND:
    case EXP_STAGE_STORE:
        return cli_exit_for_db(st);
    case EXP_STAGE_SIMULATE:
    case EXP_STAGE_MEASURE:
        return cli_exit_for_input(st);
    default:
        return CLI_EX_SOFTWARE;
    }
}

int cli_load(const char *cmd, const char *path, const cli_parsed *p, const cli_u64 *seed,
             scn_scenario *out)
{
    char err[1024];
    ss_status st = exp_load(path, p->ov, p->n_ov, seed && seed->set ? &seed->v : NULL, out, err,
                            sizeof err);
    if (st == SS_OK)
        return 0;
    fprintf(stderr, "shardsim %s: %s\n", cmd, err);
    return cli_exit_for_input(st);
}

int cli_open_db(const char *cmd, const char *path, ana_db **out)
{
    char err[1024];
    ss_status st = ana_db_open(path, NULL, out, err, sizeof err);
    if (st == SS_OK)
        return 0;
    fprintf(stderr, "shardsim %s: %s\n", cmd, err);
    return cli_exit_for_db(st);
}

int cli_dirs(const char *cmd, exp_dirs *out)
{
    char err[256];
    if (exp_dirs_resolve(out, err, sizeof err) == SS_OK)
        return 0;
    fprintf(stderr, "shardsim %s: %s\n", cmd, err);
    return CLI_EX_SOFTWARE;
}
