/* cmd_collect.c - `tierledger collect`: one run of the collector. Reads
 * Azure through collector/ (collect.h), decides with collector/derive.h,
 * and writes each server's results in one transaction under the writers'
 * lock. A session advisory lock keeps a second collector out (exit 75,
 * naming the holder); every run is a row of collector_runs.
 *
 * Exit: 0 everything collected; 1 the run went on past failures (the
 * summary names each failed subscription or server; nothing of those was
 * written); 69 PostgreSQL or the identity endpoint unreachable; 75 locked; 76 a malformed identity
 * answer; 77 the credential refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "collector/auth.h"
#include "collector/collect.h"
#include "collector/derive.h"
#include "sql/store/collector.h"
#include "sql/store/conn.h"
#include "sql/store/lineages.h"
#include "sql/store/schema.h"

#define DEFAULT_ARM "https://management.azure.com"
#define MAX_SUBS    64

typedef struct {
    StoreConn *conn;
    long long run_id;
    TlTime now;
    char host[128];
    /* counts */
    int servers_ok, databases;
    long transitions, facts, drops, usage;
    /* errors, one line each */
    char **errors;
    size_t n_errors;
    StoreCursors cursors; /* Activity Log */
    double deadline;      /* http_now() instant; 0: none */
    bool out_of_time;     /* the deadline ended the run */
} Run;

static void run_error(Run *r, const char *line)
{
    char **p = realloc(r->errors, (r->n_errors + 1) * sizeof *p);
    if (!p)
        return;
    r->errors = p;
    r->errors[r->n_errors] = strdup(line);
    if (r->errors[r->n_errors])
        r->n_errors++;
}

/* ---- the run row ------------------------------------------------------------ */

static void run_finish(Run *r, const Collect *c, const HttpStats *st)
{
    if (!r->run_id || !store_connected(r->conn))
        return;
    StoreRunSummary s = {
        .status = r->out_of_time      ? "deadline"
                  : r->n_errors == 0  ? "succeeded"
                  : r->servers_ok > 0 ? "partial"
                                      : "failed",
        .subscriptions = c ? c->n_subs : 0,
        .servers = c ? c->n_servers : 0,
        .databases = r->databases,
        .requests = st ? st->requests : 0,
        .retries = st ? st->retries : 0,
        .transitions = r->transitions,
        .facts = r->facts,
        .drops = r->drops,
        .usage = r->usage,
        .errors = (const char *const *)r->errors,
        .n_errors = r->n_errors,
    };
    TlError err = {{0}, {0}};
    if (store_run_finish(r->conn, r->run_id, &s, &err))
        fprintf(stderr, "tierledger collect: warning: %s\n", err.msg);
}

/* ---- what is known ------------------------------------------------------- */

static TlTime cursor_of(void *user, const char *subscription)
{
    const Run *r = user;
    return store_cursor_of(&r->cursors, subscription);
}

/* The recorded lineages of every listed server, and which listed database
 * each is (same resource id and creation: L7). */
static TlResult load_known(Run *r, Collect *c, TlError *err)
{
    StoreServerKey *keys = calloc(c->n_servers ? c->n_servers : 1, sizeof *keys);
    StoreKnown *known = NULL;
    size_t n_known = 0;
    if (!keys)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c->n_servers; i++)
        keys[i] = (StoreServerKey){c->servers[i].srv.subscription, c->servers[i].srv.resource_group,
                                   c->servers[i].srv.name};
    TlResult rc = store_known_load(r->conn, keys, c->n_servers, &known, &n_known, err);
    free(keys);
    for (size_t i = 0, k = 0; i < c->n_servers && !rc; i++) { /* known is ordered by server */
        size_t first = k;
        while (k < n_known && known[k].server == i)
            k++;
        TlKnownLineage *lineages = malloc((k - first + 1) * sizeof *lineages);
        if (!lineages) {
            rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
            break;
        }
        for (size_t m = first; m < k; m++)
            lineages[m - first] = known[m].k;
        rc = collect_attach_known(&c->servers[i], lineages, k - first, err);
        free(lineages);
    }
    free(known);
    return rc;
}

