/* chargeback.h - the finance chargeback file: one CSV row per database,
 * segment and backup kind of a month, FOCUS column names first, our x_
 * columns after (the header is a contract). Written with libcsv (RFC 4180);
 * every text cell a spreadsheet would run as a formula is neutralised. */
#ifndef TIERLEDGER_REPORTS_CHARGEBACK_H
#define TIERLEDGER_REPORTS_CHARGEBACK_H

#include <stdio.h>

#include "model/billing.h"
#include "model/result.h"

typedef struct {
    TlTime billing_start, billing_end; /* the month, end exclusive */
    TlTime charge_start, charge_end;   /* the billable hours within it */
    char description[320];
    const char *currency;
    double effective_cost, list_cost;
    double quantity;    /* billable GB-month */
    double consumed;    /* backup GB-month before the allowance */
    const char *region; /* NULL: unknown */
    const char *resource_id, *resource_name, *subscription, *resource_group;
    const char *sku_meter;
    const char *tags;        /* JSON object text or NULL */
    const char *cost_center; /* NULL: untagged */
    int segment;
    const char *architecture, *service_tier, *backup_kind, *redundancy, *segment_status;
} ChargeRow;

/* The chargeback rows, header first. */
TlResult report_chargeback_csv(FILE *out, const ChargeRow *rows, size_t n, TlError *err);

/* Totals per cost center and currency, header first, by cost center. */
TlResult report_chargeback_by_cost_center(FILE *out, const ChargeRow *rows, size_t n, TlError *err);

/* Write one CSV cell: neutralised (a leading = + - @ TAB or CR gets a ')
 * and quoted by libcsv when it holds a comma, quote, CR or LF. */
void report_csv_cell(FILE *out, const char *text, int first);

#endif
