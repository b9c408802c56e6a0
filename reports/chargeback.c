/* chargeback.c - see chargeback.h. Periods are RFC 3339 UTC with Z, end
 * exclusive; amounts are plain decimals with six places. */
#include "reports/chargeback.h"

#include <cjson/cJSON.h>
#include <csv.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/arm_id.h"
#include "model/mi_billing.h"
#include "model/objective.h"
#include "reports/regions.h"
#include "reports/report.h"

void report_csv_cell(FILE *out, const char *text, int first)
{
    if (!first)
        fputc(',', out);
    if (!text || !text[0])
        return;
    char guarded[2048];
    if (strchr("=+-@\t\r", text[0])) { /* formula injection: make it text */
        snprintf(guarded, sizeof guarded, "'%s", text);
        text = guarded;
    }
    if (strpbrk(text, ",\"\r\n") || text[0] == ' ' || text[strlen(text) - 1] == ' ')
        csv_fwrite(out, text, strlen(text));
    else
        fputs(text, out);
}

/* The columns of each file, in order, with their FOCUS data types (the
 * metadata sidecar's ColumnDefinition); FOCUS columns first, x_ after. */
typedef struct {
    const char *name, *type;
} Column;

static const Column row_columns[] = {
    /* the columns of the first files, in their order */
    {"BillingPeriodStart", "DATETIME"},
    {"BillingPeriodEnd", "DATETIME"},
    {"ChargePeriodStart", "DATETIME"},
    {"ChargePeriodEnd", "DATETIME"},
    {"ChargeCategory", "STRING"},
    {"ChargeDescription", "STRING"},
    {"BillingCurrency", "STRING"},
    {"EffectiveCost", "DECIMAL"},
    {"ListCost", "DECIMAL"},
    {"PricingQuantity", "DECIMAL"},
    {"PricingUnit", "STRING"},
    {"ConsumedQuantity", "DECIMAL"},
    {"ConsumedUnit", "STRING"},
    {"RegionId", "STRING"},
    {"ResourceId", "STRING"},
    {"ResourceName", "STRING"},
    {"ResourceType", "STRING"},
    {"ServiceName", "STRING"},
    {"ServiceCategory", "STRING"},
    {"SkuMeter", "STRING"},
    {"SubAccountId", "STRING"},
    {"Tags", "JSON"},
    /* FOCUS 1.2: the rest of the mandatory columns, then conditional ones */
    {"BilledCost", "DECIMAL"},
    {"BillingAccountId", "STRING"},
    {"BillingAccountName", "STRING"},
    {"ChargeClass", "STRING"},
    {"ChargeFrequency", "STRING"},
    {"ContractedCost", "DECIMAL"},
    {"ContractedUnitPrice", "DECIMAL"},
    {"InvoiceIssuerName", "STRING"},
    {"ListUnitPrice", "DECIMAL"},
    {"PricingCategory", "STRING"},
    {"ProviderName", "STRING"},
    {"PublisherName", "STRING"},
    {"RegionName", "STRING"},
    {"ServiceSubcategory", "STRING"},
    {"SkuId", "STRING"},
    {"SkuPriceId", "STRING"},
    {"SubAccountName", "STRING"},
    {"x_CostCenter", "STRING"},
    {"x_ResourceGroupName", "STRING"},
    {"x_Segment", "STRING"},
    {"x_Architecture", "STRING"},
    {"x_ServiceTier", "STRING"},
    {"x_BackupKind", "STRING"},
    {"x_BackupStorageRedundancy", "STRING"},
    {"x_SegmentStatus", "STRING"},
    {"x_CostSource", "STRING"},
    {"x_SkuMeterName", "STRING"},
};

static const Column total_columns[] = {
    {"BillingPeriodStart", "DATETIME"},
    {"BillingPeriodEnd", "DATETIME"},
    {"BillingCurrency", "STRING"},
    {"EffectiveCost", "DECIMAL"},
    {"ListCost", "DECIMAL"},
    {"PricingQuantity", "DECIMAL"},
    {"PricingUnit", "STRING"},
    {"BilledCost", "DECIMAL"},
    {"BillingAccountId", "STRING"},
    {"BillingAccountName", "STRING"},
    {"ChargeCategory", "STRING"},
    {"ChargeClass", "STRING"},
    {"ChargeDescription", "STRING"},
    {"ChargePeriodEnd", "DATETIME"},
    {"ChargePeriodStart", "DATETIME"},
    {"ContractedCost", "DECIMAL"},
    {"InvoiceIssuerName", "STRING"},
    {"ProviderName", "STRING"},
    {"PublisherName", "STRING"},
    {"ServiceCategory", "STRING"},
    {"ServiceName", "STRING"},
    {"x_CostCenter", "STRING"},
    {"x_Rows", "DECIMAL"},
    {"x_CostSource", "STRING"},
};

/* Microsoft's values for these meters in its FOCUS export (the FinOps
 * toolkit's Services mapping of microsoft.sql/servers/databases) */
