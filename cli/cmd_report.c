/* cmd_report.c - `tierledger report`: the fleet-wide reports, and `report
 * warnings` (chargeback and reconcile have their own files). Everything is
 * computed first and written last, so a failure leaves no partial output;
 * -o FILE is written to a temporary file beside it and renamed into place. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "model/history.h"
#include "model/mi_warnings.h"
#include "reports/report.h"
#include "reports/spool.h"
#include "reports/warnings_report.h"
#include "sql/store/conn.h"
#include "sql/store/fleet.h"
#include "sql/store/mi.h"

/* ---- warnings ------------------------------------------------------------ */

typedef struct {
    TlTime as_of;
    int format; /* 0 text, 1 csv, 2 json */
    size_t n_databases, counts[3];
    long lrs_warn_days;   /* W-MI-1: an LRS or DMS job is flagged from this day on */
    Spool *rows;          /* the alerts of every page, in the report's order */
    SpoolBuf key, record; /* one row's, being built */
} Warnings;

static TlResult write_warnings(FILE *out, const void *data, TlError *err)
{
    const Warnings *w = data;
    WarningsWriter wr = {.out = out,
                         .format = (WarningsFormat)w->format,
                         .as_of = w->as_of,
                         .n_databases = w->n_databases,
                         .counts = {w->counts[0], w->counts[1], w->counts[2]}};
    TlResult rc = report_warnings_begin(&wr, err);
    while (!rc) {
        const void *key, *payload;
        size_t key_len, len;
        WarningRow row;
        TlAlert alert;
        rc = spool_next(w->rows, &key, &key_len, &payload, &len, err);
        if (rc || !payload)
            break;
        if (!report_warning_unpack(payload, len, &row, &alert))
            rc = tl_error_set(err, TL_ERR_INTERNAL, "a sorted warning came back malformed");
        else
            rc = report_warnings_row(&wr, &row, err);
    }
    TlError ignored; /* the first failure is the one to tell */
    TlResult end = report_warnings_end(&wr, rc ? &ignored : err);
    return rc ? rc : end;
}

/* db's alerts into the sort, so its page can go. */
static TlResult keep_alerts(Warnings *w, const FleetDatabase *db, const TlAlerts *a, TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t k = 0; k < a->n && !rc; k++) {
        WarningRow row = {db->resource_id, db->server_name, db->database_name, &a->alerts[k]};
        report_warning_record(&row, &w->key, &w->record);
        w->counts[a->alerts[k].level]++;
        rc = w->key.failed || w->record.failed
                 ? tl_error_set(err, TL_ERR_NOMEM, "out of memory")
                 : spool_add(w->rows, w->key.data, w->key.len, w->record.data, w->record.len, err);
    }
    return rc;
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

/* ---- Managed Instance lineages and instances (domain-mi.md section 4) ---- */

/* "mi-a" and "sales" of an MI id (the instance alone: database ""). */
static void mi_names(const char *id, char *server, char *database, size_t size)
{
    size_t len = mi_instance_prefix(id);
    const char *slash = len ? id + len : id;
    while (slash > id && slash[-1] != '/')
        slash--;
    snprintf(server, size, "%.*s", (int)(id + len - slash), slash);
    snprintf(database, size, "%s", id[len] ? report_database_name(id) : "");
}

static TlResult keep_mi_alerts(Warnings *w, const char *id, const TlAlerts *a, TlError *err)
{
    char server[256], database[256];
    mi_names(id, server, database, sizeof server);
    FleetDatabase db = {.resource_id = id, .server_name = server, .database_name = database};
    return keep_alerts(w, &db, a, err);
}

/* One lineage's events (ev[0..n), of first database root): its alerts at as_of. */
static TlResult mi_lineage_alerts(Warnings *w, const TlMiEvent *ev, size_t n, TlError *err)
{
    if (n == 0 || ev[0].at > w->as_of)
        return TL_OK;
    TlMiLineage lin;
    TlAlerts alerts = {0};
    TlResult rc = mi_lineage_evaluate(ev, n, w->as_of, &lin, err);
    if (rc) {
        tl_error_prefix(err, "%s: the recorded MI history is inconsistent", ev[0].resource_id);
        return TL_ERR_DATA;
    }
    w->n_databases++;
    rc = mi_warnings_database(ev, n, &lin, (int)w->lrs_warn_days, &alerts, err);
    const char *id =
        lin.n_segments ? lin.segments[lin.n_segments - 1].resource_id : ev[0].resource_id;
    if (!rc)
        rc = keep_mi_alerts(w, id, &alerts, err);
    warnings_cleanup(&alerts);
    mi_lineage_cleanup(&lin);
    return rc;
}

