/* reconcile.c - see reconcile.h. Quantities are GB-month, costs currency
 * units; a difference is billed minus estimated, its percent relative to the
 * estimate. */
#include "reports/reconcile.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reports/report.h"

static const char *const cause_names[RECONCILE_CAUSES] = {
    "unknown_database", "not_estimated", "other_meter",
    "not_invoiced",     "currency",      "missing_metrics",
    "segment_lost",     "elastic_pool",  "price",
    "estimated_size",   "days",
};

const char *reconcile_cause_str(ReconcileCause c)
{
    for (int k = 0; k < RECONCILE_CAUSES; k++)
        if (c == 1u << k)
            return cause_names[k];
    return "unknown";
}

void reconcile_cleanup(Reconciliation *r)
{
    spool_free(r->rows);
    for (size_t k = 0; k < r->n_totals; k++)
        free(r->totals[k].currency);
    free(r->last_id);
    spool_buf_free(&r->key);
    spool_buf_free(&r->payload);
    *r = (Reconciliation){0};
}

#define REC_STR(f) offsetof(ReconcileRow, f)
static const size_t rec_strings[] = {
    REC_STR(resource_id),     REC_STR(meter),       REC_STR(currency),
    REC_STR(billed_currency), REC_STR(other_meter), REC_STR(pool),
};
#define N_REC_STRINGS (sizeof rec_strings / sizeof *rec_strings)

/* The next row of r->rows into *row (pointing into the spool until the next
 * call); *row->resource_id NULL at the end. */
static TlResult next_row(Reconciliation *r, ReconcileRow *row, TlError *err)
{
    const void *key, *payload;
    size_t key_len, len;
    row->resource_id = NULL;
    TlResult rc = spool_next(r->rows, &key, &key_len, &payload, &len, err);
    if (rc || !payload)
        return rc;
    if (!spool_unpack_struct(payload, len, row, sizeof *row, rec_strings, N_REC_STRINGS) ||
        !row->resource_id)
        return tl_error_set(err, TL_ERR_INTERNAL, "a reconciliation row came back malformed");
    return TL_OK;
}

/* Count the row into the currency totals (rows of one currency on both sides). */
static TlResult add_total(Reconciliation *rec, const ReconcileRow *row, TlError *err)
{
    if (row->causes & RECONCILE_CURRENCY)
        return TL_OK;
    size_t k = 0;
    while (k < rec->n_totals && strcmp(rec->totals[k].currency, row->currency) != 0)
        k++;
    if (k == rec->n_totals) {
        if (k == RECONCILE_TOTALS_MAX)
            return TL_OK;
        char *c = strdup(row->currency);
        if (!c)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        rec->totals[rec->n_totals++] = (ReconcileTotal){c, 0, 0};
    }
    rec->totals[k].estimated += row->est_cost;
    rec->totals[k].billed += row->billed_cost;
    return TL_OK;
}

static int span_days(TlTime from, TlTime to)
{
    return to > from ? (int)((to - from + TL_SECONDS_PER_DAY - 1) / TL_SECONDS_PER_DAY) : 0;
}

