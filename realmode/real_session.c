/* real_session.c - embed -> [decode, span forward, encode]* -> decode, head, greedy.
 *
 * Buffers are sized once for the largest pass (the prompt), so passes do not
 * allocate; histories grow by doubling. Sizes for stories260K: width 64,
 * 512 positions, 5 hops: under 1 MB per session.
 */
#include "real_session.h"

#include <string.h>

#include "model_generate.h"
#include <gsl/gsl_randist.h>
#include <math.h>
#include "ss_alloc.h"

typedef struct hop_state {
    route_hop span;
    model_state *st;   /* the node's KV cache for this session */
    float *hist;       /* (hist_rows, width_in) decoded inputs, in order */
    int hist_rows, hist_cap;
    int *chunks;       /* rows of each forward call, in order (replay uses the same calls) */
    int n_chunks, cap_chunks;
    uint32_t width_in, width_out;
    float *prev;       /* (width_out) last row of the previous pass's honest output: what a
                        * free-rider returns (real_session_compute_set); NULL until then */
} hop_state;

struct real_session {
    const model_net *net;
    comp_codec codec;
    model_gen gen;
    FILE *out;
    int n_hops;
    hop_state *hops;
    int pass_rows, pass_pos;
    int max_rows;
    uint32_t maxw;     /* widest activation of the buffers below */
    bool relayed;      /* routing.pattern "client-relayed": two codec crossings between hops */
    float *x, *y;      /* (max_rows, max width) activations */
    float *logits;     /* (vocab) */
    float *outs;       /* (outs_cap) real_session_compute_set's replica outputs */
    size_t outs_cap;
    uint8_t *wire;     /* encoded activation in flight */
    size_t wire_cap, wire_len;
    int vocab;
};

static ss_status push_history(hop_state *h, const float *rows, int n)
{
    if (h->hist_rows + n > h->hist_cap) {
        int cap = h->hist_cap ? h->hist_cap : 64;
        while (cap < h->hist_rows + n)
            cap *= 2;
        float *p = ss_realloc(h->hist, (size_t)cap * h->width_in * sizeof *p);
        if (!p)
            return SS_ENOMEM;
        h->hist = p;
        h->hist_cap = cap;
    }
    if (h->n_chunks == h->cap_chunks) {
        int cap = h->cap_chunks ? h->cap_chunks * 2 : 64;
        int *p = ss_realloc(h->chunks, (size_t)cap * sizeof *p);
        if (!p)
            return SS_ENOMEM;
        h->chunks = p;
        h->cap_chunks = cap;
    }
    memcpy(h->hist + (size_t)h->hist_rows * h->width_in, rows,
           (size_t)n * h->width_in * sizeof *rows);
    h->hist_rows += n;
    h->chunks[h->n_chunks++] = n;
    return SS_OK;
}

void real_session_destroy(real_session *s)
{
    if (!s)
        return;
    for (int i = 0; s->hops && i < s->n_hops; i++) {
        model_state_destroy(s->hops[i].st);
        ss_free(s->hops[i].hist);
        ss_free(s->hops[i].chunks);
        ss_free(s->hops[i].prev);
    }
    ss_free(s->hops);
    ss_free(s->outs);
    ss_free(s->x);
    ss_free(s->y);
    ss_free(s->logits);
    ss_free(s->wire);
    model_gen_fini(&s->gen);
    ss_free(s);
}

