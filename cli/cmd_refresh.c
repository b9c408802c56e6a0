/* cmd_refresh.c - `tierledger refresh`: run the lineage and billing model
 * over every lineage and store its results for the audit views
 * (lineage_segments, billing_monthly). Decide, then apply: everything is
 * computed first, then the derived rows are replaced in one transaction.
 * Billing is recomputed for the last --months months (the current one as of
 * now); older months keep what was stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "pg.h"
#include "store.h"

enum { SEG_COLS = 16, BILL_COLS = 10 };

typedef struct {
    PgArray seg[SEG_COLS];
    PgArray bill[BILL_COLS];
    size_t n_seg, n_bill;
} Rows;

static void rows_free(Rows *r)
{
    for (int c = 0; c < SEG_COLS; c++)
        pg_array_free(&r->seg[c]);
    for (int c = 0; c < BILL_COLS; c++)
        pg_array_free(&r->bill[c]);
}

static const char *t_or_null(TlTime t, char *buf)
{
    return t == TL_TIME_NONE ? NULL : tl_time_format(t, buf);
}

static void add_segments(Rows *r, const FleetDatabase *db, const TlLineage *lin)
{
    char id[32], seq[16], ret[16], a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX], c[TL_TIME_TEXT_MAX],
        d[TL_TIME_TEXT_MAX], objectives[1024];
    snprintf(id, sizeof id, "%lld", db->id);
    snprintf(ret, sizeof ret, "%d", lin->retention_days);
    for (size_t i = 0; i < lin->n_segments; i++) {
        const TlSegment *s = &lin->segments[i];
        const TlTransition *t = s->lost_at != TL_TIME_NONE ? &db->tr[s->lost_by] : NULL;
        snprintf(seq, sizeof seq, "%d", s->seq);
        objectives[0] = '\0';
        for (size_t k = 0; k < s->n_objectives; k++) {
            strncat(objectives, k ? "," : "", sizeof objectives - strlen(objectives) - 1);
            strncat(objectives, s->objectives[k], sizeof objectives - strlen(objectives) - 1);
        }
        const char *v[SEG_COLS] = {id,
                                   seq,
                                   architecture_str(s->arch),
                                   objectives,
                                   tl_time_format(s->start, a),
                                   t_or_null(s->end, b),
                                   ret,
                                   db->facts.retention_known ? "false" : "true",
                                   t_or_null(s->lost_at, c),
                                   s->lost_rule,
                                   t ? kind_str(kind_of(t->from_objective, t->to_objective)) : NULL,
                                   t ? tl_time_format(t->started_at, d) : NULL,
                                   t ? t->to_objective : NULL,
                                   t ? op_state_str(t->state) : NULL,
                                   t ? t->initiated_by : NULL,
                                   t ? t->operation_id : NULL};
        for (int col = 0; col < SEG_COLS; col++)
            pg_array_add(&r->seg[col], v[col]);
        r->n_seg++;
    }
}

static void add_bill(Rows *r, const FleetDatabase *db, TlTime month, const TlBill *bill,
                     bool partial)
{
    char id[32], day[TL_TIME_TEXT_MAX], seq[16], gb[40], consumed[40];
    snprintf(id, sizeof id, "%lld", db->id);
    tl_time_format(month, day);
    day[10] = '\0'; /* YYYY-MM-DD */
    for (size_t i = 0; i < bill->n_lines; i++) {
        const TlBillLine *l = &bill->lines[i];
        snprintf(seq, sizeof seq, "%d", l->seq);
        snprintf(gb, sizeof gb, "%.9f", l->gb_month);
        snprintf(consumed, sizeof consumed, "%.9f", l->consumed_gb_month);
        const char *v[BILL_COLS] = {id,
                                    day,
                                    seq,
                                    bill_kind_str(l->kind),
                                    architecture_str(l->arch),
                                    gb,
                                    consumed,
                                    l->dtu_included ? "true" : "false",
                                    l->decaying_estimate ? "true" : "false",
                                    partial ? "true" : "false"};
        for (int col = 0; col < BILL_COLS; col++)
            pg_array_add(&r->bill[col], v[col]);
        r->n_bill++;
    }
}

/* The start of the month `back` months before the one holding t. */
static TlTime month_start(TlTime t, int back)
{
    int64_t year;
    unsigned month, day;
    tl_civil_from_days(t / TL_SECONDS_PER_DAY, &year, &month, &day);
    int64_t index = year * 12 + (int64_t)month - 1 - back;
    return tl_days_from_civil(index / 12, (unsigned)(index % 12) + 1, 1) * TL_SECONDS_PER_DAY;
}

static TlResult compute(const Fleet *fleet, TlTime now, int months, Rows *rows, TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t i = 0; i < fleet->n && !rc; i++) {
        const FleetDatabase *db = &fleet->db[i];
        TlTime as_of =
            db->next_created != TL_TIME_NONE && db->next_created < now ? db->next_created : now;
        size_t bad;
        TlLineage lin;
        rc = history_validate(db->tr, db->n_tr, &bad, err);
        if (!rc)
            rc = lineage_evaluate(db->tr, db->n_tr, as_of, db->retention_days, TL_READING_SEGMENT,
                                  &lin, err);
        if (rc) {
            tl_error_prefix(err, "%s", db->resource_id);
            break;
        }
        add_segments(rows, db, &lin);
        lineage_cleanup(&lin);
        for (int back = months - 1; back >= 0 && !rc; back--) {
            TlTime start = month_start(now, back), end = month_start(now, back - 1);
            TlBill bill;
            rc = billing_month(db->tr, db->n_tr, db->retention_days, db->usage, db->n_usage, start,
                               end, as_of, TL_TIME_NONE, &bill, err);
            if (!rc)
                add_bill(rows, db, start, &bill, end > now);
            billing_cleanup(&bill);
        }
    }
    return rc;
}

