/* check_cnn.c - the MNIST CNN as a model_net: a naive direct-convolution
 * twin written here (double accumulation, no BLAS, weights read straight
 * from the safetensors file), span splits, cost descriptors, and accuracy
 * on the 10,000 MNIST test images. */
#include <cblas.h>
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_cnn.h"
#include "model_data.h"
#include "model_eval.h"
#include "model_safetensors.h"
#include "ss_alloc.h"
#include "test_util.h"

#define CNN_PATH SS_ASSET("mnist/mnist_cnn.safetensors")
#define IMG_PATH SS_ASSET("mnist/t10k-images-idx3-ubyte")
#define LAB_PATH SS_ASSET("mnist/t10k-labels-idx1-ubyte")

/* Accuracy this network reaches on all 10,000 test images, measured with
 * this implementation and cross-checked per image by the naive twin below
 * (the test asserts the figure minus 0.5 points). */
#define CNN_TEST_ACCURACY 0.9917

static model_net *load_net(void)
{
    char err[256];
    model_net *m = NULL;
    ck_assert_msg(model_cnn_load(CNN_PATH, &m, err, sizeof err) == SS_OK, "%s", err);
    return m;
}

static model_idx *load_idx(const char *path)
{
    char err[256];
    model_idx *x = NULL;
    ck_assert_msg(model_idx_load(path, &x, err, sizeof err) == SS_OK, "%s", err);
    return x;
}

/* A tensor from the file as doubles (independent of the CNN's own loading). */
static double *st_doubles(const model_st_file *f, const char *name, uint64_t n)
{
    const model_st_tensor *t = model_st_find(f, name);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->dtype, MODEL_ST_F32);
    ck_assert_uint_eq(t->n_elems, n);
    double *d = malloc(n * sizeof *d);
    for (uint64_t i = 0; i < n; i++) {
        float v;
        memcpy(&v, t->data + 4 * i, 4);
        d[i] = v;
    }
    return d;
}

/* Naive valid 3x3 convolution + bias + ReLU: in (cin, h, w) -> out (cout, h-2, w-2). */
static void naive_conv_relu(int cin, int cout, int h, int w, const double *wt, const double *b,
                            const double *in, double *out)
{
    int ho = h - 2, wo = w - 2;
    for (int co = 0; co < cout; co++)
        for (int y = 0; y < ho; y++)
            for (int x = 0; x < wo; x++) {
                double acc = b[co];
                for (int ci = 0; ci < cin; ci++)
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++)
                            acc += wt[((co * cin + ci) * 3 + ky) * 3 + kx] *
                                   in[(ci * h + y + ky) * w + x + kx];
                out[(co * ho + y) * wo + x] = acc > 0 ? acc : 0;
            }
}

/* Naive BatchNorm (eval): (x - mean) / sqrt(var + 1e-5) * gamma + beta, per channel. */
static void naive_bn(const model_st_file *f, const char *layer, int ch, int hw, double *x)
{
    char nm[64];
    snprintf(nm, sizeof nm, "%s.weight", layer);
    double *g = st_doubles(f, nm, (uint64_t)ch);
    snprintf(nm, sizeof nm, "%s.bias", layer);
    double *be = st_doubles(f, nm, (uint64_t)ch);
    snprintf(nm, sizeof nm, "%s.running_mean", layer);
    double *mu = st_doubles(f, nm, (uint64_t)ch);
    snprintf(nm, sizeof nm, "%s.running_var", layer);
    double *var = st_doubles(f, nm, (uint64_t)ch);
    for (int c = 0; c < ch; c++)
        for (int j = 0; j < hw; j++)
            x[c * hw + j] = (x[c * hw + j] - mu[c]) / sqrt(var[c] + 1e-5) * g[c] + be[c];
    free(g), free(be), free(mu), free(var);
}

