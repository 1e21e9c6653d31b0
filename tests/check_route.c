/* check_route.c - the routing layer on hand-built views, without an engine:
 * the registry, settings resolution (known keys, ranges, defaults, the
 * one-line errors), and each policy's route / reroute / dispatch / observe
 * decisions, checked against rules stated in each test's comment. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model_net.h"
#include "route.h"

/* Four nodes, two spans of a 4-block model: nodes 0 and 2 serve [0, 2),
 * nodes 1 and 3 serve [2, 4). */
typedef struct fixture {
    model_desc d;
    route_node_view nodes[8];
    route_view v;
} fixture;

static void two_spans(fixture *f, int n_nodes)
{
    memset(f, 0, sizeof *f);
    f->d.n_blocks = 4;
    for (int i = 0; i < n_nodes; i++)
        f->nodes[i] = (route_node_view){.id = i, .first_block = i % 2 ? 2 : 0,
                                        .end_block = i % 2 ? 4 : 2, .up = 1};
    f->v = (route_view){.n_nodes = n_nodes, .nodes = f->nodes, .model = &f->d};
}

static const route_routing_ops *find(const char *name)
{
    const route_routing_ops *ops;
    char err[256];
    ck_assert_int_eq(route_routing_find(name, &ops, err, sizeof err), SS_OK);
    return ops;
}

START_TEST(test_unknown_routing_policy_lists_every_known_name)
{
    const route_routing_ops *ops;
    char err[512];
    ck_assert_int_eq(route_routing_find("nope", &ops, err, sizeof err), SS_ENOTFOUND);
    ck_assert_ptr_null(ops);
    int n;
    const route_routing_ops *const *all = route_routing_all(&n);
    ck_assert_int_ge(n, 2);
    for (int i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(strstr(err, all[i]->name));
        /* every policy answers route and reroute */
        ck_assert_ptr_nonnull(all[i]->route);
        ck_assert_ptr_nonnull(all[i]->reroute);
    }
}
END_TEST

static const route_setting_spec demo_spec[] = {
    {"alpha", 0, 1, 0.25, "a fraction"},
    {"beta", 1, 100, 10, "a count"},
};
static const route_routing_ops demo = {.name = "demo", .settings = demo_spec, .n_settings = 2};

/* Defaults fill what the scenario leaves out; given values replace them. */
START_TEST(test_settings_take_defaults_and_given_values)
{
    double v[2];
    char err[256];
    ck_assert_int_eq(route_settings_resolve(&demo, NULL, 0, v, err, sizeof err), SS_OK);
    ck_assert(v[0] == 0.25 && v[1] == 10);
    route_setting g[] = {{"beta", 100}, {"alpha", 0}};
    ck_assert_int_eq(route_settings_resolve(&demo, g, 2, v, err, sizeof err), SS_OK);
    ck_assert(v[0] == 0 && v[1] == 100); /* both ends of the ranges are allowed */
}
END_TEST

/* An unknown key names the policy and its keys; a value out of range names
 * the range; a policy without settings says it takes none. */
START_TEST(test_settings_errors_are_one_line_with_the_json_path)
{
    double v[2];
    char err[256];
    route_setting g1[] = {{"gamma", 1}};
    ck_assert_int_eq(route_settings_resolve(&demo, g1, 1, v, err, sizeof err), SS_ESCHEMA);
    ck_assert_str_eq(err, "routing.settings.gamma: unknown setting of routing policy \"demo\" "
                          "(known: alpha, beta)");
    route_setting g2[] = {{"beta", 0.5}};
    ck_assert_int_eq(route_settings_resolve(&demo, g2, 1, v, err, sizeof err), SS_ESCHEMA);
    ck_assert_str_eq(err, "routing.settings.beta: expected a number in [1, 100], got 0.5");
    route_setting g3[] = {{"alpha", NAN}};
    ck_assert_int_eq(route_settings_resolve(&demo, g3, 1, v, err, sizeof err), SS_ESCHEMA);
    ck_assert_int_eq(route_settings_resolve(find("fixed"), g1, 1, v, err, sizeof err), SS_ESCHEMA);
    ck_assert_str_eq(err, "routing.settings.gamma: unknown setting of routing policy \"fixed\" "
                          "(it takes none)");
}
END_TEST

/* "fixed" binds each hop to the lowest live node of its span;
 * "central-queue" gives the same spans with every hop unbound, its node only
 * a placeholder serving that span. Node 0 is down. */
