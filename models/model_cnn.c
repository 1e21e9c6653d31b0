/* model_cnn.c - the MNIST CNN (see model_cnn.h) behind the model_net ops.
 *
 * Weights are ~1.5 MB, dominated by fc1 (32 x 11616). Each block runs on a
 * batch of images; the convolution lowers each image to a column matrix
 * (im2col, at most 144 x 576 floats = 330 KB) and multiplies it by the
 * (out_ch, in_ch*9) weight matrix with one sgemm, which writes the output
 * directly in NCHW order.
 */
#include "model_cnn.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "model_net_int.h"
#include "model_safetensors.h"
#include "ss_alloc.h"

#define BN_EPS 1e-5f

typedef struct conv_layer {
    int cin, cout, hin, win, hout, wout; /* k = 3, stride 1, no padding */
    float *w;                            // (cout, cin * 3 * 3)
    float *b;                            // (cout)
} conv_layer;

typedef struct cnn_impl {
    conv_layer conv[3];
    float *bn1_scale, *bn1_shift;        // (24) each: gamma/sqrt(var+eps), beta - mean*scale
    float *fc1_w;                        // (32, 11616)
    float *fc1_b;                        // (32)
    float *fc2_w;                        // (10, 32)
    float *fc2_b;                        // (10)
    float *bn2_scale, *bn2_shift;        // (10) each
} cnn_impl;

static const uint32_t widths[MODEL_CNN_N_BLOCKS + 1] = {784, 5408, 9216, 11616, 32, 10};

/* im2col for a 3x3 valid convolution: col (cin*9, hout*wout), row index
 * ci*9 + ky*3 + kx matching PyTorch's (cout, cin, ky, kx) weight layout. */
static void im2col3(const conv_layer *L, const float *img, float *col)
{
    int hw = L->hout * L->wout;
    for (int ci = 0; ci < L->cin; ci++)
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
                float *row = col + (size_t)(ci * 9 + ky * 3 + kx) * (size_t)hw;
                for (int y = 0; y < L->hout; y++) {
                    const float *src = img + ((size_t)ci * L->hin + (size_t)(y + ky)) * L->win + kx;
                    memcpy(row + (size_t)y * L->wout, src, (size_t)L->wout * sizeof *row);
                }
            }
}

/* conv + bias + ReLU on n images; col is scratch of (cin*9, hout*wout). */
static void conv_relu(const conv_layer *L, int n, const float *in, float *out, float *col)
{
    int K = L->cin * 9, hw = L->hout * L->wout;
    size_t in_sz = (size_t)L->cin * L->hin * L->win, out_sz = (size_t)L->cout * hw;
    for (int i = 0; i < n; i++) {
        im2col3(L, in + i * in_sz, col);
        float *o = out + i * out_sz;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, L->cout, hw, K, 1.0f, L->w, K, col,
                    hw, 0.0f, o, hw);
        for (int c = 0; c < L->cout; c++) {
            float *p = o + (size_t)c * hw;
            for (int j = 0; j < hw; j++) {
                float v = p[j] + L->b[c];
                p[j] = v > 0.0f ? v : 0.0f;
            }
        }
    }
}

/* out (n, nout) = in (n, nin) W^T + b, W (nout, nin) row-major. */
static void linear(int n, int nin, int nout, const float *w, const float *b, const float *in,
                   float *out)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, nout, nin, 1.0f, in, nin, w, nin,
                0.0f, out, nout);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < nout; j++)
            out[(size_t)i * nout + j] += b[j];
}

static void run_block(const cnn_impl *C, int blk, int n, const float *in, float *out, float *col)
{
    switch (blk) {
    case 0:
    case 1:
        conv_relu(&C->conv[blk], n, in, out, col);
        break;
    case 2: {
        conv_relu(&C->conv[2], n, in, out, col);
        size_t hw = 22 * 22;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 24; c++) {
                float *p = out + (size_t)i * 11616 + c * hw;
                for (size_t j = 0; j < hw; j++)
                    p[j] = p[j] * C->bn1_scale[c] + C->bn1_shift[c];
            }
        break;
    }
    case 3:
        linear(n, 11616, 32, C->fc1_w, C->fc1_b, in, out);
        for (size_t j = 0; j < (size_t)n * 32; j++)
            out[j] = out[j] > 0.0f ? out[j] : 0.0f;
        break;
    case 4:
        linear(n, 32, 10, C->fc2_w, C->fc2_b, in, out);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < 10; c++)
                out[i * 10 + c] = out[i * 10 + c] * C->bn2_scale[c] + C->bn2_shift[c];
        break;
    }
}

