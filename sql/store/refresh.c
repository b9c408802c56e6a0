/* refresh.c - storing the model's results (see refresh.h). */
#include "sql/store/refresh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql/store/pg.h"

/* lineage_segments and billing_monthly columns, in the unnest orders of
 * sql_seg and sql_bill below */
enum {
    S_DB,
    S_SEQ,
    S_ARCH,
    S_OBJECTIVES,
    S_START,
    S_END,
    S_RETENTION,
    S_ASSUMED,
    S_LOST_AT,
    S_LOST_RULE,
    S_KIND,
    S_CAUSE_START,
    S_CAUSE_TO,
    S_CAUSE_STATE,
    S_CAUSE_WHO,
    S_CAUSE_OP,
    S_LOSS_ASSUMED,
    S_CAUSE_END,
    S_ASSUMED_DURING,
    SEG_COLS
};
enum {
    B_DB,
    B_MONTH,
    B_SEQ,
    B_KIND,
    B_ARCH,
    B_GB,
    B_CONSUMED,
    B_DTU,
    B_DECAY,
    B_PARTIAL,
    BILL_COLS
};

struct StoreDerived {
    PgArray seg[SEG_COLS];
    PgArray bill[BILL_COLS];
    size_t n_seg, n_bill;     /* in the batch not yet written */
    size_t all_seg, all_bill; /* written before */
};

TlResult store_derived_new(StoreDerived **out, TlError *err)
{
    *out = calloc(1, sizeof **out);
    return *out ? TL_OK : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
}

void store_derived_free(StoreDerived *d)
{
    if (!d)
        return;
    pg_arrays_cleanup(d->seg, SEG_COLS);
    pg_arrays_cleanup(d->bill, BILL_COLS);
    free(d);
}

size_t store_derived_segments(const StoreDerived *d)
{
    return d->all_seg + d->n_seg;
}

size_t store_derived_bill_rows(const StoreDerived *d)
{
    return d->all_bill + d->n_bill;
}

/* lineage_assumed_spans as a tstzmultirange literal; a segment with more
 * spans than fit (dozens of Failed reverse migrations) is cut short. */
static const char *assumed_during(const TlSegment *seg, char *buf, size_t size)
{
    TlSpan spans[16];
    size_t n = seg->n_losses <= 16 ? lineage_assumed_spans(seg, spans) : 0;
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    snprintf(buf, size, "{");
    for (size_t i = 0; i < n; i++)
        snprintf(buf + strlen(buf), size - strlen(buf), "%s[%s,%s)", i ? "," : "",
                 tl_time_format(spans[i].from, a),
                 spans[i].until == TL_TIME_NONE ? "" : tl_time_format(spans[i].until, b));
    snprintf(buf + strlen(buf), size - strlen(buf), "}");
    return buf;
}

void store_derived_add_lineage(StoreDerived *d, long long database_id, const TlLineage *lin,
                               const TlTransition *tr, bool retention_assumed)
{
    char objectives[1024], during[2048];
    PgArray *c = d->seg;
    for (size_t i = 0; i < lin->n_segments; i++) {
        const TlSegment *s = &lin->segments[i];
        const TlTransition *t = s->lost_at != TL_TIME_NONE ? &tr[s->lost_by] : NULL;
        objectives[0] = '\0';
        for (size_t k = 0; k < s->n_objectives; k++) {
            strncat(objectives, k ? "," : "", sizeof objectives - strlen(objectives) - 1);
            strncat(objectives, s->objectives[k], sizeof objectives - strlen(objectives) - 1);
        }
        pg_array_add_int(&c[S_DB], database_id);
        pg_array_add_int(&c[S_SEQ], s->seq);
        pg_array_add(&c[S_ARCH], objective_architecture_str(s->arch));
        pg_array_add(&c[S_OBJECTIVES], objectives);
        pg_array_add_time(&c[S_START], s->start);
        pg_array_add_time(&c[S_END], s->end);
        pg_array_add_int(&c[S_RETENTION], lin->retention_days);
        pg_array_add_bool(&c[S_ASSUMED], retention_assumed);
        pg_array_add_time(&c[S_LOST_AT], s->lost_at);
        pg_array_add(&c[S_LOST_RULE], s->lost_rule);
        pg_array_add(&c[S_KIND],
                     t ? history_kind_str(history_kind_of(t->from_objective, t->to_objective))
                       : NULL);
        pg_array_add_time(&c[S_CAUSE_START], t ? t->started_at : TL_TIME_NONE);
        pg_array_add(&c[S_CAUSE_TO], t ? t->to_objective : NULL);
        pg_array_add(&c[S_CAUSE_STATE], t ? history_state_str(t->state) : NULL);
        pg_array_add(&c[S_CAUSE_WHO], t ? t->initiated_by : NULL);
        pg_array_add(&c[S_CAUSE_OP], t ? t->operation_id : NULL);
        pg_array_add_bool(&c[S_LOSS_ASSUMED], s->lost_at != TL_TIME_NONE && s->loss_assumed);
        pg_array_add_time(&c[S_CAUSE_END], t ? t->ended_at : TL_TIME_NONE);
        pg_array_add(&c[S_ASSUMED_DURING], assumed_during(s, during, sizeof during));
        d->n_seg++;
    }
}

