/* prices.h - reading a price sheet (domain.md B6):
 *   region,kind,redundancy,unit_price,currency,effective_from
 * and optionally meter, sku_id, sku_price_id (the provider's names: the
 * chargeback's SkuMeter, SkuId, SkuPriceId), with '#' comment lines before
 * the header. Every row is validated; a bad one
 * is FILE:LINE and TL_ERR_DATA. */
#ifndef TIERLEDGER_CLI_PRICES_H
#define TIERLEDGER_CLI_PRICES_H

#include "cli/csvfile.h"
#include "model/billing.h"
#include "reports/chargeback.h"

typedef struct {
    CsvTable *table; /* owns the strings the rows point to */
    TlPrice *rows;
    size_t n;
} PriceSheet;

/* Load path into *out; release with prices_cleanup (also after a failure). */
TlResult prices_load(const char *path, PriceSheet *out, TlError *err);
/* The same from a table read by csvfile_read, which *out then owns (also
 * after a failure). */
TlResult prices_from_table(CsvTable *table, PriceSheet *out, TlError *err);
void prices_cleanup(PriceSheet *sheet);

/* The billing account and invoice issuer the chargeback names (FOCUS), from
 * --billing-account ID[:NAME] (else $TIERLEDGER_BILLING_ACCOUNT) and
 * --invoice-issuer NAME (else $TIERLEDGER_INVOICE_ISSUER); either may be
 * NULL. An MCA id ("GUID:GUID_YYYY-MM-DD") keeps its own colon: the name is
 * what follows the next one. The strings point into buf. Returns false
 * when the id is empty. */
bool prices_account(const char *billing_account, const char *issuer, ChargeAccount *out, char *buf,
                    size_t size);

#endif
