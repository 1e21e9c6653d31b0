/* sim_nic.h - network interfaces as FIFO resources, one per direction.
 *
 * Model (DESIGN.md 3, "Network"): a transfer of B bytes from node S to node
 * R occupies S's uplink and R's downlink together. It starts when both are
 * free and the transfer is requested:
 *     start  = max(now, S.up.free_at, R.down.free_at)
 *     ser    = ceil(B * 1e9 / min(S.up.rate, R.down.rate)) ns   (serialisation)
 *     S.up.free_at = R.down.free_at = start + ser
 *     finish = start + ser + one_way_ns                           (propagation)
 * so concurrent transfers through a shared NIC direction queue in the order
 * they are reserved (FIFO: the simulator reserves in event order, which is
 * deterministic). `one_way_ns` is RTT/2 of the path (dset_rtt) plus any
 * jitter the caller drew. Simplifications, deliberate: a transfer keeps the
 * full min rate for its whole duration (no fair sharing between concurrent
 * flows: they are serialised instead, so the last byte of the pair leaves at
 * the same time as with fair sharing, but the first transfer finishes
 * earlier); the receiver's downlink is held over the sender-side interval
 * [start, start + ser] (propagation shifts both ends equally); a transfer
 * waits for both NICs to be free (no partial overlap), which is
 * conservative; the core network has no capacity limit. A 0-byte transfer
 * occupies nothing: it starts at `now` and finishes at now + one_way_ns
 * (control messages do not queue behind bulk data).
 *
 * Rounding: serialisation is rounded UP to whole ns (a transfer of any
 * bytes takes at least 1 ns), so a NIC never carries more than its rate.
 */
#ifndef SIM_NIC_H
#define SIM_NIC_H

#include <stdint.h>

#include "ss_status.h"

/* One direction of one NIC. Transparent; initialise with sim_nic_dir_init. */
typedef struct sim_nic_dir {
    double bytes_per_s;  /* line rate, > 0 */
    int64_t free_at_ns;  /* when the last reserved transfer leaves this NIC */
    int64_t busy_ns;     /* total serialisation time reserved (utilisation) */
    uint64_t bytes;      /* total bytes reserved */
    uint64_t n_transfers;
} sim_nic_dir;

typedef struct sim_nic {
    sim_nic_dir up, down;
} sim_nic;

/* A NIC with the given rates (bytes/s, > 0), idle since time 0. */
void sim_nic_init(sim_nic *n, double up_bytes_per_s, double down_bytes_per_s);

/* Reserve a transfer of `bytes` requested at `now_ns` from the sender's
 * uplink `up` to the receiver's downlink `down` (distinct objects), with
 * one-way propagation `one_way_ns` >= 0. Writes the start of serialisation
 * and the arrival of the last byte. Errors (nothing is changed): SS_EINVAL
 * (up == down, a rate <= 0 or not finite, now or one_way negative),
 * SS_ERANGE (the finish time would exceed INT64_MAX ns). */
ss_status sim_nic_reserve(sim_nic_dir *up, sim_nic_dir *down, int64_t now_ns, uint64_t bytes,
                          int64_t one_way_ns, int64_t *start_ns, int64_t *finish_ns);

/* Serialisation time of `bytes` at `bytes_per_s` (> 0), ns rounded up;
 * -1 if it exceeds INT64_MAX. */
int64_t sim_nic_serialise_ns(uint64_t bytes, double bytes_per_s);

#endif
