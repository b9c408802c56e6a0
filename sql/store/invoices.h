/* invoices.h - what Azure invoiced for a billing month (invoice_costs,
 * written by import-costs), summed per database, meter and currency, for
 * `report chargeback --source billed` and `report reconcile`. */
#ifndef TIERLEDGER_SQL_STORE_INVOICES_H
#define TIERLEDGER_SQL_STORE_INVOICES_H

#include <stddef.h>

#include "model/billing.h"
#include "model/result.h"
#include "sql/store/conn.h"

struct pg_result;

typedef struct {
    struct pg_result *res;
    TlInvoiceLine *lines; /* strings point into res */
    size_t n;
    long long source_lines; /* export lines summed */
} StoreInvoice;

/* The invoice lines of the billing period starting at `period` (the first
 * day of a month, 00:00Z), one per database (resource id compared
 * case-insensitively), meter (likewise) and currency; in no stated order.
 * Release with store_invoice_cleanup (also after a failure). */
TlResult store_invoice_month(StoreConn *conn, TlTime period, StoreInvoice *out, TlError *err);
void store_invoice_cleanup(StoreInvoice *inv);

#endif
