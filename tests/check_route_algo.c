/* check_route_algo.c - the routing/placement algorithms as pure functions:
 * Nesa's reputation (hand values, both clips), Petals' min-latency path
 * (hand-computed chains and a brute-force twin over random instances),
 * Petals' block choice and rebalancing (hand-derived examples on both sides
 * of the 0.75 balance quality), and the MTPP chain partition (a brute-force
 * twin over random instances). */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_mtpp.h"
#include "route_petals_blocks.h"
#include "route_petals_path.h"
#include "route_reputation.h"
#include "ss_alloc.h"

/* ---- reputation -------------------------------------------------------- */

/* 1 -S-> 1.01 -S-> 1.0201 -F-> 0.81608 -T-> 0.652864 -S-> 0.65939264
 * (each a product of the previous value and 1.01 or 0.8, by hand). */
START_TEST(test_reputation_follows_a_scripted_sequence_by_hand)
{
    route_reputation_cfg c = route_reputation_cfg_default();
    ck_assert_int_eq(route_reputation_cfg_check(&c, NULL, 0), SS_OK);
    const route_outcome seq[] = {ROUTE_OUTCOME_SUCCESS, ROUTE_OUTCOME_SUCCESS, ROUTE_OUTCOME_FAILURE,
                                 ROUTE_OUTCOME_TIMEOUT, ROUTE_OUTCOME_SUCCESS};
    const double want[] = {1.01, 1.0201, 0.81608, 0.652864, 0.65939264};
    double r = c.initial;
    ck_assert(r == 1.0);
    for (int i = 0; i < 5; i++) {
        r = route_reputation_update(&c, r, seq[i]);
        ck_assert_double_eq_tol(r, want[i], 1e-15);
        ck_assert_double_eq_tol(route_reputation_cost(r), 1.0 / want[i], 1e-14);
    }
}
END_TEST

/* Low end: 0.8^10 = 0.1073741824 > 0.1, 0.8^11 = 0.08589934592 < 0.1, so
 * the 11th failure clips to 0.1; a success then gives 0.101 and g = 10.
 * High end: 1.01^n > 10 iff n > ln 10 / ln 1.01 = 231.4, so 231 successes
 * stay below 10 and the 232nd clips to exactly 10; a failure gives 8. */
START_TEST(test_reputation_clips_at_both_ends)
{
    route_reputation_cfg c = route_reputation_cfg_default();
    double r = 1.0;
    for (int i = 0; i < 10; i++)
        r = route_reputation_update(&c, r, ROUTE_OUTCOME_FAILURE);
    ck_assert_double_eq_tol(r, 0.1073741824, 1e-15);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_TIMEOUT);
    ck_assert(r == 0.1);
    ck_assert_double_eq_tol(route_reputation_cost(r), 10.0, 1e-12);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_FAILURE);
    ck_assert(r == 0.1);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_SUCCESS);
    ck_assert_double_eq_tol(r, 0.101, 1e-15);

    r = 1.0;
    for (int i = 0; i < 231; i++)
        r = route_reputation_update(&c, r, ROUTE_OUTCOME_SUCCESS);
    ck_assert(r < 10.0 && r > 9.9);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_SUCCESS);
    ck_assert(r == 10.0);
    ck_assert_double_eq_tol(route_reputation_cost(r), 0.1, 1e-15);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_SUCCESS);
    ck_assert(r == 10.0);
    r = route_reputation_update(&c, r, ROUTE_OUTCOME_FAILURE);
    ck_assert(r == 8.0);
    /* Out-of-range or NaN inputs are clipped before the factor applies. */
    ck_assert(route_reputation_update(&c, 50.0, ROUTE_OUTCOME_FAILURE) == 8.0);
    ck_assert(route_reputation_update(&c, NAN, ROUTE_OUTCOME_SUCCESS) == 0.101);
    ck_assert(isinf(route_reputation_cost(0.0)) && isinf(route_reputation_cost(NAN)));
}
END_TEST

