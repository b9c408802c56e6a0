/* imports.c - reads and writes of the imports (see imports.h). */
#include "sql/store/imports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/store/pg.h"

static const char costs_stage_sql[] =
    "CREATE TEMP TABLE costs_stage (line integer NOT NULL, period bigint NOT NULL,"
    " day bigint, resource_id text, meter text, currency text, export_format text,"
    " source_file text, quantity numeric, billed numeric, effective numeric) ON COMMIT DROP";
static const char costs_copy_sql[] =
    "COPY costs_stage (line, period, day, resource_id, meter, currency, export_format,"
    " source_file, quantity, billed, effective) FROM STDIN";
static const char costs_clear_sql[] =
    "DELETE FROM invoice_costs WHERE billing_period IN"
    " (SELECT DISTINCT (to_timestamp(period) AT TIME ZONE 'UTC')::date FROM costs_stage)";
static const char costs_insert_sql[] =
    "INSERT INTO invoice_costs (billing_period, charge_day, resource_id, meter, currency,"
    "       export_format, source_file, quantity, billed_cost, effective_cost, source_line,"
    "       recorded_by, recorded_via)"
    " SELECT (to_timestamp(period) AT TIME ZONE 'UTC')::date,"
    "        (to_timestamp(day) AT TIME ZONE 'UTC')::date, resource_id, meter, currency,"
    "        export_format, source_file, quantity, billed, effective, line,"
    "        session_user, tierledger_recorded_via()" /* what its trigger would set (0025) */
    "   FROM costs_stage ORDER BY line";

struct StoreCostStage {
    PGconn *conn;
    PgCopy copy;
};

TlResult store_costs_stage_begin(StoreConn *conn, StoreCostStage **out, TlError *err)
{
    StoreCostStage *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    s->conn = conn;
    TlResult rc = pg_stage_begin(conn, "stage the invoice lines", costs_stage_sql, costs_copy_sql,
                                 &s->copy, err);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return TL_OK;
}

void store_costs_stage_row(StoreCostStage *s, const StoreCostRow *r)
{
    pg_copy_int(&s->copy, r->line);
    pg_copy_int(&s->copy, r->period);
    if (r->day == TL_TIME_NONE)
        pg_copy_field(&s->copy, NULL);
    else
        pg_copy_int(&s->copy, r->day);
    const char *text[] = {r->resource_id, r->meter,    r->currency, r->format,
                          r->file,        r->quantity, r->billed,   r->effective};
    for (size_t k = 0; k < sizeof text / sizeof *text; k++)
        pg_copy_field(&s->copy, text[k]);
    pg_copy_end_row(&s->copy);
}

TlResult store_costs_stage_finish(StoreCostStage *s, long *replaced, long *added, TlError *err)
{
    *replaced = *added = 0;
    TlResult rc = pg_copy_finish(&s->copy, err);
    if (!rc)
        rc = pg_query_count(s->conn, "replace the billing periods", costs_clear_sql, 0, NULL,
                            replaced, err);
    if (!rc)
        rc = pg_query_count(s->conn, "store the invoice lines", costs_insert_sql, 0, NULL, added,
                            err);
    free(s);
    return rc;
}

void store_costs_stage_free(StoreCostStage *s)
{
    if (!s)
        return;
    pg_copy_abort(&s->copy);
    free(s);
}
