/* comp.h - tensor codecs: one interface, exact wire sizes, pure functions.
 *
 * A codec turns a row-major float32 tensor (rows, cols) into bytes and back.
 * Every codec is a pure function of its input: no global state that changes
 * results, no allocation visible to the caller, deterministic output bytes for
 * given input bytes (the low-rank codecs additionally depend on the OpenBLAS
 * kernel and thread count, see below). Element-wise codecs treat the tensor as
 * a flat array of n = rows * cols values.
 *
 * Codecs, by spec string (comp_codec_parse):
 *   fp32                 raw float32 (baseline)
 *   fp16, bf16           IEEE binary16 / bfloat16, round-to-nearest-even
 *   blockwise8[:B]       Dettmers' dynamic-tree 8-bit, absmax per block of B
 *                        values (default 4096, hivemind's wire block)
 *   int8[:B], int4[:B]   linear symmetric absmax, block B (default 64)
 *   nf4[:B]              QLoRA NormalFloat4, block B (default 64)
 *   llm-int8[:T]         LLM.int8() mixed decomposition, threshold T (default 6)
 *   lowrank:R            truncated SVD at rank R (required)
 *   lowrank-sparse:R[:F] rank R plus the ceil(F * n) largest residuals
 *                        (default F = 0.01)
 *
 * Wire format: every encoded buffer starts with the same 16-byte header
 * (comp_wire_hdr in comp_int.h, all fields little-endian):
 *     u8 magic[2] = "SQ", u8 version = 1, u8 kind,
 *     u32 param (block size, rank, or the threshold's float bits),
 *     u32 rows, u32 cols
 * followed by a kind-specific payload (documented per kind in
 * comp_int.h). Floats in the payload are little-endian IEEE binary32.
 * Because of the u32 fields, rows and cols are each at most 2^32 - 1.
 *
 * Exact sizes (n = rows * cols, nb = ceil(n / B), r = min(R, rows, cols)):
 *   fp32            16 + 4n
 *   fp16, bf16      16 + 2n
 *   blockwise8      16 + 4nb + 1024 + n      (hivemind's 16 + 4*ceil(n/4096)
 *                                             + 1024 + n at B = 4096)
 *   int8            16 + 4nb + n
 *   int4, nf4       16 + 4nb + ceil(n / 2)
 *   llm-int8        16 + 8 + 4k + 2*rows*k + 4*rows + rows*(cols - k),
 *                   k = number of outlier columns (data dependent)
 *   lowrank         16 + 4r(rows + cols)
 *   lowrank-sparse  16 + 4r(rows + cols) + 8s, s = min(n, ceil(F * n))
 *
 * Non-finite policy: encode rejects any NaN or +-Inf in its input with
 * SS_ENUMERIC and a message naming the first offending element, for every
 * codec (fp32 included), so garbage never enters a run silently. A caller who
 * wants to simulate corrupted activations corrupts the decoded tensor. Finite
 * values that overflow the target format follow IEEE round-to-nearest: fp16
 * turns |x| >= 65520 into +-Inf, bf16 turns |x| >= 0x1.ffp127 into +-Inf
 * (that is what hardware conversions and torch's .half() do), and so do
 * llm-int8's fp16 outlier columns; the decoded Inf is then rejected by the
 * next encode. Subnormal inputs are encoded like any
 * other value (no flush to zero).
 *
 * Decode validates the header (magic, version, kind, param, rows, cols
 * against the codec and shape the caller expects), the exact length, and
 * every scale / codebook / index field it reads (finite, in range); it never
 * reads outside [buf, buf + len) and returns SS_EPARSE on a bad buffer. The
 * format carries no checksum: flipped bits inside quantized codes decode to
 * other valid values, as they would on a real wire.
 *
 * Low-rank codecs call LAPACKE_sgesdd and cblas_sgemm: their bits depend on
 * the OpenBLAS kernel and thread count (PITFALLS.md), so compare their
 * accuracy across machines with tolerances.
 */
#ifndef COMP_H
#define COMP_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

typedef enum comp_kind {
    COMP_KIND_FP32,
    COMP_KIND_FP16,
    COMP_KIND_BF16,
    COMP_KIND_BLOCKWISE8,
    COMP_KIND_INT8,
    COMP_KIND_INT4,
    COMP_KIND_NF4,
    COMP_KIND_LLM_INT8,
    COMP_KIND_LOWRANK,
    COMP_KIND_LOWRANK_SPARSE,
    COMP_KIND_COUNT_
} comp_kind;

/* A codec: a small value type, filled by comp_codec_parse or by hand with a
 * designated initializer (then check it with comp_codec_check). Fields a
 * kind does not use are ignored; comp_codec_parse leaves them zero. */
typedef struct comp_codec {
    comp_kind kind;
    uint32_t block;    /* values per scale block: blockwise8, int8, int4, nf4 */
    uint32_t rank;     /* lowrank, lowrank-sparse */
    float threshold;   /* llm-int8: |x| >= threshold marks an outlier column */
    float sparse_frac; /* lowrank-sparse: fraction of entries kept, (0, 1] */
} comp_codec;

#define COMP_BLOCKWISE8_DEFAULT_BLOCK 4096u
#define COMP_LINEAR_DEFAULT_BLOCK 64u /* int8, int4 */
#define COMP_NF4_DEFAULT_BLOCK 64u    /* QLoRA's block size */
#define COMP_LLM_INT8_DEFAULT_THRESHOLD 6.0f
#define COMP_LOWRANK_SPARSE_DEFAULT_FRAC 0.01f
#define COMP_MAX_BLOCK (1u << 24)
#define COMP_MAX_RANK 65536u
#define COMP_HDR_BYTES 16u

