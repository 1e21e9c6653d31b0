/* model_generate.c - llama2.c's generate() loop, split into a reusable stepper. */
#include "model_generate.h"

#include <string.h>

#include "ss_alloc.h"

int model_logits_argmax(const float *logits, int n)
{
    int max_i = 0;
    float max_p = logits[0];
    for (int i = 1; i < n; i++)
        if (logits[i] > max_p) {
            max_i = i;
            max_p = logits[i];
        }
    return max_i;
}

ss_status model_gen_init(model_gen *g, const model_tokenizer *t, const char *prompt, int steps,
                         int seq_len)
{
    memset(g, 0, sizeof *g);
    if (!t || seq_len <= 0)
        return SS_EINVAL;
    if (!prompt)
        prompt = "";
    size_t cap = model_tokenizer_max_tokens(prompt);
    g->prompt = ss_malloc_array(cap, sizeof *g->prompt);
    if (!g->prompt)
        return SS_ENOMEM;
    ss_status s = model_tokenizer_encode(t, prompt, true, false, g->prompt, cap, &g->n_prompt);
    if (s != SS_OK) {
        model_gen_fini(g);
        return s;
    }
    g->steps = (steps <= 0 || steps > seq_len) ? seq_len : steps;
    g->tok = t;
    g->token = g->prompt[0];
    g->pos = 0;
    return SS_OK;
}

void model_gen_fini(model_gen *g)
{
    if (!g)
        return;
    ss_free(g->prompt);
    g->prompt = NULL;
    g->done = true;
}

bool model_gen_needs_logits(const model_gen *g)
{
    return !g->done && g->pos >= g->n_prompt - 1;
}

ss_status model_gen_advance(model_gen *g, const float *logits, int n_vocab, FILE *out)
{
    if (g->done)
        return SS_EINVAL;
    int next;
    if (g->pos < g->n_prompt - 1) {
        next = g->prompt[g->pos + 1];
    } else {
        if (!logits || n_vocab <= 0)
            return SS_EINVAL;
        next = model_logits_argmax(logits, n_vocab);
    }
    g->pos++;
    /* BOS delimits sequences: llama2.c stops without printing it */
    if (next == MODEL_TOKEN_BOS) {
        g->done = true;
        return SS_OK;
    }
    model_tokenizer_print_piece(out, model_tokenizer_decode(g->tok, g->token, next));
    g->token = next;
    if (g->pos >= g->steps)
        g->done = true;
    return SS_OK;
}

ss_status model_generate_greedy(const model_net *net, const model_tokenizer *t,
                                const char *prompt, int steps, FILE *out)
{
    if (!net || !t || model_net_n_blocks(net) <= 0 ||
        (int)model_net_n_outputs(net) != model_tokenizer_vocab_size(t))
        return SS_EINVAL;
    int nb = model_net_n_blocks(net), vocab = (int)model_net_n_outputs(net);
    size_t dim = model_net_block(net, 0)->act_in_elems;
    model_gen g;
    ss_status s = model_gen_init(&g, t, prompt, steps, model_net_seq_len(net));
    if (s != SS_OK)
        return s;
    model_state *st = NULL;
    float *x = NULL, *y = NULL, *logits = NULL;
    int n_pre = g.n_prompt < g.steps ? g.n_prompt : g.steps;
    if ((s = model_state_create(net, 0, nb, &st)) != SS_OK)
        goto done;
    x = ss_malloc_array((size_t)n_pre * dim, sizeof *x);      // (n_pre, dim)
    y = ss_malloc_array((size_t)n_pre * dim, sizeof *y);      // (n_pre, dim)
    logits = ss_malloc_array((size_t)vocab, sizeof *logits);  // (vocab)
    if (!x || !y || !logits) {
        s = SS_ENOMEM;
        goto done;
    }

    /* Prefill: all prompt positions in one pass; only the last row's logits
     * are ever used (earlier next tokens are forced from the prompt). */
    if ((s = model_net_embed(net, n_pre, g.prompt, NULL, x)) != SS_OK ||
        (s = model_net_span_forward(net, st, 0, nb, 0, n_pre, x, y)) != SS_OK)
        goto done;
    if (n_pre == g.n_prompt &&
        (s = model_net_head(net, 1, y + (size_t)(n_pre - 1) * dim, logits)) != SS_OK)
        goto done;
    while (!g.done && g.pos < n_pre)
        if ((s = model_gen_advance(&g, model_gen_needs_logits(&g) ? logits : NULL, vocab,
                                   out)) != SS_OK)
            goto done;

    while (!g.done) {
        if ((s = model_net_embed(net, 1, &g.token, NULL, x)) != SS_OK ||
            (s = model_net_span_forward(net, st, 0, nb, g.pos, 1, x, y)) != SS_OK ||
            (s = model_net_head(net, 1, y, logits)) != SS_OK ||
            (s = model_gen_advance(&g, logits, vocab, out)) != SS_OK)
            goto done;
    }
    if (out)
        fputc('\n', out);
done:
    ss_free(x);
    ss_free(y);
    ss_free(logits);
    model_state_destroy(st);
    model_gen_fini(&g);
    return s;
}
