/* facts_sql.h - the one facts query fragment and its decoder, shared by
 * sql/store/facts.c (one lineage) and sql/store/fleet.c (every lineage);
 * internal to sql/store/. */
#ifndef TIERLEDGER_SQL_STORE_FACTS_SQL_H
#define TIERLEDGER_SQL_STORE_FACTS_SQL_H

#include <stdio.h>

#include "sql/store/facts.h"
#include "sql/store/pg.h"

/* The facts row of lineage DB nearest to epoch AT: the latest at or before
 * it, else the earliest after it; columns retention_days, in_pool,
 * geo_replication, named_replicas, allocated_bytes, geo_role,
 * geo_secondaries, requested_objective, requested_since (epoch), observed
 * (epoch) and later (observed after AT). */
#define FACTS_NEAREST(DB, AT)                                                                      \
    "SELECT f.retention_days, f.geo_replication, f.named_replicas, f.allocated_bytes,"             \
    "       f.geo_role, f.geo_secondaries, f.requested_objective,"                                 \
    "       extract(epoch FROM f.requested_since)::bigint AS requested_since,"                     \
    "       CASE WHEN f.in_elastic_pool IS NOT NULL THEN f.in_elastic_pool"                        \
    "            WHEN f.elastic_pool_id IS NOT NULL THEN f.elastic_pool_id <> '' END AS in_pool,"  \
    "       extract(epoch FROM f.observed_at)::bigint AS observed,"                                \
    "       f.observed_at > to_timestamp(" AT ") AS later"                                         \
    "  FROM database_facts f WHERE f.database_id = " DB                                            \
    " ORDER BY f.observed_at > to_timestamp(" AT "),"                                              \
    "          abs(extract(epoch FROM f.observed_at) - " AT "), f.id DESC LIMIT 1"

typedef struct {
    int retention, in_pool, geo, named, allocated, observed, later, geo_role, secondaries,
        requested, since;
} FactsColumns;

static inline TlResult facts_columns(const PGresult *res, FactsColumns *c, TlError *err)
{
    static const char *const names[] = {
        "retention_days", "in_pool", "geo_replication", "named_replicas",  "allocated_bytes",
        "observed",       "later",   "geo_role",        "geo_secondaries", "requested_objective",
        "requested_since"};
    int v[11];
    TlResult rc = pg_columns(res, "facts", names, 11, v, err);
    if (!rc)
        *c = (FactsColumns){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10]};
    return rc;
}

/* Decode the facts columns of one row (all NULL: nothing observed). */
static inline void facts_decode(const PGresult *res, int row, const FactsColumns *c,
                                StoreFacts *out)
{
    long long v;
    out->facts = (TlFacts){0};
    out->retention_days = 7;
    out->observed_at = pg_time(res, row, c->observed);
    out->observed = out->observed_at != TL_TIME_NONE;
    out->from_later = pg_bool(res, row, c->later);
    if (pg_get_int64(res, row, c->retention, &v)) {
        out->facts.retention_known = true;
        out->retention_days = (int)v;
    }
    if ((out->facts.pool_known = !PQgetisnull(res, row, c->in_pool)))
        out->facts.in_pool = pg_bool(res, row, c->in_pool);
    if ((out->facts.geo_known = !PQgetisnull(res, row, c->geo)))
        out->facts.has_geo_link = pg_bool(res, row, c->geo);
    if (!PQgetisnull(res, row, c->geo_role))
        check_geo_role_parse(PQgetvalue(res, row, c->geo_role), &out->facts.geo_role);
    out->facts.geo_secondaries = pg_get_int64(res, row, c->secondaries, &v) ? (int)v : -1;
    if ((out->facts.replicas_known = pg_get_int64(res, row, c->named, &v)))
        out->facts.named_replicas = (int)v;
    if ((out->facts.allocated_known = pg_get_int64(res, row, c->allocated, &v)))
        out->facts.allocated_bytes = v;
    snprintf(out->facts.requested_objective, sizeof out->facts.requested_objective, "%s",
             PQgetvalue(res, row, c->requested));
    out->facts.requested_since = pg_time(res, row, c->since);
}

#endif
