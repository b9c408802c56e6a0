/* store.c - the queries behind lineage and check (see store.h). Every
 * statement is a named constant beside its function, parameterised, and
 * casts what it returns so the C side reads known types. */
#include "store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"

static bool ieq_n(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return false;
    return true;
}

/* Copy the next path segment of *p into buf; false if empty or too long. */
static bool segment(const char **p, char *buf, size_t size)
{
    if (**p != '/')
        return false;
    (*p)++;
    size_t len = strcspn(*p, "/");
    if (len == 0 || len >= size)
        return false;
    memcpy(buf, *p, len);
    buf[len] = '\0';
    *p += len;
    return true;
}

static bool keyword(const char **p, const char *word)
{
    char buf[64];
    return segment(p, buf, sizeof buf) && strlen(buf) == strlen(word) &&
           ieq_n(buf, word, strlen(word));
}

bool arm_database_id_parse(const char *id, ArmDatabaseId *out)
{
    const char *p = id;
    return id && keyword(&p, "subscriptions") &&
           segment(&p, out->subscription, sizeof out->subscription) &&
           keyword(&p, "resourceGroups") &&
           segment(&p, out->resource_group, sizeof out->resource_group) &&
           keyword(&p, "providers") && keyword(&p, "Microsoft.Sql") && keyword(&p, "servers") &&
           segment(&p, out->server, sizeof out->server) && keyword(&p, "databases") &&
           segment(&p, out->database, sizeof out->database) && *p == '\0';
}

static TlTime col_time(const PGresult *res, int row, int col)
{
    long long v;
    return pg_get_int64(res, row, col, &v) ? (TlTime)v : TL_TIME_NONE;
}

TlResult store_resolve(PGconn *conn, const char *arg, TlTime created, StoreDatabase *out,
                       TlError *err)
{
    /* (id bigint, resource_id text, created_at epoch bigint, resource_key text), newest first */
    static const char sql_by_id[] =
        "SELECT id, resource_id, extract(epoch FROM created_at)::bigint, resource_key"
        "  FROM databases WHERE resource_key = lower($1) ORDER BY created_at DESC";
    static const char sql_by_name[] =
        "SELECT id, resource_id, extract(epoch FROM created_at)::bigint, resource_key"
        "  FROM databases WHERE lower(server_name) = lower($1) AND lower(database_name) = lower($2)"
        " ORDER BY resource_key, created_at DESC";
    char server[ARM_PART_MAX] = "", database[ARM_PART_MAX] = "";
    PGresult *res;
    TlResult rc;
    memset(out, 0, sizeof *out);

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
        rc = pg_query(conn, "resolve database", sql_by_id, 1, params, &res, err);
    } else {
        const char *slash = strchr(arg, '/');
        if (!slash || strchr(slash + 1, '/') || slash == arg || !slash[1] ||
            (size_t)(slash - arg) >= sizeof server || strlen(slash + 1) >= sizeof database) {
            tl_error_set(err, TL_ERR_USAGE, "'%s' is neither a resource id nor SERVER/DATABASE",
                         arg);
            return TL_ERR_USAGE;
        }
        memcpy(server, arg, (size_t)(slash - arg));
        snprintf(database, sizeof database, "%s", slash + 1);
        const char *params[] = {server, database};
        rc = pg_query(conn, "resolve database", sql_by_name, 2, params, &res, err);
    }
    if (rc)
        return rc;
    int rows = PQntuples(res);
    if (rows == 0) {
        PQclear(res);
        tl_error_set(err, TL_ERR_NOT_FOUND, "no database '%s' is recorded", arg);
        tl_error_hint(err, "load its history with 'tierledger import' (or collect it) first");
        return TL_ERR_NOT_FOUND;
    }
    /* server/database must name one resource id */
    for (int i = 1; i < rows; i++) {
        if (strcmp(PQgetvalue(res, i, 3), PQgetvalue(res, 0, 3)) != 0) {
            tl_error_set(err, TL_ERR_DATA, "'%s' is ambiguous: it names %s and %s", arg,
                         PQgetvalue(res, 0, 1), PQgetvalue(res, i, 1));
            tl_error_hint(err, "give the full resource id");
            PQclear(res);
            return TL_ERR_DATA;
        }
    }
    int pick = -1;
    for (int i = 0; i < rows && pick < 0; i++)
        if (created == TL_TIME_NONE || col_time(res, i, 2) == created)
            pick = i;
    if (pick < 0) {
        char a[TL_TIME_TEXT_MAX];
        tl_error_set(err, TL_ERR_NOT_FOUND, "'%s' has no lineage created at %s", arg,
                     tl_time_format(created, a));
        tl_error_hint(err, "'tierledger lineage %s' lists the lineages recorded", arg);
        PQclear(res);
        return TL_ERR_NOT_FOUND;
    }
    long long id;
    pg_get_int64(res, pick, 0, &id);
    out->id = id;
    snprintf(out->resource_id, sizeof out->resource_id, "%s", PQgetvalue(res, pick, 1));
    out->created_at = col_time(res, pick, 2);
    out->n_lineages = rows;
    for (int i = 0; i < rows && out->n_other < 8; i++)
        if (i != pick)
            out->other_created[out->n_other++] = col_time(res, i, 2);
    PQclear(res);
    return TL_OK;
}

