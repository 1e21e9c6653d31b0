/* bench_llama.c - decode speed of the shardsim Llama forward on stories260K.
 *
 * Three greedy decoders generate the same 256 tokens from BOS:
 *   one span   - model_net embed, span_forward [0,5), head (ss_model, -O2, BLAS);
 *   five spans - the same with [0,1) ... [4,5), each with its own KV state,
 *                as five shards would run it (activations copied between hops);
 *                states are created once and reset per generation, so only
 *                decoding is timed;
 *   plain C    - a compact llama2.c-style forward written below with naive
 *                loops, compiled -O3 (tests/bench/CMakeLists.txt) and no BLAS.
 * Each decoder runs REPS generations per round; rounds alternate between
 * the decoders and the best round counts (the host is shared). All three
 * must produce the same tokens, or the benchmark fails.
 *
 * Output:
 *   llama_decode_tok_per_s: <one span>
 *   llama_decode_5span_tok_per_s: <five spans>
 *   llama_plain_c_tok_per_s: <plain C>
 *   llama_decode_vs_plain_c: <one span / plain C>      (target >= 1.0)
 *   llama_sharding_overhead: <five spans time / one span time - 1> (target <= 0.10)
 *
 * Then the same generation as `shardsim generate` runs it: the whole
 * simulator in real mode (scenarios/stories260k.json, fp32 wire codec, event
 * engine, encode/decode per hop, history kept for replay) with one span and
 * with five, timed per session including model loading:
 *   generate_sim_1span_tok_per_s, generate_sim_5span_tok_per_s
 *   generate_sim_vs_plain_c: <one-span simulator / plain C>   (target >= 1.0)
 *   generate_sim_sharding_overhead: <five / one - 1>          (target <= 0.10)
 *
 * Last, whole processes, as a user runs them: `shardsim generate
 * scenarios/stories260k.json --steps 256` (start-up, BLAS set-up, scenario,
 * model load, simulation, printing) against this program re-run as
 * `bench_llama --plain-process` (load the checkpoint, decode 256 tokens with
 * the plain-C forward, print them), alternating, PROC_RUNS of each, each timed
 * by the child's own CPU time (user + system from wait4, so other processes
 * on the shared host do not count); the medians give
 *   process_generate_tok_per_s, process_plain_c_tok_per_s,
 *   process_generate_vs_plain_c: <plain C time / generate time> (target >= 1.5)
 */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "model_generate.h"
#include "model_llama.h"
#include "model_llama2c.h"
#include "scn_scenario.h"
#include "sim_run.h"

#define STEPS 256
#define REPS 8
#define ROUNDS 7

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- plain C forward (llama2.c style, own code) ------------------------------ */

typedef struct plain {
    model_llama_config c;
    const model_llama_weights *w;
    float *x, *xb, *xb2, *hb, *hb2, *q, *att, *logits; /* scratch */
    float *kc, *vc; // (n_layers, seq_len, kv_dim)
} plain;

static void p_matmul(float *y, const float *x, const float *w, int n, int d)
{
    for (int i = 0; i < d; i++) {
        float v = 0.0f;
        for (int j = 0; j < n; j++)
            v += w[(size_t)i * n + j] * x[j];
        y[i] = v;
    }
}

static void p_rmsnorm(float *o, const float *x, const float *w, int n)
{
    float ss = 0.0f;
    for (int j = 0; j < n; j++)
        ss += x[j] * x[j];
    ss = 1.0f / sqrtf(ss / n + 1e-5f);
    for (int j = 0; j < n; j++)
        o[j] = w[j] * (ss * x[j]);
}

static void p_softmax(float *x, int n)
{
    float mx = x[0], sum = 0.0f;
    for (int i = 1; i < n; i++)
        mx = x[i] > mx ? x[i] : mx;
    for (int i = 0; i < n; i++)
        sum += (x[i] = expf(x[i] - mx));
    for (int i = 0; i < n; i++)
        x[i] /= sum;
}

