/* mi.c - Managed Instance events (see mi.h). */
#include "sql/store/mi.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sql/store/pg.h"

#define MI_VALUES                                                                                  \
    "resource_id, event, at, state, operation_id, initiated_by, origin, source_server,"            \
    " source_database, earliest_restore_point, retention_days, tier, vcores, storage_size_gb,"     \
    " redundancy, database_format, tde_protected, compatibility_level, detail, ltr_weekly,"        \
    " ltr_monthly, ltr_yearly, ltr_week_of_year, data_bytes, log_bytes_per_day"
/* the identity of an event (the unique index of migration 0020) */
#define MI_SAME(a, b)                                                                              \
    a ".resource_key = " b ".resource_key AND " a ".event = " b ".event AND " a ".at = " b         \
      ".at AND coalesce(lower(" a ".detail), '') = coalesce(lower(" b ".detail), '')"
#define MI_ROW(a)                                                                                  \
    "(" a ".state, " a ".operation_id, " a ".initiated_by, " a ".origin, " a ".source_server, " a  \
    ".source_database, " a ".earliest_restore_point, " a ".retention_days, " a ".tier, " a         \
    ".vcores, " a ".storage_size_gb, " a ".redundancy, " a ".database_format, " a                  \
    ".tde_protected, " a ".compatibility_level, " a ".detail, " a ".ltr_weekly, " a                \
    ".ltr_monthly, " a ".ltr_yearly, " a ".ltr_week_of_year, " a ".data_bytes, " a                 \
    ".log_bytes_per_day)"

static const char stage_sql[] =
    "CREATE TEMP TABLE mi_stage (line integer NOT NULL, resource_id text NOT NULL,"
    " event text NOT NULL, at timestamptz NOT NULL, state text, operation_id text,"
    " initiated_by text, origin text, source_server text, source_database text,"
    " earliest_restore_point timestamptz, retention_days integer, tier text, vcores integer,"
    " storage_size_gb integer, redundancy text, database_format text, tde_protected boolean,"
    " compatibility_level integer, detail text, ltr_weekly text, ltr_monthly text,"
    " ltr_yearly text, ltr_week_of_year integer, data_bytes bigint, log_bytes_per_day bigint,"
    " resource_key text GENERATED ALWAYS AS (lower(resource_id)) STORED) ON COMMIT DROP";
static const char copy_sql[] = "COPY mi_stage (line, " MI_VALUES ") FROM STDIN";
/* a row that says otherwise than a recorded event, or than an earlier row, of the same identity */
static const char conflict_sql[] =
    "SELECT line, what, resource_id FROM ("
    " SELECT s.line, 'recorded' AS what, s.resource_id FROM mi_stage s JOIN mi_events e "
    "ON " MI_SAME("e", "s") " WHERE " MI_ROW("e") " IS DISTINCT FROM " MI_ROW(
        "s") " UNION ALL"
             " SELECT b.line, 'file', b.resource_id FROM mi_stage a JOIN mi_stage b "
             "ON " MI_SAME("a", "b") " AND a.line < b.line WHERE " MI_ROW(
                 "a") " IS DISTINCT FROM " MI_ROW("b") ") c ORDER BY line LIMIT 1";
/* the events new to the store, each once */
static const char new_sql[] =
    "CREATE TEMP TABLE mi_new ON COMMIT DROP AS"
    " SELECT DISTINCT ON (s.resource_key, s.event, s.at, coalesce(lower(s.detail), '')) s.*"
    "   FROM mi_stage s WHERE NOT EXISTS (SELECT 1 FROM mi_events e WHERE " MI_SAME(
        "e", "s") ")"
                  "  ORDER BY s.resource_key, s.event, s.at, coalesce(lower(s.detail), ''), s.line";
/* every database the new events touch, with all its events, recorded and
 * new, and for a move's (or copy's) destination a `created` of origin move
 * (copy) at the completion, in time order */
static const char check_sql[] =
    "DECLARE mi_check NO SCROLL CURSOR FOR"
    " WITH keys AS (SELECT resource_key AS key FROM mi_new WHERE resource_id ~* '/databases/'"
    "               UNION SELECT lower(detail) FROM mi_new WHERE event = 'move_completed'),"
    " moved AS (SELECT detail, at, origin FROM mi_new WHERE event = 'move_completed'"
    "           UNION ALL SELECT detail, at, origin FROM mi_events WHERE event = 'move_completed'),"
    " ev AS (SELECT resource_key AS key, resource_id, event, at, origin, earliest_restore_point,"
    "               retention_days, detail, line, 2 AS ord, 0::bigint AS id,"
    "               NULL::timestamptz AS not_before FROM mi_new"
    "         WHERE resource_key IN (SELECT key FROM keys)"
    "        UNION ALL SELECT resource_key, resource_id, event, at, origin, earliest_restore_point,"
    "               retention_days, detail, 0, 1, id, not_before FROM mi_events"
    "         WHERE resource_key IN (SELECT key FROM keys)"
    "        UNION ALL SELECT lower(detail), detail, 'created', at,"
    "               CASE WHEN origin = 'copy' THEN 'copy' ELSE 'move' END, NULL, NULL, NULL, 0, 0,"
    "               0, NULL"
    "          FROM moved WHERE lower(detail) IN (SELECT key FROM keys))"
    " SELECT key, resource_id, event, extract(epoch FROM at)::bigint AS at, origin,"
    "        extract(epoch FROM earliest_restore_point)::bigint AS erp, retention_days, detail,"
    "        line, extract(epoch FROM not_before)::bigint AS not_before"
    "   FROM ev ORDER BY key, at, ord, id, line";
