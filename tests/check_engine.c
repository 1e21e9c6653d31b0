/* check_engine.c - event ordering, cancellation, time conversion, RNG streams,
 * and the engine against a naive sorted-list twin under random schedules and
 * cancellations issued from inside handlers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim_engine.h"
#include "scn_draw.h"
#include "ss_rng.h"
#include "ss_alloc.h"

typedef struct trace {
    int n;
    uint64_t tag[64];
    sim_time_ns t[64];
} trace;

static void record(sim_engine *e, void *ctx, uint64_t a, uint64_t b)
{
    trace *tr = ctx;
    (void)b;
    if (tr->n < 64) {
        tr->tag[tr->n] = a;
        tr->t[tr->n] = sim_engine_now(e);
    }
    tr->n++;
}

START_TEST(test_engine_pops_equal_times_in_schedule_order)
{
    sim_engine *e;
    ck_assert_int_eq(sim_engine_create(NULL, &e), SS_OK);
    trace tr = {0};
    /* Interleave two times so heap order alone would not keep the sequence. */
    for (uint64_t i = 0; i < 20; i++)
        ck_assert_int_eq(sim_engine_schedule(e, (i % 2) ? 500 : 100, record, &tr, i, 0, NULL), SS_OK);
    sim_engine_run(e, SIM_TIME_MAX);
    ck_assert_int_eq(tr.n, 20);
    for (int i = 0; i < 10; i++) {
        ck_assert_uint_eq(tr.tag[i], (uint64_t)(2 * i));
        ck_assert_int_eq(tr.t[i], 100);
        ck_assert_uint_eq(tr.tag[10 + i], (uint64_t)(2 * i + 1));
        ck_assert_int_eq(tr.t[10 + i], 500);
    }
    sim_engine_destroy(e);
}
END_TEST

static void schedule_same_time(sim_engine *e, void *ctx, uint64_t a, uint64_t b)
{
    record(e, ctx, a, b);
    if (a == 0) /* an event scheduled now, from a handler, runs after those already queued for now */
        sim_engine_schedule(e, sim_engine_now(e), record, ctx, 99, 0, NULL);
}

START_TEST(test_engine_runs_events_scheduled_for_now_after_earlier_ones)
{
    sim_engine *e;
    ck_assert_int_eq(sim_engine_create(NULL, &e), SS_OK);
    trace tr = {0};
    sim_engine_schedule(e, 10, schedule_same_time, &tr, 0, 0, NULL);
    sim_engine_schedule(e, 10, record, &tr, 1, 0, NULL);
    sim_engine_run(e, SIM_TIME_MAX);
    ck_assert_int_eq(tr.n, 3);
    ck_assert_uint_eq(tr.tag[0], 0);
    ck_assert_uint_eq(tr.tag[1], 1);
    ck_assert_uint_eq(tr.tag[2], 99);
    sim_engine_destroy(e);
}
END_TEST

START_TEST(test_engine_cancelled_events_never_run)
{
    sim_engine *e;
    ck_assert_int_eq(sim_engine_create(NULL, &e), SS_OK);
    trace tr = {0};
    sim_event_id id[5];
    for (int i = 0; i < 5; i++)
        sim_engine_schedule(e, 10 * (i + 1), record, &tr, (uint64_t)i, 0, &id[i]);
    ck_assert_int_eq(sim_engine_cancel(e, id[1]), 1);
    ck_assert_int_eq(sim_engine_cancel(e, id[1]), 0); /* twice */
    ck_assert_int_eq(sim_engine_cancel(e, id[3]), 1);
    ck_assert_int_eq(sim_engine_cancel(e, 0), 0);
    sim_engine_run(e, 10); /* runs only event 0 */
    ck_assert_int_eq(sim_engine_cancel(e, id[0]), 0); /* already ran */
    sim_engine_run(e, SIM_TIME_MAX);
    ck_assert_int_eq(tr.n, 3);
    ck_assert_uint_eq(tr.tag[0], 0);
    ck_assert_uint_eq(tr.tag[1], 2);
    ck_assert_uint_eq(tr.tag[2], 4);
    ck_assert_uint_eq(sim_engine_n_run(e), 3);
    /* A reused slot does not answer to the old id. */
    sim_event_id fresh;
    sim_engine_schedule(e, 100, record, &tr, 7, 0, &fresh);
    ck_assert_int_eq(sim_engine_cancel(e, id[4]), 0);
    ck_assert_int_eq(sim_engine_cancel(e, fresh), 1);
    sim_engine_destroy(e);
}
END_TEST

