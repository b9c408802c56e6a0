/* collect.h - one collector run's conversation with Azure Resource Manager:
 * discover (subscriptions -> servers, every nextLink followed, plus the
 * Activity Log's database writes), then, a batch of servers at a time,
 * list their databases, read the details of the databases that need them
 * (operations, short-term retention, restorable dropped databases, 404
 * confirmations), write and release the batch: what a run holds is one
 * batch (about COLLECT_BATCH_DBS databases), not its fleet. What to store
 * is decided by derive.h; PostgreSQL is the caller's (collector/record.h,
 * sql/store/collector.h). */
#ifndef TIERLEDGER_COLLECTOR_COLLECT_H
#define TIERLEDGER_COLLECTOR_COLLECT_H

#include <stdbool.h>
#include <stddef.h>

#include "collector/azure.h"
#include "collector/derive.h"
#include "collector/http.h"
#include "model/history.h"

#define API_SQL           "2025-01-01"
#define API_SUBSCRIPTIONS "2022-12-01"
#define API_ACTIVITY_LOG  "2015-04-01"
#define API_METRICS       "2024-02-01"
#define API_GRAPH         "2024-04-01"
#define API_DMS           "2025-06-30"

typedef struct {
    AzSubscription sub;
    bool failed;
    TlError *error;  /* owned: why it failed, naming it; NULL while it has not */
    TlTime log_from; /* Activity Log span read: [log_from, log_to] */
    AzEvent *events; /* Microsoft.Sql/servers/databases/write events */
    size_t n_events, cap_events;
    AzEvent *mi_log; /* Microsoft.Sql/managedInstances/... events (collector/mi.h) */
    size_t n_mi_log, cap_mi_log;
    bool events_ok;
    bool mi_listed;    /* its managed instance list was read in full this run */
    TlError *mi_error; /* owned: why that list failed; NULL while it has not */
} CollectSub;

struct CollectMi; /* collector/mi.h */

/* What the caller knows about a lineage of a listed server (from its store). */
typedef TlKnownLineage CollectKnown;

/* Daily backup usage (azure-api.md "Azure Monitor metrics"): levels held
 * on a UTC day, in bytes, -1 unknown. The first sight of a database reads
 * the last COLLECT_USAGE_DAYS finished days (one call, within the 30-day
 * advice), later detail reads re-read the last COLLECT_USAGE_RECENT (late
 * samples replace what was stored). */
#define COLLECT_USAGE_DAYS   30
#define COLLECT_USAGE_RECENT 3
typedef struct {
    int64_t full, diff, log, snapshot, allocated;
} CollectUsage;

typedef struct {
    AzDatabase db;
    int known;         /* index in CollectServer.known of its lineage, or -1 (new) */
    bool want_details; /* operations + retention requested */
    bool details_ok;
    AzOperation *ops;
    size_t n_ops, cap_ops;
    int retention_days;      /* 0: unknown */
    int geo_links;           /* -1 unknown, else the geo replication links read this run */
    int64_t allocated_bytes; /* -1: unknown */
    int named_replicas;      /* databases of the list whose sourceDatabaseId is this, Named */
    CollectUsage *usage;     /* owned: COLLECT_USAGE_DAYS days from Collect.usage_day0, or NULL */
    int usage_from;          /* first day index asked for */
} CollectDb;

/* An elastic pool some detailed member of which is billed at pool level
 * (B1): its max data size (metric storage_limit) per day. */
typedef struct {
    char id[AZ_ID_MAX];
    int usage_from;
    int64_t max_bytes[COLLECT_USAGE_DAYS]; /* -1 unknown */
} CollectPool;

/* A stored lineage missing from the server's complete list. */
typedef struct {
    int known;         /* index in CollectServer.known */
    bool recreated;    /* listed again with a later creationDate */
    bool confirmed;    /* 404 on the database itself */
    bool still_there;  /* answered 200: the list was partial */
    TlTime dropped_at; /* from restorable dropped databases, or TL_TIME_NONE */
    char drop_record[AZ_ID_MAX];
} CollectGone;

typedef struct {
    AzServer srv;
    int sub; /* index in Collect.subs */
    bool failed;
    TlError *error; /* owned: why it failed, naming it; NULL while it has not */
    CollectDb *dbs;
    size_t n_dbs, cap_dbs;
    CollectKnown *known; /* filled by the caller between discover and details */
    size_t n_known;
    CollectGone *gone;
    size_t n_gone;
    AzDroppedDatabase *dropped;
    size_t n_dropped, cap_dropped;
    bool dropped_ok;
    CollectPool *pools;
    size_t n_pools, cap_pools;
} CollectServer;

/* Called once the run's subscriptions are known (after --shard), before
 * anything of theirs is read: the store locks them (record_claim). A
 * failure ends the run. */
typedef TlResult (*CollectClaim)(void *user, const CollectSub *subs, size_t n, TlError *err);

