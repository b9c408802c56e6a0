/* cmd_lineage.c - `tierledger lineage DATABASE`: the segments of a
 * database's lineage as of an instant, with status, restore windows and why
 * each lost segment was lost. */
#include "cli/commands.h"
#include "cli/subject.h"
#include "reports/lineage_svg.h"

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
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_lineage = {
    .name = "lineage",
    .summary = "show a database's backup lineage: which backups are restorable, which are lost",
    .usage = "DATABASE [options]",
    .description =
        "DATABASE is the ARM resource id (any case) or SERVER/DATABASE when that names one\n"
        "resource. Segments are the backup chains of domain.md L1; at most the current and the\n"
        "previous one are restorable (L2).",
    .options = lineage_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_lineage,
};
