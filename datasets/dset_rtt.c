/* dset_rtt.c - the WonderNetwork RTT matrix with its gaps filled (rules in
 * dset_rtt.h). Typical size: 242 cities, 58,564 cells, 515 empty. */
#include "dset_rtt.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>

#include "dset_csv.h"
#include "ss_alloc.h"
#include "ss_json.h"

#define NAME_MAX_BYTES 128

struct dset_rtt {
    int n;
    char (*names)[NAME_MAX_BYTES]; /* (n) decoded names */
    struct rtt_entry {
        const char *name;
        int idx;
    } *sorted;                     /* (n) (name, index) sorted by name */
    double *lat, *lon, *pop;       /* (n) */
    double *ms;                    /* (n, n) row-major, src-major */
    unsigned char *origin;         /* (n, n) dset_rtt_origin */
    dset_rtt_fit fit;
};

void dset_rtt_destroy(dset_rtt *r)
{
    if (!r)
        return;
    ss_free(r->names);
    ss_free(r->sorted);
    ss_free(r->lat);
    ss_free(r->lon);
    ss_free(r->pop);
    ss_free(r->ms);
    ss_free(r->origin);
    ss_free(r);
}

/* '+' in a matrix name stands for a space. */
static void decode_name(char *dst, const char *src)
{
    size_t i = 0;
    for (; src[i] && i < NAME_MAX_BYTES - 1; i++)
        dst[i] = src[i] == '+' ? ' ' : src[i];
    dst[i] = '\0';
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct rtt_entry *)a)->name, ((const struct rtt_entry *)b)->name);
}

static int lookup(const dset_rtt *r, const char *name)
{
    int lo = 0, hi = r->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = strcmp(r->sorted[mid].name, name);
        if (c == 0)
            return r->sorted[mid].idx;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

double dset_rtt_distance_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg)
{
    const double d2r = M_PI / 180.0;
    double p1 = lat1_deg * d2r, p2 = lat2_deg * d2r;
    double dp = p2 - p1, dl = (lon2_deg - lon1_deg) * d2r;
    double s = sin(dp / 2), t = sin(dl / 2);
    double h = s * s + cos(p1) * cos(p2) * t * t;
    if (h > 1)
        h = 1;
    return 2 * DSET_RTT_EARTH_RADIUS_KM * asin(sqrt(h));
}

