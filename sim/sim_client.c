/* sim_client.c - the client endpoint (scenario "client", issue 11 item 5):
 * each request's own machine. Its NIC directions are FIFO like a node's
 * (sim_nic), one pair per request (a closed-loop user sends its next
 * request only after the previous one finished, so its requests never
 * overlap on the NIC: one pair per request is one pair per user); its
 * device computes the embedding before each pass's first hop and the LM
 * head after its last (models/model_cost.h, model_cost_client_*). */
#include "sim_run_int.h"

void sim_w_client_init(world *w)
{
    const scn_client *c = &w->cfg.scn->client;
    const model_desc *m = w->cfg.model;
    w->cfg.client_up_bps = c->uplink_bytes_per_s;
    w->cfg.client_down_bps = c->downlink_bytes_per_s;
    w->cfg.client_last_mile_ns = sim_w_s_to_ns(c->last_mile_ms / 1e3);
    /* a synthetic model has no embedding or head to cost */
    w->cfg.client_compute = c->has_device && !w->cfg.synthetic && m->n_blocks > 0 && m->vocab > 0;
    if (w->cfg.client_compute)
        w->cfg.client_dev = sim_node_device(&c->device);
    w->cfg.relayed = w->cfg.scn->client_relayed;
}

int64_t sim_w_client_embed_ns(const world *w, int64_t ri)
{
    if (!w->cfg.client_compute)
        return 0;
    return sim_w_s_to_ns(
        model_cost_client_embed(&w->cfg.client_dev, w->cfg.model, sim_w_pass_rows(w, ri)).total_s);
}

int64_t sim_w_client_head_ns(const world *w)
{
    if (!w->cfg.client_compute)
        return 0;
    /* one position per pass: a prefill needs the logits of its last row only */
    return sim_w_s_to_ns(model_cost_client_head(&w->cfg.client_dev, w->cfg.model, 1).total_s);
}
