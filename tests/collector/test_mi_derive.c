/* test_mi_derive.c - which Managed Instance events a collector run adds
 * (collector/mi.h, rules DM1-DM17 of docs/collector-rules.md), case by
 * case: a reading of an instance against what is recorded for it, and the
 * rows mi_derive gives, each with its instant and bound. The paths the fake
 * Azure's scenario does not take (tests/cli/test_collect_mi.sh): DMS, the
 * link, native restore, a migration stopped, a stop and a start, a drop
 * Azure does not list, a re-created name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/mi.h"
#include "tests/harness.h"

#define MI  "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Sql/managedInstances/mi1"
#define DB  MI "/databases/db1"
#define DB2 MI "/databases/db2"

static TlTime at(const char *text)
{
    TlTime t = TL_TIME_NONE;
    tl_time_parse(text, false, &t);
    return t;
}

/* an instance as listed: GP 8 vCores 256 GB Local, Ready */
static void instance(CollectMi *m)
{
    memset(m, 0, sizeof *m);
    snprintf(m->mi.id, sizeof m->mi.id, "%s", MI);
    snprintf(m->mi.name, sizeof m->mi.name, "mi1");
    snprintf(m->mi.tier, sizeof m->mi.tier, "GeneralPurpose");
    m->mi.vcores = 8;
    m->mi.storage_gb = 256;
    snprintf(m->mi.redundancy, sizeof m->mi.redundancy, "Local");
    snprintf(m->mi.state, sizeof m->mi.state, "Ready");
    snprintf(m->mi.database_format, sizeof m->mi.database_format, "SQLServer2022");
    m->listed = true;
}

static CollectMiDb *add_db(CollectMi *m, const char *id, const char *status, const char *created)
{
    m->dbs = realloc(m->dbs, (m->n_dbs + 1) * sizeof *m->dbs);
    CollectMiDb *d = &m->dbs[m->n_dbs++];
    memset(d, 0, sizeof *d);
    snprintf(d->db.id, sizeof d->db.id, "%s", id);
    snprintf(d->db.name, sizeof d->db.name, "%s", strrchr(id, '/') + 1);
    snprintf(d->db.status, sizeof d->db.status, "%s", status);
    d->db.created_at = at(created);
    d->db.earliest_restore_at = TL_TIME_NONE;
    return d;
}

/* the instance as first seen, so that cases compare only what they change */
static const TlMiEvent seen = {.kind = TL_MI_EV_INSTANCE_CHANGED,
                               .resource_id = MI,
                               .tier = "GeneralPurpose",
                               .redundancy = "Local",
                               .database_format = "SQLServer2022",
                               .vcores = 8,
                               .storage_size_gb = 256,
                               .retention_days = TL_MI_RETENTION_NONE};

static TlMiEvent ev(TlMiEventKind kind, const char *id, const char *when, TlMiOrigin origin)
{
    TlMiEvent e = mi_event_blank(kind, at(when));
    e.resource_id = id;
    e.origin = origin;
    return e;
}

/* derive and render each row "event at not_before origin [retention]" */
static char *derive(const CollectMi *m, const TlMiEvent *rec, size_t n, const char *polled,
                    const char *now)
{
    static char out[4096];
    size_t max = mi_derive_max(m, n);
    MiRow *rows = calloc(max, sizeof *rows);
    size_t got = 0;
    TlError err = {{0}, {0}};
    EXPECT(mi_derive(m, rec, n, polled ? at(polled) : TL_TIME_NONE, at(now), rows, max, &got,
                     &err) == TL_OK,
           "mi_derive: %s", err.msg);
    out[0] = '\0';
    for (size_t i = 0; i < got; i++) {
        char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX] = "-";
        tl_time_format(rows[i].e.at, a);
        if (rows[i].not_before != TL_TIME_NONE)
            tl_time_format(rows[i].not_before, b);
        EXPECT(rows[i].e.bounded == (rows[i].not_before != TL_TIME_NONE), "bounded matches");
        size_t len = strlen(out);
        snprintf(out + len, sizeof out - len, "%s%s %s %s %s", len ? "\n" : "",
                 mi_event_str(rows[i].e.kind), a, b,
                 rows[i].e.origin ? mi_origin_str(rows[i].e.origin) : "-");
        if (rows[i].e.retention_days != TL_MI_RETENTION_NONE) {
            len = strlen(out);
            snprintf(out + len, sizeof out - len, " %d", rows[i].e.retention_days);
        }
    }
    free(rows);
    return out;
}

