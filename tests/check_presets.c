/* check_presets.c - BLOOM-176B and Falcon-180B presets: per-block and total
 * parameter counts by hand against the published totals, KV sizes, weight
 * formats; Llama-2-70B unchanged. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_desc.h"
#include "model_llama2c.h"
#include "real_weights.h"
#include "test_util.h"

#define PRESETS SS_SRC("models/presets")

static void load(const char *name, const char *fmt, model_arch *a, model_desc *d)
{
    char err[512] = "";
    ck_assert_msg(model_arch_load(PRESETS, name, a, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_msg(model_desc_from_arch(a, fmt, d, err, sizeof err) == SS_OK, "%s", err);
}

/* BLOOM-176B, h = 14336, 70 blocks, 112 heads (MHA), vocab 250880.
 * Per block: QKV h x 3h + 3h bias, dense h x h + h, MLP h x 4h + 4h and
 * 4h x h + h, two LayerNorms 2 x 2h:
 *   12 h^2 + 13 h = 12 x 205,520,896 + 186,368 = 2,466,437,120.
 * 70 blocks: 172,650,598,400; + word embeddings 250880 x 14336 =
 * 3,596,615,680; + embedding LayerNorm and final LayerNorm 2 x 2h = 57,344;
 * tied LM head: total 176,247,271,424 (published: 176 B). */
START_TEST(test_bloom_176b_block_and_total_parameters_match_hand_count)
{
    model_arch a;
    model_desc d;
    load("bloom-176b", "fp16", &a, &d);
    ck_assert_int_eq(d.n_blocks, 70);
    ck_assert_int_eq(a.hidden_size, 14336);
    ck_assert_int_eq(a.num_attention_heads, 112);
    ck_assert_uint_eq(d.blocks[0].n_params, 2466437120u);
    ck_assert_uint_eq(d.blocks[69].n_params, 2466437120u);
    double total = 70.0 * (double)d.blocks[0].n_params + 250880.0 * 14336 + 4 * 14336;
    ck_assert_double_eq(total, 176247271424.0);
    ck_assert(fabs(total / 176e9 - 1) < 0.01);
    /* FLOPs: 2 per weight of the 12 h^2 matrices */
    ck_assert_double_eq(d.blocks[0].flops_per_item, 2.0 * 12 * 14336.0 * 14336);
    ck_assert_uint_eq(d.blocks[0].kv_elems_per_item, 2 * 14336);
    ck_assert_int_eq(d.seq_len, 2048);
    ck_assert_uint_eq(d.vocab, 250880);
    model_desc_fini(&d);
}
END_TEST

/* Falcon-180B, h = 14848, 80 blocks, 232 heads of 64, 8 KV heads
 * (kv = 512), new decoder architecture, no biases, parallel attention.
 * Per block: fused QKV h x (h + 2 x 512), dense h x h, MLP 2 x h x 4h,
 * ln_attn and ln_mlp 2 x 2h:
 *   10 h^2 + 2 h kv + 4 h = 2,204,631,040 + 15,204,352 + 59,392 = 2,219,894,784.
 * 80 blocks: 177,591,582,720; + embeddings 65024 x 14848 = 965,476,352;
 * + final LayerNorm 2h = 29,696; tied LM head: 178,557,088,768 (published
 * "180 B": 0.8% below). */
START_TEST(test_falcon_180b_block_and_total_parameters_match_hand_count)
{
    model_arch a;
    model_desc d;
    load("falcon-180b", "fp16", &a, &d);
    ck_assert_int_eq(d.n_blocks, 80);
    ck_assert_int_eq(a.num_key_value_heads, 8);
    ck_assert_uint_eq(d.blocks[0].n_params, 2219894784u);
    double total = 80.0 * (double)d.blocks[0].n_params + 65024.0 * 14848 + 2 * 14848;
    ck_assert_double_eq(total, 178557088768.0);
    ck_assert(fabs(total / 180e9 - 1) < 0.01);
    ck_assert_uint_eq(d.blocks[0].kv_elems_per_item, 2 * 8 * 64);
    ck_assert_double_eq(d.blocks[0].flops_per_item,
                        2.0 * (10 * 14848.0 * 14848 + 2 * 14848.0 * 512));
    ck_assert_int_eq(d.seq_len, 2048);
    model_desc_fini(&d);
}
END_TEST

/* fp16 2, int8 1.01, nf4 0.53 bytes per parameter for every preset. */
START_TEST(test_presets_work_with_fp16_int8_and_nf4_weights)
{
    static const char *const names[] = {"bloom-176b", "falcon-180b", "llama-2-70b"};
    static const struct {
        const char *fmt;
        double bytes;
    } f[] = {{"fp16", 2.0}, {"int8", 1.01}, {"nf4", 0.53}};
    for (size_t i = 0; i < 3; i++)
        for (size_t k = 0; k < 3; k++) {
            model_arch a;
            model_desc d;
            load(names[i], f[k].fmt, &a, &d);
            ck_assert_double_eq_tol(model_desc_block_weight_bytes(&d, 0),
                                    (double)d.blocks[0].n_params * f[k].bytes, 1e-3);
            model_desc_fini(&d);
        }
}
END_TEST

