/* exp_tune.c - BRKGA over a routing policy's settings (exp_tune.h). */
#include "exp_tune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "ana_metrics.h"
#include "route.h"
#include "ss_alloc.h"
#include "ss_rng.h"

void exp_tune_decode(const exp_tune_param *p, int n, const double *keys, double *values)
{
    for (int i = 0; i < n; i++)
        values[i] = p[i].lo + keys[i] * (p[i].hi - p[i].lo);
}

void exp_tune_encode(const exp_tune_param *p, int n, const double *values, double *keys)
{
    for (int i = 0; i < n; i++) {
        double w = p[i].hi - p[i].lo, k = w > 0 ? (values[i] - p[i].lo) / w : 0;
        keys[i] = k < 0 ? 0 : k > 1 ? 1 : k;
    }
}

void exp_tune_crossover(const double *elite, const double *other, int n, double rho,
                        const double *u, double *child)
{
    for (int i = 0; i < n; i++)
        child[i] = u[i] < rho ? elite[i] : other[i];
}

void exp_tune_plan(int pop, double elite, double mutants, int *n_elite, int *n_mutants)
{
    int e = (int)lround(elite * pop), m = (int)lround(mutants * pop);
    if (e < 1)
        e = 1;
    if (e > pop - 1)
        e = pop - 1;
    if (m > pop - e - 1) /* keep at least one child, else nothing is inherited */
        m = pop - e - 1 > 0 ? pop - e - 1 : 0;
    *n_elite = e, *n_mutants = m;
}

/* ---- evaluation --------------------------------------------------------- */

typedef struct tuner {
    const char *path;
    const scn_override *ov; /* the caller's overrides, then one slot for routing.settings */
    size_t n_ov;
    const exp_tune_opts *o;
    ana_db *db;
    exp_tune_result *res;
    scn_override *all;      /* (n_ov + 1) */
} tuner;

/* The objective over seeds [first, first + n) with settings `values`:
 * the mean (sign-flipped when maximising: smaller is better), +inf when a
 * run fails or the metric is undefined; a database failure is an error. */
static ss_status evaluate(tuner *t, const double *values, uint64_t first, int n, double *fit,
                          char *err, size_t errlen)
{
    char json[EXP_TUNE_MAX_PARAMS * (EXP_TUNE_KEY_MAX + 32) + 4];
    size_t used = 0;
    for (int i = 0; i < t->res->n_params; i++)
        used += (size_t)snprintf(json + used, sizeof json - used, "%s\"%s\":%.17g",
                                 i ? "," : "{", t->res->params[i].key, values[i]);
    snprintf(json + used, sizeof json - used, "}");
    t->all[t->n_ov] = (scn_override){.path = "routing.settings", .value = json};
    double sum = 0;
    *fit = INFINITY;
    for (int k = 0; k < n; k++) {
        uint64_t seed = first + (uint64_t)k;
        scn_scenario s;
        exp_run_result r;
        double v;
        char rerr[1024];
        if (exp_load(t->path, t->all, t->n_ov + 1, &seed, &s, rerr, sizeof rerr) != SS_OK)
            return SS_OK; /* a setting the policy refuses: worst */
        ss_status st = exp_run(&s, t->o->run, t->db, &r, rerr, sizeof rerr);
        scn_scenario_fini(&s);
        if (st != SS_OK && (r.stage == EXP_STAGE_FIND || r.stage == EXP_STAGE_STORE))
            return ss_err(err, errlen, st, "%s", rerr);
        if (st != SS_OK)
            return SS_OK;
        st = ana_run_metric(t->db, r.run_id, t->o->objective, &v, rerr, sizeof rerr);
        if (st != SS_OK)
            return ss_err(err, errlen, st, "%s", rerr);
        if (!isfinite(v))
            return SS_OK;
        sum += t->o->maximize ? -v : v;
    }
    *fit = sum / n;
    return SS_OK;
}

/* The tuned settings: the scenario's routing policy's spec, and the
 * scenario's own values (defaults filled in). */
