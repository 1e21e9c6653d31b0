/* model_gguf.h - strict reader for GGUF v2/v3 files (llama.cpp's format).
 *
 * Layout (little-endian): "GGUF", u32 version, u64 n_tensors, u64 n_kv, then
 * n_kv metadata pairs (string key, u32 value type, value), then n_tensors
 * tensor infos (string name, u32 n_dims, u64 ne[n_dims], u32 ggml type, u64
 * offset), padding to `general.alignment` (default 32), then the data
 * section; tensor offsets are relative to it. Strings are u64 length + bytes.
 * ne[0] is the fastest-varying dimension, so a GGUF tensor with ne = [64, 512]
 * is a row-major (512, 64) matrix.
 *
 * Every length is checked against the remaining bytes before it is used, and
 * the bad-input catalogue G01-G09 of PITFALLS.md is enforced: magic and
 * version in {2, 3}; n_tensors / n_kv bounded by a cap and by the bytes left;
 * strings bounded; arrays of arrays and unknown value types rejected;
 * 1 <= n_dims <= 4, every ne[i] in [1, 2^40] and their byte size checked for
 * overflow; tensor type ids in range (F32 and F16 readable, other ggml types
 * SS_EUNSUPPORTED); general.alignment a u32 power of two; tensor data aligned,
 * inside the file and non-overlapping; duplicate keys and tensor names
 * rejected; `<arch>.block_count` at most MODEL_GGUF_MAX_LAYERS.
 *
 * Status codes: SS_ENOENT / SS_EINVAL / SS_EIO / SS_ENOMEM as for files;
 * SS_EPARSE (bad magic, truncation), SS_EVERSION, SS_ERANGE (counts or sizes
 * over a limit or overflowing), SS_ESCHEMA (structure and type rules),
 * SS_EUNSUPPORTED (a valid but unreadable tensor type). Errors name the file
 * and the byte offset or the key / tensor name.
 *
 * The whole file is read into memory (stories260K.gguf: 1.2 MB).
 *
 * Tensor layout versus llama2.c (checked by tests/check_loaders.c): in
 * stories260K.gguf every tensor is bit-identical to the float32 range of
 * stories260K.bin at its llama2.c offset, wq and wk included - the file was
 * converted from the llama2.c checkpoint without the RoPE row permutation
 * that llama.cpp's Hugging Face converter applies, so no inverse permutation
 * is needed. Names map as token_embd -> token_embedding_table, blk.N.attn_norm
 * -> rms_att_weight[N], attn_q/k/v/output -> wq/wk/wv/wo, ffn_norm ->
 * rms_ffn_weight, ffn_gate/down/up -> w1/w2/w3, output_norm ->
 * rms_final_weight; output.weight is an explicit copy of token_embd.
 * Tokenizer strings use SentencePiece's U+2581 where llama2.c's tok512.bin
 * has a space, and BOS/EOS are "<s>"/"</s>" (tok512: "\n<s>\n"); scores
 * are identical.
 */
#ifndef MODEL_GGUF_H
#define MODEL_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

#define MODEL_GGUF_MAX_FILE_BYTES (4ull << 30)
#define MODEL_GGUF_MAX_DIMS 4
#define MODEL_GGUF_MAX_KV (1u << 20)
#define MODEL_GGUF_MAX_TENSORS (1u << 20)
#define MODEL_GGUF_MAX_STRING_BYTES (1u << 20)
#define MODEL_GGUF_MAX_LAYERS 4096
#define MODEL_GGUF_DEFAULT_ALIGNMENT 32u

/* Metadata value types, numbered as in the file. */
typedef enum model_gguf_type {
    MODEL_GGUF_U8 = 0,
    MODEL_GGUF_I8 = 1,
    MODEL_GGUF_U16 = 2,
    MODEL_GGUF_I16 = 3,
    MODEL_GGUF_U32 = 4,
    MODEL_GGUF_I32 = 5,
    MODEL_GGUF_F32 = 6,
    MODEL_GGUF_BOOL = 7,
    MODEL_GGUF_STRING = 8,
    MODEL_GGUF_ARRAY = 9,
    MODEL_GGUF_U64 = 10,
    MODEL_GGUF_I64 = 11,
    MODEL_GGUF_F64 = 12,
} model_gguf_type;

/* ggml tensor types this reader can convert. */
#define MODEL_GGUF_TENSOR_F32 0u
#define MODEL_GGUF_TENSOR_F16 1u

