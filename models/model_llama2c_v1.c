/* model_llama2c_v1.c - llama2.c's versioned exports (export.py --version 1/2).
 *
 * Header, 256 bytes: u32 magic 0x616b3432, i32 version, 7 i32 (dim,
 * hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), u8
 * shared_classifier, then for v2 an i32 group_size, zero padding.
 * v1 body, float32: rms_att (all layers), rms_ffn, rms_final, token
 * embedding, wq, wk, wv, wo, w1, w2, w3 (each all layers), wcls when not
 * shared. v2 body: the three norm arrays in float32, then every matrix
 * (token embedding, then per layer wq..., w1, w2, w3, then wcls) as
 * int8[n] followed by float32 scales[n / group_size] (Q8_0, runq.c), which
 * are dequantized here exactly as runq.c does: w[i] = q[i] * s[i / gs].
 * No RoPE tables. Everything is validated before any float is used: the
 * header against model_llama.h's limits, every size in uint64 with overflow
 * checks, the exact file size, finite values.
 */
#include <math.h>
#include <string.h>

#include "model_io.h"
#include "model_llama2c.h"
#include "ss_alloc.h"

/* a += b * c in uint64; 0 on overflow. */
static int add_mul(uint64_t *a, uint64_t b, uint64_t c)
{
    uint64_t p;
    return !__builtin_mul_overflow(b, c, &p) && !__builtin_add_overflow(*a, p, a);
}

static float le_f32(const unsigned char *p)
{
    return model_io_f32_from_bits(model_io_le32(p));
}

