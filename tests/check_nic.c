/* check_nic.c - NIC directions as FIFO resources: simultaneous transfers
 * against hand-computed times, the min(up, down) rule, rounding, errors. */
#include <check.h>
#include <stdint.h>

#include "sim_nic.h"

#define MS 1000000LL

/* Sender A: uplink 100 Mbit/s = 12.5e6 B/s. Receivers B and C: downlink
 * 1 Gbit/s = 125e6 B/s. Both 1.25 MB transfers requested at t = 0, one-way
 * propagation 10 ms. Rate = min(12.5e6, 125e6) = 12.5e6 B/s, so each takes
 * 1.25e6 / 12.5e6 = 0.1 s on the wire:
 *   A->B: start 0,      leaves A at 100 ms, arrives 110 ms;
 *   A->C: waits for A's uplink: start 100 ms, leaves at 200 ms, arrives 210 ms. */
START_TEST(test_two_simultaneous_transfers_through_one_uplink_finish_at_hand_computed_times)
{
    sim_nic a, b, c;
    sim_nic_init(&a, 12.5e6, 12.5e6);
    sim_nic_init(&b, 125e6, 125e6);
    sim_nic_init(&c, 125e6, 125e6);
    int64_t s1, f1, s2, f2;
    ck_assert_int_eq(sim_nic_reserve(&a.up, &b.down, 0, 1250000, 10 * MS, &s1, &f1), SS_OK);
    ck_assert_int_eq(sim_nic_reserve(&a.up, &c.down, 0, 1250000, 10 * MS, &s2, &f2), SS_OK);
    ck_assert_int_eq(s1, 0);
    ck_assert_int_eq(f1, 110 * MS);
    ck_assert_int_eq(s2, 100 * MS);
    ck_assert_int_eq(f2, 210 * MS);
    ck_assert_int_eq(a.up.free_at_ns, 200 * MS);
    ck_assert_int_eq(a.up.busy_ns, 200 * MS);
    ck_assert_uint_eq(a.up.bytes, 2500000);
    ck_assert_int_eq(b.down.free_at_ns, 100 * MS);
    ck_assert_int_eq(c.down.free_at_ns, 200 * MS);
    /* a third transfer requested after the queue drained starts at once:
     * at 300 ms, 125 kB = 10 ms on the wire, arrives 300 + 10 + 10 = 320 ms */
    ck_assert_int_eq(sim_nic_reserve(&a.up, &b.down, 300 * MS, 125000, 10 * MS, &s1, &f1), SS_OK);
    ck_assert_int_eq(s1, 300 * MS);
    ck_assert_int_eq(f1, 320 * MS);
}
END_TEST

/* Two senders (uplinks 1 Gbit/s) into one receiver whose downlink is
 * 80 Mbit/s = 1e7 B/s; 1 MB each at t = 5 ms, propagation 2 ms:
 * wire time 1e6 / 1e7 = 100 ms at the downlink's rate;
 * first: start 5, arrive 5 + 100 + 2 = 107 ms; second: start 105, arrive 207 ms.
 * Sender uplinks are free again at 105 ms and 205 ms respectively. */
START_TEST(test_two_senders_queue_on_the_receivers_downlink)
{
    sim_nic s1n, s2n, r;
    sim_nic_init(&s1n, 125e6, 125e6);
    sim_nic_init(&s2n, 125e6, 125e6);
    sim_nic_init(&r, 1e7, 1e7);
    int64_t st1, f1, st2, f2;
    ck_assert_int_eq(sim_nic_reserve(&s1n.up, &r.down, 5 * MS, 1000000, 2 * MS, &st1, &f1), SS_OK);
    ck_assert_int_eq(sim_nic_reserve(&s2n.up, &r.down, 5 * MS, 1000000, 2 * MS, &st2, &f2), SS_OK);
    ck_assert_int_eq(st1, 5 * MS);
    ck_assert_int_eq(f1, 107 * MS);
    ck_assert_int_eq(st2, 105 * MS);
    ck_assert_int_eq(f2, 207 * MS);
    ck_assert_int_eq(s1n.up.free_at_ns, 105 * MS);
    ck_assert_int_eq(s2n.up.free_at_ns, 205 * MS);
    /* the uplink of s1 is idle, but a transfer to r's busy downlink waits */
    ck_assert_int_eq(sim_nic_reserve(&s1n.up, &r.down, 150 * MS, 10, 0, &st1, &f1), SS_OK);
    ck_assert_int_eq(st1, 205 * MS);
    /* 10 bytes at 1e7 B/s = 1000 ns */
    ck_assert_int_eq(f1, 205 * MS + 1000);
}
END_TEST

