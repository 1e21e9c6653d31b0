/* ss_alloc.h - the one allocation hook of shardsim.
 *
 * Every allocation in our libraries goes through ss_malloc/ss_calloc/
 * ss_realloc/ss_free so tests can make the Nth allocation fail (Lua's
 * lua_Alloc, SQLite's fault injection) and check for a clean error and no
 * leak. Sizes are checked for overflow: ss_calloc_array(n, size) returns NULL
 * when n * size overflows size_t.
 */
#ifndef SS_ALLOC_H
#define SS_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *ss_malloc(size_t n);
void *ss_calloc(size_t n, size_t size);
void *ss_realloc(void *p, size_t n);
void ss_free(void *p);
/* malloc of n*size bytes, NULL on overflow or failure. Not zeroed. */
void *ss_malloc_array(size_t n, size_t size);
/* Duplicate a NUL-terminated string; NULL on failure. */
char *ss_strdup(const char *s);

/* Test hook: after `n` more successful allocations, every allocation fails
 * until reset. n < 0 disables injection. Not thread-safe (tests only). */
void ss_alloc_fail_after(long n);
/* Number of allocations made since the process started (for fail-nth loops). */
uint64_t ss_alloc_count(void);

#endif
