/* sim_queue.c - intrusive FIFO of indices; see sim_queue.h for the contract. */
#include "sim_queue.h"

void sim_queue_init(sim_queue *q) { q->head = q->tail = -1; }
bool sim_queue_empty(const sim_queue *q) { return q->head < 0; }
int64_t sim_queue_first(const sim_queue *q) { return q->head; }

void sim_queue_push(sim_queue *q, int64_t *next, int64_t i)
{
    next[i] = -1;
    if (q->tail < 0)
        q->head = i;
    else
        next[q->tail] = i;
    q->tail = i;
}

int64_t sim_queue_pop(sim_queue *q, int64_t *next)
{
    int64_t i = q->head;
    if (i >= 0)
        sim_queue_unlink(q, next, -1, i);
    return i;
}

void sim_queue_unlink(sim_queue *q, int64_t *next, int64_t prev, int64_t i)
{
    if (prev < 0)
        q->head = next[i];
    else
        next[prev] = next[i];
    if (q->tail == i)
        q->tail = prev;
}

bool sim_queue_remove(sim_queue *q, int64_t *next, int64_t i)
{
    for (int64_t prev = -1, j = q->head; j >= 0; prev = j, j = next[j])
        if (j == i) {
            sim_queue_unlink(q, next, prev, i);
            return true;
        }
    return false;
}
