/* check_comp.c - the compression codecs: registry, exact wire sizes, fast
 * kernels against their _ref twins, error bounds derived independently of the
 * code under test, hand-computed bit patterns, and hostile buffers.
 *
 * Random inputs come from a fixed-seed SplitMix64 so every run sees the same
 * tensors. Bounds are named and justified where they are defined.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comp.h"
#include "comp_int.h"
#include "ss_alloc.h"

/* ------------------------------------------------------------ test data */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unif(rng *r) /* (0, 1) */
{
    return ((double)(rng_next(r) >> 11) + 0.5) * 0x1p-53;
}

static double rng_normal(rng *r)
{
    return sqrt(-2.0 * log(rng_unif(r))) * cos(6.283185307179586 * rng_unif(r));
}

static float *normal_vec(rng *r, size_t n, double scale)
{
    float *x = ss_malloc_array(n ? n : 1, sizeof(float));
    ck_assert_ptr_nonnull(x);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(scale * rng_normal(r));
    return x;
}

static const char *const all_specs[] = {
    "fp32", "fp16", "bf16", "blockwise8", "blockwise8:64", "int8", "int8:7", "int4",
    "int4:5", "nf4", "nf4:3", "llm-int8", "lowrank:3", "lowrank-sparse:2:0.05",
};
#define N_SPECS (sizeof all_specs / sizeof all_specs[0])

static comp_codec codec(const char *spec)
{
    comp_codec c;
    char err[256];
    ss_status st = comp_codec_parse(spec, &c, err, sizeof err);
    ck_assert_msg(st == SS_OK, "parse %s: %s", spec, err);
    return c;
}

/* Encode into an exactly sized heap buffer (so ASan sees any overrun). */
static uint8_t *encode_exact(const comp_codec *c, const float *x, size_t rows, size_t cols,
                             size_t *len)
{
    uint64_t need;
    char err[256];
    ck_assert_int_eq(comp_wire_bytes_data(c, x, rows, cols, &need, err, sizeof err), SS_OK);
    uint8_t *buf = ss_malloc(need);
    ck_assert_ptr_nonnull(buf);
    ss_status st = comp_encode(c, x, rows, cols, buf, need, len, err, sizeof err);
    ck_assert_msg(st == SS_OK, "encode: %s", err);
    ck_assert_uint_eq(*len, need);
    return buf;
}

/* max |x| by the textbook loop, independent of comp_absmax */
static float naive_absmax(const float *x, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++)
        m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
    return m;
}

static double frob_rel_err(const float *x, const float *y, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
        den += (double)x[i] * x[i];
    }
    return sqrt(num / den);
}

/* ------------------------------------------------------------- registry */

START_TEST(test_parse_gives_documented_defaults)
{
    ck_assert_int_eq(codec("fp32").kind, COMP_KIND_FP32);
    ck_assert_int_eq(codec("bf16").kind, COMP_KIND_BF16);
    ck_assert_uint_eq(codec("blockwise8").block, 4096);
    ck_assert_uint_eq(codec("blockwise8:256").block, 256);
    ck_assert_uint_eq(codec("int8").block, 64);
    ck_assert_uint_eq(codec("int4").block, 64);
    ck_assert_uint_eq(codec("nf4").block, 64);
    ck_assert_float_eq(codec("llm-int8").threshold, 6.0f);
    ck_assert_float_eq(codec("llm-int8:3.5").threshold, 3.5f);
    ck_assert_uint_eq(codec("lowrank:16").rank, 16);
    comp_codec c = codec("lowrank-sparse:4");
    ck_assert_uint_eq(c.rank, 4);
    ck_assert_float_eq(c.sparse_frac, 0.01f);
    ck_assert_float_eq(codec("lowrank-sparse:4:0.25").sparse_frac, 0.25f);
}
END_TEST

START_TEST(test_parse_unknown_name_lists_every_known_codec)
{
    comp_codec c;
    char err[512];
    ck_assert_int_eq(comp_codec_parse("fp8", &c, err, sizeof err), SS_ENOTFOUND);
    ck_assert_str_eq(err, "unknown codec \"fp8\" (known: fp32, fp16, bf16, blockwise8, int8, "
                          "int4, nf4, llm-int8, lowrank, lowrank-sparse)");
}
END_TEST

START_TEST(test_parse_rejects_bad_parameters)
{
    static const char *const bad[] = {
        "",          "int8:0",      "int8:abc",     "int8:",          "int8:-1",
        "int8:+4",   "int8:64:2",   "int8: 64",     "int8:16777217",  "fp16:3",
        "lowrank",   "lowrank:0",   "lowrank:x",    "lowrank:65537",  "llm-int8:nan",
        "llm-int8:inf", "llm-int8:-1", "llm-int8:0", "llm-int8:1e999", "llm-int8:0x10",
        "lowrank-sparse:4:1.5", "lowrank-sparse:4:0", "lowrank-sparse:4:0.1:2",
        "blockwise8:99999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        comp_codec c;
        char err[256] = "";
        ss_status st = comp_codec_parse(bad[i], &c, err, sizeof err);
        ck_assert_msg(st == SS_EINVAL, "\"%s\" gave %s", bad[i], ss_status_name(st));
        ck_assert_msg(err[0] != '\0', "\"%s\" gave no message", bad[i]);
    }
}
END_TEST

START_TEST(test_format_round_trips_through_parse)
{
    for (size_t i = 0; i < N_SPECS; i++) {
        comp_codec a = codec(all_specs[i]), b;
        char buf[64];
        ck_assert_int_eq(comp_codec_format(&a, buf, sizeof buf), SS_OK);
        b = codec(buf);
        ck_assert_int_eq(a.kind, b.kind);
        ck_assert_uint_eq(a.block, b.block);
        ck_assert_uint_eq(a.rank, b.rank);
        ck_assert_float_eq(a.threshold, b.threshold);
        ck_assert_float_eq(a.sparse_frac, b.sparse_frac);
    }
    char name[64];
    comp_codec d = codec("lowrank-sparse:8");
    ck_assert_int_eq(comp_codec_format(&d, name, sizeof name), SS_OK);
    ck_assert_str_eq(name, "lowrank-sparse:8:0.01");
    d = codec("llm-int8");
    ck_assert_int_eq(comp_codec_format(&d, name, sizeof name), SS_OK);
    ck_assert_str_eq(name, "llm-int8:6");
    d = codec("blockwise8");
    ck_assert_int_eq(comp_codec_format(&d, name, sizeof name), SS_OK);
    ck_assert_str_eq(name, "blockwise8:4096");
    char tiny[4];
    comp_codec c = codec("blockwise8");
    ck_assert_int_eq(comp_codec_format(&c, tiny, sizeof tiny), SS_EFULL);
}
END_TEST

START_TEST(test_absmax_matches_naive_loop_and_finds_first_nonfinite)
{
    rng r = {16};
    float x[40] = {0};
    for (size_t n = 0; n <= 40; n++) {
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(rng_normal(&r) * (i % 7 == 3 ? 1e-40 : 1.0));
        float a = -1.0f;
        ck_assert_uint_eq(comp_absmax(x, n, &a), 0);
        ck_assert(a == naive_absmax(x, n));
        for (size_t bad = 0; bad < n; bad++) {
            float keep = x[bad];
            x[bad] = bad % 3 == 0 ? NAN : bad % 3 == 1 ? INFINITY : -INFINITY;
            if (bad + 1 < n)
                x[n - 1] = NAN; /* a later non-finite value must not be reported */
            ck_assert_uint_eq(comp_absmax(x, n, &a), bad + 1);
            x[bad] = keep;
        }
    }
}
END_TEST

