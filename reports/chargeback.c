/* chargeback.c - see chargeback.h. Periods are RFC 3339 UTC with Z, end
 * exclusive; amounts are plain decimals with six places. */
#include "reports/chargeback.h"

#include <cjson/cJSON.h>
#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "model/objective.h"

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

static void time_cell(FILE *out, TlTime t)
{
    char buf[TL_TIME_TEXT_MAX];
    report_csv_cell(out, t == TL_TIME_NONE ? NULL : tl_time_format(t, buf), 0);
}

static void number_cell(FILE *out, double v)
{
    fprintf(out, ",%.6f", v);
}

static void int_cell(FILE *out, int v)
{
    fprintf(out, ",S%d", v);
}

TlResult report_chargeback_csv(FILE *out, const ChargeRow *rows, size_t n, TlError *err)
{
    fputs("BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,"
          "ChargeDescription,BillingCurrency,EffectiveCost,ListCost,PricingQuantity,PricingUnit,"
          "ConsumedQuantity,ConsumedUnit,RegionId,ResourceId,ResourceName,ResourceType,"
          "ServiceName,ServiceCategory,SkuMeter,SubAccountId,Tags,x_CostCenter,"
          "x_ResourceGroupName,x_Segment,x_Architecture,x_ServiceTier,x_BackupKind,"
          "x_BackupStorageRedundancy,x_SegmentStatus,x_CostSource\r\n",
          out);
    for (size_t i = 0; i < n; i++) {
        const ChargeRow *r = &rows[i];
        char buf[TL_TIME_TEXT_MAX];
        report_csv_cell(out, tl_time_format(r->billing_start, buf), 1);
        time_cell(out, r->billing_end);
        time_cell(out, r->charge_start);
        time_cell(out, r->charge_end);
        report_csv_cell(out, "Usage", 0);
        report_csv_cell(out, r->description, 0);
        report_csv_cell(out, r->currency, 0);
        number_cell(out, r->effective_cost);
        number_cell(out, r->list_cost);
        number_cell(out, r->quantity);
        report_csv_cell(out, "GB/Month", 0);
        number_cell(out, r->consumed);
        report_csv_cell(out, "GB/Month", 0);
        report_csv_cell(out, r->region, 0);
        report_csv_cell(out, r->resource_id, 0);
        report_csv_cell(out, r->resource_name, 0);
        report_csv_cell(out, "Microsoft.Sql/servers/databases", 0);
        report_csv_cell(out, "SQL Database", 0);
        report_csv_cell(out, "Databases", 0);
        report_csv_cell(out, r->sku_meter, 0);
        report_csv_cell(out, r->subscription, 0);
        report_csv_cell(out, r->tags, 0);
        report_csv_cell(out, r->cost_center, 0);
        report_csv_cell(out, r->resource_group, 0);
        int_cell(out, r->segment);
        report_csv_cell(out, r->architecture, 0);
        report_csv_cell(out, r->service_tier, 0);
        report_csv_cell(out, r->backup_kind, 0);
        report_csv_cell(out, r->redundancy, 0);
        report_csv_cell(out, r->segment_status, 0);
        report_csv_cell(out, "estimate", 0);
        fputs("\r\n", out);
    }
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the chargeback file") : TL_OK;
}

static int cmp_cost_center(const void *pa, const void *pb)
{
    const ChargeRow *a = *(const ChargeRow *const *)pa, *b = *(const ChargeRow *const *)pb;
    int c = strcmp(a->cost_center ? a->cost_center : "", b->cost_center ? b->cost_center : "");
    return c ? c : strcmp(a->currency, b->currency);
}

