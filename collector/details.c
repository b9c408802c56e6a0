/* details.c - the second phase of a collector run (collect.h): for the
 * databases that changed or are due (D10), their operations, short-term
 * retention, replication links and daily sizes (Azure Monitor metrics, and
 * the max size of their elastic pool, D12); for each recorded lineage
 * missing from its server's complete list, a 404 on the database itself and
 * the server's restorable dropped databases (D11: a lineage is only taken
 * as dropped after that 404). Rules of docs/collector-rules.md. A server
 * any of whose requests fails for good is marked failed, with the URL and
 * the reason, and nothing of it is stored. Sizes are not tier history:
 * their failures are warnings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/list.h"
#include "model/objective.h"

/* ---- details ------------------------------------------------------------ */

/* How a database's sizes are metered (azure-api.md "Storage and backup
 * metrics"): Hyperscale publishes data storage (base_blob_size_bytes, its
 * allocated size), data and log backups; DTU (B2: backups are in the price,
 * the backup metrics are documented for vCore only) its allocated size;
 * other vCore its allocated size and full, differential and log backups. */
typedef enum { METER_VCORE = 0, METER_HYPERSCALE, METER_DTU } Meter;

/* By the objective as the model reads it (T1-T4; the sku tier classifies a
 * pooled or unknown name), parsed once per database. */
static Meter meter_of(const AzDatabase *d)
{
    TlObjective o;
    objective_parse(d->current_objective,
                    d->current_sku_tier[0] ? d->current_sku_tier : d->sku_tier, &o);
    if (o.arch == TL_ARCH_HYPERSCALE)
        return METER_HYPERSCALE;
    if (o.dtu || o.edition == TL_EDITION_BASIC || o.edition == TL_EDITION_STANDARD ||
        o.edition == TL_EDITION_PREMIUM) /* a pooled DTU database too */
        return METER_DTU;
    return METER_VCORE;
}

static TlResult each_op(Collect *c, long tag, const cJSON *item, const char *path, TlError *err)
{
    CollectDb *d = &c->servers[TAG_SRV(tag)].dbs[TAG_DB(tag)];
    AzOperation op;
    TlResult rc = az_operation_from(item, path, &op, err);
    if (!rc)
        rc = collect_grow((void **)&d->ops, &d->cap_ops, d->n_ops, sizeof *d->ops, err);
    if (!rc)
        d->ops[d->n_ops++] = op;
    return rc;
}

static void on_ops(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    TlError why;
    if (!list_page(h, r, each_op, &why))
        collect_server_fail(c, &c->servers[TAG_SRV(r->user_tag)], &why);
}

static void on_retention(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectServer *s = &c->servers[TAG_SRV(r->user_tag)];
    TlError why = {{0}, {0}};
    if (collect_answered(c, s, r) &&
        az_retention_parse(r->resp, &s->dbs[TAG_DB(r->user_tag)].retention_days, &why))
        collect_bad_answer(c, s, r, &why);
}

static void on_links(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectServer *s = &c->servers[TAG_SRV(r->user_tag)];
    TlError why = {{0}, {0}};
    int geo;
    int links;
    if (!collect_answered(c, s, r))
        return;
    if (az_geo_links_parse(r->resp, &geo, &links, &why))
        collect_bad_answer(c, s, r, &why);
    else
        s->dbs[TAG_DB(r->user_tag)].geo_links = geo;
}

static const char *metric_names(Meter m)
{
    if (m == METER_HYPERSCALE)
        return "base_blob_size_bytes,snapshot_backup_size_bytes,log_backup_size_bytes";
    if (m == METER_DTU)
        return "allocated_data_storage";
    return "allocated_data_storage,full_backup_size_bytes,diff_backup_size_bytes,"
           "log_backup_size_bytes";
}

static int64_t *usage_field(CollectUsage *u, const char *name)
{
    if (strcmp(name, "full_backup_size_bytes") == 0)
        return &u->full;
    if (strcmp(name, "diff_backup_size_bytes") == 0)
        return &u->diff;
    if (strcmp(name, "log_backup_size_bytes") == 0)
        return &u->log;
    if (strcmp(name, "snapshot_backup_size_bytes") == 0)
        return &u->snapshot;
    return &u->allocated; /* allocated_data_storage, base_blob_size_bytes */
}

/* The metricnames value of a request URL, into out. */
static void url_metric_names(const char *url, char *out, size_t size)
{
    const char *p = strstr(url, "metricnames=");
    out[0] = '\0';
    if (p) {
        p += strlen("metricnames=");
        snprintf(out, size, "%.*s", (int)strcspn(p, "&"), p);
    }
}