/* ------------------------------------------------------------ fp16/bf16 */

START_TEST(test_fp16_matches_hand_computed_bit_patterns)
{
    ck_assert_uint_eq(comp_f32_to_f16(1.0f), 0x3C00);
    ck_assert_uint_eq(comp_f32_to_f16(-2.0f), 0xC000);
    ck_assert_uint_eq(comp_f32_to_f16(0.0f), 0x0000);
    ck_assert_uint_eq(comp_f32_to_f16(-0.0f), 0x8000);
    ck_assert_uint_eq(comp_f32_to_f16(65504.0f), 0x7BFF);        /* largest finite */
    ck_assert_uint_eq(comp_f32_to_f16(65519.996f), 0x7BFF);      /* just below the tie */
    ck_assert_uint_eq(comp_f32_to_f16(65520.0f), 0x7C00);        /* tie, 0x7BFF odd: Inf */
    ck_assert_uint_eq(comp_f32_to_f16(0x1p-14f), 0x0400);        /* smallest normal */
    ck_assert_uint_eq(comp_f32_to_f16(0x1p-24f), 0x0001);        /* smallest subnormal */
    ck_assert_uint_eq(comp_f32_to_f16(1023 * 0x1p-24f), 0x03FF); /* largest subnormal */
    ck_assert_uint_eq(comp_f32_to_f16(0x1p-25f), 0x0000);        /* tie to even: 0 */
    ck_assert_uint_eq(comp_f32_to_f16(0x1.8p-25f), 0x0001);      /* 0.75 ulp: up */
    ck_assert_uint_eq(comp_f32_to_f16(3 * 0x1p-25f), 0x0002);    /* tie 1.5 ulp: even 2 */
    ck_assert_uint_eq(comp_f32_to_f16(1.0f + 0x1p-11f), 0x3C00); /* tie: stays even */
    ck_assert_uint_eq(comp_f32_to_f16(1.0f + 0x1.8p-10f), 0x3C02); /* tie: up to even */
    ck_assert_uint_eq(comp_f32_to_f16(1.0f + 0x1p-11f + 0x1p-20f), 0x3C01); /* past tie */
    ck_assert_uint_eq(comp_f32_to_f16(0.1f), 0x2E66);
    ck_assert_uint_eq(comp_f32_to_f16(INFINITY), 0x7C00);
    ck_assert_uint_eq(comp_f32_to_f16(-INFINITY), 0xFC00);
    uint16_t h = comp_f32_to_f16(NAN);
    ck_assert_uint_eq(h & 0x7C00, 0x7C00);
    ck_assert_uint_ne(h & 0x03FF, 0);
    ck_assert_float_eq(comp_f16_to_f32(0x3C00), 1.0f);
    ck_assert_float_eq(comp_f16_to_f32(0x7BFF), 65504.0f);
    ck_assert_float_eq(comp_f16_to_f32(0x0001), 0x1p-24f);
    ck_assert_float_eq(comp_f16_to_f32(0x8001), -0x1p-24f);
    ck_assert(isinf(comp_f16_to_f32(0xFC00)) && comp_f16_to_f32(0xFC00) < 0);
    ck_assert(isnan(comp_f16_to_f32(0x7E00)));
}
END_TEST

START_TEST(test_fp16_and_bf16_round_trip_every_bit_pattern)
{
    for (uint32_t b = 0; b < 65536; b++) {
        uint16_t h = (uint16_t)b;
        float f = comp_f16_to_f32(h);
        if (isnan(f))
            ck_assert(isnan(comp_f16_to_f32(comp_f32_to_f16(f))));
        else
            ck_assert_uint_eq(comp_f32_to_f16(f), h);
        float g = comp_bf16_to_f32(h);
        if (isnan(g))
            ck_assert(isnan(comp_bf16_to_f32(comp_f32_to_bf16(g))));
        else
            ck_assert_uint_eq(comp_f32_to_bf16(g), h);
    }
}
END_TEST

/* The fp16 codec converts 4 values at a time with SSE2 when all 4 are zero
 * or normal: it must give the scalar conversion's bits for every input,
 * including groups that mix in subnormals, overflows and exact ties. */
START_TEST(test_fp16_codec_matches_scalar_conversion)
{
    rng r = {15};
    size_t n = 1 << 16;
    float *x = ss_malloc_array(n, 4), *y = ss_malloc_array(n, 4);
    for (size_t i = 0; i < n; i++) {
        uint32_t u = (uint32_t)rng_next(&r);
        switch (i % 8) {
        case 0: /* any finite bit pattern */
            x[i] = comp_bits_f32((u & 0x7f7fffffu) | (u & 0x80000000u));
            break;
        case 1: /* ties: 13 dropped bits = 0x1000 */
            x[i] = comp_bits_f32(((u & 0x8fffe000u) | 0x1000u) + 0x30000000u);
            break;
        case 2:
            x[i] = 0.0f;
            break;
        default:
            x[i] = (float)(rng_normal(&r) * ((i / 8) % 3 == 0 ? 1e-6 : 100.0));
        }
    }
    comp_codec c = codec("fp16");
    size_t len;
    uint8_t *buf = encode_exact(&c, x, 1, n, &len);
    for (size_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, buf + 16 + 2 * i, 2);
        ck_assert_msg(h == comp_f32_to_f16(x[i]), "x=%a: %04x vs %04x", (double)x[i], h,
                      comp_f32_to_f16(x[i]));
    }
    /* decode: every half bit pattern, in an order that mixes kinds */
    for (size_t i = 0; i < n; i++) {
        uint16_t h = (uint16_t)((i * 40503u) & 0xffff);
        memcpy(buf + 16 + 2 * i, &h, 2);
    }
    ck_assert_int_eq(comp_decode(&c, buf, len, 1, n, y, NULL, 0), SS_OK);
    for (size_t i = 0; i < n; i++) {
        float want = comp_f16_to_f32((uint16_t)((i * 40503u) & 0xffff));
        ck_assert(comp_f32_bits(y[i]) == comp_f32_bits(want));
    }
    ss_free(buf);
    ss_free(x);
    ss_free(y);
}
END_TEST

START_TEST(test_bf16_rounds_to_nearest_even)
{
    ck_assert_uint_eq(comp_f32_to_bf16(1.0f), 0x3F80);
    ck_assert_uint_eq(comp_f32_to_bf16(1.0f + 0x1p-8f), 0x3F80);  /* tie: even */
    ck_assert_uint_eq(comp_f32_to_bf16(1.0f + 0x1.8p-7f), 0x3F82); /* tie: up to even */
    ck_assert_uint_eq(comp_f32_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3F81);
    ck_assert_uint_eq(comp_f32_to_bf16(-3.0f), 0xC040);
    ck_assert_uint_eq(comp_f32_to_bf16(FLT_MAX), 0x7F80); /* overflows to Inf (IEEE) */
    ck_assert_uint_eq(comp_f32_to_bf16(0x1p-149f), 0x0000); /* denormal below half ulp */
    ck_assert_uint_eq(comp_f32_to_bf16(0x1p-133f), 0x0001); /* smallest bf16 denormal */
    uint16_t h = comp_f32_to_bf16(-NAN);
    ck_assert(isnan(comp_bf16_to_f32(h)));
    ck_assert_uint_eq(h & 0x8000, 0x8000);
}
END_TEST

/* ------------------------------------------------- the dynamic codebook */

