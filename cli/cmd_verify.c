/* cmd_verify.c - `tierledger verify`: recompute every lineage's identity
 * hash and the hash chain of its transition versions (migration 0014) and
 * say where the history was changed after it was recorded; `--heads` prints
 * the heads an auditor keeps outside the database, `--against FILE`
 * compares such a file with the store. Exit 0 when everything holds, 1 at
 * the first break (named on stderr, all of them on stdout). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/heads.h"
#include "cli/output.h"
#include "reports/verify_report.h"
#include "sql/store/verify.h"

#define MAX_BREAKS 20 /* shown; all are counted */

typedef struct {
    StoreConn *conn;
    StoreBreaks *breaks;
} Against;

static TlResult compare_batch(void *arg, const StoreHeadClaim *claims, size_t n, TlError *err)
{
    return store_heads_compare(((Against *)arg)->conn, claims, n, ((Against *)arg)->breaks, err);
}

/* The breaks found, as the reports show them (place: "FILE:LINE" buffers). */
static void to_report(const StoreBreaks *sb, const char *file, ReportBreak *rb,
                      char (*place)[CLI_ORIGIN_MAX])
{
    for (size_t i = 0; i < sb->n; i++) {
        const StoreBreak *b = &sb->b[i];
        snprintf(place[i], CLI_ORIGIN_MAX, "%s:%zu", file ? file : "-", b->line);
        rb[i] = (ReportBreak){store_break_kind_str(b->kind),
                              b->lineage,
                              b->resource_id[0] ? b->resource_id : NULL,
                              b->created_at,
                              b->row_id,
                              b->version,
                              b->started_at,
                              b->line ? place[i] : NULL,
                              b->versions_now};
    }
}

typedef struct {
    ReportFormat format;
    size_t n;
} HeadsOut;

static TlResult print_head(void *arg, const StoreHead *h, TlError *err)
{
    HeadsOut *o = arg;
    return report_head(stdout, o->format, o->n++, h->lineage, h->versions, h->head, h->resource_id,
                       h->created_at, err);
}

static TlResult run_verify(CliContext *ctx, TlError *err)
{
    static const char *const formats[] = {"text", "csv", "json", NULL};
    int format;
    TlTime as_of = TL_TIME_NONE;
    const char *against = cli_opt(ctx, "against");
    bool heads = cli_opt(ctx, "heads") != NULL;
    TlResult rc = cli_format(ctx, formats, &format, err);
    if (!rc && cli_opt(ctx, "as-of"))
        rc = cli_as_of(ctx, &as_of, err);
    if (!rc && heads && against)
        rc = tl_error_set(err, TL_ERR_USAGE, "--heads and --against do not go together");
    if (rc)
        return rc;
    static StoreBreak found[MAX_BREAKS];
    static ReportBreak shown[MAX_BREAKS];
    static char place[MAX_BREAKS][CLI_ORIGIN_MAX];
    StoreBreaks breaks = {found, MAX_BREAKS, 0, 0};
    StoreConn *conn = NULL;
    StoreVerifyCounts counts = {0, 0};
    ReportVerify v = {.as_of = as_of, .against = against};
    rc = store_open_reader(cli_opt(ctx, "db"), &conn, err);
    if (!rc)
        rc = store_verify_chains(conn, as_of, &breaks, &counts, err);
    Against batch = {conn, &breaks};
    if (!rc && against)
        rc = heads_read(against, compare_batch, &batch, &v.heads_compared, err);
    to_report(&breaks, against && strcmp(against, "-") == 0 ? "stdin" : against, shown, place);
    char msg[2048];
    for (size_t i = 0; !rc && i < breaks.n && (i == 0 || heads); i++) /* on stderr */
        cli_diag(CLI_ERR, "tierledger verify: %s",
                 report_break_message(&shown[i], msg, sizeof msg));
    if (!rc && breaks.total)
        ctx->exit_status = 1;
    v.lineages = counts.lineages;
    v.versions = counts.versions;
    v.breaks = breaks.total;
    if (!rc && heads && !breaks.total) { /* with --heads, nothing else goes to stdout */
        HeadsOut o = {(ReportFormat)format, 0};
        rc = store_heads_each(conn, as_of, print_head, &o, err);
        if (!rc)
            rc = report_heads_end(stdout, o.format, o.n, err);
    } else if (!rc && !heads) {
        rc = report_verify(stdout, (ReportFormat)format, &v, shown, breaks.n, err);
    }
    store_close(conn);
    return rc;
}

static const CliOption verify_options[] = {
    {"against", "FILE", "also compare the heads kept in FILE (from --heads; - for stdin)", 0},
    {"as-of", "TIME", "verify what was recorded by TIME (default: everything)", 0},
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"format", "FMT", "text (default), csv or json", 0},
    {"heads", NULL, "print each lineage's head (id, versions, head hash) to keep outside", 0},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_verify = {
    .name = "verify",
    .summary = "recompute the history's hash chains: was anything changed after it was recorded?",
    .usage = "[options]",
    .description =
        "Every lineage carries a hash of its identity and every transition version a link\n"
        "of its lineage's hash chain, computed by PostgreSQL on insert. verify recomputes\n"
        "them: exit 0 when every identity and chain holds, 1 naming the lineage and the row\n"
        "of the first break. Keep the output of --heads outside the database and compare\n"
        "later with --against FILE: a history that only grew since still matches.",
    .options = verify_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_verify,
};
