/* mi.h - Azure SQL Managed Instance lineages (domain-mi.md MI-B1..B16,
 * MI-M1..M6): the events of one MI database lineage in, its segments out:
 * when MI started its own backup chain, the first restore point F, the
 * live or dropped restore window, retention history, drops, moves and
 * instance deletion, each segment's status as of any instant. Pure: every
 * event comes in as an argument, nothing is read. */
#ifndef TIERLEDGER_MODEL_MI_H
#define TIERLEDGER_MODEL_MI_H

#include <stdbool.h>
#include <stddef.h>

#include "model/result.h"
#include "model/tltime.h"

/* MI-B10: how a segment came to be. */
typedef enum {
    TL_MI_ORIGIN_NONE = 0,
    TL_MI_ORIGIN_NEW,
    TL_MI_ORIGIN_PITR,
    TL_MI_ORIGIN_GEO_RESTORE,
    TL_MI_ORIGIN_LTR_RESTORE,
    TL_MI_ORIGIN_COPY,
    TL_MI_ORIGIN_LRS,
    TL_MI_ORIGIN_DMS,
    TL_MI_ORIGIN_NATIVE_RESTORE,
    TL_MI_ORIGIN_MI_LINK,
    TL_MI_ORIGIN_MOVE,    /* the destination of a move: the lineage goes on (MI-B11, MI-B14) */
    TL_MI_ORIGIN_UNKNOWN, /* created, seen by the collector without its create event (AMB-MI-7) */
} TlMiOrigin;

const char *mi_origin_str(TlMiOrigin o); /* "new", "pitr", ..., "move", "unknown"; "" for NONE */
bool mi_origin_parse(const char *text, TlMiOrigin *out);
/* lrs, dms, native_restore, mi_link: a migration from outside Azure SQL */
bool mi_origin_is_migration(TlMiOrigin o);

/* The events import-mi takes (its `event` column). */
typedef enum {
    TL_MI_EV_CREATED = 0,
    TL_MI_EV_MIGRATION_STARTED,
    TL_MI_EV_MIGRATION_CUTOVER,
    TL_MI_EV_MIGRATION_CANCELLED,
    TL_MI_EV_RESTORE_POINT_OBSERVED,
    TL_MI_EV_RETENTION_CHANGED,
    TL_MI_EV_DROPPED,
    TL_MI_EV_MOVE_STARTED,
    TL_MI_EV_MOVE_READY,
    TL_MI_EV_MOVE_COMPLETED,
    TL_MI_EV_MOVE_CANCELLED,
    TL_MI_EV_INSTANCE_CHANGED,
    TL_MI_EV_INSTANCE_STOPPED,
    TL_MI_EV_INSTANCE_STARTED,
    TL_MI_EV_INSTANCE_DELETED,
    TL_MI_EV_TDE_CERTIFICATE_UPLOADED,
    TL_MI_EV_LINK_FAILOVER,
    TL_MI_EV_LTR_POLICY_CHANGED, /* MI-B9: the database's LTR policy, as set from then on */
    TL_MI_EV_SIZE_OBSERVED,      /* MI-$13: its data size and log rate from then on */
    TL_MI_EV_LTR_BACKUP_TAKEN,   /* MI-B9: an LTR backup (detail: its id) at its backupTime */
    TL_MI_EV_LTR_BACKUP_GONE,    /* that backup no longer listed: deleted, or expired */
    TL_MI_EV_COUNT
} TlMiEventKind;

const char *mi_event_str(TlMiEventKind k); /* "created", "migration_started", ... */
bool mi_event_parse(const char *text, TlMiEventKind *out);
/* instance_changed ... tde_certificate_uploaded: about the instance, not a database */
bool mi_event_is_instance(TlMiEventKind k);

#define TL_MI_RETENTION_NONE (-1)

/* One event. resource_id names the database (database events) or the
 * instance (instance events); strings are borrowed. */
