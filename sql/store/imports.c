/* imports.c - reads and writes of the imports (see imports.h). */
#include "sql/store/imports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/tltime.h"
#include "sql/store/pg.h"

/* The lines go straight into invoice_costs with COPY, carrying what
 * tierledger_recorded() would set (so it never runs, 0025); then the lines
 * of every billing period the file names that an earlier transaction
 * recorded are deleted (the table's rows are never updated, so a row's
 * xmin is the transaction that inserted it). */
static const char costs_before_sql[] = "SELECT session_user, tierledger_recorded_via()";
static const char costs_copy_sql[] =
    "COPY invoice_costs (source_line, billing_period, charge_day, resource_id, meter, currency,"
    " export_format, source_file, quantity, billed_cost, effective_cost, recorded_by, recorded_via)"
    " FROM STDIN";
static const char costs_clear_sql[] =
    "DELETE FROM invoice_costs WHERE billing_period = ANY ($1::date[])"
    "   AND xmin <> xid(pg_current_xact_id())";

struct StoreCostStage {
    PGconn *conn;
    PgCopy copy;
    PGresult *before; /* recorded_by and recorded_via */
    TlTime *periods;  /* the billing periods of the file, ascending, each once */
    size_t n_periods, cap_periods;
    bool nomem;
};

TlResult store_costs_stage_begin(StoreConn *conn, StoreCostStage **out, TlError *err)
{
    StoreCostStage *s = calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    s->conn = conn;
    TlResult rc =
        pg_query(conn, "read the stored invoice lines", costs_before_sql, 0, NULL, &s->before, err);
    if (!rc)
        rc = pg_copy_begin(conn, "store the invoice lines", costs_copy_sql, &s->copy, err);
    if (rc) {
        PQclear(s->before);
        free(s);
        return rc;
    }
    *out = s;
    return TL_OK;
}

/* Note a billing period (few per file: a sorted set, found by bisection). */
static void note_period(StoreCostStage *s, TlTime period)
{
    size_t lo = 0, hi = s->n_periods;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->periods[mid] < period)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < s->n_periods && s->periods[lo] == period)
        return;
    if (s->n_periods == s->cap_periods) {
        size_t cap = s->cap_periods ? 2 * s->cap_periods : 16;
        TlTime *v = realloc(s->periods, cap * sizeof *v);
        if (!v) {
            s->nomem = true;
            return;
        }
        s->periods = v;
        s->cap_periods = cap;
    }
    memmove(&s->periods[lo + 1], &s->periods[lo], (s->n_periods - lo) * sizeof *s->periods);
    s->periods[lo] = period;
    s->n_periods++;
}

static void copy_date(PgCopy *c, TlTime t)
{
    char text[TL_TIME_TEXT_MAX];
    if (t == TL_TIME_NONE) {
        pg_copy_field(c, NULL);
        return;
    }
    tl_time_format(t - t % TL_SECONDS_PER_DAY, text)[10] = '\0';
    pg_copy_field(c, text);
}

void store_costs_stage_row(StoreCostStage *s, const StoreCostRow *r)
{
    note_period(s, r->period);
    pg_copy_int(&s->copy, r->line);
    copy_date(&s->copy, r->period);
    copy_date(&s->copy, r->day);
    const char *text[] = {r->resource_id,
                          r->meter,
                          r->currency,
                          r->format,
                          r->file,
                          r->quantity,
                          r->billed,
                          r->effective,
                          PQgetvalue(s->before, 0, 0),
                          PQgetvalue(s->before, 0, 1)};
    for (size_t k = 0; k < sizeof text / sizeof *text; k++)
        pg_copy_field(&s->copy, text[k]);
    pg_copy_end_row(&s->copy);
}

TlResult store_costs_stage_finish(StoreCostStage *s, long *replaced, long *added, TlError *err)
{
    *replaced = *added = 0;
    TlResult rc = pg_copy_finish(&s->copy, err);
    PgArray periods = {0};
    for (size_t i = 0; i < s->n_periods; i++) {
        char text[TL_TIME_TEXT_MAX];
        tl_time_format(s->periods[i], text)[10] = '\0';
        pg_array_add(&periods, text);
    }
    const char *params[] = {pg_array_finish(&periods)};
    if (!rc && (s->nomem || !params[0]))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    if (!rc)
        *added = (long)s->copy.rows;
    if (!rc)
        rc = pg_query_count(s->conn, "replace the billing periods", costs_clear_sql, 1, params,
                            replaced, err);
    pg_array_cleanup(&periods);
    store_costs_stage_free(s);
    return rc;
}

void store_costs_stage_free(StoreCostStage *s)
{
    if (!s)
        return;
    pg_copy_abort(&s->copy);
    PQclear(s->before);
    free(s->periods);
    free(s);
}