/* The estimate's side of a match: sums, and what its rows show. */
static void estimate_side(const InvoiceMatch *m, ReconcileRow *r)
{
    TlTime from = TL_TIME_NONE, to = TL_TIME_NONE;
    r->estimated = true;
    r->resource_id = m->rows[0]->resource_id;
    r->meter = m->rows[0]->meter;
    r->currency = m->rows[0]->currency;
    r->sheet_price = m->rows[0]->unit_price;
    r->price_from = m->rows[0]->price_from;
    for (size_t k = 0; k < m->n_rows; k++) {
        const ChargeRow *c = m->rows[k];
        r->est_quantity += c->quantity;
        r->est_cost += c->effective_cost;
        if (c->charge_end > c->charge_start) {
            from = from == TL_TIME_NONE || c->charge_start < from ? c->charge_start : from;
            to = to == TL_TIME_NONE || c->charge_end > to ? c->charge_end : to;
        }
        if (c->missing_days > 0) {
            r->causes |= RECONCILE_MISSING_METRICS;
            r->missing_days += c->missing_days;
            if (r->first_missing_day == TL_TIME_NONE || c->first_missing_day < r->first_missing_day)
                r->first_missing_day = c->first_missing_day;
        }
        if (c->segment_status && strcmp(c->segment_status, "lost") == 0) {
            r->causes |= RECONCILE_SEGMENT_LOST;
            r->lost_segment = c->segment;
        }
        if (c->elastic_pool) {
            r->causes |= RECONCILE_POOL;
            r->pool = c->elastic_pool;
        }
        if (c->decaying_estimate || c->dropped)
            r->causes |= RECONCILE_ESTIMATED_SIZE;
    }
    r->estimate_days = span_days(from, to);
}

/* Compare both sides and keep only the causes a real difference shows. */
static void compare(ReconcileRow *r, const Reconciliation *rec)
{
    bool same_currency =
        !r->estimated || !r->invoiced || strcmp(r->currency, r->billed_currency) == 0;
    double billed = money_to_double(r->billed_cost);
    r->cost_diff = same_currency ? billed - r->est_cost : (double)NAN;
    r->cost_pct =
        same_currency && r->est_cost != 0 ? r->cost_diff / r->est_cost * 100 : (double)NAN;
    r->quantity_diff =
        isnan(r->billed_quantity) ? (double)NAN : r->billed_quantity - r->est_quantity;
    r->quantity_pct = !isnan(r->quantity_diff) && r->est_quantity != 0
                          ? r->quantity_diff / r->est_quantity * 100
                          : (double)NAN;
    if (r->invoiced && r->estimated && !isnan(r->billed_quantity) && r->billed_quantity > 0 &&
        r->sheet_price > 0) {
        r->invoice_price = billed / r->billed_quantity;
        if (fabs(r->invoice_price - r->sheet_price) > 0.005 * r->sheet_price)
            r->causes |= RECONCILE_PRICE;
    }
    if (r->invoiced && r->estimated && r->invoice_days != r->estimate_days)
        r->causes |= RECONCILE_DAYS;
    if (!same_currency) {
        r->causes |= RECONCILE_CURRENCY;
        r->differs = true;
        return;
    }
    double d = fabs(r->cost_diff);
    r->differs = d >= rec->min_difference &&
                 (r->est_cost == 0 || d > rec->tolerance / 100 * fabs(r->est_cost));
    if (d < rec->min_difference) /* no difference to explain: only who has it */
        r->causes &= RECONCILE_UNKNOWN_DATABASE | RECONCILE_NOT_ESTIMATED | RECONCILE_OTHER_METER |
                     RECONCILE_NOT_INVOICED;
}

