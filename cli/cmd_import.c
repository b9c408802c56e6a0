/* cmd_import.c - `tierledger import FILE.csv` (transitions) and
 * `tierledger import-facts FILE.csv` (facts for the checks).
 *
 * All or nothing: the whole file is parsed and validated, merged with what
 * is already recorded and validated again (L7 lineages, L11 objectives in
 * effect) under the writers' lock, and only then written, in one
 * transaction. A bad file is rejected with FILE:LINE and exit 65 before any
 * row is written, so the database stays byte for byte as it was.
 *
 * Idempotence: a row equal to the recorded version of its transition (same
 * database lineage, start and objectives) adds nothing; a row that brings a
 * running transition to its end is a new version (transitions are
 * append-only); a row that contradicts a finished one is an error. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "csvfile.h"
#include "lineage.h"
#include "objective.h"
#include "pg.h"
#include "store.h"

typedef struct {
    int line;                /* file line; 0 for a recorded transition */
    const char *resource_id; /* as written */
    char key[1024];          /* lower-case resource id */
    TlTransition t;
    long long db_id; /* recorded lineage; 0 for new */
    bool insert;     /* to be written */
    bool superseded; /* a later row of the file replaced it */
    size_t creation; /* index of its lineage's creation entry (merged set) */
} Entry;

typedef struct {
    Entry *v;
    size_t n, cap;
} Entries;

static TlResult entries_push(Entries *e, const Entry *x, TlError *err)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        Entry *grown = realloc(e->v, cap * sizeof *grown);
        if (!grown)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        e->v = grown;
        e->cap = cap;
    }
    e->v[e->n++] = *x;
    return TL_OK;
}

static bool is_creation(const TlTransition *t)
{
    return !t->from_objective || !t->from_objective[0];
}

static void lower_copy(char *dst, size_t size, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < size; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

static const char *field(const CsvRow *row, int col)
{
    return col >= 0 && (size_t)col < row->n ? row->fields[col] : "";
}

static const char *null_if_empty(const char *s)
{
    return s && s[0] ? s : NULL;
}

/* ---- parsing rows ---------------------------------------------------------- */

typedef struct {
    int resource_id, operation_id, started_at, ended_at, state, from, to, initiated_by;
} Columns;

static TlResult parse_row(const CsvTable *tab, const CsvRow *row, const Columns *c, Entry *e,
                          TlError *err)
{
    const char *name = tab->name;
    memset(e, 0, sizeof *e);
    e->line = row->line;
    if (row->n != tab->header.n)
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: %zu fields, the header has %zu", name,
                            row->line, row->n, tab->header.n);
    ArmDatabaseId parts;
    e->resource_id = field(row, c->resource_id);
    if (!arm_database_id_parse(e->resource_id, &parts))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: resource_id '%s' is not an Azure SQL database resource id",
                            name, row->line, e->resource_id);
    if (strlen(e->resource_id) >= sizeof e->key)
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: resource_id is too long", name, row->line);
    lower_copy(e->key, sizeof e->key, e->resource_id);
    TlTransition *t = &e->t;
    const char *started = field(row, c->started_at), *ended = field(row, c->ended_at);
    if (!tl_time_parse(started, false, &t->started_at))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: started_at '%s' is not an RFC 3339 time",
                            name, row->line, started);
    t->ended_at = TL_TIME_NONE;
    if (ended[0] && !tl_time_parse(ended, false, &t->ended_at))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: ended_at '%s' is not an RFC 3339 time", name,
                            row->line, ended);
    const char *state = field(row, c->state);
    if (!op_state_parse(state, &t->state))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: unknown state '%s' (Pending, InProgress, Succeeded, Failed, "
                            "CancelInProgress, Cancelled)",
                            name, row->line, state);
    t->from_objective = field(row, c->from);
    t->to_objective = field(row, c->to);
    if (!t->to_objective[0])
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: to_objective is empty", name, row->line);
    if (strlen(t->to_objective) >= TL_OBJECTIVE_MAX ||
        strlen(t->from_objective) >= TL_OBJECTIVE_MAX)
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: objective name longer than %d characters",
                            name, row->line, TL_OBJECTIVE_MAX - 1);
    t->operation_id = null_if_empty(field(row, c->operation_id));
    t->initiated_by = null_if_empty(field(row, c->initiated_by));
    if (is_creation(t) && t->state == TL_OP_SUCCEEDED && t->ended_at == TL_TIME_NONE)
        t->ended_at = t->started_at; /* a creation is complete when recorded */
    return TL_OK;
}

