/* cmd_import_costs.c - `tierledger import-costs FILE.csv`: what Azure
 * invoiced for SQL Database backup storage, from a Cost Management export
 * (the FOCUS export, or the actual or amortized cost details: MCA, EA,
 * pay-as-you-go), streamed: each row is checked as it is read and staged
 * with COPY; all or nothing (a bad row: FILE:LINE, exit 65, the transaction
 * rolled back, nothing written); the billing periods in the file then
 * replace the stored ones in the same transaction, so importing a month
 * again is idempotent. Rows of other services or meters are counted and
 * skipped. */
#include <stdlib.h>

#include "cli/commands.h"
#include "cli/csvfile.h"
#include "cli/output.h"
#include "cli/rows.h"
#include "sql/store/conn.h"
#include "sql/store/imports.h"

static TlResult run_import_costs(CliContext *ctx, TlError *err)
{
    CsvReader *in = NULL;
    char origin[CLI_ORIGIN_MAX];
    StoreConn *conn = NULL;
    StoreCostStage *stage = NULL;
    RowsCostColumns c;
    TlResult rc =
        csvfile_open(ctx->args[0], (const char *const[]){NULL}, CSVFILE_ANY_COLUMN, &in, err);
    if (rc)
        return rc;
    const CsvTable *tab = csvfile_table(in);
    size_t kept = 0;
    long replaced = 0, added = 0;
    rc = rows_costs_columns(tab, &c, err);
    if (!rc)
        rc = store_open_writer(cli_opt(ctx, "db"),
                               cli_origin(ctx, tab->name, origin, sizeof origin), &conn, err);
    if (!rc)
        rc = store_costs_stage_begin(conn, &stage, err);
    /* every row checked as it streams in; nothing is kept unless all are */
    for (const CsvRow *row; !rc;) {
        rc = csvfile_next(in, &row, err);
        if (rc || !row)
            break;
        RowsCost v;
        bool keep;
        rc = rows_cost(tab, row, &c, &keep, &v, err);
        if (!rc && keep) {
            StoreCostRow r = {v.period,         v.day,           v.resource_id,
                              v.meter,          v.currency,      rows_costs_format_str(c.format),
                              tab->name,        v.quantity_text, v.cost_text,
                              v.effective_text, row->line};
            store_costs_stage_row(stage, &r);
            kept++;
        }
        if (!rc && tab->n_rows % 100000 == 0)
            cli_progress(ctx, "%s: %zu rows checked", tab->name, tab->n_rows);
    }
    if (!rc) {
        rc = store_costs_stage_finish(stage, &replaced, &added, err);
        stage = NULL;
    }
    if (!rc)
        rc = store_commit(conn, err);
    cli_progress_end();
    if (!rc)
        fprintf(stderr,
                "tierledger import-costs: %s (%s export): %zu rows: %zu backup storage lines "
                "recorded (%ld replaced), %zu of other services or meters skipped\n",
                tab->name, rows_costs_format_str(c.format), tab->n_rows, kept, replaced,
                tab->n_rows - kept);
    store_costs_stage_free(stage);
    if (rc)
        store_rollback(conn);
    store_close(conn);
    csvfile_close(in);
    return rc;
}

static const CliOption import_costs_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"progress", NULL, "show progress on stderr also when it is not a terminal", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_import_costs = {
    .name = "import-costs",
    .summary = "load what Azure invoiced for backup storage (a Cost Management export)",
    .usage = "FILE.csv [options]",
    .description =
        "FILE is a Cost Management export: the FOCUS export (BilledCost, ResourceId,\n"
        "x_SkuMeterName or SkuMeter, ChargePeriodStart, BillingPeriodStart), or the actual or\n"
        "amortized cost details (MCA camelCase costInBillingCurrency, EA PascalCase\n"
        "CostInBillingCurrency, pay-as-you-go PreTaxCost). Lines of SQL databases whose meter\n"
        "names backup storage are kept; the billing periods in the file replace the stored ones.",
    .options = import_costs_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_import_costs,
};
