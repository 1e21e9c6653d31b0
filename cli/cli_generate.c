/* cli_generate.c - `shardsim generate`: one greedy generation session through
 * the simulated pipeline of a real-weights scenario (exp_simulate, nothing
 * stored), printed as llama2.c's `run -t 0 -n STEPS -i PROMPT` prints it. */
#include <stddef.h>

#include "cli.h"

typedef struct generate_args {
    const char *prompt, *model;
    long steps;
    cli_u64 seed;
    int quiet;
} generate_args;

static const cli_opt generate_opts[] = {
    CLI_OPTION("--prompt", NULL, CLI_STRING, offsetof(generate_args, prompt), "TEXT",
     "prompt (default: none, generation starts from BOS)", .expect = "a text"),
    CLI_OPTION("--steps", NULL, CLI_INT, offsetof(generate_args, steps), "N",
     "positions to run, prompt included, as llama2.c's -n\n"
     "(default 256; 0 = the model's seq_len)", .lo = 0, .hi = 1000000),
    CLI_OPTION("--model", NULL, CLI_PATH, offsetof(generate_args, model), "FILE",
     "use this weights file instead of the scenario's (llama2.c\n.bin, GGUF or safetensors, told apart by content)", .expect = "a file"),
    CLI_OPTION("--seed", NULL, CLI_U64, offsetof(generate_args, seed), "N",
     "seed (default: the scenario's)"),
    CLI_OPTION("--set", NULL, CLI_OVERRIDE, 0, "PATH=VALUE",
     "override a scenario field (repeatable), e.g.\n--set placement.spans=3"),
    CLI_OPTION("--quiet", "-q", CLI_FLAG, offsetof(generate_args, quiet), NULL,
     "no timing summary"),
};

static const cli_cmd generate_cmd = {
    .name = "generate",
    .synopsis = "SCENARIO [OPTIONS]",
    .description =
        "Run one greedy generation session through the simulated pipeline of a\n"
        "real-weights scenario: every hop runs the actual forward pass of its span on\n"
        "its node, activations cross the simulated network through the scenario's\n"
        "codec, node failures in the scenario's \"faults\" are recovered by replaying\n"
        "the session's inputs. Standard output is exactly what llama2.c's\n"
        "`run MODEL -z TOKENIZER -t 0 -n STEPS -i PROMPT` prints; a timing summary in\n"
        "simulated time goes to standard error.\n",
    .opts = generate_opts,
    .n_opts = sizeof generate_opts / sizeof generate_opts[0],
    .noun = "scenario",
    .min_pos = 1,
    .max_pos = 1,
};

/* The session's outcome: the timing line, or the failure. */
static int summary(const sim_request_rec *q, int quiet)
{
    if (q->status != SIM_REQUEST_OK) {
        fprintf(stderr, "shardsim generate: the session failed after %d retries (no live "
                        "node for a span)\n", q->retries);
        return CLI_EX_DATAERR;
    }
    double done_s = 1e-9 * (double)(q->finish_ns - q->arrival_ns);
    if (!quiet)
        fprintf(stderr, "simulated: %d passes, first token %.6f s, done %.6f s, "
                        "%.3f tokens/s, %d recovery attempts\n",
                q->tokens_done, 1e-9 * (double)(q->first_token_ns - q->arrival_ns), done_s,
                q->finish_ns > q->arrival_ns ? q->tokens_done / done_s : 0.0, q->retries);
    return CLI_EX_OK;
}

static int generate(const generate_args *a, const scn_scenario *s)
{
    sim_generate_spec gen = {.prompt = a->prompt, .steps = (int)a->steps, .out = stdout};
    exp_run_opts o = {.keep_routes = 1, .model_path = a->model, .generate = &gen};
    sim_results res;
    char err[1024];
    ss_status st = exp_simulate(s, &o, &res, err, sizeof err);
    fflush(stdout);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim generate: %s\n", err);
        return cli_exit_for_input(st);
    }
    int rc = summary(&res.requests[0], a->quiet);
    sim_results_fini(&res);
    return rc;
}

int cli_generate(int argc, char **argv)
{
    generate_args a = {.steps = 256};
    cli_parsed p;
    scn_scenario s;
    int rc = cli_parse(&generate_cmd, argc, argv, &a, &p);
    if (rc < 0 && !(rc = cli_load("generate", p.pos[0], &p, &a.seed, &s))) {
        rc = generate(&a, &s);
        scn_scenario_fini(&s);
    }
    cli_parsed_fini(&p);
    return rc;
}
