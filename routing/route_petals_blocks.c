/* route_petals_blocks.c - Petals' block count, block choice and
 * rebalancing test, transcribed from the Python (sources in the header) in
 * the same floating-point order: numpy's `T[a:b] -= x` is one subtraction
 * per element of the same double x, and `tp * (1 + eps)` rounds 1 + eps
 * first, so each statement below does exactly that and no more.
 */
#include "route_petals_blocks.h"

#include <math.h>
#include <string.h>

double route_petals_reserve_bytes(int64_t hidden_size, int n_devices)
{
    return ROUTE_PETALS_AUTOGRAD_BYTES_AT_14336 * n_devices / 14336 * (double)hidden_size;
}

double route_petals_cache_bytes_per_block(int64_t hidden_size, int64_t kv_groups,
                                          int64_t cache_tokens, double bytes_per_elem)
{
    int64_t values = 2 * hidden_size * cache_tokens;
    values /= kv_groups > 0 ? kv_groups : 1; /* defensive: no division by zero */
    return (double)values * bytes_per_elem;
}

ss_status route_petals_num_blocks(double memory_bytes, double reserve_bytes, double block_bytes,
                                  double kv_bytes_per_block, int n_model_blocks, int *out,
                                  char *err, size_t errlen)
{
    if (!out)
        return ss_err(err, errlen, SS_EINVAL, "petals blocks: no output");
    *out = 0;
    if (!(isfinite(memory_bytes) && memory_bytes >= 0 && isfinite(reserve_bytes) && reserve_bytes >= 0 &&
          isfinite(block_bytes) && block_bytes > 0 && isfinite(kv_bytes_per_block) &&
          kv_bytes_per_block >= 0 && n_model_blocks >= 1))
        return ss_err(err, errlen, SS_EINVAL, "petals blocks: expected finite memory, reserve, kv >= 0, "
                      "block bytes > 0, blocks >= 1, got %g, %g, %g, %g, %d", memory_bytes,
                      reserve_bytes, kv_bytes_per_block, block_bytes, n_model_blocks);
    double n = floor((memory_bytes - reserve_bytes) / (block_bytes + kv_bytes_per_block));
    if (n < 1)
        return ss_err(err, errlen, SS_EFULL, "petals blocks: %g bytes minus %g reserved hold no block "
                      "of %g + %g bytes", memory_bytes, reserve_bytes, block_bytes, kv_bytes_per_block);
    *out = n >= n_model_blocks ? n_model_blocks : (int)n;
    return SS_OK;
}

double route_petals_network_rps(double down_bits_per_s, double up_bits_per_s, int64_t hidden_size)
{
    double bits_per_request = (double)hidden_size * ROUTE_PETALS_BITS_PER_HIDDEN;
    return fmin(down_bits_per_s, up_bits_per_s) / bits_per_request;
}

double route_petals_server_throughput(double forward_rps, double network_rps, int n_blocks,
                                      int relayed)
{
    double average_blocks_used = (n_blocks + 1) / 2.0;
    double compute = forward_rps / average_blocks_used;
    double network = network_rps * (relayed ? ROUTE_PETALS_RELAY_PENALTY : 1);
    return fmin(compute, network);
}

size_t route_petals_blocks_scratch_bytes(int n_servers, int n_blocks)
{
    if (n_servers < 0 || n_blocks < 0)
        return 0;
    return 3 * (size_t)n_blocks * sizeof(double) + 2 * (size_t)n_servers * sizeof(int);
}

static ss_status check_spans(int n_blocks, const route_petals_span *spans, int n_spans, char *err,
                             size_t errlen)
{
    if (n_blocks < 1 || n_spans < 0 || (n_spans > 0 && !spans))
        return ss_err(err, errlen, SS_EINVAL, "petals blocks: expected n_blocks >= 1 and a span array, "
                      "got %d blocks, %d spans", n_blocks, n_spans);
    for (int s = 0; s < n_spans; s++) {
        const route_petals_span *p = &spans[s];
        if (!(0 <= p->first_block && p->first_block < p->end_block && p->end_block <= n_blocks))
            return ss_err(err, errlen, SS_EINVAL, "petals blocks: server %d: span [%d, %d) is not a "
                          "non-empty part of [0, %d)", s, p->first_block, p->end_block, n_blocks);
        if (!(p->throughput >= 0 && isfinite(p->throughput)))
            return ss_err(err, errlen, SS_EINVAL, "petals blocks: server %d: throughput: expected "
                          "finite and >= 0, got %g", s, p->throughput);
    }
    return SS_OK;
}

