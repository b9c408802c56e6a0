/* lineage.c - segments and restorability (domain.md L1-L11).
 *
 * A segment is a maximal period in which the backups form one chain (L1): a
 * new one starts only at the cutover of a conversion to Hyperscale or of a
 * reverse migration (under the W4 strict reading: at every edition change).
 * At most the current segment and the one before it are available (L2).
 * Losses happen at two kinds of instant, processed in time order:
 *   - the *start* of a reverse migration loses the segment before the
 *     current one at once, even if the operation is later cancelled or
 *     fails (L3);
 *   - a *cutover* loses the segment that falls out of the current/previous
 *     pair (L4 for a conversion; a reverse migration's was already lost at
 *     its start).
 * Status at T (L6): the last segment is current; an older one is lost when
 * its loss came before its retention expiry end + R, expired when end <= T - R
 * (or the expiry came first), restorable otherwise, with the window of L5:
 * [max(start, T - R), min(end, T)]. */
#include "model/lineage.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *lineage_status_str(TlSegmentStatus status)
{
    switch (status) {
    case TL_SEG_CURRENT: return "current";
    case TL_SEG_RESTORABLE: return "restorable";
    case TL_SEG_EXPIRED: return "expired";
    case TL_SEG_LOST: return "lost";
    }
    return "unknown";
}

/* ---- evaluation ------------------------------------------------------- */

typedef enum { EV_CUTOVER = 0, EV_START = 1 } EventType; /* cutovers first at a tie */

typedef struct {
    TlTime at;
    EventType type;
    size_t index;
} Event;