ss_status real_session_create(const real_session_cfg *cfg, real_session **out, char *err,
                             size_t errlen)
{
    *out = NULL;
    real_session *s = ss_calloc(1, sizeof *s);
    if (!s)
        return SS_ENOMEM;
    s->net = cfg->net;
    s->codec = cfg->codec;
    s->out = cfg->out;
    s->vocab = (int)model_net_n_outputs(cfg->net);
    ss_status st = model_gen_init(&s->gen, cfg->tok, cfg->prompt ? cfg->prompt : "", cfg->steps,
                                  model_net_seq_len(cfg->net));
    if (st != SS_OK) {
        ss_free(s);
        return ss_err(err, errlen, st, "encoding the prompt: %s", ss_strerror(st));
    }
    s->n_hops = cfg->n_hops;
    s->hops = ss_calloc((size_t)cfg->n_hops, sizeof *s->hops);
    if (!s->hops)
        goto nomem;
    uint32_t maxw = 0;
    for (int i = 0; i < cfg->n_hops; i++) {
        hop_state *h = &s->hops[i];
        h->span = cfg->hops[i];
        h->width_in = model_net_block(cfg->net, h->span.first_block)->act_in_elems;
        h->width_out = model_net_block(cfg->net, h->span.end_block - 1)->act_out_elems;
        if (h->width_in > maxw)
            maxw = h->width_in;
        if (h->width_out > maxw)
            maxw = h->width_out;
        if ((st = model_state_create(cfg->net, h->span.first_block, h->span.end_block, &h->st)) !=
            SS_OK) {
            real_session_destroy(s);
            return ss_err(err, errlen, st, "creating the KV cache of hop %d", i);
        }
    }
    s->maxw = maxw;
    s->relayed = cfg->relayed;
    s->max_rows = s->gen.n_prompt < s->gen.steps ? s->gen.n_prompt : s->gen.steps;
    if (s->max_rows < 1)
        s->max_rows = 1;
    s->x = ss_malloc_array((size_t)s->max_rows * maxw, sizeof *s->x);
    s->y = ss_malloc_array((size_t)s->max_rows * maxw, sizeof *s->y);
    s->logits = ss_malloc_array((size_t)s->vocab, sizeof *s->logits);
    uint64_t cap = 0;
    if (comp_wire_bytes_max(&s->codec, (size_t)s->max_rows, maxw, &cap) != SS_OK) {
        real_session_destroy(s);
        return ss_err(err, errlen, SS_EINVAL, "codec cannot encode %d x %u activations",
                      s->max_rows, maxw);
    }
    s->wire = ss_malloc((size_t)cap);
    s->wire_cap = (size_t)cap;
    if (!s->x || !s->y || !s->logits || !s->wire)
        goto nomem;
    *out = s;
    return SS_OK;
nomem:
    real_session_destroy(s);
    return ss_err(err, errlen, SS_ENOMEM, "out of memory creating a session");
}

bool real_session_done(const real_session *s) { return s->gen.done; }
int real_session_pass_rows(const real_session *s) { return s->pass_rows; }
int real_session_pass_pos(const real_session *s) { return s->pass_pos; }

static ss_status encode(real_session *s, const float *x, int rows, uint32_t width,
                        uint64_t *wire_bytes, char *err, size_t errlen)
{
    size_t n = 0;
    ss_status st = comp_encode(&s->codec, x, (size_t)rows, width, s->wire, s->wire_cap, &n, err,
                               errlen);
    s->wire_len = n;
    *wire_bytes = n;
    return st;
}

ss_status real_session_begin_pass(real_session *s, uint64_t *wire_bytes, char *err, size_t errlen)
{
    if (s->gen.done)
        return ss_err(err, errlen, SS_EINVAL, "session already finished");
    /* The first pass prefills the prompt (at most `steps` positions); every
     * later pass is one position, as model_generate_greedy does. */
    if (s->gen.pos == 0) {
        s->pass_rows = s->max_rows;
        s->pass_pos = 0;
        ss_status st = model_net_embed(s->net, s->pass_rows, s->gen.prompt, NULL, s->x);
        if (st != SS_OK)
            return ss_err(err, errlen, st, "embedding the prompt");
    } else {
        s->pass_rows = 1;
        s->pass_pos = s->gen.pos;
        ss_status st = model_net_embed(s->net, 1, &s->gen.token, NULL, s->x);
        if (st != SS_OK)
            return ss_err(err, errlen, st, "embedding token %d", s->gen.token);
    }
    return encode(s, s->x, s->pass_rows, s->hops[0].width_in, wire_bytes, err, errlen);
}

