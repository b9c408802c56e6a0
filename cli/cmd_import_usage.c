/* cmd_import_usage.c - `tierledger import-usage FILE.csv`: daily backup
 * storage per database, for backfill and tests (the collector fills the same
 * table from Azure Monitor). Same rules as import: the whole file is
 * validated before anything is written, in one transaction; FILE:LINE and
 * exit 65 on the first bad row. A day recorded again with other figures is
 * replaced (metrics are corrected as they settle); the same figures add
 * nothing. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/csvfile.h"
#include "cli/output.h"
#include "cli/rows.h"
#include "model/billing.h"
#include "sql/store/conn.h"
#include "sql/store/imports.h"
#include "sql/store/lineages.h"

static TlResult run_import_usage(CliContext *ctx, TlError *err)
{
    CsvTable *tab = NULL;
    char origin[CLI_ORIGIN_MAX];
    StoreConn *conn = NULL;
    size_t inserted = 0, replaced = 0;
    TlResult rc = csvfile_load(ctx->args[0], rows_usage_required, rows_usage_optional, &tab, err);
    if (rc)
        return rc;
    int col[ROWS_USAGE_COLUMNS];
    for (int k = 0; k < ROWS_USAGE_COLUMNS; k++)
        col[k] = csvfile_column(tab, rows_usage_columns[k]);
    for (size_t i = 0; i < tab->n_rows && !rc; i++) /* every row first: nothing half-written */
        rc = rows_usage(tab, &tab->rows[i], col, err);
    if (!rc)
        rc = store_open_writer(cli_opt(ctx, "db"),
                               cli_origin(ctx, tab->name, origin, sizeof origin), &conn, err);
    for (size_t i = 0; i < tab->n_rows && !rc; i++) {
        const CsvRow *row = &tab->rows[i];
        const char *v[ROWS_USAGE_COLUMNS];
        for (int k = 0; k < ROWS_USAGE_COLUMNS; k++)
            v[k] = col[k] >= 0 && row->fields[col[k]][0] ? row->fields[col[k]] : NULL;
        TlTime day;
        long long lineage;
        csvfile_time(v[ROWS_USAGE_DAY], true, &day); /* checked above */
        /* the lineage alive during the day: the latest created before its end */
        rc = store_lineage_at(conn, v[ROWS_USAGE_ID], day + TL_SECONDS_PER_DAY - 1, &lineage, err);
        if (rc)
            break;
        if (!lineage) {
            rc = tl_error_set(err, TL_ERR_DATA,
                              "%s:%d: no lineage of %s existed on %s: import its transitions first",
                              tab->name, row->line, v[ROWS_USAGE_ID], v[ROWS_USAGE_DAY]);
            break;
        }
        StoreUsageRow usage = {lineage,
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
        StoreUsageResult result;
        rc = store_usage_upsert(conn, &usage, &result, err);
        inserted += !rc && result == STORE_USAGE_INSERTED;
        replaced += !rc && result == STORE_USAGE_REPLACED;
        if ((i + 1) % 10000 == 0)
            cli_progress(ctx, "%s: %zu of %zu rows written", tab->name, i + 1, tab->n_rows);
    }
    if (!rc)
        rc = store_commit(conn, err);
    cli_progress_end();
    if (!rc)
        fprintf(stderr,
                "tierledger import-usage: %s: %zu rows: %zu days recorded, %zu replaced, %zu "
                "already recorded\n",
                tab->name, tab->n_rows, inserted, replaced, tab->n_rows - inserted - replaced);
    if (rc)
        store_rollback(conn);
    store_close(conn);
    csvfile_free(tab);
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
        "allocated_bytes is the data storage size (base_blob_size_bytes, B3).",
    .options = import_usage_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_import_usage,
};
