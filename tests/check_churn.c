/* check_churn.c - FTA churn presets (conversion hours -> seconds checked
 * against the file's own implied means), long-run availability of the
 * renewal process against MTBF/(MTBF+MTTR) from independently computed
 * means, churn-trace parsing and its T-catalogue rejections. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gsl/gsl_sf_gamma.h>

#include "dset_churn.h"
#include "sim_churn.h"
#include "ss_alloc.h"
#include "test_util.h"

#define FTA SS_ASSET("churn/fta_fitted_availability_params.csv")

static const char *tmp_file(const char *text)
{
    static char paths[4][64];
    static int k;
    char *p = paths[k++ % 4];
    snprintf(p, 64, "/tmp/churn_testXXXXXX");
    int fd = mkstemp(p);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return p;
}

static void load_table(dset_churn_table *t)
{
    char err[512] = "";
    ss_status st = dset_churn_load(FTA, t, err, sizeof err);
    ck_assert_msg(st == SS_OK, "%s", err);
}

/* Mean of a distribution by the textbook formulas, written here again. */
static double mean_of(const scn_dist *d)
{
    switch (d->kind) {
    case SCN_DIST_EXPONENTIAL:
        return d->a;
    case SCN_DIST_WEIBULL:
        return d->b * gsl_sf_gamma(1.0 + 1.0 / d->a);
    case SCN_DIST_LOGNORMAL:
        return d->a * exp(d->b * d->b / 2);
    case SCN_DIST_GAMMA:
        return d->a * d->b;
    default:
        ck_abort_msg("unexpected kind");
    }
    return 0;
}

START_TEST(test_presets_are_the_nine_lower_case_data_sets_sorted)
{
    dset_churn_table t;
    load_table(&t);
    static const char *const want[] = {"g5k06",   "lanl05", "ldns04",  "microsoft99", "nd07cpu",
                                       "overnet03", "pl05", "skype06", "websites02"};
    ck_assert_uint_eq(t.n, 9);
    for (size_t i = 0; i < 9; i++) {
        ck_assert_str_eq(t.presets[i].name, want[i]);
        ck_assert_uint_eq(t.presets[i].have_up, 15);
        ck_assert_uint_eq(t.presets[i].have_down, 15);
    }
    ck_assert_str_eq(t.presets[4].system, "Notre Dame desktop grid, CPU availability (2007)");
    dset_churn_fini(&t);
}
END_TEST

/* Overnet03 as in the file: up Weibull(0.85, 2.04 h), down Weibull(0.44,
 * 2.98 h); lognormal up mu 0.19 -> median e^0.19 h; exponential up mean
 * 2.29 h; gamma up (0.91, 2.53 h). */
START_TEST(test_overnet03_converts_hours_to_seconds_per_family)
{
    dset_churn_table t;
    load_table(&t);
    scn_dist up, down;
    char err[512];
    ck_assert_int_eq(dset_churn_find(&t, "overnet03", DSET_CHURN_DEFAULT_FAMILY, &up, &down, err,
                                    sizeof err),
                     SS_OK);
    ck_assert_int_eq(up.kind, SCN_DIST_WEIBULL);
    ck_assert_double_eq(up.a, 0.85);
    ck_assert_double_eq_tol(up.b, 2.04 * 3600, 1e-9);
    ck_assert_double_eq(down.a, 0.44);
    ck_assert_double_eq_tol(down.b, 2.98 * 3600, 1e-9);
    ck_assert_int_eq(dset_churn_find(&t, "overnet03", DSET_CHURN_LOGNORMAL, &up, &down, err,
                                    sizeof err),
                     SS_OK);
    ck_assert_int_eq(up.kind, SCN_DIST_LOGNORMAL);
    ck_assert_double_eq_tol(up.a, exp(0.19) * 3600, 1e-9);
    ck_assert_double_eq(up.b, 0.98);
    ck_assert_int_eq(dset_churn_find(&t, "overnet03", DSET_CHURN_EXPONENTIAL, &up, &down, err,
                                    sizeof err),
                     SS_OK);
    ck_assert_int_eq(up.kind, SCN_DIST_EXPONENTIAL);
    ck_assert_double_eq_tol(up.a, 2.29 * 3600, 1e-9);
    ck_assert_double_eq_tol(down.a, 12.0 * 3600, 1e-9);
    ck_assert_int_eq(dset_churn_find(&t, "overnet03", DSET_CHURN_GAMMA, &up, &down, err,
                                    sizeof err),
                     SS_OK);
    ck_assert_int_eq(up.kind, SCN_DIST_GAMMA);
    ck_assert_double_eq(up.a, 0.91);
    ck_assert_double_eq_tol(up.b, 2.53 * 3600, 1e-9);
    /* the alias and the data set name give the same fit */
    scn_dist u2, d2;
    ck_assert_int_eq(dset_churn_find(&t, "planetlab05", DSET_CHURN_WEIBULL, &up, &down, err,
                                    sizeof err),
                     SS_OK);
    ck_assert_int_eq(dset_churn_find(&t, "pl05", DSET_CHURN_WEIBULL, &u2, &d2, err, sizeof err),
                     SS_OK);
    ck_assert_double_eq(up.b, u2.b);
    ck_assert_double_eq_tol(up.b, 19.35 * 3600, 1e-9);
    dset_churn_fini(&t);
}
END_TEST