ss_status real_session_compute(real_session *s, int hop, uint64_t *wire_bytes, char *err,
                              size_t errlen)
{
    hop_state *h = &s->hops[hop];
    ss_status st = comp_decode(&s->codec, s->wire, s->wire_len, (size_t)s->pass_rows, h->width_in,
                               s->x, err, errlen);
    if (st != SS_OK)
        return st;
    if ((st = push_history(h, s->x, s->pass_rows)) != SS_OK)
        return ss_err(err, errlen, st, "out of memory storing hop %d's inputs", hop);
    st = model_net_span_forward(s->net, h->st, h->span.first_block, h->span.end_block,
                                s->pass_pos, s->pass_rows, s->x, s->y);
    if (st != SS_OK)
        return ss_err(err, errlen, st, "hop %d: forward pass of blocks [%d, %d) at position %d",
                      hop, h->span.first_block, h->span.end_block, s->pass_pos);
    return encode(s, s->y, s->pass_rows, h->width_out, wire_bytes, err, errlen);
}

ss_status real_session_end_pass(real_session *s, char *err, size_t errlen)
{
    const hop_state *last = &s->hops[s->n_hops - 1];
    ss_status st = comp_decode(&s->codec, s->wire, s->wire_len, (size_t)s->pass_rows,
                               last->width_out, s->y, err, errlen);
    if (st != SS_OK)
        return st;
    int end = s->pass_pos + s->pass_rows;
    /* Logits matter only once the prompt is complete (earlier next tokens
     * are forced), as in model_generate_greedy. */
    if (end >= s->gen.n_prompt && (st = model_net_head(s->net, 1, s->y + (size_t)(s->pass_rows - 1) * last->width_out,
                                     s->logits)) != SS_OK)
        return ss_err(err, errlen, st, "head at position %d", end - 1);
    /* Advance through every position of the pass: prompt positions are
     * forced, the last one (if the prompt is complete) is chosen. */
    while (!s->gen.done && s->gen.pos < end)
        if ((st = model_gen_advance(&s->gen, model_gen_needs_logits(&s->gen) ? s->logits : NULL,
                                    s->vocab, s->out)) != SS_OK)
            return ss_err(err, errlen, st, "choosing the token after position %d", s->gen.pos);
    if (s->gen.done && s->out)
        fputc('\n', s->out);
    return SS_OK;
}

int real_session_history_rows(const real_session *s, int hop) { return s->hops[hop].hist_rows; }

uint64_t real_session_kv_bytes(const real_session *s, int hop)
{
    return model_state_bytes(s->hops[hop].st);
}

ss_status real_session_replace_hop(real_session *s, int hop, int *replayed, char *err,
                                  size_t errlen)
{
    hop_state *h = &s->hops[hop];
    *replayed = 0;
    model_state_reset(h->st);
    /* Replay the chunks that completed before the current pass. The current
     * pass's rows, if already stored, are dropped: the caller resends them. */
    int rows_before = s->pass_pos;
    float *tmp = ss_malloc_array((size_t)(rows_before ? rows_before : 1) * h->width_out,
                                 sizeof *tmp);
    if (!tmp)
        return ss_err(err, errlen, SS_ENOMEM, "out of memory replaying hop %d", hop);
    int pos = 0, c = 0;
    ss_status st = SS_OK;
    while (c < h->n_chunks && pos + h->chunks[c] <= rows_before) {
        st = model_net_span_forward(s->net, h->st, h->span.first_block, h->span.end_block, pos,
                                    h->chunks[c], h->hist + (size_t)pos * h->width_in, tmp);
        if (st != SS_OK) {
            ss_err(err, errlen, st, "replaying hop %d at position %d", hop, pos);
            break;
        }
        pos += h->chunks[c++];
    }
    ss_free(tmp);
    h->hist_rows = pos;
    h->n_chunks = c;
    *replayed = pos;
    return st;
}

ss_status real_session_relay(real_session *s, int hop, uint64_t *wire_bytes, char *err,
                             size_t errlen)
{
    const hop_state *h = &s->hops[hop];
    ss_status st = comp_decode(&s->codec, s->wire, s->wire_len, (size_t)s->pass_rows,
                               h->width_out, s->y, err, errlen);
    if (st != SS_OK)
        return st;
    return encode(s, s->y, s->pass_rows, h->width_out, wire_bytes, err, errlen);
}

/* What a hop receives of `rows` x `width` activations another hop sent:
 * encoded and decoded once, or twice when the client relays them. In
 * place, through `wb` (wb_cap bytes; the session's wire holds the current
 * pass and is not touched). */
