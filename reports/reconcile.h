/* reconcile.h - `report reconcile`: the estimate beside the invoice, per
 * database and meter (invoice.h matches them): quantities and costs, the
 * differences in GB-month and percent, and the likely cause where the data
 * shows one. Formats text (the differences only), CSV and JSON (every
 * database and meter); the CSV header and JSON fields are contracts. */
#ifndef TIERLEDGER_REPORTS_RECONCILE_H
#define TIERLEDGER_REPORTS_RECONCILE_H

#include <stdio.h>

#include "reports/invoice.h"

/* The causes a row can show, in the order they are listed. */
typedef enum {
    RECONCILE_UNKNOWN_DATABASE = 1u << 0, /* the invoice names a database never recorded */
    RECONCILE_NOT_ESTIMATED = 1u << 1,    /* recorded, but the estimate bills nothing for it */
    RECONCILE_OTHER_METER = 1u << 2,      /* the other side bills it under another meter */
    RECONCILE_NOT_INVOICED = 1u << 3,     /* estimated, but no invoice line */
    RECONCILE_CURRENCY = 1u << 4,         /* invoice and price sheet currencies differ */
    RECONCILE_MISSING_METRICS = 1u << 5,  /* days without backup metrics */
    RECONCILE_SEGMENT_LOST = 1u << 6,     /* a segment the model says is lost (B4) */
    RECONCILE_POOL = 1u << 7,             /* a pooled database: the allowance is the pool's */
    RECONCILE_PRICE = 1u << 8,            /* the invoice's unit price is not the sheet's */
    RECONCILE_ESTIMATED_SIZE = 1u << 9,   /* sizes estimated after a cutover or drop (B4) */
    RECONCILE_DAYS = 1u << 10,            /* the invoice covers other days than the estimate */
} ReconcileCause;

#define RECONCILE_CAUSES 11

/* "unknown_database", "not_estimated", ... (the JSON and CSV code). */
const char *reconcile_cause_str(ReconcileCause c);

typedef struct {
    const char *resource_id, *meter; /* borrowed from the rows or the invoice */
    const char *currency;            /* the estimate's, else the invoice's */
    const char *billed_currency;     /* NULL without an invoice line */
    bool estimated, invoiced;        /* which sides have it */
    double est_quantity, est_cost;
    double billed_quantity; /* NAN when the invoice gives none */
    TlMoney billed_cost;
    double quantity_diff, quantity_pct, cost_diff, cost_pct; /* NAN: not comparable */
    int estimate_days, invoice_days;
    bool differs; /* by more than the tolerance (and the minimum difference) */
    unsigned causes;
    /* what the causes' wording needs */
    const char *other_meter, *pool;
    int missing_days, lost_segment;
    TlTime first_missing_day, price_from;
    double invoice_price, sheet_price;
} ReconcileRow;

typedef struct {
    char *currency;
    double estimated;
    TlMoney billed;
} ReconcileTotal;

#define RECONCILE_TOTALS_MAX 8

typedef struct {
    Spool *rows; /* every row, by resource id then meter (in the order built), read once */
    size_t n;
    size_t databases, differing; /* distinct resource ids; those with a differing row */
    double tolerance;            /* percent */
    double min_difference;       /* currency units */
    /* the rows whose two sides share a currency, totalled per currency (the
     * first RECONCILE_TOTALS_MAX currencies) */
    ReconcileTotal totals[RECONCILE_TOTALS_MAX];
    size_t n_totals;
    /* while building */
    bool counted;  /* the current database is in `differing` */
    char *last_id; /* the current database */
    SpoolBuf key, payload;
} Reconciliation;

/* Compare the estimate (a sorted spool in CHARGE_BY_MATCH order, read
 * once) with the invoice lines[0..n_lines) (sorted in place): a row
 * differs when |billed - estimated| cost is at least min_difference and
 * more than tolerance percent of the estimate (any amount when the estimate
 * is 0), when only one side has it and it is not zero, or when the
 * currencies differ. The rows are kept in a spool of sort_memory bytes.
 * Release with reconcile_cleanup (also after a failure). */
TlResult report_reconcile(Spool *estimate, TlInvoiceLine *lines, size_t n_lines, double tolerance,
                          double min_difference, size_t sort_memory, Reconciliation *out,
                          TlError *err);
void reconcile_cleanup(Reconciliation *r);

/* Each writer reads r->rows through: call one of them once. */
TlResult report_reconcile_text(FILE *out, const char *month, Reconciliation *r, TlError *err);
TlResult report_reconcile_csv(FILE *out, const char *month, Reconciliation *r, TlError *err);
TlResult report_reconcile_json(FILE *out, const char *month, Reconciliation *r, TlError *err);

#endif
