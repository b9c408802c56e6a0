/* result.h - the one error convention of tierledger.
 *
 * Every fallible function returns a TlResult and writes its results to
 * out-parameters; on failure it fills the caller's TlError with one line that
 * names the object and the place. See docs/conventions.md. */
#ifndef TIERLEDGER_MODEL_RESULT_H
#define TIERLEDGER_MODEL_RESULT_H

#include <stddef.h>

typedef enum {
    TL_OK = 0,
    TL_ERR_USAGE,       /* bad command line                       -> exit 64 */
    TL_ERR_DATA,        /* bad input data (file, argument value)  -> exit 65 */
    TL_ERR_NOT_FOUND,   /* the named database is not recorded     -> exit 65 */
    TL_ERR_UNAVAILABLE, /* PostgreSQL (or Azure) unreachable      -> exit 69 */
    TL_ERR_INTERNAL,    /* a bug or an unexpected server answer   -> exit 70 */
    TL_ERR_NOMEM,       /* out of memory                          -> exit 70 */
    TL_ERR_NOINPUT,     /* an input file does not exist / unreadable -> exit 66 */
    TL_ERR_IO,          /* a file could not be read or written    -> exit 74 */
    TL_ERR_LOCKED,      /* another tierledger holds the lock      -> exit 75 */
    TL_ERR_PROTOCOL,    /* a remote answer breaks its protocol    -> exit 76 */
    TL_ERR_NOPERM,      /* a credential was refused               -> exit 77 */
    TL_ERR_SCHEMA,      /* schema missing or newer than binary    -> exit 78 */
} TlResult;

#define TL_ERROR_MAX 1024

/* Caller-supplied detail buffer: msg is one line, hint an optional second.
 * The setters below keep both one printable line whatever they quote: a
 * trailing line break is dropped, control bytes are written as \n, \t or
 * \xHH. */
typedef struct {
    char msg[TL_ERROR_MAX];
    char hint[TL_ERROR_MAX];
} TlError;

/* Stable lowercase name of a result ("data", "unavailable", ...). */
const char *tl_result_str(TlResult rc);

/* The process exit code (sysexits.h numbers) for a result. */
int tl_result_exit_code(TlResult rc);

/* Fill err->msg (printf format) and clear err->hint; returns rc so that
 * `return tl_error_set(err, TL_ERR_DATA, "...")` reads naturally.
 * err may be NULL. */
TlResult tl_error_set(TlError *err, TlResult rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set err->hint (printf format). err may be NULL. */
void tl_error_hint(TlError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix err->msg with "prefix: " (used to add the place to a lower error). */
void tl_error_prefix(TlError *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
