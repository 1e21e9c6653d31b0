/* ss_status.h - the one status enum shared by every shardsim library.
 *
 * Codes are generated from one X-macro list so the enum, its names and its
 * messages can never drift apart (libuv's UV_ERRNO_MAP). Fallible functions
 * return an ss_status and write results through out-parameters; a function
 * that can explain itself further also takes `char *err, size_t errlen` and
 * fills it with "file: path: expected X, got Y".
 */
#ifndef SS_STATUS_H
#define SS_STATUS_H

#include <stddef.h>

#define SS_STATUS_MAP(X)                                             \
    X(OK, "ok")                                                      \
    X(ENOMEM, "out of memory")                                       \
    X(EINVAL, "invalid argument")                                    \
    X(EPARSE, "malformed input")                                     \
    X(ESCHEMA, "input violates the schema")                          \
    X(ERANGE, "value out of range")                                  \
    X(ENOENT, "no such file")                                        \
    X(EIO, "input/output error")                                     \
    X(EDB, "database error")                                         \
    X(EBUSY, "database busy")                                        \
    X(EREADONLY, "database is read-only")                            \
    X(EVERSION, "unsupported version")                               \
    X(ENOTFOUND, "not found")                                        \
    X(EFULL, "capacity exhausted")                                   \
    X(ENUMERIC, "numerical failure")                                 \
    X(EUNSUPPORTED, "unsupported")                                   \
    X(EEXIST, "already exists")

typedef enum ss_status {
#define SS_STATUS_ENUM_(name, msg) SS_##name,
    SS_STATUS_MAP(SS_STATUS_ENUM_)
#undef SS_STATUS_ENUM_
    SS_STATUS_COUNT_
} ss_status;

/* Human-readable message for a status; never NULL. */
const char *ss_strerror(ss_status s);
/* The code's name without prefix ("ENOMEM"); never NULL. */
const char *ss_status_name(ss_status s);

/* printf into an error buffer; NULL/0 buffers are allowed and ignored.
 * Returns `code` so callers can write `return ss_err(err, n, SS_EPARSE, ...)`. */
ss_status ss_err(char *err, size_t errlen, ss_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
