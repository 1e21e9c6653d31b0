/* model_llama.c - Llama-2 forward pass over a span of layers, per-span KV cache.
 *
 * One token (decode) goes through cblas_sgemv; n tokens (prefill) through
 * cblas_sgemm over all rows at once, with causal attention inside the chunk.
 * The math mirrors llama2.c's forward() step for step (same RMSNorm, RoPE,
 * softmax and SwiGLU formulas in float) so only the summation order of the
 * dot products differs from it.
 *
 * Kernel choice by size: every weight product goes through BLAS (measured
 * on this host, OpenBLAS's Zen sgemv beats a plain loop even for the 64x64
 * wo of stories260K). Attention is different: with an 8-wide head a BLAS
 * call per head costs more than its arithmetic (bench_llama: 5.8k vs 8.5k
 * tokens/s), so heads narrower than SMALL_HEAD_SIZE use plain loops
 * accumulating in llama2.c's order; wider heads use sgemv/sgemm.
 */
#include "model_llama.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "model_net_int.h"
#include "ss_alloc.h"

/* Attention of one head with fewer dims than this uses loops, not BLAS. */
#define SMALL_HEAD_SIZE 32
/* Prefill attention with wide heads handles rows in blocks of this many. */
#define ATT_ROWS 64

typedef struct llama_impl {
    model_llama_config cfg;
    int head_size, kv_dim, kv_mul, qkv_dim;
    float *mem;                   /* owns every tensor below except rope_* */
    float *token_embedding_table; // (vocab_size, dim)
    float *rms_att_weight;        // (n_layers, dim)
    float *wqkv;                  // (n_layers, dim + 2 * kv_dim, dim): rows of wq, wk, wv
    float *wo;                    // (n_layers, dim, dim)
    float *rms_ffn_weight;        // (n_layers, dim)
    float *w13;                   // (n_layers, 2 * hidden_dim, dim): rows of w1, then w3
    float *w2;                    // (n_layers, dim, hidden_dim)
    float *rms_final_weight;      // (dim)
    float *wcls;                  // (vocab_size, dim); aliases the embedding when shared
    float *rope_cos;              // (seq_len, head_size / 2), owned
    float *rope_sin;              // (seq_len, head_size / 2), owned
} llama_impl;

typedef struct llama_state {
    model_state_hdr hdr;
    int n_cached;        /* positions [0, n_cached) hold valid K/V */
    float *key_cache;    // (end - first, seq_len, kv_dim)
    float *value_cache;  // (end - first, seq_len, kv_dim)
    /* scratch, grown on demand to cap_items rows */
    int cap_items;
    float *xb;           // (cap_items, dim) normalised input of a sublayer
    float *qkv;          // (cap_items, qkv_dim)
    float *att;          // (cap_items, dim) attention output before wo
    float *h13;          // (cap_items, 2 * hidden_dim)
    float *scores;       // (max(cap_items, n_heads), seq_len)
} llama_state;

/* ---- config ---------------------------------------------------------------- */

static ss_status check_field(char *err, size_t errlen, const char *name, int v, int max)
{
    if (v <= 0)
        return ss_err(err, errlen, SS_ESCHEMA, "%s: expected a positive integer, got %d", name, v);
    if (v > max)
        return ss_err(err, errlen, SS_ERANGE, "%s: expected at most %d, got %d", name, max, v);
    return SS_OK;
}

ss_status model_llama_config_check(const model_llama_config *c, char *err, size_t errlen)
{
    ss_status s;
    if ((s = check_field(err, errlen, "dim", c->dim, MODEL_LLAMA_MAX_DIM)) ||
        (s = check_field(err, errlen, "hidden_dim", c->hidden_dim, MODEL_LLAMA_MAX_HIDDEN)) ||
        (s = check_field(err, errlen, "n_layers", c->n_layers, MODEL_LLAMA_MAX_LAYERS)) ||
        (s = check_field(err, errlen, "n_heads", c->n_heads, MODEL_LLAMA_MAX_HEADS)) ||
        (s = check_field(err, errlen, "n_kv_heads", c->n_kv_heads, MODEL_LLAMA_MAX_HEADS)) ||
        (s = check_field(err, errlen, "vocab_size", c->vocab_size, MODEL_LLAMA_MAX_VOCAB)) ||
        (s = check_field(err, errlen, "seq_len", c->seq_len, MODEL_LLAMA_MAX_SEQ)))
        return s;
    if (c->dim % c->n_heads != 0)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "dim: expected a multiple of n_heads (%d), got %d", c->n_heads, c->dim);
    if ((c->dim / c->n_heads) % 2 != 0)
        /* RoPE rotates pairs inside a head; an odd head_size would pair
         * the last dim of one head with the first of the next. */
        return ss_err(err, errlen, SS_ESCHEMA,
                      "dim / n_heads: expected an even head_size, got %d", c->dim / c->n_heads);
    if (c->n_kv_heads > c->n_heads || c->n_heads % c->n_kv_heads != 0)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "n_kv_heads: expected a divisor of n_heads (%d), got %d", c->n_heads,
                      c->n_kv_heads);
    return SS_OK;
}

