/* collector.h - what `collect` reads from and writes to the store: the
 * one-collector lock, the run row (collector_runs), Activity Log cursors,
 * the lineages known on the listed servers, and each server's results
 * (transitions, observations, facts, usage, drops) as typed rows gathered
 * in a StoreCollectBatch and written with one statement per table. */
#ifndef TIERLEDGER_SQL_STORE_COLLECTOR_H
#define TIERLEDGER_SQL_STORE_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/history.h"
#include "model/result.h"
#include "sql/store/conn.h"

struct pg_result;

/* The collector's lock session: its own connection *lock (the caller's, to
 * close at the end of the run, which releases every lock it holds), whose
 * application_name is "tierledger collect HOST:PID", which tells a live run
 * from a dead one. */
TlResult store_collector_connect(const char *conninfo, const char *host, long pid, StoreConn **lock,
                                 TlError *err);

/* A collector_runs row in state 'running': *run_id. */
TlResult store_run_start(StoreConn *conn, const char *host, long pid, const char *arm_url,
                         long long *run_id, TlError *err);

/* Lock the subscriptions keys[0..n) (any case) for run run_id: a row each
 * of collector_locks held FOR UPDATE by an open transaction of the lock
 * session, so collectors of disjoint subscriptions run at once and two never
 * collect the same one. When another run holds any of them: TL_ERR_LOCKED
 * naming them and the holder (its collector run, host and pid), nothing
 * held. Then the run's subscription_keys are recorded (on conn), and runs
 * left 'running' whose lock session is gone are closed 'abandoned'
 * (*abandoned counts them). Only tierledger_writer may lock (a reader gets
 * TL_ERR_NOPERM). */
TlResult store_collector_claim(StoreConn *lock, StoreConn *conn, long long run_id,
                               const char *const *keys, size_t n, long *abandoned, TlError *err);

typedef struct {
    const char *status; /* succeeded, partial, failed */
    size_t subscriptions, servers;
    long databases, requests, retries, transitions, facts, drops, usage;
    const char *const *errors; /* one line each */
    size_t n_errors;
} StoreRunSummary;

TlResult store_run_finish(StoreConn *conn, long long run_id, const StoreRunSummary *s,
                          TlError *err);

/* The subscriptions a run listed, ids[0..n) with their display names and
 * states (NULL or "": unknown), seen at now by run_id; a row changes only
 * when its name or state does. */
TlResult store_subscriptions_save(StoreConn *conn, const char *const *ids, const char *const *names,
                                  const char *const *states, size_t n, TlTime now, long long run_id,
                                  TlError *err);

/* Activity Log cursors: where each subscription's last read ended. */
typedef struct {
    struct pg_result *res;
} StoreCursors;

TlResult store_cursors_load(StoreConn *conn, StoreCursors *out, TlError *err);
/* The cursor of subscription (any case), TL_TIME_NONE when none. */
TlTime store_cursor_of(const StoreCursors *c, const char *subscription);
void store_cursors_cleanup(StoreCursors *c);
/* Move the cursors of subs[0..n) forward to `until` (never back). */
TlResult store_cursors_save(StoreConn *conn, const char *const *subs, size_t n, TlTime until,
                            TlError *err);

/* The lineages recorded, not dropped, on the servers keys[0..n) (any
 * case); out[i].server is the index of its key. *out is the caller's to
 * free(). */
typedef struct {
    const char *subscription, *resource_group, *server;
} StoreServerKey;

typedef struct {
    size_t server;
    TlKnownLineage k;
} StoreKnown;

TlResult store_known_load(StoreConn *conn, const StoreServerKey *keys, size_t n, StoreKnown **out,
                          size_t *n_out, TlError *err);

/* ---- a server's results --------------------------------------------------- */

#define STORE_NO_BYTES INT64_MIN /* a size to store as NULL */

typedef struct {
    long long database_id;
    const TlTransition *t;
    const char *source; /* operations, observed, activity_log */
    const char *source_record_id;
    bool inferred;
} StoreTransitionRow;

/* One database as the collector saw it, and the facts the checks use;
 * NULL strings and negative numbers are unknown (what this run did not read
 * carries over from the previous facts row). */
typedef struct {
    long long database_id;
    const char *current_objective, *requested_objective, *status, *sku_json, *redundancy;
    TlTime earliest_restore_at;
    const char *tags_json;
    bool details_read;  /* operations and retention were read this run */
    int retention_days; /* 0: unknown */
    const char *elastic_pool_id;
    int geo_replication;  /* -1 unknown, 0, 1 */
    const char *geo_role; /* E11: "none", "primary", "secondary"; NULL unknown */
    int geo_secondaries;  /* -1 unknown */
    int named_replicas;
    int64_t max_size_bytes;          /* STORE_NO_BYTES: unknown */
    int64_t allocated_bytes;         /* < 0: unknown */
    const char *arm_properties_json; /* the ARM properties kept as facts (JSON object) or NULL */
} StoreObservationRow;

/* One finished UTC day of backup usage; sizes < 0 are unknown, except
 * max_size_bytes, where only STORE_NO_BYTES is. */
typedef struct {
    long long database_id;
    TlTime day;
    int64_t full_bytes, diff_bytes, log_bytes, snapshot_bytes, allocated_bytes, max_size_bytes;
    const char *redundancy, *region, *elastic_pool_id, *tags_json;
} StoreUsageDayRow;

typedef struct StoreCollectBatch StoreCollectBatch;

TlResult store_batch_new(StoreCollectBatch **out, TlError *err);
void store_batch_free(StoreCollectBatch *b); /* NULL is a no-op */
/* Each add copies the row's values. */
void store_batch_add_transition(StoreCollectBatch *b, const StoreTransitionRow *row);
void store_batch_add_observation(StoreCollectBatch *b, const StoreObservationRow *row);
void store_batch_add_usage(StoreCollectBatch *b, const StoreUsageDayRow *row);

typedef struct {
    long transitions, facts, usage; /* rows added (or usage days changed) */
} StoreBatchCounts;

/* Write the batch in the caller's transaction: observations (observed at
 * `now` by run `run_id`), a facts row where the facts changed, the
 * transitions not already recorded, and the usage days. */
TlResult store_batch_write(StoreConn *conn, StoreCollectBatch *b, TlTime now, long long run_id,
                           StoreBatchCounts *counts, TlError *err);

/* A confirmed drop; *added is 0 when the lineage was already recorded dropped. */
typedef struct {
    long long database_id;
    TlTime dropped_at, confirmed_at;
    const char *source;           /* restorable_dropped, observed */
    const char *source_record_id; /* NULL or "" when none */
} StoreDropRow;

TlResult store_drop_record(StoreConn *conn, const StoreDropRow *row, bool *added, TlError *err);

#endif
