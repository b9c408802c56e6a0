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

TlResult store_lineage_at(PGconn *conn, const char *resource_id, TlTime at, long long *id,
                          TlError *err)
{
    /* (id bigint) of the latest creation at or before $2, or no row */
    static const char sql[] = "SELECT id FROM databases WHERE resource_key = lower($1)"
                              "   AND created_at <= to_timestamp($2::bigint)"
                              " ORDER BY created_at DESC LIMIT 1";
    char at_text[32];
    snprintf(at_text, sizeof at_text, "%lld", (long long)at);
    const char *params[] = {resource_id, at_text};
    PGresult *res;
    *id = 0;
    TlResult rc = pg_query(conn, "find lineage", sql, 2, params, &res, err);
    if (!rc && PQntuples(res) == 1)
        pg_get_int64(res, 0, 0, id);
    PQclear(res);
    return rc;
}

/* Decode (started, ended epochs, state, from, to, operation_id, initiated_by)
 * starting at column `col` into *t; strings point into res. */
static TlResult decode_transition(const PGresult *res, int row, int col, TlTransition *t,
                                  TlError *err)
{
    t->started_at = col_time(res, row, col);
    t->ended_at = col_time(res, row, col + 1);
    if (!op_state_parse(PQgetvalue(res, row, col + 2), &t->state))
        return tl_error_set(err, TL_ERR_INTERNAL, "postgresql: unknown state in transitions");
    t->from_objective = PQgetvalue(res, row, col + 3);
    t->to_objective = PQgetvalue(res, row, col + 4);
    t->operation_id = PQgetisnull(res, row, col + 5) ? NULL : PQgetvalue(res, row, col + 5);
    t->initiated_by = PQgetisnull(res, row, col + 6) ? NULL : PQgetvalue(res, row, col + 6);
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
        if (decode_transition(out->res, i, 0, &out->tr[i], err) != TL_OK) {
            store_history_free(out);
            return TL_ERR_INTERNAL;
        }
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
        " ORDER BY observed_at > to_timestamp($2::bigint),"
        "          abs(extract(epoch FROM observed_at) - $2::bigint), id DESC"
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

/* ---- the fleet ----------------------------------------------------------- */

static int64_t col_bytes(const PGresult *res, int row, int col)
{
    long long v;
    return pg_get_int64(res, row, col, &v) ? (int64_t)v : TL_BYTES_UNKNOWN;
}

static const char *col_text(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

TlResult store_fleet_load(PGconn *conn, TlTime to, TlTime usage_from, TlTime usage_to, Fleet *out,
                          TlError *err)
{
    /* (id, resource_id, subscription, group, name, created, next created epochs,
     *  retention, in_pool, geo, replicas, allocated, server): the facts row is the
     * latest at or before $1, else the earliest after it */
    static const char sql_db[] =
        "SELECT d.id, d.resource_id, d.subscription_id, d.resource_group, d.database_name,"
        "       extract(epoch FROM d.created_at)::bigint, extract(epoch FROM "
        "d.next_created)::bigint,"
        "       f.retention_days, f.in_pool, f.geo_replication, f.named_replicas, "
        "f.allocated_bytes,"
        "       d.server_name"
        "  FROM (SELECT *, lead(created_at) OVER (PARTITION BY resource_key ORDER BY created_at)"
        "                  AS next_created FROM databases) d"
        "  LEFT JOIN LATERAL ("
        "       SELECT retention_days, geo_replication, named_replicas, allocated_bytes,"
        "              CASE WHEN in_elastic_pool IS NOT NULL THEN in_elastic_pool"
        "                   WHEN elastic_pool_id IS NOT NULL THEN elastic_pool_id <> '' END AS "
        "in_pool"
        "         FROM database_facts f WHERE f.database_id = d.id"
        "        ORDER BY f.observed_at > to_timestamp($1::bigint),"
        "                 abs(extract(epoch FROM f.observed_at) - $1::bigint), f.id DESC LIMIT 1) "
        "f ON true"
        " WHERE d.created_at < to_timestamp($1::bigint)"
        " ORDER BY d.id";
    /* (database_id, started, ended epochs, state, from, to, operation_id, initiated_by) */
    static const char sql_tr[] =
        "SELECT t.database_id, extract(epoch FROM t.started_at)::bigint,"
        "       extract(epoch FROM t.ended_at)::bigint, t.state, coalesce(t.from_objective, ''),"
        "       t.to_objective, t.operation_id, t.initiated_by"
        "  FROM current_transitions t JOIN databases d ON d.id = t.database_id"
        " WHERE d.created_at < to_timestamp($1::bigint)"
        " ORDER BY t.database_id, t.started_at, t.id";
    /* (database_id, day epoch, full, diff, log, snapshot, allocated, max, redundancy,
     *  region, pool, tags) one row a day, the collector's first */
    static const char sql_usage[] =
        "SELECT DISTINCT ON (database_id, day) database_id,"
        "       extract(epoch FROM day::timestamp)::bigint, full_bytes, diff_bytes, log_bytes,"
        "       snapshot_bytes, allocated_bytes, max_size_bytes, redundancy, region,"
        "       elastic_pool_id, tags::text"
        "  FROM backup_usage"
        " WHERE day >= to_timestamp($1::bigint)::date AND day < to_timestamp($2::bigint)::date"
        " ORDER BY database_id, day, source = 'collector' DESC";
    char to_text[32], from_text[32], uto_text[32];
    snprintf(to_text, sizeof to_text, "%lld", (long long)to);
    snprintf(from_text, sizeof from_text, "%lld", (long long)usage_from);
    snprintf(uto_text, sizeof uto_text, "%lld", (long long)usage_to);
    const char *p1[] = {to_text}, *p2[] = {from_text, uto_text};
    memset(out, 0, sizeof *out);
    TlResult rc = pg_query(conn, "load databases", sql_db, 1, p1, &out->res_db, err);
    if (!rc)
        rc = pg_query(conn, "load transitions", sql_tr, 1, p1, &out->res_tr, err);
    if (!rc && usage_from < usage_to)
        rc = pg_query(conn, "load usage", sql_usage, 2, p2, &out->res_usage, err);
    if (rc)
        return rc;
    int n_db = PQntuples(out->res_db), n_tr = PQntuples(out->res_tr);
    int n_use = out->res_usage ? PQntuples(out->res_usage) : 0;
    out->db = calloc(n_db ? (size_t)n_db : 1, sizeof *out->db);
    out->transitions = calloc(n_tr ? (size_t)n_tr : 1, sizeof *out->transitions);
    out->usage = calloc(n_use ? (size_t)n_use : 1, sizeof *out->usage);
    if (!out->db || !out->transitions || !out->usage)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    const PGresult *r = out->res_db;
    for (int i = 0; i < n_db; i++) {
        FleetDatabase *d = &out->db[i];
        long long v;
        pg_get_int64(r, i, 0, &d->id);
        d->resource_id = PQgetvalue(r, i, 1);
        d->subscription = PQgetvalue(r, i, 2);
        d->resource_group = PQgetvalue(r, i, 3);
        d->database_name = PQgetvalue(r, i, 4);
        d->server_name = PQgetvalue(r, i, 12);
        d->created_at = col_time(r, i, 5);
        d->next_created = col_time(r, i, 6);
        d->retention_days = 7;
        if (pg_get_int64(r, i, 7, &v)) {
            d->facts.retention_known = true;
            d->retention_days = (int)v;
        }
        if ((d->facts.pool_known = !PQgetisnull(r, i, 8)))
            d->facts.in_pool = strcmp(PQgetvalue(r, i, 8), "t") == 0;
        if ((d->facts.geo_known = !PQgetisnull(r, i, 9)))
            d->facts.has_geo_link = strcmp(PQgetvalue(r, i, 9), "t") == 0;
        if ((d->facts.replicas_known = pg_get_int64(r, i, 10, &v)))
            d->facts.named_replicas = (int)v;
        if ((d->facts.allocated_known = pg_get_int64(r, i, 11, &v)))
            d->facts.allocated_bytes = v;
    }
    out->n = (size_t)n_db;
    /* slices: both results are ordered by database id, like the databases */
    r = out->res_tr;
    size_t k = 0;
    for (int i = 0; i < n_tr; i++) {
        long long id;
        pg_get_int64(r, i, 0, &id);
        while (k < out->n && out->db[k].id < id)
            k++;
        if (k == out->n || out->db[k].id != id)
            continue;
        TlTransition *t = &out->transitions[i];
        if (decode_transition(r, i, 1, t, err) != TL_OK)
            return TL_ERR_INTERNAL;
        if (!out->db[k].tr)
            out->db[k].tr = t;
        out->db[k].n_tr++;
    }
    for (size_t d = 0; d < out->n; d++)
        transitions_sort(out->db[d].tr, out->db[d].n_tr);
    r = out->res_usage;
    k = 0;
    for (int i = 0; i < n_use; i++) {
        long long id;
        pg_get_int64(r, i, 0, &id);
        while (k < out->n && out->db[k].id < id)
            k++;
        if (k == out->n || out->db[k].id != id)
            continue;
        TlUsageDay *u = &out->usage[out->n_usage++];
        *u = (TlUsageDay){.day = col_time(r, i, 1),
                          .full_bytes = col_bytes(r, i, 2),
                          .diff_bytes = col_bytes(r, i, 3),
                          .log_bytes = col_bytes(r, i, 4),
                          .snapshot_bytes = col_bytes(r, i, 5),
                          .allocated_bytes = col_bytes(r, i, 6),
                          .max_size_bytes = col_bytes(r, i, 7),
                          .redundancy = col_text(r, i, 8),
                          .elastic_pool_id = col_text(r, i, 10),
                          .pool_share_bytes = TL_BYTES_UNKNOWN};
        FleetDatabase *db = &out->db[k];
        if (!db->usage)
            db->usage = u;
        db->n_usage++;
        if (col_text(r, i, 9))
            db->region = col_text(r, i, 9);
        if (col_text(r, i, 11))
            db->tags = col_text(r, i, 11);
    }
    return TL_OK;
}

void store_fleet_free(Fleet *fleet)
{
    if (!fleet)
        return;
    PQclear(fleet->res_db);
    PQclear(fleet->res_tr);
    PQclear(fleet->res_usage);
    free(fleet->db);
    free(fleet->transitions);
    free(fleet->usage);
    memset(fleet, 0, sizeof *fleet);
}
