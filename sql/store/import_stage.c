/* import_stage.c - `import`'s staging, merge reads and writes (see
 * imports.h). The file's rows go to a temporary table with COPY; a cursor
 * then gives them back with the recorded transitions of the same resources,
 * by key, a batch of whole resources at a time; what each batch adds is
 * kept in a second staging table, and written set-based once every batch
 * has merged. The resources whose every row is recorded as it is (a file
 * imported again, most of a daily export) are left out of the merge: one
 * anti-join finds the others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/arm_id.h"
#include "sql/store/imports.h"
#include "sql/store/pg.h"

#define HELD_MAX 64 /* FETCH results one batch may point into */

struct StoreImport {
    PGconn *conn;
    PgCopy copy;
    PGresult *res; /* the current FETCH result */
    int pos;       /* its next row */
    bool exhausted;
    PGresult *held[HELD_MAX]; /* results the last batch points into */
    int n_held;
    PgTransitionColumns tc;
    bool have_columns;
    bool keeping;        /* import_new exists */
    long long seq;       /* of the next new row */
    bool ascii_lower;    /* pg_ascii_lower */
    long long n_unkeyed; /* rows staged without their key */
    long long n_staged;  /* rows staged */
    long long n_merged;  /* file rows given to the merge */
    int c_key, c_line, c_res, c_db;
};

static const char stage_sql[] =
    "CREATE TEMP TABLE import_stage (line integer NOT NULL, key text,"
    " resource_id text NOT NULL, started bigint NOT NULL, ended bigint, state text NOT NULL,"
    " from_objective text, to_objective text NOT NULL, operation_id text, initiated_by text)"
    " ON COMMIT DROP";
static const char copy_sql[] = "COPY import_stage FROM STDIN";
/* the key is lower(resource_id), as databases.resource_key: the client's
 * for an ASCII id (pg_copy_key), the server's for the others (the model's
 * arm_id_key lowers ASCII only) */
static const char key_rest_sql[] =
    "UPDATE import_stage SET key = lower(resource_id) WHERE key IS NULL";
// clang-format off
/* The resources of the staged rows that are not recorded exactly as they
 * are: no current version of the same resource with the same start, objectives, state, end,
 * operation and initiator. A row that is, merge_row finds the same
 * (history_same_transition, then HISTORY_SAME: nothing to add); a resource
 * all of whose rows are adds nothing, and its recorded history is
 * unchanged. The rows with a difference in form only (an objective's case,
 * an end with a fraction of a second) go to the merge, which decides. */
#define CHANGED_KEYS_SQL(recorded)                                                                         \
    "CREATE TEMP TABLE import_changed ON COMMIT DROP AS"                                              \
    " SELECT DISTINCT s.key FROM import_stage s WHERE NOT EXISTS (SELECT FROM " recorded " c"      \
    "  WHERE c.resource_key = s.key AND c.started_at = to_timestamp(s.started)"                    \
    "    AND c.to_objective = s.to_objective AND c.state = s.state"                                \
    "    AND c.from_objective IS NOT DISTINCT FROM s.from_objective"                               \
    "    AND c.ended_at IS NOT DISTINCT FROM to_timestamp(s.ended)"                                \
    "    AND c.operation_id IS NOT DISTINCT FROM s.operation_id"                                   \
    "    AND c.initiated_by IS NOT DISTINCT FROM s.initiated_by)"
/* against every current version (one scan of the store hashed: a file of
 * about the store's size; 0.95 s at 400,000 rows where the form below takes
 * 1.7 s), or against those of the staged resources only (index probes: a
 * file much smaller than the store; 1 ms for 11 rows where the scan takes
 * 0.6 s) */
static const char changed_all_sql[] = CHANGED_KEYS_SQL(
    "(SELECT d.resource_key, t.* FROM databases d JOIN current_transitions t"
    "  ON t.database_id = d.id)");
