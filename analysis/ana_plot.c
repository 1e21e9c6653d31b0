/* ana_plot.c - gnuplot through a script file in a private temporary folder
 * (ana_plot.h says why gnuplot and how strings are kept harmless). */
#define _GNU_SOURCE /* mkdtemp, uselocale */
#include "ana_plot.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ss_alloc.h"

ss_status ana_plot_set(char **field, const char *text)
{
    ss_free(*field);
    *field = NULL;
    if (text && !(*field = ss_strdup(text)))
        return SS_ENOMEM;
    return SS_OK;
}

ss_status ana_plot_init(ana_plot *p, const char *id, const char *title, const char *xlabel,
                        const char *ylabel)
{
    memset(p, 0, sizeof *p);
    p->id = id;
    if (ana_plot_set(&p->title, title) || ana_plot_set(&p->xlabel, xlabel) ||
        ana_plot_set(&p->ylabel, ylabel))
        return SS_ENOMEM;
    return SS_OK;
}

ana_series *ana_plot_series(ana_plot *p, const char *label, ana_plot_style style)
{
    if (p->n_series == p->cap_series) {
        size_t cap = p->cap_series ? 2 * p->cap_series : 4;
        ana_series **ns = ss_realloc(p->series, cap * sizeof *ns);
        if (!ns)
            return NULL;
        p->series = ns;
        p->cap_series = cap;
    }
    ana_series *s = ss_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->style = style;
    if (label && !(s->label = ss_strdup(label))) {
        ss_free(s);
        return NULL;
    }
    p->series[p->n_series++] = s;
    return s;
}

ss_status ana_series_add(ana_series *s, double x, double y, double z, const char *text)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        double *nx = ss_realloc(s->x, cap * sizeof *nx);
        if (!nx)
            return SS_ENOMEM;
        s->x = nx;
        double *ny = ss_realloc(s->y, cap * sizeof *ny);
        if (!ny)
            return SS_ENOMEM;
        s->y = ny;
        double *nz = ss_realloc(s->z, cap * sizeof *nz);
        if (!nz)
            return SS_ENOMEM;
        s->z = nz;
        char **nt = ss_realloc(s->text, cap * sizeof *nt);
        if (!nt)
            return SS_ENOMEM;
        s->text = nt;
        s->cap = cap;
    }
    s->text[s->n] = NULL;
    if (text && !(s->text[s->n] = ss_strdup(text)))
        return SS_ENOMEM;
    s->x[s->n] = x;
    s->y[s->n] = y;
    s->z[s->n] = z;
    s->n++;
    return SS_OK;
}

void ana_plot_fini(ana_plot *p)
{
    for (size_t i = 0; i < p->n_series; i++) {
        ana_series *s = p->series[i];
        for (size_t k = 0; k < s->n; k++)
            ss_free(s->text[k]);
        ss_free(s->text);
        ss_free(s->x);
        ss_free(s->y);
        ss_free(s->z);
        ss_free(s->label);
        ss_free(s);
    }
    for (size_t i = 0; i < p->n_xtics; i++)
        ss_free(p->xtics[i]);
    ss_free(p->xtics);
    ss_free(p->series);
    ss_free(p->title);
    ss_free(p->xlabel);
    ss_free(p->ylabel);
    ss_free(p->zlabel);
    ss_free(p->caption);
    ss_free(p->placeholder);
    memset(p, 0, sizeof *p);
}

void ana_plot_clean(char *dst, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s && *s && i + 1 < cap; s++)
        dst[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    if (cap)
        dst[i] = '\0';
}

/* A gnuplot single-quoted string: printable ASCII, quotes doubled. */
static void put_str(FILE *f, const char *s)
{
    char clean[512];
    ana_plot_clean(clean, sizeof clean, s ? s : "");
    fputc('\'', f);
    for (const char *c = clean; *c; c++) {
        if (*c == '\'')
            fputc('\'', f);
        fputc(*c, f);
    }
    fputc('\'', f);
}

static int write_data(const char *path, const ana_series *s)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        /* a heat map is read as a grid: a blank line ends each x column */
        if (s->style == ANA_PLOT_IMAGE && i > 0 && s->x[i] != s->x[i - 1])
            fputc('\n', f);
        fprintf(f, "%.17g %.17g", s->x[i], s->y[i]);
        if (s->style == ANA_PLOT_BAND || s->style == ANA_PLOT_IMAGE)
            fprintf(f, " %.17g", s->z[i]);
        if (s->style == ANA_PLOT_LABELS) {
            fputc(' ', f);
            /* a data-file string: double quotes, none inside */
            char clean[128];
            ana_plot_clean(clean, sizeof clean, s->text[i] ? s->text[i] : "");
            fputc('"', f);
            for (char *c = clean; *c; c++)
                fputc(*c == '"' ? '\'' : *c, f);
            fputc('"', f);
        }
        fputc('\n', f);
    }
    return fclose(f) == 0 ? 0 : -1;
}

