/* mi_report.c - see mi_report.h. */
#include "reports/mi_report.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"

static cJSON *str_or_null(const char *s)
{
    return s && s[0] ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *json_changes(const TlMiSegment *s, bool *ok)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t k = 0; arr && k < s->n_changes; k++) {
        const TlMiAttributeChange *c = &s->changes[k];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            *ok = false;
            break;
        }
        report_json_put(o, "at", report_json_time(c->at), ok);
        report_json_put(o, "what", str_or_null(c->what), ok);
        report_json_put(o, "in_window",
                        cJSON_CreateBool(s->window_from != TL_TIME_NONE &&
                                         c->at >= s->window_from && c->at <= s->window_to),
                        ok);
    }
    if (!arr)
        *ok = false;
    return arr;
}

static cJSON *json_segment(const TlMiSegment *s, bool *ok)
{
    cJSON *o = cJSON_CreateObject(), *w = NULL;
    if (!o) {
        *ok = false;
        return NULL;
    }
    report_json_put(o, "seq", cJSON_CreateNumber(s->seq), ok);
    report_json_put(o, "resource_id", str_or_null(s->resource_id), ok);
    report_json_put(o, "origin", str_or_null(mi_origin_str(s->origin)), ok);
    report_json_put(o, "status", cJSON_CreateString(mi_status_str(s->status)), ok);
    report_json_put(o, "status_since", report_json_time(s->status_at), ok);
    report_json_put(o, "started_at", report_json_time(s->started_at), ok);
    report_json_put(o, "opened_at", report_json_time(s->opened_at), ok);
    report_json_put(o, "first_restore_point", report_json_time(s->first_restore_point), ok);
    report_json_put(o, "first_restore_point_estimated",
                    cJSON_CreateBool(s->first_restore_point_estimated), ok);
    if (s->window_from != TL_TIME_NONE) {
        w = cJSON_CreateObject();
        if (w) {
            report_json_put(w, "from", report_json_time(s->window_from), ok);
            report_json_put(w, "to", report_json_time(s->window_to), ok);
        }
    }
    report_json_put(o, "window", w ? w : cJSON_CreateNull(), ok);
    report_json_put(o, "ended_at", report_json_time(s->ended_at), ok);
    report_json_put(o, "dropped_at", report_json_time(s->dropped_at), ok);
    report_json_put(o, "expires_at", report_json_time(s->expires_at), ok);
    report_json_put(o, "lost_cause", str_or_null(mi_lost_cause_str(s->lost_cause)), ok);
    report_json_put(o, "retention_days", cJSON_CreateNumber(s->retention_days), ok);
    report_json_put(o, "retention_assumed", cJSON_CreateBool(!s->retention_known), ok);
    report_json_put(o, "attribute_changes", json_changes(s, ok), ok);
    report_json_put(o, "attribute_change_in_window", cJSON_CreateBool(s->n_changes_in_window > 0),
                    ok);
    return o;
}

static cJSON *json_ltr(const TlMiLineage *lin, bool *ok)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t k = 0; arr && k < lin->n_ltr; k++) {
        const TlMiLtrBackup *b = &lin->ltr[k];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            *ok = false;
            break;
        }
        report_json_put(o, "id", cJSON_CreateString(b->id), ok);
        report_json_put(o, "resource_id", cJSON_CreateString(b->resource_id), ok);
        report_json_put(o, "segment", cJSON_CreateNumber(b->seq), ok);
        report_json_put(o, "taken_at", report_json_time(b->taken_at), ok);
        report_json_put(o, "redundancy", str_or_null(b->redundancy), ok);
        report_json_put(o, "kept_as", str_or_null(b->kept_as), ok);
        report_json_put(o, "expires_at", report_json_time(b->expires_at), ok);
        report_json_put(o, "expiry_assumed", cJSON_CreateBool(b->expiry_assumed), ok);
        report_json_put(o, "status", cJSON_CreateString(mi_ltr_status_str(b->status)), ok);
        report_json_put(o, "status_since", report_json_time(b->status_at), ok);
    }
    if (!arr)
        *ok = false;
    return arr;
}

