/* collect.c - the requests of one collector run (collect.h).
 *
 * Failure is contained: a subscription whose server list fails, or a server
 * any of whose requests fails for good, is marked failed with the URL and
 * the reason, and nothing of it is stored; the others go on. A nextLink is
 * followed verbatim, but only to the ARM host itself: the bearer token is
 * never sent anywhere else. A lineage missing from a complete list is only
 * taken as dropped after a 404 on the database itself (issue 3). */
#include "collector/collect.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG_OVERLAP_S  3600           /* re-read the last hour of Activity Log */
#define LOG_BACKFILL_S (90L * 86400L) /* what Azure keeps */

static TlResult grow(void **items, size_t *cap, size_t n, size_t size, TlError *err)
{
    if (n < *cap)
        return TL_OK;
    size_t nc = *cap ? *cap * 2 : 8;
    void *p = realloc(*items, nc * size);
    if (!p)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    memset((char *)p + *cap * size, 0, (nc - *cap) * size);
    *items = p;
    *cap = nc;
    return TL_OK;
}

/* A request's user_tag: two indexes (server and database, or a range) */
#define TAG(srv, db) (((long)(srv) << 24) | (long)(db))
#define TAG_SRV(t)   ((size_t)((t) >> 24))
#define TAG_DB(t)    ((size_t)((t)&0xFFFFFF))

/* Fatal (out of memory) errors stop the run at the next check. */
static void fatal(Collect *c, TlResult rc, const TlError *err)
{
    if (!c->fatal) {
        c->fatal = rc;
        c->fatal_err = *err;
    }
}

/* "URL answered 500 (Code: message)" or the transport error. */
static void describe_failure(const HttpRequest *r, char *out, size_t size)
{
    if (r->rc) {
        snprintf(out, size, "%s", r->error);
        return;
    }
    char code[80], msg[300];
    az_error_parse(r->resp, code, sizeof code, msg, sizeof msg);
    snprintf(out, size, "%s answered %ld%s%s%s%s%s", r->url, r->status, code[0] ? " (" : "", code,
             msg[0] ? ": " : "", msg, code[0] ? ")" : "");
}

static bool same_origin(const char *base, const char *url)
{
    /* scheme://host[:port] of base must prefix url, followed by '/' or end */
    const char *p = strstr(base, "://");
    if (!p)
        return false;
    p += 3;
    size_t n = (size_t)(p - base) + strcspn(p, "/?#");
    return strncasecmp(base, url, n) == 0 && (url[n] == '/' || url[n] == '\0' || url[n] == '?');
}

static void srv_fail(CollectServer *s, const char *fmt_what)
{
    if (!s->failed) {
        s->failed = true;
        snprintf(s->error, sizeof s->error, "server %.100s (subscription %.60s): %.400s",
                 s->srv.name, s->srv.subscription, fmt_what);
    }
}

static void sub_fail(CollectSub *s, const char *what)
{
    if (!s->failed) {
        s->failed = true;
        snprintf(s->error, sizeof s->error, "subscription %.60s: %.500s", s->sub.id, what);
    }
}

/* Parse a list page; on success calls each(item, path) and queues nextLink. */
typedef TlResult (*EachItem)(Collect *c, long tag, const cJSON *item, const char *path,
                             TlError *err);

static bool page(HttpClient *h, HttpRequest *r, EachItem each, HttpDone again, char *why,
                 size_t why_size)
{
    Collect *c = r->user;
    if (r->rc || r->status != 200) {
        describe_failure(r, why, why_size);
        return false;
    }
    cJSON *root;
    const cJSON *value;
    const char *next;
    TlError err = {{0}, {0}};
    TlResult rc = az_page_parse(r->resp, &root, &value, &next, &err);
    int i = 0;
    for (const cJSON *item = rc ? NULL : value->child; item; item = item->next) {
        char path[64];
        snprintf(path, sizeof path, "$.value[%d]", i++);
        rc = each(c, r->user_tag, item, path, &err);
        if (rc)
            break;
    }
    if (!rc && next) {
        if (!same_origin(c->arm, next))
            rc = tl_error_set(&err, TL_ERR_DATA, "$.nextLink: %s is not on the ARM host", next);
        else
            rc = http_add(h, next, NULL, again, c, r->user_tag, r->budget_key, &err);
    }
    cJSON_Delete(root);
    if (rc == TL_ERR_NOMEM)
        fatal(c, rc, &err);
    if (rc) {
        snprintf(why, why_size, "%.300s: %.280s", r->url, err.msg);
        return false;
    }
    return true;
}