/* Uploads and downloads of one NIC are independent resources. */
START_TEST(test_up_and_down_directions_are_independent)
{
    sim_nic a, b;
    sim_nic_init(&a, 1e6, 1e6);
    sim_nic_init(&b, 1e6, 1e6);
    int64_t s1, f1, s2, f2;
    ck_assert_int_eq(sim_nic_reserve(&a.up, &b.down, 0, 1000000, 0, &s1, &f1), SS_OK);
    ck_assert_int_eq(sim_nic_reserve(&b.up, &a.down, 0, 1000000, 0, &s2, &f2), SS_OK);
    ck_assert_int_eq(s2, 0);
    ck_assert_int_eq(f1, 1000 * MS);
    ck_assert_int_eq(f2, 1000 * MS);
}
END_TEST

/* 1 byte at 3 B/s = 333,333,333.3 ns -> 333,333,334 (rounded up);
 * 0 bytes occupy nothing. */
START_TEST(test_serialisation_rounds_up_and_empty_transfers_do_not_queue)
{
    ck_assert_int_eq(sim_nic_serialise_ns(1, 3.0), 333333334);
    ck_assert_int_eq(sim_nic_serialise_ns(3, 3.0), 1000000000);
    ck_assert_int_eq(sim_nic_serialise_ns(UINT64_MAX, 1e-3), -1);
    sim_nic a, b;
    sim_nic_init(&a, 1e6, 1e6);
    sim_nic_init(&b, 1e6, 1e6);
    int64_t s, f;
    ck_assert_int_eq(sim_nic_reserve(&a.up, &b.down, 0, 1000000, 0, &s, &f), SS_OK);
    ck_assert_int_eq(sim_nic_reserve(&a.up, &b.down, 7, 0, 5, &s, &f), SS_OK);
    ck_assert_int_eq(s, 7);
    ck_assert_int_eq(f, 12);
    ck_assert_uint_eq(a.up.n_transfers, 1);
}
END_TEST

START_TEST(test_bad_arguments_change_nothing)
{
    sim_nic a, b;
    sim_nic_init(&a, 1e6, 0);
    sim_nic_init(&b, 1e6, 1e6);
    int64_t s = -7, f = -7;
    ck_assert_int_eq(sim_nic_reserve(&b.up, &a.down, 0, 1, 0, &s, &f), SS_EINVAL);
    ck_assert_int_eq(sim_nic_reserve(&b.up, &b.up, 0, 1, 0, &s, &f), SS_EINVAL);
    ck_assert_int_eq(sim_nic_reserve(&a.up, &b.down, -1, 1, 0, &s, &f), SS_EINVAL);
    ck_assert_int_eq(sim_nic_reserve(&a.up, &b.down, 0, 1, -1, &s, &f), SS_EINVAL);
    ck_assert_int_eq(sim_nic_reserve(&a.up, &b.down, INT64_MAX - 10, 1000000, 0, &s, &f),
                     SS_ERANGE);
    ck_assert_int_eq(s, -7);
    ck_assert_int_eq(f, -7);
    ck_assert_int_eq(a.up.free_at_ns, 0);
    ck_assert_uint_eq(a.up.n_transfers, 0);
    ck_assert_int_eq(b.down.free_at_ns, 0);
}
END_TEST

Suite *nic_suite(void)
{
    Suite *s = suite_create("nic");
    TCase *t = tcase_create("nic");
    tcase_add_test(t, test_two_simultaneous_transfers_through_one_uplink_finish_at_hand_computed_times);
    tcase_add_test(t, test_two_senders_queue_on_the_receivers_downlink);
    tcase_add_test(t, test_up_and_down_directions_are_independent);
    tcase_add_test(t, test_serialisation_rounds_up_and_empty_transfers_do_not_queue);
    tcase_add_test(t, test_bad_arguments_change_nothing);
    suite_add_tcase(s, t);
    return s;
}
