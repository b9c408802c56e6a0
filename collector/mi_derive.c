/* mi_derive.c - which Managed Instance events a collector run adds (mi.h):
 * the recorded events of an instance and its databases are replayed into
 * what was last known, and this run's reading is compared with it. A value
 * read from a current-value call changed at an instant known only to lie
 * between the last poll and this one: the event is recorded at this poll
 * with not_before = the last (azure-api-mi.md "Signal retention"), unless
 * Azure gives the instant (creationDate, an operation's last stepEndTime, a
 * drop's deletionDate, DMS startedOn/endedOn, an Activity Log event:
 * completeRestore, an instance's delete). The Activity Log also says who
 * (initiated_by) and gives the TDE certificate uploads (W-MI-4). Re-reading
 * the same state adds nothing. Rules DM1-DM17: docs/collector-rules.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collector/mi.h"

typedef struct {
    const char *id; /* as recorded */
    bool alive, open, in_migration, f_seen, dropped, drop_listed, retention_zero;
    TlMiOrigin origin;
    TlTime begun_at, dropped_at;
    TlTime opened_at;     /* its own chain began (created, cutover), or NONE */
    int retention;        /* last recorded, TL_MI_RETENTION_NONE */
    const TlMiEvent *ltr; /* the last ltr_policy_changed recorded, or NULL */
    int move;             /* 0 none, 1 started, 2 ready (MI-A13) */
    TlTime move_end; /* the last move's completion or cancellation: older operations are done */
} DbState;

typedef struct {
    const char *tier, *redundancy, *format;
    int vcores, storage;
    bool seen, stopped, deleted;
} InstState;

typedef struct {
    DbState *db;
    size_t n;
    InstState in;
} Known;

static DbState *state_of(Known *k, const char *id, bool add)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcasecmp(k->db[i].id, id) == 0)
            return &k->db[i];
    if (!add)
        return NULL;
    DbState *d = &k->db[k->n++];
    *d = (DbState){.id = id, .retention = TL_MI_RETENTION_NONE};
    return d;
}

static void begin(DbState *d, TlMiOrigin origin, TlTime at, bool open)
{
    const char *id = d->id;
    *d = (DbState){.id = id,
                   .alive = true,
                   .open = open,
                   .in_migration = !open,
                   .origin = origin,
                   .begun_at = at,
                   .opened_at = open ? at : TL_TIME_NONE,
                   .retention = TL_MI_RETENTION_NONE,
                   .move_end = at};
}

static void replay_instance(InstState *in, Known *k, const TlMiEvent *e)
{
    if (e->kind == TL_MI_EV_INSTANCE_CHANGED) {
        in->seen = true;
        in->tier = e->tier ? e->tier : in->tier;
        in->redundancy = e->redundancy ? e->redundancy : in->redundancy;
        in->format = e->database_format ? e->database_format : in->format;
        in->vcores = e->vcores > 0 ? e->vcores : in->vcores;
        in->storage = e->storage_size_gb > 0 ? e->storage_size_gb : in->storage;
    } else if (e->kind == TL_MI_EV_INSTANCE_STOPPED || e->kind == TL_MI_EV_INSTANCE_STARTED)
        in->stopped = e->kind == TL_MI_EV_INSTANCE_STOPPED;
    else if (e->kind == TL_MI_EV_INSTANCE_DELETED) {
        *in = (InstState){.deleted = true}; /* listed again: a new instance of the name */
        for (size_t i = 0; i < k->n; i++)
            k->db[i].alive = false;
    }
}

static void replay(Known *k, const TlMiEvent *ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const TlMiEvent *e = &ev[i];
        if (mi_event_is_instance(e->kind)) {
            replay_instance(&k->in, k, e);
            continue;
        }
        DbState *d = state_of(k, e->resource_id, true);
        switch (e->kind) {
        case TL_MI_EV_CREATED:
        case TL_MI_EV_MIGRATION_STARTED:
            begin(d, e->origin, e->at, e->kind == TL_MI_EV_CREATED);
            break;
        case TL_MI_EV_MIGRATION_CUTOVER:
            d->open = true;
            d->opened_at = e->at;
            d->in_migration = false;
            break;
        case TL_MI_EV_MIGRATION_CANCELLED: d->alive = d->in_migration = false; break;
        case TL_MI_EV_RESTORE_POINT_OBSERVED: d->f_seen = true; break;
        case TL_MI_EV_RETENTION_CHANGED:
            d->retention = e->retention_days;
            d->retention_zero = d->dropped && e->retention_days == 0;
            break;
        case TL_MI_EV_DROPPED:
            d->alive = false;
            d->dropped = true;
            d->dropped_at = e->at;
            d->drop_listed = e->detail && strstr(e->detail, "/restorableDroppedDatabases/");
            break;
        case TL_MI_EV_LTR_POLICY_CHANGED: d->ltr = e; break;
        case TL_MI_EV_MOVE_STARTED: d->move = 1; break;
        case TL_MI_EV_MOVE_READY: d->move = 2; break;
        case TL_MI_EV_MOVE_CANCELLED:
            d->move = 0;
            d->move_end = e->at;
            break;
        case TL_MI_EV_MOVE_COMPLETED:
            d->move = 0;
            d->move_end = e->at;
            if (e->detail && e->origin != TL_MI_ORIGIN_COPY)
                d->alive = false; /* the lineage goes on at the destination (MI-B14) */
            if (e->detail)
                begin(state_of(k, e->detail, true),
                      e->origin == TL_MI_ORIGIN_COPY ? TL_MI_ORIGIN_COPY : TL_MI_ORIGIN_MOVE, e->at,
                      true);
            break;
        default: break;
        }
    }
}

