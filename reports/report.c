/* report.c - text and JSON for lineage and check (see report.h). JSON is
 * built with cJSON so that every string is escaped correctly; times are
 * RFC 3339 UTC with Z, whole seconds; absent values are null. */
#include "reports/report.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *report_database_name(const char *resource_id)
{
    const char *slash = strrchr(resource_id, '/');
    return slash ? slash + 1 : resource_id;
}

static const char *fmt_time(TlTime t, char *buf)
{
    if (t == TL_TIME_NONE)
        return strcpy(buf, "-");
    return tl_time_format(t, buf);
}

/* ---- JSON helpers ---------------------------------------------------------- */

cJSON *report_json_time(TlTime t)
{
    char buf[TL_TIME_TEXT_MAX];
    return t == TL_TIME_NONE ? cJSON_CreateNull() : cJSON_CreateString(tl_time_format(t, buf));
}

static cJSON *json_str(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* Add item to obj; on allocation failure mark *ok false (cJSON frees nothing
 * it did not get, so a NULL item is simply not added). */
void report_json_put(cJSON *obj, const char *key, cJSON *item, bool *ok)
{
    if (!item || !cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        *ok = false;
    }
}

/* Print cJSON's output with two-space indentation and ": " instead of its
 * tabs. A raw tab only ever appears as layout: inside strings cJSON writes
 * it as \t. */
TlResult report_json_out(FILE *out, const char *text, TlError *err)
{
    return report_json_write(out, text, true, err);
}

TlResult report_json_write(FILE *out, const char *text, bool newline, TlError *err)
{
    int failed = 0;
    for (const char *p = text; *p && !failed; p++) {
        if (*p != '\t')
            failed = fputc(*p, out) == EOF;
        else if (p > text && p[-1] == ':')
            failed = fputc(' ', out) == EOF;
        else
            failed = fputs("  ", out) < 0;
    }
    failed = failed || (newline && fputc('\n', out) == EOF);
    return failed ? tl_error_set(err, TL_ERR_IO, "cannot write the report") : TL_OK;
}

TlResult report_json_array_begin(ReportJsonArray *a, FILE *out, cJSON *root, const char *key,
                                 TlError *err)
{
    *a = (ReportJsonArray){.out = out};
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    char pattern[80];
    snprintf(pattern, sizeof pattern, "\"%s\":\t[]", key);
    char *array = text ? strstr(text, pattern) : NULL;
    if (!array) {
        free(text);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory building JSON");
    }
    array += strlen(pattern) - 2;
    a->tail = strdup(array + 2);
    array[0] = '\0';
    TlResult rc = a->tail ? report_json_write(out, text, false, err)
                          : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    free(text);
    if (!rc && fputc('[', out) == EOF)
        rc = tl_error_set(err, TL_ERR_IO, "cannot write the report");
    return rc;
}

TlResult report_json_array_item(ReportJsonArray *a, cJSON *item, TlError *err)
{
    char *text = item ? cJSON_Print(item) : NULL;
    cJSON_Delete(item);
    if (!text)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory building JSON");
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    /* an item two levels down: a tab more per line (strings never hold a raw
     * newline, cJSON escapes it) */
    char *indented = malloc(strlen(text) + 2 * lines + 1);
    TlResult rc = indented ? TL_OK : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    if (indented) {
        char *q = indented;
        for (const char *p = text; *p; p++) {
            *q++ = *p;
            if (*p == '\n') {
                *q++ = '\t';
                *q++ = '\t';
            }
        }
        *q = '\0';
        if (a->n++ && fputs(", ", a->out) == EOF)
            rc = tl_error_set(err, TL_ERR_IO, "cannot write the report");
        if (!rc)
            rc = report_json_write(a->out, indented, false, err);
    }
    free(indented);
    free(text);
    return rc;
}

TlResult report_json_array_end(ReportJsonArray *a, TlError *err)
{
    TlResult rc = !a->tail ? tl_error_set(err, TL_ERR_INTERNAL, "a JSON array was not begun")
                  : fputc(']', a->out) == EOF
                      ? tl_error_set(err, TL_ERR_IO, "cannot write the report")
                      : report_json_write(a->out, a->tail, true, err);
    free(a->tail);
    a->tail = NULL;
    return rc;
}

TlResult report_json_finish(FILE *out, cJSON *root, bool ok, TlError *err)
{
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory building JSON");
    TlResult rc = report_json_out(out, text, err);
    free(text);
    return rc;
}

/* The transition that caused a loss, as it was at the as-of instant (L11:
 * one still running then shows a running state and no end). */
static cJSON *json_cause(const ReportSubject *s, const TlLineage *lin, const TlSegment *seg,
                         bool *ok)
{
    if (seg->status != TL_SEG_LOST || seg->lost_by >= s->n_tr)
        return cJSON_CreateNull();
    const TlTransition *t = &s->tr[seg->lost_by];
    cJSON *c = cJSON_CreateObject();
    if (!c)
        return NULL;
    report_json_put(c, "rule", json_str(seg->lost_rule), ok);
    report_json_put(c, "kind",
                    json_str(history_kind_str(history_kind_of(t->from_objective, t->to_objective))),
                    ok);
    report_json_put(c, "from_objective", json_str(t->from_objective), ok);
    report_json_put(c, "to_objective", json_str(t->to_objective), ok);
    report_json_put(c, "started_at", report_json_time(t->started_at), ok);
    report_json_put(c, "ended_at",
                    report_json_time(history_ended_by(t, lin->as_of) ? t->ended_at : TL_TIME_NONE),
                    ok);
    report_json_put(c, "state", json_str(history_state_str(history_state_at(t, lin->as_of))), ok);
    report_json_put(c, "operation_id", json_str(t->operation_id), ok);
    report_json_put(c, "initiated_by", json_str(t->initiated_by), ok);
    return c;
}

static cJSON *json_segments(const ReportSubject *s, const TlLineage *lin, bool *ok)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < lin->n_segments; i++) {
        const TlSegment *seg = &lin->segments[i];
        cJSON *o = cJSON_CreateObject(), *objs = cJSON_CreateArray();
        if (!o || !objs || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            cJSON_Delete(objs);
            *ok = false;
            break;
        }
        for (size_t k = 0; k < seg->n_objectives; k++)
            if (!cJSON_AddItemToArray(objs, cJSON_CreateString(seg->objectives[k])))
                *ok = false;
        bool available = seg->status == TL_SEG_CURRENT || seg->status == TL_SEG_RESTORABLE;
        report_json_put(o, "seq", cJSON_CreateNumber(seg->seq), ok);
        report_json_put(o, "architecture", json_str(objective_architecture_str(seg->arch)), ok);
        report_json_put(o, "objectives", objs, ok);
        report_json_put(o, "start", report_json_time(seg->start), ok);
        report_json_put(o, "end", report_json_time(seg->end), ok);
        report_json_put(o, "status", json_str(lineage_status_str(seg->status)), ok);
        report_json_put(o, "restore_from",
                        report_json_time(available ? seg->restore_from : TL_TIME_NONE), ok);
        report_json_put(o, "restore_to",
                        report_json_time(available ? seg->restore_to : TL_TIME_NONE), ok);
        report_json_put(o, "lost_at",
                        report_json_time(seg->status == TL_SEG_LOST ? seg->lost_at : TL_TIME_NONE),
                        ok);
        report_json_put(o, "loss_assumed",
                        cJSON_CreateBool(seg->status == TL_SEG_LOST && seg->loss_assumed), ok);
        report_json_put(o, "billable", cJSON_CreateBool(seg->billable), ok);
        report_json_put(o, "expires_at", report_json_time(seg->expires_at), ok);
        report_json_put(o, "lost_by", json_cause(s, lin, seg, ok), ok);
    }
    if (!arr)
        *ok = false;
    return arr;
}