static TlResult reconcile_match(void *ctx, const InvoiceMatch *m, TlError *err)
{
    Reconciliation *rec = ctx;
    ReconcileRow row, *r = &row;
    *r = (ReconcileRow){.billed_quantity = (double)NAN,
                        .other_meter = m->other_meter,
                        .first_missing_day = TL_TIME_NONE,
                        .price_from = TL_TIME_NONE};
    if (m->n_rows)
        estimate_side(m, r);
    if (m->line) {
        r->invoiced = true;
        r->resource_id = r->resource_id ? r->resource_id : m->line->resource_id;
        r->meter = r->meter ? r->meter : m->line->meter;
        r->currency = r->currency ? r->currency : m->line->currency;
        r->billed_currency = m->line->currency;
        r->billed_cost = m->line->billed;
        r->billed_quantity = m->line->quantity;
        r->invoice_days = m->line->days;
    } else {
        r->billed_quantity = 0;
    }
    if (!m->line)
        r->causes |= m->other_meter ? RECONCILE_OTHER_METER : RECONCILE_NOT_INVOICED;
    else if (!m->n_rows)
        r->causes |= !m->line->recorded ? RECONCILE_UNKNOWN_DATABASE
                     : m->other_meter   ? RECONCILE_OTHER_METER
                                        : RECONCILE_NOT_ESTIMATED;
    compare(r, rec);
    if (!rec->last_id || strcasecmp(rec->last_id, r->resource_id) != 0) {
        char *id = strdup(r->resource_id);
        if (!id)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        free(rec->last_id);
        rec->last_id = id;
        rec->databases++;
        rec->counted = false;
    }
    if (r->differs && !rec->counted) { /* a database counts once, whichever meters differ */
        rec->differing++;
        rec->counted = true;
    }
    rec->n++;
    TlResult rc = add_total(rec, r, err);
    spool_buf_reset(&rec->payload);
    spool_pack_struct(&rec->payload, r, sizeof *r, rec_strings, N_REC_STRINGS);
    if (!rc && rec->payload.failed)
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    /* no key: they come back in the order they were built */
    return rc ? rc : spool_add(rec->rows, "", 0, rec->payload.data, rec->payload.len, err);
}

TlResult report_reconcile(Spool *estimate, TlInvoiceLine *lines, size_t n_lines, double tolerance,
                          double min_difference, size_t sort_memory, Reconciliation *out,
                          TlError *err)
{
    *out = (Reconciliation){.tolerance = tolerance, .min_difference = min_difference};
    TlResult rc = spool_new(sort_memory, &out->rows, err);
    if (!rc)
        rc = report_invoice_walk(estimate, lines, n_lines, reconcile_match, out, err);
    return rc ? rc : spool_sort(out->rows, err);
}

/* ---- wording ---------------------------------------------------------------- */

static void cause_text(const ReconcileRow *r, ReconcileCause c, char *buf, size_t size)
{
    char day[TL_TIME_TEXT_MAX];
    switch (c) {
    case RECONCILE_UNKNOWN_DATABASE:
        snprintf(buf, size,
                 "no database of this resource id is recorded: Azure bills backup "
                 "storage tierledger does not know of (collect or import it)");
        break;
    case RECONCILE_NOT_ESTIMATED:
        snprintf(buf, size,
                 "recorded, but the estimate bills nothing for it this month "
                 "(created after it, or dropped and expired before)");
        break;
    case RECONCILE_OTHER_METER:
        snprintf(buf, size,
                 "the %s bills this database under meter '%s' (the price sheet's "
                 "meter column names the estimate's meter)",
                 r->estimated ? "invoice" : "estimate", r->other_meter);
        break;
    case RECONCILE_NOT_INVOICED:
        snprintf(buf, size,
                 "no invoice line for this database and meter (not billed yet, "
                 "billed to another account, or a partial export)");
        break;
    case RECONCILE_CURRENCY:
        snprintf(buf, size, "the invoice is in %s, the price sheet in %s: costs not compared",
                 r->billed_currency, r->currency);
        break;
    case RECONCILE_MISSING_METRICS:
        tl_time_format(r->first_missing_day, day);
        day[10] = '\0';
        snprintf(buf, size,
                 "%d day%s without backup metrics, the first %s: the estimate carries "
                 "the day before, or counts zero",
                 r->missing_days, r->missing_days == 1 ? "" : "s", day);
        break;
    case RECONCILE_SEGMENT_LOST:
        snprintf(buf, size, "segment S%d is lost: the estimate stops billing it at the loss (B4)",
                 r->lost_segment);
        break;
    case RECONCILE_POOL:
        snprintf(buf, size,
                 "in elastic pool %s: the allowance is the pool's (B1), shared in "
                 "proportion to each database's backups",
                 r->pool);
        break;
    case RECONCILE_PRICE:
        tl_time_format(r->price_from, day);
        day[10] = '\0';
        snprintf(buf, size,
                 "the invoice's unit price %.6g %s/GB-month is not the sheet's %.6g "
                 "(effective %s): the price sheet is older than the price invoiced "
                 "(tierledger prices fetch)",
                 r->invoice_price, r->billed_currency, r->sheet_price, day);
        break;
    case RECONCILE_ESTIMATED_SIZE:
        snprintf(buf, size,
                 "sizes after a cutover or a drop are estimated from the last "
                 "observed size, falling to zero at expiry (B4)");
        break;
    case RECONCILE_DAYS:
        snprintf(buf, size, "the invoice bills %d day%s, the estimate %d", r->invoice_days,
                 r->invoice_days == 1 ? "" : "s", r->estimate_days);
        break;
    }
}

