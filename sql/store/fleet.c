/* fleet.c - loading the fleet (see fleet.h). Three ordered results
 * (lineages, transitions, usage) are sliced per lineage by database id. */
#include "sql/store/fleet.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/history.h"
#include "sql/store/facts_sql.h"

// clang-format off
/* a page: the lineages with $2 < id, at most $3 of them (NULL: all) */
#define DB_PAGE(page)                                                                              \
    "SELECT d.id, d.resource_id, d.subscription_id, d.resource_group, d.server_name,"              \
    "       d.database_name, extract(epoch FROM d.created_at)::bigint AS created,"                 \
    "       extract(epoch FROM (SELECT min(n.created_at) FROM databases n"                         \
    "                            WHERE n.resource_key = d.resource_key"                            \
    "                              AND n.created_at > d.created_at))::bigint AS next_created,"     \
    "       s.display_name AS subscription_name, f.*"                                              \
    "  FROM (" page ") d"                                                                          \
    "  LEFT JOIN subscriptions s ON s.subscription_id = lower(d.subscription_id)"                  \
    "  LEFT JOIN LATERAL (" FACTS_NEAREST("d.id", "$1::bigint") ") f ON true"                      \
    " ORDER BY d.id"
static const char sql_db[] =
    DB_PAGE("SELECT * FROM databases WHERE created_at < to_timestamp($1::bigint)"
            "   AND id > $2::bigint ORDER BY id LIMIT $3::bigint");
/* ...of the change set, driven by its key */
static const char sql_db_changed[] =
    DB_PAGE("SELECT d.* FROM refresh_todo x JOIN databases d ON d.id = x.id"
            " WHERE d.created_at < to_timestamp($1::bigint) AND x.id > $2::bigint"
            " ORDER BY x.id LIMIT $3::bigint");
/* the transitions and usage of the page's lineages: ids in (first, last] */
#define TR_RANGE(first, last, only)                                                                \
    "SELECT t.database_id, " PG_TRANSITION_COLUMNS                                                 \
    "  FROM current_transitions t JOIN databases d ON d.id = t.database_id"                        \
    " WHERE d.created_at < to_timestamp($1::bigint)"                                               \
    "   AND t.database_id > " first " AND t.database_id <= " last only                             \
    "   AND d.id > " first " AND d.id <= " last /* the page's range, not a scan of all */          \
    " ORDER BY t.database_id, t.started_at, t.id"
#define TR_PAGE(last, only) TR_RANGE("$2::bigint", last, only)
/* ...with the page's last id as $3 */
static const char sql_tr[] = TR_PAGE("$3::bigint", "");
/* the limit-th lineage's id after `after` (NULL: the page is empty; an
 * index scan of the page's ids, about 1 ms), for a statement to find its
 * part of a page without waiting for the page's lineages */
#define PAGE_LAST(to, after, limit)                                                                \
    "(SELECT max(id) FROM (SELECT id FROM databases"                                               \
    "  WHERE created_at < to_timestamp(" to "::bigint) AND id > " after "::bigint"                 \
    "  ORDER BY id LIMIT " limit "::bigint) p)"
/* a part of a page: its lineages from the ($3 + 1)-th to the $4-th (of those
 * of sql_db's $1 and $2; $3 = 0: from the first) */
#define PART_FIRST(to, after, from) "coalesce(" PAGE_LAST(to, after, from) ", " after "::bigint)"
static const char sql_tr_part[] =
    TR_RANGE(PART_FIRST("$1", "$2", "$3"), PAGE_LAST("$1", "$2", "$4"), "");
/* ...of the change set's page, by its ids ($4): a parameter, not a join, so
 * that it reaches the index scan under current_transitions' DISTINCT ON
 * (a semi-join with refresh_todo read the whole range: 0.5 s a page), and
 * the lineages' too (the range alone read every lineage of a page that
 * spans most of the fleet: 86,000 for 500 changed at 100k, 71 ms) */