static ss_status read_matrix(dset_rtt *r, const char *path, char *err, size_t errlen)
{
    dset_csv c;
    int eof = 0;
    ss_status st = dset_csv_open(&c, path, err, errlen);
    if (st != SS_OK)
        return st;
    if ((st = dset_csv_next(&c, &eof, err, errlen)) != SS_OK)
        goto done;
    /* The first header cell ("src\dst") labels the corner and is not checked. */
    if (c.n_fields < 2 || c.n_fields - 1 > DSET_RTT_MAX_CITIES) {
        st = ss_err(err, errlen, SS_EPARSE,
                    "%s: line 1: expected a header of 1..%d destination cities, got %zu fields",
                    path, DSET_RTT_MAX_CITIES, c.n_fields);
        goto done;
    }
    int n = (int)c.n_fields - 1;
    r->n = n;
    r->names = ss_calloc((size_t)n, sizeof *r->names);
    r->sorted = ss_malloc_array((size_t)n, sizeof *r->sorted);
    r->ms = ss_malloc_array((size_t)n * (size_t)n, sizeof *r->ms);
    r->origin = ss_calloc((size_t)n * (size_t)n, 1);
    r->lat = ss_calloc((size_t)n, sizeof *r->lat);
    r->lon = ss_calloc((size_t)n, sizeof *r->lon);
    r->pop = ss_calloc((size_t)n, sizeof *r->pop);
    if (!r->names || !r->sorted || !r->ms || !r->origin || !r->lat || !r->lon || !r->pop) {
        st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int j = 0; j < n; j++) {
        const char *f = c.fields[j + 1];
        if (!f[0] || strlen(f) >= NAME_MAX_BYTES) {
            st = ss_err(err, errlen, SS_ESCHEMA,
                        "%s: line 1: destination city %d: expected a name of 1..%d bytes", path,
                        j + 1, NAME_MAX_BYTES - 1);
            goto done;
        }
        decode_name(r->names[j], f);
        r->sorted[j] = (struct rtt_entry){r->names[j], j};
    }
    qsort(r->sorted, (size_t)n, sizeof *r->sorted, cmp_entry);
    for (int j = 1; j < n; j++)
        if (strcmp(r->sorted[j - 1].name, r->sorted[j].name) == 0) {
            st = ss_err(err, errlen, SS_ESCHEMA, "%s: line 1: duplicate city \"%s\"", path,
                        r->sorted[j].name);
            goto done;
        }
    for (int i = 0; i < n; i++) {
        if ((st = dset_csv_next(&c, &eof, err, errlen)) != SS_OK)
            goto done;
        if (eof) {
            st = ss_err(err, errlen, SS_EPARSE,
                        "%s: line %ld: expected %d source rows (one per header city), got %d",
                        path, c.line + 1, n, i);
            goto done;
        }
        if ((st = dset_csv_expect_fields(&c, (size_t)n + 1, err, errlen)) != SS_OK)
            goto done;
        char name[NAME_MAX_BYTES];
        decode_name(name, c.fields[0]);
        if (strcmp(name, r->names[i]) != 0) {
            st = ss_err(err, errlen, SS_ESCHEMA,
                        "%s: line %ld: expected source city \"%s\" (the header's order), got "
                        "\"%.64s\"",
                        path, c.line, r->names[i], c.fields[0]);
            goto done;
        }
        for (int j = 0; j < n; j++) {
            double *cell = &r->ms[(size_t)i * (size_t)n + (size_t)j];
            if (c.fields[j + 1][0] == '\0') {
                *cell = NAN; /* filled later */
                continue;
            }
            char what[2 * NAME_MAX_BYTES + 16];
            snprintf(what, sizeof what, "RTT %s -> %s", r->names[i], r->names[j]);
            double lo = i == j ? 0.0 : 1e-300; /* a measured pair is never 0 ms apart */
            if ((st = dset_csv_double(&c, (size_t)j + 1, what, lo, DSET_RTT_MAX_MS, cell, err,
                                     errlen)) != SS_OK)
                goto done;
        }
    }
    if ((st = dset_csv_next(&c, &eof, err, errlen)) != SS_OK)
        goto done;
    if (!eof)
        st = ss_err(err, errlen, SS_EPARSE, "%s: line %ld: expected %d source rows, got more",
                    path, c.line, n);
done:
    dset_csv_close(&c);
    return st;
}

