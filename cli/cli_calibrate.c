/* cli_calibrate.c - `shardsim calibrate`: measure this host's BLAS and memory
 * and write a device profile (a scenario's nodes[].device object). */
#include <cblas.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "model_calibrate.h"

static const char calibrate_usage[] =
    "Usage: shardsim calibrate [OPTIONS]\n"
    "\n"
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
    "(FLOPs and bytes counted as models/COST_MODEL.md counts them).\n"
    "\n"
    "Options:\n"
    "  --out FILE       also write the device profile to FILE\n"
    "  --threads N      BLAS threads, 1..1024, or 0 for every core (default 1:\n"
    "                   real-mode forward passes run single-threaded)\n"
    "  --rounds N       repeat the measurements N times, 1..100, keeping the best\n"
    "                   of each figure (default 3; the host may be shared)\n"
    "  --quick          small buffers and shapes (seconds; for tests, less exact)\n"
    "  -h, --help       this text\n"
    "\n"
    "Environment: OPENBLAS_CORETYPE forces an OpenBLAS kernel (e.g. Haswell,\n"
    "SkylakeX, Zen); unset, shardsim replaces a generic fallback kernel\n"
    "(Prescott, Core2, Nehalem...) with the best one the CPU supports.\n";

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int parse_int(const char *opt, const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long x = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "shardsim calibrate: %s: expected an integer %ld..%ld, got \"%s\"\n", opt,
                lo, hi, v ? v : "");
        return 0;
    }
    *out = x;
    return 1;
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

int cli_calibrate(int argc, char **argv)
{
    const char *out = NULL;
    long threads = 1, rounds = 3;
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (cli_is_help(argv[i])) {
            fputs(calibrate_usage, stdout);
            return CLI_EX_OK;
        } else if (cli_take(argc, argv, &i, "--out", &v)) {
            if (!v || !*v) {
                fprintf(stderr, "shardsim calibrate: --out: expected a file\n");
                return CLI_EX_USAGE;
            }
            out = v;
        } else if (cli_take(argc, argv, &i, "--threads", &v)) {
            if (!parse_int("--threads", v, 0, 1024, &threads))
                return CLI_EX_USAGE;
        } else if (cli_take(argc, argv, &i, "--rounds", &v)) {
            if (!parse_int("--rounds", v, 1, 100, &rounds))
                return CLI_EX_USAGE;
        } else if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "shardsim calibrate: unknown option \"%s\" (see --help)\n", argv[i]);
            return CLI_EX_USAGE;
        } else {
            fprintf(stderr, "shardsim calibrate: unexpected argument \"%s\" (see --help)\n",
                    argv[i]);
            return CLI_EX_USAGE;
        }
    }

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

    model_calib_cfg cfg = {.now = wall_s, .quick = quick != 0};
    model_calibration best, cur;
    for (long r = 0; r < rounds; r++) {
        if ((st = model_calib_run(&cfg, r ? &cur : &best)) != SS_OK) {
            fprintf(stderr, "shardsim calibrate: %s\n", ss_strerror(st));
            return CLI_EX_SOFTWARE;
        }
        if (r)
            model_calib_merge(&best, &cur);
    }
    for (int i = 0; i < best.n_gemm; i++)
        printf("sgemm %dx%dx%d: %.2f GFLOP/s\n", best.gemm[i].m, best.gemm[i].n, best.gemm[i].k,
               best.gemm[i].rate / 1e9);
    for (int i = 0; i < best.n_gemv; i++)
        printf("sgemv %dx%d (weights out of cache): %.2f GB/s\n", best.gemv[i].n, best.gemv[i].k,
               best.gemv[i].rate / 1e9);
    printf("sgemm_peak: %.2f GFLOP/s\n", best.gemm_peak_flops / 1e9);
    printf("sgemm_typical: %.2f GFLOP/s (median of the transformer shapes)\n",
           best.gemm_typical_flops / 1e9);
    printf("sgemv_typical: %.2f GB/s (median)\n", best.gemv_bytes_per_s / 1e9);
    printf("triad: %.2f GB/s\n", best.triad_bytes_per_s / 1e9);
    printf("memcpy: %.2f GB/s copied\n", best.memcpy_bytes_per_s / 1e9);
    printf("call_overhead: %.3f us\n", best.call_overhead_s * 1e6);
    printf("forward_prefill: %.2f GFLOP/s (%d Llama layers of dim %d, %d tokens)\n",
           best.fwd_prefill_flops_per_s / 1e9, best.fwd_layers, best.fwd_dim,
           best.fwd_prefill_tokens);
    printf("forward_decode: %.2f GB/s (the same layers, one token)\n",
           best.fwd_decode_bytes_per_s / 1e9);
    printf("forward_attention: %.3f ns per head and position (%d heads, %d tokens at "
           "position %d minus at 0)\n",
           best.fwd_attn_s_per_head_pos * 1e9, best.fwd_heads, best.attn_probe_rows,
           best.attn_probe_ctx);

    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double memory_gb = pages > 0 && page > 0 ? (double)pages * (double)page / 1e9 : 1.0;
    printf("device: ");
    profile_json(stdout, &best.device, memory_gb);
    if (out) {
        FILE *f = fopen(out, "w");
        if (!f) {
            fprintf(stderr, "shardsim calibrate: %s: %s\n", out, strerror(errno));
            return CLI_EX_CANTCREAT;
        }
        profile_json(f, &best.device, memory_gb);
        if (ferror(f) | (fclose(f) != 0)) {
            fprintf(stderr, "shardsim calibrate: %s: write failed\n", out);
            return CLI_EX_IOERR;
        }
    }
    return CLI_EX_OK;
}
