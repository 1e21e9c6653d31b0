/* route_petals_path.c - Petals' min-latency chain by Dijkstra with an
 * indexed binary heap over (server, block) vertices.
 *
 * The graph is never materialised: a vertex's out-edges are generated when
 * it is settled, from the rules in route_petals_path.h. Vertex ids are laid
 * out as start = 0, then (s, b) for each kept server s in index order and b
 * from s.first to s.end, then end = last; so comparing ids compares
 * (server, block), which is the whole tie rule: the heap pops by (dist, id)
 * and a vertex's predecessor is replaced on an equal distance by a lower id.
 * Every vertex is settled (no early exit at "end") so each vertex has seen
 * all its predecessors by the time the chain is read back.
 *
 * Scratch layout (sizes for S servers, B blocks, V = S*(B+1)+2 vertices):
 * dist double[V] | pred, vserver, heap, hpos int[V] | offset int[S] |
 * n_all, n_ok int[B] | cover_off int[B+1] | cover int[S*B]. Doubles first, so every array is aligned.
 */
#include "route_petals_path.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>

typedef struct pp_work {
    const route_petals_path_in *in;
    double *dist;  /* (V) seconds from start */
    int *pred;     /* (V) predecessor id, -1 none */
    int *vserver;  /* (V) server of vertex, -1 for start/end */
    int *heap;     /* (V) vertex ids, a binary min-heap by (dist, id) */
    int *hpos;     /* (V) position in heap, -1 if not in it */
    int *offset;   /* (S) id of (s, s.first), -1 if s is left out */
    int *n_all;    /* (B) servers covering the block */
    int *n_ok;     /* (B) unbanned servers covering the block */
    int *cover_off; /* (B + 1) kept servers covering block b: cover[cover_off[b] ..
                     * cover_off[b + 1]), ascending */
    int *cover;    /* (sum of kept spans <= S * B) */
    int n_heap, n_vert;
    char *err;
    size_t errlen;
} pp_work;

static size_t max_vertices(int n_servers, int n_blocks)
{
    if (n_servers < 0 || n_blocks < 0)
        return 0;
    uint64_t v = (uint64_t)n_servers * ((uint64_t)n_blocks + 1) + 2;
    return v > (uint64_t)INT_MAX ? 0 : (size_t)v;
}

size_t route_petals_path_scratch_bytes(int n_servers, int n_blocks)
{
    size_t v = max_vertices(n_servers, n_blocks);
    if (v == 0)
        return 0;
    /* v < 2^31, so none of these products overflow a 64-bit size_t. */
    return v * sizeof(double) + 4 * v * sizeof(int) + (size_t)n_servers * sizeof(int) +
           2 * (size_t)n_blocks * sizeof(int) +
           ((size_t)n_blocks + 1 + (size_t)n_servers * (size_t)n_blocks) * sizeof(int);
}

/* Petals _rtt_to_delay: min(rtt / 2, 5 s), 0.15 s when unknown. */
static ss_status delay_s(pp_work *w, int from, int to, double *out)
{
    double rtt = 0;
    if (!w->in->rtt || !w->in->rtt(w->in->rtt_ctx, from, to, &rtt)) {
        *out = ROUTE_PETALS_DEFAULT_DELAY_S;
        return SS_OK;
    }
    if (!(rtt >= 0))
        return ss_err(w->err, w->errlen, SS_EINVAL, "petals path: rtt from %d to server %d: "
                      "expected >= 0, got %g", from, to, rtt);
    *out = fmin(rtt / 2, ROUTE_PETALS_MAX_DELAY_S);
    return SS_OK;
}

/* Petals _has_cache_for, pessimistic: the whole span's worth of cache. */
static int has_cache(const route_petals_path_in *in, int s)
{
    const route_petals_server *sv = &in->servers[s];
    if (in->cache_tokens == 0 || !sv->kv_known)
        return 1;
    /* tokens * 2 * span exactly: a product that would overflow int64 is
     * certainly more than any free-token count. */
    int64_t span2 = 2 * (int64_t)(sv->end_block - sv->first_block);
    if (in->cache_tokens > INT64_MAX / span2)
        return 0;
    return in->cache_tokens * span2 <= sv->free_kv_tokens;
}

