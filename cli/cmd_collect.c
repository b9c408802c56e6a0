/* cmd_collect.c - `tierledger collect`: one run of the collector. Reads Azure through collector/
 * (collect.h, mi.h); writes each server and instance in one transaction under the writers' lock
 * (collector/record.h). A run locks the subscriptions it collects, so collectors of disjoint
 * ones run at once; every run is a row of collector_runs. Exit: 0 everything collected; 1 past
 * failures (each named; nothing of them written); 69 PostgreSQL or identity unreachable; 75 a
 * subscription locked by another run; 76 a malformed identity answer; 77 credential refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "collector/auth.h"
#include "collector/collect.h"
#include "collector/record.h"
#include "sql/store/collector.h"
#include "sql/store/conn.h"

#define DEFAULT_ARM "https://management.azure.com"
#define MAX_SUBS    64

/* The options of one run, checked before anything is opened. */
typedef struct {
    char arm_base[512];
    const char *authority; /* --cloud's, or NULL: AZURE_AUTHORITY_HOST or the public cloud */
    AuthMode mode;
    bool via_graph;
    HttpOptions http;
    long details_every_h;
    long deadline_s;
    const char *subs[MAX_SUBS];
    int n_subs;
    int shard_k, shard_n; /* --shard K/N; n = 0: every subscription */
} Options;

