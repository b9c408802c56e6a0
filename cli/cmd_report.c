/* cmd_report.c - `tierledger report`: the fleet-wide reports, and `report
 * warnings` (chargeback and reconcile have their own files). Everything is
 * computed first and written last, so a failure leaves no partial output;
 * -o FILE is written to a temporary file beside it and renamed into place. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "model/history.h"
#include "reports/warnings_report.h"
#include "sql/store/conn.h"
#include "sql/store/fleet.h"

/* ---- warnings ------------------------------------------------------------ */

typedef struct {
    TlTime as_of;
    int format; /* 0 text, 1 csv, 2 json */
    WarningRow *rows;
    size_t n, n_databases;
} Warnings;

static TlResult write_warnings(FILE *out, const void *data, TlError *err)
{
    const Warnings *w = data;
    if (w->format == 1)
        return report_warnings_csv(out, w->as_of, w->rows, w->n, err);
    if (w->format == 2)
        return report_warnings_json(out, w->as_of, w->rows, w->n, w->n_databases, err);
    return report_warnings_text(out, w->as_of, w->rows, w->n, w->n_databases, err);
}

static TlResult run_warnings(CliContext *ctx, TlError *err)
{
    static const char *const formats[] = {"text", "csv", "json", NULL};
    Warnings w = {0};
    TlResult rc = cli_format(ctx, formats, &w.format, err);
    if (!rc)
        rc = cli_as_of(ctx, &w.as_of, err);
    if (rc)
        return rc;
    StoreConn *conn = NULL;
    Fleet fleet = {0};
    TlAlerts *alerts = NULL;
    rc = store_open_reader(cli_opt(ctx, "db"), &conn, err);
    if (!rc)
        rc = store_fleet_load(conn, w.as_of + 1, 0, 0, &fleet, err);
    if (!rc && !(alerts = calloc(fleet.n ? fleet.n : 1, sizeof *alerts)))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    size_t total = 0;
    for (size_t i = 0; i < fleet.n && !rc; i++) {
        const FleetDatabase *db = &fleet.db[i];
        if (db->next_created != TL_TIME_NONE && db->next_created <= w.as_of)
            continue; /* replaced by a re-created database (L7) */
        size_t bad;
        if (history_validate(db->tr, db->n_tr, &bad, err) != TL_OK) {
            tl_error_prefix(err, "%s: the recorded history is inconsistent", db->resource_id);
            rc = TL_ERR_DATA;
            break;
        }
        w.n_databases++;
        rc = warnings_evaluate(db->tr, db->n_tr, w.as_of, db->retention_days, &db->facts,
                               &alerts[i], err);
        total += alerts[i].n;
    }
    if (!rc && !(w.rows = calloc(total ? total : 1, sizeof *w.rows)))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < fleet.n && !rc; i++) {
        const FleetDatabase *db = &fleet.db[i];
        for (size_t k = 0; k < alerts[i].n; k++)
            w.rows[w.n++] = (WarningRow){db->resource_id, db->server_name, db->database_name,
                                         &alerts[i].alerts[k]};
    }
    if (!rc) {
        report_warnings_sort(w.rows, w.n);
        rc = cli_write_output(cli_opt(ctx, "output"), write_warnings, &w, err);
    }
    if (!rc)
        for (size_t i = 0; i < w.n; i++)
            if (w.rows[i].alert->level >= TL_ALERT_WARN)
                ctx->exit_status = 1;
    for (size_t i = 0; alerts && i < fleet.n; i++)
        warnings_cleanup(&alerts[i]);
    free(alerts);
    free(w.rows);
    store_fleet_cleanup(&fleet);
    store_close(conn);
    return rc;
}

static TlResult run_report(CliContext *ctx, TlError *err)
{
    (void)ctx;
    return tl_error_set(err, TL_ERR_USAGE, "which report: chargeback, reconcile or warnings?");
}

static const CliOption warnings_options[] = {
    {"as-of", "TIME", "evaluate at TIME (RFC 3339 or YYYY-MM-DD; default now)", 0},
    {"format", "FMT", "text (default), csv or json", 0},
    {"output", "FILE", "write to FILE (atomically) instead of stdout", 'o'},
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {NULL, NULL, NULL, 0},
};

static const CliCommand cmd_report_warnings = {
    .name = "report warnings",
    .summary = "every database with something for a DBA to act on, worst first",
    .usage = "[options]",
    .description =
        "Reverse migrations in progress that already destroyed backups (critical),\n"
        "reverse-migration deadlines, repeat migrations that would lose an available segment,\n"
        "previous segments expiring within 7 days, unknown objectives (warn), open windows and\n"
        "unknown facts (info). Exit 1 when anything is at warn or critical, 0 when clean.",
    .options = warnings_options,
    .run = run_warnings,
};

static const CliCommand *const report_subcommands[] = {
    &cmd_report_chargeback, &cmd_report_reconcile, &cmd_report_warnings, NULL};
static const CliOption report_options[] = {{NULL, NULL, NULL, 0}};

const CliCommand cmd_report = {
    .name = "report",
    .summary = "fleet reports: finance chargeback CSV, the invoice reconciled, warnings for DBAs",
    .usage = "chargeback|reconcile|warnings [options]",
    .options = report_options,
    .run = run_report,
    .subcommands = report_subcommands,
};
