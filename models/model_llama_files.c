/* model_llama_files.c - Llama nets from GGUF and safetensors (model_llama_files.h).
 *
 * One builder fills llama2.c's layout from a tensor getter; the two formats
 * differ only in names, shape order and where the configuration lives.
 * stories260K: 1 MB of floats, one buffer, freed once the net has copied it.
 */
#include "model_llama_files.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model_desc.h"
#include "model_gguf.h"
#include "model_llama.h"
#include "model_safetensors.h"
#include "ss_alloc.h"
#include "ss_json.h"

/* Copies tensor `name`, which must be (rows) when cols == 0, else (rows,
 * cols) row-major, into dst. SS_ENOTFOUND when absent; err names the file.
 * dst NULL: only checks that the tensor is there with that shape. */
typedef ss_status (*tensor_get_fn)(void *src, const char *path, const char *name, uint64_t rows,
                                   uint64_t cols, float *dst, char *err, size_t errlen);

/* Tensor names; per-layer ones hold one %d. */
typedef struct llama_names {
    const char *emb, *att_norm, *wq, *wk, *wv, *wo, *ffn_norm, *w1, *w2, *w3, *final_norm, *cls;
} llama_names;

/* Hugging Face's rotate-half row order back to llama2.c's adjacent pairs:
 * llama2.c row h*hs + 2i + p is file row h*hs + p*hs/2 + i (export.py's
 * permute_reverse). `tmp` holds n_heads * hs * cols floats. */
static void unpermute_rope_rows(float *w, int n_heads, size_t hs, size_t cols, float *tmp)
{
    size_t n = (size_t)n_heads * hs * cols;
    memcpy(tmp, w, n * sizeof *w);
    for (size_t h = 0; h < (size_t)n_heads; h++)
        for (size_t i = 0; i < hs / 2; i++)
            for (size_t p = 0; p < 2; p++)
                memcpy(w + (h * hs + 2 * i + p) * cols, tmp + (h * hs + p * (hs / 2) + i) * cols,
                       cols * sizeof *w);
}

