/* cli_common.c - status to exit-code mapping shared by the sub-commands. */
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
    case SS_ENOENT:
        return CLI_EX_CANTCREAT;
    case SS_EVERSION:
    case SS_EPARSE:
        return CLI_EX_DATAERR;
    case SS_ENOMEM:
        return CLI_EX_SOFTWARE;
    default:
        return CLI_EX_IOERR;
    }
}
