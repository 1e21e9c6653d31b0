/* comp_int.h - shared only inside compression/ and by its tests: the wire
 * header, payload layouts, fast block kernels and their plain _ref twins.
 *
 * Payload layouts after the 16-byte header (all little-endian):
 *   fp32        f32 x[n]
 *   fp16/bf16   u16 x[n]
 *   blockwise8  f32 absmax[nb] | f32 codebook[256] | u8 code[n]
 *   int8        f32 absmax[nb] | i8 q[n]            y = q * (absmax / 127)
 *               (q * absmax) / 127 when absmax / 127 is subnormal
 *   int4        f32 absmax[nb] | u8 packed[ceil(n/2)]  nibble = q + 8, q in
 *               [-7, 7] (nibble 0 never written), y = q * (absmax / 7)
 *   nf4         f32 absmax[nb] | u8 packed[ceil(n/2)]  y = nf4[nibble] * absmax
 *   (4-bit packing: element 2i in the HIGH nibble of byte i, element 2i+1 in
 *    the low nibble, bitsandbytes' order; an odd n leaves the last low
 *    nibble 0.)
 *   llm-int8    u32 k | u32 zero | u32 col[k] (strictly ascending)
 *               | u16 fp16 outlier[rows][k] | f32 row_absmax[rows]
 *               | i8 q[rows][cols - k]   (non-outlier columns, ascending)
 *   lowrank     f32 US[rows][r] | f32 VT[r][cols]  (U * diag(S), V^T)
 *   lowrank-sparse  lowrank payload | u32 idx[s] (strictly ascending, < n)
 *               | f32 residual[s]
 *
 * Scaling rule shared by the fast kernels and their twins (it is part of the
 * format, so both must apply it identically): a value x of a block with
 * absmax A is mapped to v = x * (Q / A) when Q / A is finite, else to
 * (x / A) * Q, with Q = 1 (dynamic, nf4), 127 (int8) or 7 (int4). An all-zero
 * block has A = 0 and encodes every value as the zero code.
 */
#ifndef COMP_INT_H
#define COMP_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "comp.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "compression/ writes payload floats with memcpy: little-endian hosts only"
#endif

#define COMP_WIRE_VERSION 1u

/* The 16-byte header, as it sits in memory on a little-endian host. The
 * codec code reads and writes it byte-wise (comp_hdr_put / comp_hdr_get), the
 * struct only pins the layout. */
typedef struct comp_wire_hdr {
    uint8_t magic[2]; /* 'S', 'Q' */
    uint8_t version;  /* COMP_WIRE_VERSION */
    uint8_t kind;     /* comp_kind */
    uint32_t param;   /* block, rank, or threshold bits (llm-int8) */
    uint32_t rows;
    uint32_t cols;
} comp_wire_hdr;
_Static_assert(sizeof(comp_wire_hdr) == COMP_HDR_BYTES, "wire header is 16 bytes");
_Static_assert(offsetof(comp_wire_hdr, param) == 4, "param at byte 4");
_Static_assert(offsetof(comp_wire_hdr, rows) == 8, "rows at byte 8");
_Static_assert(offsetof(comp_wire_hdr, cols) == 12, "cols at byte 12");
_Static_assert(sizeof(float) == 4 && sizeof(uint16_t) == 2, "binary32 floats");

/* The llm-int8 prefix after the header. */
typedef struct comp_llm_int8_prefix {
    uint32_t n_outlier_cols;
    uint32_t zero;
} comp_llm_int8_prefix;
_Static_assert(sizeof(comp_llm_int8_prefix) == 8, "llm-int8 prefix is 8 bytes");

/* blockwise8: 256 fp32 codebook entries on the wire. */
#define COMP_BW8_CODEBOOK_BYTES 1024u
_Static_assert(256 * sizeof(float) == COMP_BW8_CODEBOOK_BYTES, "codebook is 1024 bytes");
#define COMP_BW8_ZERO_CODE 127u

