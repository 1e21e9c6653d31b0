/* test_util.h - paths shared by the Check suites. */
#ifndef SS_TEST_UTIL_H
#define SS_TEST_UTIL_H

/* SS_SOURCE_DIR and SS_SHARED_DIR come from tests/CMakeLists.txt. */
#define SS_ASSET(rel) SS_SHARED_DIR "/assets/" rel
#define SS_SRC(rel) SS_SOURCE_DIR "/" rel

#endif
