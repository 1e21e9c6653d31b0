/* ss_alloc.c - allocation hook with fail-after-N injection for tests. */
#include "ss_alloc.h"

#include <stdlib.h>
#include <string.h>

static long fail_countdown = -1; /* < 0: injection off */
static uint64_t n_allocs;

static int should_fail(void)
{
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0)
        return 1;
    fail_countdown--;
    return 0;
}

void ss_alloc_fail_after(long n) { fail_countdown = n; }
uint64_t ss_alloc_count(void) { return n_allocs; }

void *ss_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    n_allocs++;
    return malloc(n ? n : 1);
}

void *ss_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    n_allocs++;
    return calloc(n ? n : 1, size ? size : 1);
}

void *ss_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    n_allocs++;
    return realloc(p, n ? n : 1);
}

void ss_free(void *p) { free(p); }

void *ss_malloc_array(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total))
        return NULL;
    return ss_malloc(total);
}

char *ss_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ss_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}
