/* collector.c - the collector's reads and writes (see collector.h). */
#include "sql/store/collector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/store/conn.h"
#include "sql/store/pg.h"

TlResult store_collector_connect(const char *conninfo, const char *host, long pid, StoreConn **lock,
                                 TlError *err)
{
    static const char sql_app[] = "SELECT set_config('application_name', $1, false)";
    char app_name[200];
    snprintf(app_name, sizeof app_name, "tierledger collect %s:%ld", host, pid);
    const char *pa[] = {app_name};
    TlResult rc = store_connect(conninfo, lock, err);
    if (!rc)
        rc = pg_query(*lock, "set application_name", sql_app, 1, pa, NULL, err);
    return rc;
}

TlResult store_run_start(StoreConn *conn, const char *host, long pid, const char *arm_url,
                         long long *run_id, TlError *err)
{
    static const char sql[] = "INSERT INTO collector_runs (started_at, status, host, pid, arm_url)"
                              " VALUES (now(), 'running', $1, $2::int, $3) RETURNING id";
    char pidtext[24];
    const char *p[] = {host, pg_int_param(pid, pidtext), arm_url};
    PGresult *res;
    TlResult rc = pg_query(conn, "record the run", sql, 3, p, &res, err);
    if (!rc) {
        pg_get_int64(res, 0, 0, run_id);
        PQclear(res);
    }
    return rc;
}

/* The subscriptions of keys (lower case) another run holds, and that run. */
static TlResult name_holders(StoreConn *lock, const char *keys, TlError *err)
{
    static const char sql[] =
        "SELECT (SELECT string_agg(k, ', ' ORDER BY k) FROM unnest($1::text[]) AS u(k)) AS held,"
        "       (SELECT format('collector run %s on %s, pid %s, since %s', r.id, r.host, r.pid,"
        "               to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))"
        "          FROM collector_runs r WHERE r.status = 'running'"
        "           AND r.subscription_keys && $1::text[] ORDER BY r.id DESC LIMIT 1) AS holder";
    const char *p[] = {keys};
    PGresult *res;
    TlResult rc = pg_query(lock, "name the lock holder", sql, 1, p, &res, err);
    if (rc)
        return rc;
    const char *holder = pg_text(res, 0, 1);
    rc = tl_error_set(err, TL_ERR_LOCKED, "another collector is collecting subscription %s (%s)",
                      pg_text(res, 0, 0) ? pg_text(res, 0, 0) : "?",
                      holder ? holder : "it has not recorded itself yet: just started?");
    tl_error_hint(err, "give each collector its own subscriptions (--subscription, --shard K/N); "
                       "the next timer tick will collect");
    PQclear(res);
    return rc;
}

