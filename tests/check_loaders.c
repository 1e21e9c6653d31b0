/* check_loaders.c - safetensors and GGUF readers on the real assets and on
 * crafted bad files (PITFALLS.md S01-S12, G01-G08), plus the IDX and
 * TinyStories readers. Bad files are written to a fresh temp directory. */
#include <check.h>
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "model_data.h"
#include "model_eval.h"
#include "model_generate.h"
#include "model_gguf.h"
#include "model_llama.h"
#include "model_llama2c.h"
#include "model_loader.h"
#include "model_tokenizer.h"
#include "model_safetensors.h"
#include "ss_alloc.h"
#include "test_util.h"

static char tmpdir[64];

static void setup_tmp(void)
{
    strcpy(tmpdir, "/tmp/ss_loaders_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (n)
        ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static unsigned char *read_whole(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    ck_assert_int_ge(len, 0);
    rewind(f);
    unsigned char *buf = malloc((size_t)len + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* ---------------------------------------------------------------- safetensors */

/* Writes u64 LE header length, the header text, then data_len bytes of data
 * (from `data` or zeros). hdr_len_override != 0 replaces the length field. */
static void write_st_raw(const char *path, const char *hdr, uint64_t hdr_len_override,
                         const void *data, size_t data_len)
{
    size_t hl = strlen(hdr);
    uint64_t n = hdr_len_override ? hdr_len_override : hl;
    size_t total = 8 + hl + data_len;
    unsigned char *buf = calloc(1, total);
    ck_assert_ptr_nonnull(buf);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(n >> (8 * i));
    memcpy(buf + 8, hdr, hl);
    if (data)
        memcpy(buf + 8 + hl, data, data_len);
    write_bytes(path, buf, total);
    free(buf);
}

static char st_path[128];

/* Writes a crafted file and opens it; returns the status, err filled. */
static ss_status st_try(const char *hdr, size_t data_len, char *err, size_t errlen)
{
    snprintf(st_path, sizeof st_path, "%s/crafted.safetensors", tmpdir);
    write_st_raw(st_path, hdr, 0, NULL, data_len);
    model_st_file *f = (model_st_file *)0x1;
    err[0] = 0;
    ss_status s = model_st_open(st_path, &f, err, errlen);
    if (s == SS_OK)
        model_st_close(f);
    else
        ck_assert_ptr_null(f);
    return s;
}

/* Expects rejection with `want` and an error naming the file and `needle`. */
#define ST_REJECT(hdr, data_len, want, needle)                                      \
    do {                                                                            \
        char e_[512];                                                               \
        ss_status s_ = st_try((hdr), (data_len), e_, sizeof e_);                    \
        ck_assert_msg(s_ == (want), "%s: got %s (%s), expected %s", (hdr),          \
                      ss_status_name(s_), e_, ss_status_name(want));                \
        ck_assert_msg(strstr(e_, "crafted.safetensors") && strstr(e_, (needle)),    \
                      "error \"%s\" should name the file and \"%s\"", e_, (needle)); \
    } while (0)

START_TEST(test_st_real_mnist_file_loads_all_twenty_tensors)
{
    char err[256];
    model_st_file *f = NULL;
    const char *path = SS_ASSET("mnist/mnist_cnn.safetensors");
    ck_assert_int_eq(model_st_open(path, &f, err, sizeof err), SS_OK);
    ck_assert_int_eq(model_st_n_tensors(f), 20);
    int n_i64 = 0;
    for (int i = 0; i < 20; i++) {
        const model_st_tensor *t = model_st_tensor_at(f, i);
        if (t->dtype == MODEL_ST_I64) {
            n_i64++;
            ck_assert_int_eq(t->rank, 0);
            ck_assert_uint_eq(t->n_elems, 1);
            ck_assert(strstr(t->name, "num_batches_tracked") != NULL);
            int64_t v = -1;
            ck_assert_int_eq(model_st_to_i64(t, &v, 1, err, sizeof err), SS_OK);
            ck_assert_int_ge(v, 0);
        } else
            ck_assert_int_eq(t->dtype, MODEL_ST_F32);
        if (i)
            ck_assert_int_lt(strcmp(model_st_tensor_at(f, i - 1)->name, t->name), 0);
    }
    ck_assert_int_eq(n_i64, 2);
    const model_st_tensor *w = model_st_find(f, "conv1.weight");
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(w->rank, 4);
    ck_assert_uint_eq(w->shape[0], 8);
    ck_assert_uint_eq(w->shape[1], 1);
    ck_assert_uint_eq(w->shape[2], 3);
    ck_assert_uint_eq(w->shape[3], 3);
    ck_assert_ptr_null(model_st_find(f, "Conv1.weight")); /* case-sensitive */
    ck_assert_ptr_null(model_st_find(f, "nope"));

    /* independent check: fc1.weight values straight from the file bytes at
     * 8 + header length (1520) + its begin offset (19056) */
    const model_st_tensor *fc1 = model_st_find(f, "fc1.weight");
    ck_assert_uint_eq(fc1->n_elems, 32u * 11616u);
    float *vals = NULL;
    uint64_t shp[2] = {32, 11616};
    ck_assert_int_eq(model_st_load_f32(f, "fc1.weight", 2, shp, &vals, err, sizeof err), SS_OK);
    size_t n;
    unsigned char *raw = read_whole(path, &n);
    ck_assert_uint_eq(n, 1509296);
    for (size_t i = 0; i < fc1->n_elems; i += 997) {
        float ref;
        memcpy(&ref, raw + 8 + 1520 + 19056 + 4 * i, 4);
        ck_assert_mem_eq(&ref, &vals[i], 4);
    }
    free(raw);
    ss_free(vals);
    uint64_t wrong[2] = {11616, 32};
    ck_assert_int_eq(model_st_load_f32(f, "fc1.weight", 2, wrong, &vals, err, sizeof err),
                     SS_ESCHEMA);
    ck_assert_ptr_null(vals);
    ck_assert(strstr(err, "fc1.weight") != NULL);
    ck_assert_int_eq(model_st_load_f32(f, "nope", 1, shp, &vals, err, sizeof err),
                     SS_ENOTFOUND);
    model_st_close(f);
    model_st_close(NULL);
}
END_TEST

START_TEST(test_st_rejects_short_and_huge_header_lengths_s01_s03)
{
    char path[128], err[256];
    model_st_file *f;
    snprintf(path, sizeof path, "%s/crafted.safetensors", tmpdir);
    /* S01: 0 and 7 bytes */
    write_bytes(path, "", 0);
    ck_assert_int_eq(model_st_open(path, &f, err, sizeof err), SS_EPARSE);
    ck_assert(strstr(err, "byte 0") != NULL);
    write_bytes(path, "\x10\0\0\0\0\0\0", 7);
    ck_assert_int_eq(model_st_open(path, &f, err, sizeof err), SS_EPARSE);
    /* S02: N = 2^64-1 and N = 100,000,001: refused without allocating N */
    write_st_raw(path, "{}", UINT64_MAX, NULL, 0);
    ck_assert_int_eq(model_st_open(path, &f, err, sizeof err), SS_ERANGE);
    ck_assert(strstr(err, "header length") != NULL);
    write_st_raw(path, "{}", 100000001ull, NULL, 0);
    ck_assert_int_eq(model_st_open(path, &f, err, sizeof err), SS_ERANGE);
    /* S03: N + 8 beyond the file */
    write_st_raw(path, "{}", 3, NULL, 0);
    ck_assert_int_eq(model_st_open(path, &f, err, sizeof err), SS_EPARSE);
    ck_assert(strstr(err, "past the end") != NULL);
    ck_assert_ptr_null(f);
    /* not a file / missing */
    ck_assert_int_eq(model_st_open(tmpdir, &f, err, sizeof err), SS_EINVAL);
    snprintf(path, sizeof path, "%s/missing.safetensors", tmpdir);
    ck_assert_int_eq(model_st_open(path, &f, err, sizeof err), SS_ENOENT);
}
END_TEST

START_TEST(test_st_rejects_malformed_header_text_s04)
{
    ST_REJECT(" {}", 0, SS_EPARSE, "byte 8");                  /* leading whitespace */
    ST_REJECT("{\"a\":", 0, SS_EPARSE, "not valid JSON");      /* truncated JSON */
    ST_REJECT("[]", 0, SS_EPARSE, "byte 8");                   /* not an object */
    ST_REJECT("{\"\xff\":{}}", 0, SS_EPARSE, "UTF-8");         /* invalid UTF-8 */
    ST_REJECT("{\"\xed\xa0\x80\":{}}", 0, SS_EPARSE, "UTF-8"); /* encoded surrogate */
    ST_REJECT("{} x", 0, SS_EPARSE, "after the JSON");         /* trailing garbage */
    ST_REJECT("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4,
              SS_EPARSE, "NUL");
    /* trailing spaces are how writers pad the header: accepted */
    char err[256];
    ck_assert_int_eq(st_try("{}    ", 0, err, sizeof err), SS_OK);
}
END_TEST

START_TEST(test_st_rejects_duplicate_keys_and_bad_metadata_s05)
{
    ST_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
              8, SS_ESCHEMA, "duplicate tensor name \"a\"");
    ST_REJECT("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
              4, SS_ESCHEMA, "duplicate key \"dtype\"");
    ST_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4,
              SS_ESCHEMA, "unknown key \"x\"");
    ST_REJECT("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0, SS_ESCHEMA, "data_offsets");
    ST_REJECT("{\"__metadata__\":{\"format\":1}}", 0, SS_ESCHEMA, "__metadata__");
    ST_REJECT("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, SS_ESCHEMA, "duplicate key");
    ST_REJECT("{\"__metadata__\":{},\"__metadata__\":{}}", 0, SS_ESCHEMA, "duplicate");
    /* a case variant is a different name, not a duplicate */
    char err[256];
    ck_assert_int_eq(st_try("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                            "\"A\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
                            "\"__metadata__\":{\"format\":\"pt\"}}",
                            8, err, sizeof err),
                     SS_OK);
}
END_TEST

START_TEST(test_st_rejects_bad_dtype_and_size_mismatch_s06_s11)
{
    ST_REJECT("{\"t\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SS_ESCHEMA,
              "unknown dtype");
    ST_REJECT("{\"t\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SS_ESCHEMA,
              "\"t\"");
    ST_REJECT("{\"t\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, SS_ESCHEMA,
              "dtype");
    /* [2,2] four-byte values need 16 bytes, not 4 */
    ST_REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,4]}}", 4, SS_ESCHEMA,
              "tensor \"t\"");
    ST_REJECT("{\"t\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
              SS_EUNSUPPORTED, "unsupported dtype");
    /* S11: sub-byte dtypes */
    ST_REJECT("{\"t\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2,
              SS_EUNSUPPORTED, "sub-byte");
    ST_REJECT("{\"t\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[0,3]}}", 3,
              SS_EUNSUPPORTED, "sub-byte");
}
END_TEST

