/* ana_record_int.h - inside analysis/ only: the recorder's store step. */
#ifndef ANA_RECORD_INT_H
#define ANA_RECORD_INT_H

#include "ana_db_int.h"
#include "ana_record.h"

/* Insert the recorder's rows for run `id` (event_records, hop_events,
 * node_events, route_decisions); the caller holds the write transaction. */
ss_status ana_record_store(ana_db *db, int64_t id, const ana_record *r, char *err, size_t errlen);

#endif