static float *plain_forward(plain *P, int token, int pos)
{
    const model_llama_config *c = &P->c;
    const model_llama_weights *w = P->w;
    int d = c->dim, hd = c->hidden_dim, hs = d / c->n_heads;
    int kv = hs * c->n_kv_heads, kv_mul = c->n_heads / c->n_kv_heads;
    memcpy(P->x, w->token_embedding_table + (size_t)token * d, (size_t)d * sizeof(float));
    for (int l = 0; l < c->n_layers; l++) {
        p_rmsnorm(P->xb, P->x, w->rms_att_weight + l * d, d);
        size_t loff = (size_t)l * c->seq_len * kv;
        float *k = P->kc + loff + (size_t)pos * kv, *v = P->vc + loff + (size_t)pos * kv;
        p_matmul(P->q, P->xb, w->wq + (size_t)l * d * d, d, d);
        p_matmul(k, P->xb, w->wk + (size_t)l * d * kv, d, kv);
        p_matmul(v, P->xb, w->wv + (size_t)l * d * kv, d, kv);
        for (int i = 0; i < d; i += 2) {
            float freq = 1.0f / powf(10000.0f, (float)(i % hs) / (float)hs);
            float fr = cosf(pos * freq), fi = sinf(pos * freq);
            for (int r = 0; r < (i < kv ? 2 : 1); r++) {
                float *vec = r == 0 ? P->q : k;
                float a = vec[i], b = vec[i + 1];
                vec[i] = a * fr - b * fi;
                vec[i + 1] = a * fi + b * fr;
            }
        }
        for (int h = 0; h < c->n_heads; h++) {
            const float *q = P->q + h * hs;
            float *att = P->att + (size_t)h * c->seq_len;
            for (int t = 0; t <= pos; t++) {
                const float *kt = P->kc + loff + (size_t)t * kv + (h / kv_mul) * hs;
                float s = 0.0f;
                for (int i = 0; i < hs; i++)
                    s += q[i] * kt[i];
                att[t] = s / sqrtf((float)hs);
            }
            p_softmax(att, pos + 1);
            float *o = P->xb + h * hs;
            memset(o, 0, (size_t)hs * sizeof(float));
            for (int t = 0; t <= pos; t++) {
                const float *vt = P->vc + loff + (size_t)t * kv + (h / kv_mul) * hs;
                for (int i = 0; i < hs; i++)
                    o[i] += att[t] * vt[i];
            }
        }
        p_matmul(P->xb2, P->xb, w->wo + (size_t)l * d * d, d, d);
        for (int i = 0; i < d; i++)
            P->x[i] += P->xb2[i];
        p_rmsnorm(P->xb, P->x, w->rms_ffn_weight + l * d, d);
        p_matmul(P->hb, P->xb, w->w1 + (size_t)l * d * hd, d, hd);
        p_matmul(P->hb2, P->xb, w->w3 + (size_t)l * d * hd, d, hd);
        for (int i = 0; i < hd; i++)
            P->hb[i] = P->hb[i] * (1.0f / (1.0f + expf(-P->hb[i]))) * P->hb2[i];
        p_matmul(P->xb, P->hb, w->w2 + (size_t)l * d * hd, hd, d);
        for (int i = 0; i < d; i++)
            P->x[i] += P->xb[i];
    }
    p_rmsnorm(P->x, P->x, w->rms_final_weight, d);
    p_matmul(P->logits, P->x, w->wcls, d, c->vocab_size);
    return P->logits;
}

static int plain_generate(plain *P, int *out)
{
    int tok = 1;
    for (int pos = 0; pos < STEPS; pos++) {
        tok = model_logits_argmax(plain_forward(P, tok, pos), P->c.vocab_size);
        out[pos] = tok;
    }
    return tok;
}

/* ---- shardsim forward over n_spans equal spans ------------------------------------- */

typedef struct sharded {
    const model_net *m;
    int n_spans;
    int bounds[9];
    model_state *st[8]; /* created once: the timed loop measures decode, not setup */
} sharded;

static void sharded_init(sharded *S, const model_net *m, int n_spans)
{
    int nb = model_net_n_blocks(m);
    S->m = m;
    S->n_spans = n_spans;
    for (int s = 0; s <= n_spans; s++)
        S->bounds[s] = s * nb / n_spans;
    for (int s = 0; s < n_spans; s++)
        if (model_state_create(m, S->bounds[s], S->bounds[s + 1], &S->st[s]) != SS_OK)
            abort();
}

static void sharded_fini(sharded *S)
{
    for (int s = 0; s < S->n_spans; s++)
        model_state_destroy(S->st[s]);
}

static void net_generate(sharded *S, int *out)
{
    const model_net *m = S->m;
    int V = (int)model_net_n_outputs(m);
    float a[64], b[64], logits[512];
    int32_t tok = 1;
    for (int s = 0; s < S->n_spans; s++)
        model_state_reset(S->st[s]);
    for (int pos = 0; pos < STEPS; pos++) {
        if (model_net_embed(m, 1, &tok, NULL, a) != SS_OK)
            abort();
        for (int s = 0; s < S->n_spans; s++) {
            if (model_net_span_forward(m, S->st[s], S->bounds[s], S->bounds[s + 1], pos, 1, a,
                                       b) != SS_OK)
                abort();
            memcpy(a, b, sizeof a); /* the hop: the next shard's input buffer */
        }
        if (model_net_head(m, 1, a, logits) != SS_OK)
            abort();
        tok = model_logits_argmax(logits, V);
        out[pos] = tok;
    }
}

