/* ss_json.c - file reading, the strict scanner, and the cJSON hand-off.
 *
 * The scanner is a recursive-descent recogniser of RFC 8259 that builds
 * nothing: it exists so that every rejection has a byte offset and a reason,
 * and so that cJSON (whose own checks are lax and whose error pointer is
 * global state) only ever parses text already known to be valid. Recursion
 * is bounded by SS_JSON_MAX_DEPTH + 1 frames, so 100,000 `[` cost nothing.
 * Scenario files are a few KB; the 16 MiB cap bounds everything else, and
 * every pass is linear except duplicate-key detection (n log n per object).
 */
#include "ss_json.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ss_alloc.h"

/* ---- cJSON allocation hooks --------------------------------------------- */

/* Set when a hooked allocation fails, so a NULL from cJSON after our scanner
 * accepted the text can be told apart: out of memory vs a cJSON quirk.
 * Thread-local: parses on different threads do not share it. */
static _Thread_local int json_oom;
static int hooks_installed;

static void *json_malloc(size_t n)
{
    void *p = ss_malloc(n);
    if (!p)
        json_oom = 1;
    return p;
}

void ss_json_init(void)
{
    if (hooks_installed)
        return;
    /* ss_free is free(), so trees made before or after this call can be
     * deleted either way. */
    cJSON_Hooks h = {.malloc_fn = json_malloc, .free_fn = ss_free};
    cJSON_InitHooks(&h);
    hooks_installed = 1;
}

/* ---- Reading ------------------------------------------------------------ */

ss_status ss_json_read_file(const char *path, char **out_buf, size_t *out_len, char *err,
                            size_t errlen)
{
    *out_buf = NULL;
    *out_len = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer; regular files
     * ignore the flag. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return ss_err(err, errlen, (e == ENOENT || e == ENOTDIR) ? SS_ENOENT : SS_EIO,
                      "%s: cannot open: %s", path, strerror(e));
    }
    struct stat st;
    char *buf = NULL;
    ss_status rc;
    if (fstat(fd, &st) != 0) {
        rc = ss_err(err, errlen, SS_EIO, "%s: cannot stat: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ss_err(err, errlen, SS_EIO, "%s: expected a regular file, got %s", path,
                    S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket");
        goto fail;
    }
    if ((uint64_t)st.st_size > SS_JSON_MAX_BYTES) {
        /* the file is readable, its content is what is wrong: bad input (65) */
        rc = ss_err(err, errlen, SS_ERANGE, "%s: expected at most %zu bytes, got %lld", path,
                    SS_JSON_MAX_BYTES, (long long)st.st_size);
        goto fail;
    }
    size_t size = (size_t)st.st_size;
    buf = ss_malloc(size + 1);
    if (!buf) {
        rc = ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = ss_err(err, errlen, SS_EIO, "%s: read error: %s", path, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    /* A file that grows or shrinks while we read is being written: refuse
     * it rather than parse a torn document. */
    char extra;
    ssize_t r;
    do
        r = read(fd, &extra, 1);
    while (r < 0 && errno == EINTR);
    if (got != size || r != 0) {
        rc = ss_err(err, errlen, SS_EIO, "%s: file changed size while being read", path);
        goto fail;
    }
    close(fd);
    buf[size] = '\0';
    *out_buf = buf;
    *out_len = size;
    return SS_OK;
fail:
    ss_free(buf);
    close(fd);
    return rc;
}

/* ---- The strict scanner ------------------------------------------------- */

typedef struct scan {
    const unsigned char *p;
    size_t len;
    size_t pos;
    size_t err_pos;
    char msg[200];
} scan;

static int is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static void skip_ws(scan *s)
{
    while (s->pos < s->len && is_ws(s->p[s->pos]))
        s->pos++;
}

/* Describe what sits at `pos` for "got Y": end of input, a word, or one
 * character (the text is valid UTF-8 by the time the scanner runs). */
static void describe_at(const scan *s, size_t pos, char *dst, size_t n)
{
    if (pos >= s->len) {
        snprintf(dst, n, "end of input");
        return;
    }
    unsigned char c = s->p[pos];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        size_t e = pos;
        while (e < s->len && e - pos < 16 &&
               ((s->p[e] >= 'a' && s->p[e] <= 'z') || (s->p[e] >= 'A' && s->p[e] <= 'Z') ||
                (s->p[e] >= '0' && s->p[e] <= '9') || s->p[e] == '_'))
            e++;
        snprintf(dst, n, "'%.*s'", (int)(e - pos), (const char *)s->p + pos);
    } else if (c < 0x20 || c == 0x7f) {
        snprintf(dst, n, "control character U+%04X", c);
    } else if (c < 0x80) {
        snprintf(dst, n, "'%c'", c);
    } else {
        size_t k = 1;
        while (pos + k < s->len && k < 4 && (s->p[pos + k] & 0xC0) == 0x80)
            k++;
        snprintf(dst, n, "'%.*s'", (int)k, (const char *)s->p + pos);
    }
}

static int fail_at(scan *s, size_t pos, const char *expected)
{
    char got[64];
    describe_at(s, pos, got, sizeof got);
    s->err_pos = pos;
    snprintf(s->msg, sizeof s->msg, "expected %s, got %s", expected, got);
    return -1;
}

static int fail_msg(scan *s, size_t pos, const char *msg)
{
    s->err_pos = pos;
    snprintf(s->msg, sizeof s->msg, "%s", msg);
    return -1;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads \uXXXX at s->pos (pointing at the backslash); -1 on error. */
static long scan_u_escape(scan *s)
{
    size_t start = s->pos;
    if (s->pos + 6 > s->len)
        return fail_msg(s, start, "truncated \\u escape (expected 4 hex digits)");
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s->p[s->pos + 2 + (size_t)i]);
        if (h < 0)
            return fail_at(s, s->pos + 2 + (size_t)i, "a hex digit in a \\u escape");
        v = v * 16 + h;
    }
    s->pos += 6;
    return v;
}