#define PROVIDER         "Microsoft"
#define SERVICE_NAME     "Azure SQL Database"
#define SERVICE_CATEGORY "Databases"
#define SERVICE_SUB      "Relational Databases"
#define PRICING_UNIT     "GB/Month"
#define RESOURCE_TYPE    "Microsoft.Sql/servers/databases"

static void header(FILE *out, const Column *cols, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s%s", i ? "," : "", cols[i].name);
    fputs("\r\n", out);
}

static void time_cell(FILE *out, TlTime t)
{
    char buf[TL_TIME_TEXT_MAX];
    report_csv_cell(out, t == TL_TIME_NONE ? NULL : tl_time_format(t, buf), 0);
}

/* A plain decimal (FOCUS NumericFormat): no exponent, no separators, up to
 * `places` decimals without trailing zeros. */
static void decimal_cell(FILE *out, double v, int places)
{
    char buf[REPORT_DECIMAL_MAX];
    fprintf(out, ",%s", report_decimal(buf, v, places));
}

static void segment_cell(FILE *out, int v)
{
    if (v > 0)
        fprintf(out, ",S%d", v);
    else
        fputc(',', out);
}

static void money_cell(FILE *out, TlMoney v)
{
    char buf[TL_MONEY_TEXT_MAX];
    fprintf(out, ",%s", money_format(v, buf));
}

static void row_line(FILE *out, const ChargeRow *r, const ChargeAccount *acct)
{
    char buf[TL_TIME_TEXT_MAX];
    const char *region_name = report_region_name(r->region);
    report_csv_cell(out, tl_time_format(r->billing_start, buf), 1);
    time_cell(out, r->billing_end);
    time_cell(out, r->charge_start);
    time_cell(out, r->charge_end);
    report_csv_cell(out, "Usage", 0);
    report_csv_cell(out, r->description, 0);
    report_csv_cell(out, r->currency, 0);
    money_cell(out, r->effective);
    decimal_cell(out, r->list_cost, 6);
    decimal_cell(out, r->quantity, 6);
    report_csv_cell(out, PRICING_UNIT, 0);
    decimal_cell(out, r->consumed, 6);
    report_csv_cell(out, PRICING_UNIT, 0);
    report_csv_cell(out, r->region, 0);
    report_csv_cell(out, r->resource_id, 0);
    report_csv_cell(out, r->resource_name, 0);
    report_csv_cell(out, r->resource_type ? r->resource_type : RESOURCE_TYPE, 0);
    report_csv_cell(out, r->service_name ? r->service_name : SERVICE_NAME, 0);
    report_csv_cell(out, SERVICE_CATEGORY, 0);
    report_csv_cell(out, r->sku_id ? r->meter : NULL, 0); /* FOCUS: null when SkuId is */
    report_csv_cell(out, r->subscription, 0);
    report_csv_cell(out, r->tags, 0);
    money_cell(out, r->billed); /* the estimate or the invoice (x_CostSource) */
    report_csv_cell(out, acct->id, 0);
    report_csv_cell(out, acct->name, 0);
    report_csv_cell(out, NULL, 0); /* ChargeClass: no correction */
    report_csv_cell(out, "Usage-Based", 0);
    decimal_cell(out, r->list_cost, 6); /* ContractedCost: the sheet's price */
    decimal_cell(out, r->unit_price, 10);
    report_csv_cell(out, acct->invoice_issuer, 0);
    decimal_cell(out, r->unit_price, 10);
    report_csv_cell(out, "Standard", 0);
    report_csv_cell(out, PROVIDER, 0);
    report_csv_cell(out, PROVIDER, 0);
    report_csv_cell(out, r->region ? (region_name ? region_name : r->region) : NULL, 0);
    report_csv_cell(out, SERVICE_SUB, 0);
    report_csv_cell(out, r->sku_id, 0);
    report_csv_cell(out, r->sku_id ? r->sku_price_id : NULL, 0);
    report_csv_cell(out, r->subscription_name ? r->subscription_name : r->subscription, 0);
    report_csv_cell(out, r->cost_center, 0);
    report_csv_cell(out, r->resource_group, 0);
    segment_cell(out, r->segment);
    report_csv_cell(out, r->architecture, 0);
    report_csv_cell(out, r->service_tier, 0);
    report_csv_cell(out, r->backup_kind, 0);
    report_csv_cell(out, r->redundancy, 0);
    report_csv_cell(out, r->segment_status, 0);
    report_csv_cell(out, r->cost_source, 0);
    report_csv_cell(out, r->meter, 0);
    fputs("\r\n", out);
}

void report_chargeback_header(FILE *out)
{
    header(out, row_columns, sizeof row_columns / sizeof *row_columns);
}

void report_chargeback_row(FILE *out, const ChargeRow *row, const ChargeAccount *account)
{
    row_line(out, row, account);
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_group(const ChargeTotal *a, const char *cost_center, const char *currency,
                     const char *cost_source, const char *service)
{
    int c = cmp_str(a->cost_center, cost_center);
    if (!c)
        c = cmp_str(a->currency, currency);
    if (!c)
        c = cmp_str(a->cost_source, cost_source);
    return c ? c : cmp_str(a->service_name, service);
}

static int cmp_total(const void *pa, const void *pb)
{
    const ChargeTotal *b = pb;
    return cmp_group(pa, b->cost_center, b->currency, b->cost_source, b->service_name);
}

void report_totals_cleanup(ChargeTotals *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->t[i].cost_center);
        free(t->t[i].currency);
        free(t->t[i].cost_source);
        free(t->t[i].service_name);
    }
    free(t->t);
    *t = (ChargeTotals){0};
}

