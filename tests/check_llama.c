/* check_llama.c - llama2.c loader, tokenizer, transformer and generation
 * against llama2.c's published stories260K outputs (assets/stories260K),
 * hand-checked tokenizations, bad-file catalogue W01-W12 / K01-K04, and a
 * naive single-token twin for shapes where BLAS kernels are used. */
#include <check.h>
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_generate.h"
#include "model_gguf.h"
#include "model_llama.h"
#include "model_llama2c.h"
#include "model_tokenizer.h"
#include "ss_alloc.h"
#include "test_util.h"

#define BIN SS_ASSET("stories260K/stories260K.bin")
#define TOK SS_ASSET("stories260K/tok512.bin")
#define TRACE SS_ASSET("stories260K/reference_greedy_n256_trace.txt")
#define REF SS_ASSET("stories260K/reference_greedy_n256.txt")

/* ---- helpers ---------------------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    unsigned char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

typedef struct trace_row {
    int pos, tok, argmax;
    double maxlogit, l0, l1, l2;
} trace_row;

/* Rows of reference_greedy_n256_trace.txt: one per position of llama2.c's
 * 256-step greedy run, POS 0..255. Counted independently of this parser:
 * `wc -l` and `grep -c '^POS '` both give 256. */
#define TRACE_ROWS 256
/* Bytes of reference_greedy_n256.txt (`wc -c`: 566, 4 lines). */
#define REF_BYTES 566

/* Reads the whole trace and asserts it holds exactly TRACE_ROWS rows, with
 * nothing unparsed after them, so that an empty, truncated or garbled trace
 * fails every test that uses it instead of checking nothing. */
static int read_trace(trace_row *rows, int cap)
{
    ck_assert_int_gt(cap, TRACE_ROWS); /* room to see a row too many */
    FILE *f = fopen(TRACE, "r");
    ck_assert_ptr_nonnull(f);
    int n = 0;
    trace_row r;
    while (n < cap && fscanf(f, " POS %d TOK %d ARGMAX %d MAXLOGIT %lf L0 %lf L1 %lf L2 %lf",
                             &r.pos, &r.tok, &r.argmax, &r.maxlogit, &r.l0, &r.l1, &r.l2) == 7) {
        ck_assert_int_eq(r.pos, n);
        rows[n++] = r;
    }
    int c;
    while ((c = fgetc(f)) != EOF)
        ck_assert_msg(c == ' ' || c == '\n', "trace: unparsed byte 0x%02x after row %d", c, n);
    fclose(f);
    ck_assert_int_eq(n, TRACE_ROWS);
    return n;
}

/* The reference text, asserted to be the REF_BYTES-byte file (an empty file
 * would otherwise only be caught by the length comparison of each test). */
static unsigned char *slurp_ref(size_t *len)
{
    unsigned char *b = slurp(REF, len);
    ck_assert_uint_eq(*len, REF_BYTES);
    return b;
}

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/ss_check_llama_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *write_tmp(const char *name, const void *data, size_t n)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (n)
        ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
    return path;
}

static void set_i32(unsigned char *b, size_t off, int32_t v) { memcpy(b + off, &v, 4); }

static void expect_load_fails(const char *path, ss_status want, const char *needle1,
                              const char *needle2)
{
    char err[512] = "";
    model_llama2c *ck = (model_llama2c *)0x1;
    ss_status s = model_llama2c_load(path, &ck, err, sizeof err);
    ck_assert_msg(s == want, "%s: got %s (%s), want %s", path, ss_status_name(s), err,
                  ss_status_name(want));
    ck_assert_ptr_null(ck);
    ck_assert_msg(strstr(err, needle1) != NULL, "'%s' lacks '%s'", err, needle1);
    if (needle2)
        ck_assert_msg(strstr(err, needle2) != NULL, "'%s' lacks '%s'", err, needle2);
    ck_assert_msg(strstr(err, path) != NULL, "'%s' lacks the path", err);
}

static model_net *load_net(void)
{
    char err[256] = "";
    model_net *m = NULL;
    ss_status s = model_llama2c_load_net(BIN, &m, err, sizeof err);
    ck_assert_msg(s == SS_OK, "%s", err);
    return m;
}

static model_tokenizer *load_tok(void)
{
    char err[256] = "";
    model_tokenizer *t = NULL;
    ss_status s = model_tokenizer_load(TOK, 512, &t, err, sizeof err);
    ck_assert_msg(s == SS_OK, "%s", err);
    return t;
}

static void setup(void) { openblas_set_num_threads(1); }

/* ---- loader ----------------------------------------------------------------- */

START_TEST(test_llama2c_loads_stories260k_with_the_readme_config)
{
    char err[256] = "";
    model_llama2c *ck = NULL;
    ck_assert_int_eq(model_llama2c_load(BIN, &ck, err, sizeof err), SS_OK);
    const model_llama_config *c = &ck->config;
    ck_assert_int_eq(c->dim, 64);
    ck_assert_int_eq(c->hidden_dim, 172);
    ck_assert_int_eq(c->n_layers, 5);
    ck_assert_int_eq(c->n_heads, 8);
    ck_assert_int_eq(c->n_kv_heads, 4);
    ck_assert_int_eq(c->vocab_size, 512);
    ck_assert_int_eq(c->seq_len, 512);
    ck_assert(c->shared_classifier);
    ck_assert_ptr_eq(ck->weights.wcls, ck->weights.token_embedding_table);
    /* every float after the header: (1056540 - 28) / 4 */
    ck_assert_uint_eq(ck->n_floats, 264128);
    /* llama2.c order: wk follows wq (5*64*64 floats), w2 follows w1 */
    ck_assert_ptr_eq(ck->weights.wk, ck->weights.wq + 5 * 64 * 64);
    ck_assert_ptr_eq(ck->weights.w2, ck->weights.w1 + 5 * 64 * 172);
    /* the first header float is the first embedding weight */
    size_t n;
    unsigned char *raw = slurp(BIN, &n);
    float first;
    memcpy(&first, raw + 28, 4);
    ck_assert(first == ck->weights.token_embedding_table[0]);
    free(raw);
    model_llama2c_destroy(ck);
    model_llama2c_destroy(NULL);
}
END_TEST

START_TEST(test_llama2c_rejects_truncated_and_oversized_files)
{
    size_t n;
    unsigned char *b = slurp(BIN, &n);
    make_tmpdir();
    expect_load_fails(write_tmp("empty.bin", b, 0), SS_EPARSE, "truncated header",
                      "byte offset 0");
    expect_load_fails(write_tmp("h27.bin", b, 27), SS_EPARSE, "truncated header",
                      "byte offset 27");
    expect_load_fails(write_tmp("h24.bin", b, 24), SS_EPARSE, "truncated header",
                      "byte offset 24");
    expect_load_fails(write_tmp("h28.bin", b, 28), SS_EPARSE, "truncated", "byte offset 28");
    expect_load_fails(write_tmp("half.bin", b, (n / 2) & ~(size_t)3), SS_EPARSE, "truncated",
                      "1056540");
    unsigned char *big = calloc(n + 8, 1);
    memcpy(big, b, n);
    expect_load_fails(write_tmp("trail4.bin", big, n + 4), SS_EPARSE, "trailing",
                      "byte offset 1056540");
    expect_load_fails(write_tmp("trail1.bin", big, n + 1), SS_EPARSE, "multiple of 4", NULL);
    expect_load_fails(write_tmp("trail3.bin", big, n - 1), SS_EPARSE, "multiple of 4", NULL);
    free(big);
    remove_tmpdir();
    free(b);
}
END_TEST

