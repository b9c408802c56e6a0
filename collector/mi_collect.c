/* mi_collect.c - the Managed Instance reads of a collector run (mi.h,
 * azure-api-mi.md). Everything of an instance is read on every run: the
 * polling table asks for the instance, its databases and, while they last,
 * its operations hourly; two calls per database (short-term and LTR
 * retention), one per restorable dropped database and one LTR backup list
 * per instance (MI's database limit per instance is not in ../shared;
 * docs/scaling.md counts the reads). A failed read fails its instance
 * (nothing of it is recorded), except a retention policy or the LTR backup
 * list, whose failure is a warning: it waits for the next run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/list.h"
#include "collector/mi.h"

#define MI_LINKS_PER_DAG 64

static bool wanted(const Collect *c, const char *resource_group)
{
    return !c->resource_group || strcasecmp(c->resource_group, resource_group) == 0;
}

static CollectMi *add_mi(Collect *c, int sub, const AzManagedInstance *mi, TlError *err)
{
    if (collect_grow((void **)&c->mis, &c->cap_mis, c->n_mis, sizeof *c->mis, err))
        return NULL;
    CollectMi *m = &c->mis[c->n_mis++];
    memset(m, 0, sizeof *m);
    m->mi = *mi;
    m->sub = sub;
    return m;
}

/* ---- instances -------------------------------------------------------------- */

static TlResult each_instance(Collect *c, long tag, const cJSON *item, const char *path,
                              TlError *err)
{
    AzManagedInstance mi;
    TlResult rc = az_managed_instance_from(item, path, &mi, err);
    if (rc || !wanted(c, mi.resource_group))
        return rc;
    for (size_t i = 0; i < c->n_mis; i++)
        if (strcasecmp(c->mis[i].mi.id, mi.id) == 0)
            return TL_OK; /* a page repeated */
    CollectMi *m = add_mi(c, (int)tag, &mi, err);
    if (!m)
        return TL_ERR_NOMEM;
    m->listed = true;
    return TL_OK;
}

static void on_instances(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    CollectSub *s = &c->subs[r->user_tag];
    TlError why;
    if (list_page(h, r, each_instance, &why))
        return;
    s->mi_listed = false; /* true from the first request: every page must answer */
    tl_error_prefix(&why, "managed instances of subscription %s", s->sub.id);
    if (!s->mi_error && !(s->mi_error = malloc(sizeof *s->mi_error)))
        collect_fatal(c, TL_ERR_NOMEM, &(TlError){"out of memory", ""});
    else if (s->mi_error)
        *s->mi_error = why;
}

/* ---- what each instance holds --------------------------------------------------- */

static const char *const system_databases[] = {"master", "model", "msdb", "tempdb", NULL};

static TlResult each_db(Collect *c, long tag, const cJSON *item, const char *path, TlError *err)
{
    CollectMi *m = &c->mis[tag];
    AzManagedDatabase db;
    TlResult rc = az_managed_database_from(item, path, &db, err);
    for (size_t k = 0; !rc && system_databases[k]; k++)
        if (strcasecmp(db.name, system_databases[k]) == 0)
            return TL_OK;
    if (!rc)
        rc = collect_grow((void **)&m->dbs, &m->cap_dbs, m->n_dbs, sizeof *m->dbs, err);
    if (!rc) {
        CollectMiDb *d = &m->dbs[m->n_dbs++];
        memset(d, 0, sizeof *d);
        d->db = db;
    }
    return rc;
}

static TlResult each_op(Collect *c, long tag, const cJSON *item, const char *path, TlError *err)
{
    CollectMi *m = &c->mis[tag];
    TlResult rc = collect_grow((void **)&m->ops, &m->cap_ops, m->n_ops, sizeof *m->ops, err);
    if (!rc && !(rc = az_mi_operation_from(item, path, &m->ops[m->n_ops], err)))
        m->n_ops++;
    return rc;
}

