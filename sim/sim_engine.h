/* sim_engine.h - the discrete-event engine: a clock and a queue of events.
 *
 * Events are ordered by (time, sequence number stamped when scheduled), so
 * events at equal times run in the order they were scheduled, whatever the
 * queue's internal layout (libuv's timer start_id). Simulated time is int64
 * nanoseconds; the host clock is never read.
 *
 * Storage: events live by value in a slot pool (32 bytes, two per cache
 * line) and the queue is an implicit 4-ary min-heap of 16-byte (time,
 * seq|slot) keys, so scheduling allocates
 * only when the pool or heap grows (amortised doubling) and never per event.
 * Limits: 2^28 (268 M) events pending at once, 2^36 (6.9e10) events scheduled
 * per run. Memory: 48 bytes per pending event (a 16-byte key, a 32-byte slot)
 * plus 4 per slot ever used, doubled while an array grows.
 * Cancellation is lazy: a cancelled event keeps its heap entry until its time
 * comes, then is dropped without running.
 */
#ifndef SIM_ENGINE_H
#define SIM_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

typedef int64_t sim_time_ns;
#define SIM_TIME_MAX INT64_MAX
#define SIM_NS_PER_S 1000000000LL

typedef struct sim_engine sim_engine;

/* An event handler. `ctx`, `a` and `b` are the values given when scheduling. */
typedef void (*sim_handler)(sim_engine *e, void *ctx, uint64_t a, uint64_t b);

/* Identifies one scheduled event; 0 never names an event. */
typedef uint64_t sim_event_id;

typedef struct sim_engine_cfg {
    size_t initial_capacity; /* events to pre-allocate room for; 0 = 1024 */
} sim_engine_cfg;

ss_status sim_engine_create(const sim_engine_cfg *cfg, sim_engine **out);
void sim_engine_destroy(sim_engine *e); /* NULL allowed */

/* Schedule fn(ctx, a, b) at absolute time `at` (>= now). Writes the event's id
 * to *id when id is not NULL. SS_EINVAL if `at` is in the past or fn is NULL,
 * SS_EFULL past the pending/sequence limits, SS_ENOMEM if growing failed. */
ss_status sim_engine_schedule(sim_engine *e, sim_time_ns at, sim_handler fn, void *ctx,
                              uint64_t a, uint64_t b, sim_event_id *id);

/* Cancel a pending event: returns 1 if it was pending and will not run, 0 if
 * it already ran, was already cancelled, or never existed. O(1). */
int sim_engine_cancel(sim_engine *e, sim_event_id id);

/* Run events in order until the queue is empty, the next event is later than
 * `until`, or a handler calls sim_engine_stop. The clock ends at the time of
 * the last event run. */
void sim_engine_run(sim_engine *e, sim_time_ns until);
void sim_engine_stop(sim_engine *e);

sim_time_ns sim_engine_now(const sim_engine *e);

/* An observer called after every 2^16-th event run (and never otherwise):
 * the clock reached and the events run so far. It must not touch the
 * engine; it exists so that the experiment layer can show progress (and
 * read the wall clock there) while the simulation itself stays a function
 * of its inputs. */
typedef void (*sim_progress_fn)(void *ctx, sim_time_ns now, uint64_t n_run);
#define SIM_PROGRESS_EVERY (1u << 16)
void sim_engine_set_progress(sim_engine *e, sim_progress_fn fn, void *ctx);
/* Events scheduled and not yet run or dropped (cancelled ones count until dropped). */
size_t sim_engine_pending(const sim_engine *e);

/* The most events that can be pending at once (SS_EFULL beyond it). */
uint64_t sim_engine_max_pending(void);
/* Events run so far (cancelled ones excluded). */
uint64_t sim_engine_n_run(const sim_engine *e);

/* Seconds (finite, >= 0) to nanoseconds, rounded to nearest; SS_ERANGE if the
 * result would not fit in int64. The one place doubles become time. */
ss_status sim_time_from_s(double s, sim_time_ns *out);

#endif
