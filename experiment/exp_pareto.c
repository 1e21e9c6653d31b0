/* exp_pareto.c - one exp_run per codec, the fp32 reference computed lazily,
 * every row read back from the database so a stored codec and a new one
 * print the same figures. */
#include "exp_pareto.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ana_pareto.h"
#include "comp.h"
#include "exp_int.h"
#include "model_data.h"
#include "real_accuracy.h"
#include "real_model.h"
#include "sim_place.h"
#include "ss_alloc.h"

static const char all_codecs[] =
    "fp32,fp16,bf16,blockwise8,int8,int4,nf4,llm-int8,lowrank:8,lowrank-sparse:8";

ss_status exp_codec_list_parse(const char *list, exp_codec_list *out, char *err, size_t errlen)
{
    char *copy = ss_strdup(strcmp(list, "all") == 0 ? all_codecs : list);
    ss_status st = SS_OK;
    out->n = 0;
    if (!copy)
        return ss_err(err, errlen, SS_ENOMEM, "out of memory");
    for (char *tok = copy, *next; tok && st == SS_OK; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = 0;
        comp_codec cc;
        char canon[EXP_CODEC_SPEC_MAX];
        if (out->n == EXP_CODECS_MAX)
            st = ss_err(err, errlen, SS_EINVAL, "at most %d codecs", EXP_CODECS_MAX);
        else if ((st = comp_codec_parse(tok, &cc, err, errlen)) == SS_OK &&
                 (st = comp_codec_format(&cc, canon, sizeof canon)) != SS_OK)
            ss_err(err, errlen, st, "codec spec \"%s\" too long", tok);
        else if (st == SS_OK && strlen(tok) >= EXP_CODEC_SPEC_MAX)
            st = ss_err(err, errlen, SS_EINVAL, "codec spec \"%s\" too long", tok);
        /* the name as the user wrote it (fp16, nf4, lowrank:8): it parses back the same */
        if (st == SS_OK)
            snprintf(out->spec[out->n++], EXP_CODEC_SPEC_MAX, "%s", tok);
    }
    ss_free(copy);
    return st;
}

/* Everything the per-codec runs share; owned by exp_pareto's frame. */
typedef struct pareto_ctx {
    const exp_pareto_opts *o;
    const scn_scenario *s;
    scn_scenario ref_scn;        /* shallow copy of *s without compression.weights */
    real_model sm, ref_m;        /* measured model (weights at rest), fp32 reference */
    real_accuracy_cfg cfg;
    model_stories *stories;
    model_idx *images, *labels;
    real_accuracy_ref *ref;      /* created by the first codec that is not stored */
    route_hop *hops, *ref_hops;
    int n_hops, n_ref_hops;
    int lm, n_images;
    char data[EXP_PATH_MAX];
    comp_codec codec;            /* the codec being measured */
    const char *codec_name;
} pareto_ctx;

static void ctx_fini(pareto_ctx *c)
{
    real_accuracy_ref_destroy(c->ref);
    model_stories_free(c->stories);
    model_idx_free(c->images);
    model_idx_free(c->labels);
    real_model_fini(&c->sm);
    real_model_fini(&c->ref_m);
    ss_free(c->hops);
    ss_free(c->ref_hops);
}

/* The fp32 reference along the reference model's own chain (placement
 * depends on the weights' size at rest). */
static ss_status make_ref(pareto_ctx *c, char *err, size_t errlen)
{
    if (c->o->progress)
        fprintf(c->o->progress, "  reference (fp32)...\n");
    ss_status st;
    if ((st = sim_first_chain(&c->ref_scn, &c->ref_m.desc, &c->ref_hops, &c->n_ref_hops, err,
                              errlen)) != SS_OK ||
        (st = sim_first_chain(c->s, &c->sm.desc, &c->hops, &c->n_hops, err, errlen)) != SS_OK)
        return st;
    return real_accuracy_ref_create(&(real_chain){c->s->source_path, c->ref_hops, c->n_ref_hops},
                                    &c->ref_m, &c->cfg, &c->ref, err, errlen);
}

