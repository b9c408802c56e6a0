/* lineages.h - finding lineages (rows of `databases`, L7) and reading their
 * transition history for the model. */
#ifndef TIERLEDGER_SQL_STORE_LINEAGES_H
#define TIERLEDGER_SQL_STORE_LINEAGES_H

#include <stddef.h>

#include "model/arm_id.h"
#include "model/lineage.h"
#include "model/result.h"
#include "sql/store/conn.h"

struct pg_result;

/* One lineage of one database (a row of `databases`). */
typedef struct {
    long long id;
    char resource_id[ARM_ID_MAX];
    TlTime created_at;
    int n_lineages;          /* lineages recorded under the same resource id */
    TlTime other_created[8]; /* creation times of the others, newest first */
    int n_other;
} StoreDatabase;

/* Resolve DATABASE (an ARM resource id in any case, or "server/database"
 * when that names one resource) to a lineage (L11): the one created at
 * `created`, else the newest created at or before `as_of` (TL_TIME_NONE:
 * the newest of all). TL_ERR_NOT_FOUND when nothing matches, TL_ERR_DATA
 * when ambiguous (the message lists the candidates) or when no lineage
 * existed at as_of (the message gives the creation times). */
TlResult store_resolve(StoreConn *conn, const char *arg, TlTime created, TlTime as_of,
                       StoreDatabase *out, TlError *err);

/* A new lineage: a row of `databases` (a lineage already recorded with the
 * same key and creation keeps its row and gains a database_uid it lacked). */
typedef struct {
    const char *resource_id;
    const char *subscription, *resource_group, *server, *database;
    TlTime created_at;
    const char *database_uid; /* NULL or "" when unknown */
} StoreLineageRow;

TlResult store_lineage_insert(StoreConn *conn, const StoreLineageRow *row, long long *id,
                              TlError *err);

/* A lineage's transitions (latest version of each), sorted for the model.
 * The strings point into the owned result. */
typedef struct {
    struct pg_result *res;
    TlTransition *tr;
    size_t n;
} StoreHistory;

TlResult store_history_load(StoreConn *conn, long long database_id, StoreHistory *out,
                            TlError *err);
void store_history_cleanup(StoreHistory *h);

#endif
