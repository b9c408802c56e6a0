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
#include "model/money.h"
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

/* The rows of a chargeback being built, and the cost-center strings taken
 * out of the tags that the rows point to. Caller-owned; release with
 * report_charges_cleanup. */
typedef struct {
    ChargeRow *rows;
    size_t n, cap;
    char **owned;
    size_t n_owned, cap_owned;
    /* copy_sources: report_charges_add copies the strings of each source
     * (and each row's pool id) into the list, so the source may be freed
     * after the call (a page of the fleet); else the rows borrow them */
    bool copy_sources;
    char *block; /* the block copies go to, and its room left */
    size_t block_left;
} ChargeList;

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

/* Append one row per line of `bill` (one database's month [start, end)):
 * its description (B1-B4 wording), meter, redundancy and status names, the
 * cost center (the value of tag cost_center_tag), and cost = billable
 * GB-month x the unit price billing_price_find gives. A line without a price is
 * TL_ERR_DATA naming the sheet, region, kind and database (a DTU line, B2,
 * needs none: it costs 0). */
TlResult report_charges_add(ChargeList *list, const ChargeSource *db, const TlBill *bill,
                            const ChargePrices *prices, const char *cost_center_tag, TlTime start,
                            TlTime end, TlError *err);

/* Append a copy of *row; keep `text` (malloc'd, or NULL) until the list is
 * released, for rows that point to it (freed on failure too). */
TlResult report_charges_push(ChargeList *list, const ChargeRow *row, TlError *err);
TlResult report_charges_keep(ChargeList *list, char *text, TlError *err);

/* Sort the rows by resource id, then segment. */
void report_charges_sort(ChargeList *list);
void report_charges_cleanup(ChargeList *list);

/* The chargeback rows, header first. */
TlResult report_chargeback_csv(FILE *out, const ChargeRow *rows, size_t n,
                               const ChargeAccount *account, TlError *err);

/* Totals per cost center and currency, header first, by cost center: every
 * mandatory FOCUS column, then x_CostCenter, x_Rows, x_CostSource. */
TlResult report_chargeback_by_cost_center(FILE *out, const ChargeRow *rows, size_t n,
                                          const ChargeAccount *account, TlError *err);

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