static ss_status check_finite(const char *path, const char *name, const float *v, uint64_t n,
                              char *err, size_t errlen)
{
    for (uint64_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return ss_err(err, errlen, SS_ENUMERIC,
                          "%s: tensor \"%s\" element %llu: expected a finite weight, got %s", path,
                          name, (unsigned long long)i, isnan(v[i]) ? "NaN" : "Inf");
    return SS_OK;
}

/* n_file_tensors: tensors in the file; every one must be used, so that a
 * layer count lower than the file's, or a misspelt extra, is an error. */
static ss_status build_llama(const char *path, model_llama_config cfg, const llama_names *nm,
                             tensor_get_fn get, void *src, int n_file_tensors, int hf_rope,
                             model_net **out, char *err, size_t errlen)
{
    char why[256];
    cfg.shared_classifier = true; /* the check ignores it; decided below */
    ss_status st = model_llama_config_check(&cfg, why, sizeof why);
    if (st != SS_OK)
        return ss_err(err, errlen, st, "%s: %s", path, why);
    /* the limits of model_llama.h keep every product below 2^63 */
    const uint64_t dim = (uint64_t)cfg.dim, hid = (uint64_t)cfg.hidden_dim;
    const uint64_t nl = (uint64_t)cfg.n_layers, voc = (uint64_t)cfg.vocab_size;
    const uint64_t hs = dim / (uint64_t)cfg.n_heads, kv = hs * (uint64_t)cfg.n_kv_heads;
    struct {
        const char *fmt;
        int layered;
        uint64_t rows, cols; /* cols 0: a vector */
        uint64_t off;        /* floats into the buffer */
    } plan[] = {
        {nm->emb, 0, voc, dim, 0},       {nm->att_norm, 1, dim, 0, 0}, {nm->wq, 1, dim, dim, 0},
        {nm->wk, 1, kv, dim, 0},         {nm->wv, 1, kv, dim, 0},      {nm->wo, 1, dim, dim, 0},
        {nm->ffn_norm, 1, dim, 0, 0},    {nm->w1, 1, hid, dim, 0},     {nm->w2, 1, dim, hid, 0},
        {nm->w3, 1, hid, dim, 0},        {nm->final_norm, 0, dim, 0, 0}, {nm->cls, 0, voc, dim, 0},
    };
    enum { P_EMB, P_ATT, P_WQ, P_WK, P_WV, P_WO, P_FFN, P_W1, P_W2, P_W3, P_FINAL, P_CLS, P_N };
    _Static_assert(sizeof plan / sizeof plan[0] == P_N, "one plan row per tensor");
    uint64_t total = 0;
    for (int i = 0; i < P_N; i++) {
        plan[i].off = total;
        total += (plan[i].layered ? nl : 1) * plan[i].rows * (plan[i].cols ? plan[i].cols : 1);
    }
    /* Every tensor present with its shape before anything is allocated: the
     * sizes come from metadata a few bytes long, so without this a 4 KB file
     * claiming 16 layers of dim 4096 had us allocate gigabytes before
     * finding its first tensor missing (fuzz_gguf). Tensors lie inside the
     * file, so what follows is bounded by its size (x2 for F16). */
    for (int i = 0; i < P_N; i++)
        for (uint64_t l = 0; l < (plan[i].layered ? nl : 1); l++) {
            char name[160];
            snprintf(name, sizeof name, plan[i].fmt, (int)l);
            st = get(src, path, name, plan[i].rows, plan[i].cols, NULL, err, errlen);
            if (i == P_CLS && st == SS_ENOTFOUND)
                break;
            if (st != SS_OK)
                return st;
        }
    float *buf = ss_malloc_array((size_t)total, sizeof *buf);
    float *tmp = ss_malloc_array((size_t)(dim * dim), sizeof *tmp);
    if (!buf || !tmp) {
        st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory for %llu floats", path,
                    (unsigned long long)total);
        goto done;
    }
    uint64_t n_used = 0;
    for (int i = 0; i < P_N; i++) {
        uint64_t per = plan[i].rows * (plan[i].cols ? plan[i].cols : 1);
        for (uint64_t l = 0; l < (plan[i].layered ? nl : 1); l++) {
            char name[160];
            snprintf(name, sizeof name, plan[i].fmt, (int)l);
            float *dst = buf + plan[i].off + l * per;
            st = get(src, path, name, plan[i].rows, plan[i].cols, dst, err, errlen);
            if (i == P_CLS && st == SS_ENOTFOUND) {
                st = SS_OK; /* no classifier of its own: tied to the embedding */
                break;
            }
            if (st != SS_OK || (st = check_finite(path, name, dst, per, err, errlen)) != SS_OK)
                goto done;
            n_used++;
            if (i == P_CLS) /* a stored copy of the embedding is the shared classifier too */
                cfg.shared_classifier = memcmp(dst, buf + plan[P_EMB].off, per * sizeof *dst) == 0;
            if (hf_rope && (i == P_WQ || i == P_WK))
                unpermute_rope_rows(dst, i == P_WQ ? cfg.n_heads : cfg.n_kv_heads, (size_t)hs,
                                    (size_t)dim, tmp);
        }
    }
    if (n_used != (uint64_t)n_file_tensors) {
        st = ss_err(err, errlen, SS_ESCHEMA,
                    "%s: expected the %llu tensors of a %d-layer llama, got %d (tensors the "
                    "configuration does not describe)",
                    path, (unsigned long long)n_used, cfg.n_layers, n_file_tensors);
        goto done;
    }
    model_llama_weights w = {
        .token_embedding_table = buf + plan[P_EMB].off,
        .rms_att_weight = buf + plan[P_ATT].off,
        .wq = buf + plan[P_WQ].off,
        .wk = buf + plan[P_WK].off,
        .wv = buf + plan[P_WV].off,
        .wo = buf + plan[P_WO].off,
        .rms_ffn_weight = buf + plan[P_FFN].off,
        .w1 = buf + plan[P_W1].off,
        .w2 = buf + plan[P_W2].off,
        .w3 = buf + plan[P_W3].off,
        .rms_final_weight = buf + plan[P_FINAL].off,
        .wcls = cfg.shared_classifier ? buf + plan[P_EMB].off : buf + plan[P_CLS].off,
    };
    if ((st = model_llama_create(&cfg, &w, out)) != SS_OK)
        ss_err(err, errlen, st, "%s: cannot build the transformer: %s", path, ss_strerror(st));
done:
    ss_free(buf);
    ss_free(tmp);
    return st;
}

