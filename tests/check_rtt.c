/* check_rtt.c - the WonderNetwork RTT matrix: loading, the gap-fill rules
 * against an independent parse of the raw text and an independent
 * least-squares fit, exact-name lookup, last-mile delays, the strict CSV
 * layer (T-catalogue cases) and clean failure at every allocation. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dset_csv.h"
#include "dset_rtt.h"
#include "ss_alloc.h"
#include "test_util.h"

#define MATRIX SS_ASSET("network/rtt_avg_matrix.csv")
#define CITIES SS_ASSET("network/cities.csv")

/* Write `len` bytes to a fresh temporary file; returns its path (static
 * buffer, one of four rotating so two can be live at once). */
static const char *tmp_file(const char *text, size_t len)
{
    static char paths[4][64];
    static int k;
    char *p = paths[k++ % 4];
    snprintf(p, 64, "/tmp/rtt_testXXXXXX");
    int fd = mkstemp(p);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return p;
}
#define TMP(s) tmp_file((s), sizeof(s) - 1)

/* The raw matrix by a plain independent reader: n names, cells as text. */
typedef struct raw_matrix {
    int n;
    char names[256][64];
    char cells[256][256][16];
} raw_matrix;

static raw_matrix *raw_load(void)
{
    raw_matrix *m = calloc(1, sizeof *m);
    FILE *f = fopen(MATRIX, "r");
    ck_assert_ptr_nonnull(f);
    static char line[1 << 16];
    char *lim;
    int row = -1;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        int col = -1;
        char *s = line;
        for (;;) {
            char *comma = strchr(s, ',');
            if (comma)
                *comma = 0;
            lim = s;
            if (row < 0 && col >= 0 && strlen(lim) < 64)
                strcpy(m->names[col], lim);
            else if (row >= 0 && col >= 0 && strlen(lim) < 16)
                strcpy(m->cells[row][col], lim);
            col++;
            if (!comma)
                break;
            s = comma + 1;
        }
        if (row < 0)
            m->n = col;
        row++;
    }
    fclose(f);
    ck_assert_int_eq(row, m->n);
    for (int i = 0; i < m->n; i++)
        for (char *p = m->names[i]; *p; p++)
            if (*p == '+')
                *p = ' ';
    return m;
}

static dset_rtt *load_ok(void)
{
    char err[512] = "";
    dset_rtt *r = NULL;
    ss_status st = dset_rtt_load(MATRIX, CITIES, &r, err, sizeof err);
    ck_assert_msg(st == SS_OK, "%s", err);
    return r;
}

/* A quarter meridian is pi/2 * R; half the equator pi * R. */
START_TEST(test_distance_matches_arcs_of_the_sphere)
{
    const double R = DSET_RTT_EARTH_RADIUS_KM;
    ck_assert_double_eq_tol(dset_rtt_distance_km(0, 0, 90, 0), M_PI / 2 * R, 1e-6);
    ck_assert_double_eq_tol(dset_rtt_distance_km(0, 0, 0, 180), M_PI * R, 1e-6);
    ck_assert_double_eq_tol(dset_rtt_distance_km(10, 20, 10, 20), 0.0, 1e-9);
    /* 60 degrees of longitude along the equator: R * pi / 3 */
    ck_assert_double_eq_tol(dset_rtt_distance_km(0, -30, 0, 30), R * M_PI / 3, 1e-6);
}
END_TEST

/* Shipped data: 242 cities, 515 empty cells of which 36 (18 pairs) lack
 * both directions (counted from the raw text below, and stated by
 * assets/README.md for the 515). */
