/* check_cost.c - the roofline cost model, its worked example, the OpenBLAS
 * core-type chooser and the naive-reference check of a BLAS kernel.
 *
 * The worked example's figures are the ones printed in models/COST_MODEL.md,
 * computed there by hand (and with a separate Python one-liner), not by
 * this code. */
#include <check.h>
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_calibrate.h"
#include "model_cost.h"
#include "model_desc.h"
#include "model_llama.h"
#include "test_util.h"

#define REL(a, b) (fabs((a) - (b)) <= 1e-9 * fabs(b))

static void load_70b(const char *format, model_desc *d)
{
    model_arch a;
    char err[512];
    ck_assert_msg(model_arch_load(SS_SRC("models/presets"), "llama-2-70b", &a, err, sizeof err) ==
                      SS_OK, "%s", err);
    ck_assert_msg(model_desc_from_arch(&a, format, d, err, sizeof err) == SS_OK, "%s", err);
}

/* RTX 3090 as COST_MODEL.md uses it: 71 TFLOP/s dense fp16 tensor, 936 GB/s,
 * the scenario defaults compute_eff 0.5 and bw_eff 0.7, 0.1 ms per block
 * (block_overhead_ms), nothing per step. */
static const model_device rtx3090 = {.peak_flops = 71e12, .mem_bw_bytes_per_s = 936e9,
                                     .compute_eff = 0.5, .bw_eff = 0.7,
                                     .block_overhead_s = 1e-4};

START_TEST(test_worked_example_block_descriptor)
{
    model_desc d;
    load_70b("fp16", &d);
    ck_assert_int_eq(d.n_blocks, 80);
    const model_block_desc *b = &d.blocks[0];
    ck_assert_uint_eq(b->n_params, 855654400u);
    ck_assert_double_eq(b->flops_per_item, 1711276032.0);
    ck_assert_double_eq(b->attn_flops_per_ctx, 32768.0);
    ck_assert_uint_eq(b->n_attn_heads, 64u);
    ck_assert_uint_eq(b->kv_elems_per_item, 2048u);
    ck_assert_uint_eq(b->act_in_elems, 8192u);
    ck_assert_double_eq(model_desc_block_weight_bytes(&d, 0), 1711308800.0);
    model_desc_fini(&d);
}
END_TEST

START_TEST(test_worked_example_decode_one_token_at_ctx_1023)
{
    model_desc d;
    load_70b("fp16", &d);
    model_cost_terms t = model_cost_span(&rtx3090, &d, 0, 1, 1, 1023);
    ck_assert(REL(t.flops, 1744830464.0));
    ck_assert(REL(t.weight_bytes, 1711308800.0));
    ck_assert(REL(t.kv_bytes, 4194304.0));
    ck_assert(REL(t.act_bytes, 65536.0));
    ck_assert(REL(t.bytes, 1715568640.0));
    ck_assert(REL(t.compute_s, 4.9150153915492956e-05));
    ck_assert(REL(t.memory_s, 0.002618389255189255));
    ck_assert(REL(t.total_s, 0.002718389255189255)); /* memory-bound: 2.718 ms */
    model_desc_fini(&d);
}
END_TEST

START_TEST(test_worked_example_prefill_512)
{
    model_desc d;
    load_70b("fp16", &d);
    model_cost_terms t = model_cost_span(&rtx3090, &d, 0, 1, 512, 0);
    ck_assert(REL(t.flops, 880476684288.0));
    ck_assert(REL(t.kv_bytes, 2097152.0));
    ck_assert(REL(t.act_bytes, 33554432.0));
    ck_assert(REL(t.bytes, 1746960384.0));
    ck_assert(REL(t.compute_s, 0.024802160120788733));
    ck_assert(REL(t.memory_s, 0.0026663009523809522));
    ck_assert(REL(t.total_s, 0.024902160120788733)); /* compute-bound: 24.90 ms */
    model_desc_fini(&d);
}
END_TEST

START_TEST(test_worked_example_batch_16_decode)
{
    model_desc d;
    load_70b("fp16", &d);
    model_cost_terms t = model_cost_span_batch(&rtx3090, &d, 0, 1, 16, 1, 1023);
    ck_assert(REL(t.flops, 27917287424.0));
    ck_assert(REL(t.weight_bytes, 1711308800.0)); /* read once for the whole batch */
    ck_assert(REL(t.kv_bytes, 67108864.0));
    ck_assert(REL(t.bytes, 1779466240.0));
    ck_assert(REL(t.compute_s, 0.0007864024626478873));
    ck_assert(REL(t.memory_s, 0.0027159130647130647));
    ck_assert(REL(t.total_s, 0.0028159130647130645));
    model_desc_fini(&d);
}
END_TEST

