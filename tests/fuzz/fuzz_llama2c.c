/* fuzz_llama2c.c - llama2.c checkpoints: legacy v0 (model_llama2c_load, then
 * the net built from it) and the versioned v1/v2 exports
 * (model_llama2c_v1_load_net). An accepted checkpoint must be consistent
 * with its file: n_floats within the bytes read. */
#include "fuzz_util.h"
#include "model_llama2c.h"
#include "model_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("model.bin", data, size);
    char err[1024];
    model_llama2c *ck = NULL;
    ss_status st = model_llama2c_load(path, &ck, err, sizeof err);
    fuzz_note("llama2c v0", st == SS_OK ? "accepted" : err);
    if (st == SS_OK) {
        fuzz_check(ck->n_floats * 4 + MODEL_LLAMA2C_HEADER_BYTES == size, "size mismatch");
        model_llama2c_destroy(ck);
        model_net *net = NULL;
        fuzz_check(model_llama2c_load_net(path, &net, err, sizeof err) == SS_OK,
                   "the net of an accepted checkpoint was refused");
        fuzz_net_forward(net);
        model_net_destroy(net);
    } else {
        fuzz_check(ck == NULL && err[0], "a rejection without a message or with a result");
    }
    model_net *net = NULL;
    st = model_llama2c_v1_load_net(path, &net, err, sizeof err);
    fuzz_note("llama2c v1/v2", st == SS_OK ? "accepted" : err);
    if (st == SS_OK) {
        fuzz_check(net != NULL, "no net");
        fuzz_net_forward(net);
    }
    model_net_destroy(net);
    return 0;
}
