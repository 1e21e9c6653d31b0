/* shardsim.c - entry point: dispatch to the sub-commands. Only main() exits. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>

#include "cli.h"
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
    "  eval SCENARIO --task T  accuracy through the simulated pipeline (perplexity\n"
    "                        on TinyStories, MNIST accuracy), stored in the DB\n"
    "  pareto SCENARIO --codecs LIST  wire bytes x latency x accuracy per\n"
    "                        activation codec, Pareto front marked, stored in the DB\n"
    "  help [COMMAND]        this text, or a command's own help\n"
    "\n"
    "Options:\n"
    "  -h, --help            help (also after a command: shardsim run --help)\n"
    "  --version             print the version\n"
    "\n"
    "Exit status: 0 ok, 64 usage error, 65 bad input data, 66 input file missing,\n"
    "70 internal error, 73 cannot create or write the output, 74 I/O or database\n"
    "error, 75 database busy (try again).\n"
    "\n"
    "Environment: SHARDSIM_HOME overrides the folder holding scenarios/ and\n"
    "models/presets/ (default: the source tree this binary was built from).\n";

int cli_is_help(const char *arg) { return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0; }

const char *cli_home(void)
{
    const char *h = getenv("SHARDSIM_HOME");
    return h && *h ? h : SS_SOURCE_DIR;
}

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
    fprintf(stderr, "shardsim: unknown command \"%s\" (known: run, validate, report, generate, "
                    "eval, pareto, help)\n", cmd);
    return CLI_EX_USAGE;
}

int main(int argc, char **argv)
{
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
