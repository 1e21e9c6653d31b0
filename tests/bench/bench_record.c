/* bench_record.c - what the event record costs: the volunteer swarm
 * (scenarios/volunteer-swarm.json) through exp_run (simulate + store in a
 * fresh database) at record.level "off" and "requests" (the default),
 * interleaved, best of 5 wall times each (the minimum filters out other
 * processes on a shared machine). The observer is NULL below "hops", so
 * "off" must be within 3 % of "requests" (it stores less): the line
 * "record_off_over_requests" is that ratio, and the program exits 1
 * above 1.03. Level "hops" (6.4 million events, about 350 MB) is measured
 * by hand in analysis/README.md, not here: it takes minutes.
 *
 * Output: one "name: value unit" per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ana_db.h"
#include "exp_run.h"

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Wall seconds of one exp_run of the swarm at `level` into a new database. */
static double one(const char *level)
{
    char err[1024], db_path[] = "/tmp/shardsim-bench-recordXXXXXX";
    int fd = mkstemp(db_path);
    if (fd < 0)
        return -1;
    close(fd);
    unlink(db_path);
    scn_override ov[] = {{"record.level", level}};
    scn_scenario s;
    ana_db *db = NULL;
    exp_run_result res;
    double t = -1;
    if (exp_load(SS_SOURCE_DIR "/scenarios/volunteer-swarm.json", ov, 1, NULL, &s, err,
                 sizeof err) != SS_OK) {
        fprintf(stderr, "bench_record: %s\n", err);
        return -1;
    }
    if (ana_db_open(db_path, NULL, &db, err, sizeof err) == SS_OK) {
        double t0 = wall_s();
        if (exp_run(&s, NULL, db, &res, err, sizeof err) == SS_OK)
            t = wall_s() - t0;
        else
            fprintf(stderr, "bench_record: %s\n", err);
        ana_db_close(db);
    } else {
        fprintf(stderr, "bench_record: %s\n", err);
    }
    scn_scenario_fini(&s);
    char side[4200];
    unlink(db_path);
    snprintf(side, sizeof side, "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", db_path);
    unlink(side);
    return t;
}

int main(void)
{
    static const char *const levels[] = {"off", "requests"};
    double best[2] = {1e30, 1e30};
    for (int rep = 0; rep < 5; rep++)
        for (int l = 0; l < 2; l++) {
            double t = one(levels[l]);
            if (t < 0)
                return 1;
            if (t < best[l])
                best[l] = t;
        }
    double ratio = best[0] / best[1];
    printf("record_off_s: %.3f s\n", best[0]);
    printf("record_requests_s: %.3f s\n", best[1]);
    printf("record_off_over_requests: %.4f\n", ratio);
    return ratio <= 1.03 ? 0 : 1;
}