typedef struct {
    const char *arm;      /* base URL without trailing slash */
    int shard_k, shard_n; /* collect only subscriptions with collect_shard_of = k (n = 0: all) */
    CollectClaim claim;   /* NULL: nothing to lock */
    void *claim_user;
    const char *const *only_subs;
    size_t n_only_subs;
    const char *resource_group; /* NULL: all */
    const char *server;         /* NULL: all */
    bool via_graph;             /* list servers and databases with Resource Graph */
    TlTime now;
    long details_every_s; /* refresh cadence for unchanged databases */
    TlTime usage_day0;    /* day index 0 of every usage array: today - COLLECT_USAGE_DAYS */
    HttpClient *http;
    CollectSub *subs;
    size_t n_subs, cap_subs;
    CollectServer *servers; /* every server; only a batch of them holds its databases */
    size_t n_servers, cap_servers;
    size_t n_dbs_listed;   /* databases listed so far this run (progress) */
    size_t batch_dbs;      /* databases a batch of servers holds (collect_list_batch) */
    struct CollectMi *mis; /* managed instances (collector/mi.h) */
    size_t n_mis, cap_mis;
    AzMiMove *mi_moves; /* MI-A13, of every location and resource group of them */
    size_t n_mi_moves, cap_mi_moves;
    /* Resource Graph (via_graph): its queries are read a page at a time, as
     * batches need their servers (collect_list_batch) */
    size_t graph_lo;   /* the first subscription of the query being read */
    char **graph_seen; /* owned: the $skipTokens it read, the last its next page's */
    size_t n_graph_seen, cap_graph_seen;
    bool graph_open;      /* the last server listed may go on on the next page */
    long long graph_rows; /* the rows the query being read has given */
    bool subs_failed;     /* the subscription list itself failed */
    TlError subs_error;
    TlResult fatal;
    TlError fatal_err;
} Collect;

/* The shard (0..n-1) of a subscription id: FNV-1a 64 of its lower-case
 * form, mod n; stable across runs, machines and versions. */
int collect_shard_of(const char *subscription, int n);

/* "K/N" with 0 <= K < N <= 1024 (a Kubernetes indexed Job's
 * JOB_COMPLETION_INDEX is K); false when malformed. */
bool collect_shard_parse(const char *text, int *k, int *n);

/* Subscriptions (or only_subs), their servers, and each subscription's
 * Activity Log since subs[i].log_from (the caller sets it through
 * log_from_fn before the requests go out). With Resource Graph
 * (via_graph), the servers come with their databases, a batch at a time
 * (collect_list_batch). */
typedef TlTime (*CollectLogFrom)(void *user, const char *subscription);
TlResult collect_discover(Collect *c, CollectLogFrom log_from, void *user, TlError *err);

/* A batch: servers [lo, *hi), at least one, their databases listed (ARM),
 * holding about Collect.batch_dbs databases together (0:
 * COLLECT_BATCH_DBS). */
#define COLLECT_BATCH_DBS  2000
#define COLLECT_LIST_FIRST 4  /* servers listed in a batch's first round (at most batch_dbs) */
#define COLLECT_LIST_ROUND 16 /* and at most in any round */
TlResult collect_list_batch(Collect *c, size_t lo, size_t *hi, TlError *err);

/* Whether servers are still to come after c->n_servers (Resource Graph
 * pages not read yet). */
bool collect_more(const Collect *c);

/* Fail the subscriptions whose servers are still to come, with why: the run
 * ends before they are listed. */
void collect_list_abandon(Collect *c, const TlError *why);

/* With servers [lo, hi) listed and their known filled: decide which
 * databases need details and which lineages are gone, and read all of it. */
TlResult collect_details(Collect *c, size_t lo, size_t hi, TlError *err);

/* Free what servers [lo, hi) hold of their databases (once written); the
 * servers themselves, their failures and the run's counts stay. */
void collect_release(Collect *c, size_t lo, size_t hi);

void collect_cleanup(Collect *c);

/* ---- what a run found, in the terms the store records ------------------- */

/* Mark server s failed with why (the first failure wins), named "server S
 * (subscription X): why"; nothing of a failed server is stored. */
void collect_server_fail(Collect *c, CollectServer *s, const TlError *why);

/* Take the recorded lineages of server s (copied) and mark which listed
 * database each is: the same resource id (case-insensitively) and the same
 * creation (L7); a listed database with no such lineage is new (-1). */
TlResult collect_attach_known(CollectServer *s, const TlKnownLineage *known, size_t n,
                              TlError *err);

/* The transition rows this run adds to listed database d of server s
 * (derive_transitions), given its recorded history (empty for a new
 * lineage): *rows (n of them) is malloc'd, the caller frees it, also after
 * a failure. TL_ERR_DATA, naming the server, when Azure describes the
 * database inconsistently. */
TlResult collect_derive(const Collect *c, const CollectServer *s, const CollectDb *d,
                        const TlTransition *recorded, size_t n_recorded, DeriveRow **rows,
                        size_t *n, TlError *err);

/* Geo replication of d: 1 when a geo link was read this run or d is a geo
 * secondary, 0 when the links were read and none is geo, -1 unknown. */
int collect_geo_replication(const CollectDb *d);

/* E11: d's geo role ("secondary" when ARM says secondaryType Geo, else
 * "primary" or "none" by its geo links read this run; NULL unknown) and,
 * for a primary, its number of secondaries (-1 unknown). */
const char *collect_geo_role(const CollectDb *d, int *secondaries);

#define COLLECT_NO_BYTES INT64_MIN /* an unknown allowance */

/* One finished day of a detailed database's usage. */
typedef struct {
    TlTime day;
    CollectUsage u;
    int64_t max_bytes; /* B1's allowance: the pool's max data size when pooled, else the
                          database's max size; COLLECT_NO_BYTES when not known */
} CollectUsageDay;

/* Day k (0 .. COLLECT_USAGE_DAYS) of d's usage into *out; false when the day
 * was not asked for, has no figure at all, or ended before d's creation (it
 * belongs to an older lineage of the name). */
bool collect_usage_day(const Collect *c, const CollectServer *s, const CollectDb *d, int k,
                       CollectUsageDay *out);

/* When gone lineage g of s was dropped and how that is known (*source):
 * "restorable_dropped", Azure's record of it; else "observed": the first
 * re-creation of the name after it, or now. */
TlTime collect_drop_time(const CollectServer *s, const CollectGone *g, TlTime now,
                         const char **source);

#endif
