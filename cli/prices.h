/* prices.h - reading a price sheet (domain.md B6):
 *   region,kind,redundancy,unit_price,currency,effective_from
 * with '#' comment lines before the header. Every row is validated; a bad one
 * is FILE:LINE and TL_ERR_DATA. */
#ifndef TIERLEDGER_CLI_PRICES_H
#define TIERLEDGER_CLI_PRICES_H

#include "cli/csvfile.h"
#include "model/billing.h"

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

#endif
