/* facts.c - facts as of an instant, and imported observations (see facts.h). */
#include "sql/store/facts.h"

#include <string.h>

#include "sql/store/facts_sql.h"

TlResult store_facts_load(StoreConn *conn, long long database_id, TlTime as_of, StoreFacts *out,
                          TlError *err)
{
    static const char sql[] = FACTS_NEAREST("$1::bigint", "$2::bigint");
    char idtext[24], astext[24];
    const char *params[] = {pg_int_param(database_id, idtext), pg_time_param(as_of, astext)};
    PGresult *res;
    FactsColumns col = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
    memset(out, 0, sizeof *out);
    out->retention_days = 7;
    out->observed_at = TL_TIME_NONE;
    TlResult rc = pg_query(conn, "load facts", sql, 2, params, &res, err);
    if (rc)
        return rc;
    if (!(rc = facts_columns(res, &col, err)) && PQntuples(res) == 1)
        facts_decode(res, 0, &col, out);
    PQclear(res);
    return rc;
}

TlResult store_facts_insert(StoreConn *conn, const StoreFactsRow *row, bool *added, TlError *err)
{
    static const char sql[] =
        "INSERT INTO database_facts (database_id, observed_at, retention_days, elastic_pool_id,"
        "   in_elastic_pool, geo_replication, named_replicas, allocated_bytes, max_size_bytes,"
        "   geo_role, geo_secondaries, requested_objective, requested_since, source)"
        " VALUES ($1::bigint, to_timestamp($2::bigint), $3::int, $4, $5::boolean, $6::boolean,"
        "         $7::int, $8::bigint, $9::bigint, $10, $11::int, $12, to_timestamp($13::bigint),"
        "         'import')"
        " ON CONFLICT (database_id, observed_at, source) DO NOTHING";
    char id[24], at[24], since[24];
    const char *p[] = {pg_int_param(row->database_id, id),
                       pg_time_param(row->observed_at, at),
                       row->retention_days,
                       row->elastic_pool_id,
                       row->in_elastic_pool,
                       row->geo_replication,
                       row->named_replicas,
                       row->allocated_bytes,
                       row->max_size_bytes,
                       row->geo_role,
                       row->geo_secondaries,
                       row->requested_objective,
                       pg_time_param(row->requested_since, since)};
    long rows = 0;
    TlResult rc = pg_query_count(conn, "insert facts", sql, 13, p, &rows, err);
    *added = rows == 1;
    return rc;
}
