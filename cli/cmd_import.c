/* cmd_import.c - `tierledger import FILE.csv`: tier transitions.
 *
 * All or nothing, in bounded memory: under the writers' lock, every row is
 * checked as it is read and staged with COPY; then the staged rows come
 * back with what is recorded for the same resources, a batch of whole
 * resources at a time, to be merged and validated (L7 lineages, L11
 * objectives in effect) and written; all in one transaction. A bad file is
 * rejected with FILE:LINE and exit 65 and the transaction rolled back, so
 * the database stays byte for byte as it was.
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

/* Read the file, checking each row, into the staging table. */
static TlResult stage_file(CliContext *ctx, CsvReader *in, StoreImport *im, TlError *err)
{
    const CsvTable *tab = csvfile_table(in);
    RowsTransitionColumns c;
    rows_transition_columns(tab, &c);
    TlResult rc = TL_OK;
    for (const CsvRow *row; !rc;) {
        rc = csvfile_next(in, &row, err);
        if (rc || !row)
            break;
        MergeEntry e;
        rc = rows_transition(tab, row, &c, &e, err);
        if (!rc)
            store_import_stage_row(im, &e);
        if (tab->n_rows % 100000 == 0)
            cli_progress(ctx, "%s: %zu rows checked", tab->name, tab->n_rows);
    }
    return rc ? rc : store_import_staged(im, err);
}

/* Merge what is staged with what is recorded, a batch of whole resources
 * at a time, keeping each batch's new rows (unless dry). */
static TlResult merge_batches(CliContext *ctx, StoreImport *im, const char *name, bool dry,
                              size_t *would, size_t *already, TlError *err)
{
    MergeSet file = {0}, rec = {0}, all = {0};
    TlResult rc = TL_OK;
    for (size_t batches = 0; !rc; batches++) {
        rc = store_import_next(im, &file, &rec, err);
        if (rc || (!file.n && !rec.n))
            break;
        all.n = 0;
        rc = merge_resources(&file, &rec, &all, name, already, err);
        for (size_t i = 0; !rc && i < all.n; i++)
            *would += all.v[i].insert;
        if (!rc && !dry && *would)
            rc = store_import_keep(im, &all, err);
        if (batches % 20 == 19)
            cli_progress(ctx, "%s: %zu rows merged", name, *would + *already);
    }
    merge_cleanup(&file);
    merge_cleanup(&rec);
    merge_cleanup(&all);
    return rc;
}

static TlResult run_import(CliContext *ctx, TlError *err)
{
    CsvReader *in = NULL;
    char origin[CLI_ORIGIN_MAX];
    StoreConn *conn = NULL;
    StoreImport *im = NULL;
    size_t already = 0, would = 0, written = 0, new_databases = 0;
    bool dry = cli_opt(ctx, "dry-run") != NULL;
    TlResult rc =
        csvfile_open(ctx->args[0], rows_transition_required, rows_transition_optional, &in, err);
    if (rc)
        return rc;
    const CsvTable *tab = csvfile_table(in);
    const char *name = tab->name;
    rc = store_open_writer(cli_opt(ctx, "db"), cli_origin(ctx, name, origin, sizeof origin), &conn,
                           err);
    if (!rc)
        rc = store_import_begin(conn, &im, err);
    if (!rc)
        rc = stage_file(ctx, in, im, err);
    if (!rc) {
        cli_progress(ctx, "%s: %zu rows valid, merging them with what is recorded", name,
                     tab->n_rows);
        rc = merge_batches(ctx, im, name, dry, &would, &already, err);
        already += rc ? 0 : (size_t)store_import_unchanged(im);
    }
    if (!rc && !dry) {
        cli_progress(ctx, "%s: valid, writing", name);
        rc = store_import_finish(im, name, &written, &new_databases, err);
    }
    store_import_free(im);
    cli_progress_end();
    if (!rc && dry) {
        fprintf(stderr,
                "tierledger import: %s: %zu rows valid; %zu would be recorded, %zu already "
                "recorded (dry run: nothing written)\n",
                name, tab->n_rows, would, already);
        store_rollback(conn);
    } else if (!rc) {
        rc = store_commit(conn, err);
        if (!rc)
            fprintf(stderr,
                    "tierledger import: %s: %zu rows: %zu transitions recorded (%zu new database "
                    "lineages), %zu already recorded\n",
                    name, tab->n_rows, written, new_databases, already);
    }
    if (rc)
        store_rollback(conn);
    store_close(conn);
    csvfile_close(in);
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