START_TEST(test_llama2c_rejects_inconsistent_headers_naming_the_field)
{
    size_t n;
    unsigned char *b = slurp(BIN, &n);
    unsigned char *m = malloc(n);
    make_tmpdir();
    static const struct {
        int field;
        int32_t value;
        ss_status want;
        const char *n1, *n2;
    } cases[] = {
        {0, 0, SS_ESCHEMA, "byte offset 0", "dim"},
        {0, -64, SS_ESCHEMA, "byte offset 0", "dim"},
        {1, 0, SS_ESCHEMA, "byte offset 4", "hidden_dim"},
        {2, -1, SS_ESCHEMA, "byte offset 8", "n_layers"},
        {3, 7, SS_ESCHEMA, "byte offset 0", "multiple of n_heads (7)"},
        {3, 64, SS_ESCHEMA, "byte offset 12", "even head_size"},
        {4, 0, SS_ESCHEMA, "byte offset 16", "n_kv_heads"},
        {4, 3, SS_ESCHEMA, "byte offset 16", "divisor of n_heads"},
        {4, 16, SS_ESCHEMA, "byte offset 16", "divisor of n_heads"},
        {5, INT32_MIN, SS_ESCHEMA, "byte offset 20", "INT32_MIN"},
        {5, 0, SS_ESCHEMA, "byte offset 20", "vocab_size"},
        {6, 0, SS_ESCHEMA, "byte offset 24", "seq_len"},
        {0, 1 << 30, SS_ERANGE, "byte offset 0", "dim"},
        {2, 1 << 20, SS_ERANGE, "byte offset 8", "n_layers"},
        {6, INT32_MAX, SS_ERANGE, "byte offset 24", "seq_len"},
        /* consistent but bigger: the layout no longer matches the file */
        {2, 6, SS_EPARSE, "truncated", "expected"},
        {6, 1024, SS_EPARSE, "truncated", NULL},
        {1, 100, SS_EPARSE, "trailing", NULL},
        /* separate classifier flagged, but its bytes are missing */
        {5, -512, SS_EPARSE, "truncated", "separate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memcpy(m, b, n);
        set_i32(m, 4 * (size_t)cases[i].field, cases[i].value);
        char name[32];
        snprintf(name, sizeof name, "case%zu.bin", i);
        expect_load_fails(write_tmp(name, m, n), cases[i].want, cases[i].n1, cases[i].n2);
    }
    remove_tmpdir();
    free(m);
    free(b);
}
END_TEST

START_TEST(test_llama2c_rejects_nan_and_inf_weights_at_their_offset)
{
    size_t n;
    unsigned char *b = slurp(BIN, &n);
    make_tmpdir();
    float nan = NAN, inf = -INFINITY;
    memcpy(b + 28 + 4 * 1000, &nan, 4);
    expect_load_fails(write_tmp("nan.bin", b, n), SS_ENUMERIC, "byte offset 4028", "NaN");
    memcpy(b + 28 + 4 * 1000, &inf, 4); /* the first bad value is reported */
    memcpy(b + n - 4, &nan, 4);
    expect_load_fails(write_tmp("inf.bin", b, n), SS_ENUMERIC, "byte offset 4028", "Inf");
    remove_tmpdir();
    free(b);
}
END_TEST

START_TEST(test_llama2c_rejects_directories_fifos_and_missing_files)
{
    make_tmpdir();
    expect_load_fails(tmpdir, SS_EINVAL, "regular file", "directory");
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s/fifo", tmpdir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    expect_load_fails(fifo, SS_EINVAL, "regular file", NULL); /* returns, never blocks */
    char missing[128];
    snprintf(missing, sizeof missing, "%s/missing.bin", tmpdir);
    expect_load_fails(missing, SS_ENOENT, "cannot open", NULL);
    model_net *m = (model_net *)0x1;
    char err[256];
    ck_assert_int_eq(model_llama2c_load_net(tmpdir, &m, err, sizeof err), SS_EINVAL);
    ck_assert_ptr_null(m);
    remove_tmpdir();
}
END_TEST

START_TEST(test_llama2c_separate_classifier_is_read_after_freq_cis)
{
    /* A negative vocab_size plus an explicit copy of the embedding as wcls
     * must load as unshared and give the same logits as the shared file. */
    size_t n;
    unsigned char *b = slurp(BIN, &n);
    size_t emb = 512 * 64 * 4;
    unsigned char *m = malloc(n + emb);
    memcpy(m, b, n);
    memcpy(m + n, b + 28, emb);
    set_i32(m, 20, -512);
    make_tmpdir();
    const char *path = write_tmp("unshared.bin", m, n + emb);
    char err[256] = "";
    model_llama2c *ck = NULL;
    ck_assert_int_eq(model_llama2c_load(path, &ck, err, sizeof err), SS_OK);
    ck_assert(!ck->config.shared_classifier);
    ck_assert_int_eq(ck->config.vocab_size, 512);
    ck_assert_ptr_ne(ck->weights.wcls, ck->weights.token_embedding_table);
    ck_assert_int_eq(memcmp(ck->weights.wcls, ck->weights.token_embedding_table, emb), 0);
    model_net *a = NULL, *s = load_net();
    ck_assert_int_eq(model_llama_create(&ck->config, &ck->weights, &a), SS_OK);
    model_llama2c_destroy(ck); /* the net holds its own copy */
    float x[64], y[64], la[512], ls[512];
    int32_t tok = 1;
    model_state *sa, *ss;
    ck_assert_int_eq(model_state_create(a, 0, 5, &sa), SS_OK);
    ck_assert_int_eq(model_state_create(s, 0, 5, &ss), SS_OK);
    ck_assert_int_eq(model_net_embed(a, 1, &tok, NULL, x), SS_OK);
    ck_assert_int_eq(model_net_span_forward(a, sa, 0, 5, 0, 1, x, y), SS_OK);
    ck_assert_int_eq(model_net_head(a, 1, y, la), SS_OK);
    ck_assert_int_eq(model_net_span_forward(s, ss, 0, 5, 0, 1, x, y), SS_OK);
    ck_assert_int_eq(model_net_head(s, 1, y, ls), SS_OK);
    ck_assert_int_eq(memcmp(la, ls, sizeof la), 0);
    model_state_destroy(sa);
    model_state_destroy(ss);
    model_net_destroy(a);
    model_net_destroy(s);
    remove_tmpdir();
    free(m);
    free(b);
}
END_TEST

START_TEST(test_tokenizer_and_generation_survive_every_allocation_failure)
{
    model_net *m = load_net();
    for (long k = 0;; k++) {
        ss_alloc_fail_after(k);
        model_tokenizer *t = NULL;
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        ss_status s = model_tokenizer_load(TOK, 512, &t, NULL, 0);
        if (s == SS_OK)
            s = model_generate_greedy(m, t, "Once upon", 12, f);
        ss_alloc_fail_after(-1);
        fclose(f);
        model_tokenizer_destroy(t);
        if (s == SS_OK) {
            ck_assert_int_gt(k, 8);
            ck_assert_uint_gt(len, 10);
            free(buf);
            break;
        }
        free(buf);
        ck_assert_int_eq(s, SS_ENOMEM);
        ck_assert_int_lt(k, 100);
    }
    model_net_destroy(m);
}
END_TEST

START_TEST(test_llama2c_load_survives_every_allocation_failure)
{
    for (long k = 0;; k++) {
        ss_alloc_fail_after(k);
        char err[256] = "";
        model_net *m = NULL;
        ss_status s = model_llama2c_load_net(BIN, &m, err, sizeof err);
        ss_alloc_fail_after(-1);
        if (s == SS_OK) {
            ck_assert_int_gt(k, 3);
            model_net_destroy(m);
            break;
        }
        ck_assert_int_eq(s, SS_ENOMEM);
        ck_assert_ptr_null(m);
        ck_assert_int_lt(k, 100);
    }
}
END_TEST

/* ---- tokenizer ------------------------------------------------------------------- */

START_TEST(test_tokenizer_decodes_the_reference_trace_to_the_reference_text)
{
    /* llama2.c's generate(): for each position print decode(token, next)
     * through safe_printf until BOS or the last step, then "\n". */
    static trace_row rows[300];
    int n = read_trace(rows, 300);
    ck_assert_int_eq(n, 256);
    model_tokenizer *t = load_tok();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (int i = 0; i < n; i++) {
        if (i > 0)
            ck_assert_int_eq(rows[i].tok, rows[i - 1].argmax);
        if (rows[i].argmax == 1)
            break;
        model_tokenizer_print_piece(f, model_tokenizer_decode(t, rows[i].tok, rows[i].argmax));
    }
    fputc('\n', f);
    fclose(f);
    size_t rn;
    unsigned char *ref = slurp_ref(&rn);
    ck_assert_uint_eq(len, rn);
    ck_assert_int_eq(memcmp(buf, ref, rn), 0);
    free(ref);
    free(buf);
    model_tokenizer_destroy(t);
}
END_TEST

static void expect_encode(const model_tokenizer *t, const char *text, bool bos, bool eos,
                          const int32_t *want, int n_want)
{
    int32_t toks[64];
    int n = -1;
    ck_assert_uint_le(model_tokenizer_max_tokens(text), 64);
    ck_assert_int_eq(model_tokenizer_encode(t, text, bos, eos, toks, 64, &n), SS_OK);
    ck_assert_msg(n == n_want, "'%s': %d tokens, want %d", text, n, n_want);
    for (int i = 0; i < n; i++)
        ck_assert_msg(toks[i] == want[i], "'%s': token %d is %d, want %d", text, i, toks[i],
                      want[i]);
}

START_TEST(test_tokenizer_encodes_hand_checked_strings)
{
    model_tokenizer *t = load_tok();
    ck_assert_int_eq(model_tokenizer_lookup(t, " "), 410);
    ck_assert_int_eq(model_tokenizer_lookup(t, " the"), 265);
    ck_assert_int_eq(model_tokenizer_lookup(t, "not a token"), -1);
    /* Empty text: no dummy prefix. */
    expect_encode(t, "", true, false, (const int32_t[]){1}, 1);
    expect_encode(t, "", false, false, NULL, 0);
    expect_encode(t, "", true, true, (const int32_t[]){1, 2}, 2);
    /* "the": ' '410 t413 h415 e411; best merge " t"259 (score -0 beats "he"
     * -1), then "he"260 (-1 beats " th" -49), then " the"265 (-6). */
    expect_encode(t, "the", true, false, (const int32_t[]){1, 265}, 2);
    /* "Hi!": ' ' H440 i417 !443; only " H"320 exists ("Hi", "i!", " Hi" don't). */
    expect_encode(t, "Hi!", false, false, (const int32_t[]){320, 417, 443}, 3);
    /* "a\tb": " a"261; tab has no token: byte fallback 0x09+3 = 12; b430. */
    expect_encode(t, "a\tb", false, false, (const int32_t[]){261, 12, 430}, 3);
    /* control byte 0x01 -> <0x01> = 4 */
    expect_encode(t, "\x01", false, false, (const int32_t[]){410, 4}, 2);
    /* "é" (C3 A9) is one code point in the vocabulary (485); " é" is not. */
    expect_encode(t, "\xc3\xa9", false, false, (const int32_t[]){410, 485}, 2);
    /* "ü" (C3 BC) is not: two byte tokens 0xC3+3=198, 0xBC+3=191. */
    expect_encode(t, "\xc3\xbc", false, false, (const int32_t[]){410, 198, 191}, 3);
    /* a 4-byte emoji F0 9F 98 80 -> 243 162 155 131 */
    expect_encode(t, "\xf0\x9f\x98\x80", false, false,
                  (const int32_t[]){410, 243, 162, 155, 131}, 5);
    /* a stray continuation byte 0x80 stands alone (131), then "a" (412) */
    expect_encode(t, "\x80" "a", false, false, (const int32_t[]){410, 131, 412}, 3);
    /* "€" (E2 82 AC) is token 503 */
    expect_encode(t, "\xe2\x82\xac", false, false, (const int32_t[]){410, 503}, 2);
    /* the reference run's own first tokens (trace POS 0-4) */
    expect_encode(t, "Once upon a time", true, false,
                  (const int32_t[]){1, 403, 407, 261, 378}, 5);
    int32_t small[4];
    int n;
    ck_assert_int_eq(model_tokenizer_encode(t, "the", true, false, small, 5, &n), SS_EINVAL);
    model_tokenizer_destroy(t);
}
END_TEST

START_TEST(test_tokenizer_decode_strips_space_after_bos_and_maps_byte_tokens)
{
    model_tokenizer *t = load_tok();
    ck_assert_str_eq(model_tokenizer_decode(t, 1, 403), "Once");
    ck_assert_str_eq(model_tokenizer_decode(t, 403, 407), " upon");
    ck_assert_str_eq(model_tokenizer_decode(t, 5, 0x41 + 3), "A");
    ck_assert_str_eq(model_tokenizer_decode(t, 5, 0x0A + 3), "\n");
    ck_assert_str_eq(model_tokenizer_decode(t, 5, 0xE2 + 3), "\xe2");
    ck_assert_ptr_null(model_tokenizer_decode(t, 5, 512));
    ck_assert_ptr_null(model_tokenizer_decode(t, 5, -1));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    /* safe_printf drops lone unprintable bytes, keeps whitespace */
    ck_assert_uint_eq(model_tokenizer_print_piece(f, "\x01"), 0);
    ck_assert_uint_eq(model_tokenizer_print_piece(f, "\xe2"), 0);
    ck_assert_uint_eq(model_tokenizer_print_piece(f, ""), 0);
    ck_assert_uint_eq(model_tokenizer_print_piece(f, NULL), 0);
    ck_assert_uint_eq(model_tokenizer_print_piece(f, "\n"), 1);
    ck_assert_uint_eq(model_tokenizer_print_piece(f, "\xc3\xa9"), 2);
    fclose(f);
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(memcmp(buf, "\n\xc3\xa9", 3), 0);
    free(buf);
    model_tokenizer_destroy(t);
}
END_TEST

static void expect_tok_fails(const char *path, int vocab, ss_status want, const char *n1,
                             const char *n2)
{
    char err[512] = "";
    model_tokenizer *t = (model_tokenizer *)0x1;
    ss_status s = model_tokenizer_load(path, vocab, &t, err, sizeof err);
    ck_assert_msg(s == want, "%s: got %s (%s)", path, ss_status_name(s), err);
    ck_assert_ptr_null(t);
    ck_assert_msg(strstr(err, n1) != NULL, "'%s' lacks '%s'", err, n1);
    if (n2)
        ck_assert_msg(strstr(err, n2) != NULL, "'%s' lacks '%s'", err, n2);
}

START_TEST(test_tokenizer_rejects_bad_files_with_offsets)
{
    size_t n;
    unsigned char *b = slurp(TOK, &n);
    unsigned char *m = malloc(n + 8);
    make_tmpdir();
    /* K01 */
    memcpy(m, b, n);
    set_i32(m, 0, 0);
    expect_tok_fails(write_tmp("k01a", m, n), 512, SS_EPARSE, "byte offset 0",
                     "max_token_length");
    set_i32(m, 0, INT_MAX);
    expect_tok_fails(write_tmp("k01b", m, n), 512, SS_EPARSE, "byte offset 0", "2147483647");
    /* K02: token 0's len is at byte 8; -1, 0, INT_MAX, > max_token_length (7) */
    int32_t lens[] = {-1, 0, INT_MAX, 8};
    for (int i = 0; i < 4; i++) {
        memcpy(m, b, n);
        set_i32(m, 8, lens[i]);
        expect_tok_fails(write_tmp("k02", m, n), 512, SS_EPARSE, "byte offset 8", "token 0");
    }
    /* K02: the last token's bytes run past the end of the file */
    expect_tok_fails(write_tmp("k02cut", b, n - 1), 512, SS_EPARSE, "token 511", "end of file");
    /* K03: the model wants 513 tokens, the file has 512 */
    expect_tok_fails(TOK, 513, SS_EPARSE, "expected 513 tokens", "got 512");
    /* trailing bytes: the model wants fewer tokens than the file holds */
    expect_tok_fails(TOK, 500, SS_EPARSE, "expected end of file", NULL);
    /* K04: NaN score of token 1 (after token 0: 4 + 8 + 5 bytes) */
    memcpy(m, b, n);
    float nan = NAN;
    memcpy(m + 17, &nan, 4);
    expect_tok_fails(write_tmp("k04", m, n), 512, SS_ENUMERIC, "byte offset 17", "token 1");
    /* NUL inside a token */
    memcpy(m, b, n);
    m[12] = 0;
    expect_tok_fails(write_tmp("nul", m, n), 512, SS_EPARSE, "byte offset 12", "NUL");
    expect_tok_fails(write_tmp("short", b, 3), 512, SS_EPARSE, "byte offset 0", NULL);
    expect_tok_fails(tmpdir, 512, SS_EINVAL, "regular file", NULL);
    remove_tmpdir();
    free(m);
    free(b);
}
END_TEST

START_TEST(test_tokenizer_from_arrays_resolves_duplicates_to_the_lowest_id)
{
    const char *pieces[] = {"<unk>", "<s>", "</s>", "x", "y", "xy", "xy", " "};
    uint64_t lens[] = {5, 3, 4, 1, 1, 2, 2, 1};
    float scores[] = {0, 0, 0, -5, -5, -1, 3, -9};
    model_tokenizer *t = NULL;
    char err[128];
    ck_assert_int_eq(model_tokenizer_create(8, pieces, lens, scores, &t, err, sizeof err), SS_OK);
    ck_assert_int_eq(model_tokenizer_lookup(t, "xy"), 5);
    /* " " x y -> merge "xy" (lookup gives id 5, score -1) */
    expect_encode(t, "xy", false, false, (const int32_t[]){7, 5}, 2);
    /* 'z' needs byte fallback 'z'+3 = 125, beyond this 8-token vocabulary */
    int32_t toks[8];
    int n;
    ck_assert_int_eq(model_tokenizer_encode(t, "z", false, false, toks, 8, &n), SS_ENOTFOUND);
    model_tokenizer_destroy(t);
    float bad[] = {0, 0, 0, NAN, 0, 0, 0, 0};
    ck_assert_int_eq(model_tokenizer_create(8, pieces, lens, bad, &t, err, sizeof err),
                     SS_ENUMERIC);
    ck_assert_ptr_null(t);
    ck_assert_ptr_nonnull(strstr(err, "token 3"));
    model_tokenizer_destroy(NULL);
}
END_TEST

/* llama2.c merges the best-scored pair, the leftmost among equals (its
 * loop keeps the first with "> best_score"). " aba" (dummy prefix) with
 * "ab" and "ba" both scored -1: the pairs are (" ", a), (a, b) = ab, (b, a)
 * = ba; ab comes first, so [" ", ab, a]; then neither " ab" nor "aba" is in
 * the vocabulary. Taking the last of equals would give [" ", a, ba]. */
START_TEST(test_tokenizer_merges_the_leftmost_of_equally_scored_pairs)
{
    const char *pieces[] = {"<unk>", "<s>", "</s>", " ", "a", "b", "ab", "ba"};
    uint64_t lens[] = {5, 3, 4, 1, 1, 1, 2, 2};
    float scores[] = {0, 0, 0, -9, -5, -5, -1, -1};
    model_tokenizer *t = NULL;
    char err[128];
    ck_assert_int_eq(model_tokenizer_create(8, pieces, lens, scores, &t, err, sizeof err), SS_OK);
    expect_encode(t, "aba", false, false, (const int32_t[]){3, 6, 4}, 3);
    expect_encode(t, "bab", false, false, (const int32_t[]){3, 7, 5}, 3);
    model_tokenizer_destroy(t);
}
END_TEST

/* Issue 16: a 1-entry vocabulary (and a checkpoint to match) made encode put
 * BOS (id 1) in the list unchecked, and the merge loop read past both 1-entry
 * arrays. Vocabularies without <unk>, <s>, </s> are refused at load. */
START_TEST(test_tokenizer_refuses_vocabularies_smaller_than_the_special_tokens)
{
    make_tmpdir();
    /* max_token_length 5, then (score 0, len 5, "<unk>") and (0, 3, "<s>") */
    unsigned char f[4 + 2 * 8 + 8];
    size_t n = 0;
    set_i32(f, 0, 5), n = 4;
    set_i32(f, 4, 0), set_i32(f, 8, 5), memcpy(f + 12, "<unk>", 5), n = 17;
    set_i32(f, 17, 0), set_i32(f, 21, 3), memcpy(f + 25, "<s>", 3), n = 28;
    for (int vocab = 1; vocab <= 2; vocab++) {
        const char *path = write_tmp("tiny", f, vocab == 1 ? 17 : n);
        expect_tok_fails(path, vocab, SS_EINVAL, "at least 3 tokens", "(<unk>, <s>, </s>)");
    }
    const char *pieces[] = {"<unk>", "<s>"};
    uint64_t lens[] = {5, 3};
    float scores[] = {0, 0};
    model_tokenizer *t = (model_tokenizer *)0x1;
    char err[256] = "";
    for (int vocab = 1; vocab <= 2; vocab++) {
        ck_assert_int_eq(model_tokenizer_create(vocab, pieces, lens, scores, &t, err, sizeof err),
                         SS_EINVAL);
        ck_assert_ptr_null(t);
        ck_assert_ptr_nonnull(strstr(err, "at least 3 tokens"));
    }
    remove_tmpdir();
}
END_TEST

/* ---- forward ---------------------------------------------------------------------- */

/* Runs the trace through spans split at the bits of `cuts` (bit b set: a cut
 * before layer b+1), one token at a time, checking every position. */
static void check_trace_with_cuts(model_net *m, const trace_row *rows, int n, unsigned cuts)
{
    int bounds[6], nb = 0;
    bounds[nb++] = 0;
    for (int b = 0; b < 4; b++)
        if (cuts & (1u << b))
            bounds[nb++] = b + 1;
    bounds[nb++] = 5;
    int n_spans = nb - 1;
    model_state *st[5];
    for (int s = 0; s < n_spans; s++)
        ck_assert_int_eq(model_state_create(m, bounds[s], bounds[s + 1], &st[s]), SS_OK);
    float a[64], b[64], logits[512];
    for (int p = 0; p < n; p++) {
        int32_t tok = rows[p].tok;
        ck_assert_int_eq(model_net_embed(m, 1, &tok, NULL, a), SS_OK);
        for (int s = 0; s < n_spans; s++) {
            ck_assert_int_eq(
                model_net_span_forward(m, st[s], bounds[s], bounds[s + 1], p, 1, a, b), SS_OK);
            memcpy(a, b, sizeof a);
        }
        ck_assert_int_eq(model_net_head(m, 1, a, logits), SS_OK);
        int am = model_logits_argmax(logits, 512);
        ck_assert_msg(am == rows[p].argmax, "cuts %u pos %d: argmax %d want %d", cuts, p, am,
                      rows[p].argmax);
        ck_assert_double_eq_tol(logits[am], rows[p].maxlogit, 1e-4);
        ck_assert_double_eq_tol(logits[0], rows[p].l0, 1e-4);
        ck_assert_double_eq_tol(logits[1], rows[p].l1, 1e-4);
        ck_assert_double_eq_tol(logits[2], rows[p].l2, 1e-4);
    }
    for (int s = 0; s < n_spans; s++) {
        ck_assert_uint_eq(model_state_bytes(st[s]),
                          (uint64_t)n * (bounds[s + 1] - bounds[s]) * 2 * 32 * 4);
        model_state_destroy(st[s]);
    }
}

START_TEST(test_forward_matches_the_reference_trace_on_one_span)
{
    static trace_row rows[300];
    int n = read_trace(rows, 300);
    model_net *m = load_net();
    check_trace_with_cuts(m, rows, n, 0);
    model_net_destroy(m);
}
END_TEST

START_TEST(test_forward_matches_the_reference_trace_for_every_contiguous_split)
{
    static trace_row rows[300];
    int n = read_trace(rows, 300);
    model_net *m = load_net();
    for (unsigned cuts = 1; cuts < 16; cuts++)
        check_trace_with_cuts(m, rows, n, cuts);
    model_net_destroy(m);
}
END_TEST

/* Prefill of the prompt in chunks (one sgemm pass per chunk) vs the same
 * tokens one by one: logits of every position and the greedy continuation. */
static void check_prefill(model_net *m, const int32_t *toks, int n, const int *chunks,
                          int n_chunks, int first_cut)
{
    int V = 512, D = 64;
    float *x = malloc(sizeof(float) * (size_t)n * D), *y = malloc(sizeof(float) * (size_t)n * D);
    float *lp = malloc(sizeof(float) * (size_t)n * V), *ls = malloc(sizeof(float) * V);
    model_state *p1, *p2, *s1;
    ck_assert_int_eq(model_state_create(m, 0, first_cut, &p1), SS_OK);
    ck_assert_int_eq(model_state_create(m, first_cut, 5, &p2), SS_OK);
    ck_assert_int_eq(model_state_create(m, 0, 5, &s1), SS_OK);
    int at = 0;
    for (int c = 0; c < n_chunks; c++) {
        int k = chunks[c];
        ck_assert_int_eq(model_net_embed(m, k, toks + at, NULL, x), SS_OK);
        ck_assert_int_eq(model_net_span_forward(m, p1, 0, first_cut, at, k, x, y), SS_OK);
        ck_assert_int_eq(model_net_span_forward(m, p2, first_cut, 5, at, k, y, x), SS_OK);
        ck_assert_int_eq(model_net_head(m, k, x, lp + (size_t)at * V), SS_OK);
        at += k;
    }
    ck_assert_int_eq(at, n);
    for (int p = 0; p < n; p++) {
        ck_assert_int_eq(model_net_embed(m, 1, toks + p, NULL, x), SS_OK);
        ck_assert_int_eq(model_net_span_forward(m, s1, 0, 5, p, 1, x, y), SS_OK);
        ck_assert_int_eq(model_net_head(m, 1, y, ls), SS_OK);
        for (int v = 0; v < V; v++)
            ck_assert_double_eq_tol(lp[(size_t)p * V + v], ls[v], 1e-4);
        ck_assert_int_eq(model_logits_argmax(lp + (size_t)p * V, V), model_logits_argmax(ls, V));
    }
    /* continue greedily from both caches: the same 20 tokens */
    int32_t ta = model_logits_argmax(lp + (size_t)(n - 1) * V, V), tb = ta;
    for (int p = n; p < n + 20; p++) {
        ck_assert_int_eq(model_net_embed(m, 1, &ta, NULL, x), SS_OK);
        ck_assert_int_eq(model_net_span_forward(m, p1, 0, first_cut, p, 1, x, y), SS_OK);
        ck_assert_int_eq(model_net_span_forward(m, p2, first_cut, 5, p, 1, y, x), SS_OK);
        ck_assert_int_eq(model_net_head(m, 1, x, lp), SS_OK);
        ta = model_logits_argmax(lp, V);
        ck_assert_int_eq(model_net_embed(m, 1, &tb, NULL, x), SS_OK);
        ck_assert_int_eq(model_net_span_forward(m, s1, 0, 5, p, 1, x, y), SS_OK);
        ck_assert_int_eq(model_net_head(m, 1, y, ls), SS_OK);
        tb = model_logits_argmax(ls, V);
        ck_assert_int_eq(ta, tb);
    }
    model_state_destroy(p1);
    model_state_destroy(p2);
    model_state_destroy(s1);
    free(x);
    free(y);
    free(lp);
    free(ls);
}

START_TEST(test_prefill_with_sgemm_matches_token_by_token)
{
    model_net *m = load_net();
    model_tokenizer *t = load_tok();
    const char *prompt = "Lily and Ben went to the park. They saw a big dog with a red ball.";
    int32_t toks[128];
    int n;
    ck_assert_int_eq(model_tokenizer_encode(t, prompt, true, false, toks, 128, &n), SS_OK);
    ck_assert_int_gt(n, 12);
    int whole[] = {n};
    check_prefill(m, toks, n, whole, 1, 2);
    int parts[] = {5, 1, n - 6};
    check_prefill(m, toks, n, parts, 3, 4);
    model_tokenizer_destroy(t);
    model_net_destroy(m);
}
END_TEST

START_TEST(test_forward_rejects_bad_tokens_positions_and_spans)
{
    model_net *m = load_net();
    model_state *st, *other;
    ck_assert_int_eq(model_state_create(m, 1, 3, &st), SS_OK);
    ck_assert_int_eq(model_state_create(m, 0, 5, &other), SS_OK);
    float x[2 * 64], y[2 * 64];
    int32_t bad[] = {3, 512};
    ck_assert_int_eq(model_net_embed(m, 2, bad, NULL, x), SS_ERANGE);
    bad[1] = -1;
    ck_assert_int_eq(model_net_embed(m, 2, bad, NULL, x), SS_ERANGE);
    bad[1] = 4;
    ck_assert_int_eq(model_net_embed(m, 2, bad, NULL, x), SS_OK);
    /* position 1 before position 0 was cached: a hole in the KV cache */
    ck_assert_int_eq(model_net_span_forward(m, st, 1, 3, 1, 1, x, y), SS_EINVAL);
    ck_assert_int_eq(model_net_span_forward(m, other, 1, 3, 0, 1, x, y), SS_EINVAL);
    ck_assert_int_eq(model_net_span_forward(m, NULL, 1, 3, 0, 1, x, y), SS_EINVAL);
    ck_assert_int_eq(model_net_span_forward(m, st, 1, 3, 0, 2, x, y), SS_OK);
    ck_assert_uint_eq(model_state_bytes(st), 2u * 2 * 2 * 32 * 4);
    ck_assert_int_eq(model_net_span_forward(m, st, 1, 3, 511, 2, x, y), SS_ERANGE);
    /* rewinding to position 1 keeps [0, 2) cached, not more */
    ck_assert_int_eq(model_net_span_forward(m, st, 1, 3, 2, 1, x, y), SS_OK);
    ck_assert_uint_eq(model_state_bytes(st), 3u * 2 * 2 * 32 * 4);
    ck_assert_int_eq(model_net_span_forward(m, st, 1, 3, 1, 1, x, y), SS_OK);
    ck_assert_uint_eq(model_state_bytes(st), 2u * 2 * 2 * 32 * 4);
    ck_assert_int_eq(model_net_span_forward(m, st, 1, 3, 3, 1, x, y), SS_EINVAL);
    model_state_reset(st);
    ck_assert_uint_eq(model_state_bytes(st), 0);
    ck_assert_int_eq(model_net_span_forward(m, st, 1, 3, 1, 1, x, y), SS_EINVAL);
    model_state_destroy(st);
    model_state_destroy(other);
    model_state_destroy(NULL);
    model_net_destroy(m);
    model_net_destroy(NULL);
}
END_TEST

START_TEST(test_block_descriptors_count_params_flops_and_kv)
{
    model_net *m = load_net();
    ck_assert_str_eq(model_net_kind(m), "llama");
    ck_assert_int_eq(model_net_n_blocks(m), 5);
    ck_assert_uint_eq(model_net_n_outputs(m), 512);
    ck_assert_uint_eq(model_net_raw_in_elems(m), 0);
    ck_assert_int_eq(model_net_seq_len(m), 512);
    uint64_t sum = 0;
    for (int l = 0; l < 5; l++) {
        const model_block_desc *d = model_net_block(m, l);
        /* wq 64x64, wk/wv 32x64, wo 64x64, w1/w3 172x64, w2 64x172 = 45312;
         * plus two 64-wide norms */
        ck_assert_uint_eq(d->n_params, 45312 + 128);
        ck_assert_double_eq(d->flops_per_item, 2.0 * 45312);
        ck_assert_double_eq(d->attn_flops_per_ctx, 4.0 * 64);
        ck_assert_uint_eq(d->kv_elems_per_item, 2 * 4 * 8);
        ck_assert_uint_eq(d->act_in_elems, 64);
        ck_assert_uint_eq(d->act_out_elems, 64);
        sum += d->n_params;
    }
    /* the file's floats minus freq_cis (2 * 512 * 4): embedding + blocks + final norm */
    const model_llama_config *c = model_llama_net_config(m);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(model_llama_total_params(c), 264128 - 4096);
    ck_assert_uint_eq(sum + 512 * 64 + 64, 264128 - 4096);
    model_net_destroy(m);
}
END_TEST

/* A naive llama2.c-style single-token forward (the test's own twin) for a
 * synthetic model large enough to take the BLAS kernels: head_size 32,
 * GQA 4:2, separate classifier. */
typedef struct twin {
    model_llama_config c;
    float *w; /* every tensor, llama2.c order */
    model_llama_weights lw;
    float *kc, *vc; /* (layers, seq, kv_dim) */
} twin;

static float lcg(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return ((float)(*s >> 8) / 16777216.0f - 0.5f) * 0.25f;
}

static void twin_init(twin *T)
{
    T->c = (model_llama_config){.dim = 128, .hidden_dim = 256, .n_layers = 2, .n_heads = 4,
                                .n_kv_heads = 2, .vocab_size = 300, .seq_len = 40,
                                .shared_classifier = false};
    int d = 128, h = 256, L = 2, kv = 64, V = 300;
    size_t n = (size_t)V * d * 2 + (size_t)L * (2 * d + d * d * 2 + d * kv * 2 + 3 * d * h) + d;
    T->w = malloc(n * sizeof(float));
    unsigned s = 12345;
    for (size_t i = 0; i < n; i++)
        T->w[i] = lcg(&s);
    float *p = T->w;
    T->lw.token_embedding_table = p; p += V * d;
    T->lw.rms_att_weight = p; for (int i = 0; i < L * d; i++) p[i] += 1.0f; p += L * d;
    T->lw.wq = p; p += L * d * d;
    T->lw.wk = p; p += L * d * kv;
    T->lw.wv = p; p += L * d * kv;
    T->lw.wo = p; p += L * d * d;
    T->lw.rms_ffn_weight = p; for (int i = 0; i < L * d; i++) p[i] += 1.0f; p += L * d;
    T->lw.w1 = p; p += L * d * h;
    T->lw.w2 = p; p += L * d * h;
    T->lw.w3 = p; p += L * d * h;
    T->lw.rms_final_weight = p; p += d;
    T->lw.wcls = p; p += V * d;
    ck_assert_ptr_eq(p, T->w + n);
    T->kc = calloc((size_t)L * 40 * kv, sizeof(float));
    T->vc = calloc((size_t)L * 40 * kv, sizeof(float));
}

static void twin_fini(twin *T)
{
    free(T->w);
    free(T->kc);
    free(T->vc);
}

static void naive_mv(float *y, const float *x, const float *w, int n, int d)
{
    for (int i = 0; i < d; i++) {
        float v = 0.0f;
        for (int j = 0; j < n; j++)
            v += w[(size_t)i * n + j] * x[j];
        y[i] = v;
    }
}

static void naive_norm(float *o, const float *x, const float *w, int n)
{
    float ss = 0.0f;
    for (int j = 0; j < n; j++)
        ss += x[j] * x[j];
    ss = 1.0f / sqrtf(ss / n + 1e-5f);
    for (int j = 0; j < n; j++)
        o[j] = w[j] * (ss * x[j]);
}

static void twin_forward(twin *T, int token, int pos, float *logits)
{
    const model_llama_config *c = &T->c;
    int d = c->dim, hd = c->hidden_dim, hs = d / c->n_heads, kv = hs * c->n_kv_heads;
    float x[128], xb[128], q[128], att[40], hb[256], hb2[256], t2[128];
    memcpy(x, T->lw.token_embedding_table + (size_t)token * d, sizeof x);
    for (int l = 0; l < c->n_layers; l++) {
        naive_norm(xb, x, T->lw.rms_att_weight + l * d, d);
        float *k = T->kc + ((size_t)l * c->seq_len + pos) * kv;
        float *v = T->vc + ((size_t)l * c->seq_len + pos) * kv;
        naive_mv(q, xb, T->lw.wq + (size_t)l * d * d, d, d);
        naive_mv(k, xb, T->lw.wk + (size_t)l * d * kv, d, kv);
        naive_mv(v, xb, T->lw.wv + (size_t)l * d * kv, d, kv);
        for (int i = 0; i < d; i += 2) {
            float freq = 1.0f / powf(10000.0f, (float)(i % hs) / (float)hs);
            float fr = cosf(pos * freq), fi = sinf(pos * freq);
            float a = q[i], b = q[i + 1];
            q[i] = a * fr - b * fi;
            q[i + 1] = a * fi + b * fr;
            if (i < kv) {
                a = k[i];
                b = k[i + 1];
                k[i] = a * fr - b * fi;
                k[i + 1] = a * fi + b * fr;
            }
        }
        for (int h = 0; h < c->n_heads; h++) {
            int g = h / (c->n_heads / c->n_kv_heads);
            float mx = -INFINITY, sum = 0.0f;
            for (int t = 0; t <= pos; t++) {
                const float *kt = T->kc + ((size_t)l * c->seq_len + t) * kv + g * hs;
                float s = 0.0f;
                for (int i = 0; i < hs; i++)
                    s += q[h * hs + i] * kt[i];
                att[t] = s / sqrtf((float)hs);
                mx = fmaxf(mx, att[t]);
            }
            for (int t = 0; t <= pos; t++)
                sum += (att[t] = expf(att[t] - mx));
            for (int i = 0; i < hs; i++) {
                float o = 0.0f;
                for (int t = 0; t <= pos; t++)
                    o += att[t] / sum * T->vc[((size_t)l * c->seq_len + t) * kv + g * hs + i];
                xb[h * hs + i] = o;
            }
        }
        naive_mv(t2, xb, T->lw.wo + (size_t)l * d * d, d, d);
        for (int i = 0; i < d; i++)
            x[i] += t2[i];
        naive_norm(xb, x, T->lw.rms_ffn_weight + l * d, d);
        naive_mv(hb, xb, T->lw.w1 + (size_t)l * d * hd, d, hd);
        naive_mv(hb2, xb, T->lw.w3 + (size_t)l * d * hd, d, hd);
        for (int i = 0; i < hd; i++)
            hb[i] = hb[i] / (1.0f + expf(-hb[i])) * hb2[i];
        naive_mv(t2, hb, T->lw.w2 + (size_t)l * d * hd, hd, d);
        for (int i = 0; i < d; i++)
            x[i] += t2[i];
    }
    naive_norm(xb, x, T->lw.rms_final_weight, d);
    naive_mv(logits, xb, T->lw.wcls, d, c->vocab_size);
}

START_TEST(test_blas_kernels_match_a_naive_twin_with_wide_heads)
{
    twin T;
    twin_init(&T);
    model_net *m = NULL;
    ck_assert_int_eq(model_llama_create(&T.c, &T.lw, &m), SS_OK);
    int n = 30;
    int32_t toks[30];
    for (int i = 0; i < n; i++)
        toks[i] = (i * 37 + 11) % 300;
    float *ref = malloc(sizeof(float) * 300 * (size_t)n);
    for (int p = 0; p < n; p++)
        twin_forward(&T, toks[p], p, ref + (size_t)p * 300);
    twin_fini(&T); /* the net owns a copy of the weights */
    /* decode, 1 token at a time, two spans */
    model_state *a, *b, *c;
    ck_assert_int_eq(model_state_create(m, 0, 1, &a), SS_OK);
    ck_assert_int_eq(model_state_create(m, 1, 2, &b), SS_OK);
    ck_assert_int_eq(model_state_create(m, 0, 2, &c), SS_OK);
    float x[30 * 128], y[30 * 128], lg[30 * 300];
    for (int p = 0; p < n; p++) {
        ck_assert_int_eq(model_net_embed(m, 1, toks + p, NULL, x), SS_OK);
        ck_assert_int_eq(model_net_span_forward(m, a, 0, 1, p, 1, x, y), SS_OK);
        ck_assert_int_eq(model_net_span_forward(m, b, 1, 2, p, 1, y, x), SS_OK);
        ck_assert_int_eq(model_net_head(m, 1, x, lg), SS_OK);
        for (int v = 0; v < 300; v++)
            ck_assert_double_eq_tol(lg[v], ref[(size_t)p * 300 + v], 1e-4);
    }
    /* prefill: 7 rows, then the remaining 23 in one chunk */
    ck_assert_int_eq(model_net_embed(m, n, toks, NULL, x), SS_OK);
    ck_assert_int_eq(model_net_span_forward(m, c, 0, 2, 0, 7, x, y), SS_OK);
    ck_assert_int_eq(model_net_span_forward(m, c, 0, 2, 7, n - 7, x + 7 * 128, y + 7 * 128),
                     SS_OK);
    ck_assert_int_eq(model_net_head(m, n, y, lg), SS_OK);
    for (size_t i = 0; i < (size_t)n * 300; i++)
        ck_assert_double_eq_tol(lg[i], ref[i], 1e-4);
    model_state_destroy(a);
    model_state_destroy(b);
    model_state_destroy(c);
    model_net_destroy(m);
    free(ref);
}
END_TEST

START_TEST(test_create_rejects_bad_configs)
{
    model_llama_config c = {.dim = 64, .hidden_dim = 8, .n_layers = 1, .n_heads = 8,
                            .n_kv_heads = 4, .vocab_size = 4, .seq_len = 4,
                            .shared_classifier = true};
    char err[128];
    ck_assert_int_eq(model_llama_config_check(&c, err, sizeof err), SS_OK);
    c.n_kv_heads = 3;
    ck_assert_int_eq(model_llama_config_check(&c, err, sizeof err), SS_ESCHEMA);
    ck_assert_str_eq(err, "n_kv_heads: expected a divisor of n_heads (8), got 3");
    model_llama_weights w = {0};
    model_net *m = (model_net *)0x1;
    ck_assert_int_eq(model_llama_create(&c, &w, &m), SS_EINVAL);
    ck_assert_ptr_null(m);
    c.n_kv_heads = 4;
    ck_assert_int_eq(model_llama_create(&c, &w, &m), SS_EINVAL); /* NULL tensors */
    ck_assert_ptr_null(model_llama_net_config(NULL));
}
END_TEST

/* The GGUF copy of stories260K, read by model_gguf and packed into a
 * model_llama_weights (per-layer tensors concatenated in llama2.c order),
 * must give the same net: same logits at every trace position. */
static float *gguf_stack(const model_gguf *g, const char *fmt, int n_layers, uint64_t per_layer)
{
    float *out = malloc(sizeof(float) * per_layer * (size_t)(n_layers ? n_layers : 1));
    for (int l = 0; l < (n_layers ? n_layers : 1); l++) {
        char name[64], err[256] = "";
        snprintf(name, sizeof name, fmt, l);
        const model_gguf_tensor *t = model_gguf_find_tensor(g, name);
        ck_assert_msg(t != NULL, "%s missing", name);
        ck_assert_int_eq(model_gguf_tensor_f32(t, out + (size_t)l * per_layer, per_layer, err,
                                               sizeof err), SS_OK);
    }
    return out;
}

START_TEST(test_gguf_weights_build_the_same_transformer)
{
    char err[256] = "";
    model_gguf *g = NULL;
    ck_assert_msg(model_gguf_open(SS_ASSET("stories260K/stories260K.gguf"), &g, err,
                                  sizeof err) == SS_OK, "%s", err);
    model_llama_config c = {.dim = 64, .hidden_dim = 172, .n_layers = 5, .n_heads = 8,
                            .n_kv_heads = 4, .vocab_size = 512, .seq_len = 512,
                            .shared_classifier = false};
    float *t[12];
    t[0] = gguf_stack(g, "token_embd.weight", 0, 512 * 64);
    t[1] = gguf_stack(g, "blk.%d.attn_norm.weight", 5, 64);
    t[2] = gguf_stack(g, "blk.%d.attn_q.weight", 5, 64 * 64);
    t[3] = gguf_stack(g, "blk.%d.attn_k.weight", 5, 32 * 64);
    t[4] = gguf_stack(g, "blk.%d.attn_v.weight", 5, 32 * 64);
    t[5] = gguf_stack(g, "blk.%d.attn_output.weight", 5, 64 * 64);
    t[6] = gguf_stack(g, "blk.%d.ffn_norm.weight", 5, 64);
    t[7] = gguf_stack(g, "blk.%d.ffn_gate.weight", 5, 172 * 64);
    t[8] = gguf_stack(g, "blk.%d.ffn_down.weight", 5, 172 * 64);
    t[9] = gguf_stack(g, "blk.%d.ffn_up.weight", 5, 172 * 64);
    t[10] = gguf_stack(g, "output_norm.weight", 0, 64);
    t[11] = gguf_stack(g, "output.weight", 0, 512 * 64);
    model_gguf_close(g);
    model_llama_weights w = {
        .token_embedding_table = t[0], .rms_att_weight = t[1], .wq = t[2], .wk = t[3],
        .wv = t[4], .wo = t[5], .rms_ffn_weight = t[6], .w1 = t[7], .w2 = t[8], .w3 = t[9],
        .rms_final_weight = t[10], .wcls = t[11]};
    model_net *m = NULL;
    ck_assert_int_eq(model_llama_create(&c, &w, &m), SS_OK);
    for (int i = 0; i < 12; i++)
        free(t[i]);
    static trace_row rows[300];
    int n = read_trace(rows, 300);
    check_trace_with_cuts(m, rows, n, 0x5);
    model_net_destroy(m);
}
END_TEST

/* ---- generation ------------------------------------------------------------------ */

static char *generate(const model_net *m, const model_tokenizer *t, const char *prompt,
                      int steps, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    ck_assert_int_eq(model_generate_greedy(m, t, prompt, steps, f), SS_OK);
    fclose(f);
    return buf;
}

START_TEST(test_generate_greedy_without_prompt_reproduces_the_reference_text)
{
    model_net *m = load_net();
    model_tokenizer *t = load_tok();
    size_t len, rn;
    char *out = generate(m, t, NULL, 256, &len);
    unsigned char *ref = slurp_ref(&rn);
    ck_assert_uint_eq(len, rn);
    ck_assert_int_eq(memcmp(out, ref, rn), 0);
    free(out);
    /* "" is the same as no prompt */
    out = generate(m, t, "", 256, &len);
    ck_assert_uint_eq(len, rn);
    ck_assert_int_eq(memcmp(out, ref, rn), 0);
    free(out);
    free(ref);
    model_tokenizer_destroy(t);
    model_net_destroy(m);
}
END_TEST

START_TEST(test_generate_greedy_with_the_reference_prefix_as_prompt_continues_identically)
{
    /* "Once upon a time" encodes to the reference run's first tokens, so a
     * prefilled prompt must print the very same text. */
    model_net *m = load_net();
    model_tokenizer *t = load_tok();
    size_t len, rn;
    char *out = generate(m, t, "Once upon a time", 256, &len);
    unsigned char *ref = slurp_ref(&rn);
    ck_assert_uint_eq(len, rn);
    ck_assert_int_eq(memcmp(out, ref, rn), 0);
    free(out);
    /* steps counts prompt positions: 3 steps print 3 pieces of the prompt */
    out = generate(m, t, "Once upon a time", 3, &len);
    ck_assert_str_eq(out, "Once upon a\n");
    free(out);
    /* 7 steps: the 4 forced pieces, then 3 generated ones: the first 7
     * pieces of the reference trace */
    static trace_row rows[300];
    read_trace(rows, 300);
    char want[128] = "";
    for (int i = 0; i < 7; i++)
        strcat(want, model_tokenizer_decode(t, rows[i].tok, rows[i].argmax));
    strcat(want, "\n");
    out = generate(m, t, "Once upon a time", 7, &len);
    ck_assert_str_eq(out, want);
    ck_assert_int_eq(memcmp(out, ref, len - 1), 0);
    free(out);
    free(ref);
    model_tokenizer_destroy(t);
    model_net_destroy(m);
}
END_TEST

START_TEST(test_gen_stepper_needs_logits_only_after_the_prompt)
{
    model_tokenizer *t = load_tok();
    model_gen g;
    ck_assert_int_eq(model_gen_init(&g, t, "Once upon", 0, 512), SS_OK);
    ck_assert_int_eq(g.steps, 512); /* 0 = seq_len, as llama2.c's -n 0 */
    ck_assert_int_eq(g.n_prompt, 3);
    ck_assert(!model_gen_needs_logits(&g));
    ck_assert_int_eq(model_gen_advance(&g, NULL, 512, NULL), SS_OK);
    ck_assert_int_eq(g.token, 403);
    ck_assert_int_eq(model_gen_advance(&g, NULL, 512, NULL), SS_OK);
    ck_assert(model_gen_needs_logits(&g));
    ck_assert_int_eq(model_gen_advance(&g, NULL, 512, NULL), SS_EINVAL);
    float logits[512] = {0};
    logits[1] = 1.0f; /* BOS ends the sequence */
    ck_assert_int_eq(model_gen_advance(&g, logits, 512, NULL), SS_OK);
    ck_assert(g.done);
    ck_assert_int_eq(model_gen_advance(&g, logits, 512, NULL), SS_EINVAL);
    model_gen_fini(&g);
    model_tokenizer_destroy(t);
}
END_TEST

Suite *llama_suite(void)
{
    Suite *s = suite_create("llama");
    TCase *tl = tcase_create("loader");
    tcase_add_checked_fixture(tl, setup, NULL);
    tcase_add_test(tl, test_llama2c_loads_stories260k_with_the_readme_config);
    tcase_add_test(tl, test_llama2c_rejects_truncated_and_oversized_files);
    tcase_add_test(tl, test_llama2c_rejects_inconsistent_headers_naming_the_field);
    tcase_add_test(tl, test_llama2c_rejects_nan_and_inf_weights_at_their_offset);
    tcase_add_test(tl, test_llama2c_rejects_directories_fifos_and_missing_files);
    tcase_add_test(tl, test_llama2c_separate_classifier_is_read_after_freq_cis);
    tcase_add_test(tl, test_llama2c_load_survives_every_allocation_failure);
    tcase_add_test(tl, test_tokenizer_and_generation_survive_every_allocation_failure);
    suite_add_tcase(s, tl);

    TCase *tt = tcase_create("tokenizer");
    tcase_add_test(tt, test_tokenizer_decodes_the_reference_trace_to_the_reference_text);
    tcase_add_test(tt, test_tokenizer_encodes_hand_checked_strings);
    tcase_add_test(tt, test_tokenizer_decode_strips_space_after_bos_and_maps_byte_tokens);
    tcase_add_test(tt, test_tokenizer_rejects_bad_files_with_offsets);
    tcase_add_test(tt, test_tokenizer_from_arrays_resolves_duplicates_to_the_lowest_id);
    tcase_add_test(tt, test_tokenizer_merges_the_leftmost_of_equally_scored_pairs);
    tcase_add_test(tt, test_tokenizer_refuses_vocabularies_smaller_than_the_special_tokens);
    suite_add_tcase(s, tt);

    TCase *tf = tcase_create("forward");
    tcase_add_checked_fixture(tf, setup, NULL);
    tcase_set_timeout(tf, 120);
    tcase_add_test(tf, test_forward_matches_the_reference_trace_on_one_span);
    tcase_add_test(tf, test_forward_matches_the_reference_trace_for_every_contiguous_split);
    tcase_add_test(tf, test_prefill_with_sgemm_matches_token_by_token);
    tcase_add_test(tf, test_forward_rejects_bad_tokens_positions_and_spans);
    tcase_add_test(tf, test_block_descriptors_count_params_flops_and_kv);
    tcase_add_test(tf, test_blas_kernels_match_a_naive_twin_with_wide_heads);
    tcase_add_test(tf, test_create_rejects_bad_configs);
    tcase_add_test(tf, test_gguf_weights_build_the_same_transformer);
    suite_add_tcase(s, tf);

    TCase *tg = tcase_create("generate");
    tcase_add_checked_fixture(tg, setup, NULL);
    tcase_set_timeout(tg, 120);
    tcase_add_test(tg, test_generate_greedy_without_prompt_reproduces_the_reference_text);
    tcase_add_test(tg, test_generate_greedy_with_the_reference_prefix_as_prompt_continues_identically);
    tcase_add_test(tg, test_gen_stepper_needs_logits_only_after_the_prompt);
    suite_add_tcase(s, tg);
    return s;
}
