/* exp_mpi.c - the MPI sweep executor (exp_mpi.h): rank 0 hands points out
 * and writes, the other ranks simulate into memory and send the rows. */
#include "exp_mpi.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ss_alloc.h"

int exp_mpi_world_size(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        char *end;
        long n = v && *v ? strtol(v, &end, 10) : 0;
        if (v && *v && !*end && n > 0 && n < 1 << 24)
            return (int)n;
    }
    return 0;
}

#ifndef SS_HAVE_MPI

int exp_mpi_built(void) { return 0; }

ss_status exp_mpi_sweep_run(const scn_sweep *sw, const char *db_path, const exp_sweep_opts *o,
                            exp_sweep_summary *out, int *is_worker, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    *is_worker = 0;
    if (exp_mpi_world_size() < 2)
        return exp_sweep_run(sw, db_path, o, out, err, errlen);
    return ss_err(err, errlen, SS_EUNSUPPORTED,
                  "%s: this shardsim was built without MPI (libopenmpi-dev, cmake -DSS_MPI=ON): "
                  "run the sweep without mpirun", sw->source_path);
}

#else

#include <mpi.h>

#include <cblas.h>

#include "ana_sweep.h"
#include "exp_int.h"
#include "exp_merge.h"

#ifndef SS_VERSION
#error "SS_VERSION must be defined by the build"
#endif

enum { TAG_WORK = 1, TAG_STOP = 2, TAG_RESULT = 3 };
/* Outcome of one point (as exp_sweep.c's). */
enum { PT_PENDING = 0, PT_NEW, PT_STORED, PT_FAILED, PT_LOST };
/* The attached schema a worker's run is deserialized into on rank 0. */
#define RANK_SCHEMA "rank_in"

/* A result message: this header, then err_len bytes of error text (ok == 0)
 * or key_len bytes of run key and db_len bytes of SQLite image (ok == 1). */
typedef struct msg_head {
    uint64_t point;
    uint64_t db_len;
    uint32_t ok, err_len, key_len, pad;
} msg_head;
_Static_assert(sizeof(msg_head) == 32, "the result header is sent as bytes");

int exp_mpi_built(void) { return 1; }

/* ---- worker ranks ------------------------------------------------------- */

/* A private scratch database file (the results database needs WAL, which
 * an in-memory one cannot do): created empty, removed with its side files. */
static ss_status scratch_open(char *path, size_t len, ana_db **db, char *err, size_t errlen)
{
    const char *dir = getenv("TMPDIR");
    snprintf(path, len, "%s/shardsim-rank-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return ss_err(err, errlen, SS_EIO, "%s: cannot create a scratch database: %s", path,
                      strerror(errno));
    close(fd);
    return ana_db_open(path, NULL, db, err, errlen);
}

static void scratch_remove(const char *path)
{
    char side[4200];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path), unlink(side);
    snprintf(side, sizeof side, "%s-shm", path), unlink(side);
}

