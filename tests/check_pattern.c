/* check_pattern.c - the client endpoint and the communication pattern
 * (issue 11 item 5), and a multi-hop reroute (item 6), against hand
 * computations written out term by term.
 *
 * The model is a tiny Llama written into a temporary presets folder
 * ("tiny": hidden 64, MLP 128, 3 blocks, 4 heads, vocab 512), so every
 * cost is a short sum (models/presets/README.md, models/model_cost.h):
 *   per block W = 2h^2 + 2h kv + 3 h ff = 8192 + 8192 + 24576 = 40960
 *   weights + 2 RMSNorms: n_params = 40960 + 128 = 41088, fp16: 82176 B
 *   FLOPs per token 2W = 81920; attention FLOPs per cached position 4h = 256
 *   KV elements per token 2 kv = 128 (fp16: 256 B per position)
 * Devices run at exactly 1e12 FLOP/s and 1e9 B/s (efficiencies 1), so a
 * node's time in ns is the larger of FLOPs/1000 and bytes.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_cost.h"
#include "model_desc.h"
#include "scn_scenario.h"
#include "sim_run.h"
#include "test_util.h"

static char presets[64];

static void tiny_setup(void)
{
    snprintf(presets, sizeof presets, "/tmp/shardsim-patternXXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(presets));
    char path[128];
    snprintf(path, sizeof path, "%s/tiny.json", presets);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"model_type\": \"llama\", \"hidden_size\": 64, \"intermediate_size\": 128,"
          " \"num_hidden_layers\": 3, \"num_attention_heads\": 4, \"num_key_value_heads\": 4,"
          " \"vocab_size\": 512, \"max_position_embeddings\": 256}\n",
          f);
    fclose(f);
}

static void tiny_teardown(void)
{
    char path[128];
    snprintf(path, sizeof path, "%s/tiny.json", presets);
    remove(path);
    rmdir(presets);
}

/* Load printf(fmt, ...) through a temporary file and simulate it. */
static void run_fmt(sim_results *r, const char *fmt, ...)
{
    char err[1024];
    scn_scenario s;
    va_list ap;
    va_start(ap, fmt);
    ss_status lst = test_scn_vload(&s, err, sizeof err, fmt, ap);
    va_end(ap);
    ck_assert_msg(lst == SS_OK, "%s", err);
    sim_run_opts o = {.presets_dir = presets, .keep_routes = 1,
                      .assets_dir = SS_SHARED_DIR "/assets"};
    ss_status st = sim_run(&s, &o, r, err, sizeof err);
    ck_assert_msg(st == SS_OK, "%s", err);
    scn_scenario_fini(&s);
}

#define NODE_DEV "{\"peak_tflops\": 1, \"mem_bw_gbps\": 1, \"memory_gb\": 1, " \
                 "\"compute_eff\": 1, \"bw_eff\": 1}"

/* One request (prompt 8, output 2: a prefill and one decode pass) on the
 * chain n0 -> n1 -> n2 (one block each, "fixed"), nodes in region a, the
 * client in region c. RTT c-a 20 ms, a-a 2 ms; node links 8 Mbit/s
 * (1e6 B/s) both ways, node last mile 0.5 ms (network.last_mile_ms);
 * client uplink 0.8 Mbit/s (1e5 B/s), downlink 1.6 Mbit/s (2e5 B/s),
 * last mile 5 ms, device 1 TFLOP/s, 1 GB/s, overhead 1 ms per call. */
static void chain_run(const char *pattern, sim_results *r)
{
    run_fmt(r,
            "{\"version\": 1, \"seed\": 5, \"horizon_s\": 100,\n"
            " \"model\": {\"preset\": \"tiny\", \"weights\": \"fp16\"},\n"
            " \"network\": {\"regions\": [\"c\", \"a\"], \"rtt_ms\": [[0, 20], [20, 2]],"
            " \"last_mile_ms\": 0.5},\n"
            " \"nodes\": [{\"name\": \"n\", \"count\": 3, \"region\": \"a\", \"device\": " NODE_DEV
            ", \"uplink_mbps\": 8, \"downlink_mbps\": 8}],\n"
            " \"placement\": {\"policy\": \"uniform\", \"spans\": 3},\n"
            " \"routing\": {\"policy\": \"fixed\", \"view\": \"truth\", \"pattern\": \"%s\"},\n"
            " \"compression\": {\"activations\": \"fp16\"},\n"
            " \"client\": {\"uplink_mbps\": 0.8, \"downlink_mbps\": 1.6, \"last_mile_ms\": 5,\n"
            "   \"device\": {\"peak_tflops\": 1, \"mem_bw_gbps\": 1, \"memory_gb\": 16,"
            " \"compute_eff\": 1, \"bw_eff\": 1, \"overhead_ms\": 1}},\n"
            " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1}}, \"n_requests\": 1,\n"
            "   \"prompt_tokens\": 8, \"output_tokens\": 2, \"client_region\": \"c\"}}\n",
            pattern);
}

