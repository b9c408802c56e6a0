/* facts.c - facts as of an instant, and imported observations (see facts.h). */
#include "sql/store/facts.h"

#include <stdlib.h>
#include <string.h>

#include "sql/store/facts_sql.h"
#include "sql/store/pg.h"

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

/* ---- import-facts: staged with COPY, merged in one statement ---------------- */

struct StoreFactsStage {
    PGconn *conn;
    PgCopy copy;
};

static const char facts_stage_sql[] =
    "CREATE TEMP TABLE facts_stage (line integer NOT NULL, resource_id text NOT NULL,"
    " observed_at bigint NOT NULL, retention_days integer, elastic_pool_id text,"
    " in_elastic_pool boolean, geo_replication boolean, named_replicas integer,"
    " allocated_bytes bigint, max_size_bytes bigint, geo_role text, geo_secondaries integer,"
    " requested_objective text, requested_since bigint,"
    " resource_key text GENERATED ALWAYS AS (lower(resource_id)) STORED) ON COMMIT DROP";
static const char facts_copy_sql[] =
    "COPY facts_stage (line, resource_id, observed_at, retention_days, elastic_pool_id,"
    " in_elastic_pool, geo_replication, named_replicas, allocated_bytes, max_size_bytes,"
    " geo_role, geo_secondaries, requested_objective, requested_since) FROM STDIN";
/* the lineage alive at the observation: the latest created at or before it */
#define FACTS_LINEAGES                                                                             \
    "(SELECT d.id, d.resource_key, d.created_at, lead(d.created_at) OVER"                          \
    " (PARTITION BY d.resource_key ORDER BY d.created_at) AS next FROM databases d"                \
    " WHERE d.resource_key IN (SELECT resource_key FROM facts_stage)) l"                           \
    " ON l.resource_key = s.resource_key AND l.created_at <= to_timestamp(s.observed_at)"          \
    " AND (l.next IS NULL OR l.next > to_timestamp(s.observed_at))"
static const char facts_orphan_sql[] =
    "SELECT s.line, s.resource_id, s.observed_at FROM facts_stage s LEFT JOIN " FACTS_LINEAGES
    " WHERE l.id IS NULL ORDER BY s.line LIMIT 1";
/* the first line of an observation given twice counts (ON CONFLICT DO NOTHING) */
static const char facts_merge_sql[] =
    "INSERT INTO database_facts (database_id, observed_at, retention_days, elastic_pool_id,"
    "   in_elastic_pool, geo_replication, named_replicas, allocated_bytes, max_size_bytes,"
    "   geo_role, geo_secondaries, requested_objective, requested_since, source)"
    " SELECT l.id, to_timestamp(s.observed_at), s.retention_days, s.elastic_pool_id,"
    "        s.in_elastic_pool, s.geo_replication, s.named_replicas, s.allocated_bytes,"
    "        s.max_size_bytes, s.geo_role, s.geo_secondaries, s.requested_objective,"
    "        to_timestamp(s.requested_since), 'import'"
    "   FROM facts_stage s JOIN " FACTS_LINEAGES " ORDER BY s.line"
    " ON CONFLICT (database_id, observed_at, source) DO NOTHING";

TlResult store_facts_stage_begin(StoreConn *conn, StoreFactsStage **out, TlError *err)
{
    StoreFactsStage *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    s->conn = conn;
    TlResult rc =
        pg_stage_begin(conn, "stage the facts", facts_stage_sql, facts_copy_sql, &s->copy, err);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return TL_OK;
}

void store_facts_stage_row(StoreFactsStage *s, int line, const char *resource_id,
                           const StoreFactsRow *r)
{
    PgCopy *c = &s->copy;
    pg_copy_int(c, line);
    pg_copy_field(c, resource_id);
    pg_copy_int(c, r->observed_at);
    const char *v[] = {r->retention_days,     r->elastic_pool_id, r->in_elastic_pool,
                       r->geo_replication,    r->named_replicas,  r->allocated_bytes,
                       r->max_size_bytes,     r->geo_role,        r->geo_secondaries,
                       r->requested_objective};
    for (size_t k = 0; k < sizeof v / sizeof *v; k++)
        pg_copy_field(c, v[k]);
    if (r->requested_since == TL_TIME_NONE)
        pg_copy_field(c, NULL);
    else
        pg_copy_int(c, r->requested_since);
    pg_copy_end_row(c);
}

void store_facts_stage_free(StoreFactsStage *s)
{
    if (!s)
        return;
    pg_copy_abort(&s->copy);
    free(s);
}

TlResult store_facts_stage_finish(StoreFactsStage *s, const char *file, long long *rows,
                                  long *added, TlError *err)
{
    *rows = s->copy.rows;
    *added = 0;
    TlResult rc = pg_copy_finish(&s->copy, err);
    PGresult *res = NULL;
    if (!rc)
        rc = pg_query(s->conn, "find the lineage of each observation", facts_orphan_sql, 0, NULL,
                      &res, err);
    if (!rc && PQntuples(res) == 1) {
        char when[TL_TIME_TEXT_MAX];
        rc = tl_error_set(err, TL_ERR_DATA,
                          "%s:%s: no lineage of %s existed at %s: import its transitions first",
                          file, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
                          tl_time_format(pg_time(res, 0, 2), when));
    }
    PQclear(res);
    if (!rc)
        rc = pg_query_count(s->conn, "record the facts", facts_merge_sql, 0, NULL, added, err);
    free(s);
    return rc;
}
