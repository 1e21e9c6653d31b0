/* exp_progress.c - progress lines (exp_progress.h). */
#include "exp_progress.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A TTY line is rewritten at most this often. */
#define TTY_PERIOD_S 0.2

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void exp_progress_init(exp_progress *p, FILE *out, int tty, const char *what)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->tty = tty < 0 ? isatty(fileno(out)) : tty;
    p->interval_s = EXP_PROGRESS_INTERVAL_S;
    const char *env = getenv(EXP_PROGRESS_ENV);
    char *end;
    double v = env && *env ? strtod(env, &end) : -1;
    if (env && *env && !*end && v >= 0)
        p->interval_s = v;
    if (p->tty)
        p->interval_s = TTY_PERIOD_S;
    p->start = p->last = mono();
    snprintf(p->what, sizeof p->what, "%s", what);
}

/* Due now? Updates the time of the last line if so. */
static int due(exp_progress *p, int force, double *now)
{
    *now = mono();
    if (!force && *now - p->last < p->interval_s)
        return 0;
    p->last = *now;
    return 1;
}

static void hms(char *dst, size_t n, double s)
{
    long t = s < 0 ? 0 : (long)(s + 0.5);
    snprintf(dst, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

static void emit(exp_progress *p, const char *line)
{
    if (p->tty) {
        fprintf(p->out, "\r%s\033[K", line);
        p->shown = 1;
    } else {
        fprintf(p->out, "%s\n", line);
    }
    fflush(p->out);
}

void exp_progress_points(exp_progress *p, size_t done, size_t total, size_t failed,
                         size_t running, int force)
{
    double now;
    if (!p || !due(p, force, &now))
        return;
    char el[32], eta[32] = "?", line[256];
    double elapsed = now - p->start;
    hms(el, sizeof el, elapsed);
    if (done > 0)
        hms(eta, sizeof eta, elapsed / (double)done * (double)(total - done));
    snprintf(line, sizeof line, "%s: %zu/%zu done, %zu failed, %zu running, elapsed %s, ETA %s",
             p->what, done, total, failed, running, el, eta);
    emit(p, line);
}

void exp_progress_sim_cb(void *ctx, sim_time_ns now_ns, uint64_t n_run)
{
    exp_progress *p = ctx;
    double now;
    if (!p || !due(p, 0, &now))
        return;
    char el[32], line[256];
    double elapsed = now - p->start;
    hms(el, sizeof el, elapsed);
    snprintf(line, sizeof line, "%s: simulated %.1f s, %llu events (%.3g events/s), elapsed %s",
             p->what, (double)now_ns / 1e9, (unsigned long long)n_run,
             elapsed > 0 ? (double)n_run / elapsed : 0.0, el);
    emit(p, line);
}

void exp_progress_end(exp_progress *p)
{
    if (p && p->tty && p->shown) {
        fputs("\r\033[K", p->out);
        fflush(p->out);
        p->shown = 0;
    }
}