typedef struct {
    TlMiEventKind kind;
    TlTime at;
    const char *resource_id;
    TlMiOrigin origin;    /* created, migration_started; move_*: COPY for a copy */
    TlTime restore_point; /* restore_point_observed: earliestRestorePoint */
    int retention_days;   /* retention_changed: 0..35; else TL_MI_RETENTION_NONE */
    const char *detail;   /* move_completed: the destination database; instance_changed:
                             what changed ("tier GP -> BC", for people); or NULL */
    /* what the warnings read (NULL or -1: not given) */
    const char *source_server, *source_database;     /* migration_started */
    const char *tier, *redundancy, *database_format; /* instance_changed: the new values */
    int vcores, storage_size_gb;                     /* instance_changed */
    int tde_protected;                               /* migration_started: 1, 0, or -1 */
    int compatibility_level;                         /* migration_started, or -1 */
    /* ltr_policy_changed (MI-B9): weekly, monthly and yearly retention as
     * ISO 8601 durations (P4W, P12M, P5Y; PT0S or NULL: none kept) and the
     * week of the year whose backup the yearly keeps (1..52, or -1) */
    const char *ltr_weekly, *ltr_monthly, *ltr_yearly;
    int ltr_week_of_year;
    /* size_observed, created, migration_started (MI-$13, for the estimate
     * when no usage is recorded): the data size and the log backups stored
     * a day, bytes; -1: not given */
    long long data_bytes, log_bytes_per_day;
    /* the collector saw the change only at a poll: it happened in
     * (not_before, at]; false: `at` is the instant */
    bool bounded;
    TlTime not_before;
} TlMiEvent;

/* An event of kind at `at` with nothing else given (no instants, -1 numbers,
 * NULL strings, not bounded): what callers fill in. */
TlMiEvent mi_event_blank(TlMiEventKind kind, TlTime at);

/* An LTR retention as Azure writes it: P followed by a whole number and
 * D, W, M or Y (P0D and PT0S: none); *days is it in days (a month 30, a
 * year 365: for comparisons, not calendars). */
bool mi_ltr_duration_parse(const char *iso, int *days);
/* An ltr_policy_changed that keeps some backup (any retention above 0). */
bool mi_ltr_policy_active(const TlMiEvent *e);

/* MI-B15 */
typedef enum {
    TL_MI_PENDING = 0,
    TL_MI_CURRENT,
    TL_MI_RESTORABLE,
    TL_MI_EXPIRED,
    TL_MI_LOST,
} TlMiStatus;

const char *mi_status_str(TlMiStatus s); /* "pending" "current" "restorable" "expired" "lost" */

typedef enum {
    TL_MI_LOST_NONE = 0,
    TL_MI_LOST_INSTANCE_DELETED, /* MI-B13 */
    TL_MI_LOST_RETENTION_ZERO,   /* MI-B2 */
    TL_MI_LOST_MOVED,            /* MI-B14 */
} TlMiLostCause;

const char *mi_lost_cause_str(TlMiLostCause c); /* "instance_deleted" ...; "" for NONE */

/* An instance attribute change (AMB-MI-1: not a break) in a segment's life. */
typedef struct {
    TlTime at;
    const char *what; /* borrowed from the event */
} TlMiAttributeChange;

/* MI-B5: the first full "typically completes within 30 minutes"; MI-B4: log
 * backups "approximately every 10 minutes"; MI-M1: an LRS job runs "a
 * maximum of 30 days"; MI-B1: 7 days by default */
#define TL_MI_FIRST_FULL_SECONDS (30 * 60)
#define TL_MI_FIRST_LOG_SECONDS  (10 * 60)
#define TL_MI_LRS_LIMIT_DAYS     30
#define TL_MI_DEFAULT_RETENTION  7

typedef struct {
    int seq;                 /* 1-based */
    const char *resource_id; /* the database it is on (borrowed) */
    TlMiOrigin origin;
    TlTime started_at;                  /* migration started (pending since), else opened_at */
    TlTime opened_at;                   /* MI's own chain began (MI-B10); NONE while pending */
    TlTime first_restore_point;         /* F (MI-B6); NONE while pending */
    bool first_restore_point_estimated; /* no earliestRestorePoint observed by as_of */
    TlTime ended_at;   /* dropped, moved away or the instance deleted; NONE while live */
    TlTime dropped_at; /* D (MI-B2), NONE if not dropped */
    TlMiStatus status;
    TlTime status_at;              /* when the status began (open, drop, expiry, loss) */
    TlMiLostCause lost_cause;      /* for TL_MI_LOST */
    TlTime window_from, window_to; /* the restore window at as_of; NONE when empty */
    TlTime expires_at;             /* a dropped segment: when its window empties (MI-B2, MI-B3) */
    int retention_days;            /* R in force at as_of (or at the loss) */
    bool retention_known;          /* false: 7 assumed (MI-B1, AMB-MI-13) */
    TlMiAttributeChange *changes;  /* owned: instance changes while the segment lived */
    size_t n_changes;
    size_t n_changes_in_window; /* of them, inside the window (attribute_change_in_window) */
} TlMiSegment;

