/* cmd_report.c - `tierledger report chargeback|warnings`: fleet-wide
 * reports. Everything is computed first and written last, so a failure
 * (a missing price, a bad sheet) leaves no partial output; -o FILE is
 * written to a temporary file beside it and renamed into place. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/prices.h"
#include "model/history.h"
#include "reports/chargeback.h"
#include "reports/warnings_report.h"
#include "sql/store/conn.h"
#include "sql/store/fleet.h"

/* ---- chargeback ---------------------------------------------------------- */

/* Bill every database lineage of the fleet for [start, end) as seen at now. */
static TlResult build_charges(const Fleet *fleet, const ChargePrices *prices, const char *cc_tag,
                              TlTime start, TlTime end, TlTime now, ChargeList *out, TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t i = 0; i < fleet->n && !rc; i++) {
        const FleetDatabase *db = &fleet->db[i];
        if (db->created_at >= end ||
            (db->next_created != TL_TIME_NONE && db->next_created <= start))
            continue;
        TlTime as_of = now < end ? now : end;
        if (db->next_created != TL_TIME_NONE && db->next_created < as_of)
            as_of = db->next_created; /* dropped before it was re-created (L7/L8) */
        TlBill bill;
        rc = billing_month(db->tr, db->n_tr, db->retention_days, db->usage, db->n_usage, start, end,
                           as_of, TL_TIME_NONE, &bill, err);
        if (rc) {
            tl_error_prefix(err, "%s", db->resource_id);
            break;
        }
        ChargeSource source = {db->resource_id,      db->database_name, db->subscription,
                               db->resource_group,   db->region,        db->tags,
                               db->subscription_name};
        rc = report_charges_add(out, &source, &bill, prices, cc_tag, start, end, err);
        billing_cleanup(&bill);
    }
    return rc;
}

typedef struct {
    const ChargeList *list;
    ChargeAccount account;
    bool by_cost_center;
    TlTime now;
} Charges;

static TlResult write_charges(FILE *out, const void *data, TlError *err)
{
    const Charges *c = data;
    return c->by_cost_center
               ? report_chargeback_by_cost_center(out, c->list->rows, c->list->n, &c->account, err)
               : report_chargeback_csv(out, c->list->rows, c->list->n, &c->account, err);
}

static TlResult write_metadata(FILE *out, const void *data, TlError *err)
{
    const Charges *c = data;
    return report_chargeback_metadata(out, c->by_cost_center, c->now, TIERLEDGER_VERSION, err);
}

/* -o FILE.csv: the FOCUS metadata beside it, FILE.metadata.json */
static TlResult write_files(const char *path, const Charges *c, TlError *err)
{
    char meta[CLI_ORIGIN_MAX];
    size_t len = path ? strlen(path) : 0;
    if (len > 4 && strcmp(path + len - 4, ".csv") == 0)
        len -= 4;
    snprintf(meta, sizeof meta, "%.*s.metadata.json", (int)len, path ? path : "");
    TlResult rc = cli_write_output(path, write_charges, c, err);
    if (!rc && path && strcmp(path, "-") != 0)
        rc = cli_write_output(meta, write_metadata, c, err);
    return rc;
}

