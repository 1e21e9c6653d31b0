/* exp_sweep.c - the sweep executor (exp_sweep.h): fork, share a counter,
 * exp_run each point, record it. */
#include "exp_sweep.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>
#include <sqlite3.h>

#include "ana_sha256.h"
#include "ana_sweep.h"
#include "exp_int.h"
#include "ss_alloc.h"

/* Outcome of one point, written by the worker that ran it. */
enum { PT_PENDING = 0, PT_NEW, PT_STORED, PT_FAILED, PT_LOST };

typedef struct shared {
    atomic_size_t next;      /* the next point index to take */
    atomic_int stop;         /* 1: take no new point (SIGINT) */
    unsigned char outcome[]; /* (n_points) PT_* */
} shared;
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2 || ATOMIC_LLONG_LOCK_FREE == 2,
               "the shared counter must be lock-free to work across processes");

/* sweeps.spec_json: the axes' identity plus the base scenario's hash. */
static char *sweep_spec(const scn_sweep *sw)
{
    char sha[65];
    ana_sha256_hex(sw->base_json, strlen(sw->base_json), sha);
    size_t len = strlen(sw->spec_json) + 100;
    char *spec = ss_malloc(len);
    if (spec) /* spec_json is {"mode":..}: splice the hash in as its first member */
        snprintf(spec, len, "{\"base_sha256\":\"%s\",%s", sha, sw->spec_json + 1);
    return spec;
}

static ss_status do_register(const scn_sweep *sw, const char *db_path, char *err, size_t errlen)
{
    ana_db *db = NULL;
    int64_t id;
    char *spec = sweep_spec(sw);
    if (!spec)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", sw->source_path);
    ss_status st = ana_db_open(db_path, NULL, &db, err, errlen);
    if (st == SS_OK)
        st = ana_sweep_register(db, sw->name, spec, sw->paths_json, &id, err, errlen);
    ana_db_close(db);
    ss_free(spec);
    if (st == SS_EEXIST)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: name: sweep \"%s\" is already stored in %s with other axes or another "
                      "base scenario; rename the sweep or use another database",
                      sw->source_path, sw->name, db_path);
    return st;
}

/* The sweep id (registered by the parent: found, never inserted here). */
static ss_status find_sweep(const scn_sweep *sw, ana_db *db, int64_t *id, char *err, size_t errlen)
{
    char *spec = sweep_spec(sw);
    if (!spec)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", sw->source_path);
    ss_status st = ana_sweep_register(db, sw->name, spec, sw->paths_json, id, err, errlen);
    ss_free(spec);
    return st;
}

/* One point: load, exp_run, record. Returns its PT_* outcome. */
static int run_point(const scn_sweep *sw, size_t i, int64_t sweep_id, ana_db *db,
                     const exp_run_opts *ro, FILE *log)
{
    size_t combo;
    uint64_t seed;
    char err[1024] = "", rerr[512];
    char *axes = NULL;
    scn_scenario s;
    exp_run_result r = {0};
    scn_sweep_point(sw, i, &combo, &seed);
    if (scn_sweep_axes_json(sw, combo, &axes) != SS_OK)
        return PT_LOST;
    ss_status st = scn_sweep_load_point(sw, combo, seed, &s, err, sizeof err);
    if (st == SS_OK) {
        st = exp_run(&s, ro, db, &r, err, sizeof err);
        scn_scenario_fini(&s);
    }
    int outcome = st != SS_OK ? PT_FAILED : r.stored_before ? PT_STORED : PT_NEW;
    ss_status rs = ana_sweep_point_store(db, sweep_id, (int64_t)combo, seed, axes, r.run_id,
                                         st == SS_OK ? NULL : err, rerr, sizeof rerr);
    if (log && st != SS_OK)
        fprintf(log, "sweep %s: point %zu (seed %llu, %s) failed: %s\n", sw->name, i,
                (unsigned long long)seed, axes, err);
    if (log && rs != SS_OK)
        fprintf(log, "sweep %s: point %zu: cannot record it: %s\n", sw->name, i, rerr);
    if (log)
        fflush(log);
    ss_free(axes);
    return rs != SS_OK ? PT_LOST : outcome;
}

