/* chargeback.h - the finance chargeback file, a FOCUS 1.2 dataset: one CSV
 * row per database, segment and backup kind of a month, every mandatory
 * FOCUS column and the conditional ones tierledger can fill first, our x_
 * columns after (the header is a contract), NULL as an empty unquoted
 * field; a JSON metadata sidecar (FOCUS metadata: DataGenerator, Schema with
 * its ColumnDefinition). Written with libcsv (RFC 4180); every text cell a
 * spreadsheet would run as a formula is neutralised. */
#ifndef TIERLEDGER_REPORTS_CHARGEBACK_H
#define TIERLEDGER_REPORTS_CHARGEBACK_H

#include <stdbool.h>
#include <stdio.h>

#include "model/billing.h"
#include "model/mi.h"
#include "model/mi_billing.h"
#include "model/money.h"
#include "model/result.h"
#include "reports/spool.h"

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
    const char *subscription_name;     /* NULL: unknown */
    const char *meter;                 /* the meter name (x_SkuMeterName) */
    const char *sku_id, *sku_price_id; /* from the price sheet, or NULL */
    double unit_price;                 /* list = contracted (B6: the sheet's price), 0 when none */
    const char *tags;                  /* JSON object text or NULL */
    const char *cost_center;           /* NULL: untagged */
    int segment;                       /* 0: an invoice line of no segment */
    const char *architecture, *service_tier, *backup_kind, *redundancy, *segment_status;
    /* BilledCost and EffectiveCost as written: the estimate rounded to six
     * decimals, or the invoice's exact share (reports/invoice.h) */
    TlMoney billed, effective;
    const char *cost_source; /* x_CostSource: estimate billed not-invoiced invoice-only */
    /* what `report reconcile` explains a difference with */
    TlTime price_from;        /* effective_from of the price used; NONE without one */
    int missing_days;         /* days of the charge period without backup metrics */
    TlTime first_missing_day; /* the first of them, or NONE */
    const char *elastic_pool; /* the pool of a pooled database (B1 at pool level), or NULL */
    bool decaying_estimate, dropped;
    /* FOCUS ServiceName and ResourceType; NULL: Azure SQL Database's */
    const char *service_name, *resource_type;
} ChargeRow;

/* One database lineage as the chargeback names it. Strings borrowed. */
typedef struct {
    const char *resource_id, *database_name, *subscription, *resource_group;
    const char *region;            /* NULL: unknown */
    const char *tags;              /* JSON object text or NULL */
    const char *subscription_name; /* NULL: unknown (the id stands in) */
    const TlUsageDay *usage;       /* its daily usage, by day (for missing days, pools) */
    size_t n_usage;
} ChargeSource;

/* Who the charges are billed to and by: FOCUS BillingAccountId,
 * BillingAccountName, InvoiceIssuerName, as the user gave them (NULL: not
 * given; the file is then not a conforming FOCUS dataset). Borrowed. */
typedef struct {
    const char *id, *name, *invoice_issuer;
} ChargeAccount;

/* The price sheet the rows are priced from (B6). */
typedef struct {
    const TlPrice *rows;
    size_t n;
    const char *name; /* for messages: the sheet's file name */
} ChargePrices;

/* Where rows go as they are built, one at a time: the row and its strings
 * are valid during the call only (copy what is kept). */
typedef TlResult (*ChargeRowFn)(void *ctx, const ChargeRow *row, TlError *err);

/* One row per line of `bill` (one database's month [start, end)) to emit:
 * its description (B1-B4 wording), meter, redundancy and status names, the
 * cost center (the value of tag cost_center_tag), and cost = billable
 * GB-month x the unit price billing_price_find gives. A line without a
 * price is TL_ERR_DATA naming the sheet, region, kind and database (a DTU
 * line, B2, needs none: it costs 0). */
TlResult report_charges_add(const ChargeSource *db, const TlBill *bill, const ChargePrices *prices,
                            const char *cost_center_tag, TlTime start, TlTime end, ChargeRowFn emit,
                            void *ctx, TlError *err);

