/* exp_fit.h - Petals-style measures of a scenario and the one-point fit of
 * a device parameter to a published figure (issue 12; models/COST_MODEL.md,
 * "Reproducing Petals").
 *
 * Two measures, as Petals' benchmarks define them (Borzunov et al., NeurIPS
 * 2023, arXiv 2312.08361, section 4):
 *  - sequential inference, steps/s per client: the scenario as written is
 *    simulated (its workload: closed-loop users, one session each, a prompt
 *    of P tokens then single-token steps); a client's steps/s is its
 *    (output tokens - 1) over the time from its first to its last token,
 *    and the measure is the mean over the clients. One step is split into
 *    client compute and server compute (the cost model along the request's
 *    chain, averaged over the steps' contexts), network (the rest of the
 *    step time of the same setup with one client) and queueing (what N
 *    concurrent clients add to the step time of one);
 *  - parallel forward, tokens/s per client for a batch of B sequences of T
 *    tokens: the simulated time of one T-token forward pass through the
 *    chain (a T-token prompt, one output token, one client), plus what the
 *    B-fold batch adds (the cost model's batched span time on each hop,
 *    B times the bytes on each leg); with N clients the closed-loop
 *    asymptotic bound min(1 / T1, 1 / (N D_max)) per client, D_max the
 *    busiest server's compute time per batch (Lazowska et al., Quantitative
 *    System Performance, 1984, ch. 5).
 *
 * The fit sets one device parameter on every server node of the scenario
 * and finds, by GSL's Brent root finder on [lo, hi] of the parameter, the
 * value at which a measure equals the target. Deterministic: the measures
 * are deterministic simulations and Brent's iterates depend only on them.
 */
#ifndef EXP_FIT_H
#define EXP_FIT_H

#include <stddef.h>

#include "exp_run.h"
#include "scn_scenario.h"
#include "ss_status.h"

/* Sequential inference of a scenario, per client (means over the clients). */
typedef struct exp_step_parts {
    int clients;        /* concurrent clients (sessions) */
    int failed;         /* sessions that never finished (no KV room within the wait): not
                         * in the means */
    double steps_per_s; /* mean over clients of steps / time of those steps */
    double step_s;      /* mean time of one step, s */
    double client_s;    /* client compute per step (embedding + LM head), s */
    double server_s;    /* server compute per step along the chain, s */
    double network_s;   /* transfers and propagation per step (one client), s */
    double queue_s;     /* step_s of these clients - step_s of one client alone, s */
} exp_step_parts;

/* Simulate `s` as written and measure its sequential inference. The
 * workload must be closed-loop with as many requests as users, constant
 * prompt and output tokens, output >= 2. Its queueing part needs the same
 * scenario with one user: measured too when users > 1 (s is restored).
 * Status: SS_OK; SS_EINVAL (workload not of that form: err names the field);
 * a simulation's status (err filled); SS_EIO when no session finished. */
ss_status exp_measure_steps(scn_scenario *s, const exp_run_opts *o, exp_step_parts *out,
                            char *err, size_t errlen);

/* Parallel forward of `batch` sequences of `tokens` tokens through the chain
 * of `s`'s first request, per client with `clients` concurrent clients
 * (1: alone). s's workload is replaced for the measurement and restored. */
ss_status exp_measure_forward(scn_scenario *s, const exp_run_opts *o, int batch, int tokens,
                              int clients, double *tokens_per_s, char *err, size_t errlen);

/* A device parameter the fit may set, by name (README "Fit"):
 * device.format_eff.FORMAT.bandwidth | .compute (FORMAT = the scenario's
 * model.weights, int8 or nf4), device.compute_eff, device.bw_eff,
 * device.overhead_ms, device.block_overhead_ms. */
typedef enum exp_param_kind {
    EXP_PARAM_FMT_BW,
    EXP_PARAM_FMT_COMPUTE,
    EXP_PARAM_COMPUTE_EFF,
    EXP_PARAM_BW_EFF,
    EXP_PARAM_OVERHEAD_MS,
    EXP_PARAM_BLOCK_OVERHEAD_MS,
} exp_param_kind;

typedef struct exp_param {
    exp_param_kind kind;
    char name[96];   /* as given */
    double lo, hi;   /* the search interval, the field's range */
} exp_param;

/* Parse `name` for scenario s. SS_OK; SS_EINVAL (unknown name, or a
 * format_eff of another format than s's weights: err says which). */
ss_status exp_param_parse(const char *name, const scn_scenario *s, exp_param *out, char *err,
                          size_t errlen);

/* Set the parameter to v (its JSON unit) on every node and every device of s. */
void exp_param_apply(scn_scenario *s, const exp_param *p, double v);

/* Its value on s's first node, JSON unit (a format factor of 0, "not given",
 * reads as the model's default is not resolved here: 0). */
double exp_param_value(const scn_scenario *s, const exp_param *p);

typedef enum exp_fit_measure { EXP_FIT_STEPS_PER_S, EXP_FIT_TOKENS_PER_S } exp_fit_measure;

typedef struct exp_fit_spec {
    exp_fit_measure measure;
    double target;        /* > 0 */
    exp_param param;
    int batch, tokens;    /* EXP_FIT_TOKENS_PER_S: the forward's shape (1 x 128 in Petals) */
    double rel_tol;       /* stop when |measure - target| <= rel_tol * target; 0: 1e-4 */
} exp_fit_spec;

typedef struct exp_fit_result {
    double value;     /* the fitted parameter, JSON unit */
    double achieved;  /* the measure at value */
    int iterations;   /* Brent iterations */
    int evaluations;  /* measures taken */
} exp_fit_result;

/* Fit f->param so the measure of s equals f->target; s is left with the
 * fitted value applied. Status: SS_OK; SS_ERANGE (the target is outside
 * what the parameter's range reaches: err gives both ends); a measure's
 * status. */
ss_status exp_fit(scn_scenario *s, const exp_run_opts *o, const exp_fit_spec *f,
                  exp_fit_result *out, char *err, size_t errlen);

/* ---- device profiles (exp_profile.c) ------------------------------------
 * A fitted profile is a device object as a scenario's node takes it: the
 * fit scenario's first node's preset with the fitted keys as overrides,
 * e.g. {"preset": "a100-80gb", "format_eff": {"int8": {"bandwidth": 0.19,
 * "source": "fitted: ..."}}}. */

/* Write (temporary file + rename) the profile: `in` (a profile file to
 * start from, or NULL: {"preset": s's first node's preset}) with p set to
 * v and, for a format factor, `source` as its provenance. Status: SS_OK;
 * SS_ENOENT/SS_EPARSE (in), SS_EIO (writing), SS_ENOMEM. */
ss_status exp_profile_write(const char *out, const char *in, const scn_scenario *s,
                            const exp_param *p, double v, const char *source, char *err,
                            size_t errlen);

/* Apply a profile's transferable keys to every node and device of s:
 * format_eff.<s's weights>.{bandwidth,compute}, compute_eff, bw_eff,
 * overhead_ms, block_overhead_ms (its preset and datasheet figures are not
 * applied: they describe the fitted GPU, not the setup's). Status: SS_OK;
 * SS_ENOENT, SS_EPARSE (err names the file and the JSON path). */
ss_status exp_profile_apply(scn_scenario *s, const char *profile, char *err, size_t errlen);

#endif
