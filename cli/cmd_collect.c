/* cmd_collect.c - `tierledger collect`: one run of the collector. Reads
 * Azure through collector/ (collect.h), decides with collector/derive.h,
 * and writes each server's results in one transaction under the writers'
 * lock. A session advisory lock keeps a second collector out (exit 75,
 * naming the holder); every run is a row of collector_runs.
 *
 * Exit: 0 everything collected; 1 the run went on past failures (the
 * summary names each failed subscription or server; nothing of those was
 * written); 69 PostgreSQL or the identity endpoint unreachable; 75 locked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "collect.h"
#include "commands.h"
#include "derive.h"
#include "pg.h"
#include "store.h"

#define COLLECTOR_LOCK_A 7581625 /* pg_try_advisory_lock(int, int) */
#define COLLECTOR_LOCK_B 3
#define DEFAULT_ARM      "https://management.azure.com"
#define MAX_SUBS         64

typedef struct {
    PGconn *conn;
    long long run_id;
    TlTime now;
    char host[128];
    /* counts */
    int servers_ok, databases;
    long transitions, facts, drops, usage;
    /* errors, one line each */
    char **errors;
    size_t n_errors;
    /* Activity Log cursors */
    PGresult *cursors;
} Run;

static void run_error(Run *r, const char *line)
{
    char **p = realloc(r->errors, (r->n_errors + 1) * sizeof *p);
    if (!p)
        return;
    r->errors = p;
    r->errors[r->n_errors] = strdup(line);
    if (r->errors[r->n_errors])
        r->n_errors++;
}

static const char *fmt_time(TlTime t, char *buf)
{
    return t == TL_TIME_NONE ? NULL : tl_time_format(t, buf);
}

/* ---- lock and run row ---------------------------------------------------- */

static TlResult take_lock(Run *r, TlError *err)
{
    static const char sql_try[] = "SELECT pg_try_advisory_lock($1::int, $2::int)";
    static const char sql_holder[] =
        "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local'),"
        "       to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
        "       (SELECT max(id) FROM collector_runs WHERE status = 'running')"
        "  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.classid = $1::int::oid AND l.objid = $2::int::oid"
        "   AND l.objsubid = 2 AND l.granted";
    char a[16], b[16], app[200];
    snprintf(a, sizeof a, "%d", COLLECTOR_LOCK_A);
    snprintf(b, sizeof b, "%d", COLLECTOR_LOCK_B);
    snprintf(app, sizeof app, "tierledger collect %s:%ld", r->host, (long)getpid());
    const char *pa[] = {app};
    TlResult rc = pg_query(r->conn, "set application_name",
                           "SELECT set_config('application_name', $1, false)", 1, pa, NULL, err);
    const char *p[] = {a, b};
    PGresult *res = NULL;
    if (!rc)
        rc = pg_query(r->conn, "take the collector lock", sql_try, 2, p, &res, err);
    if (rc)
        return rc;
    bool got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (got)
        return TL_OK;
    rc = pg_query(r->conn, "find the lock holder", sql_holder, 2, p, &res, err);
    if (rc)
        return rc;
    if (PQntuples(res) == 0)
        rc = tl_error_set(err, TL_ERR_LOCKED, "another collector holds the lock (it just ended?)");
    else
        rc = tl_error_set(err, TL_ERR_LOCKED,
                          "another collector is running: '%s' (PostgreSQL pid %s from %s, since "
                          "%s%s%s)",
                          PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2),
                          PQgetvalue(res, 0, 3), PQgetisnull(res, 0, 4) ? "" : ", collector run ",
                          PQgetisnull(res, 0, 4) ? "" : PQgetvalue(res, 0, 4));
    tl_error_hint(err, "runs are serialised; the next timer tick will collect");
    PQclear(res);
    return rc;
}

static TlResult run_start(Run *r, const char *arm, TlError *err)
{
    static const char sql[] = "INSERT INTO collector_runs (started_at, status, host, pid, arm_url)"
                              " VALUES (now(), 'running', $1, $2::int, $3) RETURNING id";
    char pid[16];
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    const char *p[] = {r->host, pid, arm};
    PGresult *res;
    TlResult rc = pg_query(r->conn, "record the run", sql, 3, p, &res, err);
    if (!rc) {
        pg_get_int64(res, 0, 0, &r->run_id);
        PQclear(res);
    }
    return rc;
}

static void run_finish(Run *r, const Collect *c, const HttpStats *st)
{
    static const char sql[] =
        "UPDATE collector_runs SET ended_at = greatest(now(), started_at), status = $2,"
        " subscriptions = $3::int, servers = $4::int, databases = $5::int, requests = $6::int,"
        " retries = $7::int, transitions_added = $8::int, facts_added = $9::int,"
        " drops_added = $10::int, errors = $11::int, error_summary = $12::text[],"
        " usage_days_added = $13::int WHERE id = $1";
    if (!r->run_id || PQstatus(r->conn) != CONNECTION_OK)
        return;
    char v[12][32];
    snprintf(v[0], 32, "%lld", r->run_id);
    const char *status = r->n_errors == 0 ? "succeeded" : r->servers_ok > 0 ? "partial" : "failed";
    snprintf(v[1], 32, "%zu", c ? c->n_subs : 0);
    snprintf(v[2], 32, "%zu", c ? c->n_servers : 0);
    snprintf(v[3], 32, "%d", r->databases);
    snprintf(v[4], 32, "%ld", st ? st->requests : 0);
    snprintf(v[5], 32, "%ld", st ? st->retries : 0);
    snprintf(v[6], 32, "%ld", r->transitions);
    snprintf(v[7], 32, "%ld", r->facts);
    snprintf(v[8], 32, "%ld", r->drops);
    snprintf(v[9], 32, "%zu", r->n_errors);
    snprintf(v[10], 32, "%ld", r->usage);
    PgArray errs = {0};
    for (size_t i = 0; i < r->n_errors; i++)
        pg_array_add(&errs, r->errors[i]);
    const char *p[] = {v[0], status, v[1], v[2], v[3], v[4],
                       v[5], v[6],   v[7], v[8], v[9], pg_array_finish(&errs),
                       v[10]};
    TlError err = {{0}, {0}};
    if (p[11] && pg_query(r->conn, "finish the run", sql, 13, p, NULL, &err))
        fprintf(stderr, "tierledger collect: warning: %s\n", err.msg);
    pg_array_free(&errs);
}