START_TEST(test_dynamic_codebook_matches_closed_form)
{
    /* Independent derivation: exponent level i (0..6) splits [0.1, 1] into
     * 2^i equal intervals; entry = 10^(i-6) * interval midpoint, i.e.
     * 10^(i-6) * (0.1 + 0.9 * (2j + 1) / 2^(i+1)); both signs; plus 0, 1. */
    double want[256];
    int k = 0;
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < (1 << i); j++) {
            double v = pow(10.0, i - 6) * (0.1 + 0.9 * (2 * j + 1) / (double)(2 << i));
            want[k++] = v;
            want[k++] = -v;
        }
    want[k++] = 0.0;
    want[k++] = 1.0;
    ck_assert_int_eq(k, 256);
    /* insertion sort: independent of the library's qsort */
    for (int a = 1; a < 256; a++)
        for (int b = a; b > 0 && want[b - 1] > want[b]; b--) {
            double t = want[b];
            want[b] = want[b - 1];
            want[b - 1] = t;
        }
    const float *cb = comp_dynamic_codebook();
    /* Budget: float32 linspace + mean + scale = 3-4 roundings of 2^-24. */
    const double rel = 4e-7;
    for (int i = 0; i < 256; i++)
        ck_assert_msg(fabs(cb[i] - want[i]) <= rel * fabs(want[i]), "entry %d: %.9g vs %.9g",
                      i, (double)cb[i], want[i]);
    /* Hand-derived anchors. */
    ck_assert_float_eq(cb[127], 0.0f);
    ck_assert_float_eq(cb[255], 1.0f);
    ck_assert_double_eq_tol(cb[254], 0.99296875, 1e-7);  /* (0.9859375 + 1) / 2 */
    ck_assert_double_eq_tol(cb[253], 0.97890625, 1e-7);  /* (0.971875 + 0.9859375) / 2 */
    ck_assert_double_eq_tol(cb[0], -0.99296875, 1e-7);
    ck_assert_double_eq_tol(cb[128], 5.5e-7, 5.5e-7 * rel);     /* 1e-6 * (0.1 + 1) / 2 */
    ck_assert_double_eq_tol(cb[126], -5.5e-7, 5.5e-7 * rel);
    ck_assert_double_eq_tol(cb[129], 3.25e-6, 3.25e-6 * rel);    /* 1e-5 * (0.1 + 0.55) / 2 */
    for (int i = 0; i < 255; i++)
        ck_assert(cb[i] < cb[i + 1]);
    for (int i = 0; i < 127; i++)
        ck_assert(cb[i] == -cb[254 - i]);
    /* The largest gap is in the top decade: 0.9 / 64. */
    ck_assert_double_eq_tol(comp_bw8_max_gap(), 0.9 / 64, 1e-6);
}
END_TEST

START_TEST(test_bw8_lookup_table_needs_at_most_one_comparison)
{
    ck_assert_int_le(comp_bw8_lut_max_steps(), 1);
}
END_TEST

/* Fast kernels must pick exactly the code the plain argmin picks: the
 * nearest-entry rule is normative, so the budget is zero mismatches. */
#define BW8_MAX_CODE_MISMATCH 0
#define LINQ_MAX_CODE_MISMATCH 0

static void check_bw8_twin(const float *x, size_t n)
{
    float amax;
    ck_assert_uint_eq(comp_absmax(x, n, &amax), 0);
    uint8_t *a = ss_malloc(n ? n : 1), *b = ss_malloc(n ? n : 1);
    comp_bw8_encode_block(x, n, amax, a);
    comp_bw8_encode_block_ref(x, n, amax, b);
    size_t mism = 0;
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) {
            if (mism == 0)
                fprintf(stderr, "bw8 twin: x=%a absmax=%a fast %u ref %u\n", (double)x[i],
                        (double)amax, a[i], b[i]);
            mism++;
        }
    ck_assert_uint_le(mism, BW8_MAX_CODE_MISMATCH);
    ss_free(a);
    ss_free(b);
}

START_TEST(test_bw8_fast_encoder_matches_ref_on_hard_values)
{
    /* absmax 1 (x[0] = 1) so the values reach the search unscaled: every
     * codebook entry, every midpoint and its float neighbours, every table
     * bucket boundary. */
    const float *cb = comp_dynamic_codebook();
    size_t cap = 1 + 256 + 255 * 6 + 2 * 0x3F81, n = 0;
    float *x = ss_malloc_array(cap, sizeof(float));
    x[n++] = 1.0f;
    for (int k = 0; k < 256; k++)
        x[n++] = cb[k];
    for (int k = 0; k < 255; k++) {
        float m = (float)(((double)cb[k] + cb[k + 1]) / 2);
        float lo = nextafterf(m, -2.0f), hi = nextafterf(m, 2.0f);
        x[n++] = m;
        x[n++] = lo;
        x[n++] = hi;
        x[n++] = -m;
        x[n++] = -lo;
        x[n++] = -hi;
    }
    for (uint32_t b = 0; b <= 0x3F80; b++) {
        x[n++] = comp_bits_f32(b << 16);
        x[n++] = -comp_bits_f32(b << 16 | 0xffff) * (b < 0x3F80);
    }
    ck_assert_uint_eq(n, cap);
    check_bw8_twin(x, n);
    ss_free(x);
}
END_TEST

START_TEST(test_bw8_fast_encoder_matches_ref_on_random_blocks)
{
    rng r = {1};
    for (int trial = 0; trial < 6; trial++) {
        size_t n = 4096;
        float *x = normal_vec(&r, n, trial < 3 ? 1.0 : 1e-3);
        if (trial == 1)
            x[77] = 1e4f; /* one huge outlier: most values fall near 0 */
        if (trial == 2)
            for (size_t i = 0; i < n; i++)
                x[i] = (float)(rng_unif(&r) * 2 - 1);
        if (trial == 5)
            for (size_t i = 0; i < n; i++) /* denormals only: 1/absmax overflows */
                x[i] = (float)((rng_unif(&r) * 2 - 1) * 0x1p-130);
        check_bw8_twin(x, n);
        ss_free(x);
    }
}
END_TEST

/* Round trip per block stays within half the largest codebook gap times the
 * block's absmax (documented bound), plus float rounding: the scaling
 * x * (1/A) and the product code * A each round once (2^-24 relative of A),
 * and with a subnormal A the product lands on the 2^-149 grid. */
static void check_bw8_bound(const float *x, size_t n, uint32_t block)
{
    comp_codec c = {.kind = COMP_KIND_BLOCKWISE8, .block = block};
    size_t len;
    uint8_t *buf = encode_exact(&c, x, 1, n, &len);
    float *y = ss_malloc_array(n, sizeof(float));
    char err[256];
    ck_assert_int_eq(comp_decode(&c, buf, len, 1, n, y, err, sizeof err), SS_OK);
    double half_gap = comp_bw8_max_gap() / 2.0;
    for (size_t b0 = 0; b0 < n; b0 += block) {
        size_t m = n - b0 < block ? n - b0 : block;
        float amax = naive_absmax(x + b0, m);
        double bound = (half_gap + 3 * 0x1p-24) * amax + 0x1p-149;
        for (size_t i = b0; i < b0 + m; i++)
            ck_assert_msg(fabs((double)x[i] - y[i]) <= bound, "i=%zu x=%g y=%g bound=%g", i,
                          (double)x[i], (double)y[i], bound);
    }
    ss_free(y);
    ss_free(buf);
}

