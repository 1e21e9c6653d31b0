/* bench_comp.c - codec throughput next to memcpy, measured in the same run.
 *
 * For each codec: encode + decode of a 16 MiB float32 tensor (1024 x 4096,
 * N(0, 1) from a fixed seed), GB/s = input bytes / (best encode time + best
 * decode time), and the ratio to memcpy of the same 16 MiB buffer. The
 * low-rank codecs run on a 512 x 512 matrix (an SVD of the 16 MiB one would
 * take minutes); their ratio still divides by the 16 MiB memcpy figure.
 * Wall-clock time is fine here: benchmarks never feed simulation results.
 * Output, one line per figure: "comp_<codec>_vs_memcpy: <ratio>" and
 * "comp_<codec>_gbps: <GB/s> GB/s (encode <e> GB/s, decode <d> GB/s)".
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "comp.h"
#include "ss_alloc.h"

#define REPS 7

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the host is shared */
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void fill_normal(float *x, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        double u1 = ((double)(splitmix(&seed) >> 11) + 0.5) * 0x1p-53;
        double u2 = ((double)(splitmix(&seed) >> 11) + 0.5) * 0x1p-53;
        x[i] = (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
    }
}

/* Best of REPS for encode, for decode, and for a memcpy of the 16 MiB
 * buffer (mx -> my) run in the same repetitions: the machine is shared, so
 * the reference is measured under the same load as the codec. */
static int time_codec(const char *spec, const float *x, size_t rows, size_t cols, float *y,
                      const float *mx, float *my, size_t mn, double *t_enc, double *t_dec,
                      double *t_mem, size_t *bytes)
{
    comp_codec c;
    char err[256];
    uint64_t cap;
    if (comp_codec_parse(spec, &c, err, sizeof err) != SS_OK ||
        comp_wire_bytes_max(&c, rows, cols, &cap) != SS_OK) {
        fprintf(stderr, "bench_comp: %s: %s\n", spec, err);
        return 1;
    }
    uint8_t *buf = ss_malloc(cap);
    if (!buf)
        return 1;
    *t_enc = *t_dec = *t_mem = INFINITY;
    size_t len = 0;
    for (int r = 0; r < REPS; r++) {
        double tm = now_s();
        memcpy(my, mx, mn * sizeof(float));
        *t_mem = fmin(*t_mem, now_s() - tm);
        double t0 = now_s();
        ss_status st = comp_encode(&c, x, rows, cols, buf, cap, &len, err, sizeof err);
        double t1 = now_s();
        if (st == SS_OK)
            st = comp_decode(&c, buf, len, rows, cols, y, err, sizeof err);
        double t2 = now_s();
        if (st != SS_OK) {
            fprintf(stderr, "bench_comp: %s: %s\n", spec, err);
            ss_free(buf);
            return 1;
        }
        *t_enc = fmin(*t_enc, t1 - t0);
        *t_dec = fmin(*t_dec, t2 - t1);
    }
    *bytes = len;
    ss_free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    const size_t rows = 1024, cols = 4096, n = rows * cols; /* 16 MiB of float32 */
    const size_t lr = 512;                                   /* low-rank matrix side */
    float *x = ss_malloc_array(n, sizeof(float)), *y = ss_malloc_array(n, sizeof(float));
    float *z = ss_malloc_array(n, sizeof(float)); /* memcpy target */
    if (!x || !y || !z)
        return 1;
    fill_normal(x, n, 42);
    memset(y, 0, n * sizeof(float));
    memset(z, 0, n * sizeof(float));

    double t_mem = INFINITY;
    for (int r = 0; r < REPS; r++) {
        double t0 = now_s();
        memcpy(z, x, n * sizeof(float));
        t_mem = fmin(t_mem, now_s() - t0);
    }
    double bytes_in = (double)(n * sizeof(float));
    printf("memcpy_gbps: %.3f GB/s (16 MiB)\n", bytes_in / t_mem / 1e9);

    static const struct {
        const char *spec, *label;
        int lowrank;
    } codecs[] = {
        {"fp32", "fp32", 0},
        {"fp16", "fp16", 0},
        {"bf16", "bf16", 0},
        {"blockwise8", "blockwise8", 0},
        {"int8", "int8", 0},
        {"int4", "int4", 0},
        {"nf4", "nf4", 0},
        {"llm-int8", "llm_int8", 0},
        {"lowrank:32", "lowrank", 1},
        {"lowrank-sparse:32", "lowrank_sparse", 1},
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof codecs / sizeof codecs[0]; i++) {
        /* `bench_comp SPEC...` measures only the codecs named */
        int wanted = argc < 2;
        for (int a = 1; a < argc; a++)
            wanted |= strcmp(argv[a], codecs[i].spec) == 0;
        if (!wanted)
            continue;
        size_t r = codecs[i].lowrank ? lr : rows, c = codecs[i].lowrank ? lr : cols;
        double te, td, tm;
        size_t len;
        if (time_codec(codecs[i].spec, x, r, c, y, x, z, n, &te, &td, &tm, &len)) {
            rc = 1;
            continue;
        }
        double in = (double)(r * c * sizeof(float));
        double gbps = in / (te + td) / 1e9, mem_gbps = bytes_in / tm / 1e9;
        printf("comp_%s_vs_memcpy: %.3f\n", codecs[i].label, gbps / mem_gbps);
        printf("comp_%s_gbps: %.3f GB/s (encode %.3f GB/s, decode %.3f GB/s, memcpy %.3f "
               "GB/s, %zux%zu, %.3f bytes/value)\n",
               codecs[i].label, gbps, in / te / 1e9, in / td / 1e9, mem_gbps, r, c,
               (double)len / (double)(r * c));
    }
    ss_free(x);
    ss_free(y);
    ss_free(z);
    return rc;
}