/* ---- subscriptions ------------------------------------------------------ */

static TlResult add_sub(Collect *c, const AzSubscription *s, TlError *err)
{
    for (size_t i = 0; i < c->n_subs; i++)
        if (strcasecmp(c->subs[i].sub.id, s->id) == 0)
            return TL_OK; /* a page repeated */
    TlResult rc = grow((void **)&c->subs, &c->cap_subs, c->n_subs, sizeof *c->subs, err);
    if (rc)
        return rc;
    c->subs[c->n_subs++].sub = *s;
    return TL_OK;
}

static TlResult each_sub(Collect *c, long tag, const cJSON *item, const char *path, TlError *err)
{
    (void)tag;
    AzSubscription s;
    TlResult rc = az_subscription_from(item, path, &s, err);
    if (rc)
        return rc;
    /* disabled or deleted subscriptions answer 409 to every read */
    if (s.state[0] && strcasecmp(s.state, "Enabled") != 0 && strcasecmp(s.state, "PastDue") != 0 &&
        strcasecmp(s.state, "Warned") != 0)
        return TL_OK;
    return add_sub(c, &s, err);
}

static void on_subs(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    char why[600];
    if (!page(h, r, each_sub, on_subs, why, sizeof why) && !c->subs_failed) {
        c->subs_failed = true;
        snprintf(c->subs_error, sizeof c->subs_error, "subscriptions: %.560s", why);
    }
}

/* ---- servers ------------------------------------------------------------ */

static bool wanted_server(const Collect *c, const char *rg, const char *name)
{
    return (!c->server || strcasecmp(c->server, name) == 0) &&
           (!c->resource_group || strcasecmp(c->resource_group, rg) == 0);
}

static TlResult each_server(Collect *c, long tag, const cJSON *item, const char *path, TlError *err)
{
    AzServer s;
    TlResult rc = az_server_from(item, path, &s, err);
    if (rc)
        return rc;
    if (!wanted_server(c, s.resource_group, s.name))
        return TL_OK;
    rc = grow((void **)&c->servers, &c->cap_servers, c->n_servers, sizeof *c->servers, err);
    if (rc)
        return rc;
    CollectServer *cs = &c->servers[c->n_servers++];
    memset(cs, 0, sizeof *cs);
    cs->srv = s;
    cs->sub = (int)tag;
    return TL_OK;
}

static void on_servers(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    char why[600];
    if (!page(h, r, each_server, on_servers, why, sizeof why))
        sub_fail(&c->subs[r->user_tag], why);
}

static TlResult each_event(Collect *c, long tag, const cJSON *item, const char *path, TlError *err)
{
    CollectSub *s = &c->subs[tag];
    AzEvent e;
    TlResult rc = az_event_from(item, path, &e, err);
    if (rc)
        return rc;
    if (strcasecmp(e.operation, "Microsoft.Sql/servers/databases/write") != 0 || !e.caller[0])
        return TL_OK;
    rc = grow((void **)&s->events, &s->cap_events, s->n_events, sizeof *s->events, err);
    if (!rc)
        s->events[s->n_events++] = e;
    return rc;
}

static void on_events(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    char why[600];
    if (!page(h, r, each_event, on_events, why, sizeof why)) {
        /* who changed a tier is a nicety; its failure does not fail the run */
        c->subs[r->user_tag].events_ok = false;
        fprintf(stderr, "tierledger collect: warning: activity log of subscription %s: %s\n",
                c->subs[r->user_tag].sub.id, why);
    }
}

/* ---- databases ---------------------------------------------------------- */

/* Takes db (its owned strings) whatever happens. */
static TlResult add_db(CollectServer *s, AzDatabase *db, TlError *err)
{
    if (db->system) { /* master: kind "v12.0,system" */
        az_database_cleanup(db);
        return TL_OK;
    }
    TlResult rc = grow((void **)&s->dbs, &s->cap_dbs, s->n_dbs, sizeof *s->dbs, err);
    if (rc) {
        az_database_cleanup(db);
        return rc;
    }
    CollectDb *d = &s->dbs[s->n_dbs++];
    memset(d, 0, sizeof *d);
    d->db = *db;
    d->known = -1;
    d->geo_links = -1;
    d->allocated_bytes = -1;
    return TL_OK;
}