START_TEST(test_bw8_round_trip_error_within_half_max_gap)
{
    rng r = {2};
    float *x = normal_vec(&r, 10000, 3.0);
    check_bw8_bound(x, 10000, 4096); /* 10000 = 2 * 4096 + 1808: short tail */
    check_bw8_bound(x, 4097, 4096);  /* tail block of one value */
    check_bw8_bound(x, 999, 64);
    x[5000] = 3e30f; /* one huge outlier in the middle block */
    check_bw8_bound(x, 10000, 4096);
    for (size_t i = 0; i < 300; i++) /* a block of denormals */
        x[i] = (float)(rng_normal(&r) * 0x1p-140);
    check_bw8_bound(x, 10000, 256);
    memset(x, 0, 4096 * sizeof(float)); /* an all-zero block decodes to zeros */
    check_bw8_bound(x, 10000, 4096);
    ss_free(x);
}
END_TEST

/* The wire keeps each block's absmax bit for bit (16-byte header, then one
 * float per block: the hivemind layout of the wire-size test below), and
 * the block's largest positive value decodes exactly: its code is 255 (the
 * codebook's 1.0) times that absmax. A scale even one ulp off breaks both.
 * A block whose absmax is a negative value decodes it to the codebook's
 * most negative entry (-0.99296875, there is no -1) times the absmax. */
START_TEST(test_bw8_stores_absmax_bit_exact_and_decodes_the_extreme_exactly)
{
    rng r = {5};
    float *x = normal_vec(&r, 256, 0.01);
    x[10] = 3.7f;           /* block 0 [0, 64): positive extreme */
    x[64 + 6] = -0.123456f; /* block 1: negative extreme */
    for (int i = 128; i < 192; i++) /* block 2: a tiny absmax */
        x[i] = x[i] * 1e-32f;
    x[128 + 63] = 7.5e-33f;
    float want_amax[4];
    for (int b = 0; b < 4; b++)
        want_amax[b] = naive_absmax(x + 64 * b, 64);
    ck_assert(want_amax[0] == 3.7f && want_amax[1] == 0.123456f);
    comp_codec c = codec("blockwise8:64");
    size_t len;
    uint8_t *buf = encode_exact(&c, x, 4, 64, &len);
    for (int b = 0; b < 4; b++) {
        float got;
        memcpy(&got, buf + 16 + 4 * b, 4);
        uint32_t gb, wb;
        memcpy(&gb, &got, 4);
        memcpy(&wb, &want_amax[b], 4);
        ck_assert_msg(gb == wb, "block %d: stored absmax %a, want %a", b, (double)got,
                      (double)want_amax[b]);
    }
    float *y = ss_malloc(256 * sizeof *y);
    ck_assert_int_eq(comp_decode(&c, buf, len, 4, 64, y, NULL, 0), SS_OK);
    ck_assert(y[10] == 3.7f);
    ck_assert(y[64 + 6] == comp_dynamic_codebook()[0] * 0.123456f);
    ck_assert(y[128 + 63] == 7.5e-33f);
    ss_free(y);
    ss_free(buf);
    ss_free(x);
}
END_TEST

START_TEST(test_bw8_all_zero_block_decodes_to_exact_zeros)
{
    float x[100] = {0};
    x[99] = -0.0f;
    comp_codec c = codec("blockwise8:50");
    size_t len;
    uint8_t *buf = encode_exact(&c, x, 10, 10, &len);
    float y[100];
    ck_assert_int_eq(comp_decode(&c, buf, len, 10, 10, y, NULL, 0), SS_OK);
    for (int i = 0; i < 100; i++)
        ck_assert(y[i] == 0.0f && !isnan(y[i]));
    ss_free(buf);
}
END_TEST

/* ---------------------------------------------------------- wire sizes */

START_TEST(test_blockwise8_wire_size_is_hivemind_formula)
{
    comp_codec c = codec("blockwise8");
    uint64_t sz;
    /* 16 + 4 * ceil(n / 4096) + 1024 + n, evaluated by hand */
    ck_assert_int_eq(comp_wire_bytes(&c, 1, 1, &sz), SS_OK);
    ck_assert_uint_eq(sz, 16 + 4 + 1024 + 1);
    ck_assert_int_eq(comp_wire_bytes(&c, 1, 4096, &sz), SS_OK);
    ck_assert_uint_eq(sz, 5140);
    ck_assert_int_eq(comp_wire_bytes(&c, 4097, 1, &sz), SS_OK);
    ck_assert_uint_eq(sz, 5145);
    ck_assert_int_eq(comp_wire_bytes(&c, 1000, 1000, &sz), SS_OK);
    ck_assert_uint_eq(sz, 16 + 4 * 245 + 1024 + 1000000); /* 244 * 4096 = 999424 */
    ck_assert_uint_eq(sz, 1002020);
    /* and the encoder writes exactly that */
    rng r = {3};
    float *x = normal_vec(&r, 1000000, 1.0);
    size_t len;
    uint8_t *buf = encode_exact(&c, x, 1000, 1000, &len);
    ck_assert_uint_eq(len, 1002020);
    ss_free(buf);
    ss_free(x);
}
END_TEST

START_TEST(test_wire_sizes_are_exact_for_every_codec)
{
    const size_t rows = 13, cols = 11, n = 143;
    struct {
        const char *spec;
        uint64_t bytes;
    } want[] = {
        {"fp32", 16 + 4 * n},
        {"fp16", 16 + 2 * n},
        {"bf16", 16 + 2 * n},
        {"blockwise8:64", 16 + 4 * 3 + 1024 + n},
        {"int8", 16 + 4 * 3 + n},
        {"int8:7", 16 + 4 * 21 + n},
        {"int4", 16 + 4 * 3 + 72},
        {"nf4:3", 16 + 4 * 48 + 72},
        {"lowrank:3", 16 + 4 * 3 * (13 + 11)},
        {"lowrank:100", 16 + 4 * 11 * (13 + 11)}, /* rank capped at min(rows, cols) */
        {"lowrank-sparse:2:0.05", 16 + 4 * 2 * 24 + 8 * 8}, /* ceil(0.05 * 143) = 8 */
    };
    rng r = {4};
    float *x = normal_vec(&r, n, 1.0);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        comp_codec c = codec(want[i].spec);
        uint64_t sz, mx;
        ck_assert_int_eq(comp_wire_bytes(&c, rows, cols, &sz), SS_OK);
        ck_assert_msg(sz == want[i].bytes, "%s: %llu vs %llu", want[i].spec,
                      (unsigned long long)sz, (unsigned long long)want[i].bytes);
        ck_assert_int_eq(comp_wire_bytes_max(&c, rows, cols, &mx), SS_OK);
        ck_assert_uint_eq(mx, sz);
        size_t len;
        uint8_t *buf = encode_exact(&c, x, rows, cols, &len);
        ck_assert_uint_eq(len, sz);
        ss_free(buf);
    }
    /* llm-int8: size depends on the data */
    comp_codec c = codec("llm-int8");
    uint64_t sz, mx;
    ck_assert_int_eq(comp_wire_bytes(&c, rows, cols, &sz), SS_EUNSUPPORTED);
    x[3 * cols + 4] = 7.0f;
    x[9 * cols + 8] = -6.0f; /* exactly the threshold counts as outlier */
    ck_assert_int_eq(comp_wire_bytes_data(&c, x, rows, cols, &sz, NULL, 0), SS_OK);
    ck_assert_uint_eq(sz, 16 + 8 + 4 * 2 + 2 * 13 * 2 + 4 * 13 + 13 * 9);
    ck_assert_int_eq(comp_wire_bytes_max(&c, rows, cols, &mx), SS_OK);
    ck_assert_uint_ge(mx, sz);
    ck_assert_int_eq(comp_wire_bytes(&c, (size_t)UINT32_MAX + 1, 1, &sz), SS_ERANGE);
    c = codec("fp32");
    ck_assert_int_eq(comp_wire_bytes(&c, (size_t)UINT32_MAX + 1, 1, &sz), SS_ERANGE);
    ss_free(x);
}
END_TEST

