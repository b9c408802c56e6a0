/* cmd_report.c - `tierledger report chargeback|warnings`: fleet-wide
 * reports. Everything is computed first and written last, so a failure
 * (a missing price, a bad sheet) leaves no partial output; -o FILE is
 * written to a temporary file beside it and renamed into place. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/prices.h"
#include "model/history.h"
#include "model/objective.h"
#include "reports/chargeback.h"
#include "reports/warnings_report.h"
#include "sql/store/conn.h"
#include "sql/store/fleet.h"

/* Run write(out, ...) into path ("-" or NULL: stdout) without ever leaving a
 * partial file: a temporary file in the same directory, renamed on success. */
typedef TlResult (*Writer)(FILE *out, const void *data, TlError *err);

static TlResult write_output(const char *path, Writer write, const void *data, TlError *err)
{
    if (!path || strcmp(path, "-") == 0)
        return write(stdout, data, err);
    size_t len = strlen(path);
    char *tmp = malloc(len + 16);
    if (!tmp)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    snprintf(tmp, len + 16, "%s.tmp-", path);
    memset(tmp + len + 5, 'X', 6); /* mkstemp's template */
    tmp[len + 11] = '\0';
    int fd = mkstemp(tmp);
    if (fd < 0) {
        tl_error_set(err, TL_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        free(tmp);
        return TL_ERR_IO;
    }
    FILE *fp = fdopen(fd, "w");
    TlResult rc =
        fp ? write(fp, data, err) : tl_error_set(err, TL_ERR_IO, "%s: fdopen failed", path);
    if (fp && fclose(fp) != 0 && !rc)
        rc = tl_error_set(err, TL_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    if (!fp)
        close(fd);
    if (!rc && rename(tmp, path) != 0)
        rc =
            tl_error_set(err, TL_ERR_IO, "%s: cannot rename into place: %s", path, strerror(errno));
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc;
}

/* ---- chargeback ---------------------------------------------------------- */

typedef struct {
    ChargeRow *rows;
    size_t n, cap;
    char **owned; /* cost-center strings taken out of tags, one per database at most */
    size_t n_owned;
} Charges;

static void charges_free(Charges *c)
{
    for (size_t i = 0; i < c->n_owned; i++)
        free(c->owned[i]);
    free(c->owned);
    free(c->rows);
}

/* The value of tag `key` in a JSON object text, malloc'd, or NULL. */
static char *tag_value(const char *tags, const char *key)
{
    if (!tags || !key)
        return NULL;
    cJSON *json = cJSON_Parse(tags);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(json, key);
    char *value = cJSON_IsString(item) ? strdup(item->valuestring) : NULL;
    cJSON_Delete(json);
    return value;
}

static TlResult charges_add(Charges *c, const ChargeRow *row, TlError *err)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        ChargeRow *grown = realloc(c->rows, cap * sizeof *grown);
        if (!grown)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        c->rows = grown;
        c->cap = cap;
    }
    c->rows[c->n++] = *row;
    return TL_OK;
}

static void describe(const TlBillLine *l, char *buf, size_t size)
{
    const char *what = l->kind == TL_BILL_HYPERSCALE ? "Hyperscale data and log backup storage (B3)"
                       : l->dtu_included ? "PITR backup storage, included in the DTU price (B2)"
                                         : "PITR backup storage above the max-size allowance (B1)";
    snprintf(
        buf, size, "%s of segment S%d (%s, %s)%s%s%s", what, l->seq, architecture_str(l->arch),
        l->objective,
        l->decaying_estimate
            ? "; after its cutover estimated from its last size, falling to zero at expiry (B4)"
            : "",
        l->carried_forward ? "; days without metrics carry the day before" : "",
        l->no_usage ? "; some hours have no usage data and count as zero" : "");
}

