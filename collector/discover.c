/* discover.c - the first phase of a collector run (collect.h): the
 * subscriptions (or the ones asked for), their SQL servers and databases
 * (through ARM lists or Resource Graph queries), and each subscription's
 * Activity Log of database writes. A subscription whose server list fails
 * is marked failed, with the URL and the reason; the others go on. */
#include <ctype.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/list.h"

#define LOG_OVERLAP_S  3600           /* re-read the last hour of Activity Log */
#define LOG_BACKFILL_S (90L * 86400L) /* what Azure keeps */

/* ---- subscriptions ------------------------------------------------------ */

static TlResult add_sub(Collect *c, const AzSubscription *s, TlError *err)
{
    for (size_t i = 0; i < c->n_subs; i++)
        if (strcasecmp(c->subs[i].sub.id, s->id) == 0)
            return TL_OK; /* a page repeated */
    TlResult rc = collect_grow((void **)&c->subs, &c->cap_subs, c->n_subs, sizeof *c->subs, err);
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
    TlError why;
    if (!list_page(h, r, each_sub, &why) && !c->subs_failed) {
        c->subs_failed = true;
        c->subs_error = why;
        tl_error_prefix(&c->subs_error, "subscriptions");
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
    rc = collect_grow((void **)&c->servers, &c->cap_servers, c->n_servers, sizeof *c->servers, err);
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
    TlError why;
    if (!list_page(h, r, each_server, &why))
        collect_sub_fail(c, &c->subs[r->user_tag], &why);
}

static TlResult each_event(Collect *c, long tag, const cJSON *item, const char *path, TlError *err)
{
    CollectSub *s = &c->subs[tag];
    AzEvent e;
    TlResult rc = az_event_from(item, path, &e, err);
    if (rc)
        return rc;
    if (strncasecmp(e.operation, "Microsoft.Sql/managedInstances/", 31) == 0) { /* collector/mi.h */
        rc = collect_grow((void **)&s->mi_log, &s->cap_mi_log, s->n_mi_log, sizeof *s->mi_log, err);
        if (!rc)
            s->mi_log[s->n_mi_log++] = e;
        return rc;
    }
    if (strcasecmp(e.operation, "Microsoft.Sql/servers/databases/write") != 0 || !e.caller[0])
        return TL_OK;
    rc = collect_grow((void **)&s->events, &s->cap_events, s->n_events, sizeof *s->events, err);
    if (!rc)
        s->events[s->n_events++] = e;
    return rc;
}

static void on_events(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    TlError why;
    if (!list_page(h, r, each_event, &why)) {
        /* who changed a tier is a nicety; its failure does not fail the run */
        c->subs[r->user_tag].events_ok = false;
        fprintf(stderr, "tierledger collect: warning: activity log of subscription %s: %s\n",
                c->subs[r->user_tag].sub.id, why.msg);
    }
}

/* ---- databases ---------------------------------------------------------- */

/* Takes db (its owned strings) whatever happens. */
static TlResult add_db(Collect *c, CollectServer *s, AzDatabase *db, TlError *err)
{
    if (db->system) { /* master: kind "v12.0,system" */
        az_database_cleanup(db);
        return TL_OK;
    }
    TlResult rc = collect_grow((void **)&s->dbs, &s->cap_dbs, s->n_dbs, sizeof *s->dbs, err);
    if (rc) {
        az_database_cleanup(db);
        return rc;
    }
    CollectDb *d = &s->dbs[s->n_dbs++];
    memset(d, 0, sizeof *d);
    c->n_dbs_listed++;
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
    return rc ? rc : add_db(c, &c->servers[tag], &db, err);
}

/* ---- Resource Graph (--via resource-graph) ------------------------------ */

/* azure-api.md 0: batch subscriptions (< 300 per query); pages of 1000 rows,
 * sorted so pages are stable (7b, id last) and each server's rows come
 * together (by sqlServer, its lower-case id: by id alone, ".../servers/a-b"
 * would come between ".../servers/a" and ".../servers/a/databases/x"). The
 * pages are read a batch at a time (collect_list_batch): a run holds one
 * batch of databases, not every one the query lists. */
#define GRAPH_SUBS 200
#define GRAPH_TOP  1000
#define GRAPH_QUERY                                                                                \
    "Resources | where type in~ ('microsoft.sql/servers', 'microsoft.sql/servers/databases')"      \
    " | extend sqlServer = tolower(iff(type =~ 'microsoft.sql/servers', id,"                       \
    " substring(id, 0, indexof(tolower(id), '/databases/'))))"                                     \
    " | project id, name, type, kind, location, sku, properties, tags, sqlServer"                  \
    " | order by sqlServer asc, id asc"

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
    if ((*rc = collect_grow((void **)&c->servers, &c->cap_servers, c->n_servers, sizeof *c->servers,
                            err)))
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
    return add_db(c, cs, &db, err);
}

/* The query of subs[c->graph_lo, ...) is read to its end (or failed): the
 * next one starts at its first page. */
