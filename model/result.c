/* result.c - names and exit codes of TlResult, and the TlError helpers. */
#include "model/result.h"

#include <stdarg.h>
#include <stdbool.h>
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

/* Keep s (a buffer of TL_ERROR_MAX) one printable line, whatever the input
 * it quotes holds: trailing line breaks dropped (libpq ends its messages with
 * one), other control bytes written as \n, \r, \t or \xHH. */
static void one_line(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    bool plain = true;
    for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
        plain = *p >= 0x20 && *p != 0x7f;
    if (plain)
        return;
    char out[TL_ERROR_MAX];
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < sizeof out; p++) {
        if (*p >= 0x20 && *p != 0x7f) {
            out[o++] = (char)*p;
            continue;
        }
        const char *esc = *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : *p == '\t' ? "\\t" : NULL;
        if (esc)
            o += (size_t)snprintf(out + o, sizeof out - o, "%s", esc);
        else
            o += (size_t)snprintf(out + o, sizeof out - o, "\\x%02x", *p);
    }
    out[o] = '\0';
    memcpy(s, out, o + 1);
}

TlResult tl_error_set(TlError *err, TlResult rc, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        one_line(err->msg);
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
    one_line(err->hint);
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
    one_line(err->msg);
}
