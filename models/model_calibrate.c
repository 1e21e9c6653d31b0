/* model_calibrate.c - OpenBLAS kernel choice, naive-reference check, and the
 * host measurements behind a device profile. */
#include "model_calibrate.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model_llama.h"
#include "ss_alloc.h"

/* ---- CPU features and the core-type chooser ---------------------------------- */

void model_cpu_features_detect(model_cpu_features *out)
{
    memset(out, 0, sizeof *out);
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    out->sse3 = __builtin_cpu_supports("sse3");
    out->ssse3 = __builtin_cpu_supports("ssse3");
    out->sse4_2 = __builtin_cpu_supports("sse4.2");
    out->avx = __builtin_cpu_supports("avx");
    out->avx2 = __builtin_cpu_supports("avx2");
    out->fma = __builtin_cpu_supports("fma");
    out->avx512f = __builtin_cpu_supports("avx512f");
    out->avx512cd = __builtin_cpu_supports("avx512cd");
    out->avx512bw = __builtin_cpu_supports("avx512bw");
    out->avx512dq = __builtin_cpu_supports("avx512dq");
    out->avx512vl = __builtin_cpu_supports("avx512vl");
#endif
}

/* OpenBLAS x86 core names (0.3.21 dynamic.c) by the vector ISA of their
 * kernels: 1 SSE-era, 2 AVX, 3 AVX2+FMA, 4 AVX-512. `generic` marks the
 * names OpenBLAS falls back to when it does not know a CPU; only those are
 * ever overridden. */
static const struct {
    const char *name;
    int rank;
    bool generic;
} cores[] = {
    {"Unknown", 0, true},      {"Katmai", 1, true},       {"Coppermine", 1, true},
    {"Northwood", 1, true},    {"Prescott", 1, true},     {"Banias", 1, true},
    {"Atom", 1, true},         {"Core2", 1, true},        {"Penryn", 1, true},
    {"Dunnington", 1, true},   {"Nehalem", 1, true},      {"Athlon", 1, true},
    {"Opteron", 1, true},      {"Opteron(SSE3)", 1, true}, {"Barcelona", 1, true},
    {"Nano", 1, true},         {"Bobcat", 1, true},       {"Sandybridge", 2, true},
    {"Bulldozer", 2, false},   {"Piledriver", 2, false},  {"Steamroller", 2, false},
    {"Haswell", 3, false},     {"Excavator", 3, false},   {"Zen", 3, false},
    {"SkylakeX", 4, false},    {"Cooperlake", 4, false},  {"SapphireRapids", 4, false},
};

const char *model_blas_choose_core(const char *corename, const model_cpu_features *f)
{
    if (!corename || !f)
        return NULL;
    int cur = -1;
    for (size_t i = 0; i < sizeof cores / sizeof cores[0]; i++)
        if (strcasecmp(corename, cores[i].name) == 0) {
            if (!cores[i].generic)
                return NULL; /* a proper kernel: trust OpenBLAS */
            cur = cores[i].rank;
        }
    if (cur < 0)
        return NULL; /* a name we do not know (another architecture, a newer OpenBLAS) */
    const char *best = NULL;
    int rank = 0;
    if (f->avx512f && f->avx512cd && f->avx512bw && f->avx512dq && f->avx512vl && f->avx2 &&
        f->fma)
        best = "SkylakeX", rank = 4;
    else if (f->avx2 && f->fma && f->avx)
        best = "Haswell", rank = 3;
    else if (f->avx)
        best = "Sandybridge", rank = 2;
    return rank > cur ? best : NULL;
}

/* ---- naive reference ------------------------------------------------------------ */

void model_blas_gemm(int m, int n, int k, float alpha, const float *a, const float *b, float beta,
                     float *c)
{
    if (m == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, alpha, b, k, a, 1, beta, c, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, alpha, a, k, b, k, beta, c,
                    n);
}

/* Local SplitMix64 (models/ does not depend on sim/): uniform floats in [-1, 1). */
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void fill_uniform(float *x, size_t n, uint64_t *s)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((double)(splitmix64(s) >> 11) * 0x1.0p-52 - 1.0);
}

