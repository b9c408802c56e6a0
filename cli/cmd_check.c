/* cmd_check.c - `tierledger check DATABASE --to OBJECTIVE`: the verdict on
 * a planned tier change before it starts. Exit status 0 ok, 1 warn,
 * 2 blocked, 3 unknown (the monitoring-plugin convention). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/subject.h"
#include "model/mi_warnings.h"
#include "reports/mi_report.h"
#include "sql/store/conn.h"
#include "sql/store/mi.h"

/* "32GB", "1TB", "1024" (GB), "34359738368B": bytes; false if malformed. */
static bool parse_size(const char *text, int64_t *out)
{
    char *end;
    if (!isdigit((unsigned char)text[0]))
        return false;
    double v = strtod(text, &end);
    int64_t unit = INT64_C(1) << 30;
    if (*end == '\0' || strcmp(end, "GB") == 0 || strcmp(end, "G") == 0)
        unit = INT64_C(1) << 30;
    else if (strcmp(end, "TB") == 0 || strcmp(end, "T") == 0)
        unit = INT64_C(1) << 40;
    else if (strcmp(end, "MB") == 0 || strcmp(end, "M") == 0)
        unit = INT64_C(1) << 20;
    else if (strcmp(end, "B") == 0)
        unit = 1;
    else
        return false;
    if (v <= 0 || v * (double)unit > 9.0e18)
        return false;
    *out = (int64_t)(v * (double)unit);
    return true;
}

/* check of a Managed Instance database: --drop-source or --to TIER */
static TlResult run_mi_check(CliContext *ctx, int format, TlTime as_of, TlError *err)
{
    const char *tier = cli_opt(ctx, "to");
    bool drop = cli_opt(ctx, "drop-source") != NULL;
    if (drop == (tier != NULL))
        return tl_error_set(err, TL_ERR_USAGE,
                            "check of a Managed Instance database: --drop-source or --to TIER");
    StoreConn *conn = NULL;
    StoreMiLineage l = {0};
    TlMiLineage lin = {0};
    TlMiCheck check;
    TlResult rc = store_open_reader(cli_opt(ctx, "db"), &conn, err);
    if (!rc)
        rc = store_mi_lineage_load(conn, ctx->args[0], as_of, &l, err);
    if (!rc) {
        rc = mi_lineage_evaluate(l.ev, l.n, as_of, &lin, err);
        if (rc)
            tl_error_prefix(err, "%s: the recorded history is inconsistent", l.resource_id);
    }
    if (!rc) {
        if (drop)
            mi_check_drop_source(&lin, &check);
        else
            mi_check_tier(l.ev, l.n, &lin, tier, &check);
        rc = format == 1 ? report_mi_check_json(stdout, l.resource_id, &lin, tier, &check, err)
                         : report_mi_check_text(stdout, l.resource_id, &lin, tier, &check, err);
    }
    if (!rc)
        ctx->exit_status = (int)check.verdict;
    mi_lineage_cleanup(&lin);
    store_mi_lineage_cleanup(&l);
    store_close(conn);
    return rc;
}

static TlResult run_check(CliContext *ctx, TlError *err)
{
    static const char *const formats[] = {"text", "json", NULL};
    int format;
    TlTime as_of;
    TlProposal proposal = {.target = cli_opt(ctx, "to")};
    TlResult rc = cli_format(ctx, formats, &format, err);
    if (!rc)
        rc = cli_as_of(ctx, &as_of, err);
    if (rc)
        return rc;
    if (mi_instance_prefix(ctx->args[0]))
        return run_mi_check(ctx, format, as_of, err);
    if (cli_opt(ctx, "drop-source"))
        return tl_error_set(err, TL_ERR_USAGE,
                            "--drop-source is a question for a Managed Instance database");
    if (!proposal.target || !proposal.target[0])
        return tl_error_set(err, TL_ERR_USAGE, "check: --to OBJECTIVE is required");
    const char *size = cli_opt(ctx, "max-size");
    if (size && !parse_size(size, &proposal.max_size_bytes))
        return tl_error_set(err, TL_ERR_USAGE,
                            "--max-size: '%s' is not a size (for example 512GB, 1TB)", size);
    Subject s;
    TlCheck check = {0};
    rc = subject_load(ctx, as_of, &s, err);
    if (!rc)
        rc = check_evaluate(s.history.tr, s.history.n, as_of, s.facts.retention_days,
                            &s.facts.facts, &proposal, &check, err);
    if (!rc)
        rc = format == 1 ? report_check_json(stdout, &s.subject, &check, err)
                         : report_check_text(stdout, &s.subject, &check, err);
    if (!rc)
        ctx->exit_status = (int)check.verdict;
    check_cleanup(&check);
    subject_cleanup(&s);
    return rc;
}

static const CliOption check_options[] = {
    {"as-of", "TIME", "decide as of TIME (RFC 3339 or YYYY-MM-DD; default now)", 0},
    {"created", "TIME", "the lineage created at TIME (default: the newest created by --as-of, L11)",
     0},
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"drop-source", NULL,
     "Managed Instance: may the migrated database's source and its backups be dropped?", 0},
    {"format", "FMT", "text (default) or json", 0},
    {"max-size", "SIZE", "requested max data size of the target (e.g. 512GB, 1TB)", 0},
    {"to", "OBJECTIVE",
     "the target service objective, e.g. GP_Gen5_4 (required); for a Managed "
     "Instance database the instance's tier, GeneralPurpose or BusinessCritical",
     0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_check = {
    .name = "check",
    .summary = "pre-migration verdict: is a tier change allowed, and what would it destroy",
    .usage = "DATABASE --to OBJECTIVE [options] | MI_DATABASE --drop-source|--to TIER [options]",
    .description =
        "Exit status: 0 ok, 1 warn (allowed, but read the warnings: e.g. backups that will be\n"
        "lost), 2 blocked (Azure would refuse it), 3 unknown (a fact a blocking rule needs is\n"
        "not known). Rules: domain.md E1-E11 and W1-W5. For a Managed Instance database\n"
        "(its ARM id): --drop-source (blocked while MI has no observed restore point,\n"
        "W-MI-10) or --to TIER, an instance tier change (lossless under AMB-MI-1, and said so).",
    .options = check_options,
    .min_args = 1,
    .max_args = 1,
    .run = run_check,
};