TlResult store_collector_claim(StoreConn *lock, StoreConn *conn, long long run_id,
                               const char *const *keys, size_t n, long *abandoned, TlError *err)
{
    static const char sql_rows[] = "INSERT INTO collector_locks (subscription_key)"
                                   " SELECT DISTINCT lower(k) FROM unnest($1::text[]) AS u(k)"
                                   " ON CONFLICT DO NOTHING";
    /* the keys this session could lock; a missing one is another run's */
    static const char sql_take[] =
        "WITH got AS (SELECT subscription_key FROM collector_locks"
        "              WHERE subscription_key IN (SELECT lower(k) FROM unnest($1::text[]) AS u(k))"
        "              FOR UPDATE SKIP LOCKED)"
        " SELECT array_agg(DISTINCT lower(k)) FILTER (WHERE lower(k) NOT IN"
        "        (SELECT subscription_key FROM got))::text AS held"
        "   FROM unnest($1::text[]) AS u(k)";
    static const char sql_mine[] =
        "UPDATE collector_runs SET subscription_keys ="
        " (SELECT coalesce(array_agg(DISTINCT lower(k) ORDER BY lower(k)), '{}')"
        "    FROM unnest($2::text[]) AS u(k)) WHERE id = $1::bigint";
    /* a run whose lock session is gone died (application_name is visible to
     * every role in pg_stat_activity) */
    static const char sql_abandon[] =
        "UPDATE collector_runs r SET status = 'abandoned', ended_at = greatest(now(), started_at)"
        " WHERE r.status = 'running' AND r.id <> $1::bigint AND NOT EXISTS"
        " (SELECT 1 FROM pg_stat_activity a WHERE a.datname = current_database()"
        "     AND a.application_name = left('tierledger collect ' || r.host || ':' || r.pid, 63))";
    PgArray arr = {0};
    for (size_t i = 0; i < n; i++)
        pg_array_add(&arr, keys[i]);
    const char *p[2];
    char id[24];
    PGresult *res = NULL;
    *abandoned = 0;
    p[0] = pg_int_param(run_id, id);
    TlResult rc = pg_arrays_finish(&arr, 1, &p[1], err);
    if (!rc)
        rc = pg_query(lock, "register the subscriptions", sql_rows, 1, &p[1], NULL, err);
    if (!rc)
        rc = pg_begin(lock, err);
    if (!rc)
        rc = pg_query(lock, "lock the subscriptions", sql_take, 1, &p[1], &res, err);
    if (!rc && pg_text(res, 0, 0)) { /* some are another run's */
        char held[8192];
        snprintf(held, sizeof held, "%s", PQgetvalue(res, 0, 0));
        store_rollback(lock);
        rc = name_holders(lock, held, err);
    }
    PQclear(res);
    if (!rc)
        rc = pg_query(conn, "record the run's subscriptions", sql_mine, 2, p, NULL, err);
    if (!rc)
        rc = pg_query_count(conn, "close abandoned runs", sql_abandon, 1, p, abandoned, err);
    pg_array_cleanup(&arr);
    return rc;
}

TlResult store_run_finish(StoreConn *conn, long long run_id, const StoreRunSummary *s, TlError *err)
{
    static const char sql[] =
        "UPDATE collector_runs SET ended_at = greatest(now(), started_at), status = $2,"
        " subscriptions = $3::int, servers = $4::int, databases = $5::int, requests = $6::int,"
        " retries = $7::int, transitions_added = $8::int, facts_added = $9::int,"
        " drops_added = $10::int, errors = $11::int, error_summary = $12::text[],"
        " usage_days_added = $13::int WHERE id = $1";
    long long v[] = {run_id,
                     (long long)s->subscriptions,
                     (long long)s->servers,
                     s->databases,
                     s->requests,
                     s->retries,
                     s->transitions,
                     s->facts,
                     s->drops,
                     (long long)s->n_errors,
                     s->usage};
    char text[11][24];
    for (int i = 0; i < 11; i++)
        pg_int_param(v[i], text[i]);
    PgArray errs = {0};
    for (size_t i = 0; i < s->n_errors; i++)
        pg_array_add(&errs, s->errors[i]);
    const char *p[13] = {text[0], s->status, text[1], text[2], text[3], text[4], text[5],
                         text[6], text[7],   text[8], text[9], NULL,    text[10]};
    TlResult rc = pg_arrays_finish(&errs, 1, &p[11], err);
    if (!rc)
        rc = pg_query(conn, "finish the run", sql, 13, p, NULL, err);
    pg_array_cleanup(&errs);
    return rc;
}

/* ---- cursors ---------------------------------------------------------------- */

TlResult store_cursors_load(StoreConn *conn, StoreCursors *out, TlError *err)
{
    static const char sql[] = "SELECT subscription_id,"
                              "       extract(epoch FROM activity_log_until)::bigint AS until"
                              "  FROM collector_cursors";
    return pg_query(conn, "load activity log cursors", sql, 0, NULL, &out->res, err);
}

TlTime store_cursor_of(const StoreCursors *c, const char *subscription)
{
    for (int i = 0; c->res && i < PQntuples(c->res); i++)
        if (strcasecmp(PQgetvalue(c->res, i, 0), subscription) == 0)
            return pg_time(c->res, i, 1);
    return TL_TIME_NONE;
}

void store_cursors_cleanup(StoreCursors *c)
{
    if (!c)
        return;
    PQclear(c->res);
    c->res = NULL;
}