/* ---- GGUF ------------------------------------------------------------------- */

static ss_status gguf_get(void *src, const char *path, const char *name, uint64_t rows,
                          uint64_t cols, float *dst, char *err, size_t errlen)
{
    const model_gguf_tensor *t = model_gguf_find_tensor(src, name);
    if (!t)
        return ss_err(err, errlen, SS_ENOTFOUND, "%s: tensor \"%s\" missing", path, name);
    /* GGUF lists ne fastest first: a (rows, cols) matrix is ne [cols, rows] */
    int ok = cols ? t->n_dims == 2 && t->ne[0] == cols && t->ne[1] == rows
                  : t->n_dims == 1 && t->ne[0] == rows;
    if (!ok)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: tensor \"%s\": expected ne [%llu%s%.0llu], got %d dims [%llu, %llu]",
                      path, name, (unsigned long long)(cols ? cols : rows), cols ? ", " : "",
                      (unsigned long long)(cols ? rows : 0), t->n_dims,
                      (unsigned long long)t->ne[0], (unsigned long long)t->ne[1]);
    if (!dst)
        return SS_OK;
    char e2[256];
    ss_status st = model_gguf_tensor_f32(t, dst, t->n_elems, e2, sizeof e2);
    return st == SS_OK ? SS_OK : ss_err(err, errlen, st, "%s: %s", path, e2);
}

/* Required u32 metadata as a positive int. */
static ss_status gguf_int(const model_gguf *g, const char *path, const char *key, int *out,
                          char *err, size_t errlen)
{
    uint32_t v = 0;
    char e2[256];
    ss_status st = model_gguf_get_u32(g, key, &v, e2, sizeof e2);
    if (st == SS_ENOTFOUND)
        return ss_err(err, errlen, st, "%s: metadata \"%s\": missing required key", path, key);
    if (st != SS_OK)
        return ss_err(err, errlen, st, "%s: %s", path, e2);
    if (v == 0 || v > INT_MAX)
        return ss_err(err, errlen, SS_ERANGE, "%s: metadata \"%s\": expected 1..%d, got %lu",
                      path, key, INT_MAX, (unsigned long)v);
    *out = (int)v;
    return SS_OK;
}

/* Optional float metadata that must equal what model_llama computes with. */
static ss_status gguf_fixed_f32(const model_gguf *g, const char *path, const char *key,
                                float want, char *err, size_t errlen)
{
    float v = 0;
    char e2[256];
    ss_status st = model_gguf_get_f32(g, key, &v, e2, sizeof e2);
    if (st == SS_ENOTFOUND)
        return SS_OK;
    if (st != SS_OK)
        return ss_err(err, errlen, st, "%s: %s", path, e2);
    if (v != want)
        return ss_err(err, errlen, SS_EUNSUPPORTED,
                      "%s: metadata \"%s\": expected %g (what the llama kernels compute with), "
                      "got %g",
                      path, key, (double)want, (double)v);
    return SS_OK;
}

