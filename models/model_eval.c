/* model_eval.c - MNIST accuracy and TinyStories perplexity (see model_eval.h). */
#include "model_eval.h"

#include <math.h>
#include <string.h>

#include "ss_alloc.h"

static ss_status check_route(const model_net *m, const model_eval_route *r)
{
    if (!r || r->body || r->n_spans == 0)
        return SS_OK;
    if (r->n_spans < 0 || !r->span_ends)
        return SS_EINVAL;
    int prev = 0;
    for (int i = 0; i < r->n_spans; i++) {
        if (r->span_ends[i] <= prev)
            return SS_EINVAL;
        prev = r->span_ends[i];
    }
    return prev == model_net_n_blocks(m) ? SS_OK : SS_EINVAL;
}

ss_status model_eval_body_local(const model_net *m, const model_eval_route *route, int n_items,
                                const float *in, float *out)
{
    ss_status s = check_route(m, route);
    if (s != SS_OK)
        return s;
    int nb = model_net_n_blocks(m);
    int n_spans = route && route->n_spans > 0 ? route->n_spans : 1;
    /* intermediate activations between spans, ping-pong */
    size_t maxw = 0;
    for (int b = 0; b < nb - 1; b++) {
        size_t w = model_net_block(m, b)->act_out_elems;
        maxw = w > maxw ? w : maxw;
    }
    float *buf[2] = {NULL, NULL};
    if (n_spans > 1) {
        buf[0] = ss_malloc_array((size_t)n_items * maxw, sizeof(float));
        buf[1] = ss_malloc_array((size_t)n_items * maxw, sizeof(float));
        if (!buf[0] || !buf[1]) {
            s = SS_ENOMEM;
            goto done;
        }
    }
    const float *cur = in;
    int first = 0;
    for (int i = 0; i < n_spans && s == SS_OK; i++) {
        int end = n_spans > 1 ? route->span_ends[i] : nb;
        float *dst = i == n_spans - 1 ? out : buf[i & 1];
        model_state *st = NULL;
        s = model_state_create(m, first, end, &st);
        if (s == SS_OK)
            s = model_net_span_forward(m, st, first, end, 0, n_items, cur, dst);
        model_state_destroy(st);
        cur = dst;
        first = end;
    }
done:
    ss_free(buf[0]);
    ss_free(buf[1]);
    return s;
}

static ss_status run_body(const model_net *m, const model_eval_route *r, int n, const float *in,
                          float *out)
{
    if (r && r->body)
        return r->body(r->ctx, m, n, in, out);
    return model_eval_body_local(m, r, n, in, out);
}

ss_status model_eval_mnist(const model_net *m, const model_idx *images, const model_idx *labels,
                           int n_images, int batch, const model_eval_route *route,
                           model_eval_mnist_result *res, char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    int nb = model_net_n_blocks(m);
    uint32_t n_out = model_net_n_outputs(m);
    if (images->n_dims != 3 || images->item_elems != model_net_raw_in_elems(m))
        return ss_err(err, errlen, SS_ESCHEMA, "images: expected (N, 28, 28) items of %u pixels, "
                      "got %llu per item", model_net_raw_in_elems(m),
                      (unsigned long long)images->item_elems);
    if (labels->n_dims != 1 || labels->n_items != images->n_items)
        return ss_err(err, errlen, SS_ESCHEMA, "labels: expected %llu labels, got %llu",
                      (unsigned long long)images->n_items, (unsigned long long)labels->n_items);
    if (n_images < 0 || (uint64_t)n_images > images->n_items || batch <= 0 ||
        check_route(m, route) != SS_OK || n_out == 0)
        return ss_err(err, errlen, SS_EINVAL, "n_images %d (of %llu), batch %d or span list "
                      "invalid", n_images, (unsigned long long)images->n_items, batch);
    if (n_images == 0)
        n_images = (int)images->n_items;
    size_t px = images->item_elems;
    uint32_t w_in = model_net_block(m, 0)->act_in_elems;
    uint32_t w_out = model_net_block(m, nb - 1)->act_out_elems;
    float *raw = ss_malloc_array((size_t)batch * px, sizeof *raw);
    float *emb = ss_malloc_array((size_t)batch * w_in, sizeof *emb);
    float *act = ss_malloc_array((size_t)batch * w_out, sizeof *act);
    float *scores = ss_malloc_array((size_t)batch * n_out, sizeof *scores);
    ss_status s = SS_OK;
    if (!raw || !emb || !act || !scores) {
        s = ss_err(err, errlen, SS_ENOMEM, "mnist eval: out of memory");
        goto done;
    }
    for (int i0 = 0; i0 < n_images && s == SS_OK; i0 += batch) {
        int n = n_images - i0 < batch ? n_images - i0 : batch;
        for (size_t j = 0; j < (size_t)n * px; j++)
            raw[j] = (float)images->data[(size_t)i0 * px + j];
        s = model_net_embed(m, n, NULL, raw, emb);
        if (s == SS_OK)
            s = run_body(m, route, n, emb, act);
        if (s == SS_OK)
            s = model_net_head(m, n, act, scores);
        if (s != SS_OK) {
            ss_err(err, errlen, s, "mnist eval: images %d..%d: forward failed: %s", i0,
                   i0 + n - 1, ss_strerror(s));
            break;
        }
        for (int i = 0; i < n; i++) {
            const float *row = scores + (size_t)i * n_out;
            uint32_t best = 0;
            for (uint32_t c = 1; c < n_out; c++)
                if (row[c] > row[best])
                    best = c;
            unsigned lab = labels->data[i0 + i];
            if (lab >= n_out) {
                s = ss_err(err, errlen, SS_ESCHEMA, "labels: item %d: label %u >= %u classes",
                           i0 + i, lab, n_out);
                break;
            }
            res->n_correct += best == lab;
        }
        res->n_images += n;
    }
    if (s == SS_OK)
        res->accuracy = res->n_images ? (double)res->n_correct / res->n_images : 0.0;
done:
    ss_free(raw);
    ss_free(emb);
    ss_free(act);
    ss_free(scores);
    return s;
}

