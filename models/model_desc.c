/* model_desc.c - block descriptions from presets, loaded nets, or nothing. */
#include "model_desc.h"

#include <stdio.h>
#include <string.h>

#include "ss_alloc.h"
#include "ss_json.h"

/* bytes per parameter; efficiency factors for compute and bandwidth, the
 * defaults of a device that gives none (COST_MODEL.md, "Weight formats":
 * nf4 from bitsandbytes 0.40's 3.4x batch-1 speed-up over fp16 on Ampere
 * for 3.77x fewer bytes; int8 from LLM.int8() measured on A100 at batch 1,
 * 0.804 of bf16 speed for 1.98x fewer bytes; the compute factors are
 * estimates). */
static const struct {
    const char *name;
    double bytes, compute_eff, bw_eff;
} weight_formats[] = {
    {"fp32", 4.0, 1.0, 1.0},  {"fp16", 2.0, 1.0, 1.0}, {"bf16", 2.0, 1.0, 1.0},
    {"int8", 1.01, 0.82, 0.406}, {"nf4", 0.53, 1.0, 0.9},
};

ss_status model_weight_format_bytes(const char *format, double *out)
{
    for (size_t i = 0; i < sizeof weight_formats / sizeof weight_formats[0]; i++)
        if (strcmp(format, weight_formats[i].name) == 0) {
            *out = weight_formats[i].bytes;
            return SS_OK;
        }
    return SS_ENOTFOUND;
}

ss_status model_weight_format_eff(const char *format, double *compute, double *bw)
{
    for (size_t i = 0; i < sizeof weight_formats / sizeof weight_formats[0]; i++)
        if (strcmp(format, weight_formats[i].name) == 0) {
            *compute = weight_formats[i].compute_eff;
            *bw = weight_formats[i].bw_eff;
            return SS_OK;
        }
    return SS_ENOTFOUND;
}

static ss_status format_or_err(const char *format, double *out, char *err, size_t errlen)
{
    if (model_weight_format_bytes(format, out) != SS_OK)
        return ss_err(err, errlen, SS_ENOTFOUND,
                      "unknown weight format \"%s\" (known: fp32, fp16, bf16, int8, nf4)", format);
    return SS_OK;
}

#define ARCH_CAP ((int64_t)1 << 20) /* every dimension */

/* Required integer `key`, or the first present of two spellings (HF config
 * aliases such as BLOOM's n_embed / hidden_size); both present must agree. */
static ss_status arch_int2(const ss_json_ctx *cx, const cJSON *root, const char *key,
                           const char *alias, int64_t *out)
{
    int64_t a = -1, b = -1;
    ss_status st;
    if ((st = ss_json_get_int(cx, root, "", key, SS_JSON_OPTIONAL, 1, ARCH_CAP, &a)) != SS_OK ||
        (alias &&
         (st = ss_json_get_int(cx, root, "", alias, SS_JSON_OPTIONAL, 1, ARCH_CAP, &b)) != SS_OK))
        return st;
    if (a < 0 && b < 0)
        return ss_json_errf(cx, SS_ESCHEMA, key, "missing required key%s%s%s",
                            alias ? " (or \"" : "", alias ? alias : "", alias ? "\")" : "");
    if (a >= 0 && b >= 0 && a != b)
        return ss_json_errf(cx, SS_ESCHEMA, alias, "expected the value of %s (%lld), got %lld", key,
                            (long long)a, (long long)b);
    *out = a >= 0 ? a : b;
    return SS_OK;
}

/* Llama: SwiGLU MLP (3 matrices), no biases, two RMSNorms per block. */
static ss_status arch_llama(const ss_json_ctx *cx, const cJSON *root, model_arch *out)
{
    struct {
        const char *key;
        int64_t *dst;
    } f[] = {
        {"hidden_size", &out->hidden_size},
        {"intermediate_size", &out->intermediate_size},
        {"num_hidden_layers", &out->num_hidden_layers},
        {"num_attention_heads", &out->num_attention_heads},
        {"vocab_size", &out->vocab_size},
        {"max_position_embeddings", &out->max_position_embeddings},
    };
    ss_status st;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if ((st = ss_json_get_int(cx, root, "", f[i].key, SS_JSON_REQUIRED, 1, ARCH_CAP,
                                  f[i].dst)) != SS_OK)
            return st;
    /* Older configs omit num_key_value_heads: multi-head attention. */
    out->num_key_value_heads = out->num_attention_heads;
    if ((st = ss_json_get_int(cx, root, "", "num_key_value_heads", SS_JSON_OPTIONAL, 1, ARCH_CAP,
                              &out->num_key_value_heads)) != SS_OK)
        return st;
    out->mlp_matrices = 3;
    out->linear_bias = 0;
    out->norms_per_block = 2;
    out->norm_bias = 0;
    return SS_OK;
}

