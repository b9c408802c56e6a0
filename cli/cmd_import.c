/* cmd_import.c - `tierledger import FILE.csv`: tier transitions.
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
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/csvfile.h"
#include "model/arm_id.h"
#include "model/history.h"
#include "model/objective.h"
#include "sql/store/conn.h"
#include "sql/store/imports.h"
#include "sql/store/lineages.h"

typedef struct {
    int line;                /* file line; 0 for a recorded transition */
    const char *resource_id; /* as written */
    char key[ARM_ID_MAX];    /* the L7 identity key (arm_id_key) */
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
    if (!arm_id_key(e->resource_id, e->key, sizeof e->key))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: resource_id is too long", name, row->line);
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
    if (transition_is_creation(t) && t->state == TL_OP_SUCCEEDED && t->ended_at == TL_TIME_NONE)
        t->ended_at = t->started_at; /* a creation is complete when recorded */
    return TL_OK;
}

/* ---- loading what is recorded ---------------------------------------------- */

static TlResult load_recorded(StoreConn *conn, const Entries *file, Entries *out,
                              StoreRecorded *rec, TlError *err)
{
    const char **keys = malloc((file->n ? file->n : 1) * sizeof *keys);
    size_t n = 0;
    if (!keys)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < file->n; i++) /* distinct: file is sorted by key */
        if (i == 0 || strcmp(file->v[i - 1].key, file->v[i].key) != 0)
            keys[n++] = file->v[i].key;
    TlResult rc = store_recorded_load(conn, keys, n, rec, err);
    free(keys);
    for (size_t i = 0; i < rec->n && !rc; i++) {
        Entry e = {0};
        e.db_id = rec->rows[i].database_id;
        snprintf(e.key, sizeof e.key, "%s", rec->rows[i].resource_key);
        e.resource_id = rec->rows[i].resource_id;
        e.t = rec->rows[i].t;
        rc = entries_push(out, &e, err);
    }
    return rc;
}

/* ---- merging ------------------------------------------------------------------- */

/* Merge one file row into its resource's group all->v[first..]. */
static TlResult merge_row(Entries *all, size_t first, Entry *row, const char *file, size_t *already,
                          TlError *err)
{
    char a[TL_TIME_TEXT_MAX];
    for (size_t i = first; i < all->n; i++) {
        Entry *old = &all->v[i];
        if (old->superseded || !history_same_transition(&old->t, &row->t))
            continue;
        if (transition_is_creation(&row->t)) {
            if (!objective_equal(old->t.to_objective, row->t.to_objective))
                return tl_error_set(err, TL_ERR_DATA,
                                    "%s:%d: creation at %s as %s contradicts the recorded "
                                    "creation as %s",
                                    file, row->line, tl_time_format(row->t.started_at, a),
                                    row->t.to_objective, old->t.to_objective);
            (*already)++;
            return TL_OK;
        }
        HistoryMerge verdict = history_merge(&old->t, &row->t);
        if (verdict == HISTORY_SAME) {
            (*already)++;
            return TL_OK;
        }
        if (verdict == HISTORY_CONFLICT)
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
    if (transition_is_creation(&a->t) != transition_is_creation(&b->t))
        return transition_is_creation(&a->t) ? -1 : 1;
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
        if (!e || transition_is_creation(&e->t)) {
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

static TlResult insert_all(StoreConn *conn, Entries *all, const char *source_name, size_t *written,
                           size_t *new_databases, TlError *err)
{
    TlResult rc = TL_OK;
    /* new lineages first: their creation rows give the database ids */
    for (size_t i = 0; i < all->n && !rc; i++) {
        Entry *e = &all->v[i];
        if (!e->insert || !transition_is_creation(&e->t) || e->db_id)
            continue;
        ArmDatabaseId p;
        arm_database_id_parse(e->resource_id, &p);
        StoreLineageRow row = {e->resource_id,
                               p.subscription,
                               p.resource_group,
                               p.server,
                               p.database,
                               e->t.started_at,
                               NULL};
        rc = store_lineage_insert(conn, &row, &e->db_id, err);
        (*new_databases) += rc == TL_OK;
    }
    size_t n = 0;
    StoreImportRow *rows = rc ? NULL : malloc((all->n ? all->n : 1) * sizeof *rows);
    if (!rc && !rows)
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < all->n && !rc; i++) {
        Entry *e = &all->v[i];
        if (!e->insert)
            continue;
        if (!e->db_id)
            e->db_id = all->v[e->creation].db_id;
        rows[n] = (StoreImportRow){e->db_id, &e->t, source_name, e->line};
        n++;
    }
    if (!rc)
        rc = store_transitions_import(conn, rows, n, err);
    if (!rc)
        *written += n;
    free(rows);
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
    StoreConn *conn = NULL;
    StoreRecorded recorded = {0};
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
        rc = store_open_writer(cli_opt(ctx, "db"), &conn, err);
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
        store_rollback(conn);
        goto out;
    }
    if (!rc)
        rc = insert_all(conn, &all, name, &written, &new_databases, err);
    if (!rc)
        rc = store_commit(conn, err);
    if (!rc)
        fprintf(stderr,
                "tierledger import: %s: %zu rows: %zu transitions recorded (%zu new database "
                "lineages), %zu already recorded\n",
                name, tab->n_rows, written, new_databases, already);
out:
    if (rc)
        store_rollback(conn);
    store_recorded_cleanup(&recorded);
    store_close(conn);
    free(file.v);
    free(rec.v);
    free(all.v);
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
