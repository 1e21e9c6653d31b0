/* cli_common.c - status to exit-code mapping shared by the sub-commands. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cli_take(int argc, char **argv, int *i, const char *name, const char **val)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *val = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n])
        return 0;
    *val = *i + 1 < argc ? argv[++*i] : NULL;
    return 1;
}

int cli_add_override(const char *cmd, const char *v, scn_override *ov, size_t *n)
{
    char *eq = v ? strchr(v, '=') : NULL;
    if (!eq || eq == v) {
        fprintf(stderr, "shardsim %s: --set: expected PATH=VALUE, got \"%s\"\n", cmd, v ? v : "");
        return 0;
    }
    *eq = 0;
    ov[(*n)++] = (scn_override){v, eq + 1};
    return 1;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9') /* strtoull would accept "-1", " 7", "+7" */
        return 0;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return 0;
    *out = v;
    return 1;
}

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