/* Every term of the hand computation, in ns.
 * Wire (fp16 codec): 16-byte header + 2 bytes per element:
 *   prefill 8 x 64: 16 + 1024 = 1040 B;  decode 1 x 64: 16 + 128 = 144 B.
 * Transfer = bytes / min(sender up, receiver down) + RTT/2 + last miles:
 *   client->node: min(1e5, 1e6) = 1e5 B/s; one way 10 + 5 + 0.5 = 15.5 ms
 *   node->node:   1e6 B/s;                 one way  1 + 0.5 + 0.5 = 2 ms
 *   node->client: min(1e6, 2e5) = 2e5 B/s; one way 10 + 0.5 + 5 = 15.5 ms
 * Node compute (one block, memory-bound: bytes at 1e9 B/s):
 *   prefill n=8, ctx=0: weights 82176 + KV 256 x 8 = 2048 + activations
 *     4 x 8 x (64 + 64) = 4096 -> 88320 B = 88320 ns (FLOPs 8 x 81920 +
 *     256 x 36 = 664576 -> 665 ns: below);
 *   decode n=1, ctx=8: 82176 + 256 x 9 = 2304 + 4 x 128 = 512 -> 84992 ns.
 * Client compute (model_cost_client_*, memory-bound, + 1 ms overhead):
 *   embed r rows: r x 64 x 2 (table rows, fp16) + 4 x r x 64 (fp32 out)
 *     = 384 r B: prefill 3072 ns, decode 384 ns;
 *   head, one position: 512 x 64 x 2 = 65536 B of weights + 4 x (64 + 512)
 *     = 2304 B -> 67840 ns (FLOPs 2 x 512 x 64 = 65536 -> 66 ns: below). */
enum {
    MS = 1000000,
    EMBED_P = 3072 + MS, EMBED_D = 384 + MS, HEAD = 67840 + MS,
    UP_P = 10400000 + 15500000,      /* client->node, 1040 B / 1e5 B/s = 10.4 ms */
    UP_D = 1440000 + 15500000,       /* 144 B / 1e5 B/s = 1.44 ms */
    NN_P = 1040000 + 2 * MS,         /* node->node, 1040 B / 1e6 B/s = 1.04 ms */
    NN_D = 144000 + 2 * MS,
    DOWN_P = 5200000 + 15500000,     /* node->client, 1040 B / 2e5 B/s = 5.2 ms */
    DOWN_D = 720000 + 15500000,      /* 144 B / 2e5 B/s = 0.72 ms */
    NODE_P = 88320, NODE_D = 84992,
};

START_TEST(test_server_to_server_latency_matches_hand_computation)
{
    sim_results r;
    chain_run("server-to-server", &r);
    ck_assert_int_eq(r.n_requests, 1);
    const sim_request_rec *q = &r.requests[0];
    ck_assert_int_eq(q->status, SIM_REQUEST_OK);
    ck_assert_int_eq(q->route_len, 3);
    for (int k = 0; k < 3; k++)
        ck_assert_int_eq(r.route[q->route_off + k].node, k);
    /* embed, up, n0, n0->n1, n1, n1->n2, n2, down, head */
    const int64_t ttft = EMBED_P + UP_P + 3 * NODE_P + 2 * NN_P + DOWN_P + HEAD;
    const int64_t pass2 = EMBED_D + UP_D + 3 * NODE_D + 2 * NN_D + DOWN_D + HEAD;
    ck_assert_int_eq(ttft, 55015872);
    ck_assert_int_eq(q->first_token_ns - q->arrival_ns, ttft);
    ck_assert_int_eq(q->finish_ns - q->arrival_ns, ttft + pass2);
    ck_assert_int_eq(ttft + pass2, 94787072);
    /* bytes: node 1 receives and sends both passes' activations */
    ck_assert_uint_eq(r.nodes[1].bytes_in, 1040 + 144);
    ck_assert_uint_eq(r.nodes[1].bytes_out, 1040 + 144);
    sim_results_fini(&r);
}
END_TEST