static double compute_s(const route_petals_server *sv)
{
    double rps = sv->rps_known ? sv->inference_rps : ROUTE_PETALS_DEFAULT_INFERENCE_RPS;
    return 1.0 / rps;
}

/* ---- indexed binary heap by (dist, id) ---- */

static int heap_less(const pp_work *w, int a, int b)
{
    return w->dist[a] < w->dist[b] || (w->dist[a] == w->dist[b] && a < b);
}

static void heap_swap(pp_work *w, int i, int j)
{
    int a = w->heap[i], b = w->heap[j];
    w->heap[i] = b;
    w->heap[j] = a;
    w->hpos[b] = i;
    w->hpos[a] = j;
}

static void heap_up(pp_work *w, int i)
{
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!heap_less(w, w->heap[i], w->heap[p]))
            break;
        heap_swap(w, i, p);
        i = p;
    }
}

static int heap_pop(pp_work *w)
{
    int top = w->heap[0];
    w->hpos[top] = -1;
    w->n_heap--;
    if (w->n_heap > 0) {
        w->heap[0] = w->heap[w->n_heap];
        w->hpos[w->heap[0]] = 0;
        int i = 0;
        for (;;) {
            int l = 2 * i + 1, r = l + 1, m = i;
            if (l < w->n_heap && heap_less(w, w->heap[l], w->heap[m]))
                m = l;
            if (r < w->n_heap && heap_less(w, w->heap[r], w->heap[m]))
                m = r;
            if (m == i)
                break;
            heap_swap(w, i, m);
            i = m;
        }
    }
    return top;
}

static void relax(pp_work *w, int u, int v, double weight)
{
    double nd = w->dist[u] + weight;
    if (nd < w->dist[v]) {
        int fresh = isinf(w->dist[v]);
        w->dist[v] = nd;
        w->pred[v] = u;
        if (fresh) {
            w->hpos[v] = w->n_heap;
            w->heap[w->n_heap++] = v;
        }
        heap_up(w, w->hpos[v]);
    } else if (nd == w->dist[v] && u < w->pred[v]) {
        w->pred[v] = u; /* the tie rule: lowest (server, block) predecessor */
    }
}

static ss_status check_input(const route_petals_path_in *in, char *err, size_t errlen)
{
    if (in->n_blocks < 1 || in->n_servers < 0 || (in->n_servers > 0 && !in->servers))
        return ss_err(err, errlen, SS_EINVAL, "petals path: expected n_blocks >= 1 and a server array, "
                      "got %d blocks, %d servers", in->n_blocks, in->n_servers);
    if (!(0 <= in->start_block && in->start_block <= in->end_block && in->end_block <= in->n_blocks))
        return ss_err(err, errlen, SS_EINVAL, "petals path: range [%d, %d) is not within [0, %d)",
                      in->start_block, in->end_block, in->n_blocks);
    if (in->cache_tokens < 0)
        return ss_err(err, errlen, SS_EINVAL, "petals path: cache_tokens: expected >= 0, got %lld",
                      (long long)in->cache_tokens);
    for (int s = 0; s < in->n_servers; s++) {
        const route_petals_server *sv = &in->servers[s];
        if (!(0 <= sv->first_block && sv->first_block < sv->end_block && sv->end_block <= in->n_blocks))
            return ss_err(err, errlen, SS_EINVAL, "petals path: server %d: span [%d, %d) is not a "
                          "non-empty part of [0, %d)", s, sv->first_block, sv->end_block, in->n_blocks);
        if (sv->rps_known && !(sv->inference_rps > 0 && isfinite(1.0 / sv->inference_rps) &&
                               isfinite(sv->inference_rps)))
            return ss_err(err, errlen, SS_EINVAL, "petals path: server %d: inference_rps: expected "
                          "positive and finite, got %g", s, sv->inference_rps);
        if (sv->kv_known && sv->free_kv_tokens < 0)
            return ss_err(err, errlen, SS_EINVAL, "petals path: server %d: free_kv_tokens: expected "
                          ">= 0, got %lld", s, (long long)sv->free_kv_tokens);
    }
    return SS_OK;
}

