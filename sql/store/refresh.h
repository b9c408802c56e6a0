/* refresh.h - the model's results stored for the audit views: lineage
 * segments (lineage_segments) and monthly billing (billing_monthly). Rows
 * are gathered in a StoreDerived batch, copied as they are added, and
 * written batch by batch after what was stored is cleared, all in the
 * caller's writers' transaction. */
#ifndef TIERLEDGER_SQL_STORE_REFRESH_H
#define TIERLEDGER_SQL_STORE_REFRESH_H

#include <stdbool.h>
#include <stddef.h>

#include "model/billing.h"
#include "model/lineage.h"
#include "model/result.h"
#include "sql/store/conn.h"

typedef struct StoreDerived StoreDerived;

/* A new, empty batch; the caller releases it with store_derived_free. */
TlResult store_derived_new(StoreDerived **out, TlError *err);
void store_derived_free(StoreDerived *d); /* NULL is a no-op */

/* The segments of one lineage in their as-of-independent form (lin is
 * computed from all that is recorded, as of TL_TIME_LAST; tr is its
 * history); retention_assumed when R was not observed (L9). */
void store_derived_add_lineage(StoreDerived *d, long long database_id, const TlLineage *lin,
                               const TlTransition *tr, bool retention_assumed);

/* The billing lines of one lineage for the month starting at `month`;
 * partial while the month is not over. */
void store_derived_add_bill(StoreDerived *d, long long database_id, TlTime month,
                            const TlBill *bill, bool partial);

size_t store_derived_segments(const StoreDerived *d);
size_t store_derived_bill_rows(const StoreDerived *d);

/* Delete every stored segment, and the billing rows of the months from
 * first_month on (in the caller's transaction, before the batches). */
TlResult store_derived_clear(StoreConn *conn, TlTime first_month, TlError *err);

/* Write the batch (computed_at = now) and empty it for the next. */
TlResult store_derived_flush(StoreConn *conn, StoreDerived *d, TlTime now, TlError *err);

#endif
