/* mi.h - the Managed Instance part of a collector run (azure-api-mi.md):
 * read each subscription's managed instances (MI-A1), and of each its
 * databases (MI-A3), management operations (MI-A4), restorable dropped
 * databases (MI-A9) and their retention (MI-A8) and links (MI-A12); of each database its short-term
 * retention (MI-A7), its LTR policy when Online (MI-A10) and, while it is Restoring, its LRS
 * restore details (MI-A5) and DMS migration (MI-A15); the database moves of each subscription,
 * resource group and location (MI-A13); a recorded instance missing from its subscription's list is
 * asked for itself (404: deleted). Then mi_derive decides, from the events recorded for an instance
 * and this run's reading, which MI events the run adds: pure, no I/O. The rules:
 * docs/collector-rules.md "Managed Instance". PostgreSQL is record.c's. */
#ifndef TIERLEDGER_COLLECTOR_MI_H
#define TIERLEDGER_COLLECTOR_MI_H

#include <stdbool.h>
#include <stddef.h>

#include "collector/azure.h"
#include "collector/collect.h"
#include "model/mi.h"

typedef struct {
    AzManagedDatabase db;
    int retention_days; /* MI-A7; 0: not read */
    bool ltr_read;      /* MI-A10 answered (an Online database) */
    AzMiLtrPolicy ltr;
    char restore_type[32]; /* MI-A5 properties.type while Restoring ("LRSRestore"); "": none */
    bool dms;              /* MI-A15 answered: a DMS migration */
    AzMiDmsMigration dms_m;
} CollectMiDb;

typedef struct CollectMi {
    AzManagedInstance mi;
    int sub;        /* index in Collect.subs */
    bool listed;    /* in its subscription's instance list this run */
    bool gone;      /* recorded, not listed, and answered 404 itself (MI-B13) */
    bool failed;    /* some read failed for good: nothing of it is recorded */
    bool written;   /* recorded this run (record_mi) */
    TlError *error; /* owned: why, naming it */
    CollectMiDb *dbs;
    size_t n_dbs, cap_dbs;
    AzMiOperation *ops;
    size_t n_ops, cap_ops;
    AzDroppedDatabase *dropped;
    size_t n_dropped, cap_dropped;
    int *dropped_days; /* MI-A8: each dropped entry's retentionDays; -1: not read */
    AzMiLinkDatabase *links;
    size_t n_links, cap_links;
    const AzEvent *log; /* its subscription's Activity Log MI events (borrowed), or NULL */
    size_t n_log;
    const AzMiMove *moves; /* the run's move and copy operations (borrowed: Collect.mi_moves) */
    size_t n_moves;
    AzMiLtrBackup *ltr; /* MI-A11: its LTR backups, when ltr_listed */
    size_t n_ltr, cap_ltr;
    bool ltr_listed; /* the LTR backup list answered in full this run */
} CollectMi;

/* List the instances of every subscription not failed (honouring
 * --resource-group) and read all of the above of each. A failed instance
 * list fails the subscription's MI part (CollectSub.mi_failed). */
TlResult collect_mi_read(Collect *c, TlError *err);

/* Recorded instance `id` of subscription `sub`: when its subscription's
 * list answered in full without it, add it (listed false) to be asked for. */
TlResult collect_mi_recorded(Collect *c, int sub, const char *id, TlError *err);

/* GET every instance added by collect_mi_recorded: 404 marks it gone; an
 * answer fails it (the list was partial). */
TlResult collect_mi_confirm(Collect *c, TlError *err);

/* Mark m failed with why (the first failure wins), named "managed instance
 * M (subscription X): why"; nothing of it is stored. */
void collect_mi_fail(Collect *c, CollectMi *m, const TlError *why);

/* ---- what a run adds (pure) ------------------------------------------------ */

/* An event to add, with its strings; bind with mi_rows_bind before use. */
typedef struct {
    TlMiEvent e;
    TlTime not_before; /* the last poll, when the instant is only known to be after it */
    char state[32], operation_id[AZ_NAME_MAX], initiated_by[AZ_NAME_MAX];
    char resource_id[AZ_ID_MAX];
    char detail[AZ_ID_MAX + 160];
    char tier[32], redundancy[16], database_format[40];
    char source_server[AZ_NAME_MAX], source_database[AZ_NAME_MAX];
    char ltr_weekly[16], ltr_monthly[16], ltr_yearly[16];
} MiRow;

/* Whether database id (any case) is one of instance m's. */
bool mi_database_of(const CollectMi *m, const char *id);

/* The most rows mi_derive adds for instance m with n_recorded events. */
size_t mi_derive_max(const CollectMi *m, size_t n_recorded);

/* The events this run adds for instance m (listed or gone, not failed),
 * given what is recorded for it and its databases (recorded[0..n), time
 * order) and its last poll (TL_TIME_NONE: never), at instant now:
 * rows[0 .. *n), at most max (mi_derive_max), bound. */
TlResult mi_derive(const CollectMi *m, const TlMiEvent *recorded, size_t n_recorded,
                   TlTime polled_at, TlTime now, MiRow *rows, size_t max, size_t *n, TlError *err);

void collect_mi_cleanup(Collect *c);

#endif