/* A metric a database does not define fails the whole call with 400
 * (azure-api.md): ask again one name per call, so the others still count
 * and the failing one is named. */
static bool split_metric_call(HttpClient *h, HttpRequest *r, HttpDone done, const char *names)
{
    if (r->rc || r->status != 400 || !strchr(names, ','))
        return false;
    const char *at = strstr(r->url, "metricnames=") + strlen("metricnames=");
    size_t head = (size_t)(at - r->url), tail_at = head + strcspn(at, "&");
    for (const char *n = names; *n;) {
        size_t len = strcspn(n, ",");
        char url[2400];
        snprintf(url, sizeof url, "%.*s%.*s%s", (int)head, r->url, (int)len, n, r->url + tail_at);
        TlError err = {{0}, {0}};
        if (http_add(h, url, NULL, done, r->user, r->user_tag, r->budget_key, &err))
            fprintf(stderr, "tierledger collect: warning: %s\n", err.msg);
        n += len + (n[len] == ',');
    }
    return true;
}

/* Sizes are facts and billing figures, not tier history: a failed metrics
 * call leaves them unknown and says so, it does not fail the server. */
static void on_metric(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    CollectDb *d = &c->servers[TAG_SRV(r->user_tag)].dbs[TAG_DB(r->user_tag)];
    TlError why;
    char names[200];
    url_metric_names(r->url, names, sizeof names);
    if (split_metric_call(h, r, on_metric, names))
        return;
    if (r->rc || r->status != 200) {
        collect_request_error(r, &why);
        fprintf(stderr, "tierledger collect: warning: sizes of %s unknown: %s\n", d->db.name,
                why.msg);
        return;
    }
    for (const char *n = names; *n && d->usage;) {
        char name[64];
        size_t len = strcspn(n, ",");
        snprintf(name, sizeof name, "%.*s", (int)len, n);
        n += len + (n[len] == ',');
        int64_t v[COLLECT_USAGE_DAYS], peak[COLLECT_USAGE_DAYS];
        bool failed;
        TlError err = {{0}, {0}};
        if (az_metric_days(r->resp, name, c->usage_day0, COLLECT_USAGE_DAYS, v, peak, &failed,
                           &err)) {
            fprintf(stderr, "tierledger collect: warning: %.300s: %.280s\n", r->url, err.msg);
            return;
        }
        if (failed)
            fprintf(stderr, "tierledger collect: warning: %s: metric %s failed on its own\n",
                    d->db.name, name);
        for (int k = 0; k < COLLECT_USAGE_DAYS; k++)
            *usage_field(&d->usage[k], name) = v[k];
        /* E8's allocated size: the day's peak of the latest day reported */
        if (usage_field(&d->usage[0], name) == &d->usage[0].allocated)
            for (int k = COLLECT_USAGE_DAYS; k-- > 0;)
                if (peak[k] >= 0) {
                    d->allocated_bytes = peak[k];
                    break;
                }
    }
}

static void on_pool_metric(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectPool *p = &c->servers[TAG_SRV(r->user_tag)].pools[TAG_DB(r->user_tag)];
    TlError why = {{0}, {0}};
    bool failed = false;
    int64_t avg[COLLECT_USAGE_DAYS]; /* the max data size: its peak counts */
    if (r->rc || r->status != 200)
        collect_request_error(r, &why);
    else if (az_metric_days(r->resp, "storage_limit", c->usage_day0, COLLECT_USAGE_DAYS, avg,
                            p->max_bytes, &failed, &why))
        tl_error_prefix(&why, "%s", r->url);
    else
        return;
    fprintf(stderr, "tierledger collect: warning: max size of pool %s unknown: %s\n", p->id,
            why.msg);
}

/* The metrics call of one resource for the days [from, today). */
static TlResult metric_call(Collect *c, const char *resource, const char *ns, const char *names,
                            const char *aggregation, int from, HttpDone done, long tag,
                            const char *budget, TlError *err)
{
    char path[1200], q[600], a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    snprintf(path, sizeof path, "%s/providers/Microsoft.Insights/metrics", resource);
    snprintf(q, sizeof q,
             "api-version=" API_METRICS "&metricnamespace=%s&metricnames=%s"
             "&timespan=%s%%2F%s&interval=P1D&aggregation=%s&AutoAdjustTimegrain=false",
             ns, names, tl_time_format(c->usage_day0 + (TlTime)from * 86400, a),
             tl_time_format(c->usage_day0 + (TlTime)COLLECT_USAGE_DAYS * 86400, b), aggregation);
    return collect_get(c, path, q, done, tag, budget, err);
}

