/* check_hardware.c - device presets: every shipped preset loads with sourced
 * per-format factors, units are converted, memory bandwidths agree with bus width x data rate, unknown
 * names list the known ones, bad files are rejected naming the JSON path. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scn_hardware.h"
#include "ss_alloc.h"
#include "test_util.h"

#define HW SS_SRC("scenarios/hardware")

static const char *const shipped[] = {"a100-80gb",   "apple-m2-max", "cpu-8core", "cpu-laptop", "gtx-1080-ti",
                                      "h100-sxm",    "rtx-2080-ti",  "rtx-3060-12gb", "rtx-3090",
                                      "rtx-4090",    "rtx-a4000",    "rtx-a5000",  "t4"};
#define N_SHIPPED (sizeof shipped / sizeof shipped[0])

static void load_ok(const char *name, scn_hardware *hw)
{
    char err[1024] = "";
    ss_status st = scn_hardware_load(HW, name, hw, err, sizeof err);
    ck_assert_msg(st == SS_OK, "%s: %s", name, err);
}

START_TEST(test_every_shipped_preset_loads_with_a_source)
{
    scn_hardware hw;
    load_ok(shipped[_i], &hw);
    ck_assert_str_eq(hw.preset, shipped[_i]);
    ck_assert_uint_gt(strlen(hw.source), 40);
    ck_assert(hw.peak_fp32_flops > 1e11 && hw.dev.mem_bw_bytes_per_s > 1e10);
    ck_assert(hw.dev.memory_bytes >= 8.0 * 1073741824.0);
    ck_assert(hw.dev.compute_eff > 0 && hw.dev.compute_eff <= 1);
    ck_assert(hw.dev.bw_eff > 0 && hw.dev.bw_eff <= 1);
    /* 16-bit is the reference: no factor of its own */
    ck_assert(hw.dev.format[SCN_HW_FP16].compute == 0 && hw.dev.format[SCN_HW_FP16].bandwidth == 0);
    for (int f = SCN_HW_INT8; f < SCN_HW_N_FORMATS; f++) {
        ck_assert(hw.dev.format[f].compute > 0 && hw.dev.format[f].compute <= 2);
        ck_assert(hw.dev.format[f].bandwidth > 0 && hw.dev.format[f].bandwidth <= 2);
        /* what the kernels reach stays a fraction of the peaks */
        ck_assert(hw.dev.compute_eff * hw.dev.format[f].compute <= 1);
        ck_assert(hw.dev.bw_eff * hw.dev.format[f].bandwidth <= 1);
    }
    ck_assert(hw.dev.overhead_s >= 0 && hw.dev.block_overhead_s >= 0);
}
END_TEST

/* RTX 3090 as written: 35.58 TFLOPS FP32, 71 FP16, 936 GB/s, 24 GiB,
 * residential 40 / 300 Mbit/s = 5e6 / 37.5e6 bytes/s. */
START_TEST(test_rtx_3090_units_are_converted)
{
    scn_hardware hw;
    load_ok("rtx-3090", &hw);
    ck_assert_double_eq_tol(hw.peak_fp32_flops, 35.58e12, 1e3);
    ck_assert_double_eq_tol(hw.peak_fp16_flops, 71e12, 1e3);
    ck_assert_double_eq(hw.dev.mem_bw_bytes_per_s, 936e9);
    ck_assert_double_eq(hw.dev.memory_bytes, 24.0 * 1024 * 1024 * 1024);
    ck_assert_double_eq(hw.dev.peak_flops, 71.0 * 1e12); /* the faster peak, as inline 71 gives */
    ck_assert_str_eq(hw.network_class, "residential");
    ck_assert_double_eq(hw.uplink_bytes_per_s, 5e6);
    ck_assert_double_eq(hw.downlink_bytes_per_s, 37.5e6);
    ck_assert_str_eq(hw.kind, "gpu");
    /* the file's figures, read as written (sources in the file) */
    ck_assert_double_eq(hw.dev.compute_eff, 0.6);
    ck_assert_double_eq(hw.dev.bw_eff, 0.8);
    ck_assert_double_eq(hw.dev.format[SCN_HW_INT8].compute, 0.82);
    ck_assert_double_eq(hw.dev.format[SCN_HW_INT8].bandwidth, 0.406);
    ck_assert_double_eq(hw.dev.format[SCN_HW_NF4].compute, 1.0);
    ck_assert_double_eq(hw.dev.format[SCN_HW_NF4].bandwidth, 0.901);
    ck_assert_double_eq(hw.dev.overhead_s, 0);
    ck_assert_double_eq(hw.dev.block_overhead_s, 0.1 / 1e3);
    scn_device d;
    scn_hw_device_resolve(&hw.dev, "nf4", &d);
    ck_assert(d.format_compute_eff == 1.0 && d.format_bw_eff == 0.901);
    scn_hw_device_resolve(&hw.dev, "fp32", &d); /* the 16-bit figures: the model's factor 1 */
    ck_assert(d.format_compute_eff == 0 && d.format_bw_eff == 0 && d.peak_flops == 71e12);
}
END_TEST