/* Reads v1/v2 into the float32 layout of model_llama_weights. */
static ss_status parse(const char *path, const unsigned char *b, uint64_t size,
                       model_llama_config *c, float **out_buf, model_llama_weights *w, char *err,
                       size_t errlen)
{
    *out_buf = NULL;
    if (size < MODEL_LLAMA2C_V1_HEADER_BYTES)
        return ss_err(err, errlen, SS_EPARSE,
                      "%s: byte offset %llu: truncated header: expected %d bytes, got %llu", path,
                      (unsigned long long)size, MODEL_LLAMA2C_V1_HEADER_BYTES,
                      (unsigned long long)size);
    if (model_io_le32(b) != MODEL_LLAMA2C_MAGIC)
        return ss_err(err, errlen, SS_EPARSE,
                      "%s: byte offset 0: expected magic 0x%08x, got 0x%08x", path,
                      MODEL_LLAMA2C_MAGIC, (unsigned)model_io_le32(b));
    int32_t version = (int32_t)model_io_le32(b + 4);
    if (version != 1 && version != 2)
        return ss_err(err, errlen, SS_EVERSION,
                      "%s: byte offset 4: expected version 1 or 2, got %d", path, (int)version);
    int32_t h[7];
    for (int i = 0; i < 7; i++)
        h[i] = (int32_t)model_io_le32(b + 8 + 4 * i);
    static const char *const names[7] = {"dim",        "hidden_dim", "n_layers", "n_heads",
                                         "n_kv_heads", "vocab_size", "seq_len"};
    for (int i = 0; i < 7; i++)
        if (h[i] <= 0)
            return ss_err(err, errlen, SS_ESCHEMA,
                          "%s: byte offset %d: %s: expected a positive int32, got %d", path,
                          8 + 4 * i, names[i], (int)h[i]);
    unsigned shared = b[36];
    if (shared > 1)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: byte offset 36: shared_classifier: expected 0 or 1, got %u", path,
                      shared);
    *c = (model_llama_config){.dim = h[0],
                              .hidden_dim = h[1],
                              .n_layers = h[2],
                              .n_heads = h[3],
                              .n_kv_heads = h[4],
                              .vocab_size = h[5],
                              .seq_len = h[6],
                              .shared_classifier = shared == 1};
    char why[160];
    ss_status st = model_llama_config_check(c, why, sizeof why);
    if (st != SS_OK)
        return ss_err(err, errlen, st, "%s: header: %s", path, why);
    int32_t gs = version == 2 ? (int32_t)model_io_le32(b + 37) : 0;
    /* Every matrix has a dim-sized factor, so gs | dim makes every group
     * whole. hidden_dim need not be a multiple: runq.c re-quantizes the
     * activations in groups, we only dequantize the weights. */
    if (version == 2 && (gs <= 0 || c->dim % gs != 0))
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: byte offset 37: group_size: expected a positive divisor of dim %d, "
                      "got %d",
                      path, c->dim, (int)gs);
    const uint64_t dim = (uint64_t)c->dim, hid = (uint64_t)c->hidden_dim,
                   nl = (uint64_t)c->n_layers;
    const uint64_t voc = (uint64_t)c->vocab_size;
    const uint64_t kv = dim / (uint64_t)c->n_heads * (uint64_t)c->n_kv_heads;
    /* the model_llama.h limits keep these far from overflow; checked anyway */
    enum { T_EMB, T_WQ, T_WK, T_WV, T_WO, T_W1, T_W2, T_W3, T_CLS, T_N };
    const uint64_t per[T_N] = {voc * dim, dim * dim, kv * dim,  kv * dim, dim * dim,
                               hid * dim, dim * hid, hid * dim, voc * dim};
    const uint64_t count[T_N] = {1, nl, nl, nl, nl, nl, nl, nl, c->shared_classifier ? 0 : 1};
    /* float layout: norms first (as stored), then the matrices */
    uint64_t floats = 0, body = 0;
    int ok = add_mul(&floats, 2 * nl + 1, dim);
    ok &= add_mul(&body, 4 * (2 * nl + 1), dim);
    for (int t = 0; t < T_N; t++) {
        ok &= add_mul(&floats, count[t], per[t]);
        /* v1: 4 bytes each; v2: 1 byte each + 4 per group */
        ok &= add_mul(&body, count[t],
                      version == 1 ? 4 * per[t] : per[t] + 4 * (per[t] / (uint64_t)gs));
    }
    uint64_t want = body;
    if (!ok || __builtin_add_overflow(want, (uint64_t)MODEL_LLAMA2C_V1_HEADER_BYTES, &want))
        return ss_err(err, errlen, SS_ERANGE, "%s: byte offset 8: header sizes overflow uint64",
                      path);
    if (size != want)
        return ss_err(err, errlen, SS_EPARSE,
                      "%s: byte offset %llu: %s: expected %llu bytes for the layout the v%d header "
                      "describes, got %llu",
                      path, (unsigned long long)(size < want ? size : want),
                      size < want ? "truncated" : "trailing bytes", (unsigned long long)want,
                      (int)version, (unsigned long long)size);
    float *f = ss_malloc_array((size_t)floats, sizeof *f);
    if (!f)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory for %llu floats", path,
                      (unsigned long long)floats);
    const unsigned char *p = b + MODEL_LLAMA2C_V1_HEADER_BYTES;
    uint64_t n_norm = (2 * nl + 1) * dim;
    for (uint64_t i = 0; i < n_norm; i++, p += 4)
        f[i] = le_f32(p);
    float *dst = f + n_norm, *start[T_N];
    for (int t = 0; t < T_N; t++) {
        start[t] = dst;
        for (uint64_t k = 0; k < count[t]; k++) {
            if (version == 1) {
                for (uint64_t i = 0; i < per[t]; i++, p += 4)
                    dst[i] = le_f32(p);
            } else {
                const unsigned char *q = p, *s = p + per[t];
                for (uint64_t i = 0; i < per[t]; i++)
                    dst[i] = (float)(int8_t)q[i] * le_f32(s + 4 * (i / (uint64_t)gs));
                p += per[t] + 4 * (per[t] / (uint64_t)gs);
            }
            dst += per[t];
        }
    }
    /* W09: non-finite weights (or Q8 scales) poison every metric */
    for (uint64_t i = 0; i < floats; i++)
        if (!isfinite(f[i])) {
            const char *what = isnan(f[i]) ? "NaN" : "Inf";
            ss_free(f);
            return ss_err(err, errlen, SS_ENUMERIC,
                          "%s: weight %llu (float32 layout order): expected a finite value, got %s",
                          path, (unsigned long long)i, what);
        }
    *w = (model_llama_weights){
        .rms_att_weight = f,
        .rms_ffn_weight = f + nl * dim,
        .rms_final_weight = f + 2 * nl * dim,
        .token_embedding_table = start[T_EMB],
        .wq = start[T_WQ],
        .wk = start[T_WK],
        .wv = start[T_WV],
        .wo = start[T_WO],
        .w1 = start[T_W1],
        .w2 = start[T_W2],
        .w3 = start[T_W3],
        .wcls = c->shared_classifier ? start[T_EMB] : start[T_CLS],
    };
    *out_buf = f;
    return SS_OK;
}

ss_status model_llama2c_v1_load_net(const char *path, model_net **out, char *err, size_t errlen)
{
    *out = NULL;
    model_io_file io;
    ss_status st = model_io_open(path, MODEL_LLAMA2C_MAX_FILE_BYTES, &io, err, errlen);
    if (st != SS_OK)
        return st;
    unsigned char *b = NULL;
    float *f = NULL;
    model_llama_config c;
    model_llama_weights w;
    if ((st = model_io_read_all(&io, path, &b, err, errlen)) == SS_OK &&
        (st = parse(path, b, io.size_bytes, &c, &f, &w, err, errlen)) == SS_OK &&
        (st = model_llama_create(&c, &w, out)) != SS_OK)
        ss_err(err, errlen, st, "%s: cannot build the transformer: %s", path, ss_strerror(st));
    model_io_close(&io);
    ss_free(b);
    ss_free(f);
    return st;
}
