/* invoice.h - the chargeback's rows beside what Azure invoiced: rows and
 * invoice lines matched per database (resource id, case-insensitively) and
 * meter (likewise), and the billed cost of each database and meter shared
 * out to its rows in the estimate's proportions (`report chargeback --source
 * billed`). `report reconcile` (reconcile.h) walks the same matches. */
#ifndef TIERLEDGER_REPORTS_INVOICE_H
#define TIERLEDGER_REPORTS_INVOICE_H

#include "model/billing.h"
#include "reports/chargeback.h"

/* One database and meter: its chargeback rows (rows[0..n_rows), none when
 * only the invoice has it) and its invoice line (NULL when only the estimate
 * has it). other_meter names a meter the other side has for the same
 * database when this one is one-sided, else NULL. */
typedef struct {
    ChargeRow **rows;
    size_t n_rows;
    const TlInvoiceLine *line;
    const char *other_meter;
} InvoiceMatch;

typedef TlResult (*InvoiceMatchFn)(void *ctx, const InvoiceMatch *m, TlError *err);

/* Call fn for every database and meter of rows[0..n) and lines[0..n_lines),
 * by resource id then meter. An invoice line whose currency another line of
 * the same database and meter already took stands alone. */
TlResult report_invoice_match(ChargeRow *rows, size_t n, const TlInvoiceLine *lines, size_t n_lines,
                              InvoiceMatchFn fn, void *ctx, TlError *err);

/* The same for a whole month: the estimate's rows from a sorted spool in
 * CHARGE_BY_MATCH order, read once, beside lines[0..n_lines) (sorted here,
 * in place), a database at a time, so only one database's rows are held.
 * The match's rows live until fn returns. */
TlResult report_invoice_walk(Spool *rows, TlInvoiceLine *lines, size_t n_lines, InvoiceMatchFn fn,
                             void *ctx, TlError *err);

/* What report_charges_bill did. */
typedef struct {
    size_t matched;           /* database-meter pairs both sides have */
    size_t not_invoiced;      /* rows with no invoice line: BilledCost 0 */
    size_t not_invoiced_zero; /* of them, rows the estimate put at 0 too */
    size_t invoice_only;      /* invoice lines with no row, added as rows */
    TlMoney billed;           /* the invoice lines' total (BilledCost), all currencies */
} InvoiceBilled;

/* The billed chargeback of the estimate of [start, end) (a sorted spool in
 * CHARGE_BY_MATCH order, read once) to emit, in the walk's order: the rows
 * of each database and meter share its invoice line's BilledCost and
 * EffectiveCost exactly, in proportion to their estimated quantity (evenly
 * when it is zero), and its quantity likewise when the invoice gives one
 * (x_CostSource billed); rows without a line keep their estimate in the
 * description and bill 0 (not-invoiced); lines without rows become rows of
 * their own (invoice-only). ListCost and ContractedCost stay quantity x the
 * sheet's price. */
TlResult report_charges_bill(Spool *estimate, TlInvoiceLine *lines, size_t n_lines, TlTime start,
                             TlTime end, ChargeRowFn emit, void *ctx, InvoiceBilled *out,
                             TlError *err);

#endif