static const char *using_of(ana_plot_style st)
{
    switch (st) {
    case ANA_PLOT_LINES: return "1:2 with lines lw 2";
    case ANA_PLOT_STEPS: return "1:2 with steps lw 2";
    case ANA_PLOT_POINTS: return "1:2 with points pt 7 ps 0.8";
    case ANA_PLOT_LABELS: return "1:2:3 with labels left offset 1,0.6 point pt 7 ps 0.8";
    case ANA_PLOT_BAND: return "1:2:3 with filledcurves fs transparent solid 0.25 noborder";
    case ANA_PLOT_IMAGE: return "1:2:3 with image";
    }
    return "1:2 with lines";
}

/* Colour-blind-safe palette (Okabe-Ito) then darker tones. */
static const char *const palette[] = {"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9",
                                      "#d55e00", "#000000", "#f0e442", "#7f3c8d", "#11a579",
                                      "#3969ac", "#e73f74"};
#define N_PALETTE (sizeof palette / sizeof palette[0])

static int write_script(FILE *f, const ana_plot *p, ana_plot_format fmt)
{
    if (fmt == ANA_PLOT_SVG)
        fputs("set terminal svg size 820,440 font 'sans,11' background rgb 'white'\n"
              "set output 'out.svg'\n", f);
    else
        fputs("set terminal pngcairo size 1100,600 font 'sans,12' background rgb 'white'\n"
              "set output 'out.png'\n", f);
    fputs("set encoding utf8\nset grid\nset key below noenhanced\n", f);
    fputs("set title ", f);
    put_str(f, p->title);
    fputs(" noenhanced\nset xlabel ", f);
    put_str(f, p->xlabel);
    fputs(" noenhanced\nset ylabel ", f);
    put_str(f, p->ylabel);
    fputs(" noenhanced\n", f);
    if (p->zlabel) {
        fputs("set cblabel ", f);
        put_str(f, p->zlabel);
        fputs(" noenhanced\nset palette rgbformulae 30,31,32\nset cbrange [0:1]\n"
              "set autoscale xfix\nset autoscale yfix\n", f);
    }
    if (p->xmax > 0)
        fprintf(f, "set xrange [0:%.17g]\n", p->xmax);
    if (p->ymin0)
        fputs("set yrange [0:*]\n", f);
    if (p->n_xtics) {
        fputs("set xtics (", f);
        for (size_t i = 0; i < p->n_xtics; i++) {
            if (i)
                fputs(", ", f);
            put_str(f, p->xtics[i]);
            fprintf(f, " %zu", i);
        }
        fprintf(f, ") noenhanced rotate by -20\nset xrange [-0.5:%g]\n", p->n_xtics - 0.5);
    }
    fputs("plot ", f);
    int first = 1, next = 0;
    for (size_t i = 0; i < p->n_series; i++) {
        if (p->series[i]->n == 0)
            continue;
        fprintf(f, "%s's%zu.dat' using %s ", first ? "" : ", \\\n     ", i,
                using_of(p->series[i]->style));
        int col = p->series[i]->colour ? p->series[i]->colour - 1 : next++;
        if (p->series[i]->style != ANA_PLOT_IMAGE)
            fprintf(f, "lc rgb '%s' ", palette[(size_t)col % N_PALETTE]);
        if (p->series[i]->label) {
            fputs("title ", f);
            put_str(f, p->series[i]->label);
        } else {
            fputs("notitle", f);
        }
        first = 0;
    }
    fputc('\n', f);
    return first ? -1 : 0;
}

