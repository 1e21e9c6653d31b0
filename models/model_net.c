/* model_net.c - dispatch from the generic sequential-model API to a kind's ops,
 * with the span and size checks every kind would otherwise repeat. */
#include "model_net_int.h"

#include "ss_alloc.h"

int model_net_n_blocks(const model_net *m) { return m->n_blocks; }
const model_block_desc *model_net_block(const model_net *m, int i) { return &m->blocks[i]; }
uint32_t model_net_raw_in_elems(const model_net *m) { return m->raw_in_elems; }
uint32_t model_net_n_outputs(const model_net *m) { return m->n_outputs; }
int model_net_seq_len(const model_net *m) { return m->seq_len; }
const char *model_net_kind(const model_net *m) { return m->ops->kind; }

ss_status model_net_embed(const model_net *m, int n_items, const int32_t *tokens,
                          const float *raw, float *out)
{
    if (n_items <= 0)
        return SS_EINVAL;
    return m->ops->embed(m, n_items, tokens, raw, out);
}

static int span_ok(const model_net *m, int first, int end)
{
    return first >= 0 && first < end && end <= m->n_blocks;
}

ss_status model_net_span_forward(const model_net *m, model_state *st, int first, int end,
                                 int pos, int n_items, const float *in, float *out)
{
    if (!span_ok(m, first, end) || n_items <= 0 || pos < 0)
        return SS_EINVAL;
    if (st) {
        const model_state_hdr *h = (const model_state_hdr *)st;
        if (h->net != m || h->first != first || h->end != end)
            return SS_EINVAL;
    }
    if (m->seq_len > 0 && (int64_t)pos + n_items > m->seq_len)
        return SS_ERANGE;
    return m->ops->span_forward(m, st, first, end, pos, n_items, in, out);
}

ss_status model_net_head(const model_net *m, int n_items, const float *act, float *out)
{
    if (n_items <= 0)
        return SS_EINVAL;
    return m->ops->head(m, n_items, act, out);
}

ss_status model_state_create(const model_net *m, int first, int end, model_state **out)
{
    *out = NULL;
    if (!span_ok(m, first, end))
        return SS_EINVAL;
    return m->ops->state_create(m, first, end, out);
}

void model_state_reset(model_state *st)
{
    if (st)
        ((const model_state_hdr *)st)->net->ops->state_reset(st);
}

uint64_t model_state_bytes(const model_state *st)
{
    return st ? ((const model_state_hdr *)st)->net->ops->state_bytes(st) : 0;
}

void model_state_destroy(model_state *st)
{
    if (st)
        ((const model_state_hdr *)st)->net->ops->state_destroy(st);
}

ss_status model_net_map_weights(model_net *m, model_weight_fn fn, void *ctx)
{
    if (!m || !fn)
        return SS_EINVAL;
    if (!m->ops->map_weights)
        return SS_EUNSUPPORTED;
    return m->ops->map_weights(m, fn, ctx);
}

void model_net_destroy(model_net *m)
{
    if (!m)
        return;
    if (m->ops && m->ops->destroy_impl)
        m->ops->destroy_impl(m->impl);
    ss_free(m->blocks);
    ss_free(m);
}