static TlResult each_dropped(Collect *c, long tag, const cJSON *item, const char *path,
                             TlError *err)
{
    CollectMi *m = &c->mis[tag];
    TlResult rc =
        collect_grow((void **)&m->dropped, &m->cap_dropped, m->n_dropped, sizeof *m->dropped, err);
    if (!rc && !(rc = az_dropped_from(item, path, &m->dropped[m->n_dropped], err)))
        m->n_dropped++;
    return rc;
}

static TlResult each_link(Collect *c, long tag, const cJSON *item, const char *path, TlError *err)
{
    CollectMi *m = &c->mis[tag];
    AzMiLinkDatabase got[MI_LINKS_PER_DAG];
    size_t n = 0;
    TlResult rc = az_mi_link_from(item, path, got, MI_LINKS_PER_DAG, &n, err);
    for (size_t k = 0; k < n && !rc; k++)
        if (!(rc = collect_grow((void **)&m->links, &m->cap_links, m->n_links, sizeof *m->links,
                                err)))
            m->links[m->n_links++] = got[k];
    return rc;
}

#define ON_LIST(fn, each)                                                                          \
    static void fn(HttpClient *h, HttpRequest *r)                                                  \
    {                                                                                              \
        Collect *c = r->user;                                                                      \
        TlError why;                                                                               \
        if (!list_page(h, r, each, &why))                                                          \
            collect_mi_fail(c, &c->mis[r->user_tag], &why);                                        \
    }
ON_LIST(on_dbs, each_db)
ON_LIST(on_ops, each_op)
ON_LIST(on_dropped, each_dropped)
ON_LIST(on_links, each_link)

static TlResult each_ltr_backup(Collect *c, long tag, const cJSON *item, const char *path,
                                TlError *err)
{
    CollectMi *m = &c->mis[tag];
    TlResult rc = collect_grow((void **)&m->ltr, &m->cap_ltr, m->n_ltr, sizeof *m->ltr, err);
    if (!rc && !(rc = az_mi_ltr_backup_from(item, path, &m->ltr[m->n_ltr], err)))
        m->n_ltr++;
    return rc;
}

/* MI-A11: a failed page is a warning: nothing of the LTR inventory is
 * derived this run (a backup missing from a partial list is not gone). */
static void on_ltr_backups(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    CollectMi *m = &c->mis[r->user_tag];
    TlError why;
    if (list_page(h, r, each_ltr_backup, &why))
        return;
    if (m->ltr_listed)
        fprintf(stderr, "tierledger collect: warning: LTR backups of %s unknown this run: %s\n",
                m->mi.id, why.msg);
    m->ltr_listed = false;
}

/* ---- what each database needs ------------------------------------------------------ */

/* A read whose failure is a warning (the policies): the answer to parse
 * when the request succeeded, else NULL with *why set. */
static const char *answer(const HttpRequest *r, TlError *why)
{
    *why = (TlError){{0}, {0}};
    if (!r->rc && r->status == 200)
        return r->resp;
    collect_request_error(r, why);
    return NULL;
}

/* What parse said of the answer (rc), the request's failure before it: said
 * once on stderr ("WHAT of ID unknown this run"); true when it was read. */
static bool read_or_warn(const HttpRequest *r, TlResult rc, TlError *why, const char *what,
                         const char *id)
{
    if (rc)
        tl_error_prefix(why, "%s", r->url);
    if (!why->msg[0])
        return true;
    fprintf(stderr, "tierledger collect: warning: %s of %s unknown this run: %s\n", what, id,
            why->msg);
    return false;
}

static void on_retention(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectMiDb *d = &c->mis[TAG_SRV(r->user_tag)].dbs[TAG_DB(r->user_tag)];
    TlError why;
    const char *text = answer(r, &why);
    read_or_warn(r, text ? az_retention_parse(text, &d->retention_days, &why) : TL_OK, &why,
                 "retention", d->db.id);
}

static void on_ltr(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectMiDb *d = &c->mis[TAG_SRV(r->user_tag)].dbs[TAG_DB(r->user_tag)];
    TlError why;
    const char *text = answer(r, &why);
    d->ltr_read = read_or_warn(r, text ? az_mi_ltr_policy_parse(text, &d->ltr, &why) : TL_OK, &why,
                               "LTR policy", d->db.id);
}