ss_status model_blas_verify(model_gemm_fn gemm, double tol, double *max_err)
{
    static const struct {
        int m, n, k;
        float alpha, beta;
    } shapes[] = {
        {67, 45, 129, 1.0f, 0.0f}, {128, 128, 128, 1.0f, 0.0f}, {33, 257, 64, 0.5f, 0.5f},
        {1, 300, 257, 1.0f, 0.0f}, {1, 1024, 96, 1.0f, 1.0f},   {5, 3, 1000, 2.0f, 0.0f},
    };
    double worst = 0.0;
    uint64_t seed = 0x5EED5EEDu;
    ss_status st = SS_OK;
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0] && st == SS_OK; si++) {
        int m = shapes[si].m, n = shapes[si].n, k = shapes[si].k;
        float alpha = shapes[si].alpha, beta = shapes[si].beta;
        float *a = ss_malloc_array((size_t)m * k, sizeof *a);
        float *b = ss_malloc_array((size_t)n * k, sizeof *b);
        float *c = ss_malloc_array((size_t)m * n, sizeof *c);
        float *c0 = ss_malloc_array((size_t)m * n, sizeof *c0);
        if (!a || !b || !c || !c0) {
            st = SS_ENOMEM;
        } else {
            fill_uniform(a, (size_t)m * k, &seed);
            fill_uniform(b, (size_t)n * k, &seed);
            fill_uniform(c0, (size_t)m * n, &seed);
            memcpy(c, c0, (size_t)m * n * sizeof *c);
            gemm(m, n, k, alpha, a, b, beta, c);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double ref = 0.0, mag = 0.0;
                    for (int p = 0; p < k; p++) {
                        double t = (double)a[(size_t)i * k + p] * (double)b[(size_t)j * k + p];
                        ref += t;
                        mag += fabs(t);
                    }
                    double cij0 = (double)c0[(size_t)i * n + j];
                    ref = alpha * ref + beta * cij0;
                    mag = fabs((double)alpha) * mag + fabs((double)beta * cij0);
                    double e = fabs((double)c[(size_t)i * n + j] - ref) / (mag > 0 ? mag : 1.0);
                    if (!(e <= worst)) /* also catches NaN */
                        worst = isnan(e) ? INFINITY : e;
                }
        }
        ss_free(a);
        ss_free(b);
        ss_free(c);
        ss_free(c0);
    }
    if (max_err)
        *max_err = worst;
    if (st != SS_OK)
        return st;
    return worst <= tol ? SS_OK : SS_ERANGE;
}

/* ---- measurements ---------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The summary figures and the device from the per-shape rates. */
static void derive(model_calibration *c)
{
    double v[MODEL_CALIB_MAX_SHAPES];
    int n = 0;
    c->gemm_peak_flops = 0;
    for (int i = 0; i < c->n_gemm; i++) {
        if (c->gemm[i].rate > c->gemm_peak_flops)
            c->gemm_peak_flops = c->gemm[i].rate;
        if (i >= c->n_gemm_square)
            v[n++] = c->gemm[i].rate;
    }
    c->gemm_typical_flops = n ? median(v, n) : 0;
    c->gemv_best_bytes_per_s = 0;
    for (int i = 0; i < c->n_gemv; i++) {
        v[i] = c->gemv[i].rate;
        if (v[i] > c->gemv_best_bytes_per_s)
            c->gemv_best_bytes_per_s = v[i];
    }
    c->gemv_bytes_per_s = c->n_gemv ? median(v, c->n_gemv) : 0;
    c->device = model_calib_device(c);
}

/* A real span forward pass of one Llama layer with random weights (by
 * default dim 2048, hidden 5632, 16 heads of 128: 205 MB of fp32 weights,
 * out of any cache): prefills of REF_PREFILL_SHORT and REF_PREFILL tokens and
 * one-token decode steps after the second.
 * Rates use the cost model's own FLOP and byte counts, so peak * compute_eff
 * and mem_bw * bw_eff reproduce these passes.
 *
 * Attention probe: the first layer alone runs a chunk of PROBE_ROWS tokens
 * at position 0 and the same chunk at position PROBE_CTX (the cache filled
 * before). The weight products are the same; the second call attends
 * PROBE_ROWS * PROBE_CTX more positions per head, through the same code as
 * a long prefill (64-row blocks) at a long context. The time difference per
 * (head x extra position) is the device's attn_s_per_head_pos, and the
 * modelled attention time of the reference passes is taken out of them
 * before their rates are formed (its FLOPs leave the compute leg). */
