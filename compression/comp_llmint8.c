/* comp_llmint8.c - LLM.int8() mixed-precision decomposition (Dettmers et al.
 * 2022): the codec for a (rows, cols) matrix whose columns are input
 * features, and the mixed matmul Y = X . W^T.
 *
 * Outlier columns are those with any |x| >= threshold (6.0 in the paper).
 * They travel as fp16; every other value is int8 with one absmax scale per
 * row taken over that row's non-outlier columns ("vector-wise"
 * quantization), so an outlier feature never inflates the scale of the
 * regular ones. Quantization uses the int8 kernel of comp_linq.c (shared
 * scaling rule, round-half-even, clamp to +-127).
 *
 * The matmul keeps the int8 part exact: int32 accumulation of int8 products
 * (deterministic, no BLAS), scaled by sx[i] * sw[j] / 127^2; the outlier part
 * is an fp32 sgemm of the fp16-rounded columns added on top.
 */
#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <string.h>

#include "comp.h"
#include "comp_int.h"
#include "ss_alloc.h"

size_t comp_llm_int8_outliers(const float *x, size_t rows, size_t cols, float threshold,
                              uint8_t *flags)
{
    memset(flags, 0, cols);
    for (size_t i = 0; i < rows; i++) {
        const float *r = x + i * cols;
        for (size_t j = 0; j < cols; j++)
            flags[j] |= fabsf(r[j]) >= threshold;
    }
    size_t k = 0;
    for (size_t j = 0; j < cols; j++)
        k += flags[j];
    return k;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4); /* little-endian host (comp_int.h) */
}

static uint32_t get_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* Row i's non-outlier values gathered into tmp, quantized into q. */
static void quant_row(const float *r, size_t cols, const uint8_t *flags, float *tmp,
                      float *absmax, int8_t *q)
{
    size_t m = 0;
    for (size_t j = 0; j < cols; j++)
        if (!flags[j])
            tmp[m++] = r[j];
    float a;
    comp_absmax(tmp, m, &a); /* finite: the caller checked the whole tensor */
    *absmax = a;
    comp_int8_encode_block(tmp, m, a, q);
}

ss_status comp_llm_int8_encode(float threshold, const float *x, size_t rows, size_t cols,
                               uint8_t *p, size_t cap, size_t *written, char *err,
                               size_t errlen)
{
    ss_status st = SS_OK;
    float amax;
    size_t n = rows * cols;
    size_t bad = comp_absmax(x, n, &amax);
    if (bad)
        return ss_err(err, errlen, SS_ENUMERIC, "element %zu is not finite", bad - 1);
    uint8_t *flags = ss_calloc(cols ? cols : 1, 1);
    float *tmp = ss_malloc_array(cols ? cols : 1, sizeof(float));
    if (!flags || !tmp) {
        st = ss_err(err, errlen, SS_ENOMEM, "out of memory");
        goto fail;
    }
    size_t k = comp_llm_int8_outliers(x, rows, cols, threshold, flags);
    uint64_t need;
    comp_llm_int8_wire_bytes(rows, cols, k, &need); /* shape checked by caller */
    need -= COMP_HDR_BYTES;
    if (need > cap) {
        st = ss_err(err, errlen, SS_EFULL, "llm-int8 needs %llu payload bytes, buffer has %zu",
                    (unsigned long long)need, cap);
        goto fail;
    }
    uint8_t *cidx = p + 8, *outl = cidx + 4 * k, *scales = outl + 2 * rows * k;
    int8_t *q = (int8_t *)(scales + 4 * rows);
    put_u32(p, (uint32_t)k);
    put_u32(p + 4, 0);
    size_t t = 0;
    for (size_t j = 0; j < cols; j++)
        if (flags[j])
            put_u32(cidx + 4 * t++, (uint32_t)j);
    for (size_t i = 0; i < rows; i++) {
        const float *r = x + i * cols;
        t = 0;
        for (size_t j = 0; j < cols; j++)
            if (flags[j]) {
                uint16_t h = comp_f32_to_f16(r[j]);
                memcpy(outl + 2 * (i * k + t++), &h, 2);
            }
        float a;
        quant_row(r, cols, flags, tmp, &a, q + i * (cols - k));
        memcpy(scales + 4 * i, &a, 4);
    }
    *written = (size_t)need;
fail:
    ss_free(flags);
    ss_free(tmp);
    return st;
}

