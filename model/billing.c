/* billing.c - billable backup storage per segment (domain.md B1-B4).
 *
 * Metering is hourly (B1): every hour of the month the billable size in
 * effect at the start of the hour is taken, and the month's quantity is the
 * mean over all hours of the month (GB-month). Per hour, per available
 * segment (B4, L2):
 *   - the current segment bills that day's usage: standard vCore
 *     max(0, full + diff + log - max data size) (B1), or its share of the
 *     pool's excess for pooled databases; DTU 0 (B2); Hyperscale
 *     snapshot + log with no allowance (B3). A missing day carries the day
 *     before forward (flagged);
 *   - the previous segment, after its cutover, is no longer measured by the
 *     metrics: its last observed billable size decays linearly to zero at
 *     end + R (B4; the docs give no formula: an estimate, flagged), and it
 *     stops at once when it is lost (L3/L4);
 *   - lost and expired segments bill nothing.
 * After a drop the lineage's last segment keeps billing for R (L8): Hyperscale
 * (data + data backup + log backup) x remaining retention / R (B3), standard
 * its last billable size falling the same way (our estimate). LTR is not
 * billed here: no usage for it is recorded yet. */
#include "model/billing.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR INT64_C(3600)

const char *billing_kind_str(TlBillKind kind)
{
    return kind == TL_BILL_HYPERSCALE ? "hyperscale_backup" : "pitr";
}

double billing_gb_month(const TlLevel *levels, size_t n, TlTime from, TlTime to)
{
    double sum = 0;
    size_t next = 0, hours = 0;
    double level = 0;
    for (TlTime h = from; h < to; h += HOUR, hours++) {
        while (next < n && levels[next].at <= h)
            level = levels[next++].bytes;
        sum += level;
    }
    return hours ? sum / (double)hours / TL_GB : 0;
}

static int64_t known(int64_t v)
{
    return v == TL_BYTES_UNKNOWN ? 0 : v;
}

static bool is_pooled(const TlUsageDay *u)
{
    return u->elastic_pool_id && u->elastic_pool_id[0];
}

static int64_t standard_backup_bytes(const TlUsageDay *u)
{
    return known(u->full_bytes) + known(u->diff_bytes) + known(u->log_bytes);
}

/* Sort key for the pool grouping: (pool id, day). */
static const TlUsageDay *pool_rows;
static int cmp_pool(const void *pa, const void *pb)
{
    const TlUsageDay *a = &pool_rows[*(const size_t *)pa], *b = &pool_rows[*(const size_t *)pb];
    int c = strcmp(a->elastic_pool_id, b->elastic_pool_id);
    if (c)
        return c;
    return (a->day > b->day) - (a->day < b->day);
}

/* The share of row u in a pool-day of sum backup bytes and max data size. */
static int64_t pool_share(const TlUsageDay *u, double sum, double pool_max)
{
    double billable = sum > pool_max ? sum - pool_max : 0;
    double share = sum > 0 ? billable * (double)standard_backup_bytes(u) / sum : 0;
    return (int64_t)(share + 0.5);
}

TlResult billing_pool_allowance(TlUsageDay *rows, size_t n, TlError *err)
{
    size_t *idx = malloc((n ? n : 1) * sizeof *idx), m = 0;
    if (!idx)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        rows[i].pool_share_bytes = TL_BYTES_UNKNOWN;
        if (is_pooled(&rows[i]))
            idx[m++] = i;
    }
    pool_rows = rows;
    if (m > 1)
        qsort(idx, m, sizeof *idx, cmp_pool);
    for (size_t first = 0; first < m;) {
        size_t last = first;
        double sum = 0, pool_max = 0;
        for (; last < m && cmp_pool(&idx[first], &idx[last]) == 0; last++) {
            const TlUsageDay *u = &rows[idx[last]];
            sum += (double)standard_backup_bytes(u);
            if ((double)u->max_size_bytes > pool_max)
                pool_max = (double)u->max_size_bytes;
        }
        for (size_t k = first; k < last; k++)
            rows[idx[k]].pool_share_bytes = pool_share(&rows[idx[k]], sum, pool_max);
        first = last;
    }
    free(idx);
    return TL_OK;
}