#define REF_PREFILL 256
/* sgemm with 128 rows runs below its 256-row rate (COST_MODEL.md, Limits):
 * the prefill efficiency is taken over a prefill of each length */
#define REF_PREFILL_SHORT 128
#define PROBE_ROWS 64
#define PROBE_CTX 1024

static ss_status measure_forward(const model_calib_cfg *cfg, int reps, model_calibration *out)
{
    const int q = cfg->quick;
    const int dim = cfg->ref_dim > 0 ? cfg->ref_dim : q ? 512 : 2048;
    const int hid = cfg->ref_hidden > 0 ? cfg->ref_hidden : q ? 1408 : 5632;
    const int heads = cfg->ref_heads > 0 ? cfg->ref_heads : dim / 128 > 0 ? dim / 128 : 1;
    /* enough layers for 128 MB of weights (4x a 32 MB last-level cache), so
     * that decode streams them from memory; quick mode: one layer */
    const double layer_bytes = 4.0 * ((double)dim * dim * 4 + 3.0 * dim * hid);
    int layers = q ? 1 : (int)ceil(128e6 / layer_bytes);
    layers = layers < 1 ? 1 : layers > 64 ? 64 : layers;
    const int rows = PROBE_CTX + PROBE_ROWS; /* > REF_PREFILL + 1 */
    const model_llama_config c = {.dim = dim, .hidden_dim = hid, .n_layers = layers,
                                  .n_heads = heads, .n_kv_heads = heads, .vocab_size = 8,
                                  .seq_len = rows, .shared_classifier = true};
    if (model_llama_config_check(&c, NULL, 0) != SS_OK || dim > 8192 || hid > 32768)
        return SS_EINVAL;
    const size_t d = (size_t)c.dim, h = (size_t)c.hidden_dim, nl = (size_t)layers;
    const size_t per = 4 * d * d + 3 * d * h, n_w = nl * per, n_small = 8 * d + 2 * nl * d + d;
    uint64_t seed = 0x1A7E12u;
    model_net *net = NULL;
    model_state *stt = NULL, *p_short = NULL, *p_long = NULL;
    model_desc desc = {0};
    float *w = ss_malloc_array(n_w, sizeof *w), *v = ss_malloc_array(n_small, sizeof *v);
    float *x = ss_malloc_array((size_t)rows * d, sizeof *x);
    float *y = ss_malloc_array((size_t)rows * d, sizeof *y);
    ss_status st = SS_ENOMEM;
    if (!w || !v || !x || !y)
        goto done;
    fill_uniform(w, n_w, &seed);
    const float sc = 1.0f / sqrtf((float)hid);
    for (size_t i = 0; i < n_w; i++)
        w[i] *= sc;
    for (size_t i = 0; i < n_small; i++)
        v[i] = 1.0f;
    fill_uniform(x, (size_t)rows * d, &seed);
    /* each tensor is (layers, rows, cols) contiguous: carve them in order */
    const model_llama_weights lw = {
        .token_embedding_table = v, .rms_att_weight = v, .rms_ffn_weight = v,
        .rms_final_weight = v, .wq = w, .wk = w + nl * d * d, .wv = w + 2 * nl * d * d,
        .wo = w + 3 * nl * d * d, .w1 = w + 4 * nl * d * d, .w3 = w + nl * (4 * d * d + d * h),
        .w2 = w + nl * (4 * d * d + 2 * d * h),
    };
    if ((st = model_llama_create(&c, &lw, &net)) != SS_OK ||
        (st = model_state_create(net, 0, layers, &stt)) != SS_OK ||
        (st = model_state_create(net, 0, 1, &p_short)) != SS_OK ||
        (st = model_state_create(net, 0, 1, &p_long)) != SS_OK ||
        (st = model_desc_from_net(net, "calibration", "fp32", &desc, NULL, 0)) != SS_OK)
        goto done;
    ss_free(w); /* the net holds its own copy */
    w = NULL;
    desc.kv_bytes_per_elem = 4.0; /* model_llama caches float32 */
    /* the long probe's cache: PROBE_CTX positions, filled once (untimed) */
    if ((st = model_net_span_forward(net, p_long, 0, 1, 0, PROBE_CTX, x, y)) != SS_OK)
        goto done;
    double tp = INFINITY, tp2 = INFINITY, td = INFINITY, ts = INFINITY, tl = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t0 = cfg->now();
        if ((st = model_net_span_forward(net, stt, 0, layers, 0, REF_PREFILL_SHORT, x, y)) !=
            SS_OK)
            goto done;
        double t = cfg->now() - t0;
        tp2 = t < tp2 ? t : tp2;
        t0 = cfg->now();
        if ((st = model_net_span_forward(net, stt, 0, layers, 0, REF_PREFILL, x, y)) != SS_OK)
            goto done;
        t = cfg->now() - t0;
        tp = t < tp ? t : tp;
        for (int k = 0; k < 4; k++) {
            t0 = cfg->now();
            if ((st = model_net_span_forward(net, stt, 0, layers, REF_PREFILL, 1,
                                             x + (size_t)REF_PREFILL * d, y)) != SS_OK)
                goto done;
            t = cfg->now() - t0;
            td = t < td ? t : td;
        }
        for (int k = 0; k < 2; k++) { /* one layer, short: twice per round */
            t0 = cfg->now();
            if ((st = model_net_span_forward(net, p_short, 0, 1, 0, PROBE_ROWS, x, y)) != SS_OK)
                goto done;
            t = cfg->now() - t0;
            ts = t < ts ? t : ts;
            t0 = cfg->now();
            if ((st = model_net_span_forward(net, p_long, 0, 1, PROBE_CTX, PROBE_ROWS,
                                             x + (size_t)PROBE_CTX * d, y)) != SS_OK)
                goto done;
            t = cfg->now() - t0;
            tl = t < tl ? t : tl;
        }
    }
    double attn = tl > ts ? (tl - ts) / ((double)heads * PROBE_ROWS * PROBE_CTX) : 0.0;
    model_device unit = {.peak_flops = 1, .mem_bw_bytes_per_s = 1, .compute_eff = 1,
                         .bw_eff = 1, .overhead_s = 0, .attn_s_per_head_pos = attn};
    model_cost_terms pre = model_cost_span(&unit, &desc, 0, layers, REF_PREFILL, 0);
    model_cost_terms pre2 = model_cost_span(&unit, &desc, 0, layers, REF_PREFILL_SHORT, 0);
    model_cost_terms dec = model_cost_span(&unit, &desc, 0, layers, 1, REF_PREFILL);
    if (pre.attn_s > 0.5 * tp || pre2.attn_s > 0.5 * tp2 || dec.attn_s > 0.5 * td) {
        /* defensive: a probe disturbed by another process cannot leave the
         * reference passes with less than half their time; fall back to
         * attention inside the roofline */
        unit.attn_s_per_head_pos = attn = 0;
        pre = model_cost_span(&unit, &desc, 0, layers, REF_PREFILL, 0);
        pre2 = model_cost_span(&unit, &desc, 0, layers, REF_PREFILL_SHORT, 0);
        dec = model_cost_span(&unit, &desc, 0, layers, 1, REF_PREFILL);
    }
    /* with the unit device compute_s is the compute leg's FLOPs, memory_s the
     * bytes; the prefill rate is over both prompt lengths together */
    out->fwd_prefill_flops_per_s =
        (pre.compute_s + pre2.compute_s) / ((tp - pre.attn_s) + (tp2 - pre2.attn_s));
    out->fwd_decode_bytes_per_s = dec.memory_s / (td - dec.attn_s);
    out->fwd_attn_s_per_head_pos = attn;
    out->fwd_layers = layers;
    out->fwd_prefill_tokens = REF_PREFILL;
    out->fwd_dim = c.dim;
    out->fwd_heads = heads;
    out->attn_probe_rows = PROBE_ROWS;
    out->attn_probe_ctx = PROBE_CTX;
    st = SS_OK;
