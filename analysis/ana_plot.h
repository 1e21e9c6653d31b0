/* ana_plot.h - plots drawn by gnuplot, driven through a script file.
 *
 * Why gnuplot (not PLplot, not hand-written SVG): one well-kept Debian
 * package (gnuplot-nox) with both an SVG and a PNG (cairo) terminal, axes,
 * ticks, keys, steps, bands and heat maps done right, and nothing to link:
 * it runs as a separate process, so a crash or a bad plot cannot take
 * shardsim down, and its exit status says whether the plot was drawn.
 *
 * Robustness: every plot is drawn in a fresh private temporary folder
 * (mkdtemp) holding one data file per series (numbers as %.17g, C locale)
 * and one script; gnuplot runs there (fork + execvp, stdin /dev/null, its
 * messages kept in a file for the error), so no user path ever appears in a
 * script, and every user string (titles, labels, series names) is reduced
 * to printable ASCII and quoted in single quotes with quotes doubled, with
 * `noenhanced` so no markup is interpreted. The folder is removed after.
 * The gnuplot binary is $SHARDSIM_GNUPLOT if set, else `gnuplot` on PATH.
 */
#ifndef ANA_PLOT_H
#define ANA_PLOT_H

#include <stddef.h>

#include "ss_status.h"

typedef enum ana_plot_style {
    ANA_PLOT_LINES,   /* x, y */
    ANA_PLOT_STEPS,   /* x, y: y holds from x to the next x (CDFs, counts) */
    ANA_PLOT_POINTS,  /* x, y */
    ANA_PLOT_LABELS,  /* x, y, text (points with a label beside each) */
    ANA_PLOT_BAND,    /* x, y (lower), z (upper): a filled band */
    ANA_PLOT_IMAGE,   /* x, y, z: a heat map over a regular x-y grid */
} ana_plot_style;

typedef struct ana_series {
    char *label;          /* key entry (NULL: none) */
    ana_plot_style style;
    size_t n, cap;
    double *x, *y, *z;    /* z: BAND and IMAGE only */
    char **text;          /* LABELS only */
    int colour;           /* 1..: a fixed palette entry (series that belong together
                           * share one, e.g. a band and its line); 0: the next one */
} ana_series;

typedef struct ana_plot {
    const char *id;       /* stable id, e.g. "latency-cdf" (file and DOM names) */
    char *title, *xlabel, *ylabel, *zlabel; /* zlabel: the colour box (IMAGE) */
    char *caption;        /* one sentence under the plot in HTML (may be NULL) */
    char *placeholder;    /* non-NULL: nothing to draw, show this instead */
    char **xtics;         /* n_xtics category names at x = 0, 1, ... (NULL: numeric) */
    size_t n_xtics;
    int ymin0;            /* 1: the y axis starts at 0 */
    double xmax;          /* > 0: the x axis ends there (a run's end) */
    ana_series **series;  /* each allocated on its own: a returned series stays
                           * valid while more are added */
    size_t n_series, cap_series;
} ana_plot;

/* Strings are copied. Out of memory: SS_ENOMEM. */
ss_status ana_plot_init(ana_plot *p, const char *id, const char *title, const char *xlabel,
                        const char *ylabel);
ss_status ana_plot_set(char **field, const char *text);
/* A new series (returned, owned by p, valid until ana_plot_fini) or NULL
 * when out of memory. */
ana_series *ana_plot_series(ana_plot *p, const char *label, ana_plot_style style);
ss_status ana_series_add(ana_series *s, double x, double y, double z, const char *text);
void ana_plot_fini(ana_plot *p);

typedef enum ana_plot_format { ANA_PLOT_SVG, ANA_PLOT_PNG } ana_plot_format;

/* Draw p with gnuplot into a buffer (*out, *len, ss_free it): an SVG
 * document or PNG bytes. p must have a series with a point (placeholders
 * are not drawn). Status: SS_OK; SS_EIO (temporary folder, gnuplot missing
 * or failing: err quotes its first message line); SS_ENOMEM; SS_EINVAL. */
ss_status ana_plot_render(const ana_plot *p, ana_plot_format fmt, char **out, size_t *len,
                          char *err, size_t errlen);

/* s reduced to printable ASCII (other bytes become '?'), into dst[cap]. */
void ana_plot_clean(char *dst, size_t cap, const char *s);

#endif