/* Whole network on one image, naively; fills per-layer outputs for checks. */
typedef struct twin_out {
    double c1[8 * 26 * 26], c2[16 * 24 * 24], c3[24 * 22 * 22], f1[32], f2[10];
} twin_out;

static void naive_forward(const model_st_file *f, const unsigned char *pixels, twin_out *o)
{
    double in[784];
    for (int i = 0; i < 784; i++)
        in[i] = ((double)pixels[i] / 255.0 - 0.1307) / 0.3081;
    double *w1 = st_doubles(f, "conv1.weight", 72), *b1 = st_doubles(f, "conv1.bias", 8);
    double *w2 = st_doubles(f, "conv2.weight", 1152), *b2 = st_doubles(f, "conv2.bias", 16);
    double *w3 = st_doubles(f, "conv3.weight", 3456), *b3 = st_doubles(f, "conv3.bias", 24);
    naive_conv_relu(1, 8, 28, 28, w1, b1, in, o->c1);
    naive_conv_relu(8, 16, 26, 26, w2, b2, o->c1, o->c2);
    naive_conv_relu(16, 24, 24, 24, w3, b3, o->c2, o->c3);
    naive_bn(f, "norm1", 24, 484, o->c3);
    double *fw1 = st_doubles(f, "fc1.weight", 32 * 11616), *fb1 = st_doubles(f, "fc1.bias", 32);
    double *fw2 = st_doubles(f, "fc2.weight", 320), *fb2 = st_doubles(f, "fc2.bias", 10);
    for (int j = 0; j < 32; j++) {
        double acc = fb1[j];
        for (int k = 0; k < 11616; k++)
            acc += fw1[(size_t)j * 11616 + k] * o->c3[k];
        o->f1[j] = acc > 0 ? acc : 0;
    }
    for (int j = 0; j < 10; j++) {
        double acc = fb2[j];
        for (int k = 0; k < 32; k++)
            acc += fw2[j * 32 + k] * o->f1[k];
        o->f2[j] = acc;
    }
    naive_bn(f, "norm2", 10, 1, o->f2);
    free(w1), free(b1), free(w2), free(b2), free(w3), free(b3);
    free(fw1), free(fb1), free(fw2), free(fb2);
}

/* |a - b| <= tol * (1 + |b|) for every element. */
static void assert_close(const float *a, const double *b, size_t n, double tol, const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabs((double)a[i] - b[i]) <= tol * (1.0 + fabs(b[i])),
                      "%s[%zu]: %.9g vs naive %.9g", what, i, (double)a[i], b[i]);
}

static void setup(void) { openblas_set_num_threads(1); }

START_TEST(test_cnn_conv_layers_match_a_naive_direct_convolution)
{
    model_net *m = load_net();
    model_idx *img = load_idx(IMG_PATH);
    char err[256];
    model_st_file *f = NULL;
    ck_assert_int_eq(model_st_open(CNN_PATH, &f, err, sizeof err), SS_OK);
    twin_out *tw = malloc(sizeof *tw);
    float raw[784], emb[784];
    float *c1 = malloc(5408 * sizeof *c1), *c2 = malloc(9216 * sizeof *c2);
    for (int k = 0; k < 3; k++) {
        int idx = k * 4321; /* a few different digits */
        for (int i = 0; i < 784; i++)
            raw[i] = img->data[(size_t)idx * 784 + i];
        naive_forward(f, img->data + (size_t)idx * 784, tw);
        ck_assert_int_eq(model_net_embed(m, 1, NULL, raw, emb), SS_OK);
        /* block 0 alone is conv1 + ReLU */
        ck_assert_int_eq(model_net_span_forward(m, NULL, 0, 1, 0, 1, emb, c1), SS_OK);
        assert_close(c1, tw->c1, 5408, 1e-5, "conv1");
        /* block 1 on the twin's own conv1 output isolates conv2 */
        float c1t[5408];
        for (int i = 0; i < 5408; i++)
            c1t[i] = (float)tw->c1[i];
        ck_assert_int_eq(model_net_span_forward(m, NULL, 1, 2, 0, 1, c1t, c2), SS_OK);
        assert_close(c2, tw->c2, 9216, 1e-5, "conv2");
    }
    free(c1), free(c2), free(tw);
    model_st_close(f);
    model_idx_free(img);
    model_net_destroy(m);
}
END_TEST