START_TEST(test_fixed_binds_and_central_queue_leaves_hops_unbound)
{
    fixture f;
    two_spans(&f, 4);
    f.nodes[0].up = 0;
    const char *names[2] = {"fixed", "central-queue"};
    for (int p = 0; p < 2; p++) {
        const route_routing_ops *ops = find(names[p]);
        ck_assert_int_eq(ops->dispatch != NULL, p);
        route_hop hops[8];
        int n = 0;
        char err[256];
        route_request req = {.id = 3};
        ck_assert_int_eq(ops->route(NULL, &f.v, &req, hops, 8, &n, err, sizeof err), SS_OK);
        ck_assert_int_eq(n, 2);
        for (int h = 0; h < 2; h++) {
            ck_assert_int_eq(hops[h].first_block, 2 * h);
            ck_assert_int_eq(hops[h].end_block, 2 * h + 2);
            ck_assert_int_eq(hops[h].state, p ? ROUTE_HOP_UNBOUND : ROUTE_HOP_BOUND);
        }
        ck_assert_int_eq(hops[0].node, 2);
        ck_assert_int_eq(hops[1].node, 1);
        /* a block nobody serves: SS_ENOTFOUND naming it */
        f.nodes[2].up = 0;
        ck_assert_int_eq(ops->route(NULL, &f.v, &req, hops, 8, &n, err, sizeof err),
                         SS_ENOTFOUND);
        ck_assert_str_eq(err, "no serving node starts at block 0");
        f.nodes[2].up = 1;
    }
}
END_TEST

/* fixed and central-queue reroute as the simulator did before rerouting
 * moved into the policies: the failed node if it is up again (it lost the
 * cache, not its life), else the lowest-numbered live node serving exactly
 * the failed span; none: SS_ENOTFOUND. One hop, the failed range only. */
START_TEST(test_fixed_reroute_is_lowest_live_replica_of_the_span)
{
    fixture f;
    two_spans(&f, 6); /* [0,2): 0, 2, 4; [2,4): 1, 3, 5 */
    const char *names[2] = {"fixed", "central-queue"};
    for (int p = 0; p < 2; p++) {
        const route_routing_ops *ops = find(names[p]);
        route_hop failed = {.node = 3, .first_block = 2, .end_block = 4};
        route_hop hops[4];
        int n = 0;
        char err[256];
        route_request req = {0};
        /* node 3 came back: stays there */
        ck_assert_int_eq(ops->reroute(NULL, &f.v, &req, &failed, hops, 4, &n, err, sizeof err),
                         SS_OK);
        ck_assert_int_eq(n, 1);
        ck_assert_int_eq(hops[0].node, 3);
        /* node 3 and 1 down: 5 */
        f.nodes[3].up = f.nodes[1].up = 0;
        ck_assert_int_eq(ops->reroute(NULL, &f.v, &req, &failed, hops, 4, &n, err, sizeof err),
                         SS_OK);
        ck_assert_int_eq(n, 1);
        ck_assert_int_eq(hops[0].node, 5);
        ck_assert_int_eq(hops[0].first_block, 2);
        ck_assert_int_eq(hops[0].end_block, 4);
        ck_assert_int_eq(hops[0].state, ROUTE_HOP_BOUND);
        f.nodes[5].up = 0;
        ck_assert_int_eq(ops->reroute(NULL, &f.v, &req, &failed, hops, 4, &n, err, sizeof err),
                         SS_ENOTFOUND);
        ck_assert_str_eq(err, "no live node serves blocks [2, 4)");
        f.nodes[1].up = f.nodes[3].up = f.nodes[5].up = 1;
    }
}
END_TEST

/* central-queue's dispatch: the first (lowest-numbered) idle replica, or
 * wait when none is idle. */
START_TEST(test_central_queue_dispatches_to_the_lowest_idle_replica)
{
    fixture f;
    two_spans(&f, 6);
    const route_routing_ops *ops = find("central-queue");
    route_hop hop = {.node = 0, .first_block = 0, .end_block = 2, .state = ROUTE_HOP_UNBOUND};
    route_request req = {0};
    const int idle[] = {2, 4};
    ck_assert_int_eq(ops->dispatch(NULL, &f.v, &req, &hop, idle, 2), 0);
    ck_assert_int_eq(ops->dispatch(NULL, &f.v, &req, &hop, idle, 0), -1);
}
END_TEST

/* ---- the policies on a view: helpers ------------------------------------ */