/* ---- what is known ------------------------------------------------------- */

static TlTime cursor_of(void *user, const char *subscription)
{
    Run *r = user;
    for (int i = 0; r->cursors && i < PQntuples(r->cursors); i++) {
        TlTime t;
        if (strcasecmp(PQgetvalue(r->cursors, i, 0), subscription) == 0 &&
            tl_time_parse(PQgetvalue(r->cursors, i, 1), false, &t))
            return t;
    }
    return TL_TIME_NONE;
}

static TlResult load_cursors(Run *r, TlError *err)
{
    return pg_query(r->conn, "load activity log cursors",
                    "SELECT subscription_id, to_char(activity_log_until AT TIME ZONE 'UTC', "
                    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM collector_cursors",
                    0, NULL, &r->cursors, err);
}

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static TlResult load_known(Run *r, Collect *c, TlError *err)
{
    /* id, resource id, created, subscription, group, server, observed?,
     * details_at, objective, observed_at, open? */
    // clang-format off
    static const char sql[] =
        "SELECT d.id, d.resource_id, " TS("d.created_at") ", lower(d.subscription_id),"
        "       lower(d.resource_group), lower(d.server_name), o.database_id IS NOT NULL,"
        "       " TS("o.details_at") ", coalesce(o.current_objective, ''),"
        "       " TS("o.observed_at") ","
        "       EXISTS (SELECT 1 FROM current_transitions t WHERE t.database_id = d.id"
        "                  AND t.state IN ('Pending', 'InProgress', 'CancelInProgress'))"
        "  FROM databases d LEFT JOIN database_observations o ON o.database_id = d.id"
        " WHERE NOT EXISTS (SELECT 1 FROM database_drops x WHERE x.database_id = d.id)"
        "   AND (lower(d.subscription_id), lower(d.resource_group), lower(d.server_name)) IN"
        "       (SELECT lower(s), lower(g), lower(n)"
        "          FROM unnest($1::text[], $2::text[], $3::text[]) AS k(s, g, n))";
    // clang-format on
    PgArray a[3] = {{0}, {0}, {0}};
    for (size_t i = 0; i < c->n_servers; i++) {
        pg_array_add(&a[0], c->servers[i].srv.subscription);
        pg_array_add(&a[1], c->servers[i].srv.resource_group);
        pg_array_add(&a[2], c->servers[i].srv.name);
    }
    const char *p[] = {pg_array_finish(&a[0]), pg_array_finish(&a[1]), pg_array_finish(&a[2])};
    PGresult *res = NULL;
    TlResult rc = !p[0] || !p[1] || !p[2]
                      ? tl_error_set(err, TL_ERR_NOMEM, "out of memory")
                      : pg_query(r->conn, "load known databases", sql, 3, p, &res, err);
    for (int i = 0; i < 3; i++)
        pg_array_free(&a[i]);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->n_servers && !rc; i++) {
        CollectServer *s = &c->servers[i];
        s->known = calloc((size_t)PQntuples(res) + 1, sizeof *s->known);
        if (!s->known) {
            rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
            break;
        }
        for (int row = 0; row < PQntuples(res); row++) {
            if (strcasecmp(PQgetvalue(res, row, 3), s->srv.subscription) != 0 ||
                strcasecmp(PQgetvalue(res, row, 4), s->srv.resource_group) != 0 ||
                strcasecmp(PQgetvalue(res, row, 5), s->srv.name) != 0)
                continue;
            CollectKnown *k = &s->known[s->n_known++];
            pg_get_int64(res, row, 0, &k->id);
            snprintf(k->resource_id, sizeof k->resource_id, "%s", PQgetvalue(res, row, 1));
            tl_time_parse(PQgetvalue(res, row, 2), false, &k->created_at);
            k->observed = strcmp(PQgetvalue(res, row, 6), "t") == 0;
            if (PQgetisnull(res, row, 7) ||
                !tl_time_parse(PQgetvalue(res, row, 7), false, &k->details_at))
                k->details_at = TL_TIME_NONE;
            snprintf(k->objective, sizeof k->objective, "%s", PQgetvalue(res, row, 8));
            k->open = strcmp(PQgetvalue(res, row, 10), "t") == 0;
            if (PQgetisnull(res, row, 9) ||
                !tl_time_parse(PQgetvalue(res, row, 9), false, &k->observed_at))
                k->observed_at = TL_TIME_NONE;
        }
        for (size_t j = 0; j < s->n_dbs; j++) {
            s->dbs[j].known = -1;
            for (size_t k = 0; k < s->n_known; k++)
                if (strcasecmp(s->known[k].resource_id, s->dbs[j].db.id) == 0 &&
                    s->known[k].created_at == s->dbs[j].db.created_at)
                    s->dbs[j].known = (int)k;
        }
    }
    PQclear(res);
    return rc;
}

/* ---- writing one server -------------------------------------------------- */

enum { TR_COLS = 11 };