START_TEST(test_engine_rejects_past_times_and_null_handlers)
{
    sim_engine *e;
    ck_assert_int_eq(sim_engine_create(NULL, &e), SS_OK);
    trace tr = {0};
    sim_engine_schedule(e, 50, record, &tr, 0, 0, NULL);
    sim_engine_run(e, SIM_TIME_MAX);
    ck_assert_int_eq(sim_engine_now(e), 50);
    ck_assert_int_eq(sim_engine_schedule(e, 49, record, &tr, 0, 0, NULL), SS_EINVAL);
    ck_assert_int_eq(sim_engine_schedule(e, 60, NULL, &tr, 0, 0, NULL), SS_EINVAL);
    sim_engine_destroy(e);
}
END_TEST

typedef struct order_check {
    sim_time_ns last_t;
    uint64_t last_seq;
    long n, bad;
} order_check;

static void check_order(sim_engine *e, void *ctx, uint64_t seq, uint64_t b)
{
    order_check *oc = ctx;
    (void)b;
    sim_time_ns t = sim_engine_now(e);
    if (oc->n > 0 && (t < oc->last_t || (t == oc->last_t && seq < oc->last_seq)))
        oc->bad++;
    oc->last_t = t;
    oc->last_seq = seq;
    oc->n++;
}

START_TEST(test_engine_million_random_events_come_out_sorted)
{
    sim_engine *e;
    ck_assert_int_eq(sim_engine_create(&(sim_engine_cfg){.initial_capacity = 16}, &e), SS_OK);
    gsl_rng *r;
    ck_assert_int_eq(ss_rng_create(7, SS_RNG_TEST, 0, 0, &r), SS_OK);
    order_check oc = {0};
    const long n = 1000000;
    /* Times from a small range so there are many ties to order by sequence. */
    for (long i = 0; i < n; i++)
        ck_assert_int_eq(sim_engine_schedule(e, (sim_time_ns)gsl_rng_uniform_int(r, 100000),
                                             check_order, &oc, (uint64_t)i, 0, NULL), SS_OK);
    ck_assert_uint_eq(sim_engine_pending(e), (size_t)n);
    sim_engine_run(e, SIM_TIME_MAX);
    ck_assert_int_eq(oc.n, n);
    ck_assert_int_eq(oc.bad, 0);
    ck_assert_uint_eq(sim_engine_pending(e), 0);
    gsl_rng_free(r);
    sim_engine_destroy(e);
}
END_TEST

/* The differential test's twin of the engine: every event ever scheduled,
 * kept sorted by (time, schedule order), which is the engine's documented
 * order (sim_engine.h). Cancelled entries stay in the list, flagged, as the
 * engine keeps them in its heap until their turn. Linear everything: it is
 * obviously right, not fast. */
typedef struct ref_event {
    sim_time_ns t;
    uint64_t seq;      /* schedule order, counted by the test */
    sim_event_id id;   /* the engine's id for it */
    int cancelled;
    int in_list;       /* still in the sorted list (not run, not dropped) */
} ref_event;

enum { DIFF_MAX_EVENTS = 2500 };

typedef struct diff_run {
    sim_engine *e;
    uint64_t rng;              /* xorshift64 state: the test's own, fixed seeds */
    ref_event ev[DIFF_MAX_EVENTS];
    int n_ev;                  /* scheduled so far (ev[0..n_ev) by seq) */
    ref_event *sorted[DIFF_MAX_EVENTS]; /* pending entries (live or cancelled), in order */
    int n_sorted;
    long n_run, n_fast_path, n_cancel_hits, n_stale_cancels, mismatches;
    uint64_t current;          /* seq of the event being run */
} diff_run;

static uint64_t diff_next(diff_run *d)
{
    d->rng ^= d->rng << 13;
    d->rng ^= d->rng >> 7;
    d->rng ^= d->rng << 17;
    return d->rng;
}