#define SAME(got, want) EXPECT(strcmp((got), (want)) == 0, "got:\n%s\nwant:\n%s", (got), (want))

static void test_dms_and_native(void)
{
    CollectMi m;
    instance(&m);
    CollectMiDb *d = add_db(&m, DB, "Restoring", "2026-10-01T09:00:00Z");
    d->dms = true;
    d->dms_m.started_at = at("2026-10-01T08:55:00Z");
    d->dms_m.ended_at = TL_TIME_NONE;
    snprintf(d->dms_m.source_server, sizeof d->dms_m.source_server, "sql01");
    add_db(&m, DB2, "Restoring", "2026-10-01T09:30:00Z"); /* no LRS details, not DMS */
    SAME(derive(&m, &seen, 1, "2026-10-01T09:00:00Z", "2026-10-01T10:00:00Z"),
         "migration_started 2026-10-01T08:55:00Z - dms\n"
         "migration_started 2026-10-01T09:30:00Z - native_restore");
    /* cut over: DMS gives endedOn; native restore is bounded by the polls */
    TlMiEvent rec[] = {
        seen, ev(TL_MI_EV_MIGRATION_STARTED, DB, "2026-10-01T08:55:00Z", TL_MI_ORIGIN_DMS),
        ev(TL_MI_EV_MIGRATION_STARTED, DB2, "2026-10-01T09:30:00Z", TL_MI_ORIGIN_NATIVE_RESTORE)};
    snprintf(m.dbs[0].db.status, sizeof m.dbs[0].db.status, "Online");
    m.dbs[0].dms_m.ended_at = at("2026-10-02T07:00:00Z");
    snprintf(m.dbs[1].db.status, sizeof m.dbs[1].db.status, "Online");
    SAME(derive(&m, rec, 3, "2026-10-02T06:00:00Z", "2026-10-02T08:00:00Z"),
         "migration_cutover 2026-10-02T07:00:00Z - -\n"
         "migration_cutover 2026-10-02T08:00:00Z 2026-10-02T06:00:00Z -");
    free(m.dbs);
}

static void test_link(void)
{
    CollectMi m;
    instance(&m);
    add_db(&m, DB, "Online", "2026-10-01T09:00:00Z");
    AzMiLinkDatabase l = {.database_name = "db1", .replica_state = "Seeding"};
    m.links = &l;
    m.n_links = 1;
    SAME(derive(&m, &seen, 1, "2026-10-01T09:30:00Z", "2026-10-01T10:00:00Z"),
         "migration_started 2026-10-01T09:00:00Z - mi_link");
    TlMiEvent rec[] = {
        seen, ev(TL_MI_EV_MIGRATION_STARTED, DB, "2026-10-01T09:00:00Z", TL_MI_ORIGIN_MI_LINK)};
    SAME(derive(&m, rec, 2, "2026-10-01T10:00:00Z", "2026-10-01T11:00:00Z"), "");
    snprintf(l.replica_state, sizeof l.replica_state, "Catchup"); /* seeding done (MI-M2) */
    SAME(derive(&m, rec, 2, "2026-10-01T11:00:00Z", "2026-10-01T12:00:00Z"),
         "migration_cutover 2026-10-01T12:00:00Z 2026-10-01T11:00:00Z -");
    /* first seen past seeding: start and cutover, the cutover bounded by the start */
    SAME(derive(&m, &seen, 1, NULL, "2026-10-01T12:00:00Z"),
         "migration_started 2026-10-01T09:00:00Z - mi_link\n"
         "migration_cutover 2026-10-01T12:00:00Z 2026-10-01T09:00:00Z -");
    free(m.dbs);
}