static const char sql_tr_changed[] =
    TR_PAGE("$3::bigint", " AND t.database_id = ANY($4::bigint[]) AND d.id = ANY($4::bigint[])");
/* the usage rows of the window: every row, in no order; for a page
 * usage_order sorts them and keeps the collector's of each day (a sort on
 * the server was a third of the query's time: 3.0 against 2.1 s for 100,000
 * lineages' 20 days) */
#define USAGE_PAGE(range)                                                                          \
    "SELECT database_id, extract(epoch FROM day::timestamp)::bigint AS day,"                      \
    "       source = 'collector' AS by_collector, full_bytes, diff_bytes, log_bytes,"             \
    "       snapshot_bytes, allocated_bytes, max_size_bytes, redundancy, region,"                 \
    "       elastic_pool_id, tags::text AS tags"                                                  \
    "  FROM backup_usage"                                                                         \
    " WHERE day >= to_timestamp($1::bigint)::date AND day < to_timestamp($2::bigint)::date"       \
    range
/* ...one row a day, the collector's first (for the pools' days) */
#define USAGE_ROWS(range)                                                                          \
    "SELECT DISTINCT ON (database_id, day) * FROM (" USAGE_PAGE(range) ") r"                      \
    " ORDER BY database_id, day, by_collector DESC"
#define USAGE_RANGE " AND database_id > $3::bigint AND database_id <= $4::bigint"
static const char sql_usage[] = USAGE_PAGE(USAGE_RANGE);
/* ...of a part of a page: as sql_tr_part's, with sql_db's $1 and $2 as $3
 * and $4 */
static const char sql_usage_part[] =
    USAGE_PAGE(" AND database_id > " PART_FIRST("$3", "$4", "$5") " AND database_id <= " PAGE_LAST(
        "$3", "$4", "$6"));
static const char sql_usage_before[] = USAGE_PAGE(" AND database_id = ANY($3::bigint[])");
static const char sql_usage_changed[] =
    USAGE_PAGE(USAGE_RANGE " AND database_id = ANY($5::bigint[])");
/* B1 at pool level across pages: each pool's day, over the rows the pages
 * read (of lineages created before $3) */
#define POOLS(only)                                                                                \
    "SELECT elastic_pool_id AS pool, day,"                                                         \
    "       sum(coalesce(full_bytes, 0) + coalesce(diff_bytes, 0) + coalesce(log_bytes, 0))::float8"\
    "           AS backup_bytes,"                                                                  \
    "       greatest(coalesce(max(max_size_bytes), 0), 0)::float8 AS max_bytes"                    \
    "  FROM (" USAGE_ROWS(" AND database_id IN (SELECT id FROM databases"                          \
                          "  WHERE created_at < to_timestamp($3::bigint))"                         \
                          /* only the days some row puts in a pool (index backup_usage_pool) */    \
                          " AND (database_id, day) IN (SELECT p.database_id, p.day"                \
                          "  FROM backup_usage p WHERE p.elastic_pool_id <> ''"                    \
                          "   AND p.day >= to_timestamp($1::bigint)::date"                         \
                          "   AND p.day < to_timestamp($2::bigint)::date)" only) ") u"             \
    " WHERE elastic_pool_id <> ''"                                                                 \
    " GROUP BY 1, 2 ORDER BY elastic_pool_id COLLATE \"C\", day"
static const char sql_pools[] = POOLS("");
static const char sql_pools_changed[] =
    POOLS(" AND elastic_pool_id IN (SELECT pool FROM refresh_pools)");
// clang-format on

