/* check_base.c - status table and allocation hook. */
#include <check.h>
#include <string.h>

#include "ss_alloc.h"
#include "ss_status.h"

START_TEST(test_every_status_has_a_distinct_name_and_message)
{
    for (int i = 0; i < SS_STATUS_COUNT_; i++) {
        ck_assert_ptr_nonnull(ss_strerror((ss_status)i));
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(ss_status_name((ss_status)i), ss_status_name((ss_status)j));
    }
    ck_assert_str_eq(ss_status_name(SS_ENOMEM), "ENOMEM");
    ck_assert_str_eq(ss_strerror((ss_status)999), "unknown status");
}
END_TEST

START_TEST(test_alloc_fails_exactly_after_n_allocations)
{
    ss_alloc_fail_after(2);
    void *a = ss_malloc(8), *b = ss_malloc(8), *c = ss_malloc(8);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(c);
    ss_alloc_fail_after(-1);
    c = ss_malloc(8);
    ck_assert_ptr_nonnull(c);
    ss_free(a);
    ss_free(b);
    ss_free(c);
}
END_TEST

START_TEST(test_malloc_array_rejects_overflowing_sizes)
{
    ck_assert_ptr_null(ss_malloc_array(SIZE_MAX / 2, 3));
}
END_TEST

START_TEST(test_err_formats_into_buffer_and_returns_code)
{
    char buf[32];
    ck_assert_int_eq(ss_err(buf, sizeof buf, SS_EPARSE, "x: %d", 7), SS_EPARSE);
    ck_assert_str_eq(buf, "x: 7");
    ck_assert_int_eq(ss_err(NULL, 0, SS_ERANGE, "ignored"), SS_ERANGE);
}
END_TEST

Suite *base_suite(void)
{
    Suite *s = suite_create("base");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_every_status_has_a_distinct_name_and_message);
    tcase_add_test(tc, test_alloc_fails_exactly_after_n_allocations);
    tcase_add_test(tc, test_malloc_array_rejects_overflowing_sizes);
    tcase_add_test(tc, test_err_formats_into_buffer_and_returns_code);
    suite_add_tcase(s, tc);
    return s;
}
