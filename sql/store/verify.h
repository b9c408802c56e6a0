/* verify.h - recomputing the history's hashes (migration 0014): every
 * lineage's identity hash and the hash chain of its transition versions,
 * the heads an auditor keeps outside the database, and comparing a kept
 * list of heads with the store. The server computes the hashes (sha256());
 * these only read. */
#ifndef TIERLEDGER_SQL_STORE_VERIFY_H
#define TIERLEDGER_SQL_STORE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "model/result.h"
#include "model/tltime.h"
#include "sql/store/conn.h"

#define STORE_RESOURCE_MAX 1024

typedef enum {
    STORE_BREAK_IDENTITY = 0, /* the lineage's identity is not what its hash covers */
    STORE_BREAK_SEQUENCE,     /* a version is missing or out of place in the chain */
    STORE_BREAK_HASH,         /* a version does not match its hash (or its link) */
    STORE_BREAK_NO_HISTORY,   /* a lineage without any transition version */
    STORE_BREAK_GONE,         /* a kept head's lineage is no longer recorded */
    STORE_BREAK_TRUNCATED,    /* it has fewer versions than were kept */
    STORE_BREAK_REWRITTEN,    /* the kept head's version has another hash now */
} StoreBreakKind;

const char *store_break_kind_str(StoreBreakKind kind); /* "identity", ... "rewritten" */

typedef struct {
    StoreBreakKind kind;
    long long lineage;
    char resource_id[STORE_RESOURCE_MAX]; /* "" for a kept head */
    TlTime created_at;
    long long row_id;    /* transitions.id; 0 for an identity break or a kept head */
    long long version;   /* the n-th version by chain_seq; for a kept head, those kept */
    long long chain_seq; /* as stored */
    TlTime started_at;
    size_t line;            /* a kept head: its line in the heads file */
    long long versions_now; /* a kept head: the versions recorded now */
} StoreBreak;

/* Room for the first breaks found (b[0..cap), the caller's), and the count of all. */
typedef struct {
    StoreBreak *b;
    size_t cap, n;
    long long total;
} StoreBreaks;

typedef struct {
    long long lineages, versions;
} StoreVerifyCounts;

/* Recompute every identity and chain as recorded by as_of (TL_TIME_NONE:
 * all): counts in *counts, the breaks (by lineage, then chain order) added
 * to *breaks. */
TlResult store_verify_chains(StoreConn *conn, TlTime as_of, StoreBreaks *breaks,
                             StoreVerifyCounts *counts, TlError *err);

/* One lineage's head: its chain as recorded by as_of. */
typedef struct {
    long long lineage;
    long long versions;
    char head[65]; /* hex sha256 of the last version */
    const char *resource_id;
    TlTime created_at;
} StoreHead;

typedef TlResult (*StoreHeadFn)(void *arg, const StoreHead *head, TlError *err);

/* Every lineage's head, by lineage id, read in batches (a cursor in a
 * read-only transaction): fn is called once per lineage; its failure stops
 * the walk and is returned. */
TlResult store_heads_each(StoreConn *conn, TlTime as_of, StoreHeadFn fn, void *arg, TlError *err);

/* A head as kept outside the database, at a line of the heads file. */
typedef struct {
    long long lineage, versions;
    char head[65];
    size_t line;
} StoreHeadClaim;

/* Look up n claims in one statement; those the store no longer bears out
 * (gone, truncated, rewritten) are added to *breaks. */
TlResult store_heads_compare(StoreConn *conn, const StoreHeadClaim *claims, size_t n,
                             StoreBreaks *breaks, TlError *err);

#endif
