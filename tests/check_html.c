/* check_html.c - the gnuplot driver (analysis/ana_plot.h) and the HTML
 * report (analysis/ana_html.h): user strings reach gnuplot quoted and
 * unmarked, a missing or failing gnuplot is a clean error that leaves no
 * temporary folder, an empty plot is refused, and every failed allocation
 * through the report is a clean SS_ENOMEM with no file written (leaks:
 * ASan at the forked test's exit). The rendered page itself is checked
 * end to end by tests/cli/report_html.sh (headless Chromium). */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ana_html.h"
#include "ana_plot.h"
#include "ss_alloc.h"
#include "test_util.h"

static const char *tmpdir;

static void setup(void)
{
    tmpdir = test_tmp_make("html");
    setenv("TMPDIR", tmpdir, 1); /* ana_plot's folders land here: counted below */
    unsetenv("SHARDSIM_GNUPLOT");
}

static void teardown(void)
{
    test_tmp_remove();
    unsetenv("TMPDIR");
    unsetenv("SHARDSIM_GNUPLOT");
}

#define tpath test_tmp_path

/* Entries of tmpdir whose name starts with prefix. */
static int count_entries(const char *prefix)
{
    DIR *d = opendir(tmpdir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

static void small_plot(ana_plot *p, const char *title, const char *label)
{
    ck_assert_int_eq(ana_plot_init(p, "t", title, "x (s)", "y (1)"), SS_OK);
    ana_series *s = ana_plot_series(p, label, ANA_PLOT_LINES);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(ana_series_add(s, 1, 2, 0, NULL), SS_OK);
    ck_assert_int_eq(ana_series_add(s, 2, 3, 0, NULL), SS_OK);
}

/* A title with a quote, markup and a newline: drawn as the literal text
 * (gnuplot's quoting is doubling the quote; `noenhanced` keeps ^ _ @ { }),
 * the newline reduced to '?', XML-escaped by gnuplot's SVG terminal. */
START_TEST(test_user_strings_are_quoted_and_not_interpreted)
{
    ana_plot p;
    small_plot(&p, "it's <b> & {x}^2_y @z\nnext", "a'b\"c");
    char *svg = NULL;
    size_t len = 0;
    char err[512] = "";
    ss_status s = ana_plot_render(&p, ANA_PLOT_SVG, &svg, &len, err, sizeof err);
    ck_assert_msg(s == SS_OK, "%s", err);
    ck_assert_uint_eq(strlen(svg), len);
    ck_assert_ptr_nonnull(strstr(svg, "<svg"));
    ck_assert_msg(strstr(svg, "it's &lt;b> &amp; {x}^2_y @z?next"), "title not literal");
    ck_assert_msg(strstr(svg, "a'b\"c"), "series label not literal");
    ss_free(svg);
    ck_assert_int_eq(count_entries("shardsim-plot-"), 0);
    ana_plot_fini(&p);
}
END_TEST

/* Builders keep a series (a band, a total) while adding more: it must stay
 * valid (under ASan a moved array is a use after free). */
START_TEST(test_a_series_stays_valid_while_more_are_added)
{
    ana_plot p;
    ck_assert_int_eq(ana_plot_init(&p, "t", "t", "x (s)", "y (1)"), SS_OK);
    ana_series *first = ana_plot_series(&p, "first", ANA_PLOT_STEPS);
    ck_assert_ptr_nonnull(first);
    for (int i = 0; i < 40; i++) {
        ana_series *s = ana_plot_series(&p, NULL, ANA_PLOT_POINTS);
        ck_assert_ptr_nonnull(s);
        ck_assert_int_eq(ana_series_add(first, i, i, 0, NULL), SS_OK);
        ck_assert_int_eq(ana_series_add(s, i, -i, 0, "x"), SS_OK);
    }
    ck_assert_uint_eq(p.n_series, 41);
    ck_assert_ptr_eq(p.series[0], first);
    ck_assert_uint_eq(first->n, 40);
    ck_assert_double_eq(first->y[39], 39);
    ana_plot_fini(&p);
}
END_TEST

START_TEST(test_a_missing_or_failing_gnuplot_is_a_clean_error)
{
    ana_plot p;
    small_plot(&p, "t", NULL);
    char *out = NULL, err[512] = "";
    size_t len = 0;
    setenv("SHARDSIM_GNUPLOT", "/nonexistent/gnuplot", 1);
    ck_assert_int_eq(ana_plot_render(&p, ANA_PLOT_PNG, &out, &len, err, sizeof err), SS_EUNSUPPORTED);
    ck_assert_ptr_null(out);
    ck_assert_msg(strstr(err, "scripts/deps.sh"), "%s", err);
    setenv("SHARDSIM_GNUPLOT", "false", 1);
    ck_assert_int_eq(ana_plot_render(&p, ANA_PLOT_SVG, &out, &len, err, sizeof err), SS_EUNSUPPORTED);
    ck_assert_msg(strstr(err, "gnuplot failed (exit 1)"), "%s", err);
    ck_assert_int_eq(count_entries("shardsim-plot-"), 0);
    ana_plot_fini(&p);
}
END_TEST

START_TEST(test_a_plot_without_points_or_with_a_placeholder_is_refused)
{
    ana_plot p;
    ck_assert_int_eq(ana_plot_init(&p, "t", "t", "x", "y"), SS_OK);
    ck_assert_ptr_nonnull(ana_plot_series(&p, "empty", ANA_PLOT_STEPS));
    char *out = NULL, err[512] = "";
    size_t len = 0;
    ck_assert_int_eq(ana_plot_render(&p, ANA_PLOT_SVG, &out, &len, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(ana_plot_set(&p.placeholder, "nothing"), SS_OK);
    ck_assert_int_eq(ana_plot_render(&p, ANA_PLOT_SVG, &out, &len, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(count_entries("shardsim-plot-"), 0);
    ana_plot_fini(&p);
}
END_TEST

/* A stand-in gnuplot (a shell script writing a tiny output) keeps the
 * fail-every-allocation loop fast; the real one is run by the tests above. */
static void fake_gnuplot(void)
{
    const char *gp = tpath("fake-gnuplot");
    FILE *f = fopen(gp, "w");
    ck_assert_ptr_nonnull(f);
    fputs("#!/bin/sh\nprintf '<svg></svg>' > out.svg\nprintf 'PNG' > out.png\n", f);
    ck_assert_int_eq(fclose(f), 0);
    ck_assert_int_eq(chmod(gp, 0700), 0);
    setenv("SHARDSIM_GNUPLOT", gp, 1);
}

START_TEST(test_every_failed_allocation_gives_a_clean_error_and_no_output)
{
    char hex[65], db[512], html[512], png[512];
    snprintf(db, sizeof db, "%s", tpath("r.db"));
    snprintf(html, sizeof html, "%s", tpath("r.html"));
    snprintf(png, sizeof png, "%s", tpath("png"));
    test_store_digest(SS_SRC("scenarios/default.json"), db, NULL, "test", 1.0, hex);
    fake_gnuplot();
    const ana_html_opts o = {.html = html, .png_dir = png};
    int succeeded = 0;
    for (long n = 0; n < 20000 && !succeeded; n++) {
        char err[512] = "";
        ss_alloc_fail_after(n);
        ss_status s = ana_html_report(db, &o, err, sizeof err);
        ss_alloc_fail_after(-1);
        if (s == SS_OK) {
            succeeded = 1;
            break;
        }
        ck_assert_msg(s == SS_ENOMEM, "fail after %ld: %s (%s)", n, ss_status_name(s), err);
        ck_assert_msg(err[0] != '\0', "fail after %ld: empty error", n);
        ck_assert_msg(access(html, F_OK) != 0, "fail after %ld: HTML written", n);
        ck_assert_int_eq(count_entries("shardsim-plot-"), 0);
        ck_assert_int_eq(count_entries("r.html."), 0); /* no temporary page left */
    }
    ck_assert(succeeded);
    ck_assert_int_eq(access(html, F_OK), 0);
    ck_assert_int_eq(access(tpath("png/plot-latency-cdf.png"), F_OK), 0);
}
END_TEST

START_TEST(test_a_missing_run_or_sweep_or_metric_writes_nothing)
{
    char hex[65], db[512], html[512], err[512];
    snprintf(db, sizeof db, "%s", tpath("r.db"));
    snprintf(html, sizeof html, "%s", tpath("r.html"));
    test_store_digest(SS_SRC("scenarios/default.json"), db, NULL, "test", 1.0, hex);
    ana_html_opts o = {.html = html, .run_id = 9};
    ck_assert_int_eq(ana_html_report(db, &o, err, sizeof err), SS_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "no run with id 9"));
    o = (ana_html_opts){.html = html, .sweep = "nope"};
    ck_assert_int_eq(ana_html_report(db, &o, err, sizeof err), SS_ENOTFOUND);
    o = (ana_html_opts){.html = html, .metric = "e2e_s_p98"};
    ck_assert_int_eq(ana_html_report(db, &o, err, sizeof err), SS_EINVAL);
    o = (ana_html_opts){0};
    ck_assert_int_eq(ana_html_report(db, &o, err, sizeof err), SS_EINVAL);
    o = (ana_html_opts){.html = html};
    ck_assert_int_eq(ana_html_report(tpath("none.db"), &o, err, sizeof err), SS_ENOENT);
    ck_assert_int_ne(access(html, F_OK), 0);
    ck_assert_int_ne(access(tpath("none.db"), F_OK), 0);
}
END_TEST

Suite *html_suite(void)
{
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("html");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600); /* the fail-every-allocation loop, under ASan */
    tcase_add_test(tc, test_user_strings_are_quoted_and_not_interpreted);
    tcase_add_test(tc, test_a_series_stays_valid_while_more_are_added);
    tcase_add_test(tc, test_a_missing_or_failing_gnuplot_is_a_clean_error);
    tcase_add_test(tc, test_a_plot_without_points_or_with_a_placeholder_is_refused);
    tcase_add_test(tc, test_every_failed_allocation_gives_a_clean_error_and_no_output);
    tcase_add_test(tc, test_a_missing_run_or_sweep_or_metric_writes_nothing);
    suite_add_tcase(s, tc);
    return s;
}
