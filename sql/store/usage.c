/* usage.c - import-usage's staging and merge (see imports.h): the rows go
 * into a temporary table with COPY, and one statement resolves each row's
 * lineage and inserts or replaces the days, so the cost per row is the
 * server's, not a round trip. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/arm_id.h"
#include "model/mi.h"
#include "sql/store/imports.h"
#include "sql/store/pg.h"

struct StoreUsageStage {
    PGconn *conn;
    PgCopy copy;
    long long n_mi;      /* rows of Managed Instance databases (the rest: SQL Database) */
    long long n_unkeyed; /* rows staged without their key (the server lowers them) */
    bool ascii_lower;    /* the database's lower() maps A-Z to a-z (not a Turkish locale) */
    /* runs: rows in a row with the same resource id (byte for byte); a day
     * can be given twice only when a run's days do not rise or a resource
     * has more than one run, so the file need not be grouped by day */
    char run_id[ARM_ID_MAX]; /* the current run's resource id ("" after one too long) */
    char run_day[16];        /* its last day */
    bool days_unsorted;      /* a run whose days did not rise */
    char first_day[16];      /* the file's earliest day and its last (YYYY-MM-DD) */
    char last_day[16];
};

static const char stage_sql[] =
    "CREATE TEMP TABLE usage_stage (line integer NOT NULL, resource_id text NOT NULL,"
    " day date NOT NULL, full_bytes bigint, diff_bytes bigint, log_bytes bigint,"
    " snapshot_bytes bigint, allocated_bytes bigint, max_size_bytes bigint, redundancy text,"
    " region text, elastic_pool_id text, tags jsonb, mi boolean NOT NULL, resource_key text,"
    " run_start boolean NOT NULL) ON COMMIT DROP";
static const char copy_sql[] =
    "COPY usage_stage (line, resource_id, day, full_bytes, diff_bytes, log_bytes,"
    " snapshot_bytes, allocated_bytes, max_size_bytes, redundancy, region, elastic_pool_id, tags,"
    " mi, resource_key, run_start) FROM STDIN";
/* the key, lower(resource_id): the client's for an ASCII id (pg_copy_key),
 * the server's for the others */
static const char key_rest_sql[] =
    "UPDATE usage_stage SET resource_key = lower(resource_id) WHERE resource_key IS NULL";
/* what tierledger_recorded() would set (0025: it then never runs) */
#define RECORDED "session_user, tierledger_recorded_via()"

/* the lineages of the file's databases, each with the creation of the next:
 * a day belongs to the latest created before its end (L7) */
static const char lineages_sql[] =
    "CREATE TEMP TABLE usage_lineages ON COMMIT DROP AS"
    " SELECT d.id, d.resource_key, d.created_at,"
    "        lead(d.created_at) OVER (PARTITION BY d.resource_key ORDER BY d.created_at) AS next"
    "   FROM databases d"
    "  WHERE d.resource_key IN (SELECT resource_key FROM usage_stage WHERE run_start)";
#define DAY_END "s.day + interval '86399 seconds'"
#define LINEAGE_OF_DAY                                                                             \
    "l.resource_key = s.resource_key AND l.created_at <= " DAY_END                                 \
    " AND (l.next IS NULL OR l.next > " DAY_END ")"

/* a Managed Instance database's row: told by the client as it stages it
 * (is_mi), not by a regular expression per row and statement */
#define IS_MI "s.mi"
#define ORPHAN_SQL(rows)                                                                           \
    "SELECT s.line, s.resource_id, s.day::text AS day FROM usage_stage s WHERE NOT " IS_MI rows    \
    " AND NOT EXISTS (SELECT 1 FROM usage_lineages l WHERE " LINEAGE_OF_DAY ")"                    \
    " ORDER BY s.line LIMIT 1"
static const char orphan_sql[] = ORPHAN_SQL("");
/* when every run's days rise: a resource's lineages cover every day from
 * its first creation on, so a run's days have lineages when its first has,
 * and the first line without one starts a run */
static const char orphan_runs_sql[] = ORPHAN_SQL(" AND s.run_start");
/* a Managed Instance database's day: it must exist by the day's end (its
 * lineage begun, or a move's destination) */
static const char mi_orphan_sql[] =
    "SELECT s.line, s.resource_id, s.day::text AS day FROM usage_stage s WHERE " IS_MI
    "   AND NOT EXISTS (SELECT 1 FROM mi_events e WHERE e.at <= " DAY_END
    "   AND ((e.resource_key = s.resource_key AND e.event IN ('created', 'migration_started'))"
    "     OR (e.event = 'move_completed' AND lower(e.detail) = s.resource_key)))"
    " ORDER BY s.line LIMIT 1";
