/* verify_report.c - see verify_report.h. */
#include "reports/verify_report.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "reports/chargeback.h"
#include "reports/report.h"

static const char *when(TlTime t, char *buf)
{
    return t == TL_TIME_NONE ? "-" : tl_time_format(t, buf);
}

const char *report_break_message(const ReportBreak *b, char *buf, size_t size)
{
    char a[TL_TIME_TEXT_MAX], c[TL_TIME_TEXT_MAX], who[1200];
    if (b->resource_id)
        snprintf(who, sizeof who, "lineage %lld (%s, created %s)", b->lineage, b->resource_id,
                 when(b->created_at, c));
    else
        snprintf(who, sizeof who, "lineage %lld", b->lineage);
    if (strcmp(b->kind, "identity") == 0)
        snprintf(buf, size,
                 "%s: its identity (resource id, creation time, names) is not the one its "
                 "identity_hash covers: it was changed after it was recorded",
                 who);
    else if (strcmp(b->kind, "no_history") == 0)
        snprintf(buf, size, "%s: has no transition version at all: its history was removed", who);
    else if (strcmp(b->kind, "sequence") == 0)
        snprintf(buf, size,
                 "%s: transition version %lld (transitions.id %lld, started %s) is not in its "
                 "place in the chain: a version before it was removed or renumbered",
                 who, b->version, b->row_id, when(b->started_at, a));
    else if (strcmp(b->kind, "hash") == 0)
        snprintf(buf, size,
                 "%s: transition version %lld (transitions.id %lld, started %s) does not match "
                 "its chain_hash: it, or the version before it, was changed after it was recorded",
                 who, b->version, b->row_id, when(b->started_at, a));
    else if (strcmp(b->kind, "gone") == 0)
        snprintf(buf, size, "%s, kept at %s, is no longer recorded", who, b->place);
    else if (strcmp(b->kind, "truncated") == 0)
        snprintf(buf, size, "%s has %lld transition versions, fewer than the %lld kept at %s", who,
                 b->versions_now, b->version, b->place);
    else
        snprintf(buf, size,
                 "%s: transition version %lld no longer has the head hash kept at %s: the "
                 "history up to it was rewritten",
                 who, b->version, b->place);
    return buf;
}

static TlResult verify_json(FILE *out, const ReportVerify *v, const ReportBreak *b, size_t n,
                            TlError *err)
{
    char msg[2048];
    cJSON *root = cJSON_CreateObject(), *list = cJSON_CreateArray();
    bool ok = root && list;
    ok = ok && cJSON_AddItemToObject(root, "as_of", report_json_time(v->as_of));
    ok = ok && cJSON_AddBoolToObject(root, "holds", v->breaks == 0);
    ok = ok && cJSON_AddNumberToObject(root, "lineages", (double)v->lineages);
    ok = ok && cJSON_AddNumberToObject(root, "versions", (double)v->versions);
    ok = ok && cJSON_AddNumberToObject(root, "break_count", (double)v->breaks);
    ok = ok &&
         cJSON_AddItemToObject(root, "against",
                               v->against ? cJSON_CreateString(v->against) : cJSON_CreateNull());
    ok = ok && cJSON_AddNumberToObject(root, "heads_compared", (double)v->heads_compared);
    for (size_t i = 0; ok && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(list, o);
        ok = ok && cJSON_AddStringToObject(o, "kind", b[i].kind);
        ok = ok && cJSON_AddNumberToObject(o, "lineage_id", (double)b[i].lineage);
        ok = ok && cJSON_AddItemToObject(o, "resource_id",
                                         b[i].resource_id ? cJSON_CreateString(b[i].resource_id)
                                                          : cJSON_CreateNull());
        ok = ok && cJSON_AddItemToObject(o, "created_at", report_json_time(b[i].created_at));
        ok = ok && cJSON_AddItemToObject(o, "transition_id",
                                         b[i].row_id ? cJSON_CreateNumber((double)b[i].row_id)
                                                     : cJSON_CreateNull());
        ok = ok && cJSON_AddItemToObject(o, "version",
                                         b[i].version ? cJSON_CreateNumber((double)b[i].version)
                                                      : cJSON_CreateNull());
        ok = ok &&
             cJSON_AddStringToObject(o, "message", report_break_message(&b[i], msg, sizeof msg));
    }
    if (ok && cJSON_AddItemToObject(root, "breaks", list))
        list = NULL;
    else
        ok = false;
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    cJSON_Delete(list);
    if (!text)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory building JSON");
    TlResult rc = report_json_out(out, text, err);
    free(text);
    return rc;
}