static const char insert_sql[] =
    "INSERT INTO mi_events (" MI_VALUES ", source, source_file, source_line)"
    " SELECT " MI_VALUES ", 'import', $1, line FROM mi_new ORDER BY line";
static const char lineages_sql[] =
    "SELECT count(*) FROM mi_new WHERE event IN ('created', 'migration_started')";

struct StoreMiStage {
    PGconn *conn;
    PgCopy copy;
};

TlResult store_mi_stage_begin(StoreConn *conn, StoreMiStage **out, TlError *err)
{
    StoreMiStage *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    s->conn = conn;
    TlResult rc = pg_stage_begin(conn, "stage the MI events", stage_sql, copy_sql, &s->copy, err);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return TL_OK;
}

void store_mi_stage_row(StoreMiStage *s, int line, const char *const *values)
{
    pg_copy_int(&s->copy, line);
    for (int k = 0; k < STORE_MI_COLUMNS; k++)
        pg_copy_field(&s->copy, values[k]);
    pg_copy_end_row(&s->copy);
}

void store_mi_stage_free(StoreMiStage *s)
{
    if (!s)
        return;
    pg_copy_abort(&s->copy);
    free(s);
}

/* ---- the check: a database at a time ---------------------------------------- */

/* One database's events while they are checked; strings are copies. */
typedef struct {
    TlMiEvent *ev;
    int *line;
    char **owned;
    size_t n, cap;
    char key[1024];
} Group;

static void group_clear(Group *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->owned[2 * i]);
        free(g->owned[2 * i + 1]);
    }
    g->n = 0;
}

static void group_free(Group *g)
{
    group_clear(g);
    free(g->ev);
    free(g->line);
    free(g->owned);
}

static char *dup_or_null(const PGresult *r, int row, int col, bool *ok)
{
    if (PQgetisnull(r, row, col))
        return NULL;
    char *s = strdup(PQgetvalue(r, row, col));
    *ok = *ok && s;
    return s;
}

static TlResult group_add(Group *g, const PGresult *r, int row, const int *col, TlError *err)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 32;
        TlMiEvent *ev = realloc(g->ev, cap * sizeof *ev);
        if (ev)
            g->ev = ev;
        int *line = ev ? realloc(g->line, cap * sizeof *line) : NULL;
        if (line)
            g->line = line;
        char **owned = line ? realloc(g->owned, 2 * cap * sizeof *owned) : NULL;
        if (!owned)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        g->owned = owned;
        g->cap = cap;
    }
    bool ok = true;
    char *id = dup_or_null(r, row, col[1], &ok), *detail = dup_or_null(r, row, col[7], &ok);
    g->owned[2 * g->n] = id;
    g->owned[2 * g->n + 1] = detail;
    TlMiEvent *e = &g->ev[g->n];
    *e = mi_event_blank(TL_MI_EV_CREATED, pg_time(r, row, col[3]));
    e->resource_id = id;
    e->restore_point = pg_time(r, row, col[5]);
    if (!PQgetisnull(r, row, col[6]))
        e->retention_days = atoi(PQgetvalue(r, row, col[6]));
    e->detail = detail;
    e->bounded = !PQgetisnull(r, row, col[9]);
    e->not_before = pg_time(r, row, col[9]);
    mi_event_parse(PQgetvalue(r, row, col[2]), &e->kind);
    if (!PQgetisnull(r, row, col[4]))
        mi_origin_parse(PQgetvalue(r, row, col[4]), &e->origin);
    g->line[g->n++] = atoi(PQgetvalue(r, row, col[8]));
    return ok ? TL_OK : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
}

static bool is_begin(const TlMiEvent *e)
{
    return e->kind == TL_MI_EV_CREATED || e->kind == TL_MI_EV_MIGRATION_STARTED;
}

/* The file line to blame for events [a, b): the failing one when it is the
 * file's, else the first of the file's. */
static int blame(const Group *g, size_t a, size_t b, size_t failing)
{
    if (failing < g->n && g->line[failing] > 0)
        return g->line[failing];
    for (size_t i = a; i < b; i++)
        if (g->line[i] > 0)
            return g->line[i];
    return 0;
}

