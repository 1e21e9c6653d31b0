/* exp_fit.c - Petals-style measures and the one-point fit (exp_fit.h). */
#include "exp_fit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "comp.h"
#include "model_cost.h"
#include "real_model.h"
#include "sim_place.h"

/* The model's description, for the cost model's side of the split. */
static ss_status load_desc(const scn_scenario *s, const exp_run_opts *o, real_model *m, char *err,
                           size_t errlen)
{
    exp_dirs d;
    const char *presets = o ? o->presets_dir : NULL;
    if (!presets) {
        ss_status st = exp_dirs_resolve(&d, err, errlen);
        if (st != SS_OK)
            return st;
        presets = d.presets;
    }
    return real_model_load(s, presets, NULL, m, err, errlen);
}

static ss_status check_workload(const scn_scenario *s, char *err, size_t errlen)
{
    const scn_workload *w = &s->workload;
    const char *bad = NULL;
    if (w->arrival != SCN_ARRIVAL_CLOSED || w->n_requests != w->users)
        bad = "workload: expected closed-loop arrivals with n_requests equal to users";
    else if (w->prompt_tokens.kind != SCN_DIST_CONST || w->output_tokens.kind != SCN_DIST_CONST)
        bad = "workload: expected constant prompt_tokens and output_tokens";
    else if (w->output_tokens.a < 2)
        bad = "workload.output_tokens: expected at least 2 (one step after the first token)";
    if (bad) {
        snprintf(err, errlen, "%s: %s", s->source_path, bad);
        return SS_EINVAL;
    }
    return SS_OK;
}

/* Mean over the finished sessions of steps/s and of the step time; *failed:
 * sessions that did not finish (KV room never freed within the wait). */
static ss_status step_means(const scn_scenario *s, const sim_results *r, double *steps_per_s,
                            double *step_s, int *failed, char *err, size_t errlen)
{
    double sps = 0, st = 0;
    int ok = 0;
    for (int i = 0; i < r->n_requests; i++) {
        const sim_request_rec *q = &r->requests[i];
        if (q->status != SIM_REQUEST_OK || q->output_tokens < 2)
            continue;
        double t = (double)(q->finish_ns - q->first_token_ns) / 1e9 / (q->output_tokens - 1);
        sps += 1.0 / t;
        st += t;
        ok++;
    }
    *failed = r->n_requests - ok;
    if (ok == 0) {
        snprintf(err, errlen, "%s: no session finished (no steps to measure)", s->source_path);
        return SS_EIO;
    }
    *steps_per_s = sps / ok;
    *step_s = st / ok;
    return SS_OK;
}

/* The first request's chain as (node, first, end) hops; returns the count. */
static int chain_of(const sim_results *r, int *node, int *first, int *end, int cap)
{
    const sim_request_rec *q = &r->requests[0];
    int n = 0, at = 0;
    for (uint32_t k = 0; k < q->route_len && n < cap; k++, n++) {
        int ni = r->route[q->route_off + k].node;
        node[n] = ni;
        first[n] = at;
        end[n] = r->nodes[ni].end_block;
        at = end[n];
    }
    return n;
}

#define CHAIN_MAX 4096

/* Server compute of one decode step, averaged over the steps' contexts
 * (step d = 1 .. out-1 has ctx = prompt + d - 1), summed over the chain. */
static double server_step_s(const scn_scenario *s, const model_desc *m, const sim_results *r)
{
    static int node[CHAIN_MAX], first[CHAIN_MAX], end[CHAIN_MAX];
    int n = chain_of(r, node, first, end, CHAIN_MAX);
    int64_t p = (int64_t)s->workload.prompt_tokens.a, out = (int64_t)s->workload.output_tokens.a;
    double sum = 0;
    for (int h = 0; h < n; h++) {
        model_device dev = sim_node_device(&s->nodes[node[h]]);
        for (int64_t d = 1; d < out; d++)
            sum += model_cost_span_s(&dev, m, first[h], end[h], 1, p + d - 1);
    }
    return sum / (double)(out - 1);
}

/* Client compute of one pass of `rows` rows per sequence, `seqs` sequences:
 * the client machine's embedding of every row and LM head on each
 * sequence's last position (as sim_client.c charges them). Without a
 * client device the client computes nothing. */
static double client_pass_s(const scn_scenario *s, const model_desc *m, int64_t rows, int64_t seqs)
{
    if (!s->client.has_device || m->n_blocks < 1 || m->vocab < 1)
        return 0;
    model_device dev = sim_node_device(&s->client.device);
    return model_cost_client_embed(&dev, m, rows * seqs).total_s +
           model_cost_client_head(&dev, m, seqs).total_s;
}

