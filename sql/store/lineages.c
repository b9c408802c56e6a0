/* lineages.c - resolving lineages and loading histories (see lineages.h).
 * Every statement is a named constant beside its function, parameterised,
 * and names its columns; the C side reads them by name. */
#include "sql/store/lineages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/history.h"
#include "sql/store/pg.h"

static TlResult resolve_query(PGconn *conn, const char *arg, PGresult **res, TlError *err)
{
    /* newest first */
    static const char sql_by_id[] =
        "SELECT id, resource_id, extract(epoch FROM created_at)::bigint AS created, resource_key"
        "  FROM databases WHERE resource_key = lower($1) ORDER BY created_at DESC";
    static const char sql_by_name[] =
        "SELECT id, resource_id, extract(epoch FROM created_at)::bigint AS created, resource_key"
        "  FROM databases WHERE lower(server_name) = lower($1) AND lower(database_name) = lower($2)"
        " ORDER BY resource_key, created_at DESC";
    if (arg[0] == '/') {
        ArmDatabaseId parts;
        if (!arm_database_id_parse(arg, &parts)) {
            tl_error_set(err, TL_ERR_USAGE, "'%s' is not the resource id of an Azure SQL database",
                         arg);
            tl_error_hint(err, "/subscriptions/SUB/resourceGroups/RG/providers/Microsoft.Sql/"
                               "servers/SERVER/databases/DB, or SERVER/DB");
            return TL_ERR_USAGE;
        }
        const char *params[] = {arg};
        return pg_query(conn, "resolve database", sql_by_id, 1, params, res, err);
    }
    char server[ARM_PART_MAX] = "", database[ARM_PART_MAX] = "";
    const char *slash = strchr(arg, '/');
    if (!slash || strchr(slash + 1, '/') || slash == arg || !slash[1] ||
        (size_t)(slash - arg) >= sizeof server || strlen(slash + 1) >= sizeof database)
        return tl_error_set(err, TL_ERR_USAGE, "'%s' is neither a resource id nor SERVER/DATABASE",
                            arg);
    memcpy(server, arg, (size_t)(slash - arg));
    snprintf(database, sizeof database, "%s", slash + 1);
    const char *params[] = {server, database};
    return pg_query(conn, "resolve database", sql_by_name, 2, params, res, err);
}

TlResult store_resolve(StoreConn *conn, const char *arg, TlTime created, TlTime as_of,
                       StoreDatabase *out, TlError *err)
{
    static const char *const names[] = {"id", "resource_id", "created", "resource_key"};
    enum { C_ID, C_RESOURCE, C_CREATED, C_KEY };
    int col[4];
    PGresult *res;
    memset(out, 0, sizeof *out);
    TlResult rc = resolve_query(conn, arg, &res, err);
    if (rc)
        return rc;
    if ((rc = pg_columns(res, "resolve database", names, 4, col, err))) {
        PQclear(res);
        return rc;
    }
    int rows = PQntuples(res);
    if (rows == 0) {
        PQclear(res);
        tl_error_set(err, TL_ERR_NOT_FOUND, "no database '%s' is recorded", arg);
        tl_error_hint(err, "load its history with 'tierledger import' (or collect it) first");
        return TL_ERR_NOT_FOUND;
    }
    /* server/database must name one resource id */
    for (int i = 1; i < rows; i++) {
        if (strcmp(PQgetvalue(res, i, col[C_KEY]), PQgetvalue(res, 0, col[C_KEY])) != 0) {
            tl_error_set(err, TL_ERR_DATA, "'%s' is ambiguous: it names %s and %s", arg,
                         PQgetvalue(res, 0, col[C_RESOURCE]), PQgetvalue(res, i, col[C_RESOURCE]));
            tl_error_hint(err, "give the full resource id");
            PQclear(res);
            return TL_ERR_DATA;
        }
    }
    int pick = -1; /* rows are newest first: L11, the newest created at or before as_of */
    for (int i = 0; i < rows && pick < 0; i++)
        if (created != TL_TIME_NONE
                ? pg_time(res, i, col[C_CREATED]) == created
                : as_of == TL_TIME_NONE || pg_time(res, i, col[C_CREATED]) <= as_of)
            pick = i;
    if (pick < 0 && created == TL_TIME_NONE) {
        char a[TL_TIME_TEXT_MAX], when[200] = "";
        for (int i = rows; i-- > 0 && strlen(when) + TL_TIME_TEXT_MAX + 2 < sizeof when;) {
            char t[TL_TIME_TEXT_MAX];
            snprintf(when + strlen(when), sizeof when - strlen(when), "%s%s",
                     i + 1 < rows ? ", " : "", tl_time_format(pg_time(res, i, col[C_CREATED]), t));
        }
        tl_error_set(err, TL_ERR_DATA, "%s did not exist at %s: %s created %s",
                     PQgetvalue(res, 0, col[C_RESOURCE]), tl_time_format(as_of, a),
                     rows == 1 ? "it was" : "its lineages were", when);
        PQclear(res);
        return TL_ERR_DATA;
    }
    if (pick < 0) {
        char a[TL_TIME_TEXT_MAX];
        tl_error_set(err, TL_ERR_NOT_FOUND, "'%s' has no lineage created at %s", arg,
                     tl_time_format(created, a));
        tl_error_hint(err, "'tierledger lineage %s' lists the lineages recorded", arg);
        PQclear(res);
        return TL_ERR_NOT_FOUND;
    }
    pg_get_int64(res, pick, col[C_ID], &out->id);
    snprintf(out->resource_id, sizeof out->resource_id, "%s",
             PQgetvalue(res, pick, col[C_RESOURCE]));
    out->created_at = pg_time(res, pick, col[C_CREATED]);
    out->n_lineages = rows;
    for (int i = 0; i < rows && out->n_other < 8; i++)
        if (i != pick)
            out->other_created[out->n_other++] = pg_time(res, i, col[C_CREATED]);
    PQclear(res);
    return TL_OK;
}

