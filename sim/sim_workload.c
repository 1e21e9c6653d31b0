/* sim_workload.c - arrival processes and request lengths. */
#include "sim_workload.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim_engine.h"
#include "scn_draw.h"
#include "ss_rng.h"
#include "dset_trace.h"
#include "ss_alloc.h"

struct sim_workload {
    const scn_scenario *s;
    gsl_rng *arrivals, *prompt, *output;
    dset_trace trace;        /* TRACE only */
    int64_t reserved;       /* arrivals handed out */
    int64_t tokens_taken;   /* calls of sim_workload_tokens */
    int64_t limit;          /* most requests */
    int64_t horizon_ns;
    int32_t seq_len;
};

void sim_workload_destroy(sim_workload *w)
{
    if (!w)
        return;
    gsl_rng_free(w->arrivals);
    gsl_rng_free(w->prompt);
    gsl_rng_free(w->output);
    dset_trace_fini(&w->trace);
    ss_free(w);
}

ss_status sim_workload_create(const scn_scenario *s, const char *assets_dir, int seq_len,
                              sim_workload **out, char *err, size_t errlen)
{
    *out = NULL;
    sim_workload *w = ss_calloc(1, sizeof *w);
    if (!w)
        return SS_ENOMEM;
    w->s = s;
    w->seq_len = seq_len > 1 ? seq_len : INT32_MAX;
    ss_status st;
    if ((st = ss_rng_create(s->seed, SS_RNG_WORKLOAD, 0, SS_RNG_ARRIVALS, &w->arrivals)) ||
        (st = ss_rng_create(s->seed, SS_RNG_WORKLOAD, 0, SS_RNG_PROMPT_LEN, &w->prompt)) ||
        (st = ss_rng_create(s->seed, SS_RNG_WORKLOAD, 0, SS_RNG_OUTPUT_LEN, &w->output))) {
        sim_workload_destroy(w);
        return st;
    }
    if ((st = sim_time_from_s(s->horizon_s, &w->horizon_ns)) != SS_OK) {
        sim_workload_destroy(w);
        return ss_err(err, errlen, st, "%s: horizon_s: too large", s->source_path);
    }
    w->limit = s->workload.n_requests > 0 ? s->workload.n_requests : INT64_MAX;
    if (s->workload.arrival == SCN_ARRIVAL_TRACE) {
        char path[4096], e2[768];
        const char *p = s->workload.trace_path;
        if (!p[0]) {
            const char *file = strcmp(s->workload.trace_preset, "azure-code-2023") == 0
                                   ? "AzureLLMInferenceTrace_code.csv"
                               : strcmp(s->workload.trace_preset, "azure-conv-2023") == 0
                                   ? "AzureLLMInferenceTrace_conv.csv"
                                   : NULL;
            if (!file || !assets_dir) {
                sim_workload_destroy(w);
                return ss_err(err, errlen, SS_ENOTFOUND, "%s: workload.arrivals.trace.preset: "
                              "unknown trace \"%s\" (known: azure-conv-2023, azure-code-2023)",
                              s->source_path, s->workload.trace_preset);
            }
            snprintf(path, sizeof path, "%s/traces/%s", assets_dir, file);
            p = path;
        }
        double scale = s->workload.time_scale > 0 ? s->workload.time_scale : 1.0;
        if ((st = dset_trace_load(p, scale, &w->trace, e2, sizeof e2)) != SS_OK) {
            sim_workload_destroy(w);
            return ss_err(err, errlen, st, "%s", e2);
        }
        if ((int64_t)w->trace.n < w->limit)
            w->limit = (int64_t)w->trace.n;
    }
    *out = w;
    return SS_OK;
}

int64_t sim_workload_users(const sim_workload *w)
{
    return w->s->workload.arrival == SCN_ARRIVAL_CLOSED ? w->s->workload.users : 0;
}

static int64_t to_ns(double s)
{
    if (!(s > 0))
        return 0;
    return s > 9.2e9 ? INT64_MAX / 4 : (int64_t)llround(s * 1e9);
}

int64_t sim_workload_next(sim_workload *w, int64_t now_ns)
{
    const scn_workload *wl = &w->s->workload;
    if (w->reserved >= w->limit)
        return -1;
    int64_t t;
    switch (wl->arrival) {
    case SCN_ARRIVAL_TRACE:
        t = w->trace.reqs[w->reserved].arrival_ns;
        break;
    case SCN_ARRIVAL_CLOSED:
        t = (now_ns < 0 ? 0 : now_ns) + to_ns(scn_dist_draw(w->arrivals, &wl->think_time_s));
        break;
    case SCN_ARRIVAL_GAMMA: {
        /* gaps with mean 1/rate and CV cv: shape 1/cv^2, scale mean*cv^2 */
        double k = 1.0 / (wl->cv * wl->cv), mean = 1.0 / wl->rate_per_s;
        t = (now_ns < 0 ? 0 : now_ns) + to_ns(gsl_ran_gamma(w->arrivals, k, mean / k));
        break;
    }
    case SCN_ARRIVAL_POISSON:
    default:
        t = (now_ns < 0 ? 0 : now_ns) + to_ns(gsl_ran_exponential(w->arrivals, 1.0 / wl->rate_per_s));
        break;
    }
    if (t >= w->horizon_ns)
        return -1;
    w->reserved++;
    return t;
}

static int32_t clamp_tokens(double x, int32_t max)
{
    x = nearbyint(x);
    if (!(x >= 1))
        x = 1;
    return x > max ? max : (int32_t)x;
}

int sim_workload_tokens(sim_workload *w, int32_t *prompt, int32_t *output)
{
    int32_t seq = w->seq_len;
    double p, o;
    if (w->s->workload.arrival == SCN_ARRIVAL_TRACE) {
        const dset_trace_req *r = &w->trace.reqs[w->tokens_taken];
        p = (double)r->prompt_tokens;
        o = (double)r->output_tokens;
    } else {
        p = scn_dist_draw(w->prompt, &w->s->workload.prompt_tokens);
        o = scn_dist_draw(w->output, &w->s->workload.output_tokens);
    }
    w->tokens_taken++;
    /* a session uses at most seq_len positions (the KV-cache bound) */
    *prompt = clamp_tokens(p, seq == INT32_MAX ? INT32_MAX : seq - 1);
    *output = clamp_tokens(o, seq == INT32_MAX ? INT32_MAX : seq - *prompt);
    return nearbyint(p) > *prompt || nearbyint(o) > *output;
}
