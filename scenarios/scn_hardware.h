/* scn_hardware.h - devices: the device keys of a scenario node, and device
 * presets (scenarios/hardware/<name>.json) that name them.
 *
 * One device model: an inline device object, a preset file and a preset
 * with overrides are read by the same function (scn_hw_device_parse) into
 * the same numbers (scn_hw_device), resolved for the weight format by the
 * same function (scn_hw_device_resolve) into what a node computes with
 * (scn_device). A preset is named inline numbers: its datasheet peaks and
 * memory (FP32 and dense FP16 FLOP/s, memory in GiB) give peak_tflops and
 * memory_gb, its network class the default links; everything else uses the
 * inline keys. Strict JSON (ss_json.h): unknown keys rejected with "did you
 * mean", numbers range-checked; errors are one line naming the file and
 * JSON path. Fields, units, ranges and sources: scenarios/README.md (the
 * device keys) and scenarios/hardware/README.md (presets).
 */
#ifndef SCN_HARDWARE_H
#define SCN_HARDWARE_H

#include <stddef.h>

#include "scn_scenario.h"
#include "ss_json.h"
#include "ss_status.h"

typedef enum scn_hw_format {
    SCN_HW_FP16,
    SCN_HW_INT8,
    SCN_HW_NF4,
    SCN_HW_N_FORMATS
} scn_hw_format;

typedef struct scn_hw_eff {
    double compute;   /* factor on compute_eff, (0, 2]; 0: not given */
    double bandwidth; /* factor on bw_eff, (0, 2]; 0: not given */
} scn_hw_eff;

/* A device before the weight format is known. SI units. */
typedef struct scn_hw_device {
    double peak_flops;         /* JSON peak_tflops x 1e12 */
    double mem_bw_bytes_per_s; /* JSON mem_bw_gbps x 1e9 */
    double memory_bytes;       /* JSON memory_gb x 1e9 */
    double compute_eff;        /* JSON compute_eff, (0, 1], default 0.5: 16-bit kernels */
    double bw_eff;             /* JSON bw_eff, (0, 1], default 0.7: 16-bit kernels */
    /* JSON format_eff.{int8,nf4}.{compute,bandwidth}: what that format's
     * kernels reach relative to the 16-bit ones; [SCN_HW_FP16] stays 0 (the
     * reference). 0: not given, the model's published default applies. */
    scn_hw_eff format[SCN_HW_N_FORMATS];
    double overhead_s;          /* JSON overhead_ms / 1e3, [0, 1e3] s: per step (call) */
    double block_overhead_s;    /* JSON block_overhead_ms / 1e3, [0, 1e3] s: per block per step */
    double attn_s_per_head_pos; /* JSON attn_ns_per_head_pos / 1e9, default 0 */
} scn_hw_device;

typedef struct scn_hardware {
    char preset[SCN_NAME_MAX];        /* file name without .json */
    char name[128];                   /* display name */
    char kind[8];                     /* "gpu", "cpu" or "soc" */
    double peak_fp32_flops;           /* JSON peak_fp32_tflops x 1e12 */
    double peak_fp16_flops;           /* JSON peak_fp16_tflops x 1e12: dense, tensor cores, FP32 accumulate */
    char network_class[SCN_NAME_MAX]; /* "residential", "prosumer" or "datacenter" */
    double uplink_bytes_per_s;        /* JSON network.uplink_mbps x 1e6 / 8 */
    double downlink_bytes_per_s;      /* JSON network.downlink_mbps x 1e6 / 8 */
    /* the device: peak_flops = max(peak_fp16, peak_fp32) (every format
     * multiplies in 16-bit after dequantising, bitsandbytes-style, or in
     * FP32 where FP16 is slower, e.g. the GTX 1080 Ti), memory_bytes =
     * memory_gib x 2^30, the rest from the inline keys */
    scn_hw_device dev;
    char source[2048];                /* citation of the published specs and figures */
} scn_hardware;

/* "fp16", "int8", "nf4" -> format; SS_ENOTFOUND otherwise. */
ss_status scn_hw_format_parse(const char *name, scn_hw_format *out);

typedef enum scn_hw_mode {
    SCN_HW_INLINE,   /* an inline device: peak_tflops, mem_bw_gbps, memory_gb required */
    SCN_HW_OVERRIDE, /* {"preset": NAME, ...}: every key optional, *dev holds the preset */
    SCN_HW_PRESET,   /* a preset file: the caller reads peaks and memory; compute_eff,
                      * bw_eff, overhead_ms, block_overhead_ms and format_eff with both
                      * formats, both factors and a source each are required */
} scn_hw_mode;

/* The defaults of an inline device: compute_eff 0.5, bw_eff 0.7, the rest 0. */
void scn_hw_device_defaults(scn_hw_device *dev);

/* The device keys of object `obj` at JSON path `path` into *dev (absent
 * optional keys keep *dev's values). Keys other than the device keys and
 * the `n_extra` names in `extra` are rejected. SS_ESCHEMA, SS_ERANGE. */
ss_status scn_hw_device_parse(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                              scn_hw_mode mode, const char *const *extra, size_t n_extra,
                              scn_hw_device *dev);

/* What a node computes with, for model.weights `weights` ("fp32", "fp16",
 * "bf16" use the 16-bit figures; "int8", "nf4" their format_eff): every
 * cost field of *out (preset name and links untouched). */
void scn_hw_device_resolve(const scn_hw_device *dev, const char *weights, scn_device *out);

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

#endif