uint64_t model_llama_layer_params(const model_llama_config *c)
{
    uint64_t dim = (uint64_t)c->dim, hid = (uint64_t)c->hidden_dim;
    uint64_t kv = dim / (uint64_t)c->n_heads * (uint64_t)c->n_kv_heads;
    /* wq, wk, wv, wo, w1, w2, w3 and the two RMSNorm weight vectors */
    return dim * dim * 2 + dim * kv * 2 + dim * hid * 3 + dim * 2;
}

uint64_t model_llama_total_params(const model_llama_config *c)
{
    uint64_t emb = (uint64_t)c->vocab_size * (uint64_t)c->dim;
    return emb * (c->shared_classifier ? 1 : 2) +
           model_llama_layer_params(c) * (uint64_t)c->n_layers + (uint64_t)c->dim;
}

/* ---- kernels ----------------------------------------------------------------- */

/* llama2.c's rmsnorm, summed in the same order. */
static void rmsnorm(float *o, const float *x, const float *weight, int size)
{
    float ss = 0.0f;
    for (int j = 0; j < size; j++)
        ss += x[j] * x[j];
    ss /= size;
    ss += 1e-5f;
    ss = 1.0f / sqrtf(ss);
    for (int j = 0; j < size; j++)
        o[j] = weight[j] * (ss * x[j]);
}

static void softmax(float *x, int size)
{
    float max_val = x[0];
    for (int i = 1; i < size; i++)
        if (x[i] > max_val)
            max_val = x[i];
    float sum = 0.0f;
    for (int i = 0; i < size; i++) {
        x[i] = expf(x[i] - max_val);
        sum += x[i];
    }
    for (int i = 0; i < size; i++)
        x[i] /= sum;
}

/* y (n, d; row stride ldy) = x (n, k) @ W^T, W (d, k) row-major; with
 * accumulate, y += instead of y = (the residual add fused into the product). */
static void matmul(float *y, int ldy, const float *x, const float *w, int n, int d, int k,
                   int accumulate)
{
    float beta = accumulate ? 1.0f : 0.0f;
    if (n == 1)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, d, k, 1.0f, w, k, x, 1, beta, y, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, d, k, 1.0f, x, k, w, k, beta, y,
                    ldy);
}

/* Rotates q (dim) and k (kv_dim) of one row at position pos, as llama2.c. */
static void rope(const llama_impl *L, float *q, float *k, int pos)
{
    int half = L->head_size / 2;
    const float *cr = L->rope_cos + (size_t)pos * half;
    const float *ci = L->rope_sin + (size_t)pos * half;
    for (int i = 0; i < L->cfg.dim; i += 2) {
        int j = (i % L->head_size) / 2;
        float fcr = cr[j], fci = ci[j];
        float v0 = q[i], v1 = q[i + 1];
        q[i] = v0 * fcr - v1 * fci;
        q[i + 1] = v0 * fci + v1 * fcr;
        if (i < L->kv_dim) {
            v0 = k[i];
            v1 = k[i + 1];
            k[i] = v0 * fcr - v1 * fci;
            k[i + 1] = v0 * fci + v1 * fcr;
        }
    }
}

/* 4 floats in one SSE register (GCC vector extension: lane-wise IEEE
 * operations, so results do not depend on the compiler's choices). */
typedef float v4f __attribute__((vector_size(16)));

static v4f load4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Dot product of two hs-long vectors in 8 interleaved partial sums (lane j
 * sums the elements i = j mod 8), added in a fixed order. */