START_TEST(test_cnn_whole_network_matches_the_naive_twin_on_twenty_images)
{
    model_net *m = load_net();
    model_idx *img = load_idx(IMG_PATH);
    char err[256];
    model_st_file *f = NULL;
    ck_assert_int_eq(model_st_open(CNN_PATH, &f, err, sizeof err), SS_OK);
    twin_out *tw = malloc(sizeof *tw);
    enum { N = 20 };
    float *raw = malloc(N * 784 * sizeof *raw), *emb = malloc(N * 784 * sizeof *emb);
    float act[N * 10], out[N * 10];
    for (int i = 0; i < N * 784; i++)
        raw[i] = img->data[i];
    ck_assert_int_eq(model_net_embed(m, N, NULL, raw, emb), SS_OK);
    ck_assert_int_eq(model_net_span_forward(m, NULL, 0, 5, 0, N, emb, act), SS_OK);
    ck_assert_int_eq(model_net_head(m, N, act, out), SS_OK);
    for (int i = 0; i < N; i++) {
        naive_forward(f, img->data + (size_t)i * 784, tw);
        assert_close(out + i * 10, tw->f2, 10, 1e-4, "scores");
    }
    free(raw), free(emb), free(tw);
    model_st_close(f);
    model_idx_free(img);
    model_net_destroy(m);
}
END_TEST

START_TEST(test_cnn_split_spans_give_outputs_identical_to_one_span)
{
    model_net *m = load_net();
    model_idx *img = load_idx(IMG_PATH);
    enum { N = 37 };
    float *raw = malloc(N * 784 * sizeof *raw), *emb = malloc(N * 784 * sizeof *emb);
    for (int i = 0; i < N * 784; i++)
        raw[i] = img->data[(size_t)500 * 784 + i];
    ck_assert_int_eq(model_net_embed(m, N, NULL, raw, emb), SS_OK);
    float whole[N * 10], split[N * 10];
    ck_assert_int_eq(model_net_span_forward(m, NULL, 0, 5, 0, N, emb, whole), SS_OK);
    const int splits[][6] = {{1, 2, 3, 4, 5}, {2, 5}, {3, 5}, {1, 4, 5}, {4, 5}};
    const int n_splits[] = {5, 2, 2, 3, 2};
    for (int k = 0; k < 5; k++) {
        model_eval_route r = {.span_ends = splits[k], .n_spans = n_splits[k]};
        memset(split, 0xff, sizeof split);
        ck_assert_int_eq(model_eval_body_local(m, &r, N, emb, split), SS_OK);
        ck_assert_msg(memcmp(whole, split, sizeof whole) == 0, "split %d differs", k);
    }
    /* malformed span lists are refused */
    const int bad1[] = {2, 2, 5}, bad2[] = {2, 4};
    model_eval_route r1 = {.span_ends = bad1, .n_spans = 3}, r2 = {.span_ends = bad2, .n_spans = 2};
    ck_assert_int_eq(model_eval_body_local(m, &r1, N, emb, split), SS_EINVAL);
    ck_assert_int_eq(model_eval_body_local(m, &r2, N, emb, split), SS_EINVAL);
    free(raw), free(emb);
    model_idx_free(img);
    model_net_destroy(m);
}
END_TEST