/* ---- rows ------------------------------------------------------------------- */

typedef struct {
    MiRow *rows;
    size_t n, max;
    TlTime now, nb; /* this poll, and the last one (NONE: never) */
} Out;

static MiRow *emit(Out *o, TlMiEventKind kind, const char *id, TlTime at, bool bounded)
{
    if (o->n >= o->max)
        return NULL;
    MiRow *r = &o->rows[o->n++];
    memset(r, 0, sizeof *r);
    r->e = mi_event_blank(kind, at);
    r->not_before = bounded && o->nb != TL_TIME_NONE && o->nb <= at ? o->nb : TL_TIME_NONE;
    r->e.bounded = r->not_before != TL_TIME_NONE;
    r->e.not_before = r->not_before;
    snprintf(r->resource_id, sizeof r->resource_id, "%s", id);
    return r;
}

#define SAY(r, ...) snprintf((r)->detail, sizeof(r)->detail, __VA_ARGS__)

static bool same_duration(const char *a, const char *b)
{
    a = a ? a : "PT0S"; /* not given: none kept */
    b = b ? b : "PT0S";
    int da, db;
    bool pa = mi_ltr_duration_parse(a, &da), pb = mi_ltr_duration_parse(b, &db);
    return pa && pb ? da == db && (da == 0 || strcmp(a, b) == 0) : !pa && !pb;
}

/* MI-A10 (DM15): the policy read differs from the one recorded last; the
 * first read is recorded as it is, none kept too, so that a later change
 * is bounded by the polls. */
static TlResult ltr_row(const CollectMiDb *d, const DbState *s, Out *o)
{
    const TlMiEvent *known = s && s->alive ? s->ltr : NULL;
    const AzMiLtrPolicy *p = &d->ltr;
    if (!d->ltr_read)
        return TL_OK;
    int week = p->week_of_year > 0 ? p->week_of_year : -1;
    if (known && same_duration(p->weekly, known->ltr_weekly) &&
        same_duration(p->monthly, known->ltr_monthly) &&
        same_duration(p->yearly, known->ltr_yearly) && week == known->ltr_week_of_year)
        return TL_OK;
    MiRow *r = emit(o, TL_MI_EV_LTR_POLICY_CHANGED, d->db.id, o->now, known != NULL);
    if (!r)
        return TL_ERR_DATA;
    snprintf(r->ltr_weekly, sizeof r->ltr_weekly, "%s", p->weekly);
    snprintf(r->ltr_monthly, sizeof r->ltr_monthly, "%s", p->monthly);
    snprintf(r->ltr_yearly, sizeof r->ltr_yearly, "%s", p->yearly);
    r->e.ltr_week_of_year = week;
    if (!known)
        SAY(r, "first read by the collector");
    return TL_OK;
}

static bool differs(const char *now, const char *known)
{
    return now[0] && (!known || strcasecmp(now, known) != 0);
}

/* A Succeeded operation that ended after the last poll and asked for what
 * the instance now is (MI-M6): its last step's end is the instant. */
static const AzMiOperation *change_operation(const CollectMi *m, const Out *o)
{
    const AzMiOperation *best = NULL;
    for (size_t i = 0; i < m->n_ops; i++) {
        const AzMiOperation *op = &m->ops[i];
        if (strcasecmp(op->state, "Succeeded") != 0 || !op->has_requested ||
            op->ended_at == TL_TIME_NONE || op->ended_at > o->now ||
            (o->nb != TL_TIME_NONE && op->ended_at <= o->nb) ||
            (op->tier[0] && strcasecmp(op->tier, m->mi.tier) != 0) ||
            (op->vcores && op->vcores != m->mi.vcores) ||
            (op->storage_gb && op->storage_gb != m->mi.storage_gb))
            continue;
        if (!best || op->ended_at > best->ended_at)
            best = op;
    }
    return best;
}

/* ---- the Activity Log (azure-api-mi.md "Gaps": operation names not verified) ---- */

#define MI_OP      "Microsoft.Sql/managedInstances/"
#define WHO_WITHIN (10 * 60) /* D7: a caller within ten minutes */

