/* dset_rtt.h - measured city-to-city round-trip times (WonderNetwork 2018).
 *
 * Loads the 242 x 242 average-ping matrix (ms; header row = destination
 * cities, first column = source city; names in the matrix spell spaces as
 * '+', "Buenos+Aires", and are decoded to "Buenos Aires" so they match
 * cities.csv) and cities.csv (city, lat, lon, population). Cities of the
 * cities file that the matrix lacks are ignored. A matrix city missing from
 * the cities file (the shipped data lack "Westpoort", an Amsterdam port
 * district with a complete row and column) has no coordinates: it is left
 * out of the fit below, and loading fails only if one of its pairs needs an
 * estimate.
 *
 * Missing pairs (515 empty cells in the shipped file) are filled, in order:
 *   1. the diagonal (same city): the measured value, or 0 if empty;
 *   2. REVERSE: the measured B->A value for an empty A->B cell (the data set
 *      is nearly symmetric: median |A->B - B->A| is 0.21%);
 *   3. ESTIMATED: when neither direction was measured, a + b * km where km
 *      is the great-circle distance (haversine, mean Earth radius
 *      6371.0088 km) and (a, b) an ordinary least-squares line
 *      (gsl_fit_linear) fitted on every measured off-diagonal directed cell;
 *      the estimate is floored at DSET_RTT_MIN_ESTIMATE_MS.
 * Measured off-diagonal RTTs must be finite and in (0, 60000] ms.
 *
 * These are data-centre hosts. A home (volunteer) endpoint adds its
 * last-mile delay: dset_rtt_path_ns adds, per endpoint, the round-trip delay
 * of that endpoint's access link (0 for a data-centre host), so a
 * home-to-home path adds two last miles.
 *
 * Memory: O(n^2) doubles (242 cities: 460 KB). Lookups by name are exact
 * (case-sensitive) and O(log n). Read-only after loading.
 */
#ifndef DSET_RTT_H
#define DSET_RTT_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

#define DSET_RTT_MAX_CITIES 4096
#define DSET_RTT_MAX_MS 60000.0
#define DSET_RTT_MIN_ESTIMATE_MS 1.0
#define DSET_RTT_EARTH_RADIUS_KM 6371.0088

typedef struct dset_rtt dset_rtt;

/* Where a filled value came from. */
typedef enum dset_rtt_origin {
    DSET_RTT_MEASURED,  /* the cell itself */
    DSET_RTT_REVERSE,   /* the opposite direction's measurement */
    DSET_RTT_ESTIMATED, /* a + b * km */
    DSET_RTT_SELF,      /* diagonal left empty: 0 */
} dset_rtt_origin;

/* The distance model fitted on the measured pairs: rtt_ms = a_ms + b_ms_per_km * km. */
typedef struct dset_rtt_fit {
    double a_ms, b_ms_per_km;
    double r2;        /* coefficient of determination of the fit */
    size_t n_points;  /* measured off-diagonal cells between cities with coordinates */
    size_t n_reverse; /* cells filled from the reverse direction */
    size_t n_estimated; /* cells filled from the fit */
} dset_rtt_fit;

/* Load both files. Errors (one line naming file and line): SS_ENOENT,
 * SS_EIO, SS_EPARSE (bad CSV or number), SS_ERANGE (value out of range),
 * SS_ESCHEMA (header/row names disagree, duplicate or unknown city),
 * SS_ENUMERIC (a pair needs an estimate but fewer than 2 measured pairs at
 * distinct distances exist to fit), SS_ENOMEM. Without enough points the
 * fit's a, b and r2 are NaN. */
ss_status dset_rtt_load(const char *matrix_csv, const char *cities_csv, dset_rtt **out, char *err,
                       size_t errlen);
void dset_rtt_destroy(dset_rtt *r); /* NULL allowed */

int dset_rtt_n_cities(const dset_rtt *r);
/* Decoded name of city i (0 <= i < n); valid while r lives. */
const char *dset_rtt_city_name(const dset_rtt *r, int i);
/* Latitude / longitude in degrees and population; returns 0 (and NaNs)
 * for a matrix city absent from the cities file, 1 otherwise. */
int dset_rtt_city_info(const dset_rtt *r, int i, double *lat_deg, double *lon_deg,
                      double *population);

/* Index of the city named exactly `name`. SS_ENOTFOUND with a message
 * suggesting the closest name ("did you mean") or, with none close, saying
 * how many cities are known. */
ss_status dset_rtt_find(const dset_rtt *r, const char *name, int *idx, char *err, size_t errlen);

/* Filled data-centre RTT from city src to city dst, ms, and its origin. */
double dset_rtt_ms(const dset_rtt *r, int src, int dst);
dset_rtt_origin dset_rtt_origin_of(const dset_rtt *r, int src, int dst);
dset_rtt_fit dset_rtt_get_fit(const dset_rtt *r);

/* Round trip between two endpoints in cities src and dst, whose access
 * links add last_mile_src_ms and last_mile_dst_ms (>= 0; 0 for a data-centre
 * host), rounded to the nearest nanosecond. */
int64_t dset_rtt_path_ns(const dset_rtt *r, int src, int dst, double last_mile_src_ms,
                        double last_mile_dst_ms);

/* Great-circle distance in km (haversine on a sphere of radius
 * DSET_RTT_EARTH_RADIUS_KM). */
double dset_rtt_distance_km(double lat1_deg, double lon1_deg, double lat2_deg, double lon2_deg);

#endif
