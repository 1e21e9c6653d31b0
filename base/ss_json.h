/* ss_json.h - a strict reading layer over cJSON 1.7.15 for every loader.
 *
 * cJSON alone accepts too much (PITFALLS.md: 17 of JSONTestSuite's invalid
 * files, `1e999` as inf, duplicate keys resolved to the first, case-blind
 * lookups, `valueint` saturating at INT_MAX). This layer puts a strict
 * RFC 8259 scanner in front of cJSON and typed, path-aware getters behind it,
 * so a loader never touches `valueint`, `cJSON_GetErrorPtr` or a
 * case-insensitive lookup.
 *
 * What a document must be (ss_json_parse), checked in this order:
 *   - at most SS_JSON_MAX_BYTES bytes, not empty, not only whitespace;
 *   - UTF-8 without a byte order mark: a UTF-8 BOM is REJECTED, not stripped
 *     (RFC 8259 8.1 forbids emitting one; rejecting keeps "the bytes are the
 *     document" so a scenario hash never depends on an invisible prefix);
 *     UTF-16/32 (BOM or NUL bytes) is rejected with a hint;
 *   - no NUL byte anywhere, valid UTF-8 (no overlong forms, no encoded
 *     surrogates, nothing above U+10FFFF);
 *   - the strict grammar: no trailing commas, no comments, numbers as in
 *     RFC 8259 (`-01`, `2.`, `.5`, `2.e3`, `+1` are rejected although cJSON
 *     takes several of them), number literals of at most 63 characters
 *     (cJSON's own buffer), no literal that overflows a double (`1e999`) or
 *     underflows to zero (`1e-999`);
 *   - strings: no raw control characters, only the JSON escapes, no `\u0000`,
 *     no lone surrogate escapes;
 *   - nesting of at most SS_JSON_MAX_DEPTH arrays/objects (checked by the
 *     scanner before cJSON recurses), exactly one value followed only by
 *     whitespace up to the end (`{} {}`, `{}x` rejected);
 *   - every object: keys non-empty, at most SS_JSON_MAX_KEY_BYTES bytes,
 *     unique (compared after unescaping; O(n log n) per object).
 *
 * Error messages are one line. Syntax errors name the position:
 *   "FILE: line L, column C (byte B): expected X, got Y"
 * (line and column 1-based, column counted in UTF-8 characters, byte offset
 * 0-based). Schema errors name the JSON path:
 *   "FILE: nodes[3].device.memory_gb: expected a positive number, got \"16GB\""
 *
 * Memory: the first parse installs cJSON hooks that route cJSON's allocations
 * through ss_malloc/ss_free, so fail-the-Nth-allocation tests cover cJSON too
 * (ss_json_init; call it from main before any thread starts).
 */
#ifndef SS_JSON_H
#define SS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "ss_status.h"

#define SS_JSON_MAX_BYTES ((size_t)16 << 20) /* file size cap, checked by fstat before reading */
#define SS_JSON_MAX_DEPTH 64                  /* nested arrays/objects; the outermost is depth 1 */
#define SS_JSON_MAX_KEY_BYTES 255             /* longest accepted object key */
#define SS_JSON_MAX_NUMBER_CHARS 63           /* longest accepted number literal */
#define SS_JSON_MAX_SAFE_INT 9007199254740991.0 /* 2^53 - 1: integers above lose exactness in a double */

/* Route cJSON's allocations through ss_alloc. Idempotent; called by every
 * parse, but call it once from main() before starting threads. */
void ss_json_init(void);

/* ---- Reading and parsing ------------------------------------------------ */

/* Read a whole regular file of at most SS_JSON_MAX_BYTES bytes. The size is
 * checked with fstat on the opened descriptor (opened O_NONBLOCK so a FIFO
 * never blocks), before anything is read. On success *out_buf is ss_malloc'd,
 * NUL-terminated at (*out_len) and owned by the caller (ss_free).
 * Errors: SS_ENOENT (missing), SS_EIO (not a regular file, too large, read
 * error, file changed while reading), SS_ENOMEM. Messages start with `path`. */
ss_status ss_json_read_file(const char *path, char **out_buf, size_t *out_len, char *err,
                            size_t errlen);

/* Parse `len` bytes at `buf` (need not be NUL-terminated; never read past
 * buf+len by us, and cJSON only ever sees text our scanner accepted) under
 * the rules above. `name` labels messages (NULL: "<input>"). On success
 * *out is a tree the caller owns (cJSON_Delete). Errors: SS_EPARSE (bad
 * text; also duplicate/empty/long keys), SS_ENOMEM. */
ss_status ss_json_parse(const char *name, const char *buf, size_t len, cJSON **out, char *err,
                        size_t errlen);

/* ss_json_read_file + ss_json_parse; the file name labels messages. */
ss_status ss_json_load_file(const char *path, cJSON **out, char *err, size_t errlen);