static ss_status cross(real_session *s, float *x, int rows, uint32_t width, uint8_t *wb,
                       size_t wb_cap, char *err, size_t errlen)
{
    for (int k = 0; k < (s->relayed ? 2 : 1); k++) {
        size_t n = 0;
        ss_status st = comp_encode(&s->codec, x, (size_t)rows, width, wb, wb_cap, &n, err, errlen);
        if (st == SS_OK)
            st = comp_decode(&s->codec, wb, n, (size_t)rows, width, x, err, errlen);
        if (st != SS_OK)
            return st;
    }
    return SS_OK;
}

static void hop_fini(hop_state *h)
{
    model_state_destroy(h->st);
    ss_free(h->hist);
    ss_free(h->chunks);
    ss_free(h->prev);
}

/* The chunks of `old` before position `rows_before` replayed through the
 * new hops nh[0 .. n) in order, each hop's outputs crossing the wire into
 * the next one's inputs, every hop storing its inputs as it would have
 * (same chunks). *replayed = positions replayed. */
static ss_status replay_chain(real_session *s, const hop_state *old, hop_state *nh, int n,
                              int rows_before, int *replayed, char *err, size_t errlen)
{
    int pos = 0, c = 0;
    size_t cap = (size_t)(rows_before ? rows_before : 1) * s->maxw;
    float *a = ss_malloc_array(cap, sizeof *a), *b = ss_malloc_array(cap, sizeof *b);
    uint64_t wcap = 0;
    if (comp_wire_bytes_max(&s->codec, (size_t)(rows_before ? rows_before : 1), s->maxw,
                            &wcap) != SS_OK)
        wcap = 0;
    uint8_t *wb = wcap ? ss_malloc((size_t)wcap) : NULL;
    ss_status st = a && b && wb ? SS_OK : SS_ENOMEM;
    if (st != SS_OK)
        ss_err(err, errlen, st, "out of memory replaying a rerouted range");
    while (st == SS_OK && c < old->n_chunks && pos + old->chunks[c] <= rows_before) {
        int rows = old->chunks[c];
        memcpy(a, old->hist + (size_t)pos * old->width_in,
               (size_t)rows * old->width_in * sizeof *a);
        for (int k = 0; k < n && st == SS_OK; k++) {
            hop_state *h = &nh[k];
            if (k > 0)
                st = cross(s, a, rows, h->width_in, wb, (size_t)wcap, err, errlen);
            if (st == SS_OK && (st = push_history(h, a, rows)) != SS_OK)
                ss_err(err, errlen, st, "out of memory storing replayed inputs");
            if (st == SS_OK &&
                (st = model_net_span_forward(s->net, h->st, h->span.first_block,
                                             h->span.end_block, pos, rows, a, b)) != SS_OK)
                ss_err(err, errlen, st, "replaying blocks [%d, %d) at position %d",
                       h->span.first_block, h->span.end_block, pos);
            float *t = a;
            a = b;
            b = t;
        }
        pos += rows;
        c++;
    }
    ss_free(a);
    ss_free(b);
    ss_free(wb);
    *replayed = pos;
    return st;
}

ss_status real_session_splice(real_session *s, int hop, const route_hop *hops, int n,
                              int *replayed, char *err, size_t errlen)
{
    *replayed = 0;
    hop_state *nh = ss_calloc((size_t)n, sizeof *nh);
    hop_state *all = ss_calloc((size_t)(s->n_hops - 1 + n), sizeof *all);
    ss_status st = nh && all ? SS_OK : ss_err(err, errlen, SS_ENOMEM, "out of memory");
    for (int k = 0; st == SS_OK && k < n; k++) {
        hop_state *h = &nh[k];
        h->span = hops[k];
        h->width_in = model_net_block(s->net, h->span.first_block)->act_in_elems;
        h->width_out = model_net_block(s->net, h->span.end_block - 1)->act_out_elems;
        if (h->width_in > s->maxw || h->width_out > s->maxw)
            st = ss_err(err, errlen, SS_EUNSUPPORTED,
                        "blocks [%d, %d) are wider than the session's buffers",
                        h->span.first_block, h->span.end_block);
        else if ((st = model_state_create(s->net, h->span.first_block, h->span.end_block,
                                          &h->st)) != SS_OK)
            ss_err(err, errlen, st, "creating the KV cache of a rerouted hop");
    }
    if (st == SS_OK)
        st = replay_chain(s, &s->hops[hop], nh, n, s->pass_pos, replayed, err, errlen);
    if (st != SS_OK) {
        for (int k = 0; nh && k < n; k++)
            hop_fini(&nh[k]);
        ss_free(nh);
        ss_free(all);
        return st;
    }
    memcpy(all, s->hops, (size_t)hop * sizeof *all);
    memcpy(all + hop, nh, (size_t)n * sizeof *all);
    memcpy(all + hop + n, s->hops + hop + 1, (size_t)(s->n_hops - hop - 1) * sizeof *all);
    hop_fini(&s->hops[hop]);
    ss_free(s->hops);
    ss_free(nh);
    s->hops = all;
    s->n_hops += n - 1;
    return SS_OK;
}