static const char changed_few_sql[] = CHANGED_KEYS_SQL(
    "(SELECT DISTINCT ON (t.database_id, t.started_at, t.from_key, t.to_key) d.resource_key, t.*"
    "   FROM databases d JOIN transitions t ON t.database_id = d.id"
    "  WHERE d.resource_key IN (SELECT key FROM import_stage)"
    "  ORDER BY t.database_id, t.started_at, t.from_key, t.to_key, t.id DESC)");
/* whether the file's first rows name a recorded resource (if none does,
 * the file is taken as new and no comparison is made: for a file of new
 * resources it found every row to merge, and a 10M-row file onto an empty
 * store was 25 s slower, 8%, for writing each of its keys into
 * import_changed), and the store's size in bytes, to choose between the
 * two forms */
static const char survey_sql[] =
    "SELECT EXISTS (SELECT 1 FROM (SELECT key FROM import_stage LIMIT 1000) s"
    "                WHERE EXISTS (SELECT 1 FROM databases d WHERE d.resource_key = s.key)),"
    "       pg_relation_size('transitions')";
/* staged rows under a 16th of the store's rows (about 250 bytes each) */
#define FEW_ROWS(bytes) ((bytes) / 250 / 16)
/* the staged rows (of the resources `only` leaves) with the recorded
 * transitions of the same resources, in merge_sort's order */
#define CURSOR_SQL(only)                                                                           \
    "DECLARE import_merge NO SCROLL CURSOR FOR"                                                    \
    " SELECT key COLLATE \"C\" AS key, line, resource_id, NULL::bigint AS database_id,"            \
    "        NULL::bigint AS tid,"                                                                 \
    "        started, ended, state, coalesce(from_objective, '') AS from_objective,"              \
    "        to_objective, operation_id, initiated_by"                                            \
    "   FROM import_stage WHERE true" only                                                         \
    " UNION ALL"                                                                                   \
    " SELECT d.resource_key, 0, d.resource_id, d.id, t.id, extract(epoch FROM t.started_at)::bigint,"\
    "        extract(epoch FROM t.ended_at)::bigint, t.state, coalesce(t.from_objective, ''),"    \
    "        t.to_objective, t.operation_id, t.initiated_by"                                      \
    "   FROM databases d JOIN current_transitions t ON t.database_id = d.id"                       \
    "  WHERE d.resource_key IN (SELECT key FROM import_stage WHERE true" only ")"                  \
    " ORDER BY key, line, started, tid"
static const char cursor_sql[] = CURSOR_SQL("");
static const char cursor_changed_sql[] = CURSOR_SQL(" AND key IN (SELECT key FROM import_changed)");
// clang-format on
#define FETCH_SQL "FETCH 5000 FROM import_merge"

TlResult store_import_begin(StoreConn *conn, StoreImport **out, TlError *err)
{
    StoreImport *im = calloc(1, sizeof *im);
    *out = NULL;
    if (!im)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    im->conn = conn;
    TlResult rc = pg_ascii_lower(conn, &im->ascii_lower, err);
    if (!rc)
        rc = pg_stage_begin(conn, "stage the file's rows", stage_sql, copy_sql, &im->copy, err);
    if (rc) {
        free(im);
        return rc;
    }
    *out = im;
    return TL_OK;
}

void store_import_stage_row(StoreImport *im, const MergeEntry *e)
{
    PgCopy *c = &im->copy;
    im->n_staged++;
    pg_copy_int(c, e->line);
    im->n_unkeyed += !pg_copy_key(c, im->ascii_lower, e->resource_id);
    pg_copy_field(c, e->resource_id);
    pg_copy_int(c, e->t.started_at);
    if (e->t.ended_at == TL_TIME_NONE)
        pg_copy_field(c, NULL);
    else
        pg_copy_int(c, e->t.ended_at);
    pg_copy_field(c, history_state_str(e->t.state));
    pg_copy_field(c, history_is_creation(&e->t) ? NULL : e->t.from_objective);
    pg_copy_field(c, e->t.to_objective);
    pg_copy_field(c, e->t.operation_id);
    pg_copy_field(c, e->t.initiated_by);
    pg_copy_end_row(c);
}

