/* fuzz_loader.c - any bytes through the loader registry (model_loader.h):
 * sniffing by magic bytes, then the chosen loader (llama2.c v0/v1/v2, GGUF,
 * safetensors). The sniffers must agree with model_load_any: an accepted
 * file was recognised by exactly the loader that loaded it. */
#include "fuzz_util.h"
#include "model_loader.h"
#include "model_net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_hf_config();
    const char *path = fuzz_write("weights", data, size);
    size_t n = size < MODEL_LOADER_SNIFF_BYTES ? size : MODEL_LOADER_SNIFF_BYTES;
    const model_loader *sniffed = model_loader_sniff(data, n, size);
    int matches = 0;
    for (int i = 0; i < model_loader_count(); i++)
        matches += model_loader_at(i)->sniff(data, n, size);
    fuzz_check(matches <= 1, "two loaders recognise the same bytes");
    char err[1024];
    model_net *net = NULL;
    const model_loader *used = NULL;
    ss_status st = model_load_any(path, &net, &used, err, sizeof err);
    fuzz_note("registry", st == SS_OK ? "accepted" : err);
    if (st == SS_OK) {
        fuzz_check(net != NULL && used == sniffed, "loaded by a loader that did not sniff it");
        fuzz_net_forward(net);
    } else {
        fuzz_check(net == NULL && err[0], "a rejection without a message or with a result");
    }
    model_net_destroy(net);
    return 0;
}