TlResult store_cursors_save(StoreConn *conn, const char *const *subs, size_t n, TlTime until,
                            TlError *err)
{
    /* only forward: a cursor that does not move is not rewritten */
    static const char sql[] =
        "INSERT INTO collector_cursors (subscription_id, activity_log_until)"
        " SELECT s, to_timestamp($2::bigint) FROM unnest($1::text[]) AS u(s)"
        " ON CONFLICT (subscription_id) DO UPDATE"
        "   SET activity_log_until = EXCLUDED.activity_log_until"
        "   WHERE collector_cursors.activity_log_until < EXCLUDED.activity_log_until";
    PgArray a = {0};
    char at[24];
    for (size_t i = 0; i < n; i++)
        pg_array_add(&a, subs[i]);
    const char *p[2] = {NULL, pg_time_param(until, at)};
    TlResult rc = pg_arrays_finish(&a, 1, p, err);
    if (!rc)
        rc = pg_query(conn, "save activity log cursors", sql, 2, p, NULL, err);
    pg_array_cleanup(&a);
    return rc;
}

TlResult store_subscriptions_save(StoreConn *conn, const char *const *ids, const char *const *names,
                                  const char *const *states, size_t n, TlTime now, long long run_id,
                                  TlError *err)
{
    static const char sql[] =
        "INSERT INTO subscriptions AS s (subscription_id, display_name, state, recorded_at,"
        "       run_id)"
        " SELECT lower(i), nullif(d, ''), nullif(st, ''), to_timestamp($4::bigint), $5::bigint"
        "   FROM unnest($1::text[], $2::text[], $3::text[]) AS u(i, d, st)"
        " ON CONFLICT (subscription_id) DO UPDATE SET display_name = EXCLUDED.display_name,"
        "   state = EXCLUDED.state, recorded_at = EXCLUDED.recorded_at, run_id = EXCLUDED.run_id"
        " WHERE (s.display_name, s.state) IS DISTINCT FROM"
        "       (EXCLUDED.display_name, EXCLUDED.state)";
    PgArray a[3] = {{0}};
    for (size_t i = 0; i < n; i++) {
        pg_array_add(&a[0], ids[i]);
        pg_array_add(&a[1], names[i]);
        pg_array_add(&a[2], states[i]);
    }
    char at[24], run[24];
    const char *p[5] = {NULL, NULL, NULL, pg_time_param(now, at), pg_int_param(run_id, run)};
    TlResult rc = pg_arrays_finish(a, 3, p, err);
    if (!rc && n)
        rc = pg_query(conn, "save the subscriptions", sql, 5, p, NULL, err);
    pg_arrays_cleanup(a, 3);
    return rc;
}

/* ---- known lineages ------------------------------------------------------------ */