/* ---- writing one server -------------------------------------------------- */

static void add_observation(StoreCollectBatch *b, long long id, const CollectDb *d)
{
    const AzDatabase *db = &d->db;
    StoreObservationRow row = {
        .database_id = id,
        .current_objective = db->current_objective,
        .requested_objective = db->requested_objective,
        .status = db->status,
        .sku_json = db->sku_json,
        .redundancy = db->redundancy,
        .earliest_restore_at = db->earliest_restore_at,
        .tags_json = db->tags_json,
        .details_read = d->details_ok,
        .retention_days = d->retention_days,
        .elastic_pool_id = db->elastic_pool_id,
        .geo_replication = collect_geo_replication(d),
        .named_replicas = d->named_replicas,
        .max_size_bytes =
            db->has_max_size && db->max_size_bytes > 0 ? db->max_size_bytes : STORE_NO_BYTES,
        .allocated_bytes = d->allocated_bytes,
        .arm_properties_json = db->facts_json,
    };
    store_batch_add_observation(b, &row);
}

static void add_usage(StoreCollectBatch *b, long long id, const Collect *c, const CollectServer *s,
                      const CollectDb *d)
{
    CollectUsageDay u;
    for (int k = 0; k < COLLECT_USAGE_DAYS; k++) {
        if (!collect_usage_day(c, s, d, k, &u))
            continue;
        StoreUsageDayRow row = {id,
                                u.day,
                                u.u.full,
                                u.u.diff,
                                u.u.log,
                                u.u.snapshot,
                                u.u.allocated,
                                u.max_bytes == COLLECT_NO_BYTES ? STORE_NO_BYTES : u.max_bytes,
                                d->db.redundancy,
                                d->db.location,
                                d->db.elastic_pool_id,
                                d->db.tags_json};
        store_batch_add_usage(b, &row);
    }
}

static TlResult record_drop(Run *r, const CollectServer *s, const CollectGone *g, TlError *err)
{
    StoreDropRow row = {s->known[g->known].id, TL_TIME_NONE, r->now, NULL, g->drop_record};
    row.dropped_at = collect_drop_time(s, g, r->now, &row.source);
    bool added;
    TlResult rc = store_drop_record(r->conn, &row, &added, err);
    r->drops += !rc && added;
    return rc;
}

/* Derive one database's new transitions into the batch. A database Azure
 * describes inconsistently (TL_ERR_DATA) must not stop the others: it is
 * named, left unobserved (the next run tries again), its new lineage undone,
 * and *skip set; the run ends partial. */
static TlResult derive_database(Run *r, const Collect *c, CollectServer *s, CollectDb *d,
                                StoreCollectBatch *batch, long long *id, bool *skip, TlError *err)
{
    StoreHistory rec = {0};
    const CollectKnown *kn = d->known >= 0 ? &s->known[d->known] : NULL;
    TlResult rc = TL_OK;
    *skip = false;
    if (kn) {
        *id = kn->id;
        /* details not due: same objective as last observed, nothing pending
         * or in flight, so there is nothing to derive */
        if (!d->want_details)
            return TL_OK;
        rc = store_history_load(r->conn, *id, &rec, err);
    } else {
        StoreLineageRow row = {d->db.id,   s->srv.subscription, s->srv.resource_group, s->srv.name,
                               d->db.name, d->db.created_at,    d->db.database_uid};
        rc = store_savepoint(r->conn, "new_lineage", err);
        if (!rc)
            rc = store_lineage_insert(r->conn, &row, id, err);
    }
    DeriveRow *rows = NULL;
    size_t n = 0;
    if (!rc)
        rc = collect_derive(c, s, d, rec.tr, rec.n, &rows, &n, err);
    if (rc == TL_ERR_DATA) {
        run_error(r, err->msg);
        *skip = true;
        n = 0;
        rc = kn ? TL_OK : store_rollback_to(r->conn, "new_lineage", err);
    }
    for (size_t k = 0; k < n; k++) {
        StoreTransitionRow row = {*id, &rows[k].t, derive_source_str(rows[k].source),
                                  rows[k].source_record_id, rows[k].inferred};
        store_batch_add_transition(batch, &row); /* copies: rec is released below */
    }
    free(rows);
    store_history_cleanup(&rec);
    return rc;
}

