/* mi_billing.c - see mi_billing.h. Hour by hour: each database's level in
 * force at the start of the hour, the instance's sum, the allowance in
 * force then, the excess shared out by bytes (MI-$1, MI-$2, MI-$12). */
#include "model/mi_billing.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HOUR INT64_C(3600)
#define GB   1073741824.0 /* 1 GB = 2^30 bytes (domain-mi.md notation) */

double mi_redundancy_factor(const char *redundancy, TlTime at)
{
    /* 2024-11-01T00:00:00Z: "the backup storage pricing is now streamlined" */
    const TlTime streamlined = INT64_C(1730419200);
    bool before = at < streamlined;
    if (!redundancy)
        return 0;
    if (strcmp(redundancy, "Local") == 0)
        return 1;
    if (strcmp(redundancy, "Zone") == 0)
        return before ? 1.25 : 1;
    if (strcmp(redundancy, "Geo") == 0)
        return 2;
    if (strcmp(redundancy, "GeoZone") == 0)
        return before ? 3.4 : 2;
    return 0;
}

/* One database: its levels (sorted), where the hour loop is in them, when
 * its backups stop billing, and its first line. */
typedef struct {
    const char *name;
    const TlMiLevel **levels;
    size_t n, next;
    TlTime stop;
    size_t line0, n_lines; /* its lines in the bill */
} Db;

static int cmp_level(const void *pa, const void *pb)
{
    const TlMiLevel *a = *(const TlMiLevel *const *)pa, *b = *(const TlMiLevel *const *)pb;
    int c = strcmp(a->database, b->database);
    return c ? c : (a->at > b->at) - (a->at < b->at);
}

static TlMiBillLine *line_of(TlMiBill *bill, const Db *db, const char *redundancy)
{
    for (size_t k = db->line0; k < db->line0 + db->n_lines; k++) {
        TlMiBillLine *l = &bill->lines[k];
        if ((l->redundancy == NULL) == (redundancy == NULL) &&
            (!redundancy || strcmp(l->redundancy, redundancy) == 0))
            return l;
    }
    return NULL;
}

/* The lines, one per database and redundancy the levels name (before the
 * hour loop, so the loop never allocates). */
static TlResult make_lines(TlMiBill *bill, Db *dbs, size_t n_db, size_t n_levels, TlError *err)
{
    bill->lines = calloc(n_levels ? n_levels : 1, sizeof *bill->lines);
    if (!bill->lines)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t d = 0; d < n_db; d++) {
        Db *db = &dbs[d];
        db->line0 = bill->n_lines;
        for (size_t i = 0; i < db->n; i++) {
            const TlMiLevel *lv = db->levels[i];
            if (line_of(bill, db, lv->redundancy))
                continue;
            bill->lines[bill->n_lines++] = (TlMiBillLine){.database = lv->database,
                                                          .redundancy = lv->redundancy,
                                                          .charge_start = TL_TIME_NONE,
                                                          .charge_end = TL_TIME_NONE};
            db->n_lines++;
        }
    }
    return TL_OK;
}

static void hour_of(TlMiBill *bill, Db *dbs, size_t n_db, const int64_t *bytes,
                    const TlMiLevel *const *cur, double sum, double allowance, TlTime h)
{
    double billable = sum > allowance ? sum - allowance : 0;
    for (size_t d = 0; d < n_db; d++) {
        if (bytes[d] <= 0)
            continue;
        TlMiBillLine *l = line_of(bill, &dbs[d], cur[d]->redundancy);
        double share = billable * (double)bytes[d] / sum;
        l->gb_month += share;
        l->consumed_gb_month += (double)bytes[d];
        l->estimate |= cur[d]->estimate;
        if (l->charge_start == TL_TIME_NONE)
            l->charge_start = h;
        l->charge_end = h + HOUR;
    }
    bill->billable_gb_month += billable;
    bill->consumed_gb_month += sum;
    bill->allowance_gb_month += allowance;
}