#define FAR_FUTURE INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* One lineage's events [a, b) of the group; next_begin: when the database is
 * created again (NONE: it is not), by which the lineage must be over. */
static TlResult check_lineage(const Group *g, size_t a, size_t b, const char *file, TlError *err)
{
    TlMiLineage lin;
    TlError e = {0};
    TlTime next = b < g->n ? g->ev[b].at : TL_TIME_NONE;
    if (mi_lineage_evaluate(g->ev + a, b - a, next != TL_TIME_NONE ? next : FAR_FUTURE, &lin, &e) !=
        TL_OK) {
        size_t idx = 0;
        const char *why = e.msg;
        if (sscanf(e.msg, "event %zu: ", &idx) == 1 && strchr(e.msg, ':'))
            why = strchr(e.msg, ':') + 2;
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: %s", file,
                            blame(g, a, b, idx ? a + idx - 1 : SIZE_MAX), why);
    }
    bool over = next == TL_TIME_NONE || lin.n_segments == 0;
    for (size_t k = 0; !over && k < lin.n_segments; k++) {
        const TlMiSegment *s = &lin.segments[k];
        if (strcasecmp(s->resource_id, g->key) == 0)
            over = s->dropped_at != TL_TIME_NONE || s->lost_cause == TL_MI_LOST_MOVED ||
                   s->lost_cause == TL_MI_LOST_INSTANCE_DELETED;
    }
    mi_lineage_cleanup(&lin);
    if (!over)
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: %s: %s while the database it names still exists (a name is "
                            "used again only after a drop, MI-B11)",
                            file, blame(g, b, b + 1, b), g->ev[b].resource_id,
                            mi_event_str(g->ev[b].kind));
    return TL_OK;
}

static TlResult check_group(const Group *g, const char *file, TlError *err)
{
    size_t start = 0;
    TlResult rc = TL_OK;
    for (size_t i = 1; i < g->n && !rc; i++)
        if (is_begin(&g->ev[i])) {
            rc = check_lineage(g, start, i, file, err);
            start = i;
        }
    return rc ? rc : check_lineage(g, start, g->n, file, err);
}

static TlResult check_all(PGconn *conn, const char *file, TlError *err)
{
    static const char *const names[] = {"key", "resource_id",    "event",  "at",   "origin",
                                        "erp", "retention_days", "detail", "line", "not_before"};
    TlResult rc = pg_query(conn, "check the MI histories", check_sql, 0, NULL, NULL, err);
    Group g = {0};
    while (!rc) {
        PGresult *r = NULL;
        int col[10];
        rc = pg_query(conn, "read the MI histories", "FETCH 5000 FROM mi_check", 0, NULL, &r, err);
        if (!rc)
            rc = pg_columns(r, "read the MI histories", names, 10, col, err);
        int n = rc ? 0 : PQntuples(r);
        for (int i = 0; i < n && !rc; i++) {
            const char *key = PQgetvalue(r, i, col[0]);
            if (g.n && strcmp(key, g.key) != 0) {
                rc = check_group(&g, file, err);
                group_clear(&g);
            }
            if (!rc && g.n == 0)
                snprintf(g.key, sizeof g.key, "%s", key);
            if (!rc)
                rc = group_add(&g, r, i, col, err);
        }
        PQclear(r);
        if (!rc && n == 0) {
            if (g.n)
                rc = check_group(&g, file, err);
            break;
        }
    }
    group_free(&g);
    return rc;
}

