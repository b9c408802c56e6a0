/* cmd_import_mi.c - `tierledger import-mi FILE.csv`: Managed Instance events
 * (creations, migrations and their cutovers, restore points, retention,
 * drops, moves, instance changes and deletions) for backfill and tests.
 * All or nothing, like import: every row is checked as it streams in and
 * staged with COPY, every database's history with the new events is checked
 * against the lineage model (domain-mi.md), and only then is anything
 * written, in one statement of one transaction; FILE:LINE and exit 65 on the
 * first bad row. Idempotent: an event recorded before adds nothing. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/csvfile.h"
#include "cli/output.h"
#include "cli/rows.h"
#include "sql/store/conn.h"
#include "sql/store/mi.h"

static TlResult run_import_mi(CliContext *ctx, TlError *err)
{
    CsvReader *in = NULL;
    char origin[CLI_ORIGIN_MAX];
    StoreConn *conn = NULL;
    StoreMiStage *stage = NULL;
    bool dry = cli_opt(ctx, "dry-run") != NULL;
    TlResult rc = csvfile_open(ctx->args[0], rows_mi_required, rows_mi_optional, &in, err);
    if (rc)
        return rc;
    const CsvTable *tab = csvfile_table(in);
    const char *name = tab->name;
    int col[ROWS_MI_COLUMNS];
    for (int i = 0; i < ROWS_MI_COLUMNS; i++)
        col[i] = csvfile_column(tab, rows_mi_columns[i]);
    rc = store_open_writer(cli_opt(ctx, "db"), cli_origin(ctx, name, origin, sizeof origin), &conn,
                           err);
    if (!rc)
        rc = store_mi_stage_begin(conn, &stage, err);
    /* every row checked as it streams in; nothing is written until all are */
    for (const CsvRow *row; !rc;) {
        rc = csvfile_next(in, &row, err);
        if (rc || !row)
            break;
        const char *v[ROWS_MI_COLUMNS], *stored[ROWS_MI_COLUMNS];
        for (int k = 0; k < ROWS_MI_COLUMNS; k++) {
            v[k] = csvfile_field(row, col[k]);
            stored[k] = csvfile_nonempty(v[k]);
        }
        rc = rows_mi(tab, row, v, err);
        if (!rc)
            store_mi_stage_row(stage, row->line, stored);
        if (!rc && tab->n_rows % 100000 == 0)
            cli_progress(ctx, "%s: %zu rows checked", name, tab->n_rows);
    }
    StoreMiCounts n = {0};
    if (!rc) {
        rc = store_mi_stage_finish(stage, name, dry, &n, err);
        stage = NULL;
    }
    if (!rc && !dry)
        rc = store_commit(conn, err);
    cli_progress_end();
    if (!rc)
        fprintf(stderr,
                "tierledger import-mi: %s: %lld rows: %ld %srecorded (%ld beginning a lineage), "
                "%lld already recorded%s\n",
                name, n.rows, n.added, dry ? "would be " : "", n.lineages, n.rows - n.added,
                dry ? " (dry run: nothing written)" : "");
    store_mi_stage_free(stage);
    if (rc || dry)
        store_rollback(conn);
    store_close(conn);
    csvfile_close(in);
    return rc;
}

static const CliOption import_mi_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"dry-run", NULL, "validate the file against what is recorded, write nothing", 0},
    {"progress", NULL, "show progress on stderr also when it is not a terminal", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_import_mi = {
    .name = "import-mi",
    .summary = "load Azure SQL Managed Instance events (migrations, restore points, drops, moves)",
    .usage = "FILE.csv [options]",
    .description =
        "Columns: resource_id, event, at (required), then any of state, operation_id,\n"
        "initiated_by, origin, source_server, source_database, earliest_restore_point,\n"
        "retention_days, tier, vcores, storage_size_gb, redundancy, database_format,\n"
        "tde_protected, compatibility_level, detail, ltr_weekly, ltr_monthly, ltr_yearly,\n"
        "ltr_week_of_year, data_bytes, log_bytes_per_day. resource_id is the MI database\n"
        "(.../managedInstances/MI/databases/DB), or the instance for instance events.\n"
        "Events: created (origin new, pitr, geo_restore, ltr_restore, copy or unknown),\n"
        "migration_started (origin lrs, dms, native_restore or mi_link), migration_cutover,\n"
        "migration_cancelled, restore_point_observed (earliest_restore_point),\n"
        "retention_changed (retention_days), dropped, move_started, move_ready,\n"
        "move_completed (detail: the destination database), move_cancelled,\n"
        "instance_changed (tier, vcores, storage_size_gb, redundancy, database_format),\n"
        "instance_stopped, instance_started, instance_deleted, tde_certificate_uploaded,\n"
        "link_failover, ltr_policy_changed (ltr_weekly, ltr_monthly, ltr_yearly as ISO 8601\n"
        "durations such as P4W, P12M, P5Y, PT0S for none; ltr_week_of_year 1-52),\n"
        "size_observed (data_bytes, log_bytes_per_day: log backups stored a day; also on\n"
        "created and migration_started): what report chargeback estimates a database's\n"
        "backups from when no usage is imported (MI-$13), ltr_backup_taken (at its\n"
        "backupTime; detail: the LTR backup's id; redundancy) and ltr_backup_gone (no longer\n"
        "listed: deleted, or expired). A history Azure "
        "cannot produce (an event before the database\n"
        "exists, a cutover without a start, ...) is refused whole: FILE:LINE, exit 65.",
    .options = import_mi_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_import_mi,
};