static TlResult each_db(Collect *c, long tag, const cJSON *item, const char *path, TlError *err)
{
    AzDatabase db;
    TlResult rc = az_database_from(item, path, &db, err);
    return rc ? rc : add_db(&c->servers[tag], &db, err);
}

/* ---- Resource Graph (--via resource-graph) ------------------------------ */

static TlResult url_of(char *out, size_t size, const char *arm, const char *path, const char *query,
                       TlError *err);

/* azure-api.md 0: batch subscriptions (< 300 per query); pages of 1000 rows,
 * sorted by id so pages are stable (7b). */
#define GRAPH_SUBS 200
#define GRAPH_TOP  1000
#define GRAPH_QUERY                                                                                \
    "Resources | where type in~ ('microsoft.sql/servers', 'microsoft.sql/servers/databases')"      \
    " | project id, name, type, kind, location, sku, properties, tags | order by id asc"

/* The server `id` of one of subs[lo, hi), created when new; NULL with *rc
 * TL_OK when it is not one the run wants. */
static CollectServer *graph_server(Collect *c, const AzServer *srv, size_t lo, size_t hi,
                                   TlResult *rc, TlError *err)
{
    *rc = TL_OK;
    if (!wanted_server(c, srv->resource_group, srv->name))
        return NULL;
    for (size_t k = c->n_servers; k-- > 0;) /* rows come sorted: the last one, mostly */
        if (strcasecmp(c->servers[k].srv.id, srv->id) == 0)
            return &c->servers[k];
    size_t sub = lo;
    while (sub < hi && strcasecmp(c->subs[sub].sub.id, srv->subscription) != 0)
        sub++;
    if (sub == hi)
        return NULL; /* not a subscription this query asked for */
    if ((*rc = grow((void **)&c->servers, &c->cap_servers, c->n_servers, sizeof *c->servers, err)))
        return NULL;
    CollectServer *cs = &c->servers[c->n_servers++];
    memset(cs, 0, sizeof *cs);
    cs->srv = *srv;
    cs->sub = (int)sub;
    return cs;
}

static TlResult graph_row(Collect *c, size_t lo, size_t hi, const cJSON *row, const char *path,
                          TlError *err)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(row, "type");
    if (!cJSON_IsString(type))
        return tl_error_set(err, TL_ERR_DATA, "%s.type: expected a string", path);
    TlResult rc;
    if (strcasecmp(type->valuestring, "microsoft.sql/servers") == 0) {
        AzServer srv;
        rc = az_server_from(row, path, &srv, err);
        if (!rc)
            graph_server(c, &srv, lo, hi, &rc, err);
        return rc;
    }
    if (strcasecmp(type->valuestring, "microsoft.sql/servers/databases") != 0)
        return TL_OK;
    AzDatabase db;
    if ((rc = az_database_from(row, path, &db, err)))
        return rc;
    /* its server: the id up to /databases/ */
    AzServer srv;
    memset(&srv, 0, sizeof srv);
    const char *cut = NULL;
    for (const char *p = strchr(db.id, '/'); p && !cut; p = strchr(p + 1, '/'))
        if (strncasecmp(p, "/databases/", 11) == 0)
            cut = p;
    if (!cut || !arm_id_part(db.id, "servers", srv.name, sizeof srv.name) ||
        !arm_id_part(db.id, "resourceGroups", srv.resource_group, sizeof srv.resource_group) ||
        !arm_id_part(db.id, "subscriptions", srv.subscription, sizeof srv.subscription)) {
        az_database_cleanup(&db);
        return tl_error_set(err, TL_ERR_DATA, "%s.id: not a database resource id", path);
    }
    snprintf(srv.id, sizeof srv.id, "%.*s", (int)(cut - db.id), db.id);
    snprintf(srv.location, sizeof srv.location, "%s", db.location);
    CollectServer *cs = graph_server(c, &srv, lo, hi, &rc, err);
    if (!cs) {
        az_database_cleanup(&db);
        return rc;
    }
    return add_db(cs, &db, err);
}