START_TEST(test_worked_example_nf4_decode)
{
    model_desc d;
    load_70b("nf4", &d);
    ck_assert_double_eq(d.format_bw_eff, 0.9);
    ck_assert_double_eq(d.format_compute_eff, 1.0);
    model_cost_terms t = model_cost_span(&rtx3090, &d, 0, 1, 1, 1023);
    ck_assert(REL(t.bytes, 457756672.0));
    ck_assert(REL(t.memory_s, 0.0007762797992131326));
    ck_assert(REL(t.total_s, 0.0008762797992131326));
    model_desc_fini(&d);
}
END_TEST

/* Batch-1 decode of a whole 70B model is memory-bound at every context the
 * preset allows, and its time tends to weight bytes / effective bandwidth. */
START_TEST(test_decode_is_memory_bound_and_tends_to_weight_streaming)
{
    model_desc d;
    load_70b("fp16", &d);
    model_device dev = rtx3090;
    dev.block_overhead_s = 0;
    for (int64_t ctx = 0; ctx < 4096; ctx += 511) {
        model_cost_terms t = model_cost_span(&dev, &d, 0, d.n_blocks, 1, ctx);
        ck_assert(t.memory_s > t.compute_s);
        ck_assert(t.total_s == t.memory_s);
        ck_assert(t.weight_bytes > 0.97 * t.bytes); /* weights dominate the bytes */
    }
    model_cost_terms t0 = model_cost_span(&dev, &d, 0, d.n_blocks, 1, 0);
    ck_assert(fabs(t0.total_s - t0.weight_bytes / (936e9 * 0.7)) < 1e-3 * t0.total_s);
    model_desc_fini(&d);
}
END_TEST

/* A long prefill is compute-bound, and per token it tends to
 * flops_per_item / effective FLOP/s as the weights' share of bytes vanishes. */
START_TEST(test_large_prefill_is_compute_bound)
{
    model_desc d;
    load_70b("fp16", &d);
    model_device dev = rtx3090;
    dev.block_overhead_s = 0;
    model_cost_terms t = model_cost_span(&dev, &d, 0, 4, 2048, 0);
    ck_assert(t.compute_s > 5 * t.memory_s);
    ck_assert(t.total_s == t.compute_s);
    /* below the ridge point (~61 tokens here, COST_MODEL.md) it is memory-bound */
    model_cost_terms s = model_cost_span(&dev, &d, 0, 4, 32, 0);
    ck_assert(s.memory_s > s.compute_s);
    model_cost_terms u = model_cost_span(&dev, &d, 0, 4, 96, 0);
    ck_assert(u.compute_s > u.memory_s);
    model_desc_fini(&d);
}
END_TEST

START_TEST(test_time_grows_with_tokens_context_batch_and_span)
{
    model_desc d;
    load_70b("fp16", &d);
    double prev = 0;
    for (int64_t n = 1; n <= 4096; n *= 2) {
        double s = model_cost_span_s(&rtx3090, &d, 0, 2, n, 0);
        ck_assert(s > prev);
        prev = s;
    }
    prev = 0;
    for (int64_t c = 0; c <= 4000; c += 1000) {
        model_cost_terms t = model_cost_span_batch(&rtx3090, &d, 0, 2, 64, 1, c);
        ck_assert(t.total_s > prev);
        prev = t.total_s;
    }
    for (int end = 1; end < 5; end++)
        ck_assert(model_cost_span_s(&rtx3090, &d, 0, end + 1, 1, 10) >
                  model_cost_span_s(&rtx3090, &d, 0, end, 1, 10));
    /* FLOPs and bytes add over a span cut in two */
    model_cost_terms a = model_cost_span(&rtx3090, &d, 0, 3, 7, 100);
    model_cost_terms b = model_cost_span(&rtx3090, &d, 0, 1, 7, 100);
    model_cost_terms c = model_cost_span(&rtx3090, &d, 1, 3, 7, 100);
    ck_assert(REL(a.flops, b.flops + c.flops));
    ck_assert(REL(a.bytes, b.bytes + c.bytes));
    model_desc_fini(&d);
}
END_TEST

/* Batch b: FLOPs, KV and activation bytes scale by b, weight bytes do not. */
START_TEST(test_batch_term_shares_the_weights)
{
    model_desc d;
    load_70b("fp16", &d);
    model_cost_terms one = model_cost_span_batch(&rtx3090, &d, 0, 2, 1, 3, 500);
    for (int64_t b = 2; b <= 256; b *= 2) {
        model_cost_terms t = model_cost_span_batch(&rtx3090, &d, 0, 2, b, 3, 500);
        ck_assert(REL(t.flops, (double)b * one.flops));
        ck_assert(REL(t.weight_bytes, one.weight_bytes));
        ck_assert(REL(t.kv_bytes, (double)b * one.kv_bytes));
        ck_assert(REL(t.act_bytes, (double)b * one.act_bytes));
        /* time per session falls with the batch while memory-bound */
        if (t.memory_s > t.compute_s)
            ck_assert(t.total_s / (double)b < one.total_s);
    }
    /* model_cost_span is batch 1 */
    model_cost_terms s = model_cost_span(&rtx3090, &d, 0, 2, 3, 500);
    ck_assert(s.total_s == one.total_s && s.bytes == one.bytes);
    /* one token at context 0: FLOPs = flops_per_item + attn * 1 (position 1) */
    model_cost_terms z = model_cost_span_batch(&rtx3090, &d, 0, 1, 1, 1, 0);
    ck_assert(REL(z.flops, 1711276032.0 + 32768.0));
    model_desc_fini(&d);
}
END_TEST

