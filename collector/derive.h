/* derive.h - which transition rows one poll adds to a lineage, from what is
 * recorded, what was last observed and what Azure says now (rules D1-D8 of
 * docs/collector-rules.md; domain O1, L11). Pure: no I/O, no clock;
 * re-running over the same inputs plus its own output adds nothing. */
#ifndef TIERLEDGER_COLLECTOR_DERIVE_H
#define TIERLEDGER_COLLECTOR_DERIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "collector/azure.h"
#include "model/lineage.h"

typedef enum {
    SRC_OPERATIONS = 0,
    SRC_ACTIVITY_LOG,
    SRC_OBSERVED,
} DeriveSource;

const char *derive_source_str(DeriveSource s); /* "operations", ... */

/* A row to insert. Strings point into the inputs or into `buf`. */
typedef struct {
    TlTransition t;
    DeriveSource source;
    const char *source_record_id; /* NULL for observed */
    bool inferred;
    char buf[2][AZ_OBJ_MAX];
} DeriveRow;

typedef struct {
    /* recorded (latest version of each), sorted by transitions_sort; empty
     * for a lineage seen for the first time */
    const TlTransition *recorded;
    size_t n_recorded;
    bool first_sight;
    TlTime created_at;
    /* the last observation: objective and when; NULL/NONE when never */
    const char *observed_objective;
    TlTime observed_at;
    /* now */
    const AzDatabase *db;
    const AzOperation *ops; /* NULL when not read this run */
    size_t n_ops;
    bool ops_read;
    const AzEvent *events; /* database writes of the subscription, for callers */
    size_t n_events;
    TlTime now;
} DeriveInput;

/* Rows one poll can add beyond one per listed operation and one per recorded
 * transition: the creation, an inferred change and the bridges (D6). */
#define DERIVE_MAX_BRIDGES 16
#define DERIVE_EXTRA_ROWS  (DERIVE_MAX_BRIDGES + 2)

/* Fill rows[0..*n) (at most max: n_ops + n_recorded + DERIVE_EXTRA_ROWS). TL_ERR_DATA when the
 * combined history would not be valid (err says why, naming the database); nothing is added for
 * that database then. */
TlResult derive_transitions(const DeriveInput *in, DeriveRow *rows, size_t max, size_t *n,
                            TlError *err);

#endif