static TlResult build_charges(const Fleet *fleet, const PriceSheet *prices, const char *prices_name,
                              const char *cc_tag, TlTime start, TlTime end, TlTime now,
                              Charges *out, TlError *err)
{
    TlResult rc = TL_OK;
    char a[TL_TIME_TEXT_MAX];
    out->owned = calloc(fleet->n ? fleet->n : 1, sizeof *out->owned); /* one per database */
    if (!out->owned)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
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
        char *cost_center = tag_value(db->tags, cc_tag);
        for (size_t k = 0; k < bill.n_lines && !rc; k++) {
            const TlBillLine *l = &bill.lines[k];
            const char *redundancy = redundancy_price_name(l->redundancy);
            ChargeRow row = {.billing_start = start,
                             .billing_end = end,
                             .charge_start = l->charge_start,
                             .charge_end = l->charge_end,
                             .quantity = l->gb_month,
                             .consumed = l->consumed_gb_month,
                             .region = db->region,
                             .resource_id = db->resource_id,
                             .resource_name = db->database_name,
                             .subscription = db->subscription,
                             .resource_group = db->resource_group,
                             .tags = db->tags,
                             .cost_center = cost_center,
                             .segment = l->seq,
                             .architecture = architecture_str(l->arch),
                             .backup_kind = bill_kind_str(l->kind),
                             .redundancy = redundancy,
                             .segment_status = segment_status_str(l->status)};
            TlObjective obj;
            objective_parse(l->objective, NULL, &obj);
            row.service_tier = edition_str(obj.edition);
            row.sku_meter = l->kind == TL_BILL_HYPERSCALE
                                ? "Data Stored - Backup - RA"
                                : "single/elastic pool pitr backup storage";
            describe(l, row.description, sizeof row.description);
            const TlPrice *price = price_find(prices->rows, prices->n, db->region,
                                              bill_kind_str(l->kind), redundancy, start);
            if (!price && !l->dtu_included) {
                rc = tl_error_set(err, TL_ERR_DATA,
                                  "%s: no price for region '%s', kind %s, redundancy %s effective "
                                  "%s (needed by %s)",
                                  prices_name, db->region ? db->region : "(unknown) or *",
                                  bill_kind_str(l->kind), redundancy, tl_time_format(start, a),
                                  db->resource_id);
                tl_error_hint(err, "add a row for that region (or '*') to the price sheet");
                break;
            }
            row.currency = price ? price->currency : prices->n ? prices->rows[0].currency : "USD";
            row.effective_cost = row.list_cost = price ? l->gb_month * price->unit_price : 0;
            rc = charges_add(out, &row, err);
        }
        if (cost_center)
            out->owned[out->n_owned++] = cost_center; /* freed with the rows */
        billing_cleanup(&bill);
    }
    return rc;
}

static int cmp_row(const void *pa, const void *pb)
{
    const ChargeRow *a = pa, *b = pb;
    int c = strcmp(a->resource_id, b->resource_id);
    if (c)
        return c;
    return (a->segment > b->segment) - (a->segment < b->segment);
}

static TlResult write_rows(FILE *out, const void *data, TlError *err)
{
    const Charges *c = data;
    return report_chargeback_csv(out, c->rows, c->n, err);
}

static TlResult write_by_cost_center(FILE *out, const void *data, TlError *err)
{
    const Charges *c = data;
    return report_chargeback_by_cost_center(out, c->rows, c->n, err);
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
    PriceSheet prices = {0};
    Charges charges = {0};
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
        rc = build_charges(&fleet, &prices, prices.table ? prices.table->name : prices_path,
                           cc_tag ? cc_tag : "cost-center", start, end, ctx->now, &charges, err);
    if (!rc && charges.n > 1)
        qsort(charges.rows, charges.n, sizeof *charges.rows, cmp_row);
    if (!rc)
        rc = write_output(cli_opt(ctx, "output"), by ? write_by_cost_center : write_rows, &charges,
                          err);
    if (!rc && end > ctx->now)
        fprintf(stderr, "tierledger report: %s is not over: hours after now are not billed yet\n",
                month);
    charges_free(&charges);
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
        rc = write_output(cli_opt(ctx, "output"), write_warnings, &w, err);
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
    const char *kind = ctx->args[0];
    if (strcmp(kind, "chargeback") == 0)
        return run_chargeback(ctx, err);
    if (strcmp(kind, "warnings") == 0)
        return run_warnings(ctx, err);
    return tl_error_set(err, TL_ERR_USAGE, "unknown report '%s' (chargeback, warnings)", kind);
}

static const CliOption report_options[] = {
    {"as-of", "TIME", "warnings: evaluate at TIME (RFC 3339 or YYYY-MM-DD; default now)", 0},
    {"by", "cost-center", "chargeback: totals per cost center instead of rows", 0},
    {"cost-center-tag", "KEY", "chargeback: the tag naming the cost center (default cost-center)",
     0},
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"format", "FMT", "warnings: text (default), csv or json", 0},
    {"month", "YYYY-MM", "chargeback: the calendar month (UTC)", 0},
    {"output", "FILE", "write to FILE (atomically) instead of stdout", 'o'},
    {"prices", "FILE", "chargeback: price sheet CSV (default $TIERLEDGER_PRICES)", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_report = {
    .name = "report",
    .summary = "fleet reports: finance chargeback CSV, warnings for DBAs",
    .usage = "chargeback --month YYYY-MM [--prices FILE] [options] | warnings [options]",
    .description =
        "chargeback: one CSV row per database, segment and backup kind of the month, FOCUS\n"
        "column names (BillingPeriodStart ... Tags) then x_ columns. Figures are estimates from\n"
        "the documented formulas (x_CostSource = estimate), not invoice amounts. A missing price\n"
        "is an error (exit 65), never a silent zero; nothing is written then.\n"
        "warnings: every database with something to act on, worst first: reverse migrations\n"
        "in progress that already destroyed backups (critical), reverse-migration deadlines,\n"
        "repeat migrations that would lose an available segment, previous segments expiring\n"
        "within 7 days, unknown objectives (warn), open windows and unknown facts (info).\n"
        "Exit 1 when anything is at warn or critical, 0 when clean.",
    .options = report_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_report,
};