START_TEST(test_format_factors_scale_the_effective_rates)
{
    double c, b;
    ck_assert_int_eq(model_weight_format_eff("fp16", &c, &b), SS_OK);
    ck_assert(c == 1.0 && b == 1.0);
    ck_assert_int_eq(model_weight_format_eff("int8", &c, &b), SS_OK);
    ck_assert(c < 1.0 && b < 1.0);
    ck_assert_int_eq(model_weight_format_eff("fp8", &c, &b), SS_ENOTFOUND);
    model_desc d;
    load_70b("fp16", &d);
    model_device dev = {.peak_flops = 1e12, .mem_bw_bytes_per_s = 1e9, .compute_eff = 1,
                        .bw_eff = 1, .overhead_s = 0};
    model_cost_terms t1 = model_cost_span(&dev, &d, 0, 1, 5, 5);
    d.format_compute_eff = 0.5;
    d.format_bw_eff = 0.25;
    model_cost_terms t2 = model_cost_span(&dev, &d, 0, 1, 5, 5);
    ck_assert(REL(t2.compute_s, 2 * t1.compute_s));
    ck_assert(REL(t2.memory_s, 4 * t1.memory_s));
    d.format_compute_eff = d.format_bw_eff = 0; /* a hand-built desc: no penalty */
    model_cost_terms t3 = model_cost_span(&dev, &d, 0, 1, 5, 5);
    ck_assert(t3.total_s == t1.total_s);
    model_desc_fini(&d);
}
END_TEST

/* COST_MODEL.md (e): the same block with an attention cost of 2 ns per
 * (head x position). head_pos = 64 heads x attended; the attention FLOPs
 * leave the compute leg, the KV bytes stay in the memory leg. */
START_TEST(test_worked_example_attention_term)
{
    model_desc d;
    load_70b("fp16", &d);
    model_device dev = rtx3090;
    dev.attn_s_per_head_pos = 2e-9;
    model_cost_terms t = model_cost_span(&dev, &d, 0, 1, 1, 1023);
    ck_assert(REL(t.head_pos, 65536.0));  /* 64 x 1024 */
    ck_assert(REL(t.attn_flops, 33554432.0));
    ck_assert(REL(t.flops, 1744830464.0)); /* still reported whole */
    ck_assert(REL(t.attn_s, 1.31072e-4));
    ck_assert(REL(t.compute_s, 4.8204958647887324e-05)); /* 1,711,276,032 / 3.55e13 */
    ck_assert(REL(t.memory_s, 0.002618389255189255));   /* unchanged: KV bytes included */
    ck_assert(REL(t.total_s, 0.002849461255189255));    /* 2.6184 + 0.1311 + 0.1 ms */
    model_cost_terms p = model_cost_span(&dev, &d, 0, 1, 512, 0);
    ck_assert(REL(p.head_pos, 8404992.0)); /* 64 x 131,328 */
    ck_assert(REL(p.attn_s, 0.016809984));
    ck_assert(REL(p.compute_s, 0.02468093882771831)); /* 876,173,328,384 / 3.55e13 */
    ck_assert(REL(p.total_s, 0.04159092282771831));
    /* batch: every session attends its own cache */
    model_cost_terms b = model_cost_span_batch(&dev, &d, 0, 1, 16, 1, 1023);
    ck_assert(REL(b.head_pos, 16 * 65536.0));
    ck_assert(REL(b.attn_s, 16 * 1.31072e-4));
    model_desc_fini(&d);
}
END_TEST

/* A zero attention cost is the roofline as it was, bit for bit (the sim and
 * world suites' hand-computed times rely on it), and a span without
 * attention heads (a CNN block) gets no attention time from a non-zero one. */
