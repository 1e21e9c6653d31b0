/* dset_csv.c - strict CSV records (rules in dset_csv.h).
 *
 * The file is read whole (<= 16 MB) and walked line by line; each record is
 * unquoted into one reusable buffer, so a 20,000-row trace costs one
 * allocation for the file and one for the record buffer.
 */
#include "dset_csv.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ss_alloc.h"
#include "ss_json.h"

ss_status dset_csv_open(dset_csv *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    ss_status st = ss_json_read_file(path, &c->buf, &c->len, err, errlen);
    if (st != SS_OK)
        return st;
    /* A UTF-8 BOM is stripped deliberately (spreadsheet exports write one). */
    if (c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0)
        c->pos = 3;
    if (c->pos == c->len) {
        dset_csv_close(c);
        return ss_err(err, errlen, SS_EPARSE, "%s: expected a CSV header, got an empty file", path);
    }
    c->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (c->c_locale == (locale_t)0) {
        dset_csv_close(c);
        return ss_err(err, errlen, SS_ENOMEM, "%s: cannot create the C locale", path);
    }
    return SS_OK;
}

void dset_csv_close(dset_csv *c)
{
    if (!c)
        return;
    ss_free(c->buf);
    ss_free(c->rec);
    ss_free(c->fields);
    if (c->c_locale != (locale_t)0)
        freelocale(c->c_locale);
    memset(c, 0, sizeof *c);
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char b = s[0];
    size_t k;
    uint32_t cp;
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF)
        k = 2, cp = b & 0x1F;
    else if (b >= 0xE0 && b <= 0xEF)
        k = 3, cp = b & 0x0F;
    else if (b >= 0xF0 && b <= 0xF4)
        k = 4, cp = b & 0x07;
    else
        return 0;
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

static ss_status grow(dset_csv *c, size_t need_rec)
{
    if (need_rec > c->rec_cap) {
        char *r = ss_realloc(c->rec, need_rec);
        if (!r)
            return SS_ENOMEM;
        c->rec = r;
        c->rec_cap = need_rec;
        ss_free(c->fields);
        /* at most one field per byte of the line, plus one */
        c->fields = ss_malloc_array(need_rec, sizeof *c->fields);
        if (!c->fields) {
            c->rec_cap = 0;
            return SS_ENOMEM;
        }
    }
    return SS_OK;
}

ss_status dset_csv_next(dset_csv *c, int *eof, char *err, size_t errlen)
{
    *eof = 0;
    c->n_fields = 0;
    if (c->pos >= c->len) {
        *eof = 1;
        return SS_OK;
    }
    c->line++;
    const char *s = c->buf + c->pos;
    size_t left = c->len - c->pos;
    const char *nl = memchr(s, '\n', left);
    size_t n = nl ? (size_t)(nl - s) : left; /* line without LF */
    c->pos += nl ? n + 1 : n;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (n > DSET_CSV_MAX_LINE)
        return ss_err(err, errlen, SS_EPARSE, "%s: line %ld: longer than %d bytes", c->path,
                      c->line, DSET_CSV_MAX_LINE);
    if (n == 0)
        return ss_err(err, errlen, SS_EPARSE, "%s: line %ld: empty line", c->path, c->line);
    /* Validate the bytes first: UTF-8, no NUL / CR / control characters. */
    for (size_t i = 0; i < n;) {
        unsigned char b = (unsigned char)s[i];
        if (b == 0)
            return ss_err(err, errlen, SS_EPARSE, "%s: line %ld: NUL byte at column %zu", c->path,
                          c->line, i + 1);
        if (b == '\r')
            return ss_err(err, errlen, SS_EPARSE,
                          "%s: line %ld: carriage return not followed by a line feed", c->path,
                          c->line);
        if ((b < 0x20 && b != '\t') || b == 0x7F)
            return ss_err(err, errlen, SS_EPARSE, "%s: line %ld: control character 0x%02X",
                          c->path, c->line, b);
        size_t k = utf8_len((const unsigned char *)s + i, n - i);
        if (!k)
            return ss_err(err, errlen, SS_EPARSE, "%s: line %ld: invalid UTF-8 at column %zu",
                          c->path, c->line, i + 1);
        i += k;
    }
    if (grow(c, n + 2) != SS_OK)
        return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", c->path);
    char *o = c->rec;
    size_t i = 0;
    for (;;) {
        c->fields[c->n_fields++] = o;
        if (i < n && s[i] == '"') {
            i++;
            for (;;) {
                if (i >= n)
                    return ss_err(err, errlen, SS_EPARSE,
                                  "%s: line %ld: unterminated quoted field %zu", c->path, c->line,
                                  c->n_fields);
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        *o++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                *o++ = s[i++];
            }
            if (i < n && s[i] != ',')
                return ss_err(err, errlen, SS_EPARSE,
                              "%s: line %ld: text after the closing quote of field %zu", c->path,
                              c->line, c->n_fields);
        } else {
            while (i < n && s[i] != ',') {
                if (s[i] == '"')
                    return ss_err(err, errlen, SS_EPARSE,
                                  "%s: line %ld: quote inside unquoted field %zu", c->path,
                                  c->line, c->n_fields);
                *o++ = s[i++];
            }
        }
        *o++ = '\0';
        if (i >= n)
            break;
        i++; /* the comma */
        if (c->n_fields >= DSET_CSV_MAX_FIELDS)
            return ss_err(err, errlen, SS_EPARSE, "%s: line %ld: more than %d fields", c->path,
                          c->line, DSET_CSV_MAX_FIELDS);
    }
    return SS_OK;
}

