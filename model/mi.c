/* mi.c - see mi.h. The events are replayed in order up to the as-of
 * instant; each segment keeps its retention settings, drop, loss and
 * attribute changes, and its status and window are computed at the end
 * (MI-B15: of a loss and an expiry, the earlier names the status). */
#include "model/mi.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const origin_names[] = {
    "",    "new", "pitr",           "geo_restore", "ltr_restore", "copy",
    "lrs", "dms", "native_restore", "mi_link",     "move",        "unknown",
};

const char *mi_origin_str(TlMiOrigin o)
{
    return (size_t)o < sizeof origin_names / sizeof *origin_names ? origin_names[o] : "";
}

bool mi_origin_parse(const char *text, TlMiOrigin *out)
{
    for (size_t i = 1; text && i < sizeof origin_names / sizeof *origin_names; i++)
        if (strcmp(text, origin_names[i]) == 0) {
            *out = (TlMiOrigin)i;
            return true;
        }
    return false;
}

TlMiEvent mi_event_blank(TlMiEventKind kind, TlTime at)
{
    return (TlMiEvent){.kind = kind,
                       .at = at,
                       .restore_point = TL_TIME_NONE,
                       .retention_days = TL_MI_RETENTION_NONE,
                       .vcores = -1,
                       .storage_size_gb = -1,
                       .tde_protected = -1,
                       .compatibility_level = -1,
                       .ltr_week_of_year = -1,
                       .data_bytes = -1,
                       .log_bytes_per_day = -1,
                       .not_before = TL_TIME_NONE};
}

bool mi_origin_is_migration(TlMiOrigin o)
{
    return o == TL_MI_ORIGIN_LRS || o == TL_MI_ORIGIN_DMS || o == TL_MI_ORIGIN_NATIVE_RESTORE ||
           o == TL_MI_ORIGIN_MI_LINK;
}

static const char *const event_names[TL_MI_EV_COUNT] = {
    "created",
    "migration_started",
    "migration_cutover",
    "migration_cancelled",
    "restore_point_observed",
    "retention_changed",
    "dropped",
    "move_started",
    "move_ready",
    "move_completed",
    "move_cancelled",
    "instance_changed",
    "instance_stopped",
    "instance_started",
    "instance_deleted",
    "tde_certificate_uploaded",
    "link_failover",
    "ltr_policy_changed",
    "size_observed",
    "ltr_backup_taken",
    "ltr_backup_gone",
};

const char *mi_event_str(TlMiEventKind k)
{
    return (size_t)k < TL_MI_EV_COUNT ? event_names[k] : "";
}

bool mi_event_parse(const char *text, TlMiEventKind *out)
{
    for (size_t i = 0; text && i < TL_MI_EV_COUNT; i++)
        if (strcmp(text, event_names[i]) == 0) {
            *out = (TlMiEventKind)i;
            return true;
        }
    return false;
}

bool mi_event_is_instance(TlMiEventKind k)
{
    return k == TL_MI_EV_INSTANCE_CHANGED || k == TL_MI_EV_INSTANCE_STOPPED ||
           k == TL_MI_EV_INSTANCE_STARTED || k == TL_MI_EV_INSTANCE_DELETED ||
           k == TL_MI_EV_TDE_CERTIFICATE_UPLOADED;
}

bool mi_ltr_duration_parse(const char *iso, int *days)
{
    *days = 0;
    if (iso && strcmp(iso, "PT0S") == 0)
        return true;
    if (!iso || iso[0] != 'P' || iso[1] < '0' || iso[1] > '9')
        return false;
    long n = 0;
    const char *p = iso + 1;
    while (*p >= '0' && *p <= '9' && n <= 100000)
        n = n * 10 + (*p++ - '0');
    static const char units[] = "DWMY";
    static const int per[] = {1, 7, 30, 365};
    const char *u = *p ? strchr(units, *p) : NULL;
    if (!u || p[1] || n > 100000 ||
        n * per[u - units] > 36500) /* MI-B9 keeps up to 10 years; a century bounds it */
        return false;
    *days = (int)(n * per[u - units]);
    return true;
}

bool mi_ltr_policy_active(const TlMiEvent *e)
{
    const char *r[] = {e->ltr_weekly, e->ltr_monthly, e->ltr_yearly};
    for (size_t i = 0; i < 3; i++) {
        int days;
        if (mi_ltr_duration_parse(r[i], &days) && days > 0)
            return true;
    }
    return false;
}

