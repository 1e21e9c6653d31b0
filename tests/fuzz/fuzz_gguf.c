/* fuzz_gguf.c - GGUF files: the reader (model_gguf.h) with every getter a
 * consumer uses, each tensor converted to floats, the tokenizer section,
 * then the same bytes through the registry (model_load_any), which builds
 * a llama net from a GGUF file. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "model_gguf.h"
#include "model_loader.h"
#include "model_net.h"
#include "model_tokenizer.h"

static void read_all(const model_gguf *g, uint64_t file_bytes)
{
    char err[512];
    for (int i = 0; i < model_gguf_n_kv(g); i++) {
        const char *key = model_gguf_kv_key(g, i);
        fuzz_check(key != NULL, "no key");
        model_gguf_type type, elem;
        uint64_t n = 0;
        fuzz_check(model_gguf_kv_type(g, key, &type, &elem, &n) == SS_OK, "listed key missing");
        uint32_t u;
        float f;
        const char *s;
        uint64_t len;
        (void)model_gguf_get_u32(g, key, &u, err, sizeof err);
        (void)model_gguf_get_f32(g, key, &f, err, sizeof err);
        (void)model_gguf_get_str(g, key, &s, &len, err, sizeof err);
        if (type != MODEL_GGUF_ARRAY || n > 4096)
            continue;
        const char *const *strs;
        const uint64_t *lens;
        (void)model_gguf_get_str_array(g, key, &strs, &lens, &n, err, sizeof err);
        static float fa[4096]; /* static: ASan would poison 32 KB of stack per key */
        static int32_t ia[4096];
        (void)model_gguf_get_f32_array(g, key, fa, n, err, sizeof err);
        (void)model_gguf_get_i32_array(g, key, ia, n, err, sizeof err);
    }
    for (int i = 0; i < model_gguf_n_tensors(g); i++) {
        const model_gguf_tensor *t = model_gguf_tensor_at(g, i);
        fuzz_check(t && model_gguf_find_tensor(g, t->name) == t, "tensor lookup");
        fuzz_check(t->n_bytes <= file_bytes && t->offset <= file_bytes, "tensor outside the file");
        if (t->type != MODEL_GGUF_TENSOR_F32 && t->type != MODEL_GGUF_TENSOR_F16)
            continue;
        float *out = malloc((size_t)t->n_elems * sizeof *out + 1);
        fuzz_check(out != NULL, "malloc");
        (void)model_gguf_tensor_f32(t, out, t->n_elems, err, sizeof err);
        free(out);
    }
    model_gguf_vocab v;
    if (model_gguf_vocab_init(g, &v, err, sizeof err) == SS_OK) {
        model_tokenizer *tok = NULL;
        if (v.n_vocab <= 1u << 24 &&
            model_tokenizer_create((int)v.n_vocab, v.tokens, v.token_lens, v.scores, &tok, err,
                                   sizeof err) == SS_OK) {
            int32_t ids[16];
            int n = 0;
            (void)model_tokenizer_encode(tok, "a b", true, true, ids, 16, &n);
            model_tokenizer_destroy(tok);
        }
        model_gguf_vocab_fini(&v);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("model.gguf", data, size);
    char err[1024];
    model_gguf *g = NULL;
    ss_status st = model_gguf_open(path, &g, err, sizeof err);
    fuzz_note("gguf", st == SS_OK ? "accepted" : err);
    if (st == SS_OK) {
        read_all(g, size);
        model_gguf_close(g);
    } else {
        fuzz_check(g == NULL && err[0], "a rejection without a message or with a result");
    }
    model_net *net = NULL;
    const model_loader *used = NULL;
    st = model_load_any(path, &net, &used, err, sizeof err);
    fuzz_note("registry", st == SS_OK ? "accepted" : err);
    if (st == SS_OK) {
        fuzz_check(net != NULL, "no net");
        fuzz_net_forward(net);
    }
    else
        fuzz_check(net == NULL && err[0], "a rejection without a message or with a result");
    model_net_destroy(net);
    return 0;
}