void store_derived_add_bill(StoreDerived *d, long long database_id, TlTime month,
                            const TlBill *bill, bool partial)
{
    char gb[40], consumed[40];
    PgArray *c = d->bill;
    for (size_t i = 0; i < bill->n_lines; i++) {
        const TlBillLine *l = &bill->lines[i];
        snprintf(gb, sizeof gb, "%.9f", l->gb_month);
        snprintf(consumed, sizeof consumed, "%.9f", l->consumed_gb_month);
        pg_array_add_int(&c[B_DB], database_id);
        pg_array_add_time(&c[B_MONTH], month);
        pg_array_add_int(&c[B_SEQ], l->seq);
        pg_array_add(&c[B_KIND], billing_kind_str(l->kind));
        pg_array_add(&c[B_ARCH], objective_architecture_str(l->arch));
        pg_array_add(&c[B_GB], gb);
        pg_array_add(&c[B_CONSUMED], consumed);
        pg_array_add_bool(&c[B_DTU], l->dtu_included);
        pg_array_add_bool(&c[B_DECAY], l->decaying_estimate);
        pg_array_add_bool(&c[B_PARTIAL], partial);
        d->n_bill++;
    }
}

TlResult store_derived_clear(StoreConn *conn, TlTime first_month, bool changed_only, TlError *err)
{
/* an index probe a lineage (as a semi-join the planner chose to read all of
 * lineage_segments for 1,000 changed lineages of 100,000: 72 ms) */
#define CHANGED " AND database_id = ANY (ARRAY(SELECT id FROM refresh_todo))"
#define BILL                                                                                       \
    "DELETE FROM billing_monthly WHERE month >= (to_timestamp($1::bigint) AT TIME ZONE "           \
    "'UTC')::date"
    static const char sql_seg[] = "DELETE FROM lineage_segments";
    static const char sql_seg_changed[] = "DELETE FROM lineage_segments WHERE true" CHANGED;
    static const char sql_bill[] = BILL;
    static const char sql_bill_changed[] = BILL CHANGED;
#undef BILL
#undef CHANGED
    char first[24];
    const char *clear[] = {pg_time_param(first_month, first)};
    TlResult rc = pg_query(conn, "clear segments", changed_only ? sql_seg_changed : sql_seg, 0,
                           NULL, NULL, err);
    if (!rc)
        rc = pg_query(conn, "clear billing", changed_only ? sql_bill_changed : sql_bill, 1, clear,
                      NULL, err);
    return rc;
}

/* Why the last refresh's results cannot be kept, or NULL when they can. */
static const char *full_why(const PGresult *state, TlTime as_of, int months, TlTime first_month,
                            StoreRefreshPlan *plan)
{
    if (PQntuples(state) == 0)
        return "the first refresh";
    plan->last_as_of = pg_time(state, 0, 0);
    if (atoi(PQgetvalue(state, 0, 1)) != months)
        return "--months differs from the last refresh's";
    if (pg_time(state, 0, 2) != first_month)
        return "a new billing window (a month began)";
    if (as_of < plan->last_as_of)
        return "the as-of is before the last refresh's";
    return NULL;
}

