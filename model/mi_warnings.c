/* mi_warnings.c - see mi_warnings.h. Each alert names its rule id and,
 * where there is one, the instant it is about (a deadline, a loss). */
#include "model/mi_warnings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DAY TL_SECONDS_PER_DAY

static bool same_db(const TlMiEvent *e, const TlMiSegment *s)
{
    return e->resource_id && strcasecmp(e->resource_id, s->resource_id) == 0;
}

static const char *job(TlMiOrigin o)
{
    return o == TL_MI_ORIGIN_DMS ? "DMS (Azure SQL migration extension)" : "LRS";
}

/* W-MI-1: an LRS or DMS job near (or past) its 30-day limit. */
static TlResult lrs_limit(const TlMiLineage *lin, int warn_days, TlAlerts *out)
{
    char a[TL_TIME_TEXT_MAX];
    if (lin->cancelled_by_limit)
        return warnings_alert(
            out, TL_ALERT_CRITICAL, "lrs_time_limit", "W-MI-1", lin->cancelled_at, 1,
            "the %s job was not cut over within 30 days: Azure cancelled it at %s and "
            "dropped the restoring database; MI holds no backup of it (MI-M1)",
            job(lin->origin), tl_time_format(lin->cancelled_at, a));
    if (lin->migration_deadline == TL_TIME_NONE || lin->n_segments == 0 ||
        lin->segments[0].status != TL_MI_PENDING ||
        lin->as_of < lin->migration_started + (TlTime)warn_days * DAY)
        return TL_OK;
    TlTime left = lin->migration_deadline - lin->as_of;
    return warnings_alert(
        out, TL_ALERT_WARN, "lrs_time_limit", "W-MI-1", lin->migration_deadline, 1,
        "the %s job started %lld days ago: cut over before %s (%lld days %lld hours "
        "left) or Azure cancels it and drops the restoring database (MI-M1)",
        job(lin->origin), (long long)((lin->as_of - lin->migration_started) / DAY),
        tl_time_format(lin->migration_deadline, a), (long long)(left / DAY),
        (long long)(left % DAY / 3600));
}

/* W-MI-10: a migrated database MI cannot restore yet; W-MI-11: one dropped
 * before its first full backup. */
static TlResult restore_point(const TlMiLineage *lin, const char *source, TlAlerts *out)
{
    char a[TL_TIME_TEXT_MAX];
    TlResult rc = TL_OK;
    for (size_t k = 0; k < lin->n_segments && !rc; k++) {
        const TlMiSegment *s = &lin->segments[k];
        /* (unknown: not known to be a restore, so not said to be one) */
        bool restored = s->origin != TL_MI_ORIGIN_NEW && s->origin != TL_MI_ORIGIN_MOVE &&
                        s->origin != TL_MI_ORIGIN_UNKNOWN;
        if (restored && s->dropped_at != TL_TIME_NONE &&
            (s->first_restore_point == TL_TIME_NONE || s->dropped_at < s->first_restore_point))
            rc = warnings_alert(
                out, TL_ALERT_WARN, "drop_before_first_full", "W-MI-11", s->dropped_at, s->seq,
                "dropped at %s before its first full backup completed: nothing of it "
                "is restorable, and the name cannot be used for a new database until "
                "that backup is taken",
                tl_time_format(s->dropped_at, a));
        else if (k == 0 && mi_origin_is_migration(s->origin) &&
                 (s->status == TL_MI_PENDING ||
                  (s->status == TL_MI_CURRENT && s->first_restore_point_estimated)))
            rc = warnings_alert(out, TL_ALERT_WARN, "no_mi_restore_point", "W-MI-10",
                                s->status == TL_MI_PENDING ? TL_TIME_NONE : s->first_restore_point,
                                s->seq, "keep %s and its backup chain: MI %s (MI-B6)", source,
                                s->status == TL_MI_PENDING
                                    ? "has no backup of it until the migration is cut over"
                                    : "has observed no restore point yet (the first full and log "
                                      "backups are estimated done by then)");
    }
    return rc;
}

/* W-MI-12: retention lowered on a dropped database: while it is restorable
 * (the points older are gone, and it cannot be raised again), and for a
 * week after it was set to 0 (its backups are gone). */
