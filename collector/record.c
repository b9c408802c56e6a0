/* record.c - see record.h. */
#include "collector/record.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/mi.h"
#include "sql/store/lineages.h"
#include "sql/store/mi.h"

void record_error(RecordRun *r, const char *line)
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

const char *record_status(const RecordRun *r)
{
    return r->out_of_time                 ? "deadline"
           : r->n_errors == 0             ? "succeeded"
           : r->servers_ok + r->mi_ok > 0 ? "partial"
                                          : "failed";
}

void record_finish(RecordRun *r, const Collect *c, const HttpStats *st)
{
    if (!r->run_id || !store_connected(r->conn))
        return;
    StoreRunSummary s = {
        .status = record_status(r),
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

TlResult record_claim(void *user, const CollectSub *subs, size_t n, TlError *err)
{
    RecordRun *r = user;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        keys[i] = subs[i].sub.id;
    TlResult rc = store_collector_claim(r->lock, r->conn, r->run_id, keys, n, &r->abandoned, err);
    free(keys);
    return rc;
}

TlTime record_cursor_of(void *user, const char *subscription)
{
    const RecordRun *r = user;
    return store_cursor_of(&r->cursors, subscription);
}

/* The recorded lineages of listed servers [lo, hi), and which listed
 * database each is (same resource id and creation: L7). */
TlResult record_known(RecordRun *r, Collect *c, size_t lo, size_t hi, TlError *err)
{
    StoreServerKey *keys = calloc(hi > lo ? hi - lo : 1, sizeof *keys);
    StoreKnown *known = NULL;
    size_t n_known = 0;
    if (!keys)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = lo; i < hi; i++)
        keys[i - lo] = (StoreServerKey){c->servers[i].srv.subscription,
                                        c->servers[i].srv.resource_group, c->servers[i].srv.name};
    TlResult rc = store_known_load(r->conn, keys, hi - lo, &known, &n_known, err);
    free(keys);
    for (size_t i = lo, k = 0; i < hi && !rc; i++) { /* known is ordered by server */
        size_t first = k;
        while (k < n_known && known[k].server == i - lo)
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
    int geo_secondaries;
    const char *geo_role = collect_geo_role(d, &geo_secondaries);
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
        .geo_role = geo_role,
        .geo_secondaries = geo_secondaries,
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

static TlResult record_drop(RecordRun *r, const CollectServer *s, const CollectGone *g,
                            TlError *err)
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
static TlResult derive_database(RecordRun *r, const Collect *c, CollectServer *s, CollectDb *d,
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
        record_error(r, err->msg);
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

static TlResult write_server(RecordRun *r, Collect *c, CollectServer *s, TlError *err)
{
    StoreCollectBatch *batch = NULL;
    StoreBatchCounts counts = {0, 0, 0};
    long drops_before = r->drops;
    char origin[48];
    snprintf(origin, sizeof origin, "collect run %lld", (long long)r->run_id);
    TlResult rc = store_batch_new(&batch, err);
    if (!rc)
        rc = store_begin_write(r->conn, origin, err);
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

/* Mark in partial[] each subscription not read and written in full: its
 * Activity Log or lists failed, a server or instance of it failed, or the
 * run was narrowed to a resource group or server. The events of a part not
 * written are read again next run only if its cursor stays. */
static void mark_partial(const Collect *c, bool *partial)
{
    for (size_t i = 0; i < c->n_subs; i++)
        partial[i] = !c->subs[i].events_ok || c->subs[i].failed || c->subs[i].mi_error ||
                     c->server || c->resource_group;
    for (size_t k = 0; k < c->n_servers; k++)
        if (c->servers[k].failed)
            partial[c->servers[k].sub] = true;
    for (size_t k = 0; k < c->n_mis; k++)
        if (c->mis[k].failed)
            partial[c->mis[k].sub] = true;
}

TlResult record_cursors_save(RecordRun *r, const Collect *c, TlError *err)
{
    size_t cap = c->n_subs ? c->n_subs : 1;
    const char **subs = calloc(cap, sizeof *subs), **ids = calloc(cap, sizeof *ids);
    const char **names = calloc(cap, sizeof *names), **states = calloc(cap, sizeof *states);
    bool *partial = calloc(cap, sizeof *partial);
    size_t n = 0;
    TlResult rc = subs && ids && names && states && partial
                      ? TL_OK
                      : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    if (!rc)
        mark_partial(c, partial);
    for (size_t i = 0; !rc && i < c->n_subs; i++) {
        ids[i] = c->subs[i].sub.id;
        names[i] = c->subs[i].sub.name;
        states[i] = c->subs[i].sub.state;
        if (!partial[i])
            subs[n++] = c->subs[i].sub.id;
    }
    if (!rc)
        rc = store_cursors_save(r->conn, subs, n, r->now, err);
    if (!rc)
        rc = store_subscriptions_save(r->conn, ids, names, states, c->n_subs, r->now, r->run_id,
                                      err);
    free(subs);
    free(ids);
    free(names);
    free(states);
    free(partial);
    return rc;
}

/* Write every server that answered, each in its own transaction; a server
 * the store refuses is failed like one Azure failed. Stops only when
 * PostgreSQL is gone or memory is out. */
TlResult record_servers(RecordRun *r, Collect *c, size_t lo, size_t hi, TlError *err)
{
    for (size_t i = lo; i < hi; i++) {
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
            record_error(r, s->error ? s->error->msg : "failed");
        if (r->progress)
            r->progress(r->progress_user, i + 1, c->n_servers);
    }
    return TL_OK;
}

TlResult record_batches(RecordRun *r, Collect *c, RecordProgress *prog, TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t lo = 0, hi = 0; !rc && (lo < c->n_servers || collect_more(c)); lo = hi) {
        if (r->deadline > 0 && http_now() >= r->deadline) {
            TlError late;
            tl_error_set(&late, TL_ERR_UNAVAILABLE, "not listed: the run's deadline passed");
            collect_list_abandon(c, &late);
            hi = c->n_servers;
            rc = record_servers(r, c, lo, hi, err);
            break;
        }
        if (prog)
            prog->phase = "listing databases";
        rc = collect_list_batch(c, lo, &hi, err);
        if (!rc)
            rc = record_known(r, c, lo, hi, err);
        if (prog)
            prog->phase = "reading details";
        if (!rc)
            rc = collect_details(c, lo, hi, err);
        if (prog)
            prog->phase = "writing";
        if (!rc)
            rc = record_servers(r, c, lo, hi, err);
        collect_release(c, lo, hi);
    }
    return rc;
}

/* ---- Managed Instance -------------------------------------------------------- */

/* One instance in one transaction: what is recorded for it, what this run
 * adds (mi_derive), written with its poll. */
static TlResult write_mi(RecordRun *r, const CollectMi *m, TlError *err)
{
    char origin[48];
    snprintf(origin, sizeof origin, "collect run %lld", (long long)r->run_id);
    StoreMiRecorded rec = {0};
    MiRow *rows = NULL;
    StoreMiEventRow *out = NULL;
    size_t n = 0;
    long added = 0;
    TlResult rc = store_begin_write(r->conn, origin, err);
    if (!rc)
        rc = store_mi_recorded_load(r->conn, m->mi.id, &rec, err);
    size_t max = rc ? 0 : mi_derive_max(m, rec.n);
    if (!rc && (!(rows = calloc(max, sizeof *rows)) || !(out = calloc(max, sizeof *out))))
        rc = tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = mi_derive(m, rec.ev, rec.n, rec.polled_at, r->now, rows, max, &n, err);
    for (size_t k = 0; !rc && k < n; k++)
        out[k] = (StoreMiEventRow){&rows[k].e, rows[k].not_before,
                                   rows[k].state[0] ? rows[k].state : NULL,
                                   rows[k].operation_id[0] ? rows[k].operation_id : NULL,
                                   rows[k].initiated_by[0] ? rows[k].initiated_by : NULL};
    if (!rc)
        rc = store_mi_collected_write(r->conn, m->mi.id, out, n, r->now, r->run_id, &added, err);
    if (!rc)
        rc = store_commit(r->conn, err);
    if (rc)
        store_rollback(r->conn);
    else
        r->mi_events += added;
    store_mi_recorded_cleanup(&rec);
    free(rows);
    free(out);
    return rc;
}

/* The recorded instances of each subscription whose list answered in full,
 * so that one missing from it is asked for (collect_mi_recorded). */
static TlResult recorded_instances(RecordRun *r, Collect *c, TlError *err)
{
    TlResult rc = TL_OK;
    for (size_t i = 0; i < c->n_subs && !rc; i++) {
        if (!c->subs[i].mi_listed)
            continue;
        StoreMiInstances l;
        rc = store_mi_instances_load(r->conn, c->subs[i].sub.id, &l, err);
        for (size_t k = 0; !rc && k < l.n; k++)
            rc = collect_mi_recorded(c, (int)i, store_mi_instance_id(&l, k), err);
        store_mi_instances_cleanup(&l);
    }
    return rc;
}

/* Whether instance m is the source of a move completing this run. */
static bool moves_out(const Collect *c, const CollectMi *m)
{
    for (size_t i = 0; i < c->n_mi_moves; i++)
        if (c->mi_moves[i].complete && mi_database_of(m, c->mi_moves[i].source_db))
            return true;
    return false;
}

/* A move whose source instance was not written waits at its destination. */
static void hold_moves(Collect *c)
{
    for (size_t i = 0; i < c->n_mi_moves; i++) {
        AzMiMove *mv = &c->mi_moves[i];
        mv->hold = true;
        for (size_t k = 0; k < c->n_mis && mv->hold; k++)
            mv->hold = !(c->mis[k].written && mi_database_of(&c->mis[k], mv->source_db));
    }
}

static TlResult record_instance(RecordRun *r, Collect *c, CollectMi *m, TlError *err)
{
    m->log = c->subs[m->sub].mi_log;
    m->n_log = c->subs[m->sub].n_mi_log;
    m->moves = c->mi_moves;
    m->n_moves = c->n_mi_moves;
    if (!m->failed && r->deadline > 0 && http_now() >= r->deadline) {
        r->out_of_time = true;
        TlError late;
        tl_error_set(&late, TL_ERR_UNAVAILABLE, "not written: the run's deadline passed");
        collect_mi_fail(c, m, &late);
    }
    if (!m->failed && (m->listed || m->gone)) {
        TlError werr = {{0}, {0}};
        TlResult wrc = write_mi(r, m, &werr);
        if (wrc == TL_ERR_UNAVAILABLE || wrc == TL_ERR_NOMEM) {
            *err = werr;
            return wrc;
        }
        if (wrc)
            collect_mi_fail(c, m, &werr);
        else {
            m->written = true;
            r->mi_ok++;
            r->mi_databases += (int)m->n_dbs;
        }
    }
    if (m->failed)
        record_error(r, m->error ? m->error->msg : "failed");
    return TL_OK;
}

TlResult record_mi(RecordRun *r, Collect *c, TlError *err)
{
    if (c->server) /* --server names a logical server: no instance is asked for */
        return TL_OK;
    TlResult rc = collect_mi_read(c, err);
    if (!rc)
        rc = recorded_instances(r, c, err);
    if (!rc)
        rc = collect_mi_confirm(c, err);
    for (size_t i = 0; !rc && i < c->n_subs; i++)
        if (c->subs[i].mi_error)
            record_error(r, c->subs[i].mi_error->msg);
    /* the sources of moves first, so that a destination goes on from its source (MI-B14) */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        if (pass == 1)
            hold_moves(c);
        for (size_t i = 0; !rc && i < c->n_mis; i++)
            if (moves_out(c, &c->mis[i]) == (pass == 0))
                rc = record_instance(r, c, &c->mis[i], err);
    }
    return rc;
}

void record_cleanup(RecordRun *r)
{
    for (size_t i = 0; i < r->n_errors; i++)
        free(r->errors[i]);
    free(r->errors);
    r->errors = NULL;
    r->n_errors = 0;
    store_cursors_cleanup(&r->cursors);
}

TlResult record_summary(FILE *out, const RecordRun *r, const Collect *c, const HttpStats *st,
                        double secs, bool json, TlError *err)
{
    if (!json) {
        fprintf(out,
                "collector run %lld: %zu subscription%s, %zu server%s, %d database%s in %.1f s "
                "(%ld requests, %ld retried, %ld throttled)\n",
                r->run_id, c->n_subs, c->n_subs == 1 ? "" : "s", c->n_servers,
                c->n_servers == 1 ? "" : "s", r->databases, r->databases == 1 ? "" : "s", secs,
                st->requests, st->retries, st->throttled);
        fprintf(out, "recorded %ld transition%s, %ld fact change%s, %ld drop%s, %ld usage day%s\n",
                r->transitions, r->transitions == 1 ? "" : "s", r->facts, r->facts == 1 ? "" : "s",
                r->drops, r->drops == 1 ? "" : "s", r->usage, r->usage == 1 ? "" : "s");
        if (c->n_mis > 0)
            fprintf(out, "managed instances: %d written, %d database%s; recorded %ld MI event%s\n",
                    r->mi_ok, r->mi_databases, r->mi_databases == 1 ? "" : "s", r->mi_events,
                    r->mi_events == 1 ? "" : "s");
        return TL_OK;
    }
    cJSON *o = cJSON_CreateObject(), *failures = cJSON_CreateArray();
    if (!o || !failures) {
        cJSON_Delete(o);
        cJSON_Delete(failures);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    cJSON_AddNumberToObject(o, "run_id", (double)r->run_id);
    cJSON_AddStringToObject(o, "status", record_status(r));
    cJSON_AddNumberToObject(o, "subscriptions", (double)c->n_subs);
    cJSON_AddNumberToObject(o, "servers", (double)c->n_servers);
    cJSON_AddNumberToObject(o, "servers_written", r->servers_ok);
    cJSON_AddNumberToObject(o, "databases", r->databases);
    cJSON_AddNumberToObject(o, "seconds", (double)(long)(secs * 10) / 10);
    cJSON_AddNumberToObject(o, "requests", (double)st->requests);
    cJSON_AddNumberToObject(o, "retried", (double)st->retries);
    cJSON_AddNumberToObject(o, "throttled", (double)st->throttled);
    cJSON_AddNumberToObject(o, "transitions", (double)r->transitions);
    cJSON_AddNumberToObject(o, "facts", (double)r->facts);
    cJSON_AddNumberToObject(o, "drops", (double)r->drops);
    cJSON_AddNumberToObject(o, "usage_days", (double)r->usage);
    cJSON_AddNumberToObject(o, "managed_instances", (double)r->mi_ok);
    cJSON_AddNumberToObject(o, "mi_databases", r->mi_databases);
    cJSON_AddNumberToObject(o, "mi_events", (double)r->mi_events);
    cJSON_AddBoolToObject(o, "deadline_passed", r->out_of_time);
    for (size_t i = 0; i < r->n_errors; i++)
        cJSON_AddItemToArray(failures, cJSON_CreateString(r->errors[i]));
    cJSON_AddItemToObject(o, "failures", failures);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    int n = fprintf(out, "%s\n", text);
    cJSON_free(text);
    return n < 0 ? tl_error_set(err, TL_ERR_IO, "output: write failed") : TL_OK;
}

static void progress_line(RecordProgress *p, long done, long total, const char *unit)
{
    double now = http_now();
    if (done < total && now - p->last < (p->tty ? 0.2 : 5.0))
        return;
    p->last = now;
    fprintf(p->out, "%stierledger collect: %s: %ld of %ld %s (%zu servers, %zu databases)%s",
            p->tty ? "\r\033[K" : "", p->phase, done, total, unit, p->c->n_servers,
            p->c->n_dbs_listed, p->tty ? "" : "\n");
    fflush(p->out);
}

void record_progress_requests(void *progress, long finished, long added)
{
    progress_line(progress, finished, added, "requests");
}

void record_progress_servers(void *progress, size_t done, size_t total)
{
    progress_line(progress, (long)done, (long)total, "servers written");
}
