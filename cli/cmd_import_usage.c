/* cmd_import_usage.c - `tierledger import-usage FILE.csv`: daily backup
 * storage per database, for backfill and tests (the collector fills the same
 * table from Azure Monitor). Same rules as import: the whole file is
 * validated before anything is written, in one transaction; FILE:LINE and
 * exit 65 on the first bad row. A day recorded again with other figures is
 * replaced (metrics are corrected as they settle); the same figures add
 * nothing. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/csvfile.h"
#include "model/arm_id.h"
#include "model/billing.h"
#include "sql/store/conn.h"
#include "sql/store/imports.h"
#include "sql/store/lineages.h"

enum {
    C_ID,
    C_DAY,
    C_FULL,
    C_DIFF,
    C_LOG,
    C_SNAP,
    C_ALLOC,
    C_MAX,
    C_RED,
    C_REGION,
    C_POOL,
    C_TAGS,
    N_COLS
};

static const char *const column_names[N_COLS] = {"resource_id",     "day",
                                                 "full_bytes",      "diff_bytes",
                                                 "log_bytes",       "snapshot_bytes",
                                                 "allocated_bytes", "max_size_bytes",
                                                 "redundancy",      "region",
                                                 "elastic_pool_id", "tags"};

static bool is_bytes(const char *text, bool allow_minus_one)
{
    return (allow_minus_one && strcmp(text, "-1") == 0) ||
           csvfile_is_count(text, 999999999999999999LL); /* 18 digits at most */
}

/* A JSON object of string values, as ARM tags are. */
static bool is_tags(const char *text)
{
    cJSON *json = cJSON_Parse(text);
    bool ok = cJSON_IsObject(json);
    for (cJSON *item = json ? json->child : NULL; ok && item; item = item->next)
        ok = cJSON_IsString(item);
    cJSON_Delete(json);
    return ok;
}

static TlResult check_row(const CsvTable *tab, const CsvRow *row, const int *col, TlError *err)
{
    const char *name = tab->name;
    const char *v[N_COLS];
    for (int k = 0; k < N_COLS; k++)
        v[k] = col[k] >= 0 ? row->fields[col[k]] : "";
    ArmDatabaseId parts;
    TlTime day;
    if (!arm_database_id_parse(v[C_ID], &parts))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: resource_id '%s' is not an Azure SQL database resource id",
                            name, row->line, v[C_ID]);
    if (strlen(v[C_DAY]) != 10 || !csvfile_time(v[C_DAY], true, &day))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: day '%s' is not a date (YYYY-MM-DD, 1970 to 9999)", name,
                            row->line, v[C_DAY]);
    for (int k = C_FULL; k <= C_MAX; k++)
        if (v[k][0] && !is_bytes(v[k], k == C_MAX))
            return tl_error_set(err, TL_ERR_DATA, "%s:%d: %s '%s' is not a whole number of bytes",
                                name, row->line, column_names[k], v[k]);
    if (v[C_RED][0] && !billing_redundancy_arm(v[C_RED]))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: unknown redundancy '%s' (Local, Zone, Geo, GeoZone or LRS, "
                            "ZRS, RA-GRS, RA-GZRS)",
                            name, row->line, v[C_RED]);
    if (v[C_TAGS][0] && !is_tags(v[C_TAGS]))
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: tags is not a JSON object of strings", name,
                            row->line);
    return TL_OK;
}

static TlResult run_import_usage(CliContext *ctx, TlError *err)
{
    static const char *const required[] = {"resource_id",     "day",
                                           "full_bytes",      "diff_bytes",
                                           "log_bytes",       "snapshot_bytes",
                                           "allocated_bytes", "max_size_bytes",
                                           "redundancy",      NULL};
    static const char *const optional[] = {"region", "elastic_pool_id", "tags", NULL};
    CsvTable *tab = NULL;
    StoreConn *conn = NULL;
    size_t inserted = 0, replaced = 0;
    TlResult rc = csvfile_load(ctx->args[0], required, optional, &tab, err);
    if (rc)
        return rc;
    int col[N_COLS];
    for (int k = 0; k < N_COLS; k++)
        col[k] = csvfile_column(tab, column_names[k]);
    for (size_t i = 0; i < tab->n_rows && !rc; i++) /* every row first: nothing half-written */
        rc = check_row(tab, &tab->rows[i], col, err);
    if (!rc)
        rc = store_open_writer(cli_opt(ctx, "db"), &conn, err);
    for (size_t i = 0; i < tab->n_rows && !rc; i++) {
        const CsvRow *row = &tab->rows[i];
        const char *v[N_COLS];
        for (int k = 0; k < N_COLS; k++)
            v[k] = col[k] >= 0 && row->fields[col[k]][0] ? row->fields[col[k]] : NULL;
        TlTime day;
        long long lineage;
        csvfile_time(v[C_DAY], true, &day); /* checked above */
        /* the lineage alive during the day: the latest created before its end */
        rc = store_lineage_at(conn, v[C_ID], day + TL_SECONDS_PER_DAY - 1, &lineage, err);
        if (rc)
            break;
        if (!lineage) {
            rc = tl_error_set(err, TL_ERR_DATA,
                              "%s:%d: no lineage of %s existed on %s: import its transitions first",
                              tab->name, row->line, v[C_ID], v[C_DAY]);
            break;
        }
        StoreUsageRow usage = {
            lineage,     v[C_DAY],  v[C_FULL],
            v[C_DIFF],   v[C_LOG],  v[C_SNAP],
            v[C_ALLOC],  v[C_MAX],  v[C_RED] ? billing_redundancy_arm(v[C_RED]) : NULL,
            v[C_REGION], v[C_POOL], v[C_TAGS]};
        StoreUsageResult result;
        rc = store_usage_upsert(conn, &usage, &result, err);
        inserted += !rc && result == STORE_USAGE_INSERTED;
        replaced += !rc && result == STORE_USAGE_REPLACED;
    }
    if (!rc)
        rc = store_commit(conn, err);
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
