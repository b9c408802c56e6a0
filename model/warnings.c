/* warnings.c - see warnings.h. Levels: critical when backups are already
 * being destroyed by a running reverse migration (L3: nothing brings them
 * back); warn when something closes within 7 days (the 45-day window W2, a
 * previous segment's restore window) or a repeat migration would lose an
 * available segment (W1), a requested objective has not come (W6), or the
 * objective is unknown (T4); info for an
 * open window and for facts the rules need but nobody observed (W3). */
#include "model/warnings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *warnings_level_str(TlAlertLevel level)
{
    return level == TL_ALERT_CRITICAL ? "critical" : level == TL_ALERT_WARN ? "warn" : "info";
}

TlResult warnings_alert(TlAlerts *out, TlAlertLevel level, const char *code, const char *rule,
                        TlTime at, int segment, const char *fmt, ...)
{
    TlAlert *grown = realloc(out->alerts, (out->n + 1) * sizeof *grown);
    if (!grown)
        return TL_ERR_NOMEM;
    out->alerts = grown;
    TlAlert *a = &grown[out->n++];
    *a = (TlAlert){.level = level, .code = code, .rule = rule, .at = at, .segment = segment};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->message, sizeof a->message, fmt, ap);
    va_end(ap);
    return TL_OK;
}

static void days_hours(TlTime span, char *buf, size_t size)
{
    snprintf(buf, size, "%lld days %lld hours", (long long)(span / TL_SECONDS_PER_DAY),
             (long long)(span % TL_SECONDS_PER_DAY / 3600));
}

/* W3: facts a rule needs that nobody observed */
static TlResult alert_unobserved(TlAlerts *out, const TlFacts *facts)
{
    char missing[160] = "";
    const struct {
        bool known;
        const char *name;
    } needs[] = {{facts->retention_known, "retention"},
                 {facts->pool_known, "elastic pool"},
                 {facts->geo_known, "geo-replication"},
                 {facts->replicas_known, "named replicas"},
                 {facts->allocated_known, "allocated size"}};
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++)
        if (!needs[i].known) {
            strncat(missing, missing[0] ? ", " : "", sizeof missing - strlen(missing) - 1);
            strncat(missing, needs[i].name, sizeof missing - strlen(missing) - 1);
        }
    if (!missing[0])
        return TL_OK;
    return warnings_alert(out, TL_ALERT_INFO, "assumption", "W3", TL_TIME_NONE, 0,
                          "not observed: %s; checks on this database answer 'unknown' where these "
                          "decide%s",
                          missing, facts->retention_known ? "" : " (retention taken as 7 days)");
}

/* Worst first, then the soonest (stable). */
static void sort_alerts(TlAlerts *out)
{
    for (size_t i = 1; i < out->n; i++) {
        TlAlert key = out->alerts[i];
        size_t j = i;
        for (;
             j > 0 && (out->alerts[j - 1].level < key.level ||
                       (out->alerts[j - 1].level == key.level && key.at != TL_TIME_NONE &&
                        (out->alerts[j - 1].at == TL_TIME_NONE || out->alerts[j - 1].at > key.at)));
             j--)
            out->alerts[j] = out->alerts[j - 1];
        out->alerts[j] = key;
    }
}

