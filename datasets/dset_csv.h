/* dset_csv.h - a strict CSV record reader shared by the datasets/ readers
 * (RTT matrix, cities, churn parameters and traces, request traces).
 *
 * What a file must be (PITFALLS.md T01-T12, each rule deliberate):
 *   - a regular file of at most SS_JSON_MAX_BYTES (16 MB; read whole through
 *     ss_json_read_file, which checks the size with fstat before reading);
 *   - UTF-8: a leading UTF-8 BOM is STRIPPED (spreadsheets write one); any
 *     other invalid UTF-8, a NUL byte or a control character other than TAB
 *     is rejected with its line;
 *   - lines end in LF or CRLF (mixed is fine, each line on its own); a lone
 *     CR is rejected; the final newline may be missing; a blank line is
 *     rejected (it is a record with a wrong number of fields); a line is at
 *     most DSET_CSV_MAX_LINE bytes;
 *   - fields are separated by ',' and may be quoted as in RFC 4180 ("" is a
 *     quote inside a quoted field); a quote inside an unquoted field, text
 *     after a closing quote, an unterminated quote and a line break inside
 *     quotes are rejected (our files never need multi-line fields, and
 *     refusing them keeps "record = line" for error messages).
 * Numbers (dset_csv_double / dset_csv_int64) must be the whole field in the
 * JSON number grammar: no leading '+', no spaces, no hex, no nan/inf words,
 * no "1,5"; doubles are parsed in the C locale whatever the process locale
 * (uselocale), and must be finite and not underflow to 0 from a non-zero
 * literal; integers are parsed with strtoll and range-checked.
 *
 * Errors are one line: "FILE: line L: ..." (L is 1-based, the header is
 * line 1). Memory: one buffer for the file plus one per record; no
 * allocation per field.
 */
#ifndef DSET_CSV_H
#define DSET_CSV_H

#include <locale.h>
#include <stddef.h>
#include <stdint.h>

#include "ss_status.h"

#define DSET_CSV_MAX_LINE 65536 /* bytes per line, terminator excluded */
#define DSET_CSV_MAX_FIELDS 4096

typedef struct dset_csv {
    const char *path;    /* borrowed label for messages */
    char *buf;           /* (len + 1) the whole file, owned */
    size_t len, pos;     /* bytes in buf; offset of the next line */
    long line;           /* line number of the current record (0 before the first) */
    char *rec;           /* (rec_cap) unquoted fields of the current record, NUL-separated */
    size_t rec_cap;
    const char **fields; /* (n_fields) pointers into rec */
    size_t n_fields;
    locale_t c_locale;   /* for strtod; (locale_t)0 until opened */
} dset_csv;

/* Open and read `path` (caller-owned storage `c`; release with
 * dset_csv_close, which also accepts a zeroed struct). `path` must outlive c.
 * Errors: SS_ENOENT, SS_EIO, SS_ENOMEM, SS_EPARSE (empty file). */
ss_status dset_csv_open(dset_csv *c, const char *path, char *err, size_t errlen);

/* Read the next record into c->fields / c->n_fields. *eof = 1 (and SS_OK)
 * when no record is left. Errors: SS_EPARSE naming the line. */
ss_status dset_csv_next(dset_csv *c, int *eof, char *err, size_t errlen);

/* The current record must have exactly `n` fields. */
ss_status dset_csv_expect_fields(const dset_csv *c, size_t n, char *err, size_t errlen);

/* The current record must equal `names` (n fields, exact, case-sensitive):
 * used for header rows. */
ss_status dset_csv_expect_header(const dset_csv *c, const char *const *names, size_t n, char *err,
                                size_t errlen);

/* Field `col` of the current record as a finite double in [min, max].
 * `what` names the column in messages. Errors: SS_EPARSE (not a number),
 * SS_ERANGE. */
ss_status dset_csv_double(const dset_csv *c, size_t col, const char *what, double min, double max,
                         double *out, char *err, size_t errlen);

/* Field `col` as an integer in [min, max] (digits with an optional leading
 * '-', nothing else). */
ss_status dset_csv_int64(const dset_csv *c, size_t col, const char *what, int64_t min, int64_t max,
                        int64_t *out, char *err, size_t errlen);

/* Strict double from a NUL-terminated string (the rules above), for callers
 * that split fields further. SS_EPARSE / SS_ERANGE without a message. */
ss_status dset_csv_parse_double(const dset_csv *c, const char *s, double *out);

void dset_csv_close(dset_csv *c);

#endif