/* Parse "name[:param[:param]]" (see the list above). Unknown names give
 * SS_ENOTFOUND with `unknown codec "fp8" (known: fp32, fp16, ...)`; bad or
 * out-of-range parameters give SS_EINVAL naming the parameter. */
ss_status comp_codec_parse(const char *spec, comp_codec *out, char *err, size_t errlen);

/* Validate a hand-filled codec (ranges as comp_codec_parse enforces). */
ss_status comp_codec_check(const comp_codec *c, char *err, size_t errlen);

/* Canonical spec string of a codec ("blockwise8:4096", "llm-int8:6",
 * "lowrank-sparse:8:0.01"): every parameter spelled out, floats in the
 * shortest form that parses back to the same float, so parsing it gives the
 * same codec. SS_EFULL if buf is too small, SS_EINVAL for an invalid codec. */
ss_status comp_codec_format(const comp_codec *c, char *buf, size_t buflen);

/* Name of a kind ("nf4"); "?" for an invalid kind. */
const char *comp_kind_name(comp_kind k);

/* 1 when the encoded size depends on the tensor's values (llm-int8 only). */
int comp_codec_is_data_dependent(const comp_codec *c);

/* Exact encoded size of a (rows, cols) tensor. For a data-dependent codec
 * (llm-int8) this returns SS_EUNSUPPORTED: use comp_wire_bytes_data, or
 * comp_llm_int8_wire_bytes with an assumed outlier count (analytic mode).
 * SS_ERANGE when rows or cols exceed 2^32 - 1 or sizes overflow. */
ss_status comp_wire_bytes(const comp_codec *c, size_t rows, size_t cols, uint64_t *out);

/* Upper bound of the encoded size, valid for every codec: the capacity to
 * give comp_encode. Equal to comp_wire_bytes for fixed-size codecs;
 * llm-int8 counts every column as an outlier. */
ss_status comp_wire_bytes_max(const comp_codec *c, size_t rows, size_t cols, uint64_t *out);

/* Exact encoded size of this particular tensor x (rows, cols): what
 * comp_encode will write. Non-finite x gives SS_ENUMERIC. */
ss_status comp_wire_bytes_data(const comp_codec *c, const float *x, size_t rows,
                               size_t cols, uint64_t *out, char *err, size_t errlen);

/* llm-int8 size with k outlier columns (k <= cols). */
ss_status comp_llm_int8_wire_bytes(size_t rows, size_t cols, size_t k, uint64_t *out);

/* Encode x (rows, cols) into buf[0, cap). On success *written is the exact
 * size. SS_EFULL when cap is too small (nothing useful is in buf then),
 * SS_ENUMERIC for non-finite input or an SVD failure, SS_ENOMEM. x and buf
 * must not overlap. */
ss_status comp_encode(const comp_codec *c, const float *x, size_t rows, size_t cols,
                      uint8_t *buf, size_t cap, size_t *written, char *err, size_t errlen);

/* Decode buf[0, len) into y (rows, cols). SS_EPARSE on a truncated, oversized
 * or corrupted buffer, or one made by another codec/shape; y is then
 * unspecified. */
ss_status comp_decode(const comp_codec *c, const uint8_t *buf, size_t len, size_t rows,
                      size_t cols, float *y, char *err, size_t errlen);

/* ---- scalar format conversions (round-to-nearest-even) ----
 * fp16: NaN stays NaN (quiet bit set, sign and top 9 payload bits kept),
 * +-Inf stays +-Inf, |x| >= 65520 rounds to +-Inf, values below the smallest
 * subnormal (2^-24) round to nearest even (so 2^-25 gives +-0).
 * bf16: NaN stays a quiet NaN with its sign; finite values round to nearest
 * even on the upper 16 bits (overflowing to +-Inf above 0x1.fefffep127). */
uint16_t comp_f32_to_f16(float x);
float comp_f16_to_f32(uint16_t h);
uint16_t comp_f32_to_bf16(float x);
float comp_bf16_to_f32(uint16_t h);

/* The 256-entry signed dynamic-tree codebook of bitsandbytes'
 * create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8),
 * ascending: code[0] = -0.99296875, code[127] = 0, code[255] = 1. The pointer
 * stays valid for the life of the process. */
const float *comp_dynamic_codebook(void);

/* QLoRA's 16 NF4 levels, ascending, nf4[0] = -1, nf4[7] = 0, nf4[15] = 1. */
extern const float comp_nf4_levels[16];

/* ---- LLM.int8() matrix multiplication ----
 * Y (m, n) = X (m, k) . W^T, W stored (n, k) like a linear layer's weight.
 * Input-feature columns j of X with any |X[i][j]| >= threshold are outlier
 * columns: X[:, j] and W[:, j] are rounded to fp16 and multiplied in fp32
 * (cblas_sgemm). All other columns: X quantized int8 per row (absmax over
 * its non-outlier columns), W int8 per row (per output feature), products
 * accumulated exactly in int32, then scaled by sx[i] * sw[j] / 127^2.
 * Non-finite X or W gives SS_ENUMERIC. Temporaries use ss_malloc. */
ss_status comp_llm_int8_matmul(const float *x, size_t m, size_t k, const float *w, size_t n,
                               float threshold, float *y, char *err, size_t errlen);

#endif