static TlResult walk_hours(TlMiBill *bill, Db *dbs, size_t n_db, const TlMiAllowance *allow,
                           size_t n_allow, TlTime from, TlTime to, TlError *err)
{
    int64_t *bytes = calloc(n_db ? n_db : 1, sizeof *bytes);
    const TlMiLevel **cur = calloc(n_db ? n_db : 1, sizeof *cur);
    if (!bytes || !cur) {
        free(bytes);
        free(cur);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    size_t a = 0;
    double allowance = 0;
    for (TlTime h = from; h < to; h += HOUR) {
        while (a < n_allow && allow[a].from <= h)
            allowance = allow[a++].gb * GB;
        double sum = 0;
        for (size_t d = 0; d < n_db; d++) {
            Db *db = &dbs[d];
            while (db->next < db->n && db->levels[db->next]->at <= h)
                cur[d] = db->levels[db->next++];
            bytes[d] = cur[d] && (db->stop == TL_TIME_NONE || h < db->stop) ? cur[d]->bytes : 0;
            sum += (double)(bytes[d] > 0 ? bytes[d] : 0);
        }
        hour_of(bill, dbs, n_db, bytes, cur, sum, allowance, h);
    }
    free(bytes);
    free(cur);
    return TL_OK;
}

TlResult mi_billing_month(const TlMiLevel *levels, size_t n_levels, const TlMiAllowance *allow,
                          size_t n_allow, const TlMiStop *stops, size_t n_stops, TlTime month_start,
                          TlTime month_end, TlTime as_of, TlMiBill *out, TlError *err)
{
    *out = (TlMiBill){.hours = (double)((month_end - month_start) / HOUR)};
    for (size_t a = 1; a < n_allow; a++)
        if (allow[a].from < allow[a - 1].from)
            return tl_error_set(err, TL_ERR_INTERNAL, "MI allowances out of time order");
    const TlMiLevel **sorted = malloc((n_levels ? n_levels : 1) * sizeof *sorted);
    Db *dbs = calloc(n_levels ? n_levels : 1, sizeof *dbs);
    TlResult rc = sorted && dbs ? TL_OK : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    size_t n_db = 0;
    for (size_t i = 0; !rc && i < n_levels; i++)
        sorted[i] = &levels[i];
    if (!rc && n_levels > 1)
        qsort(sorted, n_levels, sizeof *sorted, cmp_level);
    for (size_t i = 0; !rc && i < n_levels; i++) {
        if (!n_db || strcmp(dbs[n_db - 1].name, sorted[i]->database) != 0)
            dbs[n_db++] =
                (Db){.name = sorted[i]->database, .levels = &sorted[i], .stop = TL_TIME_NONE};
        dbs[n_db - 1].n++;
    }
    for (size_t s = 0; !rc && s < n_stops; s++)
        for (size_t d = 0; d < n_db; d++)
            if (strcmp(dbs[d].name, stops[s].database) == 0 &&
                (dbs[d].stop == TL_TIME_NONE || stops[s].at < dbs[d].stop))
                dbs[d].stop = stops[s].at;
    if (!rc)
        rc = make_lines(out, dbs, n_db, n_levels, err);
    TlTime stop = as_of < month_end ? as_of : month_end;
    if (!rc)
        rc = walk_hours(out, dbs, n_db, allow, n_allow, month_start, stop, err);
    if (!rc) { /* sums of bytes-hours -> GB-month over all the month's hours */
        double scale = out->hours > 0 ? out->hours * GB : 1;
        out->billable_gb_month /= scale;
        out->consumed_gb_month /= scale;
        out->allowance_gb_month /= scale;
        for (size_t k = 0; k < out->n_lines; k++) {
            out->lines[k].gb_month /= scale;
            out->lines[k].consumed_gb_month /= scale;
        }
    }
    free(sorted);
    free(dbs);
    if (rc)
        mi_billing_cleanup(out);
    return rc;
}

void mi_billing_cleanup(TlMiBill *bill)
{
    if (!bill)
        return;
    free(bill->lines);
    bill->lines = NULL;
    bill->n_lines = 0;
}

double mi_estimate_stored(TlTime open_at, TlTime window_from, TlTime t, double full_bytes,
                          double log_bytes_per_day)
{
    /* Monday 1970-01-05 02:00 UTC, and a week */
    const TlTime monday = 4 * TL_SECONDS_PER_DAY + 2 * HOUR, week = 7 * TL_SECONDS_PER_DAY;
    if (t < open_at)
        return 0;
    TlTime from = window_from == TL_TIME_NONE || window_from < open_at ? open_at : window_from;
    if (from > t)
        from = t;
    /* the last weekly full at or before `from`, if after the open */
    TlTime k = (from - monday) / week * week + monday;
    if (k > from)
        k -= week;
    TlTime anchor = k > open_at ? k : open_at;
    /* fulls started in [anchor, t]: the anchor and each Monday after it */
    TlTime next = (anchor - monday) / week * week + monday;
    while (next <= anchor)
        next += week;
    double fulls = 1;
    if (t >= next)
        fulls += (double)((t - next) / week + 1);
    double days = (double)(t - anchor) / (double)TL_SECONDS_PER_DAY;
    return fulls * full_bytes + days * log_bytes_per_day;
}

/* db's size at t: the data and log rate last given at or before it. */
static bool size_at(const TlMiEvent *ev, size_t n, const char *db, TlTime t, double *full,
                    double *log)
{
    long long data = -1, rate = -1;
    for (size_t i = 0; i < n && ev[i].at <= t; i++) {
        if (!ev[i].resource_id || strcasecmp(ev[i].resource_id, db) != 0)
            continue;
        data = ev[i].data_bytes >= 0 ? ev[i].data_bytes : data;
        rate = ev[i].log_bytes_per_day >= 0 ? ev[i].log_bytes_per_day : rate;
    }
    *full = data >= 0 ? (double)data / TL_MI_COMPRESSION : 0;
    *log = rate >= 0 ? (double)rate : 0;
    return data >= 0 || rate >= 0;
}

/* What db stores at t under its lineage evaluated then. */
static TlResult estimate_at(const TlMiEvent *ev, size_t n, const char *db, TlTime t, double *bytes,
                            bool *sized, TlError *err)
{
    double full, log;
    *bytes = 0;
    *sized = size_at(ev, n, db, t, &full, &log);
    if (!*sized)
        return TL_OK;
    TlMiLineage lin = {0};
    TlResult rc = mi_lineage_evaluate(ev, n, t, &lin, err);
    const TlMiSegment *s = NULL;
    for (size_t k = 0; !rc && k < lin.n_segments; k++)
        if (strcasecmp(lin.segments[k].resource_id, db) == 0)
            s = &lin.segments[k];
    if (s && s->opened_at != TL_TIME_NONE && t >= s->opened_at &&
        (s->status == TL_MI_CURRENT || s->status == TL_MI_RESTORABLE)) {
        TlTime upto = s->dropped_at != TL_TIME_NONE && s->dropped_at < t ? s->dropped_at : t;
        *bytes = mi_estimate_stored(s->opened_at, s->window_from, upto, full, log);
    }
    mi_lineage_cleanup(&lin);
    return rc;
}

TlResult mi_estimate_levels(const TlMiEvent *ev, size_t n, const char *db, TlTime month_start,
                            TlTime month_end, TlTime as_of, TlMiLevel **out, size_t *n_out,
                            TlError *err)
{
    *out = NULL;
    *n_out = 0;
    TlTime stop = as_of < month_end ? as_of : month_end;
    if (stop <= month_start)
        return TL_OK;
    /* the instants: the month's start, each midnight, the open and the drop */
    size_t cap = (size_t)((stop - month_start) / TL_SECONDS_PER_DAY) + 4;
    TlTime *at = malloc(cap * sizeof *at);
    TlMiLevel *lv = malloc(cap * sizeof *lv);
    if (!at || !lv) {
        free(at);
        free(lv);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    size_t k = 0;
    for (TlTime t = month_start; t < stop && k + 2 < cap; t += TL_SECONDS_PER_DAY)
        at[k++] = t;
    for (size_t i = 0; i < n; i++)
        if (ev[i].resource_id && strcasecmp(ev[i].resource_id, db) == 0 && ev[i].at > month_start &&
            ev[i].at < stop && k < cap &&
            (ev[i].kind == TL_MI_EV_CREATED || ev[i].kind == TL_MI_EV_MIGRATION_CUTOVER ||
             ev[i].kind == TL_MI_EV_DROPPED) &&
            ev[i].at % TL_SECONDS_PER_DAY != 0)
            at[k++] = ev[i].at;
    /* in time order (a few instants: insertion) */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && at[j] < at[j - 1]; j--) {
            TlTime x = at[j];
            at[j] = at[j - 1];
            at[j - 1] = x;
        }
    /* the segments need no LTR backup (years of weekly ones: the lookups
     * would dominate each of these evaluations) */
    TlMiEvent *lean = malloc((n ? n : 1) * sizeof *lean);
    size_t n_lean = 0;
    for (size_t i = 0; lean && i < n; i++)
        if (ev[i].kind != TL_MI_EV_LTR_BACKUP_TAKEN && ev[i].kind != TL_MI_EV_LTR_BACKUP_GONE)
            lean[n_lean++] = ev[i];
    TlResult rc = lean ? TL_OK : tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    bool any = false;
    for (size_t i = 0; i < k && !rc; i++) {
        double bytes;
        bool sized;
        rc = estimate_at(lean, n_lean, db, at[i], &bytes, &sized, err);
        any = any || sized;
        lv[i] = (TlMiLevel){db, at[i], (int64_t)(bytes + 0.5), NULL, true};
    }
    free(lean);
    free(at);
    if (rc || !any) {
        free(lv);
        return rc;
    }
    *out = lv;
    *n_out = k;
    return TL_OK;
}

/* The backup storage redundancy of db's instance at t (MI-B8: Geo by default). */
static const char *instance_redundancy(const TlMiEvent *ev, size_t n, const char *db, TlTime t)
{
    const char *r = "Geo";
    size_t len = mi_instance_prefix(db);
    for (size_t i = 0; i < n && ev[i].at <= t; i++)
        if (ev[i].kind == TL_MI_EV_INSTANCE_CHANGED && ev[i].redundancy && len &&
            mi_instance_prefix(ev[i].resource_id) == len &&
            strncasecmp(ev[i].resource_id, db, len) == 0)
            r = ev[i].redundancy;
    return r;
}

static TlTime hour_up(TlTime t)
{
    return (t + HOUR - 1) / HOUR * HOUR;
}

TlResult mi_ltr_month(const TlMiLineage *lin, const TlMiEvent *ev, size_t n, const char *db,
                      TlTime month_start, TlTime month_end, TlTime as_of, TlMiLtrLine **lines,
                      size_t *n_lines, size_t *unsized, TlError *err)
{
    *lines = NULL;
    *n_lines = *unsized = 0;
    TlTime stop = as_of < month_end ? as_of : month_end;
    double month_hours = (double)(month_end - month_start) / HOUR;
    TlMiLtrLine *out = NULL;
    size_t cap = 0;
    for (size_t k = 0; k < lin->n_ltr; k++) {
        const TlMiLtrBackup *b = &lin->ltr[k];
        double full, log;
        if (strcasecmp(b->resource_id, db) != 0)
            continue;
        if (!size_at(ev, n, db, b->taken_at, &full, &log) || full <= 0) {
            (*unsized)++;
            continue;
        }
        TlTime end = b->expires_at;
        if (b->gone_at != TL_TIME_NONE && (end == TL_TIME_NONE || b->gone_at < end))
            end = b->gone_at;
        TlTime from = hour_up(b->taken_at > month_start ? b->taken_at : month_start);
        TlTime to = hour_up(end != TL_TIME_NONE && end < stop ? end : stop);
        if (to <= from)
            continue;
        const char *red =
            b->redundancy ? b->redundancy : instance_redundancy(ev, n, db, b->taken_at);
        size_t l = 0;
        while (l < *n_lines && strcmp(out[l].redundancy, red) != 0)
            l++;
        if (l == *n_lines) {
            if (l == cap) {
                cap = cap ? 2 * cap : 4;
                TlMiLtrLine *grown = realloc(out, cap * sizeof *grown);
                if (!grown) {
                    free(out);
                    return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
                }
                out = grown;
            }
            out[l] = (TlMiLtrLine){db, red, 0, from, to, 0};
            (*n_lines)++;
        }
        out[l].gb_month += full * ((double)(to - from) / HOUR) / (month_hours * GB);
        out[l].charge_start = from < out[l].charge_start ? from : out[l].charge_start;
        out[l].charge_end = to > out[l].charge_end ? to : out[l].charge_end;
        out[l].backups++;
    }
    *lines = out;
    return TL_OK;
}
