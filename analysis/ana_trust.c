/* ana_trust.c - the trust counters as metrics rows (ana_trust.h). */
#include "ana_trust.h"

#include <math.h>

static const char *const names[] = {
    "trust_byzantine_nodes",  "trust_hop_steps",       "trust_faulty_steps",
    "trust_drops",            "trust_steps_verified",  "trust_faults_detected",
    "trust_detection_rate",   "trust_corrupted_tokens", "trust_verification_overhead",
};

size_t ana_trust_count(void) { return sizeof names / sizeof names[0]; }

const char *ana_trust_name(size_t i) { return i < ana_trust_count() ? names[i] : NULL; }

static double ratio(int64_t a, int64_t b) { return b > 0 ? (double)a / (double)b : NAN; }

double ana_trust_value(const sim_trust_rec *r, size_t i)
{
    switch (i) {
    case 0: return (double)r->byzantine_nodes;
    case 1: return (double)r->hop_steps;
    case 2: return (double)r->faulty_steps;
    case 3: return (double)r->drops;
    case 4: return (double)r->steps_verified;
    case 5: return (double)r->faults_detected;
    /* detected faults per verified step */
    case 6: return ratio(r->faults_detected, r->steps_verified);
    case 7: return (double)r->corrupted_tokens;
    /* extra span executions (replicas, spot checks) per primary execution */
    case 8: return ratio(r->extra_executions, r->hop_steps);
    default: return NAN;
    }
}