static TlResult decode_databases(Fleet *out, TlError *err)
{
    static const char *const names[] = {"id",
                                        "resource_id",
                                        "subscription_id",
                                        "resource_group",
                                        "server_name",
                                        "database_name",
                                        "created",
                                        "next_created",
                                        "subscription_name"};
    enum { C_ID, C_RES, C_SUB, C_RG, C_SERVER, C_NAME, C_CREATED, C_NEXT, C_SUBNAME };
    const PGresult *r = out->res_db;
    int col[9];
    FactsColumns fc = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
    TlResult rc = pg_columns(r, "load databases", names, 9, col, err);
    if (!rc)
        rc = facts_columns(r, &fc, err);
    for (int i = 0; i < PQntuples(r) && !rc; i++) {
        FleetDatabase *d = &out->db[out->n++];
        StoreFacts f;
        pg_get_int64(r, i, col[C_ID], &d->id);
        d->resource_id = PQgetvalue(r, i, col[C_RES]);
        d->subscription = PQgetvalue(r, i, col[C_SUB]);
        d->subscription_name =
            PQgetisnull(r, i, col[C_SUBNAME]) ? NULL : PQgetvalue(r, i, col[C_SUBNAME]);
        d->resource_group = PQgetvalue(r, i, col[C_RG]);
        d->server_name = PQgetvalue(r, i, col[C_SERVER]);
        d->database_name = PQgetvalue(r, i, col[C_NAME]);
        d->created_at = pg_time(r, i, col[C_CREATED]);
        d->next_created = pg_time(r, i, col[C_NEXT]);
        facts_decode(r, i, &fc, &f);
        d->facts = f.facts;
        d->retention_days = f.retention_days;
    }
    return rc;
}

/* The lineage of database id `id`, searching forward from *k (both results
 * are ordered by id), or NULL when it is not one of the fleet's. */
static FleetDatabase *lineage_of(Fleet *f, size_t *k, long long id)
{
    while (*k < f->n && f->db[*k].id < id)
        (*k)++;
    return *k < f->n && f->db[*k].id == id ? &f->db[*k] : NULL;
}

/* The page's transitions, from its one or two parts (res_tr, in id order). */
static TlResult decode_transitions(Fleet *out, TlError *err)
{
    TlResult rc = TL_OK;
    size_t k = 0, at = 0;
    for (int part = 0; part < 2 && !rc; part++) {
        const PGresult *r = out->res_tr[part];
        if (!r)
            continue;
        PgTransitionColumns col;
        int c_db = PQfnumber(r, "database_id");
        rc = pg_transition_columns(r, &col, err);
        for (int i = 0; i < PQntuples(r) && !rc; i++) {
            long long id;
            pg_get_int64(r, i, c_db, &id);
            FleetDatabase *db = lineage_of(out, &k, id);
            if (!db)
                continue;
            TlTransition *t = &out->transitions[at++];
            rc = pg_transition_decode(r, i, &col, t, err);
            if (!db->tr)
                db->tr = t;
            db->n_tr++;
        }
    }
    for (size_t d = 0; d < out->n && !rc; d++)
        history_sort(out->db[d].tr, out->db[d].n_tr);
    return rc;
}

static const char *const usage_names[] = {"database_id",
                                          "day",
                                          "by_collector",
                                          "full_bytes",
                                          "diff_bytes",
                                          "log_bytes",
                                          "snapshot_bytes",
                                          "allocated_bytes",
                                          "max_size_bytes",
                                          "redundancy",
                                          "region",
                                          "elastic_pool_id",
                                          "tags"};
enum {
    C_DB,
    C_DAY,
    C_BY_COLLECTOR,
    C_FULL,
    C_DIFF,
    C_LOG,
    C_SNAP,
    C_ALLOC,
    C_MAX,
    C_RED,
    C_REGION,
    C_POOL,
    C_TAGS,
    N_USAGE_COLUMNS
};

static TlUsageDay usage_row(const PGresult *r, int i, const int *col)
{
    return (TlUsageDay){.day = pg_time(r, i, col[C_DAY]),
                        .full_bytes = pg_bytes(r, i, col[C_FULL]),
                        .diff_bytes = pg_bytes(r, i, col[C_DIFF]),
                        .log_bytes = pg_bytes(r, i, col[C_LOG]),
                        .snapshot_bytes = pg_bytes(r, i, col[C_SNAP]),
                        .allocated_bytes = pg_bytes(r, i, col[C_ALLOC]),
                        .max_size_bytes = pg_bytes(r, i, col[C_MAX]),
                        .redundancy = pg_text(r, i, col[C_RED]),
                        .elastic_pool_id = pg_text(r, i, col[C_POOL]),
                        .pool_share_bytes = TL_BYTES_UNKNOWN};
}