/* Seconds for one simulated generation session of STEPS positions. */
static double sim_generate_s(const char *spans)
{
    scn_override ov[] = {{"placement.spans", spans}, {"compression.activations", "fp32"}};
    scn_scenario scn;
    char err[1024];
    double t0 = wall_s();
    if (scn_load(SS_SOURCE_DIR "/scenarios/stories260k.json", ov, 2, &scn, err, sizeof err) !=
        SS_OK) {
        fprintf(stderr, "bench_llama: %s\n", err);
        exit(1);
    }
    sim_generate_spec gen = {.prompt = NULL, .steps = STEPS, .out = NULL};
    sim_run_opts o = {.presets_dir = SS_SOURCE_DIR "/models/presets", .generate = &gen,
                      .assets_dir = SS_SHARED_DIR "/assets"};
    sim_results r;
    if (sim_run(&scn, &o, &r, err, sizeof err) != SS_OK || r.requests[0].tokens_done != STEPS) {
        fprintf(stderr, "bench_llama: %s\n", err);
        exit(1);
    }
    double dt = wall_s() - t0;
    sim_results_fini(&r);
    scn_scenario_fini(&scn);
    return dt;
}

#define PROC_RUNS 7

/* CPU seconds (user + system) of one child process running argv; exits the
 * benchmark if it cannot run or fails. Its standard output goes to /dev/null. */
static double child_cpu_s(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench_llama: fork");
        exit(1);
    }
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_llama: %s failed\n", argv[0]);
        exit(1);
    }
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Whole-process `shardsim generate` against the plain-C decoder's process. */
static void whole_process(const char *self)
{
    char steps[16];
    snprintf(steps, sizeof steps, "%d", STEPS);
    char *gen[] = {SS_BINARY_DIR "/shardsim", "generate", SS_SOURCE_DIR "/scenarios/stories260k.json",
                   "--steps", steps, "--quiet", NULL};
    char *plain_argv[] = {(char *)self, "--plain-process", NULL};
    double tg[PROC_RUNS], tp[PROC_RUNS];
    child_cpu_s(gen); /* warm-up: page cache, dynamic loader */
    child_cpu_s(plain_argv);
    for (int i = 0; i < PROC_RUNS; i++) {
        tg[i] = child_cpu_s(gen);
        tp[i] = child_cpu_s(plain_argv);
    }
    qsort(tg, PROC_RUNS, sizeof *tg, cmp_double);
    qsort(tp, PROC_RUNS, sizeof *tp, cmp_double);
    double g = tg[PROC_RUNS / 2], q = tp[PROC_RUNS / 2];
    printf("process_generate_tok_per_s: %.0f\n", STEPS / g);
    printf("process_plain_c_tok_per_s: %.0f\n", STEPS / q);
    printf("process_generate_vs_plain_c: %.3f\n", q / g);
}

static plain *plain_new(const model_llama2c *ck);
static void plain_free(plain *P);

/* `bench_llama --plain-process`: what llama2.c's run does, as one process. */
static int plain_process(void)
{
    char err[256];
    model_llama2c *ck;
    if (model_llama2c_load(SS_SHARED_DIR "/assets/stories260K/stories260K.bin", &ck, err,
                           sizeof err) != SS_OK) {
        fprintf(stderr, "bench_llama: %s\n", err);
        return 1;
    }
    plain *P = plain_new(ck);
    static int toks[STEPS];
    plain_generate(P, toks);
    for (int i = 0; i < STEPS; i++)
        printf("%d ", toks[i]);
    putchar('\n');
    plain_free(P);
    model_llama2c_destroy(ck);
    return 0;
}

static plain *plain_new(const model_llama2c *ck)
{
    plain *P = calloc(1, sizeof *P);
    P->c = ck->config;
    P->w = &ck->weights;
    const model_llama_config *c = &P->c;
    int kv = c->dim / c->n_heads * c->n_kv_heads;
    P->x = calloc((size_t)c->dim, sizeof(float));
    P->xb = calloc((size_t)c->dim, sizeof(float));
    P->xb2 = calloc((size_t)c->dim, sizeof(float));
    P->q = calloc((size_t)c->dim, sizeof(float));
    P->hb = calloc((size_t)c->hidden_dim, sizeof(float));
    P->hb2 = calloc((size_t)c->hidden_dim, sizeof(float));
    P->att = calloc((size_t)c->n_heads * c->seq_len, sizeof(float));
    P->logits = calloc((size_t)c->vocab_size, sizeof(float));
    P->kc = calloc((size_t)c->n_layers * c->seq_len * kv, sizeof(float));
    P->vc = calloc((size_t)c->n_layers * c->seq_len * kv, sizeof(float));
    return P;
}