static ss_status cnn_embed(const model_net *m, int n_items, const int32_t *tokens,
                           const float *raw, float *out)
{
    if (tokens || !raw)
        return SS_EINVAL;
    for (size_t i = 0; i < (size_t)n_items * MODEL_CNN_IMAGE_ELEMS; i++)
        out[i] = (raw[i] / 255.0f - 0.1307f) / 0.3081f;
    return SS_OK;
}

static ss_status cnn_span_forward(const model_net *m, model_state *st, int first, int end,
                                  int pos, int n_items, const float *in, float *out)
{
    const cnn_impl *C = m->impl;
    /* ping-pong buffers for the intermediate activations of the span */
    size_t maxw = 0;
    for (int b = first + 1; b < end; b++)
        maxw = widths[b] > maxw ? widths[b] : maxw;
    float *buf[2] = {NULL, NULL};
    float *col = ss_malloc_array(144 * 576, sizeof *col);
    if (maxw) {
        buf[0] = ss_malloc_array((size_t)n_items * maxw, sizeof(float));
        buf[1] = ss_malloc_array((size_t)n_items * maxw, sizeof(float));
    }
    if (!col || (maxw && (!buf[0] || !buf[1]))) {
        ss_free(col);
        ss_free(buf[0]);
        ss_free(buf[1]);
        return SS_ENOMEM;
    }
    const float *cur = in;
    for (int b = first; b < end; b++) {
        float *dst = b == end - 1 ? out : buf[(b - first) & 1];
        run_block(C, b, n_items, cur, dst, col);
        cur = dst;
    }
    ss_free(col);
    ss_free(buf[0]);
    ss_free(buf[1]);
    return SS_OK;
}

static ss_status cnn_head(const model_net *m, int n_items, const float *act, float *out)
{
    memcpy(out, act, (size_t)n_items * MODEL_CNN_N_CLASSES * sizeof *out);
    return SS_OK;
}

static ss_status cnn_state_create(const model_net *m, int first, int end, model_state **out)
{
    *out = NULL;
    return SS_OK;
}
static void cnn_state_reset(model_state *st) {}
static uint64_t cnn_state_bytes(const model_state *st) { return 0; }
static void cnn_state_destroy(model_state *st) {}

static void cnn_destroy_impl(void *impl)
{
    cnn_impl *C = impl;
    if (!C)
        return;
    for (int i = 0; i < 3; i++) {
        ss_free(C->conv[i].w);
        ss_free(C->conv[i].b);
    }
    ss_free(C->bn1_scale);
    ss_free(C->bn1_shift);
    ss_free(C->fc1_w);
    ss_free(C->fc1_b);
    ss_free(C->fc2_w);
    ss_free(C->fc2_b);
    ss_free(C->bn2_scale);
    ss_free(C->bn2_shift);
    ss_free(C);
}

/* Block b < 3: conv[b].weight as (cout, cin * 9); block 3: fc1.weight;
 * block 4: fc2.weight. The client's embed and head have no weights. */
static ss_status cnn_map_weights(model_net *m, model_weight_fn fn, void *ctx)
{
    cnn_impl *C = m->impl;
    static const char *const conv_names[3] = {"conv1.weight", "conv2.weight", "conv3.weight"};
    ss_status st = SS_OK;
    for (int b = 0; b < 3 && st == SS_OK; b++)
        st = fn(ctx, conv_names[b], b, C->conv[b].w, (size_t)C->conv[b].cout,
                (size_t)C->conv[b].cin * 9);
    if (st == SS_OK)
        st = fn(ctx, "fc1.weight", 3, C->fc1_w, 32, 11616);
    if (st == SS_OK)
        st = fn(ctx, "fc2.weight", 4, C->fc2_w, 10, 32);
    return st;
}

