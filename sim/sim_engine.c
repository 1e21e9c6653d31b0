/* sim_engine.c - 4-ary implicit heap of (time, seq|slot) keys over an event pool.
 *
 * Why a 4-ary heap with inline keys: a hold loop (pop the earliest, schedule
 * one later) is the engine's whole life. Keeping the 16-byte keys in the heap
 * array (not pointers to events) means comparisons never leave the array, and
 * four children share one 64-byte cache line, so a sift touches about half as
 * many lines as a binary heap. Pops use Floyd's bottom-up deletion: walk the
 * hole to a leaf along the smaller children, then sift the last key up from
 * there, which saves most comparisons because the last key belongs near the
 * bottom. tests/bench/bench_engine.c measures this against a textbook binary heap.
 */
#include "sim_engine.h"

#include <assert.h>
#include <math.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "ss_alloc.h"

/* 2^28 (268 M) events pending at once: two or three per node of a 10^7-node
 * swarm (announcements, churn) fit; 2^36 (6.9e10) events per run. */
#define SLOT_BITS 28
#define SLOT_MASK ((UINT64_C(1) << SLOT_BITS) - 1)
#define MAX_SLOTS (UINT64_C(1) << SLOT_BITS)
#define MAX_SEQ (UINT64_C(1) << (64 - SLOT_BITS))

typedef struct heap_key {
    sim_time_ns time;
    uint64_t seq_slot; /* seq << SLOT_BITS | slot: seq is unique, so this orders ties */
} heap_key;
_Static_assert(sizeof(heap_key) == 16, "four heap keys must fill one cache line");

/* 32 bytes, so a slot is half of one cache line and never straddles two:
 * the run loop reads exactly one line per event. The generation (only
 * schedule and cancel need it) lives in its own array, and a free slot keeps
 * the free-list link in `a`. */
typedef struct event_slot {
    sim_handler fn; /* NULL: cancelled (still in the heap) or free */
    void *ctx;
    uint64_t a, b;  /* a: next free slot while free */
} event_slot;
_Static_assert(sizeof(event_slot) == 32, "a slot must stay half a cache line");

struct sim_engine {
    heap_key *heap;     /* heap_mem aligned so that every group of four
                         * siblings (4i+1 .. 4i+4) fills one 64-byte line */
    void *heap_mem;
    size_t n_heap, cap_heap;
    event_slot *slots;  /* slots_mem aligned to 64 bytes */
    void *slots_mem;
    uint32_t *gens;     /* per slot, bumped on every reuse so stale ids never match */
    uint32_t n_slots, cap_slots;
    uint32_t free_head; /* UINT32_MAX: none */
    uint64_t next_seq;
    uint64_t n_run;
    sim_time_ns now;
    int stopped;
    /* 1 while a handler runs and its own, already freed, event still holds
     * the heap root: the handler's first schedule overwrites the root
     * (one sift) instead of a pop plus a push; otherwise the root is popped
     * when the handler returns. */
    int root_is_spent;
    sim_progress_fn progress; /* NULL: none (sim_engine_set_progress) */
    void *progress_ctx;
};

/* (time, seq_slot) compared as one unsigned 128-bit number: time is never
 * negative here (schedule rejects t < now, now starts at 0), so the order is
 * the same and the compiler emits a branch-free cmp/sbb pair, which matters
 * because the min-of-four choice below is unpredictable. */
static inline int key_less(heap_key x, heap_key y)
{
    unsigned __int128 a = ((unsigned __int128)(uint64_t)x.time << 64) | x.seq_slot;
    unsigned __int128 b = ((unsigned __int128)(uint64_t)y.time << 64) | y.seq_slot;
    return a < b;
}

/* Ask for transparent huge pages on a large array: at 10^6 pending events
 * the heap and slots span ~48 MB, and with 4 KiB pages nearly every slot
 * read and every deep sift level is also a TLB miss. Advice only: the
 * kernel may ignore it, and nothing depends on it. */
static void advise_huge(void *mem, size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (bytes < 2 * huge)
        return;
    uintptr_t lo = ((uintptr_t)mem + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)mem + bytes) & ~(huge - 1);
    if (hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)mem;
    (void)bytes;
#endif
}

/* (Re)allocate the slot pool and generations for `cap` slots, keeping the
 * first n_slots. */