START_TEST(test_zero_sized_tensors_round_trip)
{
    for (size_t i = 0; i < N_SPECS; i++) {
        comp_codec c = codec(all_specs[i]);
        uint8_t buf[2048];
        size_t len;
        float dummy = 0;
        ck_assert_int_eq(comp_encode(&c, NULL, 0, 5, buf, sizeof buf, &len, NULL, 0), SS_OK);
        ck_assert_int_eq(comp_decode(&c, buf, len, 0, 5, &dummy, NULL, 0), SS_OK);
    }
}
END_TEST

START_TEST(test_encode_reports_efull_when_capacity_is_short)
{
    float x[64] = {1};
    for (size_t i = 0; i < N_SPECS; i++) {
        comp_codec c = codec(all_specs[i]);
        uint64_t need;
        ck_assert_int_eq(comp_wire_bytes_data(&c, x, 8, 8, &need, NULL, 0), SS_OK);
        uint8_t *buf = ss_malloc(need);
        size_t len = 99;
        ck_assert_int_eq(comp_encode(&c, x, 8, 8, buf, need - 1, &len, NULL, 0), SS_EFULL);
        ck_assert_uint_eq(len, 0);
        ss_free(buf);
    }
}
END_TEST

/* ---------------------------------------------------- int8, int4, nf4 */

START_TEST(test_linear_fast_kernels_match_ref)
{
    rng r = {5};
    for (int trial = 0; trial < 5; trial++) {
        size_t n = 1000;
        float *x = normal_vec(&r, n, 1.0);
        if (trial == 1)
            x[10] = -500.0f;
        if (trial == 2) /* exact ties of the int grids: k / 2 with absmax 127 */
            for (size_t i = 0; i < n; i++)
                x[i] = (float)((int)(i % 255) - 127) * 0.5f;
        if (trial == 3)
            for (size_t i = 0; i < n; i++)
                x[i] = (float)(rng_normal(&r) * 0x1p-135);
        if (trial == 4) /* NF4 midpoints exactly, with absmax 1 */
            for (size_t i = 0; i < n; i++) {
                int k = (int)(i % 15);
                x[i] = i == 0 ? 1.0f
                              : (float)(((double)comp_nf4_levels[k] + comp_nf4_levels[k + 1]) / 2);
            }
        float amax;
        comp_absmax(x, n, &amax);
        int8_t qa[1000], qb[1000];
        uint8_t na[1000], nb[1000];
        size_t mism = 0;
        comp_int8_encode_block(x, n, amax, qa);
        comp_int8_encode_block_ref(x, n, amax, qb);
        for (size_t i = 0; i < n; i++)
            mism += qa[i] != qb[i];
        comp_int4_encode_block(x, n, amax, na);
        comp_int4_encode_block_ref(x, n, amax, nb);
        for (size_t i = 0; i < n; i++)
            mism += na[i] != nb[i];
        comp_nf4_encode_block(x, n, amax, na);
        comp_nf4_encode_block_ref(x, n, amax, nb);
        for (size_t i = 0; i < n; i++)
            mism += na[i] != nb[i];
        ck_assert_msg(mism <= LINQ_MAX_CODE_MISMATCH, "trial %d: %zu mismatches", trial, mism);
        ss_free(x);
    }
}
END_TEST

START_TEST(test_int8_int4_nf4_pack_hand_computed_bytes)
{
    /* absmax 1: int8 0.5 -> 63.5 -> 64 (tie to even), -1 -> -127,
     * 0.25 -> 31.75 -> 32; int4 [1, -1, 0] -> q [7, -7, 0] -> nibbles
     * [15, 1, 8] -> bytes F1 80; nf4 [1, -1, 0] -> [15, 0, 7] -> F0 70. */
    float a[3] = {0.5f, -1.0f, 0.25f}, b[3] = {1.0f, -1.0f, 0.0f};
    uint8_t buf[64];
    size_t len;
    comp_codec c = codec("int8");
    ck_assert_int_eq(comp_encode(&c, a, 1, 3, buf, sizeof buf, &len, NULL, 0), SS_OK);
    ck_assert_uint_eq(len, 16 + 4 + 3);
    ck_assert_uint_eq(buf[20], 64);
    ck_assert_uint_eq(buf[21], (uint8_t)-127);
    ck_assert_uint_eq(buf[22], 32);
    c = codec("int4");
    ck_assert_int_eq(comp_encode(&c, b, 3, 1, buf, sizeof buf, &len, NULL, 0), SS_OK);
    ck_assert_uint_eq(len, 16 + 4 + 2);
    ck_assert_uint_eq(buf[20], 0xF1);
    ck_assert_uint_eq(buf[21], 0x80);
    c = codec("nf4");
    ck_assert_int_eq(comp_encode(&c, b, 3, 1, buf, sizeof buf, &len, NULL, 0), SS_OK);
    ck_assert_uint_eq(buf[20], 0xF0);
    ck_assert_uint_eq(buf[21], 0x70);
    /* header: "SQ", version 1, kind, param 64, rows 3, cols 1 */
    static const uint8_t hdr[16] = {'S', 'Q', 1, COMP_KIND_NF4, 64, 0, 0, 0, 3, 0, 0, 0, 1, 0,
                                    0, 0};
    ck_assert_mem_eq(buf, hdr, 16);
}
END_TEST

/* Error budgets in units of the block absmax A:
 * int8: half a step, A / 127 / 2; int4: A / 7 / 2; nf4: half the largest
 * gap between NF4 levels, (1 - 0.6961928009986877) / 2 (the -1 -> -0.696
 * interval is the widest; read off the published table, not the code).
 * LINQ_ROUNDING_SLACK covers the roundings of Q / A, x * (Q / A) and q * (A / Q):
 * a few 2^-24 relative of A, far below 1e-5. */
#define INT8_MAX_ERR_OVER_ABSMAX (0.5 / 127)
#define INT4_MAX_ERR_OVER_ABSMAX (0.5 / 7)
#define NF4_MAX_ERR_OVER_ABSMAX ((1.0 - 0.6961928009986877) / 2)
#define LINQ_ROUNDING_SLACK 1e-5

static void check_linq_bound(const char *spec, double budget)
{
    rng r = {6};
    size_t rows = 37, cols = 29, n = rows * cols; /* not a multiple of any block */
    float *x = normal_vec(&r, n, 2.0), *y = ss_malloc_array(n, sizeof(float));
    x[100] = 1e6f; /* a block with one huge outlier */
    for (size_t i = 128; i < 320; i++)
        x[i] = 0.0f; /* all-zero blocks for every block size <= 64 */
    for (size_t i = 384; i < 520; i++)
        x[i] = (float)(rng_normal(&r) * 0x1p-140); /* denormal blocks */
    comp_codec c = codec(spec);
    size_t len;
    uint8_t *buf = encode_exact(&c, x, rows, cols, &len);
    char err[256];
    ck_assert_int_eq(comp_decode(&c, buf, len, rows, cols, y, err, sizeof err), SS_OK);
    for (size_t b0 = 0; b0 < n; b0 += c.block) {
        size_t m = n - b0 < c.block ? n - b0 : c.block;
        float amax = naive_absmax(x + b0, m);
        double bound = (budget + LINQ_ROUNDING_SLACK) * amax + 0x1p-149;
        for (size_t i = b0; i < b0 + m; i++)
            ck_assert_msg(fabs((double)x[i] - y[i]) <= bound, "%s i=%zu x=%g y=%g", spec, i,
                          (double)x[i], (double)y[i]);
    }
    ss_free(buf);
    ss_free(x);
    ss_free(y);
}