TlResult store_known_load(StoreConn *conn, const StoreServerKey *keys, size_t n, StoreKnown **out,
                          size_t *n_out, TlError *err)
{
    // clang-format off
    static const char sql[] =
        "SELECT k.i - 1 AS server, d.id, d.resource_id,"
        "       extract(epoch FROM d.created_at)::bigint AS created,"
        "       o.database_id IS NOT NULL AS observed,"
        "       extract(epoch FROM o.details_at)::bigint AS details,"
        "       coalesce(o.current_objective, '') AS objective,"
        "       extract(epoch FROM o.observed_at)::bigint AS observed_at,"
        "       EXISTS (SELECT 1 FROM current_transitions t WHERE t.database_id = d.id"
        "                  AND t.state IN ('Pending', 'InProgress', 'CancelInProgress')) AS open"
        "  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS k(s, g, n, i)"
        "  JOIN databases d ON lower(d.subscription_id) = lower(k.s)"
        "   AND lower(d.resource_group) = lower(k.g) AND lower(d.server_name) = lower(k.n)"
        "  LEFT JOIN database_observations o ON o.database_id = d.id"
        " WHERE NOT EXISTS (SELECT 1 FROM database_drops x WHERE x.database_id = d.id)"
        " ORDER BY k.i, d.id";
    // clang-format on
    static const char *const names[] = {"server",    "id",          "resource_id",
                                        "created",   "observed",    "details",
                                        "objective", "observed_at", "open"};
    enum { C_SERVER, C_ID, C_RES, C_CREATED, C_OBSERVED, C_DETAILS, C_OBJ, C_OBS_AT, C_OPEN };
    *out = NULL;
    *n_out = 0;
    PgArray a[3] = {{0}, {0}, {0}};
    for (size_t i = 0; i < n; i++) {
        pg_array_add(&a[0], keys[i].subscription);
        pg_array_add(&a[1], keys[i].resource_group);
        pg_array_add(&a[2], keys[i].server);
    }
    const char *p[3];
    PGresult *res = NULL;
    int col[9];
    TlResult rc = pg_arrays_finish(a, 3, p, err);
    if (!rc)
        rc = pg_query(conn, "load known databases", sql, 3, p, &res, err);
    pg_arrays_cleanup(a, 3);
    if (!rc)
        rc = pg_columns(res, "load known databases", names, 9, col, err);
    int rows = rc ? 0 : PQntuples(res);
    if (!rc && !(*out = calloc(rows ? (size_t)rows : 1, sizeof **out)))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (int r = 0; r < rows && !rc; r++) {
        StoreKnown *s = &(*out)[(*n_out)++];
        long long server;
        pg_get_int64(res, r, col[C_SERVER], &server);
        s->server = (size_t)server;
        TlKnownLineage *k = &s->k;
        pg_get_int64(res, r, col[C_ID], &k->id);
        snprintf(k->resource_id, sizeof k->resource_id, "%s", PQgetvalue(res, r, col[C_RES]));
        k->created_at = pg_time(res, r, col[C_CREATED]);
        k->observed = pg_bool(res, r, col[C_OBSERVED]);
        k->details_at = pg_time(res, r, col[C_DETAILS]);
        snprintf(k->objective, sizeof k->objective, "%s", PQgetvalue(res, r, col[C_OBJ]));
        k->observed_at = pg_time(res, r, col[C_OBS_AT]);
        k->open = pg_bool(res, r, col[C_OPEN]);
    }
    PQclear(res);
    if (rc) {
        free(*out);
        *out = NULL;
        *n_out = 0;
    }
    return rc;
}

/* ---- a server's batch -------------------------------------------------------- */

/* columns in the unnest order of each statement in store_batch_write */
enum { T_DB, T_START, T_END, T_STATE, T_FROM, T_TO, T_OP, T_WHO, T_SRC, T_REC, T_INF, T_COLS };
enum { O_DB, O_CUR, O_REQ, O_STATUS, O_SKU, O_RED, O_EARLIEST, O_TAGS, O_DETAILS, O_COLS };
enum {
    F_DB,
    F_RET,
    F_POOL,
    F_GEO,
    F_NAMED,
    F_MAX,
    F_ALLOC,
    F_PROPS,
    F_ROLE,
    F_SECS,
    F_REQ,
    F_COLS
};
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

struct StoreCollectBatch {
    PgArray tr[T_COLS], obs[O_COLS], facts[F_COLS], usage[U_COLS];
    size_t n_tr, n_obs, n_usage;
};

TlResult store_batch_new(StoreCollectBatch **out, TlError *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? TL_OK : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
}

void store_batch_free(StoreCollectBatch *b)
{
    if (!b)
        return;
    pg_arrays_cleanup(b->tr, T_COLS);
    pg_arrays_cleanup(b->obs, O_COLS);
    pg_arrays_cleanup(b->facts, F_COLS);
    pg_arrays_cleanup(b->usage, U_COLS);
    free(b);
}

static void add_bytes(PgArray *a, int64_t v, bool negative_unknown)
{
    if (v == STORE_NO_BYTES || (negative_unknown && v < 0))
        pg_array_add(a, NULL);
    else
        pg_array_add_int(a, (long long)v);
}

static const char *nonempty(const char *s)
{
    return s && s[0] ? s : NULL;
}

