/* model_io.h - inside models/ only: bounded, checked reads of regular files
 * for the weight and data loaders.
 *
 * Every loader opens its input through model_io_open, which fstat()s the open
 * descriptor (no stat/open race), refuses anything that is not a regular file
 * (directories, FIFOs, /dev/zero never get read to EOF) and refuses files
 * above a caller-given cap before a byte is allocated. Reads are exact: a file
 * that shrinks after the fstat gives SS_EIO, never a short buffer.
 */
#ifndef MODEL_IO_H
#define MODEL_IO_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

typedef struct model_io_file {
    int fd;             /* -1 when closed */
    uint64_t size_bytes; /* st_size at open time */
} model_io_file;

/* Opens `path` read-only. SS_ENOENT when it cannot be opened, SS_EINVAL when
 * it is not a regular file, SS_ERANGE when larger than max_bytes. On failure
 * f->fd is -1 and nothing needs closing. */
ss_status model_io_open(const char *path, uint64_t max_bytes, model_io_file *f, char *err,
                        size_t errlen);
/* Reads exactly n bytes at offset `off` into buf; SS_EIO on a short read. */
ss_status model_io_read_at(const model_io_file *f, const char *path, uint64_t off, void *buf,
                           size_t n, char *err, size_t errlen);
/* Reads the whole file into a new ss_malloc'd buffer (plus one NUL byte after
 * the end so text loaders may treat it as a string); caller ss_free()s it. */
ss_status model_io_read_all(const model_io_file *f, const char *path, unsigned char **out,
                            char *err, size_t errlen);
/* NULL-safe, idempotent. */
void model_io_close(model_io_file *f);

/* Little/big-endian decoding from unaligned bytes (memcpy-free byte math, so
 * no misaligned loads and no host-endianness assumption). */
static inline uint32_t model_io_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t model_io_le64(const unsigned char *p)
{
    return (uint64_t)model_io_le32(p) | (uint64_t)model_io_le32(p + 4) << 32;
}
static inline uint32_t model_io_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* IEEE half and bfloat16 bit patterns -> float, exact (every half and bf16
 * value is representable in float), including subnormals, Inf and NaN. */
static inline float model_io_f32_from_bits(uint32_t u)
{
    union { uint32_t u; float f; } v = {.u = u};
    return v.f;
}
static inline float model_io_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    if (exp == 0x1f) /* Inf / NaN: keep the payload */
        return model_io_f32_from_bits(sign | 0x7f800000u | man << 13);
    if (exp == 0) {
        if (man == 0)
            return model_io_f32_from_bits(sign);
        /* subnormal half: value = man * 2^-24, exact in float */
        float v = (float)man * 0x1p-24f;
        return sign ? -v : v;
    }
    return model_io_f32_from_bits(sign | (exp + 112u) << 23 | man << 13);
}
static inline float model_io_bf16_to_f32(uint16_t b)
{
    return model_io_f32_from_bits((uint32_t)b << 16);
}

#endif
