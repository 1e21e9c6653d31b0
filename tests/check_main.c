/* check_main.c - the one Check runner. `shardsim_tests` runs every suite;
 * `shardsim_tests NAME...` runs the named ones (CTest runs one per test). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#define SS_SUITE(name) Suite *name##_suite(void);
#include "suites.def"
#undef SS_SUITE

static const struct {
    const char *name;
    Suite *(*make)(void);
} suites[] = {
#define SS_SUITE(name) {#name, name##_suite},
#include "suites.def"
#undef SS_SUITE
};

int main(int argc, char **argv)
{
    SRunner *sr = srunner_create(NULL);
    size_t n = sizeof suites / sizeof suites[0];
    int added = 0;
    for (size_t i = 0; i < n; i++) {
        int want = argc < 2;
        for (int a = 1; a < argc; a++)
            if (strcmp(argv[a], suites[i].name) == 0)
                want = 1;
        if (want) {
            srunner_add_suite(sr, suites[i].make());
            added++;
        }
    }
    if (!added) {
        fprintf(stderr, "shardsim_tests: no such suite\n");
        srunner_free(sr);
        return 2;
    }
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