/* The earliest event `op` on `id` in (after, until], a Succeeded one first. */
static const AzEvent *log_in(const CollectMi *m, const char *op, const char *id, TlTime after,
                             TlTime until)
{
    const AzEvent *best = NULL;
    bool best_ok = false;
    for (size_t i = 0; i < m->n_log; i++) {
        const AzEvent *e = &m->log[i];
        if (strcasecmp(e->operation, op) != 0 || strcasecmp(e->resource_id, id) != 0 ||
            e->at > until || (after != TL_TIME_NONE && e->at <= after))
            continue;
        bool ok = strcasecmp(e->status, "Succeeded") == 0;
        if (!best || (ok && !best_ok) || (ok == best_ok && e->at < best->at)) {
            best = e;
            best_ok = ok;
        }
    }
    return best;
}

static TlTime distance(TlTime a, TlTime b)
{
    return a > b ? a - b : b - a;
}

/* Who: the caller of the event `op` on `id` nearest to `at` within ten minutes. */
static void who(const CollectMi *m, const char *op, const char *id, TlTime at, MiRow *r)
{
    const AzEvent *best = NULL;
    for (size_t i = 0; i < m->n_log; i++) {
        const AzEvent *e = &m->log[i];
        if (strcasecmp(e->operation, op) == 0 && strcasecmp(e->resource_id, id) == 0 &&
            e->caller[0] && distance(e->at, at) <= WHO_WITHIN &&
            (!best || distance(e->at, at) < distance(best->at, at)))
            best = e;
    }
    if (best)
        snprintf(r->initiated_by, sizeof r->initiated_by, "%s", best->caller);
}

static void by(const AzEvent *e, MiRow *r)
{
    snprintf(r->initiated_by, sizeof r->initiated_by, "%s", e->caller);
}

static void append(char *buf, size_t size, const char *what, const char *from, const char *to)
{
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s%s %s -> %s", len ? "; " : "", what, from, to);
}

static TlResult instance_rows(const CollectMi *m, const InstState *in, Out *o)
{
    const AzManagedInstance *mi = &m->mi;
    char was[4][16], what[600] = "";
    snprintf(was[0], sizeof was[0], "%d", in->vcores);
    snprintf(was[1], sizeof was[1], "%d", mi->vcores);
    snprintf(was[2], sizeof was[2], "%d", in->storage);
    snprintf(was[3], sizeof was[3], "%d", mi->storage_gb);
    bool changed = false;
    if (differs(mi->tier, in->tier) && (changed = true))
        append(what, sizeof what, "tier", in->tier ? in->tier : "?", mi->tier);
    if (mi->vcores > 0 && mi->vcores != in->vcores && (changed = true))
        append(what, sizeof what, "vcores", in->vcores ? was[0] : "?", was[1]);
    if (mi->storage_gb > 0 && mi->storage_gb != in->storage && (changed = true))
        append(what, sizeof what, "storage_size_gb", in->storage ? was[2] : "?", was[3]);
    if (differs(mi->redundancy, in->redundancy) && (changed = true))
        append(what, sizeof what, "redundancy", in->redundancy ? in->redundancy : "?",
               mi->redundancy);
    if (differs(mi->database_format, in->format) && (changed = true))
        append(what, sizeof what, "database_format", in->format ? in->format : "?",
               mi->database_format);
    if (changed) {
        const AzMiOperation *op = in->seen ? change_operation(m, o) : NULL;
        MiRow *r =
            emit(o, TL_MI_EV_INSTANCE_CHANGED, mi->id, op ? op->ended_at : o->now, in->seen && !op);
        if (!r)
            return TL_ERR_DATA;
        snprintf(r->tier, sizeof r->tier, "%s", mi->tier);
        snprintf(r->redundancy, sizeof r->redundancy, "%s", mi->redundancy);
        snprintf(r->database_format, sizeof r->database_format, "%s", mi->database_format);
        r->e.vcores = mi->vcores > 0 ? mi->vcores : -1;
        r->e.storage_size_gb = mi->storage_gb > 0 ? mi->storage_gb : -1;
        if (op) {
            snprintf(r->operation_id, sizeof r->operation_id, "%s", op->name);
            snprintf(r->state, sizeof r->state, "%s", op->state);
        }
        const AzEvent *w = in->seen ? log_in(m, MI_OP "write", mi->id, o->nb, r->e.at) : NULL;
        if (w)
            by(w, r);
        if (in->seen)
            SAY(r, "%s", what);
        else
            SAY(r, "as first seen by the collector (%s)", what);
    }
    bool stopped = strcasecmp(mi->state, "Stopped") == 0;
    if ((stopped || strcasecmp(mi->state, "Ready") == 0) && stopped != in->stopped &&
        !emit(o, stopped ? TL_MI_EV_INSTANCE_STOPPED : TL_MI_EV_INSTANCE_STARTED, mi->id, o->now,
              true))
        return TL_ERR_DATA;
    return TL_OK;
}

