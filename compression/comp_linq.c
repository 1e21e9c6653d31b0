/* comp_linq.c - blockwise absmax quantizers with a fixed grid: linear
 * symmetric int8 (q in [-127, 127]) and int4 (q in [-7, 7]), and QLoRA's NF4
 * (16 NormalFloat levels).
 *
 * Per block of B values: A = max |x| stored as f32, then v = x scaled by the
 * shared rule of comp_int.h (Q / A with Q = 127, 7 or 1).
 *   int8/int4: q = round-half-even(v), clamped to +-Q (v can exceed Q by an
 *              ulp because Q / A is rounded); y = q * (A / Q), or
 *              (q * A) / Q when A / Q is subnormal.
 *   nf4:       nibble = index of the nearest level (ties to the lower
 *              index); y = level[nibble] * A.
 * Fast kernels round with the 1.5 * 2^23 add/subtract trick (exact RNE for
 * |v| < 2^22) and find NF4 levels by counting exceeded midpoints, with SSE2
 * where available (the same IEEE single operations, so bit-identical to the
 * scalar tails); the _ref twins use nearbyint() and a linear argmin in double.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "comp.h"
#include "comp_int.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* QLoRA / bitsandbytes NF4 levels (float32 values of the published table). */
const float comp_nf4_levels[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};

/* Midpoints between adjacent NF4 levels rounded down to a float, so that
 * `v > nf4_mid[k]` equals `v > exact midpoint` for every float v (exact ties
 * stay below: ties to the lower index). */
static float nf4_mid_table(int k)
{
    double m = ((double)comp_nf4_levels[k] + (double)comp_nf4_levels[k + 1]) / 2.0;
    float f = (float)m;
    if ((double)f > m)
        f = nextafterf(f, -INFINITY);
    return f;
}

#define RNE_MAGIC 0x1.8p23f

static inline float rne_small(float v)
{
    /* Adding 1.5 * 2^23 leaves no fraction bits, so the FPU's round-to-
     * nearest-even does the rounding; exact for |v| < 2^22. Needs
     * -ffp-contract=off semantics (no reassociation), which we build with. */
    return (v + RNE_MAGIC) - RNE_MAGIC;
}

static inline float clampf(float v, float q)
{
    return v > q ? q : v < -q ? -q : v;
}

/* The int grid on 16 values at a time: the same multiply, magic-number
 * rounding and clamp as the scalar loop (IEEE single ops, so bit-identical),
 * then an exact conversion of the already-integral floats, plus `offset`,
 * packed to bytes. Returns how many leading values were done. */
static size_t grid_sse2(const float *x, size_t n, float mul, float q, int offset, uint8_t *out)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128 vm = _mm_set1_ps(mul), magic = _mm_set1_ps(RNE_MAGIC), hi = _mm_set1_ps(q),
                 lo = _mm_set1_ps(-q);
    const __m128i off = _mm_set1_epi32(offset);
    for (; i + 16 <= n; i += 16) {
        __m128i a[4];
        for (int k = 0; k < 4; k++) {
            __m128 v = _mm_mul_ps(_mm_loadu_ps(x + i + 4 * k), vm);
            v = _mm_sub_ps(_mm_add_ps(v, magic), magic);
            v = _mm_min_ps(_mm_max_ps(v, lo), hi);
            a[k] = _mm_add_epi32(_mm_cvtps_epi32(v), off);
        }
        __m128i b = _mm_packs_epi16(_mm_packs_epi32(a[0], a[1]), _mm_packs_epi32(a[2], a[3]));
        _mm_storeu_si128((__m128i *)(void *)(out + i), b);
    }
#endif
    return i;
}

void comp_int8_encode_block(const float *x, size_t n, float absmax, int8_t *q)
{
    if (absmax == 0.0f) {
        memset(q, 0, n);
        return;
    }
    float mul = comp_scale_mul(absmax, 127.0f);
    if (mul != 0.0f) {
        for (size_t i = grid_sse2(x, n, mul, 127.0f, 0, (uint8_t *)q); i < n; i++)
            q[i] = (int8_t)(int)clampf(rne_small(x[i] * mul), 127.0f);
    } else {
        for (size_t i = 0; i < n; i++)
            q[i] = (int8_t)(int)clampf(rne_small((x[i] / absmax) * 127.0f), 127.0f);
    }
}

void comp_int8_encode_block_ref(const float *x, size_t n, float absmax, int8_t *q)
{
    float mul = comp_scale_mul(absmax, 127.0f);
    for (size_t i = 0; i < n; i++) {
        if (absmax == 0.0f) {
            q[i] = 0;
            continue;
        }
        double r = nearbyint((double)comp_scale_apply(x[i], absmax, mul, 127.0f));
        q[i] = (int8_t)(r > 127 ? 127 : r < -127 ? -127 : r);
    }
}

