/* cli_validate.c - `shardsim validate FILE...`: every check `run` makes
 * before simulating (exp_validate), nothing simulated or stored. */
#include <stddef.h>

#include "cli.h"

typedef struct validate_args {
    const char *presets;
} validate_args;

static const cli_opt validate_opts[] = {
    CLI_OPTION("--presets", NULL, CLI_PATH, offsetof(validate_args, presets), "DIR",
     "folder of model presets, as for run (default: models/presets\nof the shardsim home)",
     .expect = "a folder"),
};

static const cli_cmd validate_cmd = {
    .name = "validate",
    .synopsis = "FILE... [OPTIONS]",
    .description =
        "Check scenario files without running them: everything `shardsim run` checks\n"
        "before simulating (the scenario schema, registry names of policies and codecs,\n"
        "device and model presets, measured-RTT cities, node memory for the placed\n"
        "spans, trace and weights files), so a file that validates is not rejected by\n"
        "run. Prints \"FILE: ok\" for each valid file and one error line (file, JSON\n"
        "path, what was expected) for each invalid one.\n",
    .opts = validate_opts,
    .n_opts = sizeof validate_opts / sizeof validate_opts[0],
    .noun = "file",
    .min_pos = 1,
    .max_pos = -1,
    .epilogue = "Exit status: 0 if all are valid, else that of the first failure (65 bad\n"
                "data, 66 missing file, 74 I/O error).\n",
};

/* One file: 0 if valid, else its exit code (the error line printed). */
static int validate_one(const char *path, const validate_args *a)
{
    char err[1024];
    scn_scenario s;
    ss_status st = exp_load(path, NULL, 0, NULL, &s, err, sizeof err);
    if (st == SS_OK) {
        st = exp_validate(&s, &(exp_run_opts){.presets_dir = a->presets}, err, sizeof err);
        scn_scenario_fini(&s);
    }
    if (st != SS_OK) {
        fprintf(stderr, "%s\n", err);
        return cli_exit_for_input(st);
    }
    printf("%s: ok\n", path);
    return CLI_EX_OK;
}

int cli_validate(int argc, char **argv)
{
    validate_args a = {0};
    cli_parsed p;
    int rc = cli_parse(&validate_cmd, argc, argv, &a, &p);
    if (rc < 0) {
        rc = CLI_EX_OK;
        for (int i = 0; i < p.n_pos; i++) {
            int one = validate_one(p.pos[i], &a);
            if (rc == CLI_EX_OK)
                rc = one;
        }
    }
    cli_parsed_fini(&p);
    return rc;
}
