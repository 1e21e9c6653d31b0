/* check_json.c - the strict JSON layer: what it rejects, where it says so,
 * and what the typed getters accept. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ss_alloc.h"
#include "ss_json.h"

/* Parse `len` bytes; return the status and leave the message in err. */
static ss_status parse_n(const char *text, size_t len, char *err, size_t errlen)
{
    cJSON *root = NULL;
    ss_status rc = ss_json_parse("t.json", text, len, &root, err, errlen);
    if (rc == SS_OK) {
        ck_assert_ptr_nonnull(root);
        cJSON_Delete(root);
    } else {
        ck_assert_ptr_null(root);
    }
    return rc;
}

static ss_status parse(const char *text, char *err, size_t errlen)
{
    return parse_n(text, strlen(text), err, errlen);
}

/* Expect rejection with exactly `want` as the message. */
static void rejects(const char *text, size_t len, const char *want)
{
    char err[512] = "";
    ck_assert_int_ne(parse_n(text, len, err, sizeof err), SS_OK);
    ck_assert_str_eq(err, want);
}

static void accepts(const char *text)
{
    char err[512] = "";
    ss_status rc = parse(text, err, sizeof err);
    ck_assert_msg(rc == SS_OK, "rejected %s: %s", text, err);
}

static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 1);
    for (int i = 0; i < depth; i++) {
        s[i] = '[';
        s[depth + i] = ']';
    }
    s[2 * depth] = '\0';
    return s;
}

START_TEST(test_parse_accepts_plain_documents)
{
    accepts("{}");
    accepts("[]");
    accepts(" \n{\"a\": [1, -0.5, 2e3, 1E-2, true, false, null, \"x\\u00e9\\ud83d\\ude00\"]}\n");
    accepts("0");
    accepts("\"caf\xc3\xa9\"");
}
END_TEST

START_TEST(test_depth_64_is_accepted_and_65_rejected)
{
    char *ok = nested(SS_JSON_MAX_DEPTH), *bad = nested(SS_JSON_MAX_DEPTH + 1);
    accepts(ok);
    rejects(bad, strlen(bad), "t.json: line 1, column 65 (byte 64): nesting deeper than 64 levels");
    free(ok);
    free(bad);
}
END_TEST

START_TEST(test_100000_open_brackets_are_rejected_without_recursing_deeply)
{
    size_t n = 100000;
    char *s = malloc(n);
    memset(s, '[', n);
    rejects(s, n, "t.json: line 1, column 65 (byte 64): nesting deeper than 64 levels");
    free(s);
}
END_TEST

START_TEST(test_trailing_garbage_is_rejected_with_its_offset)
{
    rejects("{} {}", 5,
            "t.json: line 1, column 4 (byte 3): expected end of input after the JSON value, got '{'");
    rejects("{}x", 3,
            "t.json: line 1, column 3 (byte 2): expected end of input after the JSON value, got 'x'");
    rejects("{}\0junk", 7, "t.json: line 1, column 3 (byte 2): expected JSON text, got a NUL byte");
    rejects("123\0", 4, "t.json: line 1, column 4 (byte 3): expected JSON text, got a NUL byte");
}
END_TEST

START_TEST(test_errors_give_line_column_and_byte_offset)
{
    /* Column counts characters: "é" is two bytes but one column. */
    rejects("{\n  \"\xc3\xa9\" 1}", 11,
            "t.json: line 2, column 7 (byte 9): expected ':' after an object key, got '1'");
    rejects("{\n  \"\xc3\xa9\": 1,\n  \"b\" 2}", 21,
            "t.json: line 3, column 7 (byte 19): expected ':' after an object key, got '2'");
    rejects("[1,]", 4, "t.json: line 1, column 4 (byte 3): expected a value after ',' (trailing "
                       "commas are not allowed), got ']'");
    rejects("{\"a\":1,}", 8, "t.json: line 1, column 8 (byte 7): expected a string key after ',' "
                             "(trailing commas are not allowed), got '}'");
    rejects("{\"nodes\":[{\"id\":1,", 18,
            "t.json: line 1, column 19 (byte 18): expected a string key after ',' (trailing "
            "commas are not allowed), got end of input");
    rejects("[\"abc", 5, "t.json: line 1, column 2 (byte 1): unterminated string (expected a "
                         "closing '\"')");
    rejects("[NaN]", 5, "t.json: line 1, column 2 (byte 1): expected a JSON value, got 'NaN'");
}
END_TEST