START_TEST(test_client_relayed_latency_matches_hand_computation)
{
    sim_results r;
    chain_run("client-relayed", &r);
    const sim_request_rec *q = &r.requests[0];
    ck_assert_int_eq(q->status, SIM_REQUEST_OK);
    /* every node->node hop becomes node->client + client->node */
    const int64_t ttft = EMBED_P + UP_P + 3 * NODE_P + 2 * (DOWN_P + UP_P) + DOWN_P + HEAD;
    const int64_t pass2 = EMBED_D + UP_D + 3 * NODE_D + 2 * (DOWN_D + UP_D) + DOWN_D + HEAD;
    ck_assert_int_eq(ttft, 142135872);
    ck_assert_int_eq(q->first_token_ns - q->arrival_ns, ttft);
    ck_assert_int_eq(q->finish_ns - q->arrival_ns, ttft + pass2);
    ck_assert_int_eq(ttft + pass2, 243939072);
    sim_results_fini(&r);
}
END_TEST

/* Without the "client" object the client is today's: no NIC limit, no last
 * mile, no compute. Same chain: client->n0 and n2->client then serialise at
 * the node's 1e6 B/s and propagate 10 + 0.5 ms. */
START_TEST(test_no_client_object_is_the_unlimited_client)
{
    sim_results r;
    run_fmt(&r,
            "{\"version\": 1, \"seed\": 5, \"horizon_s\": 100,\n"
            " \"model\": {\"preset\": \"tiny\", \"weights\": \"fp16\"},\n"
            " \"network\": {\"regions\": [\"c\", \"a\"], \"rtt_ms\": [[0, 20], [20, 2]],"
            " \"last_mile_ms\": 0.5},\n"
            " \"nodes\": [{\"name\": \"n\", \"count\": 3, \"region\": \"a\", \"device\": " NODE_DEV
            ", \"uplink_mbps\": 8, \"downlink_mbps\": 8}],\n"
            " \"placement\": {\"policy\": \"uniform\", \"spans\": 3},\n"
            " \"routing\": {\"policy\": \"fixed\", \"view\": \"truth\"},\n"
            " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1}}, \"n_requests\": 1,\n"
            "   \"prompt_tokens\": 8, \"output_tokens\": 2, \"client_region\": \"c\"}}\n");
    const sim_request_rec *q = &r.requests[0];
    const int64_t edge_p = 1040000 + 10500000, edge_d = 144000 + 10500000;
    const int64_t ttft = edge_p + 3 * NODE_P + 2 * NN_P + edge_p;
    const int64_t pass2 = edge_d + 3 * NODE_D + 2 * NN_D + edge_d;
    ck_assert_int_eq(q->first_token_ns - q->arrival_ns, ttft);
    ck_assert_int_eq(q->finish_ns - q->arrival_ns, ttft + pass2);
    sim_results_fini(&r);
}
END_TEST


/* A reroute into two hops, by hand. Placement "petals" on the tiny model
 * (3 blocks; per block 82176 B of weights + Petals' KV reserve of 128 x
 * 4096 x 2 = 1048576 B; autograd reserve 2 GiB / 14336 x 64 = 9586981 B):
 * n-0 with 12 MB holds floor((12e6 - 9586981) / 1130752) = 2 blocks, the
 * others with 11 MB one each; joining in order they take n-0 [0, 2),
 * n-1 [2, 3), n-2 [0, 1), n-3 [1, 2) (checked below). "round-robin"
 * routes the request n-0 [0, 2) -> n-1 [2, 3). Nothing but n-0 covers
 * [0, 2), so when n-0 dies the reroute is the chain n-2 [0, 1) ->
 * n-3 [1, 2). RTT 0, no last mile, node links 1e6 B/s, the client
 * unlimited (no "client" object): a transfer takes bytes / 1e6 s.
 * Prompt 8, output 3. Node times as in the chain above (one block:
 * prefill 88320 ns, decode at ctx c 82176 + 256 (c + 1) + 512 ns; n-0's
 * two blocks twice that).
 *   pass 1: c->n0 1040 B 1040000, n0 176640, n0->n1 1040000, n1 88320,
 *           n1->c 1040000: first token at 3384960
 *   pass 2 (ctx 8): c->n0 144000 -> 3528960; n0 computes 169984 until
 *           3698944, but dies at 3600000: the batch is lost, the hop
 *           recovers at once (retries 1): the stored 8 positions (1040 B)
 *           and the pass (144 B) go from the client to n-2: 1184000 ->
 *           4784000 (recovery 1184000); n-2 replays 8 (prefill 88320) and
 *           decodes (84992): 173312 -> 4957312; to n-3 the pass and the 8
 *           replayed outputs, 1184000 -> 6141312; n-3 173312 -> 6314624;
 *           n-3 -> n-1 144000 -> 6458624; n-1 84992 -> 6543616; -> client
 *           144000 -> 6687616
 *   pass 3 (ctx 9): 4 transfers of 144000 and 3 decodes of 85248:
 *           6687616 + 576000 + 255744 = 7519360 = finish.
 * Positions recomputed: 8 on each of the 2 new nodes = 16. */
