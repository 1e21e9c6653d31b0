/* check_util.c - helpers shared by the Check suites (declared in test_util.h). */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "scn_scenario.h"
#include "test_util.h"

ss_status test_scn_vload(scn_scenario *s, char *err, size_t errlen, const char *fmt, va_list ap)
{
    char dir[] = "/tmp/shardsim-testXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/s.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    vfprintf(f, fmt, ap);
    fclose(f);
    ss_status st = scn_load(path, NULL, 0, s, err, errlen);
    remove(path);
    rmdir(dir);
    return st;
}
