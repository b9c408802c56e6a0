/* cmd_prices.c - `tierledger prices fetch`: a price sheet from the public
 * Azure Retail Prices API (collector/retail.h), one row per region, kind
 * and redundancy, with the provider's meter, SKU and price ids. A meter the
 * API does not return is named on stderr (exit 1), never guessed. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "collector/retail.h"
#include "reports/chargeback.h"
#include "sql/store/conn.h"
#include "sql/store/fleet.h"

#define MAX_REGIONS 128

typedef struct {
    TlPrice *rows;
    size_t n;
    char comment[1200];
} Sheet;

static TlResult write_sheet(FILE *out, const void *data, TlError *err)
{
    const Sheet *s = data;
    return report_price_sheet(out, s->rows, s->n, s->comment, err);
}

/* The fetched prices as sheet rows (strings borrowed from p). */
static TlResult to_sheet(const RetailPrices *p, Sheet *s, TlError *err)
{
    s->rows = calloc(p->n ? p->n : 1, sizeof *s->rows);
    if (!s->rows)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < p->n; i++) {
        const RetailPrice *r = &p->rows[i];
        TlTime from;
        if (!tl_time_parse(r->effective_from, true, &from))
            return tl_error_set(err, TL_ERR_PROTOCOL, "effectiveStartDate '%s' of %s %s %s",
                                r->effective_from, r->region, r->kind, r->redundancy);
        s->rows[s->n++] =
            (TlPrice){r->region, r->kind, r->redundancy, r->unit_price, r->currency,
                      from,      0,       r->meter,      r->sku_id,     r->sku_price_id};
    }
    return TL_OK;
}

static TlResult run_fetch(CliContext *ctx, TlError *err)
{
    const char *regions[MAX_REGIONS], *currency = cli_opt(ctx, "currency");
    int n = cli_opt_all(ctx, "region", regions, MAX_REGIONS);
    const char *url = cli_opt(ctx, "prices-url");
    if (!url)
        url = getenv("TIERLEDGER_PRICES_URL");
    static char recorded[MAX_REGIONS][64];
    if (n == 0) { /* the regions the recorded usage needs prices for */
        size_t found = 0;
        StoreConn *conn = NULL;
        TlResult rc = store_open_reader(cli_opt(ctx, "db"), &conn, err);
        if (!rc)
            rc = store_usage_regions(conn, ctx->now, recorded, MAX_REGIONS, &found, err);
        store_close(conn);
        if (rc)
            return rc;
        for (size_t i = 0; i < found; i++)
            regions[n++] = recorded[i];
        if (n == 0)
            return tl_error_set(err, TL_ERR_USAGE,
                                "no --region given and no backup usage of the last 40 days names "
                                "a region: give --region R (repeatable), e.g. --region westeurope");
    }
    if (!currency)
        currency = "USD";
    if (strlen(currency) != 3 || !isupper((unsigned char)currency[0]) ||
        !isupper((unsigned char)currency[1]) || !isupper((unsigned char)currency[2]))
        return tl_error_set(err, TL_ERR_USAGE, "--currency: '%s' is not an ISO 4217 code",
                            currency);
    char base[1024];
    TlResult rc = http_base_url(url && url[0] ? url : RETAIL_DEFAULT_URL, "--prices-url", base,
                                sizeof base, err);
    if (rc)
        return rc;
    HttpOptions http;
    http_options_default(&http);
    RetailPrices prices;
    Sheet sheet = {NULL, 0, ""};
    rc = retail_fetch(base, regions, (size_t)n, currency, &http, &prices, err);
    if (!rc)
        rc = to_sheet(&prices, &sheet, err);
    char when[TL_TIME_TEXT_MAX];
    snprintf(
        sheet.comment, sizeof sheet.comment,
        "Azure Retail Prices API (list prices, %s), %s, read at %s: not your negotiated prices",
        currency, base, tl_time_format(ctx->now, when));
    if (!rc)
        rc = cli_write_output(cli_opt(ctx, "output"), write_sheet, &sheet, err);
    for (size_t i = 0; !rc && i < prices.n_missing; i++)
        cli_diag(CLI_WARNING, "tierledger prices fetch: not returned by the API: %s",
                 prices.missing[i]);
    if (!rc)
        cli_diag(CLI_INFO,
                 "tierledger prices fetch: %zu prices for %d region%s (%ld items read, %ld "
                 "pages)%s",
                 sheet.n, n, n == 1 ? "" : "s", prices.items, prices.pages,
                 prices.n_missing ? "; some meters missing, see above" : "");
    if (!rc && prices.n_missing)
        ctx->exit_status = 1;
    free(sheet.rows);
    retail_cleanup(&prices);
    return rc;
}

static TlResult run_prices(CliContext *ctx, TlError *err)
{
    (void)ctx;
    return tl_error_set(err, TL_ERR_USAGE, "which: prices fetch?");
}

static const CliOption fetch_options[] = {
    {"region", "R",
     "an Azure region (ARM name, e.g. westeurope); repeatable (default: those of the recorded "
     "usage)",
     0},
    {"currency", "CUR", "ISO 4217 currency of the prices (default USD)", 0},
    {"prices-url", "URL", "the API (default " RETAIL_DEFAULT_URL "; $TIERLEDGER_PRICES_URL)", 0},
    {"output", "FILE", "write the sheet to FILE (atomically) instead of stdout", 'o'},
    {"db", "CONNINFO", "PostgreSQL connection string, for the default regions", 0},
    {NULL, NULL, NULL, 0},
};

static const CliCommand cmd_prices_fetch = {
    .name = "prices fetch",
    .summary = "a price sheet from the public Azure Retail Prices API",
    .usage = "[--region R]... [--currency CUR] [-o FILE]",
    .description =
        "Reads the SQL Database backup storage meters (PITR and LTR by redundancy, Hyperscale\n"
        "backup storage) of each region, by default the regions of the backup usage recorded\n"
        "in the last 40 days, and writes the price sheet report chargeback reads, with\n"
        "effective_from from effectiveStartDate and the meter, SKU and price ids. These are\n"
        "list (retail) prices: use your price list for negotiated ones. A meter the API does\n"
        "not return is named on stderr and the exit status is 1; none is guessed.",
    .options = fetch_options,
    .run = run_fetch,
};

static const CliCommand *const prices_subcommands[] = {&cmd_prices_fetch, NULL};
static const CliOption prices_options[] = {{NULL, NULL, NULL, 0}};

const CliCommand cmd_prices = {
    .name = "prices",
    .summary = "price sheets: fetch one from the Azure Retail Prices API",
    .usage = "fetch [options]",
    .options = prices_options,
    .run = run_prices,
    .subcommands = prices_subcommands,
};
