/* bench_route.c - the speed of routing (issue 11, "Speed").
 *
 * 1. ms per `petals` route decision (Petals' min-latency path over (node,
 *    block) vertices) on synthetic swarms of 100, 1,000 and 10,000 nodes
 *    serving an 80-block model (llama-2-70b's depth): each node a span of
 *    1 .. 20 blocks at a random start (the first 8 tile the model), a random decode rate and one of 8
 *    regions with RTTs of 10 .. 200 ms; every decision a new request with
 *    the whole model to cover. Target: <= 2 ms at 10,000 nodes.
 * 2. The volunteer swarm (scenarios/volunteer-swarm.json, 256 nodes, 500
 *    requests) simulated with `petals` routing and with `fixed`: wall
 *    seconds each and their ratio (target <= 2), best of 3 runs each.
 *
 * Output: one "name: value unit" per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model_desc.h"
#include "route.h"
#include "scn_scenario.h"
#include "sim_run.h"
#include "ss_alloc.h"

#define N_BLOCKS 80
#define N_REGIONS 8

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

/* ms per petals route() on n nodes. */
static double route_ms(int n, int reps)
{
    static model_block_desc blocks[N_BLOCKS];
    model_desc d = {.n_blocks = N_BLOCKS, .blocks = blocks, .weight_bytes_per_param = 2,
                    .kv_bytes_per_elem = 2};
    double rtt[N_REGIONS * N_REGIONS];
    uint64_t seed = 12345;
    for (int a = 0; a < N_REGIONS; a++)
        for (int b = 0; b <= a; b++)
            rtt[a * N_REGIONS + b] = rtt[b * N_REGIONS + a] =
                a == b ? 0.01 : 0.01 + 0.19 * (double)lcg(&seed) / 2147483648.0;
    route_node_view *nodes = ss_calloc((size_t)n, sizeof *nodes);
    for (int i = 0; i < n; i++) {
        int len = 1 + (int)(lcg(&seed) % 20);
        int first = (int)(lcg(&seed) % (uint64_t)(N_BLOCKS - len + 1));
        if (i < N_BLOCKS / 10) { /* the first 8 tile the model: every block is served */
            len = 10;
            first = 10 * i;
        }
        nodes[i] = (route_node_view){.id = i, .region = (int)(lcg(&seed) % N_REGIONS),
                                     .first_block = first, .end_block = first + len, .up = 1,
                                     .inference_rps = 5 + (double)(lcg(&seed) % 100),
                                     .kv_known = 1, .free_kv_tokens = 1 << 20};
    }
    route_view v = {.n_nodes = n, .nodes = nodes, .model = &d, .n_regions = N_REGIONS,
                    .rtt_s = rtt, .client_region = 0};
    const route_routing_ops *ops;
    char err[256];
    void *state = NULL;
    double settings[1];
    if (route_routing_find("petals", &ops, err, sizeof err) != SS_OK ||
        ops->init(&(route_init){.view = &v, .settings = settings, .seed = 1}, &state, err,
                  sizeof err) != SS_OK) {
        fprintf(stderr, "bench_route: %s\n", err);
        exit(1);
    }
    route_hop hops[N_BLOCKS];
    int n_hops, total = 0;
    double t0 = wall_s();
    for (int r = 0; r < reps; r++) {
        route_request req = {.id = (uint64_t)r, .client_region = r % N_REGIONS,
                             .prompt_tokens = 128, .output_tokens = 64};
        if (ops->route(state, &v, &req, hops, N_BLOCKS, &n_hops, err, sizeof err) != SS_OK) {
            fprintf(stderr, "bench_route: %d nodes: %s\n", n, err);
            exit(1);
        }
        total += n_hops;
    }
    double ms = (wall_s() - t0) * 1e3 / reps;
    if (total <= 0)
        exit(1);
    ops->fini(state);
    ss_free(nodes);
    return ms;
}

/* Best-of-3 wall seconds of the volunteer swarm with routing `policy`. */
static double swarm_s(const char *policy)
{
    char path[4096], err[1024];
    snprintf(path, sizeof path, "%s/scenarios/volunteer-swarm.json", SS_SOURCE_DIR);
    scn_override ov = {"routing.policy", policy};
    sim_run_opts o = {.presets_dir = SS_SOURCE_DIR "/models/presets",
                      .assets_dir = SS_SHARED_DIR "/assets"};
    double best = 1e300;
    for (int k = 0; k < 3; k++) {
        scn_scenario s;
        sim_results r = {0};
        if (scn_load(path, &ov, 1, &s, err, sizeof err) != SS_OK) {
            fprintf(stderr, "bench_route: %s\n", err);
            exit(1);
        }
        double t0 = wall_s();
        ss_status st = sim_run(&s, &o, &r, err, sizeof err);
        double t = wall_s() - t0;
        scn_scenario_fini(&s);
        sim_results_fini(&r);
        if (st != SS_OK) {
            fprintf(stderr, "bench_route: %s: %s\n", policy, err);
            exit(1);
        }
        best = t < best ? t : best;
    }
    return best;
}

int main(void)
{
    const int sizes[] = {100, 1000, 10000}, reps[] = {1000, 20, 2};
    for (int i = 0; i < 3; i++)
        printf("route_petals_%d_nodes_80_blocks: %.4f ms/decision\n", sizes[i],
               route_ms(sizes[i], reps[i]));
    double p = swarm_s("petals"), f = swarm_s("fixed");
    printf("volunteer_swarm_petals: %.3f s\n", p);
    printf("volunteer_swarm_fixed: %.3f s\n", f);
    printf("volunteer_swarm_petals_over_fixed: %.3f x\n", p / f);
    return 0;
}