TlResult store_lineage_insert(StoreConn *conn, const StoreLineageRow *row, long long *id,
                              TlError *err)
{
    static const char sql[] =
        "INSERT INTO databases (resource_id, subscription_id, resource_group, server_name,"
        "       database_name, created_at, database_uid)"
        " VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint), nullif($7, '')::uuid)"
        " ON CONFLICT (resource_key, created_at) DO UPDATE"
        "   SET database_uid = coalesce(databases.database_uid, EXCLUDED.database_uid)"
        " RETURNING id";
    char at[24];
    const char *p[] = {row->resource_id, row->subscription, row->resource_group,
                       row->server,      row->database,     pg_time_param(row->created_at, at),
                       row->database_uid};
    PGresult *res;
    TlResult rc = pg_query(conn, "record a new database", sql, 7, p, &res, err);
    if (!rc) {
        pg_get_int64(res, 0, PQfnumber(res, "id"), id);
        PQclear(res);
    }
    return rc;
}

TlResult store_history_load(StoreConn *conn, long long database_id, StoreHistory *out, TlError *err)
{
    static const char sql[] = "SELECT " PG_TRANSITION_COLUMNS
                              "  FROM current_transitions t WHERE t.database_id = $1::bigint"
                              " ORDER BY t.started_at, t.id";
    char idtext[24];
    const char *params[] = {pg_int_param(database_id, idtext)};
    memset(out, 0, sizeof *out);
    PgTransitionColumns col;
    TlResult rc = pg_query(conn, "load transitions", sql, 1, params, &out->res, err);
    if (!rc)
        rc = pg_transition_columns(out->res, &col, err);
    if (rc) {
        store_history_cleanup(out);
        return rc;
    }
    int rows = PQntuples(out->res);
    out->tr = calloc(rows ? (size_t)rows : 1, sizeof *out->tr);
    if (!out->tr) {
        store_history_cleanup(out);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < rows && !rc; i++)
        rc = pg_transition_decode(out->res, i, &col, &out->tr[i], err);
    if (rc) {
        store_history_cleanup(out);
        return rc;
    }
    out->n = (size_t)rows;
    history_sort(out->tr, out->n);
    return TL_OK;
}

void store_history_cleanup(StoreHistory *h)
{
    if (!h)
        return;
    PQclear(h->res);
    free(h->tr);
    memset(h, 0, sizeof *h);
}
