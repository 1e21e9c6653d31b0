/* model_llama2c.h - loaders for llama2.c checkpoints (legacy v0; v1/v2 below).
 *
 * Layout: a 28-byte header of 7 little-endian int32 (dim, hidden_dim,
 * n_layers, n_heads, n_kv_heads, vocab_size, seq_len), then float32 tensors
 * in llama2.c order: token_embedding_table, rms_att_weight, wq, wk, wv, wo,
 * rms_ffn_weight, w1, w2, w3, rms_final_weight, the two legacy freq_cis
 * tables (seq_len * head_size / 2 floats each, skipped: RoPE is recomputed as
 * llama2.c does), then wcls only when the classifier is not shared. A
 * negative vocab_size in the file means "not shared"; here that is the
 * explicit config.shared_classifier.
 *
 * Validation happens before any weight is read: the header against the
 * limits of model_llama.h, every size in uint64 with overflow checks, and
 * the exact file size (no truncation, no trailing bytes, a multiple of 4).
 * The file is fstat'ed on the open descriptor (regular files only, so FIFOs
 * and devices are never read), read into memory, and scanned for NaN/Inf.
 *
 * Status codes: SS_ENOENT (no such file), SS_EIO (open/read failure, or the
 * file changed size while read), SS_EINVAL (not a regular file),
 * SS_EPARSE (truncated, trailing bytes, size not a multiple of 4),
 * SS_ESCHEMA (inconsistent header), SS_ERANGE (a dimension over a limit),
 * SS_ENUMERIC (NaN/Inf weight), SS_ENOMEM. Errors read
 * "path: byte offset N: expected X, got Y".
 */
#ifndef MODEL_LLAMA2C_H
#define MODEL_LLAMA2C_H

#include <stddef.h>
#include <stdint.h>

#include "model_llama.h"

#define MODEL_LLAMA2C_HEADER_BYTES 28
/* Checkpoints above this are refused before reading (they are read into RAM). */
#define MODEL_LLAMA2C_MAX_FILE_BYTES ((uint64_t)1 << 34)

typedef struct model_llama2c {
    model_llama_config config;
    model_llama_weights weights; /* point into `data`; valid until destroy */
    float *data;                 /* owned: every float after the header */
    uint64_t n_floats;
    uint64_t n_subnormal;        /* subnormal weights seen (accepted, flagged) */
} model_llama2c;

/* Loads `path`. On success *out is owned by the caller (model_llama2c_destroy);
 * on failure *out is NULL and err holds the reason. */
ss_status model_llama2c_load(const char *path, model_llama2c **out, char *err, size_t errlen);
void model_llama2c_destroy(model_llama2c *ck);

/* Load + model_llama_create + destroy the checkpoint: the net owns a copy. */
ss_status model_llama2c_load_net(const char *path, model_net **out, char *err, size_t errlen);

/* llama2.c's versioned exports (export.py --version 1: float32; --version 2:
 * Q8_0, dequantized as runq.c does), model_llama2c_v1.c: the magic
 * (le32 at byte 0; the bytes "24ka"), then a 256-byte header. Same status
 * codes as model_llama2c_load, plus SS_EVERSION (version not 1 or 2). */
#define MODEL_LLAMA2C_MAGIC 0x616b3432u
#define MODEL_LLAMA2C_V1_HEADER_BYTES 256
ss_status model_llama2c_v1_load_net(const char *path, model_net **out, char *err, size_t errlen);

#endif
