/* model_tokenizer.c - llama2.c tokenizer: load with K01-K05 checks, encode,
 * decode, safe print. Vocabularies are 512 (stories260K) to 32000 (Llama-2)
 * tokens of at most a few dozen bytes; encode is O(n^2 log V) in the text
 * length like llama2.c, fine for prompts. */
#include "model_tokenizer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss_alloc.h"

typedef struct tok_index {
    const char *str;
    int32_t id;
} tok_index;

struct model_tokenizer {
    int vocab_size;
    int max_token_length;
    char *arena;        /* every token string, NUL-terminated, back to back */
    char **vocab;       // (vocab_size) pointers into arena
    int32_t *lens;      // (vocab_size) bytes of each token
    float *scores;      // (vocab_size)
    tok_index *sorted;  // (vocab_size) sorted by (bytes, id)
    int16_t *byte_full; // (vocab_size) N of a "<0xNN>" token, else -1
    int16_t *byte_strip;// (vocab_size) the same for token+1 when it starts with ' '
    char byte_pieces[512]; /* byte_pieces[2b] = b, byte_pieces[2b+1] = 0 */
};

static int cmp_index(const void *a, const void *b)
{
    const tok_index *x = a, *y = b;
    int c = strcmp(x->str, y->str);
    if (c)
        return c;
    return (x->id > y->id) - (x->id < y->id); /* total order: qsort stability irrelevant */
}

void model_tokenizer_destroy(model_tokenizer *t)
{
    if (!t)
        return;
    ss_free(t->arena);
    ss_free(t->vocab);
    ss_free(t->lens);
    ss_free(t->scores);
    ss_free(t->sorted);
    ss_free(t->byte_full);
    ss_free(t->byte_strip);
    ss_free(t);
}

/* llama2.c recognises byte tokens with sscanf(piece, "<0x%02hhX>"); using
 * the same call keeps its exact (lenient) acceptance. Done once per token. */
static int16_t byte_token_value(const char *piece)
{
    unsigned char b;
    if (sscanf(piece, "<0x%02hhX>", &b) == 1)
        return (int16_t)b;
    return -1;
}

/* Builds from validated arrays (lens in [1, max_len], no NUL inside). */
static ss_status build(int n, const char *const *pieces, const int32_t *lens,
                       const float *scores, int max_len, model_tokenizer **out)
{
    model_tokenizer *t = ss_calloc(1, sizeof *t);
    if (!t)
        return SS_ENOMEM;
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += (size_t)lens[i] + 1;
    size_t vn = (size_t)n;
    t->vocab_size = n;
    t->max_token_length = max_len;
    t->arena = ss_malloc(total);
    t->vocab = ss_malloc_array(vn, sizeof *t->vocab);
    t->lens = ss_malloc_array(vn, sizeof *t->lens);
    t->scores = ss_malloc_array(vn, sizeof *t->scores);
    t->sorted = ss_malloc_array(vn, sizeof *t->sorted);
    t->byte_full = ss_malloc_array(vn, sizeof *t->byte_full);
    t->byte_strip = ss_malloc_array(vn, sizeof *t->byte_strip);
    if (!t->arena || !t->vocab || !t->lens || !t->scores || !t->sorted || !t->byte_full ||
        !t->byte_strip) {
        model_tokenizer_destroy(t);
        return SS_ENOMEM;
    }
    char *p = t->arena;
    for (int i = 0; i < n; i++) {
        memcpy(p, pieces[i], (size_t)lens[i]);
        p[lens[i]] = '\0';
        t->vocab[i] = p;
        t->lens[i] = lens[i];
        t->scores[i] = scores[i];
        t->sorted[i] = (tok_index){.str = p, .id = i};
        t->byte_full[i] = byte_token_value(p);
        t->byte_strip[i] = p[0] == ' ' ? byte_token_value(p + 1) : -1;
        p += lens[i] + 1;
    }
    qsort(t->sorted, vn, sizeof *t->sorted, cmp_index);
    for (int b = 0; b < 256; b++) {
        t->byte_pieces[2 * b] = (char)b;
        t->byte_pieces[2 * b + 1] = '\0';
    }
    *out = t;
    return SS_OK;
}

