/* check_world.c - the heterogeneous world against theory and hand counts:
 * churn availability, trace replay, continuous batching cost, gamma and
 * closed-loop arrivals, one device model (a preset and the same numbers
 * inline cost the same, bit for bit). Scenarios are written to a temporary
 * folder. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_cost.h"
#include "model_desc.h"
#include "scn_hardware.h"
#include "scn_scenario.h"
#include "sim_run.h"
#include "sim_world.h"
#include "ss_json.h"
#include "dset_trace.h"
#include "test_util.h"

#define REL(a, b) (fabs((a) - (b)) <= 1e-9 * fabs(b))

static const sim_run_opts opts = {.presets_dir = SS_SRC("models/presets"), .keep_routes = 0,
                                  .assets_dir = SS_SHARED_DIR "/assets"};

/* Load `json` as a scenario file and run it. */
static void run_json(const char *json, sim_results *r)
{
    char dir[] = "/tmp/shardsim-worldXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/s.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(json, f);
    fclose(f);
    scn_scenario s;
    ck_assert_msg(scn_load(path, NULL, 0, &s, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_msg(sim_run(&s, &opts, r, err, sizeof err) == SS_OK, "%s", err);
    scn_scenario_fini(&s);
    remove(path);
    rmdir(dir);
}

/* Up ~ Exp(mean 100 s), down ~ Exp(mean 25 s): availability
 * MTBF / (MTBF + MTTR) = 0.8. About 16,000 cycles give a standard error of
 * about 0.2 %. Poisson arrivals see time averages (PASTA), so the share of
 * requests that find the only node down, and wait for it with backoff
 * (retries > 0; a failure during a 10 ms service is ~1e-4 as likely), is
 * 1 - 0.8 too. The routers see the truth here: with announced records a
 * node that comes back is invisible until its next announcement. */
START_TEST(test_node_availability_under_churn_is_mtbf_over_mtbf_plus_mttr)
{
    sim_results r;
    run_json("{\"version\": 1, \"seed\": 4, \"horizon_s\": 2000000,\n"
             " \"model\": {\"synthetic\": {\"n_blocks\": 1, \"service_time_s\": 0.01}},\n"
             " \"nodes\": [{\"name\": \"n\", \"device\": {\"peak_tflops\": 1, \"mem_bw_gbps\": 1,"
             " \"memory_gb\": 1}, \"churn\": {\"up_s\": {\"exponential\": {\"mean\": 100}},"
             " \"down_s\": {\"exponential\": {\"mean\": 25}}}}],\n"
             " \"routing\": {\"view\": \"truth\"},\n"
             " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 0.02}},"
             " \"n_requests\": 100000000, \"prompt_tokens\": 1, \"output_tokens\": 1},\n"
             " \"record\": {\"level\": \"summary\"}}\n",
             &r);
    double avail = 1.0 - (double)r.nodes[0].down_ns / (double)r.end_ns;
    ck_assert_msg(fabs(avail - 0.8) / 0.8 < 0.01, "availability %.4f", avail);
    ck_assert_int_gt(r.nodes[0].failures, 10000);
    int waited = 0;
    for (int i = 0; i < r.n_requests; i++)
        waited += r.requests[i].retries > 0;
    ck_assert_double_eq_tol((double)waited / r.n_requests, 0.2, 0.02);
    sim_results_fini(&r);
}
END_TEST

START_TEST(test_trace_replay_preserves_every_inter_arrival_time)
{
    sim_results r;
    run_json("{\"version\": 1, \"seed\": 1, \"horizon_s\": 1000000,\n"
             " \"model\": {\"synthetic\": {\"n_blocks\": 1, \"service_time_s\": 0.001}},\n"
             " \"nodes\": [{\"name\": \"n\", \"device\": {\"peak_tflops\": 1, \"mem_bw_gbps\": 1,"
             " \"memory_gb\": 1}}],\n"
             " \"workload\": {\"arrivals\": {\"trace\": {\"preset\": \"azure-code-2023\"}}},\n"
             " \"record\": {\"level\": \"summary\"}}\n",
             &r);
    dset_trace t;
    char err[512];
    ck_assert_int_eq(dset_trace_load(SS_ASSET("traces/AzureLLMInferenceTrace_code.csv"), 1.0, &t,
                                    err, sizeof err), SS_OK);
    ck_assert_int_eq(r.n_requests, (int)t.n);
    for (size_t i = 0; i < t.n; i++) {
        ck_assert_int_eq(r.requests[i].arrival_ns, t.reqs[i].arrival_ns);
        ck_assert_int_eq(r.requests[i].prompt_tokens, (int32_t)t.reqs[i].prompt_tokens);
        ck_assert_int_eq(r.requests[i].output_tokens, (int32_t)t.reqs[i].output_tokens);
    }
    dset_trace_fini(&t);
    sim_results_fini(&r);
}
END_TEST

/* Five users send a 1-token prompt at time 0 and want 2 tokens each. The
 * first to reach the node starts alone; the other four queue behind it and
 * run as one decode batch; their second passes batch the same way. So the
 * node computes batches of 1, 4, 1 and 4 decode steps, at contexts 0, 0, 1
 * and 1, each costing what model_cost_span_batch says for that batch. */
START_TEST(test_decode_batches_cost_what_the_batch_formula_says)
{
    sim_results r;
    run_json("{\"version\": 1, \"seed\": 2, \"horizon_s\": 1000,\n"
             " \"model\": {\"preset\": \"llama-2-7b\", \"weights\": \"fp16\"},\n"
             " \"nodes\": [{\"name\": \"g\", \"device\": {\"peak_tflops\": 100, \"mem_bw_gbps\": 1000,"
             " \"memory_gb\": 80, \"compute_eff\": 1, \"bw_eff\": 1, \"overhead_ms\": 0.5},"
             " \"uplink_mbps\": 10000000, \"downlink_mbps\": 10000000}],\n"
             " \"placement\": {\"policy\": \"uniform\", \"spans\": 1},\n"
             " \"workload\": {\"arrivals\": {\"closed\": {\"users\": 5, \"think_time_s\": 0}},"
             " \"n_requests\": 5, \"prompt_tokens\": 1, \"output_tokens\": 2},\n"
             " \"batching\": {\"max_tokens\": 16}}\n",
             &r);
    model_arch a;
    model_desc d;
    char err[512];
    ck_assert_int_eq(model_arch_load(SS_SRC("models/presets"), "llama-2-7b", &a, err, sizeof err),
                     SS_OK);
    ck_assert_int_eq(model_desc_from_arch(&a, "fp16", &d, err, sizeof err), SS_OK);
    model_device dev = {.peak_flops = 100e12, .mem_bw_bytes_per_s = 1000e9, .compute_eff = 1,
                        .bw_eff = 1, .overhead_s = 0.5e-3};
    int64_t want = 0;
    const int64_t sizes[4] = {1, 4, 1, 4}, ctx[4] = {0, 0, 1, 1};
    for (int i = 0; i < 4; i++)
        want += llround(model_cost_span_batch(&dev, &d, 0, 32, sizes[i], 1, ctx[i]).total_s * 1e9);
    ck_assert_int_eq(r.nodes[0].busy_ns, want);
    ck_assert_uint_eq(r.nodes[0].n_tasks, 10);
    /* a batch of 4 decode steps streams the weights once: far cheaper than 4 */
    double one = model_cost_span_batch(&dev, &d, 0, 32, 1, 1, 0).total_s;
    double four = model_cost_span_batch(&dev, &d, 0, 32, 4, 1, 0).total_s;
    ck_assert(four < 1.1 * one);
    /* the batch's four results leave through the node's uplink one after
     * the other: 16 + 2 x 4096 bytes at 1.25e12 bytes/s = 6.57 ns each */
    for (int i = 2; i < 5; i++) {
        int64_t gap = r.requests[i].first_token_ns - r.requests[i - 1].first_token_ns;
        ck_assert_int_ge(gap, 6);
        ck_assert_int_le(gap, 7);
    }
    model_desc_fini(&d);
    sim_results_fini(&r);
}
END_TEST

/* Gamma gaps with mean 1/rate = 0.5 s and CV 3: over 200,000 arrivals the
 * sample mean and CV of the gaps match (standard errors ~0.7 % and ~1.5 %). */
START_TEST(test_gamma_arrivals_have_the_requested_mean_and_burstiness)
{
    sim_results r;
    run_json("{\"version\": 1, \"seed\": 8, \"horizon_s\": 100000000,\n"
             " \"model\": {\"synthetic\": {\"n_blocks\": 1, \"service_time_s\": 0.0001}},\n"
             " \"nodes\": [{\"name\": \"n\", \"device\": {\"peak_tflops\": 1, \"mem_bw_gbps\": 1,"
             " \"memory_gb\": 1}}],\n"
             " \"workload\": {\"arrivals\": {\"gamma\": {\"rate_per_s\": 2, \"cv\": 3}},"
             " \"n_requests\": 200000, \"prompt_tokens\": 1, \"output_tokens\": 1},\n"
             " \"record\": {\"level\": \"summary\"}}\n",
             &r);
    double sum = 0, sum2 = 0;
    int n = r.n_requests - 1;
    for (int i = 1; i < r.n_requests; i++) {
        double g = (double)(r.requests[i].arrival_ns - r.requests[i - 1].arrival_ns) * 1e-9;
        sum += g;
        sum2 += g * g;
    }
    double mean = sum / n, cv = sqrt(sum2 / n - mean * mean) / mean;
    ck_assert_msg(fabs(mean - 0.5) / 0.5 < 0.03, "mean gap %.4f", mean);
    ck_assert_msg(fabs(cv - 3.0) / 3.0 < 0.05, "gap CV %.4f", cv);
    sim_results_fini(&r);
}
END_TEST

/* Closed loop, N = 4 users, think time Z ~ Exp(3 s), one server with a
 * constant 1 s service: the interactive response time law (Little's law on
 * the whole loop) says throughput X = N / (R + Z) exactly in the long run. */
START_TEST(test_closed_loop_obeys_the_interactive_response_time_law)
{
    sim_results r;
    run_json("{\"version\": 1, \"seed\": 5, \"horizon_s\": 100000000,\n"
             " \"model\": {\"synthetic\": {\"n_blocks\": 1, \"service_time_s\": 1}},\n"
             " \"nodes\": [{\"name\": \"n\", \"device\": {\"peak_tflops\": 1, \"mem_bw_gbps\": 1,"
             " \"memory_gb\": 1}}],\n"
             " \"workload\": {\"arrivals\": {\"closed\": {\"users\": 4, \"think_time_s\":"
             " {\"exponential\": {\"mean\": 3}}}}, \"n_requests\": 100000,"
             " \"prompt_tokens\": 1, \"output_tokens\": 1},\n"
             " \"record\": {\"level\": \"summary\"}}\n",
             &r);
    double resp = 0;
    for (int i = 0; i < r.n_requests; i++)
        resp += (double)(r.requests[i].finish_ns - r.requests[i].arrival_ns) * 1e-9;
    resp /= r.n_requests;
    double x = r.n_requests / ((double)r.end_ns * 1e-9);
    ck_assert_msg(fabs(x * (resp + 3.0) - 4.0) / 4.0 < 0.01, "X(R+Z) = %.4f", x * (resp + 3.0));
    /* and the server, busy X * 1 s of every second, is below saturation */
    ck_assert_double_eq_tol((double)r.nodes[0].busy_ns / (double)r.end_ns, x * 1.0, 1e-3);
    sim_results_fini(&r);
}
END_TEST

/* A churn trace takes node b down from 10 s to 30 s: b's down time is
 * exactly 20 s, and requests arriving then (fixed routing through a then
 * b, no other replica) wait for b: with backoff 0, 1, 2, 4, 8 s they find
 * it again at 30 s (the 5th retry, at 10 + 0 + 1 + 2 + 4 + 8 = 25 s, fails;
 * the 6th at 25 + 16 = 41 s succeeds). */
START_TEST(test_churn_trace_replays_outages_of_named_nodes)
{
    char dir[] = "/tmp/shardsim-ctXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char csv[512], js[512], err[1024];
    snprintf(csv, sizeof csv, "%s/churn.csv", dir);
    snprintf(js, sizeof js, "%s/s.json", dir);
    FILE *f = fopen(csv, "w");
    fputs("time_s,node,state\n10,b,down\n30,b,up\n", f);
    fclose(f);
    f = fopen(js, "w");
    fputs("{\"version\": 1, \"seed\": 3, \"horizon_s\": 100,\n"
          " \"model\": {\"synthetic\": {\"n_blocks\": 2, \"service_time_s\": 0.5}},\n"
          " \"nodes\": [{\"name\": \"a\", \"device\": {\"peak_tflops\": 1, \"mem_bw_gbps\": 1,"
          " \"memory_gb\": 1}}, {\"name\": \"b\", \"device\": {\"peak_tflops\": 1,"
          " \"mem_bw_gbps\": 1, \"memory_gb\": 1}}],\n"
          " \"churn_trace\": \"churn.csv\",\n"
          " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 0.2}},"
          " \"n_requests\": 40, \"prompt_tokens\": 1, \"output_tokens\": 1}}\n",
          f);
    fclose(f);
    scn_scenario s;
    ck_assert_msg(scn_load(js, NULL, 0, &s, err, sizeof err) == SS_OK, "%s", err);
    sim_results r;
    ck_assert_msg(sim_run(&s, &opts, &r, err, sizeof err) == SS_OK, "%s", err);
    ck_assert_int_eq(r.nodes[1].failures, 1);
    ck_assert_int_eq(r.nodes[1].down_ns, 20LL * 1000000000LL);
    ck_assert_int_eq(r.nodes[0].failures, 0);
    int waited = 0;
    for (int i = 0; i < r.n_requests; i++) {
        const sim_request_rec *q = &r.requests[i];
        ck_assert_int_eq(q->status, SIM_REQUEST_OK);
        if (q->retries > 0) {
            waited++;
            ck_assert_int_ge(q->finish_ns, 30LL * 1000000000LL);
        }
    }
    ck_assert_int_gt(waited, 0);
    sim_results_fini(&r);
    scn_scenario_fini(&s);
    remove(csv);
    remove(js);
    rmdir(dir);
}
END_TEST

/* ---- one device model -------------------------------------------------------- */

/* The model_device a node runs with, field for field as sim_run builds it. */
static model_device node_device(const scn_node *n)
{
    return (model_device){.peak_flops = n->peak_flops,
                          .mem_bw_bytes_per_s = n->mem_bw_bytes_per_s,
                          .compute_eff = n->compute_eff, .bw_eff = n->bw_eff,
                          .format_compute_eff = n->format_compute_eff,
                          .format_bw_eff = n->format_bw_eff, .overhead_s = n->overhead_s,
                          .block_overhead_s = n->block_overhead_s,
                          .attn_s_per_head_pos = n->attn_s_per_head_pos};
}

/* A preset file's device as an inline object: its numbers as written in
 * the file (%.17g of the parsed doubles), peak_tflops the faster peak. */
static void inline_of_preset(const char *name, char *dst, size_t n)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/%s.json", SS_SRC("scenarios/hardware"), name);
    cJSON *root = NULL;
    ck_assert_msg(ss_json_load_file(path, &root, err, sizeof err) == SS_OK, "%s", err);
    double f32 = cJSON_GetObjectItemCaseSensitive(root, "peak_fp32_tflops")->valuedouble;
    double f16 = cJSON_GetObjectItemCaseSensitive(root, "peak_fp16_tflops")->valuedouble;
    const cJSON *fe = cJSON_GetObjectItemCaseSensitive(root, "format_eff");
    const cJSON *i8 = cJSON_GetObjectItemCaseSensitive(fe, "int8");
    const cJSON *n4 = cJSON_GetObjectItemCaseSensitive(fe, "nf4");
#define NUM(o, k) cJSON_GetObjectItemCaseSensitive((o), (k))->valuedouble
    snprintf(dst, n,
             "{\"peak_tflops\": %.17g, \"mem_bw_gbps\": %.17g, \"memory_gb\": %.17g,"
             " \"compute_eff\": %.17g, \"bw_eff\": %.17g, \"format_eff\": {"
             "\"int8\": {\"compute\": %.17g, \"bandwidth\": %.17g},"
             " \"nf4\": {\"compute\": %.17g, \"bandwidth\": %.17g}},"
             " \"overhead_ms\": %.17g, \"block_overhead_ms\": %.17g}",
             f16 > f32 ? f16 : f32, NUM(root, "mem_bw_gbps"), NUM(root, "memory_gib") * 1.073741824,
             NUM(root, "compute_eff"), NUM(root, "bw_eff"), NUM(i8, "compute"),
             NUM(i8, "bandwidth"), NUM(n4, "compute"), NUM(n4, "bandwidth"),
             NUM(root, "overhead_ms"), NUM(root, "block_overhead_ms"));
#undef NUM
    cJSON_Delete(root);
}

static void load_text(const char *json, scn_scenario *s, char *dir)
{
    strcpy(dir, "/tmp/shardsim-devXXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/s.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(json, f);
    fclose(f);
    ck_assert_msg(scn_load(path, NULL, 0, s, err, sizeof err) == SS_OK, "%s", err);
    remove(path);
    rmdir(dir);
}

/* Every cost of node a equals node b's, bit for bit: decode, prefill,
 * batched decode, a replay, over one block and a span. */
static void assert_same_costs(const model_device *a, const model_device *b, const model_desc *d,
                              const char *what)
{
    static const struct {
        int first, end;
        int64_t batch, n_new, ctx;
    } calls[] = {{0, 1, 1, 1, 1023}, {0, 1, 1, 512, 0},  {0, 1, 16, 1, 1023},
                 {3, 9, 1, 1, 0},    {3, 9, 1, 2048, 0}, {3, 9, 64, 1, 4000}};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        double x = model_cost_span_batch(a, d, calls[i].first, calls[i].end, calls[i].batch,
                                         calls[i].n_new, calls[i].ctx).total_s;
        double y = model_cost_span_batch(b, d, calls[i].first, calls[i].end, calls[i].batch,
                                         calls[i].n_new, calls[i].ctx).total_s;
        ck_assert_msg(x == y, "%s call %zu: %.17g vs %.17g", what, i, x, y);
    }
}

/* A preset name, {"preset": NAME}, a one-member mix of it (drawn by the
 * world) and an inline object with the file's numbers give nodes with the
 * same device fields and therefore the same costs, bit for bit, for every
 * weight format: one path from JSON to model_device. */
START_TEST(test_a_preset_and_the_same_numbers_inline_cost_the_same)
{
    static const char *const presets[] = {"rtx-3090", "a100-80gb", "t4", "gtx-1080-ti",
                                          "rtx-4090", "cpu-laptop", "apple-m2-max"};
    static const char *const formats[] = {"fp32", "fp16", "int8", "nf4"};
    ck_assert_int_eq(setenv("SHARDSIM_HOME", SS_SOURCE_DIR, 1), 0);
    for (size_t p = 0; p < sizeof presets / sizeof presets[0]; p++)
        for (size_t f = 0; f < 4; f++) {
            char dev[1024], json[4096], dir[64], err[512];
            inline_of_preset(presets[p], dev, sizeof dev);
            snprintf(json, sizeof json,
                     "{\"version\": 1,"
                     " \"model\": {\"preset\": \"llama-2-70b\", \"weights\": \"%s\"},\n"
                     " \"nodes\": [{\"name\": \"named\", \"device\": \"%s\"},\n"
                     "  {\"name\": \"object\", \"device\": {\"preset\": \"%s\"}},\n"
                     "  {\"name\": \"mix\", \"device\": {\"%s\": 1}},\n"
                     "  {\"name\": \"inline\", \"device\": %s}],\n"
                     " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1}},"
                     " \"n_requests\": 1, \"prompt_tokens\": 4, \"output_tokens\": 4}}\n",
                     formats[f], presets[p], presets[p], presets[p], dev);
            scn_scenario s;
            load_text(json, &s, dir);
            sim_world_scn w;
            ck_assert_msg(sim_world_materialize(&s, SS_SHARED_DIR "/assets", &w, err,
                                                sizeof err) == SS_OK, "%s", err);
            model_arch a;
            model_desc d;
            ck_assert_int_eq(model_arch_load(SS_SRC("models/presets"), "llama-2-70b", &a, err,
                                             sizeof err), SS_OK);
            ck_assert_int_eq(model_desc_from_arch(&a, formats[f], &d, err, sizeof err), SS_OK);
            model_device ref = node_device(&w.nodes[0]);
            ck_assert(ref.block_overhead_s > 0 && ref.peak_flops > 0);
            for (int k = 1; k < 4; k++) {
                model_device other = node_device(&w.nodes[k]);
                char what[96];
                snprintf(what, sizeof what, "%s %s node %d", presets[p], formats[f], k);
                ck_assert_msg(memcmp(&ref, &other, sizeof ref) == 0, "%s: device differs", what);
                assert_same_costs(&ref, &other, &d, what);
                /* memory: GiB in the file, GB inline, the same bytes to 1e-6 */
                ck_assert(fabs(w.nodes[k].memory_bytes - w.nodes[0].memory_bytes) <
                          1e-6 * w.nodes[0].memory_bytes);
            }
            model_desc_fini(&d);
            sim_world_fini(&w);
            scn_scenario_fini(&s);
        }
}
END_TEST

/* COST_MODEL.md's worked example from a scenario, in both forms: the RTX
 * 3090 inline (71 TFLOP/s, 936 GB/s, 0.5, 0.7, 0.1 ms per block) and the
 * rtx-3090 preset with the example's efficiencies (its 0.1 ms per block is
 * the file's). Decode (a) 2.718 ms, prefill (b) 24.902 ms, batch (c) 2.816
 * ms; nf4 (d) 0.876 ms with the example's nf4 factor 0.9. The preset as
 * shipped (0.6, 0.8): (f) 1,715,568,640 / (936e9 x 0.8) + 0.1 ms = 2.391 ms. */
START_TEST(test_the_worked_example_comes_out_of_a_preset_and_an_inline_device)
{
    ck_assert_int_eq(setenv("SHARDSIM_HOME", SS_SOURCE_DIR, 1), 0);
    static const char *const formats[] = {"fp16", "nf4"};
    for (int f = 0; f < 2; f++) {
        char json[2048], dir[64], err[512];
        snprintf(json, sizeof json,
                 "{\"version\": 1, \"model\": {\"preset\": \"llama-2-70b\", \"weights\": \"%s\"},\n"
                 " \"nodes\": [{\"name\": \"inline\", \"device\": {\"peak_tflops\": 71,"
                 " \"mem_bw_gbps\": 936, \"memory_gb\": 24, \"compute_eff\": 0.5, \"bw_eff\": 0.7,"
                 " \"block_overhead_ms\": 0.1}},\n"
                 "  {\"name\": \"preset\","
                 " \"device\": {\"preset\": \"rtx-3090\", \"compute_eff\": 0.5,"
                 " \"bw_eff\": 0.7, \"format_eff\": {\"nf4\": {\"bandwidth\": 0.9}}}},\n"
                 "  {\"name\": \"shipped\", \"device\": \"rtx-3090\"}],\n"
                 " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1}},"
                 " \"n_requests\": 1, \"prompt_tokens\": 4, \"output_tokens\": 4}}\n",
                 formats[f]);
        scn_scenario s;
        load_text(json, &s, dir);
        model_arch a;
        model_desc d;
        ck_assert_int_eq(model_arch_load(SS_SRC("models/presets"), "llama-2-70b", &a, err,
                                         sizeof err), SS_OK);
        ck_assert_int_eq(model_desc_from_arch(&a, formats[f], &d, err, sizeof err), SS_OK);
        model_device in = node_device(&s.nodes[0]), pre = node_device(&s.nodes[1]),
                     shipped = node_device(&s.nodes[2]);
        for (int k = 0; k < 2; k++) {
            const model_device *dv = k ? &pre : &in;
            double dec = model_cost_span(dv, &d, 0, 1, 1, 1023).total_s;
            if (f == 0) {
                ck_assert(REL(dec, 0.002718389255189255));
                ck_assert(REL(model_cost_span(dv, &d, 0, 1, 512, 0).total_s, 0.024902160120788733));
                ck_assert(REL(model_cost_span_batch(dv, &d, 0, 1, 16, 1, 1023).total_s,
                              0.0028159130647130645));
            } else {
                ck_assert_msg(REL(dec, 0.0008762797992131326), "k %d: %.17g", k, dec);
            }
        }
        assert_same_costs(&in, &pre, &d, formats[f]);
        if (f == 0)
            ck_assert(REL(model_cost_span(&shipped, &d, 0, 1, 1, 1023).total_s,
                          1715568640.0 / (936e9 * 0.8) + 1e-4));
        model_desc_fini(&d);
        scn_scenario_fini(&s);
    }
}
END_TEST

/* End to end: the same requests on the rtx-3090 preset and on its numbers
 * inline finish at the same nanosecond, with the same busy time. */
START_TEST(test_a_preset_and_its_inline_numbers_give_identical_step_times)
{
    ck_assert_int_eq(setenv("SHARDSIM_HOME", SS_SOURCE_DIR, 1), 0);
    char dev[1024], json[4096];
    inline_of_preset("rtx-3090", dev, sizeof dev);
    sim_results r[2];
    for (int k = 0; k < 2; k++) {
        snprintf(json, sizeof json,
                 "{\"version\": 1, \"seed\": 3, \"model\": {\"preset\": \"llama-2-7b\","
                 " \"weights\": \"int8\"},\n"
                 " \"nodes\": [{\"name\": \"g\", \"count\": 2, \"device\": %s,"
                 " \"uplink_mbps\": 100, \"downlink_mbps\": 100}],\n"
                 " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 2}},"
                 " \"n_requests\": 20, \"prompt_tokens\": 64, \"output_tokens\": 16}}\n",
                 k ? dev : "\"rtx-3090\"");
        run_json(json, &r[k]);
    }
    ck_assert_int_eq(r[0].n_requests, r[1].n_requests);
    for (int i = 0; i < r[0].n_requests; i++)
        ck_assert_int_eq(r[0].requests[i].finish_ns, r[1].requests[i].finish_ns);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(r[0].nodes[i].busy_ns, r[1].nodes[i].busy_ns);
    ck_assert_int_gt(r[0].nodes[0].busy_ns, 0);
    sim_results_fini(&r[0]);
    sim_results_fini(&r[1]);
}
END_TEST

Suite *world_suite(void)
{
    Suite *s = suite_create("world");
    TCase *tc = tcase_create("world");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_node_availability_under_churn_is_mtbf_over_mtbf_plus_mttr);
    tcase_add_test(tc, test_trace_replay_preserves_every_inter_arrival_time);
    tcase_add_test(tc, test_decode_batches_cost_what_the_batch_formula_says);
    tcase_add_test(tc, test_gamma_arrivals_have_the_requested_mean_and_burstiness);
    tcase_add_test(tc, test_closed_loop_obeys_the_interactive_response_time_law);
    tcase_add_test(tc, test_churn_trace_replays_outages_of_named_nodes);
    tcase_add_test(tc, test_a_preset_and_the_same_numbers_inline_cost_the_same);
    tcase_add_test(tc, test_the_worked_example_comes_out_of_a_preset_and_an_inline_device);
    tcase_add_test(tc, test_a_preset_and_its_inline_numbers_give_identical_step_times);
    suite_add_tcase(s, tc);
    return s;
}
