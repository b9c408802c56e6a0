/* billing.h - what backup storage is billable, per database, segment and
 * kind, as GB-months of a calendar month (domain.md B1-B4, L2). Pure: the
 * usage levels, the history and the month come in as arguments. All figures
 * are estimates from the documented formulas, never invoice amounts. */
#ifndef TIERLEDGER_MODEL_BILLING_H
#define TIERLEDGER_MODEL_BILLING_H

#include <stdbool.h>
#include <stdint.h>

#include "model/lineage.h"
#include "model/money.h"

#define TL_BYTES_UNKNOWN INT64_C(-1)
#define TL_GB            1073741824.0 /* 1 GB = 2^30 bytes (domain.md notation) */

/* A level that holds from `at` until the next level (or the end). */
typedef struct {
    TlTime at;
    double bytes;
} TlLevel;

/* The month's billable quantity of a piecewise-constant level: the mean,
 * over the hours of [from, to), of the level in effect at the start of each
 * hour, in GB (B1: "metered hourly ... a month's billable GB = average over
 * its hours"). Hours before the first level count as zero. */
double billing_gb_month(const TlLevel *levels, size_t n, TlTime from, TlTime to);

/* One day of backup usage of one database (the collector's daily metrics,
 * or import-usage). Sizes are levels held that day; TL_BYTES_UNKNOWN when not
 * reported. Strings are borrowed. */
typedef struct {
    TlTime day; /* 00:00:00Z */
    int64_t full_bytes, diff_bytes, log_bytes, snapshot_bytes;
    int64_t allocated_bytes, max_size_bytes;
    const char *redundancy;      /* Local Zone Geo GeoZone (or LRS ZRS RA-GRS RA-GZRS) */
    const char *elastic_pool_id; /* NULL or "" when not pooled */
    /* Set by billing_pool_allowance for pooled rows: this database's share of
     * the pool's billable PITR bytes (B1 at pool level); TL_BYTES_UNKNOWN when
     * the row is not pooled. */
    int64_t pool_share_bytes;
} TlUsageDay;

/* B1 for elastic pools: for each (pool, day) the billable bytes are
 * max(0, sum of the members' full+diff+log - the pool's max data size), where
 * a pooled row's max_size_bytes is the pool's max data size; each member gets
 * a share proportional to its own backup bytes. Rows of all databases of the
 * month go in together; sets pool_share_bytes on every row. */
TlResult billing_pool_allowance(TlUsageDay *rows, size_t n, TlError *err);

/* One elastic pool's day: the members' full + diff + log bytes summed, and
 * the pool's max data size. Strings borrowed. */
typedef struct {
    const char *pool;
    TlTime day;
    double backup_bytes, max_bytes;
} TlPoolDay;

/* The same share as billing_pool_allowance, from the pools' days given
 * (pools[0..n_pools) sorted by pool id, bytewise, then day) rather than from
 * rows alone: rows may be some members of a pool only. A pooled row of a
 * pool-day not given is TL_ERR_INTERNAL. */
TlResult billing_pool_shares(TlUsageDay *rows, size_t n, const TlPoolDay *pools, size_t n_pools,
                             TlError *err);

typedef enum {
    TL_BILL_PITR = 0,   /* standard architecture point-in-time backups */
    TL_BILL_HYPERSCALE, /* Hyperscale data + log backups */
} TlBillKind;

const char *billing_kind_str(TlBillKind kind); /* "pitr" | "hyperscale_backup" */

typedef struct {
    int seq; /* the segment */
    TlArchitecture arch;
    TlBillKind kind;
    const char *objective;    /* the segment's last objective (borrowed) */
    TlSegmentStatus status;   /* at the end of the month (or as_of, if earlier) */
    TlTime charge_start;      /* first billable hour of the month */
    TlTime charge_end;        /* end of the last billable hour (exclusive) */
    double gb_month;          /* billable GB-month: the quantity to price */
    double consumed_gb_month; /* backup GB-month before the B1 allowance */
    bool dtu_included;        /* B2: DTU PITR is in the database price */
    bool decaying_estimate;   /* B4: after cutover, estimated from the last size */
    bool carried_forward;     /* a missing day was filled with the day before */
    bool no_usage;            /* no usage row at all for a billable hour */
    bool dropped;             /* billed after the database was dropped (B3, L8) */
    const char *redundancy;   /* of the last usage row used (borrowed), or NULL */
} TlBillLine;

typedef struct {
    TlBillLine *lines; /* owned; by segment */
    size_t n_lines;
    double hours; /* hours in the month */
} TlBill;

