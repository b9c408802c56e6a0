/* collect.c - what one collector run keeps (collect.h): releasing it, and
 * reading it in the terms the store records. The requests are in
 * discover.c and details.c, the list reader in list.c. */
#include "collector/collect.h"

#include "collector/mi.h"

#include <stdlib.h>
#include <strings.h>

/* What server s holds of its databases and their details. */
static void release_server(CollectServer *s)
{
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
    s->pools = NULL;
    s->dbs = NULL;
    s->known = NULL;
    s->gone = NULL;
    s->dropped = NULL;
    s->n_pools = s->cap_pools = s->n_dbs = s->cap_dbs = s->n_known = s->n_gone = 0;
    s->n_dropped = s->cap_dropped = 0;
}

void collect_release(Collect *c, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi && i < c->n_servers; i++)
        release_server(&c->servers[i]);
}

void collect_cleanup(Collect *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_subs; i++) {
        free(c->subs[i].events);
        free(c->subs[i].error);
        free(c->subs[i].mi_error);
        free(c->subs[i].mi_log);
    }
    collect_mi_cleanup(c);
    for (size_t i = 0; i < c->n_servers; i++) {
        release_server(&c->servers[i]);
        free(c->servers[i].error);
    }
    for (size_t k = 0; k < c->n_graph_seen; k++)
        free(c->graph_seen[k]);
    free(c->graph_seen);
    c->graph_seen = NULL;
    c->n_graph_seen = 0;
    free(c->subs);
    free(c->servers);
    c->subs = NULL;
    c->servers = NULL;
    c->n_subs = c->n_servers = 0;
}

/* D9 (L7): same resource id and same creation. */
TlResult collect_attach_known(CollectServer *s, const TlKnownLineage *known, size_t n, TlError *err)
{
    if (!(s->known = calloc(n + 1, sizeof *s->known)))
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t m = 0; m < n; m++)
        s->known[s->n_known++] = known[m];
    for (size_t j = 0; j < s->n_dbs; j++) {
        s->dbs[j].known = -1;
        for (size_t m = 0; m < s->n_known; m++)
            if (strcasecmp(s->known[m].resource_id, s->dbs[j].db.id) == 0 &&
                s->known[m].created_at == s->dbs[j].db.created_at)
                s->dbs[j].known = (int)m;
    }
    return TL_OK;
}

static void derive_input(const Collect *c, const CollectServer *s, const CollectDb *d,
                         const TlTransition *recorded, size_t n_recorded, DeriveInput *out)
{
    const CollectKnown *kn = d->known >= 0 ? &s->known[d->known] : NULL;
    const CollectSub *sub = &c->subs[s->sub];
    *out = (DeriveInput){
        .recorded = recorded,
        .n_recorded = n_recorded,
        .first_sight = d->known < 0,
        .created_at = d->db.created_at,
        .observed_objective = kn && kn->observed ? kn->objective : NULL,
        .observed_at = kn && kn->observed ? kn->observed_at : TL_TIME_NONE,
        .db = &d->db,
        .ops = d->ops,
        .n_ops = d->n_ops,
        .ops_read = d->details_ok,
        .events = sub->events,
        .n_events = sub->n_events,
        .now = c->now,
    };
}

TlResult collect_derive(const Collect *c, const CollectServer *s, const CollectDb *d,
                        const TlTransition *recorded, size_t n_recorded, DeriveRow **rows,
                        size_t *n, TlError *err)
{
    size_t max = d->n_ops + n_recorded + DERIVE_EXTRA_ROWS;
    *n = 0;
    if (!(*rows = calloc(max, sizeof **rows)))
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    DeriveInput in;
    derive_input(c, s, d, recorded, n_recorded, &in);
    TlResult rc = derive_transitions(&in, *rows, max, n, err);
    if (rc == TL_ERR_DATA)
        tl_error_prefix(err, "server %s (subscription %s)", s->srv.name, s->srv.subscription);
    return rc;
}

int collect_geo_replication(const CollectDb *d)
{
    /* the replication links when read this run; a geo secondary knows it is
     * one; otherwise what was known before */
    return d->geo_links > 0 || strcasecmp(d->db.secondary_type, "Geo") == 0 ? 1
           : d->geo_links == 0                                              ? 0
                                                                            : -1;
}

const char *collect_geo_role(const CollectDb *d, int *secondaries)
{
    *secondaries = -1;
    if (strcasecmp(d->db.secondary_type, "Geo") == 0)
        return "secondary"; /* its own secondaries (chaining) are not told by its links */
    if (d->geo_links < 0)
        return NULL;
    *secondaries = d->geo_links; /* a primary has one link per geo-secondary */
    return d->geo_links > 0 ? "primary" : "none";
}

/* D12 */
bool collect_usage_day(const Collect *c, const CollectServer *s, const CollectDb *d, int k,
                       CollectUsageDay *out)
{
    if (!d->usage || k < d->usage_from || k >= COLLECT_USAGE_DAYS)
        return false;
    const CollectUsage *u = &d->usage[k];
    TlTime day = c->usage_day0 + (TlTime)k * 86400;
    if (day + 86400 <= d->db.created_at ||
        (u->full < 0 && u->diff < 0 && u->log < 0 && u->snapshot < 0 && u->allocated < 0))
        return false;
    const CollectPool *pool = NULL;
    for (size_t p = 0; p < s->n_pools && d->db.elastic_pool_id[0]; p++)
        if (strcasecmp(s->pools[p].id, d->db.elastic_pool_id) == 0)
            pool = &s->pools[p];
    out->day = day;
    out->u = *u;
    out->max_bytes = pool                 ? pool->max_bytes[k]
                     : d->db.has_max_size ? d->db.max_size_bytes
                                          : COLLECT_NO_BYTES;
    return true;
}

/* D11 */
TlTime collect_drop_time(const CollectServer *s, const CollectGone *g, TlTime now,
                         const char **source)
{
    const CollectKnown *k = &s->known[g->known];
    if (g->dropped_at != TL_TIME_NONE) {
        *source = "restorable_dropped";
        return g->dropped_at;
    }
    *source = "observed";
    TlTime at = now;
    /* re-created: it was gone before the new one was created */
    for (size_t j = 0; g->recreated && j < s->n_dbs; j++)
        if (strcasecmp(s->dbs[j].db.id, k->resource_id) == 0 &&
            s->dbs[j].db.created_at > k->created_at && s->dbs[j].db.created_at < at)
            at = s->dbs[j].db.created_at;
    return at;
}
