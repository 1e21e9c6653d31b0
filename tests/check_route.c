/* check_route.c - the routing layer on hand-built views, without an engine:
 * the registry, settings resolution (known keys, ranges, defaults, the
 * one-line errors), and each policy's route / reroute / dispatch / observe
 * decisions, checked against rules stated in each test's comment. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
    suite_add_tcase(s, t);
    return s;
}