static ss_status set_slot_capacity(sim_engine *e, uint32_t cap)
{
    size_t bytes = (size_t)cap * sizeof(event_slot);
    void *mem = ss_malloc(bytes + 64);
    uint32_t *g = ss_realloc(e->gens, (size_t)cap * sizeof *g);
    if (!mem || !g) {
        ss_free(mem);
        if (g)
            e->gens = g;
        return SS_ENOMEM;
    }
    e->gens = g;
    advise_huge(mem, bytes + 64);
    event_slot *sl = (event_slot *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
    if (e->n_slots)
        memcpy(sl, e->slots, (size_t)e->n_slots * sizeof *sl);
    ss_free(e->slots_mem);
    e->slots_mem = mem;
    e->slots = sl;
    e->cap_slots = cap;
    return SS_OK;
}

/* (Re)allocate the heap for `cap` keys, keeping its contents. Element j
 * lives at byte 16*(j+3) from a 64-byte boundary, so siblings 4i+1..4i+4
 * start at 64*(i+1). */
static ss_status set_heap_capacity(sim_engine *e, size_t cap)
{
    size_t bytes;
    if (__builtin_mul_overflow(cap + 3, sizeof(heap_key), &bytes) || bytes > SIZE_MAX - 64)
        return SS_ENOMEM;
    void *mem = ss_malloc(bytes + 64);
    if (!mem)
        return SS_ENOMEM;
    advise_huge(mem, bytes + 64);
    uintptr_t base = ((uintptr_t)mem + 63) & ~(uintptr_t)63;
    heap_key *h = (heap_key *)base + 3;
    if (e->n_heap)
        memcpy(h, e->heap, e->n_heap * sizeof *h);
    ss_free(e->heap_mem);
    e->heap_mem = mem;
    e->heap = h;
    e->cap_heap = cap;
    return SS_OK;
}

ss_status sim_engine_create(const sim_engine_cfg *cfg, sim_engine **out)
{
    *out = NULL;
    size_t cap = cfg && cfg->initial_capacity ? cfg->initial_capacity : 1024;
    if (cap > MAX_SLOTS)
        cap = MAX_SLOTS;
    sim_engine *e = ss_calloc(1, sizeof *e);
    if (!e)
        return SS_ENOMEM;
    if (set_slot_capacity(e, (uint32_t)cap) != SS_OK || set_heap_capacity(e, cap) != SS_OK) {
        sim_engine_destroy(e);
        return SS_ENOMEM;
    }
    e->free_head = UINT32_MAX;
    *out = e;
    return SS_OK;
}

void sim_engine_destroy(sim_engine *e)
{
    if (!e)
        return;
    ss_free(e->heap_mem);
    ss_free(e->slots_mem);
    ss_free(e->gens);
    ss_free(e);
}

uint64_t sim_engine_max_pending(void) { return MAX_SLOTS; }

static ss_status grow(sim_engine *e)
{
    if (e->n_heap == e->cap_heap) {
        size_t cap = e->cap_heap * 2;
        if (cap > MAX_SLOTS)
            cap = MAX_SLOTS;
        ss_status st = set_heap_capacity(e, cap);
        if (st != SS_OK)
            return st;
    }
    if (e->free_head == UINT32_MAX && e->n_slots == e->cap_slots) {
        uint64_t cap = (uint64_t)e->cap_slots * 2;
        if (cap > MAX_SLOTS)
            cap = MAX_SLOTS;
        ss_status st = set_slot_capacity(e, (uint32_t)cap);
        if (st != SS_OK)
            return st;
    }
    return SS_OK;
}

static void sift_up(heap_key *h, size_t i, heap_key k)
{
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (!key_less(k, h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = k;
}

static void replace_root(heap_key *h, size_t n, heap_key k);

ss_status sim_engine_schedule(sim_engine *e, sim_time_ns at, sim_handler fn, void *ctx,
                              uint64_t a, uint64_t b, sim_event_id *id)
{
    if (!fn || at < e->now)
        return SS_EINVAL;
    if (e->next_seq >= MAX_SEQ || e->n_heap >= MAX_SLOTS)
        return SS_EFULL;
    if (e->n_heap == e->cap_heap || (e->free_head == UINT32_MAX && e->n_slots == e->cap_slots)) {
        ss_status st = grow(e);
        if (st != SS_OK)
            return st;
        if (e->free_head == UINT32_MAX && e->n_slots == e->cap_slots)
            return SS_EFULL;
    }
    uint32_t slot;
    if (e->free_head != UINT32_MAX) {
        slot = e->free_head;
        e->free_head = (uint32_t)e->slots[slot].a;
    } else {
        slot = e->n_slots++;
        e->gens[slot] = 0;
    }
    event_slot *s = &e->slots[slot];
    s->fn = fn;
    s->ctx = ctx;
    s->a = a;
    s->b = b;
    uint32_t gen = ++e->gens[slot];
    heap_key k = {at, (e->next_seq++ << SLOT_BITS) | slot};
    if (e->root_is_spent) {
        e->root_is_spent = 0;
        replace_root(e->heap, e->n_heap, k);
    } else {
        sift_up(e->heap, e->n_heap++, k);
    }
    if (id)
        *id = ((uint64_t)gen << 32) | slot;
    return SS_OK;
}

int sim_engine_cancel(sim_engine *e, sim_event_id id)
{
    uint32_t slot = (uint32_t)(id & 0xffffffffu);
    uint32_t gen = (uint32_t)(id >> 32);
    if (id == 0 || slot >= e->n_slots)
        return 0;
    event_slot *s = &e->slots[slot];
    if (e->gens[slot] != gen || !s->fn)
        return 0;
    s->fn = NULL; /* dropped when its heap entry surfaces */
    return 1;
}

/* Put `k` in place of the root of h[0..n) (Floyd's bottom-up method on a
 * 4-ary heap: the hole goes down along the smallest children to a leaf,
 * then `k` rises from there). */
static void replace_root(heap_key *h, size_t n, heap_key k)
{
    size_t i = 0;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c + 3 < n) {
            /* tournament of pairs, written so the compiler can use cmov */
            size_t m01 = c + (size_t)key_less(h[c + 1], h[c]);
            size_t m23 = c + 2 + (size_t)key_less(h[c + 3], h[c + 2]);
            size_t m = key_less(h[m23], h[m01]) ? m23 : m01;
            h[i] = h[m];
            i = m;
        } else {
            if (c < n) {
                size_t m = c;
                for (size_t j = c + 1; j < n; j++)
                    if (key_less(h[j], h[m]))
                        m = j;
                h[i] = h[m];
                i = m;
            }
            break;
        }
    }
    sift_up(h, i, k);
}

static void pop_root(sim_engine *e)
{
    size_t n = --e->n_heap;
    if (n > 0)
        replace_root(e->heap, n, e->heap[n]);
}

/* A prefetch as an opaque instruction: GCC 12 treats __builtin_prefetch in
 * an inlined static helper as free of side effects and deletes it (seen in
 * the -O2 code of this file), so on x86-64 say it in assembly. */
static inline void prefetch_line(const void *p)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
    __builtin_prefetch(p);
#endif
}