START_TEST(test_reputation_rejects_bad_configurations)
{
    char err[128];
    route_reputation_cfg c = route_reputation_cfg_default();
    c.min = 0;
    ck_assert_int_eq(route_reputation_cfg_check(&c, err, sizeof err), SS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "min"));
    c = route_reputation_cfg_default();
    c.initial = 20;
    ck_assert_int_eq(route_reputation_cfg_check(&c, err, sizeof err), SS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "initial"));
    c = route_reputation_cfg_default();
    c.failure_factor = 1.5;
    ck_assert_int_eq(route_reputation_cfg_check(&c, err, sizeof err), SS_EINVAL);
    c = route_reputation_cfg_default();
    c.success_factor = NAN;
    ck_assert_int_eq(route_reputation_cfg_check(&c, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(route_reputation_cfg_check(NULL, err, sizeof err), SS_EINVAL);
}
END_TEST

/* ---- shared test RNG (SplitMix64; tests never call rand()) -------------- */

static uint64_t t_next(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n) (the modulo bias is irrelevant for test coverage). */
static int t_int(uint64_t *st, int n)
{
    return (int)(t_next(st) % (uint64_t)n);
}

/* ---- Petals min-latency path ------------------------------------------ */

#define PP_MAXS 8
#define PP_MAXB 8

/* RTTs as a matrix: row 0 is the client, row 1 + s is server s. */
typedef struct pp_rtt {
    int known[PP_MAXS + 1][PP_MAXS];
    double rtt[PP_MAXS + 1][PP_MAXS];
} pp_rtt;

static int pp_rtt_fn(void *ctx, int from, int to, double *rtt_s)
{
    const pp_rtt *m = ctx;
    int row = from == ROUTE_PETALS_CLIENT ? 0 : from + 1;
    if (!m->known[row][to])
        return 0;
    *rtt_s = m->rtt[row][to];
    return 1;
}

static ss_status pp_find(const route_petals_path_in *in, route_petals_hop *hops, int max_hops,
                         int *n, double *cost)
{
    size_t nb = route_petals_path_scratch_bytes(in->n_servers, in->n_blocks);
    void *scr = ss_malloc(nb);
    ck_assert_ptr_nonnull(scr);
    char err[160] = "";
    ss_status st = route_petals_path_find(in, scr, nb, hops, max_hops, n, cost, err, sizeof err);
    ss_free(scr);
    return st;
}

/* Four blocks; A = server 0 on [0,2) at 100 rps, B = 1 on [2,4) at 50 rps,
 * C = 2 on [0,4) at 20 rps. RTTs: client-A 0.04, A->B 0.02, client-B 0.06,
 * client-C 0.1 s; every other RTT unknown (delay 0.15 s). By hand:
 *   A,B: (0.02 + 0.018) + 2 * 0.01 + (0.01 + 0.018) + 2 * 0.02 + 0.03 = 0.156
 *   C:   (0.05 + 0.018) + 4 * 0.05 + 0.05                             = 0.318
 *   A,C: 0.038 + 0.02 + (0.15 + 0.018) + 2 * 0.05 + 0.05              = 0.376
 * (C cannot hand over to B: it leaves only at its span's end, block 4). */
static void pp_hand_setup(route_petals_server sv[3], pp_rtt *m, route_petals_path_in *in)
{
    memset(m, 0, sizeof *m);
    sv[0] = (route_petals_server){.first_block = 0, .end_block = 2, .rps_known = 1, .inference_rps = 100};
    sv[1] = (route_petals_server){.first_block = 2, .end_block = 4, .rps_known = 1, .inference_rps = 50};
    sv[2] = (route_petals_server){.first_block = 0, .end_block = 4, .rps_known = 1, .inference_rps = 20};
    m->known[0][0] = 1, m->rtt[0][0] = 0.04;
    m->known[1][1] = 1, m->rtt[1][1] = 0.02;
    m->known[0][1] = 1, m->rtt[0][1] = 0.06;
    m->known[0][2] = 1, m->rtt[0][2] = 0.1;
    *in = (route_petals_path_in){.n_blocks = 4, .start_block = 0, .end_block = 4, .n_servers = 3,
                                 .servers = sv, .rtt = pp_rtt_fn, .rtt_ctx = m};
}

static void pp_expect(const route_petals_path_in *in, double cost, int n, const int *hop3)
{
    route_petals_hop hops[8];
    int got_n = -1;
    double got = -1;
    ck_assert_int_eq(pp_find(in, hops, 8, &got_n, &got), SS_OK);
    ck_assert_double_eq_tol(got, cost, 1e-12);
    ck_assert_int_eq(got_n, n);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(hops[i].server, hop3[3 * i]);
        ck_assert_int_eq(hops[i].first_block, hop3[3 * i + 1]);
        ck_assert_int_eq(hops[i].end_block, hop3[3 * i + 2]);
    }
}

START_TEST(test_petals_path_hand_computed_chains)
{
    route_petals_server sv[3];
    pp_rtt m;
    route_petals_path_in in;
    pp_hand_setup(sv, &m, &in);
    pp_expect(&in, 0.156, 2, (int[]){0, 0, 2, 1, 2, 4});

    /* 30 tokens: B needs 30 * 2 * 2 = 120 > 100 free: +10 s on the edge
     * into B, so A,B = 10.156 and C (KV unknown: no check) wins, 0.318. */
    in.cache_tokens = 30;
    sv[1].kv_known = 1, sv[1].free_kv_tokens = 100;
    pp_expect(&in, 0.318, 1, (int[]){2, 0, 4});
    /* C with 200 free needs 30 * 2 * 4 = 240: penalised too (the whole span
     * counts, pessimistically): C = 10.318, A,C = 10.376, A,B = 10.156. */
    sv[2].kv_known = 1, sv[2].free_kv_tokens = 200;
    pp_expect(&in, 10.156, 2, (int[]){0, 0, 2, 1, 2, 4});
    /* With 120 free B has exactly enough (<=): back to 0.156. */
    sv[1].free_kv_tokens = 120;
    pp_expect(&in, 0.156, 2, (int[]){0, 0, 2, 1, 2, 4});
    in.cache_tokens = 0;
    sv[1].kv_known = sv[2].kv_known = 0;

    /* A banned: C still covers blocks 0 and 1, so A is left out; B cannot
     * start a chain, so C alone, 0.318. */
    sv[0].banned = 1;
    pp_expect(&in, 0.318, 1, (int[]){2, 0, 4});
    /* A and C banned: blocks 0 and 1 have only banned servers, so both stay
     * (Petals ignores the ban list there) and A,B wins again. */
    sv[2].banned = 1;
    pp_expect(&in, 0.156, 2, (int[]){0, 0, 2, 1, 2, 4});
    sv[0].banned = sv[2].banned = 0;

    /* Range [2, 4): B = (0.03 + 0.018) + 2 * 0.02 + 0.03 = 0.118, C from
     * block 2 = 0.068 + 2 * 0.05 + 0.05 = 0.218. */
    in.start_block = 2;
    pp_expect(&in, 0.118, 1, (int[]){1, 2, 4});
    /* An empty range is an empty chain of cost 0. */
    in.start_block = in.end_block = 3;
    pp_expect(&in, 0.0, 0, NULL);
    in.start_block = 0, in.end_block = 4;

    /* An unreachable client (RTT inf) costs the 5 s cap, not the edge. */
    m.rtt[0][0] = INFINITY;
    pp_expect(&in, 0.318, 1, (int[]){2, 0, 4});
    m.rtt[0][2] = INFINITY; /* C: 5 + 0.018 + 0.2 + 5 = 10.218; A,B: 5.018 + 0.118 = 5.136 */
    pp_expect(&in, 5.136, 2, (int[]){0, 0, 2, 1, 2, 4});
}
END_TEST

/* Two identical servers on [0, 2), all RTTs unknown: equal costs
 * 0.15 + 0.018 + 2 / 300 + 0.15 = 0.32466..., and the lower index wins. */
START_TEST(test_petals_path_ties_go_to_the_lower_server)
{
    route_petals_server sv[2] = {{.first_block = 0, .end_block = 2}, {.first_block = 0, .end_block = 2}};
    route_petals_path_in in = {.n_blocks = 2, .end_block = 2, .n_servers = 2, .servers = sv};
    pp_expect(&in, 0.168 + 2.0 / 300 + 0.15, 1, (int[]){0, 0, 2});
    sv[0].banned = 1; /* server 1 alone covers both blocks: 0 is left out */
    pp_expect(&in, 0.168 + 2.0 / 300 + 0.15, 1, (int[]){1, 0, 2});
}
END_TEST