void comp_int4_encode_block(const float *x, size_t n, float absmax, uint8_t *nib)
{
    if (absmax == 0.0f) {
        memset(nib, 8, n);
        return;
    }
    float mul = comp_scale_mul(absmax, 7.0f);
    if (mul != 0.0f) {
        for (size_t i = grid_sse2(x, n, mul, 7.0f, 8, nib); i < n; i++)
            nib[i] = (uint8_t)((int)clampf(rne_small(x[i] * mul), 7.0f) + 8);
    } else {
        for (size_t i = 0; i < n; i++)
            nib[i] = (uint8_t)((int)clampf(rne_small((x[i] / absmax) * 7.0f), 7.0f) + 8);
    }
}

void comp_int4_encode_block_ref(const float *x, size_t n, float absmax, uint8_t *nib)
{
    float mul = comp_scale_mul(absmax, 7.0f);
    for (size_t i = 0; i < n; i++) {
        if (absmax == 0.0f) {
            nib[i] = 8;
            continue;
        }
        double r = nearbyint((double)comp_scale_apply(x[i], absmax, mul, 7.0f));
        nib[i] = (uint8_t)((r > 7 ? 7 : r < -7 ? -7 : r) + 8);
    }
}

void comp_nf4_encode_block(const float *x, size_t n, float absmax, uint8_t *nib)
{
    if (absmax == 0.0f) {
        memset(nib, 7, n); /* level 7 is 0.0 */
        return;
    }
    float m[15];
    for (int k = 0; k < 15; k++)
        m[k] = nf4_mid_table(k);
    float mul = comp_scale_mul(absmax, 1.0f);
    size_t i = 0;
#ifdef __SSE2__
    if (mul != 0.0f) {
        /* 4 lanes: subtracting the all-ones compare masks counts midpoints */
        const __m128 vm = _mm_set1_ps(mul);
        __m128 mv[15];
        for (int k = 0; k < 15; k++)
            mv[k] = _mm_set1_ps(m[k]);
        for (; i + 4 <= n; i += 4) {
            __m128 v = _mm_mul_ps(_mm_loadu_ps(x + i), vm);
            __m128i idx = _mm_setzero_si128();
            for (int k = 0; k < 15; k++)
                idx = _mm_sub_epi32(idx, _mm_castps_si128(_mm_cmpgt_ps(v, mv[k])));
            idx = _mm_packus_epi16(_mm_packs_epi32(idx, idx), idx);
            uint32_t four = (uint32_t)_mm_cvtsi128_si32(idx);
            memcpy(nib + i, &four, 4);
        }
    }
#endif
    for (; i < n; i++) {
        float v = mul != 0.0f ? x[i] * mul : x[i] / absmax;
        /* Branch-free: the index is the number of midpoints below v. */
        int idx = 0;
        for (int k = 0; k < 15; k++)
            idx += v > m[k];
        nib[i] = (uint8_t)idx;
    }
}

void comp_nf4_encode_block_ref(const float *x, size_t n, float absmax, uint8_t *nib)
{
    float mul = comp_scale_mul(absmax, 1.0f);
    for (size_t i = 0; i < n; i++) {
        if (absmax == 0.0f) {
            nib[i] = 7;
            continue;
        }
        double v = comp_scale_apply(x[i], absmax, mul, 1.0f);
        int best = 0;
        double bestd = INFINITY;
        for (int k = 0; k < 16; k++) {
            double d = fabs(v - (double)comp_nf4_levels[k]);
            if (d < bestd) { /* strict: ties keep the lower index */
                best = k;
                bestd = d;
            }
        }
        nib[i] = (uint8_t)best;
    }
}

/* Element i's nibble: high nibble of byte i/2 for even i, low for odd. */
static inline void put_nib(uint8_t *p, size_t i, uint8_t v)
{
    if (i & 1)
        p[i >> 1] |= v;
    else
        p[i >> 1] = (uint8_t)(v << 4);
}

static inline uint8_t get_nib(const uint8_t *p, size_t i)
{
    return (i & 1) ? (p[i >> 1] & 0x0f) : (uint8_t)(p[i >> 1] >> 4);
}

/* Pack m nibble codes starting at element o: a byte at a time where
 * possible (an odd start ORs into the low half of a byte begun earlier). */
static void pack_nibbles(const uint8_t *nib, size_t m, uint8_t *codes, size_t o)
{
    size_t i = 0;
    if ((o & 1) && m) {
        put_nib(codes, o, nib[0]);
        i = 1;
    }
    uint8_t *p = codes + ((o + i) >> 1);
    for (; i + 2 <= m; i += 2)
        *p++ = (uint8_t)(nib[i] << 4 | nib[i + 1]);
    if (i < m)
        *p = (uint8_t)(nib[i] << 4);
}

/* Decode len nibbles starting at element off through a 16-entry table of
 * the block's values; returns 1 if any nibble was 0. */
static int unpack_nibbles(const uint8_t *codes, size_t off, size_t len, const float val[16],
                          float *yb)
{
    size_t i = 0;
    int zero = 0;
    if ((off & 1) && len) {
        uint8_t v = get_nib(codes, off);
        zero |= v == 0;
        yb[0] = val[v];
        i = 1;
    }
    const uint8_t *p = codes + ((off + i) >> 1);
    for (; i + 2 <= len; i += 2) {
        uint8_t hi = *p >> 4, lo = *p & 0x0f;
        p++;
        zero |= (hi == 0) | (lo == 0);
        yb[i] = val[hi];
        yb[i + 1] = val[lo];
    }
    if (i < len) {
        uint8_t v = *p >> 4;
        zero |= v == 0;
        yb[i] = val[v];
    }
    return zero;
}