typedef struct opened {
    const route_routing_ops *ops;
    void *state;
} opened;

static opened open_policy(const char *name, const route_view *v, uint64_t seed,
                          const route_setting *given, int n_given)
{
    opened o = {.ops = find(name)};
    double values[16];
    char err[256];
    ck_assert_int_eq(route_settings_resolve(o.ops, given, n_given, values, err, sizeof err),
                     SS_OK);
    route_init in = {.view = v, .settings = values, .seed = seed};
    if (o.ops->init)
        ck_assert_int_eq(o.ops->init(&in, &o.state, err, sizeof err), SS_OK);
    return o;
}

static void close_policy(opened *o)
{
    if (o->ops->fini)
        o->ops->fini(o->state);
}

/* route() with the chain checked to tile [0, n_blocks) on live nodes whose
 * spans hold their hops. */
static int route_ok(opened *o, const route_view *v, const route_request *req, route_hop *hops)
{
    int n = 0;
    char err[256];
    ck_assert_int_eq(o->ops->route(o->state, v, req, hops, 16, &n, err, sizeof err), SS_OK);
    int b = 0;
    for (int h = 0; h < n; h++) {
        const route_node_view *x = &v->nodes[hops[h].node];
        ck_assert_int_eq(hops[h].first_block, b);
        ck_assert_int_gt(hops[h].end_block, b);
        ck_assert(x->up && x->first_block <= b && hops[h].end_block <= x->end_block);
        ck_assert_int_eq(hops[h].state, ROUTE_HOP_BOUND);
        b = hops[h].end_block;
    }
    ck_assert_int_eq(b, v->model->n_blocks);
    return n;
}

static void observe(opened *o, const route_view *v, int node, route_hop_outcome out,
                    int64_t now_ns, int64_t latency_ns)
{
    route_feedback fb = {.node = node, .first_block = v->nodes[node].first_block,
                         .end_block = v->nodes[node].end_block, .outcome = out,
                         .latency_ns = latency_ns, .now_ns = now_ns};
    o->ops->observe(o->state, v, &fb);
}

/* random: every replica is used, the draws come from the policy's own
 * stream (same seed: same chains; another seed: other chains). */
START_TEST(test_random_uses_every_replica_and_its_own_stream)
{
    fixture f;
    two_spans(&f, 6);
    opened a = open_policy("random", &f.v, 42, NULL, 0), b = open_policy("random", &f.v, 42, NULL, 0),
           c = open_policy("random", &f.v, 43, NULL, 0);
    int count[6] = {0}, differ = 0;
    for (int r = 0; r < 600; r++) {
        route_request req = {.id = (uint64_t)r};
        route_hop ha[16], hb[16], hc[16];
        ck_assert_int_eq(route_ok(&a, &f.v, &req, ha), 2);
        route_ok(&b, &f.v, &req, hb);
        route_ok(&c, &f.v, &req, hc);
        for (int h = 0; h < 2; h++) {
            count[ha[h].node]++;
            ck_assert_int_eq(ha[h].node, hb[h].node);
            differ += ha[h].node != hc[h].node;
        }
    }
    /* 600 draws among 3 replicas: 200 expected each, sd about 11.5 */
    for (int i = 0; i < 6; i++)
        ck_assert(count[i] > 140 && count[i] < 260);
    ck_assert_int_gt(differ, 100);
    close_policy(&a);
    close_policy(&b);
    close_policy(&c);
}
END_TEST

/* round-robin: each span's replicas take turns, per start block. */
START_TEST(test_round_robin_takes_turns_per_span)
{
    fixture f;
    two_spans(&f, 6);
    opened o = open_policy("round-robin", &f.v, 1, NULL, 0);
    const int want0[] = {0, 2, 4, 0, 2}, want1[] = {1, 3, 5, 1, 3};
    for (int r = 0; r < 5; r++) {
        route_request req = {.id = (uint64_t)r};
        route_hop h[16];
        route_ok(&o, &f.v, &req, h);
        ck_assert_int_eq(h[0].node, want0[r]);
        ck_assert_int_eq(h[1].node, want1[r]);
    }
    close_policy(&o);
}
END_TEST