static char *dup_or_null(const char *s, bool *ok)
{
    char *d = s ? strdup(s) : NULL;
    if (s && !d)
        *ok = false;
    return d;
}

/* The total row's group, added when it is new. */
static TlResult total_of(ChargeTotals *t, const ChargeRow *row, ChargeTotal **out, TlError *err)
{
    for (size_t i = t->n; i-- > 0;) /* rows of one cost center tend to come together */
        if (cmp_group(&t->t[i], row->cost_center, row->currency, row->cost_source,
                      row->service_name) == 0) {
            *out = &t->t[i];
            return TL_OK;
        }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        ChargeTotal *grown = realloc(t->t, cap * sizeof *grown);
        if (!grown)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        t->t = grown;
        t->cap = cap;
    }
    bool ok = true;
    ChargeTotal *n = &t->t[t->n];
    *n = (ChargeTotal){.cost_center = dup_or_null(row->cost_center, &ok),
                       .currency = dup_or_null(row->currency, &ok),
                       .cost_source = dup_or_null(row->cost_source, &ok),
                       .service_name = dup_or_null(row->service_name, &ok),
                       .billing_start = row->billing_start,
                       .billing_end = row->billing_end,
                       .from = row->charge_start,
                       .to = row->charge_end};
    t->n++;
    if (!ok)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    *out = n;
    return TL_OK;
}

TlResult report_totals_add(ChargeTotals *t, const ChargeRow *row, TlError *err)
{
    ChargeTotal *g = NULL;
    TlResult rc = total_of(t, row, &g, err);
    if (rc)
        return rc;
    g->effective += row->effective;
    g->billed += row->billed;
    g->list += money_from_double(row->list_cost, 6);
    g->quantity += row->quantity;
    g->from = row->charge_start < g->from ? row->charge_start : g->from;
    g->to = row->charge_end > g->to ? row->charge_end : g->to;
    g->rows++;
    return TL_OK;
}

static void total_line(FILE *out, const ChargeTotal *t, const ChargeAccount *acct)
{
    const char *cc = t->cost_center ? t->cost_center : "(untagged)";
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX], what[400], rows[24];
    const char *service = t->service_name ? t->service_name : SERVICE_NAME;
    snprintf(what, sizeof what, "%s backup storage of cost center %s: %zu row%s", service, cc,
             t->rows, t->rows == 1 ? "" : "s");
    snprintf(rows, sizeof rows, "%zu", t->rows);
    report_csv_cell(out, tl_time_format(t->billing_start, a), 1);
    report_csv_cell(out, tl_time_format(t->billing_end, b), 0);
    report_csv_cell(out, t->currency, 0);
    money_cell(out, t->effective);
    money_cell(out, t->list);
    decimal_cell(out, t->quantity, 6);
    report_csv_cell(out, PRICING_UNIT, 0);
    money_cell(out, t->billed);
    report_csv_cell(out, acct->id, 0);
    report_csv_cell(out, acct->name, 0);
    report_csv_cell(out, "Usage", 0);
    report_csv_cell(out, NULL, 0);
    report_csv_cell(out, what, 0);
    time_cell(out, t->to);
    time_cell(out, t->from);
    money_cell(out, t->list);
    report_csv_cell(out, acct->invoice_issuer, 0);
    report_csv_cell(out, PROVIDER, 0);
    report_csv_cell(out, PROVIDER, 0);
    report_csv_cell(out, SERVICE_CATEGORY, 0);
    report_csv_cell(out, service, 0);
    report_csv_cell(out, cc, 0);
    report_csv_cell(out, rows, 0);
    report_csv_cell(out, t->cost_source, 0);
    fputs("\r\n", out);
}

TlResult report_chargeback_by_cost_center(FILE *out, ChargeTotals *t, const ChargeAccount *account,
                                          TlError *err)
{
    if (t->n > 1)
        qsort(t->t, t->n, sizeof *t->t, cmp_total);
    header(out, total_columns, sizeof total_columns / sizeof *total_columns);
    for (size_t i = 0; i < t->n; i++)
        total_line(out, &t->t[i], account);
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the chargeback file") : TL_OK;
}

TlResult report_price_sheet(FILE *out, const TlPrice *rows, size_t n, const char *comment,
                            TlError *err)
{
    fprintf(out, "# %s\n", comment);
    fputs("region,kind,redundancy,unit_price,currency,effective_from,meter,sku_id,sku_price_id\n",
          out);
    char day[TL_TIME_TEXT_MAX];
    for (size_t i = 0; i < n; i++) {
        const TlPrice *p = &rows[i];
        report_csv_cell(out, p->region, 1);
        report_csv_cell(out, p->kind, 0);
        report_csv_cell(out, p->redundancy, 0);
        decimal_cell(out, p->unit_price, 10);
        report_csv_cell(out, p->currency, 0);
        tl_time_format(p->effective_from, day);
        day[10] = '\0'; /* YYYY-MM-DD */
        report_csv_cell(out, day, 0);
        report_csv_cell(out, p->meter, 0);
        report_csv_cell(out, p->sku_id, 0);
        report_csv_cell(out, p->sku_price_id, 0);
        fputc('\n', out);
    }
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the price sheet") : TL_OK;
}