START_TEST(test_two_hop_reroute_matches_hand_computation)
{
    sim_results r;
    run_fmt(&r,
            "{\"version\": 1, \"seed\": 5, \"horizon_s\": 100,\n"
            " \"model\": {\"preset\": \"tiny\", \"weights\": \"fp16\"},\n"
            " \"network\": {\"regions\": [\"a\"], \"rtt_ms\": [[0]]},\n"
            " \"nodes\": [{\"name\": \"big\", \"region\": \"a\", \"device\": {\"peak_tflops\": 1,"
            " \"mem_bw_gbps\": 1, \"memory_gb\": 0.012, \"compute_eff\": 1, \"bw_eff\": 1},"
            " \"uplink_mbps\": 8, \"downlink_mbps\": 8},\n"
            "  {\"name\": \"n\", \"count\": 3, \"region\": \"a\", \"device\": {\"peak_tflops\": 1,"
            " \"mem_bw_gbps\": 1, \"memory_gb\": 0.011, \"compute_eff\": 1, \"bw_eff\": 1},"
            " \"uplink_mbps\": 8, \"downlink_mbps\": 8}],\n"
            " \"placement\": {\"policy\": \"petals\"},\n"
            " \"routing\": {\"policy\": \"round-robin\", \"view\": \"truth\"},\n"
            " \"faults\": [{\"node\": \"big\", \"down_at_s\": 0.0036}],\n"
            " \"workload\": {\"arrivals\": {\"closed\": {\"users\": 1, \"think_time_s\": 0}},"
            " \"n_requests\": 1,\n"
            "   \"prompt_tokens\": 8, \"output_tokens\": 3, \"client_region\": \"a\"}}\n");
    const int span[4][2] = {{0, 2}, {2, 3}, {0, 1}, {1, 2}};
    for (int i = 0; i < 4; i++)
        ck_assert_msg(r.nodes[i].first_block == span[i][0] && r.nodes[i].end_block == span[i][1],
                      "node %d serves [%d, %d)", i, r.nodes[i].first_block, r.nodes[i].end_block);
    const sim_request_rec *q = &r.requests[0];
    ck_assert_int_eq(q->status, SIM_REQUEST_OK);
    ck_assert_int_eq(q->arrival_ns, 0);
    ck_assert_int_eq(q->first_token_ns, 3384960);
    ck_assert_int_eq(q->finish_ns, 7519360);
    ck_assert_int_eq(q->retries, 1);
    ck_assert_int_eq(q->recovery_ns, 1184000);
    ck_assert_int_eq(q->tokens_recomputed, 16);
    /* the route as it ended: prefix (none) + n-2, n-3 + suffix n-1 */
    ck_assert_int_eq(q->hops, 2); /* the chain first chosen */
    ck_assert_int_eq(q->route_len, 3);
    ck_assert_int_eq(r.route[q->route_off].node, 2);
    ck_assert_int_eq(r.route[q->route_off + 1].node, 3);
    ck_assert_int_eq(r.route[q->route_off + 2].node, 1);
    /* n-0 computed pass 1 and part of pass 2 (lost) */
    ck_assert_int_eq(r.nodes[0].busy_ns, 176640 + (3600000 - 3528960));
    ck_assert_int_eq(r.nodes[2].busy_ns, 173312 + 85248);
    ck_assert_int_eq(r.nodes[3].busy_ns, 173312 + 85248);
    ck_assert_uint_eq(r.nodes[3].bytes_in, 1184 + 144);
    /* KV: a session reserves (8 + 3) positions x 128 elements x 2 B = 2816 B
     * per block of its hop when it reaches the node: n-0 held two blocks'
     * worth (released when it died), n-2 and n-3 reserved on the
     * rerouted pass's arrival, n-1 kept its reservation throughout */
    ck_assert_uint_eq(r.nodes[0].kv_peak_bytes, 2 * 2816);
    ck_assert_uint_eq(r.nodes[1].kv_peak_bytes, 2816);
    ck_assert_uint_eq(r.nodes[2].kv_peak_bytes, 2816);
    ck_assert_uint_eq(r.nodes[3].kv_peak_bytes, 2816);
    ck_assert_uint_eq(r.nodes[1].n_tasks, 3); /* one per pass: never replayed */
    sim_results_fini(&r);
}
END_TEST