START_TEST(test_int8_int4_nf4_round_trip_within_budgets)
{
    check_linq_bound("int8", INT8_MAX_ERR_OVER_ABSMAX);
    check_linq_bound("int8:7", INT8_MAX_ERR_OVER_ABSMAX);
    check_linq_bound("int4", INT4_MAX_ERR_OVER_ABSMAX);
    check_linq_bound("int4:5", INT4_MAX_ERR_OVER_ABSMAX);
    check_linq_bound("nf4", NF4_MAX_ERR_OVER_ABSMAX);
    check_linq_bound("nf4:3", NF4_MAX_ERR_OVER_ABSMAX);
    /* blocks longer than the encoder's 1024-value chunk, and odd block
     * starts: packing across chunk and byte boundaries */
    check_linq_bound("int4:1025", INT4_MAX_ERR_OVER_ABSMAX);
    check_linq_bound("nf4:1500", NF4_MAX_ERR_OVER_ABSMAX);
    check_linq_bound("int8:1031", INT8_MAX_ERR_OVER_ABSMAX);
}
END_TEST

/* ------------------------------------------------------------ LLM.int8 */

START_TEST(test_llm_int8_keeps_outlier_columns_at_fp16)
{
    rng r = {7};
    size_t rows = 9, cols = 40;
    float *x = normal_vec(&r, rows * cols, 1.0), *y = ss_malloc_array(rows * cols, 4);
    for (size_t i = 0; i < rows * cols; i++) /* keep regular values below 6 */
        x[i] = fmaxf(fminf(x[i], 5.0f), -5.0f);
    x[2 * cols + 3] = 7.25f;
    x[5 * cols + 17] = -60.1f;
    x[8 * cols + 39] = 6.0f;
    comp_codec c = codec("llm-int8");
    size_t len;
    uint8_t *buf = encode_exact(&c, x, rows, cols, &len);
    ck_assert_uint_eq(len, 16 + 8 + 4 * 3 + 2 * rows * 3 + 4 * rows + rows * (cols - 3));
    ck_assert_int_eq(comp_decode(&c, buf, len, rows, cols, y, NULL, 0), SS_OK);
    for (size_t i = 0; i < rows; i++) {
        double amax = 0; /* the row's absmax over regular columns */
        for (size_t j = 0; j < cols; j++)
            if (j != 3 && j != 17 && j != 39)
                amax = fmax(amax, fabs(x[i * cols + j]));
        for (size_t j = 0; j < cols; j++) {
            float xv = x[i * cols + j], yv = y[i * cols + j];
            if (j == 3 || j == 17 || j == 39) /* fp16: relative 2^-11 */
                ck_assert(fabs((double)xv - yv) <= fabs(xv) * 0x1p-11);
            else
                ck_assert(fabs((double)xv - yv) <=
                          (INT8_MAX_ERR_OVER_ABSMAX + LINQ_ROUNDING_SLACK) * amax);
        }
    }
    ss_free(buf);
    ss_free(x);
    ss_free(y);
}
END_TEST

/* The matmul against a float64 product: per output element the error is
 * bounded analytically by the operand errors, sum over regular k of
 * (ex |w| + |x| ew + ex ew) with ex = sx / 254, ew = sw / 254 (half an int8
 * step), plus 2 * 2^-11 * |x||w| over outlier k (fp16 both sides), plus
 * LLM_INT8_MATMUL_FP_SLACK * sum |x||w| for fp32 accumulation (k = 96 terms,
 * each rounding 2^-24: 1e-5 is a wide margin). */
#define LLM_INT8_MATMUL_FP_SLACK 1e-5

START_TEST(test_llm_int8_matmul_matches_float_within_budget)
{
    rng r = {8};
    size_t m = 12, k = 96, n = 20;
    float *x = normal_vec(&r, m * k, 1.0), *w = normal_vec(&r, n * k, 0.05);
    float *y = ss_malloc_array(m * n, 4);
    for (size_t i = 0; i < m * k; i++)
        x[i] = fmaxf(fminf(x[i], 4.0f), -4.0f);
    x[3 * k + 10] = 20.0f; /* outlier feature 10 */
    x[7 * k + 50] = -9.0f; /* outlier feature 50 */
    char err[256];
    ck_assert_int_eq(comp_llm_int8_matmul(x, m, k, w, n, 6.0f, y, err, sizeof err), SS_OK);
    for (size_t i = 0; i < m; i++) {
        double sx = 0;
        for (size_t t = 0; t < k; t++)
            if (t != 10 && t != 50)
                sx = fmax(sx, fabs(x[i * k + t]));
        for (size_t j = 0; j < n; j++) {
            double sw = 0, ref = 0, bound = 0, mag = 0;
            for (size_t t = 0; t < k; t++)
                if (t != 10 && t != 50)
                    sw = fmax(sw, fabs(w[j * k + t]));
            for (size_t t = 0; t < k; t++) {
                double a = x[i * k + t], b = w[j * k + t];
                ref += a * b;
                mag += fabs(a * b);
                if (t == 10 || t == 50)
                    bound += 2 * 0x1p-11 * fabs(a * b);
                else
                    bound += sx / 254 * fabs(b) + fabs(a) * sw / 254 + sx * sw / (254.0 * 254);
            }
            bound += LLM_INT8_MATMUL_FP_SLACK * mag;
            ck_assert_msg(fabs(y[i * n + j] - ref) <= bound, "(%zu,%zu) %g vs %g bound %g", i,
                          j, (double)y[i * n + j], ref, bound);
        }
    }
    x[5] = NAN;
    ck_assert_int_eq(comp_llm_int8_matmul(x, m, k, w, n, 6.0f, y, NULL, 0), SS_ENUMERIC);
    ss_free(x);
    ss_free(w);
    ss_free(y);
}
END_TEST

/* ------------------------------------------------------------- low rank */

static float *rank_r_matrix(rng *r, size_t rows, size_t cols, size_t rank)
{
    float *b = normal_vec(r, rows * rank, 1.0), *c = normal_vec(r, rank * cols, 1.0);
    float *a = ss_malloc_array(rows * cols, 4);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) {
            double s = 0;
            for (size_t t = 0; t < rank; t++)
                s += (double)b[i * rank + t] * c[t * cols + j];
            a[i * cols + j] = (float)s;
        }
    ss_free(b);
    ss_free(c);
    return a;
}

static float *lowrank_round_trip(const char *spec, const float *x, size_t rows, size_t cols)
{
    comp_codec c = codec(spec);
    size_t len;
    uint8_t *buf = encode_exact(&c, x, rows, cols, &len);
    float *y = ss_malloc_array(rows * cols, 4);
    char err[256];
    ck_assert_int_eq(comp_decode(&c, buf, len, rows, cols, y, err, sizeof err), SS_OK);
    ss_free(buf);
    return y;
}

/* fp32 SVD of a well-conditioned rank-5 matrix: residual ~ 1e-6 relative. */
#define LOWRANK_EXACT_REL_ERR 1e-4

START_TEST(test_lowrank_recovers_a_rank_r_matrix)
{
    rng r = {9};
    float *x = rank_r_matrix(&r, 60, 40, 5);
    float *y = lowrank_round_trip("lowrank:5", x, 60, 40);
    ck_assert_double_lt(frob_rel_err(x, y, 2400), LOWRANK_EXACT_REL_ERR);
    ss_free(y);
    y = lowrank_round_trip("lowrank:4", x, 60, 40); /* one rank short: clearly worse */
    ck_assert_double_gt(frob_rel_err(x, y, 2400), 0.01);
    ss_free(x);
    ss_free(y);
}
END_TEST