static int cmp_pool_day(const void *key, const void *p)
{
    const TlUsageDay *u = key;
    const TlPoolDay *d = p;
    int c = strcmp(u->elastic_pool_id, d->pool);
    return c ? c : (u->day > d->day) - (u->day < d->day);
}

TlResult billing_pool_shares(TlUsageDay *rows, size_t n, const TlPoolDay *pools, size_t n_pools,
                             TlError *err)
{
    for (size_t i = 0; i < n; i++) {
        TlUsageDay *u = &rows[i];
        u->pool_share_bytes = TL_BYTES_UNKNOWN;
        if (!is_pooled(u))
            continue;
        const TlPoolDay *d = bsearch(u, pools, n_pools, sizeof *pools, cmp_pool_day);
        if (!d)
            return tl_error_set(err, TL_ERR_INTERNAL,
                                "elastic pool %s has no total for a day of its member's usage",
                                u->elastic_pool_id);
        u->pool_share_bytes = pool_share(u, d->backup_bytes, d->max_bytes);
    }
    return TL_OK;
}

/* Billable and consumed bytes of one usage row for a segment of `arch`
 * running `objective`; false when the row carries no figure for it. */
static bool row_bytes(const TlUsageDay *u, TlArchitecture arch, bool dtu_objective,
                      double *billable, double *consumed, bool *dtu)
{
    *dtu = false;
    if (arch == TL_ARCH_HYPERSCALE) { /* B3; a row without snapshot bytes is a standard one */
        if (u->snapshot_bytes == TL_BYTES_UNKNOWN)
            return false;
        *consumed = *billable = (double)(known(u->snapshot_bytes) + known(u->log_bytes));
        return true;
    }
    if (u->full_bytes == TL_BYTES_UNKNOWN && u->diff_bytes == TL_BYTES_UNKNOWN)
        return false; /* a Hyperscale row (or none): not this architecture's figures */
    *consumed = (double)standard_backup_bytes(u);
    if (dtu_objective) { /* B2: included in the DTU price */
        *dtu = true;
        *billable = 0;
    } else if (u->pool_share_bytes != TL_BYTES_UNKNOWN) { /* B1 at pool level */
        *billable = (double)u->pool_share_bytes;
    } else { /* B1: the allowance is the max data size */
        double allowance = u->max_size_bytes > 0 ? (double)u->max_size_bytes : 0;
        *billable = *consumed > allowance ? *consumed - allowance : 0;
    }
    return true;
}

static bool is_dtu(const char *objective)
{
    TlObjective obj;
    objective_parse(objective, NULL, &obj);
    return obj.dtu;
}

/* The last observed billable size of a segment before its cutover (B4). */
static bool last_level(const TlSegment *seg, const TlUsageDay *usage, size_t n_usage, double *bytes,
                       const char **redundancy)
{
    for (size_t i = n_usage; i-- > 0;) {
        const TlUsageDay *u = &usage[i];
        if (u->day >= seg->end || u->day + TL_SECONDS_PER_DAY <= seg->start)
            continue;
        double consumed;
        bool dtu;
        if (row_bytes(u, seg->arch, is_dtu(seg->objectives[seg->n_objectives - 1]), bytes,
                      &consumed, &dtu)) {
            *redundancy = u->redundancy;
            return true;
        }
    }
    return false;
}

static void charge(TlBillLine *line, TlTime h, double billable, double consumed)
{
    if (line->charge_start == TL_TIME_NONE)
        line->charge_start = h;
    line->charge_end = h + HOUR;
    line->gb_month += billable;
    line->consumed_gb_month += consumed;
}

/* B3/L8: what the last segment holds at the drop, from the last row before it. */
static double dropped_level(const TlSegment *seg, const TlUsageDay *usage, size_t n_usage,
                            TlTime dropped_at)
{
    for (size_t i = n_usage; i-- > 0;) {
        const TlUsageDay *u = &usage[i];
        if (u->day >= dropped_at)
            continue;
        if (u->day + TL_SECONDS_PER_DAY <= seg->start)
            break;
        double billable, consumed;
        bool dtu;
        if (!row_bytes(u, seg->arch, is_dtu(seg->objectives[seg->n_objectives - 1]), &billable,
                       &consumed, &dtu))
            continue;
        if (seg->arch == TL_ARCH_HYPERSCALE) /* B3: data + data backup + log backup */
            return billable + (double)known(u->allocated_bytes);
        return billable;
    }
    return 0;
}