TlResult store_mi_stage_finish(StoreMiStage *s, const char *file, bool dry, StoreMiCounts *counts,
                               TlError *err)
{
    *counts = (StoreMiCounts){.rows = s->copy.rows};
    TlResult rc = pg_copy_finish(&s->copy, err);
    PGresult *r = NULL;
    if (!rc)
        rc = pg_query(s->conn, "compare with the recorded MI events", conflict_sql, 0, NULL, &r,
                      err);
    if (!rc && PQntuples(r) == 1)
        rc = tl_error_set(err, TL_ERR_DATA,
                          "%s:%s: %s: this event (same database, kind, instant and detail) is "
                          "%s with other values: history is append-only",
                          file, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 2),
                          strcmp(PQgetvalue(r, 0, 1), "file") == 0 ? "on an earlier line"
                                                                   : "recorded");
    PQclear(r);
    r = NULL;
    if (!rc)
        rc = pg_query(s->conn, "find the new MI events", new_sql, 0, NULL, NULL, err);
    if (!rc)
        rc = check_all(s->conn, file, err);
    if (!rc)
        rc = pg_query(s->conn, "count the new MI lineages", lineages_sql, 0, NULL, &r, err);
    if (!rc)
        counts->lineages = atol(PQgetvalue(r, 0, 0));
    PQclear(r);
    const char *params[] = {file};
    if (!rc && !dry)
        rc = pg_query_count(s->conn, "record the MI events", insert_sql, 1, params, &counts->added,
                            err);
    else if (!rc) { /* what it would add */
        rc = pg_query(s->conn, "count the new MI events", "SELECT count(*) FROM mi_new", 0, NULL,
                      &r, err);
        if (!rc)
            counts->added = atol(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
    free(s);
    return rc;
}

/* ---- the fleet, a page at a time --------------------------------------------- */

#define MI_EVENT_COLUMNS                                                                           \
    "e.resource_id, e.event, extract(epoch FROM e.at)::bigint AS at, e.origin,"                    \
    " extract(epoch FROM e.earliest_restore_point)::bigint AS erp, e.retention_days, e.detail,"    \
    " e.source_server, e.source_database, e.tier, e.redundancy, e.database_format, e.vcores,"      \
    " e.storage_size_gb, e.tde_protected, e.compatibility_level,"                                  \
    " extract(epoch FROM e.not_before)::bigint AS not_before, e.ltr_weekly, e.ltr_monthly,"        \
    " e.ltr_yearly, e.ltr_week_of_year, e.data_bytes, e.log_bytes_per_day"
/* a synthesized `created` (a copy's or move's destination): the columns after origin */
#define MI_EVENT_NULLS                                                                             \
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"    \
    " NULL, NULL, NULL, NULL"
/* first databases: not the destination of a move */
static const char page_lineages_sql[] =
    "WITH RECURSIVE roots AS (SELECT DISTINCT e.resource_key AS root FROM mi_events e"
    "   WHERE e.resource_id ~* '/databases/' AND e.resource_key > $1::text"
    "     AND NOT EXISTS (SELECT 1 FROM mi_events m WHERE m.event = 'move_completed'"
    "                      AND coalesce(m.origin, '') <> 'copy' AND lower(m.detail) = "
    "e.resource_key)"
    "   ORDER BY 1 LIMIT $2::bigint),"
    " chain(root, key, depth) AS (SELECT root, root, 0 FROM roots"
    "   UNION SELECT c.root, lower(m.detail), c.depth + 1 FROM chain c JOIN mi_events m"
    "     ON m.resource_key = c.key AND m.event = 'move_completed'"
    "    AND coalesce(m.origin, '') <> 'copy' WHERE c.depth < 64),"
    " inst AS (SELECT DISTINCT root, substring(key FROM '^(.*/managedinstances/[^/]+)') AS k"
    "            FROM chain)"
    " SELECT * FROM ("
    "  SELECT c.root, " MI_EVENT_COLUMNS ", 1 AS ord, e.id"
    "    FROM chain c JOIN mi_events e ON e.resource_key = c.key"
    "  UNION ALL SELECT i.root, " MI_EVENT_COLUMNS ", 1, e.id"
    "    FROM inst i JOIN mi_events e ON e.instance_key = i.k AND e.resource_id !~* '/databases/'"
    "  UNION ALL SELECT r.root, e.detail, 'created', extract(epoch FROM e.at)::bigint, "
    "'copy', " MI_EVENT_NULLS ", 0, 0"
    "    FROM roots r JOIN mi_events e ON e.event = 'move_completed' AND e.origin = 'copy'"
    "     AND lower(e.detail) = r.root) x"
    " ORDER BY root, at, ord, id";
static const char page_instances_sql[] =
    "SELECT e.instance_key AS root, " MI_EVENT_COLUMNS " FROM mi_events e"
    " WHERE e.resource_id !~* '/databases/' AND e.instance_key IN"
    "   (SELECT DISTINCT instance_key FROM mi_events WHERE instance_key > $1::text"
    "     ORDER BY 1 LIMIT $2::bigint)"
    " ORDER BY e.instance_key, e.at, e.id";

static TlResult load_page(StoreConn *conn, const char *what, const char *sql, const char *after,
                          size_t limit, StoreMiPage *out, TlError *err);

/* the page's instances: those with any event, by key */
#define MI_INSTANCES                                                                               \
    "inst AS (SELECT DISTINCT instance_key AS k FROM mi_events WHERE instance_key > $1::text"      \
    "          ORDER BY 1 LIMIT $2::bigint)"
static const char month_events_sql[] =
    "WITH " MI_INSTANCES " SELECT * FROM ("
    "  SELECT e.instance_key AS root, " MI_EVENT_COLUMNS ", 1 AS ord, e.id"
    "    FROM mi_events e WHERE e.instance_key IN (SELECT k FROM inst)"
    "  UNION ALL SELECT substring(lower(e.detail) FROM '^(.*/managedinstances/[^/]+)'), e.detail,"
    "         'created', extract(epoch FROM e.at)::bigint,"
    "         CASE WHEN e.origin = 'copy' THEN 'copy' ELSE 'move' END, " MI_EVENT_NULLS ", 0, 0"
    "    FROM mi_events e WHERE e.event = 'move_completed'"
    "     AND substring(lower(e.detail) FROM '^(.*/managedinstances/[^/]+)') IN (SELECT k FROM "
    "inst)"
    " ) x ORDER BY root, at, ord, id";
static const char month_usage_sql[] =
    "WITH " MI_INSTANCES
    " SELECT u.instance_key AS root, u.resource_id, extract(epoch FROM u.day::timestamp)::bigint"
    "        AS day, coalesce(u.full_bytes, 0) + coalesce(u.diff_bytes, 0)"
    "        + coalesce(u.log_bytes, 0) AS bytes, u.redundancy, u.region, u.tags::text AS tags"
    "   FROM mi_usage u WHERE u.instance_key IN (SELECT k FROM inst)"
    "    AND u.day >= to_timestamp($3::bigint)::date AND u.day < to_timestamp($4::bigint)::date"
    "  ORDER BY u.instance_key, u.resource_key, u.day";

TlResult store_mi_page_lineages(StoreConn *conn, const char *after, size_t limit, StoreMiPage *out,
                                TlError *err)
{
    return load_page(conn, "read a page of MI lineages", page_lineages_sql, after, limit, out, err);
}

TlResult store_mi_page_instances(StoreConn *conn, const char *after, size_t limit, StoreMiPage *out,
                                 TlError *err)
{
    return load_page(conn, "read a page of MI instances", page_instances_sql, after, limit, out,
                     err);
}

void store_mi_page_cleanup(StoreMiPage *p)
{
    PQclear(p->res);
    free(p->ev);
    free(p->group);
    free(p->key);
    *p = (StoreMiPage){0};
}

/* ---- one lineage back --------------------------------------------------------- */

/* the first database of the lineage: back along the moves that led to $1 */
static const char root_sql[] =
    "WITH RECURSIVE back(key, depth) AS (SELECT lower($1::text), 0"
    "  UNION ALL SELECT m.resource_key, b.depth + 1 FROM back b JOIN mi_events m"
    "    ON m.event = 'move_completed' AND lower(m.detail) = b.key"
    "   AND coalesce(m.origin, '') <> 'copy' WHERE b.depth < 64)"
    " SELECT key FROM back ORDER BY depth DESC LIMIT 1";
/* its databases (forward along the moves), their events, their instances'
 * events, and a created of origin copy for a copy's destination */
static const char lineage_sql[] =
    "WITH RECURSIVE chain(key, depth) AS (SELECT $1::text, 0"
    "  UNION SELECT lower(m.detail), c.depth + 1 FROM chain c JOIN mi_events m"
    "    ON m.resource_key = c.key AND m.event = 'move_completed'"
    "   AND coalesce(m.origin, '') <> 'copy' WHERE c.depth < 64),"
    " inst AS (SELECT DISTINCT substring(key FROM '^(.*/managedinstances/[^/]+)') AS k FROM chain)"
    " SELECT * FROM ("
    "  SELECT " MI_EVENT_COLUMNS ", 1 AS ord, e.id"
    "    FROM mi_events e WHERE e.resource_key IN (SELECT key FROM chain)"
    "      OR (e.instance_key IN (SELECT k FROM inst) AND e.resource_id !~* '/databases/')"
    "  UNION ALL"
    "  SELECT detail, 'created', extract(epoch FROM at)::bigint, 'copy', " MI_EVENT_NULLS ", 0, 0"
    "    FROM mi_events WHERE event = 'move_completed' AND origin = 'copy'"
    "     AND lower(detail) = $1::text) x"
    " ORDER BY at, ord, id";

static const char *text_or_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int int_or(const PGresult *r, int row, int col, int none)
{
    return PQgetisnull(r, row, col) ? none : atoi(PQgetvalue(r, row, col));
}

/* The columns decode_event reads, in its order (a page adds "root" last). */
#define MI_EVENT_N 23
static const char *const event_names[] = {"resource_id",
                                          "event",
                                          "at",
                                          "origin",
                                          "erp",
                                          "retention_days",
                                          "detail",
                                          "source_server",
                                          "source_database",
                                          "tier",
                                          "redundancy",
                                          "database_format",
                                          "vcores",
                                          "storage_size_gb",
                                          "tde_protected",
                                          "compatibility_level",
                                          "not_before",
                                          "ltr_weekly",
                                          "ltr_monthly",
                                          "ltr_yearly",
                                          "ltr_week_of_year",
                                          "data_bytes",
                                          "log_bytes_per_day",
                                          "root"};

static void decode_event(const PGresult *r, int i, const int *col, TlMiEvent *e)
{
    *e = (TlMiEvent){
        .at = pg_time(r, i, col[2]),
        .resource_id = PQgetvalue(r, i, col[0]),
        .restore_point = pg_time(r, i, col[4]),
        .retention_days = int_or(r, i, col[5], TL_MI_RETENTION_NONE),
        .detail = text_or_null(r, i, col[6]),
        .source_server = text_or_null(r, i, col[7]),
        .source_database = text_or_null(r, i, col[8]),
        .tier = text_or_null(r, i, col[9]),
        .redundancy = text_or_null(r, i, col[10]),
        .database_format = text_or_null(r, i, col[11]),
        .vcores = int_or(r, i, col[12], -1),
        .storage_size_gb = int_or(r, i, col[13], -1),
        .tde_protected =
            PQgetisnull(r, i, col[14]) ? -1 : strcmp(PQgetvalue(r, i, col[14]), "t") == 0,
        .compatibility_level = int_or(r, i, col[15], -1),
        .bounded = !PQgetisnull(r, i, col[16]),
        .not_before = pg_time(r, i, col[16]),
        .ltr_weekly = text_or_null(r, i, col[17]),
        .ltr_monthly = text_or_null(r, i, col[18]),
        .ltr_yearly = text_or_null(r, i, col[19]),
        .ltr_week_of_year = int_or(r, i, col[20], -1),
        .data_bytes = PQgetisnull(r, i, col[21]) ? -1 : atoll(PQgetvalue(r, i, col[21])),
        .log_bytes_per_day = PQgetisnull(r, i, col[22]) ? -1 : atoll(PQgetvalue(r, i, col[22]))};
    mi_event_parse(PQgetvalue(r, i, col[1]), &e->kind);
    if (!PQgetisnull(r, i, col[3]))
        mi_origin_parse(PQgetvalue(r, i, col[3]), &e->origin);
}

TlResult store_mi_lineage_load(StoreConn *conn, const char *resource_id, TlTime as_of,
                               StoreMiLineage *out, TlError *err)
{
    *out = (StoreMiLineage){0};
    PGresult *root = NULL;
    const char *p1[] = {resource_id};
    TlResult rc = pg_query(conn, "find the MI lineage", root_sql, 1, p1, &root, err);
    char key[1024];
    if (!rc)
        snprintf(key, sizeof key, "%s", PQgetvalue(root, 0, 0));
    PQclear(root);
    const char *p2[] = {key};
    if (!rc)
        rc = pg_query(conn, "load the MI lineage", lineage_sql, 1, p2, &out->res, err);
    int col[MI_EVENT_N + 1];
    if (!rc)
        rc = pg_columns(out->res, "load the MI lineage", event_names, MI_EVENT_N, col, err);
    int n = rc ? 0 : PQntuples(out->res);
    if (!rc && !(out->ev = calloc(n ? (size_t)n : 1, sizeof *out->ev)))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (int i = 0; !rc && i < n; i++)
        decode_event(out->res, i, col, &out->ev[out->n++]);
    const char *first = NULL;
    for (size_t i = 0; !rc && i < out->n && !first; i++)
        if (strcasecmp(out->ev[i].resource_id, key) == 0)
            first = out->ev[i].resource_id;
    if (!rc && !first)
        rc = tl_error_set(err, TL_ERR_NOT_FOUND, "no Managed Instance event names %s", resource_id);
    if (!rc) {
        out->n = mi_lineage_pick(out->ev, out->n, first, as_of);
        out->resource_id = first;
    }
    if (rc)
        store_mi_lineage_cleanup(out);
    return rc;
}

static TlResult load_page(StoreConn *conn, const char *what, const char *sql, const char *after,
                          size_t limit, StoreMiPage *out, TlError *err)
{
    *out = (StoreMiPage){0};
    char lim[24];
    const char *params[] = {after, pg_int_param((long long)limit, lim)};
    int col[MI_EVENT_N + 1];
    TlResult rc = pg_query(conn, what, sql, 2, params, &out->res, err);
    if (!rc)
        rc = pg_columns(out->res, what, event_names, MI_EVENT_N + 1, col, err);
    size_t n = rc ? 0 : (size_t)PQntuples(out->res);
    out->ev = calloc(n ? n : 1, sizeof *out->ev);
    out->group = calloc(n + 1, sizeof *out->group);
    out->key = calloc(n ? n : 1, sizeof *out->key);
    if (!rc && (!out->ev || !out->group || !out->key))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        const char *root = PQgetvalue(out->res, (int)i, col[MI_EVENT_N]);
        if (out->n_groups == 0 || strcmp(root, out->key[out->n_groups - 1]) != 0) {
            out->group[out->n_groups] = i;
            out->key[out->n_groups++] = root;
        }
        decode_event(out->res, (int)i, col, &out->ev[out->n++]);
    }
    if (!rc)
        out->group[out->n_groups] = out->n;
    if (rc)
        store_mi_page_cleanup(out);
    return rc;
}

