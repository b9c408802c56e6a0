/* warnings_report.c - see warnings_report.h. */
#include "reports/warnings_report.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "reports/chargeback.h"
#include "reports/report.h"

void report_warning_record(const WarningRow *row, SpoolBuf *key, SpoolBuf *payload)
{
    const TlAlert *a = row->alert;
    unsigned char worst = (unsigned char)(TL_ALERT_CRITICAL - a->level);
    spool_buf_reset(key);
    spool_buf_put(key, &worst, 1);
    /* soonest first, no instant last: the signed instant as an unsigned one */
    spool_key_u64(key, a->at == TL_TIME_NONE ? UINT64_MAX : (uint64_t)a->at ^ (UINT64_C(1) << 63));
    spool_key_str(key, row->resource_id);
    spool_key_str(key, a->code);
    int level = (int)a->level;
    spool_buf_reset(payload);
    spool_buf_put(payload, &level, sizeof level);
    spool_buf_put(payload, &a->at, sizeof a->at);
    spool_buf_put(payload, &a->segment, sizeof a->segment);
    spool_buf_str(payload, row->resource_id);
    spool_buf_str(payload, row->server);
    spool_buf_str(payload, row->database);
    spool_buf_str(payload, a->code);
    spool_buf_str(payload, a->rule);
    spool_buf_str(payload, a->message);
}

bool report_warning_unpack(const void *payload, size_t len, WarningRow *row, TlAlert *alert)
{
    SpoolReader r = {payload, (const unsigned char *)payload + len, 0};
    int level = 0;
    *alert = (TlAlert){0};
    spool_read(&r, &level, sizeof level);
    spool_read(&r, &alert->at, sizeof alert->at);
    spool_read(&r, &alert->segment, sizeof alert->segment);
    row->resource_id = spool_read_str(&r);
    row->server = spool_read_str(&r);
    row->database = spool_read_str(&r);
    alert->code = spool_read_str(&r);
    alert->rule = spool_read_str(&r);
    const char *message = spool_read_str(&r);
    row->alert = alert;
    if (r.failed || level < TL_ALERT_INFO || level > TL_ALERT_CRITICAL || !row->resource_id ||
        !row->server || !row->database || !alert->code || !alert->rule || !message)
        return false;
    alert->level = (TlAlertLevel)level;
    snprintf(alert->message, sizeof alert->message, "%s", message);
    return true;
}

static TlResult write_failed(TlError *err)
{
    return tl_error_set(err, TL_ERR_IO, "cannot write the report");
}

/* The JSON heading, and the empty array the rows go in. */
static TlResult json_begin(WarningsWriter *w, TlError *err)
{
    char a[TL_TIME_TEXT_MAX];
    cJSON *root = cJSON_CreateObject(), *c = cJSON_CreateObject();
    bool ok = root && c;
    ok = ok && cJSON_AddStringToObject(root, "as_of", tl_time_format(w->as_of, a));
    ok = ok && cJSON_AddNumberToObject(root, "databases", (double)w->n_databases);
    ok = ok && cJSON_AddNumberToObject(c, "critical", (double)w->counts[TL_ALERT_CRITICAL]);
    ok = ok && cJSON_AddNumberToObject(c, "warn", (double)w->counts[TL_ALERT_WARN]);
    ok = ok && cJSON_AddNumberToObject(c, "info", (double)w->counts[TL_ALERT_INFO]);
    ok = ok && cJSON_AddItemToObject(root, "counts", c) && (c = NULL, true);
    ok = ok && cJSON_AddArrayToObject(root, "warnings");
    cJSON_Delete(c);
    if (!ok) {
        cJSON_Delete(root);
        root = NULL;
    }
    return report_json_array_begin(&w->json, w->out, root, "warnings", err);
}

static TlResult json_row(WarningsWriter *w, const WarningRow *r, TlError *err)
{
    char a[TL_TIME_TEXT_MAX];
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "level", warnings_level_str(r->alert->level)) &&
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
    if (!ok) {
        cJSON_Delete(o);
        o = NULL;
    }
    return report_json_array_item(&w->json, o, err);
}