START_TEST(test_st_rejects_overflowing_and_invalid_shapes_s07)
{
    ST_REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[2,18446744073709551614],"
              "\"data_offsets\":[0,8]}}", 8, SS_ERANGE, "shape[1]");
    ST_REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[2,9223372036854775807],"
              "\"data_offsets\":[0,8]}}", 8, SS_ERANGE, "shape[1]");
    /* each dim exact (< 2^53) but the product overflows 64 bits */
    ST_REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
              "\"data_offsets\":[0,8]}}", 8, SS_ERANGE, "overflows");
    /* element count fits, byte size does not */
    ST_REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[4294967296,1073741824],"
              "\"data_offsets\":[0,8]}}", 8, SS_ERANGE, "overflows");
    ST_REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, SS_ESCHEMA,
              "shape[0]");
    ST_REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", 4, SS_ESCHEMA,
              "shape[0]");
    ST_REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[\"1\"],\"data_offsets\":[0,4]}}", 4,
              SS_ESCHEMA, "shape[0]");
    ST_REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
              4, SS_ESCHEMA, "rank 9");
}
END_TEST

START_TEST(test_st_rejects_offsets_that_do_not_tile_the_buffer_s08_s09)
{
#define E1(b, e) "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" #b "," #e "]}}"
#define E2(b1, e1, b2, e2)                                                       \
    "{\"u\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" #b1 "," #e1 "]}," \
    "\"v\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" #b2 "," #e2 "]}}"
    ST_REJECT(E1(4, 0), 4, SS_ESCHEMA, "end 0 < begin 4");
    ST_REJECT(E1(4, 8), 8, SS_ESCHEMA, "gap");             /* not starting at 0 */
    ST_REJECT(E2(0, 4, 2, 6), 8, SS_ESCHEMA, "overlap");
    ST_REJECT(E2(0, 4, 8, 12), 12, SS_ESCHEMA, "gap");
    ST_REJECT(E1(0, 8), 8, SS_ESCHEMA, "needs 4");         /* size mismatch */
    /* S08: end beyond the buffer, and offsets that cJSON's doubles cannot hold */
    ST_REJECT(E2(0, 4, 4, 8), 6, SS_ESCHEMA, "beyond the 6-byte data buffer");
    ST_REJECT(E1(9007199254740992, 9007199254740996), 4, SS_ERANGE, "data_offsets");
    ST_REJECT(E1(0, 4.0000001), 4, SS_ESCHEMA, "data_offsets");
    ST_REJECT("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, SS_ESCHEMA,
              "[begin, end]");
    /* S09: trailing bytes (polyglot files), and a buffer 2 bytes short */
    ST_REJECT(E2(0, 4, 4, 8), 9, SS_ESCHEMA, "trailing");
    ST_REJECT(E2(0, 4, 4, 8), 6, SS_ESCHEMA, "tensor \"v\"");
    /* JSON objects are unordered: entries listed out of offset order are
     * accepted (as the reference implementation does) as long as they tile */
    char err[256];
    ck_assert_int_eq(st_try(E2(4, 8, 0, 4), 8, err, sizeof err), SS_OK);
#undef E1
#undef E2
}
END_TEST

