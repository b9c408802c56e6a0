/* warnings_report.h - the fleet warnings report: every database with
 * something to act on, worst first, as a short text a DBA can mail, CSV or
 * JSON (fields are a contract). Written a row at a time: the rows come out
 * of a spool (spool.h) in the report's order, which the key written by
 * report_warning_record gives, so the fleet is never held in memory. */
#ifndef TIERLEDGER_REPORTS_WARNINGS_REPORT_H
#define TIERLEDGER_REPORTS_WARNINGS_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "model/warnings.h"
#include "reports/report.h"
#include "reports/spool.h"

typedef struct {
    const char *resource_id, *server, *database; /* borrowed */
    const TlAlert *alert;                        /* borrowed */
} WarningRow;

/* The spool key and payload of one row: the key orders rows worst first,
 * then soonest (no instant last), then by resource id, then code. */
void report_warning_record(const WarningRow *row, SpoolBuf *key, SpoolBuf *payload);

/* A payload back as a row; the strings point into it, the alert is *alert.
 * False when the payload is malformed. */
bool report_warning_unpack(const void *payload, size_t len, WarningRow *row, TlAlert *alert);

typedef enum { WARNINGS_TEXT, WARNINGS_CSV, WARNINGS_JSON } WarningsFormat;

/* One report being written: begin (the heading: as-of, lineage count and
 * the counts per level, known before the rows), each row in order, end. */
typedef struct {
    FILE *out;
    WarningsFormat format;
    TlTime as_of;
    size_t n_databases;
    size_t counts[3]; /* alerts per level (TlAlertLevel) */
    /* while writing */
    int level;
    size_t written;
    ReportJsonArray json;
} WarningsWriter;

TlResult report_warnings_begin(WarningsWriter *w, TlError *err);
TlResult report_warnings_row(WarningsWriter *w, const WarningRow *row, TlError *err);
TlResult report_warnings_end(WarningsWriter *w, TlError *err); /* also frees after a failure */

#endif