TlResult store_mi_month_page(StoreConn *conn, const char *after, size_t limit, TlTime from,
                             TlTime to, StoreMiMonth *out, TlError *err)
{
    static const char *const names[] = {"root",       "resource_id", "day", "bytes",
                                        "redundancy", "region",      "tags"};
    *out = (StoreMiMonth){0};
    TlResult rc = load_page(conn, "read a page of MI instances", month_events_sql, after, limit,
                            &out->events, err);
    char lim[24], a[24], b[24];
    const char *params[] = {after, pg_int_param((long long)limit, lim), pg_time_param(from, a),
                            pg_time_param(to, b)};
    int col[7];
    if (!rc)
        rc = pg_query(conn, "read the MI usage", month_usage_sql, 4, params, &out->usage_res, err);
    if (!rc)
        rc = pg_columns(out->usage_res, "read the MI usage", names, 7, col, err);
    size_t n = rc ? 0 : (size_t)PQntuples(out->usage_res), g = 0, groups = out->events.n_groups;
    out->usage = calloc(n ? n : 1, sizeof *out->usage);
    out->usage_group = calloc(groups + 1, sizeof *out->usage_group);
    if (!rc && (!out->usage || !out->usage_group))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    const PGresult *r = out->usage_res;
    /* both results list the page's instances in the same order */
    for (size_t i = 0; !rc && i < n; i++) {
        const char *root = PQgetvalue(r, (int)i, col[0]);
        while (g < groups && strcmp(out->events.key[g], root) != 0)
            out->usage_group[++g] = out->n_usage;
        if (g == groups)
            break;
        long long bytes = 0;
        pg_get_int64(r, (int)i, col[3], &bytes);
        out->usage[out->n_usage++] = (TlMiUsageDay){.resource_id = PQgetvalue(r, (int)i, col[1]),
                                                    .redundancy = text_or_null(r, (int)i, col[4]),
                                                    .region = text_or_null(r, (int)i, col[5]),
                                                    .tags = text_or_null(r, (int)i, col[6]),
                                                    .day = pg_time(r, (int)i, col[2]),
                                                    .bytes = bytes};
    }
    for (size_t k = g + 1; !rc && k <= groups; k++)
        out->usage_group[k] = out->n_usage;
    if (rc)
        store_mi_month_cleanup(out);
    return rc;
}