START_TEST(test_st_accepts_rank0_and_zero_size_tensors_s12)
{
    /* data: scalar F32 2.5, then a [0,3] F32 tensor (0 bytes), a [2] F16, a
     * [2] BF16, a [0] I64 sharing the end offset */
    const char *hdr =
        "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
        "\"z\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
        "\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[4,12]},"
        "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[12,16]},"
        "\"e\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[16,16]}}";
    unsigned char data[16];
    float two_half = 2.5f;
    memcpy(data, &two_half, 4);
    /* F16: 1.0, -2.0, smallest subnormal 2^-24, +Inf */
    const uint16_t h[4] = {0x3c00, 0xc000, 0x0001, 0x7c00};
    for (int i = 0; i < 4; i++) {
        data[4 + 2 * i] = (unsigned char)(h[i] & 0xff);
        data[5 + 2 * i] = (unsigned char)(h[i] >> 8);
    }
    /* BF16: 1.0 (0x3f80), -0.5 (0xbf00) */
    data[12] = 0x80, data[13] = 0x3f, data[14] = 0x00, data[15] = 0xbf;
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/ok.safetensors", tmpdir);
    write_st_raw(path, hdr, 0, data, sizeof data);
    model_st_file *f = NULL;
    ck_assert_msg(model_st_open(path, &f, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(model_st_n_tensors(f), 5);
    const model_st_tensor *s = model_st_find(f, "s"), *z = model_st_find(f, "z");
    ck_assert_int_eq(s->rank, 0);
    ck_assert_uint_eq(s->n_elems, 1);
    float v[4];
    ck_assert_int_eq(model_st_to_f32(s, v, 1, err, sizeof err), SS_OK);
    ck_assert(v[0] == 2.5f);
    ck_assert_int_eq(z->rank, 2);
    ck_assert_uint_eq(z->n_elems, 0);
    ck_assert_int_eq(model_st_to_f32(z, v, 0, err, sizeof err), SS_OK);
    ck_assert_int_eq(model_st_to_f32(model_st_find(f, "h"), v, 4, err, sizeof err), SS_OK);
    ck_assert(v[0] == 1.0f && v[1] == -2.0f && v[2] == ldexpf(1.0f, -24) && isinf(v[3]));
    ck_assert_int_eq(model_st_to_f32(model_st_find(f, "b"), v, 2, err, sizeof err), SS_OK);
    ck_assert(v[0] == 1.0f && v[1] == -0.5f);
    /* wrong count and wrong dtype are caller errors, reported cleanly */
    ck_assert_int_eq(model_st_to_f32(model_st_find(f, "b"), v, 3, err, sizeof err), SS_ESCHEMA);
    ck_assert_int_eq(model_st_to_f32(model_st_find(f, "e"), v, 0, err, sizeof err), SS_ESCHEMA);
    model_st_close(f);
}
END_TEST

START_TEST(test_st_open_fails_cleanly_at_every_allocation)
{
    char err[256];
    const char *path = SS_ASSET("mnist/mnist_cnn.safetensors");
    int ok = 0;
    for (long n = 0; n < 200 && !ok; n++) {
        model_st_file *f = NULL;
        ss_alloc_fail_after(n);
        ss_status s = model_st_open(path, &f, err, sizeof err);
        ss_alloc_fail_after(-1);
        if (s == SS_OK) {
            ok = 1;
            model_st_close(f);
        } else {
            ck_assert_int_eq(s, SS_ENOMEM);
            ck_assert_ptr_null(f);
        }
    }
    ck_assert(ok);
}
END_TEST

static TCase *st_tcase(void)
{
    TCase *tc = tcase_create("safetensors");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_add_test(tc, test_st_real_mnist_file_loads_all_twenty_tensors);
    tcase_add_test(tc, test_st_rejects_short_and_huge_header_lengths_s01_s03);
    tcase_add_test(tc, test_st_rejects_malformed_header_text_s04);
    tcase_add_test(tc, test_st_rejects_duplicate_keys_and_bad_metadata_s05);
    tcase_add_test(tc, test_st_rejects_bad_dtype_and_size_mismatch_s06_s11);
    tcase_add_test(tc, test_st_rejects_overflowing_and_invalid_shapes_s07);
    tcase_add_test(tc, test_st_rejects_offsets_that_do_not_tile_the_buffer_s08_s09);
    tcase_add_test(tc, test_st_accepts_rank0_and_zero_size_tensors_s12);
    tcase_add_test(tc, test_st_open_fails_cleanly_at_every_allocation);
    return tc;
}

/* ----------------------------------------------------------------------- GGUF */

/* Growable byte buffer to craft GGUF files field by field. */
typedef struct gb {
    unsigned char *p;
    size_t n, cap;
} gb;

static void gb_put(gb *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}
static void gb_u32(gb *b, uint32_t v)
{
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    gb_put(b, x, 4);
}
static void gb_u64(gb *b, uint64_t v)
{
    gb_u32(b, (uint32_t)v);
    gb_u32(b, (uint32_t)(v >> 32));
}
static void gb_str(gb *b, const char *s)
{
    gb_u64(b, strlen(s));
    gb_put(b, s, strlen(s));
}
static void gb_pad(gb *b, size_t align)
{
    while (b->n % align)
        gb_put(b, "", 1);
}

/* Knobs of the crafted file; the defaults give a valid GGUF with one KV
 * (general.alignment u32 32) and tensors "a" (ne [4], F32, offset 0) and
 * "b" (ne [2,2], F32, offset 32) with 64 data bytes. */
typedef struct gguf_spec {
    char magic[5];
    uint32_t version;
    uint64_t n_tensors_override, n_kv_override; /* 0: the true counts */
    uint32_t align_type;                        /* value type of general.alignment */
    uint64_t align;
    int extra_kv;                               /* 1: add a KV with a huge string length;
                                                   2: nested array; 3: huge array count;
                                                   4: duplicate key; 5: arch + block_count */
    uint32_t a_n_dims;
    uint64_t a_ne0, a_ne1;
    uint32_t a_type;
    uint64_t a_off, b_off;
    size_t data_bytes;
} gguf_spec;

static gguf_spec gguf_default(void)
{
    return (gguf_spec){.magic = "GGUF", .version = 3, .align_type = 4, .align = 32,
                       .a_n_dims = 1, .a_ne0 = 4, .a_ne1 = 1, .a_type = 0, .a_off = 0,
                       .b_off = 32, .data_bytes = 64};
}

static void gguf_build(const gguf_spec *sp, gb *b)
{
    memset(b, 0, sizeof *b);
    gb_put(b, sp->magic, 4);
    gb_u32(b, sp->version);
    int n_kv = 1 + (sp->extra_kv ? (sp->extra_kv == 5 ? 2 : 1) : 0);
    gb_u64(b, sp->n_tensors_override ? sp->n_tensors_override : 2);
    gb_u64(b, sp->n_kv_override ? sp->n_kv_override : (uint64_t)n_kv);
    gb_str(b, "general.alignment");
    gb_u32(b, sp->align_type);
    if (sp->align_type == 10)
        gb_u64(b, sp->align);
    else
        gb_u32(b, (uint32_t)sp->align);
    switch (sp->extra_kv) {
    case 1: /* string whose length is 2^62 */
        gb_str(b, "general.name");
        gb_u32(b, 8);
        gb_u64(b, 1ull << 62);
        break;
    case 2: /* array of arrays */
        gb_str(b, "x.nested");
        gb_u32(b, 9);
        gb_u32(b, 9);
        gb_u64(b, 1);
        break;
    case 3: /* array count 2^61 of u32 */
        gb_str(b, "x.big");
        gb_u32(b, 9);
        gb_u32(b, 4);
        gb_u64(b, 1ull << 61);
        break;
    case 4:
        gb_str(b, "general.alignment");
        gb_u32(b, 4);
        gb_u32(b, 32);
        break;
    case 5:
        gb_str(b, "general.architecture");
        gb_u32(b, 8);
        gb_str(b, "llama");
        gb_str(b, "llama.block_count");
        gb_u32(b, 4);
        gb_u32(b, 100000);
        break;
    }
    gb_str(b, "a");
    gb_u32(b, sp->a_n_dims);
    gb_u64(b, sp->a_ne0);
    for (uint32_t i = 1; i < sp->a_n_dims && i < 8; i++)
        gb_u64(b, sp->a_ne1);
    gb_u32(b, sp->a_type);
    gb_u64(b, sp->a_off);
    gb_str(b, "b");
    gb_u32(b, 2);
    gb_u64(b, 2);
    gb_u64(b, 2);
    gb_u32(b, 0);
    gb_u64(b, sp->b_off);
    gb_pad(b, 32);
    for (size_t i = 0; i < sp->data_bytes; i++) {
        unsigned char v = (unsigned char)i;
        gb_put(b, &v, 1);
    }
}

static ss_status gguf_try(const gguf_spec *sp, char *err, size_t errlen)
{
    gb b;
    gguf_build(sp, &b);
    char path[128];
    snprintf(path, sizeof path, "%s/crafted.gguf", tmpdir);
    write_bytes(path, b.p, b.n);
    free(b.p);
    model_gguf *g = (model_gguf *)0x1;
    err[0] = 0;
    ss_status s = model_gguf_open(path, &g, err, errlen);
    if (s == SS_OK)
        model_gguf_close(g);
    else
        ck_assert_ptr_null(g);
    return s;
}

#define GGUF_REJECT(field_assign, want, needle)                                       \
    do {                                                                              \
        gguf_spec sp_ = gguf_default();                                               \
        field_assign;                                                                 \
        char e_[512];                                                                 \
        ss_status s_ = gguf_try(&sp_, e_, sizeof e_);                                 \
        ck_assert_msg(s_ == (want), "%s: got %s (%s), expected %s", #field_assign,    \
                      ss_status_name(s_), e_, ss_status_name(want));                  \
        ck_assert_msg(strstr(e_, "crafted.gguf") && strstr(e_, (needle)),             \
                      "error \"%s\" should name the file and \"%s\"", e_, (needle));  \
    } while (0)

START_TEST(test_gguf_crafted_valid_file_loads)
{
    gguf_spec sp = gguf_default();
    char err[256];
    ck_assert_msg(gguf_try(&sp, err, sizeof err) == SS_OK, "%s", err);
    sp.version = 2;
    ck_assert_msg(gguf_try(&sp, err, sizeof err) == SS_OK, "%s", err);
    sp = gguf_default();
    sp.align = 16;
    sp.b_off = 16;
    ck_assert_msg(gguf_try(&sp, err, sizeof err) == SS_OK, "%s", err);
}
END_TEST

START_TEST(test_gguf_rejects_bad_magic_version_and_counts_g01_g02)
{
    GGUF_REJECT(memcpy(sp_.magic, "GGUG", 4), SS_EPARSE, "magic");
    GGUF_REJECT(sp_.version = 1, SS_EVERSION, "version 1");
    GGUF_REJECT(sp_.version = 4, SS_EVERSION, "version 4");
    GGUF_REJECT(sp_.n_tensors_override = 0x7FFFFFFF, SS_ERANGE, "n_tensors");
    GGUF_REJECT(sp_.n_tensors_override = 1ull << 63, SS_ERANGE, "n_tensors");
    GGUF_REJECT(sp_.n_kv_override = 0x7FFFFFFF, SS_ERANGE, "n_kv");
    GGUF_REJECT(sp_.n_kv_override = UINT64_MAX / 2, SS_ERANGE, "n_kv");
    /* counts that pass the caps but exceed the entries present: truncation */
    GGUF_REJECT(sp_.n_tensors_override = 3, SS_ESCHEMA, "tensor name is empty");
}
END_TEST

START_TEST(test_gguf_rejects_bad_strings_and_arrays_g03_g04)
{
    GGUF_REJECT(sp_.extra_kv = 1, SS_ERANGE, "string value length");
    GGUF_REJECT(sp_.extra_kv = 2, SS_ESCHEMA, "nested array");
    GGUF_REJECT(sp_.extra_kv = 3, SS_ERANGE, "x.big");
    GGUF_REJECT(sp_.extra_kv = 4, SS_ESCHEMA, "duplicate metadata key \"general.alignment\"");
    GGUF_REJECT(sp_.align_type = 13, SS_ESCHEMA, "unknown value type 13");
}
END_TEST

START_TEST(test_gguf_rejects_bad_tensor_shapes_and_types_g05_g06)
{
    GGUF_REJECT(sp_.a_n_dims = 5, SS_ESCHEMA, "n_dims 5");
    GGUF_REJECT(sp_.a_n_dims = 0, SS_ESCHEMA, "n_dims 0");
    GGUF_REJECT(sp_.a_ne0 = 0, SS_ERANGE, "ne[0] = 0");
    GGUF_REJECT(sp_.a_ne0 = (uint64_t)INT64_MAX, SS_ERANGE, "tensor \"a\"");
    GGUF_REJECT(sp_.a_ne0 = (uint64_t)-5, SS_ERANGE, "ne[0]");
    GGUF_REJECT((sp_.a_n_dims = 2, sp_.a_ne0 = (1ull << 40), sp_.a_ne1 = (1ull << 40)), SS_ERANGE,
                "overflows");
    /* a large product that does not overflow is still bounded by the file */
    GGUF_REJECT((sp_.a_n_dims = 2, sp_.a_ne0 = (1ull << 30), sp_.a_ne1 = 4), SS_ESCHEMA,
                "past the end");
    GGUF_REJECT(sp_.a_type = 1000, SS_ESCHEMA, "type id 1000");
    GGUF_REJECT(sp_.a_type = 0xFFFFFFFFu, SS_ESCHEMA, "out of range");
    GGUF_REJECT(sp_.a_type = 2, SS_EUNSUPPORTED, "not supported");
}
END_TEST

START_TEST(test_gguf_rejects_bad_alignment_and_offsets_g07_g09)
{
    GGUF_REJECT(sp_.align = 0, SS_ESCHEMA, "power of two");
    GGUF_REJECT(sp_.align = 24, SS_ESCHEMA, "power of two");
    GGUF_REJECT(sp_.align_type = 10, SS_ESCHEMA, "expected u32");
    GGUF_REJECT(sp_.a_off = 4, SS_ESCHEMA, "alignment");
    GGUF_REJECT(sp_.b_off = 0, SS_ESCHEMA, "overlaps");
    GGUF_REJECT(sp_.b_off = 64, SS_ESCHEMA, "past the end");
    GGUF_REJECT(sp_.b_off = UINT64_MAX - 31, SS_ESCHEMA, "past the end");
    GGUF_REJECT(sp_.data_bytes = 40, SS_ESCHEMA, "tensor \"b\"");
    GGUF_REJECT(sp_.extra_kv = 5, SS_ERANGE, "llama.block_count");
}
END_TEST

/* llama2.c .bin layout of stories260K: offsets in floats after the header. */
typedef struct bin_layout {
    int dim, hidden, n_layers, n_heads, n_kv_heads, vocab, seq_len, kv_dim;
    size_t emb, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, end;
} bin_layout;

static bin_layout bin_layout_of(const unsigned char *bin)
{
    int32_t h[7];
    memcpy(h, bin, sizeof h);
    bin_layout L = {.dim = h[0], .hidden = h[1], .n_layers = h[2], .n_heads = h[3],
                    .n_kv_heads = h[4], .vocab = h[5], .seq_len = h[6]};
    L.kv_dim = L.dim * L.n_kv_heads / L.n_heads;
    size_t d = (size_t)L.dim, l = (size_t)L.n_layers, hd = (size_t)L.hidden,
           kv = (size_t)L.kv_dim;
    size_t o = 0;
    L.emb = o, o += (size_t)L.vocab * d;
    L.rms_att = o, o += l * d;
    L.wq = o, o += l * d * d;
    L.wk = o, o += l * kv * d;
    L.wv = o, o += l * kv * d;
    L.wo = o, o += l * d * d;
    L.rms_ffn = o, o += l * d;
    L.w1 = o, o += l * hd * d;
    L.w2 = o, o += l * d * hd;
    L.w3 = o, o += l * hd * d;
    L.rms_final = o, o += d;
    L.end = o;
    return L;
}

/* Every GGUF tensor equals, bit for bit, the float32 range of the .bin at its
 * llama2.c offset, with no RoPE permutation of wq/wk (checked here: the
 * stories260K GGUF was converted from the llama2.c checkpoint as stored). */
START_TEST(test_gguf_stories260k_is_bit_identical_to_llama2c_bin)
{
    char err[256];
    size_t nb;
    unsigned char *bin = read_whole(SS_ASSET("stories260K/stories260K.bin"), &nb);
    bin_layout L = bin_layout_of(bin);
    ck_assert_int_eq(L.dim, 64);
    ck_assert_int_eq(L.n_layers, 5);
    /* what remains after rms_final is freq_cis_real + freq_cis_imag */
    size_t freq = (size_t)L.seq_len * (size_t)(L.dim / L.n_heads) / 2 * 2;
    ck_assert_uint_eq(nb, 28 + 4 * (L.end + freq));

    model_gguf *g = NULL;
    ck_assert_msg(model_gguf_open(SS_ASSET("stories260K/stories260K.gguf"), &g, err,
                                  sizeof err) == SS_OK, "%s", err);
    ck_assert_uint_eq(model_gguf_version(g), 3);
    ck_assert_uint_eq(model_gguf_alignment(g), 32);
    ck_assert_int_eq(model_gguf_n_tensors(g), 48);
    uint32_t u;
    ck_assert_int_eq(model_gguf_get_u32(g, "llama.embedding_length", &u, err, sizeof err), SS_OK);
    ck_assert_uint_eq(u, (uint32_t)L.dim);
    ck_assert_int_eq(model_gguf_get_u32(g, "llama.block_count", &u, err, sizeof err), SS_OK);
    ck_assert_uint_eq(u, (uint32_t)L.n_layers);
    ck_assert_int_eq(model_gguf_get_u32(g, "llama.attention.head_count_kv", &u, err, sizeof err),
                     SS_OK);
    ck_assert_uint_eq(u, (uint32_t)L.n_kv_heads);
    ck_assert_int_eq(model_gguf_get_u32(g, "llama.feed_forward_length", &u, err, sizeof err),
                     SS_OK);
    ck_assert_uint_eq(u, (uint32_t)L.hidden);
    float eps;
    ck_assert_int_eq(model_gguf_get_f32(g, "llama.attention.layer_norm_rms_epsilon", &eps, err,
                                        sizeof err), SS_OK);
    ck_assert(eps == 1e-5f);
    const char *arch;
    ck_assert_int_eq(model_gguf_get_str(g, "general.architecture", &arch, NULL, err, sizeof err),
                     SS_OK);
    ck_assert_str_eq(arch, "llama");
    /* typed access never reinterprets: a string read as an integer fails */
    ck_assert_int_eq(model_gguf_get_u32(g, "general.architecture", &u, err, sizeof err),
                     SS_ESCHEMA);
    ck_assert_int_eq(model_gguf_get_u32(g, "no.such.key", &u, err, sizeof err), SS_ENOTFOUND);

    struct {
        const char *fmt;
        size_t base, per_layer, n; /* floats */
        int layered;
    } map[] = {
        {"token_embd.weight", L.emb, 0, (size_t)L.vocab * L.dim, 0},
        {"output.weight", L.emb, 0, (size_t)L.vocab * L.dim, 0}, /* shared classifier */
        {"output_norm.weight", L.rms_final, 0, (size_t)L.dim, 0},
        {"blk.%d.attn_norm.weight", L.rms_att, (size_t)L.dim, (size_t)L.dim, 1},
        {"blk.%d.attn_q.weight", L.wq, (size_t)L.dim * L.dim, (size_t)L.dim * L.dim, 1},
        {"blk.%d.attn_k.weight", L.wk, (size_t)L.kv_dim * L.dim, (size_t)L.kv_dim * L.dim, 1},
        {"blk.%d.attn_v.weight", L.wv, (size_t)L.kv_dim * L.dim, (size_t)L.kv_dim * L.dim, 1},
        {"blk.%d.attn_output.weight", L.wo, (size_t)L.dim * L.dim, (size_t)L.dim * L.dim, 1},
        {"blk.%d.ffn_norm.weight", L.rms_ffn, (size_t)L.dim, (size_t)L.dim, 1},
        {"blk.%d.ffn_gate.weight", L.w1, (size_t)L.hidden * L.dim, (size_t)L.hidden * L.dim, 1},
        {"blk.%d.ffn_down.weight", L.w2, (size_t)L.hidden * L.dim, (size_t)L.hidden * L.dim, 1},
        {"blk.%d.ffn_up.weight", L.w3, (size_t)L.hidden * L.dim, (size_t)L.hidden * L.dim, 1},
    };
    int checked = 0;
    for (size_t m = 0; m < sizeof map / sizeof map[0]; m++)
        for (int l = 0; l < (map[m].layered ? L.n_layers : 1); l++) {
            char name[64];
            snprintf(name, sizeof name, map[m].fmt, l);
            const model_gguf_tensor *t = model_gguf_find_tensor(g, name);
            ck_assert_msg(t != NULL, "missing %s", name);
            ck_assert_uint_eq(t->n_elems, map[m].n);
            float *v = malloc(map[m].n * sizeof *v);
            ck_assert_int_eq(model_gguf_tensor_f32(t, v, t->n_elems, err, sizeof err), SS_OK);
            const unsigned char *ref = bin + 28 + 4 * (map[m].base + (size_t)l * map[m].per_layer);
            ck_assert_msg(memcmp(v, ref, map[m].n * 4) == 0, "%s differs from the .bin", name);
            free(v);
            checked++;
        }
    ck_assert_int_eq(checked, 48);
    /* GGUF ne is fastest-first: ffn_down is (dim, hidden) row-major = ne [hidden, dim] */
    float *w2 = NULL;
    uint64_t ne[2] = {(uint64_t)L.hidden, (uint64_t)L.dim};
    ck_assert_int_eq(model_gguf_load_f32(g, "blk.0.ffn_down.weight", 2, ne, &w2, err, sizeof err),
                     SS_OK);
    ss_free(w2);
    uint64_t wrong[2] = {(uint64_t)L.dim, (uint64_t)L.hidden};
    ck_assert_int_eq(model_gguf_load_f32(g, "blk.0.ffn_down.weight", 2, wrong, &w2, err,
                                         sizeof err), SS_ESCHEMA);
    model_gguf_close(g);
    free(bin);
}
END_TEST

START_TEST(test_gguf_exposes_the_tokenizer_vocabulary)
{
    char err[256];
    model_gguf *g = NULL;
    ck_assert_int_eq(model_gguf_open(SS_ASSET("stories260K/stories260K.gguf"), &g, err,
                                     sizeof err), SS_OK);
    model_gguf_vocab v;
    ck_assert_msg(model_gguf_vocab_init(g, &v, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_uint_eq(v.n_vocab, 512);
    ck_assert_str_eq(v.tokens[0], "<unk>");
    ck_assert_str_eq(v.tokens[1], "<s>");
    ck_assert_str_eq(v.tokens[2], "</s>");
    ck_assert_str_eq(v.tokens[3], "<0x00>");
    ck_assert_uint_eq(v.token_lens[3], 6);
    ck_assert_int_eq(v.bos_id, 1);
    ck_assert_int_eq(v.eos_id, 2);
    ck_assert_int_eq(v.unk_id, 0);

    /* independent reference: llama2.c's tok512.bin holds the same vocabulary:
     * int32 max_len, then per token float score, int32 len, bytes */
    size_t n;
    unsigned char *tok = read_whole(SS_ASSET("stories260K/tok512.bin"), &n);
    size_t off = 4;
    for (uint64_t i = 0; i < v.n_vocab; i++) {
        float score;
        int32_t len;
        ck_assert_uint_le(off + 8, n);
        memcpy(&score, tok + off, 4);
        memcpy(&len, tok + off + 4, 4);
        off += 8;
        ck_assert_uint_le(off + (size_t)len, n);
        ck_assert_msg(score == v.scores[i], "score %llu", (unsigned long long)i);
        if (i == 1 || i == 2) { /* llama2.c's export writes BOS/EOS as "\n<s>\n", "\n</s>\n" */
            off += (size_t)len;
            continue;
        }
        /* GGUF writes SentencePiece's U+2581 where llama2.c has a space */
        char buf[64];
        size_t bl = 0;
        for (uint64_t k = 0; k < v.token_lens[i] && bl < sizeof buf - 1;) {
            if (k + 2 < v.token_lens[i] && memcmp(v.tokens[i] + k, "\xe2\x96\x81", 3) == 0) {
                buf[bl++] = ' ';
                k += 3;
            } else
                buf[bl++] = v.tokens[i][k++];
        }
        ck_assert_msg(bl == (size_t)len && memcmp(buf, tok + off, bl) == 0,
                      "token %llu differs", (unsigned long long)i);
        off += (size_t)len;
    }
    free(tok);
    int32_t types[512];
    ck_assert_int_eq(model_gguf_get_i32_array(g, "tokenizer.ggml.token_type", types, 512, err,
                                              sizeof err), SS_OK);
    ck_assert_int_eq(types[1], 3); /* control */
    /* G04: an I32 array is not read as floats */
    float f[512];
    ck_assert_int_eq(model_gguf_get_f32_array(g, "tokenizer.ggml.token_type", f, 512, err,
                                              sizeof err), SS_ESCHEMA);
    ck_assert(strstr(err, "tokenizer.ggml.token_type") != NULL);
    model_gguf_vocab_fini(&v);
    model_gguf_close(g);
}
END_TEST

/* Every prefix of the real file is rejected cleanly (never a crash or an
 * out-of-bounds read under ASan): every length in the metadata and tensor
 * infos and a sample of cuts through the data section. */
START_TEST(test_gguf_every_truncation_is_rejected)
{
    size_t n;
    unsigned char *full = read_whole(SS_ASSET("stories260K/stories260K.gguf"), &n);
    char path[128], err[512];
    snprintf(path, sizeof path, "%s/trunc.gguf", tmpdir);
    int tried = 0;
    for (size_t len = 0; len < n; len += (len < 14400 ? 1 : 4093)) {
        write_bytes(path, full, len);
        model_gguf *g = (model_gguf *)0x1;
        ss_status s = model_gguf_open(path, &g, err, sizeof err);
        ck_assert_msg(s != SS_OK, "truncation at %zu accepted", len);
        ck_assert_ptr_null(g);
        ck_assert_msg(s == SS_EPARSE || s == SS_ESCHEMA || s == SS_ERANGE, "cut %zu: %s (%s)", len,
                      ss_status_name(s), err);
        ck_assert(strstr(err, "trunc.gguf") != NULL);
        tried++;
    }
    ck_assert_int_gt(tried, 14400);
    /* the last byte too */
    write_bytes(path, full, n - 1);
    model_gguf *g = NULL;
    ck_assert_int_ne(model_gguf_open(path, &g, err, sizeof err), SS_OK);
    free(full);
}
END_TEST

START_TEST(test_gguf_open_fails_cleanly_at_every_allocation)
{
    char err[256];
    int ok = 0;
    for (long k = 0; k < 5000 && !ok; k += (k < 100 ? 1 : 37)) {
        model_gguf *g = NULL;
        ss_alloc_fail_after(k);
        ss_status s = model_gguf_open(SS_ASSET("stories260K/stories260K.gguf"), &g, err,
                                      sizeof err);
        ss_alloc_fail_after(-1);
        if (s == SS_OK) {
            ok = 1;
            model_gguf_close(g);
        } else {
            ck_assert_msg(s == SS_ENOMEM, "%s", err);
            ck_assert_ptr_null(g);
        }
    }
    ck_assert(ok);
}
END_TEST

START_TEST(test_gguf_llama_tensors_are_checked_before_the_metadata_sizes_are_allocated)
{
    /* Metadata of a few bytes claims dim 65536, hidden 2^20, 4096 layers
     * (every value within model_llama.h's limits: 2^49 floats); the file
     * holds one 8x4 embedding. The loader must name the mismatching tensor,
     * not try to allocate 3.6 PB (2^49 floats) first and call it out of memory (found by
     * fuzz_gguf as a 6.7 GB allocation from a 4 KB file). */
    model_net *net = NULL;
    char err[512] = "";
    ss_status st = model_load_any(
        SS_SRC("tests/bad/fuzz/gguf/llama_metadata_claims_2_pow_49_floats_with_one_small_tensor.gguf"),
        &net, NULL, err, sizeof err);
    ck_assert_msg(st == SS_ESCHEMA, "%s: %s", ss_status_name(st), err);
    ck_assert_ptr_null(net);
    ck_assert_msg(strstr(err, "\"token_embd.weight\": expected ne [65536, 4]") != NULL, "%s", err);
    st = model_load_any(
        SS_SRC("tests/bad/fuzz/gguf/oom_metadata_dims_allocated_6_7_gb_before_tensor_check.gguf"),
        &net, NULL, err, sizeof err);
    ck_assert_msg(st == SS_ENOTFOUND && strstr(err, "missing"), "%s: %s", ss_status_name(st),
                  err);
}
END_TEST

static TCase *gguf_tcase(void)
{
    TCase *tc = tcase_create("gguf");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_gguf_crafted_valid_file_loads);
    tcase_add_test(tc, test_gguf_rejects_bad_magic_version_and_counts_g01_g02);
    tcase_add_test(tc, test_gguf_rejects_bad_strings_and_arrays_g03_g04);
    tcase_add_test(tc, test_gguf_rejects_bad_tensor_shapes_and_types_g05_g06);
    tcase_add_test(tc, test_gguf_rejects_bad_alignment_and_offsets_g07_g09);
    tcase_add_test(tc, test_gguf_stories260k_is_bit_identical_to_llama2c_bin);
    tcase_add_test(tc, test_gguf_exposes_the_tokenizer_vocabulary);
    tcase_add_test(tc, test_gguf_every_truncation_is_rejected);
    tcase_add_test(tc, test_gguf_open_fails_cleanly_at_every_allocation);
    tcase_add_test(tc, test_gguf_llama_tensors_are_checked_before_the_metadata_sizes_are_allocated);
    return tc;
}

/* ------------------------------------------------------------ loader registry */

/* Writes stories260K.bin as a Hugging Face LlamaForCausalLM safetensors file
 * (F32, tied embeddings: no lm_head) plus its config.json in tmpdir. q and k
 * rows are permuted as Hugging Face's converter does
 * (convert_llama_weights_to_hf.py, permute: w.view(heads, hs/2, 2, dim)
 * .transpose(1, 2)): file row (h, p, i) = h*hs + p*hs/2 + i holds llama2.c
 * row (h, i, p) = h*hs + 2i + p. The loader must undo exactly that. */
static void write_hf_llama_from_bin(const char *st_file)
{
    size_t nb;
    unsigned char *bin = read_whole(SS_ASSET("stories260K/stories260K.bin"), &nb);
    bin_layout L = bin_layout_of(bin);
    const float *f0 = (const float *)(const void *)(bin + 28); /* 28: 4-aligned in malloc'd memory */
    const size_t d = (size_t)L.dim, kv = (size_t)L.kv_dim, hd = (size_t)L.hidden;
    const size_t hs = d / (size_t)L.n_heads;
    struct {
        char name[96];
        size_t rows, cols; /* cols 0: vector */
        const float *src;
        int heads; /* > 0: permute rows as the HF converter does */
    } t[64];
    int n = 0;
#define T(nm, r, c, s, h) (snprintf(t[n].name, sizeof t[n].name, "%s", nm), t[n].rows = (r), \
                           t[n].cols = (c), t[n].src = (s), t[n].heads = (h), n++)
    char nm[96];
    T("model.embed_tokens.weight", (size_t)L.vocab, d, f0 + L.emb, 0);
    T("model.norm.weight", d, 0, f0 + L.rms_final, 0);
    for (int l = 0; l < L.n_layers; l++) {
#define LT(fmt, r, c, s, h) (snprintf(nm, sizeof nm, fmt, l), T(nm, r, c, s, h))
        LT("model.layers.%d.input_layernorm.weight", d, 0, f0 + L.rms_att + l * d, 0);
        LT("model.layers.%d.self_attn.q_proj.weight", d, d, f0 + L.wq + l * d * d, L.n_heads);
        LT("model.layers.%d.self_attn.k_proj.weight", kv, d, f0 + L.wk + l * kv * d, L.n_kv_heads);
        LT("model.layers.%d.self_attn.v_proj.weight", kv, d, f0 + L.wv + l * kv * d, 0);
        LT("model.layers.%d.self_attn.o_proj.weight", d, d, f0 + L.wo + l * d * d, 0);
        LT("model.layers.%d.post_attention_layernorm.weight", d, 0, f0 + L.rms_ffn + l * d, 0);
        LT("model.layers.%d.mlp.gate_proj.weight", hd, d, f0 + L.w1 + l * hd * d, 0);
        LT("model.layers.%d.mlp.down_proj.weight", d, hd, f0 + L.w2 + l * d * hd, 0);
        LT("model.layers.%d.mlp.up_proj.weight", hd, d, f0 + L.w3 + l * hd * d, 0);
#undef LT
    }
#undef T
    ck_assert_int_eq(n, 2 + 9 * L.n_layers);
    char *hdr = malloc(65536);
    size_t hl = 0, off = 0;
    hl += (size_t)sprintf(hdr + hl, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < n; i++) {
        size_t bytes = 4 * t[i].rows * (t[i].cols ? t[i].cols : 1);
        if (t[i].cols)
            hl += (size_t)sprintf(hdr + hl, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%zu,%zu],"
                                  "\"data_offsets\":[%zu,%zu]}", t[i].name, t[i].rows, t[i].cols,
                                  off, off + bytes);
        else
            hl += (size_t)sprintf(hdr + hl, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%zu],"
                                  "\"data_offsets\":[%zu,%zu]}", t[i].name, t[i].rows, off,
                                  off + bytes);
        off += bytes;
    }
    hl += (size_t)sprintf(hdr + hl, "}");
    while (hl % 8) /* writers pad the header with spaces */
        hdr[hl++] = ' ';
    hdr[hl] = 0;
    unsigned char *data = malloc(off), *p = data;
    for (int i = 0; i < n; i++) {
        size_t cols = t[i].cols ? t[i].cols : 1;
        for (size_t r = 0; r < t[i].rows; r++) {
            size_t src_row = r;
            if (t[i].heads) {
                size_t h = r / hs, pp = (r % hs) / (hs / 2), ii = r % (hs / 2);
                src_row = h * hs + 2 * ii + pp;
            }
            memcpy(p, t[i].src + src_row * cols, 4 * cols);
            p += 4 * cols;
        }
    }
    write_st_raw(st_file, hdr, 0, data, off);
    free(data);
    free(hdr);
    char cfg[160];
    snprintf(cfg, sizeof cfg, "%s/config.json", tmpdir);
    char json[512];
    snprintf(json, sizeof json,
             "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\", "
             "\"hidden_size\": %d, \"intermediate_size\": %d, \"num_hidden_layers\": %d, "
             "\"num_attention_heads\": %d, \"num_key_value_heads\": %d, \"vocab_size\": %d, "
             "\"max_position_embeddings\": %d, \"rms_norm_eps\": 1e-05, \"rope_theta\": 10000.0, "
             "\"tie_word_embeddings\": true}",
             L.dim, L.hidden, L.n_layers, L.n_heads, L.n_kv_heads, L.vocab, L.seq_len);
    write_bytes(cfg, json, strlen(json));
    free(bin);
}