static const model_net_ops cnn_ops = {
    .kind = "cnn",
    .embed = cnn_embed,
    .span_forward = cnn_span_forward,
    .head = cnn_head,
    .state_create = cnn_state_create,
    .state_reset = cnn_state_reset,
    .state_bytes = cnn_state_bytes,
    .state_destroy = cnn_state_destroy,
    .destroy_impl = cnn_destroy_impl,
    .map_weights = cnn_map_weights,
};

/* One expected tensor: name, shape, and where the loaded copy goes. */
typedef struct want {
    const char *name;
    int rank;
    uint64_t shape[4];
    float **dst;
} want;

/* Folds eval-mode BatchNorm into y = x*scale + shift. Takes the four
 * loaded vectors (freed here) and writes two new ones. */
static ss_status fold_bn(const char *path, const char *layer, int n, float *gamma, float *beta,
                         float *mean, float *var, float **scale, float **shift, char *err,
                         size_t errlen)
{
    ss_status s = SS_OK;
    *scale = ss_malloc_array((size_t)n, sizeof **scale);
    *shift = ss_malloc_array((size_t)n, sizeof **shift);
    if (!*scale || !*shift)
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
    for (int i = 0; s == SS_OK && i < n; i++) {
        if (!(var[i] >= 0.0f))
            s = ss_err(err, errlen, SS_ENUMERIC, "%s: tensor \"%s.running_var\"[%d]: expected a "
                       "non-negative variance", path, layer, i);
        else {
            (*scale)[i] = gamma[i] / sqrtf(var[i] + BN_EPS);
            (*shift)[i] = beta[i] - mean[i] * (*scale)[i];
        }
    }
    ss_free(gamma);
    ss_free(beta);
    ss_free(mean);
    ss_free(var);
    return s;
}