static void worker(const scn_sweep *sw, const char *db_path, shared *sh, pid_t parent,
                   const exp_run_opts *ro, FILE *log)
{
    /* Die with the parent: a killed sweep stops, it does not go on unseen. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
        _exit(3);
    signal(SIGINT, SIG_IGN); /* the parent decides: finish this point, take no other */
    openblas_set_num_threads(1);
    ana_db *db = NULL;
    int64_t sweep_id;
    char err[1024];
    /* Our own connection, opened after the fork (PITFALLS D13). */
    if (ana_db_open(db_path, NULL, &db, err, sizeof err) != SS_OK ||
        find_sweep(sw, db, &sweep_id, err, sizeof err) != SS_OK) {
        if (log)
            fprintf(log, "sweep %s: worker %d: %s\n", sw->name, (int)getpid(), err), fflush(log);
        ana_db_close(db);
        _exit(2);
    }
    /* WAL with synchronous=NORMAL: a commit is atomic and survives a crash
     * of the process (what a killed sweep needs) but is not fsynced; a
     * power cut may lose the last points, which the resumable sweep runs
     * again. FULL costs one fsync per transaction, two per point: most of
     * a sweep of tiny points (tests/bench/bench_sweep.c). */
    sqlite3_exec(ana_db_sqlite(db), "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
    size_t i;
    while (!atomic_load(&sh->stop) && (i = atomic_fetch_add(&sh->next, 1)) < sw->n_points)
        sh->outcome[i] = (unsigned char)run_point(sw, i, sweep_id, db, ro, log);
    ana_db_close(db);
    _exit(0);
}

static volatile sig_atomic_t n_sigint;

static void on_sigint(int sig)
{
    (void)sig;
    n_sigint++;
}

/* Points done, failed and running now (outcome bytes are written by the
 * workers; a stale read only delays a count by one poll). */
static void show_progress(const scn_sweep *sw, const shared *sh, exp_progress *p)
{
    size_t done = 0, failed = 0, taken = atomic_load(&sh->next);
    for (size_t i = 0; i < sw->n_points; i++)
        if (sh->outcome[i] != PT_PENDING)
            done++, failed += sh->outcome[i] != PT_NEW && sh->outcome[i] != PT_STORED;
    if (taken > sw->n_points)
        taken = sw->n_points;
    exp_progress_points(p, done, sw->n_points, failed, taken > done ? taken - done : 0, 0);
}

/* Wait for the workers, polling for SIGINT and progress every 50 ms. */
static void wait_workers(const scn_sweep *sw, shared *sh, const pid_t *pids, int started,
                         exp_progress *progress)
{
    const struct timespec tick = {0, 50 * 1000 * 1000};
    int killed = 0;
    for (int alive = started; alive > 0;) {
        int wst;
        pid_t w = waitpid(-1, &wst, WNOHANG);
        if (w > 0) {
            alive--;
            continue;
        }
        if (w < 0 && errno != EINTR)
            break;
        if (n_sigint)
            atomic_store(&sh->stop, 1);
        if (n_sigint > 1 && !killed) /* asked twice: abandon the running points */
            for (int k = 0; k < started; k++, killed = 1)
                kill(pids[k], SIGKILL);
        if (progress)
            show_progress(sw, sh, progress);
        nanosleep(&tick, NULL);
    }
}

static void summarise(const scn_sweep *sw, const shared *sh, exp_sweep_summary *out)
{
    for (size_t i = 0; i < sw->n_points; i++) {
        switch (sh->outcome[i]) {
        case PT_NEW:
            out->n_new++;
            break;
        case PT_STORED:
            out->n_stored++;
            break;
        case PT_FAILED:
            out->n_failed++;
            break;
        default:
            out->n_lost++;
        }
    }
}

ss_status exp_sweep_run(const scn_sweep *sw, const char *db_path, const exp_sweep_opts *o,
                        exp_sweep_summary *out, char *err, size_t errlen)
{
    static const exp_sweep_opts defaults;
    memset(out, 0, sizeof *out);
    if (!o)
        o = &defaults;
    out->n_points = sw->n_points;
    ss_status st = do_register(sw, db_path, err, errlen);
    if (st != SS_OK)
        return st;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int jobs = o->jobs > 0 ? o->jobs : cores > 0 ? (int)cores : 1;
    if ((size_t)jobs > sw->n_points)
        jobs = (int)sw->n_points;
    out->jobs = jobs;
    size_t map_len = sizeof(shared) + sw->n_points;
    shared *sh = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return ss_err(err, errlen, SS_ENOMEM, "%s: cannot map %zu bytes of shared memory: %s",
                      sw->source_path, map_len, strerror(errno));
    atomic_init(&sh->next, 0);
    atomic_init(&sh->stop, 0);
    pid_t parent = getpid(), pids[1024];
    fflush(NULL); /* no buffered output may be written twice by a child */
    struct sigaction sa = {.sa_handler = on_sigint}, old_sa;
    sigemptyset(&sa.sa_mask);
    n_sigint = 0;
    sigaction(SIGINT, &sa, &old_sa);
    int started = 0;
    for (; started < jobs && started < 1024 && !n_sigint; started++) {
        pid_t pid = fork();
        if (pid == 0)
            worker(sw, db_path, sh, parent, o->run, o->log);
        if (pid < 0) {
            st = ss_err(err, errlen, SS_EIO, "%s: cannot start worker %d: %s", sw->source_path,
                        started + 1, strerror(errno));
            break;
        }
        pids[started] = pid;
    }
    wait_workers(sw, sh, pids, started, o->progress);
    out->interrupted = n_sigint > 0;
    sigaction(SIGINT, &old_sa, NULL);
    if (started > 0) /* the workers that ran did every point they could take */
        summarise(sw, sh, out);
    munmap(sh, map_len);
    if (started == 0 && out->interrupted)
        return SS_OK;
    return started > 0 ? SS_OK : st;
}

/* exp_int.h: the registration exp_sweep_run does, on an open database
 * (the MPI executor's rank 0 holds one connection throughout). */
ss_status exp_sweep_register_db(const scn_sweep *sw, ana_db *db, int64_t *id, char *err,
                                size_t errlen)
{
    ss_status st = find_sweep(sw, db, id, err, errlen);
    if (st == SS_EEXIST)
        return ss_err(err, errlen, SS_ESCHEMA,
                      "%s: name: sweep \"%s\" is already stored in %s with other axes or another "
                      "base scenario; rename the sweep or use another database",
                      sw->source_path, sw->name, ana_db_filename(db));
    return st;
}