/* Run gnuplot on plot.gp inside dir; 0 on success, else err is filled. */
static ss_status run_gnuplot(const char *dir, char *err, size_t errlen)
{
    const char *bin = getenv("SHARDSIM_GNUPLOT");
    if (!bin || !*bin)
        bin = "gnuplot";
    pid_t pid = fork();
    if (pid < 0)
        return ss_err(err, errlen, SS_EIO, "plot: cannot start gnuplot: %s", strerror(errno));
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY);
        if (chdir(dir) != 0)
            _exit(126);
        int e = open("gnuplot.err", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || e < 0)
            _exit(126);
        dup2(in, 0);
        dup2(out, 1);
        dup2(e, 2);
        execlp(bin, bin, "plot.gp", (char *)NULL);
        _exit(127);
    }
    int wst;
    while (waitpid(pid, &wst, 0) < 0)
        if (errno != EINTR)
            return ss_err(err, errlen, SS_EIO, "plot: waiting for gnuplot: %s", strerror(errno));
    if (WIFEXITED(wst) && WEXITSTATUS(wst) == 0)
        return SS_OK;
    if (WIFEXITED(wst) && WEXITSTATUS(wst) == 127)
        return ss_err(err, errlen, SS_EUNSUPPORTED,
                      "plot: cannot run '%s' (install gnuplot-nox: scripts/deps.sh)", bin);
    char path[4200], buf[256], line[256] = "";
    snprintf(path, sizeof path, "%s/gnuplot.err", dir);
    FILE *f = fopen(path, "r");
    while (f && fgets(buf, sizeof buf, f)) /* the last non-blank line says what failed */
        if (buf[strspn(buf, " ^\t\n")] != '\0')
            memcpy(line, buf, sizeof line);
    if (f)
        fclose(f);
    line[strcspn(line, "\n")] = '\0';
    return ss_err(err, errlen, SS_EUNSUPPORTED, "plot: gnuplot failed (%s %d): %s",
                  WIFEXITED(wst) ? "exit" : "signal",
                  WIFEXITED(wst) ? WEXITSTATUS(wst) : WTERMSIG(wst), line);
}

static ss_status slurp(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ss_err(err, errlen, SS_EUNSUPPORTED, "plot: gnuplot wrote no output");
    size_t cap = 1 << 16, n = 0;
    char *buf = ss_malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = ss_realloc(buf, 2 * cap + 1);
        if (!nb) {
            ss_free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf)
        return ss_err(err, errlen, SS_ENOMEM, "plot: out of memory");
    if (bad || n == 0) {
        ss_free(buf);
        return ss_err(err, errlen, SS_EUNSUPPORTED, "plot: cannot read gnuplot's output");
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return SS_OK;
}

static ss_status render_in(const char *dir, const ana_plot *p, ana_plot_format fmt, char **out,
                           size_t *len, char *err, size_t errlen)
{
    char path[4200];
    for (size_t i = 0; i < p->n_series; i++) {
        snprintf(path, sizeof path, "%s/s%zu.dat", dir, i);
        if (p->series[i]->n && write_data(path, p->series[i]) != 0)
            return ss_err(err, errlen, SS_EIO, "plot: cannot write %s", path);
    }
    snprintf(path, sizeof path, "%s/plot.gp", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return ss_err(err, errlen, SS_EIO, "plot: cannot write %s", path);
    int empty = write_script(f, p, fmt);
    if (fclose(f) != 0)
        return ss_err(err, errlen, SS_EIO, "plot: cannot write %s", path);
    if (empty)
        return ss_err(err, errlen, SS_EINVAL, "plot %s: no data to draw", p->id);
    ss_status s = run_gnuplot(dir, err, errlen);
    if (s != SS_OK)
        return s;
    snprintf(path, sizeof path, "%s/%s", dir, fmt == ANA_PLOT_SVG ? "out.svg" : "out.png");
    return slurp(path, out, len, err, errlen);
}

static void remove_dir(const char *dir, size_t n_series)
{
    static const char *const fixed[] = {"plot.gp", "gnuplot.err", "out.svg", "out.png"};
    char path[4200];
    for (size_t i = 0; i < n_series; i++) {
        snprintf(path, sizeof path, "%s/s%zu.dat", dir, i);
        unlink(path);
    }
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, fixed[i]);
        unlink(path);
    }
    rmdir(dir);
}

ss_status ana_plot_render(const ana_plot *p, ana_plot_format fmt, char **out, size_t *len,
                          char *err, size_t errlen)
{
    if (!p || !out || !len || p->placeholder)
        return ss_err(err, errlen, SS_EINVAL, "plot: nothing to render");
    *out = NULL;
    *len = 0;
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/shardsim-plot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return ss_err(err, errlen, SS_EIO, "plot: cannot create a temporary folder in %s: %s",
                      tmp && *tmp ? tmp : "/tmp", strerror(errno));
    /* numbers in the data files and script in the C locale whatever the
     * process locale is */
    locale_t c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    locale_t old = c_loc ? uselocale(c_loc) : (locale_t)0;
    ss_status s = c_loc ? render_in(dir, p, fmt, out, len, err, errlen)
                        : ss_err(err, errlen, SS_ENOMEM, "plot: cannot create the C locale");
    if (c_loc) {
        uselocale(old);
        freelocale(c_loc);
    }
    remove_dir(dir, p->n_series);
    return s;
}
