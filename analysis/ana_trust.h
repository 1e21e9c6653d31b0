/* ana_trust.h - the trust metrics of one run (issue 15): rows of the
 * `metrics` table, stored only when the run's scenario has "adversaries"
 * or "defences" (sim_trust_rec.on), so other runs keep their rows. Names
 * and meaning: analysis/README.md, "Trust metrics". */
#ifndef ANA_TRUST_H
#define ANA_TRUST_H

#include <stddef.h>

#include "sim_results.h"

size_t ana_trust_count(void);
const char *ana_trust_name(size_t i);
/* Value i of r; rates are NaN when their denominator is 0. */
double ana_trust_value(const sim_trust_rec *r, size_t i);

#endif
