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
    /* the alerts kept from every page, and the copies of the names they need */
    TlAlert *alerts;
    size_t n_alerts, cap_alerts;
    char **names; /* n_alerts x 3: resource id, server, database */
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

/* Keep db's alerts (copied), so its page can go. */
static TlResult keep_alerts(Warnings *w, const FleetDatabase *db, const TlAlerts *a, TlError *err)
{
    if (w->n_alerts + a->n > w->cap_alerts) {
        size_t cap = w->cap_alerts ? w->cap_alerts * 2 : 256;
        while (cap < w->n_alerts + a->n)
            cap *= 2;
        TlAlert *grown = realloc(w->alerts, cap * sizeof *grown);
        char **names = grown ? realloc(w->names, cap * 3 * sizeof *names) : NULL;
        if (grown)
            w->alerts = grown;
        if (names)
            w->names = names;
        if (!grown || !names)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        w->cap_alerts = cap;
    }
    for (size_t k = 0; k < a->n; k++) {
        char **name = &w->names[w->n_alerts * 3];
        name[0] = strdup(db->resource_id);
        name[1] = strdup(db->server_name);
        name[2] = strdup(db->database_name);
        w->alerts[w->n_alerts++] = a->alerts[k];
        if (!name[0] || !name[1] || !name[2])
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    return TL_OK;
}

/* One page of the fleet: each lineage alive at as_of, validated, evaluated. */
static TlResult evaluate_page(Warnings *w, const Fleet *page, TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t i = 0; i < page->n && !rc; i++) {
        const FleetDatabase *db = &page->db[i];
        if (db->next_created != TL_TIME_NONE && db->next_created <= w->as_of)
            continue; /* replaced by a re-created database (L7) */
        size_t bad;
        if (history_validate(db->tr, db->n_tr, &bad, err) != TL_OK) {
            tl_error_prefix(err, "%s: the recorded history is inconsistent", db->resource_id);
            return TL_ERR_DATA;
        }
        w->n_databases++;
        TlAlerts alerts = {0};
        rc = warnings_evaluate(db->tr, db->n_tr, w->as_of, db->retention_days, &db->facts, &alerts,
                               err);
        if (!rc)
            rc = keep_alerts(w, db, &alerts, err);
        warnings_cleanup(&alerts);
    }
    return rc;
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
    rc = store_open_reader(cli_opt(ctx, "db"), &conn, err);
    if (!rc) /* every page of one state */
        rc = store_begin_snapshot(conn, err);
    /* the fleet a page at a time: only the alerts stay */
    const FleetWindow window = {.to = w.as_of + 1};
    for (long long after = 0; !rc;) {
        Fleet page = {0};
        rc = store_fleet_page(conn, &window, after, cli_fleet_page(), NULL, &page, err);
        if (!rc && page.n > 0) {
            rc = evaluate_page(&w, &page, err);
            after = page.db[page.n - 1].id;
        }
        bool end = page.n == 0;
        store_fleet_cleanup(&page);
        if (end)
            break;
    }
    if (!rc && !(w.rows = calloc(w.n_alerts ? w.n_alerts : 1, sizeof *w.rows)))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < w.n_alerts; i++)
        w.rows[w.n++] =
            (WarningRow){w.names[i * 3], w.names[i * 3 + 1], w.names[i * 3 + 2], &w.alerts[i]};
    if (!rc) {
        report_warnings_sort(w.rows, w.n);
        rc = cli_write_output(cli_opt(ctx, "output"), write_warnings, &w, err);
    }
    if (!rc)
        for (size_t i = 0; i < w.n; i++)
            if (w.rows[i].alert->level >= TL_ALERT_WARN)
                ctx->exit_status = 1;
    for (size_t i = 0; i < w.n_alerts * 3; i++)
        free(w.names[i]);
    free(w.names);
    free(w.alerts);
    free(w.rows);
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
