/* lineage.h - a database's tier transitions in, its lineage segments out:
 * which backups are current, restorable, expired or lost, with restore
 * windows and loss causes, as of any instant (domain.md L1-L11). Pure. */
#ifndef TIERLEDGER_MODEL_LINEAGE_H
#define TIERLEDGER_MODEL_LINEAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "objective.h"
#include "result.h"
#include "tltime.h"

typedef enum {
    TL_OP_PENDING = 0,
    TL_OP_IN_PROGRESS,
    TL_OP_SUCCEEDED,
    TL_OP_FAILED,
    TL_OP_CANCEL_IN_PROGRESS,
    TL_OP_CANCELLED,
} TlOpState;

/* ARM state names (O1), parsed case-insensitively. */
bool op_state_parse(const char *text, TlOpState *out);
const char *op_state_str(TlOpState state);
/* Succeeded, Failed and Cancelled are final; the others carry no end time. */
bool op_state_terminal(TlOpState state);

typedef enum {
    TL_KIND_CREATION = 0,
    TL_KIND_TIER_CHANGE,       /* within one architecture: lossless (L1) */
    TL_KIND_CONVERSION,        /* standard -> Hyperscale */
    TL_KIND_REVERSE_MIGRATION, /* Hyperscale -> standard */
} TlKind;

const char *kind_str(TlKind kind); /* "creation", "tier_change", ... */
/* The kind of a change between two objectives, by architecture (O1: by the
 * objectives, never by the operation name). A NULL/empty from is a creation. */
TlKind kind_of(const char *from_objective, const char *to_objective);

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

/* Order transitions for evaluation: by start, the creation first. */
void transitions_sort(TlTransition *tr, size_t n);

/* Check a database's history (sorted by transitions_sort): one creation,
 * first; ends present exactly for final states and not before the start;
 * each from_objective equal to the objective in effect at its start (L11).
 * On failure *bad is the index of the offending transition and err says why. */
TlResult history_validate(const TlTransition *tr, size_t n, size_t *bad, TlError *err);

/* The objective in effect at instant t (L11): the target of the last
 * transition that succeeded by t. NULL when the database did not exist yet. */
const char *objective_at(const TlTransition *tr, size_t n, TlTime t);

typedef enum {
    TL_READING_SEGMENT = 0, /* L1, our reading: only architecture changes start a segment */
    TL_READING_STRICT,      /* W4: every edition change starts one */
} TlReading;

#define TL_REVERSE_WINDOW_DAYS 45 /* E2 */

typedef enum {
    TL_SEG_CURRENT = 0,
    TL_SEG_RESTORABLE,
    TL_SEG_EXPIRED,
    TL_SEG_LOST,
} TlSegmentStatus;

const char *segment_status_str(TlSegmentStatus status);

typedef struct {
    int seq; /* 1-based */
    TlArchitecture arch;
    const char **objectives; /* in order, borrowed from the transitions */
    size_t n_objectives;
    TlTime start;      /* creation or cutover */
    TlTime end;        /* next cutover; TL_TIME_NONE for the current segment */
    size_t started_by; /* index of the transition that started it */
    TlSegmentStatus status;
    TlTime restore_from; /* L5; TL_TIME_NONE unless current or restorable */
    TlTime restore_to;
    TlTime expires_at;     /* end + R: when it would expire; NONE for the current */
    TlTime lost_at;        /* L3/L4 loss instant (NONE if none) */
    size_t lost_by;        /* index of the transition that caused the loss */
    const char *lost_rule; /* "L3", "L4" or "L2" */
    bool billable;         /* B4: only available segments bill */
} TlSegment;

typedef struct {
    TlTime as_of;
    int retention_days;
    TlReading reading;
    TlSegment *segments; /* owned; oldest first; the last one is current */
    size_t n_segments;
    const char *objective_now;      /* in effect at as_of (borrowed) */
    bool created_in_hyperscale;     /* E1 */
    TlTime last_conversion_cutover; /* TL_TIME_NONE if never converted */
    TlTime reverse_deadline;        /* E2: that cutover + 45 days while the database is
                                       Hyperscale; TL_TIME_NONE otherwise */
    size_t in_progress;             /* index of a transition running at as_of, or SIZE_MAX */
} TlLineage;

/* Evaluate a validated, sorted history as of as_of with retention R days.
 * Transitions starting after as_of are ignored; one that started but had not
 * ended by as_of is in progress (its start may already have caused an L3
 * loss). On success *out owns its segments: release with lineage_cleanup. */
TlResult lineage_evaluate(const TlTransition *tr, size_t n, TlTime as_of, int retention_days,
                          TlReading reading, TlLineage *out, TlError *err);

/* Release what lineage_evaluate allocated; safe on a zeroed or cleaned lineage. */
void lineage_cleanup(TlLineage *lin);

/* The segment before the current one, or NULL. */
const TlSegment *lineage_previous(const TlLineage *lin);

#endif
