/* dset_trace.h - request traces to replay: the Azure LLM inference traces
 * (Splitwise, Patel et al., ISCA 2024; CC-BY 4.0).
 *
 * File format: CSV with the exact header `TIMESTAMP,ContextTokens,GeneratedTokens`
 * and one request per line, e.g. `2023-11-16 18:15:46.6805900,374,44`.
 * The CSV rules of dset_csv.h apply (the shipped files use CRLF and lack a
 * final newline: both accepted).
 *   - TIMESTAMP: `YYYY-MM-DD HH:MM:SS` optionally followed by `.` and 1..9
 *     fraction digits (the Azure files have 7, i.e. 100 ns resolution), UTC,
 *     years 1970..2200, no leap second (:60 rejected), no time zone suffix.
 *     It is converted to integer nanoseconds since 1970 with integer
 *     arithmetic only (no double, no mktime, no locale, no time zone), so
 *     every inter-arrival time is exact.
 *   - Timestamps must be non-decreasing in file order; a decrease is an
 *     error naming the line. Equal timestamps (ties) are kept in file order,
 *     which is their documented replay order (the line is the sequence
 *     number). The shipped files are strictly increasing.
 *   - ContextTokens (prompt) and GeneratedTokens (output): integers in
 *     [1, DSET_TRACE_MAX_TOKENS]; 0 is rejected (an empty prompt or a request
 *     that generates nothing cannot be simulated).
 *   - A file with a header but no request is rejected ("no requests").
 * Arrivals are offsets from the first request: arrival_ns = (t_i - t_0) *
 * time_scale, exact for time_scale 1 (integers only), otherwise rounded to
 * the nearest ns (llround of a double product; offsets below 2^53 ns, ~104
 * days, are exact before scaling). time_scale < 1 compresses the trace
 * (0.5 doubles the request rate), > 1 stretches it.
 */
#ifndef DSET_TRACE_H
#define DSET_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

#define DSET_TRACE_MAX_TOKENS 10000000
#define DSET_TRACE_MAX_SCALE 1e6
#define DSET_TRACE_MAX_REQUESTS 100000000

typedef struct dset_trace_req {
    int64_t arrival_ns;    /* offset from the first request, scaled */
    int64_t prompt_tokens; /* ContextTokens */
    int64_t output_tokens; /* GeneratedTokens */
} dset_trace_req;

typedef struct dset_trace {
    size_t n;              /* requests */
    dset_trace_req *reqs;   /* (n) in file order, arrivals non-decreasing; owned */
    int64_t t0_unix_ns;    /* TIMESTAMP of the first request, ns since 1970 UTC */
    double time_scale;
} dset_trace;

/* Load `path` with `time_scale` in (0, DSET_TRACE_MAX_SCALE] into caller-owned
 * *out (release with dset_trace_fini; zeroed on error). Errors, one line
 * "FILE: line L: ...": SS_ENOENT, SS_EIO, SS_EPARSE (bad CSV, timestamp,
 * number or header; no requests), SS_ERANGE (token counts, decreasing
 * timestamps, scaled offsets beyond int64), SS_EINVAL (bad time_scale),
 * SS_EFULL (more than DSET_TRACE_MAX_REQUESTS requests),
 * SS_ENOMEM. */
ss_status dset_trace_load(const char *path, double time_scale, dset_trace *out, char *err,
                         size_t errlen);
void dset_trace_fini(dset_trace *t); /* zeroed or finied struct allowed */

/* Parse one TIMESTAMP (the grammar above, the whole string) into ns since
 * 1970-01-01 00:00:00 UTC. SS_EPARSE on any deviation. */
ss_status dset_trace_parse_timestamp(const char *s, int64_t *unix_ns);

#endif