/* swarm, by hand. Span [0,2) on nodes 0 (inference_rps 10) and 2 (20);
 * span [2,4) on 1 and 3. A request with 9 output tokens makes 10 passes,
 * so a 2-block hop is work 20 block-passes. All at now = 0:
 *   r0: F0 = F2 = 0, tie -> node 0, F0 = 20/10 = 2 s
 *   r1: node 2 (0 < 2), F2 = 20/20 = 1 s
 *   r2: node 2 (1 < 2), F2 = 2 s
 *   r3: tie at 2 s -> node 0, F0 = 4 s
 * Then observe: node 0 did 2 blocks in 0.5 s (sample 4 blocks/s); with
 * ema_alpha 0.5 its estimate becomes 0.5*4 + 0.5*10 = 7; at now = 10 s both
 * finish times are past, so r4 -> node 0 (tie, lowest), F0 = 10 + 20/7 s. */
START_TEST(test_swarm_picks_the_earliest_virtual_finish_time_by_hand)
{
    fixture f;
    two_spans(&f, 4);
    f.nodes[0].inference_rps = 10;
    f.nodes[2].inference_rps = 20;
    f.nodes[1].inference_rps = f.nodes[3].inference_rps = 1000;
    route_setting alpha = {"ema_alpha", 0.5};
    opened o = open_policy("swarm", &f.v, 1, &alpha, 1);
    const int want[] = {0, 2, 2, 0};
    route_hop h[16];
    for (int r = 0; r < 4; r++) {
        route_request req = {.id = (uint64_t)r, .output_tokens = 9};
        route_ok(&o, &f.v, &req, h);
        ck_assert_int_eq(h[0].node, want[r]);
    }
    observe(&o, &f.v, 0, ROUTE_HOP_OK, 5000000000LL, 500000000LL);
    route_request req = {.id = 4, .output_tokens = 9, .now_ns = 10000000000LL};
    route_ok(&o, &f.v, &req, h);
    ck_assert_int_eq(h[0].node, 0);
    /* F0 = 10 s + 20/7 s = 12.857142857 s > F2 = 2 s... but F2 < now, so
     * the next request at 10 s goes to node 2 */
    req.id = 5;
    route_ok(&o, &f.v, &req, h);
    ck_assert_int_eq(h[0].node, 2); /* F2 = 10 + 20/20 = 11 s */
    /* a request that finds no chain (span [2,4) down) charges nobody: then
     * node 2 twice (11 -> 12 -> 13 s, both below 12.857 s), then node 0 */
    f.nodes[1].up = f.nodes[3].up = 0;
    int n = 0;
    char e[256];
    ck_assert_int_eq(o.ops->route(o.state, &f.v, &req, h, 16, &n, e, sizeof e), SS_ENOTFOUND);
    f.nodes[1].up = f.nodes[3].up = 1;
    const int next[] = {2, 2, 0};
    for (int r = 0; r < 3; r++) {
        route_ok(&o, &f.v, &req, h);
        ck_assert_int_eq(h[0].node, next[r]);
    }
    close_policy(&o);
    /* the setting's range */
    double v[1];
    char err[256];
    route_setting bad = {"ema_alpha", 0};
    ck_assert_int_eq(route_settings_resolve(find("swarm"), &bad, 1, v, err, sizeof err),
                     SS_ESCHEMA);
    ck_assert_str_eq(err, "routing.settings.ema_alpha: expected a number in [1e-06, 1], got 0");
}
END_TEST

/* max-throughput: nodes 0 and 2 announce 1 and 3 tokens/s: over 4000
 * requests node 2 takes about 3/4 of span [0,2) (sd about 27). */
START_TEST(test_max_throughput_draws_in_proportion_to_throughput)
{
    fixture f;
    two_spans(&f, 4);
    f.nodes[0].throughput_rps = 1;
    f.nodes[2].throughput_rps = 3;
    f.nodes[1].throughput_rps = f.nodes[3].throughput_rps = 5;
    opened o = open_policy("max-throughput", &f.v, 7, NULL, 0);
    int on2 = 0;
    for (int r = 0; r < 4000; r++) {
        route_request req = {.id = (uint64_t)r};
        route_hop h[16];
        route_ok(&o, &f.v, &req, h);
        on2 += h[0].node == 2;
    }
    ck_assert(on2 > 2850 && on2 < 3150);
    close_policy(&o);
}
END_TEST

/* petals, by hand, without RTTs (each delay is Petals' default 0.15 s):
 * span [0,2) on node 0 (10 rps) and node 2 (100 rps), [2,4) on node 1 (100)
 * and node 3 (10). Chain 2 -> 1 costs 0.168 + 0.02 + 0.168 + 0.02 + 0.15;
 * any chain through node 0 or 3 adds 0.18 s of compute. */
