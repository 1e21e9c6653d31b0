/* ss_json_get.c - typed, path-aware access to a parsed cJSON tree.
 *
 * Every getter reads valuedouble/valuestring only after checking the type,
 * checks isfinite, integrality and range itself, and reports failures as one
 * line "file: json.path: expected X, got Y". Lookups are case-sensitive
 * (cJSON's plain lookup ignores case, PITFALLS.md J09).
 */
#include "ss_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Messages and paths ------------------------------------------------- */

ss_status ss_json_errf(const ss_json_ctx *cx, ss_status code, const char *path, const char *fmt,
                       ...)
{
    if (!cx->err || !cx->errlen)
        return code;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *file = cx->file ? cx->file : "<input>";
    if (path && path[0])
        snprintf(cx->err, cx->errlen, "%s: %s: %s", file, path, msg);
    else
        snprintf(cx->err, cx->errlen, "%s: %s", file, msg);
    return code;
}

/* Quote a string for a one-line message: escapes '"', '\\' and control
 * characters, keeps at most `max` bytes of content (cut on a UTF-8
 * boundary) and marks the cut with "...". */
static void quote(const char *s, size_t max, char *dst, size_t n)
{
    size_t o = 0;
    if (n == 0)
        return;
#define PUT(c)                                                                                     \
    do {                                                                                           \
        if (o + 1 < n)                                                                             \
            dst[o++] = (c);                                                                        \
    } while (0)
    PUT('"');
    size_t i = 0;
    for (; s[i] && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            PUT('\\');
            PUT((char)c);
        } else if (c < 0x20 || c == 0x7f) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            for (char *e = esc; *e; e++)
                PUT(*e);
        } else {
            PUT((char)c);
        }
    }
    if (s[i]) {
        /* Do not leave half a UTF-8 character before the ellipsis. */
        while (o > 1 && ((unsigned char)dst[o - 1] & 0xC0) == 0x80)
            o--;
        if (o > 1 && ((unsigned char)dst[o - 1] & 0xC0) == 0xC0)
            o--;
        PUT('.');
        PUT('.');
        PUT('.');
    }
    PUT('"');
#undef PUT
    dst[o] = '\0';
}

static int is_plain_key(const char *k)
{
    if (!k[0])
        return 0;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
              *k == '_' || *k == '-'))
            return 0;
    return 1;
}

void ss_json_path_key(char *dst, size_t n, const char *parent, const char *key)
{
    if (!parent)
        parent = "";
    if (is_plain_key(key) && strlen(key) <= 64) {
        snprintf(dst, n, "%s%s%s", parent, parent[0] ? "." : "", key);
    } else {
        char q[160];
        quote(key, 40, q, sizeof q);
        snprintf(dst, n, "%s[%s]", parent, q);
    }
}

void ss_json_path_index(char *dst, size_t n, const char *parent, size_t i)
{
    snprintf(dst, n, "%s[%zu]", parent ? parent : "", i);
}