/* Llama-2-70B unchanged: h 8192, ff 28672, 64 heads, 8 KV heads (kv 1024):
 * 2 x 8192^2 + 2 x 8192 x 1024 + 3 x 8192 x 28672 + 2 x 8192
 * = 134,217,728 + 16,777,216 + 704,643,072 + 16,384 = 855,654,400. */
START_TEST(test_llama_2_70b_is_unchanged)
{
    model_arch a;
    model_desc d;
    load("llama-2-70b", "fp16", &a, &d);
    ck_assert_int_eq(d.n_blocks, 80);
    ck_assert_uint_eq(d.blocks[0].n_params, 855654400u);
    ck_assert_double_eq(d.blocks[0].flops_per_item, 2.0 * (855654400.0 - 16384));
    ck_assert_uint_eq(d.blocks[0].kv_elems_per_item, 2048);
    ck_assert_int_eq(d.seq_len, 4096);
    model_desc_fini(&d);
}
END_TEST

/* BLOOM's aliases: n_embed and hidden_size may both appear only if equal. */
START_TEST(test_bloom_alias_disagreement_is_rejected)
{
    char dir[] = "/tmp/preset_testXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof path, "%s/b.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"model_type\": \"bloom\", \"n_embed\": 64, \"hidden_size\": 128, \"n_layer\": 2,"
          " \"n_head\": 4, \"vocab_size\": 10}",
          f);
    fclose(f);
    model_arch a;
    char err[512] = "";
    ck_assert_int_eq(model_arch_load(dir, "b", &a, err, sizeof err), SS_ESCHEMA);
    ck_assert_msg(strstr(err, "hidden_size: expected the value of n_embed (64), got 128") != NULL,
                  "%s", err);
    f = fopen(path, "w");
    fputs("{\"model_type\": \"falcon\", \"hidden_size\": 64, \"num_hidden_layers\": 2,"
          " \"num_attention_heads\": 4, \"vocab_size\": 10, \"new_decoder_architecture\": true}",
          f);
    fclose(f);
    ck_assert_int_eq(model_arch_load(dir, "b", &a, err, sizeof err), SS_ESCHEMA);
    ck_assert_msg(strstr(err, "num_kv_heads: missing required key") != NULL, "%s", err);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* The one block-shape table: Llama-2-70B (h 8192, kv 1024, ff 28672) by
 * hand, matrix by matrix, in model_llama's visiting order. */
START_TEST(test_block_matrices_of_llama_2_70b_by_hand)
{
    model_arch a;
    model_desc d;
    load("llama-2-70b", "fp16", &a, &d);
    model_arch_block b;
    char err[256] = "";
    ck_assert_msg(model_arch_block_matrices(&a, &b, err, sizeof err) == SS_OK, "%s", err);
    static const struct {
        const char *name;
        uint64_t rows, cols;
    } want[7] = {{"attn_q", 8192, 8192},      {"attn_k", 1024, 8192},    {"attn_v", 1024, 8192},
                 {"attn_output", 8192, 8192}, {"ffn_gate", 28672, 8192}, {"ffn_up", 28672, 8192},
                 {"ffn_down", 8192, 28672}};
    ck_assert_int_eq(b.n_matrices, 7);
    for (int i = 0; i < 7; i++) {
        ck_assert_str_eq(b.matrices[i].name, want[i].name);
        ck_assert_uint_eq(b.matrices[i].rows, want[i].rows);
        ck_assert_uint_eq(b.matrices[i].cols, want[i].cols);
    }
    ck_assert_uint_eq(b.matrix_params, 855654400u - 16384u);
    ck_assert_uint_eq(b.bias_params, 0);
    ck_assert_uint_eq(b.norm_params, 16384);
    ck_assert_uint_eq(b.kv_dim, 1024);
    ck_assert_uint_eq(d.blocks[0].n_params, b.matrix_params + b.bias_params + b.norm_params);
    model_desc_fini(&d);
    /* BLOOM: plain MLP, biases q,k,v (3h) + o (h) + up (4h) + down (h) = 9h */
    load("bloom-176b", "fp16", &a, &d);
    ck_assert_int_eq(model_arch_block_matrices(&a, &b, err, sizeof err), SS_OK);
    ck_assert_int_eq(b.n_matrices, 6);
    ck_assert_str_eq(b.matrices[4].name, "ffn_up");
    ck_assert_uint_eq(b.bias_params, 9u * 14336u);
    ck_assert_uint_eq(b.norm_params, 4u * 14336u);
    model_desc_fini(&d);
}
END_TEST

