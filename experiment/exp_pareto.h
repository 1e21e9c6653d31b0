/* exp_pareto.h - wire bytes x latency x accuracy per activation codec, stored.
 *
 * `shardsim pareto`: for each codec, the scenario with that codec on every
 * hop (compression.activations, applied through the loader like a --set) is
 * one run (exp_run): simulated for its latency (analytic timing for models
 * that cannot serve generation, the MNIST CNN) and measured against the
 * lossless fp32 pipeline on the uncompressed model (real_accuracy.h gives
 * the definitions). The run key hashes the scenario plus codec, steps,
 * stories, images, batch and data file, so a codec already measured is read
 * back, not recomputed; the fp32 reference is computed only when some codec
 * is new. The Pareto front is over (wire bytes, mean end-to-end latency,
 * loss), loss = mean KL (language models) or the accuracy drop (CNN).
 */
#ifndef EXP_PARETO_H
#define EXP_PARETO_H

#include <stdint.h>
#include <stdio.h>

#include "exp_run.h"

#define EXP_CODECS_MAX 64
#define EXP_CODEC_SPEC_MAX 64

/* A checked codec list. */
typedef struct exp_codec_list {
    int n;
    char spec[EXP_CODECS_MAX][EXP_CODEC_SPEC_MAX]; /* as written (it parses back the same) */
} exp_codec_list;

/* Split "fp16,nf4,lowrank:8" (or "all": every codec kind with default
 * parameters) and check every spec with comp_codec_parse. Status: SS_OK;
 * SS_EINVAL (err: the bad spec, or too many codecs). */
ss_status exp_codec_list_parse(const char *list, exp_codec_list *out, char *err, size_t errlen);

typedef struct exp_pareto_opts {
    const char *scenario_path;       /* the file s was loaded from, reloaded per codec */
    const scn_override *overrides;   /* the overrides s was loaded with (n_overrides) */
    size_t n_overrides;
    const exp_codec_list *codecs;
    int steps;                       /* LM: decode steps for agreement and KL */
    int n_stories;                   /* LM: perplexity over the first N stories; 0: none */
    int n_images;                    /* CNN: the first N test images; 0: all */
    int batch;                       /* CNN: images per pipeline pass */
    const char *presets_dir;         /* NULL: exp_dirs presets */
    const char *assets_dir;          /* NULL: exp_dirs assets */
    FILE *progress;                  /* "  nf4 (3/8)..." lines; NULL: none */
} exp_pareto_opts;

typedef struct exp_pareto_row {
    char codec[EXP_CODEC_SPEC_MAX];
    exp_run_result run;
    double bytes;                    /* wire bytes per decoded token (per image for the CNN) */
    double e2e_mean, e2e_p50, ttft_mean; /* s */
    double agreement, kl_mean, kl_max;   /* LM */
    double perplexity, perplexity_ref, perplexity_delta; /* LM with stories */
    double n_images, accuracy, accuracy_ref, accuracy_delta; /* CNN */
    double loss;                     /* KL mean (LM) or accuracy drop (CNN): the headline loss */
    int front;                       /* 1: on the Pareto front */
} exp_pareto_row;

#define EXP_PARETO_MAX_OBJECTIVES 6

/* The objectives the front minimises for one row: wire bytes, mean latency,
 * then every accuracy measure `pareto` prints, oriented so smaller is
 * better. Language model: 1 - agreement, mean KL, max KL and, when
 * perplexity was measured (with_ppl), the perplexity delta; CNN: the
 * accuracy drop. So a codec that is worse on any printed measure and no
 * better on the others is off the front. Writes at most
 * EXP_PARETO_MAX_OBJECTIVES values to obj; returns how many. */
int exp_pareto_objectives(const exp_pareto_row *r, int lm, int with_ppl, double *obj);

typedef struct exp_pareto_result {
    int lm;                          /* 1: language model, 0: MNIST CNN */
    int n_stories;                   /* perplexity stories actually used */
    int n_rows;
    exp_pareto_row *rows;            /* (n_rows) in codec-list order, owned */
    exp_run_result failed;           /* on failure: the failing run's stage */
    char failed_codec[EXP_CODEC_SPEC_MAX]; /* "" when not one codec's */
} exp_pareto_result;

/* Measure (or read back) every codec of o->codecs on `s` (loaded from
 * o->scenario_path with o->overrides), store each as one run in `db`, mark
 * the front. Status: SS_OK; on failure *out says where (failed.stage,
 * failed_codec); rows stored before the failure stay stored. Release *out
 * with exp_pareto_result_fini in every case. */
ss_status exp_pareto(const scn_scenario *s, const exp_pareto_opts *o, ana_db *db,
                     exp_pareto_result *out, char *err, size_t errlen);
void exp_pareto_result_fini(exp_pareto_result *r);

#endif
