/* verify.c - recomputing the history's hashes (see verify.h). The hashes
 * are recomputed by the server from the same canonical texts the triggers
 * hash (tierledger_identity_text, tierledger_transition_text): version n is
 * intact when its stored hash is sha256(stored hash of version n - 1, or the
 * lineage's identity hash || its text), so one pass with lag() checks every
 * link without walking a chain. */
#include "sql/store/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/store/pg.h"

/* $1: epoch of as_of, or NULL for everything recorded */
#define RECORDED_BY(ALIAS)                                                                         \
    "($1::bigint IS NULL OR " ALIAS ".recorded_at <= to_timestamp($1::bigint))"

static const char *const kind_name[] = {"identity", "sequence",  "hash",     "no_history",
                                        "gone",     "truncated", "rewritten"};

const char *store_break_kind_str(StoreBreakKind kind)
{
    return kind_name[kind];
}

/* Room for one more break (NULL when full: it is only counted). */
static StoreBreak *add_break(StoreBreaks *all, StoreBreakKind kind, long long lineage)
{
    all->total++;
    if (all->n == all->cap)
        return NULL;
    StoreBreak *b = &all->b[all->n++];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->lineage = lineage;
    b->created_at = b->started_at = TL_TIME_NONE;
    return b;
}

TlResult store_verify_chains(StoreConn *conn, TlTime as_of, StoreBreaks *breaks,
                             StoreVerifyCounts *counts, TlError *err)
{
    // clang-format off
    static const char sql_breaks[] =
        "WITH d AS ("
        "  SELECT d.id, d.resource_id, d.created_at, d.identity_hash,"
        "         d.identity_hash IS DISTINCT FROM"
        "             sha256(convert_to(tierledger_identity_text(d), 'UTF8')) AS identity_broken"
        "    FROM databases d WHERE " RECORDED_BY("d") "),"
        " t AS ("
        "  SELECT t.id, t.database_id, t.chain_seq, t.started_at, t.chain_hash,"
        "         convert_to(tierledger_transition_text(t), 'UTF8') AS canon,"
        "         lag(t.chain_hash) OVER w AS prev_hash, row_number() OVER w AS n"
        "    FROM transitions t WHERE " RECORDED_BY("t")
        "  WINDOW w AS (PARTITION BY t.database_id ORDER BY t.chain_seq, t.id)),"
        " c AS ("
        "  SELECT d.id AS lineage, d.resource_id, d.created_at, t.id AS row_id, t.n, t.chain_seq,"
        "         t.started_at,"
        "         CASE WHEN d.identity_broken THEN 'identity'"
        "              WHEN t.id IS NULL THEN 'no_history'"
        "              WHEN t.chain_seq IS DISTINCT FROM t.n THEN 'sequence'"
        "              WHEN t.chain_hash IS DISTINCT FROM"
        "                   sha256(coalesce(t.prev_hash, d.identity_hash) || t.canon) THEN 'hash'"
        "         END AS broken"
        "    FROM d LEFT JOIN t ON t.database_id = d.id)"
        " SELECT lineage, resource_id, extract(epoch FROM created_at)::bigint AS created, row_id,"
        "        n, chain_seq, extract(epoch FROM started_at)::bigint AS started, broken,"
        "        count(*) OVER () AS breaks"
        "   FROM c"
        "  WHERE broken IS NOT NULL AND (broken <> 'identity' OR coalesce(n, 1) = 1)"
        "  ORDER BY lineage, n LIMIT $2::bigint";
    // clang-format on
    // clang-format off
    static const char sql_counts[] =
        "SELECT (SELECT count(*) FROM databases d WHERE " RECORDED_BY("d") ") AS lineages,"
        "       (SELECT count(*) FROM transitions t WHERE " RECORDED_BY("t") ") AS versions";
    // clang-format on
    static const char *const names[] = {"lineage",   "resource_id", "created", "row_id", "n",
                                        "chain_seq", "started",     "broken",  "breaks"};
    enum { C_LINEAGE, C_RESOURCE, C_CREATED, C_ROW, C_N, C_SEQ, C_STARTED, C_BROKEN, C_BREAKS };
    char at[24], limit[24];
    const char *params[] = {pg_time_param(as_of, at), limit};
    snprintf(limit, sizeof limit, "%zu", breaks->cap - breaks->n + 1);
    PGresult *res;
    int col[9];
    memset(counts, 0, sizeof *counts);
    TlResult rc = pg_query(conn, "count the history", sql_counts, 1, params, &res, err);
    if (rc)
        return rc;
    pg_get_int64(res, 0, PQfnumber(res, "lineages"), &counts->lineages);
    pg_get_int64(res, 0, PQfnumber(res, "versions"), &counts->versions);
    PQclear(res);
    rc = pg_query(conn, "recompute the hash chains", sql_breaks, 2, params, &res, err);
    if (!rc)
        rc = pg_columns(res, "recompute the hash chains", names, 9, col, err);
    long long found = 0, seen = 0; /* all the breaks, and those read here */
    if (!rc && PQntuples(res) > 0)
        pg_get_int64(res, 0, col[C_BREAKS], &found);
    for (int i = 0; !rc && i < PQntuples(res); i++) {
        seen++;
        StoreBreakKind kind = STORE_BREAK_HASH;
        for (int k = 0; k <= STORE_BREAK_NO_HISTORY; k++)
            if (strcmp(PQgetvalue(res, i, col[C_BROKEN]), kind_name[k]) == 0)
                kind = (StoreBreakKind)k;
        long long lineage = 0;
        pg_get_int64(res, i, col[C_LINEAGE], &lineage);
        StoreBreak *b = add_break(breaks, kind, lineage);
        if (!b)
            break;
        snprintf(b->resource_id, sizeof b->resource_id, "%s", PQgetvalue(res, i, col[C_RESOURCE]));
        b->created_at = pg_time(res, i, col[C_CREATED]);
        pg_get_int64(res, i, col[C_ROW], &b->row_id);
        pg_get_int64(res, i, col[C_N], &b->version);
        pg_get_int64(res, i, col[C_SEQ], &b->chain_seq);
        b->started_at = pg_time(res, i, col[C_STARTED]);
    }
    if (!rc) /* beyond the rows read: counted */
        breaks->total += found - seen;
    PQclear(res);
    return rc;
}

