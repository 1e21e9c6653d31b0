/* route_reputation.c - Nesa's multiplicative reputation with clipping and
 * g(R) = 1/R. Constants and their source in route_reputation.h. */
#include "route_reputation.h"

#include <math.h>

route_reputation_cfg route_reputation_cfg_default(void)
{
    return (route_reputation_cfg){
        .min = ROUTE_REPUTATION_MIN,
        .max = ROUTE_REPUTATION_MAX,
        .initial = ROUTE_REPUTATION_INITIAL,
        .failure_factor = ROUTE_REPUTATION_FAILURE_FACTOR,
        .success_factor = ROUTE_REPUTATION_SUCCESS_FACTOR,
    };
}

ss_status route_reputation_cfg_check(const route_reputation_cfg *cfg, char *err, size_t errlen)
{
    if (!cfg)
        return ss_err(err, errlen, SS_EINVAL, "reputation: no configuration");
    /* Written as negations so NaN fails every test. */
    if (!(cfg->min > 0 && isfinite(cfg->max) && cfg->min <= cfg->max))
        return ss_err(err, errlen, SS_EINVAL, "reputation: min/max: expected 0 < min <= max < inf, "
                      "got %g, %g", cfg->min, cfg->max);
    if (!(cfg->initial >= cfg->min && cfg->initial <= cfg->max))
        return ss_err(err, errlen, SS_EINVAL, "reputation: initial: expected within [%g, %g], got %g",
                      cfg->min, cfg->max, cfg->initial);
    if (!(cfg->failure_factor > 0 && cfg->failure_factor <= 1))
        return ss_err(err, errlen, SS_EINVAL, "reputation: failure_factor: expected in (0, 1], got %g",
                      cfg->failure_factor);
    if (!(cfg->success_factor >= 1 && isfinite(cfg->success_factor)))
        return ss_err(err, errlen, SS_EINVAL, "reputation: success_factor: expected in [1, inf), got %g",
                      cfg->success_factor);
    return SS_OK;
}

static double clip(const route_reputation_cfg *cfg, double r)
{
    if (!(r >= cfg->min)) /* NaN lands on the floor too */
        return cfg->min;
    return r > cfg->max ? cfg->max : r;
}

double route_reputation_update(const route_reputation_cfg *cfg, double r, route_outcome outcome)
{
    double f = outcome == ROUTE_OUTCOME_SUCCESS ? cfg->success_factor : cfg->failure_factor;
    return clip(cfg, clip(cfg, r) * f);
}

double route_reputation_cost(double r)
{
    if (!(r > 0))
        return INFINITY;
    return 1.0 / r;
}