static TlResult write_server(Run *r, Collect *c, CollectServer *s, TlError *err)
{
    StoreCollectBatch *batch = NULL;
    StoreBatchCounts counts = {0, 0, 0};
    long drops_before = r->drops;
    TlResult rc = store_batch_new(&batch, err);
    if (!rc)
        rc = store_begin_write(r->conn, err);
    for (size_t j = 0; j < s->n_dbs && !rc; j++) {
        CollectDb *d = &s->dbs[j];
        long long id = 0;
        bool skip;
        rc = derive_database(r, c, s, d, batch, &id, &skip, err);
        if (!rc && !skip)
            add_observation(batch, id, d);
        if (!rc && !skip && d->usage)
            add_usage(batch, id, c, s, d);
    }
    if (!rc)
        rc = store_batch_write(r->conn, batch, r->now, r->run_id, &counts, err);
    for (size_t g = 0; g < s->n_gone && !rc; g++)
        if (s->gone[g].confirmed || s->gone[g].recreated)
            rc = record_drop(r, s, &s->gone[g], err);
    if (!rc)
        rc = store_commit(r->conn, err);
    store_batch_free(batch);
    if (rc) {
        store_rollback(r->conn);
        r->drops = drops_before;
        return rc;
    }
    r->transitions += counts.transitions;
    r->facts += counts.facts;
    r->usage += counts.usage;
    return TL_OK;
}

static TlResult save_cursors(Run *r, const Collect *c, TlError *err)
{
    const char **subs = calloc(c->n_subs ? c->n_subs : 1, sizeof *subs);
    size_t n = 0;
    if (!subs)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < c->n_subs; i++)
        if (c->subs[i].events_ok && !c->subs[i].failed)
            subs[n++] = c->subs[i].sub.id;
    TlResult rc = store_cursors_save(r->conn, subs, n, r->now, err);
    free(subs);
    return rc;
}

/* Write every server that answered, each in its own transaction; a server
 * the store refuses is failed like one Azure failed. Stops only when
 * PostgreSQL is gone or memory is out. */
static TlResult write_servers(Run *r, Collect *c, TlError *err)
{
    for (size_t i = 0; i < c->n_servers; i++) {
        CollectServer *s = &c->servers[i];
        if (c->subs[s->sub].failed)
            continue;
        if (!s->failed && r->deadline > 0 && http_now() >= r->deadline) {
            r->out_of_time = true;
            TlError late;
            tl_error_set(&late, TL_ERR_UNAVAILABLE, "not written: the run's deadline passed");
            collect_server_fail(c, s, &late);
        }
        if (!s->failed) {
            TlError werr = {{0}, {0}};
            TlResult wrc = write_server(r, c, s, &werr);
            if (wrc == TL_ERR_UNAVAILABLE || wrc == TL_ERR_NOMEM) {
                *err = werr;
                return wrc;
            }
            if (wrc) {
                collect_server_fail(c, s, &werr);
            } else {
                r->servers_ok++;
                r->databases += (int)s->n_dbs;
            }
        }
        if (s->failed)
            run_error(r, s->error ? s->error->msg : "failed");
    }
    return TL_OK;
}

/* ---- the command ----------------------------------------------------------- */

static TlResult parse_int(const CliContext *ctx, const char *name, long lo, long hi, long *out,
                          TlError *err)
{
    const char *v = cli_opt(ctx, name);
    if (!v)
        return TL_OK;
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end || n < lo || n > hi)
        return tl_error_set(err, TL_ERR_USAGE, "--%s: expected a number from %ld to %ld", name, lo,
                            hi);
    *out = n;
    return TL_OK;
}

