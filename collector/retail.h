/* retail.h - the Azure Retail Prices API (GET https://prices.azure.com/api/retail/prices,
 * no authentication; OData $filter, pages of {"Items": [...], "NextPageLink": ...}):
 * the backup storage meters tierledger prices (domain.md B6), as price-sheet
 * rows, one per region, kind and redundancy. */
#ifndef TIERLEDGER_COLLECTOR_RETAIL_H
#define TIERLEDGER_COLLECTOR_RETAIL_H

#include <stddef.h>

#include "collector/http.h"
#include "model/result.h"

#define RETAIL_DEFAULT_URL "https://prices.azure.com/api/retail/prices"

typedef struct {
    char region[64];
    char kind[24];       /* pitr, ltr, hyperscale_backup */
    char redundancy[16]; /* LRS, ZRS, RA-GRS, RA-GZRS */
    double unit_price;   /* retailPrice: the list price per GB-month */
    char currency[8];
    char effective_from[11];                       /* effectiveStartDate's day */
    char meter[200], sku_id[80], sku_price_id[80]; /* meterName, skuId, meterId */
} RetailPrice;

typedef struct {
    RetailPrice *rows; /* owned: by region, kind, redundancy */
    size_t n, cap;
    long pages, items;    /* read */
    char (*missing)[128]; /* owned: "westeurope ltr RA-GZRS", each expected meter not returned */
    size_t n_missing;
} RetailPrices;

/* Read the SQL Database meters of regions[0..n) priced in currency from the
 * API at base (http_check_url'ed by the caller), and classify them:
 * productName "... PITR Backup Storage" is pitr, "... LTR Backup Storage" ltr,
 * a Hyperscale product's backup meter hyperscale_backup; the redundancy is
 * named in the SKU or meter name; only "1 GB/Month", Consumption, first-tier
 * items count. A NextPageLink is followed only on base's host, never twice.
 * A request that fails for good or a malformed page fails the whole fetch
 * (TL_ERR_UNAVAILABLE or TL_ERR_PROTOCOL, naming the URL). Release with
 * retail_cleanup (also after a failure). */
TlResult retail_fetch(const char *base, const char *const *regions, size_t n, const char *currency,
                      const HttpOptions *http, RetailPrices *out, TlError *err);
void retail_cleanup(RetailPrices *p);

#endif