ss_status model_llama_gguf_load_net(const char *path, model_net **out, char *err, size_t errlen)
{
    *out = NULL;
    model_gguf *g = NULL;
    ss_status st = model_gguf_open(path, &g, err, errlen);
    if (st != SS_OK)
        return st;
    const char *arch = NULL;
    char e2[256];
    model_llama_config c = {0};
    if ((st = model_gguf_get_str(g, "general.architecture", &arch, NULL, e2, sizeof e2)) !=
        SS_OK) {
        ss_err(err, errlen, st, "%s: general.architecture: %s", path,
               st == SS_ENOTFOUND ? "missing required key" : e2);
        goto done;
    }
    if (strcmp(arch, "llama") != 0) {
        st = ss_err(err, errlen, SS_EUNSUPPORTED,
                    "%s: general.architecture: expected \"llama\", got \"%.64s\"", path, arch);
        goto done;
    }
    if ((st = gguf_int(g, path, "llama.embedding_length", &c.dim, err, errlen)) ||
        (st = gguf_int(g, path, "llama.feed_forward_length", &c.hidden_dim, err, errlen)) ||
        (st = gguf_int(g, path, "llama.block_count", &c.n_layers, err, errlen)) ||
        (st = gguf_int(g, path, "llama.attention.head_count", &c.n_heads, err, errlen)) ||
        (st = gguf_int(g, path, "llama.context_length", &c.seq_len, err, errlen)))
        goto done;
    c.n_kv_heads = c.n_heads; /* absent: multi-head attention */
    uint32_t u = 0;
    if ((st = model_gguf_get_u32(g, "llama.attention.head_count_kv", &u, e2, sizeof e2)) ==
        SS_OK) {
        if (u == 0 || u > INT_MAX) {
            st = ss_err(err, errlen, SS_ERANGE,
                        "%s: metadata \"llama.attention.head_count_kv\": expected 1..%d, got %lu",
                        path, INT_MAX, (unsigned long)u);
            goto done;
        }
        c.n_kv_heads = (int)u;
    } else if (st != SS_ENOTFOUND) {
        ss_err(err, errlen, st, "%s: %s", path, e2);
        goto done;
    }
    if ((st = gguf_fixed_f32(g, path, "llama.attention.layer_norm_rms_epsilon", 1e-5f, err,
                             errlen)) ||
        (st = gguf_fixed_f32(g, path, "llama.rope.freq_base", 10000.0f, err, errlen)))
        goto done;
    if ((st = model_gguf_get_u32(g, "llama.rope.dimension_count", &u, e2, sizeof e2)) == SS_OK &&
        c.n_heads > 0 && (uint64_t)u * (uint64_t)c.n_heads != (uint64_t)c.dim) {
        st = ss_err(err, errlen, SS_EUNSUPPORTED,
                    "%s: metadata \"llama.rope.dimension_count\": expected the head size %d, "
                    "got %lu",
                    path, c.dim / c.n_heads, (unsigned long)u);
        goto done;
    } else if (st != SS_OK && st != SS_ENOTFOUND) {
        ss_err(err, errlen, st, "%s: %s", path, e2);
        goto done;
    }
    const model_gguf_tensor *emb = model_gguf_find_tensor(g, "token_embd.weight");
    if (!emb || emb->n_dims != 2 || emb->ne[1] > (uint64_t)MODEL_LLAMA_MAX_VOCAB) {
        st = ss_err(err, errlen, emb ? SS_ESCHEMA : SS_ENOTFOUND,
                    "%s: tensor \"token_embd.weight\": expected ne [dim, vocab] with vocab <= "
                    "%d, got %s",
                    path, MODEL_LLAMA_MAX_VOCAB, emb ? "another shape" : "nothing");
        goto done;
    }
    c.vocab_size = (int)emb->ne[1];
    static const llama_names names = {
        .emb = "token_embd.weight",
        .att_norm = "blk.%d.attn_norm.weight",
        .wq = "blk.%d.attn_q.weight",
        .wk = "blk.%d.attn_k.weight",
        .wv = "blk.%d.attn_v.weight",
        .wo = "blk.%d.attn_output.weight",
        .ffn_norm = "blk.%d.ffn_norm.weight",
        .w1 = "blk.%d.ffn_gate.weight",
        .w2 = "blk.%d.ffn_down.weight",
        .w3 = "blk.%d.ffn_up.weight",
        .final_norm = "output_norm.weight",
        .cls = "output.weight",
    };
    st = build_llama(path, c, &names, gguf_get, g, model_gguf_n_tensors(g), 0, out, err, errlen);
done:
    model_gguf_close(g);
    return st;
}

/* ---- safetensors --------------------------------------------------------------- */

static ss_status st_get(void *src, const char *path, const char *name, uint64_t rows,
                        uint64_t cols, float *dst, char *err, size_t errlen)
{
    const model_st_tensor *t = model_st_find(src, name);
    if (!t)
        return ss_err(err, errlen, SS_ENOTFOUND, "%s: tensor \"%s\" missing", path, name);
    int ok = cols ? t->rank == 2 && t->shape[0] == rows && t->shape[1] == cols
                  : t->rank == 1 && t->shape[0] == rows;
    if (!ok)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: tensor \"%s\": expected shape [%llu%s%.0llu], got rank %d [%llu, %llu]",
                      path, name, (unsigned long long)rows, cols ? ", " : "",
                      (unsigned long long)cols, t->rank, (unsigned long long)t->shape[0],
                      (unsigned long long)(t->rank > 1 ? t->shape[1] : 0));
    if (!dst)
        return SS_OK;
    char e2[256];
    ss_status st = model_st_to_f32(t, dst, t->n_elems, e2, sizeof e2);
    return st == SS_OK ? SS_OK : ss_err(err, errlen, st, "%s: %s", path, e2);
}