static TlResult dropped_retention(const TlMiEvent *ev, size_t n, const TlMiLineage *lin,
                                  TlAlerts *out)
{
    TlResult rc = TL_OK;
    char until[TL_TIME_TEXT_MAX];
    for (size_t k = 0; k < lin->n_segments && !rc; k++) {
        const TlMiSegment *s = &lin->segments[k];
        for (size_t i = 0; i < n && !rc && s->dropped_at != TL_TIME_NONE; i++) {
            const TlMiEvent *e = &ev[i];
            if (e->at > lin->as_of || e->kind != TL_MI_EV_RETENTION_CHANGED || !same_db(e, s) ||
                e->at < s->dropped_at)
                continue;
            if (e->retention_days == 0 && lin->as_of < e->at + (TlTime)TL_EXPIRY_WARN_DAYS * DAY)
                rc = warnings_alert(
                    out, TL_ALERT_CRITICAL, "dropped_retention_lowered", "W-MI-12", e->at, s->seq,
                    "retention of the dropped database set to 0 days: its backups are "
                    "deleted, it can no longer be restored (MI-B2)");
            else if (e->retention_days > 0 && s->status == TL_MI_RESTORABLE)
                rc = warnings_alert(
                    out, TL_ALERT_WARN, "dropped_retention_lowered", "W-MI-12", e->at, s->seq,
                    "retention of the dropped database lowered to %d days: points older "
                    "are gone, and it can no longer be raised (MI-B2); restorable until "
                    "%s",
                    e->retention_days, tl_time_format(s->expires_at, until));
        }
    }
    return rc;
}

/* W-MI-14: a move or copy ready for completion and not completed. */
static TlResult move_deadline(const TlMiEvent *ev, size_t n, const TlMiLineage *lin, TlAlerts *out)
{
    if (lin->n_segments == 0)
        return TL_OK;
    const TlMiSegment *s = &lin->segments[lin->n_segments - 1];
    const TlMiEvent *ready = NULL;
    for (size_t i = 0; i < n && ev[i].at <= lin->as_of; i++) {
        if (!same_db(&ev[i], s))
            continue;
        if (ev[i].kind == TL_MI_EV_MOVE_READY)
            ready = &ev[i];
        else if (ev[i].kind == TL_MI_EV_MOVE_COMPLETED || ev[i].kind == TL_MI_EV_MOVE_CANCELLED)
            ready = NULL;
    }
    if (!ready || s->status != TL_MI_CURRENT ||
        lin->as_of >= ready->at + TL_MI_MOVE_COMPLETE_DAYS * DAY)
        return TL_OK;
    char a[TL_TIME_TEXT_MAX];
    TlTime deadline = ready->at + TL_MI_MOVE_COMPLETE_DAYS * DAY;
    bool copy = ready->origin == TL_MI_ORIGIN_COPY;
    return warnings_alert(
        out, TL_ALERT_WARN, "move_completion_deadline", "W-MI-14", deadline, s->seq,
        "the %s is ready: complete it before %s or Azure cancels it and drops the "
        "destination%s",
        copy ? "copy" : "move", tl_time_format(deadline, a),
        copy ? "" : "; the PITR backups stay behind on the source (MI-B14)");
}

static bool on_instance_of(const TlMiEvent *e, const char *db)
{
    size_t len = mi_instance_prefix(db);
    return len && mi_instance_prefix(e->resource_id) == len &&
           strncasecmp(e->resource_id, db, len) == 0;
}

/* W-MI-19: the instance's backup storage redundancy changed while the
 * database's LTR policy was set: its LTR backups keep the redundancy in
 * force when the policy was set (MI-B9), and its rate (MI-$9). */