START_TEST(test_empty_and_whitespace_documents_are_rejected)
{
    rejects("", 0, "t.json: expected a JSON value, got an empty file");
    rejects(" \n\t ", 4, "t.json: expected a JSON value, got only whitespace (4 bytes)");
}
END_TEST

START_TEST(test_byte_order_marks_and_utf16_are_rejected)
{
    rejects("\xef\xbb\xbf{}", 5, "t.json: line 1, column 1 (byte 0): expected JSON text, got a "
                                 "UTF-8 byte order mark (save the file as UTF-8 without BOM)");
    rejects("\xff\xfe{\0}\0", 6, "t.json: line 1, column 1 (byte 0): expected UTF-8 JSON text, "
                                 "got a UTF-16LE byte order mark");
    rejects("{\0}\0", 4, "t.json: line 1, column 2 (byte 1): expected UTF-8 JSON text, got a NUL "
                         "byte (the file looks like UTF-16)");
}
END_TEST

START_TEST(test_invalid_utf8_and_bad_strings_are_rejected)
{
    rejects("[\"\xc0\xaf\"]", 5,
            "t.json: line 1, column 3 (byte 2): expected UTF-8 text, got an invalid byte 0xC0");
    rejects("[\"\xed\xa0\x80\"]", 6,
            "t.json: line 1, column 3 (byte 2): expected UTF-8 text, got an invalid byte 0xED");
    rejects("[\"a\\u0000b\"]", 12, "t.json: line 1, column 4 (byte 3): \\u0000 is not allowed in "
                                   "strings (it would truncate them)");
    rejects("[\"\\ud800\"]", 10, "t.json: line 1, column 3 (byte 2): lone high surrogate escape "
                                 "(expected a low surrogate \\uDC00-\\uDFFF after it)");
    rejects("[\"\\udc00\"]", 10, "t.json: line 1, column 3 (byte 2): lone low surrogate escape "
                                 "(expected a high surrogate \\uD800-\\uDBFF before it)");
    rejects("[\"a\tb\"]", 7, "t.json: line 1, column 4 (byte 3): expected a character or an "
                             "escape inside a string (raw control characters must be escaped), got "
                             "control character U+0009");
    rejects("[\"\\x\"]", 6, "t.json: line 1, column 4 (byte 3): expected one of \\\" \\\\ \\/ \\b "
                            "\\f \\n \\r \\t \\u, got 'x'");
}
END_TEST

