/* cmd_chargeback.c - `tierledger report chargeback`: the month's backup
 * storage as a FOCUS 1.2 dataset, estimated (the default) or billed (the
 * invoice's amounts shared out to the estimate's rows); and the month's
 * estimate that `report reconcile` also reads (charges.h). The fleet is
 * read a page at a time and the rows go through a spool (sorted beyond
 * memory); everything is computed before the first row is written, so a
 * failure (a missing price, a bad sheet) leaves no partial output; -o FILE
 * is written to a temporary file beside it and renamed into place. */
#include <stdlib.h>
#include <string.h>

#include "cli/charges.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "reports/invoice.h"
#include "sql/store/conn.h"

typedef struct {
    MonthCharges *m;
    ChargeOrder order;
} ChargeInto;

/* A built row into the month's spool. */
static TlResult keep_row(void *ctx, const ChargeRow *row, TlError *err)
{
    ChargeInto *into = ctx;
    return report_charge_spool(into->m->charges, into->order, row, &into->m->key, &into->m->payload,
                               err);
}

/* Bill every database lineage of the fleet for [start, end) as seen at now. */
static TlResult build_charges(const Fleet *fleet, const ChargePrices *prices, const char *cc_tag,
                              TlTime start, TlTime end, TlTime now, ChargeInto *out, TlError *err)
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
        ChargeSource source = {db->resource_id,       db->database_name, db->subscription,
                               db->resource_group,    db->region,        db->tags,
                               db->subscription_name, db->usage,         db->n_usage};
        rc = report_charges_add(&source, &bill, prices, cc_tag, start, end, keep_row, out, err);
        billing_cleanup(&bill);
    }
    return rc;
}

void month_charges_cleanup(MonthCharges *m)
{
    spool_free(m->charges);
    m->charges = NULL;
    spool_buf_free(&m->key);
    spool_buf_free(&m->payload);
    store_invoice_cleanup(&m->invoice);
    store_close(m->conn);
    prices_cleanup(&m->prices);
    m->conn = NULL;
}

TlResult month_charges_load(CliContext *ctx, bool with_invoice, ChargeOrder order, MonthCharges *m,
                            TlError *err)
{
    *m = (MonthCharges){.month = cli_opt(ctx, "month")};
    const char *prices_path = cli_opt(ctx, "prices"), *cc_tag = cli_opt(ctx, "cost-center-tag");
    if (!prices_path)
        prices_path = getenv("TIERLEDGER_PRICES");
    if (!m->month || !billing_month_parse(m->month, &m->start, &m->end))
        return tl_error_set(err, TL_ERR_USAGE, "--month YYYY-MM is required (got '%s')",
                            m->month ? m->month : "");
    if (!prices_path) {
        tl_error_set(err, TL_ERR_USAGE,
                     "a price sheet is needed: --prices FILE or TIERLEDGER_PRICES");
        tl_error_hint(err, "reports/prices.example.csv has example figures (not for invoices)");
        return TL_ERR_USAGE;
    }
    if (m->start >= ctx->now)
        return tl_error_set(err, TL_ERR_USAGE, "--month %s has not begun yet", m->month);
    TlResult rc = prices_load(prices_path, &m->prices, err);
    if (!rc)
        rc = spool_new(cli_sort_memory(), &m->charges, err);
    if (!rc)
        rc = store_open_reader(cli_opt(ctx, "db"), &m->conn, err);
    if (!rc) /* the pages, pools and invoice of one state */
        rc = store_begin_snapshot(m->conn, err);
    if (!rc && with_invoice)
        rc = store_invoice_month(m->conn, m->start, &m->invoice, err);
    if (!rc && with_invoice && m->invoice.n == 0) {
        tl_error_set(err, TL_ERR_NOT_FOUND, "no invoice costs are recorded for %s", m->month);
        tl_error_hint(err, "load the month's Cost Management export: tierledger import-costs FILE");
        return TL_ERR_NOT_FOUND;
    }
    /* usage from 36 days before the month (for the lineages that need it:
     * the previous segment's last size, B4, or a level carried into the
     * month); the fleet a page at a time, the pools totalled first (B1
     * across pages) */
    const FleetWindow window = {.to = m->end,
                                .usage_from =
                                    m->start - TL_BILLING_LOOKBACK_DAYS * TL_SECONDS_PER_DAY,
                                .usage_to = m->end,
                                .usage_month = m->start};
    StorePools pools = {0};
    ChargePrices sheet = {m->prices.rows, m->prices.n,
                          m->prices.table ? m->prices.table->name : prices_path};
    ChargeInto into = {m, order};
    FleetReader *reader = NULL;
    if (!rc)
        rc = store_pools_load(m->conn, &window, &pools, err);
    if (!rc)
        rc = store_fleet_reader_new(m->conn, &window, cli_fleet_half_page(), &pools, &reader, err);
    while (!rc) {
        Fleet page;
        rc = store_fleet_next(reader, &page, err);
        if (!rc && page.n > 0)
            rc = build_charges(&page, &sheet, cc_tag ? cc_tag : "cost-center", m->start, m->end,
                               ctx->now, &into, err);
        bool end = page.n == 0;
        store_fleet_cleanup(&page);
        if (end)
            break;
    }
    store_fleet_reader_free(reader);
    store_pools_cleanup(&pools);
    if (!rc)
        rc = month_charges_mi(m, &sheet, cc_tag ? cc_tag : "cost-center", ctx->now, keep_row, &into,
                              err);
    return rc ? rc : spool_sort(m->charges, err);
}

