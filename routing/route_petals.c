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
 * live servers that cover all of it (one hop), or, when none does, among
 * all live servers (a chain the simulator splices into the route; Petals
 * itself always searches the range over all servers).
 *
 * "nesa": Nesa's personalised routing (arXiv 2407.19775, DESIGN.md section
 * 4) as Petals' cost plus weighted terms, folded into the same graph:
 *   compute     w_c x (blocks / inference_rps)
 *   latency     w_l x the hop delay: the RTT is scaled by (1 + w_l)
 *   transfer    w_t x one token's activation (fp16) / min(up, down) bytes/s
 *   reputation  w_r x g(R), g(R) = 1 / R (route_reputation.h)
 * with the per-hop terms (transfer, reputation) spread evenly over the
 * node's span, so they are exact for a chain that uses a node's whole span
 * (aligned spans) and pro rata otherwise: each block's compute edge costs
 * (1 + w_c) / rps + (w_t * transfer + w_r / R) / span blocks. R starts at 1
 * and follows each hop's outcome (x 0.8 failed/timeout, x 1.01 ok, clipped
 * to [0.1, 10]). Weights: routing.settings compute, latency, transfer
 * (dimensionless) and reputation (seconds per unit of g), defaults 1, 1, 1,
 * 0.5 (DESIGN.md's example; Nesa tunes them offline by BRKGA).
 */
#include "route_int.h"

#include "route_petals_path.h"
#include "route_reputation.h"
#include "ss_alloc.h"

enum { NESA_COMPUTE, NESA_LATENCY, NESA_TRANSFER, NESA_REPUTATION, NESA_N };

static const route_setting_spec nesa_settings[NESA_N] = {
    [NESA_COMPUTE] = {"compute", 0, 1000, 1, "weight of the compute term, dimensionless"},
    [NESA_LATENCY] = {"latency", 0, 1000, 1, "weight of the hop-latency term, dimensionless"},
    [NESA_TRANSFER] = {"transfer", 0, 1000, 1, "weight of the activation-transfer term, "
                       "dimensionless"},
    [NESA_REPUTATION] = {"reputation", 0, 1000, 0.5, "seconds added per unit of g(R) = 1/R"},
};

typedef struct petals_state {
    route_common c;
    route_petals_server *servers; /* (n_nodes) this decision's servers */
    int *node_of;                 /* (n_nodes) server index -> node index */
    route_petals_hop *phops;      /* (n_blocks) */
    void *scratch;
    size_t scratch_bytes;
    const route_view *v;          /* during a decision: for the RTT callback */
    int client_region;
    int nesa;                     /* 1: Nesa's weighted terms (w, rep) apply */
    double w[NESA_N];
    double *rep;                  /* (n_nodes) reputations */
    route_reputation_cfg rep_cfg;
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
    ss_free(s->rep);
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
    *rtt_s = v->rtt_s[ra * v->n_regions + rb] * (s->nesa ? 1 + s->w[NESA_LATENCY] : 1);
    return 1;
}

/* Nesa's per-block cost of node i as an inference rate (see the header). */
static double nesa_rps(const petals_state *s, const route_view *v, int i)
{
    const route_node_view *x = &v->nodes[i];
    double rps = x->inference_rps > 0 ? x->inference_rps : ROUTE_PETALS_DEFAULT_INFERENCE_RPS;
    double bw = x->uplink_bytes_per_s < x->downlink_bytes_per_s ? x->uplink_bytes_per_s
                                                                 : x->downlink_bytes_per_s;
    /* defensive: a view without block descriptions has no transfer term */
    double bytes = v->model->blocks ? 2.0 * v->model->blocks[x->first_block].act_in_elems : 0;
    double transfer = bw > 0 ? bytes / bw : 0;
    /* announced records carry the node's network-wide reputation: it
     * replaces the client's own when known */
    double rep = v->announced && x->reputation > 0 ? x->reputation : s->rep[i];
    double per_hop = s->w[NESA_TRANSFER] * transfer +
                     s->w[NESA_REPUTATION] * route_reputation_cost(rep);
    double per_block = (1 + s->w[NESA_COMPUTE]) / rps + per_hop / (x->end_block - x->first_block);
    return 1 / per_block;
}

/* The servers for [first, end): live nodes with a span (one_hop: covering
 * all of it), in node order. */
static int servers_of(petals_state *s, const route_view *v, const route_request *req, int first,
                      int end, int one_hop, int exclude)
{
    int n = 0;
    for (int i = 0; i < v->n_nodes; i++) {
        const route_node_view *x = &v->nodes[i];
        if (i == exclude || !x->up || x->first_block < 0 || x->end_block <= x->first_block)
            continue;
        if (one_hop && (x->first_block > first || x->end_block < end))
            continue;
        s->servers[n] = (route_petals_server){
            .first_block = x->first_block, .end_block = x->end_block,
            .rps_known = x->inference_rps > 0, .inference_rps = x->inference_rps,
            .kv_known = x->kv_known, .free_kv_tokens = x->free_kv_tokens,
            .banned = route_bans_banned(&s->c.bans, i, req->now_ns)};
        if (s->nesa) {
            s->servers[n].inference_rps = nesa_rps(s, v, i);
            s->servers[n].rps_known = 1;
        }
        s->node_of[n++] = i;
    }
    return n;
}

static ss_status petals_find(petals_state *s, const route_view *v, const route_request *req,
                             int first, int end, int one_hop, int exclude, route_hop *hops,
                             int max_hops, int *n_hops, double *cost_s, char *err, size_t errlen)
{
    int ns = servers_of(s, v, req, first, end, one_hop, exclude);
    s->v = v;
    s->client_region = req->client_region;
    int64_t tokens = (int64_t)(req->prompt_tokens > 0 ? req->prompt_tokens : 0) +
                     (req->output_tokens > 0 ? req->output_tokens : 0);
    route_petals_path_in in = {.n_blocks = v->model->n_blocks, .start_block = first,
                               .end_block = end, .n_servers = ns, .servers = s->servers,
                               .rtt = petals_rtt, .rtt_ctx = s, .cache_tokens = tokens};
    int cap = max_hops < v->model->n_blocks ? max_hops : v->model->n_blocks, n = 0;
    ss_status st = route_petals_path_find(&in, s->scratch, s->scratch_bytes, s->phops, cap, &n,
                                          cost_s, err, errlen);
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
    double cost;
    return petals_find(state, v, req, 0, v->model->n_blocks, 0, -1, hops, max_hops, n_hops, &cost,
                       err, errlen);
}

static ss_status petals_reroute(void *state, const route_view *v, const route_request *req,
                                const route_hop *failed, route_hop *hops, int max_hops,
                                int *n_hops, char *err, size_t errlen)
{
    /* one server for the whole range when there is one; else the
     * min-latency chain over the range (Petals' client asks make_sequence
     * for the failed span: client/inference_session.py, _update_sequence),
     * which the simulator splices into the route */
    double cost;
    ss_status st = petals_find(state, v, req, failed->first_block, failed->end_block, 1, -1, hops,
                               max_hops, n_hops, &cost, err, errlen);
    if (st != SS_ENOTFOUND)
        return st;
    return petals_find(state, v, req, failed->first_block, failed->end_block, 0, -1, hops,
                       max_hops, n_hops, &cost, err, errlen);
}

/* The chosen chain's cost (the same Dijkstra again: deterministic, no
 * draws), and as alternatives the best chain that leaves out each distinct
 * node of the chosen one in turn (what the client would take were that
 * node banned), cheapest first. */
static int petals_explain(void *state, const route_view *v, const route_request *req,
                          const route_hop *chosen, int n_chosen, int rerouting, route_explain *out)
{
    petals_state *s = state;
    route_hop hops[ROUTE_EXPLAIN_MAX_NODES];
    char err[128];
    int n = 0;
    if (n_chosen <= 0)
        return -1;
    int first = chosen[0].first_block, end = chosen[n_chosen - 1].end_block;
    *out = (route_explain){.unit = "s"};
    if (petals_find(s, v, req, first, end, rerouting, -1, hops, ROUTE_EXPLAIN_MAX_NODES, &n,
                    &out->cost, err, sizeof err) != SS_OK)
        return -1;
    for (int k = 0; k < n_chosen && out->n_alts < ROUTE_EXPLAIN_MAX_ALTS; k++) {
        int dup = 0;
        for (int j = 0; j < k; j++)
            dup |= chosen[j].node == chosen[k].node;
        route_alt a = {.avoided = chosen[k].node};
        if (dup || petals_find(s, v, req, first, end, rerouting, chosen[k].node, hops,
                               ROUTE_EXPLAIN_MAX_NODES, &n, &a.cost, err, sizeof err) != SS_OK)
            continue;
        a.n_nodes = n;
        for (int j = 0; j < n; j++)
            a.nodes[j] = hops[j].node;
        int at = out->n_alts++;
        while (at > 0 && out->alts[at - 1].cost > a.cost) {
            out->alts[at] = out->alts[at - 1];
            at--;
        }
        out->alts[at] = a;
    }
    return 0;
}

static int64_t petals_banned_until(const void *state, int node)
{
    const petals_state *s = state;
    return node >= 0 && node < s->c.bans.n ? s->c.bans.until_ns[node] : 0;
}

static void petals_observe(void *state, const route_view *v, const route_feedback *fb)
{
    (void)v;
    route_bans_observe(&((petals_state *)state)->c.bans, fb);
}

static ss_status nesa_init(const route_init *in, void **state, char *err, size_t errlen)
{
    ss_status st = petals_init(in, state, err, errlen);
    if (st != SS_OK)
        return st;
    petals_state *s = *state;
    s->nesa = 1;
    for (int k = 0; k < NESA_N; k++)
        s->w[k] = in->settings[k];
    s->rep_cfg = route_reputation_cfg_default();
    s->rep = ss_malloc_array((size_t)(in->view->n_nodes ? in->view->n_nodes : 1), sizeof *s->rep);
    if (!s->rep) {
        petals_fini(s);
        *state = NULL;
        return ss_err(err, errlen, SS_ENOMEM, "out of memory");
    }
    for (int i = 0; i < in->view->n_nodes; i++)
        s->rep[i] = s->rep_cfg.initial;
    return SS_OK;
}

static void nesa_observe(void *state, const route_view *v, const route_feedback *fb)
{
    petals_state *s = state;
    petals_observe(state, v, fb);
    if (fb->node < 0 || fb->node >= v->n_nodes)
        return;
    route_outcome o = fb->outcome == ROUTE_HOP_OK        ? ROUTE_OUTCOME_SUCCESS
                      : fb->outcome == ROUTE_HOP_TIMEOUT ? ROUTE_OUTCOME_TIMEOUT
                                                         : ROUTE_OUTCOME_FAILURE;
    s->rep[fb->node] = route_reputation_update(&s->rep_cfg, s->rep[fb->node], o);
}

const route_routing_ops route_routing_nesa = {
    .name = "nesa",
    .summary = "Nesa's personalised routing: Petals' cost plus weighted compute, latency, "
               "transfer and reputation (g(R) = 1/R) terms",
    .settings = nesa_settings,
    .n_settings = NESA_N,
    .init = nesa_init,
    .route = petals_route,
    .reroute = petals_reroute,
    .observe = nesa_observe,
    .fini = petals_fini,
    .explain = petals_explain,
    .banned_until = petals_banned_until,
};

const route_routing_ops route_routing_petals = {
    .name = "petals",
    .summary = "Petals' min-latency chain: Dijkstra over (node, block) with announced rates, "
               "free KV tokens, RTTs and the client's bans",
    .init = petals_init,
    .route = petals_route,
    .reroute = petals_reroute,
    .observe = petals_observe,
    .fini = petals_fini,
    .explain = petals_explain,
    .banned_until = petals_banned_until,
};