/* ---- loading what is recorded ---------------------------------------------- */

static TlResult load_recorded(PGconn *conn, const Entries *file, Entries *out, PGresult **keep,
                              TlError *err)
{
    /* (db id, resource_key, started, ended epoch, state, from, to, operation_id, initiated_by) */
    static const char sql[] =
        "SELECT d.id, d.resource_key, extract(epoch FROM t.started_at)::bigint,"
        "       extract(epoch FROM t.ended_at)::bigint, t.state, coalesce(t.from_objective, ''),"
        "       t.to_objective, t.operation_id, t.initiated_by, d.resource_id"
        "  FROM databases d JOIN current_transitions t ON t.database_id = d.id"
        " WHERE d.resource_key = ANY($1::text[])"
        " ORDER BY d.resource_key, t.started_at, t.id";
    PgArray keys = {0};
    for (size_t i = 0; i < file->n; i++) /* distinct: file is sorted by key */
        if (i == 0 || strcmp(file->v[i - 1].key, file->v[i].key) != 0)
            pg_array_add(&keys, file->v[i].key);
    const char *params[] = {pg_array_finish(&keys)};
    TlResult rc = params[0] ? pg_query(conn, "load recorded transitions", sql, 1, params, keep, err)
                            : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    pg_array_free(&keys);
    if (rc)
        return rc;
    PGresult *res = *keep;
    for (int i = 0; i < PQntuples(res) && !rc; i++) {
        Entry e = {0};
        long long v;
        pg_get_int64(res, i, 0, &e.db_id);
        snprintf(e.key, sizeof e.key, "%s", PQgetvalue(res, i, 1));
        e.resource_id = PQgetvalue(res, i, 9);
        e.t.started_at = pg_get_int64(res, i, 2, &v) ? v : TL_TIME_NONE;
        e.t.ended_at = pg_get_int64(res, i, 3, &v) ? v : TL_TIME_NONE;
        if (!op_state_parse(PQgetvalue(res, i, 4), &e.t.state))
            return tl_error_set(err, TL_ERR_INTERNAL, "postgresql: unknown state recorded");
        e.t.from_objective = PQgetvalue(res, i, 5);
        e.t.to_objective = PQgetvalue(res, i, 6);
        e.t.operation_id = PQgetisnull(res, i, 7) ? NULL : PQgetvalue(res, i, 7);
        e.t.initiated_by = PQgetisnull(res, i, 8) ? NULL : PQgetvalue(res, i, 8);
        rc = entries_push(out, &e, err);
    }
    return rc;
}

/* ---- merging ------------------------------------------------------------------- */