/* GDDR bandwidth = bus width (bits) x per-pin data rate (Gbit/s) / 8:
 * 1080 Ti 352 x 11 / 8 = 484; 2080 Ti 352 x 14 / 8 = 616;
 * 3060 192 x 15 / 8 = 360; 3090 384 x 19.5 / 8 = 936; 4090 384 x 21 / 8 = 1008;
 * A4000 256 x 14 / 8 = 448; A5000 384 x 16 / 8 = 768; T4 256 x 10 / 8 = 320.
 * DDR4-3200 dual channel: 2 x 64 bit x 3.2 GT/s / 8 = 51.2. */
START_TEST(test_memory_bandwidth_is_bus_width_times_data_rate)
{
    static const struct {
        const char *name;
        double bits, gbps;
    } t[] = {{"gtx-1080-ti", 352, 11},  {"rtx-2080-ti", 352, 14}, {"rtx-3060-12gb", 192, 15},
             {"rtx-3090", 384, 19.5},   {"rtx-4090", 384, 21},    {"rtx-a4000", 256, 14},
             {"rtx-a5000", 384, 16},    {"t4", 256, 10},          {"cpu-laptop", 128, 3.2},
             {"cpu-8core", 128, 5.2}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        scn_hardware hw;
        load_ok(t[i].name, &hw);
        ck_assert_msg(hw.dev.mem_bw_bytes_per_s == t[i].bits * t[i].gbps / 8 * 1e9, "%s: %g",
                      t[i].name, hw.dev.mem_bw_bytes_per_s);
    }
}
END_TEST

/* The GTX 1080 Ti's FP16 rate is 1/64 of FP32: kernels use the FP32 peak. */
START_TEST(test_effective_flops_fall_back_to_fp32_when_fp16_is_slower)
{
    scn_hardware hw;
    load_ok("gtx-1080-ti", &hw);
    ck_assert(hw.peak_fp16_flops < hw.peak_fp32_flops / 60);
    ck_assert(hw.dev.peak_flops == hw.peak_fp32_flops);
    scn_hw_format f;
    ck_assert_int_eq(scn_hw_format_parse("nf4", &f), SS_OK);
    ck_assert_int_eq(f, SCN_HW_NF4);
    ck_assert_int_eq(scn_hw_format_parse("fp32", &f), SS_ENOTFOUND);
}
END_TEST