static ss_status simulate_steps(scn_scenario *s, const exp_run_opts *o, double *sps, double *step,
                                int *failed, sim_results *keep, char *err, size_t errlen)
{
    sim_results r = {0};
    ss_status st = exp_simulate(s, o, &r, err, errlen);
    if (st == SS_OK)
        st = step_means(s, &r, sps, step, failed, err, errlen);
    if (st == SS_OK && keep)
        *keep = r;
    else
        sim_results_fini(&r);
    return st;
}

ss_status exp_measure_steps(scn_scenario *s, const exp_run_opts *o, exp_step_parts *out,
                            char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    ss_status st = check_workload(s, err, errlen);
    if (st != SS_OK)
        return st;
    real_model m = {0};
    if ((st = load_desc(s, o, &m, err, errlen)) != SS_OK)
        return st;
    sim_results r = {0};
    double one_sps, one_step;
    int one_failed;
    st = simulate_steps(s, o, &out->steps_per_s, &out->step_s, &out->failed, &r, err, errlen);
    out->clients = (int)s->workload.users;
    one_step = out->step_s;
    if (st == SS_OK && s->workload.users > 1) {
        scn_workload keep = s->workload;
        s->workload.users = s->workload.n_requests = 1;
        st = simulate_steps(s, o, &one_sps, &one_step, &one_failed, NULL, err, errlen);
        s->workload = keep;
    }
    if (st == SS_OK) {
        out->client_s = client_pass_s(s, &m.desc, 1, 1);
        out->server_s = server_step_s(s, &m.desc, &r);
        out->network_s = one_step - out->client_s - out->server_s;
        out->queue_s = out->step_s - one_step;
    }
    sim_results_fini(&r);
    real_model_fini(&m);
    return st;
}

/* Serialisation of `bytes` over one leg, s (the simulator rounds up to ns). */
static double ser_s(double bytes, double up, double down)
{
    double rate = fmin(up > 0 ? up : 1e18, down > 0 ? down : 1e18);
    return ceil(bytes * 1e9 / rate) / 1e9;
}

/* The extra serialisation of `bytesb` instead of `bytes1` from a to b
 * (NULL: the client, whose direction is unlimited without a rate). */
static double leg_extra_s(const scn_scenario *s, const scn_node *a, const scn_node *b,
                          double bytes1, double bytesb)
{
    double up = a ? a->uplink_bytes_per_s : s->client.uplink_bytes_per_s;
    double down = b ? b->downlink_bytes_per_s : s->client.downlink_bytes_per_s;
    return ser_s(bytesb, up, down) - ser_s(bytes1, up, down);
}

/* What a batch of `batch` sequences adds to the simulated one-sequence
 * forward: each hop's batched span time minus its single one, B times the
 * bytes on each leg (server-to-server: client -> first, hop -> hop, last ->
 * client; client-relayed: client -> hop -> client for every hop), and the
 * client's embedding and heads of the other sequences. *dmax: the busiest
 * hop's batched time. */
static double batch_extra_s(const scn_scenario *s, const model_desc *m, const sim_results *r,
                            int batch, int tokens, double *dmax)
{
    static int node[CHAIN_MAX], first[CHAIN_MAX], end[CHAIN_MAX];
    int n = chain_of(r, node, first, end, CHAIN_MAX);
    comp_codec c;
    uint64_t one = 0;
    char e[256];
    if (comp_codec_parse(s->act_codec, &c, e, sizeof e) != SS_OK ||
        comp_wire_bytes_max(&c, (size_t)tokens, m->blocks[0].act_in_elems, &one) != SS_OK)
        one = (uint64_t)tokens * m->blocks[0].act_in_elems * 2;
    double extra = client_pass_s(s, m, tokens, batch) - client_pass_s(s, m, tokens, 1);
    double b1 = (double)one, bb = (double)one * batch;
    *dmax = 0;
    for (int h = 0; h < n; h++) {
        const scn_node *b = &s->nodes[node[h]];
        const scn_node *prev = h > 0 && !s->client_relayed ? &s->nodes[node[h - 1]] : NULL;
        extra += leg_extra_s(s, prev, b, b1, bb);
        if (s->client_relayed || h == n - 1)
            extra += leg_extra_s(s, b, NULL, b1, bb);
        model_device dev = sim_node_device(b);
        double tb = model_cost_span_batch(&dev, m, first[h], end[h], batch, tokens, 0).total_s;
        extra += tb - model_cost_span_s(&dev, m, first[h], end[h], tokens, 0);
        *dmax = fmax(*dmax, tb);
    }
    return extra;
}

