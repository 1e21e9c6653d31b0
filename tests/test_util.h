/* test_util.h - paths shared by the Check suites. */
#ifndef SS_TEST_UTIL_H
#define SS_TEST_UTIL_H

/* SS_SOURCE_DIR and SS_SHARED_DIR come from tests/CMakeLists.txt. */
#define SS_ASSET(rel) SS_SHARED_DIR "/assets/" rel
#define SS_SRC(rel) SS_SOURCE_DIR "/" rel

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "scn_scenario.h"

/* Simulate `scenario` (seed replaced when `seed` is not NULL; every request's
 * route kept), store it in the database at `db_path` under `version` and
 * write its determinism digest (ana_run_digest) to hex. Check assertions on
 * any failure. Defined in check_run.c. */
void test_store_digest(const char *scenario, const char *db_path, const uint64_t *seed,
                       const char *version, double wall_s, char hex[65]);

/* Load the scenario text printf(fmt, ap) through a temporary file (scn_load
 * reads files; the scenario may name no relative path). Returns scn_load's
 * status, err its message; the file and its folder are removed. */
ss_status test_scn_vload(scn_scenario *s, char *err, size_t errlen, const char *fmt, va_list ap);

/* A suite's temporary folder: /tmp/shardsim-TAGXXXXXX made (its path
 * returned), removed with everything in it, and paths inside it (four
 * rotating buffers, so a call may hold several). One at a time. */
const char *test_tmp_make(const char *tag);
void test_tmp_remove(void);
const char *test_tmp_path(const char *name);

#endif