void store_batch_add_transition(StoreCollectBatch *b, const StoreTransitionRow *row)
{
    const TlTransition *t = row->t;
    pg_array_add_int(&b->tr[T_DB], row->database_id);
    pg_array_add_time(&b->tr[T_START], t->started_at);
    pg_array_add_time(&b->tr[T_END], t->ended_at);
    pg_array_add(&b->tr[T_STATE], history_state_str(t->state));
    pg_array_add(&b->tr[T_FROM], history_is_creation(t) ? NULL : t->from_objective);
    pg_array_add(&b->tr[T_TO], t->to_objective);
    pg_array_add(&b->tr[T_OP], t->operation_id);
    pg_array_add(&b->tr[T_WHO], t->initiated_by);
    pg_array_add(&b->tr[T_SRC], row->source);
    pg_array_add(&b->tr[T_REC], row->source_record_id);
    pg_array_add_bool(&b->tr[T_INF], row->inferred);
    b->n_tr++;
}

void store_batch_add_observation(StoreCollectBatch *b, const StoreObservationRow *row)
{
    PgArray *o = b->obs, *f = b->facts;
    pg_array_add_int(&o[O_DB], row->database_id);
    pg_array_add(&o[O_CUR], row->current_objective);
    pg_array_add(&o[O_REQ], nonempty(row->requested_objective));
    pg_array_add(&o[O_STATUS], nonempty(row->status));
    pg_array_add(&o[O_SKU], row->sku_json);
    pg_array_add(&o[O_RED], nonempty(row->redundancy));
    pg_array_add_time(&o[O_EARLIEST], row->earliest_restore_at);
    pg_array_add(&o[O_TAGS], row->tags_json);
    pg_array_add_bool(&o[O_DETAILS], row->details_read);
    pg_array_add_int(&f[F_DB], row->database_id);
    if (row->retention_days > 0)
        pg_array_add_int(&f[F_RET], row->retention_days);
    else
        pg_array_add(&f[F_RET], NULL);
    pg_array_add(&f[F_POOL], nonempty(row->elastic_pool_id));
    pg_array_add(&f[F_GEO], row->geo_replication < 0 ? NULL
                            : row->geo_replication   ? "true"
                                                     : "false");
    pg_array_add_int(&f[F_NAMED], row->named_replicas);
    add_bytes(&f[F_MAX], row->max_size_bytes, false);
    add_bytes(&f[F_ALLOC], row->allocated_bytes, true);
    pg_array_add(&f[F_PROPS], row->arm_properties_json);
    pg_array_add(&f[F_ROLE], row->geo_role);
    if (row->geo_secondaries >= 0)
        pg_array_add_int(&f[F_SECS], row->geo_secondaries);
    else
        pg_array_add(&f[F_SECS], NULL);
    /* W6: the requested objective only while it differs from the current one */
    bool pending = nonempty(row->requested_objective) && row->current_objective &&
                   !objective_equal(row->requested_objective, row->current_objective);
    pg_array_add(&f[F_REQ], pending ? row->requested_objective : NULL);
    b->n_obs++;
}

void store_batch_add_usage(StoreCollectBatch *b, const StoreUsageDayRow *row)
{
    PgArray *u = b->usage;
    pg_array_add_int(&u[U_DB], row->database_id);
    pg_array_add_time(&u[U_DAY], row->day);
    add_bytes(&u[U_FULL], row->full_bytes, true);
    add_bytes(&u[U_DIFF], row->diff_bytes, true);
    add_bytes(&u[U_LOG], row->log_bytes, true);
    add_bytes(&u[U_SNAP], row->snapshot_bytes, true);
    add_bytes(&u[U_ALLOC], row->allocated_bytes, true);
    add_bytes(&u[U_MAX], row->max_size_bytes, false);
    pg_array_add(&u[U_RED], nonempty(row->redundancy));
    pg_array_add(&u[U_REGION], nonempty(row->region));
    pg_array_add(&u[U_POOL], nonempty(row->elastic_pool_id));
    pg_array_add(&u[U_TAGS], row->tags_json);
    b->n_usage++;
}

