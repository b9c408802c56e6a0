/* prices.c - see prices.h. */
#include "cli/prices.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool one_of(const char *text, const char *const *names)
{
    for (; *names; names++)
        if (strcmp(text, *names) == 0)
            return true;
    return false;
}

/* A plain non-negative decimal: digits, optionally one point and digits. */
static bool is_decimal(const char *text, double *out)
{
    int digits = 0, points = 0;
    for (const char *p = text; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (*p == '.' && points++ == 0)
            continue;
        else
            return false;
    }
    if (!digits || strlen(text) > 24)
        return false;
    *out = strtod(text, NULL);
    return true;
}

static const char *const columns[] = {"region",   "kind",           "redundancy", "unit_price",
                                      "currency", "effective_from", NULL};

TlResult prices_load(const char *path, PriceSheet *out, TlError *err)
{
    CsvTable *tab = NULL;
    memset(out, 0, sizeof *out);
    TlResult rc = csvfile_load(path, columns, NULL, &tab, err);
    return rc ? rc : prices_from_table(tab, out, err);
}

TlResult prices_from_table(CsvTable *table, PriceSheet *out, TlError *err)
{
    static const char *const kinds[] = {"pitr", "ltr", "hyperscale_backup", NULL};
    static const char *const redundancies[] = {"LRS", "ZRS", "RA-GRS", "RA-GZRS", NULL};
    memset(out, 0, sizeof *out);
    out->table = table;
    TlResult rc = csvfile_check(table, columns, NULL, err);
    if (rc)
        return rc;
    const CsvTable *tab = table;
    out->rows = calloc(tab->n_rows ? tab->n_rows : 1, sizeof *out->rows);
    if (!out->rows)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    int col[6];
    for (int k = 0; k < 6; k++)
        col[k] = csvfile_column(tab, columns[k]);
    for (size_t i = 0; i < tab->n_rows; i++) {
        const CsvRow *row = &tab->rows[i];
        TlPrice *p = &out->rows[i];
        const char *f[6];
        for (int k = 0; k < 6; k++)
            f[k] = row->fields[col[k]];
        *p = (TlPrice){
            .region = f[0], .kind = f[1], .redundancy = f[2], .currency = f[4], .line = row->line};
        if (!f[0][0])
            return tl_error_set(err, TL_ERR_DATA, "%s:%d: empty region (use * for any region)",
                                tab->name, row->line);
        if (!one_of(f[1], kinds))
            return tl_error_set(err, TL_ERR_DATA,
                                "%s:%d: unknown kind '%s' (pitr, ltr, hyperscale_backup)",
                                tab->name, row->line, f[1]);
        if (!one_of(f[2], redundancies))
            return tl_error_set(err, TL_ERR_DATA,
                                "%s:%d: unknown redundancy '%s' (LRS, ZRS, RA-GRS, RA-GZRS)",
                                tab->name, row->line, f[2]);
        if (!is_decimal(f[3], &p->unit_price))
            return tl_error_set(err, TL_ERR_DATA,
                                "%s:%d: unit_price '%s' is not a plain decimal like 0.125",
                                tab->name, row->line, f[3]);
        if (strlen(f[4]) != 3 || !isupper((unsigned char)f[4][0]) ||
            !isupper((unsigned char)f[4][1]) || !isupper((unsigned char)f[4][2]))
            return tl_error_set(err, TL_ERR_DATA,
                                "%s:%d: currency '%s' is not an ISO 4217 code like USD", tab->name,
                                row->line, f[4]);
        if (strlen(f[5]) != 10 || !csvfile_time(f[5], true, &p->effective_from))
            return tl_error_set(
                err, TL_ERR_DATA,
                "%s:%d: effective_from '%s' is not a date (YYYY-MM-DD, 1970 to 9999)", tab->name,
                row->line, f[5]);
    }
    out->n = tab->n_rows;
    return TL_OK;
}

void prices_cleanup(PriceSheet *sheet)
{
    if (!sheet)
        return;
    free(sheet->rows);
    csvfile_free(sheet->table);
    memset(sheet, 0, sizeof *sheet);
}