TlResult store_refresh_plan(StoreConn *conn, TlTime as_of, int months, TlTime first_month,
                            TlTime usage_from, TlTime usage_to, bool full, StoreRefreshPlan *out,
                            TlError *err)
{
    // clang-format off
    static const char sql_state[] =
        "SELECT extract(epoch FROM as_of)::bigint, months,"
        "       extract(epoch FROM first_month::timestamp)::bigint FROM refresh_state";
    static const char sql_take_all[] = "DELETE FROM lineage_changes";
    static const char sql_tables[] =
        "CREATE TEMPORARY TABLE refresh_todo (id bigint PRIMARY KEY) ON COMMIT DROP;"
        "CREATE TEMPORARY TABLE refresh_pools (pool text PRIMARY KEY) ON COMMIT DROP";
    static const char sql_take[] =
        "WITH c AS (DELETE FROM lineage_changes RETURNING database_id)"
        " INSERT INTO refresh_todo SELECT DISTINCT database_id FROM c";
    /* created after the last as-of: the last refresh left them out */
    static const char sql_created[] =
        "INSERT INTO refresh_todo SELECT id FROM databases"
        " WHERE created_at >= to_timestamp($1::bigint) AND created_at < to_timestamp($2::bigint)"
        " ON CONFLICT DO NOTHING";
#define POOLED "u.elastic_pool_id <> '' AND u.day >= to_timestamp($1::bigint)::date" \
               " AND u.day < to_timestamp($2::bigint)::date"
    static const char sql_pools[] =
        "INSERT INTO refresh_pools SELECT DISTINCT u.elastic_pool_id"
        "  FROM backup_usage u JOIN refresh_todo t ON t.id = u.database_id WHERE " POOLED
        " ON CONFLICT DO NOTHING";
    /* a member's usage moves its pool's allowance for every member (B1) */
    static const char sql_peers[] =
        "INSERT INTO refresh_todo SELECT DISTINCT u.database_id"
        "  FROM backup_usage u JOIN refresh_pools p ON p.pool = u.elastic_pool_id WHERE " POOLED
        " ON CONFLICT DO NOTHING";
#undef POOLED
    static const char sql_analyze[] = "ANALYZE refresh_todo; ANALYZE refresh_pools";
    // clang-format on
    char a[24], b[24], c[24], d[24];
    const char *created[] = {NULL, pg_time_param(as_of + 1, b)};
    const char *window[] = {pg_time_param(usage_from, c), pg_time_param(usage_to, d)};
    PGresult *state = NULL;
    *out = (StoreRefreshPlan){.full = true, .why = "--full", .last_as_of = TL_TIME_NONE};
    TlResult rc = pg_query(conn, "read the last refresh", sql_state, 0, NULL, &state, err);
    if (rc)
        return rc;
    const char *why = full_why(state, as_of, months, first_month, out);
    PQclear(state);
    if (!full) {
        out->full = why != NULL;
        out->why = why;
    }
    if (out->full)
        return pg_query(conn, "take the changes", sql_take_all, 0, NULL, NULL, err);
    created[0] = pg_time_param(out->last_as_of + 1, a);
    rc = pg_exec_script(conn, "the change set", sql_tables, err);
    if (!rc)
        rc = pg_query(conn, "take the changes", sql_take, 0, NULL, NULL, err);
    if (!rc)
        rc = pg_query(conn, "lineages created since", sql_created, 2, created, NULL, err);
    for (int pass = 0; pass < 2 && !rc; pass++) { /* pools, their members, then all their pools */
        rc = pg_query(conn, "pools of the change set", sql_pools, 2, window, NULL, err);
        if (!rc && pass == 0)
            rc = pg_query(conn, "members of those pools", sql_peers, 2, window, NULL, err);
    }
    if (!rc) /* the planner's figures for the reads that join them */
        rc = pg_exec_script(conn, "the change set", sql_analyze, err);
    return rc;
}

