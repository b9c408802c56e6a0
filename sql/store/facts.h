/* facts.h - the facts the checks need (retention, pool, geo links, named
 * replicas, allocated size: database_facts), read as of an instant and
 * written by import-facts. */
#ifndef TIERLEDGER_SQL_STORE_FACTS_H
#define TIERLEDGER_SQL_STORE_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "model/check.h"
#include "model/result.h"
#include "sql/store/conn.h"

/* What is known about a lineage at as_of: the latest observation at or
 * before it, else the earliest after it (then `from_later` is set). */
typedef struct {
    TlFacts facts;
    int retention_days; /* R, 7 when unknown (L9) */
    bool observed;      /* any observation at all */
    bool from_later;    /* taken from an observation after as_of */
    TlTime observed_at;
} StoreFacts;

TlResult store_facts_load(StoreConn *conn, long long database_id, TlTime as_of, StoreFacts *out,
                          TlError *err);

/* One observation of facts, as validated text (NULL: unknown): retention
 * days, pool id, in_pool/geo "true"/"false", counts and sizes in decimal. */
typedef struct {
    long long database_id;
    TlTime observed_at;
    const char *retention_days, *elastic_pool_id, *in_elastic_pool, *geo_replication;
    const char *named_replicas, *allocated_bytes, *max_size_bytes;
    const char *geo_role, *geo_secondaries; /* E11: "none"/"primary"/"secondary", a count */
    const char *requested_objective;        /* W6, with the instant it was first seen */
    TlTime requested_since;
} StoreFactsRow;

/* An import-facts file on its way in: checked rows are streamed with COPY
 * into a staging table of the transaction (database_id is not used: the
 * lineage is looked up from resource_id), then merged in one statement. */
typedef struct StoreFactsStage StoreFactsStage;
TlResult store_facts_stage_begin(StoreConn *conn, StoreFactsStage **out, TlError *err);
void store_facts_stage_row(StoreFactsStage *s, int line, const char *resource_id,
                           const StoreFactsRow *row);
/* End the COPY; every row must have a lineage alive at its observation (the
 * latest created at or before it), else TL_ERR_DATA "FILE:LINE: no lineage
 * ..." for the first such line; then record the observations (an
 * observation recorded already, or given twice in the file after its first
 * line, adds nothing): *rows staged, *added recorded. Frees s. */
TlResult store_facts_stage_finish(StoreFactsStage *s, const char *file, long long *rows,
                                  long *added, TlError *err);
/* Give up staging and free s; NULL is fine. */
void store_facts_stage_free(StoreFactsStage *s);

#endif