START_TEST(test_petals_takes_the_fastest_chain_and_respects_kv_room)
{
    fixture f;
    two_spans(&f, 4);
    const double rps[] = {10, 100, 100, 10};
    for (int i = 0; i < 4; i++)
        f.nodes[i].inference_rps = rps[i];
    opened o = open_policy("petals", &f.v, 1, NULL, 0);
    route_request req = {.prompt_tokens = 8, .output_tokens = 8};
    route_hop h[16];
    ck_assert_int_eq(route_ok(&o, &f.v, &req, h), 2);
    ck_assert_int_eq(h[0].node, 2);
    ck_assert_int_eq(h[1].node, 1);
    /* node 2 announces 63 free tokens: 16 tokens * 2 * 2 blocks = 64 do not
     * fit, +10 s on its edge: node 0 instead */
    f.nodes[2].kv_known = 1;
    f.nodes[2].free_kv_tokens = 63;
    route_ok(&o, &f.v, &req, h);
    ck_assert_int_eq(h[0].node, 0);
    f.nodes[2].free_kv_tokens = 64;
    route_ok(&o, &f.v, &req, h);
    ck_assert_int_eq(h[0].node, 2);
    close_policy(&o);
}
END_TEST

/* Petals' ban list, by hand (route_int.h): node 2 fails at t = 0 (k = 0):
 * banned until 15 s (its further failures at 0 and 10 s, while banned,
 * change nothing); at 14.999999999 s the chain avoids it, at 15 s it is
 * back. Fails again at 20 s (k = 1): banned 30 s, until 50 s. A success
 * clears k: its next failure, at 60 s, bans it 15 s again (until 75 s).
 * With every replica of the span banned, the banned ones are used. */
START_TEST(test_petals_bans_back_off_and_a_success_clears_them)
{
    fixture f;
    two_spans(&f, 4);
    const double rps[] = {10, 100, 100, 10};
    for (int i = 0; i < 4; i++)
        f.nodes[i].inference_rps = rps[i];
    opened o = open_policy("petals", &f.v, 1, NULL, 0);
    const int64_t S = 1000000000LL;
    route_hop h[16];
    struct { int64_t now; int want; } seq[] = {{0, 2}, {1, 0}, {15 * S - 1, 0}, {15 * S, 2}};
    observe(&o, &f.v, 2, ROUTE_HOP_FAILED, 0, 0);
    /* failures while banned count for nothing (hivemind's Blacklist) */
    observe(&o, &f.v, 2, ROUTE_HOP_FAILED, 0, 0);
    observe(&o, &f.v, 2, ROUTE_HOP_FAILED, 10 * S, 0);
    for (int i = 1; i < 4; i++) {
        route_request req = {.now_ns = seq[i].now};
        route_ok(&o, &f.v, &req, h);
        ck_assert_int_eq(h[0].node, seq[i].want);
    }
    observe(&o, &f.v, 2, ROUTE_HOP_TIMEOUT, 20 * S, 0);
    route_request req = {.now_ns = 50 * S - 1};
    route_ok(&o, &f.v, &req, h);
    ck_assert_int_eq(h[0].node, 0);
    req.now_ns = 50 * S;
    route_ok(&o, &f.v, &req, h);
    ck_assert_int_eq(h[0].node, 2);
    observe(&o, &f.v, 2, ROUTE_HOP_OK, 55 * S, S);
    observe(&o, &f.v, 2, ROUTE_HOP_FAILED, 60 * S, 0);
    req.now_ns = 75 * S - 1;
    route_ok(&o, &f.v, &req, h);
    ck_assert_int_eq(h[0].node, 0);
    req.now_ns = 75 * S;
    route_ok(&o, &f.v, &req, h);
    ck_assert_int_eq(h[0].node, 2);
    /* both replicas of [0, 2) banned: the span stays routable */
    observe(&o, &f.v, 0, ROUTE_HOP_FAILED, 80 * S, 0);
    observe(&o, &f.v, 2, ROUTE_HOP_FAILED, 80 * S, 0);
    req.now_ns = 81 * S;
    route_ok(&o, &f.v, &req, h);
    ck_assert_int_eq(h[0].node, 2);
    close_policy(&o);
}
END_TEST

/* Every new policy: reroute answers one live hop for exactly the failed
 * range, never a banned node while another is live (the failed node was
 * just observed failing), and SS_ENOTFOUND when nobody serves it; ban
 * avoidance holds for route() too. */