static bool same_transition(const Entry *a, const Entry *b)
{
    return a->t.started_at == b->t.started_at && is_creation(&a->t) == is_creation(&b->t) &&
           (is_creation(&a->t) || (objective_equal(a->t.from_objective, b->t.from_objective) &&
                                   objective_equal(a->t.to_objective, b->t.to_objective)));
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Merge one file row into its resource's group all->v[first..]. */
static TlResult merge_row(Entries *all, size_t first, Entry *row, const char *file, size_t *already,
                          TlError *err)
{
    char a[TL_TIME_TEXT_MAX];
    for (size_t i = first; i < all->n; i++) {
        Entry *old = &all->v[i];
        if (old->superseded || !same_transition(old, row))
            continue;
        if (is_creation(&row->t)) {
            if (!objective_equal(old->t.to_objective, row->t.to_objective))
                return tl_error_set(err, TL_ERR_DATA,
                                    "%s:%d: creation at %s as %s contradicts the recorded "
                                    "creation as %s",
                                    file, row->line, tl_time_format(row->t.started_at, a),
                                    row->t.to_objective, old->t.to_objective);
            (*already)++;
            return TL_OK;
        }
        bool same_end = old->t.state == row->t.state && old->t.ended_at == row->t.ended_at;
        bool adds = (row->t.initiated_by && !old->t.initiated_by) ||
                    (row->t.operation_id && !old->t.operation_id);
        bool differs = (row->t.initiated_by && old->t.initiated_by &&
                        !same_text(row->t.initiated_by, old->t.initiated_by)) ||
                       (row->t.operation_id && old->t.operation_id &&
                        !same_text(row->t.operation_id, old->t.operation_id));
        if (same_end && !adds && !differs) {
            (*already)++;
            return TL_OK;
        }
        if (op_state_terminal(old->t.state) && !op_state_terminal(row->t.state)) {
            (*already)++; /* older news: the recorded version already finished */
            return TL_OK;
        }
        if (op_state_terminal(old->t.state) && (!same_end || differs))
            return tl_error_set(err, TL_ERR_DATA,
                                "%s:%d: the transition started %s is recorded as %s; this row "
                                "says %s",
                                file, row->line, tl_time_format(row->t.started_at, a),
                                op_state_str(old->t.state), op_state_str(row->t.state));
        /* a new version: the running transition progressed, or gained who/which */
        row->db_id = old->db_id;
        if (!row->t.initiated_by)
            row->t.initiated_by = old->t.initiated_by;
        if (!row->t.operation_id)
            row->t.operation_id = old->t.operation_id;
        old->superseded = true;
        break;
    }
    row->insert = true;
    return entries_push(all, row, err);
}

/* Time order within a resource: by start, a creation before a change at the
 * same instant, then by position (stable). */
static const Entry *order_base;
static int cmp_time(const void *pa, const void *pb)
{
    const Entry *a = &order_base[*(const size_t *)pa], *b = &order_base[*(const size_t *)pb];
    if (a->t.started_at != b->t.started_at)
        return a->t.started_at < b->t.started_at ? -1 : 1;
    if (is_creation(&a->t) != is_creation(&b->t))
        return is_creation(&a->t) ? -1 : 1;
    return (*(const size_t *)pa > *(const size_t *)pb) -
           (*(const size_t *)pa < *(const size_t *)pb);
}

/* Validate one lineage: members[0] is its creation, the rest in time order. */
static TlResult validate_lineage(const Entry *v, const size_t *members, size_t n, const char *file,
                                 TlError *err)
{
    TlTransition *tr = malloc(n * sizeof *tr);
    if (!tr)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        tr[i] = v[members[i]].t;
    size_t bad = 0;
    TlError why;
    TlResult rc = history_validate(tr, n, &bad, &why);
    free(tr);
    if (rc == TL_OK)
        return TL_OK;
    const Entry *e = &v[members[bad]];
    if (e->line > 0)
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: %s", file, e->line, why.msg);
    int line = 0;
    for (size_t i = 0; i < n && !line; i++)
        line = v[members[i]].line;
    char a[TL_TIME_TEXT_MAX];
    return tl_error_set(err, TL_ERR_DATA,
                        "%s:%d: with this file the recorded transition of %s at %s is "
                        "inconsistent: %s",
                        file, line, e->resource_id, tl_time_format(e->t.started_at, a), why.msg);
}

/* One resource's entries v[0..n) (index base in the whole array): assign
 * each transition to its lineage, the latest creation at or before its
 * start (L7), refuse a new creation that would split a recorded lineage,
 * and validate each lineage (L11). Sets `creation` on every live entry. */
static TlResult validate_resource(Entry *v, size_t n, size_t base, const char *file, TlError *err)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    size_t *order = malloc((n ? n : 1) * sizeof *order), live = 0;
    if (!order)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (!v[i].superseded)
            order[live++] = i;
    order_base = v;
    if (live)
        qsort(order, live, sizeof *order, cmp_time);
    TlResult rc = TL_OK;
    size_t lineage_start = 0, creation = SIZE_MAX;
    for (size_t k = 0; k <= live && !rc; k++) {
        Entry *e = k < live ? &v[order[k]] : NULL;
        if (!e || is_creation(&e->t)) {
            if (creation != SIZE_MAX)
                rc = validate_lineage(v, order + lineage_start, k - lineage_start, file, err);
            if (e) {
                creation = order[k];
                lineage_start = k;
                e->creation = base + creation;
            }
            continue;
        }
        if (creation == SIZE_MAX) {
            rc = tl_error_set(err, TL_ERR_DATA,
                              "%s:%d: transition at %s comes before the creation row of %s", file,
                              e->line, tl_time_format(e->t.started_at, a), e->resource_id);
            break;
        }
        const Entry *c = &v[creation];
        if (e->db_id && e->db_id != c->db_id) {
            rc = tl_error_set(err, TL_ERR_DATA,
                              "%s:%d: a creation at %s would split the recorded history of %s (a "
                              "transition at %s is recorded in an older lineage)",
                              file, c->line, tl_time_format(c->t.started_at, a), c->resource_id,
                              tl_time_format(e->t.started_at, b));
            break;
        }
        e->db_id = c->db_id;
        e->creation = base + creation;
    }
    free(order);
    return rc;
}

