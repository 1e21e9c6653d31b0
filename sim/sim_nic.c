/* sim_nic.c - FIFO NIC directions (model in sim_nic.h). O(1) per transfer,
 * no allocation. */
#include "sim_nic.h"

#include <math.h>
#include <string.h>

void sim_nic_init(sim_nic *n, double up_bytes_per_s, double down_bytes_per_s)
{
    memset(n, 0, sizeof *n);
    n->up.bytes_per_s = up_bytes_per_s;
    n->down.bytes_per_s = down_bytes_per_s;
}

int64_t sim_nic_serialise_ns(uint64_t bytes, double bytes_per_s)
{
    double ns = ceil((double)bytes * 1e9 / bytes_per_s);
    if (!(ns < 9.2e18)) /* also catches NaN */
        return -1;
    return (int64_t)ns;
}

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

ss_status sim_nic_reserve(sim_nic_dir *up, sim_nic_dir *down, int64_t now_ns, uint64_t bytes,
                          int64_t one_way_ns, int64_t *start_ns, int64_t *finish_ns)
{
    if (up == down || !(up->bytes_per_s > 0) || !(down->bytes_per_s > 0) ||
        !isfinite(up->bytes_per_s) || !isfinite(down->bytes_per_s) || now_ns < 0 ||
        one_way_ns < 0)
        return SS_EINVAL;
    if (bytes == 0) {
        if (now_ns > INT64_MAX - one_way_ns)
            return SS_ERANGE;
        *start_ns = now_ns;
        *finish_ns = now_ns + one_way_ns;
        return SS_OK;
    }
    double rate = fmin(up->bytes_per_s, down->bytes_per_s);
    int64_t ser = sim_nic_serialise_ns(bytes, rate);
    int64_t start = max64(now_ns, max64(up->free_at_ns, down->free_at_ns));
    if (ser < 0 || start > INT64_MAX - ser || start + ser > INT64_MAX - one_way_ns)
        return SS_ERANGE;
    up->free_at_ns = down->free_at_ns = start + ser;
    up->busy_ns += ser;
    down->busy_ns += ser;
    up->bytes += bytes;
    down->bytes += bytes;
    up->n_transfers++;
    down->n_transfers++;
    *start_ns = start;
    *finish_ns = start + ser + one_way_ns;
    return SS_OK;
}