static int scan_string(scan *s)
{
    size_t open = s->pos;
    s->pos++; /* opening quote */
    for (;;) {
        if (s->pos >= s->len) {
            s->err_pos = open;
            snprintf(s->msg, sizeof s->msg, "unterminated string (expected a closing '\"')");
            return -1;
        }
        unsigned char c = s->p[s->pos];
        if (c == '"') {
            s->pos++;
            return 0;
        }
        if (c < 0x20)
            return fail_at(s, s->pos, "a character or an escape inside a string (raw control "
                                      "characters must be escaped)");
        if (c != '\\') {
            s->pos++;
            continue;
        }
        if (s->pos + 1 >= s->len)
            return fail_at(s, s->pos + 1, "an escape character after '\\'");
        unsigned char e = s->p[s->pos + 1];
        if (e != 'u') {
            if (!strchr("\"\\/bfnrt", e) || e == 0)
                return fail_at(s, s->pos + 1, "one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u");
            s->pos += 2;
            continue;
        }
        size_t esc = s->pos;
        long u = scan_u_escape(s);
        if (u < 0)
            return -1;
        if (u == 0)
            return fail_msg(s, esc, "\\u0000 is not allowed in strings (it would truncate them)");
        if (u >= 0xDC00 && u <= 0xDFFF)
            return fail_msg(s, esc, "lone low surrogate escape (expected a high surrogate "
                                    "\\uD800-\\uDBFF before it)");
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (s->pos + 1 >= s->len || s->p[s->pos] != '\\' || s->p[s->pos + 1] != 'u')
                return fail_msg(s, esc, "lone high surrogate escape (expected a low surrogate "
                                        "\\uDC00-\\uDFFF after it)");
            long lo = scan_u_escape(s);
            if (lo < 0)
                return -1;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return fail_msg(s, esc, "lone high surrogate escape (expected a low surrogate "
                                        "\\uDC00-\\uDFFF after it)");
        }
    }
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Convert like cJSON does (it swaps '.' for the locale's decimal point), to
 * learn whether the literal overflows or underflows. */
static int scan_number(scan *s)
{
    size_t start = s->pos;
    const unsigned char *p = s->p;
    int nonzero = 0;
    if (s->pos < s->len && p[s->pos] == '-')
        s->pos++;
    if (s->pos >= s->len || !is_digit(p[s->pos]))
        return fail_at(s, s->pos, "a digit");
    if (p[s->pos] == '0') {
        s->pos++;
        if (s->pos < s->len && is_digit(p[s->pos]))
            return fail_msg(s, start, "numbers must not have leading zeros");
    } else {
        while (s->pos < s->len && is_digit(p[s->pos]))
            s->pos++;
        nonzero = 1;
    }
    if (s->pos < s->len && p[s->pos] == '.') {
        s->pos++;
        if (s->pos >= s->len || !is_digit(p[s->pos]))
            return fail_at(s, s->pos, "a digit after the decimal point");
        while (s->pos < s->len && is_digit(p[s->pos])) {
            nonzero |= p[s->pos] != '0';
            s->pos++;
        }
    }
    if (s->pos < s->len && (p[s->pos] == 'e' || p[s->pos] == 'E')) {
        s->pos++;
        if (s->pos < s->len && (p[s->pos] == '+' || p[s->pos] == '-'))
            s->pos++;
        if (s->pos >= s->len || !is_digit(p[s->pos]))
            return fail_at(s, s->pos, "a digit in the exponent");
        while (s->pos < s->len && is_digit(p[s->pos]))
            s->pos++;
    }
    size_t n = s->pos - start;
    if (n > SS_JSON_MAX_NUMBER_CHARS) {
        s->err_pos = start;
        snprintf(s->msg, sizeof s->msg, "number literal of %zu characters (at most %d accepted)",
                 n, SS_JSON_MAX_NUMBER_CHARS);
        return -1;
    }
    char tmp[SS_JSON_MAX_NUMBER_CHARS + 1];
    memcpy(tmp, p + start, n);
    tmp[n] = '\0';
    const char *dp = localeconv()->decimal_point;
    char *dot = strchr(tmp, '.');
    if (dot && dp && dp[0] && !dp[1])
        *dot = dp[0];
    double v = strtod(tmp, NULL);
    if (!isfinite(v)) {
        s->err_pos = start;
        snprintf(s->msg, sizeof s->msg, "number %.*s is too large for a double", (int)n,
                 (const char *)p + start);
        return -1;
    }
    if (v == 0 && nonzero) {
        s->err_pos = start;
        snprintf(s->msg, sizeof s->msg, "number %.*s is too small for a double (it would read as 0)",
                 (int)n, (const char *)p + start);
        return -1;
    }
    return 0;
}

static int scan_value(scan *s, int depth);

static int scan_container(scan *s, int depth)
{
    size_t open = s->pos;
    int is_obj = s->p[s->pos] == '{';
    if (depth > SS_JSON_MAX_DEPTH) {
        s->err_pos = open;
        snprintf(s->msg, sizeof s->msg, "nesting deeper than %d levels", SS_JSON_MAX_DEPTH);
        return -1;
    }
    s->pos++;
    skip_ws(s);
    char close = is_obj ? '}' : ']';
    if (s->pos < s->len && s->p[s->pos] == (unsigned char)close) {
        s->pos++;
        return 0;
    }
    for (int first = 1;; first = 0) {
        if (is_obj) {
            if (s->pos >= s->len || s->p[s->pos] != '"')
                return fail_at(s, s->pos,
                               first ? "a string key or '}'"
                                     : "a string key after ',' (trailing commas are not allowed)");
            if (scan_string(s))
                return -1;
            skip_ws(s);
            if (s->pos >= s->len || s->p[s->pos] != ':')
                return fail_at(s, s->pos, "':' after an object key");
            s->pos++;
            skip_ws(s);
        } else if (!first && s->pos < s->len && s->p[s->pos] == ']') {
            return fail_at(s, s->pos, "a value after ',' (trailing commas are not allowed)");
        }
        if (scan_value(s, depth))
            return -1;
        skip_ws(s);
        if (s->pos < s->len && s->p[s->pos] == ',') {
            s->pos++;
            skip_ws(s);
            continue;
        }
        if (s->pos < s->len && s->p[s->pos] == (unsigned char)close) {
            s->pos++;
            return 0;
        }
        return fail_at(s, s->pos, is_obj ? "',' or '}' after an object member"
                                         : "',' or ']' after an array element");
    }
}

static int scan_literal(scan *s, const char *word)
{
    size_t n = strlen(word);
    if (s->len - s->pos < n || memcmp(s->p + s->pos, word, n) != 0)
        return fail_at(s, s->pos, "a JSON value");
    s->pos += n;
    return 0;
}

/* depth: number of containers enclosing this value. */
static int scan_value(scan *s, int depth)
{
    if (s->pos >= s->len)
        return fail_at(s, s->pos, "a JSON value");
    unsigned char c = s->p[s->pos];
    switch (c) {
    case '{':
    case '[':
        return scan_container(s, depth + 1);
    case '"':
        return scan_string(s);
    case 't':
        return scan_literal(s, "true");
    case 'f':
        return scan_literal(s, "false");
    case 'n':
        return scan_literal(s, "null");
    default:
        if (c == '-' || is_digit(c))
            return scan_number(s);
        return fail_at(s, s->pos, "a JSON value");
    }
}

/* ---- Encoding checks ---------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. Rejects
 * overlong forms, encoded surrogates and code points above U+10FFFF. */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90; /* overlong */
        if (c == 0xF4)
            hi = 0x8F; /* > U+10FFFF */
    } else
        return 0;
    if (avail < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

/* ---- Positions ---------------------------------------------------------- */

static void line_col(const unsigned char *p, size_t pos, size_t *line, size_t *col)
{
    size_t l = 1, c = 1;
    for (size_t i = 0; i < pos; i++) {
        if (p[i] == '\n') {
            l++;
            c = 1;
        } else if ((p[i] & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}

static ss_status err_at(const char *name, const unsigned char *p, size_t pos, char *err,
                        size_t errlen, const char *msg)
{
    size_t line, col;
    line_col(p, pos, &line, &col);
    return ss_err(err, errlen, SS_EPARSE, "%s: line %zu, column %zu (byte %zu): %s", name, line,
                  col, pos, msg);
}

/* ---- Tree checks: keys -------------------------------------------------- */

typedef struct key_ref {
    const char *key;
    size_t index; /* position in the object, for document-order reporting */
} key_ref;

static int key_ref_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    return (x->index > y->index) - (x->index < y->index);
}

/* Index (in document order) of the first member whose key repeats an
 * earlier one, or SIZE_MAX; *oom on allocation failure. */
static size_t first_duplicate(const cJSON *obj, size_t n, int *oom)
{
    size_t best = SIZE_MAX;
    if (n < 2)
        return best;
    if (n <= 16) {
        /* Small objects (nearly all of them): quadratic, no allocation. */
        size_t j = 0;
        for (const cJSON *a = obj->child; a; a = a->next, j++)
            for (const cJSON *b = obj->child; b != a; b = b->next)
                if (strcmp(a->string, b->string) == 0)
                    return j;
        return best;
    }
    key_ref *refs = ss_malloc_array(n, sizeof *refs);
    if (!refs) {
        *oom = 1;
        return best;
    }
    size_t i = 0;
    for (const cJSON *a = obj->child; a; a = a->next, i++)
        refs[i] = (key_ref){a->string, i};
    qsort(refs, n, sizeof *refs, key_ref_cmp);
    /* Within a run of equal keys sorted by index, the second entry is that
     * key's first repetition; the earliest such over all runs wins. */
    for (i = 1; i < n; i++)
        if (strcmp(refs[i].key, refs[i - 1].key) == 0 &&
            (i < 2 || strcmp(refs[i - 1].key, refs[i - 2].key) != 0) && refs[i].index < best)
            best = refs[i].index;
    ss_free(refs);
    return best;
}

static ss_status check_tree(const ss_json_ctx *cx, const cJSON *v, const char *path)
{
    if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
        return SS_OK;
    char sub[512];
    if (cJSON_IsObject(v)) {
        size_t n = 0;
        for (const cJSON *c = v->child; c; c = c->next) {
            if (!c->string) /* defensive: cJSON always sets keys in objects */
                return ss_json_errf(cx, SS_EPARSE, path, "object member without a key");
            ss_json_path_key(sub, sizeof sub, path, c->string);
            if (c->string[0] == '\0')
                return ss_json_errf(cx, SS_EPARSE, sub, "expected a non-empty key, got \"\"");
            size_t kl = strlen(c->string);
            if (kl > SS_JSON_MAX_KEY_BYTES)
                return ss_json_errf(cx, SS_EPARSE, sub,
                                    "expected a key of at most %d bytes, got %zu bytes",
                                    SS_JSON_MAX_KEY_BYTES, kl);
            n++;
        }
        int oom = 0;
        size_t d = first_duplicate(v, n, &oom);
        if (oom)
            return ss_json_errf(cx, SS_ENOMEM, "", "out of memory");
        if (d != SIZE_MAX) {
            const cJSON *c = v->child;
            for (size_t i = 0; i < d; i++)
                c = c->next;
            ss_json_path_key(sub, sizeof sub, path, c->string);
            return ss_json_errf(cx, SS_EPARSE, sub,
                                "duplicate key (each key may appear once per object)");
        }
    }
    size_t i = 0;
    for (const cJSON *c = v->child; c; c = c->next, i++) {
        if (cJSON_IsObject(v))
            ss_json_path_key(sub, sizeof sub, path, c->string);
        else
            ss_json_path_index(sub, sizeof sub, path, i);
        ss_status rc = check_tree(cx, c, sub);
        if (rc != SS_OK)
            return rc;
    }
    return SS_OK;
}

/* ---- Parse -------------------------------------------------------------- */

ss_status ss_json_parse(const char *name, const char *buf, size_t len, cJSON **out, char *err,
                        size_t errlen)
{
    *out = NULL;
    if (!name)
        name = "<input>";
    const unsigned char *p = (const unsigned char *)buf;
    ss_json_init();

    if (len > SS_JSON_MAX_BYTES)
        return ss_err(err, errlen, SS_EPARSE, "%s: expected at most %zu bytes, got %zu", name,
                      SS_JSON_MAX_BYTES, len);
    if (len == 0)
        return ss_err(err, errlen, SS_EPARSE, "%s: expected a JSON value, got an empty file", name);
    /* Byte order marks first: they explain the NUL bytes or odd UTF-8 that
     * the checks below would otherwise report less helpfully. */
    if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        return ss_err(err, errlen, SS_EPARSE,
                      "%s: line 1, column 1 (byte 0): expected JSON text, got a UTF-8 byte order "
                      "mark (save the file as UTF-8 without BOM)",
                      name);
    if (len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
        return ss_err(err, errlen, SS_EPARSE,
                      "%s: line 1, column 1 (byte 0): expected UTF-8 JSON text, got a UTF-16%s "
                      "byte order mark",
                      name, p[0] == 0xFF ? "LE" : "BE");
    for (size_t i = 0; i < len;) {
        if (p[i] == 0) {
            /* ASCII in UTF-16 puts a NUL next to every character. */
            int utf16 = (len >= 2 && (p[0] == 0 || p[1] == 0));
            return err_at(name, p, i, err, errlen,
                          utf16 ? "expected UTF-8 JSON text, got a NUL byte (the file looks "
                                  "like UTF-16)"
                                : "expected JSON text, got a NUL byte");
        }
        size_t k = utf8_seq(p + i, len - i);
        if (k == 0) {
            char msg[96];
            snprintf(msg, sizeof msg, "expected UTF-8 text, got an invalid byte 0x%02X", p[i]);
            return err_at(name, p, i, err, errlen, msg);
        }
        i += k;
    }
    size_t nonws = 0;
    while (nonws < len && is_ws(p[nonws]))
        nonws++;
    if (nonws == len)
        return ss_err(err, errlen, SS_EPARSE,
                      "%s: expected a JSON value, got only whitespace (%zu bytes)", name, len);

    scan s = {.p = p, .len = len, .pos = nonws};
    if (scan_value(&s, 0) == 0) {
        skip_ws(&s);
        if (s.pos != len)
            fail_at(&s, s.pos, "end of input after the JSON value");
    }
    if (s.msg[0])
        return err_at(name, p, s.err_pos, err, errlen, s.msg);

    /* Length-bounded parse without the NUL-terminator requirement (with it,
     * a length that excludes the terminator rejects everything); we check
     * the end ourselves: only whitespace may follow the value. */
    json_oom = 0;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!root) {
        if (json_oom)
            return ss_err(err, errlen, SS_ENOMEM, "%s: out of memory", name);
        /* Defensive: our scanner accepted text cJSON refused. */
        size_t pos = (end && end >= buf && end <= buf + len) ? (size_t)(end - buf) : 0;
        return err_at(name, p, pos, err, errlen, "cJSON rejected the document here");
    }
    size_t pos = (size_t)(end - buf);
    while (pos < len && is_ws(p[pos]))
        pos++;
    if (pos != len) { /* defensive: the scanner already required this */
        cJSON_Delete(root);
        return err_at(name, p, pos, err, errlen, "expected end of input after the JSON value");
    }
    ss_json_ctx cx = {.file = name, .err = err, .errlen = errlen};
    ss_status rc = check_tree(&cx, root, "");
    if (rc != SS_OK) {
        cJSON_Delete(root);
        return rc;
    }
    *out = root;
    return SS_OK;
}

ss_status ss_json_load_file(const char *path, cJSON **out, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    *out = NULL;
    ss_status rc = ss_json_read_file(path, &buf, &len, err, errlen);
    if (rc != SS_OK)
        return rc;
    rc = ss_json_parse(path, buf, len, out, err, errlen);
    ss_free(buf);
    return rc;
}