/* ---- writers ------------------------------------------------------------------ */

/* "+1.5 (+8.0%)" */
static const char *signed_diff(char *buf, size_t size, double d, double pct, int places)
{
    char a[REPORT_DECIMAL_MAX];
    if (isnan(d))
        snprintf(buf, size, "not comparable");
    else if (isnan(pct))
        snprintf(buf, size, "%s%s", d > 0 ? "+" : "", report_decimal(a, d, places));
    else
        snprintf(buf, size, "%s%s (%+.1f%%)", d > 0 ? "+" : "", report_decimal(a, d, places), pct);
    return buf;
}

static TlResult written(FILE *out, TlError *err)
{
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the reconciliation") : TL_OK;
}

TlResult report_reconcile_text(FILE *out, const char *month, Reconciliation *r, TlError *err)
{
    char a[REPORT_DECIMAL_MAX], b[REPORT_DECIMAL_MAX], c[96], text[1024];
    const ReconcileTotal *t = r->totals;
    size_t nt = r->n_totals;
    fprintf(out,
            "Backup storage of %s, estimate against invoice: %zu database%s, %zu differ%s by "
            "more than %s%% (and %s)\n",
            month, r->databases, r->databases == 1 ? "" : "s", r->differing,
            r->differing == 1 ? "s" : "", report_decimal(a, r->tolerance, 4),
            report_decimal(b, r->min_difference, 6));
    for (size_t k = 0; k < nt; k++) {
        double billed = money_to_double(t[k].billed), d = billed - t[k].estimated;
        fprintf(out, "  %s: estimated %s, billed %s, %s\n", t[k].currency,
                report_decimal(a, t[k].estimated, 6), report_decimal(b, billed, 6),
                signed_diff(c, sizeof c, d,
                            t[k].estimated != 0 ? d / t[k].estimated * 100 : (double)NAN, 6));
    }
    if (!r->differing)
        fputs("every database is within the tolerance\n", out);
    ReconcileRow each, *row = &each;
    for (;;) {
        TlResult rc = next_row(r, row, err);
        if (rc)
            return rc;
        if (!row->resource_id)
            break;
        if (!row->differs)
            continue;
        fprintf(out, "\n%s\n  meter     %s\n", row->resource_id, row->meter);
        char est[96], billed[96];
        snprintf(est, sizeof est, "%s GB-month", report_decimal(a, row->est_quantity, 6));
        snprintf(billed, sizeof billed, "%s", report_decimal(b, row->billed_quantity, 6));
        fprintf(out, "  quantity  %s estimated, %s billed: %s\n", row->estimated ? est : "none",
                !row->invoiced                ? "none"
                : isnan(row->billed_quantity) ? "no quantity"
                                              : billed,
                signed_diff(c, sizeof c, row->quantity_diff, row->quantity_pct, 6));
        snprintf(est, sizeof est, "%s %s", report_decimal(a, row->est_cost, 6), row->currency);
        snprintf(billed, sizeof billed, "%s %s", money_format(row->billed_cost, b),
                 row->billed_currency ? row->billed_currency : "");
        fprintf(out, "  cost      %s estimated, %s billed: %s\n", row->estimated ? est : "none",
                row->invoiced ? billed : "none",
                signed_diff(text, sizeof text, row->cost_diff, row->cost_pct, 6));
        for (int k = 0; k < RECONCILE_CAUSES; k++) {
            if (!(row->causes & (1u << k)))
                continue;
            cause_text(row, (ReconcileCause)(1u << k), text, sizeof text);
            fprintf(out, "  cause     %s\n", cause_names[k]);
            report_wrap(out, text, 12, 100);
        }
        if (!row->causes)
            fputs("  cause     none the data shows\n", out);
    }
    return written(out, err);
}

