/* model_tokenizer.h - llama2.c's BPE tokenizer (sentencepiece-style, byte fallback).
 *
 * File (tokenizer.bin): int32 max_token_length, then vocab_size entries of
 * (float32 score, int32 len, len bytes). The file does not store vocab_size:
 * it comes from the model. Ids 0-2 are <unk>, <s> (BOS), </s> (EOS); ids
 * 3..258 are the byte tokens "<0x00>".."<0xFF>" in llama2.c vocabularies.
 *
 * encode/decode/print reproduce llama2.c's run.c exactly: encode adds BOS
 * optionally, the dummy-prefix " " token when the text is non-empty, looks
 * up each UTF-8 code point (byte fallback to id byte+3), then repeatedly
 * merges the adjacent pair whose merged string has the highest score
 * (leftmost on ties). Lookup is a binary search over the vocabulary sorted
 * by (bytes, id); duplicate strings resolve to the lowest id, deterministic
 * on every libc (llama2.c's qsort+bsearch leaves that to the libc).
 *
 * Validation (K01-K05): max_token_length in [1, MODEL_TOKENIZER_MAX_TOKEN_LEN];
 * every len in [1, max_token_length] and inside the file; exactly vocab_size
 * entries (fewer: SS_EPARSE naming both counts; trailing bytes: SS_EPARSE);
 * scores finite (SS_ENUMERIC); a NUL byte inside a token is refused because
 * llama2.c handles tokens as C strings (it would silently truncate).
 * Duplicate strings and non-UTF-8 bytes are accepted (byte-level BPE).
 */
#ifndef MODEL_TOKENIZER_H
#define MODEL_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ss_status.h"

#define MODEL_TOKENIZER_MAX_TOKEN_LEN 4096
#define MODEL_TOKENIZER_MAX_FILE_BYTES ((uint64_t)1 << 30)
#define MODEL_TOKEN_BOS 1
#define MODEL_TOKEN_EOS 2
/* The smallest vocabulary a tokenizer accepts: <unk>, <s>, </s>. */
#define MODEL_TOKEN_MIN_VOCAB 3

typedef struct model_tokenizer model_tokenizer;

/* Reads a llama2.c tokenizer.bin for a model of `vocab_size` tokens. Status:
 * SS_ENOENT, SS_EIO, SS_EINVAL (not a regular file, or vocab_size below
 * MODEL_TOKEN_MIN_VOCAB: encode needs <unk>, <s>, </s>),
 * SS_EPARSE (K01-K03, trailing bytes, NUL inside a token), SS_ENUMERIC (K04),
 * SS_ENOMEM. err: "path: byte offset N: expected X, got Y". */
ss_status model_tokenizer_load(const char *path, int vocab_size, model_tokenizer **out,
                               char *err, size_t errlen);

/* Builds a tokenizer from arrays (for loaders that carry the vocabulary
 * elsewhere, e.g. model_gguf_vocab's tokens/token_lens/scores as they are):
 * pieces[i] holds lens[i] bytes (no NUL needed),
 * scores[i] its merge score. All borrowed for the call (copied). The same
 * checks as the file loader apply, with "token i" instead of byte offsets. */
ss_status model_tokenizer_create(int vocab_size, const char *const *pieces,
                                 const uint64_t *lens, const float *scores,
                                 model_tokenizer **out, char *err, size_t errlen);

void model_tokenizer_destroy(model_tokenizer *t);

int model_tokenizer_vocab_size(const model_tokenizer *t);
/* Raw vocabulary string of `id` (NUL-terminated), NULL when out of range.
 * Valid for the tokenizer's lifetime. */
const char *model_tokenizer_piece(const model_tokenizer *t, int id);
float model_tokenizer_score(const model_tokenizer *t, int id);
/* Id of an exact vocabulary string, or -1 (lowest id among duplicates). */
int model_tokenizer_lookup(const model_tokenizer *t, const char *str);

/* Capacity encode needs for `text`: strlen(text) + 3 (BOS, prefix, EOS). */
size_t model_tokenizer_max_tokens(const char *text);

/* Encodes `text` (NUL-terminated, any bytes) into tokens[0 .. *n_tokens).
 * SS_EINVAL when cap < model_tokenizer_max_tokens(text); SS_ENOTFOUND when
 * a byte needs the fallback id byte+3 but the vocabulary has < 259 tokens;
 * SS_ENOMEM. Where llama2.c would store -1 (no " " token for the dummy
 * prefix, undefined behaviour there) the byte token of ' ' is used. */
ss_status model_tokenizer_encode(const model_tokenizer *t, const char *text, bool bos, bool eos,
                                 int32_t *tokens, size_t cap, int *n_tokens);

/* The text of `token` following `prev_token`, as llama2.c's decode: the
 * leading space is stripped after BOS, and "<0xNN>" becomes the raw byte.
 * NULL if token is out of range. Valid for the tokenizer's lifetime. */
const char *model_tokenizer_decode(const model_tokenizer *t, int prev_token, int token);

/* llama2.c's safe_printf: prints `piece` to `out` unless it is empty or a
 * single byte that is neither printable nor whitespace (C locale). Returns
 * the number of bytes written. NULL piece or out prints nothing. */
size_t model_tokenizer_print_piece(FILE *out, const char *piece);

#endif