/* Carve the scratch, apply Petals' ban filter, number the vertices. */
static ss_status setup(pp_work *w, void *scratch, size_t scratch_bytes)
{
    const route_petals_path_in *in = w->in;
    size_t need = route_petals_path_scratch_bytes(in->n_servers, in->n_blocks);
    if (need == 0 || !scratch || scratch_bytes < need)
        return ss_err(w->err, w->errlen, SS_EINVAL, "petals path: scratch: expected %zu bytes, got %zu",
                      need, scratch ? scratch_bytes : 0);
    size_t vmax = max_vertices(in->n_servers, in->n_blocks);
    w->dist = scratch;
    w->pred = (int *)(w->dist + vmax);
    w->vserver = w->pred + vmax;
    w->heap = w->vserver + vmax;
    w->hpos = w->heap + vmax;
    w->offset = w->hpos + vmax;
    w->n_all = w->offset + in->n_servers;
    w->n_ok = w->n_all + in->n_blocks;
    w->cover_off = w->n_ok + in->n_blocks;
    w->cover = w->cover_off + in->n_blocks + 1;

    for (int b = 0; b < in->n_blocks; b++)
        w->n_all[b] = w->n_ok[b] = 0;
    for (int s = 0; s < in->n_servers; s++)
        for (int b = in->servers[s].first_block; b < in->servers[s].end_block; b++) {
            w->n_all[b]++;
            w->n_ok[b] += !in->servers[s].banned;
        }
    for (int b = in->start_block; b < in->end_block; b++)
        if (w->n_all[b] == 0)
            return ss_err(w->err, w->errlen, SS_ENOTFOUND, "petals path: block %d has no server", b);

    int id = 1; /* 0 is start */
    for (int s = 0; s < in->n_servers; s++) {
        const route_petals_server *sv = &in->servers[s];
        /* Petals _update: a banned server stays only for blocks whose
         * servers are all banned; it then keeps its whole span. */
        int keep = !sv->banned;
        for (int b = sv->first_block; !keep && b < sv->end_block; b++)
            keep = w->n_ok[b] == 0;
        w->offset[s] = keep ? id : -1;
        if (keep)
            for (int b = sv->first_block; b <= sv->end_block; b++)
                w->vserver[id++] = s;
    }
    /* who covers each block, kept servers in index order (a counting sort):
     * the edges into block b are generated from this list, in the order the
     * scan of every server gave them */
    for (int b = 0; b <= in->n_blocks; b++)
        w->cover_off[b] = 0;
    for (int s = 0; s < in->n_servers; s++)
        for (int b = in->servers[s].first_block; w->offset[s] >= 0 && b < in->servers[s].end_block;
             b++)
            w->cover_off[b + 1]++;
    for (int b = 0; b < in->n_blocks; b++)
        w->cover_off[b + 1] += w->cover_off[b];
    for (int b = 0; b < in->n_blocks; b++)
        w->n_all[b] = w->cover_off[b]; /* reused as each block's fill cursor */
    for (int s = 0; s < in->n_servers; s++)
        for (int b = in->servers[s].first_block; w->offset[s] >= 0 && b < in->servers[s].end_block;
             b++)
            w->cover[w->n_all[b]++] = s;
    w->vserver[0] = w->vserver[id] = -1;
    w->n_vert = id + 1;
    for (int v = 0; v < w->n_vert; v++) {
        w->dist[v] = INFINITY;
        w->pred[v] = -1;
        w->hpos[v] = -1;
    }
    return SS_OK;
}