TlResult store_heads_each(StoreConn *conn, TlTime as_of, StoreHeadFn fn, void *arg, TlError *err)
{
    // clang-format off
    static const char sql_declare[] =
        "DECLARE tierledger_heads NO SCROLL CURSOR FOR"
        " SELECT d.id AS lineage, d.resource_id, extract(epoch FROM d.created_at)::bigint AS created,"
        "        h.versions, encode(h.head, 'hex') AS head"
        "   FROM databases d"
        "   JOIN LATERAL (SELECT count(*) AS versions,"
        "                        (array_agg(t.chain_hash ORDER BY t.chain_seq DESC))[1] AS head"
        "                   FROM transitions t"
        "                  WHERE t.database_id = d.id AND " RECORDED_BY("t") ") h ON true"
        "  WHERE " RECORDED_BY("d") " ORDER BY d.id";
    // clang-format on
    static const char sql_fetch[] = "FETCH FORWARD 10000 FROM tierledger_heads";
    static const char *const names[] = {"lineage", "resource_id", "created", "versions", "head"};
    char at[24];
    const char *params[] = {pg_time_param(as_of, at)};
    int col[5];
    TlResult rc = pg_query(conn, "begin", "BEGIN READ ONLY", 0, NULL, NULL, err);
    if (!rc)
        rc = pg_query(conn, "list the heads", sql_declare, 1, params, NULL, err);
    for (bool more = true; !rc && more;) {
        PGresult *res;
        if ((rc = pg_query(conn, "list the heads", sql_fetch, 0, NULL, &res, err)))
            break;
        rc = pg_columns(res, "list the heads", names, 5, col, err);
        int rows = PQntuples(res);
        more = rows > 0;
        for (int i = 0; !rc && i < rows; i++) {
            StoreHead h = {0};
            pg_get_int64(res, i, col[0], &h.lineage);
            h.resource_id = PQgetvalue(res, i, col[1]);
            h.created_at = pg_time(res, i, col[2]);
            pg_get_int64(res, i, col[3], &h.versions);
            snprintf(h.head, sizeof h.head, "%s", PQgetvalue(res, i, col[4]));
            rc = fn(arg, &h, err);
        }
        PQclear(res);
    }
    if (!rc)
        rc = pg_query(conn, "commit", "COMMIT", 0, NULL, NULL, err);
    else
        store_rollback(conn);
    return rc;
}

TlResult store_heads_compare(StoreConn *conn, const StoreHeadClaim *claims, size_t n,
                             StoreBreaks *breaks, TlError *err)
{
    static const char sql[] =
        "SELECT u.i, d.id IS NOT NULL AS known,"
        "       (SELECT count(*) FROM transitions x WHERE x.database_id = u.id) AS versions_now,"
        "       t.chain_hash IS NOT NULL AND t.chain_hash = decode(u.h, 'hex') AS same"
        "  FROM unnest($1::bigint[], $2::bigint[], $3::text[]) WITH ORDINALITY AS u(id, n, h, i)"
        "  LEFT JOIN databases d ON d.id = u.id"
        "  LEFT JOIN transitions t ON t.database_id = u.id AND t.chain_seq = u.n";
    static const char *const names[] = {"i", "known", "versions_now", "same"};
    PgArray a[3] = {{0}};
    for (size_t i = 0; i < n; i++) {
        pg_array_add_int(&a[0], claims[i].lineage);
        pg_array_add_int(&a[1], claims[i].versions);
        pg_array_add(&a[2], claims[i].head);
    }
    const char *params[3];
    PGresult *res = NULL;
    int col[4];
    TlResult rc = pg_arrays_finish(a, 3, params, err);
    if (!rc)
        rc = pg_query(conn, "compare the heads", sql, 3, params, &res, err);
    if (!rc)
        rc = pg_columns(res, "compare the heads", names, 4, col, err);
    for (int r = 0; !rc && r < PQntuples(res); r++) {
        long long i = 0;
        pg_get_int64(res, r, col[0], &i);
        long long now = 0;
        pg_get_int64(res, r, col[2], &now);
        if (i < 1 || (size_t)i > n)
            continue;
        const StoreHeadClaim *c = &claims[i - 1];
        StoreBreakKind kind = !pg_bool(res, r, col[1]) ? STORE_BREAK_GONE
                              : now < c->versions      ? STORE_BREAK_TRUNCATED
                                                       : STORE_BREAK_REWRITTEN;
        if (kind == STORE_BREAK_REWRITTEN && pg_bool(res, r, col[3]))
            continue;
        StoreBreak *b = add_break(breaks, kind, c->lineage);
        if (b) {
            b->version = c->versions;
            b->versions_now = now;
            b->line = c->line;
        }
    }
    PQclear(res);
    pg_arrays_cleanup(a, 3);
    return rc;
}