static int ref_before(const ref_event *x, const ref_event *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

/* b carries a check of a, so a mixed-up payload cannot pass unnoticed */
static uint64_t diff_check(uint64_t a) { return a * UINT64_C(0x9E3779B97F4A7C15) ^ 0xabcdef; }

static void diff_handler(sim_engine *e, void *ctx, uint64_t a, uint64_t b);

/* Schedule one event at now + delta, in the engine and in the twin. Deltas
 * of 0 are frequent: equal times are where order goes wrong. */
static int diff_schedule(diff_run *d)
{
    if (d->n_ev == DIFF_MAX_EVENTS)
        return 0;
    uint64_t r = diff_next(d);
    sim_time_ns delta = (r & 3) == 0 ? 0 : (r & 3) == 1 ? 1 : (sim_time_ns)((r >> 8) % 200);
    ref_event *x = &d->ev[d->n_ev];
    *x = (ref_event){.t = sim_engine_now(d->e) + delta, .seq = (uint64_t)d->n_ev, .in_list = 1};
    ck_assert_int_eq(sim_engine_schedule(d->e, x->t, diff_handler, d, x->seq, diff_check(x->seq),
                                         &x->id), SS_OK);
    d->n_ev++;
    int k = d->n_sorted++;
    while (k > 0 && ref_before(x, d->sorted[k - 1])) {
        d->sorted[k] = d->sorted[k - 1];
        k--;
    }
    d->sorted[k] = x;
    return 1;
}

/* Cancel a random event ever scheduled (pending, cancelled, run, or the
 * one running now): the engine must answer 1 exactly when the twin says
 * the event was still to run. */
static void diff_cancel(diff_run *d)
{
    if (d->n_ev == 0)
        return;
    ref_event *x = &d->ev[diff_next(d) % (uint64_t)d->n_ev];
    int pending = x->in_list && !x->cancelled;
    int got = sim_engine_cancel(d->e, x->id);
    if (got != pending)
        d->mismatches++;
    if (pending) {
        x->cancelled = 1;
        d->n_cancel_hits++;
    } else {
        d->n_stale_cancels++;
    }
}

/* Remove the first k entries of the twin's list. */
static void ref_remove_front(diff_run *d, int k)
{
    for (int i = 0; i < k; i++)
        d->sorted[i]->in_list = 0;
    memmove(d->sorted, d->sorted + k, (size_t)(d->n_sorted - k) * sizeof *d->sorted);
    d->n_sorted -= k;
}

/* The twin's next event to run: drop cancelled entries from the front,
 * as the engine does when they surface, and take the first live one. */
static ref_event *ref_pop(diff_run *d)
{
    int k = 0;
    while (k < d->n_sorted && d->sorted[k]->cancelled)
        k++;
    ref_event *x = k < d->n_sorted ? d->sorted[k] : NULL;
    ref_remove_front(d, x ? k + 1 : k);
    return x;
}

/* After sim_engine_run(until) returns, the engine has dropped every
 * cancelled event up to `until` too. */
static void ref_drop_through(diff_run *d, sim_time_ns until)
{
    int k = 0;
    while (k < d->n_sorted && d->sorted[k]->cancelled && d->sorted[k]->t <= until)
        k++;
    ref_remove_front(d, k);
}

static void diff_handler(sim_engine *e, void *ctx, uint64_t a, uint64_t b)
{
    diff_run *d = ctx;
    ref_event *want = ref_pop(d);
    /* event by event: the right event (seq), at the right time, with its payload */
    if (!want || want->seq != a || want->t != sim_engine_now(e) || b != diff_check(a)) {
        d->mismatches++;
        return;
    }
    d->current = a;
    d->n_run++;
    /* pending counts what is left: the twin's remaining entries, cancelled
     * ones included until they surface */
    if (sim_engine_pending(e) != (size_t)d->n_sorted)
        d->mismatches++;
    /* Random work from inside the handler. When the first engine call is a
     * schedule, it lands on the replace-root fast path (sim_engine.c:
     * root_is_spent is set for the whole handler until the first schedule);
     * cancels before it do not change that. */
    uint64_t r = diff_next(d);
    int cancels_first = (int)(r & 1) ? (int)((r >> 1) % 3) : 0;
    static const int n_schedules[8] = {0, 0, 1, 1, 1, 2, 2, 3}; /* mean 1.25: grows, then drains */
    int schedules = n_schedules[(r >> 4) % 8];
    int cancels_after = (int)((r >> 8) % 2);
    for (int i = 0; i < cancels_first; i++)
        diff_cancel(d);
    int scheduled = 0;
    for (int i = 0; i < schedules; i++)
        scheduled += diff_schedule(d);
    if (scheduled)
        d->n_fast_path++;
    for (int i = 0; i < cancels_after; i++)
        diff_cancel(d);
    if (sim_engine_pending(e) != (size_t)d->n_sorted)
        d->mismatches++;
}

/* Random schedules and cancellations, mostly from inside handlers (hitting
 * the replace-root fast path), partly from outside between bounded runs,
 * compared event by event with a sorted list over 300 fixed seeds. */
START_TEST(test_engine_matches_a_sorted_list_under_random_handler_schedules)
{
    long fast = 0, hits = 0, stale = 0, events = 0;
    for (uint64_t seed = 1; seed <= 300; seed++) {
        diff_run *d = calloc(1, sizeof *d);
        ck_assert_ptr_nonnull(d);
        d->rng = seed * UINT64_C(0x2545F4914F6CDD1D) | 1;
        /* a tiny initial capacity makes handlers grow the pool and heap too */
        ck_assert_int_eq(sim_engine_create(&(sim_engine_cfg){.initial_capacity = 2}, &d->e), SS_OK);
        for (int i = 0; i < 8; i++)
            diff_schedule(d);
        while (sim_engine_pending(d->e) > 0) {
            /* run up to a random time, then act from outside a handler */
            sim_time_ns until = sim_engine_now(d->e) + (sim_time_ns)(diff_next(d) % 400);
            sim_engine_run(d->e, until);
            ck_assert_int_eq(d->mismatches, 0);
            ref_drop_through(d, until);
            /* the twin agrees on what is left: everything after `until` */
            ck_assert_uint_eq(sim_engine_pending(d->e), (size_t)d->n_sorted);
            ck_assert(d->n_sorted == 0 || d->sorted[0]->t > until);
            diff_cancel(d);
            if (diff_next(d) % 4 == 0)
                diff_schedule(d);
        }
        ck_assert_int_eq(d->mismatches, 0);
        ck_assert_ptr_null(ref_pop(d)); /* nothing live left behind in the twin */
        ck_assert_uint_eq(sim_engine_n_run(d->e), (uint64_t)d->n_run);
        fast += d->n_fast_path;
        hits += d->n_cancel_hits;
        stale += d->n_stale_cancels;
        events += d->n_run;
        sim_engine_destroy(d->e);
        free(d);
    }
    /* the test exercised what it claims to */
    ck_assert_int_gt(events, 300 * 1000);
    ck_assert_int_gt(fast, events / 2);
    ck_assert_int_gt(hits, 10000);
    ck_assert_int_gt(stale, 10000);
}
END_TEST

START_TEST(test_engine_create_fails_cleanly_without_memory)
{
    for (long k = 0; k < 3; k++) {
        sim_engine *e = (sim_engine *)1;
        ss_alloc_fail_after(k);
        ss_status st = sim_engine_create(NULL, &e);
        ss_alloc_fail_after(-1);
        ck_assert_int_eq(st, SS_ENOMEM);
        ck_assert_ptr_null(e);
    }
}
END_TEST

START_TEST(test_time_from_seconds_rounds_and_rejects_overflow)
{
    sim_time_ns t;
    ck_assert_int_eq(sim_time_from_s(1.5, &t), SS_OK);
    ck_assert_int_eq(t, 1500000000LL);
    ck_assert_int_eq(sim_time_from_s(1e-9 * 0.6, &t), SS_OK);
    ck_assert_int_eq(t, 1);
    ck_assert_int_eq(sim_time_from_s(1e19, &t), SS_ERANGE);
    ck_assert_int_eq(sim_time_from_s(-1, &t), SS_ERANGE);
    ck_assert_int_eq(sim_time_from_s(0.0 / 0.0, &t), SS_ERANGE);
}
END_TEST

/* Reference values from the published SplitMix64 test vector (seed 1234567)
 * and from an independent Python twin of xoshiro256** (Vigna's reference
 * algorithm, state from SplitMix64 of the seed). */
START_TEST(test_rng_matches_reference_vectors)
{
    uint64_t s = 1234567;
    ck_assert_uint_eq(ss_splitmix64_next(&s), UINT64_C(6457827717110365317));
    ck_assert_uint_eq(ss_splitmix64_next(&s), UINT64_C(3203168211198807973));
    ck_assert_uint_eq(ss_splitmix64_next(&s), UINT64_C(9817491932198370423));
    gsl_rng *r = gsl_rng_alloc(ss_rng_xoshiro256ss);
    gsl_rng_set(r, 42);
    ck_assert_uint_eq(gsl_rng_get(r), UINT64_C(1546998764402558742));
    ck_assert_uint_eq(gsl_rng_get(r), UINT64_C(6990951692964543102));
    for (int i = 2; i < 999; i++)
        gsl_rng_get(r);
    ck_assert_uint_eq(gsl_rng_get(r), UINT64_C(10224724267483498856));
    /* Seed 0 is a seed like any other (GSL's mt19937 would alias it to 4357). */
    gsl_rng_set(r, 0);
    ck_assert_uint_eq(gsl_rng_get(r), UINT64_C(11091344671253066420));
    gsl_rng_free(r);
}
END_TEST

START_TEST(test_rng_streams_are_distinct_and_reproducible)
{
    /* Nearby names must give unrelated seeds; same name, same seed. */
    uint64_t seen[4 * 50];
    int n = 0;
    for (uint32_t kind = 1; kind <= 2; kind++)
        for (uint64_t id = 0; id < 50; id++)
            for (uint32_t p = 1; p <= 2; p++)
                seen[n++] = ss_rng_stream_seed(42, kind, id, p);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(seen[i], seen[j]);
    ck_assert_uint_eq(ss_rng_stream_seed(42, 2, 7, 4), ss_rng_stream_seed(42, 2, 7, 4));
    ck_assert_uint_ne(ss_rng_stream_seed(42, 2, 7, 4), ss_rng_stream_seed(43, 2, 7, 4));
    ck_assert_uint_ne(ss_rng_stream_seed(0, 2, 7, 4), ss_rng_stream_seed(4357, 2, 7, 4));
}
END_TEST

START_TEST(test_rng_exponential_draws_have_the_right_mean)
{
    gsl_rng *r;
    ck_assert_int_eq(ss_rng_create(1, SS_RNG_TEST, 3, 1, &r), SS_OK);
    scn_dist d = {.kind = SCN_DIST_EXPONENTIAL, .a = 2.0};
    double sum = 0;
    const int n = 400000;
    for (int i = 0; i < n; i++)
        sum += scn_dist_draw(r, &d);
    /* standard error of the mean: 2/sqrt(n) = 0.0032; allow 5 of them */
    ck_assert_double_eq_tol(sum / n, 2.0, 0.016);
    scn_dist w = {.kind = SCN_DIST_WEIBULL, .a = 0.85, .b = 2.04};
    /* mean = scale * Gamma(1 + 1/shape); Gamma(2.176471) = 1.087955 (Python math.gamma) */
    ck_assert_double_eq_tol(scn_dist_mean(&w), 2.04 * 1.087955, 1e-5);
    gsl_rng_free(r);
}
END_TEST

Suite *engine_suite(void)
{
    Suite *s = suite_create("engine");
    TCase *tc = tcase_create("engine");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_engine_pops_equal_times_in_schedule_order);
    tcase_add_test(tc, test_engine_runs_events_scheduled_for_now_after_earlier_ones);
    tcase_add_test(tc, test_engine_cancelled_events_never_run);
    tcase_add_test(tc, test_engine_rejects_past_times_and_null_handlers);
    tcase_add_test(tc, test_engine_million_random_events_come_out_sorted);
    tcase_add_test(tc, test_engine_matches_a_sorted_list_under_random_handler_schedules);
    tcase_add_test(tc, test_engine_create_fails_cleanly_without_memory);
    tcase_add_test(tc, test_time_from_seconds_rounds_and_rejects_overflow);
    suite_add_tcase(s, tc);
    TCase *rng = tcase_create("rng");
    tcase_add_test(rng, test_rng_matches_reference_vectors);
    tcase_add_test(rng, test_rng_streams_are_distinct_and_reproducible);
    tcase_add_test(rng, test_rng_exponential_draws_have_the_right_mean);
    suite_add_tcase(s, rng);
    return s;
}
