/* imports.c - reads and writes of the imports (see imports.h). */
#include "sql/store/imports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/store/pg.h"

TlResult store_costs_replace(StoreConn *conn, const StoreCostRow *rows, size_t n, long *replaced,
                             TlError *err)
{
    static const char sql_clear[] =
        "DELETE FROM invoice_costs WHERE billing_period IN"
        " (SELECT (to_timestamp(p) AT TIME ZONE 'UTC')::date FROM unnest($1::bigint[]) AS u(p))";
    static const char sql_insert[] =
        "INSERT INTO invoice_costs (billing_period, charge_day, resource_id, meter, currency,"
        "       export_format, source_file, quantity, billed_cost, effective_cost, source_line)"
        " SELECT (to_timestamp(a) AT TIME ZONE 'UTC')::date, (to_timestamp(b) AT TIME ZONE "
        "'UTC')::date,"
        "        c, d, e, f, g, h, i, j, k"
        "   FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],"
        "               $7::text[], $8::numeric[], $9::numeric[], $10::numeric[], $11::int[])"
        "        AS u(a, b, c, d, e, f, g, h, i, j, k)";
    enum {
        A_PERIOD,
        A_DAY,
        A_RES,
        A_METER,
        A_CUR,
        A_FORMAT,
        A_FILE,
        A_QTY,
        A_BILLED,
        A_EFF,
        A_LINE,
        A_COLS
    };
    *replaced = 0;
    PgArray periods = {0};
    for (size_t i = 0; i < n; i++)
        pg_array_add_time(&periods, rows[i].period);
    const char *p1[1];
    TlResult rc = pg_arrays_finish(&periods, 1, p1, err);
    if (!rc)
        rc = pg_query_count(conn, "replace the billing periods", sql_clear, 1, p1, replaced, err);
    pg_array_cleanup(&periods);
    for (size_t first = 0; !rc && first < n; first += STORE_IMPORT_BATCH) {
        PgArray a[A_COLS] = {{0}};
        for (size_t i = first; i < n && i < first + STORE_IMPORT_BATCH; i++) {
            const StoreCostRow *r = &rows[i];
            pg_array_add_time(&a[A_PERIOD], r->period);
            pg_array_add_time(&a[A_DAY], r->day);
            pg_array_add(&a[A_RES], r->resource_id);
            pg_array_add(&a[A_METER], r->meter);
            pg_array_add(&a[A_CUR], r->currency);
            pg_array_add(&a[A_FORMAT], r->format);
            pg_array_add(&a[A_FILE], r->file);
            pg_array_add(&a[A_QTY], r->quantity);
            pg_array_add(&a[A_BILLED], r->billed);
            pg_array_add(&a[A_EFF], r->effective);
            pg_array_add_int(&a[A_LINE], r->line);
        }
        const char *p[A_COLS];
        rc = pg_arrays_finish(a, A_COLS, p, err);
        if (!rc)
            rc = pg_query(conn, "store the invoice lines", sql_insert, A_COLS, p, NULL, err);
        pg_arrays_cleanup(a, A_COLS);
    }
    return rc;
}
