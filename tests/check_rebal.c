/* check_rebal.c - Petals' rebalancing and rejoining: the placement's
 * decisions on hand-built views, and a run where a node moves to blocks
 * left uncovered and a node back from a failure takes other blocks, with
 * its weight download timed by hand. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_net.h"
#include "route.h"
#include "scn_scenario.h"
#include "sim_run.h"
#include "test_util.h"

static const route_placement_ops *petals(void)
{
    const route_placement_ops *ops;
    char err[256];
    ck_assert_int_eq(route_placement_find("petals", &ops, err, sizeof err), SS_OK);
    ck_assert_ptr_nonnull(ops->rebalance);
    ck_assert_ptr_nonnull(ops->rejoin);
    return ops;
}

typedef struct fixture {
    model_desc d;
    route_node_view nodes[4];
    route_view v;
} fixture;

/* Four blocks; A = [0,2) at 2 rps, B = [2,4) at tp_b, C = [0,2) at 1
 * (the local node, index 2), D = [2,4) at 5 but down (left out). */
static void swarm(fixture *f, double tp_b)
{
    memset(f, 0, sizeof *f);
    f->d.n_blocks = 4;
    const int span[4][2] = {{0, 2}, {2, 4}, {0, 2}, {2, 4}};
    const double tp[4] = {2, tp_b, 1, 5};
    for (int i = 0; i < 4; i++)
        f->nodes[i] = (route_node_view){.id = i, .first_block = span[i][0],
                                        .end_block = span[i][1], .throughput_rps = tp[i],
                                        .up = i != 3};
    f->v = (route_view){.n_nodes = 4, .nodes = f->nodes, .model = &f->d};
}

/* T = [3, 3, tp_b, tp_b] (D is down), initial min tp_b. Without C the
 * weakest window is [2, 4), so C would move there: T = [2, 2, tp_b + 1,
 * tp_b + 1], and nobody moves after that (check_route_algo's hand
 * computation), so new min 2 and quality tp_b / 2. Petals moves iff
 * quality < 0.75 - 1e-3: tp_b = 1 (0.5) and 1.497 (0.7485) move C to
 * [2, 4); 1.499 (0.7495), 1.5 and 1.6 stay. Its own record down in the
 * view does not matter: the node knows itself. */
START_TEST(test_petals_rebalance_moves_only_past_the_balance_quality)
{
    const double tp_b[] = {1, 1.497, 1.499, 1.5, 1.6};
    const int move[] = {1, 1, 0, 0, 0};
    for (int i = 0; i < 5; i++)
        for (int own_up = 0; own_up < 2; own_up++) {
            fixture f;
            swarm(&f, tp_b[i]);
            f.nodes[2].up = own_up;
            uint64_t shuffle = 77;
            int first = -9, end = -9;
            ck_assert_int_eq(petals()->rebalance(&f.v, 2, &shuffle, &first, &end), move[i]);
            if (move[i]) {
                ck_assert_int_eq(first, 2);
                ck_assert_int_eq(end, 4);
            } else {
                ck_assert_int_eq(first, -9); /* untouched */
            }
        }
    /* With D up, T = [3, 3, 6, 6]: C's own window is already the weakest
     * (Petals' "best place"): no move. */
    fixture f;
    swarm(&f, 1);
    f.nodes[3].up = 1;
    uint64_t shuffle = 77;
    int first, end;
    ck_assert_int_eq(petals()->rebalance(&f.v, 2, &shuffle, &first, &end), 0);
}
END_TEST

/* On rejoin C chooses on the swarm without itself: [2, 2, 1, 1] -> start
 * 2, so [2, 4); with D up [2, 2, 6, 6] -> start 0, so [0, 2). A node
 * without a span serves nothing. */
START_TEST(test_petals_rejoin_takes_the_weakest_window_without_itself)
{
    fixture f;
    swarm(&f, 1);
    int first, end;
    ck_assert_int_eq(petals()->rejoin(&f.v, 2, &first, &end), 1);
    ck_assert_int_eq(first, 2);
    ck_assert_int_eq(end, 4);
    f.nodes[3].up = 1;
    ck_assert_int_eq(petals()->rejoin(&f.v, 2, &first, &end), 1);
    ck_assert_int_eq(first, 0);
    ck_assert_int_eq(end, 2);
    f.nodes[2].first_block = f.nodes[2].end_block = -1;
    ck_assert_int_eq(petals()->rejoin(&f.v, 2, &first, &end), 0);
}
END_TEST

