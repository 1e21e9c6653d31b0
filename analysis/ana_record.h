/* ana_record.h - the event recorder: an observer (sim/sim_obs.h) that
 * buffers a run's hop events, node events and route decisions in memory,
 * and writes them inside the run's store transaction (ana_store_run, via
 * ana_run_info.record). Tables: analysis/README.md "The event record".
 *
 * Use: ana_record_new, pass ana_record_obs() as sim_run_opts.obs, simulate,
 * put the recorder in ana_run_info.record, store, ana_record_free. The
 * buffers only grow while the run simulates; nothing touches the database
 * until the store.
 */
#ifndef ANA_RECORD_H
#define ANA_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "sim_obs.h"
#include "ss_status.h"

typedef struct ana_record ana_record;

typedef enum ana_record_level {
    ANA_RECORD_HOPS, /* hop_events, node_events */
    ANA_RECORD_ALL,  /* plus route_decisions */
} ana_record_level;

/* Status: SS_OK; SS_ENOMEM. */
ss_status ana_record_new(ana_record_level level, ana_record **out);
void ana_record_free(ana_record *r);

/* The observer to install (valid while r lives). */
sim_obs *ana_record_obs(ana_record *r);

/* Rows buffered so far. */
size_t ana_record_n_hops(const ana_record *r);
size_t ana_record_n_node_events(const ana_record *r);
size_t ana_record_n_routes(const ana_record *r);

/* The level's name as stored in event_records.level ("hops", "all"). */
const char *ana_record_level_name(const ana_record *r);

#endif