static ss_status load_params(tuner *t, char *err, size_t errlen)
{
    scn_scenario s;
    const route_routing_ops *ops;
    ss_status st = exp_load(t->path, t->ov, t->n_ov, NULL, &s, err, errlen);
    if (st != SS_OK)
        return st;
    exp_tune_result *r = t->res;
    snprintf(r->policy, sizeof r->policy, "%s", s.routing);
    route_setting given[64];
    int n_given = s.n_routing_settings < 64 ? s.n_routing_settings : 64;
    for (int i = 0; i < n_given; i++)
        given[i] = (route_setting){s.routing_settings[i].key, s.routing_settings[i].value};
    st = route_routing_find(s.routing, &ops, err, errlen);
    if (st == SS_OK && (ops->n_settings == 0 || ops->n_settings > EXP_TUNE_MAX_PARAMS))
        st = ss_err(err, errlen, SS_ESCHEMA,
                    "%s: routing.policy: \"%s\" has %d numeric settings; expected a policy with "
                    "1 to %d to tune (e.g. \"nesa\")", t->path, s.routing, ops->n_settings,
                    EXP_TUNE_MAX_PARAMS);
    if (st == SS_OK)
        st = route_settings_resolve(ops, given, n_given, r->def, err, errlen);
    if (st == SS_OK) {
        r->n_params = ops->n_settings;
        for (int i = 0; i < ops->n_settings; i++) {
            snprintf(r->params[i].key, EXP_TUNE_KEY_MAX, "%s", ops->settings[i].key);
            r->params[i].lo = ops->settings[i].min, r->params[i].hi = ops->settings[i].max;
        }
    }
    scn_scenario_fini(&s);
    return st == SS_ESCHEMA && strncmp(err, t->path, strlen(t->path)) != 0
               ? ss_err(err, errlen, st, "%s: %s", t->path, err) : st;
}

/* ---- the genetic algorithm ---------------------------------------------- */

typedef struct population {
    int pop, n;
    double *keys;  /* (pop, n) */
    double *fit;   /* (pop) NAN: not evaluated yet */
    int *order;    /* (pop) indices, best first after rank() */
} population;

static const double *rank_fit; /* qsort has no context argument */
static int by_fitness(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    double fi = rank_fit[i], fj = rank_fit[j];
    if (fi < fj)
        return -1;
    if (fi > fj)
        return 1;
    return (i > j) - (i < j); /* ties: the lower index first, so the order is total */
}

static void rank(population *p)
{
    for (int i = 0; i < p->pop; i++)
        p->order[i] = i;
    rank_fit = p->fit;
    qsort(p->order, (size_t)p->pop, sizeof p->order[0], by_fitness);
}

static ss_status evaluate_all(tuner *t, population *p, char *err, size_t errlen)
{
    double values[EXP_TUNE_MAX_PARAMS];
    for (int i = 0; i < p->pop; i++) {
        if (!isnan(p->fit[i]))
            continue; /* an elite copied from the last generation */
        exp_tune_decode(t->res->params, p->n, p->keys + (size_t)i * p->n, values);
        ss_status st = evaluate(t, values, 1, t->o->n_seeds, &p->fit[i], err, errlen);
        if (st != SS_OK)
            return st;
        t->res->n_evaluations++;
    }
    rank(p);
    return SS_OK;
}

/* The next generation into q from ranked p: elites, mutants, children. */
static void breed(const population *p, population *q, int ne, int nm, double rho, gsl_rng *rng)
{
    int n = p->n;
    double u[EXP_TUNE_MAX_PARAMS];
    for (int i = 0; i < p->pop; i++) {
        double *child = q->keys + (size_t)i * n;
        q->fit[i] = NAN;
        if (i < ne) {
            memcpy(child, p->keys + (size_t)p->order[i] * n, (size_t)n * sizeof *child);
            q->fit[i] = p->fit[p->order[i]];
        } else if (i < ne + nm) {
            for (int k = 0; k < n; k++)
                child[k] = gsl_rng_uniform(rng);
        } else {
            int a = p->order[gsl_rng_uniform_int(rng, (unsigned long)ne)];
            int b = p->order[ne + (int)gsl_rng_uniform_int(rng, (unsigned long)(p->pop - ne))];
            for (int k = 0; k < n; k++)
                u[k] = gsl_rng_uniform(rng);
            exp_tune_crossover(p->keys + (size_t)a * n, p->keys + (size_t)b * n, n, rho, u, child);
        }
    }
}

static ss_status pop_init(population *p, int pop, int n)
{
    p->pop = pop, p->n = n;
    p->keys = ss_malloc((size_t)pop * n * sizeof *p->keys);
    p->fit = ss_malloc((size_t)pop * sizeof *p->fit);
    p->order = ss_malloc((size_t)pop * sizeof *p->order);
    return p->keys && p->fit && p->order ? SS_OK : SS_ENOMEM;
}

static void pop_fini(population *p)
{
    ss_free(p->keys), ss_free(p->fit), ss_free(p->order);
}

static void log_generation(const tuner *t, int g, const population *p)
{
    const exp_tune_result *r = t->res;
    double values[EXP_TUNE_MAX_PARAMS], f = p->fit[p->order[0]];
    exp_tune_decode(r->params, r->n_params, p->keys + (size_t)p->order[0] * p->n, values);
    fprintf(t->o->log, "generation %d: best %s %.6g:", g + 1, t->o->objective,
            t->o->maximize ? -f : f);
    for (int i = 0; i < r->n_params; i++)
        fprintf(t->o->log, " %s=%.6g", r->params[i].key, values[i]);
    fprintf(t->o->log, "\n");
}

