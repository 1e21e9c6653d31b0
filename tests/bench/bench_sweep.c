/* bench_sweep.c - the sweep executor's speed (issue 13, "Speed").
 *
 * 1. Throughput: the same 24 short runs (the default scenario, 150
 *    requests, 2 routing policies x 12 seeds) with -j 1 and -j 2, each into
 *    a fresh database; the ratio of wall times (target >= 1.8 on 2 idle
 *    cores; other processes on the machine lower it, so the load average
 *    is printed beside it).
 * 2. Overhead: 1,000 tiny points (2 requests each) with -j 1. Two figures:
 *    the executor's own share (the sweep's wall time against the same
 *    points loaded and exp_run in a plain loop on one connection, nothing
 *    forked or recorded: fork, polling, sweep_points rows; in wall and in
 *    CPU time, the latter barely moved by other processes), and the share
 *    outside the simulations proper, 1 - sum of runs.wall_seconds / wall
 *    time (target <= 5 %), which for 2-request runs is dominated by what
 *    every run costs whatever runs it: parsing the scenario and storing
 *    the run.
 *
 * Output: one "name: value unit" per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/resource.h>

#include <sqlite3.h>

#include "ana_db.h"
#include "exp_sweep.h"
#include "scn_sweep.h"

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char dir[64];

/* CPU seconds (user + system) of this process (who = RUSAGE_SELF) or of its
 * waited-for children (RUSAGE_CHILDREN): unlike wall time, barely moved by
 * other processes on a shared machine. */
static double cpu_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}
static double loop_cpu, sweep_cpu; /* of the last run_loop / run_sweep */

/* Run the sweep `body` (the members after "base") into a fresh database
 * with `jobs` workers; returns the wall time, *sim_s the summed run time. */
static double run_sweep(const char *name, const char *body, int jobs, double *sim_s)
{
    char path[128], db[128], err[1024];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    snprintf(db, sizeof db, "%s/%s-%d.db", dir, name, jobs);
    FILE *f = fopen(path, "w");
    if (!f)
        exit(1);
    fprintf(f, "{\"version\": 1, \"name\": \"%s\", \"base\": \"%s/scenarios/default.json\", %s}",
            name, SS_SOURCE_DIR, body);
    fclose(f);
    scn_sweep sw;
    if (scn_sweep_load(path, &sw, err, sizeof err) != SS_OK) {
        fprintf(stderr, "bench_sweep: %s\n", err);
        exit(1);
    }
    exp_run_opts ro = {0};
    exp_sweep_opts o = {.jobs = jobs, .run = &ro, .log = stderr};
    exp_sweep_summary sum;
    double t0 = wall_s(), c0 = cpu_s(RUSAGE_SELF) + cpu_s(RUSAGE_CHILDREN);
    ss_status st = exp_sweep_run(&sw, db, &o, &sum, err, sizeof err);
    double t = wall_s() - t0;
    sweep_cpu = cpu_s(RUSAGE_SELF) + cpu_s(RUSAGE_CHILDREN) - c0;
    scn_sweep_fini(&sw);
    if (st != SS_OK || sum.n_new != sum.n_points) {
        fprintf(stderr, "bench_sweep: %s (%zu of %zu new)\n", st ? err : "not all new",
                sum.n_new, sum.n_points);
        exit(1);
    }
    ana_db *h;
    sqlite3_stmt *q;
    *sim_s = 0;
    if (ana_db_open(db, NULL, &h, err, sizeof err) == SS_OK) {
        sqlite3_prepare_v2(ana_db_sqlite(h), "SELECT sum(wall_seconds) FROM runs", -1, &q, NULL);
        if (sqlite3_step(q) == SQLITE_ROW)
            *sim_s = sqlite3_column_double(q, 0);
        sqlite3_finalize(q);
        ana_db_close(h);
    }
    return t;
}

/* The points of `name` (written by run_sweep) loaded and exp_run one after
 * the other on one connection: the same work without the executor. */
static double run_loop(const char *name)
{
    char path[128], db[128], err[1024];
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    snprintf(db, sizeof db, "%s/%s-loop.db", dir, name);
    scn_sweep sw;
    ana_db *h;
    if (scn_sweep_load(path, &sw, err, sizeof err) != SS_OK ||
        ana_db_open(db, NULL, &h, err, sizeof err) != SS_OK) {
        fprintf(stderr, "bench_sweep: %s\n", err);
        exit(1);
    }
    sqlite3_exec(ana_db_sqlite(h), "PRAGMA synchronous=NORMAL", NULL, NULL, NULL); /* as workers */
    double t0 = wall_s(), c0 = cpu_s(RUSAGE_SELF);
    for (size_t i = 0; i < sw.n_points; i++) {
        size_t combo;
        uint64_t seed;
        scn_scenario s;
        exp_run_result r;
        scn_sweep_point(&sw, i, &combo, &seed);
        if (scn_sweep_load_point(&sw, combo, seed, &s, err, sizeof err) != SS_OK ||
            exp_run(&s, NULL, h, &r, err, sizeof err) != SS_OK) {
            fprintf(stderr, "bench_sweep: %s\n", err);
            exit(1);
        }
        scn_scenario_fini(&s);
    }
    double t = wall_s() - t0;
    loop_cpu = cpu_s(RUSAGE_SELF) - c0;
    ana_db_close(h);
    scn_sweep_fini(&sw);
    return t;
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/shardsim-bench-sweepXXXXXX");
    if (!mkdtemp(dir))
        return 1;
    const char *shortruns = "\"grid\": {\"workload.n_requests\": [150], \"routing.policy\": "
                            "[\"fixed\", \"central-queue\"]}, \"seeds\": 12";
    double s1, s2, load[3] = {0};
    double t1 = run_sweep("short", shortruns, 1, &s1);
    double t2 = run_sweep("short", shortruns, 2, &s2);
    if (getloadavg(load, 3) < 1)
        load[0] = -1;
    printf("sweep_24_runs_j1: %.3f s\n", t1);
    printf("sweep_24_runs_j2: %.3f s\n", t2);
    printf("sweep_speedup_j2_over_j1: %.2f x (target >= 1.8; load average %.2f on %ld cores)\n",
           t1 / t2, load[0], sysconf(_SC_NPROCESSORS_ONLN));
    double sim;
    double t = run_sweep("tiny", "\"grid\": {\"workload.n_requests\": [2], \"record.level\": "
                                 "[\"summary\"]}, \"seeds\": 1000", 1, &sim);
    double loop = run_loop("tiny");
    printf("sweep_1000_tiny_points_j1: %.3f s (%.2f ms a point)\n", t, t);
    printf("same_points_plain_loop: %.3f s (%.2f ms a point)\n", loop, loop);
    double tiny_cpu = sweep_cpu;
    printf("sweep_executor_overhead: %.1f %% of wall time, %.1f %% of CPU time (%.2f vs %.2f "
           "CPU s)\n", 100 * (1 - loop / t), 100 * (1 - loop_cpu / tiny_cpu), tiny_cpu, loop_cpu);
    printf("sweep_time_outside_simulations: %.1f %% (target <= 5 %%; scenario parse + store "
           "of 2-request runs included)\n", 100 * (1 - sim / t));
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : 1;
}