static void graph_fail(Collect *c, size_t lo, size_t hi, const char *why)
{
    for (size_t k = lo; k < hi; k++)
        sub_fail(&c->subs[k], why);
}

/* The query body for subs[lo, hi), with a page's $skipToken (or NULL). */
static char *graph_body(const Collect *c, size_t lo, size_t hi, const char *skip_token)
{
    cJSON *b = cJSON_CreateObject(), *subs = cJSON_AddArrayToObject(b, "subscriptions");
    for (size_t k = lo; subs && k < hi; k++)
        cJSON_AddItemToArray(subs, cJSON_CreateString(c->subs[k].sub.id));
    cJSON_AddStringToObject(b, "query", GRAPH_QUERY);
    cJSON *o = cJSON_AddObjectToObject(b, "options");
    cJSON_AddNumberToObject(o, "$top", GRAPH_TOP);
    cJSON_AddStringToObject(o, "resultFormat", "objectArray");
    if (skip_token)
        cJSON_AddStringToObject(o, "$skipToken", skip_token);
    char *text = cJSON_PrintUnformatted(b);
    cJSON_Delete(b);
    return text;
}

static void on_graph(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    size_t lo = TAG_SRV(r->user_tag), hi = TAG_DB(r->user_tag);
    char why[600];
    if (r->rc || r->status != 200) {
        describe_failure(r, why, sizeof why);
        graph_fail(c, lo, hi, why);
        return;
    }
    cJSON *root;
    const cJSON *data;
    const char *skip;
    bool truncated;
    TlError err = {{0}, {0}};
    TlResult rc = az_graph_parse(r->resp, &root, &data, &skip, &truncated, &err);
    if (!rc && truncated && !skip)
        rc = tl_error_set(&err, TL_ERR_DATA,
                          "$.resultTruncated: \"true\" without a $skipToken: a partial answer");
    int i = 0;
    for (const cJSON *row = rc ? NULL : data->child; row && !rc; row = row->next) {
        char path[48];
        snprintf(path, sizeof path, "$.data[%d]", i++);
        rc = graph_row(c, lo, hi, row, path, &err);
    }
    if (!rc && skip) {
        char *body = graph_body(c, lo, hi, skip);
        rc = body ? http_add(h, r->url, body, on_graph, c, r->user_tag, r->budget_key, &err)
                  : tl_error_set(&err, TL_ERR_NOMEM, "out of memory");
        free(body);
    }
    cJSON_Delete(root);
    if (rc == TL_ERR_NOMEM)
        fatal(c, rc, &err);
    if (rc) {
        snprintf(why, sizeof why, "%.300s: %.280s", r->url, err.msg);
        graph_fail(c, lo, hi, why);
    }
}

static TlResult graph_queries(Collect *c, TlError *err)
{
    char url[1200];
    TlResult rc = url_of(url, sizeof url, c->arm, "/providers/Microsoft.ResourceGraph/resources",
                         "api-version=" API_GRAPH, err);
    for (size_t lo = 0; lo < c->n_subs && !rc; lo += GRAPH_SUBS) {
        size_t hi = lo + GRAPH_SUBS < c->n_subs ? lo + GRAPH_SUBS : c->n_subs;
        char *body = graph_body(c, lo, hi, NULL);
        rc = body ? http_add(c->http, url, body, on_graph, c, TAG(lo, hi), "resource-graph", err)
                  : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        free(body);
    }
    return rc;
}

static void on_dbs(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    char why[600];
    if (!page(h, r, each_db, on_dbs, why, sizeof why))
        srv_fail(&c->servers[r->user_tag], why);
}

static TlResult url_of(char *out, size_t size, const char *arm, const char *path, const char *query,
                       TlError *err)
{
    int n = snprintf(out, size, "%s%s%s%s", arm, path, strchr(path, '?') ? "&" : "?", query);
    if (n < 0 || (size_t)n >= size)
        return tl_error_set(err, TL_ERR_DATA, "URL too long: %s%s", arm, path);
    return TL_OK;
}

/* Queue a GET of arm + path + query. */
static TlResult get(Collect *c, const char *path, const char *query, HttpDone done, long tag,
                    const char *budget, TlError *err)
{
    char url[2048];
    TlResult rc = url_of(url, sizeof url, c->arm, path, query, err);
    return rc ? rc : http_add(c->http, url, NULL, done, c, tag, budget, err);
}