static long long row_id(const PGresult *r, int i, int col)
{
    long long id = 0;
    pg_get_int64(r, i, col, &id);
    return id;
}

/* A usage result in (lineage, day) order, one row a day (the collector's
 * before an import's): rows[0..n) are the result's row numbers, ids[k] the
 * lineage of rows[k]. */
typedef struct {
    const PGresult *res;
    int col[N_USAGE_COLUMNS];
    int *rows;
    long long *ids;
    size_t n;
} UsageOrder;

typedef struct {
    long long id;
    TlTime day;
    int rank; /* 0 the collector's, 1 an import's */
    int row;
} UsageKey;

static int usage_key_cmp(const void *a, const void *b)
{
    const UsageKey *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    if (x->day != y->day)
        return x->day < y->day ? -1 : 1;
    return x->rank - y->rank;
}

static void usage_order_cleanup(UsageOrder *o)
{
    free(o->rows);
    free(o->ids);
    memset(o, 0, sizeof *o);
}

static TlResult usage_order(const PGresult *res, UsageOrder *o, TlError *err)
{
    memset(o, 0, sizeof *o);
    o->res = res;
    if (!res)
        return TL_OK;
    TlResult rc = pg_columns(res, "load usage", usage_names, N_USAGE_COLUMNS, o->col, err);
    size_t n = rc ? 0 : (size_t)PQntuples(res);
    UsageKey *keys = rc ? NULL : malloc((n ? n : 1) * sizeof *keys);
    o->rows = rc ? NULL : malloc((n ? n : 1) * sizeof *o->rows);
    o->ids = rc ? NULL : malloc((n ? n : 1) * sizeof *o->ids);
    if (!rc && (!keys || !o->rows || !o->ids))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        int row = (int)i;
        keys[i] = (UsageKey){row_id(res, row, o->col[C_DB]), pg_time(res, row, o->col[C_DAY]),
                             !pg_bool(res, row, o->col[C_BY_COLLECTOR]), row};
    }
    if (!rc)
        qsort(keys, n, sizeof *keys, usage_key_cmp);
    for (size_t i = 0; i < n && !rc; i++) {
        if (i > 0 && keys[i].id == keys[i - 1].id && keys[i].day == keys[i - 1].day)
            continue; /* the day's import row, under the collector's */
        o->rows[o->n] = keys[i].row;
        o->ids[o->n++] = keys[i].id;
    }
    free(keys);
    if (rc)
        usage_order_cleanup(o);
    return rc;
}

/* The page's lineages that need their days before w->usage_month
 * (billing_reads_before, from each one's first row of the month), read
 * into out->res_before: by their ids, or the page's whole range (after,
 * last] when they are most of the ids it spans (a lineage that does not
 * need them bills the same with them). A change set's page is sparse: its
 * range holds many lineages it does not read (at 100k, 500 changed ones
 * spanned 86,000, whose days the range read: 305 ms for none needed). */