/* exp_measure_fn: this codec against the reference, as accuracy rows. */
static ss_status measure(void *ctx, const scn_scenario *sc, const sim_results *res,
                         ana_accuracy_row *rows, size_t cap, size_t *n_rows, char *err,
                         size_t errlen)
{
    pareto_ctx *c = ctx;
    real_accuracy_result a;
    ss_status st;
    if (!c->ref && (st = make_ref(c, err, errlen)) != SS_OK)
        return st;
    if ((st = real_accuracy_measure(c->ref, &(real_chain){sc->source_path, c->hops, c->n_hops},
                                    &c->sm, &c->codec, &a, err, errlen)) != SS_OK)
        return st;
    size_t n = 0;
#define ACC(name, v) rows[n++] = (ana_accuracy_row){c->codec_name, name, (v)}
    if (c->lm) {
        ACC("positions", a.n_positions);
        ACC("greedy_agreement", a.agreement);
        ACC("kl_mean", a.kl_mean);
        ACC("kl_max", a.kl_max);
        ACC("wire_bytes_per_token", a.gen_wire_bytes_per_token);
        if (c->cfg.stories) {
            ACC("stories", a.n_stories);
            ACC("perplexity", a.perplexity);
            ACC("perplexity_fp32", a.perplexity_ref);
            ACC("perplexity_delta", a.perplexity_delta);
            ACC("ppl_wire_bytes_per_token", a.ppl_wire_bytes_per_token);
        }
    } else {
        ACC("images", a.n_images);
        ACC("accuracy", a.mnist_accuracy);
        ACC("accuracy_fp32", a.mnist_accuracy_ref);
        ACC("accuracy_delta", a.mnist_accuracy_delta);
        ACC("wire_bytes_per_image", a.mnist_wire_bytes_per_image);
    }
#undef ACC
    (void)cap; /* at most 10 rows, EXP_ACCURACY_MAX >= 10 */
    *n_rows = n;
    return SS_OK;
}

/* Models, corpora and the measurement configuration. */
static ss_status setup(pareto_ctx *c, const exp_dirs *d, char *err, size_t errlen)
{
    const exp_pareto_opts *o = c->o;
    const char *presets = o->presets_dir ? o->presets_dir : d->presets;
    const char *assets = o->assets_dir ? o->assets_dir : d->assets;
    c->ref_scn = *c->s;
    c->ref_scn.weight_codec[0] = 0;
    ss_status st;
    if ((st = real_model_load(c->s, presets, NULL, &c->sm, err, errlen)) != SS_OK ||
        (st = real_model_load(&c->ref_scn, presets, NULL, &c->ref_m, err, errlen)) != SS_OK)
        return st;
    if (!c->sm.net)
        return ss_err(err, errlen, SS_EINVAL, "%s: model: accuracy needs real weights "
                      "(\"llama2c\" or \"mnist_cnn\")", c->s->source_path);
    c->lm = c->sm.tok != NULL;
    if ((st = exp_join(c->data, assets, c->lm ? "tinystories/tinystories_valid_first1000.txt"
                                              : "mnist/t10k-images-idx3-ubyte", err, errlen)) !=
        SS_OK)
        return st;
    c->cfg = (real_accuracy_cfg){.batch = o->batch};
    if (c->lm) {
        c->cfg.steps = o->steps;
        if (o->n_stories > 0) {
            if ((st = model_stories_load(c->data, &c->stories, err, errlen)) != SS_OK)
                return st;
            c->cfg.stories = c->stories;
            c->cfg.n_stories = o->n_stories < c->stories->n ? o->n_stories : c->stories->n;
        }
        return SS_OK;
    }
    char lpath[EXP_PATH_MAX];
    if ((st = exp_join(lpath, assets, "mnist/t10k-labels-idx1-ubyte", err, errlen)) != SS_OK ||
        (st = model_idx_load(c->data, &c->images, err, errlen)) != SS_OK ||
        (st = model_idx_load(lpath, &c->labels, err, errlen)) != SS_OK)
        return st;
    c->cfg.images = c->images;
    c->cfg.labels = c->labels;
    c->cfg.n_images = o->n_images && (uint64_t)o->n_images < c->images->n_items ? o->n_images : 0;
    c->n_images = c->cfg.n_images ? c->cfg.n_images : (int)c->images->n_items;
    return SS_OK;
}

