/* sim_model.c - scenario.model -> description (+ network, tokenizer). */
#include "sim_model.h"

#include <string.h>

#include "model_cnn.h"
#include "model_llama2c.h"

void sim_model_fini(sim_model *m)
{
    if (!m)
        return;
    model_tokenizer_destroy(m->tok);
    model_net_destroy(m->net);
    model_desc_fini(&m->desc);
    memset(m, 0, sizeof *m);
}

ss_status sim_model_load(const scn_scenario *s, const char *presets_dir, const char *model_path,
                         sim_model *out, char *err, size_t errlen)
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
        break;
    }
    case SCN_MODEL_LLAMA2C:
    case SCN_MODEL_CNN: {
        const char *path = model_path ? model_path : m->checkpoint_path;
        if (m->kind == SCN_MODEL_LLAMA2C)
            st = model_llama2c_load_net(path, &out->net, e2, sizeof e2);
        else
            st = model_cnn_load(path, &out->net, e2, sizeof e2);
        if (st != SS_OK) {
            ss_err(err, errlen, st, "%s", e2);
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
        break;
    }
    }
    if (st != SS_OK)
        sim_model_fini(out);
    return st;
}