TlResult store_history_load(PGconn *conn, long long database_id, StoreHistory *out, TlError *err)
{
    /* (started, ended epoch bigint, state, from, to, operation_id, initiated_by text) */
    static const char sql[] =
        "SELECT extract(epoch FROM started_at)::bigint, extract(epoch FROM ended_at)::bigint,"
        "       state, coalesce(from_objective, ''), to_objective, operation_id, initiated_by"
        "  FROM current_transitions WHERE database_id = $1::bigint"
        " ORDER BY started_at, id";
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", database_id);
    const char *params[] = {idtext};
    memset(out, 0, sizeof *out);
    TlResult rc = pg_query(conn, "load transitions", sql, 1, params, &out->res, err);
    if (rc)
        return rc;
    int rows = PQntuples(out->res);
    out->tr = calloc(rows ? (size_t)rows : 1, sizeof *out->tr);
    if (!out->tr) {
        store_history_free(out);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < rows; i++) {
        TlTransition *t = &out->tr[i];
        t->started_at = col_time(out->res, i, 0);
        t->ended_at = col_time(out->res, i, 1);
        if (!op_state_parse(PQgetvalue(out->res, i, 2), &t->state)) {
            store_history_free(out);
            return tl_error_set(err, TL_ERR_INTERNAL, "postgresql: unknown state in transitions");
        }
        t->from_objective = PQgetvalue(out->res, i, 3);
        t->to_objective = PQgetvalue(out->res, i, 4);
        t->operation_id = PQgetisnull(out->res, i, 5) ? NULL : PQgetvalue(out->res, i, 5);
        t->initiated_by = PQgetisnull(out->res, i, 6) ? NULL : PQgetvalue(out->res, i, 6);
    }
    out->n = (size_t)rows;
    transitions_sort(out->tr, out->n);
    return TL_OK;
}

void store_history_free(StoreHistory *h)
{
    if (!h)
        return;
    PQclear(h->res);
    free(h->tr);
    memset(h, 0, sizeof *h);
}

TlResult store_facts_load(PGconn *conn, long long database_id, TlTime as_of, StoreFacts *out,
                          TlError *err)
{
    /* One row: (observed epoch, retention int, in_pool bool, geo bool,
     * replicas int, allocated bigint, later bool), or none. */
    static const char sql[] =
        "SELECT extract(epoch FROM observed_at)::bigint, retention_days,"
        "       CASE WHEN in_elastic_pool IS NOT NULL THEN in_elastic_pool"
        "            WHEN elastic_pool_id IS NOT NULL THEN elastic_pool_id <> '' END,"
        "       geo_replication, named_replicas, allocated_bytes, observed_at > to_timestamp($2)"
        "  FROM database_facts WHERE database_id = $1::bigint"
        " ORDER BY observed_at > to_timestamp($2),"
        "          CASE WHEN observed_at <= to_timestamp($2) THEN -extract(epoch FROM observed_at)"
        "               ELSE extract(epoch FROM observed_at) END, id DESC"
        " LIMIT 1";
    char idtext[32], astext[32];
    snprintf(idtext, sizeof idtext, "%lld", database_id);
    snprintf(astext, sizeof astext, "%lld", (long long)as_of);
    const char *params[] = {idtext, astext};
    PGresult *res;
    memset(out, 0, sizeof *out);
    out->retention_days = 7;
    out->observed_at = TL_TIME_NONE;
    TlResult rc = pg_query(conn, "load facts", sql, 2, params, &res, err);
    if (rc)
        return rc;
    if (PQntuples(res) == 1) {
        long long v;
        out->observed = true;
        out->observed_at = col_time(res, 0, 0);
        out->from_later = strcmp(PQgetvalue(res, 0, 6), "t") == 0;
        if (pg_get_int64(res, 0, 1, &v)) {
            out->facts.retention_known = true;
            out->retention_days = (int)v;
        }
        if (!PQgetisnull(res, 0, 2)) {
            out->facts.pool_known = true;
            out->facts.in_pool = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
        }
        if (!PQgetisnull(res, 0, 3)) {
            out->facts.geo_known = true;
            out->facts.has_geo_link = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
        }
        if (pg_get_int64(res, 0, 4, &v)) {
            out->facts.replicas_known = true;
            out->facts.named_replicas = (int)v;
        }
        if (pg_get_int64(res, 0, 5, &v)) {
            out->facts.allocated_known = true;
            out->facts.allocated_bytes = v;
        }
    }
    PQclear(res);
    return TL_OK;
}