TlResult report_chargeback_metadata(FILE *out, bool by_cost_center, TlTime created,
                                    const char *version, TlError *err)
{
    /* one id per column set (FOCUS: a GUID is recommended); a new set gets a new id */
    const char *schema = by_cost_center ? "6f6b1c2e-3d4a-4b5c-9e8f-70c1a2b3c402"
                                        : "6f6b1c2e-3d4a-4b5c-9e8f-70c1a2b3c401";
    const Column *cols = by_cost_center ? total_columns : row_columns;
    size_t n = by_cost_center ? sizeof total_columns / sizeof *total_columns
                              : sizeof row_columns / sizeof *row_columns;
    char when[TL_TIME_TEXT_MAX];
    cJSON *root = cJSON_CreateObject(), *sch = cJSON_CreateObject(), *defs = cJSON_CreateArray();
    bool ok = root && sch && defs && cJSON_AddStringToObject(root, "DataGenerator", "tierledger");
    ok = ok && cJSON_AddStringToObject(sch, "SchemaId", schema) &&
         cJSON_AddStringToObject(sch, "FocusVersion", "1.2") &&
         cJSON_AddStringToObject(sch, "DataGeneratorVersion", version) &&
         cJSON_AddStringToObject(sch, "CreationDate", tl_time_format(created, when));
    for (size_t i = 0; ok && i < n; i++) {
        cJSON *c = cJSON_CreateObject();
        ok = c && cJSON_AddItemToArray(defs, c) &&
             cJSON_AddStringToObject(c, "ColumnName", cols[i].name) &&
             cJSON_AddStringToObject(c, "DataType", cols[i].type);
        if (ok && strcmp(cols[i].type, "STRING") == 0)
            ok = cJSON_AddStringToObject(c, "StringEncoding", "UTF-8") != NULL;
    }
    if (ok && cJSON_AddItemToObject(sch, "ColumnDefinition", defs))
        defs = NULL;
    else
        ok = false;
    if (ok && cJSON_AddItemToObject(root, "Schema", sch))
        sch = NULL;
    else
        ok = false;
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    cJSON_Delete(sch);
    cJSON_Delete(defs);
    if (!text)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory building the metadata");
    TlResult rc = report_json_out(out, text, err);
    free(text);
    return rc;
}

/* ---- building the rows ----------------------------------------------------- */

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

static void describe(const TlBillLine *l, char *buf, size_t size)
{
    const char *what = l->kind == TL_BILL_HYPERSCALE ? "Hyperscale data and log backup storage (B3)"
                       : l->dtu_included ? "PITR backup storage, included in the DTU price (B2)"
                                         : "PITR backup storage above the max-size allowance (B1)";
    snprintf(
        buf, size, "%s of segment S%d (%s, %s)%s%s%s", what, l->seq,
        objective_architecture_str(l->arch), l->objective,
        l->decaying_estimate
            ? "; after its cutover estimated from its last size, falling to zero at expiry (B4)"
            : "",
        l->carried_forward ? "; days without metrics carry the day before" : "",
        l->no_usage ? "; some hours have no usage data and count as zero" : "");
}

/* The Cost Management meter of a line when the sheet names none (domain.md
 * B6: "single/elastic pool pitr backup storage", Hyperscale "Data Stored -
 * Backup - RA" for RA-GRS; the other Hyperscale redundancies by the same
 * pattern, our reading). */
static const char *default_meter(TlBillKind kind, const char *redundancy)
{
    if (kind != TL_BILL_HYPERSCALE)
        return "single/elastic pool pitr backup storage";
    if (strcmp(redundancy, "LRS") == 0)
        return "Data Stored - Backup - LRS";
    if (strcmp(redundancy, "ZRS") == 0)
        return "Data Stored - Backup - ZRS";
    if (strcmp(redundancy, "RA-GZRS") == 0)
        return "Data Stored - Backup - RA-GZRS";
    return "Data Stored - Backup - RA";
}

/* The days of [from, to) without a usage row, and the first of them; the
 * pool of the last pooled row in the span. */
static void usage_gaps(const ChargeSource *db, TlTime from, TlTime to, ChargeRow *row)
{
    TlTime day = from - from % TL_SECONDS_PER_DAY;
    size_t k = 0;
    row->first_missing_day = TL_TIME_NONE;
    for (; day < to; day += TL_SECONDS_PER_DAY) {
        while (k < db->n_usage && db->usage[k].day < day)
            k++;
        bool present = false;
        for (; k < db->n_usage && db->usage[k].day == day; k++) {
            present = true;
            const char *pool = db->usage[k].elastic_pool_id;
            if (pool && pool[0])
                row->elastic_pool = pool;
        }
        if (!present && row->missing_days++ == 0)
            row->first_missing_day = day;
    }
}