/* B4: a previous segment's backups bill until it is lost or expires (its
 * end + R), falling linearly from its last size to zero at end + R. */
static TlTime decay_end(const TlSegment *prev, TlTime r)
{
    TlTime ends = prev->end + r;
    return prev->lost_at != TL_TIME_NONE && prev->lost_at < ends ? prev->lost_at : ends;
}

static double decay_level(double last, const TlSegment *prev, TlTime r, TlTime h)
{
    return last * (double)(prev->end + r - h) / (double)r;
}

/* Hour h of the current segment, from the latest usage row of its
 * architecture at or before the hour (the day's own, normally); u is the
 * last row with day <= h. */
/* What charge_current found for an hour: the same for every hour with the
 * same segment, last usage row and objective kind (a day's 24 hours). */
typedef struct {
    size_t seg, u;
    bool dtu_objective, u_by_h; /* usage[u].day <= h */
    bool valid, found, dtu;
    size_t k; /* the row found */
    double billable, consumed;
} CurrentCharge;

static void charge_current(TlBillLine *line, size_t cur, const TlSegment *seg,
                           const TlUsageDay *usage, size_t n_usage, size_t u, bool dtu_objective,
                           TlTime h, CurrentCharge *memo)
{
    bool u_by_h = n_usage > 0 && usage[u].day <= h;
    if (!memo->valid || memo->seg != cur || memo->u != u || memo->dtu_objective != dtu_objective ||
        memo->u_by_h != u_by_h) {
        *memo = (CurrentCharge){
            .seg = cur, .u = u, .dtu_objective = dtu_objective, .u_by_h = u_by_h, .valid = true};
        for (size_t k = n_usage ? u + 1 : 0; !memo->found && k-- > 0;) {
            if (usage[k].day > h)
                continue;
            if (usage[k].day + TL_SECONDS_PER_DAY <= seg->start)
                break;
            memo->found = row_bytes(&usage[k], seg->arch, dtu_objective, &memo->billable,
                                    &memo->consumed, &memo->dtu);
            memo->k = k;
        }
        if (!memo->found)
            memo->billable = memo->consumed = 0;
    }
    if (memo->found) {
        line->carried_forward |= usage[memo->k].day + TL_SECONDS_PER_DAY <= h;
        line->redundancy = usage[memo->k].redundancy;
    }
    line->no_usage |= !memo->found;
    line->dtu_included |= memo->dtu;
    charge(line, h, memo->billable, memo->consumed);
}

/* The objective in force from each instant on (history_objective_at at
 * every hour, without a scan per hour): the succeeded transitions by when
 * they took effect, a later one first among equal instants' successors. */
typedef struct {
    TlTime at;
    bool dtu;
} ObjectiveStep;

static size_t objective_steps(const TlTransition *tr, size_t n, ObjectiveStep *steps)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (tr[i].state != TL_OP_SUCCEEDED)
            continue;
        TlTime end = tr[i].ended_at != TL_TIME_NONE ? tr[i].ended_at
                     : history_is_creation(&tr[i])  ? tr[i].started_at
                                                    : TL_TIME_NONE;
        if (end == TL_TIME_NONE)
            continue;
        size_t j = m++; /* insertion by instant, stable: of equal instants the later wins */
        while (j > 0 && steps[j - 1].at > end) {
            steps[j] = steps[j - 1];
            j--;
        }
        steps[j] = (ObjectiveStep){end, is_dtu(tr[i].to_objective)};
    }
    return m;
}