static cJSON *json_alerts(const TlAlerts *alerts, bool *ok)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && alerts && i < alerts->n; i++) {
        const TlAlert *a = &alerts->alerts[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            *ok = false;
            break;
        }
        report_json_put(o, "level", cJSON_CreateString(warnings_level_str(a->level)), ok);
        report_json_put(o, "code", cJSON_CreateString(a->code), ok);
        report_json_put(o, "rule", cJSON_CreateString(a->rule), ok);
        report_json_put(o, "segment",
                        a->segment ? cJSON_CreateNumber(a->segment) : cJSON_CreateNull(), ok);
        report_json_put(o, "at", report_json_time(a->at), ok);
        report_json_put(o, "message", cJSON_CreateString(a->message), ok);
    }
    if (!arr)
        *ok = false;
    return arr;
}

TlResult report_mi_lineage_json(FILE *out, const char *resource_id, const TlMiLineage *lin,
                                const TlAlerts *alerts, TlError *err)
{
    bool ok = true;
    cJSON *root = cJSON_CreateObject(), *segs = cJSON_CreateArray();
    if (!root || !segs) {
        cJSON_Delete(root);
        cJSON_Delete(segs);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory building JSON");
    }
    report_json_put(root, "resource_id", cJSON_CreateString(resource_id), &ok);
    report_json_put(root, "service", cJSON_CreateString("managed_instance"), &ok);
    report_json_put(root, "as_of", report_json_time(lin->as_of), &ok);
    report_json_put(root, "origin", str_or_null(mi_origin_str(lin->origin)), &ok);
    report_json_put(root, "migration_started", report_json_time(lin->migration_started), &ok);
    report_json_put(root, "migration_deadline", report_json_time(lin->migration_deadline), &ok);
    report_json_put(root, "migration_cancelled", report_json_time(lin->cancelled_at), &ok);
    report_json_put(root, "cancelled_by_time_limit", cJSON_CreateBool(lin->cancelled_by_limit),
                    &ok);
    report_json_put(root, "instance_deleted", report_json_time(lin->instance_deleted_at), &ok);
    for (size_t k = 0; k < lin->n_segments && ok; k++) {
        cJSON *o = json_segment(&lin->segments[k], &ok);
        if (!o || !cJSON_AddItemToArray(segs, o)) {
            cJSON_Delete(o);
            ok = false;
        }
    }
    report_json_put(root, "segments", segs, &ok);
    report_json_put(root, "ltr_backups", json_ltr(lin, &ok), &ok);
    report_json_put(root, "warnings", json_alerts(alerts, &ok), &ok);
    return report_json_finish(out, root, ok, err);
}

static const char *when(TlTime t, char *buf)
{
    return t == TL_TIME_NONE ? "-" : tl_time_format(t, buf);
}

