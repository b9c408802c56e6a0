/* imports.h - what `import` and `import-usage` read and write: the recorded
 * transitions of the resources a file names, new transition versions in
 * large batches, and daily usage rows. Callers hold the writers'
 * transaction (store_open_writer) so validation and writing see one state. */
#ifndef TIERLEDGER_SQL_STORE_IMPORTS_H
#define TIERLEDGER_SQL_STORE_IMPORTS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/history.h"
#include "model/merge.h"
#include "model/result.h"
#include "sql/store/conn.h"

struct pg_result;

/* A recorded transition (the latest version) of one of the resources asked
 * for; strings point into the StoreRecorded result. */
typedef struct {
    long long database_id;
    const char *resource_key, *resource_id;
    TlTransition t;
} StoreRecordedRow;

typedef struct {
    struct pg_result *res;
    StoreRecordedRow *rows; /* by resource key, then time */
    size_t n;
} StoreRecorded;

/* The recorded transitions of every lineage of the resources keys[0..n)
 * (lower-case resource ids). Release with store_recorded_cleanup. */
TlResult store_recorded_load(StoreConn *conn, const char *const *keys, size_t n, StoreRecorded *out,
                             TlError *err);
void store_recorded_cleanup(StoreRecorded *r);

/* The recorded transitions of the resources of `file` (sorted by key), as
 * merge entries into *out, for merge_* to join with the file's rows; *rec
 * holds the strings they point to. */
TlResult store_recorded_merge(StoreConn *conn, const MergeSet *file, MergeSet *out,
                              StoreRecorded *rec, TlError *err);

/* Write what the merge marked to insert: new lineages first (their
 * creation rows give the ids), then every new transition version in
 * batches; counts in *written and *new_databases. */
TlResult store_merge_insert(StoreConn *conn, MergeSet *all, const char *source_name,
                            size_t *written, size_t *new_databases, TlError *err);

/* A transition version to append (source 'import'); its source record is
 * "FILE:LINE", the file line it came from. */
typedef struct {
    long long database_id;
    const TlTransition *t;
    const char *file;
    int line;
} StoreImportRow;

/* Append rows[0..n) with one statement per STORE_IMPORT_BATCH rows. */
#define STORE_IMPORT_BATCH 5000
TlResult store_transitions_import(StoreConn *conn, const StoreImportRow *rows, size_t n,
                                  TlError *err);

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

/* Replace the stored invoice lines of every billing period of rows[0..n)
 * with them, in batches; *replaced counts the lines that were deleted. */
TlResult store_costs_replace(StoreConn *conn, const StoreCostRow *rows, size_t n, long *replaced,
                             TlError *err);

#endif