static void print_summary(const Run *r, const Collect *c, const HttpStats *st, double secs)
{
    printf("collector run %lld: %zu subscription%s, %zu server%s, %d database%s in %.1f s "
           "(%ld requests, %ld retried, %ld throttled)\n",
           r->run_id, c->n_subs, c->n_subs == 1 ? "" : "s", c->n_servers,
           c->n_servers == 1 ? "" : "s", r->databases, r->databases == 1 ? "" : "s", secs,
           st->requests, st->retries, st->throttled);
    printf("recorded %ld transition%s, %ld fact change%s, %ld drop%s, %ld usage day%s\n",
           r->transitions, r->transitions == 1 ? "" : "s", r->facts, r->facts == 1 ? "" : "s",
           r->drops, r->drops == 1 ? "" : "s", r->usage, r->usage == 1 ? "" : "s");
}

/* The options of one run, checked before anything is opened. */
typedef struct {
    char arm_base[512];
    AuthMode mode;
    bool via_graph;
    HttpOptions http;
    long details_every_h;
    long deadline_s;
    const char *subs[MAX_SUBS];
    int n_subs;
} Options;

static TlResult read_options(const CliContext *ctx, Options *o, TlTime *now, TlError *err)
{
    const char *observed = cli_opt(ctx, "observed-at");
    if (observed && !tl_time_parse(observed, false, now))
        return tl_error_set(err, TL_ERR_USAGE, "--observed-at: expected an RFC 3339 time");
    const char *arm = cli_opt(ctx, "arm-url");
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
        return tl_error_set(err, TL_ERR_USAGE, "--auth none is only for a loopback test ARM");
    const char *via = cli_opt(ctx, "via");
    if (via && strcmp(via, "arm") != 0 && strcmp(via, "resource-graph") != 0)
        return tl_error_set(err, TL_ERR_USAGE, "--via: expected arm or resource-graph");
    o->via_graph = via && strcmp(via, "resource-graph") == 0;
    http_options_default(&o->http);
    long conc = 16, attempts = 5;
    o->details_every_h = 6;
    o->deadline_s = 480;
    rc = parse_int(ctx, "concurrency", 1, 256, &conc, err);
    if (!rc)
        rc = parse_int(ctx, "attempts", 1, 20, &attempts, err);
    if (!rc)
        rc = parse_int(ctx, "details-every", 0, 24 * 35, &o->details_every_h, err);
    if (!rc)
        rc = parse_int(ctx, "deadline", 0, 7 * 86400, &o->deadline_s, err);
    o->http.concurrency = (int)conc;
    o->http.max_attempts = (int)attempts;
    o->http.verbose = cli_opt(ctx, "verbose") != NULL;
    o->http.ca_file = cli_opt(ctx, "ca-file");
    o->n_subs = cli_opt_all(ctx, "subscription", o->subs, MAX_SUBS);
    return rc;
}