/* Shortest %g form that reads back as the same double. */
static void fmt_double(double v, char *dst, size_t n)
{
    if (isnan(v)) {
        snprintf(dst, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(dst, n, "%s", v > 0 ? "infinity" : "-infinity");
        return;
    }
    snprintf(dst, n, "%.15g", v);
    if (strtod(dst, NULL) != v)
        snprintf(dst, n, "%.17g", v);
}

void ss_json_describe(const cJSON *v, char *dst, size_t n)
{
    if (!v)
        snprintf(dst, n, "nothing");
    else if (cJSON_IsString(v) && v->valuestring)
        quote(v->valuestring, 40, dst, n);
    else if (cJSON_IsNumber(v))
        fmt_double(v->valuedouble, dst, n);
    else if (cJSON_IsTrue(v))
        snprintf(dst, n, "true");
    else if (cJSON_IsFalse(v))
        snprintf(dst, n, "false");
    else if (cJSON_IsNull(v))
        snprintf(dst, n, "null");
    else if (cJSON_IsObject(v))
        snprintf(dst, n, "an object");
    else if (cJSON_IsArray(v))
        snprintf(dst, n, "an array");
    else
        snprintf(dst, n, "an invalid value");
}

const cJSON *ss_json_find(const cJSON *obj, const char *key)
{
    if (!cJSON_IsObject(obj))
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* ---- Did you mean ------------------------------------------------------- */

static unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* Optimal string alignment distance on ASCII-lowercased bytes; words are at
 * most SS_JSON_MAX_KEY_BYTES, so fixed rows suffice. */
static size_t osa_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t rows[3][SS_JSON_MAX_KEY_BYTES + 2];
    size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]);
            size_t d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && lower((unsigned char)a[i - 1]) == lower((unsigned char)b[j - 2]) &&
                lower((unsigned char)a[i - 2]) == lower((unsigned char)b[j - 1]) && pp[j - 2] + 1 < d)
                d = pp[j - 2] + 1;
            cur[j] = d;
        }
        size_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *ss_json_closest(const char *word, const char *const *cands, size_t n)
{
    if (strlen(word) > SS_JSON_MAX_KEY_BYTES)
        return NULL;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (strlen(cands[i]) > SS_JSON_MAX_KEY_BYTES)
            continue;
        size_t d = osa_distance(word, cands[i]);
        /* Allow one edit for short names, two for longer ones, and never
         * as many edits as the word has characters ("x" is not a typo of
         * "n"). A pure case difference has distance 0. */
        size_t len = strlen(cands[i]);
        size_t limit = len <= 4 ? 1 : 2;
        if (d <= limit && d < strlen(word) && d < best_d) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

ss_status ss_json_check_keys(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                             const char *const *allowed, size_t n_allowed)
{
    if (!cJSON_IsObject(obj))
        return SS_OK;
    for (const cJSON *c = obj->child; c; c = c->next) {
        size_t i = 0;
        while (i < n_allowed && strcmp(c->string, allowed[i]) != 0)
            i++;
        if (i < n_allowed)
            continue;
        char sub[512], q[160];
        ss_json_path_key(sub, sizeof sub, path, c->string);
        quote(c->string, 40, q, sizeof q);
        const char *near = ss_json_closest(c->string, allowed, n_allowed);
        if (near)
            return ss_json_errf(cx, SS_ESCHEMA, sub, "unknown key %s (did you mean \"%s\"?)", q,
                                near);
        char list[400];
        size_t o = 0;
        list[0] = '\0';
        for (size_t k = 0; k < n_allowed && o < sizeof list; k++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", k ? ", " : "", allowed[k]);
        return ss_json_errf(cx, SS_ESCHEMA, sub, "unknown key %s (expected one of: %s)", q, list);
    }
    return SS_OK;
}

/* ---- Values ------------------------------------------------------------- */

static void num_rule_phrase(const ss_json_num_rule *r, int full, char *dst, size_t n)
{
    if (r->what) {
        snprintf(dst, n, "%s", r->what);
        return;
    }
    if (!full && r->min == 0 && isinf(r->max)) {
        snprintf(dst, n, r->min_open ? "a positive number" : "a non-negative number");
        return;
    }
    if (!full && r->min == 0 && r->min_open) {
        snprintf(dst, n, "a positive number");
        return;
    }
    if (!full && r->min == 0) {
        snprintf(dst, n, "a non-negative number");
        return;
    }
    if (!full) {
        snprintf(dst, n, "a number");
        return;
    }
    char lo[32], hi[32];
    fmt_double(r->min, lo, sizeof lo);
    fmt_double(r->max, hi, sizeof hi);
    snprintf(dst, n, "a number in %c%s, %s%c", r->min_open ? '(' : '[', lo, hi,
             r->max_open ? ')' : ']');
}

static ss_status missing(const ss_json_ctx *cx, const char *path, const char *expected)
{
    return ss_json_errf(cx, SS_ESCHEMA, path, "missing required key (expected %s)", expected);
}

ss_status ss_json_number(const ss_json_ctx *cx, const cJSON *v, const char *path,
                         const ss_json_num_rule *rule, double *out)
{
    char what[128], got[96];
    if (!v) {
        num_rule_phrase(rule, 0, what, sizeof what);
        return missing(cx, path, what);
    }
    ss_json_describe(v, got, sizeof got);
    if (!cJSON_IsNumber(v)) {
        num_rule_phrase(rule, 0, what, sizeof what);
        return ss_json_errf(cx, SS_ESCHEMA, path, "expected %s, got %s", what, got);
    }
    double d = v->valuedouble;
    int below = rule->min_open ? !(d > rule->min) : !(d >= rule->min);
    int above = rule->max_open ? !(d < rule->max) : !(d <= rule->max);
    if (!isfinite(d) || below || above) {
        /* Below a zero lower bound the short phrase says it all ("a positive
         * number, got 0"); otherwise show the interval. */
        int full = !(below && rule->min == 0 && isfinite(d));
        num_rule_phrase(rule, full, what, sizeof what);
        return ss_json_errf(cx, SS_ERANGE, path, "expected %s, got %s", what, got);
    }
    *out = d;
    return SS_OK;
}

ss_status ss_json_int(const ss_json_ctx *cx, const cJSON *v, const char *path, int64_t min,
                      int64_t max, int64_t *out)
{
    char what[128], got[96];
    if (min == max)
        snprintf(what, sizeof what, "the integer %lld", (long long)min);
    else
        snprintf(what, sizeof what, "an integer in [%lld, %lld]", (long long)min, (long long)max);
    if (!v)
        return missing(cx, path, what);
    ss_json_describe(v, got, sizeof got);
    if (!cJSON_IsNumber(v))
        return ss_json_errf(cx, SS_ESCHEMA, path, "expected %s, got %s", what, got);
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d))
        return ss_json_errf(cx, SS_ESCHEMA, path, "expected %s, got %s", what, got);
    /* Beyond 2^53 - 1 a double no longer holds every integer, so the value
     * read may not be the one written (2^53 + 1 reads as 2^53). */
    if (fabs(d) > SS_JSON_MAX_SAFE_INT)
        return ss_json_errf(cx, SS_ERANGE, path,
                            "expected %s, got %s (integers beyond 2^53-1 are not exact)", what,
                            got);
    int64_t i = (int64_t)d; /* exact: |d| <= 2^53 - 1; -0 becomes 0 */
    if (i < min || i > max)
        return ss_json_errf(cx, SS_ERANGE, path, "expected %s, got %s", what, got);
    *out = i;
    return SS_OK;
}

