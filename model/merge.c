/* merge.c - see merge.h. */
#include "model/merge.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "model/objective.h"

TlResult merge_push(MergeSet *e, const MergeEntry *x, TlError *err)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 64;
        MergeEntry *grown = realloc(e->v, cap * sizeof *grown);
        if (!grown)
            return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
        e->v = grown;
        e->cap = cap;
    }
    e->v[e->n++] = *x;
    return TL_OK;
}

static int cmp_key(const void *pa, const void *pb)
{
    const MergeEntry *a = pa, *b = pb;
    int c = strcmp(a->key, b->key);
    if (c)
        return c;
    return (a->line > b->line) - (a->line < b->line); /* file rows in file order */
}

void merge_sort(MergeSet *set)
{
    if (set->n > 1)
        qsort(set->v, set->n, sizeof *set->v, cmp_key);
}

void merge_cleanup(MergeSet *set)
{
    free(set->v);
    *set = (MergeSet){0};
}

/* A row that contradicts the finished version recorded (HISTORY_CONFLICT):
 * the error names what differs, its state, its end, its operation or who
 * started it, as recorded and as the row says. */
static TlResult conflict(const TlTransition *old, const TlTransition *row, const char *file,
                         int line, TlError *err)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX], c[TL_TIME_TEXT_MAX];
    const char *state = history_state_str(old->state);
    tl_time_format(row->started_at, a);
    if (old->state != row->state)
        return tl_error_set(err, TL_ERR_DATA,
                            "%s:%d: the transition started %s is recorded as %s; this row says %s",
                            file, line, a, state, history_state_str(row->state));
    if (old->ended_at != row->ended_at)
        return tl_error_set(
            err, TL_ERR_DATA,
            "%s:%d: the transition started %s is recorded as %s, ended %s; this row says it "
            "ended %s",
            file, line, a, state,
            old->ended_at == TL_TIME_NONE ? "(no end)" : tl_time_format(old->ended_at, b),
            row->ended_at == TL_TIME_NONE ? "(no end)" : tl_time_format(row->ended_at, c));
    bool op =
        row->operation_id && old->operation_id && strcmp(row->operation_id, old->operation_id) != 0;
    return tl_error_set(err, TL_ERR_DATA,
                        "%s:%d: the transition started %s is recorded as %s, %s %s; this row "
                        "says %s",
                        file, line, a, state, op ? "operation" : "initiated by",
                        op                  ? old->operation_id
                        : old->initiated_by ? old->initiated_by
                                            : "",
                        op                  ? row->operation_id
                        : row->initiated_by ? row->initiated_by
                                            : "");
}

/* Merge one file row into its resource's group all->v[first..]. */
static TlResult merge_row(MergeSet *all, size_t first, MergeEntry *row, const char *file,
                          size_t *already, TlError *err)
{
    char a[TL_TIME_TEXT_MAX];
    for (size_t i = first; i < all->n; i++) {
        MergeEntry *old = &all->v[i];
        if (old->superseded || !history_same_transition(&old->t, &row->t))
            continue;
        if (history_is_creation(&row->t)) {
            if (!objective_equal(old->t.to_objective, row->t.to_objective))
                return tl_error_set(err, TL_ERR_DATA,
                                    "%s:%d: creation at %s as %s contradicts the recorded "
                                    "creation as %s",
                                    file, row->line, tl_time_format(row->t.started_at, a),
                                    row->t.to_objective, old->t.to_objective);
            (*already)++;
            return TL_OK;
        }
        HistoryMerge verdict = history_merge(&old->t, &row->t);
        if (verdict == HISTORY_SAME) {
            (*already)++;
            return TL_OK;
        }
        if (verdict == HISTORY_CONFLICT)
            return conflict(&old->t, &row->t, file, row->line, err);
        /* a new version: the running transition progressed, or gained who/which */
        row->db_id = old->db_id;
        if (!row->t.initiated_by)
            row->t.initiated_by = old->t.initiated_by;
        if (!row->t.operation_id)
            row->t.operation_id = old->t.operation_id;
        old->superseded = true;
        break;
    }
    row->insert = true;
    return merge_push(all, row, err);
}