void store_mi_month_cleanup(StoreMiMonth *m)
{
    store_mi_page_cleanup(&m->events);
    PQclear(m->usage_res);
    free(m->usage);
    free(m->usage_group);
    *m = (StoreMiMonth){0};
}

void store_mi_lineage_cleanup(StoreMiLineage *l)
{
    PQclear(l->res);
    free(l->ev);
    *l = (StoreMiLineage){0};
}

/* ---- the collector's part ------------------------------------------------------ */

/* an instance counts until its last event is a deletion */
static const char instances_sql[] =
    "SELECT (array_agg(substring(resource_id FROM '(?i)^(.*/managedInstances/[^/]+)')"
    "                  ORDER BY id))[1]"
    "  FROM mi_events WHERE starts_with(instance_key, '/subscriptions/' || lower($1::text) || '/')"
    " GROUP BY instance_key"
    " HAVING max(at) FILTER (WHERE event = 'instance_deleted') IS NULL"
    "     OR max(at) > max(at) FILTER (WHERE event = 'instance_deleted')"
    " ORDER BY instance_key";
static const char recorded_sql[] =
    "SELECT " MI_EVENT_COLUMNS "  FROM mi_events e WHERE e.instance_key = lower($1::text)"
    /* the moves and copies into its databases, recorded on their sources (MI-B14) */
    "     OR (e.event = 'move_completed' AND starts_with(lower(e.detail), lower($1::text) || "
    "'/databases/'))"
    " ORDER BY e.at, e.id";