/* An LTR backup at as_of (MI-B9): it survives the drop, a move and the
 * instance's deletion, and is restorable until its expiry. */
typedef enum {
    TL_MI_LTR_KEPT = 0,
    TL_MI_LTR_EXPIRED,
    TL_MI_LTR_DELETED, /* gone from Azure's list before its expiry */
} TlMiLtrStatus;

const char *mi_ltr_status_str(TlMiLtrStatus s); /* "kept" "expired" "deleted" */

typedef struct {
    const char *id;          /* its ARM id (the event's detail, borrowed) */
    const char *resource_id; /* the database it was taken of (borrowed) */
    int seq;                 /* the segment it was taken of */
    TlTime taken_at;         /* backupTime */
    const char *redundancy;  /* as listed (backupStorageRedundancy), or NULL */
    const char *kept_as;     /* "weekly" "monthly" "yearly": the longest retention it falls under */
    TlTime expires_at;       /* taken_at + that retention; NONE: no LTR policy recorded */
    bool expiry_assumed;     /* the policy then keeps no backup like it (its longest retention),
                                or none was recorded then (the first recorded after it) */
    bool first_of_month;     /* the first of its database's backups that month (monthly) */
    TlTime gone_at;          /* no longer listed (by as_of), or NONE */
    TlMiLtrStatus status;
    TlTime status_at;
} TlMiLtrBackup;

/* The LTR retention `iso` (mi_ltr_duration_parse's) added to t: weeks and
 * days exactly, months and years on the calendar (the 31st to the month's
 * last day, 29 February to 28 February); NONE for none or an unreadable one. */
TlTime mi_ltr_add(TlTime t, const char *iso);

typedef struct {
    TlTime as_of;
    TlMiSegment *segments; /* owned; oldest first */
    size_t n_segments;
    TlMiOrigin origin;          /* of the first segment */
    TlTime migration_started;   /* a migration's start (MI-M1..M4), or NONE */
    TlTime migration_deadline;  /* lrs/dms: start + 30 days while not cut over (W-MI-1), or NONE */
    TlTime cancelled_at;        /* the migration was stopped (or ran out of time): no segment */
    bool cancelled_by_limit;    /* ...by the 30-day limit, not by an event */
    TlTime instance_deleted_at; /* of the instance the last segment is on, or NONE */
    TlMiLtrBackup *ltr;         /* owned: its LTR backups taken by as_of, oldest first */
    size_t n_ltr;
} TlMiLineage;

/* Evaluate one lineage as of as_of. ev[0..n) are its database events (on
 * every database the lineage has been on: the destination of a move
 * continues it) and the events of the instances those databases are on,
 * in time order (ties in the order given). Events after as_of are ignored.
 * A history Azure cannot produce (an event before the database exists, a
 * cutover without a start, a retention outside 0-35, 0 on a live database
 * or raised after a drop) is TL_ERR_DATA "event N: KIND of ID: why" (N
 * 1-based). A lineage may also begin with `created` of origin move: the
 * destination of a move on its own (the store validates it so). On
 * success *out owns its segments: release with mi_lineage_cleanup. */
TlResult mi_lineage_evaluate(const TlMiEvent *ev, size_t n, TlTime as_of, TlMiLineage *out,
                             TlError *err);
void mi_lineage_cleanup(TlMiLineage *lin);

/* Of the events ev[0..n) of a first database `root` (and where moves took
 * it, and its instances), keep in place, in order, those of its lineage
 * alive at as_of (else the first): from its created or migration_started up
 * to the next one on root, and the instance events before; the new count
 * (n when root never begins). A name dropped and created again is two
 * lineages (MI-B11). */
size_t mi_lineage_pick(TlMiEvent *ev, size_t n, const char *root, TlTime as_of);

/* "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Sql/managedInstances/MI"
 * of a database or instance id: its length, or 0 when id is not an MI id. */
size_t mi_instance_prefix(const char *id);

#endif
