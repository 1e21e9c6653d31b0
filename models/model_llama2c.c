/* model_llama2c.c - llama2.c v0 checkpoint loader: validate everything
 * against the header and the fstat size first, then read and scan.
 * stories260K.bin is 1 MB; a 7B checkpoint is 27 GB (over the read cap). */
#include "model_llama2c.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss_alloc.h"

_Static_assert(sizeof(int32_t) * 7 == MODEL_LLAMA2C_HEADER_BYTES, "v0 header is 7 int32");
_Static_assert(sizeof(float) == 4, "weights are float32");

static const char *const header_names[7] = {"dim",        "hidden_dim", "n_layers", "n_heads",
                                            "n_kv_heads", "vocab_size", "seq_len"};

/* a += b * c in uint64; returns 0 on overflow. */
static int add_mul(uint64_t *a, uint64_t b, uint64_t c)
{
    uint64_t p;
    if (__builtin_mul_overflow(b, c, &p) || __builtin_add_overflow(*a, p, a))
        return 0;
    return 1;
}

/* Offsets (in floats, after the header) of each tensor, and the total. */
typedef struct layout {
    uint64_t emb, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, freq, wcls, end;
} layout;

static int compute_layout(const model_llama_config *c, layout *o)
{
    uint64_t dim = (uint64_t)c->dim, hid = (uint64_t)c->hidden_dim, nl = (uint64_t)c->n_layers;
    uint64_t hs = dim / (uint64_t)c->n_heads, kv = hs * (uint64_t)c->n_kv_heads;
    uint64_t q = hs * (uint64_t)c->n_heads, at = 0;
    int ok = 1;
    o->emb = at;
    ok &= add_mul(&at, (uint64_t)c->vocab_size, dim);
    o->rms_att = at;
    ok &= add_mul(&at, nl, dim);
    o->wq = at;
    ok &= add_mul(&at, nl * dim, q);
    o->wk = at;
    ok &= add_mul(&at, nl * dim, kv);
    o->wv = at;
    ok &= add_mul(&at, nl * dim, kv);
    o->wo = at;
    ok &= add_mul(&at, nl * q, dim);
    o->rms_ffn = at;
    ok &= add_mul(&at, nl, dim);
    o->w1 = at;
    ok &= add_mul(&at, nl * dim, hid);
    o->w2 = at;
    ok &= add_mul(&at, nl * hid, dim);
    o->w3 = at;
    ok &= add_mul(&at, nl * dim, hid);
    o->rms_final = at;
    ok &= add_mul(&at, 1, dim);
    o->freq = at;
    /* freq_cis_real and freq_cis_imag: llama2.c skips seq_len*head_size/2 twice */
    ok &= add_mul(&at, 2, (uint64_t)c->seq_len * hs / 2);
    o->wcls = at;
    if (!c->shared_classifier)
        ok &= add_mul(&at, (uint64_t)c->vocab_size, dim);
    o->end = at;
    return ok;
}

/* Reads exactly n bytes at the current offset; EIO or a short read (the file
 * shrank after fstat) is an error. */
static ss_status read_all(int fd, void *buf, size_t n, const char *path, uint64_t offset,
                          char *err, size_t errlen)
{
    unsigned char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got > ((size_t)1 << 30) ? ((size_t)1 << 30) : n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ss_err(err, errlen, SS_EIO, "%s: byte offset %llu: read failed: %s", path,
                          (unsigned long long)(offset + got), strerror(errno));
        if (r == 0)
            return ss_err(err, errlen, SS_EIO,
                          "%s: byte offset %llu: expected %zu more bytes, got end of file "
                          "(file changed while reading)",
                          path, (unsigned long long)(offset + got), n - got);
        got += (size_t)r;
    }
    return SS_OK;
}

void model_llama2c_destroy(model_llama2c *ck)
{
    if (!ck)
        return;
    ss_free(ck->data);
    ss_free(ck);
}

static ss_status check_header(const char *path, const int32_t h[7], uint64_t file_size,
                              model_llama_config *c, layout *lay, char *err, size_t errlen)
{
    /* W03: INT_MIN cannot be negated; 0 is no vocabulary. */
    if (h[5] == INT32_MIN || h[5] == 0)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: byte offset 20: vocab_size: expected a non-zero int32 other than "
                      "INT32_MIN, got %d",
                      path, (int)h[5]);
    *c = (model_llama_config){
        .dim = h[0],
        .hidden_dim = h[1],
        .n_layers = h[2],
        .n_heads = h[3],
        .n_kv_heads = h[4],
        .vocab_size = h[5] < 0 ? -h[5] : h[5],
        .seq_len = h[6],
        .shared_classifier = h[5] > 0,
    };
    for (int i = 0; i < 7; i++)
        if (i != 5 && h[i] <= 0)
            return ss_err(err, errlen, SS_ESCHEMA,
                          "%s: byte offset %d: %s: expected a positive int32, got %d", path,
                          4 * i, header_names[i], (int)h[i]);
    char why[160];
    ss_status s = model_llama_config_check(c, why, sizeof why);
    if (s != SS_OK) {
        /* name the offset of the field the message starts with */
        int field = 0;
        for (int i = 0; i < 7; i++)
            if (strncmp(why, header_names[i], strlen(header_names[i])) == 0 &&
                why[strlen(header_names[i])] == ':')
                field = i;
        if (strncmp(why, "dim / n_heads", 13) == 0)
            field = 3;
        return ss_err(err, errlen, s, "%s: byte offset %d: %s", path, 4 * field, why);
    }
    if (!compute_layout(c, lay))
        return ss_err(err, errlen, SS_ERANGE, "%s: byte offset 0: header sizes overflow uint64",
                      path);
    uint64_t want;
    if (__builtin_mul_overflow(lay->end, (uint64_t)4, &want) ||
        __builtin_add_overflow(want, (uint64_t)MODEL_LLAMA2C_HEADER_BYTES, &want))
        return ss_err(err, errlen, SS_ERANGE, "%s: byte offset 0: header sizes overflow uint64",
                      path);
    if (file_size < want)
        return ss_err(err, errlen, SS_EPARSE,
                      "%s: byte offset %llu: truncated: expected %llu bytes for the layout the "
                      "header describes (%s classifier), got %llu",
                      path, (unsigned long long)file_size, (unsigned long long)want,
                      c->shared_classifier ? "shared" : "separate",
                      (unsigned long long)file_size);
    if (file_size > want)
        return ss_err(err, errlen, SS_EPARSE,
                      "%s: byte offset %llu: expected end of file, got %llu trailing bytes",
                      path, (unsigned long long)want, (unsigned long long)(file_size - want));
    if (want > MODEL_LLAMA2C_MAX_FILE_BYTES)
        return ss_err(err, errlen, SS_ERANGE,
                      "%s: byte offset 0: expected a checkpoint of at most %llu bytes, got %llu",
                      path, (unsigned long long)MODEL_LLAMA2C_MAX_FILE_BYTES,
                      (unsigned long long)want);
    return SS_OK;
}

