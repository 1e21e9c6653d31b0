/* ana_gate_int.h - shared inside analysis/ only: the gated figures of a
 * run, read by ana_gate.c (baseline) and ana_gate_check.c (check). */
#ifndef ANA_GATE_INT_H
#define ANA_GATE_INT_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>

#include "ana_db.h"
#include "ana_digest_int.h"
#include "ss_status.h"

#define ANA_BASELINE_FORMAT "shardsim-baseline"
#define ANA_BASELINE_VERSION 1

/* One gated figure: a `metrics` row (name set) or an `accuracy` row. */
typedef struct ana_figure {
    char name[64];      /* metrics.name, or "" for an accuracy row */
    char codec[160];    /* accuracy.codec */
    char metric[160];   /* accuracy.metric */
    const char *kind;   /* static: "latency", "throughput", "other", "accuracy" */
    double value;       /* NaN when undefined (NULL) */
    double abs_tol, rel_tol;
} ana_figure;

typedef struct ana_run_figs {
    int64_t run_id;
    char run_key[600], scenario[256], seed[32];
    ana_figure *fig;    /* (n) ss_malloc'd, ss_free */
    size_t n, cap;
} ana_run_figs;

/* The kind of a metrics name; 1 if name is one of ana_metrics.h's. */
const char *ana_gate_metric_kind(const char *name);
int ana_gate_known_metric(const char *name);
/* "e2e_s_p99" or "accuracy[fp16].kl_mean". */
void ana_gate_fig_label(const ana_figure *f, char *buf, size_t n);
/* A zeroed new figure at the end of rf, NULL when out of memory. */
ana_figure *ana_gate_fig_push(ana_run_figs *rf);
/* Open db_path read-only; read run run_id (ANA_RUN_LATEST: the latest),
 * its figures with their default tolerances and its digest detail. */
ss_status ana_gate_load_run(const char *db_path, int64_t run_id, ana_db **db, ana_run_figs *rf,
                            ana_digest_detail *dd, char *err, size_t errlen);
/* Switch this thread to the C locale (undo with uselocale(*old), freelocale). */
ss_status ana_gate_c_locale(locale_t *c_loc, locale_t *old, char *err, size_t errlen);

#endif