static float dot_lanes(const float *a, const float *b, int hs)
{
    v4f lo = {0, 0, 0, 0}, hi = {0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= hs; i += 8) {
        lo += load4(a + i) * load4(b + i);
        hi += load4(a + i + 4) * load4(b + i + 4);
    }
    float tail = 0.0f;
    for (; i < hs; i++)
        tail += a[i] * b[i];
    return (((lo[0] + lo[1]) + (lo[2] + lo[3])) + ((hi[0] + hi[1]) + (hi[2] + hi[3]))) + tail;
}

/* o (hs) += a * v (hs) */
static void axpy_lanes(float *o, float a, const float *v, int hs)
{
    const v4f av = {a, a, a, a};
    int i = 0;
    for (; i + 4 <= hs; i += 4) {
        v4f r = load4(o + i) + av * load4(v + i);
        memcpy(o + i, &r, sizeof r);
    }
    for (; i < hs; i++)
        o[i] += a * v[i];
}

/* o (hs) += a[0] * v (hs), then += a[1] * v[ld], ... a[3] * v[3 ld]: four
 * axpy_lanes in a row, the same operations in the same order (same bits),
 * with o loaded and stored once instead of four times. */
static void axpy4_lanes(float *o, const float *a, const float *v, size_t ld, int hs)
{
    const v4f a0 = {a[0], a[0], a[0], a[0]}, a1 = {a[1], a[1], a[1], a[1]};
    const v4f a2 = {a[2], a[2], a[2], a[2]}, a3 = {a[3], a[3], a[3], a[3]};
    const float *v1 = v + ld, *v2 = v1 + ld, *v3 = v2 + ld;
    int i = 0;
    for (; i + 4 <= hs; i += 4) {
        v4f r = load4(o + i) + a0 * load4(v + i);
        r = r + a1 * load4(v1 + i);
        r = r + a2 * load4(v2 + i);
        r = r + a3 * load4(v3 + i);
        memcpy(o + i, &r, sizeof r);
    }
    for (; i < hs; i++) {
        float r = o[i] + a[0] * v[i];
        r = r + a[1] * v1[i];
        r = r + a[2] * v2[i];
        o[i] = r + a[3] * v3[i];
    }
}

/* Cache rows this far ahead are requested while the current one is used:
 * the loops below stream the cache from memory (the weights evict it), and
 * the hardware prefetcher alone left them well below the sgemv bandwidth. */
#define PREFETCH_ROWS 8

/* Asks for the n floats at p (one cache row) ahead of use; changes no result. */
static void prefetch_row(const float *p, int n)
{
    for (int i = 0; i < n; i += 16) /* one 64-byte line per 16 floats */
        __builtin_prefetch(p + i, 0, 0);
}

/* Decode (one row at pos) with heads of SMALL_HEAD_SIZE dims or more: one
 * pass over the cached keys and one over the values, row by row, every head
 * at once. A per-head BLAS call would instead sweep the cache n_heads times
 * with a kv_dim stride, which ran at half the memory bandwidth (bench_cost
 * at context 2000). Scores of head h live in row h of S->scores. The value
 * pass takes four rows per sweep (axpy4_lanes, same bits as one at a time).
 * Per (head x position) this streams 2 * head_size floats of cache: it is
 * bound by memory, about 55 ns per head and position on this host with
 * 64-wide heads (COST_MODEL.md). */