/* Two nodes serving all 4 blocks alike; the first route of `policy`. */
static int first_pick(const char *policy, int announced, int64_t q0, double rep0)
{
    model_desc d = {.n_blocks = 4};
    route_node_view nodes[2];
    for (int i = 0; i < 2; i++)
        nodes[i] = (route_node_view){.id = i, .first_block = 0, .end_block = 4, .up = 1,
                                     .inference_rps = 100, .reputation = 1};
    nodes[0].queue_len = q0;
    nodes[0].reputation = rep0;
    route_view v = {.n_nodes = 2, .nodes = nodes, .model = &d, .announced = announced};
    const route_routing_ops *ops;
    char err[256];
    ck_assert_int_eq(route_routing_find(policy, &ops, err, sizeof err), SS_OK);
    double settings[8];
    ck_assert_int_eq(route_settings_resolve(ops, NULL, 0, settings, err, sizeof err), SS_OK);
    void *state = NULL;
    ck_assert_int_eq(ops->init(&(route_init){.view = &v, .settings = settings, .seed = 1}, &state,
                               err, sizeof err), SS_OK);
    route_hop hops[4];
    int n = 0;
    route_request req = {.id = 0, .prompt_tokens = 1, .output_tokens = 1};
    ck_assert_int_eq(ops->route(state, &v, &req, hops, 4, &n, err, sizeof err), SS_OK);
    ck_assert_int_eq(n, 1);
    ops->fini(state);
    return hops[0].node;
}

/* swarm: both nodes idle for this client (virtual finish times 0), so ties
 * go to node 0; announced, node 0's 3 queued sessions add 3 x 4 blocks /
 * 100 rps = 0.12 s to its key and node 1 wins. The truth view (announced
 * 0) ignores the field, as before. */
START_TEST(test_swarm_counts_the_announced_queue)
{
    ck_assert_int_eq(first_pick("swarm", 0, 3, 1), 0);
    ck_assert_int_eq(first_pick("swarm", 1, 3, 1), 1);
    ck_assert_int_eq(first_pick("swarm", 1, 0, 1), 0);
}
END_TEST

/* nesa: same rates, so the reputation term decides: announced R = 0.1 on
 * node 0 costs 0.5 s x (1/0.1 - 1/1) = 4.5 s more per hop than node 1; the
 * client's own reputations (both 1, nothing observed yet) tie, node 0. */
START_TEST(test_nesa_uses_the_announced_reputation)
{
    ck_assert_int_eq(first_pick("nesa", 1, 0, 0.1), 1);
    ck_assert_int_eq(first_pick("nesa", 0, 0, 0.1), 0);
    ck_assert_int_eq(first_pick("nesa", 1, 0, 0), 0); /* 0: unknown, its own */
    ck_assert_int_eq(first_pick("nesa", 1, 0, 5), 0);
}
END_TEST

static const sim_run_opts opts = {.presets_dir = SS_SRC("models/presets"),
                                  .assets_dir = SS_SHARED_DIR "/assets"};

static void run_fmt(sim_results *r, const char *fmt, ...)
{
    char err[1024];
    scn_scenario s;
    va_list ap;
    va_start(ap, fmt);
    ss_status lst = test_scn_vload(&s, err, sizeof err, fmt, ap);
    va_end(ap);
    ck_assert_msg(lst == SS_OK, "%s", err);
    ss_status st = sim_run(&s, &opts, r, err, sizeof err);
    ck_assert_msg(st == SS_OK, "%s", err);
    scn_scenario_fini(&s);
}

/* llama-2-7b (32 blocks, hidden 4096), fp16: a block is 4 x 4096^2 +
 * 3 x 4096 x 11008 + 2 x 4096 = 202383360 parameters = 404766720 B, its KV
 * reserve K and V of 4096 x 4096 tokens x 2 B = 67108864 B, Petals'
 * autograd reserve 2 GiB / 14336 x 4096 = 613566756.6 B. 8.4 GB holds
 * floor((8.4e9 - 613566756.6) / 471875584) = 16 blocks. Equal nodes join
 * in order: n-0 [0,16), n-1 [16,32) (the empty window), n-2 [0,16) (all
 * windows equal: the first). n-1 fails at 1 s and is back at 600 s. */