static void json_subject(cJSON *root, const ReportSubject *s, const TlLineage *lin, bool *ok)
{
    report_json_put(root, "resource_id", json_str(s->resource_id), ok);
    report_json_put(root, "service", json_str("sql_database"), ok);
    report_json_put(root, "as_of", report_json_time(lin->as_of), ok);
    report_json_put(root, "retention_days", cJSON_CreateNumber(lin->retention_days), ok);
    report_json_put(root, "retention_assumed", cJSON_CreateBool(!s->retention_known), ok);
    report_json_put(root, "created_at", report_json_time(s->created_at), ok);
    report_json_put(root, "lineages", cJSON_CreateNumber(s->n_lineages), ok);
    report_json_put(root, "objective", json_str(lin->objective_now), ok);
}

TlResult report_lineage_json(FILE *out, const ReportSubject *s, const TlLineage *lin, TlError *err)
{
    bool ok = true;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory building JSON");
    json_subject(root, s, lin, &ok);
    report_json_put(root, "segments", json_segments(s, lin, &ok), &ok);
    report_json_put(
        root, "in_progress",
        lin->in_progress < s->n_tr
            ? cJSON_CreateString(history_kind_str(history_kind_of(
                  s->tr[lin->in_progress].from_objective, s->tr[lin->in_progress].to_objective)))
            : cJSON_CreateNull(),
        &ok);
    return report_json_finish(out, root, ok, err);
}

