/* model_loader.h - which loader reads a weight file, chosen by its content.
 *
 * A static registry of loaders, each recognising its format by the first
 * bytes of the file (never by the extension or the scenario key):
 *
 *   "gguf"        bytes 0-3 "GGUF"                        model_llama_files.h
 *   "llama2c-v1"  le32 at byte 0 = 0x616b3432 ("ak42"; the bytes "24ka"):
 *                 llama2.c's v1 (float32) and v2 (Q8_0) exports (model_llama2c.h)
 *   "safetensors" le64 N at byte 0 with 2 <= N <= 100,000,000, byte 8 '{':
 *                 a Hugging Face Llama (model.embed_tokens.weight present,
 *                 model_llama_files.h) or the MNIST CNN (model_cnn.h)
 *   "llama2c"     llama2.c's legacy v0, which has no magic: 28 bytes of 7
 *                 int32 within model_llama.h's limits (vocab_size non-zero,
 *                 its sign the classifier flag, the others positive)
 *
 * The four are disjoint: a v0 header's hidden_dim (bytes 4-7) is >= 1, so
 * its first 8 bytes read as an le64 are >= 2^32, never a safetensors header
 * length; "GGUF", "24ka" and a safetensors length below 2^32 all give a
 * first int32 or second int32 outside v0's limits. A file that matches none
 * (empty, short, text, another format) is refused with one line naming the
 * file and what was expected. Recognition reads at most
 * MODEL_LOADER_SNIFF_BYTES bytes after fstat()ing the open descriptor:
 * directories, FIFOs and devices are refused unread (W12). The chosen loader
 * then validates the whole file itself (a recognised but truncated file gets
 * that loader's precise error).
 */
#ifndef MODEL_LOADER_H
#define MODEL_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "model_net.h"
#include "ss_status.h"

#define MODEL_LOADER_SNIFF_BYTES 32

typedef struct model_loader {
    const char *name;   /* "llama2c", "llama2c-v1", "gguf", "safetensors" */
    const char *expect; /* the signature, for "expected ..." messages */
    /* 1 if `head` (the first n = min(file size, MODEL_LOADER_SNIFF_BYTES)
     * bytes of a file of file_bytes bytes) is this format. Pure. */
    int (*sniff)(const unsigned char *head, size_t n, uint64_t file_bytes);
    /* Loads the whole file as a net; *out NULL on failure, err names the file. */
    ss_status (*load_net)(const char *path, model_net **out, char *err, size_t errlen);
} model_loader;

/* The registry, in sniffing order; i in [0, model_loader_count()). */
int model_loader_count(void);
const model_loader *model_loader_at(int i);

/* The loader whose signature the first bytes of `head` match, or NULL. */
const model_loader *model_loader_sniff(const unsigned char *head, size_t n, uint64_t file_bytes);

/* Opens `path`, checks it is a regular file, reads its first bytes and
 * returns the loader that recognises them (a registry entry, static).
 * SS_ENOENT (cannot open), SS_EINVAL (not a regular file), SS_EIO, or
 * SS_EPARSE for unrecognised content:
 *   "PATH: unrecognised model file (N bytes): expected GGUF (...), ...". */
ss_status model_loader_find_for_file(const char *path, const model_loader **out, char *err,
                                     size_t errlen);

/* model_loader_find_for_file, then that loader's load_net. `used` (may be
 * NULL) receives the loader. On failure *out is NULL. */
ss_status model_load_any(const char *path, model_net **out, const model_loader **used, char *err,
                         size_t errlen);

#endif
