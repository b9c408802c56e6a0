/* report.h - what people and programs read: lineage and check results as
 * text for a DBA or JSON for pipelines (the JSON fields are contracts: add,
 * never rename). Writers take a stream, never a path. */
#ifndef TIERLEDGER_REPORTS_REPORT_H
#define TIERLEDGER_REPORTS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "model/check.h"
#include "model/lineage.h"
#include "model/result.h"

struct cJSON;

/* Everything a lineage or check report shows about one database. */
typedef struct {
    const char *resource_id;
    TlTime created_at;
    int n_lineages;              /* lineages under this resource id */
    const TlTime *other_created; /* creation times of the others */
    int n_other;
    const TlTransition *tr; /* the history the lineage was computed from */
    size_t n_tr;
    bool retention_known;     /* false: R = 7 assumed (L9) */
    bool facts_from_later;    /* facts observed after as_of were used */
    TlTime facts_observed_at; /* TL_TIME_NONE when nothing was observed */
} ReportSubject;

TlResult report_lineage_text(FILE *out, const ReportSubject *s, const TlLineage *lin, TlError *err);
TlResult report_lineage_json(FILE *out, const ReportSubject *s, const TlLineage *lin, TlError *err);

TlResult report_check_text(FILE *out, const ReportSubject *s, const TlCheck *check, TlError *err);
TlResult report_check_json(FILE *out, const ReportSubject *s, const TlCheck *check, TlError *err);

/* Write cJSON_Print output with two-space indentation and a final newline. */
TlResult report_json_out(FILE *out, const char *text, TlError *err);
/* The same for a piece of such output (newline: end it with one). */
TlResult report_json_write(FILE *out, const char *text, bool newline, TlError *err);

/* A JSON document whose last member is an array written an item at a
 * time, exactly as cJSON_Print and report_json_out would write it whole:
 * begin with the document (taken over; its last member the empty array
 * named key), an item at a time (taken over), end. */
typedef struct {
    FILE *out;
    char *tail; /* what follows the array */
    size_t n;
} ReportJsonArray;

TlResult report_json_array_begin(ReportJsonArray *a, FILE *out, struct cJSON *root, const char *key,
                                 TlError *err);
TlResult report_json_array_item(ReportJsonArray *a, struct cJSON *item, TlError *err);
TlResult report_json_array_end(ReportJsonArray *a, TlError *err); /* frees also on failure */

/* Add item to obj as key; on a failure (item NULL included) mark *ok false. */
void report_json_put(struct cJSON *obj, const char *key, struct cJSON *item, bool *ok);
/* Write root (taken over) as report_json_out does; ok false: out of memory. */
TlResult report_json_finish(FILE *out, struct cJSON *root, bool ok, TlError *err);
/* A check's findings as a JSON array: code, severity, message, rule,
 * decides_verdict_unknown (NULL and *ok false when out of memory). */
struct cJSON *report_json_findings(const TlFinding *findings, size_t n, bool *ok);

/* An instant as a JSON string "YYYY-MM-DDTHH:MM:SSZ", or null for TL_TIME_NONE. */
struct cJSON *report_json_time(TlTime t);

#define REPORT_DECIMAL_MAX 400

/* v as a plain decimal: no exponent or separators, up to `places` decimals
 * without trailing zeros, "0" for minus zero; "" for NAN. Returns buf. */
const char *report_decimal(char buf[REPORT_DECIMAL_MAX], double v, int places);

/* Print text wrapped at width, each line indented by indent spaces. */
void report_wrap(FILE *out, const char *text, int indent, int width);

/* "salesdb" from ".../databases/salesdb" (points into resource_id). */
const char *report_database_name(const char *resource_id);

#endif
