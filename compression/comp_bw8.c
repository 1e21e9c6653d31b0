/* comp_bw8.c - dynamic blockwise 8-bit quantization (Dettmers et al.,
 * bitsandbytes' quantize_blockwise with the default signed dynamic map, as
 * hivemind sends activations).
 *
 * The codebook is bitsandbytes' create_dynamic_map(signed=True,
 * max_exponent_bits=7, total_bits=8): for i = 0..6 the 2^i midpoints of
 * torch.linspace(0.1, 1, 2^i + 1) (float32) scaled by 10^(i-6), both signs,
 * plus 0 and 1.0, sorted: 127 negatives, 0 at index 127, 128 positives with
 * 1.0 at 255. Negative entries are exact negations of positive ones
 * (code[k] = -code[254 - k] for k < 127), which the fast encoder uses to
 * search magnitudes only.
 *
 * Nearest-entry rule (normative, shared with the _ref twin): v is mapped to
 * the entry at minimal |v - code|, ties to the entry of smaller magnitude.
 * Fast path: the upper 16 bits of |v| (sign-free exponent + 7 mantissa bits)
 * index a 16K-entry table giving the candidate below, and one comparison with
 * the exact midpoint (stored rounded down to a float, so `a > mid` is exact,
 * and compared as the low 16 bits within the bucket) picks between it and
 * the next entry; SSE2 does four values at a time. That one comparison suffices because
 * a table bucket spans a relative width <= 2^-7 while adjacent midpoints are
 * >= 0.014 apart relative to their magnitude; comp_bw8_lut_max_steps checks
 * it at run time for the tests.
 */
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "comp.h"
#include "comp_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define BW8_AVX2 1
#endif

#define LUT_TOP 0x3F80u /* bits(1.0f) >> 16 */

static float codebook[256];
/* mid[k] (k = 127..254): midpoint of codebook[k], codebook[k+1] rounded down
 * to a float; mid[255] = +Inf so "a > mid[255]" never advances past 1.0. */
static float mid[256];
static uint8_t lut[LUT_TOP + 1];
/* The encoder's table: tab[b] = lut[b] | thr << 8, where thr is the low 16
 * bits of mid[lut[b]] if that midpoint lies in bucket b (then, for |v| in
 * the bucket, |v| > mid iff its low 16 bits exceed thr: same upper bits),
 * else 0xffff (never exceeded). One load, integer compares only. */
static uint32_t tab[LUT_TOP + 1];
static float max_gap;
static int lut_max_steps;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* torch.linspace's scalar CPU formula in float32: from the start for the
 * first half, from the end for the second, so both ends are exact. */
static void linspace_f32(float start, float end, int steps, float *out)
{
    float step = (end - start) / (float)(steps - 1);
    int halfway = steps / 2;
    for (int i = 0; i < steps; i++)
        out[i] = i < halfway ? start + step * (float)i : end - step * (float)(steps - i - 1);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static float round_down_mid(float lo, float hi)
{
    double m = ((double)lo + (double)hi) / 2.0; /* exact in double */
    float f = (float)m;
    if ((double)f > m)
        f = nextafterf(f, -INFINITY);
    return f;
}

static void bw8_init(void)
{
    /* 10 ** (-(max_exponent_bits - 1) + i) as Python computes it (double),
     * then multiplied into a float32 tensor (torch rounds it to float). */
    static const double pow10[7] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0};
    float data[256], bnd[65];
    int k = 0;
    for (int i = 0; i < 7; i++) {
        int items = (1 << i) + 1; /* fraction_items for signed, 8 bits, 7 exp */
        linspace_f32(0.1f, 1.0f, items, bnd);
        float scale = (float)pow10[i];
        for (int j = 0; j + 1 < items; j++) {
            float mean = (bnd[j] + bnd[j + 1]) / 2.0f;
            data[k++] = scale * mean;
            data[k++] = -scale * mean;
        }
    }
    data[k++] = 0.0f;
    data[k++] = 1.0f;
    /* k == 256 by construction: 2 * (1 + 2 + ... + 64) + 2 */
    qsort(data, 256, sizeof data[0], cmp_float);
    memcpy(codebook, data, sizeof codebook);

    max_gap = 0.0f;
    for (int j = 0; j < 255; j++)
        if (codebook[j + 1] - codebook[j] > max_gap)
            max_gap = codebook[j + 1] - codebook[j];

    for (int j = 0; j < 255; j++)
        mid[j] = round_down_mid(codebook[j], codebook[j + 1]);
    mid[255] = INFINITY;

    /* lut[b] = 127 + number of positive-side midpoints below the bucket's
     * lowest value; count how many more a value of the bucket may need. */
    lut_max_steps = 0;
    int j = 127;
    for (uint32_t b = 0; b <= LUT_TOP; b++) {
        float lo = comp_bits_f32(b << 16);
        while (j < 255 && lo > mid[j])
            j++;
        lut[b] = (uint8_t)j;
        float top = b == LUT_TOP ? 1.0f : comp_bits_f32(((b + 1) << 16) - 1);
        int steps = 0;
        for (int t = j; t < 255 && top > mid[t]; t++)
            steps++;
        if (steps > lut_max_steps)
            lut_max_steps = steps;
        uint32_t mb = comp_f32_bits(mid[j]);
        tab[b] = (uint32_t)j | ((mb >> 16) == b ? (mb & 0xffffu) : 0xffffu) << 8;
    }
}

