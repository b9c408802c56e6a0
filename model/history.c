/* history.c - transitions, their order and L11 validation, and the merge
 * rule of reported rows (see history.h; domain.md L7, L11, O1). */
#include "model/history.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/objective.h"

bool history_state_parse(const char *text, TlOpState *out)
{
    static const TlOpState all[] = {TL_OP_PENDING, TL_OP_IN_PROGRESS,        TL_OP_SUCCEEDED,
                                    TL_OP_FAILED,  TL_OP_CANCEL_IN_PROGRESS, TL_OP_CANCELLED};
    for (size_t i = 0; text && i < sizeof all / sizeof all[0]; i++) {
        const char *a = text, *b = history_state_str(all[i]);
        while (*a && *b && (*a | 0x20) == (*b | 0x20)) {
            a++;
            b++;
        }
        if (!*a && !*b) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

const char *history_state_str(TlOpState state)
{
    switch (state) {
    case TL_OP_PENDING: return "Pending";
    case TL_OP_IN_PROGRESS: return "InProgress";
    case TL_OP_SUCCEEDED: return "Succeeded";
    case TL_OP_FAILED: return "Failed";
    case TL_OP_CANCEL_IN_PROGRESS: return "CancelInProgress";
    case TL_OP_CANCELLED: return "Cancelled";
    }
    return "Unknown";
}

bool history_state_terminal(TlOpState state)
{
    return state == TL_OP_SUCCEEDED || state == TL_OP_FAILED || state == TL_OP_CANCELLED;
}

bool history_ended_by(const TlTransition *t, TlTime at)
{
    return t->ended_at != TL_TIME_NONE && t->ended_at <= at;
}

TlOpState history_state_at(const TlTransition *t, TlTime at)
{
    if (history_is_creation(t) || history_ended_by(t, at) || !history_state_terminal(t->state))
        return t->state;
    return TL_OP_IN_PROGRESS;
}

const char *history_kind_str(TlKind kind)
{
    switch (kind) {
    case TL_KIND_CREATION: return "creation";
    case TL_KIND_TIER_CHANGE: return "tier_change";
    case TL_KIND_CONVERSION: return "conversion";
    case TL_KIND_REVERSE_MIGRATION: return "reverse_migration";
    }
    return "unknown";
}

bool history_is_creation(const TlTransition *t)
{
    return !t->from_objective || !t->from_objective[0];
}

static TlArchitecture arch_of(const char *objective)
{
    TlObjective obj;
    objective_parse(objective, NULL, &obj);
    return obj.arch;
}

TlKind history_kind_of(const char *from_objective, const char *to_objective)
{
    if (!from_objective || !from_objective[0])
        return TL_KIND_CREATION;
    TlArchitecture from = arch_of(from_objective), to = arch_of(to_objective);
    if (from == to)
        return TL_KIND_TIER_CHANGE;
    return to == TL_ARCH_HYPERSCALE ? TL_KIND_CONVERSION : TL_KIND_REVERSE_MIGRATION;
}

int history_cmp(const TlTransition *a, const TlTransition *b)
{
    if (a->started_at != b->started_at)
        return a->started_at < b->started_at ? -1 : 1;
    if (history_is_creation(a) != history_is_creation(b))
        return history_is_creation(a) ? -1 : 1;
    return 0;
}

void history_sort(TlTransition *tr, size_t n)
{
    /* qsort is not stable; ties (same start) keep their relative order by a
     * stable insertion sort, which is also fast on the nearly-sorted input
     * that comes from the database. */
    for (size_t i = 1; i < n; i++) {
        TlTransition key = tr[i];
        size_t j = i;
        while (j > 0 && history_cmp(&tr[j - 1], &key) > 0) {
            tr[j] = tr[j - 1];
            j--;
        }
        tr[j] = key;
    }
}

/* When a transition took effect, if it succeeded: its end (the creation: its
 * start when no end is recorded). */
static TlTime effective_end(const TlTransition *t)
{
    if (t->ended_at != TL_TIME_NONE)
        return t->ended_at;
    return history_is_creation(t) ? t->started_at : TL_TIME_NONE;
}

const char *history_objective_at(const TlTransition *tr, size_t n, TlTime t)
{
    const char *objective = NULL;
    TlTime best = TL_TIME_NONE;
    for (size_t i = 0; i < n; i++) {
        if (tr[i].state != TL_OP_SUCCEEDED)
            continue;
        TlTime end = effective_end(&tr[i]);
        if (end == TL_TIME_NONE || end > t)
            continue;
        if (objective == NULL || end >= best) {
            best = end;
            objective = tr[i].to_objective;
        }
    }
    return objective;
}

const char *history_objective_before(const TlTransition *tr, size_t n, size_t i)
{
    const char *objective = NULL;
    TlTime best = TL_TIME_NONE, start = tr[i].started_at;
    for (size_t k = 0; k < n; k++) {
        TlTime end = tr[k].state == TL_OP_SUCCEEDED ? effective_end(&tr[k]) : TL_TIME_NONE;
        if (end == TL_TIME_NONE || end > start || (end == start && k >= i))
            continue;
        if (objective == NULL || end >= best) {
            best = end;
            objective = tr[k].to_objective;
        }
    }
    return objective;
}

/* Succeeded transitions ordered by effective end (then index): a sweep over
 * them gives the objective in effect at each start in O(n log n). */
typedef struct {
    TlTime end;
    size_t index;
} EndMark;

static int cmp_end(const void *pa, const void *pb)
{
    const EndMark *a = pa, *b = pb;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

/* The rules for one row; in_effect is the objective in effect at its start. */
static TlResult validate_row(const TlTransition *tr, size_t i, const char *in_effect, TlError *err)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    const TlTransition *t = &tr[i];
    if (!t->to_objective || !t->to_objective[0])
        return tl_error_set(err, TL_ERR_DATA, "to_objective is empty");
    if (i == 0 && !history_is_creation(t))
        return tl_error_set(err, TL_ERR_DATA,
                            "transition at %s comes before the database's creation row",
                            tl_time_format(t->started_at, a));
    if (i > 0 && history_is_creation(t))
        return tl_error_set(err, TL_ERR_DATA, "a second creation row in one lineage");
    if (history_state_terminal(t->state) && t->ended_at == TL_TIME_NONE && !history_is_creation(t))
        return tl_error_set(err, TL_ERR_DATA, "state %s needs an ended_at",
                            history_state_str(t->state));
    if (!history_state_terminal(t->state) && t->ended_at != TL_TIME_NONE)
        return tl_error_set(err, TL_ERR_DATA, "state %s must have an empty ended_at",
                            history_state_str(t->state));
    if (t->ended_at != TL_TIME_NONE && t->ended_at < t->started_at)
        return tl_error_set(err, TL_ERR_DATA, "ended_at %s is before started_at %s",
                            tl_time_format(t->ended_at, a), tl_time_format(t->started_at, b));
    if (history_is_creation(t))
        return t->state == TL_OP_SUCCEEDED
                   ? TL_OK
                   : tl_error_set(err, TL_ERR_DATA,
                                  "a creation row must have state Succeeded, not %s",
                                  history_state_str(t->state));
    if (t->started_at < tr[0].started_at)
        return tl_error_set(err, TL_ERR_DATA,
                            "transition at %s comes before the database's creation at %s",
                            tl_time_format(t->started_at, a), tl_time_format(tr[0].started_at, b));
    if (!in_effect || !objective_equal(in_effect, t->from_objective))
        return tl_error_set(
            err, TL_ERR_DATA, "from_objective '%s' is not the objective in effect at %s ('%s')",
            t->from_objective, tl_time_format(t->started_at, a), in_effect ? in_effect : "none");
    return TL_OK;
}

TlResult history_validate(const TlTransition *tr, size_t n, size_t *bad, TlError *err)
{
    /* L11 by a sweep: succeeded transitions ordered by effective end; the
     * last one ending by a start is the objective in effect there. */
    EndMark *ends = malloc((n ? n : 1) * sizeof *ends);
    if (!ends)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    size_t n_ends = 0, next_end = 0;
    for (size_t i = 0; i < n; i++)
        if (tr[i].state == TL_OP_SUCCEEDED && effective_end(&tr[i]) != TL_TIME_NONE)
            ends[n_ends++] = (EndMark){effective_end(&tr[i]), i};
    if (n_ends > 1)
        qsort(ends, n_ends, sizeof *ends, cmp_end);
    const char *in_effect = NULL;
    TlResult rc = TL_OK;
    for (size_t i = 0; i < n && rc == TL_OK; i++) {
        /* ended before this start; at the same instant only rows before it
         * (a zero-length change is not in effect at its own start) */
        while (next_end < n_ends &&
               (ends[next_end].end < tr[i].started_at ||
                (ends[next_end].end == tr[i].started_at && ends[next_end].index < i)))
            in_effect = tr[ends[next_end++].index].to_objective;
        *bad = i;
        rc = validate_row(tr, i, in_effect, err);
    }
    free(ends);
    return rc;
}

bool history_same_transition(const TlTransition *a, const TlTransition *b)
{
    bool ca = history_is_creation(a), cb = history_is_creation(b);
    return a->started_at == b->started_at && ca == cb &&
           (ca || (objective_equal(a->from_objective, b->from_objective) &&
                   objective_equal(a->to_objective, b->to_objective)));
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

HistoryMerge history_merge(const TlTransition *old, const TlTransition *row)
{
    bool same_end = old->state == row->state && old->ended_at == row->ended_at;
    bool adds =
        (row->initiated_by && !old->initiated_by) || (row->operation_id && !old->operation_id);
    bool differs = (row->initiated_by && old->initiated_by &&
                    !same_text(row->initiated_by, old->initiated_by)) ||
                   (row->operation_id && old->operation_id &&
                    !same_text(row->operation_id, old->operation_id));
    if (same_end && !adds && !differs)
        return HISTORY_SAME;
    if (history_state_terminal(old->state) && !history_state_terminal(row->state))
        return HISTORY_SAME; /* older news: the recorded version already finished */
    if (history_state_terminal(old->state) && (!same_end || differs))
        return HISTORY_CONFLICT;
    return HISTORY_NEW_VERSION;
}