/* MI-A8: a dropped database's retention policy list (its "default" item:
 * retentionDays 0-35). A failure is a warning, as for a live database's. */
static void on_dropped_retention(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectMi *m = &c->mis[TAG_SRV(r->user_tag)];
    size_t k = (size_t)TAG_DB(r->user_tag);
    TlError why;
    const char *text = answer(r, &why);
    read_or_warn(r, text ? az_dropped_retention_parse(text, &m->dropped_days[k], &why) : TL_OK,
                 &why, "retention", m->dropped[k].id);
}

/* 200 is read by parse, 404 is "none"; anything else fails the instance. */
static bool answered_or_404(Collect *c, CollectMi *m, const HttpRequest *r)
{
    if (!r->rc && r->status == 404)
        return false;
    if (!r->rc && r->status == 200)
        return true;
    TlError why;
    collect_request_error(r, &why);
    collect_mi_fail(c, m, &why);
    return false;
}

static void on_restore_details(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectMi *m = &c->mis[TAG_SRV(r->user_tag)];
    CollectMiDb *d = &m->dbs[TAG_DB(r->user_tag)];
    TlError why = {{0}, {0}};
    if (answered_or_404(c, m, r) &&
        az_mi_restore_type_parse(r->resp, d->restore_type, sizeof d->restore_type, &why)) {
        tl_error_prefix(&why, "%s", r->url);
        collect_mi_fail(c, m, &why);
    }
}

static void on_dms(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectMi *m = &c->mis[TAG_SRV(r->user_tag)];
    CollectMiDb *d = &m->dbs[TAG_DB(r->user_tag)];
    TlError why = {{0}, {0}};
    if (!answered_or_404(c, m, r))
        return;
    if (az_mi_dms_parse(r->resp, &d->dms_m, &why)) {
        tl_error_prefix(&why, "%s", r->url);
        collect_mi_fail(c, m, &why);
    } else
        d->dms = true;
}

static void on_instance(HttpClient *h, HttpRequest *r)
{
    (void)h;
    Collect *c = r->user;
    CollectMi *m = &c->mis[r->user_tag];
    if (!answered_or_404(c, m, r)) {
        m->gone = !m->failed;
        return;
    }
    TlError why;
    tl_error_set(&why, TL_ERR_DATA,
                 "%s answered although its subscription's list did not name it: the list was "
                 "partial, nothing of it is taken as deleted",
                 m->mi.id);
    collect_mi_fail(c, m, &why);
}

/* ---- moves (MI-A13), per subscription, resource group and location ---------------- */

static bool same_place(const CollectMi *a, const CollectMi *b)
{
    return a->sub == b->sub && strcasecmp(a->mi.resource_group, b->mi.resource_group) == 0 &&
           strcasecmp(a->mi.location, b->mi.location) == 0;
}

static TlResult each_move(Collect *c, long tag, const cJSON *item, const char *path, TlError *err)
{
    (void)tag;
    AzMiMove mv;
    TlResult rc = az_mi_move_from(item, path, &mv, err);
    for (size_t i = 0; !rc && i < c->n_mi_moves; i++)
        if (strcasecmp(c->mi_moves[i].name, mv.name) == 0)
            return TL_OK; /* listed for another resource group too */
    if (!rc)
        rc = collect_grow((void **)&c->mi_moves, &c->cap_mi_moves, c->n_mi_moves,
                          sizeof *c->mi_moves, err);
    if (!rc)
        c->mi_moves[c->n_mi_moves++] = mv;
    return rc;
}

/* A move list that fails fails every instance of its place: a database
 * moved away must not be taken as dropped. */
static void on_moves(HttpClient *h, HttpRequest *r)
{
    Collect *c = r->user;
    TlError why;
    if (list_page(h, r, each_move, &why))
        return;
    const CollectMi *first = &c->mis[r->user_tag];
    for (size_t i = 0; i < c->n_mis; i++)
        if (c->mis[i].listed && same_place(&c->mis[i], first))
            collect_mi_fail(c, &c->mis[i], &why);
}