ss_status model_llama2c_load(const char *path, model_llama2c **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!path)
        return ss_err(err, errlen, SS_EINVAL, "(null): expected a path");
    ss_status s = SS_OK;
    model_llama2c *ck = NULL;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (W12); it has no
     * effect on the regular-file reads that follow. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return ss_err(err, errlen, errno == ENOENT ? SS_ENOENT : SS_EIO, "%s: cannot open: %s",
                      path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        s = ss_err(err, errlen, SS_EIO, "%s: fstat failed: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        s = ss_err(err, errlen, SS_EINVAL, "%s: expected a regular file, got %s", path,
                   S_ISDIR(st.st_mode) ? "a directory" : "a special file");
        goto fail;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size < MODEL_LLAMA2C_HEADER_BYTES) {
        s = ss_err(err, errlen, SS_EPARSE,
                   "%s: byte offset %llu: truncated header: expected %d bytes, got %llu", path,
                   (unsigned long long)size, MODEL_LLAMA2C_HEADER_BYTES, (unsigned long long)size);
        goto fail;
    }
    if (size % 4 != 0) {
        s = ss_err(err, errlen, SS_EPARSE,
                   "%s: byte offset %llu: expected a file size that is a multiple of 4, got %llu",
                   path, (unsigned long long)size, (unsigned long long)size);
        goto fail;
    }
    int32_t h[7];
    if ((s = read_all(fd, h, sizeof h, path, 0, err, errlen)) != SS_OK)
        goto fail;
    model_llama_config cfg = {0};
    layout lay = {0};
    if ((s = check_header(path, h, size, &cfg, &lay, err, errlen)) != SS_OK)
        goto fail;

    ck = ss_calloc(1, sizeof *ck);
    if (!ck || !(ck->data = ss_malloc_array((size_t)lay.end, sizeof(float)))) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory for %llu floats", path,
                   (unsigned long long)lay.end);
        goto fail;
    }
    ck->n_floats = lay.end;
    ck->config = cfg;
    if ((s = read_all(fd, ck->data, (size_t)lay.end * sizeof(float), path,
                      MODEL_LLAMA2C_HEADER_BYTES, err, errlen)) != SS_OK)
        goto fail;

    /* W09: NaN/Inf would silently poison every accuracy metric. The scan
     * runs in file order, so the first bad offset reported is stable. */
    for (uint64_t i = 0; i < lay.end; i++) {
        float v = ck->data[i];
        if (!isfinite(v)) {
            s = ss_err(err, errlen, SS_ENUMERIC,
                       "%s: byte offset %llu: expected a finite float32 weight, got %s", path,
                       (unsigned long long)(MODEL_LLAMA2C_HEADER_BYTES + 4 * i),
                       isnan(v) ? "NaN" : "Inf");
            goto fail;
        }
        if (fpclassify(v) == FP_SUBNORMAL)
            ck->n_subnormal++;
    }

    float *d = ck->data;
    ck->weights = (model_llama_weights){
        .token_embedding_table = d + lay.emb,
        .rms_att_weight = d + lay.rms_att,
        .wq = d + lay.wq,
        .wk = d + lay.wk,
        .wv = d + lay.wv,
        .wo = d + lay.wo,
        .rms_ffn_weight = d + lay.rms_ffn,
        .w1 = d + lay.w1,
        .w2 = d + lay.w2,
        .w3 = d + lay.w3,
        .rms_final_weight = d + lay.rms_final,
        .wcls = cfg.shared_classifier ? d + lay.emb : d + lay.wcls,
    };
    close(fd);
    *out = ck;
    return SS_OK;

fail:
    close(fd);
    model_llama2c_destroy(ck);
    return s;
}

ss_status model_llama2c_load_net(const char *path, model_net **out, char *err, size_t errlen)
{
    *out = NULL;
    model_llama2c *ck;
    ss_status s = model_llama2c_load(path, &ck, err, errlen);
    if (s != SS_OK)
        return s;
    s = model_llama_create(&ck->config, &ck->weights, out);
    if (s != SS_OK)
        ss_err(err, errlen, s, "%s: cannot build the transformer: %s", path, ss_strerror(s));
    model_llama2c_destroy(ck);
    return s;
}
