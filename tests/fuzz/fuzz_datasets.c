/* fuzz_datasets.c - the other measured-data readers of datasets/, which a
 * scenario can point at its own files: churn fits (dset_churn_load), churn
 * traces (dset_churn_trace_load, nodes "a", "b", "c d"), the RTT matrix and
 * the cities file (dset_rtt_load; the other file of the pair is a fixed
 * small valid one). Byte 0 chooses the reader modulo 4; the rest is the
 * file. Accepted data is read back through the public getters. */
#include <stdio.h>
#include <string.h>

#include "dset_churn.h"
#include "dset_rtt.h"
#include "fuzz_util.h"

static const char matrix[] = "src\\dst,Paris,Berlin,New+York\n"
                             "Paris,,12.5,80\nBerlin,13,,\nNew+York,79.5,,\n";
static const char cities[] = "city,Lat,Long,Population\nParis,48.85,2.35,2148000\n"
                             "Berlin,52.52,13.4,3645000\nNew York,40.71,-74.0,8336000\n";

static void rtt_read_back(const dset_rtt *r)
{
    int n = dset_rtt_n_cities(r);
    char err[512];
    for (int i = 0; i < n; i++) {
        double lat, lon, pop;
        (void)dset_rtt_city_info(r, i, &lat, &lon, &pop);
        int idx;
        const char *name = dset_rtt_city_name(r, i);
        fuzz_check(name != NULL, "no city name");
        fuzz_check(dset_rtt_find(r, name, &idx, err, sizeof err) == SS_OK, "city not found");
        for (int j = 0; j < n && j < 64; j++)
            (void)dset_rtt_ms(r, i, j);
    }
    int idx;
    (void)dset_rtt_find(r, "Pari", &idx, err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char err[1024];
    const char *path = fuzz_write("data.csv", data + 1, size - 1);
    ss_status st;
    switch (data[0] % 4) {
    case 0: {
        dset_churn_table t;
        st = dset_churn_load(path, &t, err, sizeof err);
        if (st == SS_OK)
            for (size_t i = 0; i < t.n; i++)
                for (int f = 0; f < DSET_CHURN_N_FAMILIES; f++) {
                    scn_dist up, down;
                    (void)dset_churn_find(&t, t.presets[i].name, (dset_churn_family)f, &up, &down,
                                          err, sizeof err);
                }
        dset_churn_fini(&t);
        break;
    }
    case 1: {
        static const char *const nodes[] = {"a", "b", "c d"};
        dset_churn_trace t;
        st = dset_churn_trace_load(path, nodes, 3, &t, err, sizeof err);
        if (st == SS_OK)
            for (size_t i = 0; i < t.n; i++) {
                fuzz_check(t.events[i].node >= 0 && t.events[i].node < 3, "node out of range");
                fuzz_check(i == 0 || t.events[i].t_ns >= t.events[i - 1].t_ns, "time decreases");
            }
        dset_churn_trace_fini(&t);
        break;
    }
    default: {
        char mine[192];
        snprintf(mine, sizeof mine, "%s", path);
        const char *other = data[0] % 4 == 2 ? fuzz_write("cities.csv", cities, strlen(cities))
                                             : fuzz_write("matrix.csv", matrix, strlen(matrix));
        dset_rtt *r = NULL;
        st = data[0] % 4 == 2 ? dset_rtt_load(mine, other, &r, err, sizeof err)
                              : dset_rtt_load(other, mine, &r, err, sizeof err);
        if (st == SS_OK)
            rtt_read_back(r);
        else
            fuzz_check(r == NULL, "a rejection with a result");
        dset_rtt_destroy(r);
        break;
    }
    }
    fuzz_note("datasets", st == SS_OK ? "accepted" : err);
    if (st != SS_OK)
        fuzz_check(err[0] && !strchr(err, '\n'), "a rejection without a one-line message");
    return 0;
}