static TlResult line_row(const ChargeSource *db, const TlBillLine *l, const ChargePrices *prices,
                         const char *cost_center, TlTime start, TlTime end, ChargeRow *row,
                         TlError *err)
{
    const char *redundancy = billing_redundancy_price(l->redundancy);
    *row = (ChargeRow){.billing_start = start,
                       .billing_end = end,
                       .charge_start = l->charge_start,
                       .charge_end = l->charge_end,
                       .quantity = l->gb_month,
                       .consumed = l->consumed_gb_month,
                       .region = db->region,
                       .resource_id = db->resource_id,
                       .resource_name = db->database_name,
                       .subscription = db->subscription,
                       .subscription_name = db->subscription_name,
                       .resource_group = db->resource_group,
                       .tags = db->tags,
                       .cost_center = cost_center,
                       .segment = l->seq,
                       .architecture = objective_architecture_str(l->arch),
                       .backup_kind = billing_kind_str(l->kind),
                       .redundancy = redundancy,
                       .segment_status = lineage_status_str(l->status),
                       .cost_source = "estimate",
                       .price_from = TL_TIME_NONE,
                       .first_missing_day = TL_TIME_NONE,
                       .decaying_estimate = l->decaying_estimate,
                       .dropped = l->dropped};
    if (!l->decaying_estimate && !l->dropped && l->charge_end > l->charge_start)
        usage_gaps(db, l->charge_start, l->charge_end, row);
    TlObjective obj;
    objective_parse(l->objective, NULL, &obj);
    row->service_tier = objective_edition_str(obj.edition);
    describe(l, row->description, sizeof row->description);
    const TlPrice *price = billing_price_find(prices->rows, prices->n, db->region,
                                              billing_kind_str(l->kind), redundancy, start);
    row->meter = price && price->meter ? price->meter : default_meter(l->kind, redundancy);
    row->sku_id = price ? price->sku_id : NULL;
    row->sku_price_id = price ? price->sku_price_id : NULL;
    row->unit_price = price ? price->unit_price : 0;
    row->price_from = price ? price->effective_from : TL_TIME_NONE;
    if (!price && !l->dtu_included) {
        char a[TL_TIME_TEXT_MAX];
        tl_error_set(err, TL_ERR_DATA,
                     "%s: no price for region '%s', kind %s, redundancy %s effective %s (needed "
                     "by %s)",
                     prices->name, db->region ? db->region : "(unknown) or *",
                     billing_kind_str(l->kind), redundancy, tl_time_format(start, a),
                     db->resource_id);
        tl_error_hint(err, "add a row for that region (or '*') to the price sheet");
        return TL_ERR_DATA;
    }
    row->currency = price ? price->currency : prices->n ? prices->rows[0].currency : "USD";
    row->effective_cost = row->list_cost = price ? l->gb_month * price->unit_price : 0;
    row->billed = row->effective = money_from_double(row->effective_cost, 6);
    return TL_OK;
}

TlResult report_charges_add(const ChargeSource *db, const TlBill *bill, const ChargePrices *prices,
                            const char *cost_center_tag, TlTime start, TlTime end, ChargeRowFn emit,
                            void *ctx, TlError *err)
{
    TlResult rc = TL_OK;
    char *cost_center = tag_value(db->tags, cost_center_tag);
    for (size_t k = 0; k < bill->n_lines && !rc; k++) {
        ChargeRow row;
        rc = line_row(db, &bill->lines[k], prices, cost_center, start, end, &row, err);
        if (!rc)
            rc = emit(ctx, &row, err);
    }
    free(cost_center);
    return rc;
}

/* ---- rows through a spool ---------------------------------------------------- */

#define ROW_STR(f) offsetof(ChargeRow, f)
static const size_t row_strings[] = {
    ROW_STR(currency),          ROW_STR(region),         ROW_STR(resource_id),
    ROW_STR(resource_name),     ROW_STR(subscription),   ROW_STR(resource_group),
    ROW_STR(subscription_name), ROW_STR(meter),          ROW_STR(sku_id),
    ROW_STR(sku_price_id),      ROW_STR(tags),           ROW_STR(cost_center),
    ROW_STR(architecture),      ROW_STR(service_tier),   ROW_STR(backup_kind),
    ROW_STR(redundancy),        ROW_STR(segment_status), ROW_STR(cost_source),
    ROW_STR(elastic_pool),      ROW_STR(service_name),   ROW_STR(resource_type),
};
#define N_ROW_STRINGS (sizeof row_strings / sizeof *row_strings)

/* s lowercased (strcasecmp's order, bytewise), with its NUL */
static void key_lower(SpoolBuf *key, const char *s)
{
    for (const char *p = s ? s : ""; *p; p++) {
        unsigned char c = (unsigned char)*p;
        c = c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
        spool_buf_put(key, &c, 1);
    }
    spool_buf_put(key, "", 1);
}

