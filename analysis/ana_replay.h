/* ana_replay.h - one request of a stored run, step by step in simulated
 * time, from the event record (hop_events, node_events, route_decisions):
 * arrival, routing (with --explain the policy's cost of the chosen chain
 * and the alternatives it saw), each hop's transfer (bytes, time), KV wait,
 * queueing, compute and replay on its node, failures and recoveries of the
 * nodes it used, the client's bans, retries (resends from the client),
 * tokens, and its end. One line per event, times as printed by %.9f from
 * the stored seconds, so they equal the records'. */
#ifndef ANA_REPLAY_H
#define ANA_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "ss_status.h"

typedef struct ana_replay_opts {
    int explain;  /* show route costs and alternatives (runs recorded at level "all") */
    FILE *step;   /* non-NULL: read one line from it after each event (--step on a TTY) */
} ana_replay_opts;

/* Status: SS_OK; SS_ENOTFOUND (no such run, or no such request in it);
 * SS_EUNSUPPORTED (the run has no event record: level below "hops");
 * ana_db_open errors; SS_ENOMEM; SS_EIO (write failed). */
ss_status ana_replay_print(const char *db_path, int64_t run_id, int64_t request,
                           const ana_replay_opts *o, FILE *out, char *err, size_t errlen);

#endif