static int cmp_key(const void *pa, const void *pb)
{
    const Entry *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c)
        return c;
    return (a->line > b->line) - (a->line < b->line); /* file rows in file order */
}

/* ---- writing ------------------------------------------------------------------ */

static TlResult insert_all(PGconn *conn, Entries *all, const char *source_name, size_t *written,
                           size_t *new_databases, TlError *err)
{
    static const char sql_db[] =
        "INSERT INTO databases (resource_id, subscription_id, resource_group, server_name,"
        "                       database_name, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6::timestamptz) RETURNING id";
    /* one row per array element; arrays as text literals, NULL for absent */
    static const char sql_tr[] =
        "INSERT INTO transitions (database_id, started_at, ended_at, state, from_objective,"
        "                         to_objective, operation_id, initiated_by, source_record_id,"
        "                         source)"
        " SELECT *, 'import' FROM unnest($1::bigint[], $2::timestamptz[], $3::timestamptz[],"
        "                                $4::text[], $5::text[], $6::text[], $7::text[],"
        "                                $8::text[], $9::text[])";
    TlResult rc = TL_OK;
    enum { INSERT_BATCH = 5000 }; /* rows per INSERT ... SELECT FROM unnest(...) */
    /* new lineages first: their creation rows give the database ids */
    for (size_t i = 0; i < all->n && !rc; i++) {
        Entry *e = &all->v[i];
        if (!e->insert || !is_creation(&e->t) || e->db_id)
            continue;
        ArmDatabaseId p;
        arm_database_id_parse(e->resource_id, &p);
        char created[TL_TIME_TEXT_MAX];
        const char *params[] = {e->resource_id,   p.subscription,
                                p.resource_group, p.server,
                                p.database,       tl_time_format(e->t.started_at, created)};
        PGresult *res;
        rc = pg_query(conn, "insert database", sql_db, 6, params, &res, err);
        if (rc)
            break;
        pg_get_int64(res, 0, 0, &e->db_id);
        PQclear(res);
        (*new_databases)++;
    }
    /* the transitions, in batches of one statement each */
    for (size_t i = 0; i < all->n && !rc;) {
        PgArray col[9] = {{0}};
        size_t rows = 0;
        for (; i < all->n && rows < INSERT_BATCH; i++) {
            Entry *e = &all->v[i];
            if (!e->insert)
                continue;
            if (!e->db_id)
                e->db_id = all->v[e->creation].db_id;
            char id[32], started[TL_TIME_TEXT_MAX], ended[TL_TIME_TEXT_MAX], record[600];
            snprintf(id, sizeof id, "%lld", e->db_id);
            snprintf(record, sizeof record, "%s:%d", source_name, e->line);
            const char *values[9] = {
                id,
                tl_time_format(e->t.started_at, started),
                e->t.ended_at == TL_TIME_NONE ? NULL : tl_time_format(e->t.ended_at, ended),
                op_state_str(e->t.state),
                e->t.from_objective[0] ? e->t.from_objective : NULL,
                e->t.to_objective,
                e->t.operation_id,
                e->t.initiated_by,
                record};
            for (int c = 0; c < 9; c++)
                pg_array_add(&col[c], values[c]);
            rows++;
        }
        const char *params[9];
        bool failed = false;
        for (int c = 0; c < 9; c++) {
            params[c] = pg_array_finish(&col[c]);
            failed = failed || !params[c];
        }
        if (failed)
            rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        else if (rows)
            rc = pg_query(conn, "insert transitions", sql_tr, 9, params, NULL, err);
        if (!rc)
            *written += rows;
        for (int c = 0; c < 9; c++)
            pg_array_free(&col[c]);
    }
    return rc;
}