/* MI days: each once (the last line), new or with other figures */
static const char mi_merge_sql[] =
    "WITH src AS (SELECT DISTINCT ON (s.resource_key, s.day) s.* FROM usage_stage s WHERE " IS_MI
    "             ORDER BY s.resource_key, s.day, s.line DESC),"
    " w AS (INSERT INTO mi_usage AS u (resource_id, day, full_bytes, diff_bytes, log_bytes,"
    "         redundancy, region, tags, source, recorded_by, recorded_via)"
    "       SELECT resource_id, day, full_bytes, diff_bytes, log_bytes, redundancy, region, tags,"
    "              'import', " RECORDED " FROM src"
    "       ON CONFLICT (resource_key, day, source) DO UPDATE SET"
    "         full_bytes = EXCLUDED.full_bytes, diff_bytes = EXCLUDED.diff_bytes,"
    "         log_bytes = EXCLUDED.log_bytes, redundancy = EXCLUDED.redundancy,"
    "         region = EXCLUDED.region, tags = EXCLUDED.tags, recorded_at = now(),"
    "         recorded_by = EXCLUDED.recorded_by, recorded_via = EXCLUDED.recorded_via"
    "       WHERE (u.full_bytes, u.diff_bytes, u.log_bytes, u.redundancy, u.region, u.tags)"
    "         IS DISTINCT FROM (EXCLUDED.full_bytes, EXCLUDED.diff_bytes, EXCLUDED.log_bytes,"
    "                           EXCLUDED.redundancy, EXCLUDED.region, EXCLUDED.tags)"
    "       RETURNING (xmax = 0) AS inserted)"
    " SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM w";
/* (when every run's days rise) */
static const char twice_sql[] =
    "SELECT 1 FROM usage_stage WHERE run_start GROUP BY resource_key HAVING count(*) > 1 LIMIT 1";
/* the planner's figures for the tables the checks and the merge join */
static const char analyze_stage_sql[] = "ANALYZE usage_stage";
static const char analyze_lineages_sql[] = "ANALYZE usage_lineages";

// clang-format off
/* the rows of `from` inserted as new days */
#define INSERT_DAYS(from)                                                                          \
    "  INSERT INTO backup_usage (database_id, day, full_bytes, diff_bytes, log_bytes,"             \
    "      snapshot_bytes, allocated_bytes, max_size_bytes, redundancy, region, elastic_pool_id," \
    "      tags, source, recorded_by, recorded_via)"                                              \
    "  SELECT database_id, day, full_bytes, diff_bytes, log_bytes, snapshot_bytes,"               \
    "         allocated_bytes, max_size_bytes, redundancy, region, elastic_pool_id, tags, 'import',"\
    "         " RECORDED " FROM " from " RETURNING 1"
/* %s: the rows, each day once (a day given twice: the last line), with the
 * id of the day recorded (rid) if any: the new days are inserted plainly
 * (writers hold the writers' lock, so none can appear meanwhile; ON
 * CONFLICT made the insert a third dearer) and the others updated by id */
#define MERGE_SQL(src)                                                                             \
    "WITH src AS MATERIALIZED (" src "),"                                                         \
    " added AS (" INSERT_DAYS("src WHERE rid IS NULL") "),"                                        \
    " replaced AS ("                                                                               \
    "  UPDATE backup_usage u SET"                                                                  \
    "      full_bytes = src.full_bytes, diff_bytes = src.diff_bytes, log_bytes = src.log_bytes,"  \
    "      snapshot_bytes = src.snapshot_bytes, allocated_bytes = src.allocated_bytes,"           \
    "      max_size_bytes = src.max_size_bytes, redundancy = src.redundancy,"                     \
    "      region = src.region, elastic_pool_id = src.elastic_pool_id, tags = src.tags,"          \
    "      recorded_at = now(), recorded_by = session_user, recorded_via = tierledger_recorded_via()"\
    "    FROM src WHERE src.rid IS NOT NULL AND u.id = src.rid RETURNING 1)"                      \
    " SELECT (SELECT count(*) FROM added) AS inserted, (SELECT count(*) FROM replaced) AS replaced"