/* BLOOM: multi-head attention with ALiBi (no position table: sessions are
 * capped at the 2048-token training length unless max_position_embeddings
 * is given), GELU MLP h -> 4h -> h, biases on every linear layer, two
 * LayerNorms (weight + bias) per block. Keys as in bigscience/bloom's
 * config.json: n_embed (or hidden_size), n_layer (or num_hidden_layers),
 * n_head (or num_attention_heads). */
static ss_status arch_bloom(const ss_json_ctx *cx, const cJSON *root, model_arch *out)
{
    ss_status st;
    if ((st = arch_int2(cx, root, "n_embed", "hidden_size", &out->hidden_size)) ||
        (st = arch_int2(cx, root, "n_layer", "num_hidden_layers", &out->num_hidden_layers)) ||
        (st = arch_int2(cx, root, "n_head", "num_attention_heads", &out->num_attention_heads)) ||
        (st = arch_int2(cx, root, "vocab_size", NULL, &out->vocab_size)))
        return st;
    out->max_position_embeddings = 2048;
    if ((st = ss_json_get_int(cx, root, "", "max_position_embeddings", SS_JSON_OPTIONAL, 1,
                              ARCH_CAP, &out->max_position_embeddings)) != SS_OK)
        return st;
    out->num_key_value_heads = out->num_attention_heads;
    out->intermediate_size = 4 * out->hidden_size;
    out->mlp_matrices = 2;
    out->linear_bias = 1;
    out->norms_per_block = 2;
    out->norm_bias = 1;
    return SS_OK;
}

/* Falcon: GELU MLP h -> 4h -> h (ffn_hidden_size if given), parallel
 * attention; `bias` (default false) on the linear layers; with
 * new_decoder_architecture (Falcon-40B/180B) grouped KV heads num_kv_heads
 * and two LayerNorms per block (ln_attn, ln_mlp), otherwise multi_query
 * (default true) gives one KV head and parallel_attn one LayerNorm.
 * Context: max_position_embeddings, default 2048 (FalconConfig's). */
static ss_status arch_falcon(const ss_json_ctx *cx, const cJSON *root, model_arch *out)
{
    ss_status st;
    int new_arch = 0, multi_query = 1, parallel = 1, bias = 0;
    if ((st = arch_int2(cx, root, "hidden_size", NULL, &out->hidden_size)) ||
        (st = arch_int2(cx, root, "num_hidden_layers", NULL, &out->num_hidden_layers)) ||
        (st = arch_int2(cx, root, "num_attention_heads", NULL, &out->num_attention_heads)) ||
        (st = arch_int2(cx, root, "vocab_size", NULL, &out->vocab_size)) ||
        (st = ss_json_get_bool(cx, root, "", "new_decoder_architecture", SS_JSON_OPTIONAL,
                               &new_arch)) ||
        (st = ss_json_get_bool(cx, root, "", "multi_query", SS_JSON_OPTIONAL, &multi_query)) ||
        (st = ss_json_get_bool(cx, root, "", "parallel_attn", SS_JSON_OPTIONAL, &parallel)) ||
        (st = ss_json_get_bool(cx, root, "", "bias", SS_JSON_OPTIONAL, &bias)))
        return st;
    if (new_arch) {
        if ((st = arch_int2(cx, root, "num_kv_heads", NULL, &out->num_key_value_heads)))
            return st;
    } else {
        out->num_key_value_heads = multi_query ? 1 : out->num_attention_heads;
    }
    out->intermediate_size = 4 * out->hidden_size;
    out->max_position_embeddings = 2048;
    if ((st = ss_json_get_int(cx, root, "", "ffn_hidden_size", SS_JSON_OPTIONAL, 1, ARCH_CAP,
                              &out->intermediate_size)) ||
        (st = ss_json_get_int(cx, root, "", "max_position_embeddings", SS_JSON_OPTIONAL, 1,
                              ARCH_CAP, &out->max_position_embeddings)))
        return st;
    out->mlp_matrices = 2;
    out->linear_bias = bias;
    out->norms_per_block = new_arch || !parallel ? 2 : 1;
    out->norm_bias = 1;
    return SS_OK;
}