/* D12: daily sizes of a detailed database (30 days on first sight, then
 * the last 3), and the max size of its pool when its backups bill at pool
 * level (B1: vCore, not Hyperscale, not DTU). */
static TlResult ask_sizes(Collect *c, size_t i, size_t j, const char *budget, TlError *err)
{
    CollectServer *s = &c->servers[i];
    CollectDb *d = &s->dbs[j];
    const Meter meter = meter_of(&d->db);
    d->usage = malloc(COLLECT_USAGE_DAYS * sizeof *d->usage);
    if (!d->usage)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (int k = 0; k < COLLECT_USAGE_DAYS; k++)
        d->usage[k] = (CollectUsage){-1, -1, -1, -1, -1};
    d->usage_from = d->known < 0 ? 0 : COLLECT_USAGE_DAYS - COLLECT_USAGE_RECENT;
    TlResult rc =
        metric_call(c, d->db.id, "Microsoft.Sql%2Fservers%2Fdatabases", metric_names(meter),
                    "average%2Cmaximum", d->usage_from, on_metric, TAG(i, j), budget, err);
    if (rc || !d->db.elastic_pool_id[0] || meter != METER_VCORE)
        return rc;
    size_t k = 0;
    while (k < s->n_pools && strcasecmp(s->pools[k].id, d->db.elastic_pool_id) != 0)
        k++;
    if (k == s->n_pools) {
        rc = collect_grow((void **)&s->pools, &s->cap_pools, s->n_pools, sizeof *s->pools, err);
        if (rc)
            return rc;
        CollectPool *p = &s->pools[s->n_pools++];
        snprintf(p->id, sizeof p->id, "%s", d->db.elastic_pool_id);
        p->usage_from = COLLECT_USAGE_DAYS;
        for (int day = 0; day < COLLECT_USAGE_DAYS; day++)
            p->max_bytes[day] = -1;
    }
    if (d->usage_from < s->pools[k].usage_from)
        s->pools[k].usage_from = d->usage_from;
    return TL_OK;
}

static TlResult each_dropped(Collect *c, long tag, const cJSON *item, const char *path,
                             TlError *err)
{
    CollectServer *s = &c->servers[tag];
    AzDroppedDatabase d;
    TlResult rc = az_dropped_from(item, path, &d, err);
    if (!rc)
        rc = collect_grow((void **)&s->dropped, &s->cap_dropped, s->n_dropped, sizeof *s->dropped,
                          err);
    if (!rc)
        s->dropped[s->n_dropped++] = d;
    return rc;
}

static void on_dropped(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    TlError why;
    if (!list_page(h, r, each_dropped, &why))
        collect_server_fail(c, &c->servers[r->user_tag], &why);
    else
        c->servers[r->user_tag].dropped_ok = true;
}

static void on_confirm(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectServer *s = &c->servers[TAG_SRV(r->user_tag)];
    CollectGone *g = &s->gone[TAG_DB(r->user_tag)];
    TlError why;
    if (!r->rc && r->status == 404) {
        g->confirmed = true;
    } else if (!r->rc && r->status == 200) {
        g->still_there = true; /* the list was partial: never a drop */
    } else {
        collect_request_error(r, &why);
        collect_server_fail(c, s, &why);
    }
}

/* D10 */
static bool details_due(const Collect *c, const CollectServer *s, const CollectDb *d)
{
    if (d->known < 0)
        return true; /* first sight: backfill what the operations list holds */
    const CollectKnown *k = &s->known[d->known];
    if (!k->observed || k->open || k->details_at == TL_TIME_NONE)
        return true;
    if (strcasecmp(k->objective, d->db.current_objective) != 0)
        return true; /* changed since the last run */
    if (d->db.requested_objective[0] &&
        strcasecmp(d->db.requested_objective, d->db.current_objective) != 0)
        return true; /* a change is pending */
    if (strcasecmp(d->db.status, "Scaling") == 0)
        return true;
    return c->now - k->details_at >= c->details_every_s;
}