static void attention_decode(const llama_impl *L, llama_state *S, const float *kc,
                             const float *vc, int pos)
{
    const int hs = L->head_size, kv_dim = L->kv_dim, len = pos + 1;
    const int n_kv = L->cfg.n_kv_heads, kv_mul = L->kv_mul;
    const size_t seq = (size_t)L->cfg.seq_len;
    const float scale = sqrtf((float)hs);
    /* head h = g * kv_mul + j reads K/V head g */
    for (int t = 0; t < len; t++) {
        const float *krow = kc + (size_t)t * kv_dim;
        if (t + PREFETCH_ROWS < len)
            prefetch_row(krow + (size_t)PREFETCH_ROWS * kv_dim, kv_dim);
        for (int g = 0, h = 0; g < n_kv; g++)
            for (int j = 0; j < kv_mul; j++, h++)
                S->scores[h * seq + t] =
                    dot_lanes(S->qkv + (size_t)h * hs, krow + (size_t)g * hs, hs) / scale;
    }
    for (int h = 0; h < L->cfg.n_heads; h++)
        softmax(S->scores + h * seq, len);
    memset(S->att, 0, (size_t)L->cfg.dim * sizeof *S->att);
    int t = 0;
    for (; t + 4 <= len; t += 4) { /* four cached rows per sweep over the heads */
        const float *vrows = vc + (size_t)t * kv_dim;
        for (int r = 0; r < 4 && t + PREFETCH_ROWS + r < len; r++)
            prefetch_row(vrows + (size_t)(PREFETCH_ROWS + r) * kv_dim, kv_dim);
        for (int g = 0, h = 0; g < n_kv; g++)
            for (int j = 0; j < kv_mul; j++, h++)
                axpy4_lanes(S->att + (size_t)h * hs, S->scores + h * seq + t,
                            vrows + (size_t)g * hs, (size_t)kv_dim, hs);
    }
    for (; t < len; t++) {
        const float *vrow = vc + (size_t)t * kv_dim;
        for (int g = 0, h = 0; g < n_kv; g++)
            for (int j = 0; j < kv_mul; j++, h++)
                axpy_lanes(S->att + (size_t)h * hs, S->scores[h * seq + t],
                           vrow + (size_t)g * hs, hs);
    }
}

/* Causal attention of rows [0, n) at positions pos.. for one layer whose
 * K/V (seq_len, kv_dim) already hold positions [0, pos + n). */
static void attention(const llama_impl *L, llama_state *S, const float *kc, const float *vc,
                      int pos, int n)
{
    int hs = L->head_size, kv_dim = L->kv_dim, dim = L->cfg.dim, seq = L->cfg.seq_len;
    float scale = sqrtf((float)hs);
    if (n == 1 && hs >= SMALL_HEAD_SIZE) {
        attention_decode(L, S, kc, vc, pos);
        return;
    }
    for (int h = 0; h < L->cfg.n_heads; h++) {
        const float *kh = kc + (size_t)(h / L->kv_mul) * hs;
        const float *vh = vc + (size_t)(h / L->kv_mul) * hs;
        const float *qh = S->qkv + (size_t)h * hs;
        float *oh = S->att + (size_t)h * hs;
        if (hs >= SMALL_HEAD_SIZE) {
            /* rows in blocks of ATT_ROWS: block [r0, r1) attends positions
             * [0, pos + r1), so scores = Q_h K_h^T cover the causal triangle
             * plus each block's upper corner (computed, then zeroed), not
             * the whole (n, ctx) rectangle: half the work of a long prefill */
            for (int r0 = 0; r0 < n; r0 += ATT_ROWS) {
                const int r1 = r0 + ATT_ROWS < n ? r0 + ATT_ROWS : n, cols = pos + r1;
                float *sb = S->scores + (size_t)r0 * seq;
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r1 - r0, cols, hs, 1.0f,
                            qh + (size_t)r0 * L->qkv_dim, L->qkv_dim, kh, kv_dim, 0.0f, sb, seq);
                for (int r = r0; r < r1; r++) {
                    float *sr = S->scores + (size_t)r * seq;
                    int len = pos + r + 1;
                    for (int t = 0; t < len; t++)
                        sr[t] /= scale;
                    softmax(sr, len);
                    for (int t = len; t < cols; t++)
                        sr[t] = 0.0f;
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r1 - r0, hs, cols, 1.0f,
                            sb, seq, vh, kv_dim, 0.0f, oh + (size_t)r0 * dim, dim);
            }
            continue;
        }
        for (int r = 0; r < n; r++) {
            const float *q = qh + (size_t)r * L->qkv_dim;
            float *att = S->scores + (size_t)r * seq;
            float *o = oh + (size_t)r * dim;
            int len = pos + r + 1;
            for (int t = 0; t < len; t++) {
                const float *k = kh + (size_t)t * kv_dim;
                float score = 0.0f;
                for (int i = 0; i < hs; i++)
                    score += q[i] * k[i];
                att[t] = score / scale;
            }
            softmax(att, len);
            memset(o, 0, (size_t)hs * sizeof *o);
            for (int t = 0; t < len; t++) {
                const float *v = vh + (size_t)t * kv_dim;
                float a = att[t];
                for (int i = 0; i < hs; i++)
                    o[i] += a * v[i];
            }
        }
    }
}