static TlResult read_options(const CliContext *ctx, Options *o, TlTime *now, TlError *err)
{
    const char *observed = cli_opt(ctx, "observed-at");
    if (observed && !tl_time_parse(observed, false, now))
        return tl_error_set(err, TL_ERR_USAGE, "--observed-at: expected an RFC 3339 time");
    const char *arm = NULL, *cloud = cli_opt(ctx, "cloud");
    o->authority = NULL;
    if (cloud && !auth_cloud(cloud, &arm, &o->authority))
        return tl_error_set(err, TL_ERR_USAGE, "--cloud: expected public, usgov or china");
    if (cli_opt(ctx, "arm-url"))
        arm = cli_opt(ctx, "arm-url");
    if (!arm)
        arm = getenv("TIERLEDGER_ARM_URL");
    if (!arm || !*arm)
        arm = DEFAULT_ARM;
    TlResult rc = http_base_url(arm, "--arm-url", o->arm_base, sizeof o->arm_base, err);
    if (rc)
        return rc;
    o->mode = AUTH_AUTO;
    const char *am = cli_opt(ctx, "auth");
    if (am && !auth_mode_parse(am, &o->mode))
        return tl_error_set(err, TL_ERR_USAGE,
                            "--auth: expected auto, service-principal, managed-identity, "
                            "azure-cli or none");
    if (o->mode == AUTH_NONE && strncmp(o->arm_base, "http://", 7) != 0)
        return tl_error_set(err, TL_ERR_USAGE,
                            "--auth none is only for a loopback test ARM, not %s", o->arm_base);
    const char *format = cli_opt(ctx, "format");
    if (format && strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return tl_error_set(err, TL_ERR_USAGE, "--format: expected text or json");
    const char *via = cli_opt(ctx, "via");
    if (via && strcmp(via, "arm") != 0 && strcmp(via, "resource-graph") != 0)
        return tl_error_set(err, TL_ERR_USAGE, "--via: expected arm or resource-graph");
    o->via_graph = via && strcmp(via, "resource-graph") == 0;
    http_options_default(&o->http);
    long conc = 16, attempts = 5;
    o->details_every_h = 6;
    o->deadline_s = 480;
    rc = cli_opt_long(ctx, "concurrency", 1, 256, &conc, err);
    if (!rc)
        rc = cli_opt_long(ctx, "attempts", 1, 20, &attempts, err);
    if (!rc)
        rc = cli_opt_long(ctx, "details-every", 0, 24 * 35, &o->details_every_h, err);
    if (!rc)
        rc = cli_opt_long(ctx, "deadline", 0, 7 * 86400, &o->deadline_s, err);
    o->http.concurrency = (int)conc;
    o->http.max_attempts = (int)attempts;
    o->http.verbose = cli_opt(ctx, "verbose") != NULL;
    o->http.ca_file = cli_opt(ctx, "ca-file");
    o->n_subs = cli_opt_all(ctx, "subscription", o->subs, MAX_SUBS);
    o->shard_n = 0;
    if (!rc && cli_opt(ctx, "shard") &&
        !collect_shard_parse(cli_opt(ctx, "shard"), &o->shard_k, &o->shard_n))
        rc = tl_error_set(err, TL_ERR_USAGE, "--shard: expected K/N with 0 <= K < N <= 1024");
    return rc;
}

/* Connect (the data connection and the lock session) and open this run's
 * row; the subscriptions are locked once they are known (record_claim). */
static TlResult open_run(const CliContext *ctx, RecordRun *r, const char *arm_base, TlError *err)
{
    TlResult rc = store_open_reader(cli_opt(ctx, "db"), &r->conn, err);
    if (!rc)
        rc = store_collector_connect(cli_opt(ctx, "db"), r->host, (long)getpid(), &r->lock, err);
    if (!rc)
        rc = store_run_start(r->conn, r->host, (long)getpid(), arm_base, &r->run_id, err);
    return rc;
}

/* What the run reads: the options, and the subscriptions locked as they are
 * known (record_claim). */
static void setup_collect(Collect *c, const CliContext *ctx, const Options *opt, RecordRun *r,
                          HttpClient *http)
{
    c->arm = opt->arm_base;
    c->only_subs = opt->subs;
    c->n_only_subs = (size_t)opt->n_subs;
    c->resource_group = cli_opt(ctx, "resource-group");
    c->server = cli_opt(ctx, "server");
    c->via_graph = opt->via_graph;
    c->now = r->now;
    c->details_every_s = opt->details_every_h * 3600L;
    c->http = http;
    c->shard_k = opt->shard_k;
    c->shard_n = opt->shard_n;
    c->batch_dbs = cli_fleet_page();
    c->claim = record_claim;
    c->claim_user = r;
}

/* Diagnostics on stderr, also with --quiet: every failure, the deadline;
 * exit 1 when there is any. */
static void say_failures(CliContext *ctx, const RecordRun *r, long deadline_s)
{
    for (size_t i = 0; i < r->n_errors; i++)
        cli_diag(CLI_ERR, "tierledger collect: failed: %s", r->errors[i]);
    if (r->out_of_time)
        cli_diag(CLI_ERR,
                 "tierledger collect: the run's deadline (--deadline %ld s) passed: what was "
                 "collected is written, the rest waits for the next run",
                 deadline_s);
    if (r->n_errors > 0)
        cli_diag(CLI_ERR, "tierledger collect: %zu failure%s, see collector run %lld", r->n_errors,
                 r->n_errors == 1 ? "" : "s", r->run_id);
    if (r->out_of_time || r->n_errors > 0)
        ctx->exit_status = 1;
}

static TlResult run_collect(CliContext *ctx, TlError *err)
{
    RecordRun r;
    memset(&r, 0, sizeof r);
    r.now = ctx->now;
    if (gethostname(r.host, sizeof r.host - 1) != 0)
        snprintf(r.host, sizeof r.host, "unknown");
    Options opt;
    TlResult rc = read_options(ctx, &opt, &r.now, err);
    if (rc)
        return rc;
    const char *arm_base = opt.arm_base;
    HttpOptions hopt = opt.http;
    if (opt.deadline_s > 0)
        r.deadline = hopt.deadline = http_now() + (double)opt.deadline_s;
    if ((rc = open_run(ctx, &r, arm_base, err))) {
        store_close(r.lock);
        store_close(r.conn);
        return rc;
    }
    Auth auth;
    Collect c;
    memset(&c, 0, sizeof c);
    RecordProgress prog = {stderr, isatty(STDERR_FILENO) != 0, "listing", &c, 0};
    bool show = prog.tty || cli_opt(ctx, "progress");
    if (show) {
        hopt.progress = record_progress_requests;
        r.progress = record_progress_servers;
        hopt.progress_user = r.progress_user = &prog;
    }
    HttpClient *http = NULL;
    HttpStats st = {0, 0, 0, 0};
    double t0 = http_now();
    rc = auth_init(&auth, opt.mode, arm_base, opt.authority, hopt.ca_file, err);
    if (!rc)
        rc =
            http_client_new(&hopt, auth.chosen == AUTH_NONE ? NULL : auth_token, &auth, &http, err);
    if (!rc) {
        setup_collect(&c, ctx, &opt, &r, http);
        rc = store_cursors_load(r.conn, &r.cursors, err);
    }
    if (!rc)
        rc = collect_discover(&c, record_cursor_of, &r, err);
    if (r.abandoned > 0)
        cli_diag(CLI_WARNING,
                 "tierledger collect: warning: %ld earlier run%s left 'running' by a process that "
                 "is gone, now recorded 'abandoned'",
                 r.abandoned, r.abandoned == 1 ? "" : "s");
    if (!rc && c.subs_failed)
        record_error(&r, c.subs_error.msg);
    if (!rc)
        rc = record_batches(&r, &c, &prog, err);
    /* after the batches: through Resource Graph a subscription's query may fail
     * a batch into the run */
    for (size_t i = 0; !rc && i < c.n_subs; i++)
        if (c.subs[i].failed)
            record_error(&r, c.subs[i].error ? c.subs[i].error->msg : "failed");
    if (!rc)
        rc = record_mi(&r, &c, err); /* managed instances: after the servers, each on its own */
    if (!rc)
        rc = record_cursors_save(&r, &c, err);
    if (http) {
        st = http_stats(http);
        r.out_of_time |= http_deadline_passed(http);
    }
    if (show && prog.tty)
        fputs("\r\033[K", stderr); /* the progress line goes before anything else is said */
    if (rc) {
        TlError stopped = *err;
        tl_error_prefix(&stopped, "run stopped");
        record_error(&r, stopped.msg);
    }
    record_finish(&r, &c, &st);
    if (!rc) {
        if (!cli_opt(ctx, "quiet"))
            rc = record_summary(
                stdout, &r, &c, &st, http_now() - t0,
                cli_opt(ctx, "format") && strcmp(cli_opt(ctx, "format"), "json") == 0, err);
        if (auth.tokens_fetched > 0 && hopt.verbose)
            fprintf(stderr, "tierledger collect: credential: %s (%ld token%s)\n", auth.detail,
                    auth.tokens_fetched, auth.tokens_fetched == 1 ? "" : "s");
        say_failures(ctx, &r, opt.deadline_s);
    }
    record_cleanup(&r);
    collect_cleanup(&c);
    http_client_free(http);
    auth_cleanup(&auth);
    store_close(r.conn);
    store_close(r.lock); /* ends its transaction: the subscription locks are released */
    return rc;
}

static const CliOption collect_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"subscription", "ID", "only this subscription (repeatable; default: every visible one)", 0},
    {"shard", "K/N", "only the subscriptions of shard K of N (0 <= K < N): one collector each", 0},
    {"resource-group", "RG", "only servers of this resource group", 0},
    {"server", "NAME", "only this logical server", 0},
    {"via", "arm|resource-graph",
     "list servers and databases per server through ARM (default), or for many subscriptions at "
     "once with Resource Graph queries",
     0},
    {"arm-url", "URL",
     "Resource Manager base URL (default $TIERLEDGER_ARM_URL or https://management.azure.com)", 0},
    {"cloud", "public|usgov|china",
     "the national cloud: sets the ARM URL and the Entra ID authority together (over "
     "$TIERLEDGER_ARM_URL and $AZURE_AUTHORITY_HOST; --arm-url still wins)",
     0},
    {"auth", "MODE", "auto (default), service-principal, managed-identity, azure-cli", 0},
    {"concurrency", "N", "requests in flight (default 16)", 0},
    {"attempts", "N", "tries per request on 429/5xx/connection errors (default 5)", 0},
    {"details-every", "HOURS",
     "re-read operations and retention of unchanged databases this often (default 6)", 0},
    {"deadline", "SECONDS",
     "end the run cleanly after this long (default 480, under cron's 10 minutes; 0: none): "
     "what was written stays, the run is recorded 'deadline', exit 1",
     0},
    {"observed-at", "TIME", "record observations at TIME instead of now (replays, tests)", 0},
    {"ca-file", "FILE", "CA bundle for TLS verification (default: the system store)", 0},
    {"verbose", NULL, "log every request and retry to stderr", 'v'},
    {"progress", NULL,
     "show progress on stderr (the phase, requests or servers done of known) also when it is not "
     "a terminal (a line every 5 s)",
     0},
    {"format", "FMT", "the run summary on stdout: text (default) or json", 0},
    {"quiet", NULL, "no summary on stdout (failures still go to stderr)", 'q'},
    {NULL, NULL, NULL, 0},
};

