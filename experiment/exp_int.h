/* exp_int.h - shared inside experiment/ only. */
#ifndef EXP_INT_H
#define EXP_INT_H

#include <cjson/cJSON.h>

#include "exp_run.h"
#include "scn_scenario.h"
#include "scn_sweep.h"

/* The JSON a measured run's key hashes: {"<what>": fields, "scenario": the
 * scenario's canonical JSON}, printed unformatted into an ss_malloc'd string
 * (the caller's to ss_free). Takes ownership of `fields` (deleted in every
 * case). NULL when out of memory. */
char *exp_key_json(const scn_scenario *s, const char *what, cJSON *fields);

/* dst = "<dir>/<rel>" (dst has EXP_PATH_MAX bytes). Status: SS_OK;
 * SS_ERANGE (too long, err names the path). */
ss_status exp_join(char *dst, const char *dir, const char *rel, char *err, size_t errlen);

/* Register sweep `sw` in `db` or find it (exp_sweep.c): *id its id.
 * SS_ESCHEMA as exp_sweep_run's (the name stored with other axes). */
ss_status exp_sweep_register_db(const scn_sweep *sw, ana_db *db, int64_t *id, char *err,
                                size_t errlen);

#endif
