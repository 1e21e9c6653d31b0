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

static char tmp_dir[96];

const char *test_tmp_make(const char *tag)
{
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/shardsim-%.32sXXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
    return tmp_dir;
}

void test_tmp_remove(void)
{
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_dir);
    ck_assert_int_eq(system(cmd), 0);
}

const char *test_tmp_path(const char *name)
{
    static char buf[4][512]; /* rotating: several paths may be live in one call */
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp_dir, name);
    return buf[k];
}