START_TEST(test_lowrank_error_decreases_with_rank_and_is_orthogonal)
{
    rng r = {10};
    size_t rows = 48, cols = 32, n = rows * cols;
    float *x = normal_vec(&r, n, 1.0);
    double prev = INFINITY, nx = 0;
    for (size_t i = 0; i < n; i++)
        nx += (double)x[i] * x[i];
    for (int rank = 1; rank <= 32; rank++) {
        char spec[32];
        snprintf(spec, sizeof spec, "lowrank:%d", rank);
        float *y = lowrank_round_trip(spec, x, rows, cols);
        double e = frob_rel_err(x, y, n);
        ck_assert_msg(e < prev, "rank %d: %g not below %g", rank, e, prev);
        prev = e;
        /* Best approximation = orthogonal projection: |X|^2 = |Y|^2 + |X-Y|^2 */
        double ny = 0, nd = 0;
        for (size_t i = 0; i < n; i++) {
            ny += (double)y[i] * y[i];
            nd += ((double)x[i] - y[i]) * ((double)x[i] - y[i]);
        }
        ck_assert_double_eq_tol(ny + nd, nx, 1e-4 * nx);
        ss_free(y);
    }
    ck_assert_double_lt(prev, LOWRANK_EXACT_REL_ERR); /* full rank */
    ss_free(x);
}
END_TEST

START_TEST(test_lowrank_sparse_restores_the_largest_residuals)
{
    rng r = {11};
    size_t rows = 30, cols = 20, n = 600;
    float *x = rank_r_matrix(&r, rows, cols, 3);
    for (size_t i = 0; i < n; i++) /* singular values ~250 dwarf the spikes */
        x[i] = 10 * x[i] + (float)(0.01 * rng_normal(&r));
    x[17] += 30.0f;
    x[333] -= 40.0f;
    float *yl = lowrank_round_trip("lowrank:3", x, rows, cols);
    float *ys = lowrank_round_trip("lowrank-sparse:3:0.01", x, rows, cols); /* s = 6 */
    /* the 6 largest |x - yl| by repeated argmax (ties to the lower index) */
    uint8_t top[600] = {0};
    for (int t = 0; t < 6; t++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < n; i++)
            if (!top[i] && (best == SIZE_MAX || fabsf(x[i] - yl[i]) > fabsf(x[best] - yl[best])))
                best = i;
        top[best] = 1;
    }
    ck_assert(top[17] && top[333]);
    for (size_t i = 0; i < n; i++) {
        if (top[i])
            ck_assert(fabsf(x[i] - ys[i]) <= 4 * FLT_EPSILON * fmaxf(fabsf(x[i]), 1.0f));
        else
            ck_assert(ys[i] == yl[i]);
    }
    ck_assert_double_lt(frob_rel_err(x, ys, n), frob_rel_err(x, yl, n));
    ss_free(x);
    ss_free(yl);
    ss_free(ys);
}
END_TEST

/* ------------------------------------------------- non-finite and hostile */

START_TEST(test_encode_rejects_nan_and_inf_in_every_codec)
{
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < N_SPECS; i++)
        for (int b = 0; b < 3; b++) {
            float x[60] = {0.5f, -0.25f};
            x[41] = bad[b];
            comp_codec c = codec(all_specs[i]);
            uint8_t buf[4096];
            size_t len;
            char err[256] = "";
            ss_status st = comp_encode(&c, x, 6, 10, buf, sizeof buf, &len, err, sizeof err);
            ck_assert_msg(st == SS_ENUMERIC, "%s: %s", all_specs[i], ss_status_name(st));
            ck_assert_msg(strstr(err, "element 41") != NULL, "%s: %s", all_specs[i], err);
        }
}
END_TEST

START_TEST(test_fp16_overflow_becomes_inf_as_documented)
{
    float x[2] = {70000.0f, -1e10f}, y[2];
    comp_codec c = codec("fp16");
    uint8_t buf[64];
    size_t len;
    ck_assert_int_eq(comp_encode(&c, x, 1, 2, buf, sizeof buf, &len, NULL, 0), SS_OK);
    ck_assert_int_eq(comp_decode(&c, buf, len, 1, 2, y, NULL, 0), SS_OK);
    ck_assert(isinf(y[0]) && y[0] > 0 && isinf(y[1]) && y[1] < 0);
}
END_TEST

/* Decode of every prefix, a longer buffer, and hand-made corruptions must
 * fail cleanly; random byte flips must never crash (ASan build checks reads). */
START_TEST(test_decode_rejects_truncated_and_corrupted_buffers)
{
    rng r = {12};
    size_t rows = 7, cols = 9, n = 63;
    float *x = normal_vec(&r, n, 1.0), y[63];
    x[20] = 9.0f; /* one llm-int8 outlier column */
    for (size_t s = 0; s < N_SPECS; s++) {
        comp_codec c = codec(all_specs[s]);
        size_t len;
        uint8_t *good = encode_exact(&c, x, rows, cols, &len);
        char err[256];
        ck_assert_int_eq(comp_decode(&c, good, len, rows, cols, y, err, sizeof err), SS_OK);
        for (size_t l = 0; l < len; l++) {
            uint8_t *t = ss_malloc(l ? l : 1);
            memcpy(t, good, l);
            ck_assert_msg(comp_decode(&c, t, l, rows, cols, y, NULL, 0) == SS_EPARSE,
                          "%s accepted %zu of %zu bytes", all_specs[s], l, len);
            ss_free(t);
        }
        uint8_t *big = ss_malloc(len + 1);
        memcpy(big, good, len);
        big[len] = 0;
        ck_assert_int_eq(comp_decode(&c, big, len + 1, rows, cols, y, NULL, 0), SS_EPARSE);
        ss_free(big);
        /* header fields: magic, version, kind, param, shape */
        static const size_t hdr_bytes[] = {0, 1, 2, 3, 4, 8, 12};
        for (size_t h = 0; h < sizeof hdr_bytes / sizeof hdr_bytes[0]; h++) {
            uint8_t *t = ss_malloc(len);
            memcpy(t, good, len);
            t[hdr_bytes[h]] ^= 0x01;
            ck_assert_msg(comp_decode(&c, t, len, rows, cols, y, NULL, 0) == SS_EPARSE,
                              "%s accepted header byte %zu flipped", all_specs[s], hdr_bytes[h]);
            ss_free(t);
        }
        ck_assert_int_eq(comp_decode(&c, good, len, cols, rows, y, NULL, 0), SS_EPARSE);
        /* random single-byte corruption anywhere: OK or EPARSE, never a crash */
        for (int trial = 0; trial < 300; trial++) {
            uint8_t *t = ss_malloc(len);
            memcpy(t, good, len);
            t[rng_next(&r) % len] = (uint8_t)rng_next(&r);
            ss_status st = comp_decode(&c, t, len, rows, cols, y, NULL, 0);
            ck_assert(st == SS_OK || st == SS_EPARSE);
            ss_free(t);
        }
        ss_free(good);
    }
    ss_free(x);
}
END_TEST

