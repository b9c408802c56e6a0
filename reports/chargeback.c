/* chargeback.c - see chargeback.h. Periods are RFC 3339 UTC with Z, end
 * exclusive; amounts are plain decimals with six places. */
#include "reports/chargeback.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

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