START_TEST(test_petals_path_reports_missing_blocks_and_bad_input)
{
    route_petals_server sv[3];
    pp_rtt m;
    route_petals_path_in in;
    pp_hand_setup(sv, &m, &in);
    route_petals_hop hops[1];
    int n;
    double cost;
    char err[160];
    /* Only one hop of room: the chain needs two. */
    ck_assert_int_eq(pp_find(&in, hops, 1, &n, &cost), SS_EFULL);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(hops[0].server, 0);
    /* Block 1 without a server. */
    sv[0].end_block = 1;
    sv[2].first_block = 2;
    size_t nb = route_petals_path_scratch_bytes(3, 4);
    void *scr = ss_malloc(nb);
    ck_assert_int_eq(route_petals_path_find(&in, scr, nb, hops, 1, &n, &cost, err, sizeof err),
                     SS_ENOTFOUND);
    ck_assert_ptr_nonnull(strstr(err, "block 1"));
    pp_hand_setup(sv, &m, &in);
    ck_assert_int_eq(route_petals_path_find(&in, scr, nb - 1, hops, 1, &n, &cost, err, sizeof err),
                     SS_EINVAL);
    m.rtt[0][0] = NAN;
    ck_assert_int_eq(route_petals_path_find(&in, scr, nb, hops, 1, &n, &cost, err, sizeof err),
                     SS_EINVAL);
    pp_hand_setup(sv, &m, &in);
    sv[1].end_block = 5;
    ck_assert_int_eq(route_petals_path_find(&in, scr, nb, hops, 1, &n, &cost, err, sizeof err),
                     SS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "server 1"));
    pp_hand_setup(sv, &m, &in);
    sv[2].inference_rps = 0;
    ck_assert_int_eq(route_petals_path_find(&in, scr, nb, hops, 1, &n, &cost, err, sizeof err),
                     SS_EINVAL);
    ss_free(scr);
}
END_TEST

/* The brute-force twin: every chain of the Petals graph enumerated
 * vertex by vertex, its cost folded left to right with independently
 * written edge weights. Pass 1 finds the best cost of every vertex over all
 * partial chains; pass 2 keeps the complete chains whose every prefix is
 * best and picks the one whose vertex list read backwards is smallest in
 * (server, block) - the header's tie rule, checked independently. */
typedef struct bf_ctx {
    const route_petals_path_in *in;
    const pp_rtt *m;
    int kept[PP_MAXS];
    double best[PP_MAXS][PP_MAXB + 1], best_end;
    int pass;
    int path[2 * (PP_MAXB + 1) * PP_MAXS][2], len; /* (server, block) of the current chain */
    int win[2 * (PP_MAXB + 1) * PP_MAXS][2], win_len;
    int n_optimal; /* complete chains of the best cost (ties when > 1) */
} bf_ctx;

static double bf_delay(const bf_ctx *c, int row, int to)
{
    if (!c->m->known[row][to])
        return 0.15;
    double r = c->m->rtt[row][to] / 2;
    return r < 5 ? r : 5;
}

static double bf_entry(const bf_ctx *c, int row, int t)
{
    const route_petals_server *sv = &c->in->servers[t];
    double d = bf_delay(c, row, t) + 0.018;
    long long need = (long long)c->in->cache_tokens * 2 * (sv->end_block - sv->first_block);
    if (c->in->cache_tokens && sv->kv_known && need > sv->free_kv_tokens)
        d += 10;
    return d;
}

/* 1 if the current path read backwards is smaller than the winner's. */
static int bf_rev_less(const bf_ctx *c)
{
    for (int i = c->len - 1, j = c->win_len - 1; i >= 0 && j >= 0; i--, j--)
        for (int k = 0; k < 2; k++)
            if (c->path[i][k] != c->win[j][k])
                return c->path[i][k] < c->win[j][k];
    return c->len < c->win_len;
}

static void bf_visit(bf_ctx *c, int s, int b, double cost)
{
    const route_petals_path_in *in = c->in;
    const route_petals_server *sv = &in->servers[s];
    if (c->pass == 1 && cost < c->best[s][b])
        c->best[s][b] = cost;
    if (c->pass == 2 && cost != c->best[s][b])
        return; /* not prefix-optimal: outside the tie rule's set */
    c->path[c->len][0] = s;
    c->path[c->len][1] = b;
    c->len++;
    if (b < sv->end_block && b < in->end_block) {
        double rps = sv->rps_known ? sv->inference_rps : 300;
        bf_visit(c, s, b + 1, cost + 1.0 / rps);
    }
    if (b == sv->end_block && in->start_block < b && b < in->end_block)
        for (int t = 0; t < in->n_servers; t++)
            if (c->kept[t] && in->servers[t].first_block <= b && b < in->servers[t].end_block)
                bf_visit(c, t, b, cost + bf_entry(c, 1 + s, t));
    if (b == in->end_block) {
        double total = cost + bf_delay(c, 0, s);
        if (c->pass == 1 && total < c->best_end)
            c->best_end = total;
        if (c->pass == 2 && total == c->best_end)
            c->n_optimal++;
        if (c->pass == 2 && total == c->best_end && (c->win_len == 0 || bf_rev_less(c))) {
            memcpy(c->win, c->path, sizeof c->path);
            c->win_len = c->len;
        }
    }
    c->len--;
}

/* Returns 0 if some range block has no server, else fills c->win. */
static int bf_solve(bf_ctx *c)
{
    const route_petals_path_in *in = c->in;
    for (int b = in->start_block; b < in->end_block; b++) {
        int any = 0;
        for (int s = 0; s < in->n_servers; s++)
            any |= in->servers[s].first_block <= b && b < in->servers[s].end_block;
        if (!any)
            return 0;
    }
    for (int s = 0; s < in->n_servers; s++) {
        const route_petals_server *sv = &in->servers[s];
        c->kept[s] = !sv->banned;
        for (int b = sv->first_block; b < sv->end_block; b++) {
            int all_banned = 1;
            for (int t = 0; t < in->n_servers; t++)
                if (in->servers[t].first_block <= b && b < in->servers[t].end_block &&
                    !in->servers[t].banned)
                    all_banned = 0;
            c->kept[s] |= all_banned;
        }
        for (int b = 0; b <= PP_MAXB; b++)
            c->best[s][b] = INFINITY;
    }
    c->best_end = INFINITY;
    c->win_len = 0;
    for (c->pass = 1; c->pass <= 2; c->pass++)
        for (int t = 0; t < in->n_servers; t++)
            if (c->kept[t] && in->servers[t].first_block <= in->start_block &&
                in->start_block < in->servers[t].end_block && in->start_block < in->end_block)
                bf_visit(c, t, in->start_block, 0.0 + bf_entry(c, 0, t));
    return 1;
}