static TlResult ltr_redundancy(const TlMiEvent *ev, size_t n, const TlMiLineage *lin, TlAlerts *out)
{
    TlResult rc = TL_OK;
    for (size_t k = 0; k < lin->n_segments && !rc; k++) {
        const TlMiSegment *s = &lin->segments[k];
        const char *now = NULL, *fixed = NULL;
        bool active = false, assumed = false;
        const TlMiEvent *change = NULL;
        for (size_t i = 0; i < n && ev[i].at <= lin->as_of; i++) {
            const TlMiEvent *e = &ev[i];
            if (e->kind == TL_MI_EV_INSTANCE_CHANGED && e->redundancy &&
                on_instance_of(e, s->resource_id)) {
                if (active && strcmp(e->redundancy, fixed) != 0)
                    change = e;
                else if (active)
                    change = NULL;
                now = e->redundancy;
            } else if (e->kind == TL_MI_EV_LTR_POLICY_CHANGED && same_db(e, s)) {
                bool was = active;
                active = mi_ltr_policy_active(e);
                if (active && !was) { /* "the STR redundancy when the policy was defined" */
                    fixed = now ? now : "Geo"; /* MI-B8: the default */
                    assumed = !now;
                }
                if (!active)
                    change = NULL;
            }
        }
        if (change && s->ended_at == TL_TIME_NONE)
            rc = warnings_alert(
                out, TL_ALERT_INFO, "ltr_redundancy_fixed", "W-MI-19", change->at, s->seq,
                "the instance's backup storage redundancy became %s, but this database's LTR "
                "backups stay %s%s, the redundancy when its LTR policy was set, and bill at that "
                "rate (MI-B9, MI-$9); it cannot be changed",
                change->redundancy, fixed, assumed ? " (assumed: the default)" : "");
    }
    return rc;
}

static bool is_system_database(const char *name)
{
    static const char *const sys[] = {"master", "msdb", "model", "tempdb"};
    for (size_t i = 0; name && i < sizeof sys / sizeof *sys; i++)
        if (strcasecmp(name, sys[i]) == 0)
            return true;
    return false;
}

/* W-MI-4, W-MI-5, W-MI-6 from the migration's source facts, and W3 for
 * the ones not given. */
static TlResult source_facts(const TlMiEvent *ev, size_t n, const TlMiEvent *start, TlAlerts *out)
{
    TlResult rc = TL_OK;
    bool restore = start->origin != TL_MI_ORIGIN_MI_LINK; /* a backup is restored on MI */
    if (is_system_database(start->source_database))
        rc = warnings_alert(out, TL_ALERT_WARN, "system_database_in_scope", "W-MI-5", start->at, 1,
                            "source database %s is a system database: %s", start->source_database,
                            restore ? "restoring system databases is not supported"
                                    : "the link does not replicate system databases");
    if (!rc && start->compatibility_level >= 0 && start->compatibility_level < 100)
        rc = warnings_alert(
            out, TL_ALERT_WARN, "compat_level_below_100", "W-MI-6", start->at, 1,
            "the source's compatibility level is %d: levels below 100 are not supported",
            start->compatibility_level);
    if (!rc && restore && start->tde_protected == 1) {
        bool uploaded = false;
        for (size_t i = 0; i < n && ev[i].at <= start->at && !uploaded; i++)
            uploaded = ev[i].kind == TL_MI_EV_TDE_CERTIFICATE_UPLOADED &&
                       on_instance_of(&ev[i], start->resource_id);
        if (!uploaded)
            rc = warnings_alert(
                out, TL_ALERT_WARN, "tde_certificate_missing", "W-MI-4", start->at, 1,
                "the source is TDE-protected and no certificate upload to the instance "
                "is recorded before the restore began: migrate the certificate first");
    }
    char unknown[160] = "";
    if (!start->source_database)
        strcat(unknown, ", source_database (W-MI-5)");
    if (start->compatibility_level < 0)
        strcat(unknown, ", compatibility_level (W-MI-6)");
    if (restore && start->tde_protected < 0)
        strcat(unknown, ", tde_protected (W-MI-4)");
    if (!rc && unknown[0])
        rc = warnings_alert(out, TL_ALERT_INFO, "assumption", "W3", TL_TIME_NONE, 1,
                            "not recorded for the migration: %s; those checks cannot pass or fail",
                            unknown + 2);
    return rc;
}