ss_status model_tokenizer_create(int vocab_size, const char *const *pieces,
                                 const uint64_t *lens, const float *scores,
                                 model_tokenizer **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!pieces || !lens || !scores)
        return ss_err(err, errlen, SS_EINVAL, "tokenizer: no vocabulary");
    /* encode emits BOS (1) and EOS (2) and falls back to byte tokens: ids
     * below the special tokens' must exist or it reads past the arrays */
    if (vocab_size < MODEL_TOKEN_MIN_VOCAB)
        return ss_err(err, errlen, SS_EINVAL,
                      "tokenizer: expected a vocabulary of at least %d tokens (<unk>, <s>, </s>), "
                      "got %d", MODEL_TOKEN_MIN_VOCAB, vocab_size);
    int32_t *lens32 = ss_malloc_array((size_t)vocab_size, sizeof *lens32);
    if (!lens32)
        return ss_err(err, errlen, SS_ENOMEM, "tokenizer: out of memory");
    ss_status s = SS_OK;
    int max_len = 0;
    for (int i = 0; i < vocab_size; i++) {
        if (lens[i] < 1 || lens[i] > MODEL_TOKENIZER_MAX_TOKEN_LEN || !pieces[i]) {
            s = ss_err(err, errlen, SS_EPARSE,
                       "tokenizer: token %d: expected a length in [1, %d], got %llu", i,
                       MODEL_TOKENIZER_MAX_TOKEN_LEN, (unsigned long long)lens[i]);
            goto done;
        }
        if (memchr(pieces[i], '\0', (size_t)lens[i])) {
            s = ss_err(err, errlen, SS_EPARSE,
                       "tokenizer: token %d: expected no NUL byte inside a token", i);
            goto done;
        }
        if (!isfinite(scores[i])) {
            s = ss_err(err, errlen, SS_ENUMERIC,
                       "tokenizer: token %d: expected a finite score, got %g", i,
                       (double)scores[i]);
            goto done;
        }
        lens32[i] = (int32_t)lens[i];
        if (lens32[i] > max_len)
            max_len = lens32[i];
    }
    s = build(vocab_size, pieces, lens32, scores, max_len, out);
    if (s != SS_OK)
        ss_err(err, errlen, s, "tokenizer: out of memory");
done:
    ss_free(lens32);
    return s;
}

static ss_status read_file(const char *path, unsigned char **buf, size_t *len, char *err,
                           size_t errlen)
{
    *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* FIFOs: never wait */
    if (fd < 0)
        return ss_err(err, errlen, errno == ENOENT ? SS_ENOENT : SS_EIO, "%s: cannot open: %s",
                      path, strerror(errno));
    ss_status s = SS_OK;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        s = ss_err(err, errlen, SS_EIO, "%s: fstat failed: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        s = ss_err(err, errlen, SS_EINVAL, "%s: expected a regular file, got %s", path,
                   S_ISDIR(st.st_mode) ? "a directory" : "a special file");
        goto done;
    }
    if ((uint64_t)st.st_size > MODEL_TOKENIZER_MAX_FILE_BYTES) {
        s = ss_err(err, errlen, SS_ERANGE, "%s: expected at most %llu bytes, got %lld", path,
                   (unsigned long long)MODEL_TOKENIZER_MAX_FILE_BYTES, (long long)st.st_size);
        goto done;
    }
    size_t n = (size_t)st.st_size, got = 0;
    *buf = ss_malloc(n);
    if (!*buf) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    while (got < n) {
        ssize_t r = read(fd, *buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            s = ss_err(err, errlen, SS_EIO, "%s: byte offset %zu: read failed (%s)", path, got,
                       r < 0 ? strerror(errno) : "file shrank while reading");
            goto done;
        }
        got += (size_t)r;
    }
    *len = n;
done:
    close(fd);
    if (s != SS_OK) {
        ss_free(*buf);
        *buf = NULL;
    }
    return s;
}

static int32_t rd_i32(const unsigned char *p)
{
    int32_t v;
    memcpy(&v, p, 4); /* no misaligned pointer casts */
    return v;
}