static void ts(TlTime t, char *buf)
{
    tl_time_format(t, buf);
}

TlResult collect_discover(Collect *c, CollectLogFrom log_from, void *user, TlError *err)
{
    TlResult rc = TL_OK;
    if (c->n_only_subs == 0) {
        rc = get(c, "/subscriptions", "api-version=" API_SUBSCRIPTIONS, on_subs, 0, NULL, err);
        if (!rc)
            rc = http_run(c->http, err);
        if (!rc && c->fatal)
            rc = tl_error_set(err, c->fatal, "%s", c->fatal_err.msg);
        if (rc)
            return rc;
    } else {
        for (size_t i = 0; i < c->n_only_subs && !rc; i++) {
            AzSubscription s = {{0}, {0}, {0}};
            snprintf(s.id, sizeof s.id, "%s", c->only_subs[i]);
            rc = add_sub(c, &s, err);
        }
    }
    for (size_t i = 0; i < c->n_subs && !rc; i++) {
        CollectSub *s = &c->subs[i];
        char path[600];
        if (c->resource_group)
            snprintf(path, sizeof path,
                     "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/servers",
                     s->sub.id, c->resource_group);
        else
            snprintf(path, sizeof path, "/subscriptions/%s/providers/Microsoft.Sql/servers",
                     s->sub.id);
        if (!c->via_graph)
            rc = get(c, path, "api-version=" API_SQL, on_servers, (long)i, s->sub.id, err);
        /* the Activity Log's database writes since the last run (first run:
         * all 90 days), for who changed a tier */
        TlTime from = log_from ? log_from(user, s->sub.id) : TL_TIME_NONE;
        if (from == TL_TIME_NONE || from < c->now - LOG_BACKFILL_S + 3600)
            from = c->now - LOG_BACKFILL_S + 3600;
        else
            from -= LOG_OVERLAP_S;
        s->log_from = from;
        s->events_ok = true;
        char a[40], b[40], filter[200];
        ts(from, a);
        ts(c->now, b);
        snprintf(filter, sizeof filter,
                 "eventTimestamp ge '%s' and eventTimestamp le '%s' and resourceProvider eq "
                 "'Microsoft.Sql'",
                 a, b);
        CURL *e = curl_easy_init();
        char *f = e ? curl_easy_escape(e, filter, 0) : NULL;
        char q[700];
        snprintf(q, sizeof q,
                 "api-version=" API_ACTIVITY_LOG "&$filter=%s&$select=caller,correlationId,"
                 "eventDataId,eventTimestamp,operationName,resourceId,status",
                 f ? f : "");
        curl_free(f);
        if (e)
            curl_easy_cleanup(e);
        snprintf(path, sizeof path,
                 "/subscriptions/%s/providers/Microsoft.Insights/eventtypes/management/values",
                 s->sub.id);
        if (!rc)
            rc = get(c, path, q, on_events, (long)i, s->sub.id, err);
    }
    if (!rc && c->via_graph)
        rc = graph_queries(c, err);
    if (!rc)
        rc = http_run(c->http, err);
    for (size_t i = 0; i < c->n_servers && !rc && !c->via_graph; i++) {
        CollectServer *s = &c->servers[i];
        char path[1100];
        snprintf(path, sizeof path, "%s/databases", s->srv.id);
        rc = get(c, path, "api-version=" API_SQL, on_dbs, (long)i, c->subs[s->sub].sub.id, err);
    }
    if (!rc)
        rc = http_run(c->http, err);
    if (!rc && c->fatal)
        rc = tl_error_set(err, c->fatal, "%s", c->fatal_err.msg);
    return rc;
}

/* ---- details ------------------------------------------------------------ */

/* Hyperscale databases publish their size as base_blob_size_bytes. */
static bool is_hyperscale(const AzDatabase *d)
{
    return strstr(d->kind, "hyperscale") || strcasecmp(d->sku_tier, "Hyperscale") == 0;
}

static TlResult each_op(Collect *c, long tag, const cJSON *item, const char *path, TlError *err)
{
    CollectDb *d = &c->servers[TAG_SRV(tag)].dbs[TAG_DB(tag)];
    AzOperation op;
    TlResult rc = az_operation_from(item, path, &op, err);
    if (!rc)
        rc = grow((void **)&d->ops, &d->cap_ops, d->n_ops, sizeof *d->ops, err);
    if (!rc)
        d->ops[d->n_ops++] = op;
    return rc;
}