const char *mi_status_str(TlMiStatus s)
{
    static const char *const names[] = {"pending", "current", "restorable", "expired", "lost"};
    return (size_t)s < sizeof names / sizeof *names ? names[s] : "";
}

const char *mi_lost_cause_str(TlMiLostCause c)
{
    static const char *const names[] = {"", "instance_deleted", "retention_zero", "moved"};
    return (size_t)c < sizeof names / sizeof *names ? names[c] : "";
}

size_t mi_instance_prefix(const char *id)
{
    static const char key[] = "/providers/microsoft.sql/managedinstances/";
    const size_t klen = sizeof key - 1;
    if (!id)
        return 0;
    for (const char *p = strchr(id, '/'); p; p = strchr(p + 1, '/')) {
        if ((p[1] | 0x20) != 'p' || strncasecmp(p, key, klen) != 0)
            continue;
        const char *name = p + klen, *end = strchr(name, '/');
        size_t len = end ? (size_t)(end - id) : strlen(id);
        return len > (size_t)(name - id) ? len : 0;
    }
    return 0;
}

/* ---- evaluation ------------------------------------------------------------ */

typedef struct {
    TlTime from; /* TL_TIME_NONE: since the segment began */
    int days;
} Setting;

/* A segment while the events are replayed. */
typedef struct {
    TlMiSegment seg;
    Setting *settings;
    size_t n_settings, cap_settings;
    size_t cap_changes;
    bool observed_f;
    TlTime open_not_before; /* opened by a bounded cutover: after this; else TL_TIME_NONE */
    TlTime lost_at;
    TlMiLostCause lost_cause;
    const TlMiEvent *policy; /* the LTR policy in force (MI-B9), or NULL */
} Work;

typedef struct {
    Work *w;
    size_t n, cap;
} Works;

static void works_free(Works *ws)
{
    for (size_t i = 0; i < ws->n; i++) {
        free(ws->w[i].settings);
        free(ws->w[i].seg.changes);
    }
    free(ws->w);
    *ws = (Works){0};
}

static TlResult bad(TlError *err, size_t i, const TlMiEvent *e, const char *why)
{
    return tl_error_set(err, TL_ERR_DATA, "event %zu: %s of %s: %s", i + 1, mi_event_str(e->kind),
                        e->resource_id ? e->resource_id : "?", why);
}

static TlResult nomem(TlError *err)
{
    return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
}

static Work *add_segment(Works *ws, const TlMiEvent *e, TlMiOrigin origin, const char *id)
{
    if (ws->n == ws->cap) {
        size_t cap = ws->cap ? ws->cap * 2 : 4;
        Work *grown = realloc(ws->w, cap * sizeof *grown);
        if (!grown)
            return NULL;
        ws->w = grown;
        ws->cap = cap;
    }
    Work *w = &ws->w[ws->n++];
    *w = (Work){.lost_at = TL_TIME_NONE, .open_not_before = TL_TIME_NONE};
    w->seg = (TlMiSegment){.seq = (int)ws->n,
                           .resource_id = id,
                           .origin = origin,
                           .started_at = e->at,
                           .opened_at = TL_TIME_NONE,
                           .first_restore_point = TL_TIME_NONE,
                           .ended_at = TL_TIME_NONE,
                           .dropped_at = TL_TIME_NONE,
                           .status_at = TL_TIME_NONE,
                           .window_from = TL_TIME_NONE,
                           .window_to = TL_TIME_NONE,
                           .expires_at = TL_TIME_NONE,
                           .retention_days = TL_MI_DEFAULT_RETENTION};
    return w;
}

static void open_segment(Work *w, TlTime at)
{
    w->seg.opened_at = at;
    /* MI-B6: F estimated as the first full (MI-B5) and the first log backup after it */
    w->seg.first_restore_point = at + TL_MI_FIRST_FULL_SECONDS + TL_MI_FIRST_LOG_SECONDS;
    w->seg.first_restore_point_estimated = true;
}

/* The segment of the lineage on database id that is not over: pending,
 * live, or dropped but not lost; NULL when none. */
static Work *segment_on(Works *ws, const char *id)
{
    for (size_t i = ws->n; i-- > 0;) {
        Work *w = &ws->w[i];
        if (w->lost_at == TL_TIME_NONE && id && strcasecmp(w->seg.resource_id, id) == 0)
            return w;
    }
    return NULL;
}