ss_status model_arch_load(const char *dir, const char *name, model_arch *out, char *err,
                          size_t errlen)
{
    memset(out, 0, sizeof *out);
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s.json", dir, name) >= (int)sizeof path)
        return ss_err(err, errlen, SS_EINVAL, "%s: preset path too long", dir);
    cJSON *root = NULL;
    ss_status st = ss_json_load_file(path, &root, err, errlen);
    if (st == SS_ENOENT)
        return ss_err(err, errlen, SS_ENOTFOUND, "unknown model preset \"%s\" (no file %s)", name,
                      path);
    if (st != SS_OK)
        return st;
    ss_json_ctx cx = {path, err, errlen};
    if (!cJSON_IsObject(root)) {
        st = ss_json_errf(&cx, SS_ESCHEMA, "", "expected an object");
        goto done;
    }
    snprintf(out->name, sizeof out->name, "%s", name);
    if ((st = ss_json_get_string(&cx, root, "", "model_type", SS_JSON_REQUIRED, out->model_type,
                                 sizeof out->model_type)) != SS_OK)
        goto done;
    if (strcmp(out->model_type, "llama") != 0 && strcmp(out->model_type, "falcon") != 0 &&
        strcmp(out->model_type, "bloom") != 0) {
        st = ss_json_errf(&cx, SS_EUNSUPPORTED, "model_type",
                          "expected \"llama\", \"falcon\" or \"bloom\", got \"%s\"",
                          out->model_type);
        goto done;
    }
    if ((st = strcmp(out->model_type, "llama") == 0   ? arch_llama(&cx, root, out)
              : strcmp(out->model_type, "bloom") == 0 ? arch_bloom(&cx, root, out)
                                                      : arch_falcon(&cx, root, out)) != SS_OK)
        goto done;
    if (out->hidden_size % out->num_attention_heads != 0)
        st = ss_json_errf(&cx, SS_ESCHEMA, "num_attention_heads",
                          "expected a divisor of hidden_size %lld, got %lld",
                          (long long)out->hidden_size, (long long)out->num_attention_heads);
    else if (out->num_key_value_heads > out->num_attention_heads ||
             out->num_attention_heads % out->num_key_value_heads != 0)
        st = ss_json_errf(&cx, SS_ESCHEMA, "num_key_value_heads",
                          "expected a divisor of num_attention_heads %lld, got %lld",
                          (long long)out->num_attention_heads,
                          (long long)out->num_key_value_heads);
done:
    cJSON_Delete(root);
    return st;
}

static ss_status desc_alloc(model_desc *out, int n_blocks)
{
    memset(out, 0, sizeof *out);
    out->blocks = ss_calloc((size_t)n_blocks, sizeof *out->blocks);
    if (!out->blocks)
        return SS_ENOMEM;
    out->n_blocks = n_blocks;
    out->kv_bytes_per_elem = 2.0;
    out->weight_bytes_per_param = 2.0;
    out->format_compute_eff = out->format_bw_eff = 1.0;
    return SS_OK;
}