ss_status comp_llm_int8_decode(const uint8_t *p, size_t len, size_t rows, size_t cols,
                               float *y, char *err, size_t errlen)
{
    if (len < 8)
        return ss_err(err, errlen, SS_EPARSE, "llm-int8: truncated prefix");
    uint32_t k = get_u32(p);
    if (k > cols || get_u32(p + 4) != 0)
        return ss_err(err, errlen, SS_EPARSE, "llm-int8: bad outlier count %u for %zu columns",
                      k, cols);
    uint64_t need;
    if (comp_llm_int8_wire_bytes(rows, cols, k, &need) != SS_OK)
        return ss_err(err, errlen, SS_EPARSE, "llm-int8: size overflows");
    need -= COMP_HDR_BYTES;
    if (len != need)
        return ss_err(err, errlen, SS_EPARSE, "llm-int8: payload has %zu bytes, expected %llu",
                      len, (unsigned long long)need);
    const uint8_t *cidx = p + 8, *outl = cidx + 4 * (size_t)k, *scales = outl + 2 * rows * k;
    const int8_t *q = (const int8_t *)(scales + 4 * rows);
    for (uint32_t t = 0; t < k; t++) {
        uint32_t c = get_u32(cidx + 4 * t);
        if (c >= cols || (t > 0 && c <= get_u32(cidx + 4 * (t - 1))))
            return ss_err(err, errlen, SS_EPARSE,
                          "llm-int8: outlier column list not strictly ascending below %zu", cols);
    }
    for (size_t i = 0; i < rows; i++) {
        float a;
        memcpy(&a, scales + 4 * i, 4);
        if (!(a >= 0.0f && a <= FLT_MAX))
            return ss_err(err, errlen, SS_EPARSE, "llm-int8: row %zu scale invalid", i);
        float d = a / 127.0f;
        float *yr = y + i * cols;
        const int8_t *qr = q + i * (cols - k);
        size_t t = 0, m = 0;
        uint32_t next = k ? get_u32(cidx) : UINT32_MAX;
        for (size_t j = 0; j < cols; j++) {
            if (j == next) {
                uint16_t h;
                memcpy(&h, outl + 2 * (i * k + t), 2);
                yr[j] = comp_f16_to_f32(h);
                t++;
                next = t < k ? get_u32(cidx + 4 * t) : UINT32_MAX;
            } else {
                yr[j] = (float)qr[m++] * d;
            }
        }
    }
    return SS_OK;
}

ss_status comp_llm_int8_matmul(const float *x, size_t m, size_t k, const float *w, size_t n,
                               float threshold, float *y, char *err, size_t errlen)
{
    if (!(threshold > 0.0f && threshold <= FLT_MAX))
        return ss_err(err, errlen, SS_EINVAL, "llm-int8: threshold must be finite and > 0");
    if ((!x && m && k) || (!w && n && k) || (!y && m && n))
        return ss_err(err, errlen, SS_EINVAL, "llm-int8 matmul: NULL matrix");
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX)
        return ss_err(err, errlen, SS_ERANGE, "llm-int8 matmul: dimension above INT_MAX");
    /* Exact int32 accumulation needs k * 127^2 <= INT32_MAX. */
    if (k > (size_t)INT32_MAX / (127 * 127))
        return ss_err(err, errlen, SS_ERANGE, "llm-int8 matmul: k = %zu too large for int32", k);
    float amax;
    size_t bad = comp_absmax(x, m * k, &amax);
    if (bad)
        return ss_err(err, errlen, SS_ENUMERIC, "X element %zu is not finite", bad - 1);
    bad = comp_absmax(w, n * k, &amax);
    if (bad)
        return ss_err(err, errlen, SS_ENUMERIC, "W element %zu is not finite", bad - 1);

    ss_status st = SS_OK;
    size_t kk = k ? k : 1;
    uint8_t *flags = ss_calloc(kk, 1);
    float *tmp = ss_malloc_array(kk, sizeof(float));
    int8_t *qx = ss_malloc_array(m ? m * kk : 1, 1);          /* (m, k - ko) */
    int8_t *qw = ss_malloc_array(n ? n * kk : 1, 1);          /* (n, k - ko) */
    float *sx = ss_malloc_array(m ? m : 1, sizeof(float));    /* (m) */
    float *sw = ss_malloc_array(n ? n : 1, sizeof(float));    /* (n) */
    float *xo = NULL, *wo = NULL;
    if (!flags || !tmp || !qx || !qw || !sx || !sw) {
        st = ss_err(err, errlen, SS_ENOMEM, "out of memory");
        goto fail;
    }
    size_t ko = comp_llm_int8_outliers(x, m, k, threshold, flags), ki = k - ko;
    for (size_t i = 0; i < m; i++)
        quant_row(x + i * k, k, flags, tmp, &sx[i], qx + i * ki);
    for (size_t j = 0; j < n; j++)
        quant_row(w + j * k, k, flags, tmp, &sw[j], qw + j * ki);
    for (size_t i = 0; i < m; i++) {
        const int8_t *a = qx + i * ki;
        float dx = sx[i] / 127.0f;
        for (size_t j = 0; j < n; j++) {
            const int8_t *b = qw + j * ki;
            int32_t acc = 0;
            for (size_t t = 0; t < ki; t++)
                acc += (int32_t)a[t] * (int32_t)b[t];
            y[i * n + j] = (float)acc * dx * (sw[j] / 127.0f);
        }
    }
    if (ko > 0 && m > 0 && n > 0) {
        xo = ss_malloc_array(m * ko, sizeof(float)); /* (m, ko) */
        wo = ss_malloc_array(n * ko, sizeof(float)); /* (n, ko) */
        if (!xo || !wo) {
            st = ss_err(err, errlen, SS_ENOMEM, "out of memory");
            goto fail;
        }
        for (size_t i = 0, t; i < m; i++) {
            t = 0;
            for (size_t c = 0; c < k; c++)
                if (flags[c])
                    xo[i * ko + t++] = comp_f16_to_f32(comp_f32_to_f16(x[i * k + c]));
        }
        for (size_t j = 0, t; j < n; j++) {
            t = 0;
            for (size_t c = 0; c < k; c++)
                if (flags[c])
                    wo[j * ko + t++] = comp_f16_to_f32(comp_f32_to_f16(w[j * k + c]));
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)ko, 1.0f, xo,
                    (int)ko, wo, (int)ko, 1.0f, y, (int)n);
    }
fail:
    ss_free(flags);
    ss_free(tmp);
    ss_free(qx);
    ss_free(qw);
    ss_free(sx);
    ss_free(sw);
    ss_free(xo);
    ss_free(wo);
    return st;
}
