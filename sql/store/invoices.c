/* invoices.c - see invoices.h. Sums are taken in numeric, so they are exact,
 * and cross as text into TlMoney. */
#include "sql/store/invoices.h"

#include <math.h>
#include <stdlib.h>

#include "sql/store/pg.h"

// clang-format off
static const char month_sql[] =
    "SELECT min(c.resource_id) AS resource_id, min(c.meter) AS meter, c.currency,"
    " sum(c.billed_cost)::text AS billed, sum(c.effective_cost)::text AS effective,"
    " sum(c.quantity)::float8 AS quantity, count(DISTINCT c.charge_day) AS days,"
    " extract(epoch FROM min(c.charge_day)::timestamp)::bigint AS first_day,"
    " extract(epoch FROM max(c.charge_day)::timestamp)::bigint AS last_day,"
    " count(*) AS source_lines,"
    " EXISTS (SELECT 1 FROM databases d WHERE lower(d.resource_id) = c.resource_key) AS recorded"
    " FROM invoice_costs c"
    " WHERE c.billing_period = to_timestamp($1::bigint)::date"
    " GROUP BY c.resource_key, lower(c.meter), c.currency";
// clang-format on

void store_invoice_cleanup(StoreInvoice *inv)
{
    PQclear(inv->res);
    free(inv->lines);
    *inv = (StoreInvoice){0};
}

TlResult store_invoice_month(StoreConn *conn, TlTime period, StoreInvoice *out, TlError *err)
{
    static const char *const names[] = {"resource_id", "meter",    "currency",    "billed",
                                        "effective",   "quantity", "days",        "first_day",
                                        "last_day",    "recorded", "source_lines"};
    enum { N_COLS = sizeof names / sizeof *names };
    char at[24];
    const char *params[] = {pg_time_param(period, at)};
    int col[N_COLS];
    *out = (StoreInvoice){0};
    TlResult rc = pg_query(conn, "read the invoice costs", month_sql, 1, params, &out->res, err);
    if (!rc)
        rc = pg_columns(out->res, "the invoice costs", names, N_COLS, col, err);
    size_t n = rc ? 0 : (size_t)PQntuples(out->res);
    if (!rc && !(out->lines = calloc(n ? n : 1, sizeof *out->lines)))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        int r = (int)i;
        TlInvoiceLine *l = &out->lines[i];
        long long days = 0, lines = 0;
        *l = (TlInvoiceLine){.resource_id = pg_text(out->res, r, col[0]),
                             .meter = pg_text(out->res, r, col[1]),
                             .currency = pg_text(out->res, r, col[2]),
                             .quantity = (double)NAN,
                             .first_day = pg_time(out->res, r, col[7]),
                             .last_day = pg_time(out->res, r, col[8]),
                             .recorded = pg_bool(out->res, r, col[9])};
        const char *q = pg_text(out->res, r, col[5]);
        if (q)
            l->quantity = strtod(q, NULL);
        pg_get_int64(out->res, r, col[6], &days);
        pg_get_int64(out->res, r, col[10], &lines);
        l->days = (int)days;
        out->source_lines += lines;
        if (!money_parse(pg_text(out->res, r, col[3]), &l->billed) ||
            !money_parse(pg_text(out->res, r, col[4]), &l->effective))
            rc = tl_error_set(err, TL_ERR_DATA,
                              "invoice_costs: the %s cost of %s (%s) is beyond 10^20 %s", l->meter,
                              l->resource_id, l->meter, l->currency);
        out->n++;
    }
    return rc;
}