ss_status exp_measure_forward(scn_scenario *s, const exp_run_opts *o, int batch, int tokens,
                              int clients, double *tokens_per_s, char *err, size_t errlen)
{
    scn_workload keep = s->workload;
    s->workload.arrival = SCN_ARRIVAL_CLOSED;
    s->workload.users = s->workload.n_requests = 1;
    s->workload.prompt_tokens = (scn_dist){.kind = SCN_DIST_CONST, .a = tokens};
    s->workload.output_tokens = (scn_dist){.kind = SCN_DIST_CONST, .a = 1};
    real_model m = {0};
    sim_results r = {0};
    ss_status st = load_desc(s, o, &m, err, errlen);
    if (st == SS_OK)
        st = exp_simulate(s, o, &r, err, errlen);
    if (st == SS_OK && (r.n_requests < 1 || r.requests[0].status != SIM_REQUEST_OK)) {
        snprintf(err, errlen, "%s: the forward pass did not finish", s->source_path);
        st = SS_EIO;
    }
    if (st == SS_OK) {
        double dmax, t1 = (double)(r.requests[0].first_token_ns - r.requests[0].arrival_ns) / 1e9;
        t1 += batch_extra_s(s, &m.desc, &r, batch, tokens, &dmax);
        double per = fmax(t1, clients * dmax); /* asymptotic bound of a closed network */
        *tokens_per_s = (double)batch * tokens / per;
    }
    s->workload = keep;
    sim_results_fini(&r);
    real_model_fini(&m);
    return st;
}

/* ---- the parameter and the fit ------------------------------------------ */

ss_status exp_param_parse(const char *name, const scn_scenario *s, exp_param *out, char *err,
                          size_t errlen)
{
    static const struct {
        const char *suffix;
        exp_param_kind kind;
        double lo, hi;
    } t[] = {{"bandwidth", EXP_PARAM_FMT_BW, 1e-3, 2},  {"compute", EXP_PARAM_FMT_COMPUTE, 1e-3, 2},
             {"compute_eff", EXP_PARAM_COMPUTE_EFF, 1e-3, 1}, {"bw_eff", EXP_PARAM_BW_EFF, 1e-3, 1},
             {"overhead_ms", EXP_PARAM_OVERHEAD_MS, 0, 1e4},
             {"block_overhead_ms", EXP_PARAM_BLOCK_OVERHEAD_MS, 0, 1e3}};
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    const char *rest = strncmp(name, "device.", 7) == 0 ? name + 7 : NULL;
    char fmt[32] = "";
    if (rest && strncmp(rest, "format_eff.", 11) == 0) {
        const char *dot = strchr(rest + 11, '.');
        size_t n = dot ? (size_t)(dot - rest - 11) : 0;
        if (dot && n < sizeof fmt) {
            memcpy(fmt, rest + 11, n);
            fmt[n] = 0;
            rest = dot + 1;
        } else
            rest = NULL;
    }
    for (size_t i = 0; rest && i < sizeof t / sizeof t[0]; i++) {
        int is_fmt = t[i].kind == EXP_PARAM_FMT_BW || t[i].kind == EXP_PARAM_FMT_COMPUTE;
        if (strcmp(rest, t[i].suffix) != 0 || is_fmt != (fmt[0] != 0))
            continue;
        if (is_fmt && strcmp(fmt, s->model.weights) != 0) {
            snprintf(err, errlen, "%s: parameter \"%s\": the scenario's weights are %s, not %s",
                     s->source_path, name, s->model.weights, fmt);
            return SS_EINVAL;
        }
        out->kind = t[i].kind;
        out->lo = t[i].lo;
        out->hi = t[i].hi;
        return SS_OK;
    }
    snprintf(err, errlen,
             "parameter \"%s\": expected device.format_eff.FORMAT.bandwidth, "
             "device.format_eff.FORMAT.compute, device.compute_eff, device.bw_eff, "
             "device.overhead_ms or device.block_overhead_ms",
             name);
    return SS_EINVAL;
}

static double *field_of(scn_node *n, exp_param_kind k)
{
    switch (k) {
    case EXP_PARAM_FMT_BW: return &n->format_bw_eff;
    case EXP_PARAM_FMT_COMPUTE: return &n->format_compute_eff;
    case EXP_PARAM_COMPUTE_EFF: return &n->compute_eff;
    case EXP_PARAM_BW_EFF: return &n->bw_eff;
    case EXP_PARAM_OVERHEAD_MS: return &n->overhead_s;
    case EXP_PARAM_BLOCK_OVERHEAD_MS: return &n->block_overhead_s;
    }
    return &n->overhead_s;
}