static void bw8_ensure(void)
{
    pthread_once(&init_once, bw8_init);
}

const float *comp_dynamic_codebook(void)
{
    bw8_ensure();
    return codebook;
}

float comp_bw8_max_gap(void)
{
    bw8_ensure();
    return max_gap;
}

int comp_bw8_lut_max_steps(void)
{
    bw8_ensure();
    return lut_max_steps;
}

static inline uint8_t bw8_code(float v)
{
    uint32_t u = comp_f32_bits(v);
    uint32_t au = u & 0x7fffffffu;
    uint32_t b = au >> 16;
    b = b > LUT_TOP ? LUT_TOP : b; /* x * (1/A) may exceed 1 by an ulp */
    uint32_t e = tab[b];
    uint32_t j = (e & 0xffu) + ((au & 0xffffu) > (e >> 8));
    /* Mirror for negatives: magnitude code j (127..255) is -code[254 - j];
     * there is no -1.0, so a magnitude nearest 1.0 takes -code[254]'s twin. */
    uint32_t jn = 254u - (j > 254u ? 254u : j);
    return (uint8_t)((u >> 31) ? jn : j);
}

#ifdef BW8_AVX2
/* bw8_code on 8 lanes: the same integer
 * steps as the SSE2 loop and the same float multiply, so the same codes; the
 * build targets baseline x86-64, so this is compiled for AVX2 alone and
 * chosen at run time. Returns how many leading values it coded. */
__attribute__((target("avx2"))) static size_t encode_avx2(const float *x, size_t n, float mul,
                                                          uint8_t *q)
{
    const __m256 vm = _mm256_set1_ps(mul);
    const __m256i absmask = _mm256_set1_epi32(0x7fffffff), lo16 = _mm256_set1_epi32(0xffff),
                  top = _mm256_set1_epi32(LUT_TOP), ff = _mm256_set1_epi32(0xff),
                  c254 = _mm256_set1_epi32(254);
    const __m256i pack = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          -1, 0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                          -1, -1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i u = _mm256_castps_si256(_mm256_mul_ps(_mm256_loadu_ps(x + i), vm));
        __m256i au = _mm256_and_si256(u, absmask);
        __m256i b = _mm256_min_epi32(_mm256_srli_epi32(au, 16), top);
        /* eight scalar loads, not vpgatherdd: with the gather-data-sampling
         * mitigation a gather costs more than the loads it replaces */
        uint32_t bb[8];
        _mm256_storeu_si256((__m256i *)(void *)bb, b);
        __m256i e = _mm256_setr_epi32((int)tab[bb[0]], (int)tab[bb[1]], (int)tab[bb[2]],
                                      (int)tab[bb[3]], (int)tab[bb[4]], (int)tab[bb[5]],
                                      (int)tab[bb[6]], (int)tab[bb[7]]);
        __m256i gt = _mm256_cmpgt_epi32(_mm256_and_si256(au, lo16), _mm256_srli_epi32(e, 8));
        __m256i j = _mm256_sub_epi32(_mm256_and_si256(e, ff), gt);
        __m256i jn = _mm256_sub_epi32(c254, _mm256_min_epi32(j, c254));
        __m256i code = _mm256_blendv_epi8(j, jn, _mm256_srai_epi32(u, 31));
        __m256i bytes = _mm256_shuffle_epi8(code, pack); /* low byte of each lane */
        uint32_t lo = (uint32_t)_mm256_cvtsi256_si32(bytes);
        uint32_t hi = (uint32_t)_mm_cvtsi128_si32(_mm256_extracti128_si256(bytes, 1));
        memcpy(q + i, &lo, 4);
        memcpy(q + i + 4, &hi, 4);
    }
    return i;
}

