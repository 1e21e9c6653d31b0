/* scn_hardware.h - device presets: scenarios/hardware/<name>.json.
 *
 * A preset is plain data about one device class (fields, units and sources
 * in scenarios/hardware/README.md): peak FP32 and dense FP16 FLOP/s, memory
 * bandwidth and size, a typical network class with up/down rates, and per
 * weight format (fp16, int8, nf4) the fraction of peak compute and of
 * memory bandwidth that kernels reach in practice. Read with the strict
 * JSON layer (ss_json.h): every key required, unknown keys rejected with
 * "did you mean", numbers range-checked; errors are one line naming the
 * file and JSON path. Loaded values are converted to SI units.
 */
#ifndef SCN_HARDWARE_H
#define SCN_HARDWARE_H

#include <stddef.h>

#include "scn_scenario.h"
#include "ss_status.h"

typedef enum scn_hw_format {
    SCN_HW_FP16,
    SCN_HW_INT8,
    SCN_HW_NF4,
    SCN_HW_N_FORMATS
} scn_hw_format;

typedef struct scn_hw_eff {
    double compute;   /* fraction of peak FLOP/s reached, (0, 1] */
    double bandwidth; /* fraction of memory bandwidth reached, (0, 1] */
} scn_hw_eff;

typedef struct scn_hardware {
    char preset[SCN_NAME_MAX];        /* file name without .json */
    char name[128];                   /* display name */
    char kind[8];                     /* "gpu", "cpu" or "soc" */
    double peak_fp32_flops;           /* JSON peak_fp32_tflops x 1e12 */
    double peak_fp16_flops;           /* JSON peak_fp16_tflops x 1e12: dense, tensor cores, FP32 accumulate */
    double mem_bw_bytes_per_s;        /* JSON mem_bw_gbps x 1e9 */
    double memory_bytes;              /* JSON memory_gib x 2^30 */
    char network_class[SCN_NAME_MAX]; /* "residential", "prosumer" or "datacenter" */
    double uplink_bytes_per_s;        /* JSON network.uplink_mbps x 1e6 / 8 */
    double downlink_bytes_per_s;      /* JSON network.downlink_mbps x 1e6 / 8 */
    scn_hw_eff eff[SCN_HW_N_FORMATS]; /* JSON efficiency.{fp16,int8,nf4} */
    char source[1024];                /* citation of the published specs */
} scn_hardware;

/* "fp16", "int8", "nf4" -> format; SS_ENOTFOUND otherwise. */
ss_status scn_hw_format_parse(const char *name, scn_hw_format *out);

/* Load `dir`/`name`.json into *out (zeroed on error). `name` must be 1..63
 * bytes of [a-z0-9._-], not starting with '.' or '-'. Unknown names give
 * SS_ENOTFOUND: "unknown device preset \"x\" (known: a, b, ...)" with the
 * sorted listing of dir's *.json files. Other errors: SS_EINVAL (bad name),
 * SS_EIO, SS_EPARSE, SS_ESCHEMA, SS_ERANGE, SS_ENOMEM. */
ss_status scn_hardware_load(const char *dir, const char *name, scn_hardware *out, char *err,
                            size_t errlen);

/* Sorted preset names of `dir` (*.json without the extension), as one
 * ", "-separated string in dst (truncated with "..." if it does not fit).
 * Returns the number of presets, or -1 if the directory cannot be read. */
int scn_hardware_list(const char *dir, char *dst, size_t dstsize);

/* What a kernel for weight format `f` reaches on this device:
 * flops = max(peak_fp16, peak_fp32) x eff[f].compute (all three formats
 * compute in 16-bit after dequantisation, bitsandbytes-style, and fall back
 * to FP32 where FP16 is slower, e.g. the GTX 1080 Ti);
 * bytes/s = mem_bw x eff[f].bandwidth. */
void scn_hardware_effective(const scn_hardware *hw, scn_hw_format f, double *flops,
                            double *bytes_per_s);

#endif
