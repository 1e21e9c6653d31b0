/* fuzz_trace.c - request traces (datasets/dset_trace.h) and the strict CSV
 * layer under them (dset_csv.h). The first byte picks the time scale; the
 * rest is the file. Accepted traces must keep their promises: arrivals
 * non-decreasing from 0, token counts in range. The same bytes are then
 * read as a generic CSV, every field through the number parsers. */
#include "dset_csv.h"
#include "dset_trace.h"
#include "fuzz_util.h"

static const double scales[] = {1.0, 0.5, 3.0, 1e-9, 1e6};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    double scale = scales[data[0] % (sizeof scales / sizeof scales[0])];
    const char *path = fuzz_write("trace.csv", data + 1, size - 1);
    dset_trace t;
    char err[1024];
    ss_status st = dset_trace_load(path, scale, &t, err, sizeof err);
    fuzz_note("trace", st == SS_OK ? "accepted" : err);
    if (st == SS_OK) {
        fuzz_check(t.n > 0 && t.reqs[0].arrival_ns == 0, "first arrival not at 0");
        for (size_t i = 0; i < t.n; i++) {
            fuzz_check(i == 0 || t.reqs[i].arrival_ns >= t.reqs[i - 1].arrival_ns,
                       "arrivals decrease");
            fuzz_check(t.reqs[i].prompt_tokens >= 1 &&
                           t.reqs[i].prompt_tokens <= DSET_TRACE_MAX_TOKENS,
                       "prompt tokens out of range");
            fuzz_check(t.reqs[i].output_tokens >= 1 &&
                           t.reqs[i].output_tokens <= DSET_TRACE_MAX_TOKENS,
                       "output tokens out of range");
        }
    } else {
        fuzz_check(err[0] != '\0', "a rejection without a message");
    }
    dset_trace_fini(&t);

    dset_csv c = {0};
    if (dset_csv_open(&c, path, err, sizeof err) == SS_OK) {
        int eof = 0;
        while (dset_csv_next(&c, &eof, err, sizeof err) == SS_OK && !eof) {
            fuzz_check(c.n_fields >= 1 && c.n_fields <= DSET_CSV_MAX_FIELDS, "field count");
            for (size_t k = 0; k < c.n_fields; k++) {
                double d;
                int64_t v;
                (void)dset_csv_double(&c, k, "x", -1e308, 1e308, &d, err, sizeof err);
                (void)dset_csv_int64(&c, k, "x", INT64_MIN, INT64_MAX, &v, err, sizeof err);
            }
            (void)dset_csv_expect_fields(&c, 3, err, sizeof err);
        }
    }
    dset_csv_close(&c);
    return 0;
}