bool billing_reads_before(const TlTransition *tr, size_t n, const TlUsageDay *first,
                          TlTime month_start, TlTime dropped_at)
{
    TlTime from = month_start - TL_BILLING_LOOKBACK_DAYS * TL_SECONDS_PER_DAY, begun = TL_TIME_NONE;
    for (size_t i = 0; i < n; i++)
        if (begun == TL_TIME_NONE || tr[i].started_at < begun)
            begun = tr[i].started_at;
    if (begun != TL_TIME_NONE && begun >= month_start)
        return false; /* created in or after the month: no earlier day is its own (L7) */
    if (dropped_at != TL_TIME_NONE && dropped_at >= from)
        return true;
    for (size_t i = 0; i < n; i++) {
        if (history_is_creation(&tr[i]))
            continue; /* it starts the first segment: nothing before it bills */
        if (tr[i].started_at >= from || tr[i].ended_at == TL_TIME_NONE || tr[i].ended_at >= from)
            return true; /* a segment or objective step near or in the month, or one open */
    }
    const char *objective = history_objective_at(tr, n, month_start);
    if (!first || first->day != month_start || !objective)
        return true; /* the first hours carry a level from before */
    TlObjective obj;
    objective_parse(objective, NULL, &obj);
    double billable, consumed;
    bool dtu;
    return !row_bytes(first, obj.arch, obj.dtu, &billable, &consumed, &dtu);
}

