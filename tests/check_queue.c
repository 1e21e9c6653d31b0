/* check_queue.c - sim_queue: FIFO order, removal from anywhere, several
 * queues sharing one link array, and a random walk against a plain array. */
#include <check.h>

#include "sim_queue.h"

START_TEST(test_queue_pops_in_push_order)
{
    int64_t next[8];
    sim_queue q;
    sim_queue_init(&q);
    ck_assert(sim_queue_empty(&q));
    ck_assert_int_eq(sim_queue_pop(&q, next), -1);
    const int64_t in[] = {5, 0, 7, 3};
    for (int k = 0; k < 4; k++)
        sim_queue_push(&q, next, in[k]);
    ck_assert_int_eq(sim_queue_first(&q), 5);
    for (int k = 0; k < 4; k++)
        ck_assert_int_eq(sim_queue_pop(&q, next), in[k]);
    ck_assert(sim_queue_empty(&q));
    /* emptied, the queue takes new entries from scratch */
    sim_queue_push(&q, next, 2);
    ck_assert_int_eq(sim_queue_pop(&q, next), 2);
    ck_assert_int_eq(sim_queue_pop(&q, next), -1);
}
END_TEST

static void expect(const sim_queue *q, const int64_t *next, const int64_t *want, int n)
{
    int k = 0;
    for (int64_t i = sim_queue_first(q); i >= 0; i = next[i], k++) {
        ck_assert_int_lt(k, n);
        ck_assert_int_eq(i, want[k]);
    }
    ck_assert_int_eq(k, n);
}

START_TEST(test_queue_removes_head_middle_and_tail_keeping_order)
{
    int64_t next[8];
    sim_queue q;
    sim_queue_init(&q);
    for (int64_t i = 0; i < 5; i++)
        sim_queue_push(&q, next, i);
    ck_assert(sim_queue_remove(&q, next, 2)); /* middle */
    expect(&q, next, (const int64_t[]){0, 1, 3, 4}, 4);
    ck_assert(sim_queue_remove(&q, next, 4)); /* tail: the next push goes after 3 */
    sim_queue_push(&q, next, 6);
    expect(&q, next, (const int64_t[]){0, 1, 3, 6}, 4);
    ck_assert(sim_queue_remove(&q, next, 0)); /* head */
    expect(&q, next, (const int64_t[]){1, 3, 6}, 3);
    ck_assert(!sim_queue_remove(&q, next, 0)); /* not queued any more */
    ck_assert(!sim_queue_remove(&q, next, 7)); /* never queued */
    sim_queue_unlink(&q, next, 1, 3);          /* predecessor known from a walk */
    expect(&q, next, (const int64_t[]){1, 6}, 2);
    ck_assert(sim_queue_remove(&q, next, 6));
    ck_assert(sim_queue_remove(&q, next, 1));
    ck_assert(sim_queue_empty(&q));
    sim_queue_push(&q, next, 4); /* head and tail were both reset */
    expect(&q, next, (const int64_t[]){4}, 1);
}
END_TEST

START_TEST(test_queue_queues_sharing_one_link_array_stay_apart)
{
    int64_t next[10];
    sim_queue a, b;
    sim_queue_init(&a);
    sim_queue_init(&b);
    for (int64_t i = 0; i < 10; i++)
        sim_queue_push(i % 2 ? &b : &a, next, i);
    /* move the head of a to b's tail, as a request leaves one line for another */
    sim_queue_push(&b, next, sim_queue_pop(&a, next));
    expect(&a, next, (const int64_t[]){2, 4, 6, 8}, 4);
    expect(&b, next, (const int64_t[]){1, 3, 5, 7, 9, 0}, 6);
}
END_TEST

/* 20,000 random pushes, pops and removals on one queue, checked against a
 * plain array holding the same sequence. Fixed seed: deterministic. */
START_TEST(test_queue_random_operations_match_an_array_model)
{
    enum { N = 64 };
    int64_t next[N], model[N];
    int in[N] = {0}, n = 0;
    sim_queue q;
    sim_queue_init(&q);
    uint64_t x = 88172645463325252u; /* xorshift64 */
    for (int step = 0; step < 20000; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        int64_t i = (int64_t)(x % N);
        int op = (int)((x >> 32) % 3);
        if (op == 0 && !in[i]) {
            sim_queue_push(&q, next, i);
            model[n++] = i;
            in[i] = 1;
        } else if (op == 1) {
            int64_t got = sim_queue_pop(&q, next);
            ck_assert_int_eq(got, n ? model[0] : -1);
            if (n) {
                in[model[0]] = 0;
                for (int k = 1; k < n; k++)
                    model[k - 1] = model[k];
                n--;
            }
        } else if (op == 2) {
            ck_assert_int_eq(sim_queue_remove(&q, next, i), in[i]);
            for (int k = 0; in[i] && k < n; k++)
                if (model[k] == i) {
                    for (int j = k + 1; j < n; j++)
                        model[j - 1] = model[j];
                    n--;
                    break;
                }
            in[i] = 0;
        }
        expect(&q, next, model, n);
        ck_assert_int_eq(sim_queue_empty(&q), n == 0);
    }
}
END_TEST

Suite *queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("queue");
    tcase_add_test(tc, test_queue_pops_in_push_order);
    tcase_add_test(tc, test_queue_removes_head_middle_and_tail_keeping_order);
    tcase_add_test(tc, test_queue_queues_sharing_one_link_array_stay_apart);
    tcase_add_test(tc, test_queue_random_operations_match_an_array_model);
    suite_add_tcase(s, tc);
    return s;
}