/* Every fit's mean (our conversion, textbook formula) against the file's
 * implied_mean_h column (the 3rd field from the end; parsed here from the
 * end so the quoted "system" field with a comma does not matter). The
 * parameters are rounded to 2 decimals in the file, so allow 2%. */
START_TEST(test_every_fit_mean_matches_the_files_implied_mean)
{
    dset_churn_table t;
    load_table(&t);
    FILE *f = fopen(FTA, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    int n = 0;
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        char *fld[32];
        int nf = 0;
        for (char *s = line;;) {
            fld[nf++] = s;
            char *c = strchr(s, ',');
            if (!c)
                break;
            *c = 0;
            s = c + 1;
        }
        char name[32];
        snprintf(name, sizeof name, "%s", fld[0]);
        for (char *p = name; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        int down = strcmp(fld[nf - 9], "unavailability") == 0;
        dset_churn_family fam;
        ck_assert_int_eq(dset_churn_family_parse(fld[nf - 8], &fam), SS_OK);
        double implied_h = strtod(fld[nf - 3], NULL);
        scn_dist up, dn;
        char err[512];
        ck_assert_int_eq(dset_churn_find(&t, name, fam, &up, &dn, err, sizeof err), SS_OK);
        double mean_h = mean_of(down ? &dn : &up) / 3600.0;
        ck_assert_msg(fabs(mean_h - implied_h) <= 0.02 * implied_h, "%s %s %s: %g vs %g", name,
                      fld[nf - 9], fld[nf - 8], mean_h, implied_h);
        n++;
    }
    fclose(f);
    ck_assert_int_eq(n, 72);
    dset_churn_fini(&t);
}
END_TEST

START_TEST(test_unknown_preset_lists_the_known_sorted)
{
    dset_churn_table t;
    load_table(&t);
    scn_dist up, down;
    char err[512];
    ck_assert_int_eq(dset_churn_find(&t, "overnet3", DSET_CHURN_WEIBULL, &up, &down, err,
                                    sizeof err),
                     SS_ENOTFOUND);
    ck_assert_str_eq(err, "unknown churn preset \"overnet3\" (known: g5k06, lanl05, ldns04, "
                          "microsoft99, nd07cpu, overnet03, pl05, skype06, websites02)");
    ck_assert_int_eq(dset_churn_find(&t, "Overnet03", DSET_CHURN_WEIBULL, &up, &down, err,
                                    sizeof err),
                     SS_ENOTFOUND);
    dset_churn_family fam;
    ck_assert_int_eq(dset_churn_family_parse("Weibull", &fam), SS_ENOTFOUND);
    ck_assert_int_eq(dset_churn_family_parse("lognormal", &fam), SS_OK);
    ck_assert_int_eq(fam, DSET_CHURN_LOGNORMAL);
    dset_churn_fini(&t);
}
END_TEST

/* Simulate n_nodes independent nodes (streams 1..n_nodes) for n_cycles
 * up/down cycles each (per node the time stays far below 2^63 ns); return
 * the fraction of the total time spent up. */
static double simulated_availability(const scn_dist *up, const scn_dist *down, int n_nodes,
                                     long n_cycles)
{
    long double up_ns = 0, all_ns = 0;
    for (int k = 1; k <= n_nodes; k++) {
        sim_churn_proc p;
        ck_assert_int_eq(sim_churn_proc_init(&p, up, down, 42, (uint64_t)k, 0), SS_OK);
        int64_t last = 0, t;
        int state = 1, nstate, ok = 1;
        /* no ck_assert inside the loop: each one writes to Check's pipe */
        for (long i = 0; i < 2 * n_cycles; i++) {
            sim_churn_proc_next(&p, &t, &nstate);
            ok &= t != INT64_MAX && t > last && nstate == !state;
            if (state)
                up_ns += (long double)(t - last);
            last = t;
            state = nstate;
        }
        ck_assert_msg(ok, "node %d: time did not advance or states did not alternate", k);
        all_ns += (long double)last;
        sim_churn_proc_fini(&p);
    }
    return (double)(up_ns / all_ns);
}

/* Overnet03 Weibull: MTBF = 2.04 h * Gamma(1 + 1/0.85), MTTR = 2.98 h *
 * Gamma(1 + 1/0.44) (~2.22 h and ~7.78 h: availability ~0.222). With the
 * squared coefficients of variation ~1.4 and ~7.4, 2e6 cycles (40 nodes x
 * 50,000, ~36 years each) give a
 * relative standard error of ~0.16%, so 1% is > 6 sigma. */
START_TEST(test_long_run_availability_weibull_overnet03_is_mtbf_over_mtbf_plus_mttr)
{
    dset_churn_table t;
    load_table(&t);
    scn_dist up, down;
    char err[512];
    ck_assert_int_eq(dset_churn_find(&t, "overnet03", DSET_CHURN_WEIBULL, &up, &down, err,
                                    sizeof err),
                     SS_OK);
    double mtbf = 2.04 * 3600 * gsl_sf_gamma(1 + 1 / 0.85);
    double mttr = 2.98 * 3600 * gsl_sf_gamma(1 + 1 / 0.44);
    double want = mtbf / (mtbf + mttr);
    double got = simulated_availability(&up, &down, 40, 50000);
    ck_assert_msg(fabs(got - want) <= 0.01 * want, "availability %g, want %g", got, want);
    dset_churn_fini(&t);
}
END_TEST

/* Skype06 lognormal: MTBF = e^(1.6 + 1.57^2/2) h, MTTR = e^(1.4 + 1.73^2/2) h
 * (~17.0 h and ~18.1 h; squared CVs e^(sigma^2) - 1 ~ 10.8 and ~18.9):
 * 2e6 cycles give a relative standard error of ~0.2%. */
START_TEST(test_long_run_availability_lognormal_skype06_is_mtbf_over_mtbf_plus_mttr)
{
    dset_churn_table t;
    load_table(&t);
    scn_dist up, down;
    char err[512];
    ck_assert_int_eq(dset_churn_find(&t, "skype06", DSET_CHURN_LOGNORMAL, &up, &down, err,
                                    sizeof err),
                     SS_OK);
    double mtbf = exp(1.6 + 1.57 * 1.57 / 2), mttr = exp(1.4 + 1.73 * 1.73 / 2);
    double want = mtbf / (mtbf + mttr);
    double got = simulated_availability(&up, &down, 40, 50000);
    ck_assert_msg(fabs(got - want) <= 0.01 * want, "availability %g, want %g", got, want);
    dset_churn_fini(&t);
}
END_TEST

/* Overnet03 gamma: MTBF = 0.91 x 2.53 h = 2.3023 h, MTTR = 0.29 x 41.64 h
 * = 12.0756 h (shape x scale), availability 2.3023 / 14.3779 = 0.16013
 * (MTBF and MTTR swapped would give 0.83987); squared CVs 1/k = 1.10 and
 * 3.45: 2e6 cycles give a relative standard error well under 0.5%. */
START_TEST(test_long_run_availability_gamma_overnet03_is_mtbf_over_mtbf_plus_mttr)
{
    dset_churn_table t;
    load_table(&t);
    scn_dist up, down;
    char err[512];
    ck_assert_int_eq(dset_churn_find(&t, "overnet03", DSET_CHURN_GAMMA, &up, &down, err,
                                    sizeof err),
                     SS_OK);
    double want = 2.3023 / (2.3023 + 12.0756);
    double got = simulated_availability(&up, &down, 40, 50000);
    ck_assert_msg(fabs(got - want) <= 0.01 * want, "availability %g, want %g", got, want);
    dset_churn_fini(&t);
}
END_TEST

/* Overnet03 exponential: MTBF 2.29 h, MTTR 12.0 h: 2.29 / 14.29 = 0.16025
 * (squared CVs 1: relative standard error ~0.1%). */
START_TEST(test_long_run_availability_exponential_overnet03_is_mtbf_over_mtbf_plus_mttr)
{
    dset_churn_table t;
    load_table(&t);
    scn_dist up, down;
    char err[512];
    ck_assert_int_eq(dset_churn_find(&t, "overnet03", DSET_CHURN_EXPONENTIAL, &up, &down, err,
                                    sizeof err),
                     SS_OK);
    double want = 2.29 / (2.29 + 12.0);
    double got = simulated_availability(&up, &down, 40, 50000);
    ck_assert_msg(fabs(got - want) <= 0.01 * want, "availability %g, want %g", got, want);
    dset_churn_fini(&t);
}
END_TEST

/* Same (seed, node) -> same transitions; another node -> other ones. */
START_TEST(test_renewal_streams_are_named_per_node)
{
    scn_dist up = {SCN_DIST_EXPONENTIAL, 100, 0}, down = {SCN_DIST_EXPONENTIAL, 10, 0};
    sim_churn_proc a, b, c;
    ck_assert_int_eq(sim_churn_proc_init(&a, &up, &down, 1, 5, 1000), SS_OK);
    ck_assert_int_eq(sim_churn_proc_init(&b, &up, &down, 1, 5, 1000), SS_OK);
    ck_assert_int_eq(sim_churn_proc_init(&c, &up, &down, 1, 6, 1000), SS_OK);
    int same = 1, differ = 0;
    for (int i = 0; i < 100; i++) {
        int64_t ta, tb, tc;
        int ua, ub, uc;
        sim_churn_proc_next(&a, &ta, &ua);
        sim_churn_proc_next(&b, &tb, &ub);
        sim_churn_proc_next(&c, &tc, &uc);
        if (i == 0)
            ck_assert(ta > 1000 && ua == 0);
        same &= ta == tb && ua == ub;
        differ |= ta != tc;
    }
    ck_assert(same);
    ck_assert(differ);
    sim_churn_proc_fini(&a);
    sim_churn_proc_fini(&b);
    sim_churn_proc_fini(&c);
    sim_churn_proc_fini(&c);
    /* a constant 0 s duration still advances time by 1 ns */
    scn_dist zero = {SCN_DIST_CONST, 0, 0};
    ck_assert_int_eq(sim_churn_proc_init(&a, &zero, &zero, 1, 1, 0), SS_OK);
    int64_t t;
    int u;
    sim_churn_proc_next(&a, &t, &u);
    ck_assert_int_eq(t, 1);
    sim_churn_proc_next(&a, &t, &u);
    ck_assert_int_eq(t, 2);
    sim_churn_proc_fini(&a);
    /* a duration past the end of int64 time: the state holds forever */
    scn_dist huge = {SCN_DIST_CONST, 1e12, 0};
    ck_assert_int_eq(sim_churn_proc_init(&a, &huge, &huge, 1, 1, 0), SS_OK);
    sim_churn_proc_next(&a, &t, &u);
    ck_assert_int_eq(t, INT64_MAX);
    ck_assert_int_eq(u, 1);
    sim_churn_proc_fini(&a);
    ck_assert_int_eq(sim_churn_proc_init(&a, &up, &down, 1, 1, -1), SS_EINVAL);
}
END_TEST

static const char *const nodes[] = {"gpu-0", "gpu-1", "laptop"};

START_TEST(test_churn_trace_parses_and_keeps_ties_in_file_order)
{
    const char *p = tmp_file("time_s,node,state\r\n"
                             "0,gpu-1,up\r\n"
                             "1.5,gpu-0,down\r\n"
                             "1.5,laptop,down\r\n"
                             "2.000000001,gpu-0,up\r\n"
                             "3,gpu-1,down");
    dset_churn_trace tr;
    char err[512] = "";
    ck_assert_msg(dset_churn_trace_load(p, nodes, 3, &tr, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_uint_eq(tr.n, 5);
    ck_assert_int_eq(tr.events[0].node, 1);
    ck_assert_int_eq(tr.events[0].up, 1);
    ck_assert_int_eq(tr.events[1].t_ns, 1500000000);
    ck_assert_int_eq(tr.events[1].node, 0);
    ck_assert_int_eq(tr.events[2].node, 2);
    ck_assert_int_eq(tr.events[3].t_ns, 2000000001);
    ck_assert_int_eq(tr.events[4].up, 0);
    dset_churn_trace_fini(&tr);
    unlink(p);
    /* header only: an empty trace, deliberately accepted */
    p = tmp_file("time_s,node,state\n");
    ck_assert_int_eq(dset_churn_trace_load(p, nodes, 3, &tr, err, sizeof err), SS_OK);
    ck_assert_uint_eq(tr.n, 0);
    dset_churn_trace_fini(&tr);
    unlink(p);
}
END_TEST

static const struct {
    const char *text;
    ss_status st;
    const char *want;
} bad_traces[] = {
    {"", SS_EPARSE, "empty file"},
    {"time,node,state\n", SS_EPARSE, "line 1: expected header column 1 \"time_s\""},
    {"time_s,node,state\n1,gpu-0,down\n0.5,gpu-1,down\n", SS_ERANGE, "line 3: time_s 0.5 is earlier"},
    {"time_s,node,state\n-1,gpu-0,down\n", SS_ERANGE, "line 2: time_s: expected a number in [0,"},
    {"time_s,node,state\n1e400,gpu-0,down\n", SS_ERANGE, "line 2: time_s"},
    {"time_s,node,state\nnan,gpu-0,down\n", SS_EPARSE, "line 2: time_s: expected a number, got \"nan\""},
    {"time_s,node,state\n 1,gpu-0,down\n", SS_EPARSE, "got \" 1\""},
    {"time_s,node,state\n1,gpu-9,down\n", SS_ESCHEMA, "line 2: unknown node \"gpu-9\" (did you mean"},
    {"time_s,node,state\n1,gpu-0,Down\n", SS_EPARSE, "line 2: state: expected \"up\" or \"down\", got \"Down\""},
    {"time_s,node,state\n1,gpu-0,down\n2,gpu-0,down\n", SS_ESCHEMA, "line 3: node \"gpu-0\" is already down"},
    {"time_s,node,state\n1,gpu-0,up\n2,gpu-0,up\n", SS_ESCHEMA, "line 3: node \"gpu-0\" is already up"},
    {"time_s,node,state\n1,gpu-0,down\n12.5,gpu-0,", SS_EPARSE, "line 3: state: expected"},
    {"time_s,node,state\n1,gpu-0,down\n12.5,gpu-0", SS_EPARSE, "line 3: expected 3 fields, got 2"},
    {"time_s,node,state\n1,\"gpu-0,down\n", SS_EPARSE, "line 2: unterminated quoted field 2"},
};

START_TEST(test_bad_churn_trace_is_rejected_naming_the_line)
{
    const char *p = tmp_file(bad_traces[_i].text);
    dset_churn_trace tr;
    char err[512] = "";
    ss_status st = dset_churn_trace_load(p, nodes, 3, &tr, err, sizeof err);
    ck_assert_msg(st == bad_traces[_i].st, "case %d: %s: %s", _i, ss_status_name(st), err);
    ck_assert_msg(strstr(err, bad_traces[_i].want) != NULL, "case %d: %s", _i, err);
    ck_assert_ptr_nonnull(strstr(err, p));
    ck_assert_ptr_null(tr.events);
    unlink(p);
}
END_TEST

#define FTA_HEADER                                                                              \
    "fta_dataset,system,phase,distribution,param1_name,param1,param2_name,param2,implied_mean_h," \
    "implied_median_h,opendc_source_file\n"

static const struct {
    const char *text;
    ss_status st;
    const char *want;
} bad_fta[] = {
    {FTA_HEADER, SS_EPARSE, "line 2: no fits"},
    {FTA_HEADER "X,s,availability,weibull,shape_k,0.5,scale_lambda_h,1,,,f\n"
                "X,s,availability,weibull,shape_k,0.5,scale_lambda_h,2,,,f\n",
     SS_ESCHEMA, "line 3: duplicate availability weibull fit for X"},
    {FTA_HEADER "X,s,uptime,weibull,shape_k,0.5,scale_lambda_h,1,,,f\n", SS_EPARSE, "line 2: phase"},
    {FTA_HEADER "X,s,availability,pareto,shape_k,0.5,scale_lambda_h,1,,,f\n", SS_EPARSE, "line 2: distribution"},
    {FTA_HEADER "X,s,availability,weibull,scale_lambda_h,0.5,shape_k,1,,,f\n", SS_EPARSE, "line 2: param1_name: expected \"shape_k\""},
    {FTA_HEADER "X,s,availability,weibull,shape_k,0,scale_lambda_h,1,,,f\n", SS_ERANGE, "line 2: param1"},
    {FTA_HEADER "X,s,availability,weibull,shape_k,0.5,scale_lambda_h,inf,,,f\n", SS_EPARSE, "line 2: param2"},
    {FTA_HEADER "X,s,availability,exponential,mean_h,5,,1,,,f\n", SS_EPARSE, "line 2: param2: expected empty"},
    {FTA_HEADER "X Y,s,availability,exponential,mean_h,5,,,,,f\n", SS_EPARSE, "line 2: fta_dataset"},
    {FTA_HEADER "X,s,availability,exponential,mean_h,5,,,,f\n", SS_EPARSE, "line 2: expected 11 fields, got 10"},
    {FTA_HEADER "PlanetLab05,s,availability,exponential,mean_h,5,,,,,f\n", SS_ESCHEMA, "collides with the built-in alias"},
};

START_TEST(test_bad_fta_file_is_rejected_naming_the_line)
{
    const char *p = tmp_file(bad_fta[_i].text);
    dset_churn_table t;
    char err[512] = "";
    ss_status st = dset_churn_load(p, &t, err, sizeof err);
    ck_assert_msg(st == bad_fta[_i].st, "case %d: %s: %s", _i, ss_status_name(st), err);
    ck_assert_msg(strstr(err, bad_fta[_i].want) != NULL, "case %d: %s", _i, err);
    ck_assert_ptr_null(t.presets);
    unlink(p);
}
END_TEST

START_TEST(test_every_allocation_failure_is_clean)
{
    int ok = 0;
    for (long n = 0; n < 100 && !ok; n++) {
        dset_churn_table t;
        char err[512] = "";
        ss_alloc_fail_after(n);
        ss_status st = dset_churn_load(FTA, &t, err, sizeof err);
        ss_alloc_fail_after(-1);
        if (st == SS_OK) {
            ok = 1;
            dset_churn_fini(&t);
        } else {
            ck_assert_int_eq(st, SS_ENOMEM);
        }
    }
    ck_assert(ok);
}
END_TEST

Suite *churn_suite(void)
{
    Suite *s = suite_create("churn");
    TCase *t = tcase_create("churn");
    tcase_set_timeout(t, 300);
    tcase_add_test(t, test_presets_are_the_nine_lower_case_data_sets_sorted);
    tcase_add_test(t, test_overnet03_converts_hours_to_seconds_per_family);
    tcase_add_test(t, test_every_fit_mean_matches_the_files_implied_mean);
    tcase_add_test(t, test_unknown_preset_lists_the_known_sorted);
    tcase_add_test(t, test_long_run_availability_weibull_overnet03_is_mtbf_over_mtbf_plus_mttr);
    tcase_add_test(t, test_long_run_availability_lognormal_skype06_is_mtbf_over_mtbf_plus_mttr);
    tcase_add_test(t, test_long_run_availability_gamma_overnet03_is_mtbf_over_mtbf_plus_mttr);
    tcase_add_test(t, test_long_run_availability_exponential_overnet03_is_mtbf_over_mtbf_plus_mttr);
    tcase_add_test(t, test_renewal_streams_are_named_per_node);
    tcase_add_test(t, test_churn_trace_parses_and_keeps_ties_in_file_order);
    tcase_add_loop_test(t, test_bad_churn_trace_is_rejected_naming_the_line, 0,
                        (int)(sizeof bad_traces / sizeof bad_traces[0]));
    tcase_add_loop_test(t, test_bad_fta_file_is_rejected_naming_the_line, 0,
                        (int)(sizeof bad_fta / sizeof bad_fta[0]));
    tcase_add_test(t, test_every_allocation_failure_is_clean);
    suite_add_tcase(s, t);
    return s;
}
