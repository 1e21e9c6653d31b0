/* fuzz_main.c - replays inputs through a harness without libFuzzer.
 *
 * Usage: fuzz_<name>_replay FILE|DIR ...  Every regular file named (and every
 * regular file directly inside a named folder, in name order) is read and
 * passed to LLVMFuzzerTestOneInput once. Built with the normal compiler, it
 * is the smoke test `make test` runs on the seed corpus and the regression
 * files (tests/bad/fuzz/); under the ASan build it checks them for memory
 * errors too. Exit 0 when every input ran, 1 when an argument is unreadable
 * or names no input at all (a misconfigured test must not pass silently).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    int bad = ferror(f) || !buf;
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: read failed\n", path);
        free(buf);
        return -1;
    }
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 1;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
    long n_inputs = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (!S_ISDIR(sb.st_mode)) {
            if (run_file(argv[i]) < 0)
                return 1;
            n_inputs++;
            continue;
        }
        struct dirent **list;
        int n = scandir(argv[i], &list, NULL, by_name);
        if (n < 0) {
            perror(argv[i]);
            return 1;
        }
        int failed = 0;
        for (int k = 0; k < n; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], list[k]->d_name);
            if (!failed && stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
                if (run_file(path) < 0)
                    failed = 1;
                else
                    n_inputs++;
            }
            free(list[k]);
        }
        free(list);
        if (failed)
            return 1;
    }
    printf("%ld inputs replayed\n", n_inputs);
    return n_inputs > 0 ? 0 : 1;
}