ss_status model_eval_perplexity(const model_net *m, const model_tokenizer *tok,
                                const model_stories *stories, int n_stories,
                                const model_eval_route *route, model_eval_ppl_result *res,
                                char *err, size_t errlen)
{
    memset(res, 0, sizeof *res);
    int seq_len = model_net_seq_len(m), nb = model_net_n_blocks(m);
    int vocab = model_tokenizer_vocab_size(tok);
    if (seq_len < 2 || model_net_raw_in_elems(m) != 0 || model_net_n_outputs(m) != (uint32_t)vocab)
        return ss_err(err, errlen, SS_EINVAL, "perplexity: expected a token model with seq_len "
                      ">= 2 and %d outputs (the vocabulary), got seq_len %d and %u outputs",
                      vocab, seq_len, model_net_n_outputs(m));
    if (n_stories < 0 || n_stories > stories->n || check_route(m, route) != SS_OK)
        return ss_err(err, errlen, SS_EINVAL, "perplexity: n_stories %d (of %d) or span list "
                      "invalid", n_stories, stories->n);
    if (n_stories == 0)
        n_stories = stories->n;
    uint32_t w_in = model_net_block(m, 0)->act_in_elems;
    uint32_t w_out = model_net_block(m, nb - 1)->act_out_elems;
    size_t cap = 0;
    for (int i = 0; i < n_stories; i++) {
        size_t c = model_tokenizer_max_tokens(stories->text[i]);
        cap = c > cap ? c : cap;
    }
    int32_t *tokens = ss_malloc_array(cap, sizeof *tokens);
    float *emb = ss_malloc_array((size_t)seq_len * w_in, sizeof *emb);
    float *act = ss_malloc_array((size_t)seq_len * w_out, sizeof *act);
    float *logits = ss_malloc_array((size_t)seq_len * (size_t)vocab, sizeof *logits);
    ss_status s = SS_OK;
    double sum_nll = 0.0;
    if (!tokens || !emb || !act || !logits) {
        s = ss_err(err, errlen, SS_ENOMEM, "perplexity: out of memory");
        goto done;
    }
    for (int i = 0; i < n_stories; i++) {
        int n_tok = 0;
        s = model_tokenizer_encode(tok, stories->text[i], true, false, tokens, cap, &n_tok);
        if (s != SS_OK) {
            ss_err(err, errlen, s, "perplexity: story %d: encoding failed: %s", i, ss_strerror(s));
            break;
        }
        if (n_tok > seq_len)
            n_tok = seq_len;
        if (n_tok < 2)
            continue;
        int n_in = n_tok - 1; /* the last token is only a target */
        s = model_net_embed(m, n_in, tokens, NULL, emb);
        if (s == SS_OK)
            s = run_body(m, route, n_in, emb, act);
        if (s == SS_OK)
            s = model_net_head(m, n_in, act, logits);
        if (s != SS_OK) {
            ss_err(err, errlen, s, "perplexity: story %d: forward failed: %s", i, ss_strerror(s));
            break;
        }
        for (int p = 0; p < n_in; p++) {
            const float *row = logits + (size_t)p * (size_t)vocab;
            /* log-softmax in double with the max subtracted (no overflow) */
            double mx = row[0];
            for (int v = 1; v < vocab; v++)
                mx = row[v] > mx ? row[v] : mx;
            double z = 0.0;
            for (int v = 0; v < vocab; v++)
                z += exp((double)row[v] - mx);
            double nll = -((double)row[tokens[p + 1]] - mx - log(z));
            if (!isfinite(nll)) {
                s = ss_err(err, errlen, SS_ENUMERIC, "perplexity: story %d position %d: "
                           "non-finite log-likelihood", i, p);
                goto done;
            }
            sum_nll += nll;
        }
        res->n_tokens_scored += (uint64_t)n_in;
        res->n_stories++;
    }
    if (s == SS_OK && res->n_tokens_scored > 0) {
        res->mean_nll = sum_nll / (double)res->n_tokens_scored;
        res->perplexity = exp(res->mean_nll);
    }
done:
    ss_free(tokens);
    ss_free(emb);
    ss_free(act);
    ss_free(logits);
    return s;
}