TlResult report_mi_lineage_text(FILE *out, const char *resource_id, const TlMiLineage *lin,
                                const TlAlerts *alerts, TlError *err)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    fprintf(out, "%s (Azure SQL Managed Instance)\n  %s\n", report_database_name(resource_id),
            resource_id);
    fprintf(out, "as of %s; origin %s", when(lin->as_of, a), mi_origin_str(lin->origin));
    if (lin->migration_started != TL_TIME_NONE)
        fprintf(out, ", migration started %s", when(lin->migration_started, a));
    fputc('\n', out);
    if (lin->cancelled_at != TL_TIME_NONE)
        fprintf(out, "the migration was %s at %s: no MI backups\n",
                lin->cancelled_by_limit ? "cancelled by the 30-day limit" : "stopped",
                when(lin->cancelled_at, a));
    for (size_t k = 0; k < lin->n_segments; k++) {
        const TlMiSegment *s = &lin->segments[k];
        fprintf(out, "\nS%d %s (%s) on %s\n", s->seq, mi_status_str(s->status),
                mi_origin_str(s->origin), report_database_name(s->resource_id));
        if (s->opened_at == TL_TIME_NONE)
            fprintf(out, "  pending since %s: MI has no backup chain yet\n",
                    when(s->started_at, a));
        else
            fprintf(out, "  opened %s, first restore point %s%s\n", when(s->opened_at, a),
                    when(s->first_restore_point, b),
                    s->first_restore_point_estimated ? " (estimated: not observed yet)" : "");
        if (s->window_from != TL_TIME_NONE)
            fprintf(out, "  restorable %s .. %s\n", when(s->window_from, a), when(s->window_to, b));
        else if (s->status == TL_MI_CURRENT)
            fprintf(out, "  no restore point yet\n");
        if (s->dropped_at != TL_TIME_NONE)
            fprintf(out, "  dropped %s; window empties %s\n", when(s->dropped_at, a),
                    when(s->expires_at, b));
        if (s->status == TL_MI_LOST)
            fprintf(out, "  lost %s (%s)\n", when(s->status_at, a),
                    mi_lost_cause_str(s->lost_cause));
        else if (s->status == TL_MI_EXPIRED)
            fprintf(out, "  expired %s\n", when(s->status_at, a));
        fprintf(out, "  retention %d days%s\n", s->retention_days,
                s->retention_known ? "" : " (assumed: no policy recorded)");
        for (size_t c = 0; c < s->n_changes; c++) {
            const TlMiAttributeChange *ch = &s->changes[c];
            bool in = s->window_from != TL_TIME_NONE && ch->at >= s->window_from &&
                      ch->at <= s->window_to;
            fprintf(out, "  %s %s%s\n", when(ch->at, a), ch->what ? ch->what : "instance changed",
                    in ? " (inside the window: an attribute, not a break, AMB-MI-1)" : "");
        }
    }
    size_t kept = 0;
    const TlMiLtrBackup *oldest = NULL, *latest = NULL;
    for (size_t k = 0; k < lin->n_ltr; k++) {
        const TlMiLtrBackup *x = &lin->ltr[k];
        if (x->status != TL_MI_LTR_KEPT)
            continue;
        kept++;
        oldest = oldest ? oldest : x;
        latest = x;
    }
    if (lin->n_ltr)
        fprintf(out, "\nLTR backups (MI-B9): %zu kept of %zu taken%s", kept, lin->n_ltr,
                kept ? "; they outlive the database and its instance\n" : "\n");
    for (int k = 0; oldest && k < 2; k++) {
        const TlMiLtrBackup *x = k ? latest : oldest;
        fprintf(out, "  %s %s (%s, until %s%s)\n", k ? "latest" : "oldest kept",
                when(x->taken_at, a), x->kept_as ? x->kept_as : "no policy recorded",
                when(x->expires_at, b), x->expiry_assumed ? ", assumed" : "");
    }
    for (size_t i = 0; alerts && i < alerts->n; i++) {
        const TlAlert *al = &alerts->alerts[i];
        fprintf(out, "%s%s %s (%s)\n", i ? "" : "\n", warnings_level_str(al->level), al->code,
                al->rule);
        report_wrap(out, al->message, 2, 100);
    }
    fprintf(out, "\nRules: domain-mi.md (MI-B*, W-MI-*).\n");
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the report") : TL_OK;
}

TlResult report_mi_check_json(FILE *out, const char *resource_id, const TlMiLineage *lin,
                              const char *target, const TlMiCheck *check, TlError *err)
{
    bool ok = true;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory building JSON");
    report_json_put(root, "resource_id", cJSON_CreateString(resource_id), &ok);
    report_json_put(root, "service", cJSON_CreateString("managed_instance"), &ok);
    report_json_put(root, "as_of", report_json_time(lin->as_of), &ok);
    report_json_put(root, "question", cJSON_CreateString(check->question), &ok);
    report_json_put(root, "target", str_or_null(target), &ok);
    report_json_put(root, "verdict", cJSON_CreateString(check_verdict_str(check->verdict)), &ok);
    report_json_put(root, "findings", report_json_findings(check->findings, check->n_findings, &ok),
                    &ok);
    return report_json_finish(out, root, ok, err);
}

TlResult report_mi_check_text(FILE *out, const char *resource_id, const TlMiLineage *lin,
                              const char *target, const TlMiCheck *check, TlError *err)
{
    char a[TL_TIME_TEXT_MAX];
    fprintf(out, "%s (Azure SQL Managed Instance)\n  %s\n", report_database_name(resource_id),
            resource_id);
    if (strcmp(check->question, "drop_source") == 0)
        fprintf(out, "as of %s: may the source database and its backups be dropped?\n",
                when(lin->as_of, a));
    else
        fprintf(out, "as of %s: the instance's tier to %s\n", when(lin->as_of, a),
                target ? target : "?");
    fprintf(out, "verdict: %s\n", check_verdict_str(check->verdict));
    for (size_t i = 0; i < check->n_findings; i++) {
        const TlFinding *f = &check->findings[i];
        fprintf(out, "\n%s %s (%s)\n", check_severity_str(f->severity), f->code, f->rule);
        report_wrap(out, f->message, 2, 100);
    }
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the report") : TL_OK;
}