static ss_status read_cities(dset_rtt *r, const char *path, char *err, size_t errlen)
{
    static const char *const header[] = {"city", "Lat", "Long", "Population"};
    dset_csv c;
    int eof = 0;
    ss_status st = dset_csv_open(&c, path, err, errlen);
    if (st != SS_OK)
        return st;
    unsigned char *seen = ss_calloc((size_t)r->n, 1);
    if (!seen) {
        st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    /* A city without a row keeps NaN coordinates (see dset_rtt.h). */
    for (int i = 0; i < r->n; i++)
        r->lat[i] = r->lon[i] = r->pop[i] = NAN;
    if ((st = dset_csv_next(&c, &eof, err, errlen)) != SS_OK ||
        (st = dset_csv_expect_header(&c, header, 4, err, errlen)) != SS_OK)
        goto done;
    for (;;) {
        if ((st = dset_csv_next(&c, &eof, err, errlen)) != SS_OK)
            goto done;
        if (eof)
            break;
        if ((st = dset_csv_expect_fields(&c, 4, err, errlen)) != SS_OK)
            goto done;
        double lat, lon, pop;
        if ((st = dset_csv_double(&c, 1, "Lat", -90, 90, &lat, err, errlen)) != SS_OK ||
            (st = dset_csv_double(&c, 2, "Long", -180, 180, &lon, err, errlen)) != SS_OK ||
            (st = dset_csv_double(&c, 3, "Population", 0, 1e11, &pop, err, errlen)) != SS_OK)
            goto done;
        int k = lookup(r, c.fields[0]);
        if (k < 0)
            continue; /* a city the matrix does not use */
        if (seen[k]) {
            st = ss_err(err, errlen, SS_ESCHEMA, "%s: line %ld: duplicate city \"%s\"", path,
                        c.line, r->names[k]);
            goto done;
        }
        seen[k] = 1;
        r->lat[k] = lat;
        r->lon[k] = lon;
        r->pop[k] = pop;
    }
done:
    ss_free(seen);
    dset_csv_close(&c);
    return st;
}

static int has_coords(const dset_rtt *r, size_t i) { return !isnan(r->lat[i]); }

/* Fit rtt = a + b km on the measured off-diagonal cells, then fill. */
static ss_status fill(dset_rtt *r, const char *path, const char *cities, char *err,
                      size_t errlen)
{
    size_t n = (size_t)r->n, m = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j && !isnan(r->ms[i * n + j]) && has_coords(r, i) && has_coords(r, j))
                m++;
    double *x = ss_malloc_array(m ? m : 1, sizeof *x), *y = ss_malloc_array(m ? m : 1, sizeof *y);
    ss_status st = SS_OK;
    if (!x || !y) {
        st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    size_t k = 0;
    double xmin = INFINITY, xmax = -INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (i != j && !isnan(r->ms[i * n + j]) && has_coords(r, i) && has_coords(r, j)) {
                x[k] = dset_rtt_distance_km(r->lat[i], r->lon[i], r->lat[j], r->lon[j]);
                y[k] = r->ms[i * n + j];
                xmin = fmin(xmin, x[k]);
                xmax = fmax(xmax, x[k]);
                k++;
            }
    double c0 = NAN, c1 = NAN, v00, v01, v11, sumsq = 0;
    /* The fit is only needed when a pair lacks both directions; a data set
     * too small to fit is an error only then (checked in the fill). */
    int fit_ok = m >= 2 && xmax > xmin;
    if (fit_ok && (gsl_fit_linear(x, 1, y, 1, m, &c0, &c1, &v00, &v01, &v11, &sumsq) !=
                       GSL_SUCCESS ||
                   !isfinite(c0) || !isfinite(c1))) {
        st = ss_err(err, errlen, SS_ENUMERIC, "%s: gsl_fit_linear failed", path);
        goto done;
    }
    double ymean = 0, sst = 0;
    for (size_t i = 0; i < m; i++)
        ymean += y[i];
    ymean /= m ? (double)m : 1.0;
    for (size_t i = 0; i < m; i++)
        sst += (y[i] - ymean) * (y[i] - ymean);
    r->fit = (dset_rtt_fit){.a_ms = c0, .b_ms_per_km = c1,
                           .r2 = fit_ok && sst > 0 ? 1 - sumsq / sst : NAN, .n_points = m};
    /* Mark what was measured first, so the fill never reads its own output. */
    for (size_t i = 0; i < n * n; i++)
        r->origin[i] = isnan(r->ms[i]) ? UCHAR_MAX : DSET_RTT_MEASURED;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) {
            double *cell = &r->ms[i * n + j];
            unsigned char *o = &r->origin[i * n + j];
            if (*o == DSET_RTT_MEASURED) {
                continue;
            } else if (i == j) {
                *cell = 0;
                *o = DSET_RTT_SELF;
            } else if (r->origin[j * n + i] == DSET_RTT_MEASURED) {
                *cell = r->ms[j * n + i];
                *o = DSET_RTT_REVERSE;
                r->fit.n_reverse++;
            } else if (!has_coords(r, i) || !has_coords(r, j)) {
                st = ss_err(err, errlen, SS_ESCHEMA,
                            "%s: RTT %s -> %s was measured in neither direction and \"%s\" has "
                            "no coordinates in %s to estimate it",
                            path, r->names[i], r->names[j],
                            has_coords(r, i) ? r->names[j] : r->names[i], cities);
                goto done;
            } else if (!fit_ok) {
                st = ss_err(err, errlen, SS_ENUMERIC,
                            "%s: RTT %s -> %s was measured in neither direction and the "
                            "distance fit needs at least 2 measured pairs at distinct "
                            "distances, got %zu pairs",
                            path, r->names[i], r->names[j], m);
                goto done;
            } else {
                double km = dset_rtt_distance_km(r->lat[i], r->lon[i], r->lat[j], r->lon[j]);
                *cell = fmax(DSET_RTT_MIN_ESTIMATE_MS, c0 + c1 * km);
                *o = DSET_RTT_ESTIMATED;
                r->fit.n_estimated++;
            }
        }
done:
    ss_free(x);
    ss_free(y);
    return st;
}

