/* charges.h - a month's estimate for the commands that read it (`report
 * chargeback`, `report reconcile`): the price sheet, the fleet and the
 * chargeback rows built from them, and what the invoice says. */
#ifndef TIERLEDGER_CLI_CHARGES_H
#define TIERLEDGER_CLI_CHARGES_H

#include "cli/args.h"
#include "cli/prices.h"
#include "sql/store/fleet.h"
#include "sql/store/invoices.h"

typedef struct {
    const char *month;
    TlTime start, end;
    PriceSheet prices;
    Spool *charges; /* the estimate's rows, sorted in the order asked for, read once */
    StoreInvoice invoice;
    StoreConn *conn;
    SpoolBuf key, payload; /* scratch for the rows going into a spool */
} MonthCharges;

/* --month, --prices (or $TIERLEDGER_PRICES), --cost-center-tag and --db:
 * the estimate of the month in `order` (the fleet a page at a time, the
 * rows sorted beyond memory: reports/spool.h), and with_invoice its
 * imported invoice lines (an error when none are recorded). Release with
 * month_charges_cleanup (also after a failure). */
TlResult month_charges_load(CliContext *ctx, bool with_invoice, ChargeOrder order, MonthCharges *m,
                            TlError *err);
void month_charges_cleanup(MonthCharges *m);

/* The month's Managed Instance rows (domain-mi.md MI-$*), an instance at a
 * time from m's connection, to emit (cli/charges_mi.c). */
TlResult month_charges_mi(const MonthCharges *m, const ChargePrices *sheet, const char *cc_tag,
                          TlTime now, ChargeRowFn emit, void *ctx, TlError *err);

#endif