static const AzMiLinkDatabase *link_of(const CollectMi *m, const char *name)
{
    for (size_t i = 0; i < m->n_links; i++)
        if (strcasecmp(m->links[i].database_name, name) == 0)
            return &m->links[i];
    return NULL;
}

static bool seeding(const AzMiLinkDatabase *l)
{
    return l && strcasecmp(l->replica_state, "Seeding") == 0;
}

/* A database not alive in the record: its lineage begins (MI-B10, MI-B11). */
/* AMB-MI-7 (DM14): the origin a create's request body in the Activity Log
 * gives (createMode, domain-mi.md section 1), or UNKNOWN; its event in *from. */
static TlMiOrigin logged_origin(const CollectMi *m, const char *id, TlTime created,
                                const AzEvent **from)
{
    static const struct {
        const char *mode;
        TlMiOrigin origin;
    } modes[] = {{"Default", TL_MI_ORIGIN_NEW},
                 {"PointInTimeRestore", TL_MI_ORIGIN_PITR},
                 {"Recovery", TL_MI_ORIGIN_GEO_RESTORE},
                 {"RestoreLongTermRetentionBackup", TL_MI_ORIGIN_LTR_RESTORE}};
    *from = NULL;
    for (size_t i = 0; i < m->n_log; i++) {
        const AzEvent *e = &m->log[i];
        if (e->create_mode[0] && strcasecmp(e->operation, MI_OP "databases/write") == 0 &&
            strcasecmp(e->resource_id, id) == 0 && distance(e->at, created) <= WHO_WITHIN &&
            (!*from || distance(e->at, created) < distance((*from)->at, created)))
            *from = e;
    }
    for (size_t k = 0; *from && k < sizeof modes / sizeof *modes; k++)
        if (strcasecmp((*from)->create_mode, modes[k].mode) == 0)
            return modes[k].origin;
    return TL_MI_ORIGIN_UNKNOWN;
}

static TlResult begin_rows(const CollectMi *m, const CollectMiDb *d, Out *o, bool *open)
{
    const AzMiLinkDatabase *link = link_of(m, d->db.name);
    bool restoring = strcasecmp(d->db.status, "Restoring") == 0;
    MiRow *r;
    if (!restoring && !link) { /* AMB-MI-7: how it was created is not told */
        *open = true;
        if (!(r = emit(o, TL_MI_EV_CREATED, d->db.id, d->db.created_at, false)))
            return TL_ERR_DATA;
        const AzEvent *log;
        r->e.origin = logged_origin(m, d->db.id, d->db.created_at, &log);
        who(m, MI_OP "databases/write", d->db.id, d->db.created_at, r);
        if (r->e.origin != TL_MI_ORIGIN_UNKNOWN)
            SAY(r, "createMode %s%s%s (Activity Log %s)", log->create_mode,
                log->create_source[0] ? " from " : "", log->create_source, log->correlation_id);
        else
            SAY(r,
                "first seen by the collector (%s); ARM does not say how it was created "
                "(AMB-MI-7)",
                d->db.status);
        return TL_OK;
    }
    TlMiOrigin origin = link                                             ? TL_MI_ORIGIN_MI_LINK
                        : strcasecmp(d->restore_type, "LRSRestore") == 0 ? TL_MI_ORIGIN_LRS
                        : d->dms                                         ? TL_MI_ORIGIN_DMS
                                 : TL_MI_ORIGIN_NATIVE_RESTORE;
    TlTime at =
        d->dms && d->dms_m.started_at != TL_TIME_NONE ? d->dms_m.started_at : d->db.created_at;
    if (!(r = emit(o, TL_MI_EV_MIGRATION_STARTED, d->db.id, at, false)))
        return TL_ERR_DATA;
    r->e.origin = origin;
    who(m, MI_OP "databases/write", d->db.id, at, r);
    if (d->dms) {
        snprintf(r->source_server, sizeof r->source_server, "%s", d->dms_m.source_server);
        snprintf(r->source_database, sizeof r->source_database, "%s", d->dms_m.source_database);
        snprintf(r->operation_id, sizeof r->operation_id, "%s", d->dms_m.operation_id);
        snprintf(r->state, sizeof r->state, "%s", d->dms_m.status);
    }
    if (link)
        SAY(r, "in a Managed Instance link with %s (%s)", link->partner, link->replica_state);
    else
        SAY(r, "first seen Restoring%s",
            origin == TL_MI_ORIGIN_LRS   ? " (LRS restore details)"
            : origin == TL_MI_ORIGIN_DMS ? " (a DMS migration)"
                                         : "");
    *open = link && !seeding(link) && !restoring;
    if (*open) {
        if (!(r = emit(o, TL_MI_EV_MIGRATION_CUTOVER, d->db.id, o->now, false)))
            return TL_ERR_DATA;
        r->not_before = r->e.not_before = o->nb != TL_TIME_NONE && o->nb > at ? o->nb : at;
        r->e.bounded = true;
        SAY(r, "link seeding done (%s)", link->replica_state);
    }
    return TL_OK;
}

