/* scn_compare.h - a scenario's `compare` block: named variants of the
 * scenario, each a set of JSON-path overrides, turned into a sweep.
 *
 *   "compare": {"variants": [
 *       {"name": "petals", "set": {"routing.policy": "petals"}},
 *       {"name": "nesa",   "set": {"routing.policy": "nesa", "routing.view": "truth"}},
 *       {"name": "as-is"}]}
 *
 * The block is checked by scn_load (every scenario that has one): 1 to
 * SCN_COMPARE_MAX_VARIANTS variants, names 1..63 bytes and distinct, each
 * "set" path in --set syntax and present in the scenario (after --set
 * overrides, the block itself left out), at most SCN_SWEEP_MAX_AXES distinct
 * paths over all variants. Values are not checked here: a bad value is the
 * failure of that variant's runs (and `shardsim compare` checks each
 * variant's scenario before it runs anything).
 *
 * The block is no part of the scenario a run simulates: scn_load removes it
 * before printing the canonical JSON, so a variant's run key is exactly that
 * of `shardsim run FILE --set PATH=VALUE...`, and editing the block never
 * invalidates stored runs.
 *
 * As a sweep: zip axes over the union of the variants' paths (in order of
 * first appearance); variant v is combination v, and a path a variant does
 * not set takes the scenario's own value there. Seeds 1..n_seeds.
 */
#ifndef SCN_COMPARE_H
#define SCN_COMPARE_H

#include <stddef.h>

#include "scn_scenario.h"
#include "scn_sweep.h"
#include "ss_status.h"

#define SCN_COMPARE_MAX_VARIANTS 64

typedef struct scn_compare {
    scn_sweep sweep;                /* name "compare-<scenario name>"; combo v = variant v */
    char (*names)[SCN_NAME_MAX];    /* (n_variants) variant names in file order */
    size_t n_variants;
    char scenario_name[SCN_NAME_MAX];
} scn_compare;

/* Load scenario `path` (checked as scn_load does) and its compare block
 * into *out, with seeds 1..n_seeds (1..SCN_SWEEP_MAX_SEEDS). Status as
 * scn_load's; SS_ESCHEMA also when the scenario has no compare block
 * (err: "<file>: compare: ..."). On error *out is zeroed. */
ss_status scn_compare_load(const char *path, size_t n_seeds, scn_compare *out, char *err,
                           size_t errlen);

/* Release; safe on a zeroed or released value. */
void scn_compare_fini(scn_compare *c);

#endif