/* Merge the file rows (sorted by key, then line) with the recorded
 * transitions (sorted by key) into `all`, one resource at a time, and
 * validate each resource as soon as it is complete. */
static TlResult merge_all(Entries *file, Entries *rec, Entries *all, const char *name,
                          size_t *already, TlError *err)
{
    TlResult rc = TL_OK;
    size_t f = 0, r = 0;
    while (!rc && (f < file->n || r < rec->n)) {
        const char *key = f < file->n && (r >= rec->n || strcmp(file->v[f].key, rec->v[r].key) <= 0)
                              ? file->v[f].key
                              : rec->v[r].key;
        size_t first = all->n;
        for (; !rc && r < rec->n && strcmp(rec->v[r].key, key) == 0; r++)
            rc = entries_push(all, &rec->v[r], err);
        for (; !rc && f < file->n && strcmp(file->v[f].key, key) == 0; f++)
            rc = merge_row(all, first, &file->v[f], name, already, err);
        if (!rc)
            rc = validate_resource(&all->v[first], all->n - first, first, name, err);
    }
    return rc;
}

static TlResult run_import(CliContext *ctx, TlError *err)
{
    static const char *const required[] = {"resource_id",    "started_at",   "ended_at", "state",
                                           "from_objective", "to_objective", NULL};
    static const char *const optional[] = {"operation_id", "initiated_by", NULL};
    CsvTable *tab = NULL;
    Entries file = {0}, rec = {0}, all = {0};
    PGconn *conn = NULL;
    PGresult *recorded = NULL;
    size_t already = 0, written = 0, new_databases = 0;
    TlResult rc = csvfile_load(ctx->args[0], required, optional, &tab, err);
    if (rc)
        return rc;
    const char *name = tab->name;
    Columns c = {csvfile_column(tab, "resource_id"),  csvfile_column(tab, "operation_id"),
                 csvfile_column(tab, "started_at"),   csvfile_column(tab, "ended_at"),
                 csvfile_column(tab, "state"),        csvfile_column(tab, "from_objective"),
                 csvfile_column(tab, "to_objective"), csvfile_column(tab, "initiated_by")};
    for (size_t i = 0; i < tab->n_rows && !rc; i++) {
        Entry e;
        rc = parse_row(tab, &tab->rows[i], &c, &e, err);
        if (!rc)
            rc = entries_push(&file, &e, err);
    }
    if (!rc)
        rc = pg_open_writer(cli_opt(ctx, "db"), &conn, err);
    if (!rc && file.n)
        qsort(file.v, file.n, sizeof *file.v, cmp_key);
    if (!rc && file.n)
        rc = load_recorded(conn, &file, &rec, &recorded, err);
    if (!rc) {
        if (rec.n)
            qsort(rec.v, rec.n, sizeof *rec.v, cmp_key);
        rc = merge_all(&file, &rec, &all, name, &already, err);
    }
    if (!rc && cli_opt(ctx, "dry-run")) {
        for (size_t i = 0; i < all.n; i++)
            written += all.v[i].insert;
        fprintf(stderr,
                "tierledger import: %s: %zu rows valid; %zu would be recorded, %zu already "
                "recorded (dry run: nothing written)\n",
                name, tab->n_rows, written, already);
        pg_rollback(conn);
        goto out;
    }
    if (!rc)
        rc = insert_all(conn, &all, name, &written, &new_databases, err);
    if (!rc)
        rc = pg_commit(conn, err);
    if (!rc)
        fprintf(stderr,
                "tierledger import: %s: %zu rows: %zu transitions recorded (%zu new database "
                "lineages), %zu already recorded\n",
                name, tab->n_rows, written, new_databases, already);
out:
    if (rc && conn)
        pg_rollback(conn);
    PQclear(recorded);
    pg_close(conn);
    free(file.v);
    free(rec.v);
    free(all.v);
    csvfile_free(tab);
    return rc;
}