/* ---- Typed, path-aware access ------------------------------------------- */

/* Where errors go and which file they name. Paths are JSON paths relative to
 * the document root, e.g. "nodes[3].device"; "" is the root itself. */
typedef struct ss_json_ctx {
    const char *file; /* label of the document in messages, as given by the user */
    char *err;        /* may be NULL */
    size_t errlen;
} ss_json_ctx;

/* Write "file: path: message" (or "file: message" when path is "" or NULL)
 * into cx->err and return `code`. */
ss_status ss_json_errf(const ss_json_ctx *cx, ss_status code, const char *path, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));

/* Compose child paths: parent + ".key" (keys that are not [A-Za-z0-9_-]+ are
 * written as ["key"], escaped and shortened) and parent + "[i]". Always
 * NUL-terminate; silently truncate at n-1 bytes. */
void ss_json_path_key(char *dst, size_t n, const char *parent, const char *key);
void ss_json_path_index(char *dst, size_t n, const char *parent, size_t i);

/* Describe a value for "got Y": "16GB" quoted and escaped (long strings
 * shortened with "..."), numbers in shortest round-trip form, true, false,
 * null, "an object", "an array", "nothing" for NULL. */
void ss_json_describe(const cJSON *v, char *dst, size_t n);

/* Case-sensitive member lookup; NULL if `obj` is not an object or lacks it. */
const cJSON *ss_json_find(const cJSON *obj, const char *key);

/* The candidate closest to `word` by edit distance (optimal string
 * alignment; case differences cost nothing beyond the first), or NULL when
 * none is close enough to be a plausible typo. Ties: first in the list. */
const char *ss_json_closest(const char *word, const char *const *cands, size_t n);

/* Every key of object `obj` (at `path`) must be one of `allowed`. The first
 * unknown key in document order gives SS_ESCHEMA:
 *   "FILE: path.sede: unknown key \"sede\" (did you mean \"seed\"?)"
 * or, with nothing close, "... (expected one of: a, b, c)". */
ss_status ss_json_check_keys(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                             const char *const *allowed, size_t n_allowed);

/* Range rule for numbers: min <= v <= max, or strict with *_open. `what` is
 * the noun phrase for messages ("a probability"); NULL derives one from the
 * bounds ("a positive number", "a non-negative number", "a number in [a, b]"). */
typedef struct ss_json_num_rule {
    double min, max;
    int min_open, max_open;
    const char *what;
} ss_json_num_rule;

/* Required or optional members. An absent optional member leaves *out
 * untouched (so the caller pre-fills the default) and returns SS_OK; an
 * absent required member gives SS_ESCHEMA "FILE: path.key: missing required
 * key (expected ...)". */
enum { SS_JSON_OPTIONAL = 0, SS_JSON_REQUIRED = 1 };

/* Values (v may be NULL: reported as missing). Errors: SS_ESCHEMA for a
 * wrong type, SS_ERANGE for a right type out of range. */
ss_status ss_json_number(const ss_json_ctx *cx, const cJSON *v, const char *path,
                         const ss_json_num_rule *rule, double *out);
/* Integers come from valuedouble (never valueint): finite, integral, within
 * [min, max] and within +-(2^53-1). -0 reads as 0. */
ss_status ss_json_int(const ss_json_ctx *cx, const cJSON *v, const char *path, int64_t min,
                      int64_t max, int64_t *out);
/* Strings: 1..dstsize-1 bytes (0 allowed with allow_empty), valid UTF-8, no
 * control characters (U+0000..U+001F, U+007F), copied into dst. */
ss_status ss_json_string(const ss_json_ctx *cx, const cJSON *v, const char *path, int allow_empty,
                         char *dst, size_t dstsize);
ss_status ss_json_bool(const ss_json_ctx *cx, const cJSON *v, const char *path, int *out);

/* Members of object `obj` at `path` (the key is appended to the path). */
ss_status ss_json_get_number(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                             const char *key, int required, const ss_json_num_rule *rule,
                             double *out);
ss_status ss_json_get_int(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                          const char *key, int required, int64_t min, int64_t max, int64_t *out);
ss_status ss_json_get_string(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                             const char *key, int required, char *dst, size_t dstsize);
ss_status ss_json_get_bool(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                           const char *key, int required, int *out);
/* *out = the object, or NULL when optional and absent. */
ss_status ss_json_get_object(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                             const char *key, int required, const cJSON **out);
/* *out = the array and *n its length in [min_n, max_n], or NULL/0 when
 * optional and absent. */
ss_status ss_json_get_array(const ss_json_ctx *cx, const cJSON *obj, const char *path,
                            const char *key, int required, size_t min_n, size_t max_n,
                            const cJSON **out, size_t *n);

#endif
