/* cli_eval.c - `shardsim eval`: accuracy of a real model through the
 * scenario's pipeline (its spans, its wire codec), stored in the results DB. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>
#include <cjson/cJSON.h>

#include "ana_db.h"
#include "ana_store.h"
#include "cli.h"
#include "model_data.h"
#include "model_eval.h"
#include "scn_scenario.h"
#include "sim_place.h"
#include "real_model.h"
#include "real_pipeline.h"
#include "ss_alloc.h"

static const char eval_usage[] =
    "Usage: shardsim eval SCENARIO --task TASK [OPTIONS]\n"
    "\n"
    "Measure the accuracy of a real-weights scenario's model as computed through\n"
    "its simulated pipeline: the activations cross every hop of the scenario's\n"
    "route encoded with its wire codec (compression.activations), and every hop\n"
    "runs its span. Prints the figures and stores them (table `accuracy`) with a\n"
    "run row in the results database, in one transaction.\n"
    "\n"
    "Tasks:\n"
    "  tinystories-ppl   perplexity over TinyStories stories: each story (text\n"
    "                    between <|endoftext|> separators, whitespace stripped)\n"
    "                    encoded with BOS as llama2.c does, truncated to seq_len,\n"
    "                    scored from position 0 with a fresh cache\n"
    "  mnist             classification accuracy over the MNIST test images\n"
    "\n"
    "Options:\n"
    "  --task TASK       tinystories-ppl or mnist (required)\n"
    "  --stories N       tinystories-ppl: the first N stories (default: all)\n"
    "  --images N        mnist: the first N images (default: all 10,000)\n"
    "  --model FILE      use this weights file instead of the scenario's\n"
    "  --data FILE       corpus or IDX images (default: the shared assets)\n"
    "  --labels FILE     mnist: IDX labels (default: the shared assets)\n"
    "  --db FILE         results database (default ./shardsim.db)\n"
    "  --set PATH=VALUE  override a scenario field (repeatable)\n"
    "  -q, --quiet       no progress line\n"
    "  -h, --help        this text\n";

typedef struct progress {
    const char *what;
    uint64_t total;
} progress;

static void show_progress(void *ctx, uint64_t calls)
{
    const progress *p = ctx;
    fprintf(stderr, "\r  %s %llu/%llu", p->what, (unsigned long long)calls,
            (unsigned long long)p->total);
    if (calls == p->total)
        fputc('\n', stderr);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* What was evaluated, as the JSON hashed into the run key: the scenario
 * plus the task, its size and the files read. */
static char *eval_json(const scn_scenario *s, const char *task, long n, const char *model,
                       const char *data)
{
    cJSON *root = cJSON_CreateObject(), *ev = cJSON_CreateObject();
    cJSON *scn = cJSON_Parse(s->canonical_json);
    char *out = NULL;
    if (root && ev && scn && cJSON_AddItemToObject(root, "eval", ev)) {
        ev = NULL;
        cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "eval");
        if (cJSON_AddStringToObject(e, "task", task) && cJSON_AddNumberToObject(e, "n", (double)n) &&
            cJSON_AddStringToObject(e, "model", model) && cJSON_AddStringToObject(e, "data", data) &&
            cJSON_AddItemToObject(root, "scenario", scn)) {
            scn = NULL;
            char *p = cJSON_PrintUnformatted(root);
            if (p) {
                out = ss_strdup(p);
                cJSON_free(p);
            }
        }
    }
    cJSON_Delete(ev);
    cJSON_Delete(scn);
    cJSON_Delete(root);
    return out;
}

