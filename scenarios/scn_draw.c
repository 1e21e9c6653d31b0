/* scn_draw.c - draws of scenario distributions through GSL. */
#include "scn_draw.h"

#include <math.h>

#include <gsl/gsl_randist.h>

double scn_dist_draw(gsl_rng *r, const scn_dist *d)
{
    switch (d->kind) {
    case SCN_DIST_CONST:
        return d->a;
    case SCN_DIST_EXPONENTIAL:
        return gsl_ran_exponential(r, d->a);
    case SCN_DIST_UNIFORM:
        return gsl_ran_flat(r, d->a, d->b);
    case SCN_DIST_LOGNORMAL:
        return gsl_ran_lognormal(r, log(d->a), d->b);
    case SCN_DIST_WEIBULL:
        return gsl_ran_weibull(r, d->b, d->a); /* GSL: (scale, shape) */
    case SCN_DIST_GAMMA:
        return gsl_ran_gamma(r, d->a, d->b);
    }
    return d->a;
}