START_TEST(test_lax_numbers_that_cjson_accepts_are_rejected)
{
    char err[512];
    const char *bad[] = {"-01", "2.", ".5", "2.e3", "+1", "01", "1e", "-", "0x10", "1e999",
                         "-1e999", "123e100000", "1e-999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(parse(bad[i], err, sizeof err) == SS_EPARSE, "accepted %s", bad[i]);
    rejects("[1e999]", 7, "t.json: line 1, column 2 (byte 1): number 1e999 is too large for a double");
    rejects("[1e-999]", 8, "t.json: line 1, column 2 (byte 1): number 1e-999 is too small for a "
                           "double (it would read as 0)");
    accepts("[0e-999, -0, 1e308, 5e-324]");
}
END_TEST

START_TEST(test_duplicate_keys_are_rejected_in_every_object)
{
    rejects("{\"seed\":1,\"seed\":2}", 19,
            "t.json: seed: duplicate key (each key may appear once per object)");
    rejects("{\"a\":{\"b\":[{\"x\":1,\"y\":2,\"x\":3}]}}", 33,
            "t.json: a.b[0].x: duplicate key (each key may appear once per object)");
    /* Escapes are decoded before comparing. */
    rejects("{\"ab\":1,\"a\\u0062\":2}", 20,
            "t.json: ab: duplicate key (each key may appear once per object)");
    /* Case variants are different keys to JSON (the schema rejects them). */
    accepts("{\"Seed\":1,\"seed\":2}");
}
END_TEST

START_TEST(test_duplicate_in_a_large_object_reports_the_first_repeat)
{
    /* More than 16 members takes the sorting path. */
    char buf[2048];
    size_t o = 0;
    o += (size_t)snprintf(buf + o, sizeof buf - o, "{");
    for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(buf + o, sizeof buf - o, "\"k%02d\":%d,", i, i);
    o += (size_t)snprintf(buf + o, sizeof buf - o, "\"k30\":0,\"k07\":0}");
    rejects(buf, o, "t.json: k30: duplicate key (each key may appear once per object)");
}
END_TEST

START_TEST(test_empty_and_overlong_keys_are_rejected)
{
    rejects("{\"a\":{\"\":1}}", 12, "t.json: a[\"\"]: expected a non-empty key, got \"\"");
    char buf[600];
    int n = snprintf(buf, sizeof buf, "{\"%0256d\":1}", 0);
    rejects(buf, (size_t)n,
            "t.json: [\"0000000000000000000000000000000000000000...\"]: expected a key of at most "
            "255 bytes, got 256 bytes");
    n = snprintf(buf, sizeof buf, "{\"%0255d\":1}", 0);
    accepts(buf);
}
END_TEST

START_TEST(test_did_you_mean_picks_the_closest_key)
{
    const char *keys[] = {"version", "name", "seed", "horizon_s", "nodes"};
    ck_assert_str_eq(ss_json_closest("sede", keys, 5), "seed");
    ck_assert_str_eq(ss_json_closest("Seed", keys, 5), "seed");
    ck_assert_str_eq(ss_json_closest("SEED", keys, 5), "seed");
    ck_assert_str_eq(ss_json_closest("horizon", keys, 5), "horizon_s");
    ck_assert_str_eq(ss_json_closest("nodse", keys, 5), "nodes");
    ck_assert_ptr_null(ss_json_closest("x", keys, 5));
    ck_assert_ptr_null(ss_json_closest("banana", keys, 5));

    cJSON *root;
    char err[256];
    ck_assert_int_eq(ss_json_parse("t.json", "{\"sede\":1}", 10, &root, err, sizeof err), SS_OK);
    ss_json_ctx cx = {"t.json", err, sizeof err};
    ck_assert_int_eq(ss_json_check_keys(&cx, root, "", keys, 5), SS_ESCHEMA);
    ck_assert_str_eq(err, "t.json: sede: unknown key \"sede\" (did you mean \"seed\"?)");
    cJSON_Delete(root);
    ck_assert_int_eq(ss_json_parse("t.json", "{\"a\":{\"zzz\":1}}", 15, &root, err, sizeof err),
                     SS_OK);
    ck_assert_int_eq(ss_json_check_keys(&cx, ss_json_find(root, "a"), "a", keys, 2), SS_ESCHEMA);
    ck_assert_str_eq(err, "t.json: a.zzz: unknown key \"zzz\" (expected one of: version, name)");
    cJSON_Delete(root);
}
END_TEST

/* Parse `text`, then read member `key` of the root with each getter. */
static cJSON *tree(const char *text)
{
    cJSON *root = NULL;
    char err[256];
    ss_status rc = ss_json_parse("t.json", text, strlen(text), &root, err, sizeof err);
    ck_assert_msg(rc == SS_OK, "%s", err);
    return root;
}

START_TEST(test_int_getter_checks_integrality_and_range_from_valuedouble)
{
    cJSON *r = tree("{\"a\":3000000000,\"b\":-1,\"c\":1.5,\"d\":9007199254740993,\"e\":-0,"
                    "\"f\":\"42\",\"g\":9007199254740991,\"h\":7}");
    char err[256];
    ss_json_ctx cx = {"t.json", err, sizeof err};
    int64_t v = 99;
    ck_assert_int_eq(ss_json_get_int(&cx, r, "", "a", 1, 0, 2147483647, &v), SS_ERANGE);
    ck_assert_str_eq(err, "t.json: a: expected an integer in [0, 2147483647], got 3000000000");
    ck_assert_int_eq(ss_json_get_int(&cx, r, "", "b", 1, 0, 10, &v), SS_ERANGE);
    ck_assert_str_eq(err, "t.json: b: expected an integer in [0, 10], got -1");
    ck_assert_int_eq(ss_json_get_int(&cx, r, "", "c", 1, 0, 10, &v), SS_ESCHEMA);
    ck_assert_str_eq(err, "t.json: c: expected an integer in [0, 10], got 1.5");
    ck_assert_int_eq(ss_json_get_int(&cx, r, "", "d", 1, 0, INT64_MAX, &v), SS_ERANGE);
    ck_assert_str_eq(err, "t.json: d: expected an integer in [0, 9223372036854775807], got "
                          "9007199254740992 (integers beyond 2^53-1 are not exact)");
    ck_assert_int_eq(ss_json_get_int(&cx, r, "", "f", 1, 0, 100, &v), SS_ESCHEMA);
    ck_assert_str_eq(err, "t.json: f: expected an integer in [0, 100], got \"42\"");
    ck_assert_int_eq(ss_json_get_int(&cx, r, "", "e", 1, 0, 10, &v), SS_OK);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(ss_json_get_int(&cx, r, "", "g", 1, 0, INT64_MAX, &v), SS_OK);
    ck_assert_int_eq(v, 9007199254740991LL);
    ck_assert_int_eq(ss_json_get_int(&cx, r, "", "missing", 1, 1, 5, &v), SS_ESCHEMA);
    ck_assert_str_eq(err, "t.json: missing: missing required key (expected an integer in [1, 5])");
    v = 77;
    ck_assert_int_eq(ss_json_get_int(&cx, r, "", "missing", 0, 1, 5, &v), SS_OK);
    ck_assert_int_eq(v, 77); /* optional and absent: default untouched */
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_number_getter_reports_type_and_range_with_path)
{
    cJSON *r = tree("{\"nodes\":[{\"memory_gb\":\"16GB\"},{\"memory_gb\":0},{\"memory_gb\":2e6},"
                    "{\"memory_gb\":true},{\"memory_gb\":null},{\"memory_gb\":24}]}");
    char err[256];
    ss_json_ctx cx = {"x.json", err, sizeof err};
    ss_json_num_rule pos = {0, 1e6, 1, 0, NULL};
    const cJSON *nodes = ss_json_find(r, "nodes");
    double d = 0;
    const char *want[] = {
        "x.json: nodes[0].memory_gb: expected a positive number, got \"16GB\"",
        "x.json: nodes[1].memory_gb: expected a positive number, got 0",
        "x.json: nodes[2].memory_gb: expected a number in (0, 1000000], got 2000000",
        "x.json: nodes[3].memory_gb: expected a positive number, got true",
        "x.json: nodes[4].memory_gb: expected a positive number, got null",
    };
    for (int i = 0; i < 5; i++) {
        char path[64];
        ss_json_path_index(path, sizeof path, "nodes", (size_t)i);
        ck_assert_int_ne(ss_json_get_number(&cx, cJSON_GetArrayItem(nodes, i), path, "memory_gb",
                                            1, &pos, &d),
                         SS_OK);
        ck_assert_str_eq(err, want[i]);
    }
    ck_assert_int_eq(ss_json_get_number(&cx, cJSON_GetArrayItem(nodes, 5), "nodes[5]", "memory_gb",
                                        1, &pos, &d),
                     SS_OK);
    ck_assert(d == 24.0);
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_number_getter_rejects_non_finite_values)
{
    /* A tree built in code can hold inf; the getter must still refuse it. */
    cJSON *r = cJSON_CreateObject();
    cJSON_AddItemToObject(r, "rate", cJSON_CreateNumber(INFINITY));
    char err[256];
    ss_json_ctx cx = {"t.json", err, sizeof err};
    ss_json_num_rule any = {-INFINITY, INFINITY, 0, 0, "a finite number"};
    double d;
    ck_assert_int_eq(ss_json_get_number(&cx, r, "", "rate", 1, &any, &d), SS_ERANGE);
    ck_assert_str_eq(err, "t.json: rate: expected a finite number, got infinity");
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_string_getter_checks_length_boundary_and_control_chars)
{
    char text[300];
    snprintf(text, sizeof text, "{\"ok\":\"%s\",\"long\":\"%s\",\"ctl\":\"a\\u0001b\",\"e\":\"\","
                                "\"n\":5,\"q\":\"a\\\"b\"}",
             "0123456", "01234567");
    cJSON *r = tree(text);
    char err[256], dst[8];
    ss_json_ctx cx = {"t.json", err, sizeof err};
    ck_assert_int_eq(ss_json_get_string(&cx, r, "", "ok", 1, dst, sizeof dst), SS_OK);
    ck_assert_str_eq(dst, "0123456");
    ck_assert_int_eq(ss_json_get_string(&cx, r, "", "long", 1, dst, sizeof dst), SS_ERANGE);
    ck_assert_str_eq(err, "t.json: long: expected a string of 1 to 7 bytes, got 8 bytes: "
                          "\"01234567\"");
    ck_assert_int_eq(ss_json_get_string(&cx, r, "", "ctl", 1, dst, sizeof dst), SS_ESCHEMA);
    ck_assert_str_eq(err, "t.json: ctl: expected text without control characters or invalid "
                          "UTF-8, got byte 0x01 at offset 1 in \"a\\u0001b\"");
    ck_assert_int_eq(ss_json_get_string(&cx, r, "", "e", 1, dst, sizeof dst), SS_ERANGE);
    ck_assert_int_eq(ss_json_get_string(&cx, r, "", "n", 1, dst, sizeof dst), SS_ESCHEMA);
    ck_assert_str_eq(err, "t.json: n: expected a string of 1 to 7 bytes, got 5");
    ck_assert_int_eq(ss_json_get_string(&cx, r, "", "q", 1, dst, sizeof dst), SS_OK);
    ck_assert_str_eq(dst, "a\"b");
    cJSON_Delete(r);
}
END_TEST

START_TEST(test_paths_quote_keys_that_are_not_identifiers)
{
    char p[128];
    ss_json_path_key(p, sizeof p, "", "seed");
    ck_assert_str_eq(p, "seed");
    ss_json_path_key(p, sizeof p, "a.b", "my key");
    ck_assert_str_eq(p, "a.b[\"my key\"]");
    ss_json_path_key(p, sizeof p, "a", "q\"\n");
    ck_assert_str_eq(p, "a[\"q\\\"\\u000a\"]");
    ss_json_path_index(p, sizeof p, "nodes", 3);
    ck_assert_str_eq(p, "nodes[3]");
}
END_TEST

START_TEST(test_read_file_rejects_directories_and_missing_files)
{
    char *buf;
    size_t len;
    char err[256];
    ck_assert_int_eq(ss_json_read_file("/nonexistent/x.json", &buf, &len, err, sizeof err),
                     SS_ENOENT);
    ck_assert_str_eq(err, "/nonexistent/x.json: cannot open: No such file or directory");
    ck_assert_int_eq(ss_json_read_file("/tmp", &buf, &len, err, sizeof err), SS_EIO);
    ck_assert_str_eq(err, "/tmp: expected a regular file, got a directory");
    ck_assert_int_eq(ss_json_read_file("/dev/zero", &buf, &len, err, sizeof err), SS_EIO);
    ck_assert_ptr_null(buf);
}
END_TEST

START_TEST(test_read_file_rejects_files_over_the_cap_before_reading)
{
    char path[] = "/tmp/ss_json_bigXXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    /* A sparse file: the size check must not read it. */
    ck_assert_int_eq(ftruncate(fd, (off_t)SS_JSON_MAX_BYTES + 1), 0);
    close(fd);
    char *buf;
    size_t len;
    char err[256], want[256];
    ck_assert_int_eq(ss_json_read_file(path, &buf, &len, err, sizeof err), SS_ERANGE);
    snprintf(want, sizeof want, "%s: expected at most 16777216 bytes, got 16777217", path);
    ck_assert_str_eq(err, want);
    unlink(path);
}
END_TEST

START_TEST(test_parse_fails_cleanly_at_every_allocation)
{
    const char *text = "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":{\"e\":null},\"f\":\"g\"}";
    int ok = 0;
    for (long n = 0; n < 1000 && !ok; n++) {
        cJSON *root = NULL;
        char err[256];
        ss_alloc_fail_after(n);
        ss_status rc = ss_json_parse("t.json", text, strlen(text), &root, err, sizeof err);
        ss_alloc_fail_after(-1);
        if (rc == SS_OK) {
            ok = 1;
            ck_assert_int_gt(n, 5);
            cJSON_Delete(root);
        } else {
            ck_assert_int_eq(rc, SS_ENOMEM);
            ck_assert_str_eq(err, "t.json: out of memory");
            ck_assert_ptr_null(root);
        }
    }
    ck_assert(ok);
}
END_TEST

Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_parse_accepts_plain_documents);
    tcase_add_test(tc, test_depth_64_is_accepted_and_65_rejected);
    tcase_add_test(tc, test_100000_open_brackets_are_rejected_without_recursing_deeply);
    tcase_add_test(tc, test_trailing_garbage_is_rejected_with_its_offset);
    tcase_add_test(tc, test_errors_give_line_column_and_byte_offset);
    tcase_add_test(tc, test_empty_and_whitespace_documents_are_rejected);
    tcase_add_test(tc, test_byte_order_marks_and_utf16_are_rejected);
    tcase_add_test(tc, test_invalid_utf8_and_bad_strings_are_rejected);
    tcase_add_test(tc, test_lax_numbers_that_cjson_accepts_are_rejected);
    tcase_add_test(tc, test_duplicate_keys_are_rejected_in_every_object);
    tcase_add_test(tc, test_duplicate_in_a_large_object_reports_the_first_repeat);
    tcase_add_test(tc, test_empty_and_overlong_keys_are_rejected);
    tcase_add_test(tc, test_parse_fails_cleanly_at_every_allocation);
    suite_add_tcase(s, tc);
    TCase *tg = tcase_create("get");
    tcase_add_test(tg, test_did_you_mean_picks_the_closest_key);
    tcase_add_test(tg, test_int_getter_checks_integrality_and_range_from_valuedouble);
    tcase_add_test(tg, test_number_getter_reports_type_and_range_with_path);
    tcase_add_test(tg, test_number_getter_rejects_non_finite_values);
    tcase_add_test(tg, test_string_getter_checks_length_boundary_and_control_chars);
    tcase_add_test(tg, test_paths_quote_keys_that_are_not_identifiers);
    tcase_add_test(tg, test_read_file_rejects_directories_and_missing_files);
    tcase_add_test(tg, test_read_file_rejects_files_over_the_cap_before_reading);
    suite_add_tcase(s, tg);
    return s;
}