static TlResult insert_transitions(PGconn *conn, PgArray *col, size_t n, long *added, TlError *err)
{
    /* the NOT EXISTS guard makes a repeated row a no-op, whatever derive said */
    static const char sql[] =
        "INSERT INTO transitions (database_id, started_at, ended_at, state, from_objective,"
        "       to_objective, operation_id, initiated_by, source, source_record_id, inferred)"
        "SELECT c.* FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[], $4::text[],"
        "       $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],"
        "       $11::boolean[]) AS c(db, s, e, st, f, t, op, who, src, rec, inf)"
        " WHERE NOT EXISTS (SELECT 1 FROM current_transitions x WHERE x.database_id = c.db"
        "   AND x.started_at = c.s AND x.state = c.st AND x.ended_at IS NOT DISTINCT FROM c.e"
        "   AND regexp_replace(lower(coalesce(x.from_objective, '')), '^sqldb_', '') ="
        "       regexp_replace(lower(coalesce(c.f, '')), '^sqldb_', '')"
        "   AND regexp_replace(lower(x.to_objective), '^sqldb_', '') ="
        "       regexp_replace(lower(c.t), '^sqldb_', ''))";
    if (n == 0)
        return TL_OK;
    const char *p[TR_COLS];
    for (int i = 0; i < TR_COLS; i++)
        if (!(p[i] = pg_array_finish(&col[i])))
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    PGresult *res;
    TlResult rc = pg_query(conn, "insert transitions", sql, TR_COLS, p, &res, err);
    if (!rc) {
        *added += atol(PQcmdTuples(res));
        PQclear(res);
    }
    return rc;
}

static void add_row(PgArray *col, long long db, const DeriveRow *row)
{
    char id[32], a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    snprintf(id, sizeof id, "%lld", db);
    pg_array_add(&col[0], id);
    pg_array_add(&col[1], tl_time_format(row->t.started_at, a));
    pg_array_add(&col[2], fmt_time(row->t.ended_at, b));
    pg_array_add(&col[3], op_state_str(row->t.state));
    pg_array_add(&col[4],
                 row->t.from_objective && row->t.from_objective[0] ? row->t.from_objective : NULL);
    pg_array_add(&col[5], row->t.to_objective);
    pg_array_add(&col[6], row->t.operation_id);
    pg_array_add(&col[7], row->t.initiated_by);
    pg_array_add(&col[8], derive_source_str(row->source));
    pg_array_add(&col[9], row->source_record_id);
    pg_array_add(&col[10], row->inferred ? "true" : "false");
}

static TlResult new_lineage(PGconn *conn, const CollectServer *s, const AzDatabase *d,
                            long long *id, TlError *err)
{
    static const char sql[] =
        "INSERT INTO databases (resource_id, subscription_id, resource_group, server_name,"
        "       database_name, created_at, database_uid)"
        " VALUES ($1, $2, $3, $4, $5, $6::timestamptz, nullif($7, '')::uuid)"
        " ON CONFLICT (resource_key, created_at) DO UPDATE"
        "   SET database_uid = coalesce(databases.database_uid, EXCLUDED.database_uid)"
        " RETURNING id";
    char at[TL_TIME_TEXT_MAX];
    const char *p[] = {d->id,
                       s->srv.subscription,
                       s->srv.resource_group,
                       s->srv.name,
                       d->name,
                       tl_time_format(d->created_at, at),
                       d->database_uid};
    PGresult *res;
    TlResult rc = pg_query(conn, "record a new database", sql, 7, p, &res, err);
    if (!rc) {
        pg_get_int64(res, 0, 0, id);
        PQclear(res);
    }
    return rc;
}

/* Observations and facts of a server's databases, one element per database;
 * written with one statement each (observe_write). */
enum { O_DB, O_CUR, O_REQ, O_STATUS, O_SKU, O_RED, O_EARLIEST, O_TAGS, O_DETAILS, O_COLS };
enum { F_DB, F_RET, F_POOL, F_GEO, F_NAMED, F_MAX, F_ALLOC, F_COLS };

static void observe(PgArray *o, PgArray *f, long long id, const CollectDb *d)
{
    const AzDatabase *db = &d->db;
    char idt[32], era[TL_TIME_TEXT_MAX], ret[16], named[16], max[32], alloc[32];
    snprintf(idt, sizeof idt, "%lld", id);
    pg_array_add(&o[O_DB], idt);
    pg_array_add(&o[O_CUR], db->current_objective);
    pg_array_add(&o[O_REQ], db->requested_objective[0] ? db->requested_objective : NULL);
    pg_array_add(&o[O_STATUS], db->status[0] ? db->status : NULL);
    pg_array_add(&o[O_SKU], db->sku_json);
    pg_array_add(&o[O_RED], db->redundancy[0] ? db->redundancy : NULL);
    pg_array_add(&o[O_EARLIEST], fmt_time(db->earliest_restore_at, era));
    pg_array_add(&o[O_TAGS], db->tags_json);
    pg_array_add(&o[O_DETAILS], d->details_ok ? "true" : "false");
    snprintf(ret, sizeof ret, "%d", d->retention_days);
    snprintf(named, sizeof named, "%d", d->named_replicas);
    snprintf(max, sizeof max, "%lld", (long long)db->max_size_bytes);
    snprintf(alloc, sizeof alloc, "%lld", (long long)d->allocated_bytes);
    /* geo: the replication links when read this run; a geo secondary knows
     * it is one; otherwise what was known before */
    const char *geo = d->geo_links == 1 || strcasecmp(db->secondary_type, "Geo") == 0 ? "true"
                      : d->geo_links == 0                                             ? "false"
                                                                                      : NULL;
    pg_array_add(&f[F_DB], idt);
    pg_array_add(&f[F_RET], d->retention_days > 0 ? ret : NULL);
    pg_array_add(&f[F_POOL], db->elastic_pool_id[0] ? db->elastic_pool_id : NULL);
    pg_array_add(&f[F_GEO], geo);
    pg_array_add(&f[F_NAMED], named);
    pg_array_add(&f[F_MAX], db->has_max_size && db->max_size_bytes > 0 ? max : NULL);
    pg_array_add(&f[F_ALLOC], d->allocated_bytes >= 0 ? alloc : NULL);
}

