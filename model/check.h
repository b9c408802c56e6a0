/* check.h - the pre-migration verdict: is a proposed tier change eligible,
 * and what would it destroy (domain.md E1-E11, W1-W5). Pure. */
#ifndef TIERLEDGER_MODEL_CHECK_H
#define TIERLEDGER_MODEL_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "model/lineage.h"

typedef enum {
    TL_GEO_UNKNOWN = 0,
    TL_GEO_NONE,      /* not geo-replicated */
    TL_GEO_PRIMARY,   /* the primary of geo-secondaries */
    TL_GEO_SECONDARY, /* a geo-secondary (with geo_secondaries > 0: chained) */
} TlGeoRole;

/* "none", "primary", "secondary" into *out; false for anything else. */
bool check_geo_role_parse(const char *text, TlGeoRole *out);

/* Facts about the database that some rules need; *_known false means the
 * fact was never observed (W3: the check names it instead of passing). */
typedef struct {
    bool retention_known;
    bool pool_known;
    bool in_pool;
    bool geo_known;
    bool has_geo_link; /* geo-replication link or failover group */
    /* E11: the database's part in geo-replication, when observed */
    TlGeoRole geo_role;
    int geo_secondaries; /* its own geo-secondaries; -1 unknown */
    bool replicas_known;
    int named_replicas;
    bool allocated_known;
    int64_t allocated_bytes;
    /* W6: ARM's requestedServiceObjectiveName when it was observed to differ
     * from the current objective ("" when not), and since when */
    char requested_objective[TL_OBJECTIVE_MAX];
    TlTime requested_since;
} TlFacts;

#define TL_REQUEST_STALL_HOURS 24 /* W6: an operation running longer does not explain it */

/* W6: the requested objective facts show differs from the objective in
 * effect at lin->as_of, while no operation is running (or one has run for
 * more than 24 hours): the change asked for has not happened. */
bool check_request_pending(const TlLineage *lin, const TlTransition *tr, const TlFacts *facts);

/* The W6 message, naming both objectives and since when. */
const char *check_request_text(const TlLineage *lin, const TlTransition *tr, const TlFacts *facts,
                               char *buf, size_t size);

typedef struct {
    const char *target;     /* objective name, e.g. "GP_Gen5_4" */
    int64_t max_size_bytes; /* requested max data size; 0 = the target's maximum */
} TlProposal;

typedef enum { TL_SEV_INFO = 0, TL_SEV_WARN, TL_SEV_BLOCK } TlSeverity;
const char *check_severity_str(TlSeverity sev); /* "info" | "warn" | "block" */

typedef enum {
    TL_VERDICT_OK = 0,
    TL_VERDICT_WARN = 1,
    TL_VERDICT_BLOCKED = 2,
    TL_VERDICT_UNKNOWN = 3,
} TlVerdict;                                      /* values are the exit statuses of `check` */
const char *check_verdict_str(TlVerdict verdict); /* "ok" | "warn" | "blocked" | "unknown" */

#define TL_FINDING_MESSAGE_MAX 640

typedef struct {
    const char *code; /* stable code of domain.md section 3, e.g. "created_in_hyperscale" */
    const char *rule; /* rule id, e.g. "E1" */
    TlSeverity severity;
    bool undecided; /* an assumption standing for a blocking rule: verdict unknown */
    char message[TL_FINDING_MESSAGE_MAX];
} TlFinding;

typedef struct {
    TlKind kind; /* of the proposed change */
    TlVerdict verdict;
    TlObjective target;
    TlFinding *findings; /* owned; severest first */
    size_t n_findings;
    TlLineage lineage;           /* owned: the L1 lineage the verdict was made on */
    TlTime reverse_deadline;     /* E2: last conversion cutover + 45 days, or NONE */
    const TlSegment *would_lose; /* W1: the available segment the change would lose, or NULL */
} TlCheck;

#define TL_DEADLINE_WARN_DAYS 7

/* Evaluate a proposal against a validated, sorted history as of as_of.
 * retention_days is R (pass 7 with facts->retention_known false when
 * unknown, L9). On success *out owns its findings and lineage: release with
 * check_cleanup. */
TlResult check_evaluate(const TlTransition *tr, size_t n, TlTime as_of, int retention_days,
                        const TlFacts *facts, const TlProposal *proposal, TlCheck *out,
                        TlError *err);

void check_cleanup(TlCheck *check);

#endif
