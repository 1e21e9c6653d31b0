/* real_accuracy.c - agreement, KL, perplexity and MNIST deltas through the pipeline. */
#include "real_accuracy.h"

#include <math.h>
#include <string.h>

#include "model_eval.h"
#include "model_generate.h"
#include "model_tokenizer.h"
#include "real_pipeline.h"
#include "ss_alloc.h"

struct real_accuracy_ref {
    real_accuracy_cfg cfg;
    int n_tokens;            /* steps + 1 */
    int32_t *tokens;         /* (n_tokens) T: BOS then the greedy continuation */
    float *logits;           /* (steps, vocab) reference logits at positions 0 .. steps-1 */
    int vocab;
    model_eval_ppl_result ppl;
    model_eval_mnist_result mnist;
};

void real_accuracy_ref_destroy(real_accuracy_ref *r)
{
    if (!r)
        return;
    ss_free(r->tokens);
    ss_free(r->logits);
    ss_free(r);
}

const int32_t *real_accuracy_ref_tokens(const real_accuracy_ref *r, int *n_tokens)
{
    *n_tokens = r->n_tokens;
    return r->tokens;
}

double real_accuracy_kl(const float *lp, const float *lq, int n)
{
    double mp = -INFINITY, mq = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (lp[i] > mp)
            mp = lp[i];
        if (lq[i] > mq)
            mq = lq[i];
    }
    double sp = 0, sq = 0;
    for (int i = 0; i < n; i++) {
        sp += exp((double)lp[i] - mp);
        sq += exp((double)lq[i] - mq);
    }
    const double lsep = mp + log(sp), lseq = mq + log(sq);
    double kl = 0;
    for (int i = 0; i < n; i++) {
        double logp = (double)lp[i] - lsep, logq = (double)lq[i] - lseq;
        kl += exp(logp) * (logp - logq);
    }
    return kl;
}

/* ---- the teacher-forced decode: one row per position, caches kept ------ */

typedef struct stepper {
    const model_net *net;
    comp_codec codec;
    int n_hops;
    const route_hop *hops;
    model_state **st;   /* (n_hops) */
    float *x, *y;       /* (max_width) */
    uint8_t *wire;
    size_t wire_cap;
    uint64_t bytes;
} stepper;

static void stepper_fini(stepper *k)
{
    if (k->st)
        for (int h = 0; h < k->n_hops; h++)
            model_state_destroy(k->st[h]);
    ss_free(k->st);
    ss_free(k->x);
    ss_free(k->y);
    ss_free(k->wire);
}

static ss_status stepper_init(stepper *k, const real_model *m, const real_pipeline *p,
                              const comp_codec *codec)
{
    memset(k, 0, sizeof *k);
    k->net = m->net;
    k->codec = *codec;
    k->n_hops = real_pipeline_n_hops(p);
    k->hops = real_pipeline_hops(p);
    uint32_t maxw = model_net_n_outputs(m->net);
    for (int i = 0; i < model_net_n_blocks(m->net); i++) {
        const model_block_desc *b = model_net_block(m->net, i);
        maxw = b->act_in_elems > maxw ? b->act_in_elems : maxw;
        maxw = b->act_out_elems > maxw ? b->act_out_elems : maxw;
    }
    uint64_t cap = 0;
    ss_status st = comp_wire_bytes_max(codec, 1, maxw, &cap);
    if (st != SS_OK)
        return st;
    k->st = ss_calloc((size_t)k->n_hops, sizeof *k->st);
    k->x = ss_malloc_array(maxw, sizeof *k->x);
    k->y = ss_malloc_array(maxw, sizeof *k->y);
    k->wire = ss_malloc((size_t)cap);
    k->wire_cap = (size_t)cap;
    if (!k->st || !k->x || !k->y || !k->wire)
        return SS_ENOMEM;
    for (int h = 0; h < k->n_hops && st == SS_OK; h++)
        st = model_state_create(m->net, k->hops[h].first_block, k->hops[h].end_block, &k->st[h]);
    return st;
}

static ss_status cross(stepper *k, float *v, uint32_t width, char *err, size_t errlen)
{
    size_t n = 0;
    ss_status st = comp_encode(&k->codec, v, 1, width, k->wire, k->wire_cap, &n, err, errlen);
    if (st == SS_OK)
        st = comp_decode(&k->codec, k->wire, n, 1, width, v, err, errlen);
    k->bytes += n;
    return st;
}