static TlResult observe_write(Run *r, PgArray *o, PgArray *f, TlError *err)
{
    static const char sql_obs[] =
        "INSERT INTO database_observations AS o (database_id, first_seen_at, observed_at,"
        "       current_objective, requested_objective, status, sku, redundancy,"
        "       earliest_restore_at, tags, details_at, last_run_id)"
        " SELECT v.db, $10::timestamptz, $10::timestamptz, v.cur, v.req, v.st, v.sku, v.red,"
        "        v.era, v.tags, CASE WHEN v.det THEN $10::timestamptz END, $11::bigint"
        "   FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::jsonb[],"
        "        $6::text[], $7::timestamptz[], $8::jsonb[], $9::boolean[])"
        "        AS v(db, cur, req, st, sku, red, era, tags, det)"
        " ON CONFLICT (database_id) DO UPDATE SET observed_at = EXCLUDED.observed_at,"
        "   current_objective = EXCLUDED.current_objective,"
        "   requested_objective = EXCLUDED.requested_objective, status = EXCLUDED.status,"
        "   sku = EXCLUDED.sku, redundancy = EXCLUDED.redundancy,"
        "   earliest_restore_at = EXCLUDED.earliest_restore_at, tags = EXCLUDED.tags,"
        "   details_at = coalesce(EXCLUDED.details_at, o.details_at),"
        "   last_run_id = EXCLUDED.last_run_id";
    /* a new facts row only when something the checks use changed; what this
     * run did not read (retention, geo links, allocated size) carries over */
    static const char sql_facts[] =
        "WITH v AS (SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::boolean[],"
        "                  $5::int[], $6::bigint[], $7::bigint[])"
        "             AS v(db, r, pool, geo, named, max, alloc)),"
        " last AS (SELECT DISTINCT ON (database_id) * FROM database_facts"
        "           WHERE source = 'collector' AND database_id IN (SELECT db FROM v)"
        "           ORDER BY database_id, observed_at DESC),"
        " n AS (SELECT v.db, coalesce(v.r, l.retention_days) AS r, v.pool,"
        "              coalesce(v.geo, l.geo_replication) AS geo, v.named, v.max,"
        "              coalesce(v.alloc, l.allocated_bytes) AS alloc, l.database_id AS had,"
        "              l.retention_days AS lr, l.elastic_pool_id AS lp, l.geo_replication AS lg,"
        "              l.named_replicas AS ln, l.max_size_bytes AS lm, l.allocated_bytes AS la"
        "         FROM v LEFT JOIN last l ON l.database_id = v.db)"
        " INSERT INTO database_facts (database_id, observed_at, retention_days,"
        "        elastic_pool_id, in_elastic_pool, geo_replication, named_replicas,"
        "        max_size_bytes, allocated_bytes, source)"
        " SELECT n.db, $8::timestamptz, n.r, n.pool, n.pool IS NOT NULL, n.geo, n.named, n.max,"
        "        n.alloc, 'collector' FROM n"
        "  WHERE n.had IS NULL OR (n.lr, n.lp, n.lg, n.ln, n.lm, n.la)"
        "        IS DISTINCT FROM (n.r, n.pool, n.geo, n.named, n.max, n.alloc)"
        "  ON CONFLICT (database_id, observed_at, source) DO NOTHING";
    if (o[O_DB].len == 0)
        return TL_OK;
    char now[TL_TIME_TEXT_MAX], run[32];
    tl_time_format(r->now, now);
    snprintf(run, sizeof run, "%lld", r->run_id);
    const char *po[O_COLS + 2], *pf[F_COLS + 1];
    for (int i = 0; i < O_COLS; i++)
        if (!(po[i] = pg_array_finish(&o[i])))
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (int i = 0; i < F_COLS; i++)
        if (!(pf[i] = pg_array_finish(&f[i])))
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    po[O_COLS] = now;
    po[O_COLS + 1] = run;
    pf[F_COLS] = now;
    TlResult rc = pg_query(r->conn, "record observations", sql_obs, O_COLS + 2, po, NULL, err);
    PGresult *res;
    if (!rc)
        rc = pg_query(r->conn, "record facts", sql_facts, F_COLS + 1, pf, &res, err);
    if (!rc) {
        r->facts += atol(PQcmdTuples(res));
        PQclear(res);
    }
    return rc;
}

static TlResult record_drop(Run *r, const CollectServer *s, const CollectGone *g, TlError *err)
{
    static const char sql[] =
        "INSERT INTO database_drops (database_id, dropped_at, confirmed_at, source,"
        "       source_record_id)"
        " VALUES ($1::bigint, least($2::timestamptz, $3::timestamptz), $3::timestamptz, $4,"
        "         nullif($5, '')) ON CONFLICT (database_id) DO NOTHING";
    const CollectKnown *k = &s->known[g->known];
    TlTime at = g->dropped_at;
    const char *source = "restorable_dropped";
    if (at == TL_TIME_NONE) {
        source = "observed";
        at = r->now;
        /* re-created: it was gone before the new one was created */
        for (size_t j = 0; g->recreated && j < s->n_dbs; j++)
            if (strcasecmp(s->dbs[j].db.id, k->resource_id) == 0 &&
                s->dbs[j].db.created_at > k->created_at && s->dbs[j].db.created_at < at)
                at = s->dbs[j].db.created_at;
    }
    char idt[32], a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    snprintf(idt, sizeof idt, "%lld", k->id);
    const char *p[] = {idt, tl_time_format(at, a), tl_time_format(r->now, b), source,
                       g->drop_record};
    PGresult *res;
    TlResult rc = pg_query(r->conn, "record a drop", sql, 5, p, &res, err);
    if (!rc) {
        r->drops += atol(PQcmdTuples(res));
        PQclear(res);
    }
    return rc;
}

