/* store.h - tierledger's queries over the schema of sql/migrations:
 * resolving a DATABASE argument to one lineage, loading its transitions and
 * facts for the model, and parsing ARM database resource ids. */
#ifndef TIERLEDGER_CLI_STORE_H
#define TIERLEDGER_CLI_STORE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "billing.h"
#include "check.h"
#include "lineage.h"
#include "result.h"

#define ARM_PART_MAX 128

/* The parts of /subscriptions/S/resourceGroups/G/providers/Microsoft.Sql/
 * servers/V/databases/D (keywords compared case-insensitively). */
typedef struct {
    char subscription[ARM_PART_MAX];
    char resource_group[ARM_PART_MAX];
    char server[ARM_PART_MAX];
    char database[ARM_PART_MAX];
} ArmDatabaseId;

/* Parse an ARM resource id of an Azure SQL database; false if it is not one. */
bool arm_database_id_parse(const char *id, ArmDatabaseId *out);

/* One lineage of one database (a row of `databases`). */
typedef struct {
    long long id;
    char resource_id[1024];
    TlTime created_at;
    int n_lineages;          /* lineages recorded under the same resource id */
    TlTime other_created[8]; /* creation times of the others, newest first */
    int n_other;
} StoreDatabase;

/* Resolve DATABASE (an ARM resource id in any case, or "server/database"
 * when that names one resource) to a lineage: the newest, or the one
 * created at `created` (TL_TIME_NONE: newest). TL_ERR_NOT_FOUND when nothing
 * matches, TL_ERR_DATA when ambiguous (the message lists the candidates). */
TlResult store_resolve(PGconn *conn, const char *arg, TlTime created, StoreDatabase *out,
                       TlError *err);

/* The lineage of resource_id that existed at `at` (the latest created at or
 * before it): *id, or *id = 0 when there was none. */
TlResult store_lineage_at(PGconn *conn, const char *resource_id, TlTime at, long long *id,
                          TlError *err);

/* A lineage's transitions (latest version of each), sorted for the model.
 * The strings point into the owned PGresult. */
typedef struct {
    PGresult *res;
    TlTransition *tr;
    size_t n;
} StoreHistory;

TlResult store_history_load(PGconn *conn, long long database_id, StoreHistory *out, TlError *err);
void store_history_free(StoreHistory *h);

/* What is known about a lineage at as_of: the latest observation at or
 * before it, else the earliest after it (then `from_later` is set). */
typedef struct {
    TlFacts facts;
    int retention_days; /* R, 7 when unknown (L9) */
    bool observed;      /* any observation at all */
    bool from_later;    /* taken from an observation after as_of */
    TlTime observed_at;
} StoreFacts;

TlResult store_facts_load(PGconn *conn, long long database_id, TlTime as_of, StoreFacts *out,
                          TlError *err);

/* Every database lineage that existed before `to`, with what the fleet-wide
 * reports need: its history, facts as of `to`, and (when usage_from <
 * usage_to) its daily usage in [usage_from, usage_to), collector rows before
 * import rows of the same day. Strings point into the owned results. */
typedef struct {
    long long id;
    const char *resource_id, *subscription, *resource_group, *server_name, *database_name;
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
    PGresult *res_db, *res_tr, *res_usage;
    FleetDatabase *db;
    size_t n;
    TlTransition *transitions;
    TlUsageDay *usage;
    size_t n_usage;
} Fleet;

TlResult store_fleet_load(PGconn *conn, TlTime to, TlTime usage_from, TlTime usage_to, Fleet *out,
                          TlError *err);
void store_fleet_free(Fleet *fleet);

#endif