static double *dev_field_of(scn_device *d, exp_param_kind k)
{
    switch (k) {
    case EXP_PARAM_FMT_BW: return &d->format_bw_eff;
    case EXP_PARAM_FMT_COMPUTE: return &d->format_compute_eff;
    case EXP_PARAM_COMPUTE_EFF: return &d->compute_eff;
    case EXP_PARAM_BW_EFF: return &d->bw_eff;
    case EXP_PARAM_OVERHEAD_MS: return &d->overhead_s;
    case EXP_PARAM_BLOCK_OVERHEAD_MS: return &d->block_overhead_s;
    }
    return &d->overhead_s;
}

/* JSON unit -> the struct's SI unit (milliseconds are stored as seconds). */
static double to_si(exp_param_kind k, double v)
{
    return k == EXP_PARAM_OVERHEAD_MS || k == EXP_PARAM_BLOCK_OVERHEAD_MS ? v / 1e3 : v;
}

void exp_param_apply(scn_scenario *s, const exp_param *p, double v)
{
    for (int i = 0; i < s->n_nodes; i++)
        *field_of(&s->nodes[i], p->kind) = to_si(p->kind, v);
    for (int i = 0; i < s->n_devices; i++)
        *dev_field_of(&s->devices[i], p->kind) = to_si(p->kind, v);
}

double exp_param_value(const scn_scenario *s, const exp_param *p)
{
    if (s->n_nodes < 1)
        return 0;
    double v = *field_of(&s->nodes[0], p->kind);
    return p->kind == EXP_PARAM_OVERHEAD_MS || p->kind == EXP_PARAM_BLOCK_OVERHEAD_MS ? v * 1e3 : v;
}

typedef struct fit_ctx {
    scn_scenario *s;
    const exp_run_opts *o;
    const exp_fit_spec *f;
    ss_status st;
    int evaluations;
    char *err;
    size_t errlen;
} fit_ctx;

/* The measure at parameter value v, minus the target (GSL's function). */
static double fit_fn(double v, void *arg)
{
    fit_ctx *c = arg;
    if (c->st != SS_OK)
        return 0;
    exp_param_apply(c->s, &c->f->param, v);
    double got = 0;
    c->evaluations++;
    if (c->f->measure == EXP_FIT_STEPS_PER_S) {
        exp_step_parts p;
        c->st = exp_measure_steps(c->s, c->o, &p, c->err, c->errlen);
        got = p.steps_per_s;
    } else
        c->st = exp_measure_forward(c->s, c->o, c->f->batch, c->f->tokens, 1, &got, c->err,
                                    c->errlen);
    return got - c->f->target;
}

static ss_status fit_bracket(fit_ctx *c, double *flo, double *fhi)
{
    const exp_param *p = &c->f->param;
    *flo = fit_fn(p->lo, c);
    *fhi = fit_fn(p->hi, c);
    if (c->st != SS_OK)
        return c->st;
    if ((*flo > 0) == (*fhi > 0)) {
        snprintf(c->err, c->errlen,
                 "%s: %s cannot reach the target %g: %g at %s = %g, %g at %g",
                 c->s->source_path, c->f->measure == EXP_FIT_STEPS_PER_S ? "steps_per_s"
                                                                         : "tokens_per_s",
                 c->f->target, *flo + c->f->target, p->name, p->lo, *fhi + c->f->target, p->hi);
        return SS_ERANGE;
    }
    return SS_OK;
}

ss_status exp_fit(scn_scenario *s, const exp_run_opts *o, const exp_fit_spec *f,
                  exp_fit_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    fit_ctx c = {.s = s, .o = o, .f = f, .st = SS_OK, .err = err, .errlen = errlen};
    double flo, fhi, tol = (f->rel_tol > 0 ? f->rel_tol : 1e-4) * f->target;
    ss_status st = fit_bracket(&c, &flo, &fhi);
    if (st != SS_OK)
        return st;
    gsl_function fn = {.function = fit_fn, .params = &c};
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (!solver)
        return SS_ENOMEM;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    gsl_root_fsolver_set(solver, &fn, f->param.lo, f->param.hi);
    double x = f->param.lo, fx = flo;
    for (int it = 1; it <= 200 && c.st == SS_OK; it++) {
        out->iterations = it;
        if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS)
            break;
        x = gsl_root_fsolver_root(solver);
        fx = fit_fn(x, &c);
        double a = gsl_root_fsolver_x_lower(solver), b = gsl_root_fsolver_x_upper(solver);
        if (fabs(fx) <= tol || gsl_root_test_interval(a, b, 0, 1e-9) == GSL_SUCCESS)
            break;
    }
    gsl_set_error_handler(old);
    gsl_root_fsolver_free(solver);
    if (c.st != SS_OK)
        return c.st;
    exp_param_apply(s, &f->param, x);
    out->value = x;
    out->achieved = fx + f->target;
    out->evaluations = c.evaluations;
    return SS_OK;
}
