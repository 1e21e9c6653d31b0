/* check_accuracy.c - codec accuracy through the real pipeline (real_accuracy),
 * weights at rest (real_weights), the Pareto front (ana_pareto). */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ana_pareto.h"
#include "comp.h"
#include "model_data.h"
#include "route.h"
#include "scn_scenario.h"
#include "real_accuracy.h"
#include "real_model.h"
#include "sim_place.h"
#include "real_weights.h"
#include "ss_alloc.h"
#include "sim_place.h"
#include "test_util.h"

static void load(const char *rel, const scn_override *ov, size_t n, scn_scenario *s, real_model *m)
{
    char err[1024];
    ck_assert_msg(scn_load(rel, ov, n, s, err, sizeof err) == SS_OK, "%s", err);
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

static comp_codec codec(const char *spec)
{
    comp_codec c;
    char err[256];
    ck_assert_msg(comp_codec_parse(spec, &c, err, sizeof err) == SS_OK, "%s", err);
    return c;
}

/* The stories260K reference over 32 steps and 5 stories, shared by tests. */
typedef struct lm_fixture {
    scn_scenario s;
    real_model m;
    model_stories *stories;
    real_accuracy_ref *ref;
    route_hop *hops;
    real_chain chain;
} lm_fixture;

static void lm_open(lm_fixture *f, int steps, int n_stories)
{
    char err[1024];
    load(SS_SRC("scenarios/stories260k.json"), NULL, 0, &f->s, &f->m);
    ck_assert_int_eq(model_stories_load(SS_ASSET("tinystories/tinystories_valid_first1000.txt"),
                                        &f->stories, err, sizeof err),
                     SS_OK);
    real_accuracy_cfg cfg = {.steps = steps, .stories = n_stories ? f->stories : NULL,
                            .n_stories = n_stories};
    f->chain = first_chain(&f->s, &f->m, &f->hops);
    ck_assert_msg(real_accuracy_ref_create(&f->chain, &f->m, &cfg, &f->ref, err, sizeof err) == SS_OK,
                  "%s", err);
}

static void lm_close(lm_fixture *f)
{
    real_accuracy_ref_destroy(f->ref);
    ss_free(f->hops);
    model_stories_free(f->stories);
    real_model_fini(&f->m);
    scn_scenario_fini(&f->s);
}

static real_accuracy_result measure(lm_fixture *f, const real_model *m, const char *spec)
{
    char err[1024];
    comp_codec c = codec(spec);
    real_accuracy_result r;
    ck_assert_msg(real_accuracy_measure(f->ref, &f->chain, m, &c, &r, err, sizeof err) == SS_OK, "%s",
                  err);
    return r;
}

START_TEST(test_fp32_against_fp32_is_exact)
{
    lm_fixture f;
    lm_open(&f, 32, 5);
    real_accuracy_result r = measure(&f, &f.m, "fp32");
    ck_assert_int_eq(r.n_positions, 32);
    ck_assert(r.agreement == 1.0);
    ck_assert(r.kl_mean == 0.0 && r.kl_max == 0.0);
    ck_assert_int_eq(r.n_stories, 5);
    ck_assert(r.perplexity_delta == 0.0);
    ck_assert(r.perplexity > 1.0 && r.perplexity < 100.0);
    /* 5 hops -> 6 crossings of one fp32 row of width 64 per decoded token */
    ck_assert(r.gen_wire_bytes_per_token == 6.0 * (16 + 4 * 64));
    /* the reference sequence starts at BOS and is what fp32 greedy chose */
    int n;
    const int32_t *t = real_accuracy_ref_tokens(f.ref, &n);
    ck_assert_int_eq(n, 33);
    ck_assert_int_eq(t[0], 1);
    lm_close(&f);
}
END_TEST

START_TEST(test_fp16_tiny_kl_int4_much_larger)
{
    lm_fixture f;
    lm_open(&f, 32, 3);
    real_accuracy_result h = measure(&f, &f.m, "fp16");
    real_accuracy_result q = measure(&f, &f.m, "int4");
    real_accuracy_result b = measure(&f, &f.m, "bf16");
    ck_assert_msg(h.kl_mean > 0.0 && h.kl_mean < 1e-5, "fp16 KL %g", h.kl_mean);
    /* bf16 keeps 8 mantissa bits to fp16's 11: coarser, larger KL */
    ck_assert_msg(b.kl_mean > h.kl_mean, "bf16 %g fp16 %g", b.kl_mean, h.kl_mean);
    ck_assert_msg(q.kl_mean > 100.0 * h.kl_mean, "int4 %g fp16 %g", q.kl_mean, h.kl_mean);
    ck_assert(q.kl_max >= q.kl_mean);
    ck_assert(h.agreement >= q.agreement);
    ck_assert(fabs(h.perplexity_delta) < fabs(q.perplexity_delta));
    /* fp16 halves the payload: 6 * (16 + 2 * 64) */
    ck_assert(h.gen_wire_bytes_per_token == 6.0 * (16 + 2 * 64));
    lm_close(&f);
}
END_TEST

START_TEST(test_lowrank_decode_rows_are_rank_one_and_lossless)
{
    /* A decode pass crosses a (1, 64) tensor: rank min(8, 1, 64) = 1 is the
     * whole tensor, so the greedy choices agree, at 16 + 4 * (1 + 64) bytes. */
    lm_fixture f;
    lm_open(&f, 16, 2);
    real_accuracy_result r = measure(&f, &f.m, "lowrank:8");
    ck_assert(r.agreement == 1.0);
    ck_assert_msg(r.kl_mean < 1e-9, "%g", r.kl_mean);
    ck_assert(r.gen_wire_bytes_per_token == 6.0 * (16 + 4 * (1 + 64)));
    /* ... while whole stories (n rows) at rank 8 lose a lot */
    ck_assert_msg(r.perplexity_delta > 1.0, "%g", r.perplexity_delta);
    lm_close(&f);
}
END_TEST

START_TEST(test_kl_hand_values)
{
    const float a[2] = {0.0f, 0.0f}, b[2] = {0.0f, (float)log(3.0)};
    /* p = (1/2, 1/2), q = (1/4, 3/4): KL = 1/2 ln 2 + 1/2 ln(2/3) */
    double want = 0.5 * log(2.0) + 0.5 * log(2.0 / 3.0);
    ck_assert(fabs(real_accuracy_kl(a, b, 2) - want) < 1e-7);
    ck_assert(real_accuracy_kl(b, b, 2) == 0.0);
    /* large logits do not overflow (log-sum-exp) */
    const float c[3] = {1000.0f, 999.0f, -1000.0f};
    ck_assert(real_accuracy_kl(c, c, 3) == 0.0);
    ck_assert(isfinite(real_accuracy_kl(c, a, 2)));
}
END_TEST

/* Relative Frobenius error of a low-rank round trip at each rank. */
typedef struct lr_ctx {
    int n_mats;
    int checked;
    double worst_ratio; /* largest err(r2)/err(r1) for r2 > r1: must be < 1 */
} lr_ctx;

static ss_status lowrank_monotone(void *vctx, const char *name, int block, float *w, size_t rows,
                                  size_t cols)
{
    lr_ctx *c = vctx;
    if (block < 0)
        return SS_OK;
    static const uint32_t ranks[] = {1, 2, 4, 8, 16, 32};
    size_t n = rows * cols, full = rows < cols ? rows : cols;
    float *y = ss_malloc_array(n, sizeof *y);
    uint8_t *buf = ss_malloc(16 + 4 * (rows + cols) * full + 64);
    ck_assert(y && buf);
    double norm = 0;
    for (size_t i = 0; i < n; i++)
        norm += (double)w[i] * w[i];
    double prev = INFINITY;
    for (size_t k = 0; k <= sizeof ranks / sizeof ranks[0]; k++) {
        uint32_t r = k < sizeof ranks / sizeof ranks[0] ? ranks[k] : (uint32_t)full;
        if (r > full)
            continue;
        comp_codec cd = {.kind = COMP_KIND_LOWRANK, .rank = r};
        size_t len = 0;
        char err[256];
        ck_assert_msg(comp_encode(&cd, w, rows, cols, buf, 16 + 4 * (rows + cols) * full + 64,
                                  &len, err, sizeof err) == SS_OK, "%s", err);
        ck_assert(comp_decode(&cd, buf, len, rows, cols, y, err, sizeof err) == SS_OK);
        double e = 0;
        for (size_t i = 0; i < n; i++)
            e += ((double)w[i] - y[i]) * ((double)w[i] - y[i]);
        e = sqrt(e / norm);
        if (r == full)
            ck_assert_msg(e < 1e-5, "block %d %s full rank %u: error %g", block, name, r, e);
        else
            ck_assert_msg(e < prev, "block %d %s: rank %u error %g not below %g", block, name, r, e,
                          prev);
        if (isfinite(prev) && prev > 1e-5 && e / prev > c->worst_ratio)
            c->worst_ratio = e / prev;
        prev = e;
        c->checked++;
    }
    c->n_mats++;
    ss_free(y);
    ss_free(buf);
    return SS_OK;
}

START_TEST(test_lowrank_error_decreases_with_rank_on_real_weights)
{
    scn_scenario s;
    real_model m;
    load(SS_SRC("scenarios/stories260k.json"), NULL, 0, &s, &m);
    lr_ctx c = {0};
    ck_assert_int_eq(model_net_map_weights(m.net, lowrank_monotone, &c), SS_OK);
    ck_assert_int_eq(c.n_mats, 5 * 7);
    ck_assert_int_ge(c.checked, 5 * 7 * 6);
    ck_assert(c.worst_ratio < 1.0);
    real_model_fini(&m);
    scn_scenario_fini(&s);
}
END_TEST

/* stories260K's shape, read from the checkpoint header (independent of the loader). */
static void header(int cfg[7])
{
    FILE *fp = fopen(SS_ASSET("stories260K/stories260K.bin"), "rb");
    ck_assert(fp);
    ck_assert_int_eq(fread(cfg, sizeof(int), 7, fp), 7);
    fclose(fp);
}

static uint64_t nf4_bytes(uint64_t rows, uint64_t cols)
{
    uint64_t n = rows * cols;
    return 16 + 4 * ((n + 63) / 64) + (n + 1) / 2;
}

START_TEST(test_weights_at_rest_nf4_bytes_follow_the_wire_formula)
{
    int h[7];
    header(h); /* dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab, seq_len */
    uint64_t dim = (uint64_t)h[0], hid = (uint64_t)h[1];
    uint64_t kv = dim * (uint64_t)h[4] / (uint64_t)h[3];
    uint64_t want = 2 * nf4_bytes(dim, dim) + 2 * nf4_bytes(kv, dim) + 2 * nf4_bytes(hid, dim) +
                    nf4_bytes(dim, hid) + 4 * 2 * dim;
    uint64_t params = 2 * dim * dim + 2 * kv * dim + 3 * hid * dim + 2 * dim;

    scn_override ov = {"compression.weights", "nf4"};
    scn_scenario s, s0;
    real_model m, m0;
    load(SS_SRC("scenarios/stories260k.json"), &ov, 1, &s, &m);
    load(SS_SRC("scenarios/stories260k.json"), NULL, 0, &s0, &m0);
    ck_assert_str_eq(s.weight_codec, "nf4");
    ck_assert_int_eq(m.desc.n_blocks, h[2]);
    for (int i = 0; i < m.desc.n_blocks; i++) {
        ck_assert_uint_eq(m.desc.blocks[i].n_params, params);
        double got = model_desc_block_weight_bytes(&m.desc, i);
        ck_assert_msg(fabs(got - (double)want) < 1e-6 * (double)want, "block %d: %.3f vs %llu", i,
                      got, (unsigned long long)want);
        ck_assert(model_desc_block_weight_bytes(&m0.desc, i) == 4.0 * (double)params);
    }
    /* about 0.56 bytes per weight (4 bits + a float scale per 64) */
    ck_assert(m.desc.weight_bytes_per_param > 0.55 && m.desc.weight_bytes_per_param < 0.6);

    /* the forward pass really uses the nf4 weights: the model differs, but
     * only a little; the client's embedding is untouched */
    lm_fixture f;
    lm_open(&f, 16, 0);
    real_accuracy_result r = measure(&f, &m, "fp32");
    ck_assert_msg(r.kl_mean > 1e-6 && r.kl_mean < 1.0, "nf4 weights: KL %g", r.kl_mean);
    real_accuracy_result r0 = measure(&f, &m0, "fp32");
    ck_assert(r0.kl_mean == 0.0);
    lm_close(&f);

    /* placement: one node holding all blocks with 0.3 MB of memory fits
     * the nf4 blocks (about 5 x 26 KB) but not the fp32 ones (5 x 182 KB) */
    scn_override tiny[3] = {{"placement.spans", "1"},
                            {"nodes[0].device.memory_gb", "0.0003"},
                            {"compression.weights", "nf4"}};
    for (int with_nf4 = 0; with_nf4 < 2; with_nf4++) {
        scn_scenario t;
        real_model tm;
        char err[1024];
        load(SS_SRC("scenarios/stories260k.json"), tiny, with_nf4 ? 3 : 2, &t, &tm);
        t.n_nodes = 1; /* the Paris laptop alone */
        route_view view;
        route_node_view *nodes = NULL;
        ss_status st = sim_place(&t, &tm.desc, &view, &nodes, err, sizeof err);
        if (with_nf4)
            ck_assert_msg(st == SS_OK, "%s", err);
        else
            ck_assert_msg(st == SS_EFULL, "fp32 blocks should not fit 0.3 MB: %s", ss_strerror(st));
        ss_free(nodes);
        real_model_fini(&tm);
        t.n_nodes = 5;
        scn_scenario_fini(&t);
    }
    real_model_fini(&m);
    real_model_fini(&m0);
    scn_scenario_fini(&s);
    scn_scenario_fini(&s0);
}
END_TEST

START_TEST(test_weights_at_rest_presets_match_the_block_parameter_count)
{
    /* fp32 at rest is 4 bytes per parameter plus a 16-byte header per
     * matrix: the shapes used for the bytes cover exactly the parameters
     * model_desc counts, for each architecture family */
    static const struct {
        const char *preset;
        int matrices;
    } p[] = {{"llama-2-7b", 7}, {"bloom-176b", 6}, {"falcon-180b", 6}};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        scn_override ov[2] = {{"model.preset", p[i].preset}, {"compression.weights", "fp32"}};
        scn_scenario s;
        real_model m;
        load(SS_SRC("scenarios/default.json"), ov, 2, &s, &m);
        double want = 4.0 * (double)m.desc.blocks[0].n_params + 16.0 * p[i].matrices;
        double got = model_desc_block_weight_bytes(&m.desc, 0);
        ck_assert_msg(fabs(got - want) < 1e-9 * want, "%s: %.1f vs %.1f", p[i].preset, got, want);
        real_model_fini(&m);
        scn_scenario_fini(&s);
    }
}
END_TEST

