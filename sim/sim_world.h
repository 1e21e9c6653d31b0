/* sim_world.h - a scenario's node populations made concrete for one seed.
 *
 * A scenario describes populations: `count` nodes drawing their device from
 * a mix, their region from a mix, their bandwidths from distributions, and a
 * measured RTT data set instead of a matrix. Before a run (or an
 * evaluation), these are drawn once, node by node, from each node's own
 * named streams (SS_RNG_NODE, node id, purpose), so node i's draws do not
 * depend on how many other nodes there are. The result is a copy of the
 * scenario whose `nodes` and `rtt_s` are concrete; everything downstream
 * (placement, routing, the event loop) reads only that copy.
 */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stddef.h>
#include <stdint.h>

#include "scn_scenario.h"
#include "ss_status.h"

typedef struct sim_world_scn {
    scn_scenario s;      /* shallow copy of the input, with nodes and rtt_s below */
    scn_node *nodes;     /* (s.n_nodes) owned */
    double *rtt_s;       /* (n_regions^2) owned when drawn from a measured data set, else NULL */
} sim_world_scn;

/* Stream purposes of the draws (stable numbers: changing one changes results). */
enum {
    SS_RNG_DEVICE = 20,
    SS_RNG_REGION = 21,
    SS_RNG_UPLINK = 22,
    SS_RNG_DOWNLINK = 23,
};

/* Draw the concrete world of `in` for seed in->seed. `assets_dir` holds the
 * shared data (network/rtt_avg_matrix.csv, cities.csv) when the scenario's
 * network.rtt names a measured data set (NULL: leave rtt_s NULL, enough for
 * placement). `in` must outlive `out`. Errors name the scenario file and
 * the node or city. */
ss_status sim_world_materialize(const scn_scenario *in, const char *assets_dir, sim_world_scn *out,
                                char *err, size_t errlen);
void sim_world_fini(sim_world_scn *w); /* zeroed struct allowed */

/* A draw from a categorical distribution: index i with probability w[i]
 * (weights sum to 1) for a uniform u in [0, 1). */
int sim_world_pick(const double *w, int n, double u);

#endif
