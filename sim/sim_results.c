/* sim_results.c - release of a run's result arrays. */
#include "sim_results.h"

#include <string.h>

#include "ss_alloc.h"

void sim_results_fini(sim_results *r)
{
    if (!r)
        return;
    ss_free(r->requests);
    ss_free(r->nodes);
    ss_free(r->route);
    memset(r, 0, sizeof *r);
}
