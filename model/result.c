/* result.c - names and exit codes of TlResult, and the TlError helpers. */
#include "model/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *tl_result_str(TlResult rc)
{
    switch (rc) {
    case TL_OK: return "ok";
    case TL_ERR_USAGE: return "usage";
    case TL_ERR_DATA: return "data";
    case TL_ERR_NOT_FOUND: return "not found";
    case TL_ERR_UNAVAILABLE: return "unavailable";
    case TL_ERR_INTERNAL: return "internal";
    case TL_ERR_NOMEM: return "out of memory";
    case TL_ERR_NOINPUT: return "no input";
    case TL_ERR_IO: return "i/o";
    case TL_ERR_LOCKED: return "locked";
    case TL_ERR_PROTOCOL: return "protocol";
    case TL_ERR_NOPERM: return "permission denied";
    case TL_ERR_SCHEMA: return "schema";
    }
    return "unknown";
}

int tl_result_exit_code(TlResult rc)
{
    switch (rc) {
    case TL_OK: return 0;
    case TL_ERR_USAGE: return 64;
    case TL_ERR_DATA: return 65;
    case TL_ERR_NOT_FOUND: return 65;
    case TL_ERR_UNAVAILABLE: return 69;
    case TL_ERR_INTERNAL: return 70;
    case TL_ERR_NOMEM: return 70;
    case TL_ERR_NOINPUT: return 66;
    case TL_ERR_IO: return 74;
    case TL_ERR_LOCKED: return 75;
    case TL_ERR_PROTOCOL: return 76;
    case TL_ERR_NOPERM: return 77;
    case TL_ERR_SCHEMA: return 78;
    }
    return 70;
}

TlResult tl_error_set(TlError *err, TlResult rc, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->hint[0] = '\0';
    }
    return rc;
}

void tl_error_hint(TlError *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->hint, sizeof err->hint, fmt, ap);
    va_end(ap);
}

void tl_error_prefix(TlError *err, const char *fmt, ...)
{
    if (!err)
        return;
    char prefix[TL_ERROR_MAX];
    char old[TL_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* prefix, ": ", old - truncated to the buffer, never overflowing */
    size_t used = strlen(prefix);
    memcpy(err->msg, prefix, used + 1);
    if (used + 2 < sizeof err->msg) {
        memcpy(err->msg + used, ": ", 3);
        used += 2;
        size_t room = sizeof err->msg - used - 1, len = strlen(old);
        memcpy(err->msg + used, old, len < room ? len : room);
        err->msg[used + (len < room ? len : room)] = '\0';
    }
}