static int cmp_event(const void *pa, const void *pb)
{
    const Event *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Each transition's objectives, parsed once per evaluation. */
typedef struct {
    TlArchitecture from_arch, to_arch;
    TlEdition from_edition, to_edition;
} Parsed;

static TlKind parsed_kind(const TlTransition *t, const Parsed *p)
{
    if (history_is_creation(t))
        return TL_KIND_CREATION;
    if (p->from_arch == p->to_arch)
        return TL_KIND_TIER_CHANGE;
    return p->to_arch == TL_ARCH_HYPERSCALE ? TL_KIND_CONVERSION : TL_KIND_REVERSE_MIGRATION;
}

static bool starts_segment(TlReading reading, const Parsed *p)
{
    if (p->from_arch != p->to_arch)
        return true;
    return reading == TL_READING_STRICT && p->from_edition != p->to_edition;
}

static TlResult add_objective(TlSegment *seg, const char *objective)
{
    if (seg->n_objectives > 0 && objective_equal(seg->objectives[seg->n_objectives - 1], objective))
        return TL_OK;
    const char **grown = realloc(seg->objectives, (seg->n_objectives + 1) * sizeof *grown);
    if (!grown)
        return TL_ERR_NOMEM;
    grown[seg->n_objectives++] = objective;
    seg->objectives = grown;
    return TL_OK;
}

static TlResult push_segment(TlLineage *lin, TlArchitecture arch, TlTime start, size_t by,
                             const char *objective)
{
    TlSegment *grown = realloc(lin->segments, (lin->n_segments + 1) * sizeof *grown);
    if (!grown)
        return TL_ERR_NOMEM;
    lin->segments = grown;
    TlSegment *seg = &grown[lin->n_segments++];
    memset(seg, 0, sizeof *seg);
    seg->seq = (int)lin->n_segments;
    seg->arch = arch;
    seg->start = start;
    seg->end = TL_TIME_NONE;
    seg->started_by = by;
    seg->restore_from = seg->restore_to = seg->expires_at = seg->lost_at = TL_TIME_NONE;
    seg->lost_by = SIZE_MAX;
    return add_objective(seg, objective);
}

static TlResult lose(TlSegment *seg, TlTime at, size_t by, const char *rule, TlTime failed_end,
                     bool assumed)
{
    TlLoss *grown = realloc(seg->losses, (seg->n_losses + 1) * sizeof *grown);
    if (!grown)
        return TL_ERR_NOMEM;
    seg->losses = grown;
    seg->losses[seg->n_losses++] = (TlLoss){at, by, failed_end};
    if (seg->lost_at != TL_TIME_NONE) { /* a lost segment stays lost from its first loss */
        seg->loss_assumed &= assumed;   /* a later loss that surely happened settles it */
        return TL_OK;
    }
    seg->lost_at = at;
    seg->lost_by = by;
    seg->lost_rule = rule;
    seg->loss_assumed = assumed;
    return TL_OK;
}

static void settle_status(TlLineage *lin)
{
    const TlTime as_of = lin->as_of;
    const TlTime r = (TlTime)lin->retention_days * TL_SECONDS_PER_DAY;
    for (size_t i = 0; i < lin->n_segments; i++) {
        TlSegment *seg = &lin->segments[i];
        if (i + 1 == lin->n_segments) {
            seg->status = TL_SEG_CURRENT;
            seg->restore_from = seg->start > as_of - r ? seg->start : as_of - r;
            seg->restore_to = as_of;
            seg->billable = true;
            continue;
        }
        seg->expires_at = seg->end + r;
        if (seg->lost_at != TL_TIME_NONE && seg->lost_at < seg->expires_at)
            seg->status = TL_SEG_LOST;
        else if (seg->end <= as_of - r || seg->lost_at != TL_TIME_NONE)
            seg->status = TL_SEG_EXPIRED;
        else
            seg->status = TL_SEG_RESTORABLE;
        if (seg->status == TL_SEG_RESTORABLE) {
            seg->restore_from = seg->start > as_of - r ? seg->start : as_of - r;
            seg->restore_to = seg->end;
            seg->billable = true;
        }
    }
}

TlResult lineage_evaluate(const TlTransition *tr, size_t n, TlTime as_of, int retention_days,
                          TlReading reading, TlLineage *out, TlError *err)
{
    TlResult rc = TL_OK;
    Event *events = NULL;
    size_t n_events = 0;

    memset(out, 0, sizeof *out);
    out->as_of = as_of;
    out->retention_days = retention_days;
    out->reading = reading;
    out->last_conversion_cutover = TL_TIME_NONE;
    out->first_conversion_cutover = TL_TIME_NONE;
    out->reverse_deadline = TL_TIME_NONE;
    out->in_progress = SIZE_MAX;

    if (n == 0 || !history_is_creation(&tr[0]))
        return tl_error_set(err, TL_ERR_DATA, "the history has no creation row");
    if (retention_days < 1)
        return tl_error_set(err, TL_ERR_DATA, "retention of %d days is out of range",
                            retention_days);
    if (tr[0].started_at > as_of)
        return tl_error_set(err, TL_ERR_DATA, "the database did not exist yet at that instant");

    events = malloc(2 * n * sizeof *events);
    Parsed *parsed = malloc(n * sizeof *parsed);
    if (!events || !parsed) {
        free(events);
        free(parsed);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        TlObjective from, to;
        objective_parse(tr[i].from_objective, NULL, &from);
        objective_parse(tr[i].to_objective, NULL, &to);
        parsed[i] = (Parsed){from.arch, to.arch, from.edition, to.edition};
    }
    for (size_t i = 1; i < n; i++) {
        const TlTransition *t = &tr[i];
        if (t->started_at > as_of) /* L11: not yet happened */
            continue;
        bool done = history_ended_by(t, as_of);
        if (!done)
            out->in_progress = i;
        if (parsed_kind(t, &parsed[i]) == TL_KIND_REVERSE_MIGRATION)
            events[n_events++] = (Event){t->started_at, EV_START, i};
        if (done && t->state == TL_OP_SUCCEEDED)
            events[n_events++] = (Event){t->ended_at, EV_CUTOVER, i};
    }
    qsort(events, n_events, sizeof *events, cmp_event);

    out->created_in_hyperscale = parsed[0].to_arch == TL_ARCH_HYPERSCALE;
    rc = push_segment(out, parsed[0].to_arch, tr[0].started_at, 0, tr[0].to_objective);
    for (size_t e = 0; rc == TL_OK && e < n_events; e++) {
        const Event *ev = &events[e];
        const TlTransition *t = &tr[ev->index];
        size_t cur = out->n_segments - 1;
        if (ev->type == EV_START) {
            /* L3: the chain before the current one is gone at start; a reverse
             * migration that ended Failed may never have started: assumed */
            TlTime failed_end = t->state == TL_OP_FAILED ? t->ended_at : TL_TIME_NONE;
            bool failed = t->state == TL_OP_FAILED && history_ended_by(t, as_of);
            if (cur >= 1)
                rc = lose(&out->segments[cur - 1], ev->at, ev->index, "L3", failed_end, failed);
            continue;
        }
        if (!starts_segment(reading, &parsed[ev->index])) {
            rc = add_objective(&out->segments[cur], t->to_objective);
            continue;
        }
        TlKind kind = parsed_kind(t, &parsed[ev->index]);
        if (kind == TL_KIND_CONVERSION) {
            out->last_conversion_cutover = ev->at;
            if (out->conversions++ == 0)
                out->first_conversion_cutover = ev->at;
        }
        out->segments[cur].end = ev->at;
        rc = push_segment(out, parsed[ev->index].to_arch, ev->at, ev->index, t->to_objective);
        if (rc == TL_OK && cur >= 1) /* L4 (L2): out of the current/previous pair */
            rc = lose(&out->segments[cur - 1], ev->at, ev->index,
                      kind == TL_KIND_CONVERSION ? "L4" : "L2", TL_TIME_NONE, false);
    }
    free(events);
    free(parsed);
    if (rc != TL_OK) {
        lineage_cleanup(out);
        return tl_error_set(err, rc, "out of memory");
    }
    out->objective_now = history_objective_at(tr, n, as_of);
    if (out->last_conversion_cutover != TL_TIME_NONE &&
        out->segments[out->n_segments - 1].arch == TL_ARCH_HYPERSCALE)
        out->reverse_deadline =
            out->last_conversion_cutover + TL_REVERSE_WINDOW_DAYS * TL_SECONDS_PER_DAY;
    settle_status(out);
    return TL_OK;
}

void lineage_cleanup(TlLineage *lin)
{
    if (!lin)
        return;
    for (size_t i = 0; i < lin->n_segments; i++) {
        free(lin->segments[i].objectives);
        free(lin->segments[i].losses);
    }
    free(lin->segments);
    lin->segments = NULL;
    lin->n_segments = 0;
}

size_t lineage_assumed_spans(const TlSegment *seg, TlSpan *out)
{
    /* between the k-th loss and the next, assumed once every failed
     * reverse migration among the first k had ended (never if one of them
     * was a loss that surely happened) */
    size_t n = 0;
    TlTime settled = TL_TIME_NONE; /* the latest failed end so far */
    for (size_t k = 0; k < seg->n_losses; k++) {
        const TlLoss *l = &seg->losses[k];
        if (l->failed_end == TL_TIME_NONE)
            break;
        if (settled == TL_TIME_NONE || l->failed_end > settled)
            settled = l->failed_end;
        TlTime from = settled > l->at ? settled : l->at;
        TlTime until = k + 1 < seg->n_losses ? seg->losses[k + 1].at : TL_TIME_NONE;
        if (until != TL_TIME_NONE && from >= until)
            continue;
        if (n > 0 && out[n - 1].until == from)
            out[n - 1].until = until;
        else
            out[n++] = (TlSpan){from, until};
    }
    return n;
}

const TlSegment *lineage_previous(const TlLineage *lin)
{
    return lin->n_segments >= 2 ? &lin->segments[lin->n_segments - 2] : NULL;
}