/* Run point i into a private scratch database; *msg the result message. */
static size_t worker_point(const scn_sweep *sw, size_t i, const exp_run_opts *ro,
                           unsigned char **msg)
{
    size_t combo;
    uint64_t seed;
    char err[1024] = "";
    scn_scenario s;
    exp_run_result r = {0};
    ana_db *db = NULL;
    sqlite3_int64 db_len = 0;
    unsigned char *img = NULL;
    char path[4096] = "";
    scn_sweep_point(sw, i, &combo, &seed);
    ss_status st = scn_sweep_load_point(sw, combo, seed, &s, err, sizeof err);
    if (st == SS_OK) {
        st = scratch_open(path, sizeof path, &db, err, sizeof err);
        if (st == SS_OK)
            st = exp_run(&s, ro, db, &r, err, sizeof err);
        if (st == SS_OK && !(img = sqlite3_serialize(ana_db_sqlite(db), "main", &db_len, 0)))
            st = ss_err(err, sizeof err, SS_ENOMEM, "%s: cannot serialize the run", sw->name);
        if (st == SS_OK && db_len > INT32_MAX - 8192)
            st = ss_err(err, sizeof err, SS_ERANGE,
                        "%s: the run's rows (%lld bytes) exceed one MPI message", sw->name,
                        (long long)db_len);
        ana_db_close(db);
        if (path[0])
            scratch_remove(path);
        scn_scenario_fini(&s);
    }
    msg_head h = {.point = i, .ok = st == SS_OK};
    if (h.ok)
        h.key_len = (uint32_t)strlen(r.key), h.db_len = (uint64_t)db_len;
    else
        h.err_len = (uint32_t)strlen(err);
    size_t len = sizeof h + h.err_len + h.key_len + h.db_len;
    unsigned char *m = ss_malloc(len);
    if (m) {
        memcpy(m, &h, sizeof h);
        memcpy(m + sizeof h, h.ok ? r.key : err, h.ok ? h.key_len : h.err_len);
        if (h.ok)
            memcpy(m + sizeof h + h.key_len, img, h.db_len);
    }
    sqlite3_free(img);
    *msg = m;
    return m ? len : 0;
}