/* backup_usage columns, one element per (lineage, day) */
enum {
    U_DB,
    U_DAY,
    U_FULL,
    U_DIFF,
    U_LOG,
    U_SNAP,
    U_ALLOC,
    U_MAX,
    U_RED,
    U_REGION,
    U_POOL,
    U_TAGS,
    U_COLS
};

static const char *bytes_or_null(int64_t v, char *buf)
{
    if (v < 0)
        return NULL;
    snprintf(buf, 32, "%lld", (long long)v);
    return buf;
}

/* The finished days the metrics gave for one lineage, from its creation day
 * on (a day before it belongs to an older lineage of the name). */
static void add_usage(PgArray *col, long long id, const Collect *c, const CollectServer *s,
                      const CollectDb *d)
{
    const CollectPool *pool = NULL;
    for (size_t k = 0; k < s->n_pools && d->db.elastic_pool_id[0]; k++)
        if (strcasecmp(s->pools[k].id, d->db.elastic_pool_id) == 0)
            pool = &s->pools[k];
    for (int k = d->usage_from; k < COLLECT_USAGE_DAYS; k++) {
        const CollectUsage *u = &d->usage[k];
        TlTime day = c->usage_day0 + (TlTime)k * 86400;
        if (day + 86400 <= d->db.created_at ||
            (u->full < 0 && u->diff < 0 && u->log < 0 && u->snapshot < 0 && u->allocated < 0))
            continue;
        /* B1's allowance: the pool's max data size for a pooled database */
        int64_t max = pool ? pool->max_bytes[k] : d->db.has_max_size ? d->db.max_size_bytes : -2;
        char idt[32], at[TL_TIME_TEXT_MAX], b[7][32];
        snprintf(idt, sizeof idt, "%lld", id);
        pg_array_add(&col[U_DB], idt);
        pg_array_add(&col[U_DAY], tl_time_format(day, at));
        pg_array_add(&col[U_FULL], bytes_or_null(u->full, b[0]));
        pg_array_add(&col[U_DIFF], bytes_or_null(u->diff, b[1]));
        pg_array_add(&col[U_LOG], bytes_or_null(u->log, b[2]));
        pg_array_add(&col[U_SNAP], bytes_or_null(u->snapshot, b[3]));
        pg_array_add(&col[U_ALLOC], bytes_or_null(u->allocated, b[4]));
        pg_array_add(&col[U_MAX],
                     max >= -1 ? (snprintf(b[5], 32, "%lld", (long long)max), b[5]) : NULL);
        pg_array_add(&col[U_RED], d->db.redundancy[0] ? d->db.redundancy : NULL);
        pg_array_add(&col[U_REGION], d->db.location[0] ? d->db.location : NULL);
        pg_array_add(&col[U_POOL], d->db.elastic_pool_id[0] ? d->db.elastic_pool_id : NULL);
        pg_array_add(&col[U_TAGS], d->db.tags_json);
    }
}

/* Insert a day, or update the sizes of a day read again (late samples); a
 * size the new answer lacks keeps what was stored (the database may have
 * changed kind since: a Hyperscale answer has no full backups), and the day's
 * max size, redundancy, region, pool and tags stay as first written. */
static TlResult insert_usage(PGconn *conn, PgArray *col, long *added, TlError *err)
{
    static const char sql[] =
        "INSERT INTO backup_usage AS u (database_id, day, full_bytes, diff_bytes, log_bytes,"
        "    snapshot_bytes, allocated_bytes, max_size_bytes, redundancy, region, elastic_pool_id,"
        "    tags, source)"
        " SELECT c.db, (c.day AT TIME ZONE 'UTC')::date, c.f, c.d, c.l, c.s, c.a, c.m,"
        "        CASE WHEN c.r IN ('Local', 'Zone', 'Geo', 'GeoZone') THEN c.r END, c.reg, c.p,"
        "        c.t, 'collector'"
        "   FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[],"
        "        $6::bigint[], $7::bigint[], $8::bigint[], $9::text[], $10::text[], $11::text[],"
        "        $12::jsonb[]) AS c(db, day, f, d, l, s, a, m, r, reg, p, t)"
        " ON CONFLICT (database_id, day, source) DO UPDATE SET"
        "    full_bytes = coalesce(EXCLUDED.full_bytes, u.full_bytes),"
        "    diff_bytes = coalesce(EXCLUDED.diff_bytes, u.diff_bytes),"
        "    log_bytes = coalesce(EXCLUDED.log_bytes, u.log_bytes),"
        "    snapshot_bytes = coalesce(EXCLUDED.snapshot_bytes, u.snapshot_bytes),"
        "    allocated_bytes = coalesce(EXCLUDED.allocated_bytes, u.allocated_bytes),"
        "    recorded_at = now()"
        " WHERE (u.full_bytes, u.diff_bytes, u.log_bytes, u.snapshot_bytes, u.allocated_bytes)"
        "   IS DISTINCT FROM (coalesce(EXCLUDED.full_bytes, u.full_bytes),"
        "        coalesce(EXCLUDED.diff_bytes, u.diff_bytes),"
        "        coalesce(EXCLUDED.log_bytes, u.log_bytes),"
        "        coalesce(EXCLUDED.snapshot_bytes, u.snapshot_bytes),"
        "        coalesce(EXCLUDED.allocated_bytes, u.allocated_bytes))";
    if (col[U_DB].len == 0)
        return TL_OK;
    const char *p[U_COLS];
    for (int i = 0; i < U_COLS; i++)
        if (!(p[i] = pg_array_finish(&col[i])))
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    PGresult *res;
    TlResult rc = pg_query(conn, "record backup usage", sql, U_COLS, p, &res, err);
    if (!rc) {
        *added += atol(PQcmdTuples(res));
        PQclear(res);
    }
    return rc;
}