/* ---- adversaries (issue 15) ---------------------------------------------- */

/* out = what a replica with tampering t sends for the honest output y
 * (rows x width). Noise and bias are relative to y's RMS, so their size
 * means the same in every layer. */
static void tamper(const hop_state *h, const real_tamper *t, const float *y, int rows,
                   uint32_t width, float *out)
{
    size_t n = (size_t)rows * width;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)y[i] * y[i];
    double rms = n ? sqrt(ss / (double)n) : 0;
    for (size_t i = 0; i < n; i++) {
        switch (t->kind) {
        case REAL_TAMPER_NOISE: out[i] = (float)(y[i] + gsl_ran_gaussian(t->rng, t->size * rms)); break;
        case REAL_TAMPER_SIGN: out[i] = -y[i]; break;
        case REAL_TAMPER_BIAS: out[i] = (float)(y[i] + t->size * rms); break;
        case REAL_TAMPER_STALE: out[i] = h->prev ? h->prev[i % width] : 0.0f; break;
        default: out[i] = y[i]; break;
        }
    }
}

ss_status real_session_compute_set(real_session *s, int hop, const real_tamper *t, int m,
                                   int *cls, char *err, size_t errlen)
{
    hop_state *h = &s->hops[hop];
    size_t one = (size_t)s->pass_rows * h->width_out;
    if ((size_t)m * one > s->outs_cap) {
        float *p = ss_realloc(s->outs, (size_t)m * one * sizeof *p);
        if (!p)
            return ss_err(err, errlen, SS_ENOMEM, "out of memory for %d replica outputs", m);
        s->outs = p;
        s->outs_cap = (size_t)m * one;
    }
    uint64_t unused;
    /* the span's real forward pass, once: honest replicas compute exactly
     * the same function of the same input and cache, so it is theirs too */
    ss_status st = real_session_compute(s, hop, &unused, err, errlen);
    if (st != SS_OK)
        return st;
    for (int i = 0; i < m; i++) {
        float *o = s->outs + (size_t)i * one;
        tamper(h, &t[i], s->y, s->pass_rows, h->width_out, o);
        /* compared exactly, as bytes: 0 = the honest output, else 1 + the
         * first replica that sent the same tensor */
        cls[i] = 0;
        if (memcmp(o, s->y, one * sizeof *o) != 0) {
            int j = 0;
            while (j < i && memcmp(o, s->outs + (size_t)j * one, one * sizeof *o) != 0)
                j++;
            cls[i] = 1 + j;
        }
    }
    if (!h->prev && !(h->prev = ss_malloc_array(h->width_out, sizeof *h->prev)))
        return ss_err(err, errlen, SS_ENOMEM, "out of memory");
    memcpy(h->prev, s->y + (size_t)(s->pass_rows - 1) * h->width_out,
           h->width_out * sizeof *h->prev);
    return SS_OK;
}

ss_status real_session_send(real_session *s, int hop, int idx, uint64_t *wire_bytes, char *err,
                            size_t errlen)
{
    const hop_state *h = &s->hops[hop];
    const float *o = idx < 0 ? s->y : s->outs + (size_t)idx * s->pass_rows * h->width_out;
    return encode(s, o, s->pass_rows, h->width_out, wire_bytes, err, errlen);
}