START_TEST(test_zero_attention_cost_is_the_plain_roofline)
{
    model_desc d;
    load_70b("nf4", &d);
    model_device dev = rtx3090;
    dev.overhead_s = 3e-5;
    dev.block_overhead_s = 0;
    for (int64_t n = 1; n <= 1024; n *= 4)
        for (int64_t ctx = 0; ctx < 4096; ctx += 1365) {
            model_cost_terms t = model_cost_span_batch(&dev, &d, 3, 7, 2, n, ctx);
            double roof = t.compute_s > t.memory_s ? t.compute_s : t.memory_s;
            ck_assert(t.attn_s == 0);
            ck_assert(t.total_s == roof + dev.overhead_s);
            ck_assert(t.compute_s == t.flops / (71e12 * 0.5 * d.format_compute_eff));
        }
    for (int i = 0; i < d.n_blocks; i++)
        d.blocks[i].n_attn_heads = 0;
    dev.attn_s_per_head_pos = 1e-6;
    model_cost_terms t = model_cost_span(&dev, &d, 0, 2, 4, 100);
    ck_assert(t.head_pos == 0 && t.attn_s == 0);
    model_desc_fini(&d);
}
END_TEST

/* The overhead rule (COST_MODEL.md, "Overheads"): overhead_s once per call
 * (one step of a node), block_overhead_s once per block of the call,
 * whatever the batch or the tokens. By hand, decode of (a) over blocks
 * [0, 4) at ctx 1023: memory-bound, memory_s = 4 x 1,715,568,640 /
 * 6.552e11 = 10.4735570 ms; with 0.25 ms per step and 0.1 ms per block the
 * total is 10.4735570 + 0.25 + 4 x 0.1 = 11.1235570 ms. */
START_TEST(test_step_overhead_is_per_call_and_block_overhead_per_block)
{
    model_desc d;
    load_70b("fp16", &d);
    model_device dev = rtx3090;
    dev.overhead_s = 2.5e-4;
    model_cost_terms t = model_cost_span(&dev, &d, 0, 4, 1, 1023);
    ck_assert(REL(t.memory_s, 4 * 1715568640.0 / 6.552e11));
    ck_assert(REL(t.overhead_s, 2.5e-4 + 4 * 1e-4));
    ck_assert(REL(t.total_s, 0.010473557020757021 + 6.5e-4));
    /* per block: 13 blocks of (a) cost 13 x 2.718 ms when nothing is per step */
    dev.overhead_s = 0;
    model_cost_terms one = model_cost_span(&dev, &d, 0, 1, 1, 1023);
    model_cost_terms thirteen = model_cost_span(&dev, &d, 0, 13, 1, 1023);
    ck_assert(REL(thirteen.total_s, 13 * one.total_s));
    ck_assert(REL(one.total_s, 0.002718389255189255));
    /* per step: the same 0.1 ms charged per call is paid once for the span */
    model_device step = rtx3090;
    step.block_overhead_s = 0;
    step.overhead_s = 1e-4;
    model_cost_terms s13 = model_cost_span(&step, &d, 0, 13, 1, 1023);
    ck_assert(REL(s13.total_s, 13 * 1715568640.0 / 6.552e11 + 1e-4));
    ck_assert(REL(thirteen.total_s - s13.total_s, 12 * 1e-4));
    /* neither depends on the batch or on the tokens of the call */
    for (int64_t b = 1; b <= 64; b *= 4) {
        model_cost_terms x = model_cost_span_batch(&dev, &d, 2, 5, b, 7, 300);
        ck_assert(REL(x.overhead_s, 3 * 1e-4));
    }
    model_desc_fini(&d);
}
END_TEST

/* A device's own format factors replace the description's defaults; 0 on
 * the device keeps them. int8 on the rtx-3090 preset's factors (0.82,
 * 0.406): decode (a) moves 855,654,400 x 1.01 = 864,210,944 weight bytes +
 * 4,259,840 = 868,470,784 B at 6.552e11 x 0.406 B/s = 3.2647 ms, slower
 * than fp16's 2.6184 ms: LLM.int8() at batch 1 is (COST_MODEL.md). */
START_TEST(test_device_format_factors_replace_the_defaults)
{
    model_desc d;
    load_70b("int8", &d);
    ck_assert_double_eq(d.format_compute_eff, 0.82); /* the published defaults */
    ck_assert_double_eq(d.format_bw_eff, 0.406);
    model_device dev = rtx3090;
    dev.block_overhead_s = 0;
    model_cost_terms def = model_cost_span(&dev, &d, 0, 1, 1, 1023);
    dev.format_compute_eff = 0.82;
    dev.format_bw_eff = 0.406;
    model_cost_terms same = model_cost_span(&dev, &d, 0, 1, 1, 1023);
    ck_assert(same.total_s == def.total_s); /* the same numbers, the same bits */
    ck_assert(REL(same.bytes, 868470784.0));
    ck_assert(REL(same.memory_s, 868470784.0 / (6.552e11 * 0.406)));
    dev.format_bw_eff = 0.203; /* half the factor: twice the memory leg */
    model_cost_terms half = model_cost_span(&dev, &d, 0, 1, 1, 1023);
    ck_assert(REL(half.memory_s, 2 * same.memory_s));
    dev.format_compute_eff = 0.41;
    model_cost_terms p1 = model_cost_span(&dev, &d, 0, 1, 512, 0);
    dev.format_compute_eff = 0.82;
    model_cost_terms p2 = model_cost_span(&dev, &d, 0, 1, 512, 0);
    ck_assert(REL(p1.compute_s, 2 * p2.compute_s));
    model_desc_fini(&d);
}
END_TEST