ss_status route_petals_block_throughputs(int n_blocks, const route_petals_span *spans, int n_spans,
                                         double *T, char *err, size_t errlen)
{
    ss_status st = check_spans(n_blocks, spans, n_spans, err, errlen);
    if (st != SS_OK)
        return st;
    if (!T)
        return ss_err(err, errlen, SS_EINVAL, "petals blocks: no output array");
    for (int b = 0; b < n_blocks; b++)
        T[b] = 0;
    for (int s = 0; s < n_spans; s++) /* index order: Petals' sorted peer ids */
        for (int b = spans[s].first_block; b < spans[s].end_block; b++)
            T[b] += spans[s].throughput;
    return SS_OK;
}

static double min_of(const double *T, int n)
{
    double m = T[0];
    for (int i = 1; i < n; i++)
        if (T[i] < m)
            m = T[i];
    return m;
}

static void sort_window(double *w, const double *src, int n)
{
    for (int i = 0; i < n; i++) {
        double x = src[i];
        int j = i;
        for (; j > 0 && w[j - 1] > x; j--)
            w[j] = w[j - 1];
        w[j] = x;
    }
}

/* Slide the sorted window `w` (n values) one block on: drop one copy of
 * `out` (it is there: the same double), insert `in` in order. O(n). */
static void slide_window(double *w, int n, double out, double in)
{
    int k = 0;
    while (w[k] != out)
        k++;
    memmove(w + k, w + k + 1, (size_t)(n - 1 - k) * sizeof *w);
    int j = n - 1;
    for (; j > 0 && w[j - 1] > in; j--)
        w[j] = w[j - 1];
    w[j] = in;
}

/* _choose_best_start: min over (sorted(T[i:i+n]), i). `best` and `cand`
 * hold n doubles each. The window is kept sorted as it slides (the same
 * multiset as sorting each window afresh, so the same answer):
 * O(B * n) instead of O(B * n^2). */
static int best_start(const double *T, int n_blocks, int n, double *best, double *cand)
{
    int arg = 0;
    sort_window(cand, T, n);
    memcpy(best, cand, (size_t)n * sizeof *best);
    for (int i = 1; i + n <= n_blocks; i++) {
        slide_window(cand, n, T[i - 1], T[i + n - 1]);
        int k = 0;
        while (k < n && cand[k] == best[k])
            k++;
        if (k < n && cand[k] < best[k]) { /* strictly smaller: ties keep the lower i */
            memcpy(best + k, cand + k, (size_t)(n - k) * sizeof *best);
            arg = i;
        }
    }
    return arg;
}

typedef struct pb_scratch {
    double *T, *w1, *w2; /* (B) each */
    int *start, *order;  /* (S) each */
} pb_scratch;

static ss_status carve(int n_spans, int n_blocks, void *scratch, size_t scratch_bytes, pb_scratch *p,
                       char *err, size_t errlen)
{
    size_t need = route_petals_blocks_scratch_bytes(n_spans, n_blocks);
    if (!scratch || scratch_bytes < need)
        return ss_err(err, errlen, SS_EINVAL, "petals blocks: scratch: expected %zu bytes, got %zu",
                      need, scratch ? scratch_bytes : 0);
    p->T = scratch;
    p->w1 = p->T + n_blocks;
    p->w2 = p->w1 + n_blocks;
    p->start = (int *)(p->w2 + n_blocks);
    p->order = p->start + n_spans;
    return SS_OK;
}

ss_status route_petals_choose_start(int n_blocks, const route_petals_span *spans, int n_spans,
                                    int span_len, void *scratch, size_t scratch_bytes, int *start,
                                    char *err, size_t errlen)
{
    pb_scratch p;
    ss_status st = check_spans(n_blocks, spans, n_spans, err, errlen);
    if (st != SS_OK)
        return st;
    if (!start || span_len < 1 || span_len > n_blocks)
        return ss_err(err, errlen, SS_EINVAL, "petals blocks: span length %d not in [1, %d]", span_len,
                      n_blocks);
    if ((st = carve(n_spans, n_blocks, scratch, scratch_bytes, &p, err, errlen)) != SS_OK)
        return st;
    route_petals_block_throughputs(n_blocks, spans, n_spans, p.T, NULL, 0);
    *start = best_start(p.T, n_blocks, span_len, p.w1, p.w2);
    return SS_OK;
}

static void add_range(double *T, int first, int end, double x)
{
    for (int b = first; b < end; b++)
        T[b] += x;
}

static void sub_range(double *T, int first, int end, double x)
{
    for (int b = first; b < end; b++)
        T[b] -= x;
}