TlResult report_charge_spool(Spool *s, ChargeOrder order, const ChargeRow *row, SpoolBuf *key,
                             SpoolBuf *payload, TlError *err)
{
    spool_buf_reset(key);
    if (order == CHARGE_BY_MATCH) {
        key_lower(key, row->resource_id);
        key_lower(key, row->meter);
    } else {
        spool_key_str(key, row->resource_id);
    }
    spool_key_u64(key, (uint64_t)(int64_t)row->segment ^ (UINT64_C(1) << 63));
    spool_buf_reset(payload);
    spool_pack_struct(payload, row, sizeof *row, row_strings, N_ROW_STRINGS);
    if (key->failed || payload->failed)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    return spool_add(s, key->data, key->len, payload->data, payload->len, err);
}

bool report_charge_unpack(const void *payload, size_t len, ChargeRow *row)
{
    return spool_unpack_struct(payload, len, row, sizeof *row, row_strings, N_ROW_STRINGS);
}

TlResult report_charges_each(Spool *s, ChargeRowFn fn, void *ctx, TlError *err)
{
    for (;;) {
        const void *key, *payload;
        size_t key_len, len;
        ChargeRow row;
        TlResult rc = spool_next(s, &key, &key_len, &payload, &len, err);
        if (rc || !payload)
            return rc;
        if (!report_charge_unpack(payload, len, &row))
            return tl_error_set(err, TL_ERR_INTERNAL,
                                "a sorted chargeback row came back malformed");
        rc = fn(ctx, &row, err);
        if (rc)
            return rc;
    }
}

/* ---- Managed Instance rows --------------------------------------------------- */

#define MI_SERVICE       "SQL Managed Instance"
#define MI_RESOURCE_TYPE "Microsoft.Sql/managedInstances/databases"
#define MI_METER         "managed instance pitr backup storage" /* MI-$6 */
#define MI_LTR_METER     "sql managed instance - ltr backup storage"
#define MI_LIMIT         512 /* databases and allowance steps of one instance (over MI's limits) */

/* One database of the instance: its key (the id as first seen), the
 * lineage segment on it at the month's end, its latest usage row. */
typedef struct {
    const char *id;
    int seq;
    TlMiStatus status;
    const TlMiUsageDay *last;
    TlMiLtrLine *ltr; /* owned: its LTR storage of the month (MI-$9) */
    size_t n_ltr;
} MiDb;

/* db's lineage alive at `at` (its events and the instance's), evaluated then;
 * its stop (a loss) into *stop; with est, its MI-$13 levels of the month
 * (none when no size is given) into *est, *n_est. */
static TlResult mi_db_state(const TlMiEvent *ev, size_t n, MiDb *db, TlTime at, TlMiStop *stop,
                            const TlTime *month, TlMiLevel **est, size_t *n_est, TlError *err)
{
    TlMiEvent *mine = malloc((n ? n : 1) * sizeof *mine);
    if (!mine)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n && ev[i].at <= at; i++)
        if (mi_event_is_instance(ev[i].kind) || strcasecmp(ev[i].resource_id, db->id) == 0)
            mine[k++] = ev[i];
    k = mi_lineage_pick(mine, k, db->id, at);
    TlMiLineage lin = {0};
    TlResult rc = k ? mi_lineage_evaluate(mine, k, at, &lin, err) : TL_OK;
    *stop = (TlMiStop){db->id, TL_TIME_NONE};
    for (size_t s = 0; !rc && s < lin.n_segments; s++)
        if (strcasecmp(lin.segments[s].resource_id, db->id) == 0) {
            db->seq = lin.segments[s].seq;
            db->status = lin.segments[s].status;
            if (lin.segments[s].status == TL_MI_LOST)
                stop->at = lin.segments[s].status_at; /* MI-$11 */
        }
    if (!rc && est && k)
        rc = mi_estimate_levels(mine, k, db->id, month[0], month[1], month[2], est, n_est, err);
    size_t unsized;
    if (!rc)
        rc = mi_ltr_month(&lin, mine, k, db->id, month[0], month[1], month[2], &db->ltr, &db->n_ltr,
                          &unsized, err);
    if (rc)
        tl_error_prefix(err, "%s", db->id);
    mi_lineage_cleanup(&lin);
    free(mine);
    return rc;
}

/* The sheet's price of kind (mi_pitr, mi_ltr) for a redundancy, or the LRS
 * one with its MI-$5 factor. */
static const TlPrice *mi_price(const ChargePrices *prices, const char *kind, const char *region,
                               const char *arm, TlTime at, double *factor)
{
    const TlPrice *p = billing_price_find(prices->rows, prices->n, region, kind,
                                          billing_redundancy_price(arm), at);
    *factor = 1;
    if (!p && (p = billing_price_find(prices->rows, prices->n, region, kind, "LRS", at)))
        *factor = mi_redundancy_factor(arm, at);
    return p;
}