START_TEST(test_cnn_block_descriptors_are_honest)
{
    model_net *m = load_net();
    char err[256];
    model_st_file *f = NULL;
    ck_assert_int_eq(model_st_open(CNN_PATH, &f, err, sizeof err), SS_OK);
    ck_assert_int_eq(model_net_n_blocks(m), 5);
    ck_assert_str_eq(model_net_kind(m), "cnn");
    ck_assert_uint_eq(model_net_raw_in_elems(m), 784);
    ck_assert_uint_eq(model_net_n_outputs(m), 10);
    ck_assert_int_eq(model_net_seq_len(m), 0);
    /* widths chain: 1x28x28 -> 8x26x26 -> 16x24x24 -> 24x22x22 -> 32 -> 10 */
    const uint32_t w[6] = {784, 8 * 26 * 26, 16 * 24 * 24, 24 * 22 * 22, 32, 10};
    uint64_t params = 0;
    double flops = 0;
    for (int b = 0; b < 5; b++) {
        const model_block_desc *d = model_net_block(m, b);
        ck_assert_uint_eq(d->act_in_elems, w[b]);
        ck_assert_uint_eq(d->act_out_elems, w[b + 1]);
        ck_assert_uint_eq(d->kv_elems_per_item, 0);
        ck_assert(d->attn_flops_per_ctx == 0);
        params += d->n_params;
        flops += d->flops_per_item;
    }
    /* every stored float of the file belongs to exactly one block */
    uint64_t file_floats = 0;
    for (int i = 0; i < model_st_n_tensors(f); i++)
        if (model_st_tensor_at(f, i)->dtype == MODEL_ST_F32)
            file_floats += model_st_tensor_at(f, i)->n_elems;
    ck_assert_uint_eq(params, file_floats);
    /* multiply-adds by hand: 72*676 + 1152*576 + 3456*484 + 11616*32 + 320 */
    double macs = 72.0 * 676 + 1152.0 * 576 + 3456.0 * 484 + 11616.0 * 32 + 320.0;
    ck_assert(flops > 2 * macs && flops < 2 * macs * 1.05);
    /* stateless: no state, no bytes; token input is refused */
    model_state *st = (model_state *)0x1;
    ck_assert_int_eq(model_state_create(m, 0, 2, &st), SS_OK);
    ck_assert_ptr_null(st);
    ck_assert_uint_eq(model_state_bytes(st), 0);
    int32_t tok = 3;
    float out[784];
    ck_assert_int_eq(model_net_embed(m, 1, &tok, NULL, out), SS_EINVAL);
    model_st_close(f);
    model_net_destroy(m);
}
END_TEST

START_TEST(test_cnn_mnist_accuracy_on_all_10000_test_images)
{
    model_net *m = load_net();
    model_idx *img = load_idx(IMG_PATH), *lab = load_idx(LAB_PATH);
    char err[256];
    model_eval_mnist_result r;
    ck_assert_msg(model_eval_mnist(m, img, lab, 0, 250, NULL, &r, err, sizeof err) == SS_OK, "%s",
                  err);
    printf("MNIST CNN accuracy: %d / %d = %.4f\n", r.n_correct, r.n_images, r.accuracy);
    ck_assert_int_eq(r.n_images, 10000);
    ck_assert(r.accuracy >= CNN_TEST_ACCURACY - 0.005);
    /* routed through a span list, and in a different batch size, the
     * predictions are the same */
    const int ends[] = {2, 3, 5};
    model_eval_route route = {.span_ends = ends, .n_spans = 3};
    model_eval_mnist_result r2;
    ck_assert_int_eq(model_eval_mnist(m, img, lab, 0, 333, &route, &r2, err, sizeof err), SS_OK);
    ck_assert_int_eq(r2.n_correct, r.n_correct);
    /* bad arguments are refused with a message */
    ck_assert_int_eq(model_eval_mnist(m, img, lab, 10001, 10, NULL, &r2, err, sizeof err),
                     SS_EINVAL);
    ck_assert_int_eq(model_eval_mnist(m, lab, lab, 0, 10, NULL, &r2, err, sizeof err),
                     SS_ESCHEMA);
    model_idx_free(img);
    model_idx_free(lab);
    model_net_destroy(m);
}
END_TEST

