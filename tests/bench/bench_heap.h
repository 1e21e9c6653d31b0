/* bench_heap.h - the textbook baseline of the benchmarks: a binary min-heap
 * of (time, seq) keys in a hold loop (pop the earliest, push it back later
 * by a precomputed exponential increment), timed by thread CPU time.
 * bench_engine compares the engine with it per pending count, bench_swarm
 * compares the whole program's events/s with it at 10^2 pending. Header
 * only, one copy per benchmark program. */
#ifndef BENCH_HEAP_H
#define BENCH_HEAP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "sim_engine.h"
#include "ss_rng.h"

#define N_INC (1u << 20)
static sim_time_ns bench_inc[N_INC]; /* exponential increments, mean 1 ms */

/* Fill bench_inc from the benchmark's own stream (seed 12345). */
static void bench_inc_init(void)
{
    gsl_rng *r;
    ss_rng_create(12345, SS_RNG_TEST, 1, 1, &r);
    for (size_t i = 0; i < N_INC; i++)
        bench_inc[i] = 1 + (sim_time_ns)gsl_ran_exponential(r, 1e6);
    gsl_rng_free(r);
}

/* CPU time: the machine is shared, so wall time counts other processes. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct bkey {
    sim_time_ns t;
    uint64_t seq;
} bkey;

static inline int bless(bkey a, bkey b) { return a.t < b.t || (a.t == b.t && a.seq < b.seq); }

static void bpush(bkey *h, size_t *n, bkey k)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!bless(k, h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = k;
}

static bkey bpop(bkey *h, size_t *n)
{
    bkey top = h[0];
    bkey last = h[--(*n)];
    size_t i = 0, m = *n;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m)
            break;
        if (c + 1 < m && bless(h[c + 1], h[c]))
            c++;
        if (!bless(h[c], last))
            break;
        h[i] = h[c];
        i = c;
    }
    if (m)
        h[i] = last;
    return top;
}

static double hold_binary(size_t pending, uint64_t n_ops)
{
    const sim_time_ns *inc = bench_inc;
    bkey *h = malloc(sizeof(bkey) * (pending + 1));
    size_t n = 0;
    uint64_t seq = 0, k = 0;
    for (size_t i = 0; i < pending; i++)
        bpush(h, &n, (bkey){inc[k++ & (N_INC - 1)], seq++});
    double t0 = cpu_s();
    sim_time_ns sink = 0;
    for (uint64_t i = 0; i < n_ops; i++) {
        bkey top = bpop(h, &n);
        sink += top.t;
        bpush(h, &n, (bkey){top.t + inc[k++ & (N_INC - 1)], seq++});
    }
    double dt = cpu_s() - t0;
    free(h);
    if (sink == 42)
        puts("");
    return (double)n_ops / dt;
}

#endif
