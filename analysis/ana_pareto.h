/* ana_pareto.h - the Pareto front of a table of settings, all objectives minimised.
 *
 * Row i (of n, each with k objective values, row-major obj[i * k + j]) is
 * DOMINATED when some other row j is no worse in every objective and
 * strictly better in at least one: obj[j][c] <= obj[i][c] for all c and
 * obj[j][c] < obj[i][c] for some c. The front is the set of rows no row
 * dominates. Two rows with identical objectives do not dominate each other,
 * so both stay on the front. A NaN objective is read as +infinity (the
 * worst value: an undefined latency or accuracy loss never helps a row).
 * O(n^2 k), no allocation, deterministic.
 *
 * `shardsim pareto` uses (wire bytes per token, mean end-to-end latency,
 * accuracy loss) with loss = mean KL(fp32 || codec) for language models and
 * the MNIST accuracy drop (reference - codec) for the CNN.
 */
#ifndef ANA_PARETO_H
#define ANA_PARETO_H

#include <stddef.h>

/* on_front[i] = 1 if row i is on the front, else 0. Returns the number of
 * rows on the front. n == 0 or k == 0: every row is on the front. */
size_t ana_pareto_front(const double *obj, size_t n, size_t k, int *on_front);

#endif