/* A body callback that corrupts every activation: the accuracy reflects it. */
static ss_status zero_body(void *ctx, const model_net *m, int n, const float *in, float *out)
{
    (*(int *)ctx)++;
    memset(out, 0, (size_t)n * 10 * sizeof *out);
    return SS_OK;
}

START_TEST(test_cnn_eval_uses_the_callers_body)
{
    model_net *m = load_net();
    model_idx *img = load_idx(IMG_PATH), *lab = load_idx(LAB_PATH);
    char err[256];
    int calls = 0;
    model_eval_route route = {.body = zero_body, .ctx = &calls};
    model_eval_mnist_result r;
    ck_assert_int_eq(model_eval_mnist(m, img, lab, 1000, 100, &route, &r, err, sizeof err), SS_OK);
    ck_assert_int_eq(calls, 10);
    /* all-zero scores: argmax 0 everywhere, so accuracy = share of zeros */
    int zeros = 0;
    for (int i = 0; i < 1000; i++)
        zeros += lab->data[i] == 0;
    ck_assert_int_eq(r.n_correct, zeros);
    model_idx_free(img);
    model_idx_free(lab);
    model_net_destroy(m);
}
END_TEST

START_TEST(test_cnn_load_fails_cleanly_at_every_allocation)
{
    char err[256];
    int ok = 0;
    for (long k = 0; k < 300 && !ok; k++) {
        model_net *m = NULL;
        ss_alloc_fail_after(k);
        ss_status s = model_cnn_load(CNN_PATH, &m, err, sizeof err);
        ss_alloc_fail_after(-1);
        if (s == SS_OK) {
            ok = 1;
            model_net_destroy(m);
        } else {
            ck_assert_msg(s == SS_ENOMEM, "%s", err);
            ck_assert_ptr_null(m);
        }
    }
    ck_assert(ok);
}
END_TEST

START_TEST(test_cnn_rejects_a_file_that_is_not_the_cnn)
{
    char err[256];
    model_net *m = (model_net *)0x1;
    /* a valid safetensors file whose names do not match */
    char dir[] = "/tmp/ss_cnn_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/other.safetensors", dir);
    const char hdr[] = "{\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    FILE *fp = fopen(path, "wb");
    unsigned char len[8] = {sizeof hdr - 1};
    fwrite(len, 1, 8, fp);
    fwrite(hdr, 1, sizeof hdr - 1, fp);
    fwrite("\0\0\0\0", 1, 4, fp);
    fclose(fp);
    ck_assert_int_eq(model_cnn_load(path, &m, err, sizeof err), SS_ESCHEMA);
    ck_assert_ptr_null(m);
    ck_assert(strstr(err, "conv1.weight") != NULL);
    unlink(path);
    rmdir(dir);
}
END_TEST

Suite *cnn_suite(void)
{
    Suite *s = suite_create("cnn");
    TCase *tc = tcase_create("cnn");
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_cnn_conv_layers_match_a_naive_direct_convolution);
    tcase_add_test(tc, test_cnn_whole_network_matches_the_naive_twin_on_twenty_images);
    tcase_add_test(tc, test_cnn_split_spans_give_outputs_identical_to_one_span);
    tcase_add_test(tc, test_cnn_block_descriptors_are_honest);
    tcase_add_test(tc, test_cnn_mnist_accuracy_on_all_10000_test_images);
    tcase_add_test(tc, test_cnn_eval_uses_the_callers_body);
    tcase_add_test(tc, test_cnn_load_fails_cleanly_at_every_allocation);
    tcase_add_test(tc, test_cnn_rejects_a_file_that_is_not_the_cnn);
    suite_add_tcase(s, tc);
    return s;
}