/* Fisher-Yates as numpy's shuffle runs it (i from n-1 down to 1), j uniform
 * in [0, i] by rejection from SplitMix64 (ss_splitmix64_next's recurrence,
 * inlined so routing/ needs no GSL). */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void shuffle(int *order, int n, uint64_t *state)
{
    for (int i = 0; i < n; i++)
        order[i] = i;
    if (!state)
        return;
    for (int i = n - 1; i > 0; i--) {
        uint64_t range = (uint64_t)i + 1;
        uint64_t limit = UINT64_MAX - UINT64_MAX % range; /* accept [0, limit) */
        uint64_t x;
        do
            x = splitmix64(state);
        while (x >= limit);
        int j = (int)(x % range);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

ss_status route_petals_should_move(int n_blocks, const route_petals_span *spans, int n_spans,
                                   int local, double balance_quality, uint64_t *shuffle_state,
                                   int max_rounds, void *scratch, size_t scratch_bytes,
                                   route_petals_rebalance *out, char *err, size_t errlen)
{
    const double eps = ROUTE_PETALS_BALANCE_EPS;
    pb_scratch p;
    ss_status st = check_spans(n_blocks, spans, n_spans, err, errlen);
    if (st != SS_OK)
        return st;
    if (!out || local < 0 || local >= n_spans || isnan(balance_quality) || max_rounds < 1)
        return ss_err(err, errlen, SS_EINVAL, "petals rebalance: expected an output, local in [0, %d), "
                      "a balance quality and max_rounds >= 1, got local %d, quality %g, rounds %d",
                      n_spans, local, balance_quality, max_rounds);
    if ((st = carve(n_spans, n_blocks, scratch, scratch_bytes, &p, err, errlen)) != SS_OK)
        return st;
    *out = (route_petals_rebalance){.initial_min = NAN, .new_min = NAN, .quality = NAN, .new_start = -1};
    if (balance_quality > 1.0) { /* Petals: forced rebalancing, for debugging */
        out->move = 1;
        out->verdict = ROUTE_PETALS_MOVE_FORCED;
        return SS_OK;
    }
    double *T = p.T;
    route_petals_block_throughputs(n_blocks, spans, n_spans, T, NULL, 0);
    for (int s = 0; s < n_spans; s++)
        p.start[s] = spans[s].first_block;
    const double initial = min_of(T, n_blocks);
    out->initial_min = initial;

    const int len_l = spans[local].end_block - spans[local].first_block;
    const double tp_l = spans[local].throughput;
    sub_range(T, p.start[local], p.start[local] + len_l, tp_l * (1 + eps));
    if (initial > eps && min_of(T, n_blocks) <= 0) {
        out->verdict = ROUTE_PETALS_STAY_DISJOINT;
        return SS_OK;
    }
    int ns = best_start(T, n_blocks, len_l, p.w1, p.w2);
    out->new_start = ns;
    if (ns == p.start[local]) {
        out->verdict = ROUTE_PETALS_STAY_BEST_PLACE;
        return SS_OK;
    }
    add_range(T, p.start[local], p.start[local] + len_l, tp_l * eps);
    p.start[local] = ns;
    add_range(T, ns, ns + len_l, tp_l);

    int moved = 1;
    while (moved) {
        if (out->rounds == max_rounds)
            return ss_err(err, errlen, SS_ERANGE, "petals rebalance: servers still moving after %d "
                          "rounds", max_rounds);
        out->rounds++;
        shuffle(p.order, n_spans, shuffle_state);
        moved = 0;
        for (int k = 0; k < n_spans; k++) {
            const int s = p.order[k];
            const int len = spans[s].end_block - spans[s].first_block;
            const double tp = spans[s].throughput;
            sub_range(T, p.start[s], p.start[s] + len, tp * (1 + eps));
            int b = best_start(T, n_blocks, len, p.w1, p.w2);
            add_range(T, p.start[s], p.start[s] + len, tp * eps);
            if (p.start[s] != b) {
                p.start[s] = b;
                moved = 1;
            }
            add_range(T, p.start[s], p.start[s] + len, tp);
        }
    }
    const double new_min = min_of(T, n_blocks);
    out->new_min = new_min;
    if (new_min < initial || new_min < eps) {
        out->verdict = ROUTE_PETALS_STAY_NO_GAIN;
        return SS_OK;
    }
    out->quality = initial / new_min;
    out->move = out->quality < balance_quality - eps;
    out->verdict = out->move ? ROUTE_PETALS_MOVE : ROUTE_PETALS_STAY_BALANCED;
    return SS_OK;
}