/* The table has no hidden defaults: a hand-built arch with fields left at
 * zero is an error for both users (the byte count used to assume a gated
 * MLP and two norms where the parameter count assumed none). */
START_TEST(test_block_matrices_reject_an_arch_without_mlp_or_norm_layout)
{
    model_arch a;
    model_desc d;
    load("llama-2-7b", "fp16", &a, &d);
    model_desc_fini(&d);
    char err[256] = "";
    model_arch_block b;
    a.mlp_matrices = 0;
    ck_assert_int_eq(model_arch_block_matrices(&a, &b, err, sizeof err), SS_EINVAL);
    ck_assert_msg(strstr(err, "mlp_matrices: expected 2 or 3, got 0") != NULL, "%s", err);
    ck_assert_int_eq(model_desc_from_arch(&a, "fp16", &d, err, sizeof err), SS_EINVAL);
    ck_assert_ptr_null(d.blocks);
    comp_codec c;
    ck_assert_int_eq(comp_codec_parse("nf4", &c, err, sizeof err), SS_OK);
    uint64_t bytes = 0;
    ck_assert_int_eq(real_weights_arch_block_bytes(&a, &c, &bytes, err, sizeof err), SS_EINVAL);
    a.mlp_matrices = 3;
    a.norms_per_block = 0;
    ck_assert_int_eq(model_arch_block_matrices(&a, &b, err, sizeof err), SS_EINVAL);
    ck_assert_msg(strstr(err, "norms_per_block") != NULL, "%s", err);
    a.norms_per_block = 2;
    a.num_key_value_heads = 3; /* does not divide 32 */
    ck_assert_int_eq(model_arch_block_matrices(&a, &b, err, sizeof err), SS_EINVAL);
}
END_TEST

typedef struct shapes_seen {
    int n;
    const char *name[16];
    size_t rows[16], cols[16];
} shapes_seen;

static ss_status record_block0(void *ctx, const char *name, int block, float *w, size_t rows,
                               size_t cols)
{
    (void)w;
    shapes_seen *s = ctx;
    if (block == 0 && s->n < 16) {
        s->name[s->n] = name;
        s->rows[s->n] = rows;
        s->cols[s->n] = cols;
        s->n++;
    }
    return SS_OK;
}

/* Independent check of the table against the real model: stories260K's
 * block 0 as model_llama visits it (dim 64, hidden 172, 8 heads, 4 KV
 * heads) has exactly the shapes the table lists for that architecture. */
START_TEST(test_block_matrices_match_the_real_llama_block_shapes)
{
    char err[256] = "";
    model_net *m = NULL;
    ck_assert_msg(model_llama2c_load_net(SS_ASSET("stories260K/stories260K.bin"), &m, err,
                                         sizeof err) == SS_OK, "%s", err);
    shapes_seen seen = {0};
    ck_assert_int_eq(model_net_map_weights(m, record_block0, &seen), SS_OK);
    model_arch a = {.name = "stories260K", .model_type = "llama", .hidden_size = 64,
                    .intermediate_size = 172, .num_hidden_layers = 5, .num_attention_heads = 8,
                    .num_key_value_heads = 4, .vocab_size = 512, .max_position_embeddings = 512,
                    .mlp_matrices = 3, .linear_bias = 0, .norms_per_block = 2, .norm_bias = 0};
    model_arch_block b;
    ck_assert_int_eq(model_arch_block_matrices(&a, &b, err, sizeof err), SS_OK);
    ck_assert_int_eq(seen.n, b.n_matrices);
    for (int i = 0; i < seen.n; i++) {
        ck_assert_uint_eq(seen.rows[i], b.matrices[i].rows);
        ck_assert_uint_eq(seen.cols[i], b.matrices[i].cols);
    }
    ck_assert_uint_eq(model_net_block(m, 0)->n_params,
                      b.matrix_params + b.bias_params + b.norm_params);
    model_net_destroy(m);
}
END_TEST

Suite *presets_suite(void)
{
    Suite *s = suite_create("presets");
    TCase *t = tcase_create("presets");
    tcase_add_test(t, test_bloom_176b_block_and_total_parameters_match_hand_count);
    tcase_add_test(t, test_falcon_180b_block_and_total_parameters_match_hand_count);
    tcase_add_test(t, test_presets_work_with_fp16_int8_and_nf4_weights);
    tcase_add_test(t, test_llama_2_70b_is_unchanged);
    tcase_add_test(t, test_bloom_alias_disagreement_is_rejected);
    tcase_add_test(t, test_block_matrices_of_llama_2_70b_by_hand);
    tcase_add_test(t, test_block_matrices_reject_an_arch_without_mlp_or_norm_layout);
    tcase_add_test(t, test_block_matrices_match_the_real_llama_block_shapes);
    suite_add_tcase(s, t);
    return s;
}
