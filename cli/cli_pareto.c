/* cli_pareto.c - `shardsim pareto`: bytes x latency x accuracy per activation
 * codec (exp_pareto: each codec one stored run), the Pareto front marked. */
#include <stddef.h>
#include <unistd.h>

#include "cli.h"
#include "exp_pareto.h"

typedef struct pareto_args {
    const char *codecs, *db;
    long steps, stories, images, batch;
    int quiet;
} pareto_args;

static const cli_opt pareto_opts[] = {
    CLI_OPTION("--codecs", NULL, CLI_PATH, offsetof(pareto_args, codecs), "LIST",
     "comma-separated codec specs: fp32, fp16, bf16, blockwise8,\n"
     "int8, int4, nf4, llm-int8, lowrank:R, lowrank-sparse:R\n"
     "(parameters as in comp_codec_parse), or \"all\" (required)", .required = 1),
    CLI_OPTION("--steps", NULL, CLI_INT, offsetof(pareto_args, steps), "N",
     "decode steps for agreement and KL (default 128)", .lo = 0, .hi = 1 << 20),
    CLI_OPTION("--stories", NULL, CLI_INT, offsetof(pareto_args, stories), "N",
     "perplexity over the first N stories (default 100)", .lo = 0, .hi = 100000000),
    CLI_OPTION("--images", NULL, CLI_INT, offsetof(pareto_args, images), "N",
     "MNIST: the first N test images (default all 10,000)", .lo = 1, .hi = 100000000),
    CLI_OPTION("--batch", NULL, CLI_INT, offsetof(pareto_args, batch), "N",
     "MNIST: images per pipeline pass (default 1: one image per\n"
     "request, as the scenario's workload sends them)", .lo = 1, .hi = 100000),
    CLI_OPTION("--db", NULL, CLI_PATH, offsetof(pareto_args, db), "FILE",
     "results database (default ./shardsim.db)"),
    CLI_OPTION("--set", NULL, CLI_OVERRIDE, 0, "PATH=VALUE",
     "override a scenario field (repeatable)"),
    CLI_OPTION("--quiet", "-q", CLI_FLAG, offsetof(pareto_args, quiet), NULL, "no progress lines"),
};

static const cli_cmd pareto_cmd = {
    .name = "pareto",
    .synopsis = "SCENARIO --codecs LIST [OPTIONS]",
    .description =
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
        "all of (bytes, mean latency, every accuracy measure printed: agreement, mean\n"
        "and max KL, perplexity delta; or the accuracy drop for the CNN) while beating\n"
        "it in one. Each codec's run\n"
        "(runs, requests, nodes, metrics, accuracy rows) is stored in one transaction;\n"
        "a codec already stored with the same settings is read back, not measured again.\n",
    .opts = pareto_opts,
    .n_opts = sizeof pareto_opts / sizeof pareto_opts[0],
    .noun = "scenario",
    .min_pos = 1,
    .max_pos = 1,
};

static void print_lm(const exp_pareto_result *r, long steps)
{
    printf("agreement and KL over %ld decode steps from BOS (teacher-forced); perplexity over "
           "%d stories (fp32: %.6g)\n",
           steps, r->n_stories, r->n_rows ? r->rows[0].perplexity_ref : 0.0);
    printf("%-18s %10s %10s %10s %10s %9s %11s %11s %10s %11s %s\n", "codec", "wire_B/tok",
           "e2e_mean_s", "e2e_p50_s", "ttft_s", "agreement", "kl_mean", "kl_max", "perplexity",
           "ppl_delta", "front");
    for (int c = 0; c < r->n_rows; c++) {
        const exp_pareto_row *w = &r->rows[c];
        printf("%-18s %10.6g %10.6g %10.6g %10.6g %9.6g %11.6g %11.6g %10.6g %11.6g %s\n",
               w->codec, w->bytes, w->e2e_mean, w->e2e_p50, w->ttft_mean, w->agreement,
               w->kl_mean, w->kl_max, w->perplexity, w->perplexity_delta, w->front ? "*" : "");
    }
}