/* ---- OpenBLAS core-type chooser ---------------------------------------------- */

static const model_cpu_features f_none = {0};
static const model_cpu_features f_sse = {.sse3 = 1, .ssse3 = 1, .sse4_2 = 1};
static const model_cpu_features f_avx = {.sse3 = 1, .ssse3 = 1, .sse4_2 = 1, .avx = 1};
static const model_cpu_features f_avx2 = {.sse3 = 1, .ssse3 = 1, .sse4_2 = 1, .avx = 1,
                                          .avx2 = 1, .fma = 1};
static const model_cpu_features f_avx512 = {.sse3 = 1, .ssse3 = 1, .sse4_2 = 1, .avx = 1,
                                            .avx2 = 1, .fma = 1, .avx512f = 1, .avx512cd = 1,
                                            .avx512bw = 1, .avx512dq = 1, .avx512vl = 1};
/* AVX-512 F/CD without BW/DQ/VL (Knights Landing): SkylakeX kernels would fault */
static const model_cpu_features f_knl = {.sse3 = 1, .ssse3 = 1, .sse4_2 = 1, .avx = 1,
                                         .avx2 = 1, .fma = 1, .avx512f = 1, .avx512cd = 1};

START_TEST(test_core_chooser_decision_table)
{
    static const struct {
        const char *core;
        const model_cpu_features *f;
        const char *want; /* NULL: keep OpenBLAS's choice */
    } rows[] = {
        /* the machine: family 6 model 207 with AVX-512, seen as Prescott */
        {"Prescott", &f_avx512, "SkylakeX"},
        {"Prescott", &f_avx2, "Haswell"},
        {"Prescott", &f_knl, "Haswell"},
        {"Prescott", &f_avx, "Sandybridge"},
        {"Prescott", &f_sse, NULL},
        {"Prescott", &f_none, NULL},
        {"prescott", &f_avx2, "Haswell"}, /* names compare case-insensitively */
        {"Katmai", &f_avx2, "Haswell"},
        {"Core2", &f_avx512, "SkylakeX"},
        {"Nehalem", &f_avx2, "Haswell"},
        {"Unknown", &f_avx2, "Haswell"},
        {"Sandybridge", &f_avx2, "Haswell"},
        {"Sandybridge", &f_avx, NULL},
        /* this machine: an AMD EPYC with AVX2, seen as Zen: keep */
        {"Zen", &f_avx2, NULL},
        {"Zen", &f_avx512, NULL},
        {"Haswell", &f_avx512, NULL},
        {"SkylakeX", &f_avx512, NULL},
        {"SkylakeX", &f_avx2, NULL}, /* the user's or OpenBLAS's call, never ours */
        {"Excavator", &f_avx2, NULL},
        {"ARMV8", &f_avx512, NULL}, /* not in the table */
        {"", &f_avx2, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *got = model_blas_choose_core(rows[i].core, rows[i].f);
        if (!rows[i].want)
            ck_assert_msg(got == NULL, "%s: got %s, want keep", rows[i].core, got);
        else
            ck_assert_msg(got && strcmp(got, rows[i].want) == 0, "%s: got %s, want %s",
                          rows[i].core, got ? got : "keep", rows[i].want);
    }
    ck_assert_ptr_null(model_blas_choose_core(NULL, &f_avx2));
    ck_assert_ptr_null(model_blas_choose_core("Prescott", NULL));
}
END_TEST

/* Whatever this host is, a choice is never a kernel it cannot run. */
START_TEST(test_core_chooser_on_this_host_is_runnable)
{
    model_cpu_features f;
    model_cpu_features_detect(&f);
    const char *names[] = {"Prescott", "Core2", "Sandybridge", openblas_get_corename()};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *got = model_blas_choose_core(names[i], &f);
        if (got && strcmp(got, "SkylakeX") == 0)
            ck_assert(f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq && f.avx512cd);
        if (got && strcmp(got, "Haswell") == 0)
            ck_assert(f.avx2 && f.fma);
        if (got && strcmp(got, "Sandybridge") == 0)
            ck_assert(f.avx);
    }
}
END_TEST

/* ---- naive-reference check ---------------------------------------------------- */

static void gemm_naive(int m, int n, int k, float alpha, const float *a, const float *b,
                       float beta, float *c)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float s = 0;
            for (int p = 0; p < k; p++)
                s += a[(size_t)i * k + p] * b[(size_t)j * k + p];
            c[(size_t)i * n + j] = alpha * s + beta * c[(size_t)i * n + j];
        }
}