START_TEST(test_new_policies_reroute_the_failed_range_to_one_live_node)
{
    const char *names[] = {"petals", "random", "round-robin", "swarm", "max-throughput", "nesa"};
    for (size_t p = 0; p < sizeof names / sizeof names[0]; p++) {
        fixture f;
        two_spans(&f, 6);
        opened o = open_policy(names[p], &f.v, 3, NULL, 0);
        route_hop failed = {.node = 3, .first_block = 2, .end_block = 4};
        observe(&o, &f.v, 3, ROUTE_HOP_FAILED, 0, 0);
        for (int r = 0; r < 20; r++) {
            route_request req = {.id = (uint64_t)r, .now_ns = r};
            route_hop h[16];
            int n = 0;
            char err[256];
            ck_assert_int_eq(o.ops->reroute(o.state, &f.v, &req, &failed, h, 16, &n, err,
                                            sizeof err), SS_OK);
            ck_assert_int_eq(n, 1);
            ck_assert_int_eq(h[0].first_block, 2);
            ck_assert_int_eq(h[0].end_block, 4);
            ck_assert(h[0].node == 1 || h[0].node == 5);
            route_ok(&o, &f.v, &req, h);
            ck_assert_int_ne(h[1].node, 3);
        }
        f.nodes[1].up = f.nodes[3].up = f.nodes[5].up = 0;
        route_request req = {0};
        route_hop h[16];
        int n = 0;
        char err[256];
        ck_assert_int_eq(o.ops->reroute(o.state, &f.v, &req, &failed, h, 16, &n, err, sizeof err),
                         SS_ENOTFOUND);
        ck_assert_int_eq(o.ops->route(o.state, &f.v, &req, h, 16, &n, err, sizeof err),
                         SS_ENOTFOUND);
        close_policy(&o);
    }
}
END_TEST

/* ---- placement policies -------------------------------------------------- */

static const route_placement_ops *find_placement(const char *name)
{
    const route_placement_ops *ops;
    char err[256];
    ck_assert_int_eq(route_placement_find(name, &ops, err, sizeof err), SS_OK);
    return ops;
}

typedef struct pfixture {
    model_block_desc blocks[4];
    model_desc d;
    route_node_view nodes[8];
    route_view v;
} pfixture;

/* A 4-block model with hidden 14336 (Petals' reserve is then exactly
 * 2 GiB), K and V of full width (no KV groups: 4096 cache tokens), fp16
 * weights and KV. */
static void pmodel(pfixture *f, double params_per_block, int n_nodes)
{
    memset(f, 0, sizeof *f);
    for (int b = 0; b < 4; b++)
        f->blocks[b] = (model_block_desc){.n_params = (uint64_t)params_per_block,
                                          .kv_elems_per_item = 2 * 14336,
                                          .act_in_elems = 14336, .act_out_elems = 14336};
    f->d = (model_desc){.n_blocks = 4, .blocks = f->blocks, .weight_bytes_per_param = 2,
                        .kv_bytes_per_elem = 2};
    for (int i = 0; i < n_nodes; i++)
        f->nodes[i] = (route_node_view){.id = i, .up = 1, .first_block = -1, .end_block = -1,
                                        .downlink_bytes_per_s = 1e18, .network_rps = 1e9};
    f->v = (route_view){.n_nodes = n_nodes, .nodes = f->nodes, .model = &f->d};
}

/* petals placement by hand. block 2e9 B (1e9 params x 2), KV per block
 * 2 x 14336 x 4096 x 2 B = 234881024 B, reserve 2 GiB = 2147483648 B:
 * blocks = floor((memory - 2147483648) / 2234881024): 7e9 B -> 2,
 * 4.5e9 B -> 1, 4e9 B -> 0 (serves nothing). Throughputs
 * min(forward_rps / ((n + 1) / 2), 1e9): node 0 300/1.5 = 200, node 1
 * 150/1.5 = 100, node 2 600/1.5 = 400, node 3 100/1 = 100.
 *   node 0 (2): T = 0 0 0 0, start 0 -> [0,2), T = 200 200 0 0
 *   node 1 (2): windows [200 200] [0 200] [0 0]: start 2 -> [2,4), T = 200 200 100 100
 *   node 2 (2): [200 200] [100 200] [100 100]: start 2, T = 200 200 500 500
 *   node 3 (1): [200] [200] [500] [500]: start 0 (first of the ties) -> [0,1)
 *   node 4: none. */