/* config.json next to `path`: the dimensions (model_arch_load), and the two
 * constants model_llama fixes. */
static ss_status st_config(const char *path, model_llama_config *c, char *err, size_t errlen)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path) >= (int)sizeof dir)
        return ss_err(err, errlen, SS_EINVAL, "%s: path too long", path);
    if (slash == path)
        snprintf(dir, sizeof dir, "/");
    char e2[768];
    model_arch a;
    ss_status st = model_arch_load(dir, "config", &a, e2, sizeof e2);
    if (st != SS_OK)
        return ss_err(err, errlen, st, "%s: Hugging Face config: %s", path, e2);
    if (strcmp(a.model_type, "llama") != 0)
        return ss_err(err, errlen, SS_EUNSUPPORTED,
                      "%s: %s/config.json: model_type: expected \"llama\", got \"%s\"", path, dir,
                      a.model_type);
    char cfg_path[4200];
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dir);
    cJSON *root = NULL;
    if ((st = ss_json_load_file(cfg_path, &root, err, errlen)) != SS_OK)
        return st;
    ss_json_ctx cx = {cfg_path, err, errlen};
    double eps = 1e-5, theta = 10000;
    const ss_json_num_rule pos = {.min = 0, .max = INFINITY, .min_open = 1};
    if ((st = ss_json_get_number(&cx, root, "", "rms_norm_eps", SS_JSON_OPTIONAL, &pos, &eps)) ||
        (st = ss_json_get_number(&cx, root, "", "rope_theta", SS_JSON_OPTIONAL, &pos, &theta)))
        goto done;
    if ((float)eps != 1e-5f || theta != 10000)
        st = ss_json_errf(&cx, SS_EUNSUPPORTED, (float)eps != 1e-5f ? "rms_norm_eps" : "rope_theta",
                          "expected %s (what the llama kernels compute with), got %g",
                          (float)eps != 1e-5f ? "1e-05" : "10000",
                          (float)eps != 1e-5f ? eps : theta);
    *c = (model_llama_config){
        .dim = (int)a.hidden_size,
        .hidden_dim = (int)a.intermediate_size,
        .n_layers = (int)a.num_hidden_layers,
        .n_heads = (int)a.num_attention_heads,
        .n_kv_heads = (int)a.num_key_value_heads,
        .vocab_size = (int)a.vocab_size,
        .seq_len = (int)a.max_position_embeddings,
    };
done:
    cJSON_Delete(root);
    return st;
}

ss_status model_llama_st_load_net(const char *path, model_net **out, char *err, size_t errlen)
{
    *out = NULL;
    model_llama_config c;
    ss_status st = st_config(path, &c, err, errlen);
    if (st != SS_OK)
        return st;
    model_st_file *f = NULL;
    if ((st = model_st_open(path, &f, err, errlen)) != SS_OK)
        return st;
    static const llama_names names = {
        .emb = MODEL_LLAMA_ST_EMBED,
        .att_norm = "model.layers.%d.input_layernorm.weight",
        .wq = "model.layers.%d.self_attn.q_proj.weight",
        .wk = "model.layers.%d.self_attn.k_proj.weight",
        .wv = "model.layers.%d.self_attn.v_proj.weight",
        .wo = "model.layers.%d.self_attn.o_proj.weight",
        .ffn_norm = "model.layers.%d.post_attention_layernorm.weight",
        .w1 = "model.layers.%d.mlp.gate_proj.weight",
        .w2 = "model.layers.%d.mlp.down_proj.weight",
        .w3 = "model.layers.%d.mlp.up_proj.weight",
        .final_norm = "model.norm.weight",
        .cls = "lm_head.weight",
    };
    st = build_llama(path, c, &names, st_get, f, model_st_n_tensors(f), 1, out, err, errlen);
    model_st_close(f);
    return st;
}