/* A row of db: PITR (l from the instance's bill) or, with ltr, its LTR storage. */
static TlResult mi_row(const TlMiBillLine *l, const TlMiLtrLine *ltr, const MiDb *db,
                       const ChargePrices *prices, const char *tier, const char *cc_tag,
                       TlTime start, TlTime end, ChargeRowFn emit, void *ctx, TlError *err)
{
    const char *kind = ltr ? "mi_ltr" : "mi_pitr";
    ArmDatabaseId parts;
    memset(&parts, 0, sizeof parts);
    const char *region = db->last ? db->last->region : NULL;
    const char *sub =
        arm_id_part(db->id, "subscriptions", parts.subscription, sizeof parts.subscription)
            ? parts.subscription
            : NULL;
    const char *rg =
        arm_id_part(db->id, "resourceGroups", parts.resource_group, sizeof parts.resource_group)
            ? parts.resource_group
            : NULL;
    double factor;
    const TlPrice *price = mi_price(prices, kind, region, l->redundancy, start, &factor);
    if (!price && l->gb_month > 0) {
        char a[TL_TIME_TEXT_MAX];
        tl_error_set(err, TL_ERR_DATA,
                     "%s: no price for region '%s', kind %s, redundancy %s (or LRS) effective "
                     "%s (needed by %s)",
                     prices->name, region ? region : "(unknown) or *", kind,
                     billing_redundancy_price(l->redundancy), tl_time_format(start, a), db->id);
        tl_error_hint(err, "add an %s row for that region (or '*') to the price sheet", kind);
        return TL_ERR_DATA;
    }
    char *cost_center = tag_value(db->last ? db->last->tags : NULL, cc_tag);
    ChargeRow row = {.billing_start = start,
                     .billing_end = end,
                     .charge_start = l->charge_start,
                     .charge_end = l->charge_end,
                     .quantity = l->gb_month,
                     .consumed = l->consumed_gb_month,
                     .region = region,
                     .resource_id = db->id,
                     .resource_name = report_database_name(db->id),
                     .subscription = sub,
                     .resource_group = rg,
                     .tags = db->last ? db->last->tags : NULL,
                     .cost_center = cost_center,
                     .segment = db->seq,
                     .architecture = "managed_instance",
                     .service_tier = tier,
                     .backup_kind = kind,
                     .redundancy = billing_redundancy_price(l->redundancy),
                     .segment_status = mi_status_str(db->status),
                     .cost_source = "estimate",
                     .price_from = price ? price->effective_from : TL_TIME_NONE,
                     .first_missing_day = TL_TIME_NONE,
                     .service_name = MI_SERVICE,
                     .resource_type = MI_RESOURCE_TYPE};
    if (ltr)
        snprintf(row.description, sizeof row.description,
                 "Managed Instance LTR backup storage, no allowance (MI-$9): %zu backup%s, each "
                 "a full backup estimated from the data size (MI-$13), from its backupTime until "
                 "it expires or is deleted%s",
                 ltr->backups, ltr->backups == 1 ? "" : "s",
                 factor != 1 ? "; the LRS price times the redundancy factor (MI-$5)" : "");
    else
        snprintf(row.description, sizeof row.description,
                 "Managed Instance PITR backup storage above the instance's storage (MI-$1), "
                 "shared out by bytes (MI-$12)%s%s",
                 factor != 1 ? "; the LRS price times the redundancy factor (MI-$5)" : "",
                 l->estimate ? "; sizes estimated (MI-$13)" : "");
    row.meter = price && price->meter ? price->meter : ltr ? MI_LTR_METER : MI_METER;
    row.sku_id = price ? price->sku_id : NULL;
    row.sku_price_id = price ? price->sku_price_id : NULL;
    row.unit_price = price ? price->unit_price * factor : 0;
    row.currency = price ? price->currency : prices->n ? prices->rows[0].currency : "USD";
    row.effective_cost = row.list_cost = l->gb_month * row.unit_price;
    row.billed = row.effective = money_from_double(row.effective_cost, 6);
    TlResult rc = emit(ctx, &row, err);
    free(cost_center);
    return rc;
}

/* The instance's allowances (storageSizeInGB), tier and redundancy from its events. */
static size_t mi_instance_state(const TlMiEvent *ev, size_t n, TlTime at, TlMiAllowance *allow,
                                const char **tier)
{
    size_t k = 0;
    for (size_t i = 0; i < n && ev[i].at <= at; i++) {
        if (ev[i].kind != TL_MI_EV_INSTANCE_CHANGED)
            continue;
        if (ev[i].tier)
            *tier = ev[i].tier;
        if (ev[i].storage_size_gb > 0 && k < MI_LIMIT)
            allow[k++] = (TlMiAllowance){ev[i].at, ev[i].storage_size_gb};
    }
    return k;
}

static const char *redundancy_at(const TlMiEvent *ev, size_t n, TlTime at)
{
    const char *r = "Geo"; /* MI-B8: the default */
    for (size_t i = 0; i < n && ev[i].at <= at; i++)
        if (ev[i].kind == TL_MI_EV_INSTANCE_CHANGED && ev[i].redundancy)
            r = ev[i].redundancy;
    return r;
}

static size_t mi_db_find(const MiDb *dbs, size_t n, const char *id)
{
    size_t d = 0;
    while (d < n && strcasecmp(dbs[d].id, id) != 0)
        d++;
    return d;
}