const CliCommand cmd_collect = {
    .name = "collect",
    .summary = "record tier transitions from Azure Resource Manager (for cron)",
    .usage = "[options]",
    .description =
        "Lists subscriptions, SQL servers and databases (following nextLink), reads the\n"
        "operations and short-term retention of databases that changed or are due, and\n"
        "records new lineages, transitions (who, when, from, to, state), facts and\n"
        "confirmed drops, and managed instances' events (migrations, cutovers, restore\n"
        "points, retention, drops, instance changes, deletions; not with --server). Each\n"
        "server and instance is written in one transaction; re-running over the same\n"
        "Azure state adds nothing. Credentials: AZURE_CLIENT_ID + AZURE_TENANT_ID +\n"
        "AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE, or a 0600\n"
        "TIERLEDGER_CLIENT_SECRET_FILE), else managed identity, else az CLI.\n"
        "Exit: 0 all collected, 1 some subscription or server failed (named on stderr and\n"
        "in collector_runs), 69 PostgreSQL or identity unreachable, 75 another collector\n"
        "is collecting one of its subscriptions (collectors of disjoint subscriptions, by\n"
        "--subscription or --shard K/N, run at once), 76 a malformed identity answer, 77\n"
        "the credential was refused.",
    .options = collect_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_collect,
};