START_TEST(test_petals_placement_by_hand)
{
    pfixture f;
    pmodel(&f, 1e9, 5);
    const double mem[] = {7e9, 7e9, 7e9, 4.5e9, 4e9}, fwd[] = {300, 150, 600, 100, 100};
    for (int i = 0; i < 5; i++) {
        f.nodes[i].memory_bytes = mem[i];
        f.nodes[i].forward_rps = fwd[i];
    }
    char err[256];
    ck_assert_int_eq(find_placement("petals")->place(&f.v, NULL, err, sizeof err), SS_OK);
    const int want[5][2] = {{0, 2}, {2, 4}, {2, 4}, {0, 1}, {-1, -1}};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(f.nodes[i].first_block, want[i][0]);
        ck_assert_int_eq(f.nodes[i].end_block, want[i][1]);
    }
    /* nobody holds a block: one error line */
    for (int i = 0; i < 5; i++)
        f.nodes[i].memory_bytes = 4e9;
    ck_assert_int_eq(find_placement("petals")->place(&f.v, NULL, err, sizeof err), SS_EFULL);
    ck_assert_ptr_nonnull(strstr(err, "no node can hold one block"));
}
END_TEST

/* memory-greedy by hand, blocks of 1e9 B: memories 2.5, 3, 1.5, 0.5 GB ->
 * order node 1 (3 blocks: [0,3)), node 0 (2 blocks from 3, cut at 4:
 * [3,4), then wrap), node 2 (1: [0,1)), node 3 (0: none). */
START_TEST(test_memory_greedy_placement_by_hand)
{
    pfixture f;
    pmodel(&f, 5e8, 4);
    const double mem[] = {2.5e9, 3e9, 1.5e9, 0.5e9};
    for (int i = 0; i < 4; i++)
        f.nodes[i].memory_bytes = mem[i];
    char err[256];
    ck_assert_int_eq(find_placement("memory-greedy")->place(&f.v, NULL, err, sizeof err), SS_OK);
    const int want[4][2] = {{3, 4}, {0, 3}, {0, 1}, {-1, -1}};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(f.nodes[i].first_block, want[i][0]);
        ck_assert_int_eq(f.nodes[i].end_block, want[i][1]);
    }
    f.nodes[1].memory_bytes = 2.5e9; /* 2 + 2 + 1 blocks wrap once: covered */
    ck_assert_int_eq(find_placement("memory-greedy")->place(&f.v, NULL, err, sizeof err), SS_OK);
    for (int i = 0; i < 4; i++)
        f.nodes[i].memory_bytes = 0.5e9;
    ck_assert_int_eq(find_placement("memory-greedy")->place(&f.v, NULL, err, sizeof err),
                     SS_EFULL);
}
END_TEST

/* mtpp by hand: nodes 0 and 1 at 1 and 3 blocks per second (forward_rps),
 * links and memory no limit: max(a / 1, (4 - a) / 3) is smallest at a = 1
 * (1 s both): [0,1) on node 0, [1,4) on node 1. With a third, faster node
 * first in the chain (forward_rps 4): 3 stages; a node may be skipped. */
START_TEST(test_mtpp_placement_by_hand)
{
    pfixture f;
    pmodel(&f, 1, 2);
    f.nodes[0].forward_rps = 1;
    f.nodes[1].forward_rps = 3;
    f.nodes[0].memory_bytes = f.nodes[1].memory_bytes = 1e18;
    char err[256];
    ck_assert_int_eq(find_placement("mtpp")->place(&f.v, NULL, err, sizeof err), SS_OK);
    ck_assert_int_eq(f.nodes[0].first_block, 0);
    ck_assert_int_eq(f.nodes[0].end_block, 1);
    ck_assert_int_eq(f.nodes[1].first_block, 1);
    ck_assert_int_eq(f.nodes[1].end_block, 4);
    /* node 1 cannot hold 3 blocks of 2 B: best is then a = 2 (2 s vs 2/3 s)
     * or a = 3 (3 s vs 1/3 s); a = 2 with [2,4) on node 1 needs 4 B */
    f.nodes[1].memory_bytes = 4;
    ck_assert_int_eq(find_placement("mtpp")->place(&f.v, NULL, err, sizeof err), SS_OK);
    ck_assert_int_eq(f.nodes[0].end_block, 2);
    ck_assert_int_eq(f.nodes[1].first_block, 2);
}
END_TEST

