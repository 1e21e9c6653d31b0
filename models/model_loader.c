/* model_loader.c - the weight-file registry (model_loader.h): sniff, dispatch. */
#include "model_loader.h"

#include <stdio.h>
#include <string.h>

#include "model_cnn.h"
#include "model_io.h"
#include "model_llama.h"
#include "model_llama2c.h"
#include "model_llama_files.h"
#include "model_safetensors.h"

static int sniff_gguf(const unsigned char *h, size_t n, uint64_t file_bytes)
{
    (void)file_bytes;
    return n >= 4 && memcmp(h, "GGUF", 4) == 0;
}

static int sniff_llama2c_v1(const unsigned char *h, size_t n, uint64_t file_bytes)
{
    (void)file_bytes;
    return n >= 4 && model_io_le32(h) == MODEL_LLAMA2C_MAGIC;
}

static int sniff_safetensors(const unsigned char *h, size_t n, uint64_t file_bytes)
{
    (void)file_bytes; /* a header running past the end is the reader's error to report */
    if (n < 9)
        return 0;
    uint64_t len = model_io_le64(h);
    return len >= 2 && len <= MODEL_ST_MAX_HEADER_BYTES && h[8] == '{';
}

static int sniff_llama2c_v0(const unsigned char *h, size_t n, uint64_t file_bytes)
{
    (void)file_bytes;
    if (n < MODEL_LLAMA2C_HEADER_BYTES)
        return 0;
    static const int64_t max[7] = {MODEL_LLAMA_MAX_DIM,   MODEL_LLAMA_MAX_HIDDEN,
                                   MODEL_LLAMA_MAX_LAYERS, MODEL_LLAMA_MAX_HEADS,
                                   MODEL_LLAMA_MAX_HEADS, MODEL_LLAMA_MAX_VOCAB,
                                   MODEL_LLAMA_MAX_SEQ};
    for (int i = 0; i < 7; i++) {
        int64_t v = (int32_t)model_io_le32(h + 4 * i);
        if (i == 5 && v < 0) /* negative vocab_size: unshared classifier */
            v = -v;
        if (v < 1 || v > max[i])
            return 0;
    }
    return 1;
}

/* safetensors holds either a Hugging Face Llama or the MNIST CNN: the
 * tensor names say which. */
static ss_status load_safetensors(const char *path, model_net **out, char *err, size_t errlen)
{
    *out = NULL;
    model_st_file *f = NULL;
    ss_status st = model_st_open(path, &f, err, errlen);
    if (st != SS_OK)
        return st;
    int llama = model_st_find(f, MODEL_LLAMA_ST_EMBED) != NULL;
    model_st_close(f);
    return llama ? model_llama_st_load_net(path, out, err, errlen)
                 : model_cnn_load(path, out, err, errlen);
}

/* Why a file that nearly is one format is not: a safetensors header length
 * out of range, or the first llama2.c v0 header field out of range (v0 has
 * no magic, so any 28 bytes are a candidate). "" when nothing is near. */
static void near_miss(const unsigned char *h, size_t n, char *buf, size_t len)
{
    static const char *const names[7] = {"dim",      "hidden_dim", "n_layers", "n_heads",
                                         "n_kv_heads", "vocab_size", "seq_len"};
    static const int64_t max[7] = {MODEL_LLAMA_MAX_DIM,   MODEL_LLAMA_MAX_HIDDEN,
                                   MODEL_LLAMA_MAX_LAYERS, MODEL_LLAMA_MAX_HEADS,
                                   MODEL_LLAMA_MAX_HEADS, MODEL_LLAMA_MAX_VOCAB,
                                   MODEL_LLAMA_MAX_SEQ};
    buf[0] = '\0';
    if (n >= 9 && h[8] == '{') {
        snprintf(buf, len, "; as safetensors: byte offset 0: header length: expected 2..%llu, "
                 "got %llu", (unsigned long long)MODEL_ST_MAX_HEADER_BYTES,
                 (unsigned long long)model_io_le64(h));
        return;
    }
    if (n < MODEL_LLAMA2C_HEADER_BYTES)
        return;
    for (int i = 0; i < 7; i++) {
        int64_t v = (int32_t)model_io_le32(h + 4 * i), a = i == 5 && v < 0 ? -v : v;
        if (a < 1 || a > max[i]) {
            snprintf(buf, len, "; as a llama2.c v0 header: byte offset %d: %s: expected 1..%lld%s, "
                     "got %lld", 4 * i, names[i], (long long)max[i],
                     i == 5 ? " (negative: unshared classifier)" : "", (long long)v);
            return;
        }
    }
}

static const model_loader registry[] = {
    {"gguf", "GGUF (magic \"GGUF\")", sniff_gguf, model_llama_gguf_load_net},
    {"llama2c-v1", "llama2.c v1/v2 (magic \"ak42\")", sniff_llama2c_v1,
     model_llama2c_v1_load_net},
    {"safetensors", "safetensors (u64 header length, then '{')", sniff_safetensors,
     load_safetensors},
    {"llama2c", "llama2.c v0 (28-byte header of 7 int32)", sniff_llama2c_v0,
     model_llama2c_load_net},
};

int model_loader_count(void)
{
    return (int)(sizeof registry / sizeof registry[0]);
}

const model_loader *model_loader_at(int i)
{
    return i >= 0 && i < model_loader_count() ? &registry[i] : NULL;
}

const model_loader *model_loader_sniff(const unsigned char *head, size_t n, uint64_t file_bytes)
{
    for (int i = 0; i < model_loader_count(); i++)
        if (registry[i].sniff(head, n, file_bytes))
            return &registry[i];
    return NULL;
}

ss_status model_loader_find_for_file(const char *path, const model_loader **out, char *err,
                                     size_t errlen)
{
    *out = NULL;
    if (!path)
        return ss_err(err, errlen, SS_EINVAL, "(null): expected a path");
    model_io_file f;
    /* the cap is the readers' job: recognition reads 32 bytes of any size */
    ss_status st = model_io_open(path, UINT64_MAX, &f, err, errlen);
    if (st != SS_OK)
        return st;
    unsigned char head[MODEL_LOADER_SNIFF_BYTES];
    size_t n = f.size_bytes < sizeof head ? (size_t)f.size_bytes : sizeof head;
    st = n ? model_io_read_at(&f, path, 0, head, n, err, errlen) : SS_OK;
    uint64_t size = f.size_bytes;
    model_io_close(&f);
    if (st != SS_OK)
        return st;
    if ((*out = model_loader_sniff(head, n, size)) != NULL)
        return SS_OK;
    char expect[512] = "";
    size_t used = 0;
    for (int i = 0; i < model_loader_count() && used < sizeof expect; i++)
        used += (size_t)snprintf(expect + used, sizeof expect - used, "%s%s",
                                 i ? (i + 1 == model_loader_count() ? " or " : ", ") : "",
                                 registry[i].expect);
    char near[160];
    near_miss(head, n, near, sizeof near);
    return ss_err(err, errlen, SS_EPARSE,
                  "%s: unrecognised model file (%llu bytes%s): expected %s%s", path,
                  (unsigned long long)size, size ? "" : ", empty", expect, near);
}

ss_status model_load_any(const char *path, model_net **out, const model_loader **used, char *err,
                         size_t errlen)
{
    *out = NULL;
    const model_loader *l = NULL;
    ss_status st = model_loader_find_for_file(path, &l, err, errlen);
    if (used)
        *used = l;
    if (st != SS_OK)
        return st;
    return l->load_net(path, out, err, errlen);
}