/* Which staged rows are not recorded as they are: the cursor's SQL for
 * the rows to merge into *sql (all of them for a file whose first rows are
 * of new resources), or NULL when there are none. */
static TlResult find_changed(StoreImport *im, const char **sql, TlError *err)
{
    PGresult *res;
    long long bytes = 0, changed = 0;
    *sql = cursor_sql;
    TlResult rc = pg_query(im->conn, "compare the file with what is recorded", survey_sql, 0, NULL,
                           &res, err);
    if (rc)
        return rc;
    bool any = pg_bool(res, 0, 0);
    pg_get_int64(res, 0, 1, &bytes);
    PQclear(res);
    if (!any)
        return TL_OK;
    *sql = NULL;
    const char *changed_sql = im->n_staged < FEW_ROWS(bytes) ? changed_few_sql : changed_all_sql;
    rc = pg_query(im->conn, "compare the file with what is recorded", changed_sql, 0, NULL, &res,
                  err);
    if (rc)
        return rc;
    changed = strtoll(PQcmdTuples(res), NULL, 10); /* resources with a row to merge */
    PQclear(res);
    if (changed > 0)
        *sql = cursor_changed_sql;
    return TL_OK;
}

TlResult store_import_staged(StoreImport *im, TlError *err)
{
    const char *sql = NULL;
    TlResult rc = pg_copy_finish(&im->copy, err);
    if (!rc && im->n_unkeyed)
        rc = pg_query(im->conn, "key the file's rows", key_rest_sql, 0, NULL, NULL, err);
    if (!rc)
        rc = find_changed(im, &sql, err);
    if (!rc && sql)
        rc = pg_query(im->conn, "read the file with what is recorded", sql, 0, NULL, NULL, err);
    im->exhausted = !sql; /* every row is recorded as it is: nothing to merge */
    return rc;
}

long long store_import_unchanged(const StoreImport *im)
{
    return im->n_staged - im->n_merged;
}

static void release_held(StoreImport *im)
{
    for (int i = 0; i < im->n_held; i++)
        if (im->held[i] != im->res)
            PQclear(im->held[i]);
    im->n_held = 0;
}

static bool held(const StoreImport *im, const PGresult *res)
{
    for (int i = 0; i < im->n_held; i++)
        if (im->held[i] == res)
            return true;
    return false;
}

/* The next FETCH round into im->res; *got false at the end. */
static TlResult fetch(StoreImport *im, bool *got, TlError *err)
{
    *got = false;
    if (im->exhausted)
        return TL_OK;
    if (im->res && !held(im, im->res))
        PQclear(im->res); /* nothing points into it */
    im->res = NULL;
    PGresult *res;
    TlResult rc =
        pg_query(im->conn, "read the file with what is recorded", FETCH_SQL, 0, NULL, &res, err);
    if (rc)
        return rc;
    if (PQntuples(res) == 0) {
        PQclear(res);
        im->exhausted = true;
        return TL_OK;
    }
    if (!im->have_columns) {
        rc = pg_transition_columns(res, &im->tc, err);
        im->c_key = PQfnumber(res, "key");
        im->c_line = PQfnumber(res, "line");
        im->c_res = PQfnumber(res, "resource_id");
        im->c_db = PQfnumber(res, "database_id");
        im->have_columns = true;
    }
    im->res = res;
    im->pos = 0;
    *got = !rc;
    return rc;
}

static void hold(StoreImport *im)
{
    if (!held(im, im->res))
        im->held[im->n_held++] = im->res;
}

