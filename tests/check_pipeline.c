/* check_pipeline.c - the evaluation data path equals the model run locally
 * when the wire is lossless, and counts exact wire bytes otherwise. */
#include <check.h>
#include <string.h>

#include "model_data.h"
#include "model_eval.h"
#include "scn_scenario.h"
#include "real_model.h"
#include "real_pipeline.h"
#include "ss_alloc.h"
#include "sim_place.h"
#include "test_util.h"

static void load(const char *rel, const scn_override *ov, size_t n, scn_scenario *s, real_model *m)
{
    char err[1024], path[4096];
    snprintf(path, sizeof path, "%s/%s", SS_SOURCE_DIR, rel);
    ck_assert_msg(scn_load(path, ov, n, s, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_msg(real_model_load(s, SS_SRC("models/presets"), NULL, m, err, sizeof err) == SS_OK,
                  "%s", err);
}

/* The chain of the scenario's first request (sim_first_chain); *hops is the
 * caller's to ss_free. */
static real_chain first_chain(const scn_scenario *s, const real_model *m, route_hop **hops)
{
    char err[1024];
    int n = 0;
    ck_assert_msg(sim_first_chain(s, &m->desc, hops, &n, err, sizeof err) == SS_OK, "%s", err);
    return (real_chain){.source = s->source_path, .hops = *hops, .n_hops = n};
}

START_TEST(test_fp32_pipeline_over_three_hops_equals_one_local_span_bit_for_bit)
{
    scn_scenario s;
    real_model m;
    load("scenarios/mnist.json", NULL, 0, &s, &m);
    char err[512];
    real_pipeline *p;
    route_hop *hops;
    real_chain ch = first_chain(&s, &m, &hops);
    comp_codec c;
    ck_assert_msg(sim_act_codec(&s, &c, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_msg(real_pipeline_create(&ch, &m, &c, &p, err, sizeof err) == SS_OK, "%s", err);
    ss_free(hops);
    ck_assert_int_eq(real_pipeline_n_hops(p), 3);
    model_idx *img;
    ck_assert_int_eq(model_idx_load(SS_ASSET("mnist/t10k-images-idx3-ubyte"), &img, err,
                                    sizeof err), SS_OK);
    const int n = 64;
    float *raw = ss_malloc_array((size_t)n * 784, sizeof *raw);
    float *x = ss_malloc_array((size_t)n * 784, sizeof *x);
    float *a = ss_malloc_array((size_t)n * 10, sizeof *a);
    float *b = ss_malloc_array((size_t)n * 10, sizeof *b);
    for (int i = 0; i < n * 784; i++)
        raw[i] = (float)img->data[i];
    ck_assert_int_eq(model_net_embed(m.net, n, NULL, raw, x), SS_OK);
    ck_assert_int_eq(real_pipeline_body(p, m.net, n, x, a), SS_OK);
    ck_assert_int_eq(model_eval_body_local(m.net, NULL, n, x, b), SS_OK);
    ck_assert_int_eq(memcmp(a, b, (size_t)n * 10 * sizeof *a), 0);
    /* fp32 on the wire: 16-byte header + 4 bytes per value, on the four
     * crossings client->h0->h1->h2->client, each of the width leaving the
     * previous hop (784 in, then the widths of the span ends). */
    uint64_t want = 0;
    const route_hop *h = real_pipeline_hops(p);
    want += 16 + 4ull * n * model_net_block(m.net, h[0].first_block)->act_in_elems;
    for (int i = 0; i < 3; i++)
        want += 16 + 4ull * n * model_net_block(m.net, h[i].end_block - 1)->act_out_elems;
    ck_assert_uint_eq(real_pipeline_wire_bytes(p), want);
    ss_free(raw);
    ss_free(x);
    ss_free(a);
    ss_free(b);
    model_idx_free(img);
    real_pipeline_destroy(p);
    real_model_fini(&m);
    scn_scenario_fini(&s);
}
END_TEST

static double ppl(const scn_scenario *s, const real_model *m, const char *codec, int local,
                  uint64_t *bytes)
{
    char err[512];
    model_stories *st;
    ck_assert_int_eq(model_stories_load(SS_ASSET("tinystories/tinystories_valid_first1000.txt"),
                                        &st, err, sizeof err), SS_OK);
    comp_codec c;
    ck_assert_int_eq(comp_codec_parse(codec, &c, err, sizeof err), SS_OK);
    real_pipeline *p = NULL;
    route_hop *hops;
    real_chain ch = first_chain(s, m, &hops);
    ck_assert_msg(real_pipeline_create(&ch, m, &c, &p, err, sizeof err) == SS_OK, "%s", err);
    ss_free(hops);
    model_eval_route r = {.body = real_pipeline_body, .ctx = p};
    model_eval_ppl_result res;
    ck_assert_msg(model_eval_perplexity(m->net, m->tok, st, 4, local ? NULL : &r, &res, err,
                                        sizeof err) == SS_OK, "%s", err);
    *bytes = real_pipeline_wire_bytes(p);
    real_pipeline_destroy(p);
    model_stories_free(st);
    return res.perplexity;
}

START_TEST(test_perplexity_through_lossless_pipeline_equals_local_and_fp16_halves_bytes)
{
    scn_scenario s;
    real_model m;
    load("scenarios/stories260k.json", NULL, 0, &s, &m);
    uint64_t b32, b16, b0;
    double local = ppl(&s, &m, "fp32", 1, &b0);
    double p32 = ppl(&s, &m, "fp32", 0, &b32);
    double p16 = ppl(&s, &m, "fp16", 0, &b16);
    ck_assert_uint_eq(b0, 0);
    ck_assert(p32 == local); /* exact: same spans, same order, lossless wire */
    ck_assert(p16 != p32);   /* fp16 rounding reaches the logits */
    ck_assert_double_eq_tol(p16, p32, 0.01 * p32);
    /* 6 crossings of 4 stories: fp32 pays 16 + 4n, fp16 16 + 2n per crossing */
    ck_assert_uint_eq(b32 - 6 * 4 * 16, 2 * (b16 - 6 * 4 * 16));
    real_model_fini(&m);
    scn_scenario_fini(&s);
}
END_TEST

Suite *pipeline_suite(void)
{
    Suite *s = suite_create("pipeline");
    TCase *tc = tcase_create("pipeline");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_fp32_pipeline_over_three_hops_equals_one_local_span_bit_for_bit);
    tcase_add_test(tc, test_perplexity_through_lossless_pipeline_equals_local_and_fp16_halves_bytes);
    suite_add_tcase(s, tc);
    return s;
}