TlResult report_chargeback_by_cost_center(FILE *out, const ChargeRow *rows, size_t n, TlError *err)
{
    const ChargeRow **order = malloc((n ? n : 1) * sizeof *order);
    if (!order)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        order[i] = &rows[i];
    qsort(order, n, sizeof *order, cmp_cost_center);
    fputs("BillingPeriodStart,BillingPeriodEnd,x_CostCenter,BillingCurrency,EffectiveCost,"
          "ListCost,PricingQuantity,PricingUnit,x_Rows,x_CostSource\r\n",
          out);
    for (size_t first = 0; first < n;) {
        size_t last = first;
        double cost = 0, list = 0, quantity = 0;
        for (; last < n && cmp_cost_center(&order[first], &order[last]) == 0; last++) {
            cost += order[last]->effective_cost;
            list += order[last]->list_cost;
            quantity += order[last]->quantity;
        }
        const ChargeRow *r = order[first];
        char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
        report_csv_cell(out, tl_time_format(r->billing_start, a), 1);
        report_csv_cell(out, tl_time_format(r->billing_end, b), 0);
        report_csv_cell(out, r->cost_center ? r->cost_center : "(untagged)", 0);
        report_csv_cell(out, r->currency, 0);
        fprintf(out, ",%.6f,%.6f,%.6f", cost, list, quantity);
        report_csv_cell(out, "GB/Month", 0);
        fprintf(out, ",%zu", last - first);
        report_csv_cell(out, "estimate", 0);
        fputs("\r\n", out);
        first = last;
    }
    free(order);
    return ferror(out) ? tl_error_set(err, TL_ERR_IO, "cannot write the chargeback file") : TL_OK;
}

/* ---- building the rows ----------------------------------------------------- */

void report_charges_cleanup(ChargeList *list)
{
    for (size_t i = 0; i < list->n_owned; i++)
        free(list->owned[i]);
    free(list->owned);
    free(list->rows);
    *list = (ChargeList){0};
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

static TlResult push_row(ChargeList *list, const ChargeRow *row, TlError *err)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 64;
        ChargeRow *grown = realloc(list->rows, cap * sizeof *grown);
        if (!grown)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        list->rows = grown;
        list->cap = cap;
    }
    list->rows[list->n++] = *row;
    return TL_OK;
}

/* Keep `text` until the list is released (the rows point to it). */
static TlResult keep_string(ChargeList *list, char *text, TlError *err)
{
    if (list->n_owned == list->cap_owned) {
        size_t cap = list->cap_owned ? list->cap_owned * 2 : 64;
        char **grown = realloc(list->owned, cap * sizeof *grown);
        if (!grown) {
            free(text);
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        }
        list->owned = grown;
        list->cap_owned = cap;
    }
    list->owned[list->n_owned++] = text;
    return TL_OK;
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
                       .resource_group = db->resource_group,
                       .tags = db->tags,
                       .cost_center = cost_center,
                       .segment = l->seq,
                       .architecture = objective_architecture_str(l->arch),
                       .backup_kind = billing_kind_str(l->kind),
                       .redundancy = redundancy,
                       .segment_status = lineage_status_str(l->status)};
    TlObjective obj;
    objective_parse(l->objective, NULL, &obj);
    row->service_tier = objective_edition_str(obj.edition);
    row->sku_meter = l->kind == TL_BILL_HYPERSCALE ? "Data Stored - Backup - RA"
                                                   : "single/elastic pool pitr backup storage";
    describe(l, row->description, sizeof row->description);
    const TlPrice *price = billing_price_find(prices->rows, prices->n, db->region,
                                              billing_kind_str(l->kind), redundancy, start);
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
    return TL_OK;
}

TlResult report_charges_add(ChargeList *list, const ChargeSource *db, const TlBill *bill,
                            const ChargePrices *prices, const char *cost_center_tag, TlTime start,
                            TlTime end, TlError *err)
{
    char *cost_center = tag_value(db->tags, cost_center_tag);
    TlResult rc = cost_center ? keep_string(list, cost_center, err) : TL_OK;
    for (size_t k = 0; k < bill->n_lines && !rc; k++) {
        ChargeRow row;
        rc = line_row(db, &bill->lines[k], prices, cost_center, start, end, &row, err);
        if (!rc)
            rc = push_row(list, &row, err);
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

void report_charges_sort(ChargeList *list)
{
    if (list->n > 1)
        qsort(list->rows, list->n, sizeof *list->rows, cmp_row);
}
