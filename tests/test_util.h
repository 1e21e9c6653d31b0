/* test_util.h - paths shared by the Check suites. */
#ifndef SS_TEST_UTIL_H
#define SS_TEST_UTIL_H

/* SS_SOURCE_DIR and SS_SHARED_DIR come from tests/CMakeLists.txt. */
#define SS_ASSET(rel) SS_SHARED_DIR "/assets/" rel
#define SS_SRC(rel) SS_SOURCE_DIR "/" rel

#include <stdint.h>

/* Simulate `scenario` (seed replaced when `seed` is not NULL; every request's
 * route kept), store it in the database at `db_path` under `version` and
 * write its determinism digest (ana_run_digest) to hex. Check assertions on
 * any failure. Defined in check_run.c. */
void test_store_digest(const char *scenario, const char *db_path, const uint64_t *seed,
                       const char *version, double wall_s, char hex[65]);

#endif