static TlResult read_before(StoreConn *conn, const FleetWindow *w, const char *const *range,
                            const UsageOrder *month, Fleet *out, TlError *err)
{
    size_t cap = 2 + out->n * 21, len = 0, n_ids = 0, at[2] = {0, 0};
    char *ids = malloc(cap);
    TlResult rc = ids ? TL_OK : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t d = 0; d < out->n && !rc; d++) {
        const FleetDatabase *db = &out->db[d];
        TlUsageDay first;
        bool has = false;
        for (int m = 0; m < 2; m++) { /* its rows are in one of the page's parts */
            const UsageOrder *o = &month[m];
            size_t *i = &at[m];
            while (*i < o->n && o->ids[*i] < db->id)
                (*i)++;
            if (!has && *i < o->n && o->ids[*i] == db->id) {
                first = usage_row(o->res, o->rows[*i], o->col);
                has = true;
            }
        }
        if (billing_reads_before(db->tr, db->n_tr, has ? &first : NULL, w->usage_month,
                                 TL_TIME_NONE)) {
            len += (size_t)snprintf(ids + len, cap - len, "%s%lld", n_ids ? "," : "{", db->id);
            n_ids++;
        }
    }
    if (!rc && n_ids > 0) {
        snprintf(ids + len, cap - len, "}");
        char a[24], b[24];
        long long span = strtoll(range[1], NULL, 10) - strtoll(range[0], NULL, 10); /* its ids */
        bool most = (long long)n_ids * 2 > span;
        const char *p[] = {pg_time_param(w->usage_from, a), pg_time_param(w->usage_month, b),
                           most ? range[0] : ids, range[1]};
        rc = pg_query(conn, "load usage before the month", most ? sql_usage : sql_usage_before,
                      most ? 4 : 3, p, &out->res_before, err);
    }
    free(ids);
    return rc;
}

/* The page's usage: each lineage's days before the month (from res_before,
 * when read) then its days of the window (res_usage, in one part or the
 * other), each in day order. */
static void decode_usage(Fleet *out, const UsageOrder *before, const UsageOrder *window)
{
    const UsageOrder *in[3] = {before, &window[0], &window[1]};
    size_t at[3] = {0, 0, 0};
    for (size_t d = 0; d < out->n; d++) {
        FleetDatabase *db = &out->db[d];
        for (int s = 0; s < 3; s++) {
            const UsageOrder *o = in[s];
            while (at[s] < o->n && o->ids[at[s]] < db->id)
                at[s]++;
            for (; at[s] < o->n && o->ids[at[s]] == db->id; at[s]++) {
                int row = o->rows[at[s]];
                TlUsageDay *u = &out->usage[out->n_usage++];
                *u = usage_row(o->res, row, o->col);
                if (!db->usage)
                    db->usage = u;
                db->n_usage++;
                if (pg_text(o->res, row, o->col[C_REGION]))
                    db->region = pg_text(o->res, row, o->col[C_REGION]);
                if (pg_text(o->res, row, o->col[C_TAGS]))
                    db->tags = pg_text(o->res, row, o->col[C_TAGS]);
            }
        }
    }
}

/* The connections a page is read on: a alone, or a and b at once (b NULL:
 * one). */
typedef struct {
    StoreConn *a, *b;
} FleetConns;

/* Of a page read on two connections, the share of its lineages whose
 * transitions and usage b reads, in percent: a reads the lineages first,
 * then the rest, so that both finish together (at 100k the lineages took
 * half the time of their transitions, an eighth of their transitions' and
 * month of usage's). */
#define B_SHARE_TR    75
#define B_SHARE_USAGE 60

/* The page's lineages, transitions and window of usage: on c->a one
 * statement after the other (the change set's by the page's ids), or on
 * both connections at once, each reading its part of the page. */
