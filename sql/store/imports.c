/* imports.c - reads and writes of the imports (see imports.h). */
#include "sql/store/imports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/arm_id.h"
#include "sql/store/lineages.h"
#include "sql/store/pg.h"

TlResult store_recorded_load(StoreConn *conn, const char *const *keys, size_t n, StoreRecorded *out,
                             TlError *err)
{
    static const char sql[] =
        "SELECT d.id, d.resource_key, d.resource_id, " PG_TRANSITION_COLUMNS
        "  FROM databases d JOIN current_transitions t ON t.database_id = d.id"
        " WHERE d.resource_key = ANY($1::text[])"
        " ORDER BY d.resource_key, t.started_at, t.id";
    memset(out, 0, sizeof *out);
    PgArray arr = {0};
    for (size_t i = 0; i < n; i++)
        pg_array_add(&arr, keys[i]);
    const char *params[1];
    PgTransitionColumns col;
    TlResult rc = pg_arrays_finish(&arr, 1, params, err);
    if (!rc)
        rc = pg_query(conn, "load recorded transitions", sql, 1, params, &out->res, err);
    pg_array_cleanup(&arr);
    if (!rc)
        rc = pg_transition_columns(out->res, &col, err);
    if (rc)
        return rc;
    int rows = PQntuples(out->res);
    int c_id = PQfnumber(out->res, "id"), c_key = PQfnumber(out->res, "resource_key"),
        c_res = PQfnumber(out->res, "resource_id");
    if (!(out->rows = calloc(rows ? (size_t)rows : 1, sizeof *out->rows)))
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (int i = 0; i < rows && !rc; i++) {
        StoreRecordedRow *r = &out->rows[out->n++];
        pg_get_int64(out->res, i, c_id, &r->database_id);
        r->resource_key = PQgetvalue(out->res, i, c_key);
        r->resource_id = PQgetvalue(out->res, i, c_res);
        rc = pg_transition_decode(out->res, i, &col, &r->t, err);
    }
    return rc;
}

void store_recorded_cleanup(StoreRecorded *r)
{
    if (!r)
        return;
    PQclear(r->res);
    free(r->rows);
    memset(r, 0, sizeof *r);
}

TlResult store_transitions_import(StoreConn *conn, const StoreImportRow *rows, size_t n,
                                  TlError *err)
{
    static const char sql[] =
        "INSERT INTO transitions (database_id, started_at, ended_at, state, from_objective,"
        "                         to_objective, operation_id, initiated_by, source_record_id,"
        "                         source)"
        " SELECT db, to_timestamp(s), to_timestamp(e), st, f, t, op, who, rec, 'import'"
        "   FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[],"
        "               $6::text[], $7::text[], $8::text[], $9::text[])"
        "        AS u(db, s, e, st, f, t, op, who, rec)";
    enum { C_DB, C_START, C_END, C_STATE, C_FROM, C_TO, C_OP, C_WHO, C_REC, N_COLS };
    TlResult rc = TL_OK;
    for (size_t i = 0; i < n && !rc;) {
        PgArray col[N_COLS] = {{0}};
        size_t end = i + STORE_IMPORT_BATCH < n ? i + STORE_IMPORT_BATCH : n;
        for (; i < end; i++) {
            const TlTransition *t = rows[i].t;
            pg_array_add_int(&col[C_DB], rows[i].database_id);
            pg_array_add_time(&col[C_START], t->started_at);
            pg_array_add_time(&col[C_END], t->ended_at);
            pg_array_add(&col[C_STATE], history_state_str(t->state));
            pg_array_add(&col[C_FROM], history_is_creation(t) ? NULL : t->from_objective);
            pg_array_add(&col[C_TO], t->to_objective);
            pg_array_add(&col[C_OP], t->operation_id);
            pg_array_add(&col[C_WHO], t->initiated_by);
            char record[600];
            snprintf(record, sizeof record, "%s:%d", rows[i].file, rows[i].line);
            pg_array_add(&col[C_REC], record);
        }
        const char *params[N_COLS];
        rc = pg_arrays_finish(col, N_COLS, params, err);
        if (!rc)
            rc = pg_query(conn, "insert transitions", sql, N_COLS, params, NULL, err);
        pg_arrays_cleanup(col, N_COLS);
    }
    return rc;
}

TlResult store_recorded_merge(StoreConn *conn, const MergeSet *file, MergeSet *out,
                              StoreRecorded *rec, TlError *err)
{
    const char **keys = malloc((file->n ? file->n : 1) * sizeof *keys);
    size_t n = 0;
    if (!keys)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < file->n; i++) /* distinct: file is sorted by key */
        if (i == 0 || strcmp(file->v[i - 1].key, file->v[i].key) != 0)
            keys[n++] = file->v[i].key;
    TlResult rc = store_recorded_load(conn, keys, n, rec, err);
    free(keys);
    for (size_t i = 0; i < rec->n && !rc; i++) {
        MergeEntry e = {0};
        e.db_id = rec->rows[i].database_id;
        snprintf(e.key, sizeof e.key, "%s", rec->rows[i].resource_key);
        e.resource_id = rec->rows[i].resource_id;
        e.t = rec->rows[i].t;
        rc = merge_push(out, &e, err);
    }
    return rc;
}

TlResult store_merge_insert(StoreConn *conn, MergeSet *all, const char *source_name,
                            size_t *written, size_t *new_databases, TlError *err)
{
    TlResult rc = TL_OK;
    /* new lineages first: their creation rows give the database ids */
    for (size_t i = 0; i < all->n && !rc; i++) {
        MergeEntry *e = &all->v[i];
        if (!e->insert || !history_is_creation(&e->t) || e->db_id)
            continue;
        ArmDatabaseId p;
        arm_database_id_parse(e->resource_id, &p);
        StoreLineageRow row = {e->resource_id,
                               p.subscription,
                               p.resource_group,
                               p.server,
                               p.database,
                               e->t.started_at,
                               NULL};
        rc = store_lineage_insert(conn, &row, &e->db_id, err);
        (*new_databases) += rc == TL_OK;
    }
    size_t n = 0;
    StoreImportRow *rows = rc ? NULL : malloc((all->n ? all->n : 1) * sizeof *rows);
    if (!rc && !rows)
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < all->n && !rc; i++) {
        MergeEntry *e = &all->v[i];
        if (!e->insert)
            continue;
        if (!e->db_id)
            e->db_id = all->v[e->creation].db_id;
        rows[n] = (StoreImportRow){e->db_id, &e->t, source_name, e->line};
        n++;
    }
    if (!rc)
        rc = store_transitions_import(conn, rows, n, err);
    if (!rc)
        *written += n;
    free(rows);
    return rc;
}

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