ss_status dset_rtt_load(const char *matrix_csv, const char *cities_csv, dset_rtt **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    dset_rtt *r = ss_calloc(1, sizeof *r);
    if (!r)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", matrix_csv);
    ss_status st;
    if ((st = read_matrix(r, matrix_csv, err, errlen)) != SS_OK ||
        (st = read_cities(r, cities_csv, err, errlen)) != SS_OK ||
        (st = fill(r, matrix_csv, cities_csv, err, errlen)) != SS_OK) {
        dset_rtt_destroy(r);
        return st;
    }
    *out = r;
    return SS_OK;
}

int dset_rtt_n_cities(const dset_rtt *r) { return r->n; }

const char *dset_rtt_city_name(const dset_rtt *r, int i) { return r->names[i]; }

int dset_rtt_city_info(const dset_rtt *r, int i, double *lat_deg, double *lon_deg,
                      double *population)
{
    *lat_deg = r->lat[i];
    *lon_deg = r->lon[i];
    *population = r->pop[i];
    return has_coords(r, (size_t)i);
}

ss_status dset_rtt_find(const dset_rtt *r, const char *name, int *idx, char *err, size_t errlen)
{
    int k = lookup(r, name);
    if (k >= 0) {
        *idx = k;
        return SS_OK;
    }
    const char **cands = ss_malloc_array((size_t)r->n, sizeof *cands);
    const char *best = NULL;
    if (cands) {
        for (int i = 0; i < r->n; i++)
            cands[i] = r->sorted[i].name;
        best = ss_json_closest(name, cands, (size_t)r->n);
    }
    ss_status st = best ? ss_err(err, errlen, SS_ENOTFOUND,
                                 "unknown city \"%.64s\" (did you mean \"%s\"?)", name, best)
                        : ss_err(err, errlen, SS_ENOTFOUND,
                                 "unknown city \"%.64s\" (%d cities known, e.g. \"%s\")", name,
                                 r->n, r->sorted[0].name);
    ss_free(cands);
    return st;
}

double dset_rtt_ms(const dset_rtt *r, int src, int dst)
{
    return r->ms[(size_t)src * (size_t)r->n + (size_t)dst];
}

dset_rtt_origin dset_rtt_origin_of(const dset_rtt *r, int src, int dst)
{
    return (dset_rtt_origin)r->origin[(size_t)src * (size_t)r->n + (size_t)dst];
}

dset_rtt_fit dset_rtt_get_fit(const dset_rtt *r) { return r->fit; }

int64_t dset_rtt_path_ns(const dset_rtt *r, int src, int dst, double last_mile_src_ms,
                        double last_mile_dst_ms)
{
    double ms = dset_rtt_ms(r, src, dst) + last_mile_src_ms + last_mile_dst_ms;
    return (int64_t)llround(ms * 1e6);
}