/* comp_absmax's integer max of |x| bit patterns, 8 lanes in two
 * accumulators. Returns the max as bits; >= 0x7f800000 means a non-finite
 * element is present (the caller then asks comp_absmax which). */
__attribute__((target("avx2"))) static uint32_t absmax_bits_avx2(const float *x, size_t n)
{
    const __m256i mask = _mm256_set1_epi32(0x7fffffff);
    __m256i m0 = _mm256_setzero_si256(), m1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i a = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(const void *)(x + i)), mask);
        __m256i b = _mm256_and_si256(
            _mm256_loadu_si256((const __m256i *)(const void *)(x + i + 8)), mask);
        m0 = _mm256_max_epi32(m0, a);
        m1 = _mm256_max_epi32(m1, b);
    }
    m0 = _mm256_max_epi32(m0, m1);
    int32_t lanes[8];
    _mm256_storeu_si256((__m256i *)(void *)lanes, m0);
    int32_t m = 0;
    for (int l = 0; l < 8; l++)
        m = lanes[l] > m ? lanes[l] : m;
    for (; i < n; i++) {
        int32_t u = (int32_t)(comp_f32_bits(x[i]) & 0x7fffffffu);
        m = u > m ? u : m;
    }
    return (uint32_t)m;
}

static int have_avx2(void)
{
    static int known = -1;
    if (known < 0)
        known = __builtin_cpu_supports("avx2") ? 1 : 0;
    return known;
}
#endif

void comp_bw8_encode_block(const float *x, size_t n, float absmax, uint8_t *q)
{
    bw8_ensure();
    if (absmax == 0.0f) {
        memset(q, COMP_BW8_ZERO_CODE, n);
        return;
    }
    float mul = comp_scale_mul(absmax, 1.0f);
    if (mul != 0.0f) {
        size_t i = 0;
#ifdef BW8_AVX2
        if (have_avx2())
            i = encode_avx2(x, n, mul, q);
#endif
#ifdef __SSE2__
        /* bw8_code on 4 lanes; only the table load stays scalar. */
        const __m128 vm = _mm_set1_ps(mul);
        const __m128i absmask = _mm_set1_epi32(0x7fffffff), lo16 = _mm_set1_epi32(0xffff),
                      top = _mm_set1_epi32(LUT_TOP), ff = _mm_set1_epi32(0xff),
                      c254 = _mm_set1_epi32(254);
        for (; i + 4 <= n; i += 4) {
            __m128i u = _mm_castps_si128(_mm_mul_ps(_mm_loadu_ps(x + i), vm));
            __m128i au = _mm_and_si128(u, absmask);
            /* b <= 0x7fff fits a signed 16-bit lane, upper halves are 0 */
            __m128i b = _mm_min_epi16(_mm_srli_epi32(au, 16), top);
            uint32_t bb[4];
            _mm_storeu_si128((__m128i *)(void *)bb, b);
            __m128i e = _mm_setr_epi32((int)tab[bb[0]], (int)tab[bb[1]], (int)tab[bb[2]],
                                       (int)tab[bb[3]]);
            __m128i gt = _mm_cmpgt_epi32(_mm_and_si128(au, lo16), _mm_srli_epi32(e, 8));
            __m128i j = _mm_sub_epi32(_mm_and_si128(e, ff), gt); /* gt is 0 or -1 */
            __m128i jn = _mm_sub_epi32(c254, _mm_min_epi16(j, c254));
            __m128i neg = _mm_srai_epi32(u, 31);
            __m128i code = _mm_or_si128(_mm_and_si128(neg, jn), _mm_andnot_si128(neg, j));
            code = _mm_packus_epi16(_mm_packs_epi32(code, code), code);
            uint32_t four = (uint32_t)_mm_cvtsi128_si32(code);
            memcpy(q + i, &four, 4);
        }
#endif
        for (; i < n; i++)
            q[i] = bw8_code(x[i] * mul);
    } else {
        for (size_t i = 0; i < n; i++)
            q[i] = bw8_code(x[i] / absmax);
    }
}

