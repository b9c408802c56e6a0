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
#include "model/history.h"
#include "model/merge.h"
#include "sql/store/conn.h"
#include "sql/store/imports.h"

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
        rc = store_recorded_merge(conn, &file, &rec, &recorded, err);
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
        rc = store_merge_insert(conn, &all, name, &written, &new_databases, err);
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