ss_status model_cnn_load(const char *path, model_net **out, char *err, size_t errlen)
{
    *out = NULL;
    model_st_file *f = NULL;
    model_net *m = NULL;
    cnn_impl *C = NULL;
    float *bn[8] = {NULL}; /* norm1 weight, bias, mean, var; norm2 the same */
    ss_status s = model_st_open(path, &f, err, errlen);
    if (s != SS_OK)
        return s;
    m = ss_calloc(1, sizeof *m);
    C = ss_calloc(1, sizeof *C);
    model_block_desc *blocks = ss_calloc(MODEL_CNN_N_BLOCKS, sizeof *blocks);
    if (!m || !C || !blocks) {
        ss_free(m);
        ss_free(C);
        ss_free(blocks);
        model_st_close(f);
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
    }
    m->ops = &cnn_ops;
    m->impl = C;
    m->blocks = blocks;
    m->n_blocks = MODEL_CNN_N_BLOCKS;
    m->raw_in_elems = MODEL_CNN_IMAGE_ELEMS;
    m->n_outputs = MODEL_CNN_N_CLASSES;
    m->seq_len = 0;
    const int ch[4] = {1, 8, 16, 24}, hw[4] = {28, 26, 24, 22};
    for (int i = 0; i < 3; i++)
        C->conv[i] = (conv_layer){.cin = ch[i], .cout = ch[i + 1], .hin = hw[i], .win = hw[i],
                                  .hout = hw[i + 1], .wout = hw[i + 1]};
    const want wants[] = {
        {"conv1.weight", 4, {8, 1, 3, 3}, &C->conv[0].w},
        {"conv1.bias", 1, {8}, &C->conv[0].b},
        {"conv2.weight", 4, {16, 8, 3, 3}, &C->conv[1].w},
        {"conv2.bias", 1, {16}, &C->conv[1].b},
        {"conv3.weight", 4, {24, 16, 3, 3}, &C->conv[2].w},
        {"conv3.bias", 1, {24}, &C->conv[2].b},
        {"norm1.weight", 1, {24}, &bn[0]},
        {"norm1.bias", 1, {24}, &bn[1]},
        {"norm1.running_mean", 1, {24}, &bn[2]},
        {"norm1.running_var", 1, {24}, &bn[3]},
        {"fc1.weight", 2, {32, 11616}, &C->fc1_w},
        {"fc1.bias", 1, {32}, &C->fc1_b},
        {"fc2.weight", 2, {10, 32}, &C->fc2_w},
        {"fc2.bias", 1, {10}, &C->fc2_b},
        {"norm2.weight", 1, {10}, &bn[4]},
        {"norm2.bias", 1, {10}, &bn[5]},
        {"norm2.running_mean", 1, {10}, &bn[6]},
        {"norm2.running_var", 1, {10}, &bn[7]},
    };
    const size_t n_wants = sizeof wants / sizeof wants[0];
    /* strict name set: the loaded names plus the two bookkeeping counters */
    for (int i = 0; i < model_st_n_tensors(f); i++) {
        const char *nm = model_st_tensor_at(f, i)->name;
        int known = strcmp(nm, "norm1.num_batches_tracked") == 0 ||
                    strcmp(nm, "norm2.num_batches_tracked") == 0;
        for (size_t k = 0; k < n_wants && !known; k++)
            known = strcmp(nm, wants[k].name) == 0;
        if (!known) {
            s = ss_err(err, errlen, SS_ESCHEMA, "%s: tensor \"%s\": not part of the MNIST CNN",
                       path, nm);
            goto fail;
        }
    }
    for (size_t k = 0; k < n_wants; k++) {
        s = model_st_load_f32(f, wants[k].name, wants[k].rank, wants[k].shape, wants[k].dst, err,
                              errlen);
        if (s != SS_OK)
            goto fail;
        const model_st_tensor *t = model_st_find(f, wants[k].name);
        for (uint64_t j = 0; j < t->n_elems; j++)
            if (!isfinite((*wants[k].dst)[j])) {
                s = ss_err(err, errlen, SS_ENUMERIC, "%s: tensor \"%s\"[%llu]: expected a finite "
                           "value", path, wants[k].name, (unsigned long long)j);
                goto fail;
            }
    }
    s = fold_bn(path, "norm1", 24, bn[0], bn[1], bn[2], bn[3], &C->bn1_scale, &C->bn1_shift, err,
                errlen);
    bn[0] = bn[1] = bn[2] = bn[3] = NULL;
    if (s != SS_OK)
        goto fail;
    s = fold_bn(path, "norm2", 10, bn[4], bn[5], bn[6], bn[7], &C->bn2_scale, &C->bn2_shift, err,
                errlen);
    bn[4] = bn[5] = bn[6] = bn[7] = NULL;
    if (s != SS_OK)
        goto fail;
    model_st_close(f);

    /* cost descriptors (see the header for what is counted) */
    for (int b = 0; b < 3; b++) {
        const conv_layer *L = &C->conv[b];
        double outs = (double)L->cout * L->hout * L->wout;
        blocks[b].n_params = (uint64_t)L->cout * L->cin * 9 + (uint64_t)L->cout;
        blocks[b].flops_per_item = 2.0 * L->cin * 9 * outs + 2.0 * outs; /* MACs, bias, ReLU */
    }
    blocks[2].n_params += 4 * 24;           /* gamma, beta, running mean and var */
    blocks[2].flops_per_item += 2.0 * 11616; /* BN as a fused multiply and add */
    blocks[3].n_params = 32ull * 11616 + 32;
    blocks[3].flops_per_item = 2.0 * 11616 * 32 + 2.0 * 32;
    blocks[4].n_params = 10ull * 32 + 10 + 4 * 10;
    blocks[4].flops_per_item = 2.0 * 32 * 10 + 10 + 2.0 * 10;
    for (int b = 0; b < MODEL_CNN_N_BLOCKS; b++) {
        blocks[b].act_in_elems = widths[b];
        blocks[b].act_out_elems = widths[b + 1];
    }
    *out = m;
    return SS_OK;
fail:
    for (int i = 0; i < 8; i++)
        ss_free(bn[i]);
    model_st_close(f);
    model_net_destroy(m); /* frees C through cnn_ops.destroy_impl */
    return s;
}