/* A lineage alive in the record: its cutover (MI-M1, MI-M2, MI-M4). */
static TlResult cutover_rows(const CollectMi *m, const CollectMiDb *d, const DbState *s, Out *o,
                             bool *open)
{
    *open = s->open;
    if (!s->in_migration)
        return TL_OK;
    const AzMiLinkDatabase *link = link_of(m, d->db.name);
    bool done = s->origin == TL_MI_ORIGIN_MI_LINK
                    ? !seeding(link) && strcasecmp(d->db.status, "Restoring") != 0
                    : strcasecmp(d->db.status, "Online") == 0;
    if (!done)
        return TL_OK;
    bool given = s->origin != TL_MI_ORIGIN_MI_LINK && d->dms && d->dms_m.ended_at != TL_TIME_NONE &&
                 d->dms_m.ended_at <= o->now;
    /* LRS: the completeRestore call, when the log has it (MI-M1) */
    const AzEvent *done_by =
        s->origin == TL_MI_ORIGIN_LRS
            ? log_in(m, MI_OP "databases/completeRestore/action", d->db.id,
                     o->nb != TL_TIME_NONE && o->nb > s->begun_at ? o->nb : s->begun_at, o->now)
            : NULL;
    MiRow *r = emit(o, TL_MI_EV_MIGRATION_CUTOVER, d->db.id,
                    given     ? d->dms_m.ended_at
                    : done_by ? done_by->at
                              : o->now,
                    !given && !done_by);
    if (!r)
        return TL_ERR_DATA;
    if (done_by)
        by(done_by, r);
    if (s->origin == TL_MI_ORIGIN_MI_LINK)
        SAY(r, "link seeding done (%s)", link ? link->replica_state : "the link is gone");
    else
        SAY(r, "Restoring -> %s", d->db.status);
    *open = true;
    return TL_OK;
}

/* MI-A13 on a live lineage: its move (or copy) started, ready for completion
 * (W-MI-14's 24 hours begin), completed (MI-B14: the lineage goes on at the
 * destination; a copy's is its own) or cancelled. Starts first. */
static TlResult move_rows(const CollectMi *m, DbState *s, Out *o)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < m->n_moves && s->alive; i++) {
            const AzMiMove *mv = &m->moves[i];
            if (mv->complete != (pass == 1) || strcasecmp(mv->source_db, s->id) != 0 ||
                mv->started_at <= s->move_end || mv->started_at > o->now)
                continue;
            bool ok = strcasecmp(mv->state, "Succeeded") == 0,
                 over = strcasecmp(mv->state, "Cancelled") == 0 ||
                        strcasecmp(mv->state, "Failed") == 0;
            TlMiEventKind kind;
            TlTime when = o->now;
            if (!mv->complete && s->move == 0 && !over) {
                kind = TL_MI_EV_MOVE_STARTED;
                when = mv->started_at;
            } else if (!mv->complete && s->move == 1 && ok)
                kind = TL_MI_EV_MOVE_READY;
            else if (s->move > 0 && over)
                kind = TL_MI_EV_MOVE_CANCELLED;
            else if (mv->complete && ok)
                kind = TL_MI_EV_MOVE_COMPLETED;
            else
                continue;
            MiRow *r = emit(o, kind, s->id, when, when == o->now);
            if (!r)
                return TL_ERR_DATA;
            if (r->e.bounded && r->not_before < mv->started_at) /* it came after the call */
                r->not_before = r->e.not_before = mv->started_at;
            r->e.origin = mv->copy ? TL_MI_ORIGIN_COPY : TL_MI_ORIGIN_NONE;
            snprintf(r->detail, sizeof r->detail, "%s", mv->target_db);
            snprintf(r->operation_id, sizeof r->operation_id, "%s", mv->name);
            snprintf(r->state, sizeof r->state, "%s", mv->state);
            s->move = kind == TL_MI_EV_MOVE_STARTED ? 1 : kind == TL_MI_EV_MOVE_READY ? 2 : 0;
            if (kind == TL_MI_EV_MOVE_CANCELLED || kind == TL_MI_EV_MOVE_COMPLETED)
                s->move_end = o->now;
            if (kind == TL_MI_EV_MOVE_COMPLETED && !mv->copy)
                s->alive = false; /* gone from the list by design, not dropped */
        }
    return TL_OK;
}

/* A database a move or copy is completing into, whose source instance was
 * not written this run (AzMiMove.hold): it waits, so that its lineage goes
 * on from the source's (MI-B14) rather than beginning as unknown. */