TlResult store_refresh_record(StoreConn *conn, TlTime as_of, int months, TlTime first_month,
                              const StoreRefreshPlan *plan, long long lineages, TlError *err)
{
    static const char sql[] =
        "INSERT INTO refresh_state (as_of, months, first_month, full_as_of, lineages, computed_at)"
        " VALUES (to_timestamp($1::bigint), $2::int,"
        "         (to_timestamp($3::bigint) AT TIME ZONE 'UTC')::date, to_timestamp($1::bigint),"
        "         $4::bigint, now())"
        " ON CONFLICT (singleton) DO UPDATE SET as_of = excluded.as_of, months = excluded.months,"
        "     first_month = excluded.first_month, lineages = excluded.lineages,"
        "     computed_at = excluded.computed_at,"
        "     full_as_of = CASE WHEN $5::boolean THEN excluded.full_as_of"
        "                       ELSE refresh_state.full_as_of END";
    char a[24], m[24], f[24], n[24];
    snprintf(m, sizeof m, "%d", months);
    const char *p[] = {pg_time_param(as_of, a), m, pg_time_param(first_month, f),
                       pg_int_param(lineages, n), plan->full ? "true" : "false"};
    return pg_query(conn, "record the refresh", sql, 5, p, NULL, err);
}

TlResult store_derived_flush(StoreConn *conn, StoreDerived *d, TlTime now, TlError *err)
{
    static const char sql_seg[] =
        "INSERT INTO lineage_segments (database_id, seq, architecture, objectives, start_at,"
        "    end_at, retention_days, retention_assumed, lost_at, lost_rule, cause_kind,"
        "    cause_started_at, cause_to_objective, cause_state, cause_initiated_by,"
        "    cause_operation_id, loss_assumed, cause_ended_at, loss_assumed_during, computed_at)"
        " SELECT a, b, c, string_to_array(d, ','), to_timestamp(e), to_timestamp(f), g, h,"
        "        to_timestamp(i), j, k, to_timestamp(l), m, n, o, p, q, to_timestamp(r),"
        "        s::tstzmultirange, to_timestamp($20::bigint)"
        "   FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::bigint[],"
        "               $6::bigint[], $7::int[], $8::boolean[], $9::bigint[], $10::text[],"
        "               $11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[],"
        "               $16::text[], $17::boolean[], $18::bigint[], $19::text[])"
        "        AS u(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s)";
    static const char sql_bill[] =
        "INSERT INTO billing_monthly (database_id, month, seq, backup_kind, architecture,"
        "    billable_gb_month, consumed_gb_month, dtu_included, decaying_estimate, partial_month,"
        "    computed_at)"
        " SELECT a, (to_timestamp(b) AT TIME ZONE 'UTC')::date, c, d, e, f, g, h, i, j,"
        "        to_timestamp($11::bigint)"
        "   FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::text[], $5::text[],"
        "               $6::numeric[], $7::numeric[], $8::boolean[], $9::boolean[],"
        "               $10::boolean[]) AS u(a, b, c, d, e, f, g, h, i, j)";
    char now_text[24];
    const char *seg[SEG_COLS + 1], *bill[BILL_COLS + 1];
    TlResult rc = pg_arrays_finish(d->seg, SEG_COLS, seg, err);
    if (!rc)
        rc = pg_arrays_finish(d->bill, BILL_COLS, bill, err);
    if (rc)
        return rc;
    seg[SEG_COLS] = bill[BILL_COLS] = pg_time_param(now, now_text);
    if (!rc && d->n_seg)
        rc = pg_query(conn, "store segments", sql_seg, SEG_COLS + 1, seg, NULL, err);
    if (!rc && d->n_bill)
        rc = pg_query(conn, "store billing", sql_bill, BILL_COLS + 1, bill, NULL, err);
    /* the next batch starts empty */
    pg_arrays_cleanup(d->seg, SEG_COLS);
    pg_arrays_cleanup(d->bill, BILL_COLS);
    memset(d->seg, 0, sizeof d->seg);
    memset(d->bill, 0, sizeof d->bill);
    d->all_seg += d->n_seg;
    d->all_bill += d->n_bill;
    d->n_seg = d->n_bill = 0;
    return rc;
}
