/* cmd_import_usage.c - `tierledger import-usage FILE.csv`: daily backup
 * storage per database, for backfill and tests (the collector fills the same
 * table from Azure Monitor). Same rules as import: every row is checked
 * before anything is written, in one transaction; FILE:LINE and exit 65 on
 * the first bad row. The file streams through in bounded memory: checked
 * rows go to a staging table with COPY, merged in one statement at the end.
 * A day recorded again with other figures is replaced (metrics are
 * corrected as they settle); the same figures add nothing. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/csvfile.h"
#include "cli/output.h"
#include "cli/rows.h"
#include "model/billing.h"
#include "sql/store/conn.h"
#include "sql/store/imports.h"

static TlResult run_import_usage(CliContext *ctx, TlError *err)
{
    CsvReader *in = NULL;
    char origin[CLI_ORIGIN_MAX];
    StoreConn *conn = NULL;
    StoreUsageStage *stage = NULL;
    StoreUsageCounts n = {0};
    TlResult rc = csvfile_open(ctx->args[0], rows_usage_required, rows_usage_optional, &in, err);
    if (rc)
        return rc;
    const CsvTable *tab = csvfile_table(in);
    int col[ROWS_USAGE_COLUMNS];
    for (int k = 0; k < ROWS_USAGE_COLUMNS; k++)
        col[k] = csvfile_column(tab, rows_usage_columns[k]);
    rc = store_open_writer(cli_opt(ctx, "db"), cli_origin(ctx, tab->name, origin, sizeof origin),
                           &conn, err);
    if (!rc)
        rc = store_usage_stage_begin(conn, &stage, err);
    /* every row checked as it streams in; nothing is written until all are */
    for (const CsvRow *row; !rc;) {
        rc = csvfile_next(in, &row, err);
        if (rc || !row)
            break;
        rc = rows_usage(tab, row, col, err);
        if (rc)
            break;
        const char *v[ROWS_USAGE_COLUMNS];
        for (int k = 0; k < ROWS_USAGE_COLUMNS; k++)
            v[k] = csvfile_nonempty(csvfile_field(row, col[k]));
        /* rows_usage took only a date of 10 characters: YYYY-MM-DD as it is
         * (parsing and printing it again was a twentieth of the client's time) */
        StoreUsageRow usage = {row->line,
                               v[ROWS_USAGE_ID],
                               v[ROWS_USAGE_DAY],
                               v[ROWS_USAGE_FULL],
                               v[ROWS_USAGE_DIFF],
                               v[ROWS_USAGE_LOG],
                               v[ROWS_USAGE_SNAP],
                               v[ROWS_USAGE_ALLOC],
                               v[ROWS_USAGE_MAX],
                               v[ROWS_USAGE_RED] ? billing_redundancy_arm(v[ROWS_USAGE_RED]) : NULL,
                               v[ROWS_USAGE_REGION],
                               v[ROWS_USAGE_POOL],
                               v[ROWS_USAGE_TAGS]};
        store_usage_stage_row(stage, &usage);
        if (tab->n_rows % 100000 == 0)
            cli_progress(ctx, "%s: %zu rows checked", tab->name, tab->n_rows);
    }
    if (!rc) {
        cli_progress(ctx, "%s: %zu rows valid, recording them", tab->name, tab->n_rows);
        rc = store_usage_stage_finish(stage, tab->name, &n, err);
        stage = NULL;
    }
    if (!rc)
        rc = store_commit(conn, err);
    cli_progress_end();
    if (!rc)
        fprintf(stderr,
                "tierledger import-usage: %s: %lld rows: %lld days recorded, %lld replaced, %lld "
                "already recorded\n",
                tab->name, n.rows, n.inserted, n.replaced, n.rows - n.inserted - n.replaced);
    store_usage_stage_free(stage);
    if (rc)
        store_rollback(conn);
    store_close(conn);
    csvfile_close(in);
    return rc;
}

static const CliOption import_usage_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"progress", NULL, "show progress on stderr also when it is not a terminal", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_import_usage = {
    .name = "import-usage",
    .summary = "load daily backup storage per database (for billing; all or nothing)",
    .usage = "FILE.csv [options]",
    .description =
        "Columns (any order): resource_id,day,full_bytes,diff_bytes,log_bytes,snapshot_bytes,\n"
        "allocated_bytes,max_size_bytes,redundancy and optionally region,elastic_pool_id,tags\n"
        "(a JSON object). An empty cell is not applicable or unknown. Sizes are the levels held\n"
        "that day (the Azure Monitor backup metrics are cumulative totals). For a pooled\n"
        "database max_size_bytes is the pool's max data size (B1 at pool level); for Hyperscale\n"
        "allocated_bytes is the data storage size (base_blob_size_bytes, B3). A Managed\n"
        "Instance database's rows (its ARM id; import-mi first) give full, diff and log bytes\n"
        "stored, the redundancy, region and tags; the instance's billing sums them (MI-$1).",
    .options = import_usage_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_import_usage,
};
