/* warnings_report.h - the fleet warnings report: every database with
 * something to act on, worst first, as a short text a DBA can mail, CSV or
 * JSON (fields are a contract). */
#ifndef TIERLEDGER_REPORTS_WARNINGS_REPORT_H
#define TIERLEDGER_REPORTS_WARNINGS_REPORT_H

#include <stdio.h>

#include "model/warnings.h"

typedef struct {
    const char *resource_id, *server, *database; /* borrowed */
    const TlAlert *alert;                        /* borrowed */
} WarningRow;

/* Order rows worst first, then soonest, then by resource id. */
void report_warnings_sort(WarningRow *rows, size_t n);

TlResult report_warnings_text(FILE *out, TlTime as_of, const WarningRow *rows, size_t n,
                              size_t n_databases, TlError *err);
TlResult report_warnings_csv(FILE *out, TlTime as_of, const WarningRow *rows, size_t n,
                             TlError *err);
TlResult report_warnings_json(FILE *out, TlTime as_of, const WarningRow *rows, size_t n,
                              size_t n_databases, TlError *err);

#endif
