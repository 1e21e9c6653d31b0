/* cli_eval.c - `shardsim eval`: accuracy of a real model through the
 * scenario's pipeline (exp_eval: measured once, stored in the results DB). */
#include <stddef.h>
#include <unistd.h>

#include "cli.h"
#include "exp_eval.h"

typedef struct eval_args {
    const char *task, *model, *data, *labels, *db;
    long n_items;
    int quiet;
} eval_args;

static const cli_opt eval_opts[] = {
    CLI_OPTION("--task", NULL, CLI_PATH, offsetof(eval_args, task), "TASK",
     "tinystories-ppl or mnist (required)", .required = 1),
    CLI_OPTION("--stories", NULL, CLI_INT, offsetof(eval_args, n_items), "N",
     "tinystories-ppl: the first N stories (default: all)", .lo = 1, .hi = 100000000),
    CLI_OPTION("--images", NULL, CLI_INT, offsetof(eval_args, n_items), "N",
     "mnist: the first N images (default: all 10,000)", .lo = 1, .hi = 100000000),
    CLI_OPTION("--model", NULL, CLI_PATH, offsetof(eval_args, model), "FILE",
     "use this weights file instead of the scenario's (llama2.c\n.bin, GGUF or safetensors, told apart by content)"),
    CLI_OPTION("--data", NULL, CLI_PATH, offsetof(eval_args, data), "FILE",
     "corpus or IDX images (default: the shared assets)"),
    CLI_OPTION("--labels", NULL, CLI_PATH, offsetof(eval_args, labels), "FILE",
     "mnist: IDX labels (default: the shared assets)"),
    CLI_OPTION("--db", NULL, CLI_PATH, offsetof(eval_args, db), "FILE",
     "results database (default ./shardsim.db)"),
    CLI_OPTION("--set", NULL, CLI_OVERRIDE, 0, "PATH=VALUE",
     "override a scenario field (repeatable)"),
    CLI_OPTION("--quiet", "-q", CLI_FLAG, offsetof(eval_args, quiet), NULL, "no progress line"),
};

static const cli_cmd eval_cmd = {
    .name = "eval",
    .synopsis = "SCENARIO --task TASK [OPTIONS]",
    .description =
        "Measure the accuracy of a real-weights scenario's model as computed through\n"
        "its simulated pipeline: the activations cross every hop of the scenario's\n"
        "route encoded with its wire codec (compression.activations), and every hop\n"
        "runs its span. Prints the figures and stores them (table `accuracy`) with a\n"
        "run row in the results database, in one transaction. The same evaluation\n"
        "again (scenario, task, N, weights and data files) prints the stored figures.\n"
        "\n"
        "Tasks:\n"
        "  tinystories-ppl   perplexity over TinyStories stories: each story (text\n"
        "                    between <|endoftext|> separators, whitespace stripped)\n"
        "                    encoded with BOS as llama2.c does, truncated to seq_len,\n"
        "                    scored from position 0 with a fresh cache\n"
        "  mnist             classification accuracy over the MNIST test images\n",
    .opts = eval_opts,
    .n_opts = sizeof eval_opts / sizeof eval_opts[0],
    .noun = "scenario",
    .min_pos = 1,
    .max_pos = 1,
};

static void print_result(const exp_eval_result *r, const scn_scenario *s, const char *db)
{
    if (r->task == EXP_EVAL_PPL)
        printf("task            tinystories-ppl\nstories         %d\ntokens scored   %.0f\n"
               "mean NLL        %.6f nats/token\nperplexity      %.6f\n",
               r->n_items, r->tokens_scored, r->mean_nll, r->perplexity);
    else
        printf("task            mnist\nimages          %.0f\ncorrect         %.0f\n"
               "accuracy        %.4f\n", r->n_images, r->n_correct, r->accuracy);
    printf("codec           %s\n", s->act_codec);
    if (r->hops >= 0)
        printf("hops            %.0f\nwire bytes      %.0f\n", r->hops, r->wire_bytes);
    if (r->run.stored_before)
        fprintf(stderr, "shardsim eval: the same evaluation is already stored as run %lld in %s\n",
                (long long)r->run.run_id, db);
    else
        printf("stored as run %lld in %s\n", (long long)r->run.run_id, db);
}

static int evaluate(const eval_args *a, exp_eval_task task, const scn_scenario *s)
{
    ana_db *db = NULL;
    int rc = cli_open_db("eval", a->db, &db);
    if (rc)
        return rc;
    exp_eval_opts o = {.task = task, .n_items = a->n_items, .model_path = a->model,
                       .data_path = a->data, .labels_path = a->labels,
                       .progress = !a->quiet && isatty(2) ? stderr : NULL};
    exp_eval_result r;
    char err[1024];
    ss_status st = exp_eval(s, &o, db, &r, err, sizeof err);
    ana_db_close(db);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim eval: %s\n", err);
        return cli_exit_for_stage(r.run.stage, st);
    }
    print_result(&r, s, a->db);
    return CLI_EX_OK;
}

int cli_eval(int argc, char **argv)
{
    eval_args a = {.db = "shardsim.db"};
    cli_parsed p;
    scn_scenario s;
    exp_eval_task task;
    int rc = cli_parse(&eval_cmd, argc, argv, &a, &p);
    if (rc < 0 && !exp_eval_task_parse(a.task, &task)) {
        fprintf(stderr, "shardsim eval: --task: unknown task \"%s\" (known: tinystories-ppl, "
                        "mnist)\n", a.task);
        rc = CLI_EX_USAGE;
    }
    if (rc < 0 && !(rc = cli_load("eval", p.pos[0], &p, NULL, &s))) {
        rc = evaluate(&a, task, &s);
        scn_scenario_fini(&s);
    }
    cli_parsed_fini(&p);
    return rc;
}
