/* cmd_import_facts.c - `tierledger import-facts FILE.csv`: observations of
 * the facts the checks need (retention, pool, geo links, named replicas,
 * allocated and max size). All or nothing, like import: every row is
 * validated (and its lineage found) before any is written, in one
 * transaction; FILE:LINE and exit 65 on the first bad row. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/csvfile.h"
#include "model/arm_id.h"
#include "sql/store/conn.h"
#include "sql/store/facts.h"
#include "sql/store/lineages.h"

static TlResult parse_bool(const char *text, const char **out)
{
    static const char *const yes[] = {"true", "yes", "1", "t", "y", NULL};
    static const char *const no[] = {"false", "no", "0", "f", "n", NULL};
    char low[8];
    size_t n = 0;
    for (; text[n] && n + 1 < sizeof low; n++)
        low[n] = (char)tolower((unsigned char)text[n]);
    low[n] = '\0';
    *out = NULL;
    if (!text[0])
        return TL_OK;
    for (int i = 0; yes[i]; i++)
        if (strcmp(low, yes[i]) == 0)
            return (*out = "true", TL_OK);
    for (int i = 0; no[i]; i++)
        if (strcmp(low, no[i]) == 0)
            return (*out = "false", TL_OK);
    return TL_ERR_DATA;
}

/* One row's values v (in the order of the columns) checked; the times and
 * flags parsed. */
static TlResult check_row(const CsvTable *tab, const CsvRow *row, const char *const *v,
                          TlTime *observed, const char **pool_flag, const char **geo_flag,
                          TlError *err)
{
    const char *name = tab->name;
    ArmDatabaseId parts;
    long long retention = 0;
    if (!arm_database_id_parse(v[0], &parts))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: resource_id '%s' is not an Azure SQL database resource id",
                            name, row->line, v[0]);
    if (!csvfile_time(v[1], false, observed))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: observed_at '%s' is not an RFC 3339 time from 1970 to 9999",
                            name, row->line, v[1]);
    if (v[2][0] && (!csvfile_is_count(v[2], 35) || (retention = atoll(v[2])) < 1))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: retention_days '%s' is not between 1 and 35 (L9)", name,
                            row->line, v[2]);
    if (parse_bool(v[4], pool_flag) || parse_bool(v[5], geo_flag))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: in_elastic_pool and geo_replication take true or false", name,
                            row->line);
    if ((v[6][0] && !csvfile_is_count(v[6], 1000)) ||
        (v[7][0] && !csvfile_is_count(v[7], INT64_MAX / 2)) ||
        (v[8][0] && !csvfile_is_count(v[8], INT64_MAX / 2) && strcmp(v[8], "-1") != 0))
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: named_replicas, allocated_bytes and max_size_bytes take "
                            "whole non-negative numbers",
                            name, row->line);
    return TL_OK;
}

static TlResult run_import_facts(CliContext *ctx, TlError *err)
{
    static const char *const required[] = {"resource_id", "observed_at", NULL};
    static const char *const optional[] = {
        "retention_days", "elastic_pool_id", "in_elastic_pool", "geo_replication",
        "named_replicas", "allocated_bytes", "max_size_bytes",  NULL};
    CsvTable *tab = NULL;
    StoreConn *conn = NULL;
    size_t written = 0;
    TlResult rc = csvfile_load(ctx->args[0], required, optional, &tab, err);
    if (rc)
        return rc;
    const char *name = tab->name;
    rc = store_open_writer(cli_opt(ctx, "db"), &conn, err);
    int col[9];
    const char *names[] = {"resource_id",     "observed_at",     "retention_days",
                           "elastic_pool_id", "in_elastic_pool", "geo_replication",
                           "named_replicas",  "allocated_bytes", "max_size_bytes"};
    for (int i = 0; i < 9; i++)
        col[i] = csvfile_column(tab, names[i]);
    /* validate every row before writing any */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        for (size_t i = 0; i < tab->n_rows && !rc; i++) {
            const CsvRow *row = &tab->rows[i];
            const char *v[9];
            for (int k = 0; k < 9; k++)
                v[k] = csvfile_field(row, col[k]);
            TlTime observed;
            const char *pool_flag, *geo_flag;
            rc = check_row(tab, row, v, &observed, &pool_flag, &geo_flag, err);
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
            if (pass == 1) {
                StoreFactsRow facts = {lineage,
                                       observed,
                                       csvfile_nonempty(v[2]),
                                       csvfile_nonempty(v[3]),
                                       pool_flag,
                                       geo_flag,
                                       csvfile_nonempty(v[6]),
                                       csvfile_nonempty(v[7]),
                                       csvfile_nonempty(v[8])};
                bool added;
                rc = store_facts_insert(conn, &facts, &added, err);
                written += !rc && added;
            }
        }
    }
    if (!rc)
        rc = store_commit(conn, err);
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
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_import_facts = {
    .name = "import-facts",
    .summary = "load facts the checks need (retention, pool, geo links, replicas, size)",
    .usage = "FILE.csv [options]",
    .description =
        "Columns: resource_id,observed_at (required) and any of retention_days,\n"
        "elastic_pool_id,in_elastic_pool,geo_replication,named_replicas,allocated_bytes,\n"
        "max_size_bytes. An empty cell means unknown: checks then name the assumption.\n"
        "The facts attach to the lineage that existed at observed_at.",
    .options = import_facts_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_import_facts,
};