TlResult mi_warnings_database(const TlMiEvent *ev, size_t n, const TlMiLineage *lin,
                              int lrs_warn_days, TlAlerts *out, TlError *err)
{
    const TlMiEvent *start = NULL;
    for (size_t i = 0; i < n && ev[i].at <= lin->as_of && !start; i++)
        if (ev[i].kind == TL_MI_EV_MIGRATION_STARTED)
            start = &ev[i];
    char source[300];
    if (start && start->source_database)
        snprintf(source, sizeof source, "the source database %s%s%s",
                 start->source_server ? start->source_server : "", start->source_server ? "/" : "",
                 start->source_database);
    else
        snprintf(source, sizeof source, "the source database");
    TlResult rc = lrs_limit(lin, lrs_warn_days, out);
    if (!rc)
        rc = restore_point(lin, source, out);
    if (!rc)
        rc = dropped_retention(ev, n, lin, out);
    if (!rc)
        rc = move_deadline(ev, n, lin, out);
    if (!rc)
        rc = ltr_redundancy(ev, n, lin, out);
    if (!rc && start)
        rc = source_facts(ev, n, start, out);
    return rc ? tl_error_set(err, TL_ERR_NOMEM, "out of memory") : TL_OK;
}

static bool geo(const char *r)
{
    return r && (strcmp(r, "Geo") == 0 || strcmp(r, "GeoZone") == 0);
}

static bool local(const char *r)
{
    return r && (strcmp(r, "Local") == 0 || strcmp(r, "Zone") == 0);
}

/* W-MI-16: "SQLServer2022" and its like are fixed formats; anything else is
 * Always-up-to-date (the exact enum string is not verified). */
static bool always_up_to_date(const char *format)
{
    return format &&
           !(strncmp(format, "SQLServer20", 11) == 0 && strlen(format) == 13 && format[11] >= '0' &&
             format[11] <= '9' && format[12] >= '0' && format[12] <= '9');
}

TlResult mi_warnings_instance(const TlMiEvent *ev, size_t n, TlTime as_of, TlAlerts *out,
                              TlError *err)
{
    TlTime deleted = TL_TIME_NONE, stopped = TL_TIME_NONE, geo_off = TL_TIME_NONE,
           format_at = TL_TIME_NONE;
    const char *redundancy = NULL, *format = NULL;
    for (size_t i = 0; i < n && ev[i].at <= as_of; i++) {
        const TlMiEvent *e = &ev[i];
        if (e->kind == TL_MI_EV_INSTANCE_DELETED)
            deleted = e->at;
        else if (e->kind == TL_MI_EV_INSTANCE_STOPPED)
            stopped = e->at;
        else if (e->kind == TL_MI_EV_INSTANCE_STARTED)
            stopped = TL_TIME_NONE;
        else if (e->kind == TL_MI_EV_INSTANCE_CHANGED) {
            if (e->redundancy) {
                if (geo(redundancy) && local(e->redundancy))
                    geo_off = e->at;
                else if (geo(e->redundancy))
                    geo_off = TL_TIME_NONE;
                redundancy = e->redundancy;
            }
            if (e->database_format) {
                format = e->database_format;
                format_at = e->at;
            }
        }
    }
    char a[TL_TIME_TEXT_MAX];
    TlResult rc = TL_OK;
    if (deleted != TL_TIME_NONE) /* nothing else matters for a deleted instance */
        rc = warnings_alert(
            out, TL_ALERT_CRITICAL, "instance_deleted", "W-MI-13", deleted, 0,
            "the instance was deleted: the PITR backups of all its databases are lost "
            "(AMB-MI-5), LTR backups survive; Microsoft support may help if asked within "
            "5 days of the delete (until %s)",
            tl_time_format(deleted + 5 * DAY, a));
    else {
        if (stopped != TL_TIME_NONE)
            rc = warnings_alert(
                out, TL_ALERT_WARN, "instance_stopped", "W-MI-15", stopped, 0,
                "stopped since %s: no backups are taken while it is stopped (a yearly "
                "LTR backup due then is skipped), and storage and backup storage still "
                "bill (MI-$4)",
                tl_time_format(stopped, a));
        if (!rc && geo_off != TL_TIME_NONE)
            rc = warnings_alert(
                out, TL_ALERT_WARN, "geo_restore_disabled", "W-MI-9", geo_off, 0,
                "backup storage redundancy went from geo to %s: geo-restore is disabled "
                "for new backups; older ones keep their redundancy (MI-B8)",
                redundancy);
        if (!rc && always_up_to_date(format))
            rc = warnings_alert(
                out, TL_ALERT_INFO, "always_up_to_date", "W-MI-16", format_at, 0,
                "update policy Always-up-to-date (database format %s): one-way, and its "
                "backups restore only to Always-up-to-date instances",
                format);
    }
    return rc ? tl_error_set(err, TL_ERR_NOMEM, "out of memory") : TL_OK;
}

