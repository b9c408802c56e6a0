/* merge.h - how the rows of an import file join the recorded history, one
 * resource at a time: each row is the same as a recorded version (nothing
 * to add), a new version of a running transition, a contradiction (an
 * error), or new; each transition belongs to the lineage of the latest
 * creation at or before its start (L7); a new creation may not split a
 * recorded lineage; every lineage must pass history_validate (L11). Pure:
 * what is recorded comes in as entries, errors name FILE:LINE. */
#ifndef TIERLEDGER_MODEL_MERGE_H
#define TIERLEDGER_MODEL_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/arm_id.h"
#include "model/history.h"

/* One transition of a resource: a file row (line > 0) or a recorded one. */
typedef struct {
    int line;                /* file line; 0 for a recorded transition */
    const char *resource_id; /* as written (borrowed) */
    char key[ARM_ID_MAX];    /* the L7 identity key (arm_id_key) */
    TlTransition t;          /* strings borrowed */
    long long db_id;         /* recorded lineage; 0 for a new one */
    bool insert;             /* set by merge_resources: to be written */
    bool superseded;         /* set by merge_resources: a later version replaced it */
    size_t creation;         /* set by merge_resources: index of its lineage's creation */
} MergeEntry;

/* A growing array of entries; caller-owned, released with merge_cleanup. */
typedef struct {
    MergeEntry *v;
    size_t n, cap;
} MergeSet;

TlResult merge_push(MergeSet *set, const MergeEntry *entry, TlError *err);
void merge_cleanup(MergeSet *set);

/* Sort by key, then line (file rows keep their file order). */
void merge_sort(MergeSet *set);

/* Merge `file` (the file's rows) with `recorded` (what is recorded for the
 * same keys), both sorted by merge_sort, into `all`, resource by resource,
 * and validate each resource as soon as it is complete. In `all`, entries
 * with `insert` are to be written; each has db_id (its recorded lineage) or
 * `creation` (the index in `all` of its new lineage's creation). *already
 * counts the rows that added nothing. `name` is the file for messages. */
TlResult merge_resources(MergeSet *file, const MergeSet *recorded, MergeSet *all, const char *name,
                         size_t *already, TlError *err);

#endif
