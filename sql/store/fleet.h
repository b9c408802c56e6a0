/* fleet.h - every lineage, a page at a time, for the fleet-wide reports and
 * refresh: its history, facts as of an instant, and a span of daily usage. */
#ifndef TIERLEDGER_SQL_STORE_FLEET_H
#define TIERLEDGER_SQL_STORE_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include "model/billing.h"
#include "model/check.h"
#include "model/lineage.h"
#include "model/result.h"
#include "sql/store/conn.h"

struct pg_result;

/* Strings point into the Fleet's results. */
typedef struct {
    long long id;
    const char *resource_id, *subscription, *resource_group, *server_name, *database_name;
    const char *subscription_name; /* its display name, when the collector listed it; or NULL */
    TlTime created_at;
    TlTime next_created; /* creation of the next lineage of the same resource, or NONE */
    TlFacts facts;
    int retention_days; /* R, 7 when unknown */
    TlTransition *tr;   /* slice of Fleet.transitions, sorted for the model */
    size_t n_tr;
    TlUsageDay *usage; /* slice of Fleet.usage, by day */
    size_t n_usage;
    const char *region; /* of the latest usage row, or NULL */
    const char *tags;   /* JSON object text of the latest usage row, or NULL */
} FleetDatabase;

typedef struct {
    struct pg_result *res_db, *res_tr[2], *res_usage[2], *res_before; /* [2]: a page's parts */
    FleetDatabase *db;
    size_t n;
    TlTransition *transitions;
    TlUsageDay *usage;
    size_t n_usage;
} Fleet;

/* What a fleet read covers: the lineages created before `to`, their facts
 * as of `to`, and (when usage_from < usage_to) their daily usage in
 * [usage_from, usage_to). With usage_month (0: none) after usage_from, the
 * days before usage_month are read only for the lineages whose bill of the
 * month from usage_month may read them (billing_reads_before); the others
 * get the same bill from the month's rows alone. changed_only: only the
 * lineages of refresh's change set, and the pools they are in
 * (store_refresh_plan, refresh.h). */
typedef struct {
    TlTime to, usage_from, usage_to;
    TlTime usage_month;
    bool changed_only;
} FleetWindow;

/* Each elastic pool's days over the usage store_fleet_page reads (B1 at
 * pool level), for pages to share a pool's allowance whatever page its
 * members are on. Strings point into res. */
typedef struct {
    struct pg_result *res;
    TlPoolDay *days; /* by pool (bytewise), then day */
    size_t n;
} StorePools;
TlResult store_pools_load(StoreConn *conn, const FleetWindow *w, StorePools *out, TlError *err);
void store_pools_cleanup(StorePools *pools);

/* The lineages of w, a page at a time in bounded memory: those with id >
 * after, at most limit of them (0: all), in id order (the next page starts
 * after the last one's id; an empty page is the end), each with its
 * history, facts and usage (collector rows before import rows of the same
 * day). Pooled rows get their share from pools
 * (store_pools_load), or from the page's own rows (billing_pool_allowance)
 * when pools is NULL. Release with store_fleet_cleanup (also after a
 * failure). */
TlResult store_fleet_page(StoreConn *conn, const FleetWindow *w, long long after, size_t limit,
                          const StorePools *pools, Fleet *out, TlError *err);
void store_fleet_cleanup(Fleet *fleet);

/* The same pages in a row, each next one read by a second thread while the
 * caller works on the one before (the server's work on a page overlaps the
 * caller's): pages of limit lineages, at most two of them in memory. When
 * conn is in a transaction and w is not the change set, the reader opens
 * two more connections on its snapshot (store_twin) and reads a page's
 * parts on both at once; then conn stays the caller's. Otherwise (or when
 * the server refuses them) conn reads all, and between store_fleet_next and
 * store_fleet_pause (or the next store_fleet_next) it is the reader's: the
 * caller must not use it. w and pools must outlive the reader. Free with
 * store_fleet_reader_free (also after a failure; it waits for the thread
 * and closes the connections it opened). */
typedef struct FleetReader FleetReader;
TlResult store_fleet_reader_new(StoreConn *conn, const FleetWindow *w, size_t limit,
                                const StorePools *pools, FleetReader **out, TlError *err);
/* The next page into *page, as store_fleet_page gives it (n == 0: the end;
 * release it with store_fleet_cleanup, also after a failure). */
TlResult store_fleet_next(FleetReader *r, Fleet *page, TlError *err);
/* Make conn the caller's until its next store_fleet_next: wait until the
 * page being read ahead is in, unless the reader reads on connections of
 * its own. */
void store_fleet_pause(FleetReader *r);
void store_fleet_reader_free(FleetReader *r);

/* The regions of the backup usage recorded in the last 40 days before now
 * (lower case, sorted), at most cap of them, into out[0..*n). */
TlResult store_usage_regions(StoreConn *conn, TlTime now, char (*out)[64], size_t cap, size_t *n,
                             TlError *err);

#endif