TlResult report_warnings_begin(WarningsWriter *w, TlError *err)
{
    static const char *const header =
        "as_of,level,code,rule,resource_id,server,database,segment,at,message\r\n";
    char a[TL_TIME_TEXT_MAX];
    w->level = -1;
    w->written = 0;
    w->json = (ReportJsonArray){0};
    if (w->format == WARNINGS_JSON)
        return json_begin(w, err);
    if (w->format == WARNINGS_CSV)
        fputs(header, w->out);
    else {
        fprintf(w->out, "tierledger warnings as of %s\n", tl_time_format(w->as_of, a));
        fprintf(w->out, "%zu database lineages: %zu critical, %zu warn, %zu info\n", w->n_databases,
                w->counts[TL_ALERT_CRITICAL], w->counts[TL_ALERT_WARN], w->counts[TL_ALERT_INFO]);
    }
    return ferror(w->out) ? write_failed(err) : TL_OK;
}

static void csv_row(FILE *out, TlTime as_of, const WarningRow *r)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX], seg[16];
    snprintf(seg, sizeof seg, "S%d", r->alert->segment);
    report_csv_cell(out, tl_time_format(as_of, a), 1);
    report_csv_cell(out, warnings_level_str(r->alert->level), 0);
    report_csv_cell(out, r->alert->code, 0);
    report_csv_cell(out, r->alert->rule, 0);
    report_csv_cell(out, r->resource_id, 0);
    report_csv_cell(out, r->server, 0);
    report_csv_cell(out, r->database, 0);
    report_csv_cell(out, r->alert->segment ? seg : NULL, 0);
    report_csv_cell(out, r->alert->at == TL_TIME_NONE ? NULL : tl_time_format(r->alert->at, b), 0);
    report_csv_cell(out, r->alert->message, 0);
    fputs("\r\n", out);
}

static void text_row(WarningsWriter *w, const WarningRow *r)
{
    static const char *const titles[] = {"INFO", "WARN", "CRITICAL"};
    if ((int)r->alert->level != w->level) {
        w->level = (int)r->alert->level;
        fprintf(w->out, "\n%s\n", titles[w->level]);
    }
    char seg[16] = "";
    if (r->alert->segment)
        snprintf(seg, sizeof seg, " S%d", r->alert->segment);
    fprintf(w->out, "  %s%s%s%s: %s (%s)\n", r->server, r->database[0] ? "/" : "", r->database, seg,
            r->alert->code, r->alert->rule);
    report_wrap(w->out, r->alert->message, 6, 100);
}

TlResult report_warnings_row(WarningsWriter *w, const WarningRow *row, TlError *err)
{
    TlResult rc = TL_OK;
    if (w->format == WARNINGS_JSON)
        rc = json_row(w, row, err);
    else if (w->format == WARNINGS_CSV)
        csv_row(w->out, w->as_of, row);
    else
        text_row(w, row);
    w->written++;
    return !rc && ferror(w->out) ? write_failed(err) : rc;
}

TlResult report_warnings_end(WarningsWriter *w, TlError *err)
{
    TlResult rc = TL_OK;
    if (w->format == WARNINGS_JSON) {
        rc = report_json_array_end(&w->json, err);
    } else if (w->format == WARNINGS_TEXT) {
        if (w->written == 0)
            fprintf(w->out, "\nnothing to act on\n");
        fprintf(w->out, "\nFigures follow domain.md (L3, W1-W3) and, for Managed Instance, "
                        "domain-mi.md (W-MI-*); 'tierledger lineage DB' shows the segments, "
                        "'tierledger check DB --to OBJECTIVE' a planned change.\n");
    }
    return !rc && ferror(w->out) ? tl_error_set(err, TL_ERR_IO, "cannot write the report") : rc;
}