static TlResult apply(PGconn *conn, Rows *rows, TlTime first_month, TlTime now, TlError *err)
{
    static const char sql_clear_seg[] = "DELETE FROM lineage_segments";
    static const char sql_clear_bill[] = "DELETE FROM billing_monthly WHERE month >= $1::date";
    static const char sql_seg[] =
        "INSERT INTO lineage_segments (database_id, seq, architecture, objectives, start_at, "
        "end_at,"
        "    retention_days, retention_assumed, lost_at, lost_rule, cause_kind, cause_started_at,"
        "    cause_to_objective, cause_state, cause_initiated_by, cause_operation_id, computed_at)"
        " SELECT a, b, c, string_to_array(d, ','), e, f, g, h, i, j, k, l, m, n, o, p,"
        "        to_timestamp($17::bigint)"
        "   FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::timestamptz[],"
        "               $6::timestamptz[], $7::int[], $8::boolean[], $9::timestamptz[], "
        "$10::text[],"
        "               $11::text[], $12::timestamptz[], $13::text[], $14::text[], $15::text[],"
        "               $16::text[]) AS u(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)";
    static const char sql_bill[] =
        "INSERT INTO billing_monthly (database_id, month, seq, backup_kind, architecture,"
        "    billable_gb_month, consumed_gb_month, dtu_included, decaying_estimate, partial_month,"
        "    computed_at)"
        " SELECT *, to_timestamp($11::bigint)"
        "   FROM unnest($1::bigint[], $2::date[], $3::int[], $4::text[], $5::text[],"
        "               $6::numeric[], $7::numeric[], $8::boolean[], $9::boolean[], "
        "$10::boolean[])";
    char first[TL_TIME_TEXT_MAX], now_text[32];
    tl_time_format(first_month, first);
    first[10] = '\0';
    snprintf(now_text, sizeof now_text, "%lld", (long long)now);
    const char *seg[SEG_COLS + 1], *bill[BILL_COLS + 1], *clear[] = {first};
    bool ok = true;
    for (int c = 0; c < SEG_COLS; c++)
        ok = (seg[c] = pg_array_finish(&rows->seg[c])) && ok;
    for (int c = 0; c < BILL_COLS; c++)
        ok = (bill[c] = pg_array_finish(&rows->bill[c])) && ok;
    if (!ok)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    seg[SEG_COLS] = bill[BILL_COLS] = now_text;
    TlResult rc = pg_query(conn, "clear segments", sql_clear_seg, 0, NULL, NULL, err);
    if (!rc)
        rc = pg_query(conn, "clear billing", sql_clear_bill, 1, clear, NULL, err);
    if (!rc && rows->n_seg)
        rc = pg_query(conn, "store segments", sql_seg, SEG_COLS + 1, seg, NULL, err);
    if (!rc && rows->n_bill)
        rc = pg_query(conn, "store billing", sql_bill, BILL_COLS + 1, bill, NULL, err);
    return rc;
}

static TlResult run_refresh(CliContext *ctx, TlError *err)
{
    const char *months_text = cli_opt(ctx, "months");
    int months = months_text ? atoi(months_text) : 3;
    if (months < 1 || months > 36)
        return tl_error_set(err, TL_ERR_USAGE, "--months: '%s' is not between 1 and 36",
                            months_text);
    TlTime now;
    TlResult rc = cli_as_of(ctx, &now, err);
    if (rc)
        return rc;
    TlTime first = month_start(now, months - 1);
    PGconn *conn = NULL;
    Fleet fleet = {0};
    Rows rows = {0};
    rc = pg_open_writer(cli_opt(ctx, "db"), &conn, err);
    if (!rc)
        rc = store_fleet_load(conn, now + 1, first - 36 * TL_SECONDS_PER_DAY, now + 1, &fleet, err);
    if (!rc)
        rc = billing_pool_allowance(fleet.usage, fleet.n_usage, err);
    if (!rc)
        rc = compute(&fleet, now, months, &rows, err);
    if (!rc)
        rc = apply(conn, &rows, first, now, err);
    if (!rc)
        rc = pg_commit(conn, err);
    if (!rc)
        fprintf(stderr,
                "tierledger refresh: %zu lineages: %zu segments, %zu monthly billing rows (%d "
                "months)\n",
                fleet.n, rows.n_seg, rows.n_bill, months);
    if (rc && conn)
        pg_rollback(conn);
    rows_free(&rows);
    store_fleet_free(&fleet);
    pg_close(conn);
    return rc;
}

static const CliOption refresh_options[] = {
    {"as-of", "TIME", "compute as of TIME (default now); the views then evaluate at their own", 0},
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"months", "N", "recompute billing for the last N months, the current included (default 3)", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_refresh = {
    .name = "refresh",
    .summary = "store the model's segments and monthly billing for the audit views",
    .usage = "[options]",
    .description = "Run it after imports or collection (cron does): the views backup_loss_events,\n"
                   "restorable_now and monthly_billable_gb read what it stores, with computed_at.",
    .options = refresh_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_refresh,
};
