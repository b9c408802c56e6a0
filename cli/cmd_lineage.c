/* cmd_lineage.c - `tierledger lineage DATABASE`: the segments of a
 * database's lineage as of an instant, with status, restore windows and why
 * each lost segment was lost. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/commands.h"
#include "cli/subject.h"
#include "model/mi_warnings.h"
#include "reports/lineage_svg.h"
#include "reports/mi_report.h"
#include "sql/store/conn.h"
#include "sql/store/mi.h"

/* The alerts of an MI lineage and of the instance its last segment is on. */
static TlResult mi_alerts(const StoreMiLineage *l, const TlMiLineage *lin, int lrs_days,
                          TlAlerts *out, TlError *err)
{
    TlResult rc = mi_warnings_database(l->ev, l->n, lin, lrs_days, out, err);
    const char *db =
        lin->n_segments ? lin->segments[lin->n_segments - 1].resource_id : l->resource_id;
    size_t len = mi_instance_prefix(db), n = 0;
    TlMiEvent *inst = malloc((l->n ? l->n : 1) * sizeof *inst);
    if (!rc && !inst)
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < l->n; i++)
        if (mi_event_is_instance(l->ev[i].kind) &&
            mi_instance_prefix(l->ev[i].resource_id) == len &&
            strncasecmp(l->ev[i].resource_id, db, len) == 0)
            inst[n++] = l->ev[i];
    if (!rc)
        rc = mi_warnings_instance(inst, n, lin->as_of, out, err);
    free(inst);
    if (!rc)
        mi_warnings_sort(out);
    return rc;
}

/* lineage of a Managed Instance database (domain-mi.md) */
static TlResult run_mi_lineage(CliContext *ctx, int format, TlTime as_of, TlError *err)
{
    StoreConn *conn = NULL;
    StoreMiLineage l = {0};
    TlMiLineage lin = {0};
    TlAlerts alerts = {0};
    long lrs_days = TL_MI_LRS_WARN_DAYS;
    TlResult rc = cli_opt_long(ctx, "lrs-warn-days", 0, 29, &lrs_days, err);
    if (!rc)
        rc = store_open_reader(cli_opt(ctx, "db"), &conn, err);
    if (!rc)
        rc = store_mi_lineage_load(conn, ctx->args[0], as_of, &l, err);
    if (!rc) {
        rc = mi_lineage_evaluate(l.ev, l.n, as_of, &lin, err);
        if (rc)
            tl_error_prefix(err, "%s: the recorded history is inconsistent", l.resource_id);
    }
    if (!rc)
        rc = mi_alerts(&l, &lin, (int)lrs_days, &alerts, err);
    if (!rc)
        rc = format == 1   ? report_mi_lineage_json(stdout, l.resource_id, &lin, &alerts, err)
             : format == 2 ? report_mi_lineage_svg(stdout, l.resource_id, &lin, err)
                           : report_mi_lineage_text(stdout, l.resource_id, &lin, &alerts, err);
    warnings_cleanup(&alerts);
    mi_lineage_cleanup(&lin);
    store_mi_lineage_cleanup(&l);
    store_close(conn);
    return rc;
}

static TlResult run_lineage(CliContext *ctx, TlError *err)
{
    static const char *const formats[] = {"text", "json", "svg", NULL};
    int format;
    TlTime as_of;
    TlResult rc = cli_format(ctx, formats, &format, err);
    if (!rc)
        rc = cli_as_of(ctx, &as_of, err);
    if (rc)
        return rc;
    if (mi_instance_prefix(ctx->args[0]))
        return run_mi_lineage(ctx, format, as_of, err);
    Subject s;
    TlLineage lin = {0};
    rc = subject_load(ctx, as_of, &s, err);
    if (!rc)
        rc = lineage_evaluate(s.history.tr, s.history.n, as_of, s.facts.retention_days,
                              TL_READING_SEGMENT, &lin, err);
    if (!rc)
        rc = format == 1   ? report_lineage_json(stdout, &s.subject, &lin, err)
             : format == 2 ? report_lineage_svg(stdout, &s.subject, &lin, err)
                           : report_lineage_text(stdout, &s.subject, &lin, err);
    lineage_cleanup(&lin);
    subject_cleanup(&s);
    return rc;
}

static const CliOption lineage_options[] = {
    {"as-of", "TIME", "evaluate at TIME (RFC 3339 or YYYY-MM-DD; default now)", 0},
    {"created", "TIME", "the lineage created at TIME (default: the newest created by --as-of, L11)",
     0},
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"format", "FMT", "text (default), json, or svg (a timeline picture)", 0},
    {"lrs-warn-days", "DAYS",
     "Managed Instance: flag an LRS or DMS job from day DAYS of its 30 (default 25, W-MI-1)", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_lineage = {
    .name = "lineage",
    .summary = "show a database's backup lineage: which backups are restorable, which are lost",
    .usage = "DATABASE [options]",
    .description =
        "DATABASE is the ARM resource id (any case) or SERVER/DATABASE when that names one\n"
        "resource. Segments are the backup chains of domain.md L1; at most the current and the\n"
        "previous one are restorable (L2). A Managed Instance database (its ARM id,\n"
        ".../managedInstances/MI/databases/DB, from import-mi) shows its MI segments\n"
        "(domain-mi.md): origin, first restore point, window, drops, moves, losses.",
    .options = lineage_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_lineage,
};