static TlResult write_observations(PGconn *conn, StoreCollectBatch *b, const char *now,
                                   const char *run, long *facts, TlError *err)
{
    static const char sql_obs[] =
        "INSERT INTO database_observations AS o (database_id, first_seen_at, observed_at,"
        "       current_objective, requested_objective, status, sku, redundancy,"
        "       earliest_restore_at, tags, details_at, last_run_id)"
        " SELECT v.db, to_timestamp($10::bigint), to_timestamp($10::bigint), v.cur, v.req, v.st,"
        "        v.sku, v.red, to_timestamp(v.era), v.tags,"
        "        CASE WHEN v.det THEN to_timestamp($10::bigint) END, $11::bigint"
        "   FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::jsonb[],"
        "        $6::text[], $7::bigint[], $8::jsonb[], $9::boolean[])"
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
        "                  $5::int[], $6::bigint[], $7::bigint[], $8::jsonb[], $9::text[],"
        "                  $10::int[], $11::text[])"
        "             AS v(db, r, pool, geo, named, max, alloc, props, role, secs, req)),"
        " last AS (SELECT DISTINCT ON (database_id) * FROM database_facts"
        "           WHERE source = 'collector' AND database_id IN (SELECT db FROM v)"
        "           ORDER BY database_id, observed_at DESC),"
        " n AS (SELECT v.db, coalesce(v.r, l.retention_days) AS r, v.pool,"
        "              coalesce(v.geo, l.geo_replication) AS geo, v.named, v.max,"
        "              coalesce(v.alloc, l.allocated_bytes) AS alloc, v.props,"
        "              coalesce(v.role, l.geo_role) AS role,"
        "              CASE WHEN v.role IS NULL THEN l.geo_secondaries ELSE v.secs END AS secs,"
        "              l.database_id AS had, l.retention_days AS lr, l.elastic_pool_id AS lp,"
        "              l.geo_replication AS lg, l.named_replicas AS ln, l.max_size_bytes AS lm,"
        "              l.allocated_bytes AS la, l.arm_properties AS lx, l.geo_role AS lo,"
        "              l.geo_secondaries AS ls, v.req, l.requested_objective AS lq,"
        "              CASE WHEN v.req IS NULL THEN NULL"
        "                   WHEN tierledger_objective_key(l.requested_objective)"
        "                        = tierledger_objective_key(v.req) THEN l.requested_since"
        "                   ELSE to_timestamp($12::bigint) END AS since"
        "         FROM v LEFT JOIN last l ON l.database_id = v.db)"
        " INSERT INTO database_facts (database_id, observed_at, retention_days,"
        "        elastic_pool_id, in_elastic_pool, geo_replication, named_replicas,"
        "        max_size_bytes, allocated_bytes, arm_properties, geo_role, geo_secondaries,"
        "        requested_objective, requested_since, source)"
        " SELECT n.db, to_timestamp($12::bigint), n.r, n.pool, n.pool IS NOT NULL, n.geo, n.named,"
        "        n.max, n.alloc, n.props, n.role, n.secs, n.req, n.since, 'collector' FROM n"
        "  WHERE n.had IS NULL OR (n.lr, n.lp, n.lg, n.ln, n.lm, n.la, n.lx, n.lo, n.ls,"
        "                          tierledger_objective_key(n.lq))"
        "        IS DISTINCT FROM (n.r, n.pool, n.geo, n.named, n.max, n.alloc, n.props, n.role,"
        "                          n.secs, tierledger_objective_key(n.req))"
        "  ON CONFLICT (database_id, observed_at, source) DO NOTHING";
    const char *po[O_COLS + 2], *pf[F_COLS + 1];
    TlResult rc = pg_arrays_finish(b->obs, O_COLS, po, err);
    if (!rc)
        rc = pg_arrays_finish(b->facts, F_COLS, pf, err);
    if (rc)
        return rc;
    po[O_COLS] = now;
    po[O_COLS + 1] = run;
    pf[F_COLS] = now;
    rc = pg_query(conn, "record observations", sql_obs, O_COLS + 2, po, NULL, err);
    if (!rc)
        rc = pg_query_count(conn, "record facts", sql_facts, F_COLS + 1, pf, facts, err);
    return rc;
}