ss_status model_arch_block_matrices(const model_arch *a, model_arch_block *out, char *err,
                                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    const struct {
        const char *name;
        int64_t v;
    } dims[] = {{"hidden_size", a->hidden_size},
                {"intermediate_size", a->intermediate_size},
                {"num_attention_heads", a->num_attention_heads},
                {"num_key_value_heads", a->num_key_value_heads}};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        if (dims[i].v < 1 || dims[i].v > ARCH_CAP)
            return ss_err(err, errlen, SS_EINVAL, "%s: %s: expected 1..%lld, got %lld", a->name,
                          dims[i].name, (long long)ARCH_CAP, (long long)dims[i].v);
    if (a->hidden_size % a->num_attention_heads != 0 ||
        a->num_attention_heads % a->num_key_value_heads != 0)
        return ss_err(err, errlen, SS_EINVAL,
                      "%s: heads: expected num_key_value_heads | num_attention_heads | "
                      "hidden_size, got %lld, %lld, %lld",
                      a->name, (long long)a->num_key_value_heads,
                      (long long)a->num_attention_heads, (long long)a->hidden_size);
    if (a->mlp_matrices != 2 && a->mlp_matrices != 3)
        return ss_err(err, errlen, SS_EINVAL, "%s: mlp_matrices: expected 2 or 3, got %d",
                      a->name, a->mlp_matrices);
    if (a->norms_per_block != 1 && a->norms_per_block != 2)
        return ss_err(err, errlen, SS_EINVAL, "%s: norms_per_block: expected 1 or 2, got %d",
                      a->name, a->norms_per_block);
    /* every product below is at most 2^40 (dimensions <= 2^20): exact in
     * uint64 and in double */
    const uint64_t h = (uint64_t)a->hidden_size, ff = (uint64_t)a->intermediate_size;
    const uint64_t kv = h * (uint64_t)a->num_key_value_heads / (uint64_t)a->num_attention_heads;
    const uint64_t mlp_in = (uint64_t)a->mlp_matrices - 1; /* gate and up, or up */
    const model_arch_matrix attn[4] = {
        {"attn_q", h, h}, {"attn_k", kv, h}, {"attn_v", kv, h}, {"attn_output", h, h}};
    int n = 0;
    for (int i = 0; i < 4; i++)
        out->matrices[n++] = attn[i];
    if (a->mlp_matrices == 3)
        out->matrices[n++] = (model_arch_matrix){"ffn_gate", ff, h};
    out->matrices[n++] = (model_arch_matrix){"ffn_up", ff, h};
    out->matrices[n++] = (model_arch_matrix){"ffn_down", h, ff};
    out->n_matrices = n;
    for (int i = 0; i < n; i++)
        out->matrix_params += out->matrices[i].rows * out->matrices[i].cols;
    out->bias_params = a->linear_bias ? (h + 2 * kv) + h + mlp_in * ff + h : 0;
    out->norm_params = (uint64_t)a->norms_per_block * h * (a->norm_bias ? 2 : 1);
    out->kv_dim = kv;
    return SS_OK;
}

ss_status model_desc_from_arch(const model_arch *a, const char *format, model_desc *out,
                               char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    double wb = 0;
    model_arch_block blk;
    ss_status st = format_or_err(format, &wb, err, errlen);
    if (st != SS_OK || (st = model_arch_block_matrices(a, &blk, err, errlen)) != SS_OK)
        return st;
    if ((st = desc_alloc(out, (int)a->num_hidden_layers)) != SS_OK)
        return st;
    snprintf(out->name, sizeof out->name, "%s", a->name);
    out->weight_bytes_per_param = wb;
    model_weight_format_eff(format, &out->format_compute_eff, &out->format_bw_eff);
    out->seq_len = (int)a->max_position_embeddings;
    out->vocab = (uint32_t)a->vocab_size;
    for (int i = 0; i < out->n_blocks; i++) {
        model_block_desc *b = &out->blocks[i];
        b->n_params = blk.matrix_params + blk.bias_params + blk.norm_params;
        b->flops_per_item = 2 * (double)blk.matrix_params; /* one multiply-add per weight */
        b->attn_flops_per_ctx = 4 * (double)a->hidden_size; /* q.k and a.v over every head */
        b->n_attn_heads = (uint32_t)a->num_attention_heads;
        b->kv_elems_per_item = 2 * blk.kv_dim;
        b->act_in_elems = b->act_out_elems = (uint32_t)a->hidden_size;
    }
    return SS_OK;
}

ss_status model_desc_from_net(const model_net *net, const char *name, const char *format,
                              model_desc *out, char *err, size_t errlen)
{
    double wb = 0;
    ss_status st = format_or_err(format, &wb, err, errlen);
    if (st != SS_OK)
        return st;
    if ((st = desc_alloc(out, model_net_n_blocks(net))) != SS_OK)
        return st;
    snprintf(out->name, sizeof out->name, "%s", name);
    out->weight_bytes_per_param = wb;
    model_weight_format_eff(format, &out->format_compute_eff, &out->format_bw_eff);
    out->seq_len = model_net_seq_len(net);
    out->vocab = model_net_n_outputs(net);
    for (int i = 0; i < out->n_blocks; i++)
        out->blocks[i] = *model_net_block(net, i);
    return SS_OK;
}

ss_status model_desc_synthetic(int n_blocks, model_desc *out)
{
    if (n_blocks <= 0)
        return SS_EINVAL;
    ss_status st = desc_alloc(out, n_blocks);
    if (st == SS_OK)
        snprintf(out->name, sizeof out->name, "synthetic");
    return st;
}

double model_desc_block_weight_bytes(const model_desc *m, int i)
{
    return (double)m->blocks[i].n_params * m->weight_bytes_per_param;
}

void model_desc_fini(model_desc *m)
{
    if (!m)
        return;
    ss_free(m->blocks);
    memset(m, 0, sizeof *m);
}