cJSON *report_json_findings(const TlFinding *findings, size_t n, bool *ok)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        const TlFinding *f = &findings[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(arr, o)) {
            cJSON_Delete(o);
            *ok = false;
            break;
        }
        report_json_put(o, "code", json_str(f->code), ok);
        report_json_put(o, "severity", json_str(check_severity_str(f->severity)), ok);
        report_json_put(o, "message", json_str(f->message), ok);
        report_json_put(o, "rule", json_str(f->rule), ok);
        report_json_put(o, "decides_verdict_unknown", cJSON_CreateBool(f->undecided), ok);
    }
    if (!arr)
        *ok = false;
    return arr;
}

TlResult report_check_json(FILE *out, const ReportSubject *s, const TlCheck *check, TlError *err)
{
    bool ok = true;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory building JSON");
    report_json_put(root, "resource_id", json_str(s->resource_id), &ok);
    report_json_put(root, "as_of", report_json_time(check->lineage.as_of), &ok);
    report_json_put(root, "target", json_str(check->target.name), &ok);
    report_json_put(root, "kind", json_str(history_kind_str(check->kind)), &ok);
    report_json_put(root, "verdict", json_str(check_verdict_str(check->verdict)), &ok);
    report_json_put(root, "findings", report_json_findings(check->findings, check->n_findings, &ok),
                    &ok);
    report_json_put(root, "objective", json_str(check->lineage.objective_now), &ok);
    report_json_put(root, "retention_days", cJSON_CreateNumber(check->lineage.retention_days), &ok);
    report_json_put(root, "retention_assumed", cJSON_CreateBool(!s->retention_known), &ok);
    report_json_put(root, "reverse_migration_deadline", report_json_time(check->reverse_deadline),
                    &ok);
    report_json_put(root, "segments", json_segments(s, &check->lineage, &ok), &ok);
    return report_json_finish(out, root, ok, err);
}

/* ---- text ------------------------------------------------------------------ */

const char *report_decimal(char buf[REPORT_DECIMAL_MAX], double v, int places)
{
    if (isnan(v)) {
        buf[0] = '\0';
        return buf;
    }
    snprintf(buf, REPORT_DECIMAL_MAX, "%.*f", places, v);
    char *dot = strchr(buf, '.');
    if (dot) {
        char *end = buf + strlen(buf) - 1;
        while (end > dot && *end == '0')
            *end-- = '\0';
        if (end == dot)
            *end = '\0';
    }
    if (strcmp(buf, "-0") == 0)
        strcpy(buf, "0");
    return buf;
}