static void csv_num(FILE *out, double v, int places)
{
    char buf[REPORT_DECIMAL_MAX];
    fprintf(out, ",%s", report_decimal(buf, v, places));
}

TlResult report_reconcile_csv(FILE *out, const char *month, Reconciliation *r, TlError *err)
{
    fputs("month,resource_id,meter,currency,billed_currency,estimated_quantity,billed_quantity,"
          "difference_quantity,difference_quantity_percent,estimated_cost,billed_cost,"
          "difference_cost,difference_percent,estimate_days,invoice_days,status,causes,"
          "detail\r\n",
          out);
    char buf[TL_MONEY_TEXT_MAX], text[1024], codes[256], detail[4096];
    ReconcileRow each, *row = &each;
    for (;;) {
        TlResult rc = next_row(r, row, err);
        if (rc)
            return rc;
        if (!row->resource_id)
            break;
        report_csv_cell(out, month, 1);
        report_csv_cell(out, row->resource_id, 0);
        report_csv_cell(out, row->meter, 0);
        report_csv_cell(out, row->currency, 0);
        report_csv_cell(out, row->billed_currency, 0);
        csv_num(out, row->estimated ? row->est_quantity : (double)NAN, 6);
        csv_num(out, row->billed_quantity, 6);
        csv_num(out, row->quantity_diff, 6);
        csv_num(out, row->quantity_pct, 2);
        csv_num(out, row->estimated ? row->est_cost : (double)NAN, 6);
        report_csv_cell(out, row->invoiced ? money_format(row->billed_cost, buf) : NULL, 0);
        csv_num(out, row->cost_diff, 6);
        csv_num(out, row->cost_pct, 2);
        fprintf(out, ",%d,%d", row->estimate_days, row->invoice_days);
        report_csv_cell(out, row->differs ? "differs" : "match", 0);
        codes[0] = detail[0] = '\0';
        for (int k = 0; k < RECONCILE_CAUSES; k++) {
            if (!(row->causes & (1u << k)))
                continue;
            cause_text(row, (ReconcileCause)(1u << k), text, sizeof text);
            size_t lc = strlen(codes), ld = strlen(detail);
            snprintf(codes + lc, sizeof codes - lc, "%s%s", lc ? ";" : "", cause_names[k]);
            snprintf(detail + ld, sizeof detail - ld, "%s%s", ld ? "; " : "", text);
        }
        report_csv_cell(out, codes, 0);
        report_csv_cell(out, detail, 0);
        fputs("\r\n", out);
    }
    return written(out, err);
}

/* A number, or null for NAN. */
static cJSON *json_num(double v, int places)
{
    char buf[REPORT_DECIMAL_MAX];
    return isnan(v) ? cJSON_CreateNull() : cJSON_CreateRaw(report_decimal(buf, v, places));
}

static cJSON *side(bool present, double quantity, cJSON *cost, int days)
{
    if (!present) {
        cJSON_Delete(cost);
        return cJSON_CreateNull();
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "quantity", json_num(quantity, 6));
    cJSON_AddItemToObject(o, "cost", cost);
    cJSON_AddNumberToObject(o, "days", days);
    return o;
}