/* ---- state --------------------------------------------------------------------- */

static ss_status state_reserve(const llama_impl *L, llama_state *S, int n)
{
    if (n <= S->cap_items)
        return SS_OK;
    size_t c = (size_t)n;
    const model_llama_config *cfg = &L->cfg;
    float *xb = ss_malloc_array(c * (size_t)cfg->dim, sizeof(float));
    float *qkv = ss_malloc_array(c * (size_t)L->qkv_dim, sizeof(float));
    float *att = ss_malloc_array(c * (size_t)cfg->dim, sizeof(float));
    float *h13 = ss_malloc_array(c * 2 * (size_t)cfg->hidden_dim, sizeof(float));
    /* decode keeps one row of scores per head (attention_decode) */
    size_t score_rows = c > (size_t)cfg->n_heads ? c : (size_t)cfg->n_heads;
    float *scores = ss_malloc_array(score_rows * (size_t)cfg->seq_len, sizeof(float));
    if (!xb || !qkv || !att || !h13 || !scores) {
        ss_free(xb);
        ss_free(qkv);
        ss_free(att);
        ss_free(h13);
        ss_free(scores);
        return SS_ENOMEM;
    }
    ss_free(S->xb);
    ss_free(S->qkv);
    ss_free(S->att);
    ss_free(S->h13);
    ss_free(S->scores);
    S->xb = xb;
    S->qkv = qkv;
    S->att = att;
    S->h13 = h13;
    S->scores = scores;
    S->cap_items = n;
    return SS_OK;
}

static void llama_state_destroy(model_state *st)
{
    llama_state *S = (llama_state *)st;
    if (!S)
        return;
    ss_free(S->key_cache);
    ss_free(S->value_cache);
    ss_free(S->xb);
    ss_free(S->qkv);
    ss_free(S->att);
    ss_free(S->h13);
    ss_free(S->scores);
    ss_free(S);
}

static ss_status llama_state_create(const model_net *m, int first, int end, model_state **out)
{
    const llama_impl *L = m->impl;
    llama_state *S = ss_calloc(1, sizeof *S);
    if (!S)
        return SS_ENOMEM;
    S->hdr.net = m;
    S->hdr.first = first;
    S->hdr.end = end;
    size_t n = (size_t)(end - first) * (size_t)L->cfg.seq_len * (size_t)L->kv_dim;
    /* zeroed so that nothing uninitialised can ever reach a result */
    S->key_cache = ss_calloc(n, sizeof(float));
    S->value_cache = ss_calloc(n, sizeof(float));
    if (!S->key_cache || !S->value_cache || state_reserve(L, S, 1) != SS_OK) {
        llama_state_destroy((model_state *)S);
        return SS_ENOMEM;
    }
    *out = (model_state *)S;
    return SS_OK;
}

static void llama_state_reset(model_state *st)
{
    ((llama_state *)st)->n_cached = 0;
}

static uint64_t llama_state_bytes(const model_state *st)
{
    const llama_state *S = (const llama_state *)st;
    const llama_impl *L = S->hdr.net->impl;
    return (uint64_t)S->n_cached * (uint64_t)(S->hdr.end - S->hdr.first) * 2u *
           (uint64_t)L->kv_dim * sizeof(float);
}

/* ---- ops ----------------------------------------------------------------------- */

static ss_status llama_embed(const model_net *m, int n_items, const int32_t *tokens,
                             const float *raw, float *out)
{
    const llama_impl *L = m->impl;
    if (!tokens)
        return SS_EINVAL;
    for (int r = 0; r < n_items; r++)
        if (tokens[r] < 0 || tokens[r] >= L->cfg.vocab_size)
            return SS_ERANGE;
    size_t dim = (size_t)L->cfg.dim;
    for (int r = 0; r < n_items; r++)
        memcpy(out + r * dim, L->token_embedding_table + (size_t)tokens[r] * dim,
               dim * sizeof *out);
    return SS_OK;
}

