/* exp_eval.c - model -> data -> run key -> exp_run(measure through the pipeline). */
#include "exp_eval.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "exp_int.h"
#include "model_data.h"
#include "model_eval.h"
#include "real_model.h"
#include "real_pipeline.h"
#include "sim_place.h"
#include "ss_alloc.h"

static const char *const task_names[] = {"tinystories-ppl", "mnist"};

int exp_eval_task_parse(const char *name, exp_eval_task *out)
{
    for (int t = 0; t < 2; t++) {
        if (name && strcmp(name, task_names[t]) == 0) {
            *out = (exp_eval_task)t;
            return 1;
        }
    }
    return 0;
}

const char *exp_eval_task_name(exp_eval_task t) { return task_names[t == EXP_EVAL_MNIST]; }

/* What the measure hook needs; all borrowed from exp_eval's frame. */
typedef struct eval_ctx {
    const exp_eval_opts *o;
    const real_model *sm;
    const model_stories *stories;
    const model_idx *images, *labels;
    int n;
    double fig[5];
    uint64_t total;
} eval_ctx;

static void show_progress(void *ctx, uint64_t calls)
{
    const eval_ctx *c = ctx;
    fprintf(c->o->progress, "\r  %s %llu/%llu", c->o->task == EXP_EVAL_PPL ? "story" : "batch",
            (unsigned long long)calls, (unsigned long long)c->total);
    if (calls == c->total)
        fputc('\n', c->o->progress);
}

static ss_status evaluate(eval_ctx *c, real_pipeline *pipe, char *err, size_t errlen)
{
    model_eval_route route = {.body = real_pipeline_body, .ctx = pipe};
    ss_status st;
    if (c->o->task == EXP_EVAL_PPL) {
        model_eval_ppl_result r;
        c->total = (uint64_t)c->n;
        if (c->o->progress)
            real_pipeline_on_call(pipe, show_progress, c);
        if ((st = model_eval_perplexity(c->sm->net, c->sm->tok, c->stories, (int)c->o->n_items,
                                        &route, &r, err, errlen)) != SS_OK)
            return st;
        c->fig[0] = (double)r.n_tokens_scored, c->fig[1] = r.mean_nll, c->fig[2] = r.perplexity;
    } else {
        const int batch = 100;
        model_eval_mnist_result r;
        c->total = (uint64_t)((c->n + batch - 1) / batch);
        if (c->o->progress)
            real_pipeline_on_call(pipe, show_progress, c);
        if ((st = model_eval_mnist(c->sm->net, c->images, c->labels, (int)c->o->n_items, batch,
                                   &route, &r, err, errlen)) != SS_OK)
            return st;
        c->fig[0] = r.n_images, c->fig[1] = r.n_correct, c->fig[2] = r.accuracy;
    }
    c->fig[3] = real_pipeline_n_hops(pipe);
    c->fig[4] = (double)real_pipeline_wire_bytes(pipe);
    return SS_OK;
}

static const char *const row_names[2][5] = {
    {"tokens_scored", "mean_nll", "perplexity", "hops", "wire_bytes"},
    {"n_images", "n_correct", "accuracy", "hops", "wire_bytes"},
};

/* exp_measure_fn: the pipeline along the first request's chain, evaluated. */
static ss_status measure(void *ctx, const scn_scenario *s, const sim_results *res,
                         ana_accuracy_row *rows, size_t cap, size_t *n_rows, char *err,
                         size_t errlen)
{
    eval_ctx *c = ctx;
    route_hop *hops = NULL;
    int n_hops = 0;
    comp_codec codec;
    real_pipeline *pipe = NULL;
    ss_status st;
    if ((st = sim_act_codec(s, &codec, err, errlen)) == SS_OK &&
        (st = sim_first_chain(s, &c->sm->desc, &hops, &n_hops, err, errlen)) == SS_OK &&
        (st = real_pipeline_create(&(real_chain){s->source_path, hops, n_hops}, c->sm, &codec,
                                   &pipe, err, errlen)) == SS_OK)
        st = evaluate(c, pipe, err, errlen);
    ss_free(hops);
    real_pipeline_destroy(pipe);
    if (st != SS_OK)
        return st;
    for (size_t i = 0; i < 5 && i < cap; i++)
        rows[i] = (ana_accuracy_row){s->act_codec, row_names[c->o->task][i], c->fig[i]};
    *n_rows = cap < 5 ? cap : 5;
    return SS_OK;
}