static void on_ops(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    char why[600];
    if (!page(h, r, each_op, on_ops, why, sizeof why))
        srv_fail(&c->servers[TAG_SRV(r->user_tag)], why);
}

static void on_retention(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectServer *s = &c->servers[TAG_SRV(r->user_tag)];
    char why[600];
    if (r->rc || r->status != 200) {
        describe_failure(r, why, sizeof why);
        srv_fail(s, why);
        return;
    }
    TlError err = {{0}, {0}};
    if (az_retention_parse(r->resp, &s->dbs[TAG_DB(r->user_tag)].retention_days, &err)) {
        snprintf(why, sizeof why, "%.300s: %.280s", r->url, err.msg);
        srv_fail(s, why);
    }
}

static void on_links(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectServer *s = &c->servers[TAG_SRV(r->user_tag)];
    char why[600];
    if (r->rc || r->status != 200) {
        describe_failure(r, why, sizeof why);
        srv_fail(s, why);
        return;
    }
    TlError err = {{0}, {0}};
    bool geo;
    int links;
    if (az_geo_links_parse(r->resp, &geo, &links, &err)) {
        snprintf(why, sizeof why, "%.300s: %.280s", r->url, err.msg);
        srv_fail(s, why);
        return;
    }
    s->dbs[TAG_DB(r->user_tag)].geo_links = geo ? 1 : 0;
}

/* Which figures a database's metrics give (azure-api.md "Storage and backup
 * metrics"): Hyperscale: data storage (its allocated size), data and log
 * backups; DTU (B2: backups are in the price, the backup metrics are
 * documented for vCore only): allocated size; other vCore: allocated size
 * and full, differential and log backups. */
static bool is_dtu(const AzDatabase *d)
{
    const char *tier = d->current_sku_tier[0] ? d->current_sku_tier : d->sku_tier;
    return strcasecmp(tier, "Basic") == 0 || strcasecmp(tier, "Standard") == 0 ||
           strcasecmp(tier, "Premium") == 0;
}