TlResult store_import_next(StoreImport *im, MergeSet *file, MergeSet *rec, TlError *err)
{
    char last[ARM_ID_MAX] = "";
    size_t count = 0;
    TlResult rc = TL_OK;
    file->n = rec->n = 0;
    release_held(im);
    while (!rc) {
        if (!im->res || im->pos >= PQntuples(im->res)) {
            bool got;
            if (im->n_held >= HELD_MAX)
                return tl_error_set(err, TL_ERR_DATA,
                                    "the history of %s is too long to merge (over %d rows)", last,
                                    HELD_MAX * 5000);
            rc = fetch(im, &got, err);
            if (rc || !got)
                break;
        }
        const char *key = PQgetvalue(im->res, im->pos, im->c_key);
        if (count >= STORE_IMPORT_BATCH && strcmp(key, last) != 0)
            break; /* a whole resource per batch: stop between two */
        MergeEntry e = {0};
        long long line = 0;
        pg_get_int64(im->res, im->pos, im->c_line, &line);
        e.line = (int)line;
        snprintf(e.key, sizeof e.key, "%s", key);
        e.resource_id = PQgetvalue(im->res, im->pos, im->c_res);
        pg_get_int64(im->res, im->pos, im->c_db, &e.db_id);
        rc = pg_transition_decode(im->res, im->pos, &im->tc, &e.t, err);
        im->n_merged += e.line > 0;
        if (!rc)
            rc = merge_push(e.line > 0 ? file : rec, &e, err);
        hold(im);
        snprintf(last, sizeof last, "%s", key);
        im->pos++;
        count++;
    }
    return rc;
}

static const char keep_table_sql[] =
    "CREATE TEMP TABLE import_new (seq bigint NOT NULL, key text NOT NULL, line integer NOT NULL,"
    " database_id bigint, lineage_created bigint NOT NULL, new_lineage boolean NOT NULL,"
    " resource_id text NOT NULL, subscription_id text, resource_group text, server_name text,"
    " database_name text, started bigint NOT NULL, ended bigint, state text NOT NULL,"
    " from_objective text, to_objective text NOT NULL, operation_id text, initiated_by text)"
    " ON COMMIT DROP";
static const char keep_sql[] = "COPY import_new FROM STDIN";

TlResult store_import_keep(StoreImport *im, const MergeSet *all, TlError *err)
{
    TlResult rc = TL_OK;
    if (!im->keeping) {
        rc = pg_query(im->conn, "create the table of new rows", keep_table_sql, 0, NULL, NULL, err);
        im->keeping = !rc;
    }
    PgCopy c;
    if (!rc)
        rc = pg_copy_begin(im->conn, "keep the new rows", keep_sql, &c, err);
    for (size_t i = 0; !rc && i < all->n; i++) {
        const MergeEntry *e = &all->v[i];
        if (!e->insert)
            continue;
        const MergeEntry *creation = &all->v[e->creation];
        long long db = e->db_id ? e->db_id : creation->db_id;
        bool new_lineage = !db && e == creation;
        ArmDatabaseId p = {0};
        if (new_lineage)
            arm_database_id_parse(e->resource_id, &p);
        pg_copy_int(&c, im->seq++);
        pg_copy_field(&c, e->key);
        pg_copy_int(&c, e->line);
        if (db)
            pg_copy_int(&c, db);
        else
            pg_copy_field(&c, NULL);
        pg_copy_int(&c, creation->t.started_at);
        pg_copy_field(&c, new_lineage ? "t" : "f");
        pg_copy_field(&c, e->resource_id);
        pg_copy_field(&c, new_lineage ? p.subscription : NULL);
        pg_copy_field(&c, new_lineage ? p.resource_group : NULL);
        pg_copy_field(&c, new_lineage ? p.server : NULL);
        pg_copy_field(&c, new_lineage ? p.database : NULL);
        pg_copy_int(&c, e->t.started_at);
        if (e->t.ended_at == TL_TIME_NONE)
            pg_copy_field(&c, NULL);
        else
            pg_copy_int(&c, e->t.ended_at);
        pg_copy_field(&c, history_state_str(e->t.state));
        pg_copy_field(&c, history_is_creation(&e->t) ? NULL : e->t.from_objective);
        pg_copy_field(&c, e->t.to_objective);
        pg_copy_field(&c, e->t.operation_id);
        pg_copy_field(&c, e->t.initiated_by);
        pg_copy_end_row(&c);
    }
    if (!rc)
        rc = pg_copy_finish(&c, err);
    return rc;
}