typedef struct {
    Spool *rows; /* sorted by resource id, then segment; read once */
    ChargeAccount account;
    bool by_cost_center;
    TlTime now;
} Charges;

typedef struct {
    FILE *out;
    const ChargeAccount *account;
} RowOut;

static TlResult write_row(void *ctx, const ChargeRow *row, TlError *err)
{
    const RowOut *o = ctx;
    report_chargeback_row(o->out, row, o->account);
    return ferror(o->out) ? tl_error_set(err, TL_ERR_IO, "cannot write the chargeback file")
                          : TL_OK;
}

static TlResult total_row(void *ctx, const ChargeRow *row, TlError *err)
{
    return report_totals_add(ctx, row, err);
}

static TlResult write_charges(FILE *out, const void *data, TlError *err)
{
    const Charges *c = data;
    if (!c->by_cost_center) {
        report_chargeback_header(out);
        return report_charges_each(c->rows, write_row, &(RowOut){out, &c->account}, err);
    }
    ChargeTotals totals = {0};
    TlResult rc = report_charges_each(c->rows, total_row, &totals, err);
    if (!rc)
        rc = report_chargeback_by_cost_center(out, &totals, &c->account, err);
    report_totals_cleanup(&totals);
    return rc;
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

/* --source billed: the invoice's amounts on the estimate's rows (m's, in
 * match order), into a new spool by resource id */
static TlResult bill_charges(MonthCharges *m, Spool **out, TlError *err)
{
    InvoiceBilled billed;
    char total[TL_MONEY_TEXT_MAX];
    Spool *estimate = m->charges;
    TlResult rc = spool_new(cli_sort_memory(), &m->charges, err);
    ChargeInto into = {m, CHARGE_BY_RESOURCE};
    if (!rc)
        rc = report_charges_bill(estimate, m->invoice.lines, m->invoice.n, m->start, m->end,
                                 keep_row, &into, &billed, err);
    spool_free(estimate);
    if (!rc)
        rc = spool_sort(m->charges, err);
    *out = m->charges;
    if (!rc)
        fprintf(stderr,
                "tierledger report: %s billed: %s from %lld invoice lines; %zu database-meter "
                "pairs matched, %zu invoice-only, %zu estimate rows not invoiced (%zu of them "
                "estimated at 0)\n",
                m->month, money_format(billed.billed, total), m->invoice.source_lines,
                billed.matched, billed.invoice_only, billed.not_invoiced, billed.not_invoiced_zero);
    return rc;
}

static TlResult run_chargeback(CliContext *ctx, TlError *err)
{
    const char *by = cli_opt(ctx, "by"), *source = cli_opt(ctx, "source");
    if (by && strcmp(by, "cost-center") != 0)
        return tl_error_set(err, TL_ERR_USAGE, "--by: '%s' is not 'cost-center'", by);
    if (source && strcmp(source, "estimate") != 0 && strcmp(source, "billed") != 0)
        return tl_error_set(err, TL_ERR_USAGE, "--source: '%s' is not estimate or billed", source);
    bool billed = source && strcmp(source, "billed") == 0;
    char account_text[CLI_ORIGIN_MAX];
    Charges out = {.by_cost_center = by != NULL, .now = ctx->now};
    if (!prices_account(cli_opt(ctx, "billing-account"), cli_opt(ctx, "invoice-issuer"),
                        &out.account, account_text, sizeof account_text))
        return tl_error_set(err, TL_ERR_USAGE, "--billing-account: an empty id");
    MonthCharges m;
    TlResult rc =
        month_charges_load(ctx, billed, billed ? CHARGE_BY_MATCH : CHARGE_BY_RESOURCE, &m, err);
    out.rows = m.charges;
    if (!rc && billed)
        rc = bill_charges(&m, &out.rows, err);
    if (!rc)
        rc = write_files(cli_opt(ctx, "output"), &out, err);
    if (!rc && (!out.account.id || !out.account.invoice_issuer))
        cli_diag(CLI_WARNING,
                 "tierledger report: BillingAccountId%s%s empty: not a conforming "
                 "FOCUS dataset (give --billing-account ID[:NAME] and "
                 "--invoice-issuer NAME)",
                 out.account.id ? "" : ", BillingAccountName",
                 out.account.invoice_issuer ? " are" : " and InvoiceIssuerName are");
    if (!rc && m.end > ctx->now)
        fprintf(stderr, "tierledger report: %s is not over: hours after now are not billed yet\n",
                m.month);
    month_charges_cleanup(&m);
    return rc;
}

static const CliOption chargeback_options[] = {
    {"month", "YYYY-MM", "the calendar month (UTC), required", 0},
    {"prices", "FILE", "price sheet CSV (default $TIERLEDGER_PRICES)", 0},
    {"source", "estimate|billed",
     "the estimate (default), or the invoice imported by import-costs shared out to its rows", 0},
    {"by", "cost-center", "totals per cost center instead of rows", 0},
    {"cost-center-tag", "KEY", "the tag naming the cost center (default cost-center)", 0},
    {"billing-account", "ID[:NAME]",
     "FOCUS BillingAccountId and Name (default $TIERLEDGER_BILLING_ACCOUNT)", 0},
    {"invoice-issuer", "NAME", "FOCUS InvoiceIssuerName (default $TIERLEDGER_INVOICE_ISSUER)", 0},
    {"output", "FILE", "write to FILE and its FOCUS metadata to FILE.metadata.json", 'o'},
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_report_chargeback = {
    .name = "report chargeback",
    .summary = "finance chargeback CSV of a month's backup storage",
    .usage = "--month YYYY-MM [--prices FILE] [--source estimate|billed] [options]",
    .description =
        "One CSV row per database, segment and backup kind of the month: a FOCUS 1.2 dataset\n"
        "(every mandatory column, then x_ columns; NULL is an empty field). Figures are\n"
        "estimates from the documented formulas (x_CostSource = estimate), not invoice\n"
        "amounts. With --source billed, each database's invoiced cost (import-costs) is\n"
        "shared out to its rows in the estimate's proportions (x_CostSource = billed);\n"
        "rows the invoice lacks (not-invoiced, BilledCost 0) and invoice lines no row has\n"
        "(invoice-only) stay in the file. A missing price is an error (exit 65), never a\n"
        "silent zero; nothing is written then.",
    .options = chargeback_options,
    .run = run_chargeback,
};
