/* warnings_report.c - see warnings_report.h. */
#include "reports/warnings_report.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "reports/chargeback.h"
#include "reports/report.h"

static int cmp_row(const void *pa, const void *pb)
{
    const WarningRow *a = pa, *b = pb;
    if (a->alert->level != b->alert->level)
        return a->alert->level > b->alert->level ? -1 : 1;
    if (a->alert->at != b->alert->at) {
        if (a->alert->at == TL_TIME_NONE || b->alert->at == TL_TIME_NONE)
            return a->alert->at == TL_TIME_NONE ? 1 : -1;
        return a->alert->at < b->alert->at ? -1 : 1;
    }
    int c = strcmp(a->resource_id, b->resource_id);
    return c ? c : strcmp(a->alert->code, b->alert->code);
}

void report_warnings_sort(WarningRow *rows, size_t n)
{
    if (n > 1)
        qsort(rows, n, sizeof *rows, cmp_row);
}

static void count(const WarningRow *rows, size_t n, size_t counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
    for (size_t i = 0; i < n; i++)
        counts[rows[i].alert->level]++;
}

TlResult report_warnings_text(FILE *out, TlTime as_of, const WarningRow *rows, size_t n,
                              size_t n_databases, TlError *err)
{
    static const char *const titles[] = {"INFO", "WARN", "CRITICAL"};
    char a[TL_TIME_TEXT_MAX];
    size_t counts[3];
    count(rows, n, counts);
    fprintf(out, "tierledger warnings as of %s\n", tl_time_format(as_of, a));
    fprintf(out, "%zu database lineages: %zu critical, %zu warn, %zu info\n", n_databases,
            counts[TL_ALERT_CRITICAL], counts[TL_ALERT_WARN], counts[TL_ALERT_INFO]);
    int level = -1;
    for (size_t i = 0; i < n; i++) {
        const WarningRow *r = &rows[i];
        if ((int)r->alert->level != level) {
            level = (int)r->alert->level;
            fprintf(out, "\n%s\n", titles[level]);
        }
        char seg[16] = "";
        if (r->alert->segment)
            snprintf(seg, sizeof seg, " S%d", r->alert->segment);
        fprintf(out, "  %s/%s%s: %s (%s)\n", r->server, r->database, seg, r->alert->code,
                r->alert->rule);
        report_wrap(out, r->alert->message, 6, 100);
    }
    if (n == 0)
        fprintf(out, "\nnothing to act on\n");
    fprintf(out, "\nFigures follow domain.md (L3, W1-W3); 'tierledger lineage DB' shows the "
                 "segments, 'tierledger check DB --to OBJECTIVE' a planned change.\n");
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the report") : TL_OK;
}

TlResult report_warnings_csv(FILE *out, TlTime as_of, const WarningRow *rows, size_t n,
                             TlError *err)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX], seg[16];
    tl_time_format(as_of, a);
    fputs("as_of,level,code,rule,resource_id,server,database,segment,at,message\r\n", out);
    for (size_t i = 0; i < n; i++) {
        const WarningRow *r = &rows[i];
        snprintf(seg, sizeof seg, "S%d", r->alert->segment);
        report_csv_cell(out, a, 1);
        report_csv_cell(out, warnings_level_str(r->alert->level), 0);
        report_csv_cell(out, r->alert->code, 0);
        report_csv_cell(out, r->alert->rule, 0);
        report_csv_cell(out, r->resource_id, 0);
        report_csv_cell(out, r->server, 0);
        report_csv_cell(out, r->database, 0);
        report_csv_cell(out, r->alert->segment ? seg : NULL, 0);
        report_csv_cell(out, r->alert->at == TL_TIME_NONE ? NULL : tl_time_format(r->alert->at, b),
                        0);
        report_csv_cell(out, r->alert->message, 0);
        fputs("\r\n", out);
    }
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the report") : TL_OK;
}

TlResult report_warnings_json(FILE *out, TlTime as_of, const WarningRow *rows, size_t n,
                              size_t n_databases, TlError *err)
{
    char a[TL_TIME_TEXT_MAX];
    size_t counts[3];
    count(rows, n, counts);
    cJSON *root = cJSON_CreateObject(), *list = cJSON_CreateArray(), *c = cJSON_CreateObject();
    bool ok = root && list && c;
    ok = ok && cJSON_AddStringToObject(root, "as_of", tl_time_format(as_of, a));
    ok = ok && cJSON_AddNumberToObject(root, "databases", (double)n_databases);
    ok = ok && cJSON_AddNumberToObject(c, "critical", (double)counts[TL_ALERT_CRITICAL]);
    ok = ok && cJSON_AddNumberToObject(c, "warn", (double)counts[TL_ALERT_WARN]);
    ok = ok && cJSON_AddNumberToObject(c, "info", (double)counts[TL_ALERT_INFO]);
    ok = ok && cJSON_AddItemToObject(root, "counts", c) && (c = NULL, true);
    for (size_t i = 0; ok && i < n; i++) {
        const WarningRow *r = &rows[i];
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(list, o);
        if (!ok) {
            cJSON_Delete(o);
            break;
        }
        ok = cJSON_AddStringToObject(o, "level", warnings_level_str(r->alert->level)) &&
             cJSON_AddStringToObject(o, "code", r->alert->code) &&
             cJSON_AddStringToObject(o, "rule", r->alert->rule) &&
             cJSON_AddStringToObject(o, "resource_id", r->resource_id) &&
             cJSON_AddStringToObject(o, "server", r->server) &&
             cJSON_AddStringToObject(o, "database", r->database) &&
             (r->alert->segment ? cJSON_AddNumberToObject(o, "segment", r->alert->segment)
                                : cJSON_AddNullToObject(o, "segment")) &&
             (r->alert->at == TL_TIME_NONE
                  ? cJSON_AddNullToObject(o, "at")
                  : cJSON_AddStringToObject(o, "at", tl_time_format(r->alert->at, a))) &&
             cJSON_AddStringToObject(o, "message", r->alert->message);
    }
    ok = ok && cJSON_AddItemToObject(root, "warnings", list) && (list = NULL, true);
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    cJSON_Delete(list);
    cJSON_Delete(c);
    if (!text)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory building JSON");
    TlResult rc = report_json_out(out, text, err);
    free(text);
    return rc;
}