/* 0 if `s` is valid UTF-8 without control characters, else the offending
 * byte offset + 1. */
static size_t bad_text_at(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; p[i];) {
        unsigned char c = p[i];
        if (c < 0x20 || c == 0x7f)
            return i + 1;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            n = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            lo = c == 0xE0 ? 0xA0 : 0x80;
            hi = c == 0xED ? 0x9F : 0xBF;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            lo = c == 0xF0 ? 0x90 : 0x80;
            hi = c == 0xF4 ? 0x8F : 0xBF;
        } else
            return i + 1;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return i + 1;
        for (size_t k = 2; k < n; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return i + 1;
        i += n;
    }
    return 0;
}

ss_status ss_json_string(const ss_json_ctx *cx, const cJSON *v, const char *path, int allow_empty,
                         char *dst, size_t dstsize)
{
    char what[96], got[96];
    size_t max = dstsize - 1;
    if (allow_empty)
        snprintf(what, sizeof what, "a string of at most %zu bytes", max);
    else
        snprintf(what, sizeof what, "a string of 1 to %zu bytes", max);
    if (!v)
        return missing(cx, path, what);
    ss_json_describe(v, got, sizeof got);
    if (!cJSON_IsString(v) || !v->valuestring)
        return ss_json_errf(cx, SS_ESCHEMA, path, "expected %s, got %s", what, got);
    size_t n = strlen(v->valuestring);
    if (n > max || (n == 0 && !allow_empty))
        return ss_json_errf(cx, SS_ERANGE, path, "expected %s, got %zu bytes: %s", what, n, got);
    size_t bad = bad_text_at(v->valuestring);
    if (bad)
        return ss_json_errf(cx, SS_ESCHEMA, path,
                            "expected text without control characters or invalid UTF-8, got "
                            "byte 0x%02X at offset %zu in %s",
                            (unsigned char)v->valuestring[bad - 1], bad - 1, got);
    memcpy(dst, v->valuestring, n + 1);
    return SS_OK;
}