static bool on_instance(const Work *w, const char *instance)
{
    size_t a = mi_instance_prefix(w->seg.resource_id), b = mi_instance_prefix(instance);
    return a && a == b && strncasecmp(w->seg.resource_id, instance, a) == 0;
}

static TlResult add_setting(Work *w, TlTime from, int days)
{
    if (w->n_settings == w->cap_settings) {
        size_t cap = w->cap_settings ? w->cap_settings * 2 : 4;
        Setting *grown = realloc(w->settings, cap * sizeof *grown);
        if (!grown)
            return TL_ERR_NOMEM;
        w->settings = grown;
        w->cap_settings = cap;
    }
    w->settings[w->n_settings++] = (Setting){from, days};
    return TL_OK;
}

static TlResult add_change(Work *w, TlTime at, const char *what)
{
    if (w->seg.n_changes == w->cap_changes) {
        size_t cap = w->cap_changes ? w->cap_changes * 2 : 4;
        TlMiAttributeChange *grown = realloc(w->seg.changes, cap * sizeof *grown);
        if (!grown)
            return TL_ERR_NOMEM;
        w->seg.changes = grown;
        w->cap_changes = cap;
    }
    w->seg.changes[w->seg.n_changes++] = (TlMiAttributeChange){at, what};
    return TL_OK;
}

static int retention_now(const Work *w)
{
    return w->n_settings ? w->settings[w->n_settings - 1].days : TL_MI_DEFAULT_RETENTION;
}

/* MI-B3 (as domain.md L9): the oldest restorable point the retention
 * history allows at t: max(t - R(t), end_i - R_i for each earlier setting
 * that ended by t). */
static TlTime retention_floor(const Work *w, TlTime t)
{
    TlTime floor = TL_TIME_NONE;
    int days = TL_MI_DEFAULT_RETENTION;
    for (size_t k = 0; k < w->n_settings && w->settings[k].from <= t; k++) {
        TlTime ended = w->settings[k].from - (TlTime)days * TL_SECONDS_PER_DAY;
        floor = floor == TL_TIME_NONE || ended > floor ? ended : floor;
        days = w->settings[k].days;
    }
    TlTime now = t - (TlTime)days * TL_SECONDS_PER_DAY;
    return floor == TL_TIME_NONE || now > floor ? now : floor;
}

/* MI-B2 with MI-B3: the first instant at or after the drop D at which the
 * floor reaches D (the window [max(F, floor), D] is empty from then on). */
static TlTime expiry(const Work *w, TlTime d)
{
    int days = TL_MI_DEFAULT_RETENTION;
    size_t k = 0;
    for (; k < w->n_settings && w->settings[k].from <= d; k++)
        days = w->settings[k].days;
    TlTime from = d;
    for (;; k++) {
        TlTime until = k < w->n_settings ? w->settings[k].from : TL_TIME_NONE;
        TlTime at = d + (TlTime)days * TL_SECONDS_PER_DAY;
        if (at < from)
            at = from;
        if (until == TL_TIME_NONE || at < until)
            return at;
        from = until;
        days = w->settings[k].days;
    }
}

/* created, migration_started: the lineage begins (MI-B10, MI-B11). */
static TlResult begin_event(Works *ws, TlMiLineage *lin, const TlMiEvent *e, size_t i, TlError *err)
{
    if (ws->n || lin->cancelled_at != TL_TIME_NONE)
        return bad(err, i, e, "the lineage already began (a re-created database is a new one)");
    if (e->kind == TL_MI_EV_CREATED) {
        /* (origin move: the store's own event for a move's destination, MI-B14) */
        if (e->origin == TL_MI_ORIGIN_NONE || mi_origin_is_migration(e->origin))
            return bad(err, i, e,
                       "created needs origin new, pitr, geo_restore, ltr_restore, copy or unknown");
        Work *w = add_segment(ws, e, e->origin, e->resource_id);
        if (!w)
            return nomem(err);
        open_segment(w, e->at);
        lin->origin = e->origin;
        return TL_OK;
    }
    if (!mi_origin_is_migration(e->origin))
        return bad(err, i, e, "migration_started needs origin lrs, dms, native_restore or mi_link");
    if (!add_segment(ws, e, e->origin, e->resource_id))
        return nomem(err);
    lin->migration_started = e->at;
    lin->origin = e->origin;
    if (e->origin == TL_MI_ORIGIN_LRS || e->origin == TL_MI_ORIGIN_DMS) /* MI-M1, MI-M4 */
        lin->migration_deadline = e->at + TL_MI_LRS_LIMIT_DAYS * TL_SECONDS_PER_DAY;
    return TL_OK;
}