static const char polled_sql[] = "SELECT extract(epoch FROM polled_at)::bigint FROM mi_polls WHERE "
                                 "instance_key = lower($1::text)";
static const char collected_sql[] =
    "INSERT INTO mi_events (resource_id, event, at, not_before, state, operation_id, initiated_by,"
    "                       origin, source_server, source_database, earliest_restore_point,"
    "                       retention_days, tier, vcores, storage_size_gb, redundancy,"
    "                       database_format, detail, ltr_weekly, ltr_monthly, ltr_yearly,"
    "                       ltr_week_of_year, source)"
    " SELECT r, e, to_timestamp(a), to_timestamp(nb), st, op, who, o, ss, sd, to_timestamp(erp),"
    "        rd, t, vc, sg, red, fmt, d, lw, lm, ly, lk, 'collector'"
    "   FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],"
    "               $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::int[],"
    "               $13::text[], $14::int[], $15::int[], $16::text[], $17::text[], $18::text[],"
    "               $19::text[], $20::text[], $21::text[], $22::int[])"
    "     WITH ORDINALITY AS u(r, e, a, nb, st, op, who, o, ss, sd, erp, rd, t, vc, sg, red, fmt,"
    "                          d, lw, lm, ly, lk, k)"
    "  ORDER BY k"
    " ON CONFLICT DO NOTHING";