static cJSON *row_json(const ReconcileRow *row)
{
    char buf[TL_MONEY_TEXT_MAX], text[1024];
    cJSON *o = cJSON_CreateObject(), *diff = cJSON_CreateObject(), *causes = cJSON_CreateArray();
    cJSON_AddStringToObject(o, "resource_id", row->resource_id);
    cJSON_AddStringToObject(o, "meter", row->meter);
    cJSON_AddStringToObject(o, "currency", row->currency);
    cJSON_AddItemToObject(o, "billed_currency",
                          row->billed_currency ? cJSON_CreateString(row->billed_currency)
                                               : cJSON_CreateNull());
    cJSON_AddItemToObject(
        o, "estimated",
        side(row->estimated, row->est_quantity, json_num(row->est_cost, 6), row->estimate_days));
    cJSON_AddItemToObject(o, "billed",
                          side(row->invoiced, row->billed_quantity,
                               cJSON_CreateRaw(money_format(row->billed_cost, buf)),
                               row->invoice_days));
    cJSON_AddItemToObject(diff, "quantity", json_num(row->quantity_diff, 6));
    cJSON_AddItemToObject(diff, "quantity_percent", json_num(row->quantity_pct, 2));
    cJSON_AddItemToObject(diff, "cost", json_num(row->cost_diff, 6));
    cJSON_AddItemToObject(diff, "percent", json_num(row->cost_pct, 2));
    cJSON_AddItemToObject(o, "difference", diff);
    cJSON_AddStringToObject(o, "status", row->differs ? "differs" : "match");
    for (int k = 0; k < RECONCILE_CAUSES; k++) {
        if (!(row->causes & (1u << k)))
            continue;
        cause_text(row, (ReconcileCause)(1u << k), text, sizeof text);
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "code", cause_names[k]);
        cJSON_AddStringToObject(c, "detail", text);
        cJSON_AddItemToArray(causes, c);
    }
    cJSON_AddItemToObject(o, "causes", causes);
    return o;
}

TlResult report_reconcile_json(FILE *out, const char *month, Reconciliation *r, TlError *err)
{
    char buf[TL_MONEY_TEXT_MAX];
    const ReconcileTotal *t = r->totals;
    cJSON *root = cJSON_CreateObject(), *tot = cJSON_CreateArray();
    cJSON_AddStringToObject(root, "month", month);
    cJSON_AddItemToObject(root, "tolerance_percent", json_num(r->tolerance, 4));
    cJSON_AddItemToObject(root, "min_difference", json_num(r->min_difference, 6));
    cJSON_AddNumberToObject(root, "databases", (double)r->databases);
    cJSON_AddNumberToObject(root, "databases_differing", (double)r->differing);
    for (size_t k = 0; k < r->n_totals; k++) {
        cJSON *o = cJSON_CreateObject();
        double billed = money_to_double(t[k].billed), d = billed - t[k].estimated;
        cJSON_AddStringToObject(o, "currency", t[k].currency);
        cJSON_AddItemToObject(o, "estimated_cost", json_num(t[k].estimated, 6));
        cJSON_AddItemToObject(o, "billed_cost", cJSON_CreateRaw(money_format(t[k].billed, buf)));
        cJSON_AddItemToObject(o, "difference", json_num(d, 6));
        cJSON_AddItemToObject(
            o, "difference_percent",
            json_num(t[k].estimated != 0 ? d / t[k].estimated * 100 : (double)NAN, 2));
        cJSON_AddItemToArray(tot, o);
    }
    cJSON_AddItemToObject(root, "totals", tot);
    cJSON_AddArrayToObject(root, "rows");
    ReportJsonArray arr;
    TlResult rc = report_json_array_begin(&arr, out, root, "rows", err);
    ReconcileRow row;
    while (!rc && !(rc = next_row(r, &row, err)) && row.resource_id)
        rc = report_json_array_item(&arr, row_json(&row), err);
    TlError ignored; /* the first failure is the one to tell */
    TlResult end = report_json_array_end(&arr, rc ? &ignored : err);
    return rc ? rc : end;
}