/* Every MI lineage, then every instance, a page at a time. */
static TlResult mi_fleet(Warnings *w, StoreConn *conn, bool instances, TlError *err)
{
    char after[1024] = "";
    TlResult rc = TL_OK;
    for (bool end = false; !rc && !end;) {
        StoreMiPage page;
        rc = instances ? store_mi_page_instances(conn, after, cli_fleet_page(), &page, err)
                       : store_mi_page_lineages(conn, after, cli_fleet_page(), &page, err);
        for (size_t g = 0; !rc && g < page.n_groups; g++) {
            TlMiEvent *ev = page.ev + page.group[g]; /* a group's slice: picked in place */
            size_t n = page.group[g + 1] - page.group[g];
            if (instances) {
                TlAlerts alerts = {0};
                rc = mi_warnings_instance(ev, n, w->as_of, &alerts, err);
                if (!rc && alerts.n)
                    rc = keep_mi_alerts(w, ev[0].resource_id, &alerts, err);
                warnings_cleanup(&alerts);
                continue;
            }
            const char *root = page.key[g];
            for (size_t k = 0; k < n; k++)
                if (strcasecmp(ev[k].resource_id, page.key[g]) == 0)
                    root = ev[k].resource_id;
            rc = mi_lineage_alerts(w, ev, mi_lineage_pick(ev, n, root, w->as_of), err);
        }
        end = rc || page.n_groups == 0;
        if (!end)
            snprintf(after, sizeof after, "%s", page.key[page.n_groups - 1]);
        store_mi_page_cleanup(&page);
    }
    return rc;
}

static TlResult run_warnings(CliContext *ctx, TlError *err)
{
    static const char *const formats[] = {"text", "csv", "json", NULL};
    Warnings w = {.lrs_warn_days = TL_MI_LRS_WARN_DAYS};
    TlResult rc = cli_format(ctx, formats, &w.format, err);
    if (!rc)
        rc = cli_as_of(ctx, &w.as_of, err);
    if (!rc)
        rc = cli_opt_long(ctx, "lrs-warn-days", 0, 29, &w.lrs_warn_days, err);
    if (rc)
        return rc;
    StoreConn *conn = NULL;
    rc = spool_new(cli_sort_memory(), &w.rows, err);
    if (!rc)
        rc = store_open_reader(cli_opt(ctx, "db"), &conn, err);
    if (!rc) /* every page of one state */
        rc = store_begin_snapshot(conn, err);
    /* the fleet a page at a time: only the alerts stay, sorted beyond memory */
    const FleetWindow window = {.to = w.as_of + 1};
    FleetReader *reader = NULL;
    if (!rc)
        /* pages of the whole TIERLEDGER_FLEET_PAGE, two at a time: without
         * usage a page is small (4.5 MB more at 2000; 8% faster at 100k) */
        rc = store_fleet_reader_new(conn, &window, cli_fleet_page(), NULL, &reader, err);
    while (!rc) {
        Fleet page;
        rc = store_fleet_next(reader, &page, err);
        if (!rc && page.n > 0)
            rc = evaluate_page(&w, &page, err);
        bool end = page.n == 0;
        store_fleet_cleanup(&page);
        if (end)
            break;
    }
    store_fleet_reader_free(reader);
    if (!rc)
        rc = mi_fleet(&w, conn, false, err);
    if (!rc)
        rc = mi_fleet(&w, conn, true, err);
    store_close(conn);
    if (!rc)
        rc = spool_sort(w.rows, err);
    if (!rc)
        rc = cli_write_output(cli_opt(ctx, "output"), write_warnings, &w, err);
    if (!rc && w.counts[TL_ALERT_WARN] + w.counts[TL_ALERT_CRITICAL] > 0)
        ctx->exit_status = 1;
    spool_free(w.rows);
    spool_buf_free(&w.key);
    spool_buf_free(&w.record);
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
    {"lrs-warn-days", "DAYS",
     "Managed Instance: flag an LRS or DMS job from day DAYS of its 30 (default 25, W-MI-1)", 0},
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