static void print_cnn(const exp_pareto_result *r, long batch)
{
    printf("accuracy over %d test images, %ld per pass (fp32: %.6g)\n",
           r->n_rows ? (int)r->rows[0].n_images : 0, batch,
           r->n_rows ? r->rows[0].accuracy_ref : 0.0);
    printf("%-18s %10s %10s %10s %10s %11s %s\n", "codec", "wire_B/img", "e2e_mean_s",
           "e2e_p50_s", "accuracy", "acc_delta", "front");
    for (int c = 0; c < r->n_rows; c++) {
        const exp_pareto_row *w = &r->rows[c];
        printf("%-18s %10.6g %10.6g %10.6g %10.6g %11.6g %s\n", w->codec, w->bytes, w->e2e_mean,
               w->e2e_p50, w->accuracy, w->accuracy_delta, w->front ? "*" : "");
    }
}

static void print_table(const pareto_args *a, const scn_scenario *s, const exp_pareto_result *r)
{
    for (int c = 0; c < r->n_rows && !a->quiet; c++)
        if (r->rows[c].run.stored_before)
            fprintf(stderr, "shardsim pareto: %s: already stored as run %lld\n",
                    r->rows[c].codec, (long long)r->rows[c].run.run_id);
    printf("scenario %s: %s; reference: fp32 on the wire, uncompressed weights%s%s\n", s->name,
           r->lm ? "language model" : "MNIST CNN",
           s->weight_codec[0] ? "; measured with compression.weights=" : "", s->weight_codec);
    if (r->lm)
        print_lm(r, a->steps);
    else
        print_cnn(r, a->batch);
    printf("front (*): not beaten in all of (wire bytes, e2e_mean_s, %s) by another row; "
           "runs stored in %s\n",
           !r->lm            ? "accuracy drop"
           : r->n_stories > 0 ? "agreement, kl_mean, kl_max, ppl_delta"
                              : "agreement, kl_mean, kl_max",
           a->db);
}

static int compare(const pareto_args *a, const cli_parsed *p, const exp_codec_list *codecs,
                   const scn_scenario *s)
{
    ana_db *db = NULL;
    int rc = cli_open_db("pareto", a->db, &db);
    if (rc)
        return rc;
    exp_pareto_opts o = {.scenario_path = p->pos[0], .overrides = p->ov, .n_overrides = p->n_ov,
                         .codecs = codecs, .steps = (int)a->steps, .n_stories = (int)a->stories,
                         .n_images = (int)a->images, .batch = (int)a->batch,
                         .progress = !a->quiet && isatty(2) ? stderr : NULL};
    exp_pareto_result r;
    char err[1024];
    ss_status st = exp_pareto(s, &o, db, &r, err, sizeof err);
    ana_db_close(db);
    if (st == SS_OK) {
        print_table(a, s, &r);
    } else {
        fprintf(stderr, "shardsim pareto: %s%s%s\n", r.failed_codec,
                r.failed_codec[0] ? ": " : "", err);
        rc = cli_exit_for_stage(r.failed.stage, st);
    }
    exp_pareto_result_fini(&r);
    return rc;
}

int cli_pareto(int argc, char **argv)
{
    pareto_args a = {.db = "shardsim.db", .steps = 128, .stories = 100, .batch = 1};
    cli_parsed p;
    scn_scenario s;
    static exp_codec_list codecs; /* 4 KiB: not on the stack */
    char err[512];
    int rc = cli_parse(&pareto_cmd, argc, argv, &a, &p);
    /* the codec list checked up front, so a typo costs nothing */
    if (rc < 0 && exp_codec_list_parse(a.codecs, &codecs, err, sizeof err) != SS_OK) {
        fprintf(stderr, "shardsim pareto: --codecs: %s\n", err);
        rc = CLI_EX_USAGE;
    }
    if (rc < 0 && !(rc = cli_load("pareto", p.pos[0], &p, NULL, &s))) {
        rc = compare(&a, &p, &codecs, &s);
        scn_scenario_fini(&s);
    }
    cli_parsed_fini(&p);
    return rc;
}