/* The Managed Instance rows of one instance's month (domain-mi.md MI-$1,
 * MI-$2, MI-$5, MI-$11, MI-$12) to emit: ev[0..n_ev) are the instance's
 * events and its databases' (each database's lineage alive at the month's
 * end or as_of gives its segment, and when its backups stop billing: lost
 * by an instance deletion, a move or retention 0), usage[0..n_usage) its
 * databases' days (the levels; a day without a redundancy has the
 * instance's in force, else Geo). Each database and redundancy bills its
 * share of the instance's excess over storageSizeInGB, at the sheet's
 * mi_pitr price for its redundancy, or the LRS price times the MI-$5
 * factor; no mi_pitr price is TL_ERR_DATA naming the sheet. */
TlResult report_mi_charges(const TlMiEvent *ev, size_t n_ev, const TlMiUsageDay *usage,
                           size_t n_usage, const ChargePrices *prices, const char *cost_center_tag,
                           TlTime start, TlTime end, TlTime as_of, ChargeRowFn emit, void *ctx,
                           TlError *err);

/* The orders rows are sorted in (spool.h): the file's, by resource id
 * (bytewise) then segment; and the invoice's (invoice.h), by resource id
 * and meter case-insensitively, then segment. Equal keys keep the order
 * they were added in (the fleet's: lineage by lineage). */
typedef enum { CHARGE_BY_RESOURCE, CHARGE_BY_MATCH } ChargeOrder;

/* Add a copy of *row to s in that order; key and payload are scratch. */
TlResult report_charge_spool(Spool *s, ChargeOrder order, const ChargeRow *row, SpoolBuf *key,
                             SpoolBuf *payload, TlError *err);

/* Call fn for each row of the sorted spool s, in its order. */
TlResult report_charges_each(Spool *s, ChargeRowFn fn, void *ctx, TlError *err);

/* A payload of report_charge_spool back as a row pointing into it; false
 * when it is not one. */
bool report_charge_unpack(const void *payload, size_t len, ChargeRow *row);

/* The chargeback file: the header, then each row. */
void report_chargeback_header(FILE *out);
void report_chargeback_row(FILE *out, const ChargeRow *row, const ChargeAccount *account);

/* Totals per cost center, currency and cost source, summed a row at a time
 * (as many as there are cost centers, not rows). Release with
 * report_totals_cleanup. */
typedef struct {
    char *cost_center, *currency, *cost_source; /* cost_center NULL: untagged */
    char *service_name;                         /* NULL: Azure SQL Database */
    TlTime billing_start, billing_end, from, to;
    TlMoney effective, billed, list; /* the sums of the cells as the rows write them */
    double quantity;
    size_t rows;
} ChargeTotal;

typedef struct {
    ChargeTotal *t;
    size_t n, cap;
} ChargeTotals;

TlResult report_totals_add(ChargeTotals *t, const ChargeRow *row, TlError *err);
void report_totals_cleanup(ChargeTotals *t);

/* The totals, header first, by cost center: every mandatory FOCUS column,
 * then x_CostCenter, x_Rows, x_CostSource. Sorts t. */
TlResult report_chargeback_by_cost_center(FILE *out, ChargeTotals *t, const ChargeAccount *account,
                                          TlError *err);

/* The FOCUS metadata of either file (by_cost_center chooses), created at
 * `created`: DataGenerator, and the Schema (SchemaId, FocusVersion 1.2,
 * DataGeneratorVersion, CreationDate, ColumnDefinition of every column). */
TlResult report_chargeback_metadata(FILE *out, bool by_cost_center, TlTime created,
                                    const char *version, TlError *err);

/* A price sheet (cli/prices.h reads it back): a '#' comment line, the
 * header region,kind,redundancy,unit_price,currency,effective_from,meter,
 * sku_id,sku_price_id, then the rows. */
TlResult report_price_sheet(FILE *out, const TlPrice *rows, size_t n, const char *comment,
                            TlError *err);

/* Write one CSV cell: neutralised (a leading = + - @ TAB or CR gets a ')
 * and quoted by libcsv when it holds a comma, quote, CR or LF. */
void report_csv_cell(FILE *out, const char *text, int first);

#endif