/* {"pareto": {codec, steps, stories, images, batch, data}, "scenario": ...} */
static char *key_json(const pareto_ctx *c, const scn_scenario *sc, const char *codec)
{
    cJSON *p = cJSON_CreateObject();
    if (!p || !cJSON_AddStringToObject(p, "codec", codec) ||
        !cJSON_AddNumberToObject(p, "steps", c->lm ? c->o->steps : 0) ||
        !cJSON_AddNumberToObject(p, "stories", c->lm ? c->cfg.n_stories : 0) ||
        !cJSON_AddNumberToObject(p, "images", c->lm ? 0 : c->n_images) ||
        !cJSON_AddNumberToObject(p, "batch", c->lm ? 0 : c->o->batch) ||
        !cJSON_AddStringToObject(p, "data", c->data)) {
        cJSON_Delete(p);
        return NULL;
    }
    return exp_key_json(sc, "pareto", p);
}

/* A row's figures from its stored run. */
static ss_status read_row(ana_db *db, const pareto_ctx *c, exp_pareto_row *r, char *err,
                          size_t errlen)
{
    int64_t id = r->run.run_id;
    struct { const char *name; double *dst; } met[] = {
        {"e2e_s_mean", &r->e2e_mean}, {"e2e_s_p50", &r->e2e_p50}, {"ttft_s_mean", &r->ttft_mean}};
    struct { const char *name; double *dst; int need; } acc[] = {
        {"greedy_agreement", &r->agreement, c->lm}, {"kl_mean", &r->kl_mean, c->lm},
        {"kl_max", &r->kl_max, c->lm}, {"wire_bytes_per_token", &r->bytes, c->lm},
        {"perplexity", &r->perplexity, c->lm && c->cfg.stories},
        {"perplexity_fp32", &r->perplexity_ref, c->lm && c->cfg.stories},
        {"perplexity_delta", &r->perplexity_delta, c->lm && c->cfg.stories},
        {"images", &r->n_images, !c->lm}, {"accuracy", &r->accuracy, !c->lm},
        {"accuracy_fp32", &r->accuracy_ref, !c->lm},
        {"accuracy_delta", &r->accuracy_delta, !c->lm},
        {"wire_bytes_per_image", &r->bytes, !c->lm}};
    ss_status st = SS_OK;
    for (size_t i = 0; i < sizeof met / sizeof met[0] && st == SS_OK; i++)
        st = ana_run_metric(db, id, met[i].name, met[i].dst, err, errlen);
    for (size_t i = 0; i < sizeof acc / sizeof acc[0] && st == SS_OK; i++)
        if (acc[i].need)
            st = ana_run_accuracy(db, id, r->codec, acc[i].name, acc[i].dst, err, errlen);
    r->loss = c->lm ? r->kl_mean : -r->accuracy_delta;
    return st;
}

/* One codec: the scenario reloaded with it, run (or found), read back. */
static ss_status one_codec(pareto_ctx *c, scn_override *ov, ana_db *db,
                           exp_pareto_row *r, char *err, size_t errlen)
{
    const exp_pareto_opts *o = c->o;
    ov[o->n_overrides] = (scn_override){"compression.activations", r->codec};
    scn_scenario sc;
    ss_status st = scn_load(o->scenario_path, ov, o->n_overrides + 1, &sc, err, errlen);
    if (st != SS_OK) {
        r->run.stage = EXP_STAGE_SIMULATE;
        return st;
    }
    char *json = key_json(c, &sc, r->codec);
    comp_codec_parse(r->codec, &c->codec, NULL, 0); /* checked by exp_codec_list_parse */
    c->codec_name = r->codec;
    exp_run_opts ro = {.presets_dir = o->presets_dir, .assets_dir = o->assets_dir,
                       .analytic = !c->lm, .key_json = json, .measure = measure,
                       .measure_ctx = c};
    if (!json) {
        r->run.stage = EXP_STAGE_SETUP;
        st = ss_err(err, errlen, SS_ENOMEM, "out of memory");
    } else if ((st = exp_run(&sc, &ro, db, &r->run, err, errlen)) == SS_OK &&
               (st = read_row(db, c, r, err, errlen)) != SS_OK) {
        r->run.stage = EXP_STAGE_FIND;
    }
    ss_free(json);
    scn_scenario_fini(&sc);
    return st;
}

