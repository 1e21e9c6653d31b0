/* ana_trace.h - a stored run's event record as a Chrome trace (Trace Event
 * Format JSON: Perfetto, chrome://tracing). Layout (analysis/README.md,
 * "Chrome trace"):
 *   pid 0 = the client, pid n + 1 = node n (process_name metadata "node n NAME");
 *   tid 1 "compute": one X slice per batch (every request of the batch
 *     named in args), replay shares nested in it; tid 2 "inbound": a
 *     zero-length X slice where each transfer lands; tid 100 + k "send k":
 *     transfer X slices on the sender, k the lowest free slot (concurrent
 *     sends on separate threads), each the start of a flow ("s") ending
 *     ("f", bp "e") at the receiver's inbound slice, id = the transfer's
 *     hop_events seq;
 *   node events down / up / ban / unban as process-scoped instant events,
 *     KV reservations as a counter "kv_bytes" per node;
 *   each request as an async slice (b / e, cat "request", id = request id)
 *     on the client from arrival to finish (or to its last recorded event).
 * ts and dur in microseconds of simulated time.
 */
#ifndef ANA_TRACE_H
#define ANA_TRACE_H

#include <stdint.h>

#include "ss_status.h"

typedef enum ana_trace_stage {
    ANA_TRACE_STAGE_NONE,
    ANA_TRACE_STAGE_DB,     /* the database, the run, or its record level */
    ANA_TRACE_STAGE_OUTPUT, /* writing FILE */
} ana_trace_stage;

/* Write the Chrome trace of run run_id (ANA_RUN_LATEST: the latest) of
 * db_path (opened read-only) to `path`, whole or not at all (temporary file
 * in the same folder, then rename). Status: SS_OK; SS_ENOTFOUND (no such
 * run); SS_EUNSUPPORTED (the run was recorded below level "hops"); the
 * ana_db_open errors (*stage DB); SS_EIO (cannot write; *stage OUTPUT);
 * SS_ENOMEM. stage may be NULL. */
ss_status ana_trace_write(const char *db_path, int64_t run_id, const char *path,
                          ana_trace_stage *stage, char *err, size_t errlen);

#endif
