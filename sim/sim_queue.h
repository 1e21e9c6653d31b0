/* sim_queue.h - an intrusive FIFO of int64 indices (requests), linked
 * through an array the caller owns.
 *
 * Why intrusive: a request waits in at most one queue at a time (a node's
 * KV-admission line, a node's compute queue, or a span's dispatch FIFO under
 * late binding), so one link per request, next[i], serves every queue and
 * queueing never allocates. The queue itself is two indices (16 bytes per
 * node and per queue).
 *
 * Contract: indices are >= 0; -1 means "none". `next` is the caller's link
 * array, indexed by the queued indices; the queue writes next[i] only for
 * indices it holds (and the one being pushed) and reads it nowhere else. An
 * index must not be pushed while it is in any queue sharing `next`. Order is
 * strictly first in, first out; removal from the middle keeps the relative
 * order of the rest. The fields are read-only outside sim_queue.c: use
 * sim_queue_first() and next[i] to walk a queue front to back.
 */
#ifndef SIM_QUEUE_H
#define SIM_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sim_queue {
    int64_t head, tail; /* -1: empty */
} sim_queue;

/* An empty queue. A zeroed sim_queue is NOT empty: initialise it. */
void sim_queue_init(sim_queue *q);
bool sim_queue_empty(const sim_queue *q);
/* The oldest index, -1 when empty. O(1). */
int64_t sim_queue_first(const sim_queue *q);
/* Append index i at the tail. O(1). */
void sim_queue_push(sim_queue *q, int64_t *next, int64_t i);
/* Remove and return the oldest index, -1 when empty. O(1). */
int64_t sim_queue_pop(sim_queue *q, int64_t *next);
/* Remove index i, whose predecessor in the queue is prev (-1: i is the
 * head), as known by a caller walking the queue. O(1); a wrong prev
 * corrupts the queue. */
void sim_queue_unlink(sim_queue *q, int64_t *next, int64_t prev, int64_t i);
/* Remove index i wherever it is: true if it was queued. O(length). */
bool sim_queue_remove(sim_queue *q, int64_t *next, int64_t i);

#endif
