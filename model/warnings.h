/* warnings.h - what a DBA must act on for one database as of an instant
 * (the fleet warnings report): reverse-migration deadlines (W2), repeat
 * migrations that would lose an available segment (W1), previous segments
 * about to expire, reverse migrations in progress that have already lost
 * backups (L3), requested objectives that have not come (W6), unknown
 * objectives (T4) and facts (W3). Pure. */
#ifndef TIERLEDGER_MODEL_WARNINGS_H
#define TIERLEDGER_MODEL_WARNINGS_H

#include "model/check.h"

typedef enum {
    TL_ALERT_INFO = 0,
    TL_ALERT_WARN,
    TL_ALERT_CRITICAL,
} TlAlertLevel;

const char *warnings_level_str(TlAlertLevel level); /* "info" | "warn" | "critical" */

typedef struct {
    TlAlertLevel level;
    const char *code; /* backups_lost_in_progress, reverse_window_closing, backup_loss,
                         previous_expiring, requested_objective_pending, unknown_objective,
                         assumption */
    const char *rule; /* L3, W2, W1, L5, W6, T4, W3 */
    TlTime at;        /* the instant it is about (deadline, expiry, loss), or NONE */
    int segment;      /* the segment concerned, or 0 */
    char message[TL_FINDING_MESSAGE_MAX];
} TlAlert;

typedef struct {
    TlAlert *alerts; /* owned; worst first */
    size_t n;
} TlAlerts;

#define TL_EXPIRY_WARN_DAYS 7

/* Alerts for one validated, sorted history as of as_of. */
TlResult warnings_evaluate(const TlTransition *tr, size_t n, TlTime as_of, int retention_days,
                           const TlFacts *facts, TlAlerts *out, TlError *err);
void warnings_cleanup(TlAlerts *alerts);

/* Append one alert (the message printf-formatted); TL_ERR_NOMEM when memory
 * ran out. For the evaluators (warnings.c, mi_warnings.c). */
TlResult warnings_alert(TlAlerts *out, TlAlertLevel level, const char *code, const char *rule,
                        TlTime at, int segment, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

#endif