START_TEST(test_petals_path_equals_brute_force_on_random_instances)
{
    static const double rps_set[] = {50, 100, 200, 300, 400};
    static const double rtt_set[] = {0, 0.01, 0.02, 0.04, 0.3, 20, INFINITY};
    static const int64_t kv_set[] = {0, 4, 8, 16, 40};
    static const int64_t tok_set[] = {0, 1, 2, 4};
    uint64_t seed = 20240725; /* fixed: the same 600 instances every run */
    int solved = 0, missing = 0, multi_hop = 0, subrange = 0, tied = 0;
    for (int it = 0; it < 600; it++) {
        route_petals_server sv[PP_MAXS];
        pp_rtt m;
        memset(&m, 0, sizeof m);
        int B = 1 + t_int(&seed, 6), S = 1 + t_int(&seed, 5);
        for (int s = 0; s < S; s++) {
            int f = t_int(&seed, B);
            sv[s] = (route_petals_server){
                .first_block = f,
                .end_block = f + 1 + t_int(&seed, B - f),
                .rps_known = t_int(&seed, 4) != 0,
                .inference_rps = rps_set[t_int(&seed, 5)],
                .kv_known = t_int(&seed, 2),
                .free_kv_tokens = kv_set[t_int(&seed, 5)],
                .banned = t_int(&seed, 5) == 0,
            };
        }
        /* Ties come from look-alike servers: a third copy their
         * predecessor, and RTTs depend only on (region, region) with two
         * server regions and the client's own. */
        for (int s = 1; s < S; s++)
            if (t_int(&seed, 3) == 0)
                sv[s] = sv[s - 1];
        int region[PP_MAXS + 1], rknown[3][3];
        double rrtt[3][3];
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) {
                rknown[a][b] = t_int(&seed, 5) != 0;
                rrtt[a][b] = rtt_set[t_int(&seed, 7)];
            }
        region[0] = 2;
        for (int s = 0; s < S; s++)
            region[1 + s] = t_int(&seed, 2);
        for (int r = 0; r <= S; r++)
            for (int t = 0; t < S; t++) {
                m.known[r][t] = rknown[region[r]][region[1 + t]];
                m.rtt[r][t] = rrtt[region[r]][region[1 + t]];
            }
        route_petals_path_in in = {.n_blocks = B, .start_block = 0, .end_block = B, .n_servers = S,
                                   .servers = sv, .rtt = pp_rtt_fn, .rtt_ctx = &m,
                                   .cache_tokens = tok_set[t_int(&seed, 4)]};
        if (t_int(&seed, 5) == 0) {
            in.start_block = t_int(&seed, B + 1);
            in.end_block = in.start_block + t_int(&seed, B - in.start_block + 1);
            subrange++;
        }
        bf_ctx c = {.in = &in, .m = &m};
        int ok = bf_solve(&c);
        route_petals_hop hops[PP_MAXB];
        int n = -1;
        double cost = -1;
        ss_status st = pp_find(&in, hops, PP_MAXB, &n, &cost);
        if (!ok) {
            ck_assert_int_eq(st, SS_ENOTFOUND);
            missing++;
            continue;
        }
        ck_assert_int_eq(st, SS_OK);
        if (in.start_block == in.end_block) {
            ck_assert_int_eq(n, 0);
            ck_assert(cost == 0);
            continue;
        }
        ck_assert_msg(cost == c.best_end, "instance %d: cost %.17g, brute force %.17g", it, cost,
                      c.best_end);
        /* The winner's vertex list, as hops. */
        int k = 0;
        for (int i = 0; i < c.win_len; i++) {
            if (i == 0 || c.win[i][0] != c.win[i - 1][0]) {
                ck_assert_int_lt(k, n);
                ck_assert_int_eq(hops[k].server, c.win[i][0]);
                ck_assert_int_eq(hops[k].first_block, c.win[i][1]);
                k++;
            }
            if (i + 1 == c.win_len || c.win[i + 1][0] != c.win[i][0])
                ck_assert_int_eq(hops[k - 1].end_block, c.win[i][1]);
        }
        ck_assert_int_eq(k, n);
        solved++;
        multi_hop += n > 1;
        tied += c.n_optimal > 1;
    }
    /* The sample must exercise what it claims to. */
    ck_assert_int_ge(solved, 200);
    ck_assert_int_ge(missing, 10);
    ck_assert_int_ge(multi_hop, 50);
    ck_assert_int_ge(subrange, 40);
    ck_assert_int_ge(tied, 20);
}
END_TEST

/* ---- Petals block count, choice and rebalancing ------------------------ */

/* Llama-2-7B in fp16 on a GPU: a block has 4 * 4096^2 (attention) +
 * 3 * 4096 * 11008 (SwiGLU MLP) + 2 * 4096 (RMSNorms) = 202,383,360
 * parameters, 404,766,720 bytes; its KV cache is 2 * 4096 * 4096 tokens * 2
 * bytes = 67,108,864 bytes (server.py: 4096 cache tokens, one KV group);
 * Petals' reserve is 2 GiB * 4096 / 14336 = 613,566,756.57 bytes. So
 * 12 GiB hold floor((12,884,901,888 - 613,566,756.57) / 471,875,584) =
 * floor(26.005) = 26 blocks, 8 GiB floor(16.90) = 16, and 24 GiB
 * floor(53.31) = 53, capped at the model's 32. */