START_TEST(test_unknown_preset_lists_the_sorted_directory)
{
    scn_hardware hw;
    char err[1024];
    ck_assert_int_eq(scn_hardware_load(HW, "rtx-5090", &hw, err, sizeof err), SS_ENOTFOUND);
    char want[1024] = "unknown device preset \"rtx-5090\" (known: ";
    for (size_t i = 0; i < N_SHIPPED; i++) {
        strcat(want, shipped[i]);
        strcat(want, i + 1 < N_SHIPPED ? ", " : ")");
    }
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(scn_hardware_load(HW, "../hardware/rtx-3090", &hw, err, sizeof err),
                     SS_EINVAL);
    ck_assert_int_eq(scn_hardware_load(HW, "", &hw, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(scn_hardware_load(HW, "RTX-3090", &hw, err, sizeof err), SS_EINVAL);
    char list[32];
    ck_assert_int_eq(scn_hardware_list(HW, list, sizeof list), (int)N_SHIPPED);
    ck_assert_str_eq(list, "a100-80gb, apple-m2-max, cpu..."); /* 31 chars + NUL */
}
END_TEST

static const char good[] =
    "{\"name\": \"X\", \"kind\": \"gpu\", \"peak_fp32_tflops\": 1, \"peak_fp16_tflops\": 2,"
    " \"mem_bw_gbps\": 100, \"memory_gib\": 8,"
    " \"network\": {\"class\": \"residential\", \"uplink_mbps\": 10, \"downlink_mbps\": 100},"
    " \"compute_eff\": 0.5, \"bw_eff\": 0.5, \"format_eff\": {"
    " \"int8\": {\"compute\": 0.5, \"bandwidth\": 0.5, \"source\": \"s\"},"
    " \"nf4\": {\"compute\": 0.5, \"bandwidth\": 0.5, \"source\": \"s\"}},"
    " \"overhead_ms\": 0, \"block_overhead_ms\": 0.1, \"source\": \"test\"}";

/* Each case replaces the first occurrence of `from` in `good` by `to`. */
static const struct {
    const char *from, *to, *want;
    ss_status st;
} bad[] = {
    {"", "", NULL, SS_OK},
    {"\"peak_fp32_tflops\"", "\"peak_fp32_tflop\"", "unknown key \"peak_fp32_tflop\" (did you mean \"peak_fp32_tflops\"?)", SS_ESCHEMA},
    {"\"kind\": \"gpu\"", "\"kind\": \"tpu\"", "kind: expected \"gpu\", \"cpu\" or \"soc\", got \"tpu\"", SS_ESCHEMA},
    {"\"mem_bw_gbps\": 100", "\"mem_bw_gbps\": 0", "mem_bw_gbps: expected a positive number", SS_ERANGE},
    {"\"mem_bw_gbps\": 100", "\"mem_bw_gbps\": \"100\"", "mem_bw_gbps", SS_ESCHEMA},
    {"\"int8\": {\"compute\": 0.5", "\"int8\": {\"compute\": 2.5", "format_eff.int8.compute: expected a number in (0, 2], got 2.5", SS_ERANGE},
    {"\"nf4\": {\"compute\": 0.5, ", "\"nf4\": {", "format_eff.nf4.compute: missing required key", SS_ESCHEMA},
    {"\"int8\":", "\"int4\":", "format_eff.int4: unknown key", SS_ESCHEMA},
    {", \"source\": \"s\"}}", "}}", "format_eff.nf4.source: missing required key", SS_ESCHEMA},
    {"\"compute_eff\": 0.5, ", "", "compute_eff: missing required key", SS_ESCHEMA},
    {"\"bw_eff\": 0.5", "\"bw_eff\": 1.5", "bw_eff: expected a number in (0, 1], got 1.5", SS_ERANGE},
    {"\"block_overhead_ms\": 0.1, ", "", "block_overhead_ms: missing required key", SS_ESCHEMA},
    {"\"overhead_ms\": 0", "\"overhead_ms\": -1", "overhead_ms: expected a non-negative number, got -1", SS_ERANGE},
    {"\"peak_fp32_tflops\": 1", "\"peak_tflops\": 1", "unknown key \"peak_tflops\"", SS_ESCHEMA},
    {"\"class\": \"residential\"", "\"class\": \"home\"", "network.class: expected \"residential\"", SS_ESCHEMA},
    {", \"source\": \"test\"", "", "source: missing required key", SS_ESCHEMA},
    {"\"memory_gib\": 8", "\"memory_gib\": 1e999", "line 1", SS_EPARSE},
    {"{\"name\"", "[{\"name\"", "line 1", SS_EPARSE},
};

START_TEST(test_bad_preset_is_rejected_naming_the_json_path)
{
    char dir[] = "/tmp/hw_testXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char text[2048], path[256];
    const char *at = strstr(good, bad[_i].from);
    ck_assert_ptr_nonnull(at);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, bad[_i].to,
             at + strlen(bad[_i].from));
    snprintf(path, sizeof path, "%s/x.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    scn_hardware hw;
    char err[1024] = "";
    ss_status st = scn_hardware_load(dir, "x", &hw, err, sizeof err);
    ck_assert_msg(st == bad[_i].st, "case %d: %s: %s", _i, ss_status_name(st), err);
    if (bad[_i].want) {
        ck_assert_msg(strstr(err, bad[_i].want) != NULL, "case %d: %s", _i, err);
        ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "case %d: %s", _i, err);
        ck_assert_str_eq(hw.preset, "");
    } else {
        ck_assert_double_eq(hw.dev.memory_bytes, 8.0 * 1073741824.0);
        ck_assert_double_eq(hw.dev.peak_flops, 2e12);
        ck_assert_double_eq(hw.dev.block_overhead_s, 0.1 / 1e3);
    }
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_every_allocation_failure_is_clean)
{
    int ok = 0;
    for (long n = 0; n < 200 && !ok; n++) {
        scn_hardware hw;
        char err[1024] = "";
        ss_alloc_fail_after(n);
        ss_status st = scn_hardware_load(HW, "rtx-4090", &hw, err, sizeof err);
        ss_alloc_fail_after(-1);
        if (st == SS_OK)
            ok = 1;
        else
            ck_assert_int_eq(st, SS_ENOMEM);
    }
    ck_assert(ok);
}
END_TEST

Suite *hardware_suite(void)
{
    Suite *s = suite_create("hardware");
    TCase *t = tcase_create("hardware");
    tcase_add_loop_test(t, test_every_shipped_preset_loads_with_a_source, 0, (int)N_SHIPPED);
    tcase_add_test(t, test_rtx_3090_units_are_converted);
    tcase_add_test(t, test_memory_bandwidth_is_bus_width_times_data_rate);
    tcase_add_test(t, test_effective_flops_fall_back_to_fp32_when_fp16_is_slower);
    tcase_add_test(t, test_unknown_preset_lists_the_sorted_directory);
    tcase_add_loop_test(t, test_bad_preset_is_rejected_naming_the_json_path, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    tcase_add_test(t, test_every_allocation_failure_is_clean);
    suite_add_tcase(s, t);
    return s;
}
