/* verify_report.h - what `tierledger verify` found, as text, CSV or JSON:
 * each break of the history (a lineage whose identity or hash chain no
 * longer matches what was recorded, or a kept head the store no longer
 * holds) and the summary; and the heads an auditor keeps. */
#ifndef TIERLEDGER_REPORTS_VERIFY_REPORT_H
#define TIERLEDGER_REPORTS_VERIFY_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model/result.h"
#include "model/tltime.h"

typedef enum { REPORT_TEXT = 0, REPORT_CSV, REPORT_JSON } ReportFormat;

typedef struct {
    const char *kind; /* identity, sequence, hash, no_history; gone, truncated, rewritten */
    long long lineage;
    const char *resource_id; /* NULL when the lineage is gone */
    TlTime created_at;
    long long row_id;  /* transitions.id, 0 when none */
    long long version; /* the version in the chain, 0 when none */
    TlTime started_at;
    const char *place;      /* FILE:LINE of the kept head, or NULL */
    long long versions_now; /* for a kept head: how many versions the store has */
} ReportBreak;

/* One line that names the lineage and the row and says what broke. */
const char *report_break_message(const ReportBreak *b, char *buf, size_t size);

typedef struct {
    TlTime as_of; /* TL_TIME_NONE: everything recorded */
    long long lineages, versions, breaks;
    const char *against; /* the heads file compared, or NULL */
    long long heads_compared;
} ReportVerify;

/* The summary and the breaks b[0..n) (the first n of v->breaks). */
TlResult report_verify(FILE *out, ReportFormat format, const ReportVerify *v, const ReportBreak *b,
                       size_t n, TlError *err);

/* The heads, one per call, then report_heads_end: text lines
 * "LINEAGE_ID VERSIONS HEAD_HASH RESOURCE_ID CREATED_AT", a CSV with a
 * header, or a JSON array. */
TlResult report_head(FILE *out, ReportFormat format, size_t index, long long lineage,
                     long long versions, const char *head, const char *resource_id,
                     TlTime created_at, TlError *err);
TlResult report_heads_end(FILE *out, ReportFormat format, size_t count, TlError *err);

#endif
