/* history.h - the vocabulary of a database's recorded history: operation
 * states, transition kinds, transitions, their one order, the L11
 * validation of a lineage, and how a newly reported row relates to the
 * recorded version of the same transition (imports and the collector both
 * append versions, never rewrite). Pure. */
#ifndef TIERLEDGER_MODEL_HISTORY_H
#define TIERLEDGER_MODEL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "model/arm_id.h"
#include "model/result.h"
#include "model/tltime.h"

typedef enum {
    TL_OP_PENDING = 0,
    TL_OP_IN_PROGRESS,
    TL_OP_SUCCEEDED,
    TL_OP_FAILED,
    TL_OP_CANCEL_IN_PROGRESS,
    TL_OP_CANCELLED,
} TlOpState;

/* ARM state names (O1), parsed case-insensitively. */
bool history_state_parse(const char *text, TlOpState *out);
const char *history_state_str(TlOpState state);
/* Succeeded, Failed and Cancelled are final; the others carry no end time. */
bool history_state_terminal(TlOpState state);

typedef enum {
    TL_KIND_CREATION = 0,
    TL_KIND_TIER_CHANGE,       /* within one architecture: lossless (L1) */
    TL_KIND_CONVERSION,        /* standard -> Hyperscale */
    TL_KIND_REVERSE_MIGRATION, /* Hyperscale -> standard */
} TlKind;

const char *history_kind_str(TlKind kind); /* "creation", "tier_change", ... */
/* The kind of a change between two objectives, by architecture (O1: by the
 * objectives, never by the operation name). A NULL/empty from is a creation. */
TlKind history_kind_of(const char *from_objective, const char *to_objective);

/* One transition as recorded. Strings are borrowed: they must outlive every
 * TlLineage computed from them. */
typedef struct {
    TlTime started_at; /* creation: the creation time */
    TlTime ended_at;   /* TL_TIME_NONE while Pending/InProgress/CancelInProgress */
    TlOpState state;
    const char *from_objective; /* NULL or "" for the creation */
    const char *to_objective;
    const char *operation_id; /* may be NULL */
    const char *initiated_by; /* may be NULL */
} TlTransition;

/* A creation row: no from_objective (NULL or ""). The one test of it. */
bool history_is_creation(const TlTransition *t);

/* Whether t had ended by `at` (a creation has no end: it never runs). */
bool history_ended_by(const TlTransition *t, TlTime at);
/* t's state as it was at `at` (L11): its recorded state once it had ended,
 * before that a running state (InProgress for one recorded as final). */
TlOpState history_state_at(const TlTransition *t, TlTime at);

/* The one order of transitions: by start; at the same instant a creation
 * before a change; otherwise equal starts keep their given order. Within a
 * lineage the creation is first (history_validate refuses a change before
 * it); across the lineages of one resource id (L7) each creation opens its
 * own. history_sort sorts by it (stable); history_cmp is its comparator. */
int history_cmp(const TlTransition *a, const TlTransition *b);
void history_sort(TlTransition *tr, size_t n);

/* Check a database's history (sorted by history_sort): one creation,
 * first; ends present exactly for final states and not before the start;
 * each from_objective equal to the objective in effect at its start (L11).
 * On failure *bad is the index of the offending transition and err says why. */
TlResult history_validate(const TlTransition *tr, size_t n, size_t *bad, TlError *err);

/* The objective in effect at instant t (L11): the target of the last
 * transition that succeeded by t. NULL when the database did not exist yet. */
const char *history_objective_at(const TlTransition *tr, size_t n, TlTime t);

/* The objective in effect at the start of tr[i] as history_validate reads
 * it (L11): what succeeded before that instant and, at the same instant,
 * only rows before i (a change that ends at its own start is not in effect
 * there). tr sorted by history_sort; NULL when nothing is in effect. */
const char *history_objective_before(const TlTransition *tr, size_t n, size_t i);

/* What the store knows of a recorded lineage that the collector may see
 * again: its identity, its last observation and whether a transition is
 * open. */
typedef struct {
    long long id;
    char resource_id[ARM_ID_MAX];
    TlTime created_at;
    bool observed;      /* has been observed by the collector */
    TlTime observed_at; /* of the last observation, TL_TIME_NONE: never */
    TlTime details_at;  /* last read of operations and retention, TL_TIME_NONE: never */
    bool open;          /* an in-progress transition is recorded */
    char objective[64]; /* last observed objective, "" when never observed */
} TlKnownLineage;

/* How a reported row (a file row, a poll) relates to the recorded version
 * of the same transition (same lineage, start and objectives):
 *   HISTORY_SAME       nothing new (or older news: the recorded one is final
 *                      and the row is not);
 *   HISTORY_NEW_VERSION a new version: the running transition progressed,
 *                      or the row adds who/which (initiated_by, operation_id);
 *   HISTORY_CONFLICT   the row contradicts a final recorded version. */
typedef enum { HISTORY_SAME = 0, HISTORY_NEW_VERSION, HISTORY_CONFLICT } HistoryMerge;

/* Same transition: same start, both creations or the same objectives
 * (objective_equal: SQLDB_ prefix and case ignored). */
bool history_same_transition(const TlTransition *a, const TlTransition *b);

/* For two transitions history_same_transition says are one (not creations):
 * the merge verdict of `row` against the recorded `old`. */
HistoryMerge history_merge(const TlTransition *old, const TlTransition *row);

#endif
