/* lineage.h - a database's tier transitions in, its lineage segments out:
 * which backups are current, restorable, expired or lost, with restore
 * windows and loss causes, as of any instant (domain.md L1-L11). Pure. */
#ifndef TIERLEDGER_MODEL_LINEAGE_H
#define TIERLEDGER_MODEL_LINEAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/history.h"
#include "model/objective.h"
#include "model/result.h"
#include "model/tltime.h"

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

const char *lineage_status_str(TlSegmentStatus status);

/* One instant at which a segment was made unrestorable (or would have been,
 * had an earlier loss not come first). */
typedef struct {
    TlTime at;
    size_t by;         /* index of the transition */
    TlTime failed_end; /* L3 by a reverse migration that ended Failed: when it ended
                          (from then on the loss is only assumed); TL_TIME_NONE otherwise */
} TlLoss;

/* A half-open span of instants [from, until); until TL_TIME_NONE: no end. */
typedef struct {
    TlTime from, until;
} TlSpan;

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
    bool loss_assumed;     /* L3: lost only by reverse migrations that ended Failed by
                              as_of (they may never have started): counted, marked */
    bool billable;         /* B4: only available segments bill */
    TlLoss *losses;        /* owned: every loss by as_of, in time order; the first is lost_at */
    size_t n_losses;
} TlSegment;

typedef struct {
    TlTime as_of;
    int retention_days;
    TlReading reading;
    TlSegment *segments; /* owned; oldest first; the last one is current */
    size_t n_segments;
    const char *objective_now;       /* in effect at as_of (borrowed) */
    bool created_in_hyperscale;      /* E1 */
    TlTime last_conversion_cutover;  /* TL_TIME_NONE if never converted */
    TlTime first_conversion_cutover; /* W5: the first ever; TL_TIME_NONE if never converted */
    int conversions;                 /* conversions to Hyperscale cut over by as_of */
    TlTime reverse_deadline;         /* E2: that cutover + 45 days while the database is
                                        Hyperscale; TL_TIME_NONE otherwise */
    size_t in_progress;              /* index of a transition running at as_of, or SIZE_MAX */
} TlLineage;

/* Evaluate a validated, sorted history as of as_of with retention R days.
 * Transitions starting after as_of are ignored; one that started but had not
 * ended by as_of is in progress (its start may already have caused an L3
 * loss). On success *out owns its segments: release with lineage_cleanup. */
TlResult lineage_evaluate(const TlTransition *tr, size_t n, TlTime as_of, int retention_days,
                          TlReading reading, TlLineage *out, TlError *err);

/* Release what lineage_evaluate allocated; safe on a zeroed or cleaned lineage. */
void lineage_cleanup(TlLineage *lin);

/* The as-of-independent form of a loss (the issue "Auditors can rely on
 * it"): the instants T at which seg's loss counts as assumed, for
 * evaluations at any T up to lin->as_of. At T the loss is assumed when
 * every loss at or before T came from a reverse migration that had ended
 * Failed by T. Writes at most seg->n_losses spans to out, in order, and
 * returns how many. */
size_t lineage_assumed_spans(const TlSegment *seg, TlSpan *out);

/* The segment before the current one, or NULL. */
const TlSegment *lineage_previous(const TlLineage *lin);

#endif
