/* route_reputation.h - Nesa's node reputation and its personalised cost term.
 *
 * Each node carries a reputation R in [R_min, R_max] that starts at
 * R_initial; after each request it served, R <- R * failure_factor on a
 * failure or timeout and R <- R * success_factor on a success, then R is
 * clipped to [R_min, R_max]. Nesa's personalised routing adds g(R) = 1/R
 * (weighted) to a path's cost, so low-reputation nodes look expensive.
 *
 * Constants (Nesa, arXiv 2407.19775, as fixed in DESIGN.md section 4):
 * R in [0.1, 10], R_initial = 1, x0.8 on failure/timeout, x1.01 on success.
 * Pure functions over doubles: no allocation, no state, O(1).
 */
#ifndef ROUTE_REPUTATION_H
#define ROUTE_REPUTATION_H

#include "ss_status.h"

/* Nesa (arXiv 2407.19775) via DESIGN.md section 4. */
#define ROUTE_REPUTATION_MIN 0.1
#define ROUTE_REPUTATION_MAX 10.0
#define ROUTE_REPUTATION_INITIAL 1.0
#define ROUTE_REPUTATION_FAILURE_FACTOR 0.8
#define ROUTE_REPUTATION_SUCCESS_FACTOR 1.01

typedef enum route_outcome {
    ROUTE_OUTCOME_SUCCESS = 0,
    ROUTE_OUTCOME_FAILURE = 1, /* the node answered with an error or dropped */
    ROUTE_OUTCOME_TIMEOUT = 2, /* treated exactly as a failure (Nesa) */
} route_outcome;

typedef struct route_reputation_cfg {
    double min, max;        /* clip bounds, 0 < min <= initial <= max, finite */
    double initial;         /* reputation of a new node */
    double failure_factor;  /* in (0, 1]: applied on failure and timeout */
    double success_factor;  /* >= 1: applied on success */
} route_reputation_cfg;

/* Nesa's constants (the macros above). */
route_reputation_cfg route_reputation_cfg_default(void);

/* SS_OK if cfg satisfies the bounds in its field comments, else SS_EINVAL
 * with err naming the field. O(1). */
ss_status route_reputation_cfg_check(const route_reputation_cfg *cfg, char *err, size_t errlen);

/* Reputation after one request: r times the outcome's factor, clipped to
 * [cfg->min, cfg->max]. r outside the bounds is clipped first (a caller's
 * stale value never escapes the interval). cfg must pass
 * route_reputation_cfg_check; an unknown outcome counts as a failure
 * (defensive: never reward what we cannot name). O(1). */
double route_reputation_update(const route_reputation_cfg *cfg, double r, route_outcome outcome);

/* Nesa's personalised cost term g(R) = 1/R, dimensionless, in
 * [1/max, 1/min] for a clipped R. r must be > 0 (reputations are, by the
 * clip); r <= 0 or NaN gives +INFINITY (defensive: never prefer a node whose
 * reputation is broken). O(1). */
double route_reputation_cost(double r);

#endif