static bool held(const CollectMi *m, const char *id)
{
    for (size_t i = 0; i < m->n_moves; i++)
        if (m->moves[i].complete && m->moves[i].hold && strcasecmp(m->moves[i].target_db, id) == 0)
            return true;
    return false;
}

static TlResult listed_rows(const CollectMi *m, Known *k, Out *o)
{
    for (size_t j = 0; j < m->n_dbs; j++) {
        const CollectMiDb *d = &m->dbs[j];
        DbState *s = state_of(k, d->db.id, false);
        bool fresh = !s || !s->alive, open = false;
        if (fresh && held(m, d->db.id))
            continue;
        TlResult rc = fresh ? begin_rows(m, d, o, &open) : cutover_rows(m, d, s, o, &open);
        MiRow *r;
        if (!rc && open && (fresh || !s->f_seen) && d->db.earliest_restore_at != TL_TIME_NONE) {
            if (!(r = emit(o, TL_MI_EV_RESTORE_POINT_OBSERVED, d->db.id, o->now, false)))
                return TL_ERR_DATA;
            r->e.restore_point = d->db.earliest_restore_at;
        }
        int known = fresh ? TL_MI_RETENTION_NONE : s->retention;
        if (!rc && d->retention_days > 0 && d->retention_days != known) {
            if (!(r = emit(o, TL_MI_EV_RETENTION_CHANGED, d->db.id, o->now,
                           known != TL_MI_RETENTION_NONE)))
                return TL_ERR_DATA;
            r->e.retention_days = d->retention_days;
            if (known == TL_MI_RETENTION_NONE)
                SAY(r, "first read by the collector");
        }
        if (!rc)
            rc = ltr_row(d, fresh ? NULL : s, o);
        if (rc)
            return rc;
    }
    return TL_OK;
}

bool mi_database_of(const CollectMi *m, const char *id)
{
    size_t len = strlen(m->mi.id);
    return strncasecmp(id, m->mi.id, len) == 0 && strncasecmp(id + len, "/databases/", 11) == 0;
}

static bool listed(const CollectMi *m, const char *id)
{
    for (size_t j = 0; j < m->n_dbs; j++)
        if (strcasecmp(m->dbs[j].db.id, id) == 0)
            return true;
    return false;
}

static const char *name_of(const char *id)
{
    const char *slash = strrchr(id, '/');
    return slash ? slash + 1 : id;
}

/* MI-A9: the entry of a drop of database `name` at or after `since`. */
static const AzDroppedDatabase *drop_entry(const CollectMi *m, const char *name, TlTime since,
                                           TlTime exactly)
{
    const AzDroppedDatabase *best = NULL;
    for (size_t i = 0; i < m->n_dropped; i++) {
        const AzDroppedDatabase *e = &m->dropped[i];
        if (strcasecmp(e->database_name, name) != 0 || e->deleted_at < since ||
            (exactly != TL_TIME_NONE && e->deleted_at != exactly))
            continue;
        if (!best || e->deleted_at > best->deleted_at)
            best = e;
    }
    return best;
}

/* Recorded databases missing from the list: cancelled, dropped (MI-B2), or a
 * drop whose backups went before their time (W-MI-12: retention 0). */
/* DM17 (MI-A8): the retention a dropped database still listed now keeps,
 * when its own policy says less than the retention recorded (7 when none:
 * AMB-MI-13); else -1. */
static int lowered(const CollectMi *m, const DbState *s, const AzDroppedDatabase **entry)
{
    const AzDroppedDatabase *e = drop_entry(m, name_of(s->id), s->begun_at, s->dropped_at);
    int days = e && m->dropped_days ? m->dropped_days[e - m->dropped] : -1;
    int known = s->retention != TL_MI_RETENTION_NONE ? s->retention : TL_MI_DEFAULT_RETENTION;
    *entry = e;
    return days >= 0 && days < known ? days : -1;
}

/* DM17: the lowering lowered() finds for s, recorded at the poll, bounded;
 * *added says whether there was one. */
static TlResult lowered_row(const CollectMi *m, const DbState *s, Out *o, bool *added)
{
    const AzDroppedDatabase *entry;
    int days = lowered(m, s, &entry);
    *added = days >= 0;
    if (!*added)
        return TL_OK;
    MiRow *r = emit(o, TL_MI_EV_RETENTION_CHANGED, s->id, o->now, true);
    if (!r)
        return TL_ERR_DATA;
    r->e.retention_days = days;
    SAY(r, "the dropped database's own retention policy (%s)", entry->id);
    return TL_OK;
}

