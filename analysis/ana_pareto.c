/* ana_pareto.c - non-dominated rows (see ana_pareto.h). */
#include "ana_pareto.h"

#include <math.h>

static double val(double x) { return isnan(x) ? INFINITY : x; }

/* 1 if row a dominates row b. */
static int dominates(const double *a, const double *b, size_t k)
{
    int strictly = 0;
    for (size_t c = 0; c < k; c++) {
        double x = val(a[c]), y = val(b[c]);
        if (x > y)
            return 0;
        if (x < y)
            strictly = 1;
    }
    return strictly;
}

size_t ana_pareto_front(const double *obj, size_t n, size_t k, int *on_front)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        int front = 1;
        for (size_t j = 0; j < n && front && k > 0; j++)
            if (j != i && dominates(obj + j * k, obj + i * k, k))
                front = 0;
        on_front[i] = front;
        count += (size_t)front;
    }
    return count;
}