ss_status dset_csv_expect_fields(const dset_csv *c, size_t n, char *err, size_t errlen)
{
    if (c->n_fields != n)
        return ss_err(err, errlen, SS_EPARSE, "%s: line %ld: expected %zu fields, got %zu",
                      c->path, c->line, n, c->n_fields);
    return SS_OK;
}

ss_status dset_csv_expect_header(const dset_csv *c, const char *const *names, size_t n, char *err,
                                size_t errlen)
{
    for (size_t i = 0; i < n && i < c->n_fields; i++)
        if (strcmp(c->fields[i], names[i]) != 0)
            return ss_err(err, errlen, SS_EPARSE,
                          "%s: line %ld: expected header column %zu \"%s\", got \"%.64s\"",
                          c->path, c->line, i + 1, names[i], c->fields[i]);
    if (c->n_fields != n)
        return ss_err(err, errlen, SS_EPARSE, "%s: line %ld: expected a header of %zu columns, got %zu",
                      c->path, c->line, n, c->n_fields);
    return SS_OK;
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
 * Returns 1 if s matches; *is_int = no fraction and no exponent. */
static int number_syntax(const char *s, int *is_int)
{
    const char *p = s;
    *is_int = 1;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return 0;
    if (*p == '.') {
        *is_int = 0;
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        *is_int = 0;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return 0;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* A non-zero literal: some digit other than '0' before any exponent. */
static int has_nonzero_mantissa(const char *s)
{
    for (; *s && *s != 'e' && *s != 'E'; s++)
        if (*s >= '1' && *s <= '9')
            return 1;
    return 0;
}

ss_status dset_csv_parse_double(const dset_csv *c, const char *s, double *out)
{
    int is_int;
    if (!number_syntax(s, &is_int))
        return SS_EPARSE;
    locale_t old = uselocale(c->c_locale);
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    int e = errno;
    uselocale(old);
    if (end == s || *end != '\0')
        return SS_EPARSE;
    if (e == ERANGE || !isfinite(v) || (v == 0 && has_nonzero_mantissa(s)))
        return SS_ERANGE;
    *out = v == 0 ? 0.0 : v; /* -0 reads as 0 */
    return SS_OK;
}

ss_status dset_csv_double(const dset_csv *c, size_t col, const char *what, double min, double max,
                         double *out, char *err, size_t errlen)
{
    const char *s = col < c->n_fields ? c->fields[col] : "";
    double v = 0;
    ss_status st = dset_csv_parse_double(c, s, &v);
    if (st == SS_EPARSE)
        return ss_err(err, errlen, SS_EPARSE, "%s: line %ld: %s: expected a number, got \"%.64s\"",
                      c->path, c->line, what, s);
    if (st != SS_OK)
        return ss_err(err, errlen, SS_ERANGE,
                      "%s: line %ld: %s: number \"%.64s\" overflows or underflows a double",
                      c->path, c->line, what, s);
    if (!(v >= min && v <= max))
        return ss_err(err, errlen, SS_ERANGE, "%s: line %ld: %s: expected a number in [%g, %g], got %s",
                      c->path, c->line, what, min, max, s);
    *out = v;
    return SS_OK;
}

ss_status dset_csv_int64(const dset_csv *c, size_t col, const char *what, int64_t min, int64_t max,
                        int64_t *out, char *err, size_t errlen)
{
    const char *s = col < c->n_fields ? c->fields[col] : "";
    int is_int = 0;
    if (!number_syntax(s, &is_int) || !is_int)
        return ss_err(err, errlen, SS_EPARSE, "%s: line %ld: %s: expected an integer, got \"%.64s\"",
                      c->path, c->line, what, s);
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end != '\0' || v < min || v > max)
        return ss_err(err, errlen, SS_ERANGE,
                      "%s: line %ld: %s: expected an integer in [%lld, %lld], got %.64s", c->path,
                      c->line, what, (long long)min, (long long)max, s);
    *out = (int64_t)v;
    return SS_OK;
}