static TlResult missing_rows(const CollectMi *m, Known *k, Out *o)
{
    for (size_t i = 0; i < k->n; i++) {
        DbState *s = &k->db[i];
        if (!mi_database_of(m, s->id)) /* the source of a move into it: its own instance's */
            continue;
        if (s->alive && !s->in_migration && move_rows(m, s, o))
            return TL_ERR_DATA;
        if (listed(m, s->id))
            continue;
        MiRow *r = NULL;
        bool added;
        if (s->alive && s->in_migration) {
            if ((r = emit(o, TL_MI_EV_MIGRATION_CANCELLED, s->id, o->now, true)))
                SAY(r, "left the database list before its cutover");
        } else if (s->alive) {
            const AzDroppedDatabase *e = drop_entry(m, name_of(s->id), s->begun_at, TL_TIME_NONE);
            if ((r = emit(o, TL_MI_EV_DROPPED, s->id, e ? e->deleted_at : o->now, !e))) {
                if (e)
                    SAY(r, "%s", e->id);
                else
                    SAY(r, "left the database list; not among its restorable dropped databases");
            }
            DbState dropped = *s; /* DM17 already: lowered since the drop */
            dropped.dropped_at = e ? e->deleted_at : o->now;
            if (r && e && lowered_row(m, &dropped, o, &added))
                return TL_ERR_DATA;
        } else if (s->dropped && s->drop_listed && !s->retention_zero) {
            if (lowered_row(m, s, o, &added)) /* DM17: its own policy went down (W-MI-12) */
                return TL_ERR_DATA;
            if (added || drop_entry(m, name_of(s->id), s->begun_at, s->dropped_at) ||
                o->now >=
                    s->dropped_at + (s->retention > 0 ? s->retention : TL_MI_DEFAULT_RETENTION) *
                                        TL_SECONDS_PER_DAY)
                continue;
            if ((r = emit(o, TL_MI_EV_RETENTION_CHANGED, s->id, o->now, true))) {
                r->e.retention_days = 0;
                SAY(r, "left the restorable dropped databases before its retention ended: "
                       "retention set to 0 (W-MI-12)");
            }
        } else
            continue;
        if (!r)
            return TL_ERR_DATA;
    }
    return TL_OK;
}

/* W-MI-4: each TDE certificate upload the Activity Log has, once. */
static TlResult tde_rows(const CollectMi *m, const TlMiEvent *rec, size_t n, Out *o)
{
    for (size_t i = 0; i < m->n_log; i++) {
        const AzEvent *e = &m->log[i];
        bool known = false;
        for (size_t j = 0; j < n && !known; j++)
            known = rec[j].kind == TL_MI_EV_TDE_CERTIFICATE_UPLOADED && rec[j].at == e->at;
        if (known || e->at > o->now || strcasecmp(e->status, "Succeeded") != 0 ||
            strcasecmp(e->operation, MI_OP "tdeCertificates/action") != 0 ||
            strcasecmp(e->resource_id, m->mi.id) != 0)
            continue;
        MiRow *r = emit(o, TL_MI_EV_TDE_CERTIFICATE_UPLOADED, m->mi.id, e->at, false);
        if (!r)
            return TL_ERR_DATA;
        by(e, r);
        SAY(r, "Activity Log %s", e->correlation_id);
    }
    return TL_OK;
}

static int by_detail(const void *a, const void *b)
{
    return strcasecmp((*(const TlMiEvent *const *)a)->detail,
                      (*(const TlMiEvent *const *)b)->detail);
}

