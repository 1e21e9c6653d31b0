/* fuzz_tokenizer.c - llama2.c tokenizer.bin files (model_tokenizer.h) with
 * an encode/decode round trip.
 *
 * Input: u16 vocab_size (little-endian), u8 text length T, T bytes of text,
 * then the tokenizer file (tokenizer.bin carries no vocabulary size: it
 * comes from the model, so the fuzzer chooses it). On an accepted file the
 * text is encoded with BOS and EOS; every id must be in range, and every
 * token decodes and prints. */
#include <stdio.h>
#include <string.h>

#include "fuzz_util.h"
#include "model_tokenizer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size < 3u + data[2])
        return 0;
    int vocab = data[0] | data[1] << 8;
    size_t tlen = data[2];
    char text[256];
    memcpy(text, data + 3, tlen);
    text[tlen] = '\0'; /* a NUL inside ends the text early: encode takes C strings */
    const char *path = fuzz_write("tokenizer.bin", data + 3 + tlen, size - 3 - tlen);
    model_tokenizer *t = NULL;
    char err[1024];
    ss_status lst = model_tokenizer_load(path, vocab, &t, err, sizeof err);
    fuzz_note("tokenizer", lst == SS_OK ? "accepted" : err);
    if (lst != SS_OK) {
        fuzz_check(t == NULL && err[0], "a rejection without a message or with a result");
        return 0;
    }
    fuzz_check(model_tokenizer_vocab_size(t) == vocab, "vocabulary size changed");
    int32_t tokens[260];
    size_t cap = model_tokenizer_max_tokens(text);
    fuzz_check(cap <= sizeof tokens / sizeof tokens[0], "capacity");
    int n = 0;
    ss_status st = model_tokenizer_encode(t, text, true, true, tokens, cap, &n);
    fuzz_note("encode", st == SS_OK ? "ok" : ss_status_name(st));
    if (st == SS_OK) {
        fuzz_check(n >= 2 && (size_t)n <= cap, "token count");
        static FILE *devnull;
        if (!devnull)
            devnull = fopen("/dev/null", "w");
        int prev = MODEL_TOKEN_BOS;
        for (int i = 0; i < n; i++) {
            fuzz_check(tokens[i] >= 0 && tokens[i] < vocab, "token id out of range");
            const char *piece = model_tokenizer_decode(t, prev, tokens[i]);
            fuzz_check(piece != NULL, "an encoded token does not decode");
            model_tokenizer_print_piece(devnull, piece);
            const char *raw = model_tokenizer_piece(t, tokens[i]);
            fuzz_check(raw != NULL, "no piece");
            int id = model_tokenizer_lookup(t, raw);
            fuzz_check(id >= 0 && id <= tokens[i], "lookup of a piece misses it");
            prev = tokens[i];
        }
    } else {
        fuzz_check(st == SS_ENOTFOUND, "encode failed other than for a missing byte token");
    }
    fuzz_check(model_tokenizer_decode(t, 0, vocab) == NULL, "decode past the vocabulary");
    fuzz_check(model_tokenizer_decode(t, 0, -1) == NULL, "decode of -1");
    model_tokenizer_destroy(t);
    return 0;
}
