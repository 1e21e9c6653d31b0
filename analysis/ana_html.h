/* ana_html.h - the report as plots: one self-contained HTML file (inline
 * SVG, no scripts, fonts or links to fetch) and/or one PNG per plot.
 *
 * Reads only the database (opened read-only, one read transaction), draws
 * every plot with gnuplot (ana_plot.h). The plots, each a <figure
 * id="plot-ID"> with a title and a caption, in this order:
 *   latency-cdf, ttft-cdf, tpot-cdf   per run (or per sweep combination)
 *   throughput, inflight              over time, the focus run
 *   node-util, kv-memory              from hop_events / node_events
 *   pareto, pareto-cnn                accuracy vs wire bytes (pareto runs)
 *   sweep                             a metric vs the sweep's first axis, 95 % CI
 * A plot without data is a placeholder saying what would fill it (e.g.
 * record.level "hops"). Each drawn plot carries its data as JSON in a
 * <script type="application/json" class="plot-data"> element (not executed),
 * the exact numbers gnuplot was given.
 */
#ifndef ANA_HTML_H
#define ANA_HTML_H

#include <stdint.h>

#include "ss_status.h"

typedef struct ana_html_opts {
    int64_t run_id;      /* the focus run; 0 (ANA_RUN_LATEST): the latest run with requests */
    const char *sweep;   /* NULL: the latest sweep, if any; else that sweep's combinations
                          * are the groups of the distribution plots */
    const char *metric;  /* the sweep plot's metric (NULL: e2e_s_p99) */
    const char *html;    /* the HTML file to write, or NULL */
    const char *png_dir; /* the folder for PNG files (created if missing), or NULL */
} ana_html_opts;

/* Write the report of the database at db_path. Outputs are written to a
 * temporary file in the target folder and renamed: a failure leaves no
 * half-written file. Status: SS_OK; SS_ENOENT (no database file);
 * SS_ENOTFOUND (no such run or sweep, or no runs); SS_EINVAL (bad options,
 * unknown metric); SS_EIO (an output cannot be written, gnuplot failed);
 * the ana_db_open errors (SS_EDB, SS_ESCHEMA, SS_EVERSION). */
ss_status ana_html_report(const char *db_path, const ana_html_opts *o, char *err, size_t errlen);

#endif