/* A pending segment goes away: stopping a migration deletes the restoring
 * database (MI-M1), no segment is left. */
static void cancel_pending(Works *ws, TlMiLineage *lin, Work *w, TlTime at)
{
    free(w->settings);
    free(w->seg.changes);
    ws->n--;
    lin->cancelled_at = at;
    lin->migration_deadline = TL_TIME_NONE;
}

/* move_completed: MI-B14, the source's backups stay behind and the
 * destination goes on; a copy is a lineage of its own (MI-B11). */
static TlResult move_event(Works *ws, Work *w, const TlMiEvent *e, size_t i, TlError *err)
{
    if (!e->detail || !mi_instance_prefix(e->detail))
        return bad(err, i, e, "move_completed needs the destination database in detail");
    if (e->origin == TL_MI_ORIGIN_COPY)
        return TL_OK;
    w->seg.ended_at = e->at;
    w->lost_at = e->at;
    w->lost_cause = TL_MI_LOST_MOVED;
    Work *next = add_segment(ws, e, TL_MI_ORIGIN_MOVE, e->detail);
    if (!next)
        return nomem(err);
    open_segment(next, e->at);
    return TL_OK;
}

static void ltr_late_policy(TlMiLineage *lin, const TlMiEvent *p);

static TlResult database_event(Works *ws, TlMiLineage *lin, const TlMiEvent *e, size_t i,
                               TlError *err)
{
    if (e->kind == TL_MI_EV_CREATED || e->kind == TL_MI_EV_MIGRATION_STARTED)
        return begin_event(ws, lin, e, i, err);
    Work *w = segment_on(ws, e->resource_id);
    if (!w)
        return bad(err, i, e,
                   ws->n || lin->cancelled_at != TL_TIME_NONE
                       ? "the database is not part of this lineage, or its segment is over"
                       : "the database does not exist yet (no created or migration_started)");
    bool pending = w->seg.opened_at == TL_TIME_NONE, dropped = w->seg.dropped_at != TL_TIME_NONE;
    switch (e->kind) {
    case TL_MI_EV_MIGRATION_CUTOVER:
        if (!pending)
            return bad(err, i, e, "a cutover without a migration in progress");
        /* (seen only by a later poll: it may have come before the limit) */
        if (lin->migration_deadline != TL_TIME_NONE && e->at > lin->migration_deadline &&
            !(e->bounded && e->not_before <= lin->migration_deadline))
            return bad(err, i, e, "after the 30-day limit of an LRS job (MI-M1)");
        open_segment(w, e->at); /* MI-B10: cutover, or a link's seeding done (AMB-MI-12) */
        w->open_not_before = e->bounded ? e->not_before : TL_TIME_NONE;
        lin->migration_deadline = TL_TIME_NONE;
        return TL_OK;
    case TL_MI_EV_MIGRATION_CANCELLED:
        if (!pending)
            return bad(err, i, e, "no migration in progress to cancel");
        cancel_pending(ws, lin, w, e->at);
        return TL_OK;
    case TL_MI_EV_RESTORE_POINT_OBSERVED:
        if (pending)
            return bad(err, i, e, "a restore point before MI has its own chain (still restoring)");
        /* a cutover seen only by the poll after it came by F at the latest */
        if (e->restore_point != TL_TIME_NONE && e->restore_point < w->seg.opened_at &&
            w->open_not_before != TL_TIME_NONE && e->restore_point > w->open_not_before)
            w->seg.opened_at = e->restore_point;
        if (e->restore_point == TL_TIME_NONE || e->restore_point < w->seg.opened_at ||
            e->restore_point > e->at)
            return bad(err, i, e,
                       "the restore point must lie between the segment's start and "
                       "the observation");
        if (!w->observed_f) { /* MI-B6: the first observation is F */
            w->observed_f = true;
            w->seg.first_restore_point = e->restore_point;
            w->seg.first_restore_point_estimated = false;
        }
        return TL_OK;
    case TL_MI_EV_RETENTION_CHANGED:
        if (e->retention_days < 0 || e->retention_days > 35)
            return bad(err, i, e, "retention_days must be 0 to 35 (MI-B1, MI-B2)");
        if (!dropped && e->retention_days == 0)
            return bad(err, i, e, "0 days is allowed only for a dropped database (MI-B2)");
        if (dropped && e->retention_days > retention_now(w))
            return bad(err, i, e, "a dropped database's retention can only go down (MI-B2)");
        if (add_setting(w, e->at, e->retention_days))
            return nomem(err);
        w->seg.retention_known = true;
        if (e->retention_days == 0) { /* MI-B2: the backups are deleted at once */
            w->lost_at = e->at;
            w->lost_cause = TL_MI_LOST_RETENTION_ZERO;
        }
        return TL_OK;
    case TL_MI_EV_DROPPED:
        if (dropped)
            return bad(err, i, e, "dropped twice");
        if (pending) { /* dropping the restoring database stops the migration */
            cancel_pending(ws, lin, w, e->at);
            return TL_OK;
        }
        w->seg.dropped_at = w->seg.ended_at = e->at;
        return TL_OK;
    case TL_MI_EV_MOVE_STARTED:
    case TL_MI_EV_MOVE_READY:
    case TL_MI_EV_MOVE_CANCELLED:
        if (pending || dropped)
            return bad(err, i, e, "a move of a database that is not live");
        return TL_OK;
    case TL_MI_EV_MOVE_COMPLETED:
        if (pending || dropped)
            return bad(err, i, e, "a move of a database that is not live");
        return move_event(ws, w, e, i, err);
    case TL_MI_EV_LTR_POLICY_CHANGED: /* MI-B9: the expiry of the backups taken from now on */
        if (dropped)
            return bad(err, i, e, "an LTR policy set on a dropped database");
        w->policy = e;
        ltr_late_policy(lin, e);
        return TL_OK;
    case TL_MI_EV_SIZE_OBSERVED: /* MI-$13: read by the billing estimate */
        if (dropped)
            return bad(err, i, e, "a size observed on a dropped database");
        return TL_OK;
    case TL_MI_EV_LINK_FAILOVER: /* MI-M2: the role is an attribute, not a break */
        if (pending)
            return bad(err, i, e, "a failover before the link's seeding is done");
        return add_change(w, e->at, e->detail ? e->detail : "link failover") ? nomem(err) : TL_OK;
    default: return bad(err, i, e, "not a database event");
    }
}