static ss_status llama_span_forward(const model_net *m, model_state *st, int first, int end,
                                    int pos, int n, const float *in, float *out)
{
    const llama_impl *L = m->impl;
    llama_state *S = (llama_state *)st;
    if (!S)
        return SS_EINVAL; /* a transformer span always needs its KV cache */
    if (pos > S->n_cached)
        return SS_EINVAL; /* positions must be filled in order, no holes */
    ss_status s = state_reserve(L, S, n);
    if (s != SS_OK)
        return s;
    const model_llama_config *c = &L->cfg;
    int dim = c->dim, hid = c->hidden_dim, kv_dim = L->kv_dim, qkv_dim = L->qkv_dim;
    size_t cache_layer = (size_t)c->seq_len * (size_t)kv_dim;
    float *x = out; // (n, dim) the residual stream, updated in place
    memcpy(x, in, (size_t)n * (size_t)dim * sizeof *x);

    for (int l = first; l < end; l++) {
        size_t lo = (size_t)l;
        float *kc = S->key_cache + (size_t)(l - first) * cache_layer;
        float *vc = S->value_cache + (size_t)(l - first) * cache_layer;

        for (int r = 0; r < n; r++)
            rmsnorm(S->xb + (size_t)r * dim, x + (size_t)r * dim, L->rms_att_weight + lo * dim,
                    dim);
        matmul(S->qkv, qkv_dim, S->xb, L->wqkv + lo * (size_t)qkv_dim * dim, n, qkv_dim, dim, 0);
        for (int r = 0; r < n; r++) {
            float *q = S->qkv + (size_t)r * qkv_dim;
            rope(L, q, q + dim, pos + r);
            memcpy(kc + (size_t)(pos + r) * kv_dim, q + dim, (size_t)kv_dim * sizeof *kc);
            memcpy(vc + (size_t)(pos + r) * kv_dim, q + dim + kv_dim, (size_t)kv_dim * sizeof *vc);
        }
        attention(L, S, kc, vc, pos, n);
        matmul(x, dim, S->att, L->wo + lo * dim * dim, n, dim, dim, 1);

        for (int r = 0; r < n; r++)
            rmsnorm(S->xb + (size_t)r * dim, x + (size_t)r * dim, L->rms_ffn_weight + lo * dim,
                    dim);
        matmul(S->h13, 2 * hid, S->xb, L->w13 + lo * 2 * (size_t)hid * dim, n, 2 * hid, dim, 0);
        for (int r = 0; r < n; r++) {
            /* SwiGLU: silu(w1 x) * (w3 x), written as llama2.c does */
            float *h1 = S->h13 + (size_t)r * 2 * hid, *h3 = h1 + hid;
            float *hb = S->h13 + (size_t)r * hid; /* packs in place: r*hid <= r*2*hid */
            for (int i = 0; i < hid; i++) {
                float val = h1[i];
                val *= (1.0f / (1.0f + expf(-val)));
                val *= h3[i];
                hb[i] = val;
            }
        }
        matmul(x, dim, S->h13, L->w2 + lo * dim * hid, n, dim, hid, 1);
    }
    /* a forward at pos rewrites the session from there: later positions are
     * gone (a rerouted or rewound session replays them) */
    S->n_cached = pos + n;
    return SS_OK;
}

static ss_status llama_head(const model_net *m, int n_items, const float *act, float *out)
{
    const llama_impl *L = m->impl;
    int dim = L->cfg.dim;
    /* model_net is read-only and shared, so the head's scratch is per call */
    float *xn = ss_malloc_array((size_t)n_items * dim, sizeof(float)); // (n_items, dim)
    if (!xn)
        return SS_ENOMEM;
    for (int r = 0; r < n_items; r++)
        rmsnorm(xn + (size_t)r * dim, act + (size_t)r * dim, L->rms_final_weight, dim);
    matmul(out, L->cfg.vocab_size, xn, L->wcls, n_items, L->cfg.vocab_size, dim, 0);
    ss_free(xn);
    return SS_OK;
}

static void llama_destroy_impl(void *impl)
{
    llama_impl *L = impl;
    if (!L)
        return;
    ss_free(L->mem);
    ss_free(L->rope_cos);
    ss_free(L->rope_sin);
    ss_free(L);
}

/* Per layer: wq, wk, wv (consecutive rows of wqkv), wo, w1, w3 (rows of
 * w13), w2; then the token embedding (shared with the classifier when
 * tied) and the unshared classifier. */