START_TEST(test_weights_at_rest_every_codec_round_trips_the_cnn)
{
    /* every codec applies to the CNN's matrices; stats count its 5 */
    static const char *const specs[] = {"fp16", "bf16", "blockwise8", "int8", "int4",
                                        "nf4",  "llm-int8", "lowrank:4", "lowrank-sparse:4"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        scn_scenario s;
        real_model m;
        load(SS_SRC("scenarios/mnist.json"), NULL, 0, &s, &m);
        comp_codec c = codec(specs[i]);
        real_weights_stats st;
        uint64_t bb[5];
        char err[512];
        ck_assert_msg(real_weights_apply(m.net, &c, bb, &st, err, sizeof err) == SS_OK, "%s", err);
        ck_assert_uint_eq(st.n_matrices, 5);
        uint64_t sum = 0;
        for (int b = 0; b < 5; b++)
            sum += bb[b];
        ck_assert(fabs(st.bytes_per_param * (double)st.block_params - (double)sum) <
                  1e-6 * (double)sum);
        ck_assert_msg(st.max_abs_err > 0.0, "%s changed nothing", specs[i]);
        real_model_fini(&m);
        scn_scenario_fini(&s);
    }
}
END_TEST

START_TEST(test_mnist_accuracy_delta)
{
    scn_scenario s;
    real_model m;
    char err[1024];
    load(SS_SRC("scenarios/mnist.json"), NULL, 0, &s, &m);
    model_idx *img, *lab;
    ck_assert(model_idx_load(SS_ASSET("mnist/t10k-images-idx3-ubyte"), &img, err, sizeof err) ==
              SS_OK);
    ck_assert(model_idx_load(SS_ASSET("mnist/t10k-labels-idx1-ubyte"), &lab, err, sizeof err) ==
              SS_OK);
    real_accuracy_cfg cfg = {.images = img, .labels = lab, .n_images = 300, .batch = 100};
    real_accuracy_ref *ref;
    route_hop *hops;
    real_chain ch = first_chain(&s, &m, &hops);
    ck_assert_msg(real_accuracy_ref_create(&ch, &m, &cfg, &ref, err, sizeof err) == SS_OK, "%s",
                  err);
    comp_codec c32 = codec("fp32"), c1 = codec("lowrank:1");
    real_accuracy_result a, b;
    ck_assert(real_accuracy_measure(ref, &ch, &m, &c32, &a, err, sizeof err) == SS_OK);
    ck_assert_int_eq(a.n_images, 300);
    ck_assert(a.mnist_accuracy_delta == 0.0 && a.mnist_accuracy > 0.95);
    /* rank 1 over a batch of 100 images destroys most of the information */
    ck_assert(real_accuracy_measure(ref, &ch, &m, &c1, &b, err, sizeof err) == SS_OK);
    ck_assert_msg(b.mnist_accuracy_delta < -0.2, "%g", b.mnist_accuracy_delta);
    ck_assert(b.mnist_wire_bytes_per_image < a.mnist_wire_bytes_per_image);
    real_accuracy_ref_destroy(ref);
    ss_free(hops);
    model_idx_free(img);
    model_idx_free(lab);
    real_model_fini(&m);
    scn_scenario_fini(&s);
}
END_TEST