static const char *loader_of(const char *path)
{
    const model_loader *l = NULL;
    char err[512] = "";
    ck_assert_msg(model_loader_find_for_file(path, &l, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_ptr_nonnull(l);
    return l->name;
}

/* Greedy generation of the reference run through a net. */
static void expect_reference_text(const model_net *m, const model_tokenizer *tok)
{
    char *buf = NULL;
    size_t len = 0, rn;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(model_generate_greedy(m, tok, NULL, 256, f), SS_OK);
    fclose(f);
    unsigned char *ref = read_whole(SS_ASSET("stories260K/reference_greedy_n256.txt"), &rn);
    ck_assert_uint_eq(rn, 566);
    ck_assert_uint_eq(len, rn);
    ck_assert_int_eq(memcmp(buf, ref, rn), 0);
    free(ref);
    free(buf);
}

/* The registry picks the loader by content for each of the three formats
 * (and the CNN's safetensors), and every llama file gives the same net as
 * the .bin: identical logits, bit for bit, at 16 positions of every layer
 * split, and llama2.c's reference text. */
START_TEST(test_registry_picks_the_loader_by_content_for_bin_gguf_and_safetensors)
{
    char st_file[160], renamed[160], err[512] = "";
    snprintf(st_file, sizeof st_file, "%s/model.safetensors", tmpdir);
    write_hf_llama_from_bin(st_file);
    ck_assert_str_eq(loader_of(SS_ASSET("stories260K/stories260K.bin")), "llama2c");
    ck_assert_str_eq(loader_of(SS_ASSET("stories260K/stories260K.gguf")), "gguf");
    ck_assert_str_eq(loader_of(st_file), "safetensors");
    ck_assert_str_eq(loader_of(SS_ASSET("mnist/mnist_cnn.safetensors")), "safetensors");
    /* the extension plays no part: the GGUF file named .bin is still GGUF */
    size_t n;
    unsigned char *g = read_whole(SS_ASSET("stories260K/stories260K.gguf"), &n);
    snprintf(renamed, sizeof renamed, "%s/actually_gguf.bin", tmpdir);
    write_bytes(renamed, g, n);
    free(g);
    ck_assert_str_eq(loader_of(renamed), "gguf");

    const char *paths[4] = {SS_ASSET("stories260K/stories260K.bin"),
                            SS_ASSET("stories260K/stories260K.gguf"), st_file, renamed};
    model_net *net[4] = {NULL};
    for (int i = 0; i < 4; i++) {
        const model_loader *used = NULL;
        ck_assert_msg(model_load_any(paths[i], &net[i], &used, err, sizeof err) == SS_OK, "%s: %s",
                      paths[i], err);
        ck_assert_str_eq(model_net_kind(net[i]), "llama");
    }
    const model_llama_config *c0 = model_llama_net_config(net[0]);
    for (int i = 1; i < 4; i++) {
        const model_llama_config *c = model_llama_net_config(net[i]);
        ck_assert_int_eq(c->dim, c0->dim);
        ck_assert_int_eq(c->hidden_dim, c0->hidden_dim);
        ck_assert_int_eq(c->n_layers, c0->n_layers);
        ck_assert_int_eq(c->n_heads, c0->n_heads);
        ck_assert_int_eq(c->n_kv_heads, c0->n_kv_heads);
        ck_assert_int_eq(c->vocab_size, c0->vocab_size);
        /* output.weight is a copy of token_embd: shared, as in the .bin */
        ck_assert(c->shared_classifier == c0->shared_classifier);
    }
    /* the GGUF declares llama.context_length 2048; the .bin header 512 */
    ck_assert_int_eq(c0->seq_len, 512);
    ck_assert_int_eq(model_llama_net_config(net[1])->seq_len, 2048);
    ck_assert_int_eq(model_llama_net_config(net[2])->seq_len, 512);

    /* logits, bit for bit: the reference run's first 16 tokens, one span */
    const int32_t toks[16] = {1, 403, 407, 261, 378, 432, 383, 286, 1, 2, 3, 100, 200, 300, 400, 511};
    const int nb = 5, dim = 64, voc = 512;
    float x[64], y[64], logits[4][512];
    model_state *st[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(model_state_create(net[i], 0, nb, &st[i]), SS_OK);
    for (int p = 0; p < 16; p++) {
        for (int i = 0; i < 4; i++) {
            ck_assert_int_eq(model_net_embed(net[i], 1, &toks[p], NULL, x), SS_OK);
            ck_assert_int_eq(model_net_span_forward(net[i], st[i], 0, nb, p, 1, x, y), SS_OK);
            ck_assert_int_eq(model_net_head(net[i], 1, y, logits[i]), SS_OK);
        }
        for (int i = 1; i < 4; i++)
            ck_assert_msg(memcmp(logits[i], logits[0], sizeof logits[0]) == 0,
                          "%s: logits at position %d differ from the .bin", paths[i], p);
    }
    (void)dim, (void)voc;
    model_tokenizer *tok = NULL;
    ck_assert_int_eq(model_tokenizer_load(SS_ASSET("stories260K/tok512.bin"), 512, &tok, err,
                                          sizeof err), SS_OK);
    for (int i = 0; i < 4; i++) {
        model_state_destroy(st[i]);
        expect_reference_text(net[i], tok);
        model_net_destroy(net[i]);
    }
    model_tokenizer_destroy(tok);

    /* the CNN's safetensors goes to the CNN loader */
    model_net *cnn = NULL;
    ck_assert_msg(model_load_any(SS_ASSET("mnist/mnist_cnn.safetensors"), &cnn, NULL, err,
                                 sizeof err) == SS_OK, "%s", err);
    ck_assert_str_eq(model_net_kind(cnn), "cnn");
    model_net_destroy(cnn);
}
END_TEST

/* Without the inverse permutation the safetensors net would differ: the
 * writer's permutation is not the identity for head_size 8, and a file
 * without its config.json is refused, naming both. */
START_TEST(test_registry_safetensors_llama_needs_config_and_is_permuted)
{
    char st_file[160], cfg[160], err[512] = "";
    snprintf(st_file, sizeof st_file, "%s/model.safetensors", tmpdir);
    write_hf_llama_from_bin(st_file);
    model_st_file *f = NULL;
    ck_assert_int_eq(model_st_open(st_file, &f, err, sizeof err), SS_OK);
    size_t nb;
    unsigned char *bin = read_whole(SS_ASSET("stories260K/stories260K.bin"), &nb);
    bin_layout L = bin_layout_of(bin);
    const model_st_tensor *q = model_st_find(f, "model.layers.0.self_attn.q_proj.weight");
    ck_assert_ptr_nonnull(q);
    /* row 1 of the file is llama2.c's row 2 (h 0, p 0, i 1) */
    ck_assert_int_eq(memcmp(q->data + 4 * 64, bin + 28 + 4 * (L.wq + 2 * 64), 4 * 64), 0);
    ck_assert_int_ne(memcmp(q->data + 4 * 64, bin + 28 + 4 * (L.wq + 1 * 64), 4 * 64), 0);
    model_st_close(f);
    free(bin);
    snprintf(cfg, sizeof cfg, "%s/config.json", tmpdir);
    ck_assert_int_eq(unlink(cfg), 0);
    model_net *m = (model_net *)0x1;
    ck_assert_int_eq(model_load_any(st_file, &m, NULL, err, sizeof err), SS_ENOTFOUND);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err, "model.safetensors") && strstr(err, "config.json"), "%s", err);
    /* a config that disagrees with the tensors (4 layers for 5) */
    const char *bad = "{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 172,"
                      " \"num_hidden_layers\": 4, \"num_attention_heads\": 8,"
                      " \"num_key_value_heads\": 4, \"vocab_size\": 512,"
                      " \"max_position_embeddings\": 512}";
    write_bytes(cfg, bad, strlen(bad));
    ck_assert_int_eq(model_load_any(st_file, &m, NULL, err, sizeof err), SS_ESCHEMA);
    ck_assert_msg(strstr(err, "4-layer") != NULL, "%s", err);
    /* eps the kernels do not compute with */
    const char *eps = "{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 172,"
                      " \"num_hidden_layers\": 5, \"num_attention_heads\": 8,"
                      " \"num_key_value_heads\": 4, \"vocab_size\": 512,"
                      " \"max_position_embeddings\": 512, \"rms_norm_eps\": 1e-06}";
    write_bytes(cfg, eps, strlen(eps));
    ck_assert_int_eq(model_load_any(st_file, &m, NULL, err, sizeof err), SS_EUNSUPPORTED);
    ck_assert_msg(strstr(err, "rms_norm_eps") != NULL, "%s", err);
    ck_assert_ptr_null(m);
}
END_TEST

/* llama2.c's export.py --version 1 (float32) and 2 (Q8_0, group size gs)
 * of stories260K.bin, written here from the .bin: header (magic, version,
 * 7 int32, shared byte, v2: int32 group size, zero padding to 256), the
 * norms in float32, then the matrices. v2 quantizes each tensor as
 * export.py's quantize_q80: per group of gs, scale = max|w| / 127,
 * q = round(w / scale); `deq` (may be NULL) receives q * scale in the
 * .bin's float layout (after its header) for an independent reference. */
static void write_llama2c_versioned(const char *path, int version, int gs, float *deq)
{
    size_t nb;
    unsigned char *bin = read_whole(SS_ASSET("stories260K/stories260K.bin"), &nb);
    bin_layout L = bin_layout_of(bin);
    const float *f0 = (const float *)(const void *)(bin + 28);
    if (deq)
        memcpy(deq, f0, 4 * L.end);
    gb b = {0};
    unsigned char hdr[256] = {0};
    int32_t h[9] = {0x616b3432, version, L.dim, L.hidden, L.n_layers, L.n_heads, L.n_kv_heads,
                    L.vocab, L.seq_len};
    memcpy(hdr, h, sizeof h);
    hdr[36] = 1; /* shared classifier */
    memcpy(hdr + 37, &gs, 4);
    gb_put(&b, hdr, 256);
    const size_t d = (size_t)L.dim, nl = (size_t)L.n_layers;
    gb_put(&b, f0 + L.rms_att, 4 * nl * d);
    gb_put(&b, f0 + L.rms_ffn, 4 * nl * d);
    gb_put(&b, f0 + L.rms_final, 4 * d);
    /* matrices: (start, per-layer size, layers) */
    const size_t kv = (size_t)L.kv_dim, hd = (size_t)L.hidden;
    struct {
        size_t off, per, n;
    } m[8] = {{L.emb, (size_t)L.vocab * d, 1}, {L.wq, d * d, nl},  {L.wk, kv * d, nl},
              {L.wv, kv * d, nl},               {L.wo, d * d, nl},  {L.w1, hd * d, nl},
              {L.w2, d * hd, nl},               {L.w3, hd * d, nl}};
    for (int t = 0; t < 8; t++)
        for (size_t l = 0; l < m[t].n; l++) {
            const float *w = f0 + m[t].off + l * m[t].per;
            if (version == 1) {
                gb_put(&b, w, 4 * m[t].per);
                continue;
            }
            size_t ng = m[t].per / (size_t)gs;
            int8_t *q = malloc(m[t].per);
            float *sc = malloc(4 * ng);
            for (size_t g = 0; g < ng; g++) {
                float mx = 0;
                for (int i = 0; i < gs; i++)
                    mx = fabsf(w[g * gs + i]) > mx ? fabsf(w[g * gs + i]) : mx;
                sc[g] = mx / 127.0f;
                for (int i = 0; i < gs; i++) {
                    size_t k = g * (size_t)gs + (size_t)i;
                    q[k] = (int8_t)(sc[g] > 0 ? roundf(w[k] / sc[g]) : 0);
                    if (deq)
                        deq[m[t].off + l * m[t].per + k] = (float)q[k] * sc[g];
                }
            }
            gb_put(&b, q, m[t].per);
            gb_put(&b, sc, 4 * ng);
            free(q);
            free(sc);
        }
    write_bytes(path, b.p, b.n);
    free(b.p);
    free(bin);
}

static void expect_same_logits(const model_net *a, const model_net *b, const char *what)
{
    const int32_t toks[8] = {1, 403, 407, 261, 378, 432, 383, 286};
    float x[64], y[64], la[512], lb[512];
    model_state *sa, *sb;
    ck_assert_int_eq(model_state_create(a, 0, 5, &sa), SS_OK);
    ck_assert_int_eq(model_state_create(b, 0, 5, &sb), SS_OK);
    for (int p = 0; p < 8; p++) {
        ck_assert_int_eq(model_net_embed(a, 1, &toks[p], NULL, x), SS_OK);
        ck_assert_int_eq(model_net_span_forward(a, sa, 0, 5, p, 1, x, y), SS_OK);
        ck_assert_int_eq(model_net_head(a, 1, y, la), SS_OK);
        ck_assert_int_eq(model_net_embed(b, 1, &toks[p], NULL, x), SS_OK);
        ck_assert_int_eq(model_net_span_forward(b, sb, 0, 5, p, 1, x, y), SS_OK);
        ck_assert_int_eq(model_net_head(b, 1, y, lb), SS_OK);
        ck_assert_msg(memcmp(la, lb, sizeof la) == 0, "%s: logits at %d differ", what, p);
    }
    model_state_destroy(sa);
    model_state_destroy(sb);
}

/* v1 is the .bin's floats reordered: the same net. v2 is the Q8_0 round
 * trip: the same net as one built from this test's own dequantization. */
START_TEST(test_registry_loads_llama2c_v1_and_v2_exports)
{
    char path[160], err[512] = "";
    model_net *ref = NULL, *m = NULL;
    ck_assert_int_eq(model_llama2c_load_net(SS_ASSET("stories260K/stories260K.bin"), &ref, err,
                                            sizeof err), SS_OK);
    snprintf(path, sizeof path, "%s/v1.bin", tmpdir);
    write_llama2c_versioned(path, 1, 0, NULL);
    ck_assert_str_eq(loader_of(path), "llama2c-v1");
    ck_assert_msg(model_load_any(path, &m, NULL, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(model_llama_net_config(m)->seq_len, 512);
    ck_assert(model_llama_net_config(m)->shared_classifier);
    expect_same_logits(ref, m, "v1");
    model_net_destroy(m);
    model_net_destroy(ref);

    size_t nb;
    unsigned char *bin = read_whole(SS_ASSET("stories260K/stories260K.bin"), &nb);
    bin_layout L = bin_layout_of(bin);
    float *deq = malloc(4 * L.end);
    snprintf(path, sizeof path, "%s/v2.bin", tmpdir);
    write_llama2c_versioned(path, 2, 32, deq);
    model_llama_config c = {.dim = L.dim, .hidden_dim = L.hidden, .n_layers = L.n_layers,
                            .n_heads = L.n_heads, .n_kv_heads = L.n_kv_heads,
                            .vocab_size = L.vocab, .seq_len = L.seq_len,
                            .shared_classifier = true};
    model_llama_weights w = {
        .token_embedding_table = deq + L.emb, .rms_att_weight = deq + L.rms_att,
        .wq = deq + L.wq, .wk = deq + L.wk, .wv = deq + L.wv, .wo = deq + L.wo,
        .rms_ffn_weight = deq + L.rms_ffn, .w1 = deq + L.w1, .w2 = deq + L.w2, .w3 = deq + L.w3,
        .rms_final_weight = deq + L.rms_final, .wcls = deq + L.emb};
    ck_assert_int_eq(model_llama_create(&c, &w, &ref), SS_OK);
    ck_assert_str_eq(loader_of(path), "llama2c-v1");
    ck_assert_msg(model_load_any(path, &m, NULL, err, sizeof err) == SS_OK, "%s", err);
    expect_same_logits(ref, m, "v2");
    model_net_destroy(m);
    model_net_destroy(ref);

    /* W10: bad version, group sizes; exact size; non-finite scale */
    size_t n;
    unsigned char *v2 = read_whole(path, &n);
    struct {
        size_t off;
        int32_t v;
        ss_status want;
        const char *needle;
    } bad[] = {{4, 3, SS_EVERSION, "version 1 or 2, got 3"},
               {4, 0, SS_EVERSION, "got 0"},
               {37, 0, SS_ESCHEMA, "group_size"},
               {37, 24, SS_ESCHEMA, "divisor of dim 64, got 24"},
               {12, 0, SS_ESCHEMA, "hidden_dim"},
               {16, 1 << 30, SS_ERANGE, "n_layers"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char *x = malloc(n);
        memcpy(x, v2, n);
        memcpy(x + bad[i].off, &bad[i].v, 4);
        snprintf(path, sizeof path, "%s/bad.bin", tmpdir);
        write_bytes(path, x, n);
        free(x);
        ss_status s = model_load_any(path, &m, NULL, err, sizeof err);
        ck_assert_msg(s == bad[i].want && strstr(err, bad[i].needle) && strstr(err, "bad.bin"),
                      "case %zu: %s (%s)", i, ss_status_name(s), err);
        ck_assert_ptr_null(m);
    }
    write_bytes(path, v2, n - 1);
    ck_assert_int_eq(model_load_any(path, &m, NULL, err, sizeof err), SS_EPARSE);
    ck_assert(strstr(err, "truncated") != NULL);
    unsigned char *x = malloc(n + 4);
    memcpy(x, v2, n);
    memset(x + n, 0, 4);
    write_bytes(path, x, n + 4);
    ck_assert_int_eq(model_load_any(path, &m, NULL, err, sizeof err), SS_EPARSE);
    ck_assert(strstr(err, "trailing") != NULL);
    /* the last scale of the file (wcls is shared: w3 of the last layer) NaN */
    const float nan = NAN;
    memcpy(x, v2, n);
    memcpy(x + n - 4, &nan, 4);
    write_bytes(path, x, n);
    ck_assert_int_eq(model_load_any(path, &m, NULL, err, sizeof err), SS_ENUMERIC);
    free(x);
    free(v2);
    free(deq);
    free(bin);
}
END_TEST

/* Every allocation of every new loader path can fail: SS_ENOMEM (or an
 * error naming the file), *out NULL, nothing leaked (ASan's leak check). */
START_TEST(test_registry_loaders_fail_cleanly_at_every_allocation)
{
    char st_file[160], v2[160], err[512];
    snprintf(st_file, sizeof st_file, "%s/model.safetensors", tmpdir);
    write_hf_llama_from_bin(st_file);
    snprintf(v2, sizeof v2, "%s/v2.bin", tmpdir);
    write_llama2c_versioned(v2, 2, 32, NULL);
    const char *paths[3] = {SS_ASSET("stories260K/stories260K.gguf"), st_file, v2};
    for (int i = 0; i < 3; i++) {
        int ok = 0;
        for (long k = 0; k < 20000 && !ok; k += (k < 200 ? 1 : 97)) {
            model_net *m = (model_net *)0x1;
            ss_alloc_fail_after(k);
            ss_status s = model_load_any(paths[i], &m, NULL, err, sizeof err);
            ss_alloc_fail_after(-1);
            if (s == SS_OK) {
                ok = 1;
                model_net_destroy(m);
            } else {
                ck_assert_msg(s == SS_ENOMEM, "%s, failing after %ld: %s (%s)", paths[i], k,
                              ss_status_name(s), err);
                ck_assert_ptr_null(m);
            }
        }
        ck_assert_msg(ok, "%s never loaded", paths[i]);
    }
}
END_TEST

/* Expects rejection by content with one line naming the file. */
static void expect_unrecognised(const char *name, const void *bytes, size_t n, ss_status want,
                                const char *needle)
{
    char path[160], err[512] = "";
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    if (bytes)
        write_bytes(path, bytes, n);
    const model_loader *l = (const model_loader *)0x1;
    ss_status s = model_loader_find_for_file(path, &l, err, sizeof err);
    ck_assert_msg(s == want, "%s: got %s (%s)", name, ss_status_name(s), err);
    ck_assert_ptr_null(l);
    ck_assert_msg(strstr(err, path) && strstr(err, needle), "%s: \"%s\" lacks \"%s\"", name, err,
                  needle);
    ck_assert_msg(strchr(err, '\n') == NULL, "%s: error is not one line", name);
    model_net *m = (model_net *)0x1;
    ck_assert_int_eq(model_load_any(path, &m, NULL, err, sizeof err), want);
    ck_assert_ptr_null(m);
}

START_TEST(test_registry_rejects_unknown_empty_short_and_special_files)
{
    const char *expect = "expected GGUF";
    expect_unrecognised("empty.bin", "", 0, SS_EPARSE, "0 bytes, empty");
    expect_unrecognised("short.gguf", "GGU", 3, SS_EPARSE, expect);
    expect_unrecognised("text.safetensors", "hello, this is not a model file at all\n", 39,
                        SS_EPARSE, expect);
    /* 27 bytes of a valid v0 header: one short */
    size_t n;
    unsigned char *bin = read_whole(SS_ASSET("stories260K/stories260K.bin"), &n);
    expect_unrecognised("v0_27.bin", bin, 27, SS_EPARSE, "27 bytes");
    /* a v0 header with dim 0 matches nothing */
    unsigned char hdr[28];
    memcpy(hdr, bin, 28);
    memset(hdr, 0, 4);
    expect_unrecognised("dim0.bin", hdr, 28, SS_EPARSE, "llama2.c v0");
    /* a v0 header that is fine but the file truncated: recognised, and the
     * llama2.c loader says what is wrong */
    char path[160], err[512];
    snprintf(path, sizeof path, "%s/trunc.bin", tmpdir);
    write_bytes(path, bin, 1000);
    ck_assert_str_eq(loader_of(path), "llama2c");
    model_net *m = NULL;
    ck_assert_int_eq(model_load_any(path, &m, NULL, err, sizeof err), SS_EPARSE);
    ck_assert(strstr(err, "truncated") != NULL);
    free(bin);
    /* safetensors with 8 + 0 bytes and a header length of 2^32: not safetensors */
    const unsigned char st0[9] = {0, 0, 0, 0, 1, 0, 0, 0, '{'};
    expect_unrecognised("big.safetensors", st0, 9, SS_EPARSE, expect);
    /* llama2.c v1/v2: recognised by the magic; 32 bytes are a short header */
    const unsigned char v1[32] = {0x32, 0x34, 0x6b, 0x61, 1};
    snprintf(path, sizeof path, "%s/v1.bin", tmpdir);
    write_bytes(path, v1, sizeof v1);
    ck_assert_str_eq(loader_of(path), "llama2c-v1");
    ck_assert_int_eq(model_load_any(path, &m, NULL, err, sizeof err), SS_EPARSE);
    ck_assert(strstr(err, "v1.bin") && strstr(err, "truncated header"));
    ck_assert_ptr_null(m);
    /* a directory, a FIFO (never read: no writer, no hang), a missing file */
    expect_unrecognised("", NULL, 0, SS_EINVAL, "regular file");
    snprintf(path, sizeof path, "%s/fifo", tmpdir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    expect_unrecognised("fifo", NULL, 0, SS_EINVAL, "regular file");
    expect_unrecognised("missing.gguf", NULL, 0, SS_ENOENT, "cannot open");
}
END_TEST

/* The four signatures are disjoint on the real files' first bytes. */
START_TEST(test_registry_signatures_are_disjoint)
{
    const char *files[3] = {SS_ASSET("stories260K/stories260K.bin"),
                            SS_ASSET("stories260K/stories260K.gguf"),
                            SS_ASSET("mnist/mnist_cnn.safetensors")};
    const unsigned char v1[32] = {0x32, 0x34, 0x6b, 0x61, 2};
    for (int k = 0; k < 4; k++) {
        size_t n = sizeof v1;
        unsigned char *h = k < 3 ? read_whole(files[k], &n) : (unsigned char *)v1;
        int matches = 0;
        for (int i = 0; i < model_loader_count(); i++)
            matches += model_loader_at(i)->sniff(h, n < 32 ? n : 32, n);
        ck_assert_int_eq(matches, 1);
        if (k < 3)
            free(h);
    }
    ck_assert_ptr_null(model_loader_at(model_loader_count()));
    ck_assert_ptr_null(model_loader_at(-1));
}
END_TEST

static TCase *registry_tcase(void)
{
    TCase *tc = tcase_create("registry");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_registry_picks_the_loader_by_content_for_bin_gguf_and_safetensors);
    tcase_add_test(tc, test_registry_safetensors_llama_needs_config_and_is_permuted);
    tcase_add_test(tc, test_registry_rejects_unknown_empty_short_and_special_files);
    tcase_add_test(tc, test_registry_signatures_are_disjoint);
    tcase_add_test(tc, test_registry_loads_llama2c_v1_and_v2_exports);
    tcase_add_test(tc, test_registry_loaders_fail_cleanly_at_every_allocation);
    return tc;
}

/* ------------------------------------------------------ IDX, TinyStories, eval */

START_TEST(test_idx_reads_the_mnist_test_set)
{
    char err[256];
    model_idx *img = NULL, *lab = NULL;
    ck_assert_msg(model_idx_load(SS_ASSET("mnist/t10k-images-idx3-ubyte"), &img, err,
                                 sizeof err) == SS_OK, "%s", err);
    ck_assert_msg(model_idx_load(SS_ASSET("mnist/t10k-labels-idx1-ubyte"), &lab, err,
                                 sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(img->n_dims, 3);
    ck_assert_uint_eq(img->n_items, 10000);
    ck_assert_uint_eq(img->dims[1], 28);
    ck_assert_uint_eq(img->dims[2], 28);
    ck_assert_uint_eq(img->item_elems, 784);
    ck_assert_int_eq(lab->n_dims, 1);
    ck_assert_uint_eq(lab->n_items, 10000);
    ck_assert_uint_eq(lab->item_elems, 1);
    /* the well-known first test labels: 7 2 1 0 4 1 4 9 5 9 */
    const uint8_t first[10] = {7, 2, 1, 0, 4, 1, 4, 9, 5, 9};
    ck_assert_mem_eq(lab->data, first, 10);
    int counts[10] = {0};
    for (int i = 0; i < 10000; i++) {
        ck_assert_uint_lt(lab->data[i], 10);
        counts[lab->data[i]]++;
    }
    ck_assert_int_eq(counts[0], 980); /* MNIST test-set class sizes */
    ck_assert_int_eq(counts[1], 1135);
    /* the data equals the file bytes after the 16-byte header */
    size_t n;
    unsigned char *raw = read_whole(SS_ASSET("mnist/t10k-images-idx3-ubyte"), &n);
    ck_assert_uint_eq(n, 16 + 7840000);
    ck_assert_mem_eq(img->data, raw + 16, 7840000);
    free(raw);
    model_idx_free(img);
    model_idx_free(lab);
    model_idx_free(NULL);
}
END_TEST

static ss_status idx_try(const unsigned char *bytes, size_t n, char *err, size_t errlen)
{
    char path[128];
    snprintf(path, sizeof path, "%s/crafted.idx", tmpdir);
    write_bytes(path, bytes, n);
    model_idx *x = (model_idx *)0x1;
    ss_status s = model_idx_load(path, &x, err, errlen);
    if (s == SS_OK)
        model_idx_free(x);
    else
        ck_assert_ptr_null(x);
    return s;
}

START_TEST(test_idx_rejects_bad_magic_and_counts_beyond_the_file)
{
    char err[256];
    /* valid: 3 labels */
    const unsigned char ok[] = {0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3};
    ck_assert_int_eq(idx_try(ok, sizeof ok, err, sizeof err), SS_OK);
    /* wrong magic: swapped endianness, non-zero first byte, 0 or 5 dims */
    const unsigned char le[] = {1, 8, 0, 0, 3, 0, 0, 0, 1, 2, 3};
    ck_assert_int_eq(idx_try(le, sizeof le, err, sizeof err), SS_EPARSE);
    ck_assert(strstr(err, "magic") && strstr(err, "crafted.idx"));
    const unsigned char d0[] = {0, 0, 8, 0, 1};
    ck_assert_int_eq(idx_try(d0, sizeof d0, err, sizeof err), SS_EPARSE);
    const unsigned char d5[] = {0, 0, 8, 5, 0, 0, 0, 1};
    ck_assert_int_eq(idx_try(d5, sizeof d5, err, sizeof err), SS_EPARSE);
    /* float data (0x0D) is a real IDX type we do not read */
    const unsigned char fl[] = {0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0};
    ck_assert_int_eq(idx_try(fl, sizeof fl, err, sizeof err), SS_EUNSUPPORTED);
    /* counts larger than the file: 4 labels declared, 3 present; and 2^32-1 images */
    const unsigned char big[] = {0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3};
    ck_assert_int_eq(idx_try(big, sizeof big, err, sizeof err), SS_ESCHEMA);
    ck_assert(strstr(err, "byte 8") != NULL);
    const unsigned char huge[] = {0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28, 0};
    ck_assert_int_eq(idx_try(huge, sizeof huge, err, sizeof err), SS_ESCHEMA);
    /* trailing byte */
    const unsigned char trail[] = {0, 0, 8, 1, 0, 0, 0, 2, 1, 2, 3};
    ck_assert_int_eq(idx_try(trail, sizeof trail, err, sizeof err), SS_ESCHEMA);
    /* truncated header: 3 dims declared, one present */
    const unsigned char shorth[] = {0, 0, 8, 3, 0, 0, 0, 1};
    ck_assert_int_eq(idx_try(shorth, sizeof shorth, err, sizeof err), SS_EPARSE);
    ck_assert_int_eq(idx_try(ok, 3, err, sizeof err), SS_EPARSE);
}
END_TEST

START_TEST(test_stories_split_on_endoftext_and_strip_whitespace)
{
    char path[128], err[256];
    snprintf(path, sizeof path, "%s/s.txt", tmpdir);
    const char *txt = "  One day.\n\n<|endoftext|>\n\t\n<|endoftext|>Two\r\n lines \n"
                      "<|endoftext|><|endoftext|> x <|endoftext|>\n";
    write_bytes(path, txt, strlen(txt));
    model_stories *st = NULL;
    ck_assert_int_eq(model_stories_load(path, &st, err, sizeof err), SS_OK);
    ck_assert_int_eq(st->n, 3);
    ck_assert_str_eq(st->text[0], "One day.");
    ck_assert_str_eq(st->text[1], "Two\r\n lines");
    ck_assert_str_eq(st->text[2], "x");
    ck_assert_uint_eq(st->len[1], strlen("Two\r\n lines"));
    model_stories_free(st);
    /* NUL bytes are refused, with the offset */
    write_bytes(path, "ab\0c", 4);
    ck_assert_int_eq(model_stories_load(path, &st, err, sizeof err), SS_EPARSE);
    ck_assert(strstr(err, "byte 2") != NULL);
    /* no separator at all: one story */
    write_bytes(path, "just text", 9);
    ck_assert_int_eq(model_stories_load(path, &st, err, sizeof err), SS_OK);
    ck_assert_int_eq(st->n, 1);
    model_stories_free(st);
}
END_TEST

START_TEST(test_stories_reads_the_thousand_tinystories)
{
    char err[256];
    model_stories *st = NULL;
    ck_assert_int_eq(model_stories_load(SS_ASSET("tinystories/tinystories_valid_first1000.txt"),
                                        &st, err, sizeof err), SS_OK);
    ck_assert_int_eq(st->n, 1000);
    size_t total = 0;
    for (int i = 0; i < st->n; i++) {
        ck_assert_uint_gt(st->len[i], 0);
        ck_assert_uint_eq(strlen(st->text[i]), st->len[i]);
        ck_assert(strstr(st->text[i], "<|endoftext|>") == NULL);
        ck_assert(!isspace((unsigned char)st->text[i][0]));
        ck_assert(!isspace((unsigned char)st->text[i][st->len[i] - 1]));
        total += st->len[i];
    }
    /* file = stories + 1000 separators + the stripped whitespace */
    ck_assert_uint_lt(total, 807375 - 1000 * 13);
    ck_assert_uint_gt(total, 807375 - 1000 * 13 - 1000 * 4);
    ck_assert_str_eq(st->text[st->n - 1] + st->len[st->n - 1] - 20, "his special performance." + 4);
    model_stories_free(st);
}
END_TEST

/* Perplexity of stories260K on TinyStories: the prefill path (one call per
 * story) against an independent token-by-token loop with a persistent
 * state, written here; and the same figure through a split span list. */
START_TEST(test_eval_perplexity_of_stories260k_matches_token_by_token_scoring)
{
    char err[256];
    model_net *m = NULL;
    model_tokenizer *tok = NULL;
    model_stories *st = NULL;
    ck_assert_msg(model_llama2c_load_net(SS_ASSET("stories260K/stories260K.bin"), &m, err,
                                         sizeof err) == SS_OK, "%s", err);
    ck_assert_msg(model_tokenizer_load(SS_ASSET("stories260K/tok512.bin"), 512, &tok, err,
                                       sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(model_stories_load(SS_ASSET("tinystories/tinystories_valid_first1000.txt"),
                                        &st, err, sizeof err), SS_OK);
    enum { NS = 8 };
    model_eval_ppl_result r;
    ck_assert_msg(model_eval_perplexity(m, tok, st, NS, NULL, &r, err, sizeof err) == SS_OK, "%s",
                  err);
    printf("stories260K perplexity over %d stories: %llu tokens, mean NLL %.4f, ppl %.4f\n",
           r.n_stories, (unsigned long long)r.n_tokens_scored, r.mean_nll, r.perplexity);
    ck_assert_int_eq(r.n_stories, NS);

    /* independent twin: token by token, pos 0.., double log-softmax */
    int nb = model_net_n_blocks(m), dim = (int)model_net_block(m, 0)->act_in_elems;
    double sum = 0;
    uint64_t count = 0;
    float *x = malloc((size_t)dim * sizeof *x), *y = malloc((size_t)dim * sizeof *y);
    float logits[512];
    for (int i = 0; i < NS; i++) {
        size_t cap = model_tokenizer_max_tokens(st->text[i]);
        int32_t *t = malloc(cap * sizeof *t);
        int n = 0;
        ck_assert_int_eq(model_tokenizer_encode(tok, st->text[i], true, false, t, cap, &n), SS_OK);
        ck_assert_int_eq(t[0], 1); /* BOS */
        if (n > model_net_seq_len(m))
            n = model_net_seq_len(m);
        model_state *s = NULL;
        ck_assert_int_eq(model_state_create(m, 0, nb, &s), SS_OK);
        for (int p = 0; p + 1 < n; p++) {
            ck_assert_int_eq(model_net_embed(m, 1, &t[p], NULL, x), SS_OK);
            ck_assert_int_eq(model_net_span_forward(m, s, 0, nb, p, 1, x, y), SS_OK);
            ck_assert_int_eq(model_net_head(m, 1, y, logits), SS_OK);
            double mx = -INFINITY, z = 0;
            for (int v = 0; v < 512; v++)
                mx = logits[v] > mx ? logits[v] : mx;
            for (int v = 0; v < 512; v++)
                z += exp(logits[v] - mx);
            sum += -(logits[t[p + 1]] - mx - log(z));
            count++;
        }
        model_state_destroy(s);
        free(t);
    }
    free(x), free(y);
    ck_assert_uint_eq(r.n_tokens_scored, count);
    ck_assert_msg(fabs(r.mean_nll - sum / (double)count) < 1e-4, "prefill %.6f vs stepwise %.6f",
                  r.mean_nll, sum / (double)count);
    /* a 260K-parameter model is far better than uniform (ln 512 = 6.24) */
    ck_assert(r.mean_nll > 0.5 && r.mean_nll < 2.5);
    ck_assert(fabs(r.perplexity - exp(r.mean_nll)) < 1e-12);

    const int ends[] = {2, 3, nb};
    model_eval_route route = {.span_ends = ends, .n_spans = 3};
    model_eval_ppl_result r2;
    ck_assert_int_eq(model_eval_perplexity(m, tok, st, NS, &route, &r2, err, sizeof err), SS_OK);
    ck_assert_uint_eq(r2.n_tokens_scored, r.n_tokens_scored);
    ck_assert(fabs(r2.mean_nll - r.mean_nll) < 1e-6);
    model_stories_free(st);
    model_tokenizer_destroy(tok);
    model_net_destroy(m);
}
END_TEST

static TCase *data_tcase(void)
{
    TCase *tc = tcase_create("data_eval");
    tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_idx_reads_the_mnist_test_set);
    tcase_add_test(tc, test_idx_rejects_bad_magic_and_counts_beyond_the_file);
    tcase_add_test(tc, test_stories_split_on_endoftext_and_strip_whitespace);
    tcase_add_test(tc, test_stories_reads_the_thousand_tinystories);
    tcase_add_test(tc, test_eval_perplexity_of_stories260k_matches_token_by_token_scoring);
    return tc;
}

Suite *loaders_suite(void)
{
    Suite *s = suite_create("loaders");
    suite_add_tcase(s, st_tcase());
    suite_add_tcase(s, gguf_tcase());
    suite_add_tcase(s, registry_tcase());
    suite_add_tcase(s, data_tcase());
    return s;
}