// clang-format off
/* the new lineages among the rows numbered [$1, $2), recorded by the server (0026) */
static const char lineages_sql[] =
    "SELECT tierledger_add_lineages(array_agg(ROW(resource_id, subscription_id, resource_group,"
    "       server_name, database_name, to_timestamp(started))::tierledger_new_lineage"
    "       ORDER BY seq))"
    "   FROM import_new WHERE new_lineage AND seq >= $1 AND seq < $2";
static const char seq_index_sql[] = "CREATE INDEX ON import_new (seq)";
/* the new versions numbered [$2, $3) in the order the merge gave them (the
 * chain's order), appended and linked by the server (0026); a new lineage's
 * id looked up by its key, one index probe a row (a join hashed all of
 * databases for every batch: 0.37 s a batch at 1M lineages) */
static const char transitions_sql[] =
    "SELECT tierledger_append_transitions(array_agg(ROW(coalesce(n.database_id,"
    "       (SELECT d.id FROM databases d WHERE d.resource_key = n.key"
    "           AND d.created_at = to_timestamp(n.lineage_created))),"
    "       to_timestamp(n.started), to_timestamp(n.ended), n.state, n.from_objective,"
    "       n.to_objective, n.operation_id, n.initiated_by, 'import', $1 || ':' || n.line,"
    "       false)::tierledger_new_transition ORDER BY n.seq))"
    "   FROM import_new n WHERE n.seq >= $2 AND n.seq < $3";
// clang-format on
/* versions per call: the batch's array is about 200 bytes a row on the server */
#define APPEND_BATCH 50000

/* Run sql (one call over the rows numbered [lo, lo + APPEND_BATCH): its
 * nparams parameters, then lo and the end, written into params[nparams]
 * and params[nparams + 1] for the call) for every batch; *count += the
 * number each returns. */
static TlResult each_batch(StoreImport *im, const char *what, const char *sql, int nparams,
                           const char **params, long *count, TlError *err)
{
    TlResult rc = TL_OK;
    for (long long lo = 0; !rc && lo < im->seq; lo += APPEND_BATCH) {
        char from[24], to[24];
        snprintf(from, sizeof from, "%lld", lo);
        snprintf(to, sizeof to, "%lld", lo + APPEND_BATCH);
        params[nparams] = from;
        params[nparams + 1] = to;
        PGresult *res;
        rc = pg_query(im->conn, what, sql, nparams + 2, params, &res, err);
        if (rc)
            break;
        long long n = 0;
        pg_get_int64(res, 0, 0, &n);
        *count += (long)n;
        PQclear(res);
    }
    return rc;
}

TlResult store_import_finish(StoreImport *im, const char *source_name, size_t *written,
                             size_t *new_databases, TlError *err)
{
    long lineages = 0, rows = 0;
    *written = *new_databases = 0;
    if (!im->keeping)
        return TL_OK; /* nothing new */
    TlResult rc = TL_OK;
    if (im->seq > APPEND_BATCH)
        rc = pg_query(im->conn, "index the new rows", seq_index_sql, 0, NULL, NULL, err);
    const char *lineage_params[2], *version_params[3] = {source_name};
    if (!rc)
        rc = each_batch(im, "record the new lineages", lineages_sql, 0, lineage_params, &lineages,
                        err);
    if (!rc)
        rc = each_batch(im, "record the new transitions", transitions_sql, 1, version_params, &rows,
                        err);
    *new_databases = (size_t)lineages;
    *written = (size_t)rows;
    return rc;
}

void store_import_free(StoreImport *im)
{
    if (!im)
        return;
    pg_copy_abort(&im->copy);
    release_held(im);
    PQclear(im->res);
    free(im);
}