static TlResult write_server(Run *r, Collect *c, CollectServer *s, TlError *err)
{
    const CollectSub *sub = &c->subs[s->sub];
    PgArray col[TR_COLS], ucol[U_COLS], ocol[O_COLS], fcol[F_COLS];
    memset(col, 0, sizeof col);
    memset(ucol, 0, sizeof ucol);
    memset(ocol, 0, sizeof ocol);
    memset(fcol, 0, sizeof fcol);
    long added = 0, usage = 0;
    long facts_before = r->facts, drops_before = r->drops;
    TlResult rc = pg_begin(r->conn, err);
    if (!rc)
        rc = pg_lock_writers(r->conn, err);
    for (size_t j = 0; j < s->n_dbs && !rc; j++) {
        CollectDb *d = &s->dbs[j];
        long long id = 0;
        StoreHistory rec;
        memset(&rec, 0, sizeof rec);
        const CollectKnown *kn = d->known >= 0 ? &s->known[d->known] : NULL;
        /* details were not due: same objective as last observed, nothing
         * pending or in flight, so there is nothing to derive */
        bool steady = kn && !d->want_details;
        if (kn) {
            id = kn->id;
            if (!steady)
                rc = store_history_load(r->conn, id, &rec, err);
        } else {
            /* a new lineage is undone with its database if derive refuses it */
            rc = pg_query(r->conn, "savepoint", "SAVEPOINT new_lineage", 0, NULL, NULL, err);
            if (!rc)
                rc = new_lineage(r->conn, s, &d->db, &id, err);
        }
        size_t max = d->n_ops + rec.n + DERIVE_EXTRA_ROWS, n = 0;
        DeriveRow *rows = rc || steady ? NULL : calloc(max, sizeof *rows);
        if (!rc && !steady && !rows)
            rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        if (!rc && !steady) {
            DeriveInput in = {
                .recorded = rec.tr,
                .n_recorded = rec.n,
                .first_sight = d->known < 0,
                .created_at = d->db.created_at,
                .observed_objective = kn && kn->observed ? kn->objective : NULL,
                .observed_at = kn && kn->observed ? kn->observed_at : TL_TIME_NONE,
                .db = &d->db,
                .ops = d->ops,
                .n_ops = d->n_ops,
                .ops_read = d->details_ok,
                .events = sub->events,
                .n_events = sub->n_events,
                .now = r->now,
            };
            rc = derive_transitions(&in, rows, max, &n, err);
        }
        bool skip = false;
        if (rc == TL_ERR_DATA) {
            /* one database Azure describes inconsistently must not stop the
             * others: it is named, left unobserved (the next run tries
             * again) and the run ends partial */
            char line[800];
            snprintf(line, sizeof line, "server %.100s (subscription %.60s): %.600s", s->srv.name,
                     s->srv.subscription, err->msg);
            run_error(r, line);
            skip = true;
            rc = kn ? TL_OK
                    : pg_query(r->conn, "undo a new lineage", "ROLLBACK TO SAVEPOINT new_lineage",
                               0, NULL, NULL, err);
        }
        for (size_t k = 0; k < n; k++)
            add_row(col, id, &rows[k]);
        free(rows);
        store_history_free(&rec);
        if (!rc && !skip)
            observe(ocol, fcol, id, d);
        if (!rc && !skip && d->usage)
            add_usage(ucol, id, c, s, d);
    }
    for (int i = 0; i < TR_COLS && !rc; i++)
        if (col[i].failed)
            rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (int i = 0; i < U_COLS && !rc; i++)
        if (ucol[i].failed)
            rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = observe_write(r, ocol, fcol, err);
    if (!rc)
        rc = insert_transitions(r->conn, col, col[0].len ? 1 : 0, &added, err);
    if (!rc)
        rc = insert_usage(r->conn, ucol, &usage, err);
    for (size_t g = 0; g < s->n_gone && !rc; g++)
        if (s->gone[g].confirmed || s->gone[g].recreated)
            rc = record_drop(r, s, &s->gone[g], err);
    if (!rc)
        rc = pg_commit(r->conn, err);
    for (int i = 0; i < TR_COLS; i++)
        pg_array_free(&col[i]);
    for (int i = 0; i < U_COLS; i++)
        pg_array_free(&ucol[i]);
    for (int i = 0; i < O_COLS; i++)
        pg_array_free(&ocol[i]);
    for (int i = 0; i < F_COLS; i++)
        pg_array_free(&fcol[i]);
    if (rc) {
        pg_rollback(r->conn);
        r->facts = facts_before;
        r->drops = drops_before;
        return rc;
    }
    r->transitions += added;
    r->usage += usage;
    return TL_OK;
}