START_TEST(test_unknown_placement_lists_every_known_name)
{
    const route_placement_ops *ops;
    char err[512];
    ck_assert_int_eq(route_placement_find("nope", &ops, err, sizeof err), SS_ENOTFOUND);
    ck_assert_str_eq(err, "unknown placement policy \"nope\" (known: uniform, manual, petals, "
                          "mtpp, memory-greedy)");
}
END_TEST

/* nesa's reputation through observe, by hand. Span [0,2) on nodes 0 and 2,
 * equal rates: a tie, node 0 (lower index). Node 0 fails at 0 s: R0 = 0.8,
 * g = 1.25 > g(R2) = 1, so at 100 s (its 15 s ban long over) the chain
 * takes node 2. Successes on node 0: R0 = 0.8 * 1.01^k; after 22,
 * 0.8 * 1.01^22 = 0.99578 < 1 (still node 2); after 23, 1.00574 > 1: node
 * 0 again. Settings name their keys. */
START_TEST(test_nesa_reputation_follows_observed_outcomes_by_hand)
{
    fixture f;
    two_spans(&f, 4);
    for (int i = 0; i < 4; i++) {
        f.nodes[i].inference_rps = 100;
        f.nodes[i].uplink_bytes_per_s = f.nodes[i].downlink_bytes_per_s = 1e6;
    }
    model_block_desc blocks[4] = {{.act_in_elems = 8}, {.act_in_elems = 8}, {.act_in_elems = 8},
                                  {.act_in_elems = 8}};
    f.d.blocks = blocks;
    opened o = open_policy("nesa", &f.v, 1, NULL, 0);
    const int64_t S = 1000000000LL;
    route_request req = {.now_ns = 100 * S};
    route_hop h[16];
    route_ok(&o, &f.v, &req, h);
    ck_assert_int_eq(h[0].node, 0);
    observe(&o, &f.v, 0, ROUTE_HOP_FAILED, 0, 0);
    route_ok(&o, &f.v, &req, h);
    ck_assert_int_eq(h[0].node, 2);
    for (int k = 1; k <= 23; k++) {
        observe(&o, &f.v, 0, ROUTE_HOP_OK, 50 * S, S);
        route_ok(&o, &f.v, &req, h);
        ck_assert_int_eq(h[0].node, k < 23 ? 2 : 0);
    }
    close_policy(&o);
    double v[4];
    char err[256];
    route_setting bad = {"speed", 1};
    ck_assert_int_eq(route_settings_resolve(find("nesa"), &bad, 1, v, err, sizeof err),
                     SS_ESCHEMA);
    ck_assert_str_eq(err, "routing.settings.speed: unknown setting of routing policy \"nesa\" "
                          "(known: compute, latency, transfer, reputation)");
}
END_TEST

Suite *route_suite(void)
{
    Suite *s = suite_create("route");
    TCase *t = tcase_create("route");
    tcase_add_test(t, test_unknown_routing_policy_lists_every_known_name);
    tcase_add_test(t, test_settings_take_defaults_and_given_values);
    tcase_add_test(t, test_settings_errors_are_one_line_with_the_json_path);
    tcase_add_test(t, test_fixed_binds_and_central_queue_leaves_hops_unbound);
    tcase_add_test(t, test_fixed_reroute_is_lowest_live_replica_of_the_span);
    tcase_add_test(t, test_central_queue_dispatches_to_the_lowest_idle_replica);
    tcase_add_test(t, test_random_uses_every_replica_and_its_own_stream);
    tcase_add_test(t, test_round_robin_takes_turns_per_span);
    tcase_add_test(t, test_swarm_picks_the_earliest_virtual_finish_time_by_hand);
    tcase_add_test(t, test_max_throughput_draws_in_proportion_to_throughput);
    tcase_add_test(t, test_petals_takes_the_fastest_chain_and_respects_kv_room);
    tcase_add_test(t, test_petals_bans_back_off_and_a_success_clears_them);
    tcase_add_test(t, test_new_policies_reroute_the_failed_range_to_one_live_node);
    tcase_add_test(t, test_nesa_reputation_follows_observed_outcomes_by_hand);
    tcase_add_test(t, test_petals_placement_by_hand);
    tcase_add_test(t, test_memory_greedy_placement_by_hand);
    tcase_add_test(t, test_mtpp_placement_by_hand);
    tcase_add_test(t, test_unknown_placement_lists_every_known_name);
    suite_add_tcase(s, t);
    return s;
}