static ss_status llama_map_weights(model_net *m, model_weight_fn fn, void *ctx)
{
    llama_impl *L = m->impl;
    const model_llama_config *c = &L->cfg;
    size_t dim = (size_t)c->dim, hid = (size_t)c->hidden_dim, kv = (size_t)L->kv_dim;
    size_t qkv = (size_t)L->qkv_dim, voc = (size_t)c->vocab_size;
    ss_status st = SS_OK;
    for (int l = 0; l < c->n_layers && st == SS_OK; l++) {
        float *q = L->wqkv + (size_t)l * qkv * dim, *w13 = L->w13 + (size_t)l * 2 * hid * dim;
        if ((st = fn(ctx, "wq", l, q, dim, dim)) != SS_OK ||
            (st = fn(ctx, "wk", l, q + dim * dim, kv, dim)) != SS_OK ||
            (st = fn(ctx, "wv", l, q + dim * dim + kv * dim, kv, dim)) != SS_OK ||
            (st = fn(ctx, "wo", l, L->wo + (size_t)l * dim * dim, dim, dim)) != SS_OK ||
            (st = fn(ctx, "w1", l, w13, hid, dim)) != SS_OK ||
            (st = fn(ctx, "w3", l, w13 + hid * dim, hid, dim)) != SS_OK)
            break;
        st = fn(ctx, "w2", l, L->w2 + (size_t)l * dim * hid, dim, hid);
    }
    if (st == SS_OK)
        st = fn(ctx, "token_embedding_table", -1, L->token_embedding_table, voc, dim);
    if (st == SS_OK && !c->shared_classifier)
        st = fn(ctx, "wcls", -1, L->wcls, voc, dim);
    return st;
}

static const model_net_ops llama_ops = {
    .kind = "llama",
    .embed = llama_embed,
    .span_forward = llama_span_forward,
    .head = llama_head,
    .state_create = llama_state_create,
    .state_reset = llama_state_reset,
    .state_bytes = llama_state_bytes,
    .state_destroy = llama_state_destroy,
    .destroy_impl = llama_destroy_impl,
    .map_weights = llama_map_weights,
};

/* ---- creation ------------------------------------------------------------------ */

static void copy_rows(float *dst, const float *src, size_t n_floats)
{
    memcpy(dst, src, n_floats * sizeof *dst);
}