static TlResult run_chargeback(CliContext *ctx, TlError *err)
{
    TlTime start, end;
    const char *month = cli_opt(ctx, "month"), *by = cli_opt(ctx, "by");
    const char *prices_path = cli_opt(ctx, "prices");
    if (!prices_path)
        prices_path = getenv("TIERLEDGER_PRICES");
    if (!month || !billing_month_parse(month, &start, &end))
        return tl_error_set(err, TL_ERR_USAGE, "--month YYYY-MM is required (got '%s')",
                            month ? month : "");
    if (by && strcmp(by, "cost-center") != 0)
        return tl_error_set(err, TL_ERR_USAGE, "--by: '%s' is not 'cost-center'", by);
    if (!prices_path) {
        tl_error_set(err, TL_ERR_USAGE,
                     "a price sheet is needed: --prices FILE or TIERLEDGER_PRICES");
        tl_error_hint(err, "reports/prices.example.csv has example figures (not for invoices)");
        return TL_ERR_USAGE;
    }
    if (start >= ctx->now)
        return tl_error_set(err, TL_ERR_USAGE, "--month %s has not begun yet", month);
    const char *cc_tag = cli_opt(ctx, "cost-center-tag");
    char account_text[CLI_ORIGIN_MAX];
    Charges out = {.by_cost_center = by != NULL, .now = ctx->now};
    if (!prices_account(cli_opt(ctx, "billing-account"), cli_opt(ctx, "invoice-issuer"),
                        &out.account, account_text, sizeof account_text))
        return tl_error_set(err, TL_ERR_USAGE, "--billing-account: an empty id");
    PriceSheet prices = {0};
    ChargeList charges = {0};
    Fleet fleet = {0};
    StoreConn *conn = NULL;
    TlResult rc = prices_load(prices_path, &prices, err);
    if (!rc)
        rc = store_open_reader(cli_opt(ctx, "db"), &conn, err);
    /* usage from 36 days before the month: the previous segment's last size (B4) */
    if (!rc)
        rc = store_fleet_load(conn, end, start - 36 * TL_SECONDS_PER_DAY, end, &fleet, err);
    if (!rc)
        rc = billing_pool_allowance(fleet.usage, fleet.n_usage, err);
    if (!rc)
        rc = build_charges(
            &fleet,
            &(ChargePrices){prices.rows, prices.n, prices.table ? prices.table->name : prices_path},
            cc_tag ? cc_tag : "cost-center", start, end, ctx->now, &charges, err);
    if (!rc) {
        report_charges_sort(&charges);
        out.list = &charges;
        rc = write_files(cli_opt(ctx, "output"), &out, err);
    }
    if (!rc && (!out.account.id || !out.account.invoice_issuer))
        cli_diag(CLI_WARNING,
                 "tierledger report: BillingAccountId%s%s empty: not a conforming "
                 "FOCUS dataset (give --billing-account ID[:NAME] and "
                 "--invoice-issuer NAME)",
                 out.account.id ? "" : ", BillingAccountName",
                 out.account.invoice_issuer ? " are" : " and InvoiceIssuerName are");
    if (!rc && end > ctx->now)
        fprintf(stderr, "tierledger report: %s is not over: hours after now are not billed yet\n",
                month);
    report_charges_cleanup(&charges);
    store_fleet_cleanup(&fleet);
    store_close(conn);
    prices_cleanup(&prices);
    return rc;
}

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
    return tl_error_set(err, TL_ERR_USAGE, "which report: chargeback or warnings?");
}

static const CliOption chargeback_options[] = {
    {"month", "YYYY-MM", "the calendar month (UTC), required", 0},
    {"prices", "FILE", "price sheet CSV (default $TIERLEDGER_PRICES)", 0},
    {"by", "cost-center", "totals per cost center instead of rows", 0},
    {"cost-center-tag", "KEY", "the tag naming the cost center (default cost-center)", 0},
    {"billing-account", "ID[:NAME]",
     "FOCUS BillingAccountId and Name (default $TIERLEDGER_BILLING_ACCOUNT)", 0},
    {"invoice-issuer", "NAME", "FOCUS InvoiceIssuerName (default $TIERLEDGER_INVOICE_ISSUER)", 0},
    {"output", "FILE", "write to FILE and its FOCUS metadata to FILE.metadata.json", 'o'},
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {NULL, NULL, NULL, 0},
};

static const CliCommand cmd_report_chargeback = {
    .name = "report chargeback",
    .summary = "finance chargeback CSV of a month's backup storage",
    .usage = "--month YYYY-MM [--prices FILE] [options]",
    .description =
        "One CSV row per database, segment and backup kind of the month: a FOCUS 1.2 dataset\n"
        "(every mandatory column, then x_ columns; NULL is an empty field). Figures are\n"
        "estimates from the documented formulas (x_CostSource = estimate), not invoice\n"
        "amounts. A missing price is an error (exit 65), never a silent zero; nothing is\n"
        "written then.",
    .options = chargeback_options,
    .run = run_chargeback,
};

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

static const CliCommand *const report_subcommands[] = {&cmd_report_chargeback, &cmd_report_warnings,
                                                       NULL};
static const CliOption report_options[] = {{NULL, NULL, NULL, 0}};

const CliCommand cmd_report = {
    .name = "report",
    .summary = "fleet reports: finance chargeback CSV, warnings for DBAs",
    .usage = "chargeback|warnings [options]",
    .options = report_options,
    .run = run_report,
    .subcommands = report_subcommands,
};
