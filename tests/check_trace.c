/* check_trace.c - Azure LLM trace replay: every inter-arrival time of both
 * shipped traces against an independent parse of the raw text, time
 * scaling, the timestamp grammar, and T-catalogue rejections. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dset_trace.h"
#include "ss_alloc.h"
#include "test_util.h"

#define CONV SS_ASSET("traces/AzureLLMInferenceTrace_conv.csv")
#define CODE SS_ASSET("traces/AzureLLMInferenceTrace_code.csv")

static const char *tmp_file(const char *text, size_t len)
{
    static char paths[4][64];
    static int k;
    char *p = paths[k++ % 4];
    snprintf(p, 64, "/tmp/trace_testXXXXXX");
    int fd = mkstemp(p);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return p;
}

/* Independent reference: sscanf each raw line; the shipped traces lie
 * within one day (2023-11-16), so ns of the day suffice; the 7 fraction
 * digits are 100 ns units. Returns the number of requests. */
static size_t raw_times(const char *path, long long **ns, long long **ctx, long long **gen)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char line[256];
    size_t n = 0, cap = 1 << 15;
    *ns = malloc(cap * sizeof **ns);
    *ctx = malloc(cap * sizeof **ctx);
    *gen = malloc(cap * sizeof **gen);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        int y, mo, d, h, mi, s;
        char frac[16];
        long long c, g;
        ck_assert_int_eq(sscanf(line, "%4d-%2d-%2d %2d:%2d:%2d.%7[0-9],%lld,%lld", &y, &mo, &d,
                                &h, &mi, &s, frac, &c, &g),
                         9);
        ck_assert_int_eq(strlen(frac), 7);
        ck_assert(y == 2023 && mo == 11 && d == 16);
        ck_assert_uint_lt(n, cap);
        (*ns)[n] = ((h * 60LL + mi) * 60 + s) * 1000000000LL + strtoll(frac, NULL, 10) * 100;
        (*ctx)[n] = c;
        (*gen)[n] = g;
        n++;
    }
    fclose(f);
    return n;
}

