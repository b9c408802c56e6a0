/* derive.c - transitions from one poll (derive.h): the rules D1-D8 of
 * docs/collector-rules.md, applied in that order, each cited where it is
 * implemented. Domain O1: a change is classified by its objectives, never
 * by the operation's name; L11: the result must be a valid history (D8).
 * Tested by the text cases in tests/collector/cases/. */
#include "collector/derive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CALLER_WINDOW_S 600

const char *derive_source_str(DeriveSource s)
{
    switch (s) {
    case SRC_OPERATIONS: return "operations";
    case SRC_ACTIVITY_LOG: return "activity_log";
    case SRC_OBSERVED: break;
    }
    return "observed";
}

typedef struct {
    TlTransition t;
    int row; /* index in rows, or -1 when recorded and unchanged */
} Entry;

typedef struct {
    const DeriveInput *in;
    Entry *hist;
    size_t n_hist;
    TlTransition *tr; /* hist's transitions in the one order (sorted) */
    DeriveRow *rows;
    size_t n_rows, max_rows;
} Work;

/* The one order (history_cmp); recorded entries before new rows, new
 * rows in the order they were added. */
static int cmp_entry(const void *pa, const void *pb)
{
    const Entry *a = pa, *b = pb;
    int c = history_cmp(&a->t, &b->t);
    return c ? c : (a->row > b->row) - (a->row < b->row);
}

static TlResult add_row(Work *w, const TlTransition *t, DeriveSource src, const char *record,
                        bool inferred, int replace, TlError *err)
{
    if (w->n_rows == w->max_rows)
        return tl_error_set(err, TL_ERR_INTERNAL, "%s: too many new transitions", w->in->db->id);
    DeriveRow *r = &w->rows[w->n_rows];
    memset(r, 0, sizeof *r);
    r->t = *t;
    r->source = src;
    r->source_record_id = record;
    r->inferred = inferred;
    if (replace >= 0) {
        w->hist[replace].t = *t;
        w->hist[replace].row = (int)w->n_rows;
    } else {
        w->hist[w->n_hist].t = *t;
        w->hist[w->n_hist].row = (int)w->n_rows;
        w->n_hist++;
    }
    w->n_rows++;
    return TL_OK;
}

/* Sort the working history and return its transitions in that order. */
static const TlTransition *sorted(Work *w)
{
    qsort(w->hist, w->n_hist, sizeof *w->hist, cmp_entry);
    for (size_t i = 0; i < w->n_hist; i++)
        w->tr[i] = w->hist[i].t;
    return w->tr;
}

/* D7: the caller of the nearest database write within ten minutes. */
static const char *caller_for(const DeriveInput *in, TlTime start)
{
    const char *who = NULL;
    TlTime best = CALLER_WINDOW_S + 1;
    for (size_t i = 0; i < in->n_events; i++) {
        const AzEvent *e = &in->events[i];
        if (strcasecmp(e->resource_id, in->db->id) != 0)
            continue;
        TlTime d = e->at > start ? e->at - start : start - e->at;
        if (d < best) {
            best = d;
            who = e->caller;
        }
    }
    return who;
}

static bool is_change(const AzOperation *op)
{
    return op->from_objective[0] && op->to_objective[0] &&
           !objective_equal(op->from_objective, op->to_objective);
}

static int find(const Work *w, TlTime start, const char *from, const char *to)
{
    for (size_t i = 0; i < w->n_hist; i++) {
        const TlTransition *x = &w->hist[i].t;
        if (x->started_at == start && x->from_objective &&
            objective_equal(x->from_objective, from) && objective_equal(x->to_objective, to))
            return (int)i;
    }
    return -1;
}

/* D3: when a finished operation ended. */
static TlTime end_of(const DeriveInput *in, const AzOperation *op, bool seen_running)
{
    TlTime lower =
        seen_running && in->observed_at != TL_TIME_NONE ? in->observed_at : op->started_at;
    if (op->estimated_end != TL_TIME_NONE && op->estimated_end >= lower &&
        op->estimated_end >= op->started_at && op->estimated_end <= in->now)
        return op->estimated_end;
    if (seen_running || (in->observed_at != TL_TIME_NONE && in->observed_at >= op->started_at))
        return in->now >= op->started_at ? in->now : op->started_at;
    return op->started_at;
}

