/* cmd_import_costs.c - `tierledger import-costs FILE.csv`: what Azure
 * invoiced for SQL Database backup storage, from a Cost Management export
 * (the FOCUS export, or the actual or amortized cost details: MCA, EA,
 * pay-as-you-go). All or nothing: every row is checked first (FILE:LINE,
 * exit 65, nothing written); the billing periods in the file then replace
 * the stored ones in one transaction, so importing a month again is
 * idempotent. Rows of other services or meters are counted and skipped. */
#include <stdlib.h>

#include "cli/commands.h"
#include "cli/csvfile.h"
#include "cli/output.h"
#include "cli/rows.h"
#include "sql/store/conn.h"
#include "sql/store/imports.h"

static TlResult run_import_costs(CliContext *ctx, TlError *err)
{
    CsvTable *tab = NULL;
    char origin[CLI_ORIGIN_MAX];
    StoreConn *conn = NULL;
    RowsCostColumns c;
    TlResult rc =
        csvfile_load(ctx->args[0], (const char *const[]){NULL}, CSVFILE_ANY_COLUMN, &tab, err);
    if (rc)
        return rc;
    StoreCostRow *rows = calloc(tab->n_rows ? tab->n_rows : 1, sizeof *rows);
    size_t n = 0;
    long replaced = 0;
    rc = rows ? rows_costs_columns(tab, &c, err) : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < tab->n_rows; i++) {
        RowsCost v;
        bool keep;
        rc = rows_cost(tab, &tab->rows[i], &c, &keep, &v, err);
        if (!rc && keep)
            rows[n++] = (StoreCostRow){v.period,         v.day,
                                       v.resource_id,    v.meter,
                                       v.currency,       rows_costs_format_str(c.format),
                                       tab->name,        v.quantity_text,
                                       v.cost_text,      v.effective_text,
                                       tab->rows[i].line};
    }
    if (!rc)
        rc = store_open_writer(cli_opt(ctx, "db"),
                               cli_origin(ctx, tab->name, origin, sizeof origin), &conn, err);
    if (!rc)
        rc = store_costs_replace(conn, rows, n, &replaced, err);
    if (!rc)
        rc = store_commit(conn, err);
    if (!rc)
        fprintf(stderr,
                "tierledger import-costs: %s (%s export): %zu rows: %zu backup storage lines "
                "recorded (%ld replaced), %zu of other services or meters skipped\n",
                tab->name, rows_costs_format_str(c.format), tab->n_rows, n, replaced,
                tab->n_rows - n);
    if (rc)
        store_rollback(conn);
    store_close(conn);
    free(rows);
    csvfile_free(tab);
    return rc;
}

static const CliOption import_costs_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
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