static int cmp_alert(const void *pa, const void *pb)
{
    const TlAlert *a = pa, *b = pb;
    if (a->level != b->level)
        return a->level > b->level ? -1 : 1;
    if (a->at != b->at) {
        if (a->at == TL_TIME_NONE || b->at == TL_TIME_NONE)
            return a->at == TL_TIME_NONE ? 1 : -1;
        return a->at < b->at ? -1 : 1;
    }
    return strcmp(a->code, b->code);
}

void mi_warnings_sort(TlAlerts *alerts)
{
    if (alerts->n > 1)
        qsort(alerts->alerts, alerts->n, sizeof *alerts->alerts, cmp_alert);
}

/* ---- check -------------------------------------------------------------------- */

static __attribute__((format(printf, 5, 6))) void
finding(TlMiCheck *c, TlSeverity sev, const char *code, const char *rule, const char *fmt, ...)
{
    if (c->n_findings == sizeof c->findings / sizeof *c->findings)
        return;
    TlFinding *f = &c->findings[c->n_findings++];
    *f = (TlFinding){.code = code, .rule = rule, .severity = sev};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
    TlVerdict v = sev == TL_SEV_BLOCK  ? TL_VERDICT_BLOCKED
                  : sev == TL_SEV_WARN ? TL_VERDICT_WARN
                                       : TL_VERDICT_OK;
    if (c->verdict != TL_VERDICT_UNKNOWN && v > c->verdict)
        c->verdict = v;
}

static int cmp_finding(const void *pa, const void *pb)
{
    const TlFinding *a = pa, *b = pb;
    return (int)b->severity - (int)a->severity;
}

static void sort_findings(TlMiCheck *c)
{
    /* stable enough: at most 8, insertion keeps the order they were found in */
    for (size_t i = 1; i < c->n_findings; i++)
        for (size_t j = i; j > 0 && cmp_finding(&c->findings[j - 1], &c->findings[j]) > 0; j--) {
            TlFinding t = c->findings[j];
            c->findings[j] = c->findings[j - 1];
            c->findings[j - 1] = t;
        }
}

void mi_check_drop_source(const TlMiLineage *lin, TlMiCheck *out)
{
    *out = (TlMiCheck){.verdict = TL_VERDICT_OK, .question = "drop_source"};
    char a[TL_TIME_TEXT_MAX];
    const TlMiSegment *s = lin->n_segments ? &lin->segments[0] : NULL;
    if (!mi_origin_is_migration(lin->origin))
        finding(out, TL_SEV_INFO, "not_migrated", "MI-B11",
                "the database was not migrated into Managed Instance (origin %s): it has no "
                "source to keep",
                mi_origin_str(lin->origin));
    else if (lin->cancelled_at != TL_TIME_NONE)
        finding(out, TL_SEV_BLOCK, "migration_cancelled", "MI-M1",
                "the migration was %s at %s: MI holds no backup of it, the source is the only "
                "copy",
                lin->cancelled_by_limit ? "cancelled by the 30-day limit" : "stopped",
                tl_time_format(lin->cancelled_at, a));
    else if (s && s->status == TL_MI_PENDING)
        finding(out, TL_SEV_BLOCK, "no_mi_restore_point", "W-MI-10",
                "the migration is not cut over: MI has no backup of it yet; keep the source and "
                "its backup chain");
    else if (s && (s->status == TL_MI_LOST || s->status == TL_MI_EXPIRED ||
                   lin->segments[lin->n_segments - 1].status == TL_MI_LOST))
        finding(out, TL_SEV_BLOCK, "mi_copy_gone", "MI-B15",
                "MI's backups of it are %s: the source's are the only ones left",
                mi_status_str(lin->segments[lin->n_segments - 1].status));
    else if (s && s->first_restore_point_estimated)
        finding(out, TL_SEV_BLOCK, "no_mi_restore_point", "W-MI-10",
                "no earliestRestorePoint observed yet (estimated %s): until MI reports one, it "
                "may not be able to restore the database; keep the source (an estimate never "
                "clears this, MI-B6)",
                tl_time_format(s->first_restore_point, a));
    else if (s)
        finding(out, TL_SEV_WARN, "source_points_before_f", "MI-B6",
                "MI restores from %s on; any point before it is only in the source's backups: "
                "drop them only if no restore to an earlier point will be needed",
                tl_time_format(s->first_restore_point, a));
    sort_findings(out);
}