/* D2: every listed change is a transition; a new state is a new version. */
static TlResult apply_operations(Work *w, bool *matched, TlError *err)
{
    const DeriveInput *in = w->in;
    TlResult rc = TL_OK;
    for (size_t i = 0; i < in->n_ops && !rc; i++) {
        const AzOperation *op = &in->ops[i];
        if (!is_change(op) || op->started_at < in->created_at)
            continue;
        int at = find(w, op->started_at, op->from_objective, op->to_objective);
        if (at >= 0 && at < (int)in->n_recorded)
            matched[at] = true;
        if (at >= 0 &&
            (history_state_terminal(w->hist[at].t.state) || w->hist[at].t.state == op->state))
            continue;
        bool seen_running = at >= 0;
        TlTransition t = {
            .started_at = op->started_at,
            .ended_at =
                history_state_terminal(op->state) ? end_of(in, op, seen_running) : TL_TIME_NONE,
            .state = op->state,
            .from_objective = op->from_objective,
            .to_objective = op->to_objective,
            .operation_id = op->name[0] ? op->name : NULL,
            .initiated_by = at >= 0 && w->hist[at].t.initiated_by ? w->hist[at].t.initiated_by
                                                                  : caller_for(in, op->started_at),
        };
        rc = add_row(w, &t, SRC_OPERATIONS, op->id, false, at, err);
    }
    return rc;
}

/* D4: running transitions the operations list no longer shows. */
static TlResult close_forgotten(Work *w, const bool *matched, TlError *err)
{
    const DeriveInput *in = w->in;
    const char *cur = in->db->current_objective;
    const char *req = in->db->requested_objective;
    bool pending = req[0] && !objective_equal(req, cur);
    TlResult rc = TL_OK;
    for (size_t i = 0; i < in->n_recorded && !rc; i++) {
        if (matched[i] || w->hist[i].row >= 0 || history_state_terminal(w->hist[i].t.state))
            continue;
        TlTransition t = w->hist[i].t;
        if (pending || history_is_creation(&t))
            continue;
        if (objective_equal(cur, t.to_objective))
            t.state = TL_OP_SUCCEEDED;
        else if (objective_equal(cur, t.from_objective))
            t.state = TL_OP_FAILED;
        else
            continue; /* something else happened: D5 records it */
        t.ended_at = in->now >= t.started_at ? in->now : t.started_at;
        rc = add_row(w, &t, SRC_OBSERVED, NULL, true, (int)i, err);
    }
    return rc;
}

/* D5: the objective changed without a transition that says so. */
static TlResult infer_change(Work *w, TlError *err)
{
    const DeriveInput *in = w->in;
    const char *cur = in->db->current_objective;
    const char *eff = history_objective_at(sorted(w), w->n_hist, in->now);
    if (!eff || objective_equal(eff, cur))
        return TL_OK;
    /* a running transition towards it will record it when it ends */
    for (size_t i = 0; i < w->n_hist; i++)
        if (!history_state_terminal(w->hist[i].t.state) && w->hist[i].t.from_objective &&
            objective_equal(w->hist[i].t.to_objective, cur))
            return TL_OK;
    TlTime start = TL_TIME_NONE;
    for (size_t i = 0; i < w->n_hist; i++) {
        const TlTransition *x = &w->hist[i].t;
        TlTime t = x->ended_at != TL_TIME_NONE ? x->ended_at : x->started_at;
        if (t > start || start == TL_TIME_NONE)
            start = t;
    }
    if (in->observed_objective && objective_equal(in->observed_objective, eff) &&
        in->observed_at != TL_TIME_NONE && in->observed_at > start)
        start = in->observed_at;
    if (start == TL_TIME_NONE || start > in->now)
        start = in->now;
    TlTransition t = {
        .started_at = start,
        .ended_at = in->now,
        .state = TL_OP_SUCCEEDED,
        .from_objective = eff,
        .to_objective = cur,
    };
    return add_row(w, &t, SRC_OBSERVED, NULL, true, -1, err);
}

