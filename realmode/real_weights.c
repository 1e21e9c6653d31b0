/* real_weights.c - weights at rest: exact encoded sizes, round trip in place. */
#include "real_weights.h"

#include <math.h>
#include <string.h>

#include "ss_alloc.h"

typedef struct apply_ctx {
    const comp_codec *c;
    uint64_t *block_bytes;  /* (n_blocks) encoded bytes of the block's matrices */
    uint64_t *block_params; /* (n_blocks) their elements */
    real_weights_stats *stats;
    uint8_t *buf;
    size_t cap;
    float *orig;
    size_t orig_cap;
    char *err;
    size_t errlen;
} apply_ctx;

static ss_status round_trip(void *vctx, const char *name, int block, float *w, size_t rows,
                            size_t cols)
{
    apply_ctx *a = vctx;
    if (block < 0)
        return SS_OK; /* the client's matrices stay fp32 */
    char e2[256];
    uint64_t cap = 0;
    size_t n = rows * cols, written = 0;
    ss_status st = comp_wire_bytes_max(a->c, rows, cols, &cap);
    if (st != SS_OK)
        return ss_err(a->err, a->errlen, st, "block %d %s (%zu x %zu): size out of range", block,
                      name, rows, cols);
    if (cap > a->cap) {
        uint8_t *b = ss_realloc(a->buf, (size_t)cap);
        if (!b)
            return ss_err(a->err, a->errlen, SS_ENOMEM, "out of memory");
        a->buf = b;
        a->cap = (size_t)cap;
    }
    if (n > a->orig_cap) {
        float *o = ss_realloc(a->orig, n * sizeof *o);
        if (!o)
            return ss_err(a->err, a->errlen, SS_ENOMEM, "out of memory");
        a->orig = o;
        a->orig_cap = n;
    }
    memcpy(a->orig, w, n * sizeof *w);
    if ((st = comp_encode(a->c, w, rows, cols, a->buf, a->cap, &written, e2, sizeof e2)) !=
            SS_OK ||
        (st = comp_decode(a->c, a->buf, written, rows, cols, w, e2, sizeof e2)) != SS_OK)
        return ss_err(a->err, a->errlen, st, "block %d %s (%zu x %zu): %s", block, name, rows,
                      cols, e2);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)w[i] - (double)a->orig[i]);
        if (d > a->stats->max_abs_err)
            a->stats->max_abs_err = d;
    }
    a->stats->n_matrices++;
    a->stats->matrix_params += n;
    a->stats->matrix_bytes += written;
    a->block_bytes[block] += written;
    a->block_params[block] += n;
    return SS_OK;
}

ss_status real_weights_apply(model_net *net, const comp_codec *c, uint64_t *block_bytes,
                            real_weights_stats *stats, char *err, size_t errlen)
{
    real_weights_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    int nb = model_net_n_blocks(net);
    uint64_t *bb = ss_calloc((size_t)nb * 2, sizeof *bb);
    if (!bb)
        return ss_err(err, errlen, SS_ENOMEM, "out of memory");
    apply_ctx a = {.c = c, .block_bytes = bb, .block_params = bb + nb, .stats = stats,
                   .err = err, .errlen = errlen};
    ss_status st = model_net_map_weights(net, round_trip, &a);
    if (st == SS_EUNSUPPORTED)
        ss_err(err, errlen, st, "model kind %s has no weight access for compression.weights",
               model_net_kind(net));
    if (st == SS_OK) {
        uint64_t total = 0;
        for (int i = 0; i < nb; i++) {
            uint64_t np = model_net_block(net, i)->n_params;
            /* vectors (norms, biases) stay fp32: 4 bytes each */
            uint64_t bytes = a.block_bytes[i] + 4 * (np - a.block_params[i]);
            if (block_bytes)
                block_bytes[i] = bytes;
            total += bytes;
            stats->block_params += np;
        }
        stats->bytes_per_param =
            stats->block_params ? (double)total / (double)stats->block_params : 0.0;
    }
    ss_free(bb);
    ss_free(a.buf);
    ss_free(a.orig);
    return st;
}

ss_status real_weights_arch_block_bytes(const model_arch *a, const comp_codec *c,
                                       uint64_t *bytes, char *err, size_t errlen)
{
    model_arch_block blk;
    ss_status st = model_arch_block_matrices(a, &blk, err, errlen);
    if (st != SS_OK)
        return st;
    /* vectors stay fp32: biases of every linear layer, norm weights (+ biases) */
    uint64_t total = 4 * (blk.bias_params + blk.norm_params);
    for (int i = 0; i < blk.n_matrices; i++) {
        const model_arch_matrix *m = &blk.matrices[i];
        uint64_t b = 0;
        st = comp_codec_is_data_dependent(c)
                 ? comp_llm_int8_wire_bytes((size_t)m->rows, (size_t)m->cols, 0, &b)
                 : comp_wire_bytes(c, (size_t)m->rows, (size_t)m->cols, &b);
        if (st != SS_OK)
            return ss_err(err, errlen, st, "weight matrix %s %llu x %llu: size out of range",
                          m->name, (unsigned long long)m->rows, (unsigned long long)m->cols);
        total += b;
    }
    *bytes = total;
    return SS_OK;
}

void real_weights_set_desc(model_desc *desc, const uint64_t *block_bytes)
{
    double bytes = 0, params = 0;
    for (int i = 0; i < desc->n_blocks; i++) {
        bytes += (double)block_bytes[i];
        params += (double)desc->blocks[i].n_params;
    }
    if (params > 0)
        desc->weight_bytes_per_param = bytes / params;
}