static inline uint32_t comp_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float comp_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* The scaling rule above, split in two so kernels hoist it out of loops:
 * *mul is Q / A when finite (then v = x * *mul), else 0 and v = (x / A) * Q. */
static inline float comp_scale_mul(float absmax, float q)
{
    float m = q / absmax;
    return isfinite(m) ? m : 0.0f;
}

static inline float comp_scale_apply(float x, float absmax, float mul, float q)
{
    return mul != 0.0f ? x * mul : (x / absmax) * q;
}

/* Absolute maximum of x[0, n) and whether all are finite. Returns 0 and sets
 * *absmax when finite, else returns 1 + index of the first non-finite value. */
size_t comp_absmax(const float *x, size_t n, float *absmax);

/* ---- blockwise8 (comp_bw8.c) ---- */
/* Codes of one block (n values, absmax already computed and finite). */
void comp_bw8_encode_block(const float *x, size_t n, float absmax, uint8_t *q);
void comp_bw8_encode_block_ref(const float *x, size_t n, float absmax, uint8_t *q);
/* Largest gap between adjacent codebook entries (its half bounds the error). */
float comp_bw8_max_gap(void);
/* Most extra midpoint comparisons any table bucket needs (the fast encoder
 * does exactly one, so this must be <= 1). */
int comp_bw8_lut_max_steps(void);

/* ---- linear int8 / int4 and nf4 (comp_linq.c) ---- */
void comp_int8_encode_block(const float *x, size_t n, float absmax, int8_t *q);
void comp_int8_encode_block_ref(const float *x, size_t n, float absmax, int8_t *q);
/* int4 and nf4 return nibble codes one per byte (0..15); packing is separate. */
void comp_int4_encode_block(const float *x, size_t n, float absmax, uint8_t *nib);
void comp_int4_encode_block_ref(const float *x, size_t n, float absmax, uint8_t *nib);
void comp_nf4_encode_block(const float *x, size_t n, float absmax, uint8_t *nib);
void comp_nf4_encode_block_ref(const float *x, size_t n, float absmax, uint8_t *nib);

/* ---- per-kind encode/decode bodies (payload only, header done by caller) ---- */
ss_status comp_bw8_encode(uint32_t block, const float *x, size_t n, uint8_t *p,
                          char *err, size_t errlen);
ss_status comp_bw8_decode(uint32_t block, const uint8_t *p, size_t n, float *y,
                          char *err, size_t errlen);
ss_status comp_linq_encode(comp_kind kind, uint32_t block, const float *x, size_t n,
                           uint8_t *p, char *err, size_t errlen);
ss_status comp_linq_decode(comp_kind kind, uint32_t block, const uint8_t *p, size_t n,
                           float *y, char *err, size_t errlen);
/* llm-int8: outlier columns of x (rows, cols); flags[j] = 1 for outliers. */
size_t comp_llm_int8_outliers(const float *x, size_t rows, size_t cols, float threshold,
                              uint8_t *flags);
ss_status comp_llm_int8_encode(float threshold, const float *x, size_t rows, size_t cols,
                               uint8_t *p, size_t cap, size_t *written, char *err,
                               size_t errlen);
ss_status comp_llm_int8_decode(const uint8_t *p, size_t len, size_t rows, size_t cols,
                               float *y, char *err, size_t errlen);
ss_status comp_lowrank_encode(const comp_codec *c, const float *x, size_t rows, size_t cols,
                              uint8_t *p, char *err, size_t errlen);
ss_status comp_lowrank_decode(const comp_codec *c, const uint8_t *p, size_t rows, size_t cols,
                              float *y, char *err, size_t errlen);
/* r = min(rank, rows, cols); s = sparse entries kept. */
size_t comp_lowrank_r(const comp_codec *c, size_t rows, size_t cols);
uint64_t comp_lowrank_sparse_s(const comp_codec *c, uint64_t n);

#endif
