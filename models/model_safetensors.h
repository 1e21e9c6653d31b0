/* model_safetensors.h - strict reader for the safetensors format.
 *
 * Layout: u64 little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *  "__metadata__": {"key": "string", ...}}, then the data buffer. Offsets are
 * relative to the buffer. The reader enforces the bad-input catalogue S01-S13
 * of PITFALLS.md: header 8 <= N <= 100,000,000 and inside the file; header
 * valid UTF-8 JSON starting with '{' (trailing spaces, which writers pad with,
 * are allowed; leading whitespace is not); no duplicate keys at any level;
 * only the keys dtype/shape/data_offsets in an entry; integers exact (< 2^53);
 * rank <= 8; shape products and byte sizes computed with overflow checks;
 * tensors cover the buffer contiguously from 0 to its end, with no gap,
 * overlap or trailing byte; rank-0 scalars and zero-size tensors are accepted.
 *
 * Supported dtypes: F32, F16, BF16, I64. Other dtypes of the format give
 * SS_EUNSUPPORTED; strings that are no safetensors dtype give SS_ESCHEMA.
 *
 * Status codes: SS_ENOENT (cannot open), SS_EINVAL (not a regular file),
 * SS_EIO (short read), SS_ENOMEM, SS_EPARSE (framing / JSON / UTF-8),
 * SS_ERANGE (sizes too large, overflow, offsets >= 2^53), SS_ESCHEMA (entry
 * structure, dtype/shape/size mismatch, offsets that do not tile the buffer),
 * SS_EUNSUPPORTED (dtype). The error buffer names the file, then the byte
 * offset or tensor name, and what was expected.
 *
 * The whole file is read into memory (no mmap, so a file truncated after
 * open gives SS_EIO, never SIGBUS); typical sizes here are 1.5 MB.
 */
#ifndef MODEL_SAFETENSORS_H
#define MODEL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

#define MODEL_ST_MAX_RANK 8
#define MODEL_ST_MAX_HEADER_BYTES 100000000ull
/* Files above this are refused before anything is allocated. */
#define MODEL_ST_MAX_FILE_BYTES (4ull << 30)

typedef enum model_st_dtype {
    MODEL_ST_F32,
    MODEL_ST_F16,
    MODEL_ST_BF16,
    MODEL_ST_I64,
} model_st_dtype;

typedef struct model_st_tensor {
    const char *name;            /* owned by the file */
    model_st_dtype dtype;
    int rank;                    /* 0 for a scalar */
    uint64_t shape[MODEL_ST_MAX_RANK];
    uint64_t n_elems;            /* product of shape (1 for rank 0) */
    uint64_t n_bytes;            /* n_elems * dtype size == end - begin */
    uint64_t offset;             /* begin, relative to the data buffer */
    const unsigned char *data;   /* n_bytes, NOT aligned: read with memcpy or the helpers */
} model_st_tensor;

typedef struct model_st_file model_st_file;

/* Reads and validates `path`. On success *out owns everything; close with
 * model_st_close. On failure *out is NULL and err says why. */
ss_status model_st_open(const char *path, model_st_file **out, char *err, size_t errlen);
void model_st_close(model_st_file *f);

/* Tensors sorted by name (the order is deterministic, unlike the header's). */
int model_st_n_tensors(const model_st_file *f);
const model_st_tensor *model_st_tensor_at(const model_st_file *f, int i);
/* Case-sensitive exact lookup, O(log n); NULL when absent. Pointers stay
 * valid until model_st_close. */
const model_st_tensor *model_st_find(const model_st_file *f, const char *name);
/* __metadata__ value for `key`, or NULL. */
const char *model_st_metadata(const model_st_file *f, const char *key);
const char *model_st_dtype_name(model_st_dtype d);

/* Copies a floating tensor into out (n_out floats, must equal n_elems),
 * converting F16/BF16 exactly. SS_ESCHEMA for I64 or a count mismatch. */
ss_status model_st_to_f32(const model_st_tensor *t, float *out, uint64_t n_out, char *err,
                          size_t errlen);
/* Like model_st_to_f32 for I64 tensors. */
ss_status model_st_to_i64(const model_st_tensor *t, int64_t *out, uint64_t n_out, char *err,
                          size_t errlen);
/* Looks up `name` and checks dtype is floating and shape equals `shape`
 * (rank entries), then returns a new ss_malloc'd float copy in *out. Meant
 * for model builders: one call per expected weight. */
ss_status model_st_load_f32(const model_st_file *f, const char *name, int rank,
                            const uint64_t *shape, float **out, char *err, size_t errlen);

#endif