/* drops the last term of every dot product: a kernel with an edge bug */
static void gemm_short_k(int m, int n, int k, float alpha, const float *a, const float *b,
                         float beta, float *c)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float s = 0;
            for (int p = 0; p < k - 1; p++)
                s += a[(size_t)i * k + p] * b[(size_t)j * k + p];
            c[(size_t)i * n + j] = alpha * s + beta * c[(size_t)i * n + j];
        }
}

static void gemm_ignores_beta(int m, int n, int k, float alpha, const float *a, const float *b,
                              float beta, float *c)
{
    model_blas_gemm(m, n, k, alpha, a, b, 0.0f, c);
}

static void gemm_nan(int m, int n, int k, float alpha, const float *a, const float *b, float beta,
                     float *c)
{
    model_blas_gemm(m, n, k, alpha, a, b, beta, c);
    c[(size_t)(m - 1) * n + (n - 1)] = NAN;
}

START_TEST(test_naive_reference_accepts_correct_kernels)
{
    double e = -1;
    ck_assert_int_eq(model_blas_verify(model_blas_gemm, 1e-4, &e), SS_OK);
    ck_assert(e >= 0 && e < 1e-5);
    ck_assert_int_eq(model_blas_verify(gemm_naive, 1e-4, &e), SS_OK);
    ck_assert(e >= 0 && e < 1e-5);
}
END_TEST

START_TEST(test_naive_reference_rejects_wrong_kernels)
{
    double e = 0;
    ck_assert_int_eq(model_blas_verify(gemm_short_k, 1e-4, &e), SS_ERANGE);
    ck_assert(e > 1e-3);
    ck_assert_int_eq(model_blas_verify(gemm_ignores_beta, 1e-4, &e), SS_ERANGE);
    ck_assert(e > 1e-3);
    ck_assert_int_eq(model_blas_verify(gemm_nan, 1e-4, &e), SS_ERANGE);
    ck_assert(isinf(e));
}
END_TEST

/* ---- calibration reduction ---------------------------------------------------- */

static double fake_t;
static double fake_clock(void) { return fake_t += 1.0; } /* every interval is 1 s */

START_TEST(test_calibration_reduces_rates_as_documented)
{
    /* with a clock that advances 1 s per reading every timed interval is
     * exactly 1 s, so each rate is its work count: independent of the host */
    model_calib_cfg cfg = {.now = fake_clock, .quick = true, .reps = 1};
    model_calibration c;
    ck_assert_int_eq(model_calib_run(&cfg, &c), SS_OK);
    ck_assert_int_eq(c.n_gemm_square, 2);
    ck_assert_int_eq(c.n_gemm, 6);
    /* square 128, 256; then 32 and 128 tokens times (1024, 512), (512, 1024) */
    ck_assert_double_eq(c.gemm[1].rate, 2.0 * 256 * 256 * 256);
    ck_assert_double_eq(c.gemm[2].rate, 2.0 * 32 * 1024 * 512);
    ck_assert_double_eq(c.gemm_peak_flops, 2.0 * 128 * 1024 * 512);
    ck_assert_double_eq(c.gemm_typical_flops, 2.0 * 0.5 * (32 + 128) * 1024 * 512);
    /* sgemv passes over the whole 64 MB buffer: 64 MB per second each */
    ck_assert_int_eq(c.n_gemv, 5);
    ck_assert_double_eq(c.gemv_bytes_per_s, 64.0 * 1024 * 1024);
    ck_assert_double_eq(c.memcpy_bytes_per_s, 64.0 * 1024 * 1024);
    ck_assert_double_eq(c.triad_bytes_per_s, 12.0 * 8 * 1024 * 1024);
    ck_assert_double_eq(c.call_overhead_s, 1.0 / 2000);
    model_device d = c.device;
    ck_assert_double_eq(d.peak_flops, c.gemm_peak_flops);
    ck_assert_double_eq(d.mem_bw_bytes_per_s, 12.0 * 8 * 1024 * 1024); /* triad > sgemv */
    /* the quick reference layer (dim 512, hidden 1408, 4 heads), by hand:
     * weights 4*(4*512^2 + 3*512*1408 + 2*512) = 12,849,152 bytes; decode at
     * ctx 256 adds KV 1024*4*257 = 1,052,672 and activations 4*1024 = 4,096;
     * prefill of 256 tokens: 256 * 2*3,211,264 + 4*512 * 256*257/2 =
     * 1,711,538,176 FLOPs, of 128 tokens 128 * 6,422,528 + 2,048 * 128*129/2
     * = 838,991,872, both in 1 s each */
    ck_assert_double_eq(c.fwd_decode_bytes_per_s, 13905920.0);
    ck_assert_double_eq(c.fwd_prefill_flops_per_s, (1711538176.0 + 838991872.0) / 2);
    /* the attention probe's two chunks took 1 s each: no measurable cost,
     * so attention stays inside the roofline and the rates above hold */
    ck_assert_double_eq(c.fwd_attn_s_per_head_pos, 0);
    ck_assert_double_eq(c.device.attn_s_per_head_pos, 0);
    ck_assert_double_eq(d.bw_eff, 13905920.0 / (12.0 * 8 * 1024 * 1024));
    ck_assert_double_eq(d.compute_eff, 1.0); /* 1.7e9 "FLOP/s" over a 1.3e8 peak: clamped */
    ck_assert_double_eq(d.overhead_s, 1.0 / 2000);

    /* merge keeps the best of each figure and re-derives */
    model_calibration b = c;
    b.gemm[2].rate *= 5;
    b.triad_bytes_per_s /= 2;
    b.call_overhead_s = 1e-9;
    model_calib_merge(&c, &b);
    ck_assert_double_eq(c.gemm[2].rate, 5 * 2.0 * 32 * 1024 * 512);
    ck_assert_double_eq(c.triad_bytes_per_s, 12.0 * 8 * 1024 * 1024);
    ck_assert_double_eq(c.call_overhead_s, 1e-9);
    ck_assert_double_eq(c.gemm_peak_flops, 5 * 2.0 * 32 * 1024 * 512);
}
END_TEST