static int by_id(const void *a, const void *b)
{
    return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

static bool recorded_id(const TlMiEvent *const *sorted, size_t n, const char *id)
{
    TlMiEvent key = {.detail = id};
    const TlMiEvent *kp = &key;
    return n && bsearch(&kp, sorted, n, sizeof *sorted, by_detail);
}

/* DM16 (MI-A11): each LTR backup listed and not recorded, of a database
 * whose own chain had begun by its backupTime and was not dropped then,
 * at its backupTime; each recorded one no longer listed, gone at the poll
 * (deleted, or expired: the model tells). Only from a list read in full. */
static TlResult ltr_backup_rows(const CollectMi *m, const TlMiEvent *rec, size_t n, Known *k,
                                Out *o)
{
    if (!m->ltr_listed)
        return TL_OK;
    const TlMiEvent **taken = malloc((n ? n : 1) * sizeof *taken),
                    **gone = malloc((n ? n : 1) * sizeof *gone);
    const char **listed = malloc((m->n_ltr ? m->n_ltr : 1) * sizeof *listed);
    size_t n_taken = 0, n_gone = 0;
    TlResult rc = taken && gone && listed ? TL_OK : TL_ERR_NOMEM;
    for (size_t i = 0; !rc && i < n; i++)
        if (rec[i].detail && rec[i].kind == TL_MI_EV_LTR_BACKUP_TAKEN)
            taken[n_taken++] = &rec[i];
        else if (rec[i].detail && rec[i].kind == TL_MI_EV_LTR_BACKUP_GONE)
            gone[n_gone++] = &rec[i];
    for (size_t i = 0; !rc && i < m->n_ltr; i++)
        listed[i] = m->ltr[i].id;
    if (!rc) {
        qsort(taken, n_taken, sizeof *taken, by_detail);
        qsort(gone, n_gone, sizeof *gone, by_detail);
        qsort(listed, m->n_ltr, sizeof *listed, by_id);
    }
    for (size_t i = 0; !rc && i < m->n_ltr; i++) {
        const AzMiLtrBackup *b = &m->ltr[i];
        char db[AZ_ID_MAX + AZ_NAME_MAX + 16];
        snprintf(db, sizeof db, "%s/databases/%s", m->mi.id, b->database_name);
        const DbState *s = state_of(k, db, false);
        if (recorded_id(taken, n_taken, b->id) || !s || s->opened_at == TL_TIME_NONE ||
            b->taken_at < s->opened_at || (s->dropped && s->dropped_at <= b->taken_at) ||
            b->taken_at > o->now)
            continue;
        MiRow *r = emit(o, TL_MI_EV_LTR_BACKUP_TAKEN, s->id, b->taken_at, false);
        if (!r)
            rc = TL_ERR_DATA;
        else {
            snprintf(r->detail, sizeof r->detail, "%s", b->id);
            snprintf(r->redundancy, sizeof r->redundancy, "%s", b->redundancy);
        }
    }
    for (size_t i = 0; !rc && i < n_taken; i++) {
        const TlMiEvent *t = taken[i];
        if (recorded_id(gone, n_gone, t->detail) || !mi_database_of(m, t->resource_id) ||
            (m->n_ltr && bsearch(&t->detail, listed, m->n_ltr, sizeof *listed, by_id)))
            continue;
        MiRow *r = emit(o, TL_MI_EV_LTR_BACKUP_GONE, t->resource_id, o->now, true);
        if (!r)
            rc = TL_ERR_DATA;
        else
            snprintf(r->detail, sizeof r->detail, "%s", t->detail);
    }
    free(taken);
    free(gone);
    free(listed);
    return rc;
}

static void bind(MiRow *r)
{
    r->e.resource_id = r->resource_id;
    r->e.detail = r->detail[0] ? r->detail : NULL;
    r->e.tier = r->tier[0] ? r->tier : NULL;
    r->e.redundancy = r->redundancy[0] ? r->redundancy : NULL;
    r->e.database_format = r->database_format[0] ? r->database_format : NULL;
    r->e.source_server = r->source_server[0] ? r->source_server : NULL;
    r->e.source_database = r->source_database[0] ? r->source_database : NULL;
    r->e.ltr_weekly = r->ltr_weekly[0] ? r->ltr_weekly : NULL;
    r->e.ltr_monthly = r->ltr_monthly[0] ? r->ltr_monthly : NULL;
    r->e.ltr_yearly = r->ltr_yearly[0] ? r->ltr_yearly : NULL;
}

size_t mi_derive_max(const CollectMi *m, size_t n_recorded)
{
    return 4 + 5 * m->n_dbs + 3 * n_recorded + m->n_log + 2 * m->n_moves + m->n_ltr;
}

TlResult mi_derive(const CollectMi *m, const TlMiEvent *recorded, size_t n_recorded,
                   TlTime polled_at, TlTime now, MiRow *rows, size_t max, size_t *n, TlError *err)
{
    *n = 0;
    Known k = {calloc(2 * n_recorded + 1, sizeof *k.db), 0, {0}}; /* a move names two */
    if (!k.db)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    replay(&k, recorded, n_recorded);
    Out o = {rows, 0, max, now,
             polled_at != TL_TIME_NONE && polled_at < now ? polled_at : TL_TIME_NONE};
    TlResult rc = TL_OK;
    if (m->gone) {
        const AzEvent *del = log_in(m, MI_OP "delete", m->mi.id, o.nb, now);
        MiRow *r = k.in.deleted
                       ? NULL
                       : emit(&o, TL_MI_EV_INSTANCE_DELETED, m->mi.id, del ? del->at : now, !del);
        if (r)
            SAY(r, "not in its subscription's instance list, and answered 404 itself");
        if (r && del)
            by(del, r);
    } else {
        rc = instance_rows(m, &k.in, &o);
        if (!rc)
            rc = listed_rows(m, &k, &o);
        if (!rc)
            rc = missing_rows(m, &k, &o);
        if (!rc)
            rc = tde_rows(m, recorded, n_recorded, &o);
        if (!rc)
            rc = ltr_backup_rows(m, recorded, n_recorded, &k, &o);
    }
    free(k.db);
    if (rc == TL_ERR_NOMEM)
        return tl_error_set(err, rc, "out of memory");
    if (rc)
        return tl_error_set(err, TL_ERR_DATA, "managed instance %s: more events than expected",
                            m->mi.id);
    for (size_t i = 0; i < o.n; i++)
        bind(&rows[i]);
    *n = o.n;
    return TL_OK;
}