static TlResult page_results(const FleetConns *c, const FleetWindow *w, const char *const *p1,
                             size_t limit, const char *const *p4, Fleet *out, PgArray *ids,
                             char *last_text, TlError *err)
{
    bool usage = w->usage_from < w->usage_to;
    if (c->b) {
        char split[24];
        const char *limit_text = p1[2];
        /* the page's lineages 1..split on b, split+1..limit on a */
        if (limit)
            pg_int_param((long long)(limit * (usage ? B_SHARE_USAGE : B_SHARE_TR) / 100), split);
        const char *tr_b[] = {p1[0], p1[1], "0", limit ? split : NULL};
        const char *tr_a[] = {p1[0], p1[1], limit ? split : NULL, limit_text};
        const char *u_b[] = {p4[0], p4[1], p1[0], p1[1], "0", limit ? split : NULL};
        const char *u_a[] = {p4[0], p4[1], p1[0], p1[1], limit ? split : NULL, limit_text};
        PgStatement st[] = {
            {c->a, "load databases", sql_db, 3, p1, &out->res_db, false, false},
            {c->b, "load transitions", sql_tr_part, 4, tr_b, &out->res_tr[0], false, false},
            {c->a, "load transitions", sql_tr_part, 4, tr_a, &out->res_tr[1], false, false},
            {c->b, "load usage", sql_usage_part, 6, u_b, &out->res_usage[0], false, false},
            {c->a, "load usage", sql_usage_part, 6, u_a, &out->res_usage[1], false, false},
        };
        TlResult rc = pg_run_together(st, usage ? 5 : 3, err);
        int n_db = rc ? 0 : PQntuples(out->res_db);
        long long last = 0;
        if (n_db > 0)
            pg_get_int64(out->res_db, n_db - 1, PQfnumber(out->res_db, "id"), &last);
        pg_int_param(last, last_text);
        return rc;
    }
    TlResult rc = pg_query(c->a, "load databases", w->changed_only ? sql_db_changed : sql_db, 3, p1,
                           &out->res_db, err);
    if (rc)
        return rc;
    int n_db = PQntuples(out->res_db);
    long long last = 0;
    int c_id = PQfnumber(out->res_db, "id");
    if (n_db > 0)
        pg_get_int64(out->res_db, n_db - 1, c_id, &last);
    pg_int_param(last, last_text);
    /* the change set's page: its lineages' ids */
    for (int i = 0; w->changed_only && i < n_db; i++) {
        long long id = 0;
        pg_get_int64(out->res_db, i, c_id, &id);
        pg_array_add_int(ids, id);
    }
    const char *ids_text = w->changed_only ? pg_array_finish(ids) : NULL;
    if (w->changed_only && !ids_text)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    const char *p2[] = {p1[0], p1[1], last_text, ids_text};
    const char *p3[] = {p4[0], p4[1], p1[1], last_text, ids_text};
    if (n_db > 0)
        rc = pg_query(c->a, "load transitions", w->changed_only ? sql_tr_changed : sql_tr,
                      w->changed_only ? 4 : 3, p2, &out->res_tr[0], err);
    if (!rc && n_db > 0 && usage)
        rc = pg_query(c->a, "load usage", w->changed_only ? sql_usage_changed : sql_usage,
                      w->changed_only ? 5 : 4, p3, &out->res_usage[0], err);
    return rc;
}

/* store_fleet_page, on the connections of c */
static TlResult fleet_page(const FleetConns *c, const FleetWindow *w, long long after, size_t limit,
                           const StorePools *pools, Fleet *out, TlError *err)
{
    char to_text[24], from_text[24], uto_text[24], after_text[24], limit_text[24], last_text[24];
    const char *p1[] = {pg_time_param(w->to, to_text), pg_int_param(after, after_text),
                        limit ? pg_int_param((long long)limit, limit_text) : NULL};
    memset(out, 0, sizeof *out);
    /* the month's days for all (from usage_month on), the days before for some */
    bool split = w->usage_month > w->usage_from && w->usage_month < w->usage_to;
    const char *p4[] = {pg_time_param(split ? w->usage_month : w->usage_from, from_text),
                        pg_time_param(w->usage_to, uto_text)};
    PgArray ids = {0};
    TlResult rc = page_results(c, w, p1, limit, p4, out, &ids, last_text, err);
    pg_array_cleanup(&ids);
    int n_db = rc ? 0 : PQntuples(out->res_db);
    int n_tr = 0;
    for (int part = 0; part < 2 && !rc; part++)
        n_tr += out->res_tr[part] ? PQntuples(out->res_tr[part]) : 0;
    out->db = rc ? NULL : calloc(n_db > 0 ? (size_t)n_db : 1, sizeof *out->db);
    out->transitions = rc ? NULL : calloc(n_tr > 0 ? (size_t)n_tr : 1, sizeof *out->transitions);
    if (!rc && (!out->db || !out->transitions))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = decode_databases(out, err);
    if (!rc)
        rc = decode_transitions(out, err);
    UsageOrder window[2] = {{0}, {0}}, before = {0};
    for (int part = 0; part < 2 && !rc; part++)
        rc = usage_order(out->res_usage[part], &window[part], err);
    const char *range[] = {p1[1], last_text};
    if (!rc && split && out->res_usage[0] && n_db > 0)
        rc = read_before(c->b ? c->b : c->a, w, range, window, out, err);
    if (!rc)
        rc = usage_order(out->res_before, &before, err);
    if (!rc && !(out->usage = calloc(window[0].n + window[1].n + before.n + 1, sizeof *out->usage)))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    if (!rc)
        decode_usage(out, &before, window);
    usage_order_cleanup(&window[0]);
    usage_order_cleanup(&window[1]);
    usage_order_cleanup(&before);
    if (!rc)
        rc = pools ? billing_pool_shares(out->usage, out->n_usage, pools->days, pools->n, err)
                   : billing_pool_allowance(out->usage, out->n_usage, err);
    return rc;
}

