/* sim_world.c - draw devices, regions and bandwidths; fill measured RTTs. */
#include "sim_world.h"

#include <stdio.h>
#include <string.h>

#include "scn_draw.h"
#include "ss_rng.h"
#include "dset_rtt.h"
#include "ss_alloc.h"

int sim_world_pick(const double *w, int n, double u)
{
    double acc = 0;
    for (int i = 0; i < n - 1; i++) {
        acc += w[i];
        if (u < acc)
            return i;
    }
    return n - 1; /* also absorbs rounding when the weights sum to 1 - eps */
}

void sim_world_fini(sim_world_scn *w)
{
    if (!w)
        return;
    ss_free(w->nodes);
    ss_free(w->rtt_s);
    memset(w, 0, sizeof *w);
}

/* One draw of node `id`'s stream `purpose`: a uniform or a distribution. */
static ss_status draw(uint64_t seed, int id, uint32_t purpose, const scn_dist *d, double *u,
                      double *x)
{
    gsl_rng *r;
    ss_status st = ss_rng_create(seed, SS_RNG_NODE, (uint64_t)id, purpose, &r);
    if (st != SS_OK)
        return st;
    if (u)
        *u = gsl_rng_uniform(r);
    if (x)
        *x = scn_dist_draw(r, d);
    gsl_rng_free(r);
    return SS_OK;
}

static ss_status measured_rtts(const scn_scenario *s, const char *assets_dir, double **out,
                               char *err, size_t errlen)
{
    if (strcmp(s->rtt_source, "wondernetwork-2018") != 0)
        return ss_err(err, errlen, SS_ENOTFOUND, "%s: network.rtt: unknown data set \"%s\" "
                      "(known: wondernetwork-2018)", s->source_path, s->rtt_source);
    char m[4096], c[4096], e2[512];
    snprintf(m, sizeof m, "%s/network/rtt_avg_matrix.csv", assets_dir);
    snprintf(c, sizeof c, "%s/network/cities.csv", assets_dir);
    dset_rtt *rt;
    ss_status st = dset_rtt_load(m, c, &rt, e2, sizeof e2);
    if (st != SS_OK)
        return ss_err(err, errlen, st, "%s: network.rtt: %s", s->source_path, e2);
    int n = s->n_regions;
    int *city = ss_malloc_array((size_t)n, sizeof *city);
    double *rtt = ss_malloc_array((size_t)n * (size_t)n, sizeof *rtt);
    if (!city || !rtt) {
        st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", s->source_path);
        goto done;
    }
    for (int i = 0; i < n; i++)
        if ((st = dset_rtt_find(rt, s->regions[i], &city[i], e2, sizeof e2)) != SS_OK) {
            ss_err(err, errlen, st, "%s: region \"%s\": %s", s->source_path, s->regions[i], e2);
            goto done;
        }
    /* data-centre RTTs between the cities; last miles are added per node */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            rtt[i * n + j] = dset_rtt_ms(rt, city[i], city[j]) / 1e3;
    *out = rtt;
    rtt = NULL;
done:
    ss_free(city);
    ss_free(rtt);
    dset_rtt_destroy(rt);
    return st;
}

ss_status sim_world_materialize(const scn_scenario *in, const char *assets_dir, sim_world_scn *out,
                                char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->s = *in;
    out->nodes = ss_malloc_array((size_t)(in->n_nodes ? in->n_nodes : 1), sizeof *out->nodes);
    if (!out->nodes)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory for %d nodes", in->source_path,
                      in->n_nodes);
    if (in->n_nodes)
        memcpy(out->nodes, in->nodes, (size_t)in->n_nodes * sizeof *out->nodes);
    out->s.nodes = out->nodes;
    ss_status st = SS_OK;
    for (int i = 0; i < in->n_nodes && st == SS_OK; i++) {
        scn_node *n = &out->nodes[i];
        if (!in->groups || n->group < 0 || n->group >= in->n_groups)
            continue;
        const scn_group *g = &in->groups[n->group];
        double u, x;
        if (g->n_devices > 0) {
            if ((st = draw(in->seed, i, SS_RNG_DEVICE, NULL, &u, NULL)) != SS_OK)
                break;
            const scn_device *d = &in->devices[g->device[sim_world_pick(g->device_w, g->n_devices, u)]];
            scn_device_to_node(d, n); /* the preset's numbers, as a preset name gives them */
            if (g->uplink_from_device)
                n->uplink_bytes_per_s = d->uplink_bytes_per_s;
            if (g->downlink_from_device)
                n->downlink_bytes_per_s = d->downlink_bytes_per_s;
        }
        if (g->n_regions > 0) {
            if ((st = draw(in->seed, i, SS_RNG_REGION, NULL, &u, NULL)) != SS_OK)
                break;
            n->region = g->region[sim_world_pick(g->region_w, g->n_regions, u)];
        }
        /* bandwidth distributions, Mbit/s -> bytes/s; a draw below 1 kbit/s
         * would stall the network model, so it is floored there */
        if (g->uplink_mbps.kind != SCN_DIST_CONST) {
            if ((st = draw(in->seed, i, SS_RNG_UPLINK, &g->uplink_mbps, NULL, &x)) != SS_OK)
                break;
            n->uplink_bytes_per_s = (x > 1e-3 ? x : 1e-3) * 1e6 / 8;
        }
        if (g->downlink_mbps.kind != SCN_DIST_CONST) {
            if ((st = draw(in->seed, i, SS_RNG_DOWNLINK, &g->downlink_mbps, NULL, &x)) != SS_OK)
                break;
            n->downlink_bytes_per_s = (x > 1e-3 ? x : 1e-3) * 1e6 / 8;
        }
    }
    if (st != SS_OK) {
        sim_world_fini(out);
        return ss_err(err, errlen, st, "%s: drawing the nodes: %s", in->source_path,
                      ss_strerror(st));
    }
    if (in->rtt_source[0] && !in->rtt_s && assets_dir) {
        if ((st = measured_rtts(in, assets_dir, &out->rtt_s, err, errlen)) != SS_OK) {
            sim_world_fini(out);
            return st;
        }
        out->s.rtt_s = out->rtt_s;
    }
    return SS_OK;
}