START_TEST(test_shipped_matrix_fills_every_gap_by_the_documented_rule)
{
    raw_matrix *m = raw_load();
    dset_rtt *r = load_ok();
    int n = dset_rtt_n_cities(r);
    ck_assert_int_eq(n, 242);
    ck_assert_int_eq(m->n, 242);
    dset_rtt_fit fit = dset_rtt_get_fit(r);
    int empty = 0, both = 0;
    for (int i = 0; i < n; i++) {
        ck_assert_str_eq(dset_rtt_city_name(r, i), m->names[i]);
        for (int j = 0; j < n; j++) {
            double v = dset_rtt_ms(r, i, j);
            dset_rtt_origin o = dset_rtt_origin_of(r, i, j);
            if (m->cells[i][j][0]) {
                ck_assert_int_eq(o, DSET_RTT_MEASURED);
                ck_assert_double_eq(v, strtod(m->cells[i][j], NULL));
                continue;
            }
            empty++;
            if (m->cells[j][i][0]) {
                ck_assert_int_eq(o, DSET_RTT_REVERSE);
                ck_assert_double_eq(v, strtod(m->cells[j][i], NULL));
            } else {
                both++;
                ck_assert_int_eq(o, DSET_RTT_ESTIMATED);
                double la1, lo1, la2, lo2, p;
                dset_rtt_city_info(r, i, &la1, &lo1, &p);
                dset_rtt_city_info(r, j, &la2, &lo2, &p);
                double km = dset_rtt_distance_km(la1, lo1, la2, lo2);
                ck_assert_double_eq_tol(v, fmax(1.0, fit.a_ms + fit.b_ms_per_km * km), 1e-9);
                /* filled values stay symmetric when neither side was measured */
                ck_assert_double_eq_tol(v, dset_rtt_ms(r, j, i), 1e-9);
            }
        }
    }
    ck_assert_int_eq(empty, 515);
    ck_assert_int_eq(both, 36);
    ck_assert_uint_eq(fit.n_reverse, 515 - 36);
    ck_assert_uint_eq(fit.n_estimated, 36);
    /* Westpoort lacks coordinates; its row is complete (241 measured
     * cells) and its column lacks Shenzhen and Zhangjiakou (239), so the
     * fit uses 242 * 241 - 515 - 480 points */
    int w = -1;
    double la, lo, p;
    ck_assert_int_eq(dset_rtt_find(r, "Westpoort", &w, NULL, 0), SS_OK);
    ck_assert_int_eq(dset_rtt_city_info(r, w, &la, &lo, &p), 0);
    ck_assert_uint_eq(fit.n_points, 242u * 241u - 515u - 480u);
    dset_rtt_destroy(r);
    free(m);
}
END_TEST

/* The fit against a closed-form least-squares line, b = Sxy / Sxx and
 * a = ybar - b * xbar, summed here in long double over the raw text. */
START_TEST(test_fit_matches_closed_form_least_squares)
{
    raw_matrix *m = raw_load();
    dset_rtt *r = load_ok();
    long double sx = 0, sy = 0, sxx = 0, sxy = 0;
    long cnt = 0;
    for (int i = 0; i < m->n; i++)
        for (int j = 0; j < m->n; j++) {
            if (i == j || !m->cells[i][j][0])
                continue;
            double la1, lo1, la2, lo2, p;
            if (!dset_rtt_city_info(r, i, &la1, &lo1, &p) || !dset_rtt_city_info(r, j, &la2, &lo2, &p))
                continue;
            long double x = dset_rtt_distance_km(la1, lo1, la2, lo2);
            long double y = strtod(m->cells[i][j], NULL);
            sx += x, sy += y, sxx += x * x, sxy += x * y;
            cnt++;
        }
    long double xb = sx / cnt, yb = sy / cnt;
    long double b = (sxy - cnt * xb * yb) / (sxx - cnt * xb * xb);
    long double a = yb - b * xb;
    dset_rtt_fit fit = dset_rtt_get_fit(r);
    ck_assert_uint_eq(fit.n_points, (size_t)cnt);
    ck_assert_double_eq_tol(fit.b_ms_per_km, (double)b, 1e-9 * fabs((double)b));
    ck_assert_double_eq_tol(fit.a_ms, (double)a, 1e-6 * fabs((double)a));
    /* plausibility: light in fibre covers ~100 km per ms of RTT, plus routing detours */
    ck_assert(fit.b_ms_per_km > 0.005 && fit.b_ms_per_km < 0.05);
    ck_assert(fit.r2 > 0.3 && fit.r2 <= 1);
    dset_rtt_destroy(r);
    free(m);
}
END_TEST

