/* scn_draw.h - one random draw of a scenario distribution.
 *
 * Kept apart from scn_scenario.h so that reading a scenario needs no GSL
 * header; the simulator and the dataset readers draw through it from their
 * own named streams (ss_rng.h).
 */
#ifndef SCN_DRAW_H
#define SCN_DRAW_H

#include <gsl/gsl_rng.h>

#include "scn_scenario.h"

/* One draw of `d` from `r` (units are the caller's). */
double scn_dist_draw(gsl_rng *r, const scn_dist *d);

#endif
