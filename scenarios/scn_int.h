/* scn_int.h - shared only inside scenarios/: --set overrides, distributions
 * and name rules used by scn_load.c. */
#ifndef SCN_INT_H
#define SCN_INT_H

#include "scn_scenario.h"
#include "ss_json.h"

/* Apply one --set override to `root` in place (before any validation).
 * Path syntax: KEY ( "." KEY | "[" INDEX "]" )*. Every step but the last
 * must exist; the last may add a new key to an existing object (so the
 * strict schema then reports it) or replace an existing key or array
 * element. The value is parsed as strict JSON; text that is not JSON is
 * taken as a string, except text starting with '{', '[' or '"', which must
 * parse. Errors: SS_ESCHEMA (path), SS_EPARSE (value), SS_ENOMEM. */
ss_status scn_override_apply(cJSON *root, const scn_override *ov, const ss_json_ctx *cx);

/* What a distribution-valued field may hold: constants in [const_min, cap],
 * scale parameters (mean, median, scale, uniform bounds) at most `cap`. */
typedef struct scn_dist_rule {
    double const_min;
    double cap;
} scn_dist_rule;

/* Read a DIST (a number, or {"family": {params}}) at `path`. */
ss_status scn_dist_parse(const ss_json_ctx *cx, const cJSON *v, const char *path,
                         const scn_dist_rule *rule, scn_dist *out);

/* A registry-style name (preset, policy, codec): 1..SCN_NAME_MAX-1 bytes of
 * [A-Za-z0-9._-], not starting with '.' or '-' (it may become part of a
 * file name such as models/presets/<name>.json). v NULL: missing. */
ss_status scn_ident(const ss_json_ctx *cx, const cJSON *v, const char *path, char *dst);

/* A codec spec ("nf4", "blockwise8:4096", "lowrank-sparse:8:0.01"): a
 * registry name as scn_ident, optionally followed by ':'-separated
 * parameters of [A-Za-z0-9._-]; no empty parameter, no trailing ':'.
 * Whether the codec exists and its parameters are in range is checked by
 * compression/ (comp_codec_parse) when the run starts. */
ss_status scn_codec_spec(const ss_json_ctx *cx, const cJSON *v, const char *path, char *dst);

/* One of `names`; *idx = its position. Suggests the closest on error. */
ss_status scn_enum(const ss_json_ctx *cx, const cJSON *v, const char *path,
                   const char *const *names, size_t n, int *idx);

#endif
