/* model_net_int.h - inside models/ only: how a model kind plugs into model_net. */
#ifndef MODEL_NET_INT_H
#define MODEL_NET_INT_H

#include "model_net.h"

typedef struct model_net_ops {
    const char *kind;
    ss_status (*embed)(const model_net *m, int n_items, const int32_t *tokens,
                       const float *raw, float *out);
    ss_status (*span_forward)(const model_net *m, model_state *st, int first, int end,
                              int pos, int n_items, const float *in, float *out);
    ss_status (*head)(const model_net *m, int n_items, const float *act, float *out);
    /* may set *out = NULL for stateless kinds */
    ss_status (*state_create)(const model_net *m, int first, int end, model_state **out);
    void (*state_reset)(model_state *st);
    uint64_t (*state_bytes)(const model_state *st);
    void (*state_destroy)(model_state *st);
    void (*destroy_impl)(void *impl);
    /* model_net_map_weights; NULL: SS_EUNSUPPORTED */
    ss_status (*map_weights)(model_net *m, model_weight_fn fn, void *ctx);
} model_net_ops;

struct model_net {
    const model_net_ops *ops;
    void *impl;                 /* owned; freed by ops->destroy_impl */
    int n_blocks;
    model_block_desc *blocks;   /* (n_blocks) owned, ss_malloc'd */
    uint32_t raw_in_elems;
    uint32_t n_outputs;
    int seq_len;
};

/* Every model_state starts with this header so the generic layer can find
 * the ops and check the span. */
typedef struct model_state_hdr {
    const model_net *net;
    int first, end;
} model_state_hdr;

#endif