static const char poll_sql[] =
    "INSERT INTO mi_polls (instance_key, resource_id, polled_at, run_id)"
    " VALUES (lower($1::text), $1::text, to_timestamp($2::bigint), $3::bigint)"
    " ON CONFLICT (instance_key) DO UPDATE SET resource_id = excluded.resource_id,"
    "   polled_at = greatest(mi_polls.polled_at, excluded.polled_at), run_id = excluded.run_id";

TlResult store_mi_instances_load(StoreConn *conn, const char *subscription, StoreMiInstances *out,
                                 TlError *err)
{
    *out = (StoreMiInstances){0};
    const char *p[] = {subscription};
    TlResult rc =
        pg_query(conn, "read the recorded managed instances", instances_sql, 1, p, &out->res, err);
    out->n = rc ? 0 : (size_t)PQntuples(out->res);
    return rc;
}

const char *store_mi_instance_id(const StoreMiInstances *l, size_t i)
{
    return PQgetvalue(l->res, (int)i, 0);
}

void store_mi_instances_cleanup(StoreMiInstances *l)
{
    PQclear(l->res);
    *l = (StoreMiInstances){0};
}

TlResult store_mi_recorded_load(StoreConn *conn, const char *instance_id, StoreMiRecorded *out,
                                TlError *err)
{
    *out = (StoreMiRecorded){.polled_at = TL_TIME_NONE};
    const char *p[] = {instance_id};
    PGresult *polled = NULL;
    TlResult rc = pg_query(conn, "read the instance's last poll", polled_sql, 1, p, &polled, err);
    if (!rc && PQntuples(polled) > 0)
        out->polled_at = pg_time(polled, 0, 0);
    PQclear(polled);
    if (!rc)
        rc = pg_query(conn, "read the instance's events", recorded_sql, 1, p, &out->res, err);
    int col[MI_EVENT_N + 1];
    if (!rc)
        rc = pg_columns(out->res, "read the instance's events", event_names, MI_EVENT_N, col, err);
    int n = rc ? 0 : PQntuples(out->res);
    if (!rc && !(out->ev = calloc(n ? (size_t)n : 1, sizeof *out->ev)))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (int i = 0; !rc && i < n; i++)
        decode_event(out->res, i, col, &out->ev[out->n++]);
    if (rc)
        store_mi_recorded_cleanup(out);
    return rc;
}

void store_mi_recorded_cleanup(StoreMiRecorded *r)
{
    PQclear(r->res);
    free(r->ev);
    *r = (StoreMiRecorded){.polled_at = TL_TIME_NONE};
}

static void add_int_or_null(PgArray *a, int v)
{
    if (v < 0)
        pg_array_add(a, NULL);
    else
        pg_array_add_int(a, v);
}

TlResult store_mi_collected_write(StoreConn *conn, const char *instance_id,
                                  const StoreMiEventRow *rows, size_t n, TlTime now,
                                  long long run_id, long *added, TlError *err)
{
    *added = 0;
    enum { N = 22 };
    PgArray a[N];
    memset(a, 0, sizeof a);
    for (size_t i = 0; i < n; i++) {
        const TlMiEvent *e = rows[i].e;
        pg_array_add(&a[0], e->resource_id);
        pg_array_add(&a[1], mi_event_str(e->kind));
        pg_array_add_time(&a[2], e->at);
        pg_array_add_time(&a[3], rows[i].not_before);
        pg_array_add(&a[4], rows[i].state);
        pg_array_add(&a[5], rows[i].operation_id);
        pg_array_add(&a[6], rows[i].initiated_by);
        pg_array_add(&a[7], e->origin ? mi_origin_str(e->origin) : NULL);
        pg_array_add(&a[8], e->source_server);
        pg_array_add(&a[9], e->source_database);
        pg_array_add_time(&a[10], e->restore_point);
        add_int_or_null(&a[11], e->retention_days);
        pg_array_add(&a[12], e->tier);
        add_int_or_null(&a[13], e->vcores);
        add_int_or_null(&a[14], e->storage_size_gb);
        pg_array_add(&a[15], e->redundancy);
        pg_array_add(&a[16], e->database_format);
        pg_array_add(&a[17], e->detail);
        pg_array_add(&a[18], e->ltr_weekly);
        pg_array_add(&a[19], e->ltr_monthly);
        pg_array_add(&a[20], e->ltr_yearly);
        add_int_or_null(&a[21], e->ltr_week_of_year);
    }
    const char *p[N];
    TlResult rc = pg_arrays_finish(a, N, p, err);
    if (!rc && n)
        rc = pg_query_count(conn, "record the instance's events", collected_sql, N, p, added, err);
    char at[24], run[24];
    const char *q[] = {instance_id, pg_time_param(now, at), pg_int_param(run_id, run)};
    if (!rc)
        rc = pg_query(conn, "record the instance's poll", poll_sql, 3, q, NULL, err);
    pg_arrays_cleanup(a, N);
    return rc;
}
