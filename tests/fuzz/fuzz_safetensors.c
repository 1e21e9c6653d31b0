/* fuzz_safetensors.c - safetensors files: the reader (model_safetensors.h),
 * every tensor converted, the metadata looked up, then the same bytes
 * through the registry (model_load_any), with a config.json beside the file
 * describing the tiny llama of the seed corpus (the Hugging Face path reads
 * it; the MNIST CNN path does not). */
#include <stdlib.h>

#include "fuzz_util.h"
#include "model_loader.h"
#include "model_net.h"
#include "model_safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_hf_config();
    const char *path = fuzz_write("model.safetensors", data, size);
    char err[1024];
    model_st_file *f = NULL;
    ss_status st = model_st_open(path, &f, err, sizeof err);
    fuzz_note("safetensors", st == SS_OK ? "accepted" : err);
    if (st == SS_OK) {
        for (int i = 0; i < model_st_n_tensors(f); i++) {
            const model_st_tensor *t = model_st_tensor_at(f, i);
            fuzz_check(t && model_st_find(f, t->name) == t, "tensor lookup");
            fuzz_check(t->n_bytes <= size, "tensor larger than the file");
            void *out = malloc((size_t)t->n_elems * 8 + 1);
            fuzz_check(out != NULL, "malloc");
            if (t->dtype == MODEL_ST_I64)
                (void)model_st_to_i64(t, out, t->n_elems, err, sizeof err);
            else
                (void)model_st_to_f32(t, out, t->n_elems, err, sizeof err);
            free(out);
        }
        (void)model_st_metadata(f, "format");
        model_st_close(f);
    } else {
        fuzz_check(f == NULL && err[0], "a rejection without a message or with a result");
    }
    model_net *net = NULL;
    st = model_load_any(path, &net, NULL, err, sizeof err);
    fuzz_note("registry", st == SS_OK ? "accepted" : err);
    if (st == SS_OK) {
        fuzz_check(net != NULL, "no net");
        fuzz_net_forward(net);
    }
    model_net_destroy(net);
    return 0;
}
