/* cli_generate.c - `shardsim generate`: one greedy generation session through
 * the simulated pipeline of a real-weights scenario, printed as llama2.c's
 * `run -t 0 -n STEPS -i PROMPT` prints it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "scn_scenario.h"
#include "sim_run.h"
#include "ss_alloc.h"

static const char generate_usage[] =
    "Usage: shardsim generate SCENARIO [OPTIONS]\n"
    "\n"
    "Run one greedy generation session through the simulated pipeline of a\n"
    "real-weights scenario: every hop runs the actual forward pass of its span on\n"
    "its node, activations cross the simulated network through the scenario's\n"
    "codec, node failures in the scenario's \"faults\" are recovered by replaying\n"
    "the session's inputs. Standard output is exactly what llama2.c's\n"
    "`run MODEL -z TOKENIZER -t 0 -n STEPS -i PROMPT` prints; a timing summary in\n"
    "simulated time goes to standard error.\n"
    "\n"
    "Options:\n"
    "  --prompt TEXT        prompt (default: none, generation starts from BOS)\n"
    "  --steps N            positions to run, prompt included, as llama2.c's -n\n"
    "                       (default 256; 0 = the model's seq_len)\n"
    "  --model FILE         use this llama2.c checkpoint instead of the scenario's\n"
    "  --seed N             seed (default: the scenario's)\n"
    "  --set PATH=VALUE     override a scenario field (repeatable), e.g.\n"
    "                       --set placement.spans=3\n"
    "  -q, --quiet          no timing summary\n"
    "  -h, --help           this text\n";

int cli_generate(int argc, char **argv)
{
    const char *scenario = NULL, *prompt = NULL, *model = NULL;
    long steps = 256;
    uint64_t seed = 0;
    int have_seed = 0, quiet = 0, rc = CLI_EX_OK;
    scn_override *ov = ss_calloc((size_t)argc, sizeof *ov);
    size_t n_ov = 0;
    if (!ov)
        return CLI_EX_SOFTWARE;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_is_help(argv[i])) {
            fputs(generate_usage, stdout);
            goto out;
        } else if (cli_take(argc, argv, &i, "--prompt", &v)) {
            if (!v) {
                fprintf(stderr, "shardsim generate: --prompt: expected a text\n");
                rc = CLI_EX_USAGE;
                goto out;
            }
            prompt = v;
        } else if (cli_take(argc, argv, &i, "--steps", &v)) {
            char *end;
            errno = 0;
            steps = v ? strtol(v, &end, 10) : -1;
            if (!v || errno || end == v || *end || steps < 0 || steps > 1000000) {
                fprintf(stderr, "shardsim generate: --steps: expected an integer 0..1000000, "
                                "got \"%s\"\n", v ? v : "");
                rc = CLI_EX_USAGE;
                goto out;
            }
        } else if (cli_take(argc, argv, &i, "--model", &v)) {
            if (!v || !*v) {
                fprintf(stderr, "shardsim generate: --model: expected a file\n");
                rc = CLI_EX_USAGE;
                goto out;
            }
            model = v;
        } else if (cli_take(argc, argv, &i, "--seed", &v)) {
            if (!cli_parse_u64(v, &seed)) {
                fprintf(stderr, "shardsim generate: --seed: expected an integer "
                                "0..18446744073709551615, got \"%s\"\n", v ? v : "");
                rc = CLI_EX_USAGE;
                goto out;
            }
            have_seed = 1;
        } else if (cli_take(argc, argv, &i, "--set", &v)) {
            if (!cli_add_override("generate", v, ov, &n_ov)) {
                rc = CLI_EX_USAGE;
                goto out;
            }
        } else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "shardsim generate: unknown option \"%s\" (see --help)\n", argv[i]);
            rc = CLI_EX_USAGE;
            goto out;
        } else if (!scenario) {
            scenario = argv[i];
        } else {
            fprintf(stderr, "shardsim generate: one scenario at a time\n");
            rc = CLI_EX_USAGE;
            goto out;
        }
    }
    if (!scenario) {
        fputs(generate_usage, stderr);
        rc = CLI_EX_USAGE;
        goto out;
    }

    char err[1024], presets[4096];
    snprintf(presets, sizeof presets, "%s/models/presets", cli_home());
    scn_scenario scn;
    ss_status st = scn_load(scenario, ov, n_ov, &scn, err, sizeof err);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim generate: %s\n", err);
        rc = cli_exit_for_input(st);
        goto out;
    }
    if (have_seed)
        scn.seed = seed;
    sim_generate_spec gen = {.prompt = prompt, .steps = (int)steps, .out = stdout};
    sim_run_opts opts = {.presets_dir = presets, .keep_routes = 1, .model_path = model,
                         .assets_dir = cli_assets(),
                         .generate = &gen};
    sim_results res;
    st = sim_run(&scn, &opts, &res, err, sizeof err);
    fflush(stdout);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim generate: %s\n", err);
        rc = cli_exit_for_input(st);
    } else {
        const sim_request_rec *q = &res.requests[0];
        if (q->status != SIM_REQUEST_OK) {
            fprintf(stderr, "shardsim generate: the session failed after %d retries (no live "
                            "node for a span)\n", q->retries);
            rc = CLI_EX_DATAERR;
        } else if (!quiet) {
            fprintf(stderr, "simulated: %d passes, first token %.6f s, done %.6f s, "
                            "%.3f tokens/s, %d recovery attempts\n",
                    q->tokens_done, 1e-9 * (double)(q->first_token_ns - q->arrival_ns),
                    1e-9 * (double)(q->finish_ns - q->arrival_ns),
                    q->finish_ns > q->arrival_ns
                        ? q->tokens_done / (1e-9 * (double)(q->finish_ns - q->arrival_ns)) : 0.0,
                    q->retries);
        }
        sim_results_fini(&res);
    }
    scn_scenario_fini(&scn);
out:
    ss_free(ov);
    return rc;
}