static TlResult write_transitions(PGconn *conn, StoreCollectBatch *b, long *added, TlError *err)
{
    /* the NOT EXISTS guard makes a repeated row a no-op, whatever derive said */
    static const char sql[] =
        "INSERT INTO transitions (database_id, started_at, ended_at, state, from_objective,"
        "       to_objective, operation_id, initiated_by, source, source_record_id, inferred)"
        "SELECT c.db, to_timestamp(c.s), to_timestamp(c.e), c.st, c.f, c.t, c.op, c.who, c.src,"
        "       c.rec, c.inf"
        "  FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],"
        "       $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],"
        "       $11::boolean[]) AS c(db, s, e, st, f, t, op, who, src, rec, inf)"
        " WHERE NOT EXISTS (SELECT 1 FROM current_transitions x WHERE x.database_id = c.db"
        "   AND x.started_at = to_timestamp(c.s) AND x.state = c.st"
        "   AND x.ended_at IS NOT DISTINCT FROM to_timestamp(c.e)"
        "   AND tierledger_objective_key(x.from_objective) = tierledger_objective_key(c.f)"
        "   AND tierledger_objective_key(x.to_objective) = tierledger_objective_key(c.t))";
    const char *p[T_COLS];
    TlResult rc = pg_arrays_finish(b->tr, T_COLS, p, err);
    if (!rc)
        rc = pg_query_count(conn, "insert transitions", sql, T_COLS, p, added, err);
    return rc;
}

/* Insert a day, or update the sizes of a day read again (late samples); a
 * size the new answer lacks keeps what was stored (the database may have
 * changed kind since: a Hyperscale answer has no full backups), and the day's
 * max size, redundancy, region, pool and tags stay as first written. */
static TlResult write_usage(PGconn *conn, StoreCollectBatch *b, long *added, TlError *err)
{
    static const char sql[] =
        "INSERT INTO backup_usage AS u (database_id, day, full_bytes, diff_bytes, log_bytes,"
        "    snapshot_bytes, allocated_bytes, max_size_bytes, redundancy, region, elastic_pool_id,"
        "    tags, source)"
        " SELECT c.db, (to_timestamp(c.day) AT TIME ZONE 'UTC')::date, c.f, c.d, c.l, c.s, c.a,"
        "        c.m, CASE WHEN c.r IN ('Local', 'Zone', 'Geo', 'GeoZone') THEN c.r END, c.reg,"
        "        c.p, c.t, 'collector'"
        "   FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[],"
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
    const char *p[U_COLS];
    TlResult rc = pg_arrays_finish(b->usage, U_COLS, p, err);
    if (!rc)
        rc = pg_query_count(conn, "record backup usage", sql, U_COLS, p, added, err);
    return rc;
}

TlResult store_batch_write(StoreConn *conn, StoreCollectBatch *b, TlTime now, long long run_id,
                           StoreBatchCounts *counts, TlError *err)
{
    char now_text[24], run[24];
    pg_time_param(now, now_text);
    pg_int_param(run_id, run);
    *counts = (StoreBatchCounts){0, 0, 0};
    TlResult rc = TL_OK;
    if (b->n_obs)
        rc = write_observations(conn, b, now_text, run, &counts->facts, err);
    if (!rc && b->n_tr)
        rc = write_transitions(conn, b, &counts->transitions, err);
    if (!rc && b->n_usage)
        rc = write_usage(conn, b, &counts->usage, err);
    return rc;
}

TlResult store_drop_record(StoreConn *conn, const StoreDropRow *row, bool *added, TlError *err)
{
    static const char sql[] =
        "INSERT INTO database_drops (database_id, dropped_at, confirmed_at, source,"
        "       source_record_id)"
        " VALUES ($1::bigint, least(to_timestamp($2::bigint), to_timestamp($3::bigint)),"
        "         to_timestamp($3::bigint), $4, nullif($5, ''))"
        " ON CONFLICT (database_id) DO NOTHING";
    char id[24], a[24], c[24];
    const char *p[] = {pg_int_param(row->database_id, id), pg_time_param(row->dropped_at, a),
                       pg_time_param(row->confirmed_at, c), row->source, row->source_record_id};
    long rows = 0;
    TlResult rc = pg_query_count(conn, "record a drop", sql, 5, p, &rows, err);
    *added = rows == 1;
    return rc;
}