/* Position pos fed `token`: logits (n_outputs). */
static ss_status stepper_step(stepper *k, int pos, int32_t token, float *logits, char *err,
                              size_t errlen)
{
    const model_net *m = k->net;
    ss_status st = model_net_embed(m, 1, &token, NULL, k->x);
    for (int h = 0; h < k->n_hops && st == SS_OK; h++) {
        const route_hop *hop = &k->hops[h];
        if ((st = cross(k, k->x, model_net_block(m, hop->first_block)->act_in_elems, err,
                        errlen)) != SS_OK ||
            (st = model_net_span_forward(m, k->st[h], hop->first_block, hop->end_block, pos, 1,
                                         k->x, k->y)) != SS_OK)
            break;
        float *t = k->x;
        k->x = k->y;
        k->y = t;
    }
    uint32_t wl = model_net_block(m, model_net_n_blocks(m) - 1)->act_out_elems;
    if (st == SS_OK && (st = cross(k, k->x, wl, err, errlen)) == SS_OK)
        st = model_net_head(m, 1, k->x, logits);
    return st;
}

/* ---- reference and measurement -------------------------------------------- */

static ss_status eval_sets(const real_chain *c, const real_model *m, const comp_codec *codec,
                           const real_accuracy_cfg *cfg, model_eval_ppl_result *ppl,
                           uint64_t *ppl_bytes, model_eval_mnist_result *mn, uint64_t *mn_bytes,
                           char *err, size_t errlen)
{
    ss_status st = SS_OK;
    real_pipeline *p = NULL;
    if (cfg->stories) {
        if ((st = real_pipeline_create(c, m, codec, &p, err, errlen)) != SS_OK)
            return st;
        model_eval_route route = {.body = real_pipeline_body, .ctx = p};
        st = model_eval_perplexity(m->net, m->tok, cfg->stories, cfg->n_stories, &route, ppl, err,
                                   errlen);
        *ppl_bytes = real_pipeline_wire_bytes(p);
        real_pipeline_destroy(p);
        p = NULL;
    }
    if (st == SS_OK && cfg->images) {
        if ((st = real_pipeline_create(c, m, codec, &p, err, errlen)) != SS_OK)
            return st;
        model_eval_route route = {.body = real_pipeline_body, .ctx = p};
        st = model_eval_mnist(m->net, cfg->images, cfg->labels, cfg->n_images,
                              cfg->batch > 0 ? cfg->batch : 1, &route, mn, err, errlen);
        *mn_bytes = real_pipeline_wire_bytes(p);
        real_pipeline_destroy(p);
    }
    return st;
}

ss_status real_accuracy_ref_create(const real_chain *c, const real_model *m,
                                  const real_accuracy_cfg *cfg, real_accuracy_ref **out, char *err,
                                  size_t errlen)
{
    *out = NULL;
    if (!m->net)
        return ss_err(err, errlen, SS_EINVAL, "%s: model: accuracy needs real weights",
                      c->source);
    if (cfg->steps > 0 && (!m->tok || cfg->steps >= model_net_seq_len(m->net)))
        return ss_err(err, errlen, SS_EINVAL,
                      "%s: greedy agreement needs a language model and 1 <= steps < seq_len "
                      "(%d), got %d",
                      c->source, model_net_seq_len(m->net), cfg->steps);
    if (cfg->stories && !m->tok)
        return ss_err(err, errlen, SS_EINVAL, "%s: perplexity needs a language model",
                      c->source);
    real_accuracy_ref *r = ss_calloc(1, sizeof *r);
    if (!r)
        return SS_ENOMEM;
    r->cfg = *cfg;
    const comp_codec fp32 = {.kind = COMP_KIND_FP32};
    ss_status st = SS_OK;
    real_pipeline *p = NULL;
    stepper k;
    memset(&k, 0, sizeof k);
    if (cfg->steps > 0) {
        r->vocab = (int)model_net_n_outputs(m->net);
        r->n_tokens = cfg->steps + 1;
        r->tokens = ss_malloc_array((size_t)r->n_tokens, sizeof *r->tokens);
        r->logits = ss_malloc_array((size_t)cfg->steps * (size_t)r->vocab, sizeof *r->logits);
        if (!r->tokens || !r->logits) {
            st = SS_ENOMEM;
            goto fail;
        }
        if ((st = real_pipeline_create(c, m, &fp32, &p, err, errlen)) != SS_OK ||
            (st = stepper_init(&k, m, p, &fp32)) != SS_OK)
            goto fail;
        r->tokens[0] = MODEL_TOKEN_BOS;
        for (int pos = 0; pos < cfg->steps && st == SS_OK; pos++) {
            float *lg = r->logits + (size_t)pos * r->vocab;
            if ((st = stepper_step(&k, pos, r->tokens[pos], lg, err, errlen)) == SS_OK)
                r->tokens[pos + 1] = model_logits_argmax(lg, r->vocab);
        }
        if (st != SS_OK)
            goto fail;
    }
    uint64_t b0 = 0, b1 = 0;
    if ((st = eval_sets(c, m, &fp32, cfg, &r->ppl, &b0, &r->mnist, &b1, err, errlen)) != SS_OK)
        goto fail;
    stepper_fini(&k);
    real_pipeline_destroy(p);
    *out = r;
    return SS_OK;
fail:
    stepper_fini(&k);
    real_pipeline_destroy(p);
    real_accuracy_ref_destroy(r);
    return st;
}