TlResult billing_month(const TlTransition *tr, size_t n, int retention_days,
                       const TlUsageDay *usage, size_t n_usage, TlTime month_start,
                       TlTime month_end, TlTime as_of, TlTime dropped_at, TlBill *out, TlError *err)
{
    memset(out, 0, sizeof *out);
    out->hours = (double)((month_end - month_start) / HOUR);
    TlTime stop = as_of < month_end ? as_of : month_end;
    if (n == 0 || tr[0].started_at >= stop) /* did not exist in the month (yet) */
        return TL_OK;
    TlLineage lin;
    TlTime seen = dropped_at != TL_TIME_NONE && dropped_at < stop ? dropped_at : stop;
    TlResult rc = lineage_evaluate(tr, n, seen, retention_days, TL_READING_SEGMENT, &lin, err);
    if (rc)
        return rc;
    TlBillLine *lines = calloc(lin.n_segments, sizeof *lines);
    double *tail = calloc(lin.n_segments, sizeof *tail);
    bool *has_tail = calloc(lin.n_segments, sizeof *has_tail);
    ObjectiveStep *steps = malloc(n * sizeof *steps);
    if (!lines || !tail || !has_tail || !steps) {
        free(lines);
        free(tail);
        free(has_tail);
        free(steps);
        lineage_cleanup(&lin);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    for (size_t s = 0; s < lin.n_segments; s++) {
        const TlSegment *seg = &lin.segments[s];
        lines[s] = (TlBillLine){.seq = seg->seq,
                                .arch = seg->arch,
                                .kind = seg->arch == TL_ARCH_HYPERSCALE ? TL_BILL_HYPERSCALE
                                                                        : TL_BILL_PITR,
                                .objective = seg->objectives[seg->n_objectives - 1],
                                .status = seg->status,
                                .charge_start = TL_TIME_NONE,
                                .charge_end = TL_TIME_NONE};
        if (seg->end != TL_TIME_NONE)
            has_tail[s] = last_level(seg, usage, n_usage, &tail[s], &lines[s].redundancy);
    }
    const TlTime r = (TlTime)retention_days * TL_SECONDS_PER_DAY;
    size_t cur = 0, u = 0; /* u: the last usage row with day <= h (when any is) */
    CurrentCharge memo = {0};
    size_t n_steps = objective_steps(tr, n, steps), step = 0;
    bool dtu_now = is_dtu(NULL);
    double at_drop = 0;
    if (dropped_at != TL_TIME_NONE)
        at_drop = dropped_level(&lin.segments[lin.n_segments - 1], usage, n_usage, dropped_at);
    for (TlTime h = month_start; h < stop; h += HOUR) {
        if (h < lin.segments[0].start)
            continue;
        if (dropped_at != TL_TIME_NONE && h >= dropped_at) { /* L8, B3 */
            if (h >= dropped_at + r)
                break;
            TlBillLine *last = &lines[lin.n_segments - 1];
            double level = at_drop * (double)(dropped_at + r - h) / (double)r;
            last->dropped = true;
            charge(last, h, level, level);
            size_t p = lin.n_segments - 2; /* the previous one keeps decaying to its expiry */
            if (lin.n_segments >= 2 && h < decay_end(&lin.segments[p], r) && has_tail[p]) {
                double decayed = decay_level(tail[p], &lin.segments[p], r, h);
                charge(&lines[p], h, decayed, decayed);
            }
            continue;
        }
        while (cur + 1 < lin.n_segments && lin.segments[cur + 1].start <= h)
            cur++;
        while (u + 1 < n_usage && usage[u + 1].day <= h)
            u++;
        for (; step < n_steps && steps[step].at <= h; step++)
            dtu_now = steps[step].dtu;
        charge_current(&lines[cur], cur, &lin.segments[cur], usage, n_usage, u, dtu_now, h, &memo);
        /* the previous segment, decaying after its cutover until lost or expired */
        if (cur == 0 || h >= decay_end(&lin.segments[cur - 1], r))
            continue;
        double level =
            has_tail[cur - 1] ? decay_level(tail[cur - 1], &lin.segments[cur - 1], r, h) : 0;
        lines[cur - 1].decaying_estimate = true;
        lines[cur - 1].no_usage |= !has_tail[cur - 1];
        charge(&lines[cur - 1], h, level, level);
    }
    /* keep the segments that billed any hour of the month, in GB-month */
    for (size_t s = 0; s < lin.n_segments; s++) {
        if (lines[s].charge_start == TL_TIME_NONE)
            continue;
        lines[s].gb_month = lines[s].gb_month / out->hours / TL_GB;
        lines[s].consumed_gb_month = lines[s].consumed_gb_month / out->hours / TL_GB;
        lines[out->n_lines++] = lines[s];
    }
    out->lines = lines;
    free(tail);
    free(has_tail);
    free(steps);
    lineage_cleanup(&lin);
    return TL_OK;
}

void billing_cleanup(TlBill *bill)
{
    if (!bill)
        return;
    free(bill->lines);
    bill->lines = NULL;
    bill->n_lines = 0;
}

bool billing_month_parse(const char *text, TlTime *start, TlTime *end)
{
    int year, month;
    char extra;
    if (!text || strlen(text) != 7 || text[4] != '-' ||
        sscanf(text, "%4d-%2d%c", &year, &month, &extra) != 2 || month < 1 || month > 12 ||
        year < 1970)
        return false;
    *start = tl_days_from_civil(year, (unsigned)month, 1) * TL_SECONDS_PER_DAY;
    *end = (month == 12 ? tl_days_from_civil(year + 1, 1, 1)
                        : tl_days_from_civil(year, (unsigned)month + 1, 1)) *
           TL_SECONDS_PER_DAY;
    return true;
}

static bool same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

const TlPrice *billing_price_find(const TlPrice *prices, size_t n, const char *region,
                                  const char *kind, const char *redundancy, TlTime at)
{
    const TlPrice *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const TlPrice *p = &prices[i];
        bool named = region && same_name(p->region, region);
        if (p->effective_from > at || strcmp(p->kind, kind) != 0 ||
            strcmp(p->redundancy, redundancy) != 0 || (!named && strcmp(p->region, "*") != 0))
            continue;
        bool best_named = best && strcmp(best->region, "*") != 0;
        if (!best || (named && !best_named) ||
            (named == best_named && p->effective_from > best->effective_from))
            best = p;
    }
    return best;
}

const char *billing_redundancy_price(const char *arm)
{
    if (arm && strcmp(arm, "Local") == 0)
        return "LRS";
    if (arm && strcmp(arm, "Zone") == 0)
        return "ZRS";
    if (arm && strcmp(arm, "GeoZone") == 0)
        return "RA-GZRS";
    return "RA-GRS"; /* Geo, the default (B5) */
}

const char *billing_redundancy_arm(const char *text)
{
    static const char *const names[][2] = {
        {"Local", "Local"},  {"LRS", "Local"},      {"Zone", "Zone"},  {"ZRS", "Zone"},
        {"Geo", "Geo"},      {"GRS", "Geo"},        {"RA-GRS", "Geo"}, {"GeoZone", "GeoZone"},
        {"GZRS", "GeoZone"}, {"RA-GZRS", "GeoZone"}};
    for (size_t i = 0; text && i < sizeof names / sizeof names[0]; i++)
        if (same_name(text, names[i][0]))
            return names[i][1];
    return NULL;
}
