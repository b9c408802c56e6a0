/* cmd_refresh.c - `tierledger refresh`: run the lineage and billing model
 * over every lineage and store its results for the audit views
 * (lineage_segments, billing_monthly), in one transaction: what was stored
 * is cleared, then the fleet is read, computed and written a page of
 * lineages at a time, so memory stays bounded; elastic pools are totalled
 * first, so a pool's allowance is shared right whatever page its members
 * are on.
 * Billing is recomputed for the last --months months (the current one as of
 * now); older months keep what was stored.
 * Incremental: only the lineages whose recorded history changed since the
 * last refresh (and the other members of their pools) are recomputed,
 * unless the billing window is not the last refresh's or --full is given
 * (store_refresh_plan). */
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "model/history.h"
#include "sql/store/conn.h"
#include "sql/store/fleet.h"
#include "sql/store/refresh.h"

/* The start of the month `back` months before the one holding t. */
static TlTime month_start(TlTime t, int back)
{
    int64_t year;
    unsigned month, day;
    tl_civil_from_days(t / TL_SECONDS_PER_DAY, &year, &month, &day);
    int64_t index = year * 12 + (int64_t)month - 1 - back;
    return tl_days_from_civil(index / 12, (unsigned)(index % 12) + 1, 1) * TL_SECONDS_PER_DAY;
}

static TlResult compute(const Fleet *fleet, TlTime now, int months, StoreDerived *rows,
                        TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t i = 0; i < fleet->n && !rc; i++) {
        const FleetDatabase *db = &fleet->db[i];
        TlTime as_of =
            db->next_created != TL_TIME_NONE && db->next_created < now ? db->next_created : now;
        size_t bad;
        TlLineage lin;
        rc = history_validate(db->tr, db->n_tr, &bad, err);
        if (!rc) /* segments as instants, from all that is recorded: the views read any as-of */
            rc = lineage_evaluate(db->tr, db->n_tr, TL_TIME_LAST, db->retention_days,
                                  TL_READING_SEGMENT, &lin, err);
        if (rc) {
            tl_error_prefix(err, "%s", db->resource_id);
            break;
        }
        store_derived_add_lineage(rows, db->id, &lin, db->tr, !db->facts.retention_known);
        lineage_cleanup(&lin);
        for (int back = months - 1; back >= 0 && !rc; back--) {
            TlTime start = month_start(now, back), end = month_start(now, back - 1);
            TlBill bill;
            rc = billing_month(db->tr, db->n_tr, db->retention_days, db->usage, db->n_usage, start,
                               end, as_of, TL_TIME_NONE, &bill, err);
            if (!rc)
                store_derived_add_bill(rows, db->id, start, &bill, end > now);
            billing_cleanup(&bill);
        }
    }
    return rc;
}

static void summary(const StoreRefreshPlan *plan, size_t lineages, const StoreDerived *rows,
                    int months)
{
    char last[TL_TIME_TEXT_MAX];
    fprintf(stderr,
            "tierledger refresh: %zu lineages: %zu segments, %zu monthly billing rows (%d "
            "months); ",
            lineages, store_derived_segments(rows), store_derived_bill_rows(rows), months);
    if (plan->full)
        fprintf(stderr, "every lineage (%s)\n", plan->why);
    else
        fprintf(stderr, "only those changed since the refresh as of %s\n",
                tl_time_format(plan->last_as_of, last));
}

static TlResult run_refresh(CliContext *ctx, TlError *err)
{
    long months_opt = 3;
    TlTime now;
    TlResult rc = cli_opt_long(ctx, "months", 1, 36, &months_opt, err);
    if (!rc)
        rc = cli_as_of(ctx, &now, err);
    if (rc)
        return rc;
    int months = (int)months_opt;
    TlTime first = month_start(now, months - 1);
    /* usage from 36 days before the first month, for the lineages that need it
     * (the previous segment's last size, B4, or a level carried into it); the
     * later months' lookbacks lie in the months read for all */
    FleetWindow window = {.to = now + 1,
                          .usage_from = first - TL_BILLING_LOOKBACK_DAYS * TL_SECONDS_PER_DAY,
                          .usage_to = now + 1,
                          .usage_month = first};
    StoreConn *conn = NULL;
    StorePools pools = {0};
    StoreDerived *rows = NULL;
    StoreRefreshPlan plan = {0};
    size_t lineages = 0, page_size = cli_fleet_half_page();
    rc = store_derived_new(&rows, err);
    if (!rc)
        rc = store_open_writer(cli_opt(ctx, "db"), "refresh", &conn, err);
    if (!rc)
        rc = store_refresh_plan(conn, now, months, first, window.usage_from, window.usage_to,
                                cli_opt(ctx, "full") != NULL, &plan, err);
    window.changed_only = !plan.full;
    if (!rc)
        rc = store_pools_load(conn, &window, &pools, err);
    if (!rc)
        rc = store_derived_clear(conn, first, window.changed_only, err);
    /* a page of lineages at a time: memory stays bounded whatever the fleet;
     * the next page is read while this one is computed, and written after */
    FleetReader *reader = NULL;
    if (!rc)
        rc = store_fleet_reader_new(conn, &window, page_size, &pools, &reader, err);
    while (!rc) {
        Fleet page;
        rc = store_fleet_next(reader, &page, err);
        if (!rc && page.n == 0) {
            store_fleet_cleanup(&page);
            break;
        }
        if (!rc)
            rc = compute(&page, now, months, rows, err);
        store_fleet_pause(reader); /* the connection is ours again */
        if (!rc)
            rc = store_derived_flush(conn, rows, now, err);
        if (!rc) {
            lineages += page.n;
            cli_progress(ctx, "refresh: %zu lineages computed", lineages);
        }
        store_fleet_cleanup(&page);
    }
    store_fleet_reader_free(reader);
    store_pools_cleanup(&pools);
    cli_progress_end();
    if (!rc)
        rc = store_refresh_record(conn, now, months, first, &plan, (long long)lineages, err);
    if (!rc)
        rc = store_commit(conn, err);
    if (!rc)
        summary(&plan, lineages, rows, months);
    if (rc)
        store_rollback(conn);
    store_derived_free(rows);
    store_close(conn);
    return rc;
}

static const CliOption refresh_options[] = {
    {"as-of", "TIME", "compute as of TIME (default now); the views then evaluate at their own", 0},
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"full", NULL, "recompute every lineage, not only those changed since the last refresh", 0},
    {"months", "N", "recompute billing for the last N months, the current included (default 3)", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_refresh = {
    .name = "refresh",
    .summary = "store the model's segments and monthly billing for the audit views",
    .usage = "[options]",
    .description =
        "Run it after imports or collection (cron does): the views backup_loss_events,\n"
        "restorable_now and monthly_billable_gb read what it stores, with computed_at.\n"
        "Only the lineages whose history, facts or usage changed since the last refresh\n"
        "are recomputed (with their elastic pools' other members), unless the billing\n"
        "window moved (a new month, other --months, an earlier --as-of) or --full is\n"
        "given; the current month's rows of the others stay as of their computed_at.",
    .options = refresh_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_refresh,
};