/* D6: bridges over operations Azure forgot. */
static TlResult bridge(Work *w, TlError *err)
{
    for (int round = 0; round < DERIVE_MAX_BRIDGES; round++) {
        const TlTransition *tr = sorted(w);
        bool added = false;
        TlTime last = TL_TIME_NONE;
        for (size_t i = 0; i < w->n_hist && !added; i++) {
            const TlTransition *x = &tr[i];
            bool creation = history_is_creation(x);
            if (!creation) {
                const char *eff = history_objective_before(tr, w->n_hist, i);
                if (eff && !objective_equal(eff, x->from_objective)) {
                    TlTransition b = {
                        .started_at =
                            last != TL_TIME_NONE && last <= x->started_at ? last : x->started_at,
                        .ended_at = x->started_at,
                        .state = TL_OP_SUCCEEDED,
                        .from_objective = eff,
                        .to_objective = x->from_objective,
                    };
                    TlResult rc = add_row(w, &b, SRC_OBSERVED, NULL, true, -1, err);
                    if (rc)
                        return rc;
                    added = true;
                    break;
                }
            }
            if (x->state == TL_OP_SUCCEEDED)
                last = creation ? x->started_at : x->ended_at;
        }
        if (!added)
            return TL_OK;
    }
    return TL_OK;
}

TlResult derive_transitions(const DeriveInput *in, DeriveRow *rows, size_t max, size_t *n,
                            TlError *err)
{
    *n = 0;
    size_t cap = in->n_recorded + max + 1;
    Work w = {.in = in, .rows = rows, .max_rows = max};
    w.hist = calloc(cap, sizeof *w.hist);
    w.tr = calloc(cap, sizeof *w.tr);
    bool *matched = calloc(in->n_recorded + 1, sizeof *matched);
    if (!w.hist || !w.tr || !matched) {
        free(w.hist);
        free(w.tr);
        free(matched);
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < in->n_recorded; i++) {
        w.hist[i].t = in->recorded[i];
        w.hist[i].row = -1;
    }
    w.n_hist = in->n_recorded;
    TlResult rc = TL_OK;
    bool has_creation = false;
    for (size_t i = 0; i < in->n_recorded; i++)
        if (history_is_creation(&in->recorded[i]))
            has_creation = true;
    if (!has_creation) { /* D1: first sight */
        const char *first = in->db->current_objective;
        TlTime earliest = TL_TIME_NONE;
        for (size_t i = 0; i < in->n_ops; i++)
            if (is_change(&in->ops[i]) && in->ops[i].started_at >= in->created_at &&
                (earliest == TL_TIME_NONE || in->ops[i].started_at < earliest)) {
                earliest = in->ops[i].started_at;
                first = in->ops[i].from_objective;
            }
        TlTransition t = {
            .started_at = in->created_at,
            .ended_at = TL_TIME_NONE,
            .state = TL_OP_SUCCEEDED,
            .to_objective = first,
            .initiated_by = caller_for(in, in->created_at),
        };
        rc = add_row(&w, &t, SRC_OBSERVED, NULL, false, -1, err);
    }
    if (!rc && in->ops_read)
        rc = apply_operations(&w, matched, err);
    if (!rc && in->ops_read)
        rc = close_forgotten(&w, matched, err);
    if (!rc)
        rc = infer_change(&w, err);
    if (!rc)
        rc = bridge(&w, err);
    size_t badi = 0;
    TlError verr = {{0}, {0}};
    if (!rc && history_validate(sorted(&w), w.n_hist, &badi, &verr)) /* D8 */
        rc = tl_error_set(err, TL_ERR_DATA, "%s: history would not be valid: %s", in->db->id,
                          verr.msg);
    free(w.hist);
    free(w.tr);
    free(matched);
    if (!rc)
        *n = w.n_rows;
    return rc;
}