static TlResult save_cursors(Run *r, const Collect *c, TlError *err)
{
    static const char sql[] =
        "INSERT INTO collector_cursors (subscription_id, activity_log_until)"
        " SELECT * FROM unnest($1::text[], $2::timestamptz[])"
        " ON CONFLICT (subscription_id) DO UPDATE SET activity_log_until ="
        "   greatest(collector_cursors.activity_log_until, EXCLUDED.activity_log_until)";
    PgArray a = {0}, b = {0};
    char now[TL_TIME_TEXT_MAX];
    tl_time_format(r->now, now);
    for (size_t i = 0; i < c->n_subs; i++)
        if (c->subs[i].events_ok && !c->subs[i].failed) {
            pg_array_add(&a, c->subs[i].sub.id);
            pg_array_add(&b, now);
        }
    const char *p[] = {pg_array_finish(&a), pg_array_finish(&b)};
    TlResult rc = !p[0] || !p[1]
                      ? tl_error_set(err, TL_ERR_NOMEM, "out of memory")
                      : pg_query(r->conn, "save activity log cursors", sql, 2, p, NULL, err);
    pg_array_free(&a);
    pg_array_free(&b);
    return rc;
}

/* ---- the command ----------------------------------------------------------- */

static TlResult parse_int(const CliContext *ctx, const char *name, long lo, long hi, long *out,
                          TlError *err)
{
    const char *v = cli_opt(ctx, name);
    if (!v)
        return TL_OK;
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end || n < lo || n > hi)
        return tl_error_set(err, TL_ERR_USAGE, "--%s: expected a number from %ld to %ld", name, lo,
                            hi);
    *out = n;
    return TL_OK;
}

static void print_summary(const Run *r, const Collect *c, const HttpStats *st, double secs)
{
    printf("collector run %lld: %zu subscription%s, %zu server%s, %d database%s in %.1f s "
           "(%ld requests, %ld retried, %ld throttled)\n",
           r->run_id, c->n_subs, c->n_subs == 1 ? "" : "s", c->n_servers,
           c->n_servers == 1 ? "" : "s", r->databases, r->databases == 1 ? "" : "s", secs,
           st->requests, st->retries, st->throttled);
    printf("recorded %ld transition%s, %ld fact change%s, %ld drop%s, %ld usage day%s\n",
           r->transitions, r->transitions == 1 ? "" : "s", r->facts, r->facts == 1 ? "" : "s",
           r->drops, r->drops == 1 ? "" : "s", r->usage, r->usage == 1 ? "" : "s");
    for (size_t i = 0; i < r->n_errors; i++)
        printf("failed: %s\n", r->errors[i]);
}