static void three_nodes(sim_results *r, const char *placement, const char *view)
{
    run_fmt(r, "{\"version\": 1, \"seed\": 5, \"horizon_s\": 5000,\n"
            " \"model\": {\"preset\": \"llama-2-7b\"},\n"
            " \"network\": {\"regions\": [\"a\"], \"rtt_ms\": [[10]]},\n"
            " \"nodes\": [{\"name\": \"n\", \"count\": 3, \"region\": \"a\", \"device\":"
            " {\"peak_tflops\": 100, \"mem_bw_gbps\": 900, \"memory_gb\": 8.4},"
            " \"uplink_mbps\": 8000, \"downlink_mbps\": 8000}],\n"
            " \"placement\": {\"policy\": \"%s\"%s},\n"
            " \"routing\": {\"policy\": \"petals\", \"view\": \"%s\"},\n"
            " \"faults\": [{\"node\": \"n-1\", \"down_at_s\": 1, \"up_at_s\": 600}],\n"
            " \"workload\": {\"arrivals\": {\"closed\": {\"users\": 1, \"think_time_s\": 10}},"
            " \"n_requests\": 90, \"prompt_tokens\": 8, \"output_tokens\": 4,"
            " \"client_region\": \"a\"}}\n",
            placement, strcmp(placement, "uniform") ? "" : ", \"spans\": 2", view);
}

/* With n-1 gone, blocks 16-31 have no server: T = [2tp x 16, 0 x 16],
 * min 0. Whichever of n-0 / n-2 checks first (U[0, 240) s) moves there:
 * after it T = [tp, tp], quality 0 / tp = 0 < 0.749. The other is then the
 * only server of 0-15 and stays. At 600 s n-1 chooses on the swarm
 * without itself, [tp, tp]: the first window, [0,16), not its old span.
 * Each move downloads 16 x 404766720 B at 8000 Mbit/s = 1e9 B/s:
 * 6.47626752 s. Later checks see T = [2tp, tp] from a node whose own
 * window is the weakest without itself: nobody moves again. */
START_TEST(test_a_node_covers_a_hole_and_a_rejoining_node_takes_other_blocks)
{
    const char *views[] = {"truth", "announced"};
    for (int k = 0; k < 2; k++) {
        sim_results r;
        three_nodes(&r, "petals", views[k]);
        ck_assert_int_eq(r.n_rebalance_moves, 1);
        ck_assert_int_eq(r.n_rejoin_moves, 1);
        ck_assert_int_eq(r.download_ns, 2 * 6476267520LL);
        ck_assert_int_eq(r.nodes[1].first_block, 0); /* rejoined elsewhere */
        ck_assert_int_eq(r.nodes[1].end_block, 16);
        int moved = r.nodes[0].first_block == 16 ? 0 : 2, stayed = 2 - moved;
        ck_assert_int_eq(r.nodes[moved].first_block, 16);
        ck_assert_int_eq(r.nodes[moved].end_block, 32);
        ck_assert_int_eq(r.nodes[stayed].first_block, 0);
        ck_assert_int_eq(r.nodes[stayed].end_block, 16);
        ck_assert_int_eq(r.nodes[moved].failures, 0); /* a move is not a failure */
        ck_assert_int_eq(r.nodes[1].failures, 1);
        ck_assert(r.end_ns > 600000000000LL); /* the run lasted past the rejoin */
        sim_results_fini(&r);
    }
}
END_TEST

/* Other placements keep their spans: nothing moves, nothing downloads. */
START_TEST(test_other_placements_never_move)
{
    sim_results r;
    three_nodes(&r, "uniform", "truth");
    ck_assert_int_eq(r.n_rebalance_moves, 0);
    ck_assert_int_eq(r.n_rejoin_moves, 0);
    ck_assert_int_eq(r.download_ns, 0);
    ck_assert_int_eq(r.nodes[1].first_block, 16);
    sim_results_fini(&r);
}
END_TEST

Suite *rebal_suite(void)
{
    Suite *s = suite_create("rebal");
    TCase *t = tcase_create("rebal");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_petals_rebalance_moves_only_past_the_balance_quality);
    tcase_add_test(t, test_petals_rejoin_takes_the_weakest_window_without_itself);
    tcase_add_test(t, test_a_node_covers_a_hole_and_a_rejoining_node_takes_other_blocks);
    tcase_add_test(t, test_other_placements_never_move);
    tcase_add_test(t, test_swarm_counts_the_announced_queue);
    tcase_add_test(t, test_nesa_uses_the_announced_reputation);
    suite_add_tcase(s, t);
    return s;
}