/* each row with its lineage; once: a day given twice counts by its last line */
#define ROWS "SELECT l.id AS database_id, s.* FROM usage_stage s JOIN usage_lineages l ON " LINEAGE_OF_DAY
#define ROWS_ONCE                                                                                  \
    "SELECT DISTINCT ON (l.id, s.day) l.id AS database_id, s.* FROM usage_stage s"                \
    " JOIN usage_lineages l ON " LINEAGE_OF_DAY " ORDER BY l.id, s.day, s.line DESC"
/* of them, the days new or recorded with other figures: a day recorded with
 * the same figures is neither written nor locked */
#define CHANGED(rows)                                                                              \
    "SELECT x.*, r.id AS rid FROM (" rows ") x LEFT JOIN backup_usage r"                         \
    " ON r.database_id = x.database_id"                                                            \
    " AND r.day = x.day AND r.source = 'import'"                                                   \
    " WHERE r.id IS NULL OR (r.full_bytes, r.diff_bytes, r.log_bytes, r.snapshot_bytes,"         \
    "   r.allocated_bytes, r.max_size_bytes, r.redundancy, r.region, r.elastic_pool_id, r.tags)"  \
    "   IS DISTINCT FROM (x.full_bytes, x.diff_bytes, x.log_bytes, x.snapshot_bytes,"            \
    "   x.allocated_bytes, x.max_size_bytes, x.redundancy, x.region, x.elastic_pool_id, x.tags)"
static const char merge_sql[] = MERGE_SQL(CHANGED(ROWS));
static const char merge_once_sql[] = MERGE_SQL(CHANGED(ROWS_ONCE));
/* the merge's hash of what is recorded in memory rather than in 128
 * batches on disk (3M rows: 9.4 s became 7.6 s); for this transaction only,
 * as tierledger_append_transitions sets its own (0026) */
static const char merge_memory_sql[] = "SET LOCAL work_mem = '64MB'";
/* when none of the file's lineages has a day of the file's range recorded
 * (a day's file, the first import of a month): every row is new, inserted
 * without the join with what is recorded and the stage of it (3M rows: 1.6
 * GB of temporary files) */
#define INSERT_SQL(src)                                                                            \
    "WITH added AS (" INSERT_DAYS("(" src ") x") ")"                                               \
    " SELECT (SELECT count(*) FROM added) AS inserted, 0::bigint AS replaced"
static const char insert_sql[] = INSERT_SQL(ROWS);
static const char insert_once_sql[] = INSERT_SQL(ROWS_ONCE);
/* a lineage at a time, so that the first one found ends it (a join was
 * planned as a hash join over what is recorded: 0.85 s for 3M rows) */
static const char recorded_sql[] =
    "SELECT 1 FROM usage_lineages l CROSS JOIN LATERAL ("
    "  SELECT 1 FROM backup_usage r WHERE r.database_id = l.id"
    "     AND r.day >= $1::date AND r.day <= $2::date AND r.source = 'import' LIMIT 1) r"
    " LIMIT 1";
// clang-format on

TlResult store_usage_stage_begin(StoreConn *conn, StoreUsageStage **out, TlError *err)
{
    StoreUsageStage *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    s->conn = conn;
    TlResult rc = pg_ascii_lower(conn, &s->ascii_lower, err);
    if (!rc)
        rc = pg_stage_begin(conn, "stage the usage rows", stage_sql, copy_sql, &s->copy, err);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return TL_OK;
}

/* A checked day (YYYY-MM-DD) into a day field (snprintf was a twentieth of
 * the client's time at three a row). */
static void day_copy(char (*to)[16], const char *day)
{
    size_t n = strnlen(day, sizeof *to - 1);
    memcpy(*to, day, n);
    (*to)[n] = '\0';
}

void store_usage_stage_row(StoreUsageStage *s, const StoreUsageRow *r)
{
    PgCopy *c = &s->copy;
    pg_copy_int(c, r->line);
    pg_copy_field(c, r->resource_id);
    pg_copy_field(c, r->day);
    const char *v[] = {
        r->full_bytes,     r->diff_bytes, r->log_bytes, r->snapshot_bytes,  r->allocated_bytes,
        r->max_size_bytes, r->redundancy, r->region,    r->elastic_pool_id, r->tags};
    for (size_t k = 0; k < sizeof v / sizeof *v; k++)
        pg_copy_field(c, v[k]);
    bool mi = mi_instance_prefix(r->resource_id) > 0; /* as rows_usage told it */
    pg_copy_field(c, mi ? "t" : "f");
    bool keyed = pg_copy_key(c, s->ascii_lower, r->resource_id);
    size_t len = strlen(r->resource_id);
    bool run_start = len >= sizeof s->run_id || strcmp(r->resource_id, s->run_id) != 0;
    if (run_start && len < sizeof s->run_id)
        memcpy(s->run_id, r->resource_id, len + 1);
    else if (run_start)
        s->run_id[0] = '\0'; /* the next row starts a run too */
    else if (strcmp(r->day, s->run_day) <= 0)
        s->days_unsorted = true;
    day_copy(&s->run_day, r->day);
    if (!s->first_day[0] || strcmp(r->day, s->first_day) < 0)
        day_copy(&s->first_day, r->day);
    if (strcmp(r->day, s->last_day) > 0)
        day_copy(&s->last_day, r->day);
    pg_copy_field(c, run_start ? "t" : "f");
    s->n_mi += mi;
    s->n_unkeyed += !keyed;
    pg_copy_end_row(c);
}

