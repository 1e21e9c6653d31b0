/* cli_fit.c - `shardsim fit SCENARIO --target M=V --param NAME [--out FILE]`:
 * one device parameter fitted to one measured figure (exp_fit). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "exp_fit.h"

typedef struct fit_args {
    const char *target, *param, *out, *profile, *presets, *cite;
    long batch, tokens;
} fit_args;

static const cli_opt fit_opts[] = {
    CLI_OPTION("--target", NULL, CLI_STRING, offsetof(fit_args, target), "MEASURE=VALUE",
               "the figure to match: steps_per_s=S (sequential inference\n"
               "of the scenario's workload) or tokens_per_s=T (parallel\n"
               "forward of --batch x --tokens)", .required = 1,
               .expect = "steps_per_s=S or tokens_per_s=T"),
    CLI_OPTION("--param", NULL, CLI_STRING, offsetof(fit_args, param), "NAME",
               "the device parameter set on every server node:\n"
               "device.format_eff.FORMAT.bandwidth | .compute,\n"
               "device.compute_eff, device.bw_eff, device.overhead_ms,\n"
               "device.block_overhead_ms", .required = 1),
    CLI_OPTION("--out", NULL, CLI_PATH, offsetof(fit_args, out), "FILE",
               "write the fitted device profile (a preset with overrides)"),
    CLI_OPTION("--profile", NULL, CLI_PATH, offsetof(fit_args, profile), "FILE",
               "apply this profile first and start --out from it (chain fits)"),
    CLI_OPTION("--cite", NULL, CLI_STRING, offsetof(fit_args, cite), "TEXT",
               "where the target figure comes from (into the profile's source)"),
    CLI_OPTION("--batch", NULL, CLI_INT, offsetof(fit_args, batch), "B",
               "tokens_per_s: sequences per forward (default 1)", .lo = 1, .hi = 4096),
    CLI_OPTION("--tokens", NULL, CLI_INT, offsetof(fit_args, tokens), "T",
               "tokens_per_s: tokens per sequence (default 128)", .lo = 1, .hi = 1048576),
    CLI_OPTION("--presets", NULL, CLI_PATH, offsetof(fit_args, presets), "DIR",
               "folder of model presets (default: models/presets of the home)",
               .expect = "a folder"),
    CLI_OPTION("--set", NULL, CLI_OVERRIDE, 0, "PATH=VALUE", "override a scenario field"),
};

static const cli_cmd fit_cmd = {
    .name = "fit",
    .synopsis = "SCENARIO --target MEASURE=VALUE --param NAME [OPTIONS]",
    .description =
        "Fit one device parameter so that one measure of the scenario equals one\n"
        "published figure: GSL's Brent root finder over the parameter's range, each\n"
        "evaluation a deterministic simulation. Prints the fitted value and the\n"
        "measure it gives; --out writes the device profile that `shardsim\n"
        "petals-table --profile` applies (models/COST_MODEL.md, \"Reproducing Petals\").\n",
    .opts = fit_opts,
    .n_opts = sizeof fit_opts / sizeof fit_opts[0],
    .noun = "scenario",
    .min_pos = 1,
    .max_pos = 1,
    .epilogue = "Exit status: 0 fitted; 65 bad scenario, profile, or a target the\n"
                "parameter's range cannot reach; 64 bad arguments; 74 cannot write.\n",
};

static int parse_target(const char *t, exp_fit_spec *f)
{
    const char *eq = strchr(t, '=');
    char *end = NULL;
    if (!eq)
        return -1;
    f->target = strtod(eq + 1, &end);
    if (!end || *end || eq[1] == 0 || !(f->target > 0))
        return -1;
    if ((size_t)(eq - t) == 11 && strncmp(t, "steps_per_s", 11) == 0)
        f->measure = EXP_FIT_STEPS_PER_S;
    else if ((size_t)(eq - t) == 12 && strncmp(t, "tokens_per_s", 12) == 0)
        f->measure = EXP_FIT_TOKENS_PER_S;
    else
        return -1;
    return 0;
}

static int fit_one(const char *path, const fit_args *a, const cli_parsed *p, exp_fit_spec *f)
{
    scn_scenario s;
    char err[1024], src[1024];
    int rc = cli_load("fit", path, p, NULL, &s);
    if (rc)
        return rc;
    exp_run_opts o = {.presets_dir = a->presets};
    exp_fit_result r;
    ss_status st = exp_param_parse(a->param, &s, &f->param, err, sizeof err);
    if (st == SS_OK && a->profile)
        st = exp_profile_apply(&s, a->profile, err, sizeof err);
    if (st == SS_OK)
        st = exp_fit(&s, &o, f, &r, err, sizeof err);
    if (st == SS_OK) {
        const char *m = f->measure == EXP_FIT_STEPS_PER_S ? "steps_per_s" : "tokens_per_s";
        printf("%s = %.6g\n%s = %.6g (target %.6g, %+.3f%%), %d Brent iterations, %d runs\n",
               a->param, r.value, m, r.achieved, f->target, 100 * (r.achieved / f->target - 1),
               r.iterations, r.evaluations);
        snprintf(src, sizeof src, "fitted by shardsim fit %s --target %s --param %s%s%s", path,
                 a->target, a->param, a->cite ? ": " : "", a->cite ? a->cite : "");
        if (a->out)
            st = exp_profile_write(a->out, a->profile, &s, &f->param, r.value, src, err,
                                   sizeof err);
    }
    scn_scenario_fini(&s);
    if (st == SS_OK)
        return CLI_EX_OK;
    fprintf(stderr, "shardsim fit: %s\n", err);
    return st == SS_EIO ? CLI_EX_IOERR : cli_exit_for_input(st);
}

int cli_fit(int argc, char **argv)
{
    fit_args a = {.batch = 1, .tokens = 128};
    cli_parsed p;
    int rc = cli_parse(&fit_cmd, argc, argv, &a, &p);
    if (rc < 0) {
        exp_fit_spec f = {.batch = (int)a.batch, .tokens = (int)a.tokens};
        if (parse_target(a.target, &f) != 0) {
            fprintf(stderr, "shardsim fit: --target: expected steps_per_s=S or tokens_per_s=T "
                            "with S, T > 0, got \"%s\"\n", a.target);
            rc = CLI_EX_USAGE;
        } else
            rc = fit_one(p.pos[0], &a, &p, &f);
    }
    cli_parsed_fini(&p);
    return rc;
}
