/* cli_validate.c - `shardsim validate FILE...`: load each scenario, run nothing. */
#include <string.h>

#include "cli.h"
#include "scn_scenario.h"

static const char validate_usage[] =
    "Usage: shardsim validate FILE...\n"
    "\n"
    "Check scenario files without running them. Prints \"FILE: ok\" for each valid\n"
    "file and one error line (file, JSON path, what was expected) for each invalid\n"
    "one. Exit status: 0 if all are valid, else that of the first failure (65 bad\n"
    "data, 66 missing file, 74 I/O error).\n";

int cli_validate(int argc, char **argv)
{
    int rc = CLI_EX_OK, n_files = 0;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(validate_usage, stdout);
            return CLI_EX_OK;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "shardsim validate: unknown option \"%s\"\n", argv[i]);
            return CLI_EX_USAGE;
        }
        n_files++;
        char err[1024];
        scn_scenario scn;
        ss_status st = scn_load(argv[i], NULL, 0, &scn, err, sizeof err);
        if (st == SS_OK) {
            printf("%s: ok\n", argv[i]);
            scn_scenario_fini(&scn);
        } else {
            fprintf(stderr, "%s\n", err);
            if (rc == CLI_EX_OK)
                rc = cli_exit_for_input(st);
        }
    }
    if (!n_files) {
        fputs(validate_usage, stderr);
        return CLI_EX_USAGE;
    }
    return rc;
}
