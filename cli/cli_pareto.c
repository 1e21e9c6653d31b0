/* cli_pareto.c - `shardsim pareto`: bytes x latency x accuracy per activation
 * codec, with the Pareto front marked; each codec's run stored in the DB. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>
#include <cjson/cJSON.h>

#include "ana_db.h"
#include "ana_metrics.h"
#include "ana_pareto.h"
#include "ana_store.h"
#include "cli.h"
#include "comp.h"
#include "model_data.h"
#include "scn_scenario.h"
#include "sim_place.h"
#include "real_accuracy.h"
#include "real_model.h"
#include "sim_run.h"
#include "ss_alloc.h"

static const char pareto_usage[] =
    "Usage: shardsim pareto SCENARIO --codecs LIST [OPTIONS]\n"
    "\n"
    "For each activation codec in LIST, run the real-weights scenario with that\n"
    "codec on every hop (compression.activations) and measure, against the\n"
    "lossless fp32 pipeline on the uncompressed model:\n"
    "  language models (llama2c): greedy token agreement and mean/max\n"
    "    KL(p_fp32 || p_codec) over N decode steps from BOS, teacher-forced on the\n"
    "    fp32 sequence; perplexity and its delta on the first TinyStories stories\n"
    "  MNIST CNN: test accuracy and its delta\n"
    "plus the simulated latency (end-to-end and time to first token, from the\n"
    "scenario's workload; the CNN is timed with the cost model) and the exact\n"
    "bytes on the wire per decoded token (per image for the CNN). Prints one row\n"
    "per codec, '*' marking the Pareto front: rows no other row beats or ties in\n"
    "all of (bytes, mean latency, accuracy loss) while beating it in one, where\n"
    "loss = mean KL (language models) or the accuracy drop (CNN). Each codec's run\n"
    "(runs, requests, nodes, metrics, accuracy rows) is stored in one transaction.\n"
    "\n"
    "Options:\n"
    "  --codecs LIST     comma-separated codec specs: fp32, fp16, bf16, blockwise8,\n"
    "                    int8, int4, nf4, llm-int8, lowrank:R, lowrank-sparse:R\n"
    "                    (parameters as in comp_codec_parse), or \"all\" (required)\n"
    "  --steps N         decode steps for agreement and KL (default 128)\n"
    "  --stories N       perplexity over the first N stories (default 100)\n"
    "  --images N        MNIST: the first N test images (default all 10,000)\n"
    "  --batch N         MNIST: images per pipeline pass (default 1: one image per\n"
    "                    request, as the scenario's workload sends them)\n"
    "  --db FILE         results database (default ./shardsim.db)\n"
    "  --set PATH=VALUE  override a scenario field (repeatable)\n"
    "  -q, --quiet       no progress lines\n"
    "  -h, --help        this text\n";

static const char all_codecs[] =
    "fp32,fp16,bf16,blockwise8,int8,int4,nf4,llm-int8,lowrank:8,lowrank-sparse:8";

#define MAX_CODECS 64

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The run key's JSON: what was measured plus the scenario (with the codec). */
static char *pareto_json(const scn_scenario *s, const char *codec, int steps, int stories,
                         int images, int batch, const char *data)
{
    cJSON *root = cJSON_CreateObject(), *p = cJSON_CreateObject();
    cJSON *scn = cJSON_Parse(s->canonical_json);
    char *out = NULL;
    if (root && p && scn && cJSON_AddStringToObject(p, "codec", codec) &&
        cJSON_AddNumberToObject(p, "steps", steps) &&
        cJSON_AddNumberToObject(p, "stories", stories) &&
        cJSON_AddNumberToObject(p, "images", images) && cJSON_AddNumberToObject(p, "batch", batch) &&
        cJSON_AddStringToObject(p, "data", data) && cJSON_AddItemToObject(root, "pareto", p)) {
        p = NULL;
        if (cJSON_AddItemToObject(root, "scenario", scn)) {
            scn = NULL;
            char *t = cJSON_PrintUnformatted(root);
            if (t) {
                out = ss_strdup(t);
                cJSON_free(t);
            }
        }
    }
    cJSON_Delete(p);
    cJSON_Delete(scn);
    cJSON_Delete(root);
    return out;
}