void comp_bw8_encode_block_ref(const float *x, size_t n, float absmax, uint8_t *q)
{
    const float *cb = comp_dynamic_codebook();
    float mul = comp_scale_mul(absmax, 1.0f);
    for (size_t i = 0; i < n; i++) {
        if (absmax == 0.0f) {
            q[i] = COMP_BW8_ZERO_CODE;
            continue;
        }
        double v = comp_scale_apply(x[i], absmax, mul, 1.0f);
        int best = 0;
        double bestd = INFINITY;
        for (int k = 0; k < 256; k++) {
            double d = fabs(v - (double)cb[k]);
            if (d < bestd || (d == bestd && fabs(cb[k]) < fabs(cb[best]))) {
                best = k;
                bestd = d;
            }
        }
        q[i] = (uint8_t)best;
    }
}

ss_status comp_bw8_encode(uint32_t block, const float *x, size_t n, uint8_t *p, char *err,
                          size_t errlen)
{
    bw8_ensure();
    size_t nb = n / block + (n % block != 0);
    uint8_t *absp = p, *cbp = p + 4 * nb, *codes = cbp + COMP_BW8_CODEBOOK_BYTES;
    memcpy(cbp, codebook, COMP_BW8_CODEBOOK_BYTES);
    for (size_t b = 0; b < nb; b++) {
        size_t off = b * block, len = n - off < block ? n - off : block;
        float amax;
        size_t bad = 0;
#ifdef BW8_AVX2
        uint32_t mb;
        if (have_avx2() && (mb = absmax_bits_avx2(x + off, len)) < 0x7f800000u)
            amax = comp_bits_f32(mb);
        else
#endif
            bad = comp_absmax(x + off, len, &amax);
        if (bad)
            return ss_err(err, errlen, SS_ENUMERIC, "element %zu is not finite", off + bad - 1);
        memcpy(absp + 4 * b, &amax, 4);
        comp_bw8_encode_block(x + off, len, amax, codes + off);
    }
    return SS_OK;
}

ss_status comp_bw8_decode(uint32_t block, const uint8_t *p, size_t n, float *y, char *err,
                          size_t errlen)
{
    size_t nb = n / block + (n % block != 0);
    const uint8_t *absp = p, *cbp = p + 4 * nb, *codes = cbp + COMP_BW8_CODEBOOK_BYTES;
    float cb[256];
    memcpy(cb, cbp, sizeof cb);
    /* The receiver uses the codebook it was sent (hivemind's contract), so
     * it must be sane: finite entries. */
    for (int k = 0; k < 256; k++)
        if (!isfinite(cb[k]))
            return ss_err(err, errlen, SS_EPARSE, "codebook entry %d is not finite", k);
    for (size_t b = 0; b < nb; b++) {
        float amax;
        memcpy(&amax, absp + 4 * b, 4);
        if (!(amax >= 0.0f && amax <= FLT_MAX))
            return ss_err(err, errlen, SS_EPARSE, "block %zu: absmax is negative or not finite",
                          b);
        size_t off = b * block, len = n - off < block ? n - off : block;
        const uint8_t *q = codes + off;
        float *yb = y + off;
        /* Scale the 256 entries once per block instead of every value: the
         * same product code * absmax, so the same bits, and the inner loop
         * becomes a plain table lookup. */
        float sc[256];
        if (len >= 1024) {
            for (int k = 0; k < 256; k++)
                sc[k] = cb[k] * amax;
            size_t i = 0;
            for (; i + 4 <= len; i += 4) {
                yb[i] = sc[q[i]];
                yb[i + 1] = sc[q[i + 1]];
                yb[i + 2] = sc[q[i + 2]];
                yb[i + 3] = sc[q[i + 3]];
            }
            for (; i < len; i++)
                yb[i] = sc[q[i]];
        } else {
            for (size_t i = 0; i < len; i++)
                yb[i] = cb[q[i]] * amax;
        }
    }
    return SS_OK;
}
