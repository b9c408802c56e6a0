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
static const char *const optional[] = {"meter", "sku_id", "sku_price_id", NULL};

TlResult prices_load(const char *path, PriceSheet *out, TlError *err)
{
    CsvTable *tab = NULL;
    memset(out, 0, sizeof *out);
    TlResult rc = csvfile_load(path, columns, optional, &tab, err);
    return rc ? rc : prices_from_table(tab, out, err);
}

TlResult prices_from_table(CsvTable *table, PriceSheet *out, TlError *err)
{
    static const char *const kinds[] = {"pitr",    "ltr",    "hyperscale_backup",
                                        "mi_pitr", "mi_ltr", NULL};
    static const char *const redundancies[] = {"LRS", "ZRS", "RA-GRS", "RA-GZRS", NULL};
    memset(out, 0, sizeof *out);
    out->table = table;
    TlResult rc = csvfile_check(table, columns, optional, err);
    if (rc)
        return rc;
    const CsvTable *tab = table;
    out->rows = calloc(tab->n_rows ? tab->n_rows : 1, sizeof *out->rows);
    if (!out->rows)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    int col[6], opt[3];
    for (int k = 0; k < 6; k++)
        col[k] = csvfile_column(tab, columns[k]);
    for (int k = 0; k < 3; k++)
        opt[k] = csvfile_column(tab, optional[k]);
    for (size_t i = 0; i < tab->n_rows; i++) {
        const CsvRow *row = &tab->rows[i];
        TlPrice *p = &out->rows[i];
        const char *f[6];
        for (int k = 0; k < 6; k++)
            f[k] = row->fields[col[k]];
        *p = (TlPrice){.region = f[0],
                       .kind = f[1],
                       .redundancy = f[2],
                       .currency = f[4],
                       .line = row->line,
                       .meter = csvfile_nonempty(csvfile_field(row, opt[0])),
                       .sku_id = csvfile_nonempty(csvfile_field(row, opt[1])),
                       .sku_price_id = csvfile_nonempty(csvfile_field(row, opt[2]))};
        if (!f[0][0])
            return tl_error_set(err, TL_ERR_DATA, "%s:%d: empty region (use * for any region)",
                                tab->name, row->line);
        if (!one_of(f[1], kinds))
            return tl_error_set(
                err, TL_ERR_DATA,
                "%s:%d: unknown kind '%s' (pitr, ltr, hyperscale_backup, mi_pitr, mi_ltr)",
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

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" at text */
static bool is_guid(const char *text)
{
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !isxdigit((unsigned char)text[i]))
            return false;
    }
    return true;
}

bool prices_account(const char *billing_account, const char *issuer, ChargeAccount *out, char *buf,
                    size_t size)
{
    *out = (ChargeAccount){NULL, NULL, NULL};
    if (!billing_account)
        billing_account = getenv("TIERLEDGER_BILLING_ACCOUNT");
    if (!issuer)
        issuer = getenv("TIERLEDGER_INVOICE_ISSUER");
    out->invoice_issuer = issuer && issuer[0] ? issuer : NULL;
    if (!billing_account || !billing_account[0])
        return billing_account == NULL;
    snprintf(buf, size, "%s", billing_account);
    size_t skip = 0; /* an MCA billing account id: GUID:GUID_YYYY-MM-DD */
    if (strlen(buf) >= 84 && is_guid(buf) && buf[36] == ':' && is_guid(buf + 37) && buf[73] == '_')
        skip = 84;
    char *colon = strchr(buf + skip, ':');
    if (colon) {
        *colon = '\0';
        out->name = colon[1] ? colon + 1 : NULL;
    }
    out->id = buf;
    return buf[0] != '\0';
}
