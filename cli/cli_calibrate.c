/* cli_calibrate.c - `shardsim calibrate`: measure this host's BLAS and memory
 * and write a device profile (a scenario's nodes[].device object). */
#include <cblas.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stddef.h>

#include "cli.h"
#include "model_calibrate.h"

typedef struct calibrate_args {
    const char *out;
    long threads, rounds;
    int quick;
} calibrate_args;

static const cli_opt calibrate_opts[] = {
    CLI_OPTION("--out", NULL, CLI_PATH, offsetof(calibrate_args, out), "FILE",
     "also write the device profile to FILE", .expect = "a file"),
    CLI_OPTION("--threads", NULL, CLI_INT, offsetof(calibrate_args, threads), "N",
     "BLAS threads, 1..1024, or 0 for every core (default 1:\n"
     "real-mode forward passes run single-threaded)", .lo = 0, .hi = 1024),
    CLI_OPTION("--rounds", NULL, CLI_INT, offsetof(calibrate_args, rounds), "N",
     "repeat the measurements N times, 1..100, keeping the best\n"
     "of each figure (default 3; the host may be shared)", .lo = 1, .hi = 100),
    CLI_OPTION("--quick", NULL, CLI_FLAG, offsetof(calibrate_args, quick), NULL,
     "small buffers and shapes (seconds; for tests, less exact)"),
};

static const cli_cmd calibrate_cmd = {
    .name = "calibrate",
    .synopsis = "[OPTIONS]",
    .description =
        "Measure this host: sgemm throughput over square and transformer-shaped\n"
        "products, sgemv throughput on weights that do not fit in any cache,\n"
        "memory bandwidth (STREAM triad, memcpy), the overhead of one BLAS call, and\n"
        "a real forward pass (prefill and decode) of one reference Llama layer.\n"
        "The OpenBLAS kernel is checked against a naive reference multiply first.\n"
        "Prints every figure with the kernel name, then the device profile: a JSON\n"
        "object with the fields of a scenario's nodes[].device (peak_tflops,\n"
        "mem_bw_gbps, memory_gb, compute_eff, bw_eff, overhead_ms,\n"
        "attn_ns_per_head_pos) that can be pasted\n"
        "into a scenario: peak_tflops is the best sgemm, mem_bw_gbps the best of\n"
        "triad and sgemv; peak_tflops * compute_eff is what the reference prefill\n"
        "reached and mem_bw_gbps * bw_eff what the reference decode step reached\n"
        "(FLOPs and bytes counted as models/COST_MODEL.md counts them).\n",
    .opts = calibrate_opts,
    .n_opts = sizeof calibrate_opts / sizeof calibrate_opts[0],
    .noun = "argument",
    .max_pos = 0,
    .epilogue = "Environment: OPENBLAS_CORETYPE forces an OpenBLAS kernel (e.g. Haswell,\n"
                "SkylakeX, Zen); unset, shardsim replaces a generic fallback kernel\n"
                "(Prescott, Core2, Nehalem...) with the best one the CPU supports.\n",
};

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void profile_json(FILE *f, const model_device *d, double memory_gb)
{
    fprintf(f,
            "{\n"
            "  \"peak_tflops\": %.6g,\n"
            "  \"mem_bw_gbps\": %.6g,\n"
            "  \"memory_gb\": %.6g,\n"
            "  \"compute_eff\": %.6g,\n"
            "  \"bw_eff\": %.6g,\n"
            "  \"overhead_ms\": %.6g,\n"
            "  \"attn_ns_per_head_pos\": %.6g\n"
            "}\n",
            d->peak_flops / 1e12, d->mem_bw_bytes_per_s / 1e9, memory_gb, d->compute_eff,
            d->bw_eff, d->overhead_s * 1e3, d->attn_s_per_head_pos * 1e9);
}

