/* real_model.c - scenario.model -> description (+ network, tokenizer). */
#include "real_model.h"

#include <string.h>

#include "model_loader.h"
#include "real_weights.h"
#include "ss_alloc.h"

void real_model_fini(real_model *m)
{
    if (!m)
        return;
    model_tokenizer_destroy(m->tok);
    model_net_destroy(m->net);
    model_desc_fini(&m->desc);
    memset(m, 0, sizeof *m);
}

/* compression.weights (real_weights.h): bytes at rest per block, and in real
 * mode the round trip of every block weight matrix. */
static ss_status weights_at_rest(const scn_scenario *s, const model_arch *arch, real_model *out,
                                 char *err, size_t errlen)
{
    char e2[512];
    comp_codec c;
    ss_status st = comp_codec_parse(s->weight_codec, &c, e2, sizeof e2);
    if (st != SS_OK)
        return ss_err(err, errlen, st, "%s: compression.weights: %s", s->source_path, e2);
    uint64_t *bb = ss_calloc((size_t)out->desc.n_blocks, sizeof *bb);
    if (!bb)
        return SS_ENOMEM;
    if (arch) {
        uint64_t b = 0;
        st = real_weights_arch_block_bytes(arch, &c, &b, e2, sizeof e2);
        for (int i = 0; st == SS_OK && i < out->desc.n_blocks; i++)
            bb[i] = b;
    } else {
        st = real_weights_apply(out->net, &c, bb, NULL, e2, sizeof e2);
    }
    if (st == SS_OK)
        real_weights_set_desc(&out->desc, bb);
    else
        ss_err(err, errlen, st, "%s: compression.weights: %s", s->source_path, e2);
    ss_free(bb);
    return st;
}

ss_status real_model_load(const scn_scenario *s, const char *presets_dir, const char *model_path,
                         real_model *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const scn_model *m = &s->model;
    const char *fmt = m->weights[0] ? m->weights : "fp16";
    char e2[768];
    ss_status st = SS_EUNSUPPORTED;
    switch (m->kind) {
    case SCN_MODEL_SYNTHETIC:
        out->synthetic = 1;
        st = model_desc_synthetic(m->n_blocks, &out->desc);
        if (st != SS_OK)
            ss_err(err, errlen, st, "%s: model.synthetic: %s", s->source_path, ss_strerror(st));
        break;
    case SCN_MODEL_PRESET: {
        model_arch arch;
        if ((st = model_arch_load(presets_dir, m->preset, &arch, e2, sizeof e2)) != SS_OK) {
            ss_err(err, errlen, st, "%s: model.preset: %s", s->source_path, e2);
            break;
        }
        if ((st = model_desc_from_arch(&arch, fmt, &out->desc, e2, sizeof e2)) != SS_OK)
            ss_err(err, errlen, st, "%s: model.weights: %s", s->source_path, e2);
        else if (s->weight_codec[0])
            st = weights_at_rest(s, &arch, out, err, errlen);
        break;
    }
    case SCN_MODEL_LLAMA2C:
    case SCN_MODEL_CNN: {
        /* the file's content picks the loader (.bin, .gguf, .safetensors
         * alike); the scenario's key says which network it must hold */
        const char *path = model_path ? model_path : m->checkpoint_path;
        const char *want = m->kind == SCN_MODEL_LLAMA2C ? "llama" : "cnn";
        const model_loader *used = NULL;
        if ((st = model_load_any(path, &out->net, &used, e2, sizeof e2)) != SS_OK) {
            ss_err(err, errlen, st, "%s", e2);
            break;
        }
        if (strcmp(model_net_kind(out->net), want) != 0) {
            st = ss_err(err, errlen, SS_ESCHEMA,
                        "%s: expected the %s network the scenario's model.%s names, got a %s "
                        "network (%s file)",
                        path, want, m->kind == SCN_MODEL_LLAMA2C ? "llama2c" : "mnist_cnn",
                        model_net_kind(out->net), used->name);
            break;
        }
        if (m->kind == SCN_MODEL_LLAMA2C &&
            (st = model_tokenizer_load(m->tokenizer_path, (int)model_net_n_outputs(out->net),
                                       &out->tok, e2, sizeof e2)) != SS_OK) {
            ss_err(err, errlen, st, "%s", e2);
            break;
        }
        /* real mode computes in fp32; the weight format sets bytes in the cost model */
        st = model_desc_from_net(out->net, m->kind == SCN_MODEL_CNN ? "mnist-cnn" : "llama2c",
                                 m->weights[0] ? m->weights : "fp32", &out->desc, err, errlen);
        if (st == SS_OK && s->weight_codec[0])
            st = weights_at_rest(s, NULL, out, err, errlen);
        break;
    }
    }
    if (st != SS_OK)
        real_model_fini(out);
    return st;
}