/* ---- import-facts ------------------------------------------------------------ */

static TlResult parse_bool(const char *text, const char **out)
{
    static const char *const yes[] = {"true", "yes", "1", "t", "y", NULL};
    static const char *const no[] = {"false", "no", "0", "f", "n", NULL};
    char low[8];
    lower_copy(low, sizeof low, text);
    *out = NULL;
    if (!text[0])
        return TL_OK;
    for (int i = 0; yes[i]; i++)
        if (strcmp(low, yes[i]) == 0)
            return (*out = "true", TL_OK);
    for (int i = 0; no[i]; i++)
        if (strcmp(low, no[i]) == 0)
            return (*out = "false", TL_OK);
    return TL_ERR_DATA;
}

static bool is_count(const char *text, long long max)
{
    if (!text[0] || strlen(text) > 19)
        return false;
    for (const char *p = text; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return strtoll(text, NULL, 10) <= max;
}

static TlResult run_import_facts(CliContext *ctx, TlError *err)
{
    static const char *const required[] = {"resource_id", "observed_at", NULL};
    static const char *const optional[] = {
        "retention_days", "elastic_pool_id", "in_elastic_pool", "geo_replication",
        "named_replicas", "allocated_bytes", "max_size_bytes",  NULL};
    static const char sql_insert[] =
        "INSERT INTO database_facts (database_id, observed_at, retention_days, elastic_pool_id,"
        "   in_elastic_pool, geo_replication, named_replicas, allocated_bytes, max_size_bytes, "
        "source)"
        " VALUES ($1::bigint, $2::timestamptz, $3::int, $4, $5::boolean, $6::boolean, $7::int,"
        "         $8::bigint, $9::bigint, 'import')"
        " ON CONFLICT (database_id, observed_at, source) DO NOTHING";
    CsvTable *tab = NULL;
    PGconn *conn = NULL;
    size_t written = 0;
    TlResult rc = csvfile_load(ctx->args[0], required, optional, &tab, err);
    if (rc)
        return rc;
    const char *name = tab->name;
    rc = pg_open_writer(cli_opt(ctx, "db"), &conn, err);
    int col[9];
    const char *names[] = {"resource_id",     "observed_at",     "retention_days",
                           "elastic_pool_id", "in_elastic_pool", "geo_replication",
                           "named_replicas",  "allocated_bytes", "max_size_bytes"};
    for (int i = 0; i < 9; i++)
        col[i] = csvfile_column(tab, names[i]);
    /* validate every row before writing any */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        for (size_t i = 0; i < tab->n_rows && !rc; i++) {
            const CsvRow *row = &tab->rows[i];
            const char *v[9];
            for (int k = 0; k < 9; k++)
                v[k] = field(row, col[k]);
            TlTime observed;
            ArmDatabaseId parts;
            const char *pool_flag, *geo_flag;
            long long retention = 0;
            if (row->n != tab->header.n)
                rc = tl_error_set(err, TL_ERR_DATA, "%s:%d: %zu fields, the header has %zu", name,
                                  row->line, row->n, tab->header.n);
            else if (!arm_database_id_parse(v[0], &parts))
                rc =
                    tl_error_set(err, TL_ERR_DATA,
                                 "%s:%d: resource_id '%s' is not an Azure SQL database resource id",
                                 name, row->line, v[0]);
            else if (!tl_time_parse(v[1], false, &observed))
                rc = tl_error_set(err, TL_ERR_DATA,
                                  "%s:%d: observed_at '%s' is not an RFC 3339 time", name,
                                  row->line, v[1]);
            else if (v[2][0] && (!is_count(v[2], 35) || (retention = atoll(v[2])) < 1))
                rc = tl_error_set(err, TL_ERR_DATA,
                                  "%s:%d: retention_days '%s' is not between 1 and 35 (L9)", name,
                                  row->line, v[2]);
            else if (parse_bool(v[4], &pool_flag) || parse_bool(v[5], &geo_flag))
                rc = tl_error_set(err, TL_ERR_DATA,
                                  "%s:%d: in_elastic_pool and geo_replication take true or false",
                                  name, row->line);
            else if ((v[6][0] && !is_count(v[6], 1000)) ||
                     (v[7][0] && !is_count(v[7], INT64_MAX / 2)) ||
                     (v[8][0] && !is_count(v[8], INT64_MAX / 2) && strcmp(v[8], "-1") != 0))
                rc = tl_error_set(err, TL_ERR_DATA,
                                  "%s:%d: named_replicas, allocated_bytes and max_size_bytes take "
                                  "whole non-negative numbers",
                                  name, row->line);
            if (rc)
                break;
            char when[TL_TIME_TEXT_MAX], id[32];
            long long lineage;
            tl_time_format(observed, when);
            rc = store_lineage_at(conn, v[0], observed, &lineage, err); /* alive at observed_at */
            if (rc)
                break;
            if (!lineage) {
                rc = tl_error_set(err, TL_ERR_DATA,
                                  "%s:%d: no lineage of %s existed at %s: import its transitions "
                                  "first",
                                  name, row->line, v[0], when);
                break;
            }
            snprintf(id, sizeof id, "%lld", lineage);
            if (pass == 1) {
                const char *ip[] = {id,
                                    when,
                                    null_if_empty(v[2]),
                                    null_if_empty(v[3]),
                                    pool_flag,
                                    geo_flag,
                                    null_if_empty(v[6]),
                                    null_if_empty(v[7]),
                                    null_if_empty(v[8])};
                PGresult *ins;
                rc = pg_query(conn, "insert facts", sql_insert, 9, ip, &ins, err);
                if (!rc) {
                    written += strcmp(PQcmdTuples(ins), "1") == 0;
                    PQclear(ins);
                }
            }
        }
    }
    if (!rc)
        rc = pg_commit(conn, err);
    if (!rc)
        fprintf(stderr,
                "tierledger import-facts: %s: %zu rows: %zu recorded, %zu already recorded\n", name,
                tab->n_rows, written, tab->n_rows - written);
    if (rc && conn)
        pg_rollback(conn);
    pg_close(conn);
    csvfile_free(tab);
    return rc;
}

