/* cmd_import_facts.c - `tierledger import-facts FILE.csv`: observations of
 * the facts the checks need (retention, pool, geo links, named replicas,
 * allocated and max size). All or nothing, like import: every row is
 * checked as it streams in and staged with COPY, every lineage found, and
 * only then is anything written, in one statement of one transaction;
 * FILE:LINE and exit 65 on the first bad row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/csvfile.h"
#include "cli/output.h"
#include "cli/rows.h"
#include "sql/store/conn.h"
#include "sql/store/facts.h"

static TlResult run_import_facts(CliContext *ctx, TlError *err)
{
    CsvReader *in = NULL;
    char origin[CLI_ORIGIN_MAX];
    StoreConn *conn = NULL;
    StoreFactsStage *stage = NULL;
    long long rows = 0;
    long added = 0;
    TlResult rc = csvfile_open(ctx->args[0], rows_fact_required, rows_fact_optional, &in, err);
    if (rc)
        return rc;
    const CsvTable *tab = csvfile_table(in);
    const char *name = tab->name;
    int col[ROWS_FACT_COLUMNS];
    for (int i = 0; i < ROWS_FACT_COLUMNS; i++)
        col[i] = csvfile_column(tab, rows_fact_columns[i]);
    rc = store_open_writer(cli_opt(ctx, "db"), cli_origin(ctx, name, origin, sizeof origin), &conn,
                           err);
    if (!rc)
        rc = store_facts_stage_begin(conn, &stage, err);
    /* every row checked as it streams in; nothing is written until all are */
    for (const CsvRow *row; !rc;) {
        rc = csvfile_next(in, &row, err);
        if (rc || !row)
            break;
        const char *v[ROWS_FACT_COLUMNS];
        for (int k = 0; k < ROWS_FACT_COLUMNS; k++)
            v[k] = csvfile_field(row, col[k]);
        TlTime observed;
        const char *pool_flag, *geo_flag;
        rc = rows_fact(tab, row, v, &observed, &pool_flag, &geo_flag, err);
        if (rc)
            break;
        TlTime since = TL_TIME_NONE; /* W6: when first seen; the observation by default */
        if (v[11][0] && !(v[12][0] && csvfile_time(v[12], false, &since)))
            since = observed;
        StoreFactsRow facts = {0,
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
        store_facts_stage_row(stage, row->line, v[0], &facts);
        if (tab->n_rows % 100000 == 0)
            cli_progress(ctx, "%s: %zu rows checked", name, tab->n_rows);
    }
    if (!rc) {
        rc = store_facts_stage_finish(stage, name, &rows, &added, err);
        stage = NULL;
    }
    if (!rc)
        rc = store_commit(conn, err);
    cli_progress_end();
    if (!rc)
        fprintf(stderr,
                "tierledger import-facts: %s: %lld rows: %ld recorded, %lld already recorded\n",
                name, rows, added, rows - added);
    store_facts_stage_free(stage);
    if (rc)
        store_rollback(conn);
    store_close(conn);
    csvfile_close(in);
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