START_TEST(test_lookup_is_exact_and_suggests_the_closest_city)
{
    dset_rtt *r = load_ok();
    char err[256];
    int a = -1, f = -1, b = -1;
    ck_assert_int_eq(dset_rtt_find(r, "Amsterdam", &a, err, sizeof err), SS_OK);
    ck_assert_int_eq(dset_rtt_find(r, "Frankfurt", &f, err, sizeof err), SS_OK);
    ck_assert_str_eq(dset_rtt_city_name(r, a), "Amsterdam");
    /* raw text: Amsterdam -> Frankfurt 11.68, Frankfurt -> Amsterdam 11.72 */
    ck_assert_double_eq(dset_rtt_ms(r, a, f), 11.68);
    ck_assert_double_eq(dset_rtt_ms(r, f, a), 11.72);
    ck_assert_int_eq(dset_rtt_find(r, "Buenos Aires", &b, err, sizeof err), SS_OK);
    ck_assert_int_eq(dset_rtt_find(r, "Buenos+Aires", &b, err, sizeof err), SS_ENOTFOUND);
    ck_assert_int_eq(dset_rtt_find(r, "amsterdam", &b, err, sizeof err), SS_ENOTFOUND);
    ck_assert_msg(strstr(err, "did you mean \"Amsterdam\"") != NULL, "%s", err);
    ck_assert_int_eq(dset_rtt_find(r, "Xyzzyqqq", &b, err, sizeof err), SS_ENOTFOUND);
    ck_assert_msg(strstr(err, "242 cities") != NULL, "%s", err);
    dset_rtt_destroy(r);
}
END_TEST

/* 11.68 ms + 8 ms (home) + 0 ms (data centre) = 19.68 ms = 19,680,000 ns;
 * two homes: 27.68 ms. */
START_TEST(test_path_adds_one_last_mile_per_home_endpoint)
{
    dset_rtt *r = load_ok();
    char err[256];
    int a, f;
    ck_assert_int_eq(dset_rtt_find(r, "Amsterdam", &a, err, sizeof err), SS_OK);
    ck_assert_int_eq(dset_rtt_find(r, "Frankfurt", &f, err, sizeof err), SS_OK);
    ck_assert_int_eq(dset_rtt_path_ns(r, a, f, 0, 0), 11680000);
    ck_assert_int_eq(dset_rtt_path_ns(r, a, f, 8, 0), 19680000);
    ck_assert_int_eq(dset_rtt_path_ns(r, a, f, 8, 8), 27680000);
    ck_assert_int_eq(dset_rtt_path_ns(r, a, a, 8, 8), 16000000);
    dset_rtt_destroy(r);
}
END_TEST

/* A 3-city world, with C <-> A never measured: estimate from the fit. */
static const char small_cities[] =
    "city,Lat,Long,Population\nA A,0,0,1\nB,0,1,2\nC,0,2,3\nUnused,1,1,1\n";