START_TEST(test_calibration_device_formula)
{
    model_calibration c = {0};
    c.gemm_peak_flops = 100e9;
    c.fwd_prefill_flops_per_s = 60e9;
    c.triad_bytes_per_s = 10e9;
    c.gemv_best_bytes_per_s = 16e9;
    c.fwd_decode_bytes_per_s = 12e9;
    c.call_overhead_s = 2e-7;
    model_device d = model_calib_device(&c);
    ck_assert_double_eq(d.peak_flops, 100e9);
    ck_assert_double_eq_tol(d.compute_eff, 0.6, 1e-15);
    ck_assert_double_eq(d.mem_bw_bytes_per_s, 16e9);
    ck_assert_double_eq_tol(d.bw_eff, 0.75, 1e-15);
    ck_assert_double_eq(d.overhead_s, 2e-7);
    c.fwd_prefill_flops_per_s = 150e9; /* faster than the sgemm peak: clamped */
    ck_assert_double_eq(model_calib_device(&c).compute_eff, 1.0);
    ck_assert_double_eq(d.attn_s_per_head_pos, 0); /* no probe: no separate term */
    c.fwd_attn_s_per_head_pos = 1.25e-8;
    ck_assert_double_eq(model_calib_device(&c).attn_s_per_head_pos, 1.25e-8);
    c.fwd_attn_s_per_head_pos = -1e-9; /* a disturbed probe never gives a negative cost */
    ck_assert_double_eq(model_calib_device(&c).attn_s_per_head_pos, 0);
    /* merge keeps the lowest cost that measured anything */
    model_calibration a = c, b = c;
    a.fwd_attn_s_per_head_pos = 0;
    b.fwd_attn_s_per_head_pos = 2e-8;
    model_calib_merge(&a, &b);
    ck_assert_double_eq(a.fwd_attn_s_per_head_pos, 2e-8);
    b.fwd_attn_s_per_head_pos = 1.5e-8;
    model_calib_merge(&a, &b);
    ck_assert_double_eq(a.fwd_attn_s_per_head_pos, 1.5e-8);
    ck_assert_double_eq(a.device.attn_s_per_head_pos, 1.5e-8);
    b.fwd_attn_s_per_head_pos = 0;
    model_calib_merge(&a, &b);
    ck_assert_double_eq(a.fwd_attn_s_per_head_pos, 1.5e-8);
}
END_TEST

/* ---- the forward-pass speed paths bench_cost relies on -------------------- */