typedef struct row {
    char codec[64];
    double bytes;      /* wire bytes per token / per image */
    double e2e_mean, e2e_p50, ttft_mean;
    real_accuracy_result acc;
    double loss;       /* front objective */
    int64_t run_id;
} row;

static int parse_count(const char *opt, const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || end == v || *end || n < lo || n > hi) {
        fprintf(stderr, "shardsim pareto: %s: expected an integer in [%ld, %ld], got \"%s\"\n",
                opt, lo, hi, v ? v : "");
        return 0;
    }
    *out = n;
    return 1;
}

int cli_pareto(int argc, char **argv)
{
    const char *scenario = NULL, *codecs = NULL, *db_path = "shardsim.db";
    long steps = 128, n_stories = 100, n_images = 0, batch = 1;
    int quiet = 0, rc = CLI_EX_OK;
    scn_override *ov = ss_calloc((size_t)argc + 1, sizeof *ov);
    char *list = NULL;
    if (!ov)
        return CLI_EX_SOFTWARE;
    size_t n_ov = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_is_help(argv[i])) {
            fputs(pareto_usage, stdout);
            goto out;
        } else if (cli_take(argc, argv, &i, "--codecs", &v)) {
            if (!v || !*v) {
                fprintf(stderr, "shardsim pareto: --codecs: expected a value\n");
                goto usage;
            }
            codecs = v;
        } else if (cli_take(argc, argv, &i, "--db", &v)) {
            if (!v || !*v) {
                fprintf(stderr, "shardsim pareto: --db: expected a value\n");
                goto usage;
            }
            db_path = v;
        } else if (cli_take(argc, argv, &i, "--steps", &v)) {
            if (!parse_count("--steps", v, 0, 1 << 20, &steps))
                goto usage;
        } else if (cli_take(argc, argv, &i, "--stories", &v)) {
            if (!parse_count("--stories", v, 0, 100000000, &n_stories))
                goto usage;
        } else if (cli_take(argc, argv, &i, "--images", &v)) {
            if (!parse_count("--images", v, 1, 100000000, &n_images))
                goto usage;
        } else if (cli_take(argc, argv, &i, "--batch", &v)) {
            if (!parse_count("--batch", v, 1, 100000, &batch))
                goto usage;
        } else if (cli_take(argc, argv, &i, "--set", &v)) {
            if (!cli_add_override("pareto", v, ov, &n_ov)) {
                rc = CLI_EX_USAGE;
                goto out;
            }
        } else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "shardsim pareto: unknown option \"%s\" (see --help)\n", argv[i]);
            goto usage;
        } else if (!scenario) {
            scenario = argv[i];
        } else {
            fprintf(stderr, "shardsim pareto: one scenario at a time\n");
            goto usage;
        }
    }
    if (!scenario || !codecs) {
        fputs(pareto_usage, stderr);
        goto usage;
    }

    /* The codec list: parsed and canonicalised up front, so a typo costs nothing. */
    list = ss_strdup(strcmp(codecs, "all") == 0 ? all_codecs : codecs);
    if (!list) {
        rc = CLI_EX_SOFTWARE;
        goto out;
    }
    char specs[MAX_CODECS][64];
    comp_codec cc[MAX_CODECS];
    int n_codecs = 0;
    char err[1024];
    for (char *tok = list, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = 0;
        if (n_codecs == MAX_CODECS) {
            fprintf(stderr, "shardsim pareto: --codecs: at most %d codecs\n", MAX_CODECS);
            goto usage;
        }
        if (comp_codec_parse(tok, &cc[n_codecs], err, sizeof err) != SS_OK ||
            comp_codec_format(&cc[n_codecs], specs[n_codecs], sizeof specs[0]) != SS_OK) {
            fprintf(stderr, "shardsim pareto: --codecs: %s\n", err);
            goto usage;
        }
        /* the name as the user wrote it when it parses back the same (fp16, nf4,
         * lowrank:8); else the canonical spec */
        snprintf(specs[n_codecs], sizeof specs[0], "%s", tok);
        n_codecs++;
    }

    char presets[4096], dpath[4096];
    snprintf(presets, sizeof presets, "%s/models/presets", cli_home());
    scn_scenario scn, ref_scn;
    ss_status st = scn_load(scenario, ov, n_ov, &scn, err, sizeof err);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim pareto: %s\n", err);
        rc = cli_exit_for_input(st);
        goto out;
    }
    real_model sm, ref_m;
    route_hop *ref_hops = NULL, *hops = NULL;
    int n_ref_hops = 0, n_hops = 0;
    memset(&sm, 0, sizeof sm);
    memset(&ref_m, 0, sizeof ref_m);
    real_accuracy_ref *ref = NULL;
    model_stories *stories = NULL;
    model_idx *images = NULL, *labels = NULL;
    ana_db *db = NULL;
    row *rows = ss_calloc((size_t)n_codecs, sizeof *rows);
    int *front = ss_calloc((size_t)n_codecs, sizeof *front);
    double *obj = ss_calloc((size_t)n_codecs * 3, sizeof *obj);
    if (!rows || !front || !obj) {
        rc = CLI_EX_SOFTWARE;
        goto done;
    }
    /* The measured model carries compression.weights; the reference is the
     * same scenario without it (fp32 weights, lossless wire). */
    ref_scn = scn;
    ref_scn.weight_codec[0] = 0;
    if ((st = real_model_load(&scn, presets, NULL, &sm, err, sizeof err)) != SS_OK ||
        (st = real_model_load(&ref_scn, presets, NULL, &ref_m, err, sizeof err)) != SS_OK) {
        fprintf(stderr, "shardsim pareto: %s\n", err);
        rc = cli_exit_for_input(st);
        goto done;
    }
    if (!sm.net) {
        fprintf(stderr, "shardsim pareto: %s: model: accuracy needs real weights (\"llama2c\" "
                        "or \"mnist_cnn\")\n", scn.source_path);
        rc = CLI_EX_DATAERR;
        goto done;
    }
    int lm = sm.tok != NULL;
    snprintf(dpath, sizeof dpath, "%s/../shared/assets/%s", cli_home(),
             lm ? "tinystories/tinystories_valid_first1000.txt" : "mnist/t10k-images-idx3-ubyte");
    real_accuracy_cfg cfg = {.batch = (int)batch};
    if (lm) {
        cfg.steps = (int)steps;
        if (n_stories > 0) {
            if ((st = model_stories_load(dpath, &stories, err, sizeof err)) != SS_OK) {
                fprintf(stderr, "shardsim pareto: %s\n", err);
                rc = cli_exit_for_input(st);
                goto done;
            }
            cfg.stories = stories;
            cfg.n_stories = (int)(n_stories < stories->n ? n_stories : stories->n);
        }
    } else {
        char lpath[4096];
        snprintf(lpath, sizeof lpath, "%s/../shared/assets/mnist/t10k-labels-idx1-ubyte",
                 cli_home());
        if ((st = model_idx_load(dpath, &images, err, sizeof err)) != SS_OK ||
            (st = model_idx_load(lpath, &labels, err, sizeof err)) != SS_OK) {
            fprintf(stderr, "shardsim pareto: %s\n", err);
            rc = cli_exit_for_input(st);
            goto done;
        }
        cfg.images = images;
        cfg.labels = labels;
        cfg.n_images = (int)(n_images && (uint64_t)n_images < images->n_items ? n_images : 0);
    }
    if ((st = ana_db_open(db_path, NULL, &db, err, sizeof err)) != SS_OK) {
        fprintf(stderr, "shardsim pareto: %s\n", err);
        rc = cli_exit_for_db(st);
        goto done;
    }
    int progress = !quiet && isatty(2);
    if (progress)
        fprintf(stderr, "  reference (fp32)...\n");
    /* placement depends on the weights' size at rest: each model its own chain */
    if ((st = sim_first_chain(&ref_scn, &ref_m.desc, &ref_hops, &n_ref_hops, err, sizeof err)) !=
            SS_OK ||
        (st = sim_first_chain(&scn, &sm.desc, &hops, &n_hops, err, sizeof err)) != SS_OK ||
        (st = real_accuracy_ref_create(&(real_chain){scn.source_path, ref_hops, n_ref_hops},
                                       &ref_m, &cfg, &ref, err, sizeof err)) != SS_OK) {
        fprintf(stderr, "shardsim pareto: %s\n", err);
        rc = cli_exit_for_input(st);
        goto done;
    }

    for (int c = 0; c < n_codecs; c++) {
        row *r = &rows[c];
        snprintf(r->codec, sizeof r->codec, "%s", specs[c]);
        if (progress)
            fprintf(stderr, "  %s (%d/%d)...\n", r->codec, c + 1, n_codecs);
        double t0 = wall_now();
        /* the scenario with this codec, through the loader like any --set */
        scn_override *ovc = ov; /* room for one more was allocated */
        ovc[n_ov] = (scn_override){"compression.activations", r->codec};
        scn_scenario sc;
        sim_results res;
        memset(&res, 0, sizeof res);
        char *json = NULL;
        if ((st = scn_load(scenario, ovc, n_ov + 1, &sc, err, sizeof err)) != SS_OK) {
            fprintf(stderr, "shardsim pareto: %s\n", err);
            rc = cli_exit_for_input(st);
            goto done;
        }
        sim_run_opts opts = {.presets_dir = presets, .assets_dir = cli_assets(),
                             .keep_routes = sc.record == SCN_RECORD_REQUESTS,
                             .analytic = !lm};
        ana_metrics met;
        if ((st = sim_run(&sc, &opts, &res, err, sizeof err)) != SS_OK ||
            (st = ana_metrics_compute(&res, &met, err, sizeof err)) != SS_OK ||
            (st = real_accuracy_measure(ref, &(real_chain){sc.source_path, hops, n_hops}, &sm,
                                        &cc[c], &r->acc, err, sizeof err)) !=
                SS_OK) {
            fprintf(stderr, "shardsim pareto: %s: %s\n", r->codec, err);
            rc = st == SS_ENOMEM ? CLI_EX_SOFTWARE : CLI_EX_DATAERR;
            sim_results_fini(&res);
            scn_scenario_fini(&sc);
            goto done;
        }
        r->e2e_mean = met.e2e_s.mean;
        r->e2e_p50 = met.e2e_s.p50;
        r->ttft_mean = met.ttft_s.mean;
        r->bytes = lm ? r->acc.gen_wire_bytes_per_token : r->acc.mnist_wire_bytes_per_image;
        r->loss = lm ? r->acc.kl_mean : -r->acc.mnist_accuracy_delta;

        ana_accuracy_row acc[12];
        size_t na = 0;
#define ACC(name, v) acc[na++] = (ana_accuracy_row){r->codec, name, (v)}
        if (lm) {
            ACC("positions", r->acc.n_positions);
            ACC("greedy_agreement", r->acc.agreement);
            ACC("kl_mean", r->acc.kl_mean);
            ACC("kl_max", r->acc.kl_max);
            ACC("wire_bytes_per_token", r->acc.gen_wire_bytes_per_token);
            if (cfg.stories) {
                ACC("stories", r->acc.n_stories);
                ACC("perplexity", r->acc.perplexity);
                ACC("perplexity_fp32", r->acc.perplexity_ref);
                ACC("perplexity_delta", r->acc.perplexity_delta);
                ACC("ppl_wire_bytes_per_token", r->acc.ppl_wire_bytes_per_token);
            }
        } else {
            ACC("images", r->acc.n_images);
            ACC("accuracy", r->acc.mnist_accuracy);
            ACC("accuracy_fp32", r->acc.mnist_accuracy_ref);
            ACC("accuracy_delta", r->acc.mnist_accuracy_delta);
            ACC("wire_bytes_per_image", r->acc.mnist_wire_bytes_per_image);
        }
#undef ACC
        json = pareto_json(&sc, r->codec, lm ? (int)steps : 0, lm ? cfg.n_stories : 0,
                           lm ? 0 : r->acc.n_images, lm ? 0 : (int)batch, dpath);
        if (!json) {
            fprintf(stderr, "shardsim pareto: out of memory\n");
            rc = CLI_EX_SOFTWARE;
        } else {
            ana_run_info info = {.scenario_name = sc.name, .scenario_json = json,
                                 .version = SS_VERSION, .status = "ok",
                                 .blas_core = openblas_get_corename(),
                                 .wall_seconds = wall_now() - t0, .accuracy = acc,
                                 .n_accuracy = na};
            st = ana_store_run(db, &info, &res, sc.record == SCN_RECORD_REQUESTS, &r->run_id, err,
                               sizeof err);
            if (st == SS_EEXIST) {
                if (!quiet)
                    fprintf(stderr, "shardsim pareto: %s: already stored as run %lld\n",
                            r->codec, (long long)r->run_id);
            } else if (st != SS_OK) {
                fprintf(stderr, "shardsim pareto: %s\n", err);
                rc = cli_exit_for_db(st);
            }
        }
        ss_free(json);
        sim_results_fini(&res);
        scn_scenario_fini(&sc);
        if (rc != CLI_EX_OK)
            goto done;
    }

    for (int c = 0; c < n_codecs; c++) {
        obj[c * 3] = rows[c].bytes;
        obj[c * 3 + 1] = rows[c].e2e_mean;
        obj[c * 3 + 2] = rows[c].loss;
    }
    ana_pareto_front(obj, (size_t)n_codecs, 3, front);

    printf("scenario %s: %s; reference: fp32 on the wire, uncompressed weights%s%s\n",
           scn.name, lm ? "language model" : "MNIST CNN",
           scn.weight_codec[0] ? "; measured with compression.weights=" : "",
           scn.weight_codec);
    if (lm) {
        printf("agreement and KL over %d decode steps from BOS (teacher-forced); perplexity over "
               "%d stories (fp32: %.6g)\n",
               (int)steps, cfg.n_stories, n_codecs ? rows[0].acc.perplexity_ref : 0.0);
        printf("%-18s %10s %10s %10s %10s %9s %11s %11s %10s %11s %s\n", "codec", "wire_B/tok",
               "e2e_mean_s", "e2e_p50_s", "ttft_s", "agreement", "kl_mean", "kl_max",
               "perplexity", "ppl_delta", "front");
        for (int c = 0; c < n_codecs; c++) {
            const row *r = &rows[c];
            printf("%-18s %10.6g %10.6g %10.6g %10.6g %9.6g %11.6g %11.6g %10.6g %11.6g %s\n",
                   r->codec, r->bytes, r->e2e_mean, r->e2e_p50, r->ttft_mean, r->acc.agreement,
                   r->acc.kl_mean, r->acc.kl_max, r->acc.perplexity, r->acc.perplexity_delta,
                   front[c] ? "*" : "");
        }
    } else {
        printf("accuracy over %d test images, %ld per pass (fp32: %.6g)\n",
               n_codecs ? rows[0].acc.n_images : 0, batch,
               n_codecs ? rows[0].acc.mnist_accuracy_ref : 0.0);
        printf("%-18s %10s %10s %10s %10s %11s %s\n", "codec", "wire_B/img", "e2e_mean_s",
               "e2e_p50_s", "accuracy", "acc_delta", "front");
        for (int c = 0; c < n_codecs; c++) {
            const row *r = &rows[c];
            printf("%-18s %10.6g %10.6g %10.6g %10.6g %11.6g %s\n", r->codec, r->bytes,
                   r->e2e_mean, r->e2e_p50, r->acc.mnist_accuracy, r->acc.mnist_accuracy_delta,
                   front[c] ? "*" : "");
        }
    }
    printf("front (*): not beaten in all of (wire bytes, e2e_mean_s, %s) by another row; "
           "runs stored in %s\n",
           lm ? "kl_mean" : "accuracy drop", db_path);
done:
    ana_db_close(db);
    real_accuracy_ref_destroy(ref);
    model_stories_free(stories);
    model_idx_free(images);
    model_idx_free(labels);
    real_model_fini(&sm);
    real_model_fini(&ref_m);
    ss_free(hops);
    ss_free(ref_hops);
    scn_scenario_fini(&scn);
    ss_free(rows);
    ss_free(front);
    ss_free(obj);
    goto out;
usage:
    rc = CLI_EX_USAGE;
out:
    ss_free(list);
    ss_free(ov);
    return rc;
}