/* The task's data, and how many items it will evaluate (the run key's n). */
static ss_status load_data(const scn_scenario *s, const exp_eval_opts *o, const exp_dirs *d,
                           eval_ctx *c, model_stories **stories, model_idx **images,
                           model_idx **labels, char *data, char *err, size_t errlen)
{
    const char *assets = o->assets_dir ? o->assets_dir : d->assets;
    int ppl = o->task == EXP_EVAL_PPL;
    if (!c->sm->net || (ppl && !c->sm->tok) || (!ppl && c->sm->tok))
        return ss_err(err, errlen, SS_EINVAL, "%s: model: task %s needs %s", s->source_path,
                      exp_eval_task_name(o->task),
                      ppl ? "a language model with a tokenizer (\"llama2c\")"
                          : "the MNIST CNN (\"mnist_cnn\")");
    ss_status st = SS_OK;
    if (!o->data_path)
        st = exp_join(data, assets, ppl ? "tinystories/tinystories_valid_first1000.txt"
                                        : "mnist/t10k-images-idx3-ubyte", err, errlen);
    else if (strlen(o->data_path) < EXP_PATH_MAX)
        memcpy(data, o->data_path, strlen(o->data_path) + 1);
    else
        st = ss_err(err, errlen, SS_ERANGE, "%.40s...: expected a path of at most %d bytes",
                    o->data_path, EXP_PATH_MAX - 1);
    if (st != SS_OK)
        return st;
    if (ppl) {
        if ((st = model_stories_load(data, stories, err, errlen)) != SS_OK)
            return st;
        c->stories = *stories;
        c->n = o->n_items ? (int)o->n_items : (*stories)->n;
        return SS_OK;
    }
    char lpath[EXP_PATH_MAX];
    if ((st = exp_join(lpath, assets, "mnist/t10k-labels-idx1-ubyte", err, errlen)) != SS_OK ||
        (st = model_idx_load(data, images, err, errlen)) != SS_OK ||
        (st = model_idx_load(o->labels_path ? o->labels_path : lpath, labels, err, errlen)) !=
            SS_OK)
        return st;
    c->images = *images, c->labels = *labels;
    c->n = o->n_items ? (int)o->n_items : (int)(*images)->n_items;
    return SS_OK;
}

/* The figures of the stored run (new or found). */
static ss_status read_back(ana_db *db, const scn_scenario *s, exp_eval_result *out, char *err,
                           size_t errlen)
{
    double *dst[2][5] = {
        {&out->tokens_scored, &out->mean_nll, &out->perplexity, &out->hops, &out->wire_bytes},
        {&out->n_images, &out->n_correct, &out->accuracy, &out->hops, &out->wire_bytes},
    };
    for (int i = 0; i < 5; i++) {
        ss_status st = ana_run_accuracy(db, out->run.run_id, s->act_codec,
                                        row_names[out->task][i], dst[out->task][i], err, errlen);
        if (st == SS_ENOTFOUND && i >= 3) /* stored by a build that did not record it */
            *dst[out->task][i] = -1;
        else if (st != SS_OK)
            return st;
    }
    return SS_OK;
}

/* {"eval": {task, n, model, data}, "scenario": ...}: what the run key hashes. */
static char *key_json(const scn_scenario *s, const exp_eval_opts *o, int n, const char *data)
{
    cJSON *ev = cJSON_CreateObject();
    if (!ev || !cJSON_AddStringToObject(ev, "task", exp_eval_task_name(o->task)) ||
        !cJSON_AddNumberToObject(ev, "n", n) ||
        !cJSON_AddStringToObject(ev, "model",
                                 o->model_path ? o->model_path : s->model.checkpoint_path) ||
        !cJSON_AddStringToObject(ev, "data", data)) {
        cJSON_Delete(ev);
        return NULL;
    }
    return exp_key_json(s, "eval", ev);
}

ss_status exp_eval(const scn_scenario *s, const exp_eval_opts *o, ana_db *db,
                   exp_eval_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->task = o->task;
    exp_dirs dirs;
    real_model sm;
    memset(&sm, 0, sizeof sm);
    model_stories *stories = NULL;
    model_idx *images = NULL, *labels = NULL;
    char *json = NULL, data[EXP_PATH_MAX];
    eval_ctx c = {.o = o, .sm = &sm};
    out->run.stage = EXP_STAGE_MEASURE;
    ss_status st = exp_dirs_resolve(&dirs, err, errlen);
    if (st == SS_OK)
        st = real_model_load(s, o->presets_dir ? o->presets_dir : dirs.presets, o->model_path,
                             &sm, err, errlen);
    if (st == SS_OK)
        st = load_data(s, o, &dirs, &c, &stories, &images, &labels, data, err, errlen);
    if (st == SS_OK && !(json = key_json(s, o, c.n, data)))
        st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", s->source_path);
    if (st == SS_OK) {
        out->n_items = c.n;
        exp_run_opts ro = {.presets_dir = o->presets_dir, .assets_dir = o->assets_dir,
                           .model_path = o->model_path, .key_json = json, .no_sim = 1,
                           .measure = measure, .measure_ctx = &c};
        st = exp_run(s, &ro, db, &out->run, err, errlen);
        if (st == SS_OK && (st = read_back(db, s, out, err, errlen)) != SS_OK)
            out->run.stage = EXP_STAGE_FIND;
    }
    ss_free(json);
    model_stories_free(stories);
    model_idx_free(images);
    model_idx_free(labels);
    real_model_fini(&sm);
    return st;
}