static const CliOption import_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"dry-run", NULL, "validate the file against what is recorded, write nothing", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_import = {
    .name = "import",
    .summary = "load tier transitions from a CSV file (all or nothing)",
    .usage = "FILE.csv [options]",
    .description =
        "FILE.csv (or - for stdin) has a header row; columns in any order:\n"
        "  resource_id,started_at,ended_at,state,from_objective,to_objective   (required)\n"
        "  operation_id,initiated_by                                           (optional)\n"
        "A row with an empty from_objective is the database's creation. ended_at is empty while\n"
        "state is Pending, InProgress or CancelInProgress. Times are RFC 3339. Importing the same\n"
        "file twice adds nothing. A bad file is rejected whole (FILE:LINE, exit 65) and nothing\n"
        "is written.",
    .options = import_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_import,
};

static const CliOption import_facts_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_import_facts = {
    .name = "import-facts",
    .summary = "load facts the checks need (retention, pool, geo links, replicas, size)",
    .usage = "FILE.csv [options]",
    .description =
        "Columns: resource_id,observed_at (required) and any of retention_days,\n"
        "elastic_pool_id,in_elastic_pool,geo_replication,named_replicas,allocated_bytes,\n"
        "max_size_bytes. An empty cell means unknown: checks then name the assumption.\n"
        "The facts attach to the lineage that existed at observed_at.",
    .options = import_facts_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_import_facts,
};