static TlResult read_moves(Collect *c, TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t i = 0; i < c->n_mis && !rc; i++) {
        const CollectMi *m = &c->mis[i];
        bool first = m->listed && m->mi.location[0];
        for (size_t k = 0; k < i && first; k++)
            first = !(c->mis[k].listed && same_place(&c->mis[k], m));
        if (!first)
            continue;
        char path[AZ_ID_MAX];
        snprintf(path, sizeof path,
                 "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Sql/locations/%s/"
                 "managedDatabaseMoveOperationResults",
                 c->subs[m->sub].sub.id, m->mi.resource_group, m->mi.location);
        rc = collect_get(c, path, "api-version=" API_SQL, on_moves, (long)i, c->subs[m->sub].sub.id,
                         err);
    }
    return rc;
}

static TlResult read_instance(Collect *c, size_t i, TlError *err)
{
    static const struct {
        const char *tail;
        HttpDone done;
    } lists[] = {{"databases", on_dbs},
                 {"operations", on_ops},
                 {"restorableDroppedDatabases", on_dropped},
                 {"distributedAvailabilityGroups", on_links}};
    CollectMi *m = &c->mis[i];
    TlResult rc = TL_OK;
    for (size_t k = 0; k < sizeof lists / sizeof *lists && !rc; k++) {
        char path[AZ_ID_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", m->mi.id, lists[k].tail);
        rc = collect_get(c, path, "api-version=" API_SQL, lists[k].done, (long)i,
                         c->subs[m->sub].sub.id, err);
    }
    if (rc || !m->mi.location[0])
        return rc;
    char path[AZ_ID_MAX + 64]; /* MI-A11: by subscription, location and instance name */
    snprintf(path, sizeof path,
             "/subscriptions/%s/providers/Microsoft.Sql/locations/%s/"
             "longTermRetentionManagedInstances/%s/longTermRetentionManagedInstanceBackups",
             c->subs[m->sub].sub.id, m->mi.location, m->mi.name);
    m->ltr_listed = true; /* until a page fails */
    return collect_get(c, path, "api-version=" API_SQL, on_ltr_backups, (long)i,
                       c->subs[m->sub].sub.id, err);
}

static TlResult read_database(Collect *c, size_t i, size_t j, TlError *err)
{
    const CollectMi *m = &c->mis[i];
    const CollectMiDb *d = &m->dbs[j];
    const char *budget = c->subs[m->sub].sub.id;
    char path[AZ_ID_MAX + AZ_NAME_MAX + 80];
    snprintf(path, sizeof path, "%s/backupShortTermRetentionPolicies/default", d->db.id);
    TlResult rc =
        collect_get(c, path, "api-version=" API_SQL, on_retention, TAG(i, j), budget, err);
    snprintf(path, sizeof path, "%s/backupLongTermRetentionPolicies", d->db.id);
    if (!rc && strcasecmp(d->db.status, "Online") == 0)
        rc = collect_get(c, path, "api-version=" API_SQL, on_ltr, TAG(i, j), budget, err);
    if (rc || strcasecmp(d->db.status, "Restoring") != 0)
        return rc;
    snprintf(path, sizeof path, "%s/restoreDetails/Default", d->db.id);
    rc = collect_get(c, path, "api-version=" API_SQL, on_restore_details, TAG(i, j), budget, err);
    snprintf(path, sizeof path, "%s/providers/Microsoft.DataMigration/databaseMigrations/%s",
             m->mi.id, d->db.name);
    if (!rc)
        rc = collect_get(c, path, "api-version=" API_DMS "&$expand=MigrationStatusDetails", on_dms,
                         TAG(i, j), budget, err);
    return rc;
}

static TlResult run_and_check(Collect *c, TlError *err)
{
    TlResult rc = http_run(c->http, err);
    if (!rc && c->fatal)
        rc = tl_error_set(err, c->fatal, "%s", c->fatal_err.msg);
    return rc;
}

TlResult collect_mi_read(Collect *c, TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t i = 0; i < c->n_subs && !rc; i++) {
        CollectSub *s = &c->subs[i];
        s->mi_listed = false;
        if (s->failed)
            continue;
        s->mi_listed = true;
        char path[600];
        collect_provider_path(c, s->sub.id, "managedInstances", path, sizeof path);
        rc = collect_get(c, path, "api-version=" API_SQL, on_instances, (long)i, s->sub.id, err);
    }
    if (!rc)
        rc = run_and_check(c, err);
    for (size_t i = 0; i < c->n_mis && !rc; i++)
        rc = read_instance(c, i, err);
    if (!rc)
        rc = read_moves(c, err);
    if (!rc)
        rc = run_and_check(c, err);
    for (size_t i = 0; i < c->n_mis && !rc; i++)
        for (size_t j = 0; j < c->mis[i].n_dbs && !rc && !c->mis[i].failed; j++)
            rc = read_database(c, i, j, err);
    for (size_t i = 0; i < c->n_mis && !rc; i++) { /* MI-A8 */
        CollectMi *m = &c->mis[i];
        if (m->failed || !m->n_dropped)
            continue;
        if (!(m->dropped_days = malloc(m->n_dropped * sizeof *m->dropped_days)))
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        for (size_t k = 0; k < m->n_dropped; k++)
            m->dropped_days[k] = -1;
        for (size_t k = 0; k < m->n_dropped && !rc; k++) {
            char path[AZ_ID_MAX + 64];
            snprintf(path, sizeof path, "%s/backupShortTermRetentionPolicies", m->dropped[k].id);
            rc = collect_get(c, path, "api-version=" API_SQL, on_dropped_retention, TAG(i, k),
                             c->subs[m->sub].sub.id, err);
        }
    }
    return rc ? rc : run_and_check(c, err);
}