static void expect_corrupt(const char *spec, const float *x, size_t rows, size_t cols,
                           size_t off, const void *bytes, size_t nbytes, const char *what)
{
    comp_codec c = codec(spec);
    size_t len;
    uint8_t *buf = encode_exact(&c, x, rows, cols, &len);
    ck_assert_uint_le(off + nbytes, len);
    memcpy(buf + off, bytes, nbytes);
    float *y = ss_malloc_array(rows * cols, 4);
    char err[256] = "";
    ck_assert_msg(comp_decode(&c, buf, len, rows, cols, y, err, sizeof err) == SS_EPARSE,
                  "%s: %s accepted", spec, what);
    ck_assert(err[0] != '\0');
    ss_free(y);
    ss_free(buf);
}

START_TEST(test_decode_validates_scales_codebook_and_indices)
{
    rng r = {13};
    float *x = normal_vec(&r, 64, 1.0);
    x[9] = 8.0f;                   /* llm-int8 outlier column 1 (cols = 8) */
    const float nan = NAN, neg = -1.0f;
    const uint32_t big = 1000, zero = 0;
    const uint8_t nib0 = 0x08;     /* int4 code 0 in the high nibble */
    expect_corrupt("blockwise8:16", x, 8, 8, 16 + 4, &nan, 4, "NaN absmax");
    expect_corrupt("blockwise8:16", x, 8, 8, 16, &neg, 4, "negative absmax");
    expect_corrupt("blockwise8:16", x, 8, 8, 16 + 16 + 40, &nan, 4, "NaN codebook entry");
    expect_corrupt("int8", x, 8, 8, 16, &nan, 4, "NaN absmax");
    expect_corrupt("int4", x, 8, 8, 16 + 4, &nib0, 1, "int4 code 0");
    expect_corrupt("nf4", x, 8, 8, 16, &neg, 4, "negative absmax");
    expect_corrupt("llm-int8", x, 8, 8, 16, &big, 4, "outlier count > cols");
    expect_corrupt("llm-int8", x, 8, 8, 16 + 4, &big, 4, "nonzero reserved word");
    expect_corrupt("llm-int8", x, 8, 8, 16 + 8, &big, 4, "outlier column >= cols");
    expect_corrupt("llm-int8", x, 8, 8, 16 + 8 + 4 + 2 * 8, &nan, 4, "NaN row scale");
    expect_corrupt("lowrank:2", x, 8, 8, 16 + 12, &nan, 4, "NaN factor");
    /* lowrank-sparse:2:0.05 on 64 values keeps 4: indices at 16 + 4*2*16 */
    expect_corrupt("lowrank-sparse:2:0.05", x, 8, 8, 16 + 128, &big, 4, "index >= n");
    expect_corrupt("lowrank-sparse:2:0.05", x, 8, 8, 16 + 128 + 4, &zero, 4,
                   "indices not ascending");
    /* odd n: the padding nibble of 4-bit codecs must be zero */
    const uint8_t pad = 0x77;
    expect_corrupt("nf4", x, 1, 63, 16 + 4 + 31, &pad, 1, "nonzero padding nibble");
    ss_free(x);
}
END_TEST

START_TEST(test_allocation_failures_are_clean)
{
    /* Fail the Nth allocation for every N until the call succeeds: each
     * failure must be SS_ENOMEM, and ASan's leak check runs at exit. */
    rng r = {14};
    float *x = normal_vec(&r, 16 * 12, 1.0), *y = ss_malloc_array(16 * 12, 4);
    float *w = normal_vec(&r, 10 * 12, 1.0), *ym = ss_malloc_array(16 * 10, 4);
    x[7] = 10.0f;
    uint8_t *buf = ss_malloc(1 << 16);
    static const char *const specs[] = {"llm-int8", "lowrank:3", "lowrank-sparse:3"};
    for (size_t s = 0; s < 3; s++) {
        comp_codec c = codec(specs[s]);
        ss_status st = SS_ENOMEM;
        for (long k = 0; st == SS_ENOMEM && k < 100; k++) {
            size_t len;
            ss_alloc_fail_after(k);
            st = comp_encode(&c, x, 16, 12, buf, 1 << 16, &len, NULL, 0);
            if (st == SS_OK)
                st = comp_decode(&c, buf, len, 16, 12, y, NULL, 0);
            ss_alloc_fail_after(-1);
        }
        ck_assert_int_eq(st, SS_OK);
    }
    ss_status st = SS_ENOMEM;
    for (long k = 0; st == SS_ENOMEM && k < 100; k++) {
        ss_alloc_fail_after(k);
        st = comp_llm_int8_matmul(x, 16, 12, w, 10, 6.0f, ym, NULL, 0);
        ss_alloc_fail_after(-1);
    }
    ck_assert_int_eq(st, SS_OK);
    ss_free(buf);
    ss_free(x);
    ss_free(y);
    ss_free(w);
    ss_free(ym);
}
END_TEST

Suite *comp_suite(void)
{
    Suite *s = suite_create("comp");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_parse_gives_documented_defaults);
    tcase_add_test(tc, test_parse_unknown_name_lists_every_known_codec);
    tcase_add_test(tc, test_parse_rejects_bad_parameters);
    tcase_add_test(tc, test_format_round_trips_through_parse);
    tcase_add_test(tc, test_absmax_matches_naive_loop_and_finds_first_nonfinite);
    tcase_add_test(tc, test_fp16_matches_hand_computed_bit_patterns);
    tcase_add_test(tc, test_fp16_and_bf16_round_trip_every_bit_pattern);
    tcase_add_test(tc, test_fp16_codec_matches_scalar_conversion);
    tcase_add_test(tc, test_bf16_rounds_to_nearest_even);
    tcase_add_test(tc, test_dynamic_codebook_matches_closed_form);
    tcase_add_test(tc, test_bw8_lookup_table_needs_at_most_one_comparison);
    tcase_add_test(tc, test_bw8_fast_encoder_matches_ref_on_hard_values);
    tcase_add_test(tc, test_bw8_fast_encoder_matches_ref_on_random_blocks);
    tcase_add_test(tc, test_bw8_round_trip_error_within_half_max_gap);
    tcase_add_test(tc, test_bw8_stores_absmax_bit_exact_and_decodes_the_extreme_exactly);
    tcase_add_test(tc, test_bw8_all_zero_block_decodes_to_exact_zeros);
    tcase_add_test(tc, test_blockwise8_wire_size_is_hivemind_formula);
    tcase_add_test(tc, test_wire_sizes_are_exact_for_every_codec);
    tcase_add_test(tc, test_zero_sized_tensors_round_trip);
    tcase_add_test(tc, test_encode_reports_efull_when_capacity_is_short);
    tcase_add_test(tc, test_linear_fast_kernels_match_ref);
    tcase_add_test(tc, test_int8_int4_nf4_pack_hand_computed_bytes);
    tcase_add_test(tc, test_int8_int4_nf4_round_trip_within_budgets);
    tcase_add_test(tc, test_llm_int8_keeps_outlier_columns_at_fp16);
    tcase_add_test(tc, test_llm_int8_matmul_matches_float_within_budget);
    tcase_add_test(tc, test_lowrank_recovers_a_rank_r_matrix);
    tcase_add_test(tc, test_lowrank_error_decreases_with_rank_and_is_orthogonal);
    tcase_add_test(tc, test_lowrank_sparse_restores_the_largest_residuals);
    tcase_add_test(tc, test_encode_rejects_nan_and_inf_in_every_codec);
    tcase_add_test(tc, test_fp16_overflow_becomes_inf_as_documented);
    tcase_add_test(tc, test_decode_rejects_truncated_and_corrupted_buffers);
    tcase_add_test(tc, test_decode_validates_scales_codebook_and_indices);
    tcase_add_test(tc, test_allocation_failures_are_clean);
    suite_add_tcase(s, tc);
    return s;
}