static void test_stopped_cancelled_dropped(void)
{
    CollectMi m;
    instance(&m);
    snprintf(m.mi.state, sizeof m.mi.state, "Stopped");
    TlMiEvent rec[] = {seen,
                       ev(TL_MI_EV_MIGRATION_STARTED, DB, "2026-10-01T09:00:00Z", TL_MI_ORIGIN_LRS),
                       ev(TL_MI_EV_CREATED, DB2, "2026-09-01T00:00:00Z", TL_MI_ORIGIN_NEW)};
    /* both databases gone: the migration was stopped, the other dropped
     * without an entry in the restorable dropped list */
    SAME(derive(&m, rec, 3, "2026-10-02T00:00:00Z", "2026-10-02T01:00:00Z"),
         "instance_stopped 2026-10-02T01:00:00Z 2026-10-02T00:00:00Z -\n"
         "migration_cancelled 2026-10-02T01:00:00Z 2026-10-02T00:00:00Z -\n"
         "dropped 2026-10-02T01:00:00Z 2026-10-02T00:00:00Z -");
    TlMiEvent stopped[] = {seen, ev(TL_MI_EV_INSTANCE_STOPPED, MI, "2026-10-02T01:00:00Z", 0)};
    snprintf(m.mi.state, sizeof m.mi.state, "Ready");
    SAME(derive(&m, stopped, 2, "2026-10-02T01:00:00Z", "2026-10-03T00:00:00Z"),
         "instance_started 2026-10-03T00:00:00Z 2026-10-02T01:00:00Z -");
    snprintf(m.mi.state, sizeof m.mi.state, "Stopping"); /* in between: nothing yet */
    SAME(derive(&m, stopped, 2, "2026-10-02T01:00:00Z", "2026-10-03T00:00:00Z"), "");
}

/* DM17 (MI-A8): a dropped database's own policy lowered: recorded, bounded;
 * the same or higher (or not read): nothing */
static void test_dropped_retention(void)
{
    CollectMi m;
    instance(&m);
    AzDroppedDatabase drop = {.created_at = at("2026-09-01T00:00:00Z"),
                              .deleted_at = at("2026-10-20T00:00:00Z")};
    snprintf(drop.database_name, sizeof drop.database_name, "db1");
    snprintf(drop.id, sizeof drop.id, "%s/restorableDroppedDatabases/db1,1", MI);
    int days = 3;
    m.dropped = &drop;
    m.n_dropped = 1;
    m.dropped_days = &days;
    TlMiEvent rec[] = {seen, ev(TL_MI_EV_CREATED, DB, "2026-09-01T00:00:00Z", TL_MI_ORIGIN_NEW),
                       ev(TL_MI_EV_RETENTION_CHANGED, DB, "2026-09-01T00:00:00Z", 0),
                       ev(TL_MI_EV_DROPPED, DB, "2026-10-20T00:00:00Z", 0)};
    rec[2].retention_days = 14;
    rec[3].detail = "/x/restorableDroppedDatabases/db1,1";
    SAME(derive(&m, rec, 4, "2026-10-21T00:00:00Z", "2026-10-21T01:00:00Z"),
         "retention_changed 2026-10-21T01:00:00Z 2026-10-21T00:00:00Z - 3");
    days = 14;
    SAME(derive(&m, rec, 4, "2026-10-21T00:00:00Z", "2026-10-21T01:00:00Z"), "");
    days = -1; /* not read this run */
    SAME(derive(&m, rec, 4, "2026-10-21T00:00:00Z", "2026-10-21T01:00:00Z"), "");
    /* dropped this run, lowered already: the drop, then the lowering */
    days = 5;
    SAME(derive(&m, rec, 3, "2026-10-19T00:00:00Z", "2026-10-21T01:00:00Z"),
         "dropped 2026-10-20T00:00:00Z - -\n"
         "retention_changed 2026-10-21T01:00:00Z 2026-10-19T00:00:00Z - 5");
}

