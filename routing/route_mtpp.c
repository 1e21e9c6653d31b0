/* route_mtpp.c - the chain partition of route_mtpp.h by a backward
 * bottleneck DP and a forward lexicographic read-out.
 *
 * Why two passes: a forward DP's usual "argmin per cell" trace returns an
 * optimal partition whose tie rule depends on which prefixes happened to be
 * optimal. With h[j][i] (best bottleneck of the suffix) known, a partition
 * is optimal iff every stage costs <= OPT (max is exact in floating point),
 * so taking at each node the smallest end e with c(j, i, e) <= OPT and
 * h[j+1][e] <= OPT yields exactly the lexicographically smallest optimal
 * end vector, a rule a brute force can check.
 *
 * Scratch: h double[(k+1)(L+1)] | W, P prefix sums double[L+1] each.
 */
#include "route_mtpp.h"

#include <math.h>
#include <stdint.h>

typedef struct mt_work {
    const route_mtpp_problem *p;
    double *h;     /* ((k+1), (L+1)) */
    double *W, *P; /* (L+1) prefix sums of work and parameters */
} mt_work;

size_t route_mtpp_scratch_bytes(int n_layers, int n_nodes)
{
    if (n_layers < 0 || n_nodes < 0)
        return 0;
    uint64_t cells = ((uint64_t)n_nodes + 3) * ((uint64_t)n_layers + 1);
    if (cells > SIZE_MAX / sizeof(double))
        return 0;
    return (size_t)cells * sizeof(double);
}

/* c(j, i, e) for a non-empty span [i, e); +INFINITY when infeasible. */
static double stage_cost(const mt_work *w, int j, int i, int e)
{
    const route_mtpp_node *n = &w->p->nodes[j];
    double in = i == 0 ? w->p->in_bytes : w->p->layers[i - 1].out_bytes;
    double cost = (w->W[e] - w->W[i]) / n->flops_per_s + in / n->in_bytes_per_s;
    double over = (w->P[e] - w->P[i]) - n->mem_bytes;
    if (over > 0) {
        if (!w->p->allow_overflow)
            return INFINITY;
        cost += over / n->stream_bytes_per_s;
    }
    return cost;
}

static int ok_nonneg(double x)
{
    return x >= 0 && isfinite(x);
}

static ss_status check_problem(const route_mtpp_problem *p, char *err, size_t errlen)
{
    if (!p || p->n_layers < 1 || p->n_nodes < 1 || !p->layers || !p->nodes)
        return ss_err(err, errlen, SS_EINVAL, "mtpp: expected at least one layer and one node");
    if (!ok_nonneg(p->in_bytes))
        return ss_err(err, errlen, SS_EINVAL, "mtpp: in_bytes: expected finite >= 0, got %g",
                      p->in_bytes);
    for (int l = 0; l < p->n_layers; l++) {
        const route_mtpp_layer *y = &p->layers[l];
        if (!ok_nonneg(y->work_flops) || !ok_nonneg(y->param_bytes) || !ok_nonneg(y->out_bytes))
            return ss_err(err, errlen, SS_EINVAL, "mtpp: layer %d: expected finite work, params and "
                          "output >= 0, got %g, %g, %g", l, y->work_flops, y->param_bytes, y->out_bytes);
    }
    for (int j = 0; j < p->n_nodes; j++) {
        const route_mtpp_node *n = &p->nodes[j];
        if (!(n->flops_per_s > 0 && isfinite(n->flops_per_s)) ||
            !(n->in_bytes_per_s > 0 && isfinite(n->in_bytes_per_s)) || !(n->mem_bytes >= 0) ||
            (p->allow_overflow && !(n->stream_bytes_per_s > 0 && isfinite(n->stream_bytes_per_s))))
            return ss_err(err, errlen, SS_EINVAL, "mtpp: node %d: expected finite speed, bandwidth%s "
                          "> 0 and memory >= 0, got %g, %g, %g, %g", j,
                          p->allow_overflow ? ", stream rate" : "", n->flops_per_s, n->in_bytes_per_s,
                          n->stream_bytes_per_s, n->mem_bytes);
    }
    return SS_OK;
}

ss_status route_mtpp_solve(const route_mtpp_problem *p, void *scratch, size_t scratch_bytes,
                           int *span_end, double *bottleneck_s, char *err, size_t errlen)
{
    ss_status st = check_problem(p, err, errlen);
    if (st != SS_OK)
        return st;
    if (!span_end || !bottleneck_s)
        return ss_err(err, errlen, SS_EINVAL, "mtpp: missing output");
    const int L = p->n_layers, k = p->n_nodes;
    size_t need = route_mtpp_scratch_bytes(L, k);
    if (need == 0 || !scratch || scratch_bytes < need)
        return ss_err(err, errlen, SS_EINVAL, "mtpp: scratch: expected %zu bytes, got %zu", need,
                      scratch ? scratch_bytes : 0);
    mt_work w = {.p = p, .h = scratch};
    w.W = w.h + (size_t)(k + 1) * (L + 1);
    w.P = w.W + (L + 1);
    w.W[0] = w.P[0] = 0;
    for (int l = 0; l < L; l++) {
        w.W[l + 1] = w.W[l] + p->layers[l].work_flops;
        w.P[l + 1] = w.P[l] + p->layers[l].param_bytes;
    }
#define H(j, i) w.h[(size_t)(j) * (L + 1) + (i)]
    for (int i = 0; i <= L; i++)
        H(k, i) = i == L ? 0.0 : INFINITY;
    for (int j = k - 1; j >= 0; j--)
        for (int i = 0; i <= L; i++) {
            /* Skipping node j, if allowed; else every node needs a layer. */
            double best = p->allow_skip ? H(j + 1, i) : INFINITY;
            for (int e = i + 1; e <= L; e++) {
                double c = fmax(stage_cost(&w, j, i, e), H(j + 1, e));
                if (c < best)
                    best = c;
            }
            H(j, i) = best;
        }
    const double opt = H(0, 0);
    if (isinf(opt))
        return ss_err(err, errlen, SS_ENOTFOUND, "mtpp: no feasible partition of %d layers over %d "
                      "nodes%s", L, k, p->allow_overflow ? "" : " within memory");
    int i = 0;
    for (int j = 0; j < k; j++) {
        int e = p->allow_skip && H(j + 1, i) <= opt ? i : -1;
        for (int c = i + 1; e < 0 && c <= L; c++)
            if (stage_cost(&w, j, i, c) <= opt && H(j + 1, c) <= opt)
                e = c;
        if (e < 0) /* defensive: H(j, i) <= opt promises an end */
            return ss_err(err, errlen, SS_ENUMERIC, "mtpp: read-out lost the optimum at node %d", j);
        span_end[j] = e;
        i = e;
    }
#undef H
    *bottleneck_s = opt;
    return SS_OK;
}