/* Time order within a resource (history_cmp), then by position. */
static int cmp_time(const void *pa, const void *pb)
{
    const MergeEntry *a = *(const MergeEntry *const *)pa, *b = *(const MergeEntry *const *)pb;
    int c = history_cmp(&a->t, &b->t);
    return c ? c : (a > b) - (a < b);
}

/* Validate one lineage: members[0] is its creation, the rest in time order. */
static TlResult validate_lineage(MergeEntry *const *members, size_t n, const char *file,
                                 TlError *err)
{
    TlTransition *tr = malloc(n * sizeof *tr);
    if (!tr)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        tr[i] = members[i]->t;
    size_t bad = 0;
    TlError why;
    TlResult rc = history_validate(tr, n, &bad, &why);
    free(tr);
    if (rc == TL_OK)
        return TL_OK;
    const MergeEntry *e = members[bad];
    if (e->line > 0)
        return tl_error_set(err, TL_ERR_DATA, "%s:%d: %s", file, e->line, why.msg);
    int line = 0;
    for (size_t i = 0; i < n && !line; i++)
        line = members[i]->line;
    char a[TL_TIME_TEXT_MAX];
    return tl_error_set(err, TL_ERR_DATA,
                        "%s:%d: with this file the recorded transition of %s at %s is "
                        "inconsistent: %s",
                        file, line, e->resource_id, tl_time_format(e->t.started_at, a), why.msg);
}

/* One resource's entries v[0..n) (index base in the whole array): assign
 * each transition to its lineage, the latest creation at or before its
 * start (L7), refuse a new creation that would split a recorded lineage,
 * and validate each lineage (L11). Sets `creation` on every live entry. */
static TlResult validate_resource(MergeEntry *v, size_t n, size_t base, const char *file,
                                  TlError *err)
{
    char a[TL_TIME_TEXT_MAX], b[TL_TIME_TEXT_MAX];
    MergeEntry **order = malloc((n ? n : 1) * sizeof *order);
    size_t live = 0;
    if (!order)
        return tl_error_set(err, TL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (!v[i].superseded)
            order[live++] = &v[i];
    if (live)
        qsort(order, live, sizeof *order, cmp_time);
    TlResult rc = TL_OK;
    size_t lineage_start = 0;
    const MergeEntry *c = NULL; /* the creation of the lineage being read */
    for (size_t k = 0; k <= live && !rc; k++) {
        MergeEntry *e = k < live ? order[k] : NULL;
        if (!e || history_is_creation(&e->t)) {
            if (c)
                rc = validate_lineage(order + lineage_start, k - lineage_start, file, err);
            if (e) {
                c = e;
                lineage_start = k;
                e->creation = base + (size_t)(e - v);
            }
            continue;
        }
        if (!c) {
            rc = tl_error_set(err, TL_ERR_DATA,
                              "%s:%d: transition at %s comes before the creation row of %s", file,
                              e->line, tl_time_format(e->t.started_at, a), e->resource_id);
            break;
        }
        if (e->db_id && e->db_id != c->db_id) {
            rc = tl_error_set(err, TL_ERR_DATA,
                              "%s:%d: a creation at %s would split the recorded history of %s (a "
                              "transition at %s is recorded in an older lineage)",
                              file, c->line, tl_time_format(c->t.started_at, a), c->resource_id,
                              tl_time_format(e->t.started_at, b));
            break;
        }
        e->db_id = c->db_id;
        e->creation = base + (size_t)(c - v);
    }
    free(order);
    return rc;
}

TlResult merge_resources(MergeSet *file, const MergeSet *rec, MergeSet *all, const char *name,
                         size_t *already, TlError *err)
{
    TlResult rc = TL_OK;
    size_t f = 0, r = 0;
    while (!rc && (f < file->n || r < rec->n)) {
        const char *key = f < file->n && (r >= rec->n || strcmp(file->v[f].key, rec->v[r].key) <= 0)
                              ? file->v[f].key
                              : rec->v[r].key;
        size_t first = all->n;
        for (; !rc && r < rec->n && strcmp(rec->v[r].key, key) == 0; r++)
            rc = merge_push(all, &rec->v[r], err);
        for (; !rc && f < file->n && strcmp(file->v[f].key, key) == 0; f++)
            rc = merge_row(all, first, &file->v[f], name, already, err);
        if (!rc)
            rc = validate_resource(&all->v[first], all->n - first, first, name, err);
    }
    return rc;
}