START_TEST(test_petals_num_blocks_by_hand)
{
    const double gib = 1024.0 * 1024 * 1024;
    double reserve = route_petals_reserve_bytes(4096, 1);
    ck_assert_double_eq_tol(reserve, 613566756.5714285, 1e-4);
    double kv = route_petals_cache_bytes_per_block(4096, 1, ROUTE_PETALS_CACHE_TOKENS, 2);
    ck_assert(kv == 67108864.0);
    /* Grouped-query attention (8 groups) divides the cache: 8,388,608. */
    ck_assert(route_petals_cache_bytes_per_block(4096, 8, 4096, 2) == 8388608.0);
    int n = -1;
    char err[160];
    ck_assert_int_eq(route_petals_num_blocks(12 * gib, reserve, 404766720, kv, 32, &n, err, sizeof err),
                     SS_OK);
    ck_assert_int_eq(n, 26);
    ck_assert_int_eq(route_petals_num_blocks(8 * gib, reserve, 404766720, kv, 32, &n, err, sizeof err),
                     SS_OK);
    ck_assert_int_eq(n, 16);
    ck_assert_int_eq(route_petals_num_blocks(24 * gib, reserve, 404766720, kv, 32, &n, err, sizeof err),
                     SS_OK);
    ck_assert_int_eq(n, 32);
    /* Round numbers: (1000 - 100) / (200 + 100) = 3 exactly; 999 gives
     * 2.99 -> 2; 350 gives 0.83 -> no block at all. */
    ck_assert_int_eq(route_petals_num_blocks(1000, 100, 200, 100, 32, &n, err, sizeof err), SS_OK);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(route_petals_num_blocks(999, 100, 200, 100, 32, &n, err, sizeof err), SS_OK);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(route_petals_num_blocks(350, 100, 200, 100, 32, &n, err, sizeof err), SS_EFULL);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(route_petals_num_blocks(1000, 100, 0, 100, 32, &n, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(route_petals_num_blocks(NAN, 100, 200, 100, 32, &n, err, sizeof err), SS_EINVAL);
}
END_TEST

/* forward 1000 tokens/s over 3 blocks: 1000 / ((3 + 1) / 2) = 500; the
 * network's 800 does not bind, unless relayed: 800 * 0.2 = 160. Over one
 * block compute gives 1000 and the network's 800 binds. Network rps of a
 * 100/50 Mbit/s link at hidden 4096: 50e6 / (4096 * 16) = 762.939453125. */
START_TEST(test_petals_server_throughput_by_hand)
{
    ck_assert(route_petals_server_throughput(1000, 800, 3, 0) == 500.0);
    ck_assert_double_eq_tol(route_petals_server_throughput(1000, 800, 3, 1), 160.0, 1e-12);
    ck_assert(route_petals_server_throughput(1000, 800, 1, 0) == 800.0);
    ck_assert(route_petals_network_rps(100e6, 50e6, 4096) == 762.939453125);
}
END_TEST

/* Spans [0,1) 3, [1,4) 1, [2,3) 1, [4,5) 5 give T = [3, 1, 2, 1, 5].
 * Length 2: sorted windows [1,3], [1,2], [1,2], [1,5]: start 1 (ties with
 * 2, the lower wins). Length 1: [3] [1] [2] [1] [5]: start 1 (not 3).
 * Length 3: [1,2,3] [1,1,2] [1,2,5]: start 1. Length 5: start 0. */
START_TEST(test_petals_choose_start_by_hand)
{
    const route_petals_span sp[] = {{0, 1, 3}, {1, 4, 1}, {2, 3, 1}, {4, 5, 5}};
    double T[5];
    char err[160];
    ck_assert_int_eq(route_petals_block_throughputs(5, sp, 4, T, err, sizeof err), SS_OK);
    const double want[] = {3, 1, 2, 1, 5};
    for (int b = 0; b < 5; b++)
        ck_assert(T[b] == want[b]);
    size_t nb = route_petals_blocks_scratch_bytes(4, 5);
    void *scr = ss_malloc(nb);
    int start = -1;
    const int len[] = {2, 1, 3, 5}, best[] = {1, 1, 1, 0};
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(route_petals_choose_start(5, sp, 4, len[i], scr, nb, &start, err, sizeof err),
                         SS_OK);
        ck_assert_int_eq(start, best[i]);
    }
    /* An empty swarm: all zeros, the first start. */
    ck_assert_int_eq(route_petals_choose_start(5, NULL, 0, 2, scr, nb, &start, err, sizeof err), SS_OK);
    ck_assert_int_eq(start, 0);
    ck_assert_int_eq(route_petals_choose_start(5, sp, 4, 6, scr, nb, &start, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(route_petals_choose_start(5, sp, 4, 0, scr, nb, &start, err, sizeof err), SS_EINVAL);
    ck_assert_int_eq(route_petals_choose_start(5, sp, 4, 2, scr, nb - 1, &start, err, sizeof err),
                     SS_EINVAL);
    const route_petals_span bad[] = {{3, 2, 1}};
    ck_assert_int_eq(route_petals_choose_start(5, bad, 1, 2, scr, nb, &start, err, sizeof err), SS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "server 0"));
    ss_free(scr);
}
END_TEST

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Twin: Python's min((sorted(T[i:i+n]), i)) with qsort and memcmp-free
 * element comparison, on small integer throughputs so ties are common. */
START_TEST(test_petals_choose_start_equals_a_qsort_twin)
{
    uint64_t seed = 77;
    int ties = 0;
    for (int it = 0; it < 300; it++) {
        int B = 1 + t_int(&seed, 8), S = t_int(&seed, 6);
        route_petals_span sp[6];
        for (int s = 0; s < S; s++) {
            int f = t_int(&seed, B);
            sp[s] = (route_petals_span){f, f + 1 + t_int(&seed, B - f), (double)t_int(&seed, 4)};
        }
        int len = 1 + t_int(&seed, B);
        double T[8] = {0}, best[8], cand[8];
        for (int s = 0; s < S; s++)
            for (int b = sp[s].first_block; b < sp[s].end_block; b++)
                T[b] += sp[s].throughput;
        int arg = -1, n_best = 0;
        for (int i = 0; i + len <= B; i++) {
            memcpy(cand, T + i, len * sizeof(double));
            qsort(cand, len, sizeof(double), cmp_double);
            int c = 0;
            for (int k = 0; arg >= 0 && k < len && c == 0; k++)
                c = cmp_double(&cand[k], &best[k]);
            if (arg < 0 || c < 0) {
                memcpy(best, cand, sizeof cand);
                arg = i;
                n_best = 1;
            } else if (c == 0) {
                n_best++;
            }
        }
        ties += n_best > 1;
        size_t nb = route_petals_blocks_scratch_bytes(S, B);
        void *scr = ss_malloc(nb);
        int start = -1;
        ck_assert_int_eq(route_petals_choose_start(B, sp, S, len, scr, nb, &start, NULL, 0), SS_OK);
        ck_assert_int_eq(start, arg);
        ss_free(scr);
    }
    ck_assert_int_ge(ties, 30);
}
END_TEST

static route_petals_rebalance rebalance(const route_petals_span *sp, int n, int local, double q,
                                        uint64_t *shuffle)
{
    size_t nb = route_petals_blocks_scratch_bytes(n, 4);
    void *scr = ss_malloc(nb);
    route_petals_rebalance r;
    char err[160];
    ck_assert_int_eq(route_petals_should_move(4, sp, n, local, q, shuffle, 100, scr, nb, &r, err,
                                              sizeof err), SS_OK);
    ss_free(scr);
    return r;
}

/* Four blocks; A = [0,2) at 2, B = [2,4) at tp_b, local C = [0,2) at 1, so
 * T = [3, 3, tp_b, tp_b] and initial = tp_b (for tp_b < 3). Without C
 * (minus 1.001): [1.999, 1.999, tp_b, tp_b], best start 2 != 0; C moves
 * there: T = [2, 2, tp_b + 1, tp_b + 1] (2 up to rounding: 3 - 1.001 +
 * 0.001). Next round nobody moves: A without itself sees [-0.002, -0.002,
 * ...] and stays at 0; B and C without themselves see their own blocks at
 * least 0.998 below the others' 2 and stay at 2. So new = 2 and
 * quality = tp_b / 2. Petals moves iff quality < 0.75 - 0.001:
 *   tp_b = 1     -> 0.5    move
 *   tp_b = 1.497 -> 0.7485 move
 *   tp_b = 1.499 -> 0.7495 stay (DESIGN's plain "< 0.75" would move: the eps)
 *   tp_b = 1.5   -> 0.75   stay
 *   tp_b = 1.6   -> 0.8    stay */
START_TEST(test_petals_rebalance_moves_only_below_the_balance_quality)
{
    const double tp_b[] = {1, 1.497, 1.499, 1.5, 1.6};
    const int move[] = {1, 1, 0, 0, 0};
    for (int i = 0; i < 5; i++) {
        const route_petals_span sp[] = {{0, 2, 2}, {2, 4, tp_b[i]}, {0, 2, 1}};
        for (int shuffled = 0; shuffled < 2; shuffled++) {
            uint64_t state = 12345;
            route_petals_rebalance r = rebalance(sp, 3, 2, ROUTE_PETALS_BALANCE_QUALITY,
                                                 shuffled ? &state : NULL);
            ck_assert_int_eq(r.move, move[i]);
            ck_assert_int_eq(r.verdict, move[i] ? ROUTE_PETALS_MOVE : ROUTE_PETALS_STAY_BALANCED);
            ck_assert(r.initial_min == tp_b[i]);
            ck_assert_double_eq_tol(r.new_min, 2.0, 1e-12);
            ck_assert_double_eq_tol(r.quality, tp_b[i] / 2, 1e-12);
            ck_assert_int_eq(r.new_start, 2);
            ck_assert_int_eq(r.rounds, 1);
        }
    }
    /* Rebalancing off (quality 0) never moves; > 1 always does. */
    const route_petals_span sp[] = {{0, 2, 2}, {2, 4, 1}, {0, 2, 1}};
    ck_assert_int_eq(rebalance(sp, 3, 2, 0.0, NULL).move, 0);
    route_petals_rebalance r = rebalance(sp, 3, 2, 1.5, NULL);
    ck_assert_int_eq(r.move, 1);
    ck_assert_int_eq(r.verdict, ROUTE_PETALS_MOVE_FORCED);
}
END_TEST

START_TEST(test_petals_rebalance_stays_when_petals_stays)
{
    /* The only server of blocks 0-1 may not leave: without it T[0:2] =
     * 1 - 1.001 < 0 while the swarm is connected (initial 1 > eps). */
    const route_petals_span lone[] = {{0, 2, 1}, {2, 4, 1}};
    route_petals_rebalance r = rebalance(lone, 2, 0, 0.75, NULL);
    ck_assert_int_eq(r.verdict, ROUTE_PETALS_STAY_DISJOINT);
    ck_assert_int_eq(r.move, 0);
    /* A = [0,2) 1, B = [2,4) 1, C = [0,2) 1: without C, [0.999, 0.999, 1, 1]
     * and start 0 - where C already is - has the smallest window. */
    const route_petals_span even[] = {{0, 2, 1}, {2, 4, 1}, {0, 2, 1}};
    r = rebalance(even, 3, 2, 0.75, NULL);
    ck_assert_int_eq(r.verdict, ROUTE_PETALS_STAY_BEST_PLACE);
    ck_assert_int_eq(r.new_start, 0);
    /* Zero throughput everywhere: the local server at [2,4) "moves" to 0
     * in the simulation, but new min 0 < eps: no gain. */
    const route_petals_span zero[] = {{0, 2, 0}, {2, 4, 0}};
    r = rebalance(zero, 2, 1, 0.75, NULL);
    ck_assert_int_eq(r.verdict, ROUTE_PETALS_STAY_NO_GAIN);
    ck_assert_int_eq(r.move, 0);
    char err[160];
    size_t nb = route_petals_blocks_scratch_bytes(2, 4);
    void *scr = ss_malloc(nb);
    ck_assert_int_eq(route_petals_should_move(4, zero, 2, 2, 0.75, NULL, 100, scr, nb, &r, err,
                                              sizeof err), SS_EINVAL);
    ck_assert_int_eq(route_petals_should_move(4, zero, 2, 0, 0.75, NULL, 0, scr, nb, &r, err,
                                              sizeof err), SS_EINVAL);
    ss_free(scr);
}
END_TEST

/* Random swarms: the same shuffle seed gives the same answer, the loop
 * settles well within its bound, and every verdict agrees with its numbers
 * (move iff quality < 0.749; no gain iff new < initial or new < eps). */
START_TEST(test_petals_rebalance_is_reproducible_and_consistent)
{
    uint64_t seed = 4242;
    int moves = 0, stays = 0;
    for (int it = 0; it < 200; it++) {
        int B = 2 + t_int(&seed, 10), S = 1 + t_int(&seed, 8);
        route_petals_span sp[8];
        for (int s = 0; s < S; s++) {
            int len = 1 + t_int(&seed, B);
            int f = t_int(&seed, B - len + 1);
            sp[s] = (route_petals_span){f, f + len, 0.5 + t_int(&seed, 8) * 0.25};
        }
        int local = t_int(&seed, S);
        size_t nb = route_petals_blocks_scratch_bytes(S, B);
        void *scr = ss_malloc(nb);
        route_petals_rebalance r1, r2;
        uint64_t st1 = 1000 + it, st2 = 1000 + it;
        ck_assert_int_eq(route_petals_should_move(B, sp, S, local, 0.75, &st1, 1000, scr, nb, &r1, NULL, 0),
                         SS_OK);
        ck_assert_int_eq(route_petals_should_move(B, sp, S, local, 0.75, &st2, 1000, scr, nb, &r2, NULL, 0),
                         SS_OK);
        ss_free(scr);
        ck_assert(st1 == st2);
        ck_assert_int_eq(r1.move, r2.move);
        ck_assert_int_eq(r1.verdict, r2.verdict);
        ck_assert_int_eq(r1.rounds, r2.rounds);
        ck_assert(r1.new_min == r2.new_min || (isnan(r1.new_min) && isnan(r2.new_min)));
        if (r1.verdict == ROUTE_PETALS_MOVE || r1.verdict == ROUTE_PETALS_STAY_BALANCED)
            ck_assert_int_eq(r1.move, r1.quality < 0.75 - 1e-3);
        if (r1.verdict == ROUTE_PETALS_STAY_NO_GAIN)
            ck_assert(r1.new_min < r1.initial_min || r1.new_min < 1e-3);
        moves += r1.move;
        stays += !r1.move;
    }
    ck_assert_int_ge(moves, 10);
    ck_assert_int_ge(stays, 10);
}
END_TEST

/* ---- MTPP chain partition ---------------------------------------------- */

static ss_status mt_solve(const route_mtpp_problem *p, int *ends, double *cost)
{
    size_t nb = route_mtpp_scratch_bytes(p->n_layers, p->n_nodes);
    void *scr = ss_malloc(nb);
    ck_assert_ptr_nonnull(scr);
    ss_status st = route_mtpp_solve(p, scr, nb, ends, cost, NULL, 0);
    ss_free(scr);
    return st;
}

/* Four layers of 2 FLOPs, 1 parameter byte and 1 output byte each; input 1
 * byte. Node 0: 2 FLOP/s, node 1: 1 FLOP/s, both 1 byte/s in. Cut after
 * layer e0:  e0 = 1: max(2/2 + 1, 6/1 + 1) = 7
 *            e0 = 2: max(4/2 + 1, 4/1 + 1) = 5
 *            e0 = 3: max(6/2 + 1, 2/1 + 1) = 4   <- optimum, ends (3, 4).
 * Node 0 with 2 bytes of memory cannot hold 3 layers: (2, 4) at 5. With
 * overflow streamed at 1 byte/s, e0 = 3 costs 3 + 1 + (3 - 2) / 1 = 5: a
 * tie with e0 = 2, broken to the smaller end, (2, 4); at 2 bytes/s it
 * costs 4.5 and wins, (3, 4). */
START_TEST(test_mtpp_hand_computed_partitions)
{
    route_mtpp_layer ly[4];
    for (int l = 0; l < 4; l++)
        ly[l] = (route_mtpp_layer){.work_flops = 2, .param_bytes = 1, .out_bytes = 1};
    route_mtpp_node nd[3] = {
        {.flops_per_s = 2, .in_bytes_per_s = 1, .mem_bytes = INFINITY, .stream_bytes_per_s = 1},
        {.flops_per_s = 1, .in_bytes_per_s = 1, .mem_bytes = INFINITY, .stream_bytes_per_s = 1},
    };
    route_mtpp_problem p = {.n_layers = 4, .layers = ly, .in_bytes = 1, .n_nodes = 2, .nodes = nd};
    int e[3];
    double c;
    ck_assert_int_eq(mt_solve(&p, e, &c), SS_OK);
    ck_assert(c == 4.0 && e[0] == 3 && e[1] == 4);
    nd[0].mem_bytes = 2;
    ck_assert_int_eq(mt_solve(&p, e, &c), SS_OK);
    ck_assert(c == 5.0 && e[0] == 2 && e[1] == 4);
    p.allow_overflow = 1;
    ck_assert_int_eq(mt_solve(&p, e, &c), SS_OK);
    ck_assert(c == 5.0 && e[0] == 2 && e[1] == 4);
    nd[0].stream_bytes_per_s = 2;
    ck_assert_int_eq(mt_solve(&p, e, &c), SS_OK);
    ck_assert(c == 4.5 && e[0] == 3 && e[1] == 4);

    /* A slow node (0.1 FLOP/s) put first: with skipping it gets nothing,
     * ends (0, 3, 4) at 4; forced to take a layer it costs 2 / 0.1 + 1 = 21
     * for layer 0 and the rest takes the smallest ends within 21:
     * (1, 2, 4). */
    nd[0].mem_bytes = INFINITY;
    nd[0].stream_bytes_per_s = 1;
    p.allow_overflow = 0;
    nd[2] = nd[1];
    nd[1] = nd[0];
    nd[0] = (route_mtpp_node){.flops_per_s = 0.1, .in_bytes_per_s = 1, .mem_bytes = INFINITY};
    p.n_nodes = 3;
    p.allow_skip = 1;
    ck_assert_int_eq(mt_solve(&p, e, &c), SS_OK);
    ck_assert(c == 4.0 && e[0] == 0 && e[1] == 3 && e[2] == 4);
    p.allow_skip = 0;
    ck_assert_int_eq(mt_solve(&p, e, &c), SS_OK);
    ck_assert_double_eq_tol(c, 21.0, 1e-12);
    ck_assert(e[0] == 1 && e[1] == 2 && e[2] == 4);

    /* Infeasible: 2 layers for 3 nodes; memory for nothing. */
    p.n_layers = 2;
    ck_assert_int_eq(mt_solve(&p, e, &c), SS_ENOTFOUND);
    p.n_layers = 4;
    nd[0].mem_bytes = nd[1].mem_bytes = nd[2].mem_bytes = 0.5;
    ck_assert_int_eq(mt_solve(&p, e, &c), SS_ENOTFOUND);
    char err[160];
    nd[1].flops_per_s = 0;
    ck_assert_int_eq(route_mtpp_solve(&p, e, sizeof e, e, &c, err, sizeof err), SS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "node 1"));
}
END_TEST

/* Brute force: every end vector in lexicographic order, stage costs summed
 * directly (integer inputs make them equal to prefix differences), the
 * first strictly better kept - the header's tie rule. */
typedef struct mt_bf {
    const route_mtpp_problem *p;
    int cur[6], best[6];
    double best_cost;
    int n_optimal;
} mt_bf;

static double mt_bf_stage(const route_mtpp_problem *p, int j, int a, int e)
{
    double w = 0, par = 0;
    for (int l = a; l < e; l++) {
        w += p->layers[l].work_flops;
        par += p->layers[l].param_bytes;
    }
    const route_mtpp_node *n = &p->nodes[j];
    double c = w / n->flops_per_s + (a == 0 ? p->in_bytes : p->layers[a - 1].out_bytes) / n->in_bytes_per_s;
    if (par > n->mem_bytes) {
        if (!p->allow_overflow)
            return INFINITY;
        c += (par - n->mem_bytes) / n->stream_bytes_per_s;
    }
    return c;
}

static void mt_bf_rec(mt_bf *b, int j, int a, double worst)
{
    const route_mtpp_problem *p = b->p;
    if (j == p->n_nodes) {
        if (a != p->n_layers || isinf(worst))
            return;
        if (worst == b->best_cost)
            b->n_optimal++;
        if (worst < b->best_cost) {
            b->best_cost = worst;
            memcpy(b->best, b->cur, sizeof b->cur);
            b->n_optimal = 1;
        }
        return;
    }
    for (int e = a; e <= p->n_layers; e++) {
        if (e == a && !p->allow_skip)
            continue;
        double c = e == a ? 0 : mt_bf_stage(p, j, a, e);
        b->cur[j] = e;
        mt_bf_rec(b, j + 1, e, c > worst ? c : worst);
    }
}

START_TEST(test_mtpp_equals_brute_force_on_random_instances)
{
    static const double speed[] = {1, 2, 3, 4}, bw[] = {1, 2, 4}, stream[] = {1, 2, 4};
    uint64_t seed = 31337; /* fixed: the same 400 instances every run */
    int solved = 0, infeasible = 0, tied = 0, skipped = 0, overflowed = 0;
    for (int it = 0; it < 400; it++) {
        route_mtpp_layer ly[7];
        route_mtpp_node nd[4];
        int L = 1 + t_int(&seed, 7), k = 1 + t_int(&seed, 4);
        for (int l = 0; l < L; l++)
            ly[l] = (route_mtpp_layer){t_int(&seed, 10), t_int(&seed, 6), t_int(&seed, 6)};
        for (int j = 0; j < k; j++) {
            int m = t_int(&seed, 10);
            nd[j] = (route_mtpp_node){speed[t_int(&seed, 4)], bw[t_int(&seed, 3)],
                                      m == 9 ? INFINITY : m, stream[t_int(&seed, 3)]};
        }
        route_mtpp_problem p = {.n_layers = L, .layers = ly, .in_bytes = t_int(&seed, 6), .n_nodes = k,
                                .nodes = nd, .allow_skip = t_int(&seed, 2),
                                .allow_overflow = t_int(&seed, 2)};
        mt_bf b = {.p = &p, .best_cost = INFINITY};
        mt_bf_rec(&b, 0, 0, 0.0);
        int e[4];
        double c = -1;
        ss_status st = mt_solve(&p, e, &c);
        if (isinf(b.best_cost)) {
            ck_assert_int_eq(st, SS_ENOTFOUND);
            infeasible++;
            continue;
        }
        ck_assert_int_eq(st, SS_OK);
        ck_assert_msg(c == b.best_cost, "instance %d: %.17g vs brute force %.17g", it, c, b.best_cost);
        for (int j = 0; j < k; j++)
            ck_assert_int_eq(e[j], b.best[j]);
        solved++;
        tied += b.n_optimal > 1;
        for (int j = 0; j < k; j++) {
            int a = j ? e[j - 1] : 0;
            skipped += e[j] == a;
            if (e[j] > a && p.allow_overflow) {
                double par = 0;
                for (int l = a; l < e[j]; l++)
                    par += ly[l].param_bytes;
                overflowed += par > nd[j].mem_bytes;
            }
        }
    }
    ck_assert_int_ge(solved, 200);
    ck_assert_int_ge(infeasible, 20);
    ck_assert_int_ge(tied, 30);
    ck_assert_int_ge(skipped, 20);
    ck_assert_int_ge(overflowed, 20);
}
END_TEST

Suite *route_algo_suite(void)
{
    Suite *s = suite_create("route_algo");
    TCase *t = tcase_create("route_algo");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, test_reputation_follows_a_scripted_sequence_by_hand);
    tcase_add_test(t, test_reputation_clips_at_both_ends);
    tcase_add_test(t, test_reputation_rejects_bad_configurations);
    tcase_add_test(t, test_petals_path_hand_computed_chains);
    tcase_add_test(t, test_petals_path_ties_go_to_the_lower_server);
    tcase_add_test(t, test_petals_path_reports_missing_blocks_and_bad_input);
    tcase_add_test(t, test_petals_path_equals_brute_force_on_random_instances);
    tcase_add_test(t, test_petals_num_blocks_by_hand);
    tcase_add_test(t, test_petals_server_throughput_by_hand);
    tcase_add_test(t, test_petals_choose_start_by_hand);
    tcase_add_test(t, test_petals_choose_start_equals_a_qsort_twin);
    tcase_add_test(t, test_petals_rebalance_moves_only_below_the_balance_quality);
    tcase_add_test(t, test_petals_rebalance_stays_when_petals_stays);
    tcase_add_test(t, test_petals_rebalance_is_reproducible_and_consistent);
    tcase_add_test(t, test_mtpp_hand_computed_partitions);
    tcase_add_test(t, test_mtpp_equals_brute_force_on_random_instances);
    suite_add_tcase(s, t);
    return s;
}