static void graph_next_query(Collect *c, size_t hi)
{
    c->graph_lo = hi;
    c->graph_open = false;
    c->graph_rows = 0;
    for (size_t k = 0; k < c->n_graph_seen; k++)
        free(c->graph_seen[k]);
    c->n_graph_seen = 0;
}

static void graph_fail(Collect *c, size_t lo, size_t hi, const TlError *why)
{
    for (size_t k = lo; k < hi; k++)
        collect_sub_fail(c, &c->subs[k], why);
    graph_next_query(c, hi);
}

/* The page's $skipToken becomes the query's next page, unless that page was
 * already read (a loop) or the query has read LIST_MAX_PAGES. */
static TlResult graph_skip(Collect *c, const char *skip, TlError *err)
{
    for (size_t k = 0; k < c->n_graph_seen; k++)
        if (strcmp(c->graph_seen[k], skip) == 0)
            return tl_error_set(err, TL_ERR_DATA,
                                "$.$skipToken: a page this query already read (a loop): stopped");
    if (c->n_graph_seen + 1 >= LIST_MAX_PAGES)
        return tl_error_set(err, TL_ERR_DATA, "$.$skipToken: more than %d pages: stopped",
                            LIST_MAX_PAGES);
    char *copy = strdup(skip);
    TlResult rc = copy ? collect_grow((void **)&c->graph_seen, &c->cap_graph_seen, c->n_graph_seen,
                                      sizeof *c->graph_seen, err)
                       : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    if (rc) {
        free(copy);
        return rc;
    }
    c->graph_seen[c->n_graph_seen++] = copy; /* the last is the next page's */
    c->graph_open = true;                    /* the page's last server may go on on the next */
    return TL_OK;
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
    (void)h;
    Collect *c = r->user;
    size_t lo = TAG_SRV(r->user_tag), hi = TAG_DB(r->user_tag);
    TlError why;
    if (r->rc || r->status != 200) {
        collect_request_error(r, &why);
        graph_fail(c, lo, hi, &why);
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
    c->graph_rows += i;
    /* the query's last page: every row it matched must have come (a page
     * ending it short, with neither rows nor a $skipToken, would make the
     * servers not yet read look empty, their databases dropped) */
    const cJSON *total = rc ? NULL : cJSON_GetObjectItemCaseSensitive(root, "totalRecords");
    if (!rc && !skip && cJSON_IsNumber(total) && (double)c->graph_rows < total->valuedouble)
        rc =
            tl_error_set(&err, TL_ERR_DATA,
                         "$.totalRecords: %.0f rows matched the query, %lld came: a partial answer",
                         total->valuedouble, c->graph_rows);
    if (!rc && skip)
        rc = graph_skip(c, skip, &err);
    else if (!rc)
        graph_next_query(c, hi);
    cJSON_Delete(root);
    if (rc == TL_ERR_NOMEM)
        collect_fatal(c, rc, &err);
    if (rc) {
        why = err;
        tl_error_prefix(&why, "%s", r->url);
        graph_fail(c, lo, hi, &why);
    }
}

/* The next page of the query being read: subs[graph_lo, graph_lo +
 * GRAPH_SUBS), from the last $skipToken it read (none: its first page). */
static TlResult graph_page(Collect *c, TlError *err)
{
    char url[1200];
    size_t lo = c->graph_lo, hi = lo + GRAPH_SUBS < c->n_subs ? lo + GRAPH_SUBS : c->n_subs;
    TlResult rc =
        collect_url(url, sizeof url, c->arm, "/providers/Microsoft.ResourceGraph/resources",
                    "api-version=" API_GRAPH, err);
    char *body =
        rc ? NULL
           : graph_body(c, lo, hi, c->n_graph_seen ? c->graph_seen[c->n_graph_seen - 1] : NULL);
    if (!rc)
        rc = body ? http_add(c->http, url, body, on_graph, c, TAG(lo, hi), "resource-graph", err)
                  : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    free(body);
    if (!rc)
        rc = http_run(c->http, err);
    if (!rc && c->fatal)
        rc = tl_error_set(err, c->fatal, "%s", c->fatal_err.msg);
    return rc;
}

/* collect_list_batch through Resource Graph: pages are read until the
 * servers finished (all but a last one the next page may go on with) hold
 * batch_dbs databases, or every query is read. */
static TlResult graph_batch(Collect *c, size_t lo, size_t *hi, size_t want, TlError *err)
{
    TlResult rc = TL_OK;
    for (;;) {
        size_t done = c->graph_open && c->n_servers > lo ? c->n_servers - 1 : c->n_servers;
        size_t held = 0, end = lo;
        while (end < done && (end == lo || held < want)) /* the rest wait listed */
            held += c->servers[end++].n_dbs;
        *hi = end;
        if (rc || c->graph_lo >= c->n_subs || (end > lo && held >= want))
            return rc;
        rc = graph_page(c, err);
        if (rc)
            *hi = c->n_servers;
    }
}

bool collect_more(const Collect *c)
{
    return c->via_graph && c->graph_lo < c->n_subs;
}

void collect_list_abandon(Collect *c, const TlError *why)
{
    while (collect_more(c))
        graph_fail(c, c->graph_lo, c->n_subs, why);
}

static void on_dbs(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    TlError why;
    if (!list_page(h, r, each_db, &why))
        collect_server_fail(c, &c->servers[r->user_tag], &why);
}
static void ts(TlTime t, char *buf)
{
    tl_time_format(t, buf);
}

TlResult collect_discover(Collect *c, CollectLogFrom log_from, void *user, TlError *err)
{
    TlResult rc = TL_OK;
    if (c->n_only_subs == 0) {
        rc = collect_get(c, "/subscriptions", "api-version=" API_SUBSCRIPTIONS, on_subs, 0, NULL,
                         err);
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
    if (!rc && c->shard_n > 0) { /* --shard K/N: keep this shard's subscriptions */
        size_t kept = 0;
        for (size_t i = 0; i < c->n_subs; i++) {
            if (collect_shard_of(c->subs[i].sub.id, c->shard_n) == c->shard_k)
                c->subs[kept++] = c->subs[i];
            else {
                free(c->subs[i].error);
                free(c->subs[i].events);
                free(c->subs[i].mi_log);
            }
        }
        c->n_subs = kept;
    }
    if (!rc && c->claim)
        rc = c->claim(c->claim_user, c->subs, c->n_subs, err);
    for (size_t i = 0; i < c->n_subs && !rc; i++) {
        CollectSub *s = &c->subs[i];
        char path[600];
        collect_provider_path(c, s->sub.id, "servers", path, sizeof path);
        if (!c->via_graph)
            rc = collect_get(c, path, "api-version=" API_SQL, on_servers, (long)i, s->sub.id, err);
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
                 "eventDataId,eventTimestamp,operationName,properties,resourceId,status",
                 f ? f : "");
        curl_free(f);
        if (e)
            curl_easy_cleanup(e);
        snprintf(path, sizeof path,
                 "/subscriptions/%s/providers/Microsoft.Insights/eventtypes/management/values",
                 s->sub.id);
        if (!rc)
            rc = collect_get(c, path, q, on_events, (long)i, s->sub.id, err);
    }
    if (!rc)
        rc = http_run(c->http, err);
    if (!rc && c->fatal)
        rc = tl_error_set(err, c->fatal, "%s", c->fatal_err.msg);
    return rc;
}

/* Servers [lo, *hi) hold about batch_dbs databases: ARM lists go out a
 * round of servers at a time, sized by the databases per server listed so
 * far (the first round: COLLECT_LIST_FIRST servers), so the batch overshoots
 * by about one server's list at most, and never by more than
 * COLLECT_LIST_ROUND servers. A server of a failed subscription is not
 * listed (nothing of it is written). */
TlResult collect_list_batch(Collect *c, size_t lo, size_t *hi, TlError *err)
{
    size_t want = c->batch_dbs ? c->batch_dbs : COLLECT_BATCH_DBS;
    size_t held = 0, end = lo, round = want < COLLECT_LIST_FIRST ? want : COLLECT_LIST_FIRST;
    TlResult rc = TL_OK;
    if (c->via_graph)
        return graph_batch(c, lo, hi, want, err);
    while (!rc && end < c->n_servers && (held < want || end == lo)) {
        size_t stop = c->n_servers - end < round ? c->n_servers : end + round;
        for (size_t i = end; i < stop && !rc; i++) {
            CollectServer *s = &c->servers[i];
            if (c->subs[s->sub].failed)
                continue;
            char path[1100];
            snprintf(path, sizeof path, "%s/databases", s->srv.id);
            rc = collect_get(c, path, "api-version=" API_SQL, on_dbs, (long)i,
                             c->subs[s->sub].sub.id, err);
        }
        if (!rc)
            rc = http_run(c->http, err);
        if (!rc && c->fatal)
            rc = tl_error_set(err, c->fatal, "%s", c->fatal_err.msg);
        for (; end < stop; end++)
            held += c->servers[end].n_dbs;
        size_t per_server = held / (end - lo) + 1;
        round = held < want ? (want - held) / per_server : 1;
        round = round < 1 ? 1 : round > COLLECT_LIST_ROUND ? COLLECT_LIST_ROUND : round;
    }
    *hi = end;
    return rc;
}

int collect_shard_of(const char *subscription, int n)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a 64 */
    for (const char *p = subscription; *p; p++) {
        h ^= (uint64_t)(unsigned char)tolower((unsigned char)*p);
        h *= 1099511628211u;
    }
    return n > 0 ? (int)(h % (uint64_t)n) : 0;
}

bool collect_shard_parse(const char *text, int *k, int *n)
{
    char tail;
    if (!text || sscanf(text, "%d/%d%c", k, n, &tail) != 2)
        return false;
    return *n >= 1 && *n <= 1024 && *k >= 0 && *k < *n;
}