typedef struct model_gguf_tensor {
    const char *name;                  /* owned by the file */
    int n_dims;                        /* 1..4 */
    uint64_t ne[MODEL_GGUF_MAX_DIMS];  /* ne[0] fastest; unused dims are 1 */
    uint32_t type;                     /* ggml type id */
    uint64_t n_elems;
    uint64_t n_bytes;
    uint64_t offset;                   /* relative to the data section */
    const unsigned char *data;         /* n_bytes, not necessarily float-aligned */
} model_gguf_tensor;

typedef struct model_gguf model_gguf;

/* Reads and validates `path`; *out owns everything (close with
 * model_gguf_close). On failure *out is NULL. */
ss_status model_gguf_open(const char *path, model_gguf **out, char *err, size_t errlen);
void model_gguf_close(model_gguf *g);

uint32_t model_gguf_version(const model_gguf *g);
uint32_t model_gguf_alignment(const model_gguf *g);

/* --- metadata. Getters return SS_ENOTFOUND when the key is absent and
 * SS_ESCHEMA (err names the key and both types) when it has another type:
 * a consumer never reinterprets a value of the wrong type (G04). */
int model_gguf_n_kv(const model_gguf *g);
/* Key of pair i in file order, and its type (array element type in *elem). */
const char *model_gguf_kv_key(const model_gguf *g, int i);
ss_status model_gguf_kv_type(const model_gguf *g, const char *key, model_gguf_type *type,
                             model_gguf_type *elem, uint64_t *n_elems);
/* Any integer type whose value fits in uint32. */
ss_status model_gguf_get_u32(const model_gguf *g, const char *key, uint32_t *out, char *err,
                             size_t errlen);
/* F32 (or F64 rounded to float). */
ss_status model_gguf_get_f32(const model_gguf *g, const char *key, float *out, char *err,
                             size_t errlen);
/* String value; *out is NUL-terminated and valid until close; *len (may be
 * NULL) is its byte length (the string may hold NUL bytes). */
ss_status model_gguf_get_str(const model_gguf *g, const char *key, const char **out,
                             uint64_t *len, char *err, size_t errlen);
/* Array of strings: *strs and *lens (n entries) valid until close. */
ss_status model_gguf_get_str_array(const model_gguf *g, const char *key,
                                   const char *const **strs, const uint64_t **lens, uint64_t *n,
                                   char *err, size_t errlen);
/* Array of F32 / I32 copied into out, which holds exactly n elements. */
ss_status model_gguf_get_f32_array(const model_gguf *g, const char *key, float *out, uint64_t n,
                                   char *err, size_t errlen);
ss_status model_gguf_get_i32_array(const model_gguf *g, const char *key, int32_t *out,
                                   uint64_t n, char *err, size_t errlen);

/* The tokenizer in `tokenizer.ggml.*`, enough to build a llama2.c-style
 * BPE tokenizer: tokens and lens point into the file (valid until close);
 * scores is a new ss_malloc'd array freed by model_gguf_vocab_fini. Ids are
 * -1 when the file does not give them. */
typedef struct model_gguf_vocab {
    uint64_t n_vocab;
    const char *const *tokens;  /* (n_vocab) */
    const uint64_t *token_lens; /* (n_vocab) */
    float *scores;              /* (n_vocab) owned */
    int64_t bos_id, eos_id, unk_id;
} model_gguf_vocab;
ss_status model_gguf_vocab_init(const model_gguf *g, model_gguf_vocab *v, char *err,
                                size_t errlen);
void model_gguf_vocab_fini(model_gguf_vocab *v);

/* --- tensors, in file order; find is O(log n). */
int model_gguf_n_tensors(const model_gguf *g);
const model_gguf_tensor *model_gguf_tensor_at(const model_gguf *g, int i);
const model_gguf_tensor *model_gguf_find_tensor(const model_gguf *g, const char *name);
/* Copies an F32/F16 tensor into out (n floats == n_elems). */
ss_status model_gguf_tensor_f32(const model_gguf_tensor *t, float *out, uint64_t n, char *err,
                                size_t errlen);
/* Finds `name`, checks n_dims and ne[] (GGUF order, fastest first) and
 * returns a new ss_malloc'd float copy. */
ss_status model_gguf_load_f32(const model_gguf *g, const char *name, int n_dims,
                              const uint64_t *ne, float **out, char *err, size_t errlen);

#endif
