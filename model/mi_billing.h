/* mi_billing.h - Managed Instance PITR backup storage billing of one
 * instance and month (domain-mi.md MI-$1, $2, $3, $5, $11, $12): every hour
 * the instance's stored backup bytes (all its databases, live and dropped,
 * until purged or lost) less the allowance (storageSizeInGB in force that
 * hour) is billable; the month bills the mean over its hours (GB-month).
 * The billable excess is shared out to the databases in proportion to
 * their bytes (as B1 shares a pool's), each part at the redundancy its
 * bytes were written with. Pure. */
#ifndef TIERLEDGER_MODEL_MI_BILLING_H
#define TIERLEDGER_MODEL_MI_BILLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/mi.h"
#include "model/result.h"
#include "model/tltime.h"

/* What one database holds from `at` on (until its next level): stored PITR
 * bytes (full + differential + log) written with `redundancy` (ARM's Local,
 * Zone, Geo, GeoZone). Daily usage rows are levels at midnight. */
typedef struct {
    const char *database; /* a key: levels of one database compare equal (strcmp) */
    TlTime at;
    int64_t bytes;
    const char *redundancy;
    bool estimate; /* MI-$13: not measured */
} TlMiLevel;

/* The allowance in force from `from` on: the instance's storageSizeInGB (MI-$1). */
typedef struct {
    TlTime from;
    double gb;
} TlMiAllowance;

/* A database whose backups stop billing at `at` (MI-$11: its instance was
 * deleted, it was moved away, or retention set to 0: MI-$3). */
typedef struct {
    const char *database;
    TlTime at;
} TlMiStop;

/* One database and redundancy of the month. */
typedef struct {
    const char *database, *redundancy; /* borrowed from the levels */
    double gb_month;                   /* its share of the billable GB-month */
    double consumed_gb_month;          /* its stored GB-month, before the allowance */
    TlTime charge_start, charge_end;   /* the hours it held bytes */
    bool estimate;                     /* some of its bytes were estimates (MI-$13) */
} TlMiBillLine;

typedef struct {
    double hours;              /* of the whole month */
    double billable_gb_month;  /* the instance's (the sum of the lines) */
    double consumed_gb_month;  /* the instance's stored GB-month */
    double allowance_gb_month; /* the mean allowance */
    TlMiBillLine *lines;       /* owned; by database, then redundancy */
    size_t n_lines;
} TlMiBill;

/* Bill [month_start, month_end) as seen at as_of (hours from as_of on are
 * not billed yet). levels in any order; allowances by from (before the
 * first: none, 0 GB). Release with mi_billing_cleanup. */
TlResult mi_billing_month(const TlMiLevel *levels, size_t n_levels, const TlMiAllowance *allow,
                          size_t n_allow, const TlMiStop *stops, size_t n_stops, TlTime month_start,
                          TlTime month_end, TlTime as_of, TlMiBill *out, TlError *err);
void mi_billing_cleanup(TlMiBill *bill);

/* One database's usage day (import-usage of an MI database): its stored
 * bytes (full + differential + log), the redundancy they were written with
 * (ARM's name, or NULL), its region and tags. Strings borrowed. */
typedef struct {
    const char *resource_id, *redundancy, *region, *tags;
    TlTime day;
    long long bytes;
} TlMiUsageDay;

/* MI-$5 (AMB-MI-3): the factor on the published LRS price per GB-month for
 * backups of `redundancy` billed at hour `at`, for a price sheet that prices
 * only LRS: before 2024-11-01 LRS 1, ZRS 1.25, GRS 2, GZRS 3.4; from then on
 * 1, 1, 2, 2. 0 for an unknown redundancy. */
double mi_redundancy_factor(const char *redundancy, TlTime at);

/* MI-$13 (from MI-B4 and MI-B7), the estimate when no sizes are recorded:
 * what a segment that opened at open_at stores at t, with its window
 * starting at window_from (NONE: empty, then everything since the open):
 * every backup from the last full backup started at or before window_from
 * on, each full full_bytes (a compressed full: the data size /
 * TL_MI_COMPRESSION) and log_bytes_per_day of logs as stored (uncompressed
 * for a TDE database). Fulls: the first at the open (MI-B5), then weekly,
 * Mondays 02:00 UTC (the worked examples' assumption); differentials are
 * left out. */
#define TL_MI_COMPRESSION 3.5 /* "Average backup compression ratio is 3 to 4 times" */
double mi_estimate_stored(TlTime open_at, TlTime window_from, TlTime t, double full_bytes,
                          double log_bytes_per_day);

/* MI-$13 for a database without usage rows: its levels over [month_start,
 * min(month_end, as_of)), from the size last given at or before each
 * instant (size_observed, created or migration_started: data_bytes, a full
 * TL_MI_COMPRESSION times smaller, and log_bytes_per_day) and its lineage
 * then (ev: its events and its instance's in time order, as
 * mi_lineage_evaluate takes them; the segment on db): at the month's
 * start, each midnight, and the segment's open and drop, what
 * mi_estimate_stored gives for its window then; a dropped database's
 * backups stop growing at the drop and leave as its window slides; 0
 * while pending, once expired or lost. Levels are marked estimate, their
 * database is db, their redundancy NULL (the caller's). *out: malloc'd,
 * the caller frees it; *n_out 0 when no size is given by then. */
/* MI-$9 (AMB-MI-9): one database's LTR backup storage of a month, by
 * redundancy. */
typedef struct {
    const char *database;   /* borrowed */
    const char *redundancy; /* as listed, else the instance's when taken (MI-B9), Geo by default */
    double gb_month;        /* every stored byte, no allowance, over the month's hours */
    TlTime charge_start, charge_end;
    size_t backups; /* stored some hour of the month */
} TlMiLtrLine;

/* The LTR storage of the month of lin's backups of db (lin evaluated at
 * min(as_of, month_end); ev as for mi_estimate_levels): each backup a full,
 * data_bytes / TL_MI_COMPRESSION as given by its backupTime (MI-$13: an
 * estimate; LTR copies are not in msdb), billed each hour from its
 * backupTime until it expires or is deleted, whatever happens to the
 * database or its instance (MI-$9). A backup with no size given is left out
 * and counted in *unsized. *lines malloc'd (the caller frees it). */
TlResult mi_ltr_month(const TlMiLineage *lin, const TlMiEvent *ev, size_t n, const char *db,
                      TlTime month_start, TlTime month_end, TlTime as_of, TlMiLtrLine **lines,
                      size_t *n_lines, size_t *unsized, TlError *err);

TlResult mi_estimate_levels(const TlMiEvent *ev, size_t n, const char *db, TlTime month_start,
                            TlTime month_end, TlTime as_of, TlMiLevel **out, size_t *n_out,
                            TlError *err);

#endif