TlResult collect_mi_recorded(Collect *c, int sub, const char *id, TlError *err)
{
    if (!c->subs[sub].mi_listed)
        return TL_OK; /* its list did not answer in full: nothing can be taken as gone */
    for (size_t i = 0; i < c->n_mis; i++)
        if (strcasecmp(c->mis[i].mi.id, id) == 0)
            return TL_OK;
    AzManagedInstance mi;
    memset(&mi, 0, sizeof mi);
    snprintf(mi.id, sizeof mi.id, "%s", id);
    if (!arm_id_part(id, "managedInstances", mi.name, sizeof mi.name) ||
        !arm_id_part(id, "resourceGroups", mi.resource_group, sizeof mi.resource_group) ||
        !arm_id_part(id, "subscriptions", mi.subscription, sizeof mi.subscription))
        return tl_error_set(err, TL_ERR_DATA, "recorded instance %s: not an instance id", id);
    if (!wanted(c, mi.resource_group))
        return TL_OK;
    return add_mi(c, sub, &mi, err) ? TL_OK : TL_ERR_NOMEM;
}

TlResult collect_mi_confirm(Collect *c, TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t i = 0; i < c->n_mis && !rc; i++)
        if (!c->mis[i].listed)
            rc = collect_get(c, c->mis[i].mi.id, "api-version=" API_SQL, on_instance, (long)i,
                             c->subs[c->mis[i].sub].sub.id, err);
    return rc ? rc : run_and_check(c, err);
}

void collect_mi_cleanup(Collect *c)
{
    for (size_t i = 0; i < c->n_mis; i++) {
        CollectMi *m = &c->mis[i];
        free(m->dbs);
        free(m->ops);
        free(m->dropped);
        free(m->dropped_days);
        free(m->links);
        free(m->ltr);
        free(m->error);
    }
    free(c->mis);
    free(c->mi_moves);
    c->mis = NULL;
    c->mi_moves = NULL;
    c->n_mis = c->cap_mis = c->n_mi_moves = c->cap_mi_moves = 0;
}