START_TEST(test_small_matrix_crlf_bom_and_missing_final_newline_are_accepted)
{
    static const char m3[] = "\xEF\xBB\xBFsrc\\dst,A+A,B,C\r\n"
                             "A+A,0,10,30\r\n"
                             "B,10,0,20\n"
                             "C,,21,0";
    char err[512] = "";
    dset_rtt *r = NULL;
    const char *mp = TMP(m3), *cp = TMP(small_cities);
    ck_assert_msg(dset_rtt_load(mp, cp, &r, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(dset_rtt_n_cities(r), 3);
    ck_assert_str_eq(dset_rtt_city_name(r, 0), "A A");
    ck_assert_double_eq(dset_rtt_ms(r, 2, 1), 21);
    ck_assert_double_eq(dset_rtt_ms(r, 2, 0), 30); /* C -> A from A -> C */
    ck_assert_int_eq(dset_rtt_origin_of(r, 2, 0), DSET_RTT_REVERSE);
    ck_assert_uint_eq(dset_rtt_get_fit(r).n_points, 5);
    dset_rtt_destroy(r);
    unlink(mp);
    unlink(cp);
}
END_TEST

/* Points (d, 10), (d, 10), (2d, 30) twice... here: A-B 10 both ways at d,
 * A-C 30 one way at 2d, B-C missing both ways at d. Least squares through
 * (d,10),(d,10),(2d,30): xbar = 4d/3, ybar = 50/3, Sxx = 2/3 d^2,
 * Sxy = (d-4d/3)(10-50/3)*2 + (2d-4d/3)(30-50/3) = 40d/9 + 80d/9 = 40d/3,
 * b = 20/d, a = 50/3 - 80/3 = -10. Estimate B-C at d: -10 + 20 = 10 ms;
 * C->A filled by reverse = 30. */
START_TEST(test_small_matrix_fit_is_the_hand_computed_line)
{
    static const char m3[] = "src\\dst,A+A,B,C\n"
                             "A+A,0,10,30\n"
                             "B,10,0,\n"
                             "C,,,0\n";
    char err[512] = "";
    dset_rtt *r = NULL;
    const char *mp = TMP(m3), *cp = TMP(small_cities);
    ck_assert_msg(dset_rtt_load(mp, cp, &r, err, sizeof err) == SS_OK, "%s", err);
    double d = dset_rtt_distance_km(0, 0, 0, 1);
    dset_rtt_fit f = dset_rtt_get_fit(r);
    ck_assert_uint_eq(f.n_points, 3);
    ck_assert_double_eq_tol(f.b_ms_per_km, 20.0 / d, 1e-9);
    ck_assert_double_eq_tol(f.a_ms, -10.0, 1e-9);
    ck_assert_double_eq_tol(dset_rtt_ms(r, 1, 2), 10.0, 1e-9);
    ck_assert_int_eq(dset_rtt_origin_of(r, 1, 2), DSET_RTT_ESTIMATED);
    ck_assert_double_eq(dset_rtt_ms(r, 2, 0), 30.0);
    ck_assert_int_eq(dset_rtt_origin_of(r, 2, 0), DSET_RTT_REVERSE);
    ck_assert_int_eq(dset_rtt_origin_of(r, 0, 0), DSET_RTT_MEASURED);
    dset_rtt_destroy(r);
    unlink(mp);
    unlink(cp);
}
END_TEST

/* Bad matrices: each rejected with the expected line and phrase. */
static const struct {
    const char *text;
    ss_status st;
    const char *want;
} bad_matrix[] = {
    {"", SS_EPARSE, "empty file"},
    {"\xEF\xBB\xBF", SS_EPARSE, "empty file"},
    {"src\\dst,A+A,B,C\n", SS_EPARSE, "line 2: expected 3 source rows"},
    {"src\\dst,A+A,B,C\nA+A,0,1,2\nB,1,0,2\nC,1,2,0\nC,1,2,0\n", SS_EPARSE, "line 5: expected 3 source rows, got more"},
    {"src\\dst,A+A,B,C\nA+A,0,1,2\nB,1,0,2\nC,1,2\n", SS_EPARSE, "line 4: expected 4 fields, got 3"},
    {"src\\dst,A+A,B,C\nA+A,0,1,2\nB,1,0,2\nC,1,2,0,9\n", SS_EPARSE, "line 4: expected 4 fields, got 5"},
    {"src\\dst,A+A,B,C\nB,0,1,2\nA+A,1,0,2\nC,1,2,0\n", SS_ESCHEMA, "line 2: expected source city \"A A\""},
    {"src\\dst,A+A,B,B\n", SS_ESCHEMA, "duplicate city \"B\""},
    {"src\\dst,A+A,B,C\nA+A,0,nan,2\nB,1,0,2\nC,1,2,0\n", SS_EPARSE, "line 2: RTT A A -> B: expected a number, got \"nan\""},
    {"src\\dst,A+A,B,C\nA+A,0,inf,2\nB,1,0,2\nC,1,2,0\n", SS_EPARSE, "expected a number, got \"inf\""},
    {"src\\dst,A+A,B,C\nA+A,0,0x1p3,2\nB,1,0,2\nC,1,2,0\n", SS_EPARSE, "got \"0x1p3\""},
    {"src\\dst,A+A,B,C\nA+A,0, 12,2\nB,1,0,2\nC,1,2,0\n", SS_EPARSE, "got \" 12\""},
    {"src\\dst,A+A,B,C\nA+A,0,+7,2\nB,1,0,2\nC,1,2,0\n", SS_EPARSE, "got \"+7\""},
    {"src\\dst,A+A,B,C\nA+A,0,12abc,2\nB,1,0,2\nC,1,2,0\n", SS_EPARSE, "got \"12abc\""},
    {"src\\dst,A+A,B,C\nA+A,0,\"1,5\",2\nB,1,0,2\nC,1,2,0\n", SS_EPARSE, "got \"1,5\""},
    {"src\\dst,A+A,B,C\nA+A,0,1e400,2\nB,1,0,2\nC,1,2,0\n", SS_ERANGE, "overflows or underflows"},
    {"src\\dst,A+A,B,C\nA+A,0,1e-400,2\nB,1,0,2\nC,1,2,0\n", SS_ERANGE, "overflows or underflows"},
    {"src\\dst,A+A,B,C\nA+A,0,-1,2\nB,1,0,2\nC,1,2,0\n", SS_ERANGE, "line 2: RTT A A -> B: expected a number in"},
    {"src\\dst,A+A,B,C\nA+A,0,0,2\nB,1,0,2\nC,1,2,0\n", SS_ERANGE, "line 2: RTT A A -> B"},
    {"src\\dst,A+A,B,C\nA+A,0,60001,2\nB,1,0,2\nC,1,2,0\n", SS_ERANGE, "line 2"},
    {"src\\dst,A+A,B,C\nA+A,0,1,2\n\nB,1,0,2\nC,1,2,0\n", SS_EPARSE, "line 3: empty line"},
    {"src\\dst,A+A,B,C\nA+A,0,1,2\rB,1,0,2\nC,1,2,0\n", SS_EPARSE, "line 2: carriage return"},
    {"src\\dst,A+A,B,C\nA+A,0,1,\"2\nB,1,0,2\nC,1,2,0\n", SS_EPARSE, "line 2: unterminated quoted field 4"},
    {"src\\dst,A+A,B,C\nA+A,0,1,2\"\nB,1,0,2\nC,1,2,0\n", SS_EPARSE, "line 2: quote inside unquoted field 4"},
    {"src\\dst,A+A,B,C\nA+A,0,1,\"2\"x\nB,1,0,2\nC,1,2,0\n", SS_EPARSE, "line 2: text after the closing quote"},
    {"src\\dst,A+A,B,C\nA+A,0,1,2\nB,1,0,2\nC,1,\xC3\x28,0\n", SS_EPARSE, "line 4: invalid UTF-8"},
    {"src\\dst,A+A,B,C\nA+A,0,1,2\nB,1,0,2\nC,1,2,0\x01\n", SS_EPARSE, "line 4: control character 0x01"},
    {"src\\dst,D,B,C\nD,0,1,\nB,1,0,2\nC,,2,0\n", SS_ESCHEMA, "RTT D -> C was measured in neither direction and \"D\" has no coordinates"},
    {"src\\dst,A+A,B,C\nA+A,0,,\nB,,0,\nC,,,0\n", SS_ENUMERIC, "got 0 pairs"},
};

START_TEST(test_bad_matrix_is_rejected_naming_the_line)
{
    char err[512] = "";
    dset_rtt *r = (dset_rtt *)1;
    const char *mp = tmp_file(bad_matrix[_i].text, strlen(bad_matrix[_i].text));
    const char *cp = TMP(small_cities);
    ss_status st = dset_rtt_load(mp, cp, &r, err, sizeof err);
    ck_assert_msg(st == bad_matrix[_i].st, "case %d: %s: %s", _i, ss_status_name(st), err);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(err, bad_matrix[_i].want) != NULL, "case %d: %s", _i, err);
    ck_assert_ptr_nonnull(strstr(err, "/tmp/rtt_test"));
    unlink(mp);
    unlink(cp);
}
END_TEST

/* An embedded NUL byte (T11) needs an explicit length. */
START_TEST(test_nul_byte_is_rejected_with_its_line)
{
    static const char m3[] = "src\\dst,A+A,B,C\nA+A,0,1\0,2\nB,1,0,2\nC,1,2,0\n";
    char err[512] = "";
    dset_rtt *r = NULL;
    const char *mp = TMP(m3), *cp = TMP(small_cities);
    ck_assert_int_eq(dset_rtt_load(mp, cp, &r, err, sizeof err), SS_EPARSE);
    ck_assert_msg(strstr(err, "line 2: NUL byte at column 8") != NULL, "%s", err);
    unlink(mp);
    unlink(cp);
}
END_TEST

START_TEST(test_bad_cities_are_rejected)
{
    static const char m3[] = "src\\dst,A+A,B,C\nA+A,0,10,30\nB,10,0,\nC,,,0\n";
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"city,Lat,Lon,Population\nA A,0,0,1\n", "line 1: expected header column 3 \"Long\", got \"Lon\""},
        {"city,Lat,Long\nA A,0,0,1\n", "line 1: expected a header of 4 columns, got 3"},
        {"city,Lat,Long,Population\nA A,91,0,1\nB,0,1,2\nC,0,2,3\n", "line 2: Lat: expected a number in [-90, 90], got 91"},
        {"city,Lat,Long,Population\nA A,0,0,1\nB,0,1,2\nC,0,2,3\nB,0,1,2\n", "line 5: duplicate city \"B\""},
        {"city,Lat,Long,Population\nA A,0,0,1\nB,0,1,2\n", "RTT B -> C was measured in neither direction and \"C\" has no coordinates"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512] = "";
        dset_rtt *r = NULL;
        const char *mp = TMP(m3), *cp = tmp_file(bad[i].text, strlen(bad[i].text));
        ck_assert_int_ne(dset_rtt_load(mp, cp, &r, err, sizeof err), SS_OK);
        ck_assert_msg(strstr(err, bad[i].want) != NULL, "case %zu: %s", i, err);
        ck_assert_msg(strstr(err, cp) != NULL, "case %zu names no file: %s", i, err);
        unlink(mp);
        unlink(cp);
    }
}
END_TEST