static void plain_free(plain *P)
{
    free(P->x);
    free(P->xb);
    free(P->xb2);
    free(P->q);
    free(P->hb);
    free(P->hb2);
    free(P->att);
    free(P->logits);
    free(P->kc);
    free(P->vc);
    free(P);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--plain-process") == 0)
        return plain_process();
    if (argc > 1 && strcmp(argv[1], "--process-only") == 0) {
        whole_process(argv[0]);
        return 0;
    }
    openblas_set_num_threads(1);
    const char *path = SS_SHARED_DIR "/assets/stories260K/stories260K.bin";
    char err[256];
    model_llama2c *ck;
    model_net *m;
    if (model_llama2c_load(path, &ck, err, sizeof err) != SS_OK ||
        model_llama_create(&ck->config, &ck->weights, &m) != SS_OK) {
        fprintf(stderr, "bench_llama: %s\n", err);
        return 1;
    }
    if (ck->config.dim != 64 || ck->config.vocab_size != 512) {
        fprintf(stderr, "bench_llama: unexpected model\n");
        return 1;
    }
    plain P = {.c = ck->config, .w = &ck->weights};
    const model_llama_config *c = &P.c;
    int kv = c->dim / c->n_heads * c->n_kv_heads;
    P.x = calloc((size_t)c->dim, sizeof(float));
    P.xb = calloc((size_t)c->dim, sizeof(float));
    P.xb2 = calloc((size_t)c->dim, sizeof(float));
    P.q = calloc((size_t)c->dim, sizeof(float));
    P.hb = calloc((size_t)c->hidden_dim, sizeof(float));
    P.hb2 = calloc((size_t)c->hidden_dim, sizeof(float));
    P.att = calloc((size_t)c->n_heads * c->seq_len, sizeof(float));
    P.logits = calloc((size_t)c->vocab_size, sizeof(float));
    P.kc = calloc((size_t)c->n_layers * c->seq_len * kv, sizeof(float));
    P.vc = calloc((size_t)c->n_layers * c->seq_len * kv, sizeof(float));

    static int t1[STEPS], t5[STEPS], tp[STEPS];
    sharded one, five;
    sharded_init(&one, m, 1);
    sharded_init(&five, m, 5);
    double best1 = 1e9, best5 = 1e9, bestp = 1e9;
    for (int round = 0; round < ROUNDS; round++) {
        double t0 = wall_s();
        for (int r = 0; r < REPS; r++)
            net_generate(&one, t1);
        double a = wall_s();
        for (int r = 0; r < REPS; r++)
            net_generate(&five, t5);
        double b = wall_s();
        for (int r = 0; r < REPS; r++)
            plain_generate(&P, tp);
        double e = wall_s();
        best1 = fmin(best1, a - t0);
        best5 = fmin(best5, b - a);
        bestp = fmin(bestp, e - b);
    }
    if (memcmp(t1, t5, sizeof t1) != 0 || memcmp(t1, tp, sizeof t1) != 0) {
        fprintf(stderr, "bench_llama: decoders disagree on the generated tokens\n");
        return 1;
    }
    double n_tok = (double)REPS * STEPS;
    printf("llama_openblas_core: %s\n", openblas_get_corename());
    printf("llama_decode_tok_per_s: %.0f\n", n_tok / best1);
    printf("llama_decode_5span_tok_per_s: %.0f\n", n_tok / best5);
    printf("llama_plain_c_tok_per_s: %.0f\n", n_tok / bestp);
    printf("llama_decode_vs_plain_c: %.3f\n", bestp / best1);
    printf("llama_sharding_overhead: %.3f\n", best5 / best1 - 1.0);

    double g1 = 1e9, g5 = 1e9, gp = 1e9;
    for (int round = 0; round < ROUNDS; round++) {
        double a = 0, b = 0;
        for (int r = 0; r < REPS; r++)
            a += sim_generate_s("1");
        for (int r = 0; r < REPS; r++)
            b += sim_generate_s("5");
        double t0 = wall_s();
        for (int r = 0; r < REPS; r++)
            plain_generate(&P, tp);
        double e = wall_s() - t0;
        g1 = fmin(g1, a);
        g5 = fmin(g5, b);
        gp = fmin(gp, e);
    }
    printf("generate_sim_1span_tok_per_s: %.0f\n", n_tok / g1);
    printf("generate_sim_5span_tok_per_s: %.0f\n", n_tok / g5);
    printf("generate_sim_vs_plain_c: %.3f\n", gp / g1);
    printf("generate_sim_sharding_overhead: %.3f\n", g5 / g1 - 1.0);
    fflush(stdout);
    whole_process(argv[0]);

    free(P.x);
    free(P.xb);
    free(P.xb2);
    free(P.q);
    free(P.hb);
    free(P.hb2);
    free(P.att);
    free(P.logits);
    free(P.kc);
    free(P.vc);
    sharded_fini(&one);
    sharded_fini(&five);
    model_net_destroy(m);
    model_llama2c_destroy(ck);
    return 0;
}