static void check_exact_replay(const char *path, size_t want_n)
{
    long long *ns, *ctx, *gen;
    size_t n = raw_times(path, &ns, &ctx, &gen);
    ck_assert_uint_eq(n, want_n);
    dset_trace t;
    char err[512] = "";
    ck_assert_msg(dset_trace_load(path, 1.0, &t, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_uint_eq(t.n, n);
    ck_assert_int_eq(t.reqs[0].arrival_ns, 0);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(t.reqs[i].prompt_tokens, ctx[i]);
        ck_assert_int_eq(t.reqs[i].output_tokens, gen[i]);
        ck_assert_int_eq(t.reqs[i].arrival_ns, ns[i] - ns[0]);
        if (i > 0)
            ck_assert_int_eq(t.reqs[i].arrival_ns - t.reqs[i - 1].arrival_ns, ns[i] - ns[i - 1]);
    }
    dset_trace_fini(&t);
    free(ns);
    free(ctx);
    free(gen);
}

/* Request counts: assets/README.md says 19,365 and 8,818, which is
 * `wc -l` minus the header; the files lack a final newline, so each holds
 * one request more (T02's off-by-one on the last row). */
START_TEST(test_conv_replay_preserves_every_inter_arrival_time_exactly)
{
    check_exact_replay(CONV, 19366);
}
END_TEST

START_TEST(test_code_replay_preserves_every_inter_arrival_time_exactly)
{
    check_exact_replay(CODE, 8819);
}
END_TEST

/* 2023-11-16 18:15:46.6805900 UTC: 19,677 days after 1970-01-01
 * (53 years, 13 leap days: 53*365 + 13 = 19,358 to 2023-01-01, plus 319
 * days to Nov 16) -> 19677 * 86400 + 65746 = 1,700,158,546 s. */
START_TEST(test_first_conv_timestamp_is_the_hand_computed_unix_time)
{
    dset_trace t;
    char err[512] = "";
    ck_assert_msg(dset_trace_load(CONV, 1.0, &t, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(t.t0_unix_ns, 1700158546680590000LL);
    dset_trace_fini(&t);
}
END_TEST

START_TEST(test_time_scale_multiplies_offsets)
{
    dset_trace a, b, c;
    char err[512] = "";
    ck_assert_int_eq(dset_trace_load(CODE, 1.0, &a, err, sizeof err), SS_OK);
    ck_assert_int_eq(dset_trace_load(CODE, 2.0, &b, err, sizeof err), SS_OK);
    ck_assert_int_eq(dset_trace_load(CODE, 0.5, &c, err, sizeof err), SS_OK);
    for (size_t i = 0; i < a.n; i++) {
        ck_assert_int_eq(b.reqs[i].arrival_ns, 2 * a.reqs[i].arrival_ns);
        /* offsets are multiples of 100 ns, so halving is exact too */
        ck_assert_int_eq(c.reqs[i].arrival_ns, a.reqs[i].arrival_ns / 2);
    }
    dset_trace_fini(&a);
    dset_trace_fini(&b);
    dset_trace_fini(&c);
    ck_assert_int_eq(dset_trace_load(CODE, 0.0, &a, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(dset_trace_load(CODE, -1.0, &a, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(dset_trace_load(CODE, 1e7, &a, err, sizeof err), SS_EINVAL);
}
END_TEST

START_TEST(test_timestamp_grammar)
{
    int64_t v;
    ck_assert_int_eq(dset_trace_parse_timestamp("1970-01-01 00:00:00", &v), SS_OK);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(dset_trace_parse_timestamp("1970-01-01 00:00:00.5", &v), SS_OK);
    ck_assert_int_eq(v, 500000000);
    ck_assert_int_eq(dset_trace_parse_timestamp("1970-01-02 00:00:01.000000001", &v), SS_OK);
    ck_assert_int_eq(v, 86401000000001LL);
    /* 2000 is a leap year (div by 400): 2000-03-01 is day 11,017 */
    ck_assert_int_eq(dset_trace_parse_timestamp("2000-02-29 00:00:00", &v), SS_OK);
    ck_assert_int_eq(v, 11016LL * 86400 * 1000000000);
    const char *bad[] = {"",
                         "2023-11-16",
                         "2023-11-16 18:15:46.",
                         "2023-11-16 18:15:46.1234567890",
                         "2023-11-16T18:15:46",
                         "2023-11-16 18:15:46Z",
                         "2023-11-16 18:15:46 ",
                         " 2023-11-16 18:15:46",
                         "2023-13-16 18:15:46",
                         "2023-02-29 18:15:46",
                         "1900-02-29 00:00:00",
                         "2023-11-31 00:00:00",
                         "2023-11-00 00:00:00",
                         "2023-11-16 24:00:00",
                         "2023-11-16 23:60:00",
                         "2023-11-16 23:59:60",
                         "1969-12-31 23:59:59",
                         "2201-01-01 00:00:00",
                         "2023-1-16 18:15:46",
                         "+023-11-16 18:15:46"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(dset_trace_parse_timestamp(bad[i], &v) == SS_EPARSE, "\"%s\"", bad[i]);
}
END_TEST

START_TEST(test_ties_are_kept_in_file_order)
{
    static const char t3[] = "TIMESTAMP,ContextTokens,GeneratedTokens\n"
                             "2023-11-16 00:00:01,10,1\n"
                             "2023-11-16 00:00:01,20,2\n"
                             "2023-11-16 00:00:03.25,30,3";
    const char *p = tmp_file(t3, sizeof t3 - 1);
    dset_trace t;
    char err[512] = "";
    ck_assert_msg(dset_trace_load(p, 1.0, &t, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_uint_eq(t.n, 3);
    ck_assert_int_eq(t.reqs[0].prompt_tokens, 10);
    ck_assert_int_eq(t.reqs[1].prompt_tokens, 20);
    ck_assert_int_eq(t.reqs[1].arrival_ns, 0);
    ck_assert_int_eq(t.reqs[2].arrival_ns, 2250000000LL);
    dset_trace_fini(&t);
    unlink(p);
}
END_TEST

static const struct {
    const char *text;
    ss_status st;
    const char *want;
} bad_traces[] = {
    {"", SS_EPARSE, "empty file"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n", SS_EPARSE, "line 2: no requests"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\r\n", SS_EPARSE, "line 2: no requests"},
    {"2023-11-16 00:00:01,10,1\n", SS_EPARSE, "line 1: expected header column 1 \"TIMESTAMP\""},
    {"TIMESTAMP,GeneratedTokens,ContextTokens\n", SS_EPARSE, "line 1: expected header column 2"},
    {"TIMESTAMP,ContextTokens\n", SS_EPARSE, "line 1: expected a header of 3 columns, got 2"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,10,\n", SS_EPARSE, "line 2: GeneratedTokens: expected an integer, got \"\""},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,10\n", SS_EPARSE, "line 2: expected 3 fields, got 2"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,10,1,1\n", SS_EPARSE, "line 2: expected 3 fields, got 4"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,10,1\n2023-11-16 00:00:00,10,1\n", SS_ERANGE, "line 3: TIMESTAMP 2023-11-16 00:00:00 is earlier"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,0,1\n", SS_ERANGE, "line 2: ContextTokens: expected an integer in [1, 10000000], got 0"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,-1,1\n", SS_ERANGE, "ContextTokens"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,1.5,1\n", SS_EPARSE, "line 2: ContextTokens: expected an integer, got \"1.5\""},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,10,1e3\n", SS_EPARSE, "got \"1e3\""},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,10,+3\n", SS_EPARSE, "got \"+3\""},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01, 10,3\n", SS_EPARSE, "got \" 10\""},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,12345678901234567890,3\n", SS_ERANGE, "ContextTokens"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,3000000000,3\n", SS_ERANGE, "ContextTokens"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,nan,3\n", SS_EPARSE, "got \"nan\""},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,10,3\n2023-11-16 00:00:0", SS_EPARSE, "line 3: expected 3 fields, got 1"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,10,3\n2023-11-16 00:00:02,", SS_EPARSE, "line 3: expected 3 fields, got 2"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,10,3\n2023-11-16 00:00:02,5,", SS_EPARSE, "line 3: GeneratedTokens: expected an integer"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 25:00:01,10,3\n", SS_EPARSE, "line 2: TIMESTAMP: expected YYYY-MM-DD HH:MM:SS"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n1700158546.68,10,3\n", SS_EPARSE, "line 2: TIMESTAMP"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n\n2023-11-16 00:00:01,10,3\n", SS_EPARSE, "line 2: empty line"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 00:00:01,10,3\n\n", SS_EPARSE, "line 3: empty line"},
    {"TIMESTAMP,ContextTokens,GeneratedTokens\n\"2023-11-16 00:00:01,10,3\n", SS_EPARSE, "line 2: unterminated quoted field 1"},
};

START_TEST(test_bad_trace_is_rejected_naming_the_line)
{
    const char *p = tmp_file(bad_traces[_i].text, strlen(bad_traces[_i].text));
    dset_trace t;
    memset(&t, 0xAB, sizeof t);
    char err[512] = "";
    ss_status st = dset_trace_load(p, 1.0, &t, err, sizeof err);
    ck_assert_msg(st == bad_traces[_i].st, "case %d: %s: %s", _i, ss_status_name(st), err);
    ck_assert_msg(strstr(err, bad_traces[_i].want) != NULL, "case %d: %s", _i, err);
    ck_assert_msg(strstr(err, p) != NULL, "case %d names no file: %s", _i, err);
    ck_assert_ptr_null(t.reqs);
    ck_assert_uint_eq(t.n, 0);
    unlink(p);
}
END_TEST

/* Quoted fields are fine (RFC 4180); a BOM is stripped. */
START_TEST(test_quoted_fields_and_bom_are_accepted)
{
    static const char t2[] = "\xEF\xBB\xBF\"TIMESTAMP\",ContextTokens,GeneratedTokens\r\n"
                             "\"2023-11-16 00:00:01\",\"10\",1\r\n";
    const char *p = tmp_file(t2, sizeof t2 - 1);
    dset_trace t;
    char err[512] = "";
    ck_assert_msg(dset_trace_load(p, 1.0, &t, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_uint_eq(t.n, 1);
    ck_assert_int_eq(t.reqs[0].prompt_tokens, 10);
    dset_trace_fini(&t);
    unlink(p);
}
END_TEST

START_TEST(test_every_allocation_failure_is_clean)
{
    int ok = 0;
    for (long n = 0; n < 100 && !ok; n++) {
        dset_trace t;
        char err[512] = "";
        ss_alloc_fail_after(n);
        ss_status st = dset_trace_load(CODE, 1.0, &t, err, sizeof err);
        ss_alloc_fail_after(-1);
        if (st == SS_OK) {
            ok = 1;
            ck_assert_uint_eq(t.n, 8819);
            dset_trace_fini(&t);
        } else {
            ck_assert_int_eq(st, SS_ENOMEM);
            ck_assert_ptr_null(t.reqs);
        }
    }
    ck_assert(ok);
}
END_TEST

Suite *trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *t = tcase_create("trace");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_conv_replay_preserves_every_inter_arrival_time_exactly);
    tcase_add_test(t, test_code_replay_preserves_every_inter_arrival_time_exactly);
    tcase_add_test(t, test_first_conv_timestamp_is_the_hand_computed_unix_time);
    tcase_add_test(t, test_time_scale_multiplies_offsets);
    tcase_add_test(t, test_timestamp_grammar);
    tcase_add_test(t, test_ties_are_kept_in_file_order);
    tcase_add_loop_test(t, test_bad_trace_is_rejected_naming_the_line, 0,
                        (int)(sizeof bad_traces / sizeof bad_traces[0]));
    tcase_add_test(t, test_quoted_fields_and_bom_are_accepted);
    tcase_add_test(t, test_every_allocation_failure_is_clean);
    suite_add_tcase(s, t);
    return s;
}