ss_status model_tokenizer_load(const char *path, int vocab_size, model_tokenizer **out,
                               char *err, size_t errlen)
{
    *out = NULL;
    if (!path || vocab_size < MODEL_TOKEN_MIN_VOCAB)
        return ss_err(err, errlen, SS_EINVAL,
                      "%s: byte offset 0: expected a vocabulary of at least %d tokens (<unk>, "
                      "<s>, </s>), got %d (the model's vocab_size)",
                      path ? path : "(null)", MODEL_TOKEN_MIN_VOCAB, vocab_size);
    unsigned char *buf;
    size_t len = 0;
    ss_status s = read_file(path, &buf, &len, err, errlen);
    if (s != SS_OK)
        return s;
    const char **pieces = ss_malloc_array((size_t)vocab_size, sizeof *pieces);
    int32_t *lens = ss_malloc_array((size_t)vocab_size, sizeof *lens);
    float *scores = ss_malloc_array((size_t)vocab_size, sizeof *scores);
    if (!pieces || !lens || !scores) {
        s = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (len < 4) {
        s = ss_err(err, errlen, SS_EPARSE,
                   "%s: byte offset 0: expected a 4-byte max_token_length, got %zu bytes", path,
                   len);
        goto done;
    }
    int32_t max_len = rd_i32(buf);
    if (max_len <= 0 || max_len > MODEL_TOKENIZER_MAX_TOKEN_LEN) { /* K01 */
        s = ss_err(err, errlen, SS_EPARSE,
                   "%s: byte offset 0: max_token_length: expected 1..%d, got %d", path,
                   MODEL_TOKENIZER_MAX_TOKEN_LEN, (int)max_len);
        goto done;
    }
    size_t off = 4;
    for (int i = 0; i < vocab_size; i++) {
        if (len - off < 8) { /* K03: fewer entries than the model's vocabulary */
            s = ss_err(err, errlen, SS_EPARSE,
                       "%s: byte offset %zu: expected %d tokens (the model's vocab_size), got %d",
                       path, off, vocab_size, i);
            goto done;
        }
        float score;
        memcpy(&score, buf + off, 4);
        int32_t n = rd_i32(buf + off + 4);
        if (!isfinite(score)) { /* K04 */
            s = ss_err(err, errlen, SS_ENUMERIC,
                       "%s: byte offset %zu: token %d: expected a finite score, got %g", path,
                       off, i, (double)score);
            goto done;
        }
        if (n < 1 || n > max_len) { /* K02 */
            s = ss_err(err, errlen, SS_EPARSE,
                       "%s: byte offset %zu: token %d: expected a length in [1, "
                       "max_token_length=%d], got %d",
                       path, off + 4, i, (int)max_len, (int)n);
            goto done;
        }
        off += 8;
        if ((size_t)n > len - off) {
            s = ss_err(err, errlen, SS_EPARSE,
                       "%s: byte offset %zu: token %d: expected %d bytes, got %zu (end of file)",
                       path, off, i, (int)n, len - off);
            goto done;
        }
        if (memchr(buf + off, '\0', (size_t)n)) {
            s = ss_err(err, errlen, SS_EPARSE,
                       "%s: byte offset %zu: token %d: expected no NUL byte inside a token", path,
                       off, i);
            goto done;
        }
        pieces[i] = (const char *)buf + off;
        lens[i] = n;
        scores[i] = score;
        off += (size_t)n;
    }
    if (off != len) {
        s = ss_err(err, errlen, SS_EPARSE,
                   "%s: byte offset %zu: expected end of file after %d tokens, got %zu more bytes",
                   path, off, vocab_size, len - off);
        goto done;
    }
    s = build(vocab_size, pieces, lens, scores, max_len, out);
    if (s != SS_OK)
        ss_err(err, errlen, s, "%s: out of memory", path);
done:
    ss_free(pieces);
    ss_free(lens);
    ss_free(scores);
    ss_free(buf);
    return s;
}

int model_tokenizer_vocab_size(const model_tokenizer *t) { return t->vocab_size; }

const char *model_tokenizer_piece(const model_tokenizer *t, int id)
{
    return id >= 0 && id < t->vocab_size ? t->vocab[id] : NULL;
}

float model_tokenizer_score(const model_tokenizer *t, int id)
{
    return id >= 0 && id < t->vocab_size ? t->scores[id] : NAN;
}

int model_tokenizer_lookup(const model_tokenizer *t, const char *str)
{
    /* lower bound on (bytes): the first of equal strings has the lowest id */
    size_t lo = 0, hi = (size_t)t->vocab_size;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->sorted[mid].str, str) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < (size_t)t->vocab_size && strcmp(t->sorted[lo].str, str) == 0)
        return t->sorted[lo].id;
    return -1;
}

size_t model_tokenizer_max_tokens(const char *text) { return strlen(text) + 3; }