ss_status comp_linq_encode(comp_kind kind, uint32_t block, const float *x, size_t n,
                           uint8_t *p, char *err, size_t errlen)
{
    size_t nb = n / block + (n % block != 0);
    uint8_t *absp = p, *codes = p + 4 * nb;
    uint8_t nib[1024];
    for (size_t b = 0; b < nb; b++) {
        size_t off = b * block, len = n - off < block ? n - off : block;
        float amax;
        size_t bad = comp_absmax(x + off, len, &amax);
        if (bad)
            return ss_err(err, errlen, SS_ENUMERIC, "element %zu is not finite", off + bad - 1);
        memcpy(absp + 4 * b, &amax, 4);
        if (kind == COMP_KIND_INT8) {
            comp_int8_encode_block(x + off, len, amax, (int8_t *)(codes + off));
            continue;
        }
        /* 4-bit: encode in chunks, then pack (blocks may start mid-byte). */
        for (size_t c = 0; c < len; c += sizeof nib) {
            size_t m = len - c < sizeof nib ? len - c : sizeof nib;
            if (kind == COMP_KIND_INT4)
                comp_int4_encode_block(x + off + c, m, amax, nib);
            else
                comp_nf4_encode_block(x + off + c, m, amax, nib);
            pack_nibbles(nib, m, codes, off + c);
        }
    }
    return SS_OK;
}

ss_status comp_linq_decode(comp_kind kind, uint32_t block, const uint8_t *p, size_t n,
                           float *y, char *err, size_t errlen)
{
    size_t nb = n / block + (n % block != 0);
    const uint8_t *absp = p, *codes = p + 4 * nb;
    if (kind != COMP_KIND_INT8 && (n & 1) && (codes[n >> 1] & 0x0f) != 0)
        return ss_err(err, errlen, SS_EPARSE, "padding nibble is not zero");
    for (size_t b = 0; b < nb; b++) {
        float amax;
        memcpy(&amax, absp + 4 * b, 4);
        if (!(amax >= 0.0f && amax <= FLT_MAX))
            return ss_err(err, errlen, SS_EPARSE, "block %zu: absmax is negative or not finite",
                          b);
        size_t off = b * block, len = n - off < block ? n - off : block;
        float *yb = y + off;
        /* y = q * (A / Q) with one rounding of A / Q; when A / Q is
         * subnormal that rounding is coarse (up to 50% of a step), so tiny
         * blocks use (q * A) / Q, rounded once on the final value. */
        if (kind == COMP_KIND_INT8) {
            float d = amax / 127.0f;
            const int8_t *q = (const int8_t *)(codes + off);
            if (d >= FLT_MIN || d == 0.0f) {
                size_t i = 0;
#ifdef __SSE2__
                /* sign-extend 16 bytes to 4 x int32, convert exactly, same
                 * single multiply as the scalar loop */
                const __m128 vd = _mm_set1_ps(d);
                for (; i + 16 <= len; i += 16) {
                    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(q + i));
                    __m128i lo = _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);
                    __m128i hi = _mm_srai_epi16(_mm_unpackhi_epi8(v, v), 8);
                    __m128i w[4] = {_mm_srai_epi32(_mm_unpacklo_epi16(lo, lo), 16),
                                    _mm_srai_epi32(_mm_unpackhi_epi16(lo, lo), 16),
                                    _mm_srai_epi32(_mm_unpacklo_epi16(hi, hi), 16),
                                    _mm_srai_epi32(_mm_unpackhi_epi16(hi, hi), 16)};
                    for (int k = 0; k < 4; k++)
                        _mm_storeu_ps(yb + i + 4 * k, _mm_mul_ps(_mm_cvtepi32_ps(w[k]), vd));
                }
#endif
                for (; i < len; i++)
                    yb[i] = (float)q[i] * d;
            } else
                for (size_t i = 0; i < len; i++)
                    yb[i] = ((float)q[i] * amax) / 127.0f;
        } else if (kind == COMP_KIND_INT4) {
            float d = amax / 7.0f, val[16];
            int tiny = !(d >= FLT_MIN || d == 0.0f);
            for (int v = 0; v < 16; v++)
                val[v] = tiny ? ((float)(v - 8) * amax) / 7.0f : (float)(v - 8) * d;
            if (unpack_nibbles(codes, off, len, val, yb)) /* the encoder never writes -8 */
                return ss_err(err, errlen, SS_EPARSE, "block %zu: int4 code 0 (-8) is invalid",
                              b);
        } else {
            float val[16];
            for (int v = 0; v < 16; v++)
                val[v] = comp_nf4_levels[v] * amax;
            unpack_nibbles(codes, off, len, val, yb);
        }
    }
    return SS_OK;
}