TlResult warnings_evaluate(const TlTransition *tr, size_t n, TlTime as_of, int retention_days,
                           const TlFacts *facts, TlAlerts *out, TlError *err)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX], left[48], pending[TL_FINDING_MESSAGE_MAX];
    memset(out, 0, sizeof *out);
    TlLineage lin;
    TlResult rc = lineage_evaluate(tr, n, as_of, retention_days, TL_READING_SEGMENT, &lin, err);
    if (rc)
        return rc;
    TlObjective now;
    objective_parse(lin.objective_now, NULL, &now);
    const TlSegment *prev = lineage_previous(&lin);

    /* L3: a running reverse migration has already destroyed the chain before */
    if (lin.in_progress != SIZE_MAX) {
        const TlTransition *t = &tr[lin.in_progress];
        for (size_t i = 0; i < lin.n_segments && !rc; i++) {
            const TlSegment *s = &lin.segments[i];
            if (s->status == TL_SEG_LOST && s->lost_by == lin.in_progress)
                rc = warnings_alert(
                    out, TL_ALERT_CRITICAL, "backups_lost_in_progress", "L3", s->lost_at, s->seq,
                    "the reverse migration to %s started %s and is still running: segment "
                    "S%d (%s) became unrestorable at its start, and cancelling does not "
                    "bring it back",
                    t->to_objective, tl_time_format(t->started_at, a), s->seq,
                    objective_architecture_str(s->arch));
        }
    }
    /* W2: the 45-day window to go back to General Purpose */
    TlTime deadline = lin.reverse_deadline;
    if (deadline != TL_TIME_NONE) {
        if (as_of <= deadline && !rc) {
            days_hours(deadline - as_of, left, sizeof left);
            bool closing = deadline - as_of < TL_DEADLINE_WARN_DAYS * TL_SECONDS_PER_DAY;
            rc = warnings_alert(
                out, closing ? TL_ALERT_WARN : TL_ALERT_INFO, "reverse_window_closing", "W2",
                deadline, 0,
                "a reverse migration to General Purpose must start by %s (%s left); after "
                "that the database stays Hyperscale",
                tl_time_format(deadline, a), left);
        }
    }
    /* the previous segment: what a repeat migration would lose (W1), and its expiry */
    if (prev && prev->status == TL_SEG_RESTORABLE && !rc) {
        bool reverse_possible = now.arch == TL_ARCH_HYPERSCALE && !lin.created_in_hyperscale &&
                                deadline != TL_TIME_NONE && as_of <= deadline;
        if (reverse_possible || now.arch == TL_ARCH_STANDARD)
            rc = warnings_alert(
                out, TL_ALERT_WARN, "backup_loss", "W1", prev->expires_at, prev->seq,
                "a %s now would make segment S%d (%s) unrestorable %s: restore points %s to "
                "%s, which otherwise stay until %s",
                reverse_possible ? "reverse migration" : "conversion to Hyperscale", prev->seq,
                objective_architecture_str(prev->arch),
                reverse_possible ? "the moment it starts (L3)" : "at its cutover (L4)",
                tl_time_format(prev->restore_from, a), tl_time_format(prev->restore_to, b),
                tl_time_format(prev->expires_at, left));
        if (!rc && prev->expires_at - as_of < TL_EXPIRY_WARN_DAYS * TL_SECONDS_PER_DAY) {
            days_hours(prev->expires_at - as_of, left, sizeof left);
            rc = warnings_alert(
                out, TL_ALERT_WARN, "previous_expiring", "L5", prev->expires_at, prev->seq,
                "segment S%d (%s, restorable to %s) expires at %s (%s left): restore "
                "from it before then if you need it",
                prev->seq, objective_architecture_str(prev->arch),
                tl_time_format(prev->restore_to, a), tl_time_format(prev->expires_at, b), left);
        }
    }
    if (!rc && (!now.known || !now.tracked))
        rc = warnings_alert(
            out, TL_ALERT_WARN, "unknown_objective", "T4", TL_TIME_NONE, 0,
            "the objective '%s' is not one tierledger knows: its edition and architecture "
            "are guessed",
            now.name);
    if (!rc && check_request_pending(&lin, tr, facts))
        rc = warnings_alert(out, TL_ALERT_WARN, "requested_objective_pending", "W6",
                            facts->requested_since, 0, "%s",
                            check_request_text(&lin, tr, facts, pending, sizeof pending));
    if (!rc)
        rc = alert_unobserved(out, facts);
    lineage_cleanup(&lin);
    if (rc) {
        warnings_cleanup(out);
        return tl_error_set(err, rc, "out of memory");
    }
    sort_alerts(out);
    return TL_OK;
}

void warnings_cleanup(TlAlerts *alerts)
{
    if (!alerts)
        return;
    free(alerts->alerts);
    alerts->alerts = NULL;
    alerts->n = 0;
}
