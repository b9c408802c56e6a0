/* cmd_reconcile.c - `tierledger report reconcile --month M`: the month's
 * estimate beside what Azure invoiced (import-costs), per database and
 * meter, with the differences and their likely causes. Exit 1 when any
 * database differs on any meter by more than --tolerance. */
#include <math.h>
#include <stdlib.h>

#include "cli/charges.h"
#include "cli/commands.h"
#include "cli/output.h"
#include "reports/reconcile.h"

typedef struct {
    const char *month;
    int format;          /* 0 text, 1 csv, 2 json */
    Reconciliation *rec; /* its rows are read once, by the writer */
} Reconcile;

static TlResult write_reconcile(FILE *out, const void *data, TlError *err)
{
    const Reconcile *r = data;
    if (r->format == 1)
        return report_reconcile_csv(out, r->month, r->rec, err);
    if (r->format == 2)
        return report_reconcile_json(out, r->month, r->rec, err);
    return report_reconcile_text(out, r->month, r->rec, err);
}

/* A non-negative decimal option, or def when absent. */
static TlResult amount_opt(const CliContext *ctx, const char *name, double def, double *out,
                           TlError *err)
{
    const char *text = cli_opt(ctx, name);
    char *end = NULL;
    *out = text ? strtod(text, &end) : def;
    if (text && (end == text || *end != '\0' || !isfinite(*out) || *out < 0))
        return tl_error_set(err, TL_ERR_USAGE, "--%s: '%s' is not a non-negative number", name,
                            text);
    return TL_OK;
}

static TlResult run_reconcile(CliContext *ctx, TlError *err)
{
    static const char *const formats[] = {"text", "csv", "json", NULL};
    Reconciliation rec = {0};
    Reconcile r = {.month = cli_opt(ctx, "month"), .rec = &rec};
    double tolerance, min_difference;
    TlResult rc = cli_format(ctx, formats, &r.format, err);
    if (!rc)
        rc = amount_opt(ctx, "tolerance", 5, &tolerance, err);
    if (!rc)
        rc = amount_opt(ctx, "min-difference", 0.01, &min_difference, err);
    if (rc)
        return rc;
    MonthCharges m;
    rc = month_charges_load(ctx, true, CHARGE_BY_MATCH, &m, err);
    if (!rc)
        rc = report_reconcile(m.charges, m.invoice.lines, m.invoice.n, tolerance, min_difference,
                              cli_sort_memory(), &rec, err);
    if (!rc)
        rc = cli_write_output(cli_opt(ctx, "output"), write_reconcile, &r, err);
    if (!rc && rec.differing)
        ctx->exit_status = 1;
    if (!rc && m.end > ctx->now)
        fprintf(stderr, "tierledger report: %s is not over: hours after now are not billed yet\n",
                m.month);
    reconcile_cleanup(&rec);
    month_charges_cleanup(&m);
    return rc;
}

static const CliOption reconcile_options[] = {
    {"month", "YYYY-MM", "the calendar month (UTC), required", 0},
    {"prices", "FILE", "price sheet CSV (default $TIERLEDGER_PRICES)", 0},
    {"tolerance", "PERCENT", "a database differs when its cost is off by more (default 5)", 0},
    {"min-difference", "AMOUNT",
     "differences smaller than AMOUNT (in the billing currency) never count (default 0.01)", 0},
    {"format", "FMT", "text (default: the differences), csv or json (every database)", 0},
    {"output", "FILE", "write to FILE (atomically) instead of stdout", 'o'},
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_report_reconcile = {
    .name = "report reconcile",
    .summary = "a month's estimate against the invoice, per database and meter",
    .usage = "--month YYYY-MM [--prices FILE] [--tolerance PERCENT] [options]",
    .description =
        "Per database and meter: estimated and billed quantity (GB-month) and cost, the\n"
        "difference (billed minus estimated, percent of the estimate), and the likely cause\n"
        "where the data shows one: a database never recorded, a meter the other side names,\n"
        "no invoice line, days without metrics, a lost segment, an elastic pool's shared\n"
        "allowance, an invoice price the price sheet does not have, estimated sizes, other\n"
        "days billed. The invoice comes from import-costs. Exit 1 when any database differs\n"
        "by more than the tolerance, 0 when all agree.",
    .options = reconcile_options,
    .run = run_reconcile,
};