int exp_pareto_objectives(const exp_pareto_row *r, int lm, int with_ppl, double *obj)
{
    int k = 0;
    obj[k++] = r->bytes;
    obj[k++] = r->e2e_mean;
    if (!lm) {
        obj[k++] = -r->accuracy_delta;
        return k;
    }
    obj[k++] = 1.0 - r->agreement;
    obj[k++] = r->kl_mean;
    obj[k++] = r->kl_max;
    if (with_ppl)
        obj[k++] = r->perplexity_delta;
    return k;
}

static ss_status mark_front(exp_pareto_result *out, char *err, size_t errlen)
{
    const size_t m = EXP_PARETO_MAX_OBJECTIVES;
    double *obj = ss_calloc((size_t)out->n_rows * m + 1, sizeof *obj);
    int *front = ss_calloc((size_t)out->n_rows + 1, sizeof *front);
    if (!obj || !front) {
        ss_free(obj);
        ss_free(front);
        return ss_err(err, errlen, SS_ENOMEM, "out of memory");
    }
    /* every row has the same objectives: the run's kind and stories decide */
    size_t k = 0;
    for (int i = 0; i < out->n_rows; i++)
        k = (size_t)exp_pareto_objectives(&out->rows[i], out->lm, out->n_stories > 0,
                                          obj + (size_t)i * m);
    /* pack the rows to k objectives each for ana_pareto_front */
    for (int i = 1; i < out->n_rows; i++)
        memmove(obj + (size_t)i * k, obj + (size_t)i * m, k * sizeof *obj);
    ana_pareto_front(obj, (size_t)out->n_rows, k, front);
    for (int i = 0; i < out->n_rows; i++)
        out->rows[i].front = front[i];
    ss_free(obj);
    ss_free(front);
    return SS_OK;
}

ss_status exp_pareto(const scn_scenario *s, const exp_pareto_opts *o, ana_db *db,
                     exp_pareto_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    pareto_ctx c = {.o = o, .s = s};
    exp_dirs d;
    int n = o->codecs->n;
    scn_override *ov = ss_calloc(o->n_overrides + 1, sizeof *ov);
    out->rows = ss_calloc((size_t)n + 1, sizeof *out->rows);
    out->failed.stage = EXP_STAGE_MEASURE;
    ss_status st = !ov || !out->rows ? ss_err(err, errlen, SS_ENOMEM, "out of memory")
                                              : exp_dirs_resolve(&d, err, errlen);
    if (st == SS_OK)
        st = setup(&c, &d, err, errlen);
    if (st == SS_OK) {
        out->failed.stage = EXP_STAGE_NONE;
        out->lm = c.lm;
        out->n_stories = c.cfg.n_stories;
        if (o->n_overrides)
            memcpy(ov, o->overrides, o->n_overrides * sizeof *ov);
    }
    for (int i = 0; i < n && st == SS_OK; i++) {
        exp_pareto_row *r = &out->rows[i];
        snprintf(r->codec, sizeof r->codec, "%s", o->codecs->spec[i]);
        if (o->progress)
            fprintf(o->progress, "  %s (%d/%d)...\n", r->codec, i + 1, n);
        if ((st = one_codec(&c, ov, db, r, err, errlen)) != SS_OK) {
            out->failed = r->run;
            snprintf(out->failed_codec, sizeof out->failed_codec, "%s", r->codec);
        }
        out->n_rows = i + 1;
    }
    if (st == SS_OK)
        st = mark_front(out, err, errlen);
    ctx_fini(&c);
    ss_free(ov);
    return st;
}

void exp_pareto_result_fini(exp_pareto_result *r)
{
    if (!r)
        return;
    ss_free(r->rows);
    r->rows = NULL;
    r->n_rows = 0;
}