static void worker(const scn_sweep *sw, const exp_run_opts *ro)
{
    openblas_set_num_threads(1); /* one rank per core */
    for (;;) {
        uint64_t i;
        MPI_Status mst;
        MPI_Recv(&i, 1, MPI_UINT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &mst);
        if (mst.MPI_TAG != TAG_WORK)
            break;
        unsigned char *msg = NULL;
        size_t len = worker_point(sw, (size_t)i, ro, &msg);
        if (!msg) /* out of memory even for the message: report the point failed */
            MPI_Abort(MPI_COMM_WORLD, 70);
        MPI_Send(msg, (int)len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
        ss_free(msg);
    }
}

/* ---- rank 0 ------------------------------------------------------------- */

typedef struct coord {
    const scn_sweep *sw;
    ana_db *db;
    int64_t sweep_id;
    const exp_run_opts *ro;
    FILE *log;
    unsigned char *outcome; /* (n_points) PT_* */
    size_t next;            /* the next point to look at */
} coord;

/* Record point i (run_id > 0 and error NULL: ok); returns its outcome. */
static int record(coord *c, size_t i, int64_t run_id, const char *error, int outcome)
{
    size_t combo;
    uint64_t seed;
    char rerr[512];
    char *axes = NULL;
    scn_sweep_point(c->sw, i, &combo, &seed);
    if (scn_sweep_axes_json(c->sw, combo, &axes) != SS_OK)
        return PT_LOST;
    ss_status rs = ana_sweep_point_store(c->db, c->sweep_id, (int64_t)combo, seed, axes, run_id,
                                         error, rerr, sizeof rerr);
    if (c->log && error)
        fprintf(c->log, "sweep %s: point %zu (seed %llu, %s) failed: %s\n", c->sw->name, i,
                (unsigned long long)seed, axes, error);
    if (c->log && rs != SS_OK)
        fprintf(c->log, "sweep %s: point %zu: cannot record it: %s\n", c->sw->name, i, rerr);
    if (c->log)
        fflush(c->log);
    ss_free(axes);
    return rs != SS_OK ? PT_LOST : outcome;
}

/* The next point that needs a worker, recording on the way those that do
 * not (stored already, or their scenario does not load). SIZE_MAX: none. */
static size_t next_point(coord *c)
{
    while (c->next < c->sw->n_points) {
        size_t i = c->next++, combo;
        uint64_t seed;
        char err[1024], key[ANA_RUN_KEY_MAX];
        scn_scenario s;
        int64_t id = 0;
        scn_sweep_point(c->sw, i, &combo, &seed);
        if (scn_sweep_load_point(c->sw, combo, seed, &s, err, sizeof err) != SS_OK) {
            c->outcome[i] = (unsigned char)record(c, i, 0, err, PT_FAILED);
            continue;
        }
        const char *version = c->ro && c->ro->version ? c->ro->version : SS_VERSION;
        const char *build = c->ro && c->ro->build_id ? c->ro->build_id : exp_build_id();
        /* The key exp_run computes (a sweep's runs hash the canonical scenario). */
        ss_status st = ana_run_key_build(s.canonical_json, s.seed, version, build, key, sizeof key);
        scn_scenario_fini(&s);
        if (st == SS_OK && ana_run_find(c->db, key, &id, err, sizeof err) == SS_OK) {
            c->outcome[i] = (unsigned char)record(c, i, id, NULL, PT_STORED);
            continue;
        }
        return i; /* not stored (or the look-up failed: the worker's run will say) */
    }
    return SIZE_MAX;
}

/* Copy the run of a result image into the database (one transaction). */
static ss_status merge_image(coord *c, const char *key, const unsigned char *img, uint64_t len,
                             int64_t *id, int *copied, char *err, size_t errlen)
{
    sqlite3 *h = ana_db_sqlite(c->db);
    unsigned char *buf = sqlite3_malloc64(len ? len : 1);
    if (!buf)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", c->sw->name);
    memcpy(buf, img, len);
    if (len >= 100) /* the image of a WAL database: read it as a rollback-journal one */
        buf[18] = buf[19] = 1;
    int rc = sqlite3_deserialize(h, RANK_SCHEMA, buf, (sqlite3_int64)len, (sqlite3_int64)len,
                                 SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
    if (rc != SQLITE_OK)
        return ss_err(err, errlen, SS_EDB, "%s: a worker's run rows: %s", c->sw->name,
                      sqlite3_errstr(rc));
    if ((rc = sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL)) != SQLITE_OK)
        return ss_err(err, errlen, (rc & 0xff) == SQLITE_BUSY ? SS_EBUSY : SS_EDB,
                      "%s: cannot begin storing a run: %s", ana_db_filename(c->db),
                      sqlite3_errmsg(h));
    ss_status st = exp_merge_copy_run(c->db, RANK_SCHEMA, key, id, copied, err, errlen);
    if (st == SS_OK && (rc = sqlite3_exec(h, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
        st = ss_err(err, errlen, SS_EDB, "%s: cannot commit a run: %s", ana_db_filename(c->db),
                    sqlite3_errmsg(h));
    if (st != SS_OK)
        sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/* One result message: its run stored, its point recorded. */
static void take_result(coord *c, const unsigned char *msg, size_t len)
{
    msg_head h;
    if (len < sizeof h)
        return;
    memcpy(&h, msg, sizeof h);
    if (h.point >= c->sw->n_points || len != sizeof h + h.err_len + h.key_len + h.db_len ||
        h.key_len >= ANA_RUN_KEY_MAX || h.err_len >= 1024)
        return; /* not a message of this protocol: the point stays not done */
    char text[1024], err[1024];
    const unsigned char *p = msg + sizeof h;
    size_t i = (size_t)h.point;
    memcpy(text, p, h.ok ? h.key_len : h.err_len);
    text[h.ok ? h.key_len : h.err_len] = 0;
    if (!h.ok) {
        c->outcome[i] = (unsigned char)record(c, i, 0, text, PT_FAILED);
        return;
    }
    int64_t id = 0;
    int copied = 0;
    ss_status st = merge_image(c, text, p + h.key_len, h.db_len, &id, &copied, err, sizeof err);
    c->outcome[i] = (unsigned char)(st == SS_OK ? record(c, i, id, NULL, copied ? PT_NEW : PT_STORED)
                                                : record(c, i, 0, err, PT_FAILED));
}

/* Hand points to idle workers until every point is done, then stop them. */
static void coordinate(coord *c, int n_workers)
{
    int n_busy = 0;
    for (int w = 1; w <= n_workers; w++) {
        uint64_t i = next_point(c);
        if (i == SIZE_MAX)
            break;
        MPI_Send(&i, 1, MPI_UINT64_T, w, TAG_WORK, MPI_COMM_WORLD);
        n_busy++;
    }
    while (n_busy > 0) {
        MPI_Status mst;
        int count = 0;
        MPI_Probe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &mst);
        MPI_Get_count(&mst, MPI_BYTE, &count);
        unsigned char *msg = ss_malloc(count > 0 ? (size_t)count : 1);
        if (!msg)
            MPI_Abort(MPI_COMM_WORLD, 70);
        MPI_Recv(msg, count, MPI_BYTE, mst.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        take_result(c, msg, (size_t)count);
        ss_free(msg);
        n_busy--;
        uint64_t i = next_point(c);
        if (i != SIZE_MAX) {
            MPI_Send(&i, 1, MPI_UINT64_T, mst.MPI_SOURCE, TAG_WORK, MPI_COMM_WORLD);
            n_busy++;
        }
    }
    for (int w = 1; w <= n_workers; w++) {
        uint64_t none = 0;
        MPI_Send(&none, 1, MPI_UINT64_T, w, TAG_STOP, MPI_COMM_WORLD);
    }
}

static void summarise(const coord *c, exp_sweep_summary *out)
{
    for (size_t i = 0; i < c->sw->n_points; i++) {
        int o = c->outcome[i];
        out->n_new += o == PT_NEW, out->n_stored += o == PT_STORED;
        out->n_failed += o == PT_FAILED, out->n_lost += o != PT_NEW && o != PT_STORED &&
                                                         o != PT_FAILED;
    }
}

/* Rank 0: open, register, attach the scratch schema; tell the workers
 * whether to go on; coordinate. */
static ss_status rank0(const scn_sweep *sw, const char *db_path, const exp_sweep_opts *o,
                       int n_workers, exp_sweep_summary *out, char *err, size_t errlen)
{
    coord c = {.sw = sw, .ro = o->run, .log = o->log};
    ss_status st = ana_db_open(db_path, NULL, &c.db, err, errlen);
    if (st == SS_OK)
        st = exp_sweep_register_db(sw, c.db, &c.sweep_id, err, errlen);
    if (st == SS_OK &&
        sqlite3_exec(ana_db_sqlite(c.db), "ATTACH ':memory:' AS " RANK_SCHEMA, NULL, NULL,
                     NULL) != SQLITE_OK)
        st = ss_err(err, errlen, SS_EDB, "%s: cannot attach a scratch database", db_path);
    if (st == SS_OK && !(c.outcome = ss_calloc(sw->n_points ? sw->n_points : 1, 1)))
        st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", sw->source_path);
    int go = st == SS_OK;
    MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (go) {
        out->jobs = n_workers;
        coordinate(&c, n_workers);
        summarise(&c, out);
    }
    ss_free(c.outcome);
    ana_db_close(c.db);
    return st;
}

ss_status exp_mpi_sweep_run(const scn_sweep *sw, const char *db_path, const exp_sweep_opts *o,
                            exp_sweep_summary *out, int *is_worker, char *err, size_t errlen)
{
    static const exp_sweep_opts defaults;
    memset(out, 0, sizeof *out);
    *is_worker = 0;
    if (!o)
        o = &defaults;
    if (exp_mpi_world_size() < 2)
        return exp_sweep_run(sw, db_path, o, out, err, errlen);
    int inited = 0, rank = 0, size = 1, go = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return ss_err(err, errlen, SS_EIO, "%s: MPI_Init failed", sw->source_path);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) { /* a launcher's variables, but one process: run as without mpirun */
        MPI_Finalize();
        return exp_sweep_run(sw, db_path, o, out, err, errlen);
    }
    out->n_points = sw->n_points;
    ss_status st = SS_OK;
    if (rank == 0) {
        st = rank0(sw, db_path, o, size - 1, out, err, errlen);
    } else {
        *is_worker = 1;
        MPI_Bcast(&go, 1, MPI_INT, 0, MPI_COMM_WORLD);
        if (go)
            worker(sw, o->run);
    }
    MPI_Finalize();
    return st;
}

#endif