ss_status real_accuracy_measure(const real_accuracy_ref *ref, const real_chain *c,
                               const real_model *m, const comp_codec *codec,
                               real_accuracy_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const real_accuracy_cfg *cfg = &ref->cfg;
    if (!m->net || (cfg->steps > 0 && (int)model_net_n_outputs(m->net) != ref->vocab))
        return ss_err(err, errlen, SS_EINVAL, "%s: model does not match the reference",
                      c->source);
    ss_status st = SS_OK;
    real_pipeline *p = NULL;
    float *lg = NULL;
    stepper k;
    memset(&k, 0, sizeof k);
    if (cfg->steps > 0) {
        lg = ss_malloc_array((size_t)ref->vocab, sizeof *lg);
        if (!lg) {
            st = SS_ENOMEM;
            goto done;
        }
        if ((st = real_pipeline_create(c, m, codec, &p, err, errlen)) != SS_OK ||
            (st = stepper_init(&k, m, p, codec)) != SS_OK)
            goto done;
        int agree = 0;
        double kl_sum = 0;
        for (int pos = 0; pos < cfg->steps; pos++) {
            if ((st = stepper_step(&k, pos, ref->tokens[pos], lg, err, errlen)) != SS_OK)
                goto done;
            agree += model_logits_argmax(lg, ref->vocab) == ref->tokens[pos + 1];
            double kl = real_accuracy_kl(ref->logits + (size_t)pos * ref->vocab, lg, ref->vocab);
            kl_sum += kl;
            if (kl > out->kl_max)
                out->kl_max = kl;
        }
        out->n_positions = cfg->steps;
        out->agreement = (double)agree / cfg->steps;
        out->kl_mean = kl_sum / cfg->steps;
        out->gen_wire_bytes_per_token = (double)k.bytes / cfg->steps;
    }
    model_eval_ppl_result ppl = {0};
    model_eval_mnist_result mn = {0};
    uint64_t pb = 0, mb = 0;
    if ((st = eval_sets(c, m, codec, cfg, &ppl, &pb, &mn, &mb, err, errlen)) != SS_OK)
        goto done;
    if (cfg->stories) {
        out->n_stories = ppl.n_stories;
        out->perplexity = ppl.perplexity;
        out->perplexity_ref = ref->ppl.perplexity;
        out->perplexity_delta = ppl.perplexity - ref->ppl.perplexity;
        out->ppl_wire_bytes_per_token =
            ppl.n_tokens_scored ? (double)pb / (double)ppl.n_tokens_scored : 0.0;
    }
    if (cfg->images) {
        out->n_images = mn.n_images;
        out->mnist_accuracy = mn.accuracy;
        out->mnist_accuracy_ref = ref->mnist.accuracy;
        out->mnist_accuracy_delta = mn.accuracy - ref->mnist.accuracy;
        out->mnist_wire_bytes_per_image = mn.n_images ? (double)mb / mn.n_images : 0.0;
    }
done:
    stepper_fini(&k);
    real_pipeline_destroy(p);
    ss_free(lg);
    return st;
}