void report_wrap(FILE *out, const char *text, int indent, int width)
{
    const char *p = text;
    while (*p) {
        int room = width - indent, len = (int)strlen(p);
        int cut = len;
        if (len > room) {
            cut = room;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = room;
        }
        fprintf(out, "%*s%.*s\n", indent, "", cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
}

static void header(FILE *out, const ReportSubject *s, const TlLineage *lin)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    TlObjective now;
    objective_parse(lin->objective_now, NULL, &now);
    fprintf(out, "%s\n  %s\n", report_database_name(s->resource_id), s->resource_id);
    fprintf(out, "  created %s, as of %s, PITR retention %d days%s\n", fmt_time(s->created_at, a),
            fmt_time(lin->as_of, b), lin->retention_days,
            s->retention_known ? "" : " (unknown: the default 7 is assumed, L9)");
    if (s->facts_from_later)
        fprintf(out, "  facts observed %s, after the as-of instant, are assumed to hold\n",
                fmt_time(s->facts_observed_at, a));
    fprintf(out, "  objective in effect: %s (%s, %s architecture)\n",
            lin->objective_now ? lin->objective_now : "-", objective_edition_label(now.edition),
            objective_architecture_str(now.arch));
    if (lin->reverse_deadline != TL_TIME_NONE) {
        TlTime deadline = lin->reverse_deadline;
        fprintf(out, "  reverse migration to General Purpose: %s %s (cutover %s + 45 days, E2)\n",
                lin->as_of <= deadline ? "possible until" : "no longer possible since",
                fmt_time(deadline, a), fmt_time(lin->last_conversion_cutover, b));
    } else if (lin->created_in_hyperscale) {
        fprintf(out, "  reverse migration: not possible, created in Hyperscale (E1)\n");
    }
    if (lin->in_progress < s->n_tr) {
        const TlTransition *t = &s->tr[lin->in_progress];
        fprintf(out, "  in progress: %s %s -> %s, started %s\n",
                history_kind_str(history_kind_of(t->from_objective, t->to_objective)),
                t->from_objective, t->to_objective, fmt_time(t->started_at, a));
    }
}

static const char *cause_text(const ReportSubject *s, const TlLineage *lin, const TlSegment *seg,
                              char *buf, size_t size)
{
    char a[TL_TIME_TEXT_MAX], state[64];
    const TlTransition *t = seg->lost_by < s->n_tr ? &s->tr[seg->lost_by] : NULL;
    if (!t) {
        snprintf(buf, size, "lost (%s)", seg->lost_rule ? seg->lost_rule : "?");
        return buf;
    }
    TlKind kind = history_kind_of(t->from_objective, t->to_objective);
    char who[300] = "";
    if (t->initiated_by || t->operation_id)
        snprintf(who, sizeof who, " [%s%s%s%s]", t->initiated_by ? "by " : "",
                 t->initiated_by ? t->initiated_by : "",
                 t->initiated_by && t->operation_id ? ", " : "",
                 t->operation_id ? t->operation_id : "");
    if (history_ended_by(t, lin->as_of))
        snprintf(state, sizeof state, "final state: %s", history_state_str(t->state));
    else
        snprintf(state, sizeof state, "still running at the as-of instant");
    if (strcmp(seg->lost_rule, "L3") == 0)
        snprintf(
            buf, size,
            "the reverse migration to %s started at %s (%s)%s; backups older than "
            "the previous tier become unavailable when a reverse migration starts, even if "
            "it is cancelled (L3)%s",
            t->to_objective, fmt_time(t->started_at, a), state, who,
            seg->loss_assumed
                ? ". The loss is assumed: a reverse migration that fails its prerequisite checks "
                  "fails before it starts, so these backups may still exist, but tierledger "
                  "does not count on them"
                : "");
    else
        snprintf(buf, size,
                 "the %s to %s cut over%s; only the current and the previous tier keep their "
                 "backups (%s)",
                 kind == TL_KIND_CONVERSION ? "conversion" : "change", t->to_objective, who,
                 seg->lost_rule);
    return buf;
}

TlResult report_lineage_text(FILE *out, const ReportSubject *s, const TlLineage *lin, TlError *err)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX], c[TL_TIME_TEXT_MAX], d[TL_TIME_TEXT_MAX];
    header(out, s, lin);
    fprintf(out, "\n  %-4s %-10s %-10s %-20s  %-20s  %-42s  %s\n", "SEG", "ARCH", "STATUS", "START",
            "END", "RESTORE WINDOW", "OBJECTIVES");
    for (size_t i = 0; i < lin->n_segments; i++) {
        const TlSegment *seg = &lin->segments[i];
        char window[64] = "-", objs[256] = "";
        if (seg->status == TL_SEG_CURRENT || seg->status == TL_SEG_RESTORABLE)
            snprintf(window, sizeof window, "%s .. %s", fmt_time(seg->restore_from, c),
                     fmt_time(seg->restore_to, d));
        for (size_t k = 0; k < seg->n_objectives; k++) {
            strncat(objs, k ? " -> " : "", sizeof objs - strlen(objs) - 1);
            strncat(objs, seg->objectives[k], sizeof objs - strlen(objs) - 1);
        }
        char sname[16];
        snprintf(sname, sizeof sname, "S%d", seg->seq);
        fprintf(out, "  %-4s %-10s %-10s %-20s  %-20s  %-42s  %s\n", sname,
                objective_architecture_str(seg->arch), lineage_status_str(seg->status),
                fmt_time(seg->start, a), seg->end == TL_TIME_NONE ? "(now)" : fmt_time(seg->end, b),
                window, objs);
    }
    bool any_lost = false;
    for (size_t i = 0; i < lin->n_segments; i++) {
        const TlSegment *seg = &lin->segments[i];
        char why[900], line[1000];
        if (seg->status == TL_SEG_LOST) {
            if (!any_lost)
                fprintf(out, "\n  Lost backups:\n");
            any_lost = true;
            snprintf(line, sizeof line, "S%d lost at %s: %s.", seg->seq, fmt_time(seg->lost_at, a),
                     cause_text(s, lin, seg, why, sizeof why));
            report_wrap(out, line, 4, 100);
        } else if (seg->status == TL_SEG_EXPIRED) {
            if (!any_lost)
                fprintf(out, "\n  Lost backups:\n");
            any_lost = true;
            snprintf(line, sizeof line, "S%d expired at %s (end + %d days retention).", seg->seq,
                     fmt_time(seg->expires_at, a), lin->retention_days);
            report_wrap(out, line, 4, 100);
        }
    }
    fprintf(out, "\n  Restorable now (only these are billed, B4):\n");
    for (size_t i = 0; i < lin->n_segments; i++) {
        const TlSegment *seg = &lin->segments[i];
        if (seg->status == TL_SEG_CURRENT)
            fprintf(out, "    S%d %s, current: %s .. %s\n", seg->seq,
                    objective_architecture_str(seg->arch), fmt_time(seg->restore_from, a),
                    fmt_time(seg->restore_to, b));
        else if (seg->status == TL_SEG_RESTORABLE)
            fprintf(out, "    S%d %s, previous: %s .. %s, until it expires at %s\n", seg->seq,
                    objective_architecture_str(seg->arch), fmt_time(seg->restore_from, a),
                    fmt_time(seg->restore_to, b), fmt_time(seg->expires_at, c));
    }
    fprintf(out, "  LTR backups are kept across these changes; whether a reverse migration "
                 "removes them is not documented (L10).\n");
    if (s->n_other > 0) {
        fprintf(out,
                "\n  This resource id has %d lineages (dropped and re-created, L7); shown: the "
                "one created %s. Others:",
                s->n_lineages, fmt_time(s->created_at, a));
        for (int i = 0; i < s->n_other; i++)
            fprintf(out, " %s", fmt_time(s->other_created[i], a));
        fprintf(out, " (--created TIME)\n");
    }
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the report") : TL_OK;
}

