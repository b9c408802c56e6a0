/* fuzz_prices.c - the price sheet (cli/prices.h): a sheet that loads has
 * known kinds and redundancies, prices that are numbers and every row found
 * again by billing_price_find for its own region, kind and redundancy.
 * Seeds: tests/data/demo-prices.csv. */
#include <math.h>

#include "cli/prices.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *fp = fmemopen((void *)(uintptr_t)data, size ? size : 1, "rb");
    FUZZ_ASSERT(fp);
    if (size == 0)
        fgetc(fp);
    CsvTable *tab = NULL;
    TlError err;
    PriceSheet sheet = {0};
    if (csvfile_read(fp, "prices.csv", &tab, &err) == TL_OK &&
        prices_from_table(tab, &sheet, &err) == TL_OK) {
        for (size_t i = 0; i < sheet.n; i++) {
            const TlPrice *p = &sheet.rows[i];
            FUZZ_ASSERT(isfinite(p->unit_price) && p->unit_price >= 0);
            FUZZ_ASSERT(strlen(p->currency) == 3);
            FUZZ_ASSERT(billing_price_find(sheet.rows, sheet.n, p->region, p->kind, p->redundancy,
                                           p->effective_from) != NULL);
        }
    } else {
        FUZZ_ONE_LINE(&err);
    }
    if (!sheet.table)
        csvfile_free(tab);
    prices_cleanup(&sheet);
    fclose(fp);
    return 0;
}
