/* exp_eval.h - accuracy of a real-weights scenario through its pipeline, stored.
 *
 * `shardsim eval`: the scenario's model evaluated along the chain its
 * placement and routing give the first request (sim_first_chain), the
 * activations crossing every hop with its wire codec (real_pipeline). The
 * figures are stored as the accuracy rows of one run (exp_run with no_sim:
 * nothing is simulated), keyed by the scenario plus the task, the number of
 * items, the weights file and the data file: evaluating the same again
 * returns the stored figures without recomputing them.
 *
 * Accuracy rows stored (codec = the scenario's wire codec):
 *   tinystories-ppl: tokens_scored, mean_nll (nats/token), perplexity,
 *   mnist: n_images, n_correct, accuracy; both: hops, wire_bytes.
 */
#ifndef EXP_EVAL_H
#define EXP_EVAL_H

#include <stdint.h>
#include <stdio.h>

#include "exp_run.h"

typedef enum exp_eval_task {
    EXP_EVAL_PPL,   /* "tinystories-ppl": perplexity over TinyStories stories */
    EXP_EVAL_MNIST, /* "mnist": classification accuracy over MNIST test images */
} exp_eval_task;

/* The task named `name`: 1 and *out, or 0 for an unknown name. */
int exp_eval_task_parse(const char *name, exp_eval_task *out);
const char *exp_eval_task_name(exp_eval_task t);

typedef struct exp_eval_opts {
    exp_eval_task task;
    long n_items;            /* the first N stories / images; 0: all */
    const char *model_path;  /* weights file instead of the scenario's; NULL: keep */
    const char *data_path;   /* corpus or IDX images; NULL: the shared assets' */
    const char *labels_path; /* mnist: IDX labels; NULL: the shared assets' */
    const char *presets_dir; /* NULL: exp_dirs presets */
    const char *assets_dir;  /* NULL: exp_dirs assets */
    FILE *progress;          /* "\r  story k/N" lines while evaluating; NULL: none */
} exp_eval_opts;

typedef struct exp_eval_result {
    exp_run_result run;      /* the stored run; stage EXP_STAGE_MEASURE for model and data
                                errors (input statuses) */
    exp_eval_task task;
    int n_items;             /* stories or images evaluated */
    double tokens_scored;    /* tinystories-ppl */
    double mean_nll, perplexity;
    double n_images, n_correct, accuracy; /* mnist */
    double hops, wire_bytes; /* < 0: not stored (runs stored by older builds) */
} exp_eval_result;

/* Evaluate `s` (loaded, overrides applied) per `o`, or return the stored
 * evaluation: *out holds the figures either way (read back from `db`).
 * Status: SS_OK; model and data errors as their loaders' (SS_ENOENT for a
 * missing file; SS_EINVAL when the model does not fit the task), with
 * out->run.stage = EXP_STAGE_MEASURE; database errors with
 * EXP_STAGE_FIND or EXP_STAGE_STORE. Nothing is stored on failure. */
ss_status exp_eval(const scn_scenario *s, const exp_eval_opts *o, ana_db *db,
                   exp_eval_result *out, char *err, size_t errlen);

#endif