static ss_status evolve(tuner *t, gsl_rng *rng, char *err, size_t errlen)
{
    const exp_tune_opts *o = t->o;
    exp_tune_result *r = t->res;
    population a = {0}, b = {0}, *p = &a, *q = &b;
    ss_status st = pop_init(&a, o->pop, r->n_params);
    if (st == SS_OK)
        st = pop_init(&b, o->pop, r->n_params);
    if (st != SS_OK) {
        pop_fini(&a), pop_fini(&b);
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", t->path);
    }
    double rho = o->rho > 0 ? o->rho : EXP_TUNE_RHO;
    exp_tune_plan(o->pop, o->elite > 0 ? o->elite : EXP_TUNE_ELITE,
                  o->mutants > 0 ? o->mutants : EXP_TUNE_MUTANTS, &r->n_elite, &r->n_mutants);
    exp_tune_encode(r->params, r->n_params, r->def, p->keys); /* warm start: the scenario's own */
    for (int i = 0; i < o->pop; i++) {
        p->fit[i] = NAN;
        for (int k = 0; i > 0 && k < r->n_params; k++)
            p->keys[(size_t)i * r->n_params + k] = gsl_rng_uniform(rng);
    }
    for (int g = 0; st == SS_OK && g < o->generations; g++) {
        if ((st = evaluate_all(t, p, err, errlen)) != SS_OK)
            break;
        if (o->log)
            log_generation(t, g, p);
        if (g + 1 < o->generations) {
            breed(p, q, r->n_elite, r->n_mutants, rho, rng);
            population *tmp = p;
            p = q, q = tmp;
        }
    }
    if (st == SS_OK) {
        exp_tune_decode(r->params, r->n_params, p->keys + (size_t)p->order[0] * p->n, r->best);
        r->best_train = p->fit[p->order[0]];
    }
    pop_fini(&a), pop_fini(&b);
    return st;
}

static ss_status check_opts(const char *path, const exp_tune_opts *o, char *err, size_t errlen)
{
    int known = 0;
    for (size_t i = 0; o->objective && i < ana_metrics_count(); i++)
        known |= strcmp(ana_metrics_name(i), o->objective) == 0;
    if (!known)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: --objective: expected a metric name (e.g. e2e_s_p99, ttft_s_mean, "
                      "throughput_tokens_per_s; analysis/README.md), got \"%s\"", path,
                      o->objective ? o->objective : "");
    if (o->pop < 2 || o->generations < 1 || o->n_seeds < 1 || o->n_holdout < 1 ||
        o->rho < 0 || o->rho >= 1 || o->elite < 0 || o->elite >= 1 || o->mutants < 0 ||
        o->mutants >= 1)
        return ss_err(err, errlen, SS_EINVAL, "%s: tune: bad options", path);
    return SS_OK;
}

ss_status exp_tune_run(const char *path, const scn_override *ov, size_t n_ov, const exp_tune_opts *o,
                       ana_db *db, exp_tune_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    ss_status st = check_opts(path, o, err, errlen);
    if (st != SS_OK)
        return st;
    tuner t = {.path = path, .ov = ov, .n_ov = n_ov, .o = o, .db = db, .res = out};
    if (!(t.all = ss_calloc(n_ov + 1, sizeof *t.all)))
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n_ov; i++)
        t.all[i] = ov[i];
    gsl_rng *rng = NULL;
    st = load_params(&t, err, errlen);
    if (st == SS_OK && ss_rng_create(o->seed, SS_RNG_TUNE, 0, SS_RNG_CHOICE, &rng) != SS_OK)
        st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
    if (st == SS_OK)
        st = evaluate(&t, out->def, 1, o->n_seeds, &out->def_train, err, errlen);
    if (st == SS_OK)
        st = evolve(&t, rng, err, errlen);
    uint64_t held = (uint64_t)o->n_seeds + 1;
    if (st == SS_OK)
        st = evaluate(&t, out->def, held, o->n_holdout, &out->def_holdout, err, errlen);
    if (st == SS_OK)
        st = evaluate(&t, out->best, held, o->n_holdout, &out->best_holdout, err, errlen);
    out->improved = st == SS_OK && out->best_holdout < out->def_holdout;
    double sign = o->maximize ? -1 : 1; /* back to the metric's own sign */
    out->def_train *= sign, out->best_train *= sign;
    out->def_holdout *= sign, out->best_holdout *= sign;
    gsl_rng_free(rng);
    ss_free(t.all);
    return st;
}
