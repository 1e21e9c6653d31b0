/* model_calibrate.h - this host's BLAS: which OpenBLAS kernel to trust, and
 * how fast it runs (the device profile of the cost model, model_cost.h).
 *
 * Three pieces:
 *   - the OpenBLAS core-type chooser: a pure function from (the kernel
 *     OpenBLAS picked, the CPU's features) to the OPENBLAS_CORETYPE to force,
 *     or none. OpenBLAS reads that variable when the library initialises
 *     (before main), so the CLI re-executes itself to apply it (cli/shardsim.c);
 *   - the naive-reference check: sgemm/sgemv results against a plain triple
 *     loop accumulated in double, before a kernel is trusted;
 *   - the calibration: sgemm and sgemv throughput over a range of shapes,
 *     memory bandwidth (STREAM triad, memcpy) and per-call overhead, reduced
 *     to a model_device.
 * models/ reads no clock (STYLE.md): the caller passes a monotonic clock.
 * The calibration uses whatever BLAS thread count the caller set.
 */
#ifndef MODEL_CALIBRATE_H
#define MODEL_CALIBRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model_cost.h"
#include "ss_status.h"

/* x86 features that decide which OpenBLAS kernels can run. */
typedef struct model_cpu_features {
    bool sse3, ssse3, sse4_2, avx, avx2, fma;
    bool avx512f, avx512cd, avx512bw, avx512dq, avx512vl;
} model_cpu_features;

/* The features of the CPU this runs on (libgcc's __builtin_cpu_supports,
 * which also checks that the OS saves the AVX / AVX-512 registers). All
 * false on other architectures. */
void model_cpu_features_detect(model_cpu_features *out);

/* The OpenBLAS core type to force, or NULL to keep `corename` (what
 * openblas_get_corename() reports). Overrides only a generic or too-old
 * kernel (Prescott, Core2, Nehalem, Katmai, ..., Sandybridge, "Unknown")
 * and only with a kernel the CPU can run: "SkylakeX" needs AVX-512
 * F/CD/BW/DQ/VL, "Haswell" AVX2 + FMA, "Sandybridge" AVX. A proper kernel
 * (Haswell, Zen, SkylakeX, ...) or a name not in the table is kept. Pure:
 * the same inputs always give the same answer. The returned string is static. */
const char *model_blas_choose_core(const char *corename, const model_cpu_features *f);

/* C (m, n) = alpha * A (m, k) * B^T + beta * C, row-major, A (m, k) with
 * leading dimension k, B (n, k) with leading dimension k: the product of
 * model_llama's matmul. */
typedef void (*model_gemm_fn)(int m, int n, int k, float alpha, const float *a, const float *b,
                              float beta, float *c);

/* The cblas_sgemm (n > 1 rows) or cblas_sgemv (m == 1) behind model_gemm_fn. */
void model_blas_gemm(int m, int n, int k, float alpha, const float *a, const float *b, float beta,
                     float *c);

/* Runs `gemm` on a fixed set of shapes (odd sizes, a single row, beta 0 and
 * 0.5) with inputs from a seeded SplitMix64 stream, and compares every
 * element with a triple loop accumulated in double:
 *   |c - ref| <= tol * (sum_k |alpha a_ik b_jk| + |beta c0_ij|).
 * *max_err gets the largest ratio |c - ref| / that sum over all elements
 * (NaN counts as infinite). SS_OK if max_err <= tol, SS_ERANGE if not,
 * SS_ENOMEM. tol 1e-4 is ~1000 float ulps: far above rounding, far below
 * any wrong kernel. */
ss_status model_blas_verify(model_gemm_fn gemm, double tol, double *max_err);

#define MODEL_CALIB_MAX_SHAPES 16

/* One measured shape: m rows (tokens; 1 = sgemv) times an (n, k) weight. */
typedef struct model_calib_shape {
    int m, n, k;
    double seconds; /* best time of one call (sgemm) or one pass over the buffer (sgemv) */
    double rate;    /* sgemm: FLOP/s (2mnk / s); sgemv: weight bytes/s (4nk / s) */
} model_calib_shape;