void store_usage_stage_free(StoreUsageStage *s)
{
    if (!s)
        return;
    pg_copy_abort(&s->copy);
    free(s);
}

TlResult store_usage_stage_finish(StoreUsageStage *s, const char *file, StoreUsageCounts *counts,
                                  TlError *err)
{
    *counts = (StoreUsageCounts){.rows = s->copy.rows};
    /* the statements of a kind of database only when the file has its rows */
    bool sql_db = s->copy.rows > s->n_mi, mi = s->n_mi > 0;
    TlResult rc = pg_copy_finish(&s->copy, err);
    PGresult *res = NULL;
    if (!rc && s->n_unkeyed)
        rc = pg_query(s->conn, "key the usage rows", key_rest_sql, 0, NULL, NULL, err);
    if (!rc)
        rc = pg_query(s->conn, "analyze the usage rows", analyze_stage_sql, 0, NULL, NULL, err);
    if (!rc && sql_db)
        rc = pg_query(s->conn, "find the lineages of the usage", lineages_sql, 0, NULL, NULL, err);
    if (!rc && sql_db)
        rc = pg_query(s->conn, "analyze the lineages of the usage", analyze_lineages_sql, 0, NULL,
                      NULL, err);
    if (!rc && sql_db)
        rc = pg_query(s->conn, "find the lineage of each usage day",
                      s->days_unsorted ? orphan_sql : orphan_runs_sql, 0, NULL, &res, err);
    if (!rc && res && PQntuples(res) == 1)
        rc = tl_error_set(
            err, TL_ERR_DATA, "%s:%s: no lineage of %s existed on %s: import its transitions first",
            file, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
    PQclear(res);
    res = NULL;
    if (!rc && mi)
        rc = pg_query(s->conn, "find the MI database of each usage day", mi_orphan_sql, 0, NULL,
                      &res, err);
    if (!rc && res && PQntuples(res) == 1)
        rc =
            tl_error_set(err, TL_ERR_DATA,
                         "%s:%s: Managed Instance database %s did not exist on %s: import its "
                         "events first (import-mi)",
                         file, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
    PQclear(res);
    res = NULL;
    bool twice = s->days_unsorted;
    if (!rc && !twice)
        rc = pg_query(s->conn, "look for days given twice", twice_sql, 0, NULL, &res, err);
    if (!rc && res)
        twice = PQntuples(res) > 0;
    PQclear(res);
    res = NULL;
    bool recorded = true;
    const char *range[] = {s->first_day, s->last_day};
    if (!rc && sql_db)
        rc = pg_query(s->conn, "look for usage days recorded", recorded_sql, 2, range, &res, err);
    if (!rc && res)
        recorded = PQntuples(res) > 0;
    PQclear(res);
    res = NULL;
    const char *write =
        recorded ? (twice ? merge_once_sql : merge_sql) : (twice ? insert_once_sql : insert_sql);
    if (!rc && sql_db && recorded)
        rc = pg_query(s->conn, "size the merge's memory", merge_memory_sql, 0, NULL, NULL, err);
    if (!rc && sql_db)
        rc = pg_query(s->conn, "record the usage days", write, 0, NULL, &res, err);
    if (!rc && res) {
        pg_get_int64(res, 0, 0, &counts->inserted);
        pg_get_int64(res, 0, 1, &counts->replaced);
    }
    PQclear(res);
    res = NULL;
    if (!rc && mi)
        rc = pg_query(s->conn, "record the MI usage days", mi_merge_sql, 0, NULL, &res, err);
    if (!rc && res) {
        long long in = 0, re = 0;
        pg_get_int64(res, 0, 0, &in);
        pg_get_int64(res, 0, 1, &re);
        counts->inserted += in;
        counts->replaced += re;
    }
    PQclear(res);
    free(s);
    return rc;
}