ss_status model_tokenizer_encode(const model_tokenizer *t, const char *text, bool bos, bool eos,
                                 int32_t *tokens, size_t cap, int *n_tokens)
{
    *n_tokens = 0;
    if (!text || !tokens || cap < model_tokenizer_max_tokens(text) || cap > INT32_MAX ||
        t->vocab_size < MODEL_TOKEN_MIN_VOCAB) /* defensive: create/load refuse these */
        return SS_EINVAL;
    /* *2 for a merge candidate, +1 NUL, +2 so a 4-byte code point fits when
     * max_token_length is 1 (llama2.c's sizing) */
    char *buf = ss_malloc((size_t)t->max_token_length * 2 + 3);
    if (!buf)
        return SS_ENOMEM;
    ss_status s = SS_OK;
    int n = 0;
    if (bos)
        tokens[n++] = MODEL_TOKEN_BOS;
    if (text[0] != '\0') {
        int id = model_tokenizer_lookup(t, " ");
        if (id < 0)
            id = ' ' + 3;
        if (id >= t->vocab_size) {
            s = SS_ENOTFOUND;
            goto done;
        }
        tokens[n++] = id;
    }
    size_t str_len = 0;
    for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
        /* a byte that is not a UTF-8 continuation starts a new code point */
        if ((*c & 0xC0) != 0x80)
            str_len = 0;
        buf[str_len++] = (char)*c;
        buf[str_len] = '\0';
        /* keep appending continuation bytes, at most 4 bytes per code point */
        if ((c[1] & 0xC0) == 0x80 && str_len < 4)
            continue;
        int id = model_tokenizer_lookup(t, buf);
        if (id != -1) {
            tokens[n++] = id;
        } else {
            /* byte fallback: ids 3.. are <0x00>.. after <unk>, <s>, </s> */
            for (size_t i = 0; i < str_len; i++) {
                int b = (unsigned char)buf[i] + 3;
                if (b >= t->vocab_size) {
                    s = SS_ENOTFOUND;
                    goto done;
                }
                tokens[n++] = b;
            }
        }
        str_len = 0; /* a run of stray continuation bytes starts afresh */
    }

    for (;;) {
        float best_score = -1e10f;
        int best_id = -1, best_idx = -1;
        for (int i = 0; i < n - 1; i++) {
            int a = tokens[i], b = tokens[i + 1];
            memcpy(buf, t->vocab[a], (size_t)t->lens[a]);
            memcpy(buf + t->lens[a], t->vocab[b], (size_t)t->lens[b] + 1);
            int id = model_tokenizer_lookup(t, buf);
            if (id != -1 && t->scores[id] > best_score) {
                best_score = t->scores[id];
                best_id = id;
                best_idx = i;
            }
        }
        if (best_idx == -1)
            break;
        tokens[best_idx] = best_id;
        memmove(tokens + best_idx + 1, tokens + best_idx + 2,
                (size_t)(n - best_idx - 2) * sizeof *tokens);
        n--;
    }
    if (eos)
        tokens[n++] = MODEL_TOKEN_EOS;
    *n_tokens = n;
done:
    ss_free(buf);
    return s;
}

const char *model_tokenizer_decode(const model_tokenizer *t, int prev_token, int token)
{
    if (token < 0 || token >= t->vocab_size)
        return NULL;
    const char *piece = t->vocab[token];
    int16_t b = t->byte_full[token];
    /* after BOS, sentencepiece strips the leading space (llama2.c PR #89) */
    if (prev_token == MODEL_TOKEN_BOS && piece[0] == ' ') {
        piece++;
        b = t->byte_strip[token];
    }
    if (b >= 0)
        piece = t->byte_pieces + 2 * b;
    return piece;
}

/* isprint || isspace in the C locale, the locale llama2.c runs in (it never
 * calls setlocale); spelled out so the host locale cannot change output. */
static int printable_or_space(unsigned char c)
{
    return (c >= 0x20 && c <= 0x7E) || (c >= 0x09 && c <= 0x0D);
}

size_t model_tokenizer_print_piece(FILE *out, const char *piece)
{
    if (!out || !piece || piece[0] == '\0')
        return 0;
    if (piece[1] == '\0' && !printable_or_space((unsigned char)piece[0]))
        return 0; /* a raw control or high byte: llama2.c drops it */
    size_t n = strlen(piece);
    return fwrite(piece, 1, n, out);
}
