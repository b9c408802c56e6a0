/* cmd_import_facts.c - `tierledger import-facts FILE.csv`: observations of
 * the facts the checks need (retention, pool, geo links, named replicas,
 * allocated and max size). All or nothing, like import: every row is
 * validated (and its lineage found) before any is written, in one
 * transaction; FILE:LINE and exit 65 on the first bad row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/csvfile.h"
#include "cli/output.h"
#include "cli/rows.h"
#include "sql/store/conn.h"
#include "sql/store/facts.h"
#include "sql/store/lineages.h"

static TlResult run_import_facts(CliContext *ctx, TlError *err)
{
    CsvTable *tab = NULL;
    char origin[CLI_ORIGIN_MAX];
    StoreConn *conn = NULL;
    size_t written = 0;
    TlResult rc = csvfile_load(ctx->args[0], rows_fact_required, rows_fact_optional, &tab, err);
    if (rc)
        return rc;
    const char *name = tab->name;
    rc = store_open_writer(cli_opt(ctx, "db"), cli_origin(ctx, name, origin, sizeof origin), &conn,
                           err);
    int col[ROWS_FACT_COLUMNS];
    for (int i = 0; i < ROWS_FACT_COLUMNS; i++)
        col[i] = csvfile_column(tab, rows_fact_columns[i]);
    /* validate every row before writing any */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        for (size_t i = 0; i < tab->n_rows && !rc; i++) {
            const CsvRow *row = &tab->rows[i];
            const char *v[ROWS_FACT_COLUMNS];
            for (int k = 0; k < ROWS_FACT_COLUMNS; k++)
                v[k] = csvfile_field(row, col[k]);
            TlTime observed;
            const char *pool_flag, *geo_flag;
            rc = rows_fact(tab, row, v, &observed, &pool_flag, &geo_flag, err);
            if (rc)
                break;
            char when[TL_TIME_TEXT_MAX];
            long long lineage;
            rc = store_lineage_at(conn, v[0], observed, &lineage, err); /* alive at observed_at */
            if (rc)
                break;
            if (!lineage) {
                rc = tl_error_set(err, TL_ERR_DATA,
                                  "%s:%d: no lineage of %s existed at %s: import its transitions "
                                  "first",
                                  name, row->line, v[0], tl_time_format(observed, when));
                break;
            }
            TlTime since = TL_TIME_NONE; /* W6: when first seen; the observation by default */
            if (v[11][0] && !(v[12][0] && csvfile_time(v[12], false, &since)))
                since = observed;
            if (pass == 1) {
                StoreFactsRow facts = {lineage,
                                       observed,
                                       csvfile_nonempty(v[2]),
                                       csvfile_nonempty(v[3]),
                                       pool_flag,
                                       geo_flag,
                                       csvfile_nonempty(v[6]),
                                       csvfile_nonempty(v[7]),
                                       csvfile_nonempty(v[8]),
                                       csvfile_nonempty(v[9]),
                                       csvfile_nonempty(v[10]),
                                       csvfile_nonempty(v[11]),
                                       since};
                bool added;
                rc = store_facts_insert(conn, &facts, &added, err);
                written += !rc && added;
            }
            if ((i + 1) % 10000 == 0)
                cli_progress(ctx, "%s: %zu of %zu rows %s", name, i + 1, tab->n_rows,
                             pass ? "written" : "checked");
        }
    }
    if (!rc)
        rc = store_commit(conn, err);
    cli_progress_end();
    if (!rc)
        fprintf(stderr,
                "tierledger import-facts: %s: %zu rows: %zu recorded, %zu already recorded\n", name,
                tab->n_rows, written, tab->n_rows - written);
    if (rc)
        store_rollback(conn);
    store_close(conn);
    csvfile_free(tab);
    return rc;
}

static const CliOption import_facts_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"progress", NULL, "show progress on stderr also when it is not a terminal", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_import_facts = {
    .name = "import-facts",
    .summary = "load facts the checks need (retention, pool, geo links, replicas, size)",
    .usage = "FILE.csv [options]",
    .description =
        "Columns: resource_id, observed_at (required) and any of retention_days,\n"
        "elastic_pool_id, in_elastic_pool, geo_replication, named_replicas, allocated_bytes,\n"
        "max_size_bytes, geo_role (none, primary or secondary) and geo_secondaries (E11),\n"
        "requested_objective and requested_since (W6: ARM's requested objective while it\n"
        "differs from the current one, and since when; the observation by default).\n"
        "An empty cell means unknown: checks then name the assumption.\n"
        "The facts attach to the lineage that existed at observed_at.",
    .options = import_facts_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_import_facts,
};