/* Generate and relax the out-edges of settled vertex u. */
static ss_status expand(pp_work *w, int u)
{
    const route_petals_path_in *in = w->in;
    const int end_id = w->n_vert - 1;
    double d;
    ss_status st;
    if (u == end_id)
        return SS_OK;
    if (u == 0) {
        for (int k = w->cover_off[in->start_block]; k < w->cover_off[in->start_block + 1]; k++) {
            const int t = w->cover[k];
            if ((st = delay_s(w, ROUTE_PETALS_CLIENT, t, &d)) != SS_OK)
                return st;
            d += ROUTE_PETALS_OVERHEAD_S;
            if (!has_cache(in, t))
                d += ROUTE_PETALS_ALLOC_DELAY_S;
            relax(w, 0, w->offset[t] + (in->start_block - in->servers[t].first_block), d);
        }
        return SS_OK;
    }
    const int s = w->vserver[u];
    const route_petals_server *sv = &in->servers[s];
    const int b = sv->first_block + (u - w->offset[s]);
    if (b >= in->start_block && b < sv->end_block && b < in->end_block)
        relax(w, u, u + 1, compute_s(sv));
    if (b == sv->end_block && in->start_block < b && b < in->end_block) {
        for (int k = w->cover_off[b]; k < w->cover_off[b + 1]; k++) {
            const int t = w->cover[k];
            if ((st = delay_s(w, s, t, &d)) != SS_OK)
                return st;
            d += ROUTE_PETALS_OVERHEAD_S;
            if (!has_cache(in, t))
                d += ROUTE_PETALS_ALLOC_DELAY_S;
            relax(w, u, w->offset[t] + (b - in->servers[t].first_block), d);
        }
    }
    if (b == in->end_block && sv->first_block < b) {
        /* Petals adds no overhead on the way back to the client. */
        if ((st = delay_s(w, ROUTE_PETALS_CLIENT, s, &d)) != SS_OK)
            return st;
        relax(w, u, end_id, d);
    }
    return SS_OK;
}

static int vertex_block(const pp_work *w, int v)
{
    int s = w->vserver[v];
    return w->in->servers[s].first_block + (v - w->offset[s]);
}

/* Read the chain back from "end": one hop per run of one server. */
static ss_status read_chain(pp_work *w, route_petals_hop *hops, int max_hops, int *n_hops)
{
    const int end_id = w->n_vert - 1;
    int count = 0;
    for (int v = w->pred[end_id], prev = -1; v > 0; v = w->pred[v])
        if (w->vserver[v] != prev) {
            count++;
            prev = w->vserver[v];
        }
    *n_hops = count;
    int k = count; /* hops are found last to first */
    for (int v = w->pred[end_id]; v > 0;) {
        int s = w->vserver[v], last = vertex_block(w, v), first = last;
        while (v > 0 && w->vserver[v] == s) {
            first = vertex_block(w, v);
            v = w->pred[v];
        }
        if (--k < max_hops)
            hops[k] = (route_petals_hop){.server = s, .first_block = first, .end_block = last};
    }
    if (count > max_hops)
        return ss_err(w->err, w->errlen, SS_EFULL, "petals path: the chain has %d hops, room for %d",
                      count, max_hops);
    return SS_OK;
}

ss_status route_petals_path_find(const route_petals_path_in *in, void *scratch, size_t scratch_bytes,
                                 route_petals_hop *hops, int max_hops, int *n_hops, double *cost_s,
                                 char *err, size_t errlen)
{
    if (!in || !n_hops || !cost_s || max_hops < 0 || (max_hops > 0 && !hops))
        return ss_err(err, errlen, SS_EINVAL, "petals path: missing input or output");
    *n_hops = 0;
    *cost_s = 0;
    ss_status st = check_input(in, err, errlen);
    if (st != SS_OK)
        return st;
    pp_work w = {.in = in, .err = err, .errlen = errlen};
    if ((st = setup(&w, scratch, scratch_bytes)) != SS_OK)
        return st;
    if (in->start_block == in->end_block)
        return SS_OK;

    w.dist[0] = 0;
    w.heap[0] = 0;
    w.hpos[0] = 0;
    w.n_heap = 1;
    while (w.n_heap > 0)
        if ((st = expand(&w, heap_pop(&w))) != SS_OK)
            return st;
    /* Every range block has a kept server (the ban filter never empties a
     * block), and the last server of any run reaches "end": defensive. */
    const int end_id = w.n_vert - 1;
    if (isinf(w.dist[end_id]))
        return ss_err(err, errlen, SS_ENOTFOUND, "petals path: no chain covers [%d, %d)",
                      in->start_block, in->end_block);
    *cost_s = w.dist[end_id];
    return read_chain(&w, hops, max_hops, n_hops);
}
