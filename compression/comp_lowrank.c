/* comp_lowrank.c - truncated-SVD low-rank codec, optionally plus sparse
 * outliers of the residual.
 *
 * lowrank:R        X (rows, cols) ~ US . VT with US = U[:, :r] * diag(S[:r])
 *                  (rows, r) and VT = V^T[:r, :] (r, cols), both fp32,
 *                  r = min(R, rows, cols). By Eckart-Young this is the best
 *                  rank-r approximation in Frobenius norm.
 * lowrank-sparse:R:F  the same, plus the s = ceil(F * n) entries of the
 *                  residual X - US . VT with the largest magnitude (ties to
 *                  the lower flat index) as (u32 index, f32 value) pairs,
 *                  indices ascending. The residual is taken against the
 *                  reconstruction exactly as decode computes it (the same
 *                  sgemm on the same fp32 factors), so those s entries come
 *                  back to within one float rounding of X.
 *
 * The SVD is LAPACKE_sgesdd (divide and conquer) on a copy of X; the
 * reconstruction is cblas_sgemm. Both depend on the OpenBLAS kernel and
 * thread count, hence the tolerances in comp.h. LAPACKE allocates its own
 * workspace with malloc, outside ss_alloc's fault injection.
 */
#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "comp.h"
#include "comp_int.h"
#include "ss_alloc.h"

typedef struct mag_idx {
    float mag;
    uint32_t idx;
} mag_idx;

static int cmp_mag_desc(const void *a, const void *b)
{
    const mag_idx *x = a, *y = b;
    if (x->mag != y->mag)
        return x->mag > y->mag ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* y (rows, cols) = us (rows, r) . vt (r, cols); zero when r == 0. */
static void reconstruct(const float *us, const float *vt, size_t rows, size_t cols, size_t r,
                        float *y)
{
    if (r == 0) {
        memset(y, 0, rows * cols * sizeof(float));
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)cols, (int)r, 1.0f,
                us, (int)r, vt, (int)cols, 0.0f, y, (int)cols);
}

ss_status comp_lowrank_encode(const comp_codec *c, const float *x, size_t rows, size_t cols,
                              uint8_t *p, char *err, size_t errlen)
{
    size_t n = rows * cols, r = comp_lowrank_r(c, rows, cols);
    size_t kmin = rows < cols ? rows : cols;
    int sparse = c->kind == COMP_KIND_LOWRANK_SPARSE;
    if (rows > INT_MAX || cols > INT_MAX || (sparse && n > UINT32_MAX))
        return ss_err(err, errlen, SS_ERANGE, "%s: tensor (%zu, %zu) too large",
                      comp_kind_name(c->kind), rows, cols);
    float amax;
    size_t bad = comp_absmax(x, n, &amax);
    if (bad)
        return ss_err(err, errlen, SS_ENUMERIC, "element %zu is not finite", bad - 1);

    ss_status st = SS_OK;
    float *a = NULL, *u = NULL, *s = NULL, *vt = NULL, *us = NULL, *rec = NULL;
    mag_idx *mi = NULL;
    uint32_t *keep = NULL;
    size_t one = 1;
    if (r > 0) {
        a = ss_malloc_array(n, sizeof(float));            /* (rows, cols), destroyed */
        u = ss_malloc_array(rows * kmin, sizeof(float));  /* (rows, kmin) */
        s = ss_malloc_array(kmin, sizeof(float));         /* (kmin) */
        vt = ss_malloc_array(kmin * cols, sizeof(float)); /* (kmin, cols) */
        us = ss_malloc_array(rows * r, sizeof(float));    /* (rows, r) */
        if (!a || !u || !s || !vt || !us) {
            st = ss_err(err, errlen, SS_ENOMEM, "out of memory");
            goto fail;
        }
        memcpy(a, x, n * sizeof(float));
        lapack_int info = LAPACKE_sgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)rows,
                                         (lapack_int)cols, a, (lapack_int)cols, s, u,
                                         (lapack_int)kmin, vt, (lapack_int)cols);
        if (info != 0) {
            st = ss_err(err, errlen, info > 0 ? SS_ENUMERIC : SS_EINVAL,
                        "LAPACKE_sgesdd failed (info %d)", (int)info);
            goto fail;
        }
        for (size_t i = 0; i < rows; i++)
            for (size_t t = 0; t < r; t++)
                us[i * r + t] = u[i * kmin + t] * s[t];
        /* VT[:r, :] is the first r rows of vt: contiguous. */
        memcpy(p, us, rows * r * sizeof(float));
        memcpy(p + rows * r * sizeof(float), vt, r * cols * sizeof(float));
    }
    if (sparse) {
        size_t ns = (size_t)comp_lowrank_sparse_s(c, n);
        uint8_t *ip = p + r * (rows + cols) * sizeof(float), *vp = ip + 4 * ns;
        rec = ss_malloc_array(n ? n : one, sizeof(float)); /* (rows, cols) */
        mi = ss_malloc_array(n ? n : one, sizeof(mag_idx));
        keep = ss_malloc_array(ns ? ns : one, sizeof(uint32_t));
        if (!rec || !mi || !keep) {
            st = ss_err(err, errlen, SS_ENOMEM, "out of memory");
            goto fail;
        }
        if (n)
            reconstruct(us, vt, rows, cols, r, rec);
        for (size_t i = 0; i < n; i++) {
            rec[i] = x[i] - rec[i]; /* rec now holds the residual */
            mi[i] = (mag_idx){fabsf(rec[i]), (uint32_t)i};
        }
        qsort(mi, n, sizeof *mi, cmp_mag_desc);
        for (size_t t = 0; t < ns; t++)
            keep[t] = mi[t].idx;
        qsort(keep, ns, sizeof *keep, cmp_u32);
        for (size_t t = 0; t < ns; t++) {
            memcpy(ip + 4 * t, &keep[t], 4);
            memcpy(vp + 4 * t, &rec[keep[t]], 4);
        }
    }
