/* ss_status.c - names and messages for ss_status, from SS_STATUS_MAP. */
#include "ss_status.h"

#include <stdarg.h>
#include <stdio.h>

static const char *const status_msg[] = {
#define SS_STATUS_MSG_(name, msg) msg,
    SS_STATUS_MAP(SS_STATUS_MSG_)
#undef SS_STATUS_MSG_
};

static const char *const status_name[] = {
#define SS_STATUS_NAME_(name, msg) #name,
    SS_STATUS_MAP(SS_STATUS_NAME_)
#undef SS_STATUS_NAME_
};

const char *ss_strerror(ss_status s)
{
    if ((unsigned)s >= SS_STATUS_COUNT_)
        return "unknown status";
    return status_msg[s];
}

const char *ss_status_name(ss_status s)
{
    if ((unsigned)s >= SS_STATUS_COUNT_)
        return "UNKNOWN";
    return status_name[s];
}

ss_status ss_err(char *err, size_t errlen, ss_status code, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}