/* The client's LM head for Llama-2-7B in fp16 on the cpu-8core preset, by
 * hand (models/COST_MODEL.md): V = 32000, d = 4096, w = 2 B;
 *   bytes = V d w + 4 (d + V) = 262144000 + 144384 = 262288384
 *   memory = bytes / (83.2e9 x 0.7 = 58.24e9) = 4.50358 ms
 *   FLOPs = 2 V d = 262144000 / (1.28e12 x 0.5) = 0.4096 ms: memory-bound.
 * Embedding of 256 rows: 256 x 4096 x (2 + 4) = 6291456 B -> 0.108026 ms.
 * The preset is loaded through a scenario's "client.device", overrides
 * included, so the numbers are the ones a run uses. */
START_TEST(test_client_device_costs_match_hand_computation)
{
    char dir[] = "/tmp/shardsim-patcXXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/s.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"version\": 1, \"model\": {\"preset\": \"llama-2-7b\", \"weights\": \"fp16\"},"
          " \"nodes\": [{\"name\": \"n\", \"device\": \"a100-80gb\"}],"
          " \"client\": {\"device\": {\"preset\": \"cpu-8core\", \"overhead_ms\": 0.5}},"
          " \"workload\": {\"arrivals\": {\"poisson\": {\"rate_per_s\": 1}}, \"n_requests\": 1,"
          " \"prompt_tokens\": 1, \"output_tokens\": 1}}\n", f);
    fclose(f);
    scn_scenario s;
    ck_assert_msg(scn_load(path, NULL, 0, &s, err, sizeof err) == SS_OK, "%s", err);
    remove(path);
    rmdir(dir);
    ck_assert(s.client.has_device);
    /* no rates given: unlimited (the preset's residential class is not taken) */
    ck_assert(s.client.uplink_bytes_per_s == 0 && s.client.downlink_bytes_per_s == 0);
    ck_assert(s.client.last_mile_ms == 0);
    ck_assert(s.client_relayed == 0);
    const scn_node *c = &s.client.device;
    model_device d = {.peak_flops = c->peak_flops, .mem_bw_bytes_per_s = c->mem_bw_bytes_per_s,
                      .compute_eff = c->compute_eff, .bw_eff = c->bw_eff,
                      .overhead_s = c->overhead_s};
    ck_assert(d.peak_flops == 1.28e12 && d.mem_bw_bytes_per_s == 83.2e9);
    model_arch a;
    model_desc m;
    ck_assert_msg(model_arch_load(SS_SRC("models/presets"), "llama-2-7b", &a, err, sizeof err) ==
                      SS_OK, "%s", err);
    ck_assert_msg(model_desc_from_arch(&a, "fp16", &m, err, sizeof err) == SS_OK, "%s", err);
    model_cost_terms h = model_cost_client_head(&d, &m, 1);
    ck_assert(h.bytes == 262288384.0 && h.flops == 262144000.0);
    ck_assert_double_eq_tol(h.memory_s, 262288384.0 / 58.24e9, 1e-15);
    ck_assert_double_eq_tol(h.compute_s, 0.4096e-3, 1e-15);
    ck_assert_double_eq_tol(h.total_s, 262288384.0 / 58.24e9 + 0.5e-3, 1e-15);
    model_cost_terms e = model_cost_client_embed(&d, &m, 256);
    ck_assert(e.bytes == 6291456.0 && e.flops == 0);
    ck_assert_double_eq_tol(e.total_s, 6291456.0 / 58.24e9 + 0.5e-3, 1e-15);
    model_desc_fini(&m);
    scn_scenario_fini(&s);
}
END_TEST

Suite *pattern_suite(void)
{
    Suite *s = suite_create("pattern");
    TCase *t = tcase_create("client");
    tcase_add_checked_fixture(t, tiny_setup, tiny_teardown);
    tcase_add_test(t, test_server_to_server_latency_matches_hand_computation);
    tcase_add_test(t, test_client_relayed_latency_matches_hand_computation);
    tcase_add_test(t, test_no_client_object_is_the_unlimited_client);
    tcase_add_test(t, test_two_hop_reroute_matches_hand_computation);
    tcase_add_test(t, test_client_device_costs_match_hand_computation);
    suite_add_tcase(s, t);
    return s;
}