typedef double (*model_clock_fn)(void); /* monotonic seconds, from the caller */

typedef struct model_calib_cfg {
    model_clock_fn now; /* required */
    bool quick;         /* small buffers, fewer shapes and repetitions (tests) */
    int reps;           /* repetitions per measurement, best counts; 0: 5 (quick: 2) */
    /* shape of the reference Llama layer whose forward pass sets the
     * efficiencies; 0: dim 2048 (quick 512), hidden 5632 (quick 1408),
     * heads dim/128. Calibrate with the width of the model you will
     * simulate: small matrices stream and multiply less efficiently.
     * dim <= 8192, hidden <= 32768, otherwise SS_EINVAL. */
    int ref_dim, ref_hidden, ref_heads;
} model_calib_cfg;

typedef struct model_calibration {
    int n_gemm, n_gemm_square; /* gemm[0, n_gemm_square) are square (peak only) */
    model_calib_shape gemm[MODEL_CALIB_MAX_SHAPES];
    int n_gemv;
    model_calib_shape gemv[MODEL_CALIB_MAX_SHAPES];
    double gemm_peak_flops;      /* FLOP/s: best sgemm over all shapes */
    double gemm_typical_flops;   /* FLOP/s: median over the transformer shapes */
    double gemv_bytes_per_s;     /* median sgemv weight bytes/s, weights out of cache */
    double gemv_best_bytes_per_s; /* fastest sgemv shape */
    double triad_bytes_per_s;    /* STREAM triad a = b + s*c: 12 bytes per element */
    double memcpy_bytes_per_s;   /* bytes copied per second (each read once, written once) */
    double call_overhead_s;      /* one tiny cblas_sgemv call */
    /* a real span forward of one reference Llama layer (model_calibrate.c),
     * rates in the cost model's own FLOP and byte counts, over the time left
     * once the modelled attention (fwd_attn_s_per_head_pos) is taken out: */
    /* prefills of 128 and of fwd_prefill_tokens tokens together: compute-leg FLOP/s */
    double fwd_prefill_flops_per_s;
    double fwd_decode_bytes_per_s;  /* one decode step after it */
    /* attention probe: s per (query head x attended position), from one
     * layer's attn_probe_rows-token chunk at position attn_probe_ctx minus
     * the same chunk at 0, over heads * rows * ctx; 0 if not measured */
    double fwd_attn_s_per_head_pos;
    int fwd_prefill_tokens, fwd_dim, fwd_layers, fwd_heads;
    int attn_probe_rows, attn_probe_ctx;
    size_t buffer_bytes;         /* streamed buffer size (sgemv, memcpy) */
    model_device device;         /* the reduction, see model_calib_device */
} model_calibration;

/* Measures everything; ~10 s (quick: ~1 s). Timing uses cfg->now only. */
ss_status model_calib_run(const model_calib_cfg *cfg, model_calibration *out);

/* Folds `next` into `best` figure by figure, keeping the faster of each
 * (per-shape rates, bandwidths, lowest overhead, lowest non-zero attention
 * cost), then recomputes the
 * summary figures and best->device: on a
 * shared host the quietest repetition is the truest. Shapes must match. */
void model_calib_merge(model_calibration *best, const model_calibration *next);

/* The device profile from measured figures:
 *   peak_flops          = gemm_peak_flops (best sgemm)
 *   compute_eff         = fwd_prefill_flops_per_s / peak_flops
 *   mem_bw_bytes_per_s  = max(triad, best sgemv)
 *   bw_eff              = fwd_decode_bytes_per_s / mem_bw
 *   overhead_s          = call_overhead_s
 *   attn_s_per_head_pos = fwd_attn_s_per_head_pos (negative read as 0)
 * (efficiencies clamped to 1), so peak * compute_eff, mem_bw * bw_eff and
 * the attention term reproduce a real transformer forward pass on this host,
 * and the raw BLAS figures show how far that is from the bare kernels. The
 * attention cost holds for the reference layer's head size (calibrate with
 * the model's: cfg.ref_heads). */
model_device model_calib_device(const model_calibration *c);

#endif