static void test_recreated_and_first_sight(void)
{
    CollectMi m;
    instance(&m);
    CollectMiDb *d = add_db(&m, DB, "Online", "2026-11-01T00:00:00Z");
    d->retention_days = 7;
    d->db.earliest_restore_at = at("2026-11-01T00:40:00Z");
    TlMiEvent rec[] = {seen, ev(TL_MI_EV_CREATED, DB, "2026-09-01T00:00:00Z", TL_MI_ORIGIN_NEW),
                       ev(TL_MI_EV_DROPPED, DB, "2026-10-01T00:00:00Z", 0)};
    /* the name again after its drop: a new lineage (MI-B11), its F and retention */
    SAME(derive(&m, rec, 3, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"),
         "created 2026-11-01T00:00:00Z - unknown\n"
         "restore_point_observed 2026-11-01T13:00:00Z - -\n"
         "retention_changed 2026-11-01T13:00:00Z - - 7");
    /* an instance never seen: its attributes as first seen, not bounded */
    free(m.dbs);
    m.dbs = NULL;
    m.n_dbs = 0;
    SAME(derive(&m, NULL, 0, NULL, "2026-11-01T13:00:00Z"),
         "instance_changed 2026-11-01T13:00:00Z - -");
    /* storage grown without an operation listed: bounded by the polls */
    m.mi.storage_gb = 512;
    SAME(derive(&m, &seen, 1, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"),
         "instance_changed 2026-11-01T13:00:00Z 2026-11-01T12:00:00Z -");
    /* and the deleted instance */
    m.gone = true;
    SAME(derive(&m, &seen, 1, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"),
         "instance_deleted 2026-11-01T13:00:00Z 2026-11-01T12:00:00Z -");
}

/* DM15: an LTR policy first read as it is (none kept too), then only a
 * change, bounded by the polls; the same policy in other words (P0D for
 * PT0S) is no change; not read this run: nothing */
static void test_ltr_policy(void)
{
    CollectMi m;
    instance(&m);
    CollectMiDb *d = add_db(&m, DB, "Online", "2026-09-01T00:00:00Z");
    d->ltr_read = true;
    d->ltr = (AzMiLtrPolicy){"PT0S", "PT0S", "PT0S", 0};
    TlMiEvent rec[] = {seen, ev(TL_MI_EV_CREATED, DB, "2026-09-01T00:00:00Z", TL_MI_ORIGIN_NEW),
                       ev(TL_MI_EV_LTR_POLICY_CHANGED, DB, "2026-10-01T00:00:00Z", 0)};
    SAME(derive(&m, rec, 2, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"),
         "ltr_policy_changed 2026-11-01T13:00:00Z - -");
    rec[2].ltr_weekly = "P0D"; /* recorded: nothing kept */
    SAME(derive(&m, rec, 3, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"), "");
    d->ltr = (AzMiLtrPolicy){"P4W", "PT0S", "P5Y", 5};
    SAME(derive(&m, rec, 3, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"),
         "ltr_policy_changed 2026-11-01T13:00:00Z 2026-11-01T12:00:00Z -");
    rec[2].ltr_weekly = "P4W";
    rec[2].ltr_monthly = NULL; /* not given: none kept */
    rec[2].ltr_yearly = "P5Y";
    rec[2].ltr_week_of_year = 5;
    SAME(derive(&m, rec, 3, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"), "");
    d->ltr.week_of_year = 6; /* the yearly backup's week moved */
    SAME(derive(&m, rec, 3, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"),
         "ltr_policy_changed 2026-11-01T13:00:00Z 2026-11-01T12:00:00Z -");
    d->ltr_read = false;
    SAME(derive(&m, rec, 3, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"), "");
    free(m.dbs);
}

/* DM16: LTR backups of a recorded database with its own chain, once; gone
 * from a full list only; not from a partial one */
static void test_ltr_backups(void)
{
    CollectMi m;
    instance(&m);
    add_db(&m, DB, "Online", "2026-09-01T00:00:00Z");
    AzMiLtrBackup b[3] = {{.taken_at = at("2026-10-05T03:00:00Z")},
                          {.taken_at = at("2026-08-01T03:00:00Z")},
                          {.taken_at = at("2026-10-12T03:00:00Z")}};
    snprintf(b[0].id, sizeof b[0].id, "/l/db1/one");
    snprintf(b[1].id, sizeof b[1].id, "/l/db1/before");
    snprintf(b[2].id, sizeof b[2].id, "/l/other/x");
    snprintf(b[0].database_name, sizeof b[0].database_name, "db1");
    snprintf(b[1].database_name, sizeof b[1].database_name, "db1");
    snprintf(b[2].database_name, sizeof b[2].database_name, "other");
    snprintf(b[0].redundancy, sizeof b[0].redundancy, "Geo");
    m.ltr = b;
    m.n_ltr = 3;
    m.ltr_listed = true;
    TlMiEvent rec[] = {seen, ev(TL_MI_EV_CREATED, DB, "2026-09-01T00:00:00Z", TL_MI_ORIGIN_NEW),
                       ev(TL_MI_EV_LTR_BACKUP_TAKEN, DB, "2026-10-05T03:00:00Z", 0)};
    /* before the database began, and of a database not recorded: left out */
    SAME(derive(&m, rec, 2, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"),
         "ltr_backup_taken 2026-10-05T03:00:00Z - -");
    rec[2].detail = "/L/DB1/ONE"; /* recorded (ids compared in any case) */
    SAME(derive(&m, rec, 3, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"), "");
    m.n_ltr = 0; /* no longer listed: gone at the poll, bounded */
    SAME(derive(&m, rec, 3, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"),
         "ltr_backup_gone 2026-11-01T13:00:00Z 2026-11-01T12:00:00Z -");
    m.ltr_listed = false; /* a list that failed says nothing */
    SAME(derive(&m, rec, 3, "2026-11-01T12:00:00Z", "2026-11-01T13:00:00Z"), "");
    m.ltr = NULL;
    free(m.dbs);
}

static AzEvent log_event(const char *op, const char *id, const char *when, const char *status)
{
    AzEvent e;
    memset(&e, 0, sizeof e);
    snprintf(e.operation, sizeof e.operation, "Microsoft.Sql/managedInstances/%s", op);
    snprintf(e.resource_id, sizeof e.resource_id, "%s", id);
    snprintf(e.status, sizeof e.status, "%s", status);
    snprintf(e.caller, sizeof e.caller, "dba@contoso.com");
    snprintf(e.correlation_id, sizeof e.correlation_id, "c-%s", when);
    e.at = at(when);
    return e;
}

/* the Activity Log: an LRS cutover at its completeRestore (only a Succeeded
 * one after the last poll), a TDE upload once, not one of the future */
static void test_activity_log(void)
{
    CollectMi m;
    instance(&m);
    add_db(&m, DB, "Online", "2026-10-01T09:00:00Z");
    AzEvent log[] = {
        log_event("databases/completeRestore/action", DB, "2026-10-01T09:30:00Z", "Succeeded"),
        log_event("databases/completeRestore/action", DB, "2026-10-02T05:00:00Z", "Started"),
        log_event("databases/completeRestore/action", DB, "2026-10-02T05:10:00Z", "Succeeded"),
        log_event("tdeCertificates/action", MI, "2026-10-01T08:00:00Z", "Succeeded"),
        log_event("tdeCertificates/action", MI, "2026-10-01T08:00:00Z", "Started"),
        log_event("tdeCertificates/action", MI, "2026-10-03T00:00:00Z", "Succeeded"),
    };
    m.log = log;
    m.n_log = sizeof log / sizeof *log;
    TlMiEvent rec[] = {
        seen, ev(TL_MI_EV_MIGRATION_STARTED, DB, "2026-10-01T09:00:00Z", TL_MI_ORIGIN_LRS)};
    SAME(derive(&m, rec, 2, "2026-10-02T00:00:00Z", "2026-10-02T06:00:00Z"),
         "migration_cutover 2026-10-02T05:10:00Z - -\n"
         "tde_certificate_uploaded 2026-10-01T08:00:00Z - -");
    TlMiEvent rec2[] = {
        seen, ev(TL_MI_EV_TDE_CERTIFICATE_UPLOADED, MI, "2026-10-01T08:00:00Z", 0),
        ev(TL_MI_EV_MIGRATION_STARTED, DB, "2026-10-01T09:00:00Z", TL_MI_ORIGIN_LRS),
        ev(TL_MI_EV_MIGRATION_CUTOVER, DB, "2026-10-02T05:10:00Z", 0)};
    SAME(derive(&m, rec2, 4, "2026-10-02T06:00:00Z", "2026-10-02T07:00:00Z"), "");
    free(m.dbs);
}

/* MI-A13: a move started, ready, then cancelled; a later one completed */
static void test_moves(void)
{
    CollectMi m;
    instance(&m);
    add_db(&m, DB, "Online", "2026-09-01T00:00:00Z");
    AzMiMove mv[2];
    memset(mv, 0, sizeof mv);
    snprintf(mv[0].name, sizeof mv[0].name, "op-start");
    snprintf(mv[0].state, sizeof mv[0].state, "InProgress");
    mv[0].started_at = at("2026-10-01T10:00:00Z");
    snprintf(mv[0].source_db, sizeof mv[0].source_db, "%s", DB);
    snprintf(mv[0].target_db, sizeof mv[0].target_db, "%s", DB2);
    m.moves = mv;
    m.n_moves = 1;
    TlMiEvent rec[5] = {seen, ev(TL_MI_EV_CREATED, DB, "2026-09-01T00:00:00Z", TL_MI_ORIGIN_NEW)};
    SAME(derive(&m, rec, 2, "2026-10-01T09:00:00Z", "2026-10-01T11:00:00Z"),
         "move_started 2026-10-01T10:00:00Z - -");
    rec[2] = ev(TL_MI_EV_MOVE_STARTED, DB, "2026-10-01T10:00:00Z", 0);
    snprintf(mv[0].state, sizeof mv[0].state, "Succeeded");
    SAME(derive(&m, rec, 3, "2026-10-01T11:00:00Z", "2026-10-01T12:00:00Z"),
         "move_ready 2026-10-01T12:00:00Z 2026-10-01T11:00:00Z -");
    rec[3] = ev(TL_MI_EV_MOVE_READY, DB, "2026-10-01T12:00:00Z", 0);
    snprintf(mv[0].state, sizeof mv[0].state, "Cancelled");
    SAME(derive(&m, rec, 4, "2026-10-01T12:00:00Z", "2026-10-02T12:00:00Z"),
         "move_cancelled 2026-10-02T12:00:00Z 2026-10-01T12:00:00Z -");
    /* the operation seen again after its cancellation: nothing */
    rec[4] = ev(TL_MI_EV_MOVE_CANCELLED, DB, "2026-10-02T12:00:00Z", 0);
    SAME(derive(&m, rec, 5, "2026-10-02T12:00:00Z", "2026-10-02T13:00:00Z"), "");
    /* a copy completed (only its latest operation listed): the source stays, listed */
    mv[1] = mv[0];
    snprintf(mv[1].name, sizeof mv[1].name, "op-continue");
    snprintf(mv[1].state, sizeof mv[1].state, "Succeeded");
    mv[1].complete = mv[1].copy = true;
    mv[1].started_at = at("2026-10-03T00:00:00Z");
    m.moves = &mv[1];
    SAME(derive(&m, rec, 5, "2026-10-03T00:30:00Z", "2026-10-03T01:00:00Z"),
         "move_completed 2026-10-03T01:00:00Z 2026-10-03T00:30:00Z copy");
    /* a move completed: the source leaves the list by design, not dropped */
    mv[1].copy = false;
    free(m.dbs);
    m.dbs = NULL;
    m.n_dbs = 0;
    SAME(derive(&m, rec, 5, "2026-10-03T00:30:00Z", "2026-10-03T01:00:00Z"),
         "move_completed 2026-10-03T01:00:00Z 2026-10-03T00:30:00Z -");
}

int main(void)
{
    test_moves();
    test_activity_log();
    test_dms_and_native();
    test_link();
    test_stopped_cancelled_dropped();
    test_recreated_and_first_sight();
    test_dropped_retention();
    test_ltr_policy();
    test_ltr_backups();
    return harness_finish("test_mi_derive");
}