/* Threads, the kernel's name and its reference check: -1 to go on, else an exit code. */
static int blas_setup(long threads)
{
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? n : 1;
    }
    openblas_set_num_threads((int)threads);
    const char *fallback = getenv(CLI_BLAS_FALLBACK_ENV);
    const char *forced = getenv("OPENBLAS_CORETYPE");
    printf("blas_core: %s", openblas_get_corename());
    if (fallback && *fallback)
        printf(" (chosen by shardsim from the CPU's features; OpenBLAS picked %s)\n", fallback);
    else if (forced && *forced)
        printf(" (OPENBLAS_CORETYPE=%s)\n", forced);
    else
        printf(" (chosen by OpenBLAS)\n");
    printf("blas_threads: %ld\n", threads);
    double verr = 0;
    ss_status st = model_blas_verify(model_blas_gemm, 1e-4, &verr);
    if (st == SS_ENOMEM) {
        fprintf(stderr, "shardsim calibrate: out of memory\n");
        return CLI_EX_SOFTWARE;
    }
    printf("blas_verify: %s (max relative error %.3g, tolerance 1e-04)\n",
           st == SS_OK ? "ok" : "FAILED", verr);
    if (st != SS_OK) {
        fprintf(stderr, "shardsim calibrate: the OpenBLAS kernel %s gives wrong results "
                        "(set OPENBLAS_CORETYPE to another kernel)\n", openblas_get_corename());
        return CLI_EX_SOFTWARE;
    }
    return -1;
}

static void print_figures(const model_calibration *best)
{
    for (int i = 0; i < best->n_gemm; i++)
        printf("sgemm %dx%dx%d: %.2f GFLOP/s\n", best->gemm[i].m, best->gemm[i].n,
               best->gemm[i].k, best->gemm[i].rate / 1e9);
    for (int i = 0; i < best->n_gemv; i++)
        printf("sgemv %dx%d (weights out of cache): %.2f GB/s\n", best->gemv[i].n,
               best->gemv[i].k, best->gemv[i].rate / 1e9);
    printf("sgemm_peak: %.2f GFLOP/s\n", best->gemm_peak_flops / 1e9);
    printf("sgemm_typical: %.2f GFLOP/s (median of the transformer shapes)\n",
           best->gemm_typical_flops / 1e9);
    printf("sgemv_typical: %.2f GB/s (median)\n", best->gemv_bytes_per_s / 1e9);
    printf("triad: %.2f GB/s\n", best->triad_bytes_per_s / 1e9);
    printf("memcpy: %.2f GB/s copied\n", best->memcpy_bytes_per_s / 1e9);
    printf("call_overhead: %.3f us\n", best->call_overhead_s * 1e6);
    printf("forward_prefill: %.2f GFLOP/s (%d Llama layers of dim %d, %d tokens)\n",
           best->fwd_prefill_flops_per_s / 1e9, best->fwd_layers, best->fwd_dim,
           best->fwd_prefill_tokens);
    printf("forward_decode: %.2f GB/s (the same layers, one token)\n",
           best->fwd_decode_bytes_per_s / 1e9);
    printf("forward_attention: %.3f ns per head and position (%d heads, %d tokens at "
           "position %d minus at 0)\n",
           best->fwd_attn_s_per_head_pos * 1e9, best->fwd_heads, best->attn_probe_rows,
           best->attn_probe_ctx);
}

/* The profile on stdout and, with --out, in that file. */
static int write_profile(const model_device *dev, const char *out)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double memory_gb = pages > 0 && page > 0 ? (double)pages * (double)page / 1e9 : 1.0;
    printf("device: ");
    profile_json(stdout, dev, memory_gb);
    if (!out)
        return CLI_EX_OK;
    FILE *f = fopen(out, "w");
    if (!f) {
        fprintf(stderr, "shardsim calibrate: %s: %s\n", out, strerror(errno));
        return CLI_EX_CANTCREAT;
    }
    profile_json(f, dev, memory_gb);
    if (ferror(f) | (fclose(f) != 0)) {
        fprintf(stderr, "shardsim calibrate: %s: write failed\n", out);
        return CLI_EX_IOERR;
    }
    return CLI_EX_OK;
}

static int calibrate(const calibrate_args *a)
{
    int rc = blas_setup(a->threads);
    if (rc >= 0)
        return rc;
    model_calib_cfg cfg = {.now = wall_s, .quick = a->quick != 0};
    model_calibration best, cur;
    for (long r = 0; r < a->rounds; r++) {
        ss_status st = model_calib_run(&cfg, r ? &cur : &best);
        if (st != SS_OK) {
            fprintf(stderr, "shardsim calibrate: %s\n", ss_strerror(st));
            return CLI_EX_SOFTWARE;
        }
        if (r)
            model_calib_merge(&best, &cur);
    }
    print_figures(&best);
    return write_profile(&best.device, a->out);
}

int cli_calibrate(int argc, char **argv)
{
    calibrate_args a = {.threads = 1, .rounds = 3};
    cli_parsed p;
    int rc = cli_parse(&calibrate_cmd, argc, argv, &a, &p);
    cli_parsed_fini(&p);
    return rc < 0 ? calibrate(&a) : rc;
}