/* ---- LTR backups (MI-B9) ------------------------------------------------------------ */

const char *mi_ltr_status_str(TlMiLtrStatus s)
{
    static const char *const names[] = {"kept", "expired", "deleted"};
    return (size_t)s < sizeof names / sizeof *names ? names[s] : "";
}

TlTime mi_ltr_add(TlTime t, const char *iso)
{
    int days;
    if (!mi_ltr_duration_parse(iso, &days) || days == 0)
        return TL_TIME_NONE;
    long n = strtol(iso + 1, NULL, 10);
    char unit = iso[strlen(iso) - 1];
    if (unit == 'D' || unit == 'W')
        return t + (TlTime)days * TL_SECONDS_PER_DAY;
    int64_t day =
        t >= 0 ? t / TL_SECONDS_PER_DAY : (t - TL_SECONDS_PER_DAY + 1) / TL_SECONDS_PER_DAY;
    TlTime in_day = t - day * TL_SECONDS_PER_DAY;
    int64_t y;
    unsigned m, d;
    tl_civil_from_days(day, &y, &m, &d);
    int64_t months = (int64_t)(m - 1) + (unit == 'Y' ? 12 * n : n);
    y += months / 12;
    m = (unsigned)(months % 12) + 1;
    static const unsigned last[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned top = last[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return tl_days_from_civil(y, m, d > top ? top : d) * TL_SECONDS_PER_DAY + in_day;
}

/* ISO 8601 week number of t (weeks begin on Monday; week 1 holds a Thursday). */
static int iso_week(TlTime t)
{
    int64_t day = t / TL_SECONDS_PER_DAY;
    int wd = (int)(((day % 7) + 7 + 3) % 7); /* 0 Monday (1970-01-01 was a Thursday) */
    int64_t thursday = day - wd + 3, y;
    unsigned m, d;
    tl_civil_from_days(thursday, &y, &m, &d);
    return (int)((thursday - tl_days_from_civil(y, 1, 1)) / 7 + 1);
}

/* When the backup b, taken under policy p, expires: the longest of the
 * retentions it falls under (weekly: each; monthly: the first of its
 * month; yearly: of week weekOfYear). */
static void ltr_expiry(TlMiLtrBackup *b, const TlMiEvent *p, bool first_of_month)
{
    b->expires_at = TL_TIME_NONE;
    if (!p || !mi_ltr_policy_active(p))
        return;
    const char *kinds[] = {"weekly", "monthly", "yearly"};
    const char *iso[] = {p->ltr_weekly, p->ltr_monthly, p->ltr_yearly};
    bool under[] = {true, first_of_month,
                    p->ltr_week_of_year > 0 && iso_week(b->taken_at) == p->ltr_week_of_year};
    for (int pass = 0; pass < 2 && b->expires_at == TL_TIME_NONE; pass++)
        for (int k = 0; k < 3; k++) {
            TlTime until = mi_ltr_add(b->taken_at, iso[k]);
            if ((pass == 1 || under[k]) && until != TL_TIME_NONE &&
                (b->expires_at == TL_TIME_NONE || until > b->expires_at)) {
                b->expires_at = until;
                b->kept_as = kinds[k];
                b->expiry_assumed = pass == 1;
            }
        }
}

static TlMiLtrBackup *ltr_find(TlMiLineage *lin, const char *id)
{
    for (size_t k = 0; k < lin->n_ltr; k++)
        if (strcasecmp(lin->ltr[k].id, id) == 0)
            return &lin->ltr[k];
    return NULL;
}

/* ltr_backup_taken, ltr_backup_gone (detail: the backup's id). */
static TlResult ltr_event(Works *ws, TlMiLineage *lin, const TlMiEvent *e, size_t i, TlError *err)
{
    if (!e->detail || !e->detail[0])
        return bad(err, i, e, "needs the LTR backup's id in detail");
    TlMiLtrBackup *b = ltr_find(lin, e->detail);
    if (e->kind == TL_MI_EV_LTR_BACKUP_GONE) {
        if (!b || b->gone_at != TL_TIME_NONE || strcasecmp(b->resource_id, e->resource_id) != 0)
            return bad(err, i, e,
                       "no LTR backup of that id is recorded for the database, or it is "
                       "gone already");
        b->gone_at = e->at;
        return TL_OK;
    }
    Work *w = segment_on(ws, e->resource_id);
    if (!w || w->seg.opened_at == TL_TIME_NONE || w->seg.dropped_at != TL_TIME_NONE)
        return bad(err, i, e, "an LTR backup is taken of a live database with its own chain");
    if (b)
        return bad(err, i, e, "that LTR backup is recorded already");
    if (lin->n_ltr % 16 == 0) {
        TlMiLtrBackup *grown = realloc(lin->ltr, (lin->n_ltr + 16) * sizeof *grown);
        if (!grown)
            return nomem(err);
        lin->ltr = grown;
    }
    bool first = true;
    int64_t y, y2;
    unsigned m, m2, d;
    tl_civil_from_days(e->at / TL_SECONDS_PER_DAY, &y, &m, &d);
    for (size_t k = 0; k < lin->n_ltr && first; k++) {
        tl_civil_from_days(lin->ltr[k].taken_at / TL_SECONDS_PER_DAY, &y2, &m2, &d);
        first = !(y2 == y && m2 == m && strcasecmp(lin->ltr[k].resource_id, e->resource_id) == 0);
    }
    b = &lin->ltr[lin->n_ltr++];
    *b = (TlMiLtrBackup){.id = e->detail,
                         .resource_id = e->resource_id,
                         .seq = w->seg.seq,
                         .taken_at = e->at,
                         .redundancy = e->redundancy,
                         .gone_at = TL_TIME_NONE,
                         .first_of_month = first};
    ltr_expiry(b, w->policy, first);
    return TL_OK;
}

/* A policy recorded after backups taken under none recorded (the
 * collector's first read comes after them): they take it, assumed. */
static void ltr_late_policy(TlMiLineage *lin, const TlMiEvent *p)
{
    for (size_t k = 0; k < lin->n_ltr; k++) {
        TlMiLtrBackup *b = &lin->ltr[k];
        if (b->expires_at != TL_TIME_NONE || b->kept_as ||
            strcasecmp(b->resource_id, p->resource_id))
            continue;
        ltr_expiry(b, p, b->first_of_month);
        b->expiry_assumed = b->expires_at != TL_TIME_NONE;
    }
}

static void ltr_settle(TlMiLineage *lin)
{
    for (size_t k = 0; k < lin->n_ltr; k++) {
        TlMiLtrBackup *b = &lin->ltr[k];
        if (b->gone_at != TL_TIME_NONE &&
            (b->expires_at == TL_TIME_NONE || b->gone_at < b->expires_at)) {
            b->status = TL_MI_LTR_DELETED;
            b->status_at = b->gone_at;
        } else if (b->expires_at != TL_TIME_NONE && b->expires_at <= lin->as_of) {
            b->status = TL_MI_LTR_EXPIRED;
            b->status_at = b->expires_at;
        } else {
            b->status = TL_MI_LTR_KEPT;
            b->status_at = b->taken_at;
        }
    }
}

/* AMB-MI-6: a moved-away source that Azure lists as dropped is a dropped
 * database (MI-B2), not lost. */
static Work *moved_source(Works *ws, const char *id)
{
    for (size_t i = ws->n; i-- > 0;) {
        Work *w = &ws->w[i];
        if (w->lost_cause == TL_MI_LOST_MOVED && strcasecmp(w->seg.resource_id, id) == 0)
            return w;
    }
    return NULL;
}

static TlResult instance_event(Works *ws, TlMiLineage *lin, const TlMiEvent *e, TlError *err)
{
    for (size_t k = 0; k < ws->n; k++) {
        Work *w = &ws->w[k];
        if (!on_instance(w, e->resource_id) || w->lost_at != TL_TIME_NONE)
            continue;
        if (e->kind == TL_MI_EV_INSTANCE_DELETED) { /* MI-B13 (AMB-MI-5) */
            w->lost_at = e->at;
            w->lost_cause = TL_MI_LOST_INSTANCE_DELETED;
            if (w->seg.ended_at == TL_TIME_NONE)
                w->seg.ended_at = e->at;
        } else if (e->kind == TL_MI_EV_INSTANCE_CHANGED && w->seg.opened_at != TL_TIME_NONE &&
                   w->seg.dropped_at == TL_TIME_NONE) { /* AMB-MI-1 */
            if (add_change(w, e->at, e->detail ? e->detail : "instance changed"))
                return nomem(err);
        }
    }
    if (e->kind == TL_MI_EV_INSTANCE_DELETED && ws->n &&
        on_instance(&ws->w[ws->n - 1], e->resource_id))
        lin->instance_deleted_at = e->at;
    return TL_OK;
}

/* The segment's status and window at t (MI-B2, MI-B12, MI-B15). */
static void settle(Work *w, TlTime t)
{
    TlMiSegment *s = &w->seg;
    s->retention_days = retention_now(w);
    if (s->opened_at == TL_TIME_NONE) {
        s->status = TL_MI_PENDING;
        s->status_at = s->started_at;
        return;
    }
    TlTime f = s->first_restore_point;
    if (s->dropped_at != TL_TIME_NONE)
        s->expires_at = f > s->dropped_at ? s->dropped_at : expiry(w, s->dropped_at);
    TlTime expired = s->expires_at;
    if (w->lost_at != TL_TIME_NONE && (expired == TL_TIME_NONE || w->lost_at <= expired)) {
        s->status = TL_MI_LOST;
        s->status_at = w->lost_at;
        s->lost_cause = w->lost_cause;
    } else if (expired != TL_TIME_NONE && expired <= t) {
        s->status = TL_MI_EXPIRED;
        s->status_at = expired;
    } else if (s->dropped_at != TL_TIME_NONE) {
        TlTime floor = retention_floor(w, t);
        s->status = TL_MI_RESTORABLE;
        s->status_at = s->dropped_at;
        s->window_from = floor > f ? floor : f;
        s->window_to = s->dropped_at;
    } else {
        TlTime floor = retention_floor(w, t);
        s->status = TL_MI_CURRENT;
        s->status_at = s->opened_at;
        if (t >= f) {
            s->window_from = floor > f ? floor : f;
            s->window_to = t;
        }
    }
    for (size_t k = 0; k < s->n_changes && s->window_from != TL_TIME_NONE; k++)
        s->n_changes_in_window +=
            s->changes[k].at >= s->window_from && s->changes[k].at <= s->window_to;
}

TlResult mi_lineage_evaluate(const TlMiEvent *ev, size_t n, TlTime as_of, TlMiLineage *out,
                             TlError *err)
{
    *out = (TlMiLineage){.as_of = as_of,
                         .migration_started = TL_TIME_NONE,
                         .migration_deadline = TL_TIME_NONE,
                         .cancelled_at = TL_TIME_NONE,
                         .instance_deleted_at = TL_TIME_NONE};
    Works ws = {0};
    TlResult rc = TL_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const TlMiEvent *e = &ev[i];
        if (i > 0 && e->at < ev[i - 1].at)
            rc = bad(err, i, e, "out of time order");
        else if (e->at > as_of)
            break;
        else if (mi_event_is_instance(e->kind))
            rc = instance_event(&ws, out, e, err);
        else if (e->kind == TL_MI_EV_LTR_BACKUP_TAKEN || e->kind == TL_MI_EV_LTR_BACKUP_GONE)
            rc = ltr_event(&ws, out, e, i, err);
        else if (e->kind == TL_MI_EV_DROPPED && !segment_on(&ws, e->resource_id) &&
                 moved_source(&ws, e->resource_id)) {
            Work *w = moved_source(&ws, e->resource_id); /* AMB-MI-6 */
            w->lost_at = TL_TIME_NONE;
            w->lost_cause = TL_MI_LOST_NONE;
            w->seg.dropped_at = w->seg.ended_at = e->at;
        } else
            rc = database_event(&ws, out, e, i, err);
    }
    /* MI-M1: an LRS (or DMS) job not cut over within 30 days is cancelled */
    if (!rc && out->migration_deadline != TL_TIME_NONE && as_of >= out->migration_deadline &&
        ws.n == 1 && ws.w[0].seg.opened_at == TL_TIME_NONE) {
        works_free(&ws);
        out->cancelled_at = out->migration_deadline;
        out->cancelled_by_limit = true;
    }
    if (rc) {
        works_free(&ws);
        mi_lineage_cleanup(out);
        return rc;
    }
    ltr_settle(out);
    TlMiSegment *segs = ws.n ? malloc(ws.n * sizeof *segs) : NULL;
    if (ws.n && !segs) {
        works_free(&ws);
        mi_lineage_cleanup(out);
        return nomem(err);
    }
    for (size_t k = 0; k < ws.n; k++) {
        settle(&ws.w[k], as_of);
        segs[k] = ws.w[k].seg;
        ws.w[k].seg.changes = NULL; /* moved to segs */
        free(ws.w[k].settings);
    }
    free(ws.w);
    out->segments = segs;
    out->n_segments = ws.n;
    return TL_OK;
}

static bool begins_on(const TlMiEvent *e, const char *root)
{
    return (e->kind == TL_MI_EV_CREATED || e->kind == TL_MI_EV_MIGRATION_STARTED) &&
           strcasecmp(e->resource_id, root) == 0;
}

size_t mi_lineage_pick(TlMiEvent *ev, size_t n, const char *root, TlTime as_of)
{
    size_t first = SIZE_MAX, chosen = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!begins_on(&ev[i], root))
            continue;
        if (first == SIZE_MAX)
            first = i;
        if (ev[i].at <= as_of)
            chosen = i;
    }
    if (chosen == SIZE_MAX)
        chosen = first;
    if (chosen == SIZE_MAX)
        return n;
    size_t end = n;
    for (size_t i = chosen + 1; i < n && end == n; i++)
        if (begins_on(&ev[i], root))
            end = i;
    /* the instance events before the begin still say what the instance was */
    size_t k = 0;
    for (size_t i = 0; i < end; i++)
        if (i >= chosen || mi_event_is_instance(ev[i].kind))
            ev[k++] = ev[i];
    return k;
}

void mi_lineage_cleanup(TlMiLineage *lin)
{
    for (size_t k = 0; lin && k < lin->n_segments; k++)
        free(lin->segments[k].changes);
    if (lin) {
        free(lin->segments);
        lin->segments = NULL;
        lin->n_segments = 0;
        free(lin->ltr);
        lin->ltr = NULL;
        lin->n_ltr = 0;
    }
}
