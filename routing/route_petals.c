/* route_petals.c - "petals": Petals' client in min-latency mode
 * (route_petals_path: Dijkstra over (server, block) vertices, constants and
 * sources in route_petals_path.h) on what the view announces: each live
 * node with a span is a server with its inference_rps (unknown: 300) and
 * free KV tokens, banned while on the client's ban list (route_int.h:
 * 15 s * 2^k, fed by observe). RTTs are the scenario's region matrix
 * (client region to node region, node to node); no matrix: unknown (0.15 s).
 * The session needs prompt + output tokens of KV cache per block.
 *
 * A failed range is rerouted by the same search over the range, among the
 * live servers that cover all of it (so the answer is one hop, which the
 * simulator carries out; Petals itself may split the range over several).
 */
#include "route_int.h"

#include "route_petals_path.h"
#include "ss_alloc.h"

typedef struct petals_state {
    route_common c;
    route_petals_server *servers; /* (n_nodes) this decision's servers */
    int *node_of;                 /* (n_nodes) server index -> node index */
    route_petals_hop *phops;      /* (n_blocks) */
    void *scratch;
    size_t scratch_bytes;
    const route_view *v;          /* during a decision: for the RTT callback */
    int client_region;
} petals_state;

static void petals_fini(void *state)
{
    petals_state *s = state;
    if (!s)
        return;
    route_common_fini(&s->c);
    ss_free(s->servers);
    ss_free(s->node_of);
    ss_free(s->phops);
    ss_free(s->scratch);
    ss_free(s);
}

static ss_status petals_init(const route_init *in, void **state, char *err, size_t errlen)
{
    petals_state *s = ss_calloc(1, sizeof *s);
    if (!s)
        return ss_err(err, errlen, SS_ENOMEM, "out of memory");
    int n = in->view->n_nodes ? in->view->n_nodes : 1, nb = in->view->model->n_blocks;
    ss_status st = route_common_init(&s->c, in, err, errlen);
    s->scratch_bytes = route_petals_path_scratch_bytes(n, nb);
    s->servers = ss_calloc((size_t)n, sizeof *s->servers);
    s->node_of = ss_calloc((size_t)n, sizeof *s->node_of);
    s->phops = ss_calloc((size_t)nb, sizeof *s->phops);
    s->scratch = s->scratch_bytes ? ss_malloc(s->scratch_bytes) : NULL;
    if (st == SS_OK && (!s->servers || !s->node_of || !s->phops || !s->scratch))
        st = ss_err(err, errlen, SS_ENOMEM, "out of memory for %d servers x %d blocks", n, nb);
    if (st != SS_OK) {
        petals_fini(s);
        return st;
    }
    *state = s;
    return SS_OK;
}

static int petals_rtt(void *ctx, int from, int to, double *rtt_s)
{
    petals_state *s = ctx;
    const route_view *v = s->v;
    if (!v->rtt_s)
        return 0;
    int ra = from == ROUTE_PETALS_CLIENT ? s->client_region : v->nodes[s->node_of[from]].region;
    int rb = v->nodes[s->node_of[to]].region;
    if (ra < 0 || rb < 0 || ra >= v->n_regions || rb >= v->n_regions)
        return 0;
    *rtt_s = v->rtt_s[ra * v->n_regions + rb];
    return 1;
}

/* The servers for [first, end): live nodes with a span (one_hop: covering
 * all of it), in node order. */
static int servers_of(petals_state *s, const route_view *v, const route_request *req, int first,
                      int end, int one_hop)
{
    int n = 0;
    for (int i = 0; i < v->n_nodes; i++) {
        const route_node_view *x = &v->nodes[i];
        if (!x->up || x->first_block < 0 || x->end_block <= x->first_block)
            continue;
        if (one_hop && (x->first_block > first || x->end_block < end))
            continue;
        s->servers[n] = (route_petals_server){
            .first_block = x->first_block, .end_block = x->end_block,
            .rps_known = x->inference_rps > 0, .inference_rps = x->inference_rps,
            .kv_known = x->kv_known, .free_kv_tokens = x->free_kv_tokens,
            .banned = route_bans_banned(&s->c.bans, i, req->now_ns)};
        s->node_of[n++] = i;
    }
    return n;
}

static ss_status petals_find(petals_state *s, const route_view *v, const route_request *req,
                             int first, int end, int one_hop, route_hop *hops, int max_hops,
                             int *n_hops, char *err, size_t errlen)
{
    int ns = servers_of(s, v, req, first, end, one_hop);
    s->v = v;
    s->client_region = req->client_region;
    int64_t tokens = (int64_t)(req->prompt_tokens > 0 ? req->prompt_tokens : 0) +
                     (req->output_tokens > 0 ? req->output_tokens : 0);
    route_petals_path_in in = {.n_blocks = v->model->n_blocks, .start_block = first,
                               .end_block = end, .n_servers = ns, .servers = s->servers,
                               .rtt = petals_rtt, .rtt_ctx = s, .cache_tokens = tokens};
    int cap = max_hops < v->model->n_blocks ? max_hops : v->model->n_blocks, n = 0;
    double cost;
    ss_status st = route_petals_path_find(&in, s->scratch, s->scratch_bytes, s->phops, cap, &n,
                                          &cost, err, errlen);
    if (st != SS_OK)
        return st;
    for (int k = 0; k < n; k++)
        hops[k] = (route_hop){.node = s->node_of[s->phops[k].server],
                              .first_block = s->phops[k].first_block,
                              .end_block = s->phops[k].end_block, .state = ROUTE_HOP_BOUND};
    *n_hops = n;
    return SS_OK;
}

static ss_status petals_route(void *state, const route_view *v, const route_request *req,
                              route_hop *hops, int max_hops, int *n_hops, char *err, size_t errlen)
{
    return petals_find(state, v, req, 0, v->model->n_blocks, 0, hops, max_hops, n_hops, err,
                       errlen);
}

static ss_status petals_reroute(void *state, const route_view *v, const route_request *req,
                                const route_hop *failed, route_hop *hops, int max_hops,
                                int *n_hops, char *err, size_t errlen)
{
    return petals_find(state, v, req, failed->first_block, failed->end_block, 1, hops, max_hops,
                       n_hops, err, errlen);
}

static void petals_observe(void *state, const route_view *v, const route_feedback *fb)
{
    (void)v;
    route_bans_observe(&((petals_state *)state)->c.bans, fb);
}

const route_routing_ops route_routing_petals = {
    .name = "petals",
    .summary = "Petals' min-latency chain: Dijkstra over (node, block) with announced rates, "
               "free KV tokens, RTTs and the client's bans",
    .init = petals_init,
    .route = petals_route,
    .reroute = petals_reroute,
    .observe = petals_observe,
    .fini = petals_fini,
};
