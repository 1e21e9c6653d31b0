/* check_loaders.c - safetensors and GGUF readers on the real assets and on
 * crafted bad files (PITFALLS.md S01-S12, G01-G08), plus the IDX and
 * TinyStories readers. Bad files are written to a fresh temp directory. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

Suite *loaders_suite(void)
{
    Suite *s = suite_create("loaders");
    suite_add_tcase(s, st_tcase());
    return s;
}