TlResult report_verify(FILE *out, ReportFormat format, const ReportVerify *v, const ReportBreak *b,
                       size_t n, TlError *err)
{
    char msg[2048], a[TL_TIME_TEXT_MAX];
    if (format == REPORT_JSON)
        return verify_json(out, v, b, n, err);
    if (format == REPORT_CSV) {
        fputs("kind,lineage_id,resource_id,created_at,transition_id,version,message\n", out);
        for (size_t i = 0; i < n; i++) {
            char id[24], row[24], ver[24];
            snprintf(id, sizeof id, "%lld", b[i].lineage);
            snprintf(row, sizeof row, "%lld", b[i].row_id);
            snprintf(ver, sizeof ver, "%lld", b[i].version);
            report_csv_cell(out, b[i].kind, 1);
            report_csv_cell(out, id, 0);
            report_csv_cell(out, b[i].resource_id, 0);
            report_csv_cell(
                out, b[i].created_at == TL_TIME_NONE ? NULL : tl_time_format(b[i].created_at, a),
                0);
            report_csv_cell(out, b[i].row_id ? row : NULL, 0);
            report_csv_cell(out, b[i].version ? ver : NULL, 0);
            report_csv_cell(out, report_break_message(&b[i], msg, sizeof msg), 0);
            fputc('\n', out);
        }
    } else {
        for (size_t i = 0; i < n; i++)
            fprintf(out, "BROKEN %s\n", report_break_message(&b[i], msg, sizeof msg));
        if ((long long)n < v->breaks)
            fprintf(out, "... and %lld more\n", v->breaks - (long long)n);
        fprintf(out, "%lld lineage%s, %lld transition version%s%s%s", v->lineages,
                v->lineages == 1 ? "" : "s", v->versions, v->versions == 1 ? "" : "s",
                v->as_of == TL_TIME_NONE ? "" : " recorded by ",
                v->as_of == TL_TIME_NONE ? "" : tl_time_format(v->as_of, a));
        if (v->against)
            fprintf(out, ", %lld heads kept in %s", v->heads_compared, v->against);
        if (v->breaks == 0)
            fprintf(out, ": every identity and hash chain holds%s\n",
                    v->against ? ", and every kept head is still there" : "");
        else
            fprintf(out, ": %lld break%s\n", v->breaks, v->breaks == 1 ? "" : "s");
    }
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the report") : TL_OK;
}

TlResult report_head(FILE *out, ReportFormat format, size_t index, long long lineage,
                     long long versions, const char *head, const char *resource_id,
                     TlTime created_at, TlError *err)
{
    char a[TL_TIME_TEXT_MAX];
    tl_time_format(created_at, a);
    if (format == REPORT_JSON) {
        cJSON *o = cJSON_CreateObject();
        bool ok = o && cJSON_AddNumberToObject(o, "lineage_id", (double)lineage) &&
                  cJSON_AddNumberToObject(o, "versions", (double)versions) &&
                  cJSON_AddStringToObject(o, "head_hash", head) &&
                  cJSON_AddStringToObject(o, "resource_id", resource_id) &&
                  cJSON_AddStringToObject(o, "created_at", a);
        char *text = ok ? cJSON_PrintUnformatted(o) : NULL;
        cJSON_Delete(o);
        if (!text)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory building JSON");
        fprintf(out, "%s\n  %s", index ? "," : "[", text);
        free(text);
    } else if (format == REPORT_CSV) {
        char id[24], n[24];
        snprintf(id, sizeof id, "%lld", lineage);
        snprintf(n, sizeof n, "%lld", versions);
        if (index == 0)
            fputs("lineage_id,versions,head_hash,resource_id,created_at\n", out);
        report_csv_cell(out, id, 1);
        report_csv_cell(out, n, 0);
        report_csv_cell(out, head, 0);
        report_csv_cell(out, resource_id, 0);
        report_csv_cell(out, a, 0);
        fputc('\n', out);
    } else {
        fprintf(out, "%lld %lld %s %s %s\n", lineage, versions, head, resource_id, a);
    }
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the heads") : TL_OK;
}

TlResult report_heads_end(FILE *out, ReportFormat format, size_t count, TlError *err)
{
    if (format == REPORT_JSON)
        fputs(count ? "\n]\n" : "[]\n", out);
    else if (format == REPORT_CSV && count == 0)
        fputs("lineage_id,versions,head_hash,resource_id,created_at\n", out);
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the heads") : TL_OK;
}
