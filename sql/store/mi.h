/* mi.h - Managed Instance events (migration 0020): an import-mi file staged
 * with COPY, checked against what is recorded a database at a time (the
 * lineage model decides what Azure can produce), then written in one
 * statement; and the events of one MI lineage read back for `lineage`.
 * Callers hold the writers' transaction (store_open_writer) to import. */
#ifndef TIERLEDGER_SQL_STORE_MI_H
#define TIERLEDGER_SQL_STORE_MI_H

#include <stdbool.h>
#include <stddef.h>

#include "model/mi.h"
#include "model/mi_billing.h"
#include "model/result.h"
#include "sql/store/conn.h"

struct pg_result;

/* The columns of a staged row, in import-mi's file order: resource_id,
 * event, at, state, operation_id, initiated_by, origin, source_server,
 * source_database, earliest_restore_point, retention_days, tier, vcores,
 * storage_size_gb, redundancy, database_format, tde_protected,
 * compatibility_level, detail, ltr_weekly, ltr_monthly, ltr_yearly,
 * ltr_week_of_year, data_bytes, log_bytes_per_day (MI_VALUES in mi.c,
 * rows_mi_columns in cli/rows.h). */
#define STORE_MI_COLUMNS 25

typedef struct StoreMiStage StoreMiStage;

typedef struct {
    long long rows; /* staged */
    long added;     /* new to the store */
    long lineages;  /* lineages the new events begin */
} StoreMiCounts;

TlResult store_mi_stage_begin(StoreConn *conn, StoreMiStage **out, TlError *err);
/* One checked row: values[k] is the k-th of those columns, NULL when empty. */
void store_mi_stage_row(StoreMiStage *s, int line, const char *const *values);
/* End the COPY; refuse (TL_ERR_DATA, "FILE:LINE: ...") a row that differs
 * from a recorded event (or another row) of the same database, kind,
 * instant and detail, and a database whose history with the new events is
 * not one Azure can produce (mi_lineage_evaluate); then, unless dry, write
 * the new events. Frees s. */
TlResult store_mi_stage_finish(StoreMiStage *s, const char *file, bool dry, StoreMiCounts *counts,
                               TlError *err);
void store_mi_stage_free(StoreMiStage *s); /* NULL is fine */

/* The events of the MI lineage of database resource_id (any case) alive at
 * as_of (else the first created after it), with the databases a move
 * continued it on and the events of their instances, in time order; strings
 * point into the results. TL_ERR_NOT_FOUND when no event names it. Release
 * with store_mi_lineage_cleanup. */
typedef struct {
    struct pg_result *res;
    TlMiEvent *ev;
    size_t n;
    const char *resource_id; /* as first recorded */
} StoreMiLineage;

TlResult store_mi_lineage_load(StoreConn *conn, const char *resource_id, TlTime as_of,
                               StoreMiLineage *out, TlError *err);
void store_mi_lineage_cleanup(StoreMiLineage *l);

/* A page of the MI fleet for `report warnings`: up to `limit` first
 * databases of lineages (roots, by resource key, after `after`: "" at
 * first) with all their events as store_mi_lineage_load reads them, group
 * after group (group[k] .. group[k+1]); or up to `limit` instances with
 * their instance events. Strings point into res. */
typedef struct {
    struct pg_result *res;
    TlMiEvent *ev;
    size_t n;
    size_t *group; /* n_groups + 1 offsets into ev */
    size_t n_groups;
    const char **key; /* each group's root (or instance) key */
} StoreMiPage;

TlResult store_mi_page_lineages(StoreConn *conn, const char *after, size_t limit, StoreMiPage *out,
                                TlError *err);
TlResult store_mi_page_instances(StoreConn *conn, const char *after, size_t limit, StoreMiPage *out,
                                 TlError *err);
void store_mi_page_cleanup(StoreMiPage *p);

/* A page of instances for the month's MI billing (report chargeback): up to
 * `limit` instances after `after` ("" at first), each with every event of
 * the instance and of its databases (a move's destination begins with a
 * created of origin move), group after group as in StoreMiPage, and their
 * databases' usage days in [from, to), by instance (usage_group like
 * group). Strings point into the results. */
typedef struct {
    StoreMiPage events;
    struct pg_result *usage_res;
    TlMiUsageDay *usage;
    size_t n_usage;
    size_t *usage_group; /* events.n_groups + 1 offsets into usage */
} StoreMiMonth;

TlResult store_mi_month_page(StoreConn *conn, const char *after, size_t limit, TlTime from,
                             TlTime to, StoreMiMonth *out, TlError *err);
void store_mi_month_cleanup(StoreMiMonth *m);

/* ---- the collector's part (collect; collector/mi.h decides what to add) ---- */

/* The managed instances recorded in subscription `subscription` (any case)
 * whose last event is not their deletion, each as first spelled. */
typedef struct {
    struct pg_result *res;
    size_t n;
} StoreMiInstances;

TlResult store_mi_instances_load(StoreConn *conn, const char *subscription, StoreMiInstances *out,
                                 TlError *err);
const char *store_mi_instance_id(const StoreMiInstances *l, size_t i);
void store_mi_instances_cleanup(StoreMiInstances *l);

/* Every event of instance instance_id (any case) and of its databases, in
 * time order, and when a collector run last read it (mi_polls;
 * TL_TIME_NONE: never). Strings point into res. */
typedef struct {
    struct pg_result *res;
    TlMiEvent *ev;
    size_t n;
    TlTime polled_at;
} StoreMiRecorded;

TlResult store_mi_recorded_load(StoreConn *conn, const char *instance_id, StoreMiRecorded *out,
                                TlError *err);
void store_mi_recorded_cleanup(StoreMiRecorded *r);

/* An event the collector saw, with what import-mi's file has no column for. */
typedef struct {
    const TlMiEvent *e;
    TlTime not_before; /* the change happened after it (the last poll), or TL_TIME_NONE */
    const char *state, *operation_id, *initiated_by; /* NULL: not known */
} StoreMiEventRow;

/* In the caller's writers' transaction: rows[0..n) not already recorded
 * (migration 0020's identity), source 'collector', in one statement; and
 * the instance's poll at now by run run_id. *added counts the new rows. */
TlResult store_mi_collected_write(StoreConn *conn, const char *instance_id,
                                  const StoreMiEventRow *rows, size_t n, TlTime now,
                                  long long run_id, long *added, TlError *err);

#endif