ss_status model_llama_create(const model_llama_config *cfg, const model_llama_weights *w,
                             model_net **out)
{
    *out = NULL;
    if (!cfg || !w || model_llama_config_check(cfg, NULL, 0) != SS_OK)
        return SS_EINVAL;
    if (!w->token_embedding_table || !w->rms_att_weight || !w->wq || !w->wk || !w->wv ||
        !w->wo || !w->rms_ffn_weight || !w->w1 || !w->w2 || !w->w3 || !w->rms_final_weight ||
        (!cfg->shared_classifier && !w->wcls))
        return SS_EINVAL;

    model_net *m = ss_calloc(1, sizeof *m);
    llama_impl *L = ss_calloc(1, sizeof *L);
    model_block_desc *blocks = ss_calloc((size_t)cfg->n_layers, sizeof *blocks);
    if (!m || !L || !blocks)
        goto nomem;
    m->ops = &llama_ops;
    m->impl = L;
    m->blocks = blocks;
    L->cfg = *cfg;
    L->head_size = cfg->dim / cfg->n_heads;
    L->kv_dim = L->head_size * cfg->n_kv_heads;
    L->kv_mul = cfg->n_heads / cfg->n_kv_heads;
    L->qkv_dim = cfg->dim + 2 * L->kv_dim;

    /* Sizes fit in size_t: the config limits keep each below 2^52. */
    size_t dim = (size_t)cfg->dim, hid = (size_t)cfg->hidden_dim, nl = (size_t)cfg->n_layers;
    size_t kv = (size_t)L->kv_dim, qkv = (size_t)L->qkv_dim, voc = (size_t)cfg->vocab_size;
    size_t n_emb = voc * dim;
    size_t total = n_emb * (cfg->shared_classifier ? 1 : 2) + nl * dim * 2 + nl * qkv * dim +
                   nl * dim * dim + nl * 2 * hid * dim + nl * dim * hid + dim;
    L->mem = ss_malloc_array(total, sizeof(float));
    size_t half = (size_t)L->head_size / 2, n_rope = (size_t)cfg->seq_len * half;
    L->rope_cos = ss_malloc_array(n_rope, sizeof(float));
    L->rope_sin = ss_malloc_array(n_rope, sizeof(float));
    if (!L->mem || !L->rope_cos || !L->rope_sin)
        goto nomem;

    float *p = L->mem;
    L->token_embedding_table = p;
    p += n_emb;
    L->rms_att_weight = p;
    p += nl * dim;
    L->wqkv = p;
    p += nl * qkv * dim;
    L->wo = p;
    p += nl * dim * dim;
    L->rms_ffn_weight = p;
    p += nl * dim;
    L->w13 = p;
    p += nl * 2 * hid * dim;
    L->w2 = p;
    p += nl * dim * hid;
    L->rms_final_weight = p;
    p += dim;
    if (cfg->shared_classifier) {
        L->wcls = L->token_embedding_table;
    } else {
        L->wcls = p;
        p += n_emb;
    }

    copy_rows(L->token_embedding_table, w->token_embedding_table, n_emb);
    copy_rows(L->rms_att_weight, w->rms_att_weight, nl * dim);
    copy_rows(L->wo, w->wo, nl * dim * dim);
    copy_rows(L->rms_ffn_weight, w->rms_ffn_weight, nl * dim);
    copy_rows(L->w2, w->w2, nl * dim * hid);
    copy_rows(L->rms_final_weight, w->rms_final_weight, dim);
    if (!cfg->shared_classifier)
        copy_rows(L->wcls, w->wcls, n_emb);
    for (size_t l = 0; l < nl; l++) {
        float *dq = L->wqkv + l * qkv * dim;
        copy_rows(dq, w->wq + l * dim * dim, dim * dim);
        copy_rows(dq + dim * dim, w->wk + l * kv * dim, kv * dim);
        copy_rows(dq + dim * dim + kv * dim, w->wv + l * kv * dim, kv * dim);
        float *d13 = L->w13 + l * 2 * hid * dim;
        copy_rows(d13, w->w1 + l * hid * dim, hid * dim);
        copy_rows(d13 + hid * dim, w->w3 + l * hid * dim, hid * dim);
    }

    /* llama2.c computes these per call with the same float expressions; a
     * table gives identical values without a powf/cosf/sinf per pair. */
    for (int pos = 0; pos < cfg->seq_len; pos++)
        for (size_t j = 0; j < half; j++) {
            int head_dim = (int)(2 * j);
            float freq = 1.0f / powf(10000.0f, head_dim / (float)L->head_size);
            float val = pos * freq;
            L->rope_cos[(size_t)pos * half + j] = cosf(val);
            L->rope_sin[(size_t)pos * half + j] = sinf(val);
        }

    uint64_t mm = model_llama_layer_params(cfg) - 2 * (uint64_t)dim; /* matmul weights */
    for (int l = 0; l < cfg->n_layers; l++) {
        blocks[l].n_params = model_llama_layer_params(cfg);
        blocks[l].flops_per_item = 2.0 * (double)mm;
        /* q.k and a.v: 2 FLOPs per head dim each, for every cached position */
        blocks[l].attn_flops_per_ctx = 4.0 * (double)cfg->dim;
        blocks[l].n_attn_heads = (uint32_t)cfg->n_heads;
        blocks[l].kv_elems_per_item = 2u * (uint64_t)kv;
        blocks[l].act_in_elems = (uint32_t)cfg->dim;
        blocks[l].act_out_elems = (uint32_t)cfg->dim;
    }
    m->n_blocks = cfg->n_layers;
    m->raw_in_elems = 0;
    m->n_outputs = (uint32_t)cfg->vocab_size;
    m->seq_len = cfg->seq_len;
    *out = m;
    return SS_OK;

nomem:
    if (m && m->impl)
        model_net_destroy(m); /* frees L and blocks too */
    else {
        llama_destroy_impl(L);
        ss_free(blocks);
        ss_free(m);
    }
    return SS_ENOMEM;
}

const model_llama_config *model_llama_net_config(const model_net *m)
{
    if (!m || m->ops != &llama_ops)
        return NULL;
    return &((const llama_impl *)m->impl)->cfg;
}