static TlResult run_collect(CliContext *ctx, TlError *err)
{
    Run r;
    memset(&r, 0, sizeof r);
    r.now = ctx->now;
    if (gethostname(r.host, sizeof r.host - 1) != 0)
        snprintf(r.host, sizeof r.host, "unknown");
    const char *observed = cli_opt(ctx, "observed-at");
    if (observed && !tl_time_parse(observed, false, &r.now))
        return tl_error_set(err, TL_ERR_USAGE, "--observed-at: expected an RFC 3339 time");
    const char *arm = cli_opt(ctx, "arm-url");
    if (!arm)
        arm = getenv("TIERLEDGER_ARM_URL");
    if (!arm || !*arm)
        arm = DEFAULT_ARM;
    char arm_base[512];
    snprintf(arm_base, sizeof arm_base, "%s", arm);
    size_t al = strlen(arm_base);
    while (al > 0 && arm_base[al - 1] == '/')
        arm_base[--al] = '\0';
    if (strncmp(arm_base, "https://", 8) != 0 && strncmp(arm_base, "http://", 7) != 0)
        return tl_error_set(err, TL_ERR_USAGE, "--arm-url: expected an https:// URL");
    if (strncmp(arm_base, "http://", 7) == 0 && strncmp(arm_base, "http://127.", 11) != 0 &&
        strncmp(arm_base, "http://localhost", 16) != 0 &&
        strncmp(arm_base, "http://[::1]", 12) != 0)
        return tl_error_set(err, TL_ERR_USAGE,
                            "--arm-url: plain http is only allowed to loopback (tokens would "
                            "travel in clear)");
    AuthMode mode = AUTH_AUTO;
    const char *am = cli_opt(ctx, "auth");
    if (am && !auth_mode_parse(am, &mode))
        return tl_error_set(err, TL_ERR_USAGE,
                            "--auth: expected auto, service-principal, managed-identity, "
                            "azure-cli or none");
    if (mode == AUTH_NONE && strncmp(arm_base, "http://", 7) != 0)
        return tl_error_set(err, TL_ERR_USAGE, "--auth none is only for a loopback test ARM");
    const char *via = cli_opt(ctx, "via");
    if (via && strcmp(via, "arm") != 0 && strcmp(via, "resource-graph") != 0)
        return tl_error_set(err, TL_ERR_USAGE, "--via: expected arm or resource-graph");
    HttpOptions hopt;
    http_options_default(&hopt);
    long conc = 16, attempts = 5, every_h = 6;
    TlResult rc = parse_int(ctx, "concurrency", 1, 256, &conc, err);
    if (!rc)
        rc = parse_int(ctx, "attempts", 1, 20, &attempts, err);
    if (!rc)
        rc = parse_int(ctx, "details-every", 0, 24 * 35, &every_h, err);
    if (rc)
        return rc;
    hopt.concurrency = (int)conc;
    hopt.max_attempts = (int)attempts;
    hopt.verbose = cli_opt(ctx, "verbose") != NULL;
    hopt.ca_file = cli_opt(ctx, "ca-file");
    const char *subs[MAX_SUBS];
    int n_subs = cli_opt_all(ctx, "subscription", subs, MAX_SUBS);

    rc = pg_connect(cli_opt(ctx, "db"), &r.conn, err);
    if (!rc)
        rc = pg_schema_check(r.conn, err);
    if (!rc)
        rc = take_lock(&r, err);
    if (!rc)
        rc = run_start(&r, arm_base, err);
    if (rc) {
        pg_close(r.conn);
        return rc;
    }
    Auth auth;
    Collect c;
    memset(&c, 0, sizeof c);
    HttpClient *http = NULL;
    HttpStats st = {0, 0, 0, 0};
    double t0 = http_now();
    rc = auth_init(&auth, mode, arm_base, hopt.ca_file, err);
    if (!rc)
        rc =
            http_client_new(&hopt, auth.chosen == AUTH_NONE ? NULL : auth_token, &auth, &http, err);
    if (!rc) {
        c.arm = arm_base;
        c.only_subs = subs;
        c.n_only_subs = (size_t)n_subs;
        c.resource_group = cli_opt(ctx, "resource-group");
        c.server = cli_opt(ctx, "server");
        c.via_graph = via && strcmp(via, "resource-graph") == 0;
        c.now = r.now;
        c.details_every_s = every_h * 3600L;
        c.http = http;
        rc = load_cursors(&r, err);
    }
    if (!rc)
        rc = collect_discover(&c, cursor_of, &r, err);
    if (!rc)
        rc = load_known(&r, &c, err);
    if (!rc)
        rc = collect_details(&c, err);
    if (!rc && c.subs_failed)
        run_error(&r, c.subs_error);
    for (size_t i = 0; !rc && i < c.n_subs; i++)
        if (c.subs[i].failed)
            run_error(&r, c.subs[i].error);
    for (size_t i = 0; !rc && i < c.n_servers; i++) {
        CollectServer *s = &c.servers[i];
        if (c.subs[s->sub].failed)
            continue;
        if (!s->failed) {
            TlError werr = {{0}, {0}};
            TlResult wrc = write_server(&r, &c, s, &werr);
            if (wrc == TL_ERR_UNAVAILABLE || wrc == TL_ERR_NOMEM) {
                rc = wrc;
                *err = werr;
                break;
            }
            if (wrc) {
                s->failed = true;
                snprintf(s->error, sizeof s->error, "server %.100s (subscription %.60s): %.400s",
                         s->srv.name, s->srv.subscription, werr.msg);
            } else {
                r.servers_ok++;
                r.databases += (int)s->n_dbs;
            }
        }
        if (s->failed)
            run_error(&r, s->error);
    }
    if (!rc)
        rc = save_cursors(&r, &c, err);
    if (http)
        st = http_stats(http);
    if (rc) {
        char line[700];
        snprintf(line, sizeof line, "run stopped: %.680s", err->msg);
        run_error(&r, line);
    }
    run_finish(&r, &c, &st);
    if (!rc) {
        const char *fmt = cli_opt(ctx, "quiet") ? NULL : "text";
        if (fmt)
            print_summary(&r, &c, &st, http_now() - t0);
        if (auth.tokens_fetched > 0 && hopt.verbose)
            fprintf(stderr, "tierledger collect: credential: %s (%ld token%s)\n", auth.detail,
                    auth.tokens_fetched, auth.tokens_fetched == 1 ? "" : "s");
        if (r.n_errors > 0) {
            fprintf(stderr, "tierledger collect: %zu failure%s, see collector run %lld\n",
                    r.n_errors, r.n_errors == 1 ? "" : "s", r.run_id);
            ctx->exit_status = 1;
        }
    }
    for (size_t i = 0; i < r.n_errors; i++)
        free(r.errors[i]);
    free(r.errors);
    PQclear(r.cursors);
    collect_free(&c);
    http_client_free(http);
    auth_cleanup(&auth);
    pg_close(r.conn);
    return rc;
}

static const CliOption collect_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"subscription", "ID", "only this subscription (repeatable; default: every visible one)", 0},
    {"resource-group", "RG", "only servers of this resource group", 0},
    {"server", "NAME", "only this logical server", 0},
    {"via", "arm|resource-graph",
     "list servers and databases per server through ARM (default), or for many subscriptions at "
     "once with Resource Graph queries",
     0},
    {"arm-url", "URL",
     "Resource Manager base URL (default $TIERLEDGER_ARM_URL or https://management.azure.com)", 0},
    {"auth", "MODE", "auto (default), service-principal, managed-identity, azure-cli", 0},
    {"concurrency", "N", "requests in flight (default 16)", 0},
    {"attempts", "N", "tries per request on 429/5xx/connection errors (default 5)", 0},
    {"details-every", "HOURS",
     "re-read operations and retention of unchanged databases this often (default 6)", 0},
    {"observed-at", "TIME", "record observations at TIME instead of now (replays, tests)", 0},
    {"ca-file", "FILE", "CA bundle for TLS verification (default: the system store)", 0},
    {"verbose", NULL, "log every request and retry to stderr", 'v'},
    {"quiet", NULL, "no summary on stdout", 'q'},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_collect = {
    .name = "collect",
    .summary = "record tier transitions from Azure Resource Manager (for cron)",
    .usage = "[options]",
    .description =
        "Lists subscriptions, SQL servers and databases (following nextLink), reads the\n"
        "operations and short-term retention of databases that changed or are due, and\n"
        "records new lineages, transitions (who, when, from, to, state), facts and\n"
        "confirmed drops. Each server is written in one transaction; re-running over the\n"
        "same Azure state adds nothing. Credentials: AZURE_CLIENT_ID + AZURE_TENANT_ID +\n"
        "AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE, or a 0600\n"
        "TIERLEDGER_CLIENT_SECRET_FILE), else managed identity, else az CLI.\n"
        "Exit: 0 all collected, 1 some subscription or server failed (named on stdout and\n"
        "in collector_runs), 69 PostgreSQL or identity unreachable, 75 another collector\n"
        "is running.",
    .options = collect_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_collect,
};