done:
    model_desc_fini(&desc);
    model_state_destroy(stt);
    model_state_destroy(p_short);
    model_state_destroy(p_long);
    model_net_destroy(net);
    ss_free(w);
    ss_free(v);
    ss_free(x);
    ss_free(y);
    return st;
}

/* Best time of `reps` sgemm calls of one shape. */
static double time_gemm(const model_calib_cfg *cfg, int reps, int m, int n, int k,
                        const float *a, const float *b, float *c)
{
    double best = INFINITY;
    model_blas_gemm(m, n, k, 1.0f, a, b, 0.0f, c); /* warm-up: packing buffers, pages */
    for (int r = 0; r < reps; r++) {
        double t0 = cfg->now();
        model_blas_gemm(m, n, k, 1.0f, a, b, 0.0f, c);
        double t = cfg->now() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

ss_status model_calib_run(const model_calib_cfg *cfg, model_calibration *out)
{
    memset(out, 0, sizeof *out);
    if (!cfg || !cfg->now)
        return SS_EINVAL;
    const bool quick = cfg->quick;
    const int reps = cfg->reps > 0 ? cfg->reps : quick ? 2 : 5;
    /* Streamed buffer: 8x a 32 MB last-level cache (64 MB in quick mode,
     * which is only for tests and may partly hit the cache). */
    const size_t buf_floats = quick ? (size_t)16 << 20 : (size_t)64 << 20;
    out->buffer_bytes = buf_floats * sizeof(float);
    ss_status st = SS_ENOMEM;
    float *buf = ss_malloc_array(buf_floats, sizeof(float));
    float *dst = ss_malloc_array(buf_floats, sizeof(float));
    float *a = NULL, *c = NULL;
    if (!buf || !dst)
        goto done;
    uint64_t seed = 0xCA1B4A7Eu;
    fill_uniform(buf, buf_floats, &seed);
    memset(dst, 0, buf_floats * sizeof(float));

    /* sgemm: square shapes for the peak, then transformer shapes: m tokens
     * times an (n, k) projection of hidden widths 1024..4096. */
    static const int sq_full[] = {256, 512, 1024};
    static const int sq_quick[] = {128, 256};
    static const int tok_full[] = {32, 128, 512};
    static const int tok_quick[] = {32, 128};
    static const int wd_full[][2] = {{1024, 1024}, {4096, 1024}, {1024, 4096}};
    static const int wd_quick[][2] = {{1024, 512}, {512, 1024}};
    const int *sq = quick ? sq_quick : sq_full;
    const int n_sq = quick ? 2 : 3;
    const int *tok = quick ? tok_quick : tok_full;
    const int n_tok = quick ? 2 : 3;
    const int(*wd)[2] = quick ? wd_quick : wd_full;
    const int n_wd = quick ? 2 : 3;
    a = ss_malloc_array((size_t)1024 * 4096, sizeof(float)); /* largest m*k and m*n */
    c = ss_malloc_array((size_t)1024 * 4096, sizeof(float));
    if (!a || !c)
        goto done;
    fill_uniform(a, (size_t)1024 * 4096, &seed);
    for (int i = 0; i < n_sq; i++) {
        model_calib_shape *s = &out->gemm[out->n_gemm++];
        *s = (model_calib_shape){sq[i], sq[i], sq[i], 0, 0};
        s->seconds = time_gemm(cfg, reps, s->m, s->n, s->k, a, buf, c);
        s->rate = 2.0 * s->m * s->n * s->k / s->seconds;
    }
    for (int t = 0; t < n_tok; t++)
        for (int w = 0; w < n_wd; w++) {
            model_calib_shape *s = &out->gemm[out->n_gemm++];
            *s = (model_calib_shape){tok[t], wd[w][0], wd[w][1], 0, 0};
            s->seconds = time_gemm(cfg, reps, s->m, s->n, s->k, a, buf, c);
            s->rate = 2.0 * s->m * s->n * s->k / s->seconds;
        }
    out->n_gemm_square = n_sq;

    /* sgemv over every (n, k) matrix tiling the whole buffer in turn, so
     * each call reads weights that are not in any cache (decode). */
    static const int gv[][2] = {{1024, 1024}, {4096, 1024}, {1024, 4096}, {3072, 1024},
                                {8192, 2048}};
    for (size_t i = 0; i < sizeof gv / sizeof gv[0]; i++) {
        const int n = gv[i][0], k = gv[i][1];
        const size_t per = (size_t)n * k, count = buf_floats / per;
        double best = INFINITY;
        for (int r = 0; r < reps; r++) {
            double t0 = cfg->now();
            for (size_t j = 0; j < count; j++)
                model_blas_gemm(1, n, k, 1.0f, a, buf + j * per, 0.0f, c);
            double t = cfg->now() - t0;
            if (t < best)
                best = t;
        }
        model_calib_shape *s = &out->gemv[out->n_gemv++];
        *s = (model_calib_shape){1, n, k, best, 4.0 * (double)(per * count) / best};
    }

    /* STREAM triad over three thirds of the two buffers (a = b + s*c). */
    {
        const size_t n3 = buf_floats / 2;
        float *ta = dst, *tb = buf, *tc = buf + n3;
        const float s = 0.5f;
        double best = INFINITY;
        for (int r = 0; r < reps; r++) {
            double t0 = cfg->now();
            for (size_t i = 0; i < n3; i++)
                ta[i] = tb[i] + s * tc[i];
            double t = cfg->now() - t0;
            if (t < best)
                best = t;
        }
        out->triad_bytes_per_s = 12.0 * (double)n3 / best;
    }
    {
        double best = INFINITY;
        for (int r = 0; r < reps; r++) {
            double t0 = cfg->now();
            memcpy(dst, buf, buf_floats * sizeof(float));
            double t = cfg->now() - t0;
            if (t < best)
                best = t;
        }
        out->memcpy_bytes_per_s = (double)(buf_floats * sizeof(float)) / best;
    }
    /* per-call overhead: a 16x16 sgemv, in cache, many times */
    {
        const int calls = quick ? 2000 : 20000;
        double best = INFINITY;
        for (int r = 0; r < reps; r++) {
            double t0 = cfg->now();
            for (int i = 0; i < calls; i++)
                model_blas_gemm(1, 16, 16, 1.0f, a, buf, 0.0f, c);
            double t = (cfg->now() - t0) / calls;
            if (t < best)
                best = t;
        }
        out->call_overhead_s = best;
    }
    if ((st = measure_forward(cfg, reps, out)) != SS_OK)
        goto done;
    derive(out);
    st = SS_OK;
done:
    ss_free(a);
    ss_free(c);
    ss_free(buf);
    ss_free(dst);
    return st;
}

static void keep_max(double *a, double b) { *a = b > *a ? b : *a; }

void model_calib_merge(model_calibration *best, const model_calibration *next)
{
    for (int i = 0; i < best->n_gemm && i < next->n_gemm; i++)
        if (next->gemm[i].rate > best->gemm[i].rate)
            best->gemm[i] = next->gemm[i];
    for (int i = 0; i < best->n_gemv && i < next->n_gemv; i++)
        if (next->gemv[i].rate > best->gemv[i].rate)
            best->gemv[i] = next->gemv[i];
    keep_max(&best->triad_bytes_per_s, next->triad_bytes_per_s);
    keep_max(&best->fwd_prefill_flops_per_s, next->fwd_prefill_flops_per_s);
    keep_max(&best->fwd_decode_bytes_per_s, next->fwd_decode_bytes_per_s);
    keep_max(&best->memcpy_bytes_per_s, next->memcpy_bytes_per_s);
    /* the fastest attention probe that measured anything (0: none did) */
    if (next->fwd_attn_s_per_head_pos > 0 &&
        (best->fwd_attn_s_per_head_pos <= 0 ||
         next->fwd_attn_s_per_head_pos < best->fwd_attn_s_per_head_pos))
        best->fwd_attn_s_per_head_pos = next->fwd_attn_s_per_head_pos;
    if (next->call_overhead_s < best->call_overhead_s)
        best->call_overhead_s = next->call_overhead_s;
    derive(best);
}

static double clamp_eff(double x) { return x > 1.0 ? 1.0 : x; }

model_device model_calib_device(const model_calibration *c)
{
    double bw = c->triad_bytes_per_s > c->gemv_best_bytes_per_s ? c->triad_bytes_per_s
                                                                 : c->gemv_best_bytes_per_s;
    model_device d = {
        .peak_flops = c->gemm_peak_flops,
        .compute_eff =
            c->gemm_peak_flops > 0 ? clamp_eff(c->fwd_prefill_flops_per_s / c->gemm_peak_flops)
                                   : 0,
        .mem_bw_bytes_per_s = bw,
        .bw_eff = bw > 0 ? clamp_eff(c->fwd_decode_bytes_per_s / bw) : 0,
        .overhead_s = c->call_overhead_s,
        .attn_s_per_head_pos = c->fwd_attn_s_per_head_pos > 0 ? c->fwd_attn_s_per_head_pos : 0,
    };
    return d;
}