START_TEST(test_pareto_front_by_hand)
{
    /* (bytes, latency, loss) */
    const double t[] = {
        100, 1.0, 0.0,  /* 0 front: lowest loss */
        50,  1.0, 0.1,  /* 1 front: fewer bytes */
        60,  1.0, 0.2,  /* 2 dominated by 1 (more bytes, same latency, more loss) */
        50,  1.0, 0.1,  /* 3 front: ties row 1 exactly, neither dominates */
        40,  2.0, 0.5,  /* 4 front: fewest bytes */
        100, 1.0, NAN,  /* 5 dominated by 0: NaN loss reads as +inf */
        100, 1.0, 0.0,  /* 6 front: ties row 0 */
        101, 1.0, 0.0,  /* 7 dominated by 0 in one objective only */
    };
    int f[8];
    ck_assert_uint_eq(ana_pareto_front(t, 8, 3, f), 5);
    const int want[8] = {1, 1, 0, 1, 1, 0, 1, 0};
    for (int i = 0; i < 8; i++)
        ck_assert_msg(f[i] == want[i], "row %d: %d", i, f[i]);
    ck_assert_uint_eq(ana_pareto_front(t, 1, 3, f), 1);
    ck_assert_int_eq(f[0], 1);
}
END_TEST

Suite *accuracy_suite(void)
{
    Suite *s = suite_create("accuracy");
    TCase *tc = tcase_create("accuracy");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_kl_hand_values);
    tcase_add_test(tc, test_pareto_front_by_hand);
    tcase_add_test(tc, test_fp32_against_fp32_is_exact);
    tcase_add_test(tc, test_fp16_tiny_kl_int4_much_larger);
    tcase_add_test(tc, test_lowrank_decode_rows_are_rank_one_and_lossless);
    tcase_add_test(tc, test_lowrank_error_decreases_with_rank_on_real_weights);
    tcase_add_test(tc, test_weights_at_rest_nf4_bytes_follow_the_wire_formula);
    tcase_add_test(tc, test_weights_at_rest_presets_match_the_block_parameter_count);
    tcase_add_test(tc, test_weights_at_rest_every_codec_round_trips_the_cnn);
    tcase_add_test(tc, test_mnist_accuracy_delta);
    suite_add_tcase(s, tc);
    return s;
}