static const char *tier_name(const char *t)
{
    if (!t)
        return NULL;
    if (strcasecmp(t, "GeneralPurpose") == 0 || strcasecmp(t, "GP") == 0)
        return "GeneralPurpose";
    if (strcasecmp(t, "BusinessCritical") == 0 || strcasecmp(t, "BC") == 0)
        return "BusinessCritical";
    return NULL;
}

void mi_check_tier(const TlMiEvent *ev, size_t n, const TlMiLineage *lin, const char *tier,
                   TlMiCheck *out)
{
    *out = (TlMiCheck){.verdict = TL_VERDICT_OK, .question = "instance_tier_change"};
    const char *target = tier_name(tier), *now = NULL, *redundancy = NULL, *format = NULL;
    const TlMiSegment *last = lin->n_segments ? &lin->segments[lin->n_segments - 1] : NULL;
    size_t len = last ? mi_instance_prefix(last->resource_id) : 0;
    for (size_t i = 0; i < n && ev[i].at <= lin->as_of; i++)
        if (ev[i].kind == TL_MI_EV_INSTANCE_CHANGED && len &&
            strncasecmp(ev[i].resource_id, last->resource_id, len) == 0) {
            now = ev[i].tier ? ev[i].tier : now;
            redundancy = ev[i].redundancy ? ev[i].redundancy : redundancy;
            format = ev[i].database_format ? ev[i].database_format : format;
        }
    if (!target) {
        finding(out, TL_SEV_WARN, "unknown_tier", "MI-M6",
                "'%s' is not GeneralPurpose or BusinessCritical (GP, BC)", tier ? tier : "");
        out->verdict = TL_VERDICT_UNKNOWN;
        return;
    }
    if (now && strcmp(now, target) == 0)
        finding(out, TL_SEV_INFO, "no_change", "MI-M6", "the instance is %s already", target);
    finding(out, TL_SEV_INFO, "lossless", "AMB-MI-1",
            "a tier change is an attribute of the instance: the segment and its restore window "
            "go on unchanged (no MI document says a tier change touches PITR backups; the "
            "reading taken, AMB-MI-1); the window will span the change for the retention period");
    if (last && last->status == TL_MI_PENDING)
        finding(out, TL_SEV_WARN, "operation_in_progress", "MI-M1",
                "a %s migration is restoring onto the instance: updates suspend pending LRS "
                "restores on General Purpose and cancel and restart them on Business Critical",
                mi_origin_str(last->origin));
    if (local(redundancy))
        finding(out, TL_SEV_INFO, "geo_restore_disabled", "W-MI-9",
                "the instance's backups are %s-redundant: geo-restore stays unavailable after "
                "the change",
                redundancy);
    if (always_up_to_date(format))
        finding(out, TL_SEV_INFO, "always_up_to_date", "W-MI-16",
                "the instance is Always-up-to-date (%s): its backups restore only to "
                "Always-up-to-date instances, whatever the tier",
                format);
    if (!redundancy || !format)
        finding(out, TL_SEV_INFO, "assumption", "W3", "not recorded for the instance: %s%s%s",
                !redundancy ? "redundancy" : "", !redundancy && !format ? ", " : "",
                !format ? "database_format" : "");
    sort_findings(out);
}