START_TEST(test_missing_file_is_enoent)
{
    char err[512] = "";
    dset_rtt *r = NULL;
    ck_assert_int_eq(dset_rtt_load("/nonexistent/m.csv", CITIES, &r, err, sizeof err), SS_ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/m.csv"));
    ck_assert_int_eq(dset_rtt_load("/tmp", CITIES, &r, err, sizeof err), SS_EIO);
}
END_TEST

START_TEST(test_every_allocation_failure_is_clean)
{
    static const char m3[] = "src\\dst,A+A,B,C\nA+A,0,10,30\nB,10,0,\nC,,,0\n";
    const char *mp = TMP(m3), *cp = TMP(small_cities);
    int ok = 0;
    for (long n = 0; n < 200 && !ok; n++) {
        char err[512] = "";
        dset_rtt *r = NULL;
        ss_alloc_fail_after(n);
        ss_status st = dset_rtt_load(mp, cp, &r, err, sizeof err);
        ss_alloc_fail_after(-1);
        if (st == SS_OK) {
            ok = 1;
            dset_rtt_destroy(r);
        } else {
            ck_assert_int_eq(st, SS_ENOMEM);
            ck_assert_ptr_null(r);
        }
    }
    ck_assert(ok);
    unlink(mp);
    unlink(cp);
}
END_TEST

/* The CSV layer's number rules, directly. */
START_TEST(test_csv_numbers_follow_the_json_grammar)
{
    dset_csv c;
    char err[256];
    const char *p = TMP("x\n1\n");
    ck_assert_int_eq(dset_csv_open(&c, p, err, sizeof err), SS_OK);
    double v;
    ck_assert_int_eq(dset_csv_parse_double(&c, "12.5", &v), SS_OK);
    ck_assert_double_eq(v, 12.5);
    ck_assert_int_eq(dset_csv_parse_double(&c, "-0", &v), SS_OK);
    ck_assert(!signbit(v));
    ck_assert_int_eq(dset_csv_parse_double(&c, "1e-3", &v), SS_OK);
    ck_assert_double_eq(v, 1e-3);
    ck_assert_int_eq(dset_csv_parse_double(&c, "0e-400", &v), SS_OK); /* a true zero */
    const char *bad[] = {"", "nan", "NaN", "inf", "-infinity", "0x10", " 1", "1 ", "+1", "01",
                         ".5", "2.", "1e", "1,5", "--1", "1e+"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(dset_csv_parse_double(&c, bad[i], &v) == SS_EPARSE, "\"%s\"", bad[i]);
    ck_assert_int_eq(dset_csv_parse_double(&c, "1e400", &v), SS_ERANGE);
    ck_assert_int_eq(dset_csv_parse_double(&c, "-1e400", &v), SS_ERANGE);
    ck_assert_int_eq(dset_csv_parse_double(&c, "1e-400", &v), SS_ERANGE);
    dset_csv_close(&c);
    dset_csv_close(&c); /* idempotent on a closed (zeroed) reader */
    unlink(p);
}
END_TEST

Suite *rtt_suite(void)
{
    Suite *s = suite_create("rtt");
    TCase *t = tcase_create("rtt");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_distance_matches_arcs_of_the_sphere);
    tcase_add_test(t, test_shipped_matrix_fills_every_gap_by_the_documented_rule);
    tcase_add_test(t, test_fit_matches_closed_form_least_squares);
    tcase_add_test(t, test_lookup_is_exact_and_suggests_the_closest_city);
    tcase_add_test(t, test_path_adds_one_last_mile_per_home_endpoint);
    tcase_add_test(t, test_small_matrix_crlf_bom_and_missing_final_newline_are_accepted);
    tcase_add_test(t, test_small_matrix_fit_is_the_hand_computed_line);
    tcase_add_loop_test(t, test_bad_matrix_is_rejected_naming_the_line, 0,
                        (int)(sizeof bad_matrix / sizeof bad_matrix[0]));
    tcase_add_test(t, test_nul_byte_is_rejected_with_its_line);
    tcase_add_test(t, test_bad_cities_are_rejected);
    tcase_add_test(t, test_missing_file_is_enoent);
    tcase_add_test(t, test_every_allocation_failure_is_clean);
    tcase_add_test(t, test_csv_numbers_follow_the_json_grammar);
    suite_add_tcase(s, t);
    return s;
}