TlResult store_fleet_page(StoreConn *conn, const FleetWindow *w, long long after, size_t limit,
                          const StorePools *pools, Fleet *out, TlError *err)
{
    const FleetConns one = {conn, NULL};
    return fleet_page(&one, w, after, limit, pools, out, err);
}

/* ---- the pages read ahead ------------------------------------------------ */

struct FleetReader {
    StoreConn *conn;
    StoreConn *twin[2]; /* connections on conn's snapshot, or NULL */
    FleetConns on;      /* which reads what */
    FleetWindow w;
    size_t limit;
    const StorePools *pools;
    long long after; /* the next page starts after this id */
    bool end;        /* the last page given was empty, or failed */
    bool running;    /* `thread` is reading `ahead` (the connection is its) */
    bool have_ahead; /* ahead (or its failure) is in */
    pthread_t thread;
    Fleet ahead;
    TlResult ahead_rc;
    TlError ahead_err;
};

static void *read_ahead(void *arg)
{
    FleetReader *r = arg;
    r->ahead_rc = fleet_page(&r->on, &r->w, r->after, r->limit, r->pools, &r->ahead, &r->ahead_err);
    return NULL;
}

TlResult store_fleet_reader_new(StoreConn *conn, const FleetWindow *w, size_t limit,
                                const StorePools *pools, FleetReader **out, TlError *err)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    FleetReader *r = *out;
    *r = (FleetReader){.conn = conn, .on = {conn, NULL}, .w = *w, .limit = limit, .pools = pools};
    /* Two more connections on conn's snapshot, when conn is in a transaction
     * to share and the server gives them: each page is split between them
     * (page_results), and conn is the caller's all along (refresh writes a
     * page while the next is read). With one, it reads the pages alone;
     * with none, conn reads all, one query after the other. The change set
     * is a temporary table of conn's: conn reads it. */
    TlError twin_err;
    TlResult twin_rc = TL_OK;
    bool share = !w->changed_only && PQtransactionStatus(conn) == PQTRANS_INTRANS;
    for (int i = 0; i < 2 && share && !twin_rc; i++)
        twin_rc = store_twin(conn, &r->twin[i], &twin_err);
    /* a refused connection: conn (or the first twin) reads what it would
     * have; a failed export took conn's transaction with it */
    if (share && twin_rc && PQtransactionStatus(conn) != PQTRANS_INTRANS) {
        store_fleet_reader_free(r);
        *out = NULL;
        if (err)
            *err = twin_err;
        return twin_rc;
    }
    if (r->twin[0])
        r->on = (FleetConns){r->twin[0], r->twin[1]};
    return TL_OK;
}

/* Wait for the page being read ahead. */
static void join(FleetReader *r)
{
    if (r->running) {
        pthread_join(r->thread, NULL);
        r->running = false;
        r->have_ahead = true;
    }
}

