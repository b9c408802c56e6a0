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
#include "cli/output.h"
#include "cli/rows.h"
#include "model/arm_id.h"
#include "model/history.h"
#include "model/merge.h"
#include "sql/store/conn.h"
#include "sql/store/imports.h"
#include "sql/store/lineages.h"

/* ---- loading what is recorded ---------------------------------------------- */

static TlResult load_recorded(StoreConn *conn, const MergeSet *file, MergeSet *out,
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
        MergeEntry e = {0};
        e.db_id = rec->rows[i].database_id;
        snprintf(e.key, sizeof e.key, "%s", rec->rows[i].resource_key);
        e.resource_id = rec->rows[i].resource_id;
        e.t = rec->rows[i].t;
        rc = merge_push(out, &e, err);
    }
    return rc;
}

/* ---- writing ------------------------------------------------------------------ */

static TlResult insert_all(StoreConn *conn, MergeSet *all, const char *source_name, size_t *written,
                           size_t *new_databases, TlError *err)
{
    TlResult rc = TL_OK;
    /* new lineages first: their creation rows give the database ids */
    for (size_t i = 0; i < all->n && !rc; i++) {
        MergeEntry *e = &all->v[i];
        if (!e->insert || !history_is_creation(&e->t) || e->db_id)
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
        MergeEntry *e = &all->v[i];
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

static TlResult run_import(CliContext *ctx, TlError *err)
{
    CsvTable *tab = NULL;
    char origin[CLI_ORIGIN_MAX];
    MergeSet file = {0}, rec = {0}, all = {0};
    StoreConn *conn = NULL;
    StoreRecorded recorded = {0};
    size_t already = 0, written = 0, new_databases = 0;
    TlResult rc =
        csvfile_load(ctx->args[0], rows_transition_required, rows_transition_optional, &tab, err);
    if (rc)
        return rc;
    const char *name = tab->name;
    cli_progress(ctx, "%s: %zu rows read, checking them", name, tab->n_rows);
    RowsTransitionColumns c;
    rows_transition_columns(tab, &c);
    for (size_t i = 0; i < tab->n_rows && !rc; i++) {
        MergeEntry e;
        rc = rows_transition(tab, &tab->rows[i], &c, &e, err);
        if (!rc)
            rc = merge_push(&file, &e, err);
    }
    if (!rc)
        rc = store_open_writer(cli_opt(ctx, "db"), cli_origin(ctx, name, origin, sizeof origin),
                               &conn, err);
    if (!rc)
        merge_sort(&file);
    if (!rc && file.n) {
        cli_progress(ctx, "%s: reading what is recorded for its databases", name);
        rc = load_recorded(conn, &file, &rec, &recorded, err);
    }
    if (!rc) {
        merge_sort(&rec);
        rc = merge_resources(&file, &rec, &all, name, &already, err);
    }
    if (!rc && cli_opt(ctx, "dry-run")) {
        cli_progress_end();
        for (size_t i = 0; i < all.n; i++)
            written += all.v[i].insert;
        fprintf(stderr,
                "tierledger import: %s: %zu rows valid; %zu would be recorded, %zu already "
                "recorded (dry run: nothing written)\n",
                name, tab->n_rows, written, already);
        store_rollback(conn);
        goto out;
    }
    if (!rc) {
        cli_progress(ctx, "%s: valid, writing", name);
        rc = insert_all(conn, &all, name, &written, &new_databases, err);
    }
    if (!rc)
        rc = store_commit(conn, err);
    cli_progress_end();
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
    merge_cleanup(&file);
    merge_cleanup(&rec);
    merge_cleanup(&all);
    csvfile_free(tab);
    return rc;
}

static const CliOption import_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"dry-run", NULL, "validate the file against what is recorded, write nothing", 0},
    {"progress", NULL, "show progress on stderr also when it is not a terminal", 0},
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