TlResult collect_details(Collect *c, size_t lo, size_t hi, TlError *err)
{
    char path[1200];
    TlResult rc = TL_OK;
    /* finished UTC days only: the current one is partial (azure-api.md) */
    c->usage_day0 = c->now - c->now % 86400 - (TlTime)COLLECT_USAGE_DAYS * 86400;
    for (size_t i = lo; i < hi && !rc; i++) {
        CollectServer *s = &c->servers[i];
        if (s->failed || c->subs[s->sub].failed)
            continue;
        const char *budget = c->subs[s->sub].sub.id;
        /* named replicas: the databases of the list that point here */
        for (size_t j = 0; j < s->n_dbs; j++)
            for (size_t k = 0; k < s->n_dbs; k++)
                if (strcasecmp(s->dbs[k].db.secondary_type, "Named") == 0 &&
                    strcasecmp(s->dbs[k].db.source_database_id, s->dbs[j].db.id) == 0)
                    s->dbs[j].named_replicas++;
        for (size_t j = 0; j < s->n_dbs && !rc; j++) {
            CollectDb *d = &s->dbs[j];
            d->want_details = details_due(c, s, d);
            if (!d->want_details)
                continue;
            snprintf(path, sizeof path, "%s/operations", d->db.id);
            rc = collect_get(c, path, "api-version=" API_SQL, on_ops, TAG(i, j), budget, err);
            snprintf(path, sizeof path, "%s/backupShortTermRetentionPolicies/default", d->db.id);
            if (!rc)
                rc = collect_get(c, path, "api-version=" API_SQL, on_retention, TAG(i, j), budget,
                                 err);
            snprintf(path, sizeof path, "%s/replicationLinks", d->db.id);
            if (!rc)
                rc = collect_get(c, path, "api-version=" API_SQL, on_links, TAG(i, j), budget, err);
            if (!rc)
                rc = ask_sizes(c, i, j, budget, err);
        }
        for (size_t k = 0; k < s->n_pools && !rc; k++)
            rc = metric_call(c, s->pools[k].id, "Microsoft.Sql%2Fservers%2FelasticPools",
                             "storage_limit", "maximum", s->pools[k].usage_from, on_pool_metric,
                             TAG(i, k), budget, err);
        /* D11: stored lineages missing from the (complete) list */
        s->gone = calloc(s->n_known ? s->n_known : 1, sizeof *s->gone);
        if (!s->gone)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < s->n_known && !rc; k++) {
            const CollectKnown *kn = &s->known[k];
            bool listed = false, recreated = false;
            for (size_t j = 0; j < s->n_dbs; j++) {
                if (strcasecmp(s->dbs[j].db.id, kn->resource_id) != 0)
                    continue;
                if (s->dbs[j].db.created_at == kn->created_at)
                    listed = true;
                else if (s->dbs[j].db.created_at > kn->created_at)
                    recreated = true;
            }
            if (listed)
                continue;
            CollectGone *g = &s->gone[s->n_gone];
            g->known = (int)k;
            g->recreated = recreated;
            g->dropped_at = TL_TIME_NONE;
            if (!recreated) {
                rc = collect_get(c, kn->resource_id, "api-version=" API_SQL, on_confirm,
                                 TAG(i, s->n_gone), budget, err);
            }
            s->n_gone++;
        }
        if (!rc && s->n_gone > 0) {
            snprintf(path, sizeof path, "%s/restorableDroppedDatabases", s->srv.id);
            rc = collect_get(c, path, "api-version=" API_SQL, on_dropped, (long)i, budget, err);
        }
    }
    if (!rc)
        rc = http_run(c->http, err);
    if (!rc && c->fatal)
        rc = tl_error_set(err, c->fatal, "%s", c->fatal_err.msg);
    if (rc)
        return rc;
    for (size_t i = lo; i < hi; i++) {
        CollectServer *s = &c->servers[i];
        for (size_t j = 0; j < s->n_dbs; j++)
            s->dbs[j].details_ok = s->dbs[j].want_details && !s->failed;
        /* the deletion time of each confirmed drop, when Azure still lists it */
        for (size_t g = 0; g < s->n_gone; g++) {
            CollectGone *gn = &s->gone[g];
            const CollectKnown *kn = &s->known[gn->known];
            const char *name = strrchr(kn->resource_id, '/');
            name = name ? name + 1 : kn->resource_id;
            for (size_t k = 0; k < s->n_dropped; k++)
                if (strcasecmp(s->dropped[k].database_name, name) == 0 &&
                    s->dropped[k].created_at == kn->created_at) {
                    gn->dropped_at = s->dropped[k].deleted_at;
                    snprintf(gn->drop_record, sizeof gn->drop_record, "%s", s->dropped[k].id);
                }
        }
    }
    return TL_OK;
}
