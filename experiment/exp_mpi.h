/* exp_mpi.h - a sweep spread over MPI ranks (`mpirun -np N shardsim sweep`),
 * on one machine or many.
 *
 * Rank 0 is the coordinator and the only database writer: it registers the
 * sweep, walks the points in order, records at once the points whose run is
 * already stored (found by its run key: a rerun simulates only what is
 * missing) and those whose scenario does not load (a bad axis value), and
 * hands the others out one at a time to whichever rank is idle. A worker
 * rank runs its point through exp_run into a private in-memory database and
 * sends back the run rows (that database, serialized by SQLite), or the
 * error; rank 0 copies the run into the results database by run key
 * (exp_merge_copy_run, one transaction) and records the point
 * (sweep_points, a second one), exactly as the forked executor does, so the
 * database content does not depend on the number of ranks (run ids aside).
 * Workers need no access to the results database, only to the sweep file
 * and what its scenarios read (a shared file system on a cluster).
 *
 * Without mpirun (or with one rank) a sweep runs as before (exp_sweep.h).
 */
#ifndef EXP_MPI_H
#define EXP_MPI_H

#include <stddef.h>

#include "exp_sweep.h"

/* 1 when this binary was built with MPI (CMake option SS_MPI, on by
 * default when OpenMPI is found). */
int exp_mpi_built(void);

/* The number of ranks mpirun started this process among (from the
 * launcher's environment: OMPI_COMM_WORLD_SIZE, PMI_SIZE or PMIX_SIZE),
 * or 0 when not started by mpirun. Reads no MPI state. */
int exp_mpi_world_size(void);

/* Run sweep `sw` over the ranks (initialises and finalises MPI). Every rank
 * calls it with the same sweep. On rank 0 *out and the status are as
 * exp_sweep_run's (out->jobs: worker ranks; o->jobs is ignored, o->log gets
 * the failed points); on the others *is_worker = 1 and the status is
 * SS_OK unless the rank could not take part (err says why). SS_EUNSUPPORTED
 * when built without MPI; with fewer than 2 ranks: exp_sweep_run. */
ss_status exp_mpi_sweep_run(const scn_sweep *sw, const char *db_path, const exp_sweep_opts *o,
                            exp_sweep_summary *out, int *is_worker, char *err, size_t errlen);

#endif