ss_status ss_json_bool(const ss_json_ctx *cx, const cJSON *v, const char *path, int *out)
{
    char got[96];
    if (!v)
        return missing(cx, path, "true or false");
    if (!cJSON_IsBool(v)) {
        ss_json_describe(v, got, sizeof got);
        return ss_json_errf(cx, SS_ESCHEMA, path, "expected true or false, got %s", got);
    }
    *out = cJSON_IsTrue(v);
    return SS_OK;
}

/* ---- Members ------------------------------------------------------------ */

/* Look up `key`; *v = NULL and return 1 when absent and optional (caller
 * returns SS_OK). */
static int absent_optional(const cJSON *obj, const char *key, int required, const cJSON **v)
{
    *v = ss_json_find(obj, key);
    return !*v && !required;
}

ss_status ss_json_get_number(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                             const char *key, int required, const ss_json_num_rule *rule,
                             double *out)
{
    const cJSON *v;
    if (absent_optional(obj, key, required, &v))
        return SS_OK;
    char sub[512];
    ss_json_path_key(sub, sizeof sub, path, key);
    return ss_json_number(cx, v, sub, rule, out);
}

ss_status ss_json_get_int(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                          const char *key, int required, int64_t min, int64_t max, int64_t *out)
{
    const cJSON *v;
    if (absent_optional(obj, key, required, &v))
        return SS_OK;
    char sub[512];
    ss_json_path_key(sub, sizeof sub, path, key);
    return ss_json_int(cx, v, sub, min, max, out);
}

ss_status ss_json_get_string(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                             const char *key, int required, char *dst, size_t dstsize)
{
    const cJSON *v;
    if (absent_optional(obj, key, required, &v))
        return SS_OK;
    char sub[512];
    ss_json_path_key(sub, sizeof sub, path, key);
    return ss_json_string(cx, v, sub, 0, dst, dstsize);
}

ss_status ss_json_get_bool(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                           const char *key, int required, int *out)
{
    const cJSON *v;
    if (absent_optional(obj, key, required, &v))
        return SS_OK;
    char sub[512];
    ss_json_path_key(sub, sizeof sub, path, key);
    return ss_json_bool(cx, v, sub, out);
}

ss_status ss_json_get_object(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                             const char *key, int required, const cJSON **out)
{
    const cJSON *v;
    *out = NULL;
    if (absent_optional(obj, key, required, &v))
        return SS_OK;
    char sub[512], got[96];
    ss_json_path_key(sub, sizeof sub, path, key);
    if (!v)
        return missing(cx, sub, "an object");
    if (!cJSON_IsObject(v)) {
        ss_json_describe(v, got, sizeof got);
        return ss_json_errf(cx, SS_ESCHEMA, sub, "expected an object, got %s", got);
    }
    *out = v;
    return SS_OK;
}

ss_status ss_json_get_array(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                            const char *key, int required, size_t min_n, size_t max_n,
                            const cJSON **out, size_t *n)
{
    const cJSON *v;
    *out = NULL;
    *n = 0;
    if (absent_optional(obj, key, required, &v))
        return SS_OK;
    char sub[512], got[96], what[96];
    ss_json_path_key(sub, sizeof sub, path, key);
    if (min_n == max_n)
        snprintf(what, sizeof what, "an array of %zu elements", min_n);
    else
        snprintf(what, sizeof what, "an array of %zu to %zu elements", min_n, max_n);
    if (!v)
        return missing(cx, sub, what);
    if (!cJSON_IsArray(v)) {
        ss_json_describe(v, got, sizeof got);
        return ss_json_errf(cx, SS_ESCHEMA, sub, "expected %s, got %s", what, got);
    }
    size_t k = 0;
    for (const cJSON *c = v->child; c; c = c->next)
        k++;
    if (k < min_n || k > max_n)
        return ss_json_errf(cx, SS_ERANGE, sub, "expected %s, got %zu", what, k);
    *out = v;
    *n = k;
    return SS_OK;
}
