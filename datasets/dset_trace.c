/* dset_trace.c - Azure LLM inference trace reader (rules in dset_trace.h).
 * Typical size: 19,366 requests (conv), 8,819 (code); 24 bytes each. */
#include "dset_trace.h"

#include <math.h>
#include <string.h>

#include "dset_csv.h"
#include "ss_alloc.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Exactly `n` digits at *p into *v; advances *p. */
static int digits(const char **p, int n, int64_t *v)
{
    int64_t x = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return 0;
        x = x * 10 + (c - '0');
    }
    *p += n;
    *v = x;
    return 1;
}

ss_status dset_trace_parse_timestamp(const char *s, int64_t *unix_ns)
{
    const char *p = s;
    int64_t y, mo, d, h, mi, se, frac = 0;
    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d) || *p++ != ' ' || !digits(&p, 2, &h) || *p++ != ':' ||
        !digits(&p, 2, &mi) || *p++ != ':' || !digits(&p, 2, &se))
        return SS_EPARSE;
    if (*p == '.') {
        p++;
        int n = 0;
        while (p[n] >= '0' && p[n] <= '9')
            n++;
        if (n < 1 || n > 9 || !digits(&p, n, &frac))
            return SS_EPARSE;
        for (int i = n; i < 9; i++)
            frac *= 10;
    }
    if (*p != '\0')
        return SS_EPARSE;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 || se > 59)
        return SS_EPARSE;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    *unix_ns = secs * 1000000000 + frac; /* < 7.3e18 for year 2200: no overflow */
    return SS_OK;
}

void dset_trace_fini(dset_trace *t)
{
    if (!t)
        return;
    ss_free(t->reqs);
    memset(t, 0, sizeof *t);
}

ss_status dset_trace_load(const char *path, double time_scale, dset_trace *out, char *err,
                         size_t errlen)
{
    static const char *const header[] = {"TIMESTAMP", "ContextTokens", "GeneratedTokens"};
    memset(out, 0, sizeof *out);
    if (!(time_scale > 0 && time_scale <= DSET_TRACE_MAX_SCALE))
        return ss_err(err, errlen, SS_EINVAL, "%s: time scale must be in (0, %g], got %g", path,
                      DSET_TRACE_MAX_SCALE, time_scale);
    dset_csv c;
    int eof = 0;
    size_t cap = 0;
    int64_t prev = 0;
    ss_status st = dset_csv_open(&c, path, err, errlen);
    if (st != SS_OK)
        return st;
    if ((st = dset_csv_next(&c, &eof, err, errlen)) != SS_OK ||
        (st = dset_csv_expect_header(&c, header, 3, err, errlen)) != SS_OK)
        goto fail;
    out->time_scale = time_scale;
    for (;;) {
        if ((st = dset_csv_next(&c, &eof, err, errlen)) != SS_OK)
            goto fail;
        if (eof)
            break;
        if ((st = dset_csv_expect_fields(&c, 3, err, errlen)) != SS_OK)
            goto fail;
        int64_t t;
        if (dset_trace_parse_timestamp(c.fields[0], &t) != SS_OK) {
            st = ss_err(err, errlen, SS_EPARSE,
                        "%s: line %ld: TIMESTAMP: expected YYYY-MM-DD HH:MM:SS[.fraction] "
                        "(UTC, 1970..2200), got \"%.64s\"",
                        path, c.line, c.fields[0]);
            goto fail;
        }
        if (out->n > 0 && t < prev) {
            st = ss_err(err, errlen, SS_ERANGE,
                        "%s: line %ld: TIMESTAMP %s is earlier than the previous request's "
                        "(timestamps must not decrease)",
                        path, c.line, c.fields[0]);
            goto fail;
        }
        dset_trace_req q;
        if ((st = dset_csv_int64(&c, 1, "ContextTokens", 1, DSET_TRACE_MAX_TOKENS,
                                &q.prompt_tokens, err, errlen)) != SS_OK ||
            (st = dset_csv_int64(&c, 2, "GeneratedTokens", 1, DSET_TRACE_MAX_TOKENS,
                                &q.output_tokens, err, errlen)) != SS_OK)
            goto fail;
        if (out->n == 0)
            out->t0_unix_ns = t;
        int64_t off = t - out->t0_unix_ns;
        if (time_scale == 1.0) {
            q.arrival_ns = off;
        } else {
            double v = (double)off * time_scale;
            if (!(v < 9.2e18)) {
                st = ss_err(err, errlen, SS_ERANGE,
                            "%s: line %ld: scaled arrival offset overflows int64 ns", path,
                            c.line);
                goto fail;
            }
            q.arrival_ns = (int64_t)llround(v);
        }
        if (out->n == cap) {
            if (cap >= DSET_TRACE_MAX_REQUESTS) {
                st = ss_err(err, errlen, SS_EFULL, "%s: line %ld: more than %d requests", path,
                            c.line, DSET_TRACE_MAX_REQUESTS);
                goto fail;
            }
            size_t nc = cap ? 2 * cap : 1024;
            dset_trace_req *nr = ss_realloc(out->reqs, nc * sizeof *nr);
            if (!nr) {
                st = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
                goto fail;
            }
            out->reqs = nr;
            cap = nc;
        }
        out->reqs[out->n++] = q;
        prev = t;
    }
    if (out->n == 0) {
        st = ss_err(err, errlen, SS_EPARSE, "%s: line %ld: no requests after the header", path,
                    c.line + 1);
        goto fail;
    }
    dset_csv_close(&c);
    return SS_OK;
fail:
    dset_csv_close(&c);
    dset_trace_fini(out);
    return st;
}
