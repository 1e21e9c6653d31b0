/* scn_int.h - shared only inside scenarios/: --set overrides, distributions,
 * name rules, mixes, and the loader state that scn_load.c (top level,
 * model, network, workload), scn_nodes.c (node groups, device presets) and
 * scn_events.c (faults, stragglers) share. */
#ifndef SCN_INT_H
#define SCN_INT_H

#include "scn_hardware.h"
#include "scn_scenario.h"
#include "ss_json.h"

/* Caps that are not in scn_scenario.h (they are schema, not layout). */
#define SCN_MAX_BLOCKS 4096
#define SCN_MAX_REQUESTS 100000000
#define SCN_MAX_HORIZON_S 1e9   /* 1e18 ns: far from int64 overflow (9.2e18) */
#define SCN_MAX_SECONDS 1e6     /* cap of any per-request time parameter */
#define SCN_MAX_TOKENS 1048576  /* cap of token-count parameters */
#define SCN_MAX_RTT_MS 1e6      /* also the cap of last_mile_ms and jitter_ms */
#define SCN_MAX_RATE_PER_S 1e9
#define SCN_MAX_MBPS 1e7
#define SCN_MAX_MIX 1024        /* entries of one device or region mix */
#define SCN_MAX_FAULTS 1000000  /* outages after expanding regional ones */
#define SCN_DEFAULT_SEED 1
#define SCN_DEFAULT_MBPS 1000.0
#define SCN_MAX_CONSENSUS_K 16 /* replicas compared per verified step */

/* A device preset read while loading (one read per name). */
typedef struct scn_hw_entry {
    scn_hardware hw;
    int in_mix; /* referenced by a group's device mix: becomes an scn_scenario.devices entry */
    int dev;    /* its index in scn_scenario.devices once they are built */
} scn_hw_entry;

typedef struct scn_name_ref {
    const char *name;
    size_t node;  /* index in expansion order */
    size_t group; /* nodes[group] produced it */
} scn_name_ref;

/* Loader state for one scn_load call; everything it owns is released by
 * scn_loader_fini. */
typedef struct scn_loader {
    ss_json_ctx cx;
    scn_scenario *s;
    char dir[SCN_PATH_MAX];    /* scenario directory with trailing '/', or "" */
    int rtt_named;             /* network.rtt given: region names are collected from references */
    int hw_dir_state;          /* 0: not looked for yet, 1: hw_dir found, -1: none */
    char hw_dir[SCN_PATH_MAX]; /* directory of device presets */
    scn_hw_entry *hw;          /* (n_hw) presets read so far, first-use order */
    int n_hw;
    scn_name_ref *names;       /* (s->n_nodes) node names sorted, built on first lookup */
} scn_loader;

void scn_loader_fini(scn_loader *L);

/* scn_load of a document already in memory: `len` bytes of `text` labelled
 * `label` in messages (and in source_path), relative file paths resolved
 * against `dir` (a directory with its trailing '/', or "" / NULL for the
 * current one). Status and *out as scn_load's. */
ss_status scn_load_text(const char *label, const char *dir, const char *text, size_t len,
                        const scn_override *overrides, size_t n_overrides, scn_scenario *out,
                        char *err, size_t errlen);

/* The member of `root` at override path `path` ("a.b[2].c", scn_override
 * syntax), or NULL when it does not exist; *malformed = 1 for a path that
 * is not in that syntax. */
const cJSON *scn_override_lookup(const cJSON *root, const char *path, int *malformed);
ss_status scn_oom(const scn_loader *L);
/* The "compare" block (scn_compare.h) of a scenario whose document without
 * the block, --set overrides applied, is `root` (scn_compare.c). */
ss_status scn_compare_check(const ss_json_ctx *cx, const cJSON *block, const cJSON *root);
/* Member `key` of obj: a number in [min, max] ((min, max] with min_open). */
ss_status scn_number(const scn_loader *L, const cJSON *obj, const char *path, const char *key,
                     int required, double min, int min_open, double max, double *out);
/* Region index of name value `v` at `path`; `v` NULL keeps *out. With
 * network.rtt a name not seen before is appended to s->regions. */
ss_status scn_region_ref(scn_loader *L, const cJSON *v, const char *path, int *out);
/* Node index of name value `v` (a node name after count expansion). */
ss_status scn_node_ref(scn_loader *L, const cJSON *v, const char *path, int *out);

ss_status scn_load_nodes(scn_loader *L, const cJSON *root);   /* scn_nodes.c */
/* "client" (scn_client): after the model (its weight format resolves the
 * device) and the nodes (the hardware directory is found the same way). */
ss_status scn_load_client(scn_loader *L, const cJSON *root);  /* scn_nodes.c */
ss_status scn_load_faults(scn_loader *L, const cJSON *root);  /* scn_events.c */
ss_status scn_load_stragglers(scn_loader *L, const cJSON *root);
/* "adversaries" and "defences" (scn_trust.c), after the nodes. */
ss_status scn_load_trust(scn_loader *L, const cJSON *root);

/* A mix {"name": weight, ...} at `path` (`what` names the members in
 * messages, e.g. "device presets"): 1..SCN_MAX_MIX members, each weight a
 * positive finite number. On success *w (ss_malloc'd, caller frees) holds
 * the weights in member order, normalised to sum 1, and *n their count. */
ss_status scn_mix_parse(const ss_json_ctx *cx, const cJSON *v, const char *path, const char *what,
                        double **w, int *n);

/* A positive quantity that may be random: a number in (0, cap] (CONST), or
 * a DIST whose scale parameters are at most cap and whose draws cannot all
 * be 0 (uniform needs min > 0). Anything else gets the plain number message
 * ("expected a positive number, got true"). */
ss_status scn_pos_dist(const ss_json_ctx *cx, const cJSON *v, const char *path, double cap,
                       scn_dist *out);

/* The device preset directory for a scenario in directory `scn_dir` ("" or
 * ending in '/'): the first existing directory of scn_dir + "hardware",
 * scn_dir + "../hardware", $SHARDSIM_HOME/scenarios/hardware (SHARDSIM_HOME
 * unset or empty: the source tree this library was built from). SS_ENOTFOUND
 * when none exists (dst then lists what was tried). */
ss_status scn_hardware_dir(const char *scn_dir, char *dst, size_t n);

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