TlResult report_check_text(FILE *out, const ReportSubject *s, const TlCheck *check, TlError *err)
{
    static const char *const label[] = {"OK", "WARN", "BLOCKED", "UNKNOWN"};
    const char *what = check->kind == TL_KIND_REVERSE_MIGRATION ? "reverse migration"
                       : check->kind == TL_KIND_CONVERSION      ? "conversion to Hyperscale"
                                                                : "tier change";
    header(out, s, &check->lineage);
    fprintf(out, "\n  Proposed: %s %s -> %s\n", what,
            check->lineage.objective_now ? check->lineage.objective_now : "-", check->target.name);
    fprintf(out, "  Verdict:  %s (exit %d)\n\n", label[check->verdict], (int)check->verdict);
    for (size_t i = 0; i < check->n_findings; i++) {
        const TlFinding *f = &check->findings[i];
        char title[128];
        snprintf(title, sizeof title, "%-5s %s (%s)%s",
                 f->severity == TL_SEV_BLOCK  ? "BLOCK"
                 : f->severity == TL_SEV_WARN ? "WARN"
                                              : "INFO",
                 f->code, f->rule, f->undecided ? ": cannot decide" : "");
        fprintf(out, "  %s\n", title);
        report_wrap(out, f->message, 8, 100);
    }
    if (check->n_findings == 0)
        fprintf(out, "  nothing to report\n");
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the report") : TL_OK;
}
