/* model_data.h - evaluation data readers: IDX arrays (MNIST) and
 * TinyStories text.
 *
 * IDX (LeCun's MNIST format): bytes 0,0, a type code, the number of
 * dimensions, then one big-endian u32 per dimension and the data, row-major.
 * Only unsigned-byte data (type 0x08: 0x00000801 labels, 0x00000803 images)
 * is read; the file size must equal header + product of dims exactly.
 * Typical: t10k-images 7.8 MB (10000 x 28 x 28), t10k-labels 10 KB.
 *
 * TinyStories: stories separated by "<|endoftext|>"; each story is the text
 * between separators with leading and trailing whitespace (space, \t, \n,
 * \r, \v, \f) stripped; empty segments (the one after the final separator)
 * are skipped. The text is kept byte for byte otherwise (the data set's own
 * mojibake included). A NUL byte in the file is rejected (SS_EPARSE).
 */
#ifndef MODEL_DATA_H
#define MODEL_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

#define MODEL_IDX_MAX_DIMS 4
#define MODEL_IDX_MAX_FILE_BYTES (1ull << 30)
#define MODEL_STORIES_MAX_FILE_BYTES (256ull << 20)

typedef struct model_idx {
    int n_dims;                          /* 1..4 */
    uint32_t dims[MODEL_IDX_MAX_DIMS];   /* dims[0] = number of items */
    uint64_t n_items;                    /* dims[0] */
    uint64_t item_elems;                 /* product of dims[1..]; 1 for labels */
    uint8_t *data;                       /* (n_items, item_elems) owned */
} model_idx;

/* Reads an unsigned-byte IDX file. SS_EPARSE (bad magic, short header),
 * SS_EUNSUPPORTED (a non-ubyte type code), SS_ESCHEMA (dims product differs
 * from the data bytes present: counts larger than the file, or trailing
 * bytes), SS_ERANGE (overflow), plus the file errors of model_io.h. */
ss_status model_idx_load(const char *path, model_idx **out, char *err, size_t errlen);
void model_idx_free(model_idx *x);

typedef struct model_stories {
    int n;                 /* number of stories */
    const char **text;     /* (n) NUL-terminated, pointing into buf */
    size_t *len;           /* (n) bytes, excluding the NUL */
    char *buf;             /* owned backing store */
} model_stories;

/* Splits a TinyStories text file. SS_EPARSE on NUL bytes. */
ss_status model_stories_load(const char *path, model_stories **out, char *err, size_t errlen);
void model_stories_free(model_stories *s);

#endif
