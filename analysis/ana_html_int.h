/* ana_html_int.h - shared inside analysis/ only: the report's read context
 * and the builders that fill one plot each from the database. */
#ifndef ANA_HTML_INT_H
#define ANA_HTML_INT_H

#include <stdint.h>
#include <stdio.h>

#include "ana_db_int.h"
#include "ana_html.h"
#include "ana_plot.h"

#define HTML_MAX_RUNS 12 /* distribution plots without --run / --sweep: the latest runs */
#define HTML_BINS 60     /* time bins of the time-series plots */

/* One line of a distribution plot: a run, or a sweep combination (its seeds pooled). */
typedef struct html_group {
    char *label;
    int64_t *runs;
    size_t n_runs, cap_runs;
} html_group;

typedef struct html_ctx {
    ana_db *db;
    int64_t focus;         /* the focus run (0: none) */
    double focus_end;      /* its sim_end_s */
    char focus_label[256]; /* "run 3 (default, seed 42)" */
    int64_t sweep_id;      /* the sweep plotted (0: none) */
    char sweep_name[256];
    int groups_from_sweep; /* 1: groups are the sweep's combinations */
    int groups_capped;     /* 1: more runs than HTML_MAX_RUNS */
    html_group *groups;
    size_t n_groups;
    const char *metric;
    char *err;
    size_t errlen;
} html_ctx;

/* Values of column 0 of `sql` (bound: ?1 = run) appended to *v (grown). */
ss_status html_collect(html_ctx *c, const char *sql, int64_t run, double **v, size_t *n,
                       size_t *cap);
/* 1 if the table exists in the database. */
int html_table_exists(html_ctx *c, const char *table);
ss_status html_oom(html_ctx *c);

/* The builders: each initialises its plot(s) and fills series or a placeholder. */
ss_status html_dist_plots(html_ctx *c, ana_plot *e2e, ana_plot *ttft, ana_plot *tpot);
ss_status html_time_plots(html_ctx *c, ana_plot *thr, ana_plot *inflight);
ss_status html_event_plots(html_ctx *c, ana_plot *util, ana_plot *kv);
ss_status html_pareto_plots(html_ctx *c, ana_plot *lm, ana_plot *cnn);
ss_status html_sweep_plot(html_ctx *c, ana_plot *sw);

#endif