/* Bill one database lineage for [month_start, month_end) as seen at as_of
 * (as_of >= month_end for a closed month; an earlier as_of bills only the
 * hours before it). usage holds the lineage's days sorted by day (pooled rows
 * already through billing_pool_allowance). Each available segment (B4) bills
 * per hour: the current one from that day's usage (B1 single database or
 * pool share, B2 DTU = 0, B3 Hyperscale), the previous one from its last
 * observed billable size, decaying linearly to zero at end + R, and not
 * after it is lost. dropped_at (TL_TIME_NONE while the database lives) ends
 * the lineage: its backups stay for R after the drop (L8) and bill falling
 * linearly to zero at dropped_at + R from the last day before the drop:
 * Hyperscale (data + data backup + log backup) x remaining / R exactly as B3
 * says, a standard database its last billable size (an estimate: the docs
 * give no formula). Release with billing_cleanup. */
TlResult billing_month(const TlTransition *tr, size_t n, int retention_days,
                       const TlUsageDay *usage, size_t n_usage, TlTime month_start,
                       TlTime month_end, TlTime as_of, TlTime dropped_at, TlBill *out,
                       TlError *err);

/* The usage before a month that billing_month may read: R is at most 35
 * days (L9), so a previous segment's last size (B4) and a level carried
 * into the month come from at most this many days before month_start. */
#define TL_BILLING_LOOKBACK_DAYS 36

/* Whether billing_month of the month from month_start may read this
 * lineage's usage rows before month_start, given `first`, its first row on
 * or after month_start (NULL when it has none). false only when it cannot:
 * it was created at or after month_start (a day before is an older
 * lineage's, L7); or no transition but its creation began or ended (or is
 * still open) from TL_BILLING_LOOKBACK_DAYS before month_start on, it was
 * not dropped from then on, and `first` is month_start's own row with the
 * figures of the architecture in effect then, so that every hour finds its
 * level in the month. tr sorted (history_sort). The fleet reads skip the
 * earlier days of the lineages it returns false for. */
bool billing_reads_before(const TlTransition *tr, size_t n, const TlUsageDay *first,
                          TlTime month_start, TlTime dropped_at);

void billing_cleanup(TlBill *bill);

/* One row of a price sheet (B6): currency per GB-month. Strings borrowed. */
typedef struct {
    const char *region;     /* an Azure region name, or "*" for any */
    const char *kind;       /* "pitr" | "ltr" | "hyperscale_backup" */
    const char *redundancy; /* "LRS" | "ZRS" | "RA-GRS" | "RA-GZRS" */
    double unit_price;
    const char *currency;
    TlTime effective_from;
    int line; /* in the sheet, for messages */
    /* the provider's names for it when the sheet gives them (prices fetch
     * does), else NULL: the meter, and FOCUS's SkuId and SkuPriceId */
    const char *meter, *sku_id, *sku_price_id;
} TlPrice;

/* The price in force at `at` for region, kind and redundancy: among rows
 * effective at or before `at`, one naming the region (case-insensitively)
 * wins over "*", then the latest effective_from. region may be NULL
 * (unknown): only "*" rows apply. NULL when there is none: never a zero. */
const TlPrice *billing_price_find(const TlPrice *prices, size_t n, const char *region,
                                  const char *kind, const char *redundancy, TlTime at);

/* The price-sheet name of an ARM backup storage redundancy (B5): Local LRS,
 * Zone ZRS, Geo RA-GRS, GeoZone RA-GZRS; NULL (unknown) is Geo, the default. */
const char *billing_redundancy_price(const char *arm);

/* The ARM name (Local, Zone, Geo, GeoZone) of a redundancy written either
 * way, ARM's or the storage names (LRS, ZRS, GRS, RA-GRS, GZRS, RA-GZRS),
 * case-insensitively; NULL when it is neither. */
const char *billing_redundancy_arm(const char *text);

/* What Azure invoiced one database for one meter in a billing month: the
 * lines of a Cost Management export (import-costs) summed. Strings
 * borrowed. */
typedef struct {
    const char *resource_id;   /* as the export wrote it */
    const char *meter;         /* as the export wrote it */
    const char *currency;      /* ISO 4217 */
    TlMoney billed, effective; /* exact sums: BilledCost, EffectiveCost */
    double quantity;           /* GB-month summed; NAN when no line gave one */
    int days;                  /* distinct days charged */
    TlTime first_day, last_day;
    bool recorded; /* a database of this resource id (any case) is recorded */
} TlInvoiceLine;

/* [start, end) of the calendar month "YYYY-MM"; false if malformed. */
bool billing_month_parse(const char *text, TlTime *start, TlTime *end);

#endif