static TlResult run_collect(CliContext *ctx, TlError *err)
{
    Run r;
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
    long abandoned = 0;
    if (opt.deadline_s > 0)
        r.deadline = hopt.deadline = http_now() + (double)opt.deadline_s;

    rc = store_open_reader(cli_opt(ctx, "db"), &r.conn, err);
    if (!rc)
        rc = store_collector_lock(r.conn, r.host, (long)getpid(), err);
    if (!rc)
        rc = store_run_start(r.conn, r.host, (long)getpid(), arm_base, &r.run_id, &abandoned, err);
    if (!rc && abandoned > 0)
        fprintf(stderr,
                "tierledger collect: warning: %ld earlier run%s left 'running' by a process that "
                "is gone, now recorded 'abandoned'\n",
                abandoned, abandoned == 1 ? "" : "s");
    if (rc) {
        store_close(r.conn);
        return rc;
    }
    Auth auth;
    Collect c;
    memset(&c, 0, sizeof c);
    HttpClient *http = NULL;
    HttpStats st = {0, 0, 0, 0};
    double t0 = http_now();
    rc = auth_init(&auth, opt.mode, arm_base, hopt.ca_file, err);
    if (!rc)
        rc =
            http_client_new(&hopt, auth.chosen == AUTH_NONE ? NULL : auth_token, &auth, &http, err);
    if (!rc) {
        c.arm = arm_base;
        c.only_subs = opt.subs;
        c.n_only_subs = (size_t)opt.n_subs;
        c.resource_group = cli_opt(ctx, "resource-group");
        c.server = cli_opt(ctx, "server");
        c.via_graph = opt.via_graph;
        c.now = r.now;
        c.details_every_s = opt.details_every_h * 3600L;
        c.http = http;
        rc = store_cursors_load(r.conn, &r.cursors, err);
    }
    if (!rc)
        rc = collect_discover(&c, cursor_of, &r, err);
    if (!rc)
        rc = load_known(&r, &c, err);
    if (!rc)
        rc = collect_details(&c, err);
    if (!rc && c.subs_failed)
        run_error(&r, c.subs_error.msg);
    for (size_t i = 0; !rc && i < c.n_subs; i++)
        if (c.subs[i].failed)
            run_error(&r, c.subs[i].error ? c.subs[i].error->msg : "failed");
    if (!rc)
        rc = write_servers(&r, &c, err);
    if (!rc)
        rc = save_cursors(&r, &c, err);
    if (http) {
        st = http_stats(http);
        r.out_of_time |= http_deadline_passed(http);
    }
    if (rc) {
        TlError stopped = *err;
        tl_error_prefix(&stopped, "run stopped");
        run_error(&r, stopped.msg);
    }
    run_finish(&r, &c, &st);
    if (!rc) {
        if (!cli_opt(ctx, "quiet"))
            print_summary(&r, &c, &st, http_now() - t0);
        if (auth.tokens_fetched > 0 && hopt.verbose)
            fprintf(stderr, "tierledger collect: credential: %s (%ld token%s)\n", auth.detail,
                    auth.tokens_fetched, auth.tokens_fetched == 1 ? "" : "s");
        for (size_t i = 0; i < r.n_errors; i++) /* diagnostics: stderr, even --quiet */
            fprintf(stderr, "tierledger collect: failed: %s\n", r.errors[i]);
        if (r.out_of_time) {
            fprintf(stderr,
                    "tierledger collect: the run's deadline (--deadline %ld s) passed: what was "
                    "collected is written, the rest waits for the next run\n",
                    opt.deadline_s);
            ctx->exit_status = 1;
        }
        if (r.n_errors > 0) {
            fprintf(stderr, "tierledger collect: %zu failure%s, see collector run %lld\n",
                    r.n_errors, r.n_errors == 1 ? "" : "s", r.run_id);
            ctx->exit_status = 1;
        }
    }
    for (size_t i = 0; i < r.n_errors; i++)
        free(r.errors[i]);
    free(r.errors);
    store_cursors_cleanup(&r.cursors);
    collect_cleanup(&c);
    http_client_free(http);
    auth_cleanup(&auth);
    store_close(r.conn);
    return rc;
}

static const CliOption collect_options[] = {
    {"db", "CONNINFO", "PostgreSQL connection string (default: libpq's PG* variables)", 0},
    {"subscription", "ID", "only this subscription (repeatable; default: every visible one)", 0},
    {"resource-group", "RG", "only servers of this resource group", 0},
    {"server", "NAME", "only this logical server", 0},
    {"via", "arm|resource-graph",
     "list servers and databases per server through ARM (default), or for many subscriptions at "
     "once with Resource Graph queries",
     0},
    {"arm-url", "URL",
     "Resource Manager base URL (default $TIERLEDGER_ARM_URL or https://management.azure.com)", 0},
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
        "confirmed drops. Each server is written in one transaction; re-running over the\n"
        "same Azure state adds nothing. Credentials: AZURE_CLIENT_ID + AZURE_TENANT_ID +\n"
        "AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE, or a 0600\n"
        "TIERLEDGER_CLIENT_SECRET_FILE), else managed identity, else az CLI.\n"
        "Exit: 0 all collected, 1 some subscription or server failed (named on stderr and\n"
        "in collector_runs), 69 PostgreSQL or identity unreachable, 75 another collector\n"
        "is running, 76 a malformed identity answer, 77 the credential was refused.",
    .options = collect_options,
    .min_args = 0,
    .max_args = 0,
    .run = run_collect,
};