fail:
    ss_free(a);
    ss_free(u);
    ss_free(s);
    ss_free(vt);
    ss_free(us);
    ss_free(rec);
    ss_free(mi);
    ss_free(keep);
    return st;
}

ss_status comp_lowrank_decode(const comp_codec *c, const uint8_t *p, size_t rows, size_t cols,
                              float *y, char *err, size_t errlen)
{
    size_t n = rows * cols, r = comp_lowrank_r(c, rows, cols);
    if (rows > INT_MAX || cols > INT_MAX)
        return ss_err(err, errlen, SS_ERANGE, "lowrank: tensor (%zu, %zu) too large", rows, cols);
    ss_status st = SS_OK;
    size_t nf = r * (rows + cols);
    float *f = ss_malloc_array(nf ? nf : 1, sizeof(float)); /* us (rows, r) | vt (r, cols) */
    if (!f)
        return ss_err(err, errlen, SS_ENOMEM, "out of memory");
    memcpy(f, p, nf * sizeof(float));
    for (size_t i = 0; i < nf; i++)
        if (!isfinite(f[i])) {
            st = ss_err(err, errlen, SS_EPARSE, "lowrank: factor entry %zu is not finite", i);
            goto fail;
        }
    if (n)
        reconstruct(f, f + rows * r, rows, cols, r, y);
    if (c->kind == COMP_KIND_LOWRANK_SPARSE) {
        size_t ns = (size_t)comp_lowrank_sparse_s(c, n);
        const uint8_t *ip = p + nf * sizeof(float), *vp = ip + 4 * ns;
        uint32_t prev = 0;
        for (size_t t = 0; t < ns; t++) {
            uint32_t idx;
            float v;
            memcpy(&idx, ip + 4 * t, 4);
            memcpy(&v, vp + 4 * t, 4);
            if (idx >= n || (t > 0 && idx <= prev) || !isfinite(v)) {
                st = ss_err(err, errlen, SS_EPARSE,
                            "lowrank-sparse: entry %zu (index %u) invalid", t, idx);
                goto fail;
            }
            y[idx] += v;
            prev = idx;
        }
    }
fail:
    ss_free(f);
    return st;
}
