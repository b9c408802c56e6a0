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

/* How a refresh goes: every lineage, or only those whose recorded history
 * changed since the last refresh and the other members of their elastic
 * pools (the change set). */
typedef struct {
    bool full;
    const char *why;   /* why every lineage (a static string), or NULL */
    TlTime last_as_of; /* of the last refresh, TL_TIME_NONE: none */
} StoreRefreshPlan;

/* Decide and prepare, in the caller's writers' transaction, before it
 * reads anything: take every change recorded (lineage_changes; what commits
 * later stays for the next refresh). Full when asked, before any refresh,
 * and when months, first_month or an earlier as_of say the billing window
 * is not the last refresh's; else the change set (with the lineages created
 * since the last as-of) goes to the temporary tables FleetWindow.changed_only
 * reads, pooled usage in [usage_from, usage_to). */
TlResult store_refresh_plan(StoreConn *conn, TlTime as_of, int months, TlTime first_month,
                            TlTime usage_from, TlTime usage_to, bool full, StoreRefreshPlan *out,
                            TlError *err);

/* Record what was computed (refresh_state), in the same transaction. */
TlResult store_refresh_record(StoreConn *conn, TlTime as_of, int months, TlTime first_month,
                              const StoreRefreshPlan *plan, long long lineages, TlError *err);

/* Delete the stored segments, and the billing rows of the months from
 * first_month on, of every lineage or (changed_only) of the change set (in
 * the caller's transaction, before the batches). */
TlResult store_derived_clear(StoreConn *conn, TlTime first_month, bool changed_only, TlError *err);

/* Write the batch (computed_at = now) and empty it for the next. */
TlResult store_derived_flush(StoreConn *conn, StoreDerived *d, TlTime now, TlError *err);

#endif
