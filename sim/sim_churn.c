/* sim_churn.c - the alternating renewal process of node churn. */
#include "sim_churn.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "scn_draw.h"
#include "ss_rng.h"

ss_status sim_churn_proc_init(sim_churn_proc *p, const scn_dist *up_s, const scn_dist *down_s,
                              uint64_t seed, uint64_t node_id, int64_t start_ns)
{
    memset(p, 0, sizeof *p);
    if (start_ns < 0)
        return SS_EINVAL;
    ss_status st = ss_rng_create(seed, SS_RNG_FAULT, node_id, SS_RNG_UPTIME, &p->rng);
    if (st != SS_OK)
        return st;
    p->up_s = *up_s;
    p->down_s = *down_s;
    p->up = 1;
    p->at_ns = start_ns;
    return SS_OK;
}

void sim_churn_proc_next(sim_churn_proc *p, int64_t *t_ns, int *up)
{
    if (p->at_ns == INT64_MAX) {
        *t_ns = INT64_MAX;
        *up = p->up;
        return;
    }
    double s = scn_dist_draw(p->rng, p->up ? &p->up_s : &p->down_s);
    double ns = s * 1e9;
    int64_t d;
    if (!(ns < 9.2e18)) /* huge draws (and NaN, defensively): never again */
        d = INT64_MAX;
    else
        d = ns < 1 ? 1 : (int64_t)llround(ns);
    if (d >= INT64_MAX - p->at_ns) {
        p->at_ns = INT64_MAX;
        *t_ns = INT64_MAX;
        *up = p->up;
        return;
    }
    p->at_ns += d;
    p->up = !p->up;
    *t_ns = p->at_ns;
    *up = p->up;
}

void sim_churn_proc_fini(sim_churn_proc *p)
{
    if (!p)
        return;
    if (p->rng)
        gsl_rng_free(p->rng);
    memset(p, 0, sizeof *p);
}