void store_fleet_pause(FleetReader *r)
{
    if (r && r->on.a == r->conn) /* else conn is not the reader's */
        join(r);
}

TlResult store_fleet_next(FleetReader *r, Fleet *page, TlError *err)
{
    memset(page, 0, sizeof *page);
    if (r->end)
        return TL_OK;
    join(r);
    TlResult rc;
    if (r->have_ahead) {
        *page = r->ahead;
        rc = r->ahead_rc;
        if (rc && err)
            *err = r->ahead_err;
        memset(&r->ahead, 0, sizeof r->ahead);
        r->have_ahead = false;
    } else {
        rc = fleet_page(&r->on, &r->w, r->after, r->limit, r->pools, page, err);
    }
    if (rc || page->n == 0) {
        r->end = true;
        return rc;
    }
    r->after = page->db[page->n - 1].id;
    /* the next page while the caller works on this one (without a thread,
     * the next call reads it itself) */
    r->running = pthread_create(&r->thread, NULL, read_ahead, r) == 0;
    return TL_OK;
}

void store_fleet_reader_free(FleetReader *r)
{
    if (!r)
        return;
    join(r);
    store_fleet_cleanup(&r->ahead);
    store_close(r->twin[0]);
    store_close(r->twin[1]);
    free(r);
}

TlResult store_pools_load(StoreConn *conn, const FleetWindow *w, StorePools *out, TlError *err)
{
    char a[24], b[24], c[24];
    const char *p[] = {pg_time_param(w->usage_from, a), pg_time_param(w->usage_to, b),
                       pg_time_param(w->to, c)};
    memset(out, 0, sizeof *out);
    TlResult rc = pg_query(conn, "total the elastic pools",
                           w->changed_only ? sql_pools_changed : sql_pools, 3, p, &out->res, err);
    int n = rc ? 0 : PQntuples(out->res);
    if (!rc && !(out->days = calloc(n ? (size_t)n : 1, sizeof *out->days)))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (int i = 0; !rc && i < n; i++) {
        TlPoolDay *d = &out->days[out->n++];
        d->pool = PQgetvalue(out->res, i, 0);
        d->day = pg_time(out->res, i, 1);
        d->backup_bytes = strtod(PQgetvalue(out->res, i, 2), NULL);
        d->max_bytes = strtod(PQgetvalue(out->res, i, 3), NULL);
    }
    return rc;
}

void store_pools_cleanup(StorePools *pools)
{
    PQclear(pools->res);
    free(pools->days);
    memset(pools, 0, sizeof *pools);
}

void store_fleet_cleanup(Fleet *fleet)
{
    if (!fleet)
        return;
    PQclear(fleet->res_db);
    for (int part = 0; part < 2; part++) {
        PQclear(fleet->res_tr[part]);
        PQclear(fleet->res_usage[part]);
    }
    PQclear(fleet->res_before);
    free(fleet->db);
    free(fleet->transitions);
    free(fleet->usage);
    memset(fleet, 0, sizeof *fleet);
}

TlResult store_usage_regions(StoreConn *conn, TlTime now, char (*out)[64], size_t cap, size_t *n,
                             TlError *err)
{
    static const char sql[] = "SELECT DISTINCT lower(region) AS region FROM backup_usage"
                              " WHERE region <> '' AND day >= to_timestamp($1::bigint)::date - 40"
                              " ORDER BY 1 LIMIT $2::bigint";
    char at[24], limit[24];
    snprintf(limit, sizeof limit, "%zu", cap);
    const char *params[] = {pg_time_param(now, at), limit};
    PGresult *res;
    *n = 0;
    TlResult rc = pg_query(conn, "list the regions of the usage", sql, 2, params, &res, err);
    if (rc)
        return rc;
    int col = PQfnumber(res, "region");
    for (int i = 0; i < PQntuples(res) && *n < cap && col >= 0; i++)
        snprintf(out[(*n)++], 64, "%s", PQgetvalue(res, i, col));
    PQclear(res);
    return TL_OK;
}