int cli_eval(int argc, char **argv)
{
    const char *scenario = NULL, *task = NULL, *model = NULL, *data = NULL, *labels = NULL;
    const char *db_path = "shardsim.db";
    long n_items = 0;
    int quiet = 0, rc = CLI_EX_OK;
    scn_override *ov = ss_calloc((size_t)argc, sizeof *ov);
    size_t n_ov = 0;
    if (!ov)
        return CLI_EX_SOFTWARE;
    struct {
        const char *name;
        const char **dst;
    } text_opts[] = {{"--task", &task},   {"--model", &model}, {"--data", &data},
                     {"--labels", &labels}, {"--db", &db_path}};
    for (int i = 1; i < argc; i++) {
        const char *v;
        int matched = 0;
        for (size_t k = 0; k < sizeof text_opts / sizeof text_opts[0] && !matched; k++) {
            if (!cli_take(argc, argv, &i, text_opts[k].name, &v))
                continue;
            if (!v || !*v) {
                fprintf(stderr, "shardsim eval: %s: expected a value\n", text_opts[k].name);
                rc = CLI_EX_USAGE;
                goto out;
            }
            *text_opts[k].dst = v;
            matched = 1;
        }
        if (matched)
            continue;
        if (cli_is_help(argv[i])) {
            fputs(eval_usage, stdout);
            goto out;
        } else if (cli_take(argc, argv, &i, "--stories", &v) || cli_take(argc, argv, &i, "--images", &v)) {
            char *end;
            errno = 0;
            n_items = v ? strtol(v, &end, 10) : -1;
            if (!v || errno || end == v || *end || n_items < 1 || n_items > 100000000) {
                fprintf(stderr, "shardsim eval: %s: expected a positive integer, got \"%s\"\n",
                        argv[i - (v ? 1 : 0)], v ? v : "");
                rc = CLI_EX_USAGE;
                goto out;
            }
        } else if (cli_take(argc, argv, &i, "--set", &v)) {
            if (!cli_add_override("eval", v, ov, &n_ov)) {
                rc = CLI_EX_USAGE;
                goto out;
            }
        } else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "shardsim eval: unknown option \"%s\" (see --help)\n", argv[i]);
            rc = CLI_EX_USAGE;
            goto out;
        } else if (!scenario) {
            scenario = argv[i];
        } else {
            fprintf(stderr, "shardsim eval: one scenario at a time\n");
            rc = CLI_EX_USAGE;
            goto out;
        }
    }
    if (!scenario || !task) {
        fputs(eval_usage, stderr);
        rc = CLI_EX_USAGE;
        goto out;
    }
    int is_ppl = strcmp(task, "tinystories-ppl") == 0, is_mnist = strcmp(task, "mnist") == 0;
    if (!is_ppl && !is_mnist) {
        fprintf(stderr, "shardsim eval: --task: unknown task \"%s\" (known: tinystories-ppl, "
                        "mnist)\n", task);
        rc = CLI_EX_USAGE;
        goto out;
    }
    static char dpath[4096], lpath[4096];
    if (!data) {
        snprintf(dpath, sizeof dpath, "%s/%s", cli_assets(),
                 is_ppl ? "tinystories/tinystories_valid_first1000.txt"
                        : "mnist/t10k-images-idx3-ubyte");
        data = dpath;
    }
    if (!labels) {
        snprintf(lpath, sizeof lpath, "%s/mnist/t10k-labels-idx1-ubyte", cli_assets());
        labels = lpath;
    }

    char err[1024], presets[4096];
    snprintf(presets, sizeof presets, "%s/models/presets", cli_home());
    scn_scenario scn;
    ss_status st = scn_load(scenario, ov, n_ov, &scn, err, sizeof err);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim eval: %s\n", err);
        rc = cli_exit_for_input(st);
        goto out;
    }
    real_model sm;
    real_pipeline *pipe = NULL;
    model_stories *stories = NULL;
    model_idx *images = NULL, *lab = NULL;
    ana_db *db = NULL;
    char *json = NULL;
    memset(&sm, 0, sizeof sm);
    if ((st = real_model_load(&scn, presets, model, &sm, err, sizeof err)) != SS_OK) {
        fprintf(stderr, "shardsim eval: %s\n", err);
        rc = cli_exit_for_input(st);
        goto done;
    }
    if (!sm.net || (is_ppl && !sm.tok) || (is_mnist && sm.tok)) {
        fprintf(stderr, "shardsim eval: %s: model: task %s needs %s\n", scn.source_path, task,
                is_ppl ? "a language model with a tokenizer (\"llama2c\")"
                       : "the MNIST CNN (\"mnist_cnn\")");
        rc = CLI_EX_DATAERR;
        goto done;
    }
    route_hop *hops = NULL;
    int n_hops = 0;
    comp_codec codec;
    if ((st = sim_act_codec(&scn, &codec, err, sizeof err)) == SS_OK &&
        (st = sim_first_chain(&scn, &sm.desc, &hops, &n_hops, err, sizeof err)) == SS_OK)
        st = real_pipeline_create(&(real_chain){scn.source_path, hops, n_hops}, &sm, &codec, &pipe,
                                  err, sizeof err);
    ss_free(hops);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim eval: %s\n", err);
        rc = cli_exit_for_input(st);
        goto done;
    }
    /* Fail on a bad database before spending the evaluation time. */
    if ((st = ana_db_open(db_path, NULL, &db, err, sizeof err)) != SS_OK) {
        fprintf(stderr, "shardsim eval: %s\n", err);
        rc = cli_exit_for_db(st);
        goto done;
    }
    model_eval_route route = {.body = real_pipeline_body, .ctx = pipe};
    progress prog = {is_ppl ? "story" : "batch", 0};
    double t0 = wall_now();
    ana_accuracy_row rows[3];
    const char *names[3];
    if (is_ppl) {
        if ((st = model_stories_load(data, &stories, err, sizeof err)) != SS_OK) {
            fprintf(stderr, "shardsim eval: %s\n", err);
            rc = cli_exit_for_input(st);
            goto done;
        }
        prog.total = (uint64_t)(n_items ? n_items : 1000000000L);
        if (prog.total > (uint64_t)stories->n)
            prog.total = stories->n;
        if (!quiet && isatty(2))
            real_pipeline_on_call(pipe, show_progress, &prog);
        model_eval_ppl_result r;
        if ((st = model_eval_perplexity(sm.net, sm.tok, stories, (int)n_items, &route, &r, err,
                                        sizeof err)) != SS_OK) {
            fprintf(stderr, "shardsim eval: %s\n", err);
            rc = cli_exit_for_input(st);
            goto done;
        }
        printf("task            tinystories-ppl\nstories         %d\ntokens scored   %llu\n"
               "mean NLL        %.6f nats/token\nperplexity      %.6f\n",
               r.n_stories, (unsigned long long)r.n_tokens_scored, r.mean_nll, r.perplexity);
        names[0] = "tokens_scored", names[1] = "mean_nll", names[2] = "perplexity";
        rows[0].value = (double)r.n_tokens_scored, rows[1].value = r.mean_nll,
        rows[2].value = r.perplexity;
        n_items = r.n_stories;
    } else {
        if ((st = model_idx_load(data, &images, err, sizeof err)) != SS_OK ||
            (st = model_idx_load(labels, &lab, err, sizeof err)) != SS_OK) {
            fprintf(stderr, "shardsim eval: %s\n", err);
            rc = cli_exit_for_input(st);
            goto done;
        }
        const int batch = 100;
        model_eval_mnist_result r;
        long n = n_items ? n_items : 0;
        prog.total = (uint64_t)(((n ? n : 10000) + batch - 1) / batch);
        if (!quiet && isatty(2))
            real_pipeline_on_call(pipe, show_progress, &prog);
        if ((st = model_eval_mnist(sm.net, images, lab, (int)n, batch, &route, &r, err,
                                   sizeof err)) != SS_OK) {
            fprintf(stderr, "shardsim eval: %s\n", err);
            rc = cli_exit_for_input(st);
            goto done;
        }
        printf("task            mnist\nimages          %d\ncorrect         %d\n"
               "accuracy        %.4f\n",
               r.n_images, r.n_correct, r.accuracy);
        names[0] = "n_images", names[1] = "n_correct", names[2] = "accuracy";
        rows[0].value = r.n_images, rows[1].value = r.n_correct, rows[2].value = r.accuracy;
        n_items = r.n_images;
    }
    printf("codec           %s\nhops            %d\nwire bytes      %llu\n", scn.act_codec,
           real_pipeline_n_hops(pipe), (unsigned long long)real_pipeline_wire_bytes(pipe));
    for (int i = 0; i < 3; i++)
        rows[i].codec = scn.act_codec, rows[i].metric = names[i];

    json = eval_json(&scn, task, n_items, model ? model : scn.model.checkpoint_path, data);
    if (!json) {
        fprintf(stderr, "shardsim eval: out of memory\n");
        rc = CLI_EX_SOFTWARE;
        goto done;
    }
    sim_results empty;
    memset(&empty, 0, sizeof empty);
    empty.seed = scn.seed;
    ana_run_info info = {.scenario_name = scn.name, .scenario_json = json, .version = SS_VERSION,
                         .status = "ok", .blas_core = openblas_get_corename(),
                         .wall_seconds = wall_now() - t0, .accuracy = rows, .n_accuracy = 3};
    int64_t run_id = 0;
    st = ana_store_run(db, &info, &empty, 0, &run_id, err, sizeof err);
    if (st == SS_EEXIST) {
        fprintf(stderr, "shardsim eval: the same evaluation is already stored as run %lld in %s\n",
                (long long)run_id, db_path);
    } else if (st != SS_OK) {
        fprintf(stderr, "shardsim eval: %s\n", err);
        rc = cli_exit_for_db(st);
    } else {
        printf("stored as run %lld in %s\n", (long long)run_id, db_path);
    }
done:
    ss_free(json);
    ana_db_close(db);
    model_stories_free(stories);
    model_idx_free(images);
    model_idx_free(lab);
    real_pipeline_destroy(pipe);
    real_model_fini(&sm);
    scn_scenario_fini(&scn);
out:
    ss_free(ov);
    return rc;
}