/* MI-$13: the databases of the instance's events without usage rows, each
 * estimated from its size when one is given; their levels appended. */
static TlResult mi_estimated(const TlMiEvent *ev, size_t n_ev, MiDb *dbs, TlMiStop *stops,
                             size_t *n_db, const TlTime *month, TlTime at, TlMiLevel **levels,
                             size_t *n_levels, TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t i = 0; !rc && i < n_ev; i++) {
        /* a database's lineage begins with one of these (a move's destination: a created) */
        if ((ev[i].kind != TL_MI_EV_CREATED && ev[i].kind != TL_MI_EV_MIGRATION_STARTED) ||
            mi_db_find(dbs, *n_db, ev[i].resource_id) < *n_db)
            continue;
        if (*n_db == MI_LIMIT)
            return tl_error_set(err, TL_ERR_DATA, "%s: more than %d databases on one instance",
                                ev[i].resource_id, MI_LIMIT);
        MiDb *db = &dbs[*n_db];
        *db = (MiDb){.id = ev[i].resource_id, .status = TL_MI_CURRENT};
        TlMiLevel *est = NULL;
        size_t n_est = 0;
        rc = mi_db_state(ev, n_ev, db, at, &stops[*n_db], month, &est, &n_est, err);
        (*n_db)++;
        TlMiLevel *grown = n_est ? realloc(*levels, (*n_levels + n_est) * sizeof **levels) : NULL;
        if (!rc && n_est && !grown)
            rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        for (size_t k = 0; !rc && k < n_est; k++) {
            est[k].redundancy = redundancy_at(ev, n_ev, est[k].at);
            grown[(*n_levels)++] = est[k];
        }
        if (grown)
            *levels = grown;
        free(est);
    }
    return rc;
}

TlResult report_mi_charges(const TlMiEvent *ev, size_t n_ev, const TlMiUsageDay *usage,
                           size_t n_usage, const ChargePrices *prices, const char *cost_center_tag,
                           TlTime start, TlTime end, TlTime as_of, ChargeRowFn emit, void *ctx,
                           TlError *err)
{
    TlTime at = as_of < end ? as_of : end;
    const TlTime month[] = {start, end, as_of};
    MiDb dbs[MI_LIMIT];
    TlMiStop stops[MI_LIMIT];
    TlMiAllowance allow[MI_LIMIT];
    size_t n_db = 0, n_levels = n_usage;
    const char *tier = NULL;
    size_t n_allow = mi_instance_state(ev, n_ev, at, allow, &tier);
    TlMiLevel *levels = malloc((n_usage ? n_usage : 1) * sizeof *levels);
    TlResult rc = levels ? TL_OK : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n_usage; i++) {
        size_t d = mi_db_find(dbs, n_db, usage[i].resource_id);
        if (d == n_db) {
            if (n_db == MI_LIMIT) {
                rc = tl_error_set(err, TL_ERR_DATA, "%s: more than %d databases on one instance",
                                  usage[i].resource_id, MI_LIMIT);
                break;
            }
            dbs[n_db] = (MiDb){.id = usage[i].resource_id, .status = TL_MI_CURRENT};
            rc = mi_db_state(ev, n_ev, &dbs[n_db], at, &stops[n_db], month, NULL, NULL, err);
            n_db++;
        }
        dbs[d].last = &usage[i];
        const char *red =
            usage[i].redundancy ? usage[i].redundancy : redundancy_at(ev, n_ev, usage[i].day);
        levels[i] = (TlMiLevel){dbs[d].id, usage[i].day, usage[i].bytes, red, false};
    }
    if (!rc)
        rc = mi_estimated(ev, n_ev, dbs, stops, &n_db, month, at, &levels, &n_levels, err);
    TlMiBill bill = {0};
    if (!rc)
        rc = mi_billing_month(levels, n_levels, allow, n_allow, stops, n_db, start, end, as_of,
                              &bill, err);
    for (size_t k = 0; !rc && k < bill.n_lines; k++) {
        const MiDb *db = NULL;
        for (size_t d = 0; d < n_db && !db; d++)
            if (strcmp(dbs[d].id, bill.lines[k].database) == 0)
                db = &dbs[d];
        if (db && bill.lines[k].charge_start != TL_TIME_NONE)
            rc = mi_row(&bill.lines[k], NULL, db, prices, tier, cost_center_tag, start, end, emit,
                        ctx, err);
    }
    for (size_t d = 0; !rc && d < n_db; d++)
        for (size_t k = 0; !rc && k < dbs[d].n_ltr; k++) {
            const TlMiLtrLine *t = &dbs[d].ltr[k];
            TlMiBillLine l = {t->database,     t->redundancy, t->gb_month, t->gb_month,
                              t->charge_start, t->charge_end, true};
            rc = mi_row(&l, t, &dbs[d], prices, tier, cost_center_tag, start, end, emit, ctx, err);
        }
    for (size_t d = 0; d < n_db; d++)
        free(dbs[d].ltr);
    mi_billing_cleanup(&bill);
    free(levels);
    return rc;
}