/* The next event is, unless the running handler schedules an earlier one,
 * the smallest of the root's children: start loading its slot now so the
 * miss (a random line in a pool of up to hundreds of MB) overlaps the
 * handler and the sift instead of stalling the next iteration. */
static inline void prefetch_next(const sim_engine *e)
{
    const heap_key *h = e->heap;
    size_t n = e->n_heap;
    if (n < 5)
        return;
    size_t m01 = 1 + (size_t)key_less(h[2], h[1]);
    size_t m23 = 3 + (size_t)key_less(h[4], h[3]);
    size_t m = key_less(h[m23], h[m01]) ? m23 : m01;
    uint32_t slot = (uint32_t)(h[m].seq_slot & SLOT_MASK);
    prefetch_line(&e->slots[slot]);
    prefetch_line(&e->gens[slot]); /* its reuse (LIFO) bumps this */
}

void sim_engine_run(sim_engine *e, sim_time_ns until)
{
    e->stopped = 0;
    while (e->n_heap > 0 && !e->stopped) {
        if (e->heap[0].time > until)
            break;
        heap_key k = e->heap[0];
        uint32_t slot = (uint32_t)(k.seq_slot & SLOT_MASK);
        event_slot *s = &e->slots[slot];
        sim_handler fn = s->fn;
        void *ctx = s->ctx;
        uint64_t a = s->a, b = s->b;
        s->fn = NULL;
        s->a = e->free_head;
        e->free_head = slot;
        prefetch_next(e);
        if (!fn) {
            pop_root(e); /* cancelled */
            continue;
        }
        assert(k.time >= e->now && "simulated clock ran backwards");
        e->now = k.time;
        e->n_run++;
        e->root_is_spent = 1;
        fn(e, ctx, a, b);
        if (e->root_is_spent) {
            e->root_is_spent = 0;
            pop_root(e);
        }
        if (e->progress && (e->n_run & (SIM_PROGRESS_EVERY - 1)) == 0)
            e->progress(e->progress_ctx, e->now, e->n_run);
    }
}

void sim_engine_stop(sim_engine *e) { e->stopped = 1; }
sim_time_ns sim_engine_now(const sim_engine *e) { return e->now; }
size_t sim_engine_pending(const sim_engine *e) { return e->n_heap - (size_t)e->root_is_spent; }
uint64_t sim_engine_n_run(const sim_engine *e) { return e->n_run; }

ss_status sim_time_from_s(double s, sim_time_ns *out)
{
    /* 9.2e9 s is where int64 ns ends; stay clear of rounding at the edge. */
    if (!isfinite(s) || s < 0 || s > 9.2e9)
        return SS_ERANGE;
    *out = (sim_time_ns)llround(s * 1e9);
    return SS_OK;
}

void sim_engine_set_progress(sim_engine *e, sim_progress_fn fn, void *ctx)
{
    e->progress = fn;
    e->progress_ctx = ctx;
}
