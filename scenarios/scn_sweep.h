/* scn_sweep.h - sweep files: a base scenario, axes by JSON path, seeds.
 *
 *   {"version": 1, "name": "rates",
 *    "base": "default.json" | {an inline scenario},
 *    "grid": {"routing.policy": ["fixed", "petals"], "workload.n_requests": [10, 20]}
 *       | "zip": {"a.b": [1, 2, 3], "c": [4, 5, 6]},
 *    "seeds": [1, 2, 3] | 5}
 *
 * Strict like scenarios (base/ss_json.h; unknown keys rejected), every error
 * one line naming the file, the JSON path and what was expected. A base path
 * is relative to the sweep file's directory. Each axis path (scn_override
 * syntax, "nodes[0].count") must exist in the base document; an axis has
 * 1..SCN_SWEEP_MAX_VALUES values (any JSON value); zip axes have equal
 * lengths. Values are not checked here: a bad value is the failure of the
 * points that use it (scn_sweep_load_point), not of the file.
 *
 * Points, in this fixed order: combination c = 0 .. n_combos-1, and for each
 * the seeds in file order; point i is (combo i / n_seeds, seed i % n_seeds).
 * Grid combinations are the cartesian product in row-major order: the first
 * axis varies slowest, the last fastest (nested loops in file order). Zip
 * combination c takes the c-th value of every axis. `"seeds": N` means the
 * seeds 1..N; a list holds distinct integers in [0, 2^53 - 1].
 *
 * Sizes: at most SCN_SWEEP_MAX_AXES axes and SCN_SWEEP_MAX_POINTS points.
 */
#ifndef SCN_SWEEP_H
#define SCN_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#include "scn_scenario.h"
#include "ss_status.h"

#define SCN_SWEEP_VERSION 1
#define SCN_SWEEP_MAX_AXES 16
#define SCN_SWEEP_MAX_VALUES 10000
#define SCN_SWEEP_MAX_SEEDS 100000
#define SCN_SWEEP_MAX_POINTS 1000000

typedef enum scn_sweep_mode {
    SCN_SWEEP_GRID,
    SCN_SWEEP_ZIP,
} scn_sweep_mode;

typedef struct scn_sweep_axis {
    char *path;       /* JSON path in the base scenario */
    char **values;    /* (n_values) each value as unformatted JSON text */
    size_t n_values;
} scn_sweep_axis;

typedef struct scn_sweep {
    char name[SCN_NAME_MAX];
    char source_path[SCN_PATH_MAX];  /* the sweep file as given */
    scn_sweep_mode mode;
    char base_label[SCN_PATH_MAX];   /* the base file (resolved), or "<sweep file>#base" */
    char base_dir[SCN_PATH_MAX];     /* where the base's relative paths resolve, with '/' or "" */
    int base_inline;                 /* 1: "base" was an object in the sweep file */
    char *base_json;                 /* the base document text, exactly as read or printed */
    scn_sweep_axis *axes;            /* (n_axes) in file order */
    size_t n_axes;
    uint64_t *seeds;                 /* (n_seeds) in file order */
    size_t n_seeds;
    size_t n_combos;                 /* axis-value combinations (1 with no axes) */
    size_t n_points;                 /* n_combos * n_seeds */
    char *spec_json;                 /* identity of the axes: {"mode":..,"axes":{path:[values]}} */
    char *paths_json;                /* the axis paths as a JSON array, in axis order */
} scn_sweep;

/* Load and check the sweep file `path` (and its base) into *out
 * (caller-owned; release with scn_sweep_fini). Status: SS_OK; SS_ENOENT /
 * SS_EIO (the sweep or base file); SS_EPARSE; SS_ESCHEMA / SS_ERANGE /
 * SS_EVERSION (the schema above); SS_ENOMEM. On error err holds one line
 * and *out is zeroed. */
ss_status scn_sweep_load(const char *path, scn_sweep *out, char *err, size_t errlen);

/* Release; safe on a zeroed or already released sweep. */
void scn_sweep_fini(scn_sweep *sw);

/* Point i (< n_points): its combination and seed. */
void scn_sweep_point(const scn_sweep *sw, size_t i, size_t *combo, uint64_t *seed);

/* The value (JSON text) of axis `axis` in combination `combo`. */
const char *scn_sweep_value(const scn_sweep *sw, size_t combo, size_t axis);

/* The axis values of `combo` as one JSON object {"path": value, ...} in
 * axis order; *out is ss_malloc'd (ss_free). SS_OK or SS_ENOMEM. */
ss_status scn_sweep_axes_json(const scn_sweep *sw, size_t combo, char **out);

/* The scenario of (combo, seed): the base with every axis value applied as
 * a --set override, its seed replaced by `seed`. Status and errors as
 * scn_load's (a bad axis value is reported with the axis path). */
ss_status scn_sweep_load_point(const scn_sweep *sw, size_t combo, uint64_t seed,
                               scn_scenario *out, char *err, size_t errlen);

#endif
