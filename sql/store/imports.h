/* imports.h - what the imports read and write: a transitions file staged
 * and merged with what is recorded a batch of resources at a time, new
 * transition versions in large batches, daily usage rows staged and merged
 * in one statement, invoice lines. Callers hold the writers' transaction
 * (store_open_writer) so validation and writing see one state. */
#ifndef TIERLEDGER_SQL_STORE_IMPORTS_H
#define TIERLEDGER_SQL_STORE_IMPORTS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/history.h"
#include "model/merge.h"
#include "model/result.h"
#include "sql/store/conn.h"

struct pg_result;

/* An import file on its way in, in bounded memory: its checked rows are
 * streamed with COPY into a staging table of the transaction
 * (store_import_stage_row), then read back with what is recorded for the
 * same resources, a batch of whole resources at a time, in key order
 * (store_import_next), for merge_resources to join; each batch's new rows
 * are kept (store_import_keep) and written when all are merged
 * (store_import_finish). */
typedef struct StoreImport StoreImport;

TlResult store_import_begin(StoreConn *conn, StoreImport **out, TlError *err);
/* Stage one checked file row (line > 0, key set). */
void store_import_stage_row(StoreImport *im, const MergeEntry *e);
/* End the COPY (then rows can be read), and find the staged rows that are
 * not recorded exactly as they are: only their resources are given to the
 * merge. */
TlResult store_import_staged(StoreImport *im, TlError *err);
/* The staged rows left out of the merge, each recorded as it is (nothing
 * to add: count them as already recorded); final once store_import_next
 * has given its empty batch. */
long long store_import_unchanged(const StoreImport *im);
/* The next batch into *file (file rows, line > 0) and *rec (recorded
 * transitions, db_id set), both sorted as merge_sort sorts and holding every
 * entry of each resource in them, about STORE_IMPORT_BATCH entries; both
 * empty at the end. Their strings stay valid until the next call. */
TlResult store_import_next(StoreImport *im, MergeSet *file, MergeSet *rec, TlError *err);
/* Keep what merge_resources marked to insert in *all (one batch) in a
 * second staging table; nothing is written to the store yet, so a later
 * batch's error leaves it exactly as it was. */
TlResult store_import_keep(StoreImport *im, const MergeSet *all, TlError *err);
/* Write everything kept, set-based: the new lineages in one statement, then
 * every new transition version in one, in the order the merge gave them
 * (their hash chain's order), each with its source record FILE:LINE. */
TlResult store_import_finish(StoreImport *im, const char *source_name, size_t *written,
                             size_t *new_databases, TlError *err);
/* Release (the staging table goes with the transaction); NULL is fine. */
void store_import_free(StoreImport *im);

/* Rows per statement or per round of the batched paths. */
#define STORE_IMPORT_BATCH 5000

/* One imported day of backup usage, validated text (NULL: unknown or not
 * applicable); redundancy as ARM writes it (Local, Zone, Geo, GeoZone),
 * tags a JSON object. */
typedef struct {
    int line;                /* in the file, for messages */
    const char *resource_id; /* the database; its lineage alive that day is looked up */
    const char *day;         /* YYYY-MM-DD */
    const char *full_bytes, *diff_bytes, *log_bytes, *snapshot_bytes, *allocated_bytes,
        *max_size_bytes;
    const char *redundancy, *region, *elastic_pool_id, *tags;
} StoreUsageRow;

/* An import-usage file on its way in: rows are streamed with COPY into a
 * staging table of the transaction, then merged in one statement. */
typedef struct StoreUsageStage StoreUsageStage;

typedef struct {
    long long rows;     /* staged */
    long long inserted; /* days new to the store */
    long long replaced; /* days recorded before with other figures */
} StoreUsageCounts;

/* Start staging (inside the writers' transaction). */
TlResult store_usage_stage_begin(StoreConn *conn, StoreUsageStage **out, TlError *err);
void store_usage_stage_row(StoreUsageStage *s, const StoreUsageRow *row);
/* End the COPY, then in one pass: every row must have a lineage alive that
 * day (the latest created before its end), else TL_ERR_DATA "FILE:LINE: no
 * lineage ..." for the first such line; each day is inserted, or replaces
 * the recorded one when its figures differ (a day given twice in the file:
 * its last line counts). Frees s. */
TlResult store_usage_stage_finish(StoreUsageStage *s, const char *file, StoreUsageCounts *counts,
                                  TlError *err);
/* Give up staging (ends the COPY if it is open) and free s; NULL is fine. */
void store_usage_stage_free(StoreUsageStage *s);

/* One invoiced line of backup storage (import-costs), validated. */
typedef struct {
    TlTime period, day;
    const char *resource_id, *meter, *currency, *format, *file;
    const char *quantity; /* a validated decimal as written, or NULL */
    const char *billed, *effective;
    int line;
} StoreCostRow;

/* import-costs, streamed: each checked row COPYed into invoice_costs as it
 * is read (store_costs_stage_row), then store_costs_stage_finish deletes the
 * lines earlier transactions recorded of every billing period the rows
 * name, in one statement; *replaced counts the lines deleted, *added those written.
 * Callers hold the writers' transaction (and lock). Frees s. */
typedef struct StoreCostStage StoreCostStage;
TlResult store_costs_stage_begin(StoreConn *conn, StoreCostStage **out, TlError *err);
void store_costs_stage_row(StoreCostStage *s, const StoreCostRow *row);
TlResult store_costs_stage_finish(StoreCostStage *s, long *replaced, long *added, TlError *err);
/* Give up staging (ends the COPY if it is open) and free s; NULL is fine. */
void store_costs_stage_free(StoreCostStage *s);

#endif