static uint64_t sm_state;
static float sm_uniform(void)
{
    uint64_t z = (sm_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return (float)((double)(z >> 11) * 0x1.0p-53 * 2.0 - 1.0);
}

/* Wide heads (64 dims, GQA 2:1) take attention_decode for one token and
 * row blocks of 64 for a prefill; 150 rows span three blocks, and a second
 * chunk at pos 100 starts mid-cache. Both must agree with one token at a
 * time (a different code path) within float rounding. */
START_TEST(test_blocked_prefill_and_decode_attention_agree)
{
    const model_llama_config c = {.dim = 128, .hidden_dim = 256, .n_layers = 2, .n_heads = 2,
                                  .n_kv_heads = 1, .vocab_size = 8, .seq_len = 160,
                                  .shared_classifier = true};
    const size_t d = 128, h = 256, nl = 2, kv = 64, n = 150;
    sm_state = 7;
    float *w = malloc(sizeof(float) * nl * (2 * d * d + 2 * kv * d + 3 * d * h));
    float *ones = malloc(sizeof(float) * 8 * d);
    float *x = malloc(sizeof(float) * n * d), *y1 = malloc(sizeof(float) * n * d);
    float *y2 = malloc(sizeof(float) * n * d), *y3 = malloc(sizeof(float) * n * d);
    size_t nw = nl * (2 * d * d + 2 * kv * d + 3 * d * h);
    for (size_t i = 0; i < nw; i++)
        w[i] = 0.1f * sm_uniform();
    for (size_t i = 0; i < 8 * d; i++)
        ones[i] = 1.0f;
    for (size_t i = 0; i < n * d; i++)
        x[i] = sm_uniform();
    float *p = w;
    model_llama_weights lw = {.token_embedding_table = ones, .rms_att_weight = ones,
                              .rms_ffn_weight = ones, .rms_final_weight = ones};
    lw.wq = p, p += nl * d * d;
    lw.wk = p, p += nl * kv * d;
    lw.wv = p, p += nl * kv * d;
    lw.wo = p, p += nl * d * d;
    lw.w1 = p, p += nl * h * d;
    lw.w2 = p, p += nl * d * h;
    lw.w3 = p;
    model_net *net;
    model_state *a, *b, *e;
    ck_assert_int_eq(model_llama_create(&c, &lw, &net), SS_OK);
    ck_assert_int_eq(model_state_create(net, 0, 2, &a), SS_OK);
    ck_assert_int_eq(model_state_create(net, 0, 2, &b), SS_OK);
    ck_assert_int_eq(model_state_create(net, 0, 2, &e), SS_OK);
    ck_assert_int_eq(model_net_span_forward(net, a, 0, 2, 0, (int)n, x, y1), SS_OK);
    for (size_t r = 0; r < n; r++)
        ck_assert_int_eq(model_net_span_forward(net, b, 0, 2, (int)r, 1, x + r * d, y2 + r * d),
                         SS_OK);
    ck_assert_int_eq(model_net_span_forward(net, e, 0, 2, 0, 100, x, y3), SS_OK);
    ck_assert_int_eq(model_net_span_forward(net, e, 0, 2, 100, 50, x + 100 * d, y3 + 100 * d),
                     SS_OK);
    double worst = 0, worst3 = 0;
    for (size_t i = 0; i < n * d; i++) {
        double s = fabs((double)y2[i]) + 1.0;
        worst = fmax(worst, fabs((double)y1[i] - y2[i]) / s);
        worst3 = fmax(worst3, fabs((double)y3[i] - y2[i]) / s);
    }
    ck_assert_msg(worst < 1e-5 && worst3 < 1e-5, "prefill vs decode: %g, chunked: %g", worst,
                  worst3);
    model_state_destroy(a);
    model_state_destroy(b);
    model_state_destroy(e);
    model_net_destroy(net);
    free(w);
    free(ones);
    free(x);
    free(y1);
    free(y2);
    free(y3);
}
END_TEST

static void setup(void) { openblas_set_num_threads(1); }

Suite *cost_suite(void)
{
    Suite *s = suite_create("cost");
    TCase *w = tcase_create("worked_example");
    tcase_add_test(w, test_worked_example_block_descriptor);
    tcase_add_test(w, test_worked_example_decode_one_token_at_ctx_1023);
    tcase_add_test(w, test_worked_example_prefill_512);
    tcase_add_test(w, test_worked_example_batch_16_decode);
    tcase_add_test(w, test_worked_example_nf4_decode);
    tcase_add_test(w, test_worked_example_attention_term);
    suite_add_tcase(s, w);
    TCase *r = tcase_create("roofline");
    tcase_add_test(r, test_decode_is_memory_bound_and_tends_to_weight_streaming);
    tcase_add_test(r, test_zero_attention_cost_is_the_plain_roofline);
    tcase_add_test(r, test_large_prefill_is_compute_bound);
    tcase_add_test(r, test_time_grows_with_tokens_context_batch_and_span);
    tcase_add_test(r, test_batch_term_shares_the_weights);
    tcase_add_test(r, test_format_factors_scale_the_effective_rates);
    tcase_add_test(r, test_step_overhead_is_per_call_and_block_overhead_per_block);
    tcase_add_test(r, test_device_format_factors_replace_the_defaults);
    suite_add_tcase(s, r);
    TCase *b = tcase_create("blas");
    tcase_add_checked_fixture(b, setup, NULL);
    tcase_set_timeout(b, 120);
    tcase_add_test(b, test_core_chooser_decision_table);
    tcase_add_test(b, test_core_chooser_on_this_host_is_runnable);
    tcase_add_test(b, test_naive_reference_accepts_correct_kernels);
    tcase_add_test(b, test_naive_reference_rejects_wrong_kernels);
    tcase_add_test(b, test_calibration_reduces_rates_as_documented);
    tcase_add_test(b, test_calibration_device_formula);
    tcase_add_test(b, test_blocked_prefill_and_decode_attention_agree);
    suite_add_tcase(s, b);
    return s;
}