static const char *metric_names(const AzDatabase *d)
{
    if (is_hyperscale(d))
        return "base_blob_size_bytes,snapshot_backup_size_bytes,log_backup_size_bytes";
    if (is_dtu(d))
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
    char why[600], names[200];
    url_metric_names(r->url, names, sizeof names);
    if (split_metric_call(h, r, on_metric, names))
        return;
    if (r->rc || r->status != 200) {
        describe_failure(r, why, sizeof why);
        fprintf(stderr, "tierledger collect: warning: sizes of %s unknown: %s\n", d->db.name, why);
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
    char why[600];
    TlError err = {{0}, {0}};
    bool failed = false;
    int64_t avg[COLLECT_USAGE_DAYS]; /* the max data size: its peak counts */
    if (r->rc || r->status != 200)
        describe_failure(r, why, sizeof why);
    else if (az_metric_days(r->resp, "storage_limit", c->usage_day0, COLLECT_USAGE_DAYS, avg,
                            p->max_bytes, &failed, &err))
        snprintf(why, sizeof why, "%.300s: %.280s", r->url, err.msg);
    else
        return;
    fprintf(stderr, "tierledger collect: warning: max size of pool %s unknown: %s\n", p->id, why);
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
    return get(c, path, q, done, tag, budget, err);
}

/* Daily sizes of a detailed database, and the max size of its pool when
 * its backups bill at pool level (B1: vCore, not Hyperscale). */
static TlResult ask_sizes(Collect *c, size_t i, size_t j, const char *budget, TlError *err)
{
    CollectServer *s = &c->servers[i];
    CollectDb *d = &s->dbs[j];
    d->usage = malloc(COLLECT_USAGE_DAYS * sizeof *d->usage);
    if (!d->usage)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (int k = 0; k < COLLECT_USAGE_DAYS; k++)
        d->usage[k] = (CollectUsage){-1, -1, -1, -1, -1};
    d->usage_from = d->known < 0 ? 0 : COLLECT_USAGE_DAYS - COLLECT_USAGE_RECENT;
    TlResult rc =
        metric_call(c, d->db.id, "Microsoft.Sql%2Fservers%2Fdatabases", metric_names(&d->db),
                    "average%2Cmaximum", d->usage_from, on_metric, TAG(i, j), budget, err);
    if (rc || !d->db.elastic_pool_id[0] || is_hyperscale(&d->db) || is_dtu(&d->db))
        return rc;
    size_t k = 0;
    while (k < s->n_pools && strcasecmp(s->pools[k].id, d->db.elastic_pool_id) != 0)
        k++;
    if (k == s->n_pools) {
        rc = grow((void **)&s->pools, &s->cap_pools, s->n_pools, sizeof *s->pools, err);
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
        rc = grow((void **)&s->dropped, &s->cap_dropped, s->n_dropped, sizeof *s->dropped, err);
    if (!rc)
        s->dropped[s->n_dropped++] = d;
    return rc;
}

static void on_dropped(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    char why[600];
    if (!page(h, r, each_dropped, on_dropped, why, sizeof why))
        srv_fail(&c->servers[r->user_tag], why);
    else
        c->servers[r->user_tag].dropped_ok = true;
}

static void on_confirm(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectServer *s = &c->servers[TAG_SRV(r->user_tag)];
    CollectGone *g = &s->gone[TAG_DB(r->user_tag)];
    char why[600];
    if (!r->rc && r->status == 404) {
        g->confirmed = true;
    } else if (!r->rc && r->status == 200) {
        g->still_there = true; /* the list was partial: never a drop */
    } else {
        describe_failure(r, why, sizeof why);
        srv_fail(s, why);
    }
}

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

TlResult collect_details(Collect *c, TlError *err)
{
    char path[1200];
    TlResult rc = TL_OK;
    /* finished UTC days only: the current one is partial (azure-api.md) */
    c->usage_day0 = c->now - c->now % 86400 - (TlTime)COLLECT_USAGE_DAYS * 86400;
    for (size_t i = 0; i < c->n_servers && !rc; i++) {
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
            rc = get(c, path, "api-version=" API_SQL, on_ops, TAG(i, j), budget, err);
            snprintf(path, sizeof path, "%s/backupShortTermRetentionPolicies/default", d->db.id);
            if (!rc)
                rc = get(c, path, "api-version=" API_SQL, on_retention, TAG(i, j), budget, err);
            snprintf(path, sizeof path, "%s/replicationLinks", d->db.id);
            if (!rc)
                rc = get(c, path, "api-version=" API_SQL, on_links, TAG(i, j), budget, err);
            if (!rc)
                rc = ask_sizes(c, i, j, budget, err);
        }
        for (size_t k = 0; k < s->n_pools && !rc; k++)
            rc = metric_call(c, s->pools[k].id, "Microsoft.Sql%2Fservers%2FelasticPools",
                             "storage_limit", "maximum", s->pools[k].usage_from, on_pool_metric,
                             TAG(i, k), budget, err);
        /* stored lineages missing from the (complete) list */
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
                rc = get(c, kn->resource_id, "api-version=" API_SQL, on_confirm, TAG(i, s->n_gone),
                         budget, err);
            }
            s->n_gone++;
        }
        if (!rc && s->n_gone > 0) {
            snprintf(path, sizeof path, "%s/restorableDroppedDatabases", s->srv.id);
            rc = get(c, path, "api-version=" API_SQL, on_dropped, (long)i, budget, err);
        }
    }
    if (!rc)
        rc = http_run(c->http, err);
    if (!rc && c->fatal)
        rc = tl_error_set(err, c->fatal, "%s", c->fatal_err.msg);
    if (rc)
        return rc;
    for (size_t i = 0; i < c->n_servers; i++) {
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

void collect_free(Collect *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_subs; i++)
        free(c->subs[i].events);
    for (size_t i = 0; i < c->n_servers; i++) {
        CollectServer *s = &c->servers[i];
        for (size_t j = 0; j < s->n_dbs; j++) {
            az_database_cleanup(&s->dbs[j].db);
            free(s->dbs[j].ops);
            free(s->dbs[j].usage);
        }
        free(s->pools);
        free(s->dbs);
        free(s->known);
        free(s->gone);
        free(s->dropped);
    }
    free(c->subs);
    free(c->servers);
    c->subs = NULL;
    c->servers = NULL;
    c->n_subs = c->n_servers = 0;
}
